"""W6: one training step of the convolutional autoencoder on 1×28×28 images, batch 64,
tinygrad_ae against PyTorch on the CPU, measured in the same run.

    python benchmarks/conv_step.py [--repeats 9] [--steps 20] [--threads 1] [--update-doc]

The model is ``models.ConvAutoencoder((1, 28, 28), n_components=16)``: Conv2d(1→16, 3×3,
stride 2, padding 1) → ReLU → Conv2d(16→32, same) → ReLU → Linear(1568→16), then
Linear(16→1568) → ReLU → ConvTranspose2d(32→16) → ReLU → ConvTranspose2d(16→1), the loss
the paper's (1/N) Σ‖x − x̂‖², the optimizer Adam (lr 1e-3). PyTorch gets the same layers
with the same initial parameters; before timing, both run three steps and their losses
must agree (1e-12 relative in float64, 1e-5 in float32), so the two measure the same
computation. Each repetition times ``--steps`` steps of each framework, interleaved, and
the table reports medians of the per-step times.

``--update-doc`` writes the table between the ``<!-- w6:begin/end -->`` markers of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path


def _threads_from_argv() -> str:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


# BLAS threads must be fixed before numpy loads.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _threads_from_argv())

import numpy as np  # noqa: E402

from tinygrad_ae import optim  # noqa: E402
from tinygrad_ae.models import ConvAutoencoder  # noqa: E402
from tinygrad_ae.studies.bench.workloads import training_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
BATCH, SHAPE, CODE = 64, (1, 28, 28), 16
AGREE = {"float32": 1e-5, "float64": 1e-12}


def ours(dtype: np.dtype, X: np.ndarray) -> tuple[ConvAutoencoder, object]:
    model = ConvAutoencoder(SHAPE, CODE, dtype=dtype, rng=0)
    return model, training_step(model, X, optim.Adam(model.parameters(), lr=1e-3))


def theirs(model: ConvAutoencoder, X: np.ndarray) -> object:
    import torch

    layers = []
    for part in (model.encoder, model.decoder):
        for layer in part:
            kind = type(layer).__name__
            if kind == "Conv2d":
                made = torch.nn.Conv2d(layer.in_channels, layer.out_channels, 3, stride=2,
                                       padding=1)
            elif kind == "ConvTranspose2d":
                made = torch.nn.ConvTranspose2d(layer.in_channels, layer.out_channels, 3,
                                                stride=2, padding=1,
                                                output_padding=layer.output_padding)
            elif kind == "Linear":
                made = torch.nn.Linear(layer.in_features, layer.out_features)
            elif kind == "ReLU":
                layers.append(torch.nn.ReLU())
                continue
            elif kind == "_Reshape":
                shape = layer.shape
                layers.append(torch.nn.Flatten() if len(shape) == 1
                              else torch.nn.Unflatten(1, shape))
                continue
            else:  # the output's Identity
                continue
            made = made.to(torch.float64 if X.dtype == np.float64 else torch.float32)
            with torch.no_grad():
                made.weight.copy_(torch.from_numpy(layer.weight.data))
                made.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(made)
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.from_numpy(X.reshape(BATCH, *SHAPE))

    def step() -> float:
        loss = ((net(x) - x) ** 2).sum() / BATCH
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def measure(dtype_name: str, repeats: int, steps: int) -> dict[str, float]:
    import torch

    torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    dtype = np.dtype(dtype_name)
    X = np.random.default_rng(0).random((BATCH, int(np.prod(SHAPE)))).astype(dtype)
    model, ours_step = ours(dtype, X)
    torch_step = theirs(model, X)
    for _ in range(3):
        a, b = ours_step(), torch_step()  # type: ignore[operator]
        if abs(a - b) > AGREE[dtype_name] * abs(b):
            raise SystemExit(f"W6 {dtype_name}: losses differ, tinygrad_ae {a!r} and "
                             f"PyTorch {b!r}; the two steps do not compute the same thing")
    times: dict[str, list[float]] = {"tinygrad_ae": [], "torch": []}
    for _ in range(repeats):
        for name, step in (("tinygrad_ae", ours_step), ("torch", torch_step)):
            started = time.perf_counter()
            for _ in range(steps):
                step()  # type: ignore[operator]
            times[name].append((time.perf_counter() - started) / steps)
    return {name: statistics.median(values) for name, values in times.items()}


def table(results: dict[str, dict[str, float]], repeats: int, steps: int) -> str:
    import torch

    lines = ["| W6: ConvAutoencoder((1, 28, 28), 16), batch 64, Adam | tinygrad_ae | "
             "PyTorch CPU | ratio |", "| --- | ---: | ---: | ---: |"]
    for dtype_name, result in results.items():
        ratio = result["tinygrad_ae"] / result["torch"]
        lines.append(f"| {dtype_name} | {result['tinygrad_ae'] * 1e3:.1f} ms | "
                     f"{result['torch'] * 1e3:.1f} ms | {ratio:.2f}× |")
    lines += ["", f"Medians of {repeats} interleaved repetitions of {steps} steps; numpy "
              f"{np.__version__}, PyTorch {torch.__version__}, "
              f"{os.environ['OPENBLAS_NUM_THREADS']} BLAS/torch thread(s); Python "
              f"{platform.python_version()}, {os.cpu_count()} cores. Generated by "
              f"`python benchmarks/conv_step.py --update-doc`."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="W6: a conv-autoencoder step vs PyTorch")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--update-doc", action="store_true")
    args = parser.parse_args()
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    results = {name: measure(name, args.repeats, args.steps) for name in dtypes}
    text = table(results, args.repeats, args.steps)
    print(text)
    if args.update_doc:
        page = DOC.read_text(encoding="utf-8")
        updated, count = re.subn(r"<!-- w6:begin -->.*?<!-- w6:end -->",
                                 f"<!-- w6:begin -->\n{text}\n<!-- w6:end -->", page,
                                 flags=re.S)
        if count != 1:
            raise SystemExit(f"{DOC} has no <!-- w6:begin --> … <!-- w6:end --> block")
        DOC.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    main()
