"""Benchmarks: five workloads timed for tinygrad_ae, hand-written numpy and PyTorch.

Layer: the top, beside :mod:`tinygrad_ae.cli`; imports numpy, the standard library and
``tensor``, ``nn``, ``optim`` and ``models`` of ours. PyTorch is optional: without it
its column is left out, and nothing here fails.

What is measured
----------------
Each workload is one training step (forward, backward, optimizer update), written three
times from the same data and the same initial parameters:

- ``numpy``: by hand, gradients derived on paper (the baseline every ratio divides by);
- ``tinygrad_ae``: with the public API (``models``, ``nn.mse_loss``, ``optim``);
- ``torch``: idiomatic PyTorch on the CPU, with the same number of threads.

==== ====================================================== ===========================
key  workload                                               measured
==== ====================================================== ===========================
W1   the paper's 2-1-2 linear AE, full batch N=1000, SGD    time per step / numpy's
W2   64-32-8-32-64 tanh AE, batch 64, Adam                  time per step / numpy's
W3   784-256-64-256-784 ReLU AE, batch 256, SGD (momentum)  time per step / numpy's
W4   linear AE 256→16, N=20000, full batch, SGD             time per step / numpy's
W5   a chain of 10,000 small elementwise ops (8 numbers)    overhead per op above numpy,
                                                            memory per recorded op
==== ====================================================== ===========================

Before any time is reported, every framework runs ``check_steps`` steps from the same
start and their losses must agree (relative 1e-6 in float32, 1e-12 in float64): a fast
wrong answer is reported as a mismatch, never as a time. Repetitions are interleaved
(each repetition times every framework once, in a rotating order) and the median of at
least 7 is reported. Garbage collection stays on, as in a real training loop.

Run it as ``tinygrad-ae bench`` or ``python benchmarks/run.py``; ``--json PATH`` writes
every sample, ``--update-doc docs/performance.md`` rewrites the table in that file.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, models, nn, optim
from .tensor import Tensor

__all__ = [
    "Workload", "WORKLOADS", "FRAMEWORKS", "TOLERANCES", "SIZES", "MEMORY_TARGET",
    "TORCH_PAUSE", "Step",
    "build_step", "check_losses", "losses_agree", "time_workload", "chain_memory",
    "resident_memory_per_op", "thread_settings", "run_benchmarks", "format_table",
    "markdown_table", "update_doc", "add_arguments", "run", "main", "torch_available",
]

Step = Callable[[], float]
"""One training step of a workload in one framework; returns the loss computed in it."""

FRAMEWORKS: tuple[str, ...] = ("numpy", "tinygrad_ae", "torch")
"""The frameworks, baseline first."""

TOLERANCES: dict[str, float] = {"float32": 1e-6, "float64": 1e-12}
"""Largest relative difference between two frameworks' losses that still counts as the
same answer: a few roundings of float32 (2⁻²⁴ ≈ 6e-8) and of float64 (2⁻⁵³ ≈ 1e-16)
across sums of thousands of terms, summed in different orders by different BLAS."""

SIZES: tuple[str, ...] = ("full", "quick", "tiny")
"""Problem sizes: ``full`` is the issue's; ``quick`` a smoke run; ``tiny`` for tests."""

_SEED = 20240611


@dataclass(frozen=True)
class Workload:
    """One benchmark: its key (``"W1"``), a title, the sizes per ``SIZES`` entry, the
    target and the issue's PyTorch reference, and ``build(framework, dtype, size)``
    returning a :data:`Step`."""

    key: str
    title: str
    sizes: Mapping[str, Mapping[str, Any]]
    target: float | None
    torch_reference: str
    build: Callable[[str, np.dtype, Mapping[str, Any]], Step]
    per_op: bool = False


# --- shared data and initialisation ------------------------------------------------------

def _uniform_init(rng: np.random.Generator, widths: Sequence[int]
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per Linear layer of ``widths``, PyTorch's default: U(±1/√in_features)."""
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        bound = 1.0 / math.sqrt(n_in)
        layers.append((rng.uniform(-bound, bound, (n_out, n_in)),
                       rng.uniform(-bound, bound, n_out)))
    return layers


def _mirror(sizes: Sequence[int]) -> list[int]:
    """[64, 32, 8] → [64, 32, 8, 32, 64]: the widths of an autoencoder's layers."""
    return list(sizes) + list(sizes[-2::-1])


def _hidden_activations(widths: Sequence[int], activation: str | None) -> list[str | None]:
    """The activation after each layer, as ``models.mlp_autoencoder`` places them: after
    every hidden layer, not after the code layer nor the output."""
    n_layers = len(widths) - 1
    code_layer = n_layers // 2 - 1
    return [None if i in (code_layer, n_layers - 1) else activation for i in range(n_layers)]


# --- W1p: the paper's 2-1-2 network written as its seven scalar equations ----------------

_PAPER_NAMES = ("w1", "w2", "b1", "w3", "w4", "b2", "b3")


def _w1_setup(dtype: np.dtype, size: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, float]]:
    rng = np.random.default_rng(_SEED)
    X = rng.standard_normal((size["n_samples"], 2)) @ np.array([[2.0, 1.0], [0.0, 0.5]])
    bound_in, bound_out = 1 / math.sqrt(2), 1.0
    params = {name: float(rng.uniform(-bound, bound)) for name, bound in zip(
        _PAPER_NAMES, (bound_in,) * 3 + (bound_out,) * 4)}
    return X.astype(dtype), params


def _w1_numpy(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    X, start = _w1_setup(dtype, size)
    p = {k: dtype.type(v) for k, v in start.items()}
    n, lr = X.shape[0], dtype.type(size["lr"])
    x1, x2 = X[:, 0], X[:, 1]

    def step() -> float:
        h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
        r1 = x1 - (p["w3"] * h + p["b2"])          # x1 − x̂1
        r2 = x2 - (p["w4"] * h + p["b3"])
        loss = (np.sum(r1 * r1) + np.sum(r2 * r2)) / n
        g1, g2 = r1 * (-2.0 / n), r2 * (-2.0 / n)  # ∂L/∂x̂1, ∂L/∂x̂2
        gh = g1 * p["w3"] + g2 * p["w4"]
        grads = {"w3": np.sum(g1 * h), "b2": np.sum(g1), "w4": np.sum(g2 * h),
                 "b3": np.sum(g2), "w1": np.sum(gh * x1), "w2": np.sum(gh * x2),
                 "b1": np.sum(gh)}
        for k, g in grads.items():
            p[k] = p[k] - lr * g
        return float(loss)
    return step


def _w1_ours(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    X, start = _w1_setup(dtype, size)
    model = models.PaperAutoencoder(**start)  # type: ignore[arg-type]  # seven floats
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    opt = optim.SGD(model.parameters(), lr=size["lr"])
    x = Tensor(X)

    def step() -> float:
        loss = nn.mse_loss(model(x), x, reduction="paper")
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _w1_torch(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    import torch

    X, start = _w1_setup(dtype, size)
    p = {k: torch.tensor(v, dtype=_torch_dtype(dtype), requires_grad=True)
         for k, v in start.items()}
    opt = torch.optim.SGD(list(p.values()), lr=size["lr"])
    x = torch.from_numpy(X)
    n = X.shape[0]

    def step() -> float:
        x1, x2 = x[:, 0], x[:, 1]
        h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
        x_hat = torch.stack((p["w3"] * h + p["b2"], p["w4"] * h + p["b3"]), dim=1)
        loss = torch.nn.functional.mse_loss(x_hat, x, reduction="sum") / n
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


# --- W2, W3: multilayer autoencoders -------------------------------------------------

def _mlp_setup(dtype: np.dtype, size: Mapping[str, Any], sizes: Sequence[int],
               data: str) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(_SEED)
    shape = (size["batch"], sizes[0])
    if data == "pixels":
        X = rng.random(shape)
    elif data == "correlated":  # the paper's 2-D setting: one strong direction
        X = rng.standard_normal(shape) @ np.array([[2.0, 1.0], [0.0, 0.5]])
    else:
        X = rng.standard_normal(shape)
    layers = _uniform_init(rng, _mirror(sizes))
    return X.astype(dtype), [(W.astype(dtype), b.astype(dtype)) for W, b in layers]


def _numpy_mlp(X: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]],
               activations: list[str | None], update: Callable[[list[np.ndarray],
                                                                  list[np.ndarray]], None]
               ) -> Step:
    """A multilayer autoencoder by hand: forward, the paper's loss, backward, update."""
    params = [array.copy() for layer in layers for array in layer]
    n = X.shape[0]

    def step() -> float:
        inputs, outputs = [], []
        a = X
        for i, act in enumerate(activations):
            W, b = params[2 * i], params[2 * i + 1]
            inputs.append(a)
            a = a @ W.T + b
            if act == "tanh":
                a = np.tanh(a)
            elif act == "relu":
                a = np.maximum(a, 0)
            outputs.append(a)
        r = a - X
        loss = np.sum(r * r) / n
        g = r * (2.0 / n)                          # ∂L/∂x̂
        grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
        for i in reversed(range(len(activations))):
            act = activations[i]
            if act == "tanh":
                g = g * (1 - outputs[i] * outputs[i])
            elif act == "relu":
                g = g * (outputs[i] > 0)
            grads[2 * i] = g.T @ inputs[i]
            grads[2 * i + 1] = g.sum(axis=0)
            if i:
                g = g @ params[2 * i]
        update(params, grads)
        return float(loss)
    return step


def _numpy_sgd(lr: float, momentum: float) -> Callable[[list[np.ndarray], list[np.ndarray]],
                                                        None]:
    """PyTorch's SGD rule by hand: b ← momentum·b + g (b = g at first), p ← p − lr·b."""
    buffers: list[np.ndarray | None] = []

    def update(params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not buffers:
            buffers.extend([None] * len(params))
        for i, (p, g) in enumerate(zip(params, grads)):
            if momentum:
                b = buffers[i]
                if b is None:
                    b = buffers[i] = g.copy()
                else:
                    b *= momentum
                    b += g
                g = b
            p -= lr * g
    return update


def _numpy_adam(lr: float, beta1: float = 0.9, beta2: float = 0.999,
                eps: float = 1e-8) -> Callable[[list[np.ndarray], list[np.ndarray]], None]:
    """PyTorch's Adam rule by hand (see :class:`tinygrad_ae.optim.Adam`)."""
    state: dict[str, Any] = {"t": 0, "m": None, "v": None}

    def update(params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if state["m"] is None:
            state["m"] = [np.zeros_like(p) for p in params]
            state["v"] = [np.zeros_like(p) for p in params]
        state["t"] += 1
        t = state["t"]
        step_size = lr / (1 - beta1 ** t)
        root_correction = math.sqrt(1 - beta2 ** t)
        for p, g, m, v in zip(params, grads, state["m"], state["v"]):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * (g * g)
            denominator = np.sqrt(v) / root_correction + eps
            p -= step_size * (m / denominator)
    return update


def _ours_mlp(X: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], sizes: Sequence[int],
              activation: str, make_opt: Callable[[list[Tensor]], optim.Optimizer]) -> Step:
    model: nn.Module
    if len(sizes) == 2 and activation == "identity":
        model = models.LinearAutoencoder(sizes[0], sizes[1])
    else:
        model = models.mlp_autoencoder(list(sizes), activation=activation)
    params = model.parameters()
    start = [array for layer in layers for array in layer]
    if [p.shape for p in params] != [a.shape for a in start]:
        raise RuntimeError(f"bench: mlp_autoencoder({list(sizes)}) has parameters of shapes "
                           f"{[p.shape for p in params]}, expected {[a.shape for a in start]}")
    for p, array in zip(params, start):
        p.data = array.copy()
    opt = make_opt(params)
    x = Tensor(X)

    def step() -> float:
        loss = nn.mse_loss(model(x), x, reduction="paper")
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _torch_mlp(X: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]],
               activations: list[str | None], make_opt: Callable[[Any], Any]) -> Step:
    import torch

    modules: list[Any] = []
    for (W, b), act in zip(layers, activations):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=_torch_dtype(W.dtype))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if act == "tanh":
            modules.append(torch.nn.Tanh())
        elif act == "relu":
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    opt = make_opt(model.parameters())
    x = torch.from_numpy(X)
    n = X.shape[0]

    def step() -> float:
        loss = torch.nn.functional.mse_loss(model(x), x, reduction="sum") / n
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _mlp_workload(sizes_key: str, activation: str, data: str, optimizer: str
                  ) -> Callable[[str, np.dtype, Mapping[str, Any]], Step]:
    """The ``build`` of W2 / W3 / W4: an autoencoder of widths ``size[sizes_key]``."""
    def build(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
        sizes = _widths(size, sizes_key)
        X, layers = _mlp_setup(dtype, size, sizes, data)
        activations = _hidden_activations(_mirror(sizes), activation)
        lr = size["lr"]
        momentum = size.get("momentum", 0.0)
        if framework == "numpy":
            update = (_numpy_adam(lr) if optimizer == "adam"
                      else _numpy_sgd(lr, momentum))
            return _numpy_mlp(X, layers, activations, update)
        if framework == "tinygrad_ae":
            def make_ours(params: list[Tensor]) -> optim.Optimizer:
                if optimizer == "adam":
                    return optim.Adam(params, lr=lr)
                return optim.SGD(params, lr=lr, momentum=momentum)
            return _ours_mlp(X, layers, sizes, activation, make_ours)
        import torch

        def make_torch(params: Any) -> Any:
            if optimizer == "adam":
                return torch.optim.Adam(params, lr=lr)
            return torch.optim.SGD(params, lr=lr, momentum=momentum)
        return _torch_mlp(X, layers, activations, make_torch)
    return build


def _widths(size: Mapping[str, Any], key: str) -> list[int]:
    """The encoder widths stored in a size as ``{key}_0``, ``{key}_1``, …"""
    return [size[f"{key}_{i}"] for i in range(sum(k.startswith(f"{key}_") for k in size))]


# --- W5: a long chain of small ops ---------------------------------------------------

# The chain repeats y·½, y + ¼, y·2, y − ½, −y: every step is exact or correctly rounded
# in IEEE arithmetic, so all frameworks agree to the last bit, and ∂y/∂x = ±1 never
# underflows (a chain through tanh would shrink the gradient to 0 and check nothing).
_CHAIN = ("mul", "add", "mul", "sub", "neg")
_CHAIN_LR = 0.125


def _w5_setup(dtype: np.dtype, size: Mapping[str, Any]) -> np.ndarray:
    return np.random.default_rng(_SEED).standard_normal(size["width"]).astype(dtype)


def _chain_forward(y: Any, n_ops: int) -> Any:
    """Apply the chain to ``y`` (any array-like with operators): n_ops recorded ops."""
    for i in range(n_ops):
        kind = i % 5
        if kind == 0:
            y = y * 0.5
        elif kind == 1:
            y = y + 0.25
        elif kind == 2:
            y = y * 2.0
        elif kind == 3:
            y = y - 0.5
        else:
            y = -y
    return y


def _w5_numpy(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    x = _w5_setup(dtype, size)
    n_ops = size["n_ops"]

    def step() -> float:
        y = _chain_forward(x, n_ops)
        loss = float(np.sum(y))
        g = np.ones_like(x)                       # ∂loss/∂y, then back through the chain
        for i in reversed(range(n_ops)):
            kind = i % 5
            if kind == 0:
                g = g * 0.5
            elif kind == 2:
                g = g * 2.0
            elif kind == 4:
                g = -g
        x[...] -= _CHAIN_LR * g
        return loss
    return step


def _w5_ours(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    x = Tensor(_w5_setup(dtype, size), requires_grad=True)
    n_ops = size["n_ops"]

    def step() -> float:
        loss = _chain_forward(x, n_ops).sum()
        loss.backward()
        assert x.grad is not None
        x.data -= _CHAIN_LR * x.grad
        x.grad = None
        return loss.item()
    return step


def _w5_torch(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    import torch

    x = torch.from_numpy(_w5_setup(dtype, size)).requires_grad_(True)
    n_ops = size["n_ops"]

    def step() -> float:
        loss = _chain_forward(x, n_ops).sum()
        loss.backward()
        assert x.grad is not None
        with torch.no_grad():
            x.sub_(x.grad * _CHAIN_LR)
        x.grad = None
        return loss.item()
    return step


def _w5_build(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    return {"numpy": _w5_numpy, "tinygrad_ae": _w5_ours, "torch": _w5_torch}[framework](
        dtype, size)


def _w1p_build(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    return {"numpy": _w1_numpy, "tinygrad_ae": _w1_ours, "torch": _w1_torch}[framework](
        dtype, size)


def chain_memory(dtype: Any = np.float64, n_ops: int = 10_000, width: int = 8
                 ) -> dict[str, float]:
    """Bytes per recorded op that a W5 chain's graph holds, measured with ``tracemalloc``.

    ``total`` is everything the graph keeps alive per op: the Tensor, the tuple of its
    inputs, and the op's result array (numpy's array object plus ``width`` numbers);
    ``values`` is the result array alone; ``bookkeeping`` = ``total`` − ``values``, what
    the engine adds to the values themselves.

    >>> memory = chain_memory(n_ops=1000)
    >>> memory["total"] == memory["values"] + memory["bookkeeping"]
    True
    """
    dtype = np.dtype(dtype)
    x = Tensor(np.random.default_rng(_SEED).standard_normal(width).astype(dtype),
               requires_grad=True)
    _chain_forward(x, 10)  # warm the constant cache, so it is not counted
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = _chain_forward(x, n_ops)
        graph = tracemalloc.get_traced_memory()[0] - before
        del y
        before = tracemalloc.get_traced_memory()[0]
        arrays = [x.data * 0.5 for _ in range(n_ops)]
        values = tracemalloc.get_traced_memory()[0] - before
        del arrays
    finally:
        if not was_tracing:
            tracemalloc.stop()
    total, per_value = graph / n_ops, values / n_ops
    return {"total": total, "values": per_value, "bookkeeping": total - per_value}


_RSS_SCRIPT = """
import gc, sys
import numpy as np
from tinygrad_ae.bench import _chain_forward
framework, dtype, n_ops = sys.argv[1], sys.argv[2], int(sys.argv[3])
if framework == "torch":
    import torch
    x = torch.ones(8, dtype=getattr(torch, dtype), requires_grad=True)
else:
    from tinygrad_ae import Tensor
    x = Tensor(np.ones(8, dtype=dtype), requires_grad=True)
_chain_forward(x, 1000)
gc.collect()
def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1])
before = resident()
y = _chain_forward(x, n_ops)
print((resident() - before) / n_ops)
"""


def resident_memory_per_op(framework: str, dtype: Any = np.float64, n_ops: int = 100_000
                           ) -> float | None:
    """Growth of the resident set per recorded op of a W5 chain, in bytes, measured in a
    fresh Python process (Linux only; None elsewhere or on failure). Unlike
    :func:`chain_memory` this sees memory allocated outside Python's heap too (PyTorch's
    autograd graph lives in C++), so it compares frameworks."""
    if not os.path.exists("/proc/self/statm"):
        return None
    command = [sys.executable, "-c", _RSS_SCRIPT, framework, np.dtype(dtype).name, str(n_ops)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                check=True)
        pages = float(result.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


# --- the workloads -------------------------------------------------------------------

WORKLOADS: dict[str, Workload] = {
    "W1": Workload(
        "W1", "the paper's 2-1-2 linear AE (LinearAutoencoder(2, 1)), full batch N=1000, SGD",
        {"full": {"sizes_0": 2, "sizes_1": 1, "batch": 1000, "lr": 0.05},
         "quick": {"sizes_0": 2, "sizes_1": 1, "batch": 1000, "lr": 0.05},
         "tiny": {"sizes_0": 2, "sizes_1": 1, "batch": 20, "lr": 0.05}},
        target=2.5, torch_reference="7.5×",
        build=_mlp_workload("sizes", "identity", "correlated", "sgd")),
    "W1p": Workload(
        "W1p", "the same network as the paper's seven scalar equations (PaperAutoencoder)",
        {"full": {"n_samples": 1000, "lr": 0.05},
         "quick": {"n_samples": 1000, "lr": 0.05},
         "tiny": {"n_samples": 20, "lr": 0.05}},
        target=None, torch_reference="—", build=_w1p_build),
    "W2": Workload(
        "W2", "64-32-8-32-64 tanh AE, batch 64, Adam",
        {"full": {"sizes_0": 64, "sizes_1": 32, "sizes_2": 8, "batch": 64, "lr": 0.001},
         "quick": {"sizes_0": 64, "sizes_1": 32, "sizes_2": 8, "batch": 64, "lr": 0.001},
         "tiny": {"sizes_0": 6, "sizes_1": 4, "sizes_2": 2, "batch": 5, "lr": 0.001}},
        target=1.5, torch_reference="3.8×",
        build=_mlp_workload("sizes", "tanh", "normal", "adam")),
    "W3": Workload(
        "W3", "784-256-64-256-784 ReLU AE, batch 256, SGD (momentum 0.9)",
        {"full": {"sizes_0": 784, "sizes_1": 256, "sizes_2": 64, "batch": 256,
                  "lr": 0.0005, "momentum": 0.9},
         "quick": {"sizes_0": 196, "sizes_1": 64, "sizes_2": 16, "batch": 64,
                   "lr": 0.0005, "momentum": 0.9},
         "tiny": {"sizes_0": 12, "sizes_1": 6, "sizes_2": 3, "batch": 7,
                  "lr": 0.0005, "momentum": 0.9}},
        target=1.10, torch_reference="1.09× (f64), 1.53× (f32)",
        build=_mlp_workload("sizes", "relu", "pixels", "sgd")),
    "W4": Workload(
        "W4", "linear AE 256→16, N=20000, full batch, SGD",
        {"full": {"sizes_0": 256, "sizes_1": 16, "batch": 20000, "lr": 0.001},
         "quick": {"sizes_0": 256, "sizes_1": 16, "batch": 2000, "lr": 0.001},
         "tiny": {"sizes_0": 9, "sizes_1": 3, "batch": 40, "lr": 0.001}},
        target=1.05, torch_reference="1.05× (f64)",
        build=_mlp_workload("sizes", "identity", "normal", "sgd")),
    "W5": Workload(
        "W5", "chain of 10,000 small elementwise ops (8 numbers), fwd+bwd",
        {"full": {"n_ops": 10_000, "width": 8},
         "quick": {"n_ops": 2_000, "width": 8},
         "tiny": {"n_ops": 50, "width": 8}},
        target=2.5, torch_reference="6.6 µs/op", build=_w5_build, per_op=True),
}
"""Every workload, by key. W1p has no target: it is reported beside W1 to show what the
paper's literal scalar form costs (many ops on 1000 numbers each)."""

MEMORY_TARGET = 300.0
"""W5: bytes of bookkeeping per recorded op (see :func:`chain_memory`)."""


# --- running -------------------------------------------------------------------------

def torch_available() -> bool:
    """Whether PyTorch can be imported (its column is skipped otherwise)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _torch_dtype(dtype: Any) -> Any:
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)]


def _workload(workload: Workload | str) -> Workload:
    if isinstance(workload, Workload):
        return workload
    if workload not in WORKLOADS:
        raise ValueError(f"bench: workload must be one of {', '.join(WORKLOADS)}, "
                         f"got {workload!r}")
    return WORKLOADS[workload]


def build_step(workload: Workload | str, framework: str, dtype: Any = np.float64,
               size: str = "full") -> Step:
    """A fresh :data:`Step` of ``workload`` in ``framework``, from the shared start.

    >>> step = build_step("W1", "tinygrad_ae", size="tiny")
    >>> step() > 0
    True
    """
    entry = _workload(workload)
    if framework not in FRAMEWORKS:
        raise ValueError(f"bench: framework must be one of {', '.join(FRAMEWORKS)}, "
                         f"got {framework!r}")
    if size not in entry.sizes:
        raise ValueError(f"bench: size must be one of {', '.join(entry.sizes)}, got {size!r}")
    return entry.build(framework, np.dtype(dtype), entry.sizes[size])


def losses_agree(a: Sequence[float], b: Sequence[float], dtype: Any) -> bool:
    """Whether two runs' losses agree step by step within ``TOLERANCES[dtype]``.

    >>> losses_agree([1.0, 0.5], [1.0 + 1e-14, 0.5], np.float64)
    True
    >>> losses_agree([1.0], [1.001], np.float32)
    False
    """
    rtol = TOLERANCES[np.dtype(dtype).name]
    return len(a) == len(b) and all(
        math.isfinite(x) and math.isfinite(y) and abs(x - y) <= rtol * max(abs(x), abs(y))
        for x, y in zip(a, b))


def check_losses(workload: Workload | str, dtype: Any = np.float64, size: str = "full",
                 frameworks: Sequence[str] = FRAMEWORKS[:2], steps: int = 3
                 ) -> dict[str, list[float]]:
    """The losses of ``steps`` training steps from the shared start, per framework.

    >>> losses = check_losses("W2", size="tiny")
    >>> losses_agree(losses["numpy"], losses["tinygrad_ae"], np.float64)
    True
    """
    result = {}
    for framework in frameworks:
        step = build_step(workload, framework, dtype, size)
        result[framework] = [step() for _ in range(steps)]
    return result


class _CpuMeter:
    """CPU time used by other processes while a measurement runs (Linux: /proc/stat).

    This machine may be shared; a busy neighbour slows every framework, and interleaving
    spreads that over all of them, but the report says how busy it was."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as f:
                fields = [float(v) for v in f.readline().split()[1:9]]
            with open("/proc/self/stat") as f:
                own = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            return None
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        return busy, float(own[11]) + float(own[12]), time.monotonic()

    def other_load(self) -> float | None:
        """Average number of CPUs other processes kept busy since the meter started."""
        end = self._read()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        others = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(0.0, others / ticks / (end[2] - self.start[2]))


TORCH_PAUSE = 0.2
"""Seconds of rest before each PyTorch block. OpenBLAS's idle threads (numpy's, and so
tinygrad_ae's) spin for about 0.1 s after every call; timed right after numpy, PyTorch's
threads found both cores taken and its W3 step took three times as long as alone."""


def time_workload(workload: Workload | str, dtype: Any = np.float64, size: str = "full",
                  frameworks: Sequence[str] = FRAMEWORKS[:2], repeats: int = 9,
                  block_seconds: float = 0.05, check_steps: int = 3) -> dict[str, Any]:
    """Check, then time ``workload`` in each framework; return a result dict.

    Every framework first runs ``check_steps`` steps from the shared start; if its losses
    differ from numpy's, it gets ``"agrees": False`` and no time. Then each framework
    gets a fresh start and two warm-up steps, and ``repeats`` repetitions are
    interleaved: in each, every framework (in a rotating order) runs the same number of
    steps, enough for the baseline to take about ``block_seconds`` (PyTorch after a pause
    of :data:`TORCH_PAUSE`, see there). A framework whose
    loss stops being finite while timed is reported as diverged, with no time. Times are
    seconds per step; ratios divide each median by numpy's.
    """
    entry = _workload(workload)
    dtype = np.dtype(dtype)
    losses = check_losses(entry, dtype, size, frameworks, check_steps)
    agrees = {fw: losses_agree(losses["numpy"], losses[fw], dtype) for fw in frameworks}
    timed = [fw for fw in frameworks if agrees[fw]]
    steps = {fw: build_step(entry, fw, dtype, size) for fw in timed}
    samples: dict[str, list[float]] = {fw: [] for fw in timed}
    finite = dict.fromkeys(timed, True)
    # NOTE: the collector stays on, but what exists before timing (PyTorch's 140,000
    # objects once imported) is frozen: a collector pass during a step then costs what it
    # would cost in a process running that framework alone.
    gc.collect()
    gc.freeze()
    meter = _CpuMeter()
    try:
        warmup = {fw: _time_block(steps[fw], 2)[0] for fw in timed}
        per_block = max(1, min(1000, round(block_seconds / max(warmup["numpy"], 1e-9))))
        for repetition in range(repeats):
            shift = repetition % len(timed)
            for fw in timed[shift:] + timed[:shift]:
                if fw == "torch":
                    time.sleep(TORCH_PAUSE)
                seconds, last_loss = _time_block(steps[fw], per_block)
                samples[fw].append(seconds)
                finite[fw] = finite[fw] and math.isfinite(last_loss)
    finally:
        gc.unfreeze()
    medians = {fw: statistics.median(samples[fw]) for fw in timed if finite[fw]}
    baseline = medians.get("numpy")
    result: dict[str, Any] = {
        "workload": entry.key, "title": entry.title, "dtype": dtype.name, "size": size,
        "parameters": dict(entry.sizes[size]), "steps_per_sample": per_block,
        "repeats": repeats, "target": entry.target, "torch_reference": entry.torch_reference,
        "other_load_cpus": meter.other_load(),
        "frameworks": {
            fw: {"agrees": agrees[fw], "finite": finite.get(fw, False),
                 "check_losses": losses[fw], "median_s": medians.get(fw),
                 "samples_s": samples.get(fw, []),
                 "ratio": (medians[fw] / baseline if fw in medians and baseline else None)}
            for fw in frameworks},
    }
    if entry.per_op:
        n_ops = entry.sizes[size]["n_ops"]
        for fw in frameworks:
            info = result["frameworks"][fw]
            info["overhead_per_op_us"] = (
                (info["median_s"] - baseline) / n_ops * 1e6
                if info["median_s"] is not None and baseline else None)
        result["memory_per_op_bytes"] = chain_memory(dtype, n_ops, entry.sizes[size]["width"])
        result["memory_target"] = MEMORY_TARGET
    result["meets_target"] = _meets_target(entry, result)
    return result


def _meets_target(entry: Workload, result: Mapping[str, Any]) -> bool | None:
    """True or False against the workload's target; None when it has none."""
    ours = result["frameworks"]["tinygrad_ae"]
    if entry.target is None:
        return None
    if ours["median_s"] is None:
        return False
    if entry.per_op:
        return bool(ours["overhead_per_op_us"] <= entry.target
                    and result["memory_per_op_bytes"]["bookkeeping"] <= MEMORY_TARGET)
    return bool(ours["ratio"] <= entry.target)


def _time_block(step: Step, n_steps: int) -> tuple[float, float]:
    """Seconds per step over ``n_steps`` consecutive steps, and the last step's loss."""
    loss = 0.0
    start = time.perf_counter()
    for _ in range(n_steps):
        loss = step()
    return (time.perf_counter() - start) / n_steps, loss


_THREAD_LIMIT: Any = None  # keeps threadpoolctl's limit in force while the process runs


def thread_settings(threads: int | None = None) -> dict[str, Any]:
    """Make numpy's BLAS and PyTorch use the same number of threads; say what is set.

    ``threads`` None keeps numpy's BLAS as it is and gives PyTorch the same count.
    numpy's BLAS is limited with ``threadpoolctl`` when it is installed; without it, set
    ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` before Python starts.
    """
    global _THREAD_LIMIT
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "env": {
        name: os.environ.get(name) for name in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE")}, "torch_pause_s": TORCH_PAUSE}
    blas: list[dict[str, Any]] = []
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        if threads is not None:
            _THREAD_LIMIT = threadpoolctl.threadpool_limits(threads, user_api="blas")
        blas = [{k: pool.get(k) for k in ("internal_api", "version", "architecture",
                                           "num_threads")}
                for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]
    info["numpy_blas"] = blas
    count = threads if threads is not None else (
        blas[0]["num_threads"] if blas else os.cpu_count())
    info["threads"] = count
    if torch_available():
        import torch

        torch.set_num_threads(int(count or 1))
        info["torch_threads"] = torch.get_num_threads()
        info["torch_version"] = torch.__version__
    return info


def run_benchmarks(workloads: Sequence[str] = tuple(WORKLOADS),
                   dtypes: Sequence[str] = ("float32", "float64"), size: str = "full",
                   repeats: int = 9, use_torch: bool = True, threads: int | None = None,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmarks and return everything measured, ready for JSON."""
    settings = thread_settings(threads)
    frameworks = [fw for fw in FRAMEWORKS if fw != "torch" or (use_torch and torch_available())]
    results = []
    for key in workloads:
        for dtype in dtypes:
            if progress is not None:
                progress(f"{key} {dtype} ...")
            results.append(time_workload(key, dtype, size, frameworks, repeats))
    resident: dict[str, Any] = {}
    if "W5" in workloads and size != "tiny":
        if progress is not None:
            progress("W5 resident memory per op ...")
        for fw in frameworks[1:]:
            resident[fw] = {dtype: resident_memory_per_op(fw, dtype) for dtype in dtypes}
    return {
        "tinygrad_ae": __version__, "numpy": np.__version__, "python": sys.version.split()[0],
        "machine": platform.platform(), "processor": platform.processor(),
        "threads": settings, "size": size, "repeats": repeats,
        "frameworks": frameworks, "results": results,
        "resident_memory_per_op_bytes": resident,
    }


# --- output --------------------------------------------------------------------------

def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.3f}"


def _cell(info: Mapping[str, Any], per_op: bool) -> str:
    if not info.get("agrees", False):
        return "MISMATCH"
    if not info.get("finite", False):
        return "DIVERGED"
    if per_op:
        return f"{info['overhead_per_op_us']:+.2f} µs/op"
    return f"{info['ratio']:.2f}×"


def _verdict(result: Mapping[str, Any]) -> str:
    return {True: "yes", False: "NO", None: "—"}[result["meets_target"]]


def format_table(report: Mapping[str, Any]) -> str:
    """A plain-text table: medians (ms per step), ratios to numpy, targets."""
    frameworks = list(report["frameworks"])
    header = (["workload", "dtype"] + [f"{fw} ms" for fw in frameworks]
              + [f"{fw}/numpy" for fw in frameworks[1:]] + ["target", "met", "other load"])
    rows = [header]
    for result in report["results"]:
        infos, per_op = result["frameworks"], result.get("memory_per_op_bytes") is not None
        target = result["target"]
        row = [result["workload"], result["dtype"]]
        row += [_ms(infos[fw]["median_s"]) for fw in frameworks]
        row += [_cell(infos[fw], per_op) for fw in frameworks[1:]]
        row += ["—" if target is None else f"≤{target} µs/op" if per_op else f"≤{target}×",
                _verdict(result), _load(result.get("other_load_cpus"))]
        rows.append(row)
        if per_op:
            memory = result["memory_per_op_bytes"]
            rows.append([result["workload"], result["dtype"], "memory/op"]
                        + [""] * (len(frameworks) - 1)
                        + [f"{memory['bookkeeping']:.0f} B (+{memory['values']:.0f} B value)"]
                        + [""] * (len(frameworks) - 2)
                        + [f"≤{result['memory_target']:.0f} B", "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    threads = report["threads"]
    lines += ["", f"threads: numpy BLAS {threads.get('threads')} ({_blas_name(threads)}), "
                  f"torch {threads.get('torch_threads', '—')}; size {report['size']}, "
                  f"medians of {report['repeats']} interleaved repetitions"]
    resident = report.get("resident_memory_per_op_bytes") or {}
    if resident:
        lines.append("W5 resident memory per op (fresh process, 100,000 ops): " + ", ".join(
            f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
            for dtype, value in by_dtype.items()))
    return "\n".join(lines)


def _load(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} CPU"


def _bytes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} B"


def markdown_table(report: Mapping[str, Any]) -> str:
    """The issue's table with the measured columns filled in (for docs/performance.md)."""
    by_key: dict[str, dict[str, Mapping[str, Any]]] = {}
    for result in report["results"]:
        by_key.setdefault(result["workload"], {})[result["dtype"]] = result
    has_torch = "torch" in report["frameworks"]
    header = ["workload", "PyTorch CPU (issue)", "target", "tinygrad_ae f32", "tinygrad_ae f64"]
    if has_torch:
        header += ["PyTorch f32 (here)", "PyTorch f64 (here)"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]

    def cell(result: Mapping[str, Any] | None, fw: str, per_op: bool) -> str:
        if result is None:
            return "not run"
        info = result["frameworks"].get(fw)
        return "—" if info is None else _cell(info, per_op).replace(" µs/op", " µs")

    for key, entry in WORKLOADS.items():
        if key not in by_key:
            continue
        f32, f64 = by_key[key].get("float32"), by_key[key].get("float64")
        if entry.target is None:
            target = "—"
        else:
            target = f"≤ {entry.target} µs" if entry.per_op else f"≤ {entry.target}×"
        title = f"{key} {entry.title}" + (": overhead per op above numpy" if entry.per_op
                                          else "")
        row = [title, entry.torch_reference, target, cell(f32, "tinygrad_ae", entry.per_op),
               cell(f64, "tinygrad_ae", entry.per_op)]
        if has_torch:
            row += [cell(f32, "torch", entry.per_op), cell(f64, "torch", entry.per_op)]
        lines.append("| " + " | ".join(row) + " |")
        if entry.per_op:
            memory = [r["memory_per_op_bytes"] if r else None for r in (f32, f64)]
            row = [f"{key} memory per recorded op: bookkeeping (+ the 8-number result array)",
                   "195 B (not measured here)", f"≤ {MEMORY_TARGET:.0f} B"] + [
                "not run" if m is None else f"{m['bookkeeping']:.0f} B (+{m['values']:.0f} B)"
                for m in memory]
            if has_torch:
                row += ["see below", "see below"]
            lines.append("| " + " | ".join(row) + " |")
    threads = report["threads"]
    loads = [r["other_load_cpus"] for r in report["results"]
             if r.get("other_load_cpus") is not None]
    lines.append("")
    lines.append(
        f"Medians of {report['repeats']} interleaved repetitions, size `{report['size']}`; "
        f"numpy {report['numpy']} ({_blas_name(threads)}, {threads.get('threads')} threads)"
        + (f", PyTorch {threads.get('torch_version')} ({threads.get('torch_threads')} "
           f"threads)" if has_torch else "")
        + f"; Python {report['python']} on {report['machine']}, {threads.get('cpu_count')} "
          f"cores" + (f"; other processes kept {max(loads):.2f} CPUs busy at most while a row "
                      f"was measured" if loads else "") + ".")
    resident = report.get("resident_memory_per_op_bytes") or {}
    if resident:
        lines.append("")
        lines.append("Resident memory per recorded op of a 100,000-op chain, each in a fresh "
                     "process (all memory, Python's heap or not): " + "; ".join(
                         f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
                         for dtype, value in by_dtype.items()) + ".")
    return "\n".join(lines)


def _blas_name(threads: Mapping[str, Any]) -> str:
    blas = threads.get("numpy_blas") or []
    if not blas:
        return "BLAS unknown"
    first = blas[0]
    return f"{first.get('internal_api')} {first.get('version')} {first.get('architecture')}"


def update_doc(path: str | os.PathLike[str], table: str, block: str = "bench") -> None:
    """Replace the text between the ``<!-- {block}:begin -->`` and ``<!-- {block}:end -->``
    markers in ``path`` with ``table``."""
    target = Path(path)
    text = target.read_text(encoding="utf-8")
    opening, closing = f"<!-- {block}:begin -->", f"<!-- {block}:end -->"
    begin, end = text.find(opening), text.find(closing)
    if begin < 0 or end < begin:
        raise ValueError(f"update_doc: {str(target)!r} has no {opening} … {closing} "
                         f"block; add both markers where the table belongs")
    text = text[:begin + len(opening)] + "\n" + table + "\n" + text[end:]
    target.write_text(text, encoding="utf-8")


# --- command line --------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tinygrad-ae bench`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="smaller problems and 3 repetitions: a smoke run, not a reference")
    parser.add_argument("--json", metavar="PATH", help="write every sample to PATH as JSON")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repetitions per framework (default 9; at least 7 "
                             "for the full size)")
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated keys among {','.join(WORKLOADS)} (default: all)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and PyTorch (default: numpy's current)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--size", choices=SIZES, default=None,
                        help="problem size (default full; --quick means quick; tiny is for "
                             "tests)")
    parser.add_argument("--update-doc", metavar="PATH",
                        help="rewrite the table between the bench markers of PATH "
                             "(docs/performance.md)")


class _Usage(Exception):
    pass


def _parse(args: argparse.Namespace) -> tuple[list[str], list[str], str, int]:
    by_name = {key.lower(): key for key in WORKLOADS}
    names = [w.strip().lower() for w in str(args.workloads).split(",") if w.strip()]
    unknown = [w for w in names if w not in by_name]
    if unknown or not names:
        raise _Usage(f"--workloads must list keys from {', '.join(WORKLOADS)}, got "
                     f"{args.workloads!r}")
    workloads = [by_name[w] for w in names]
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    size = args.size or ("quick" if args.quick else "full")
    repeats = args.repeats if args.repeats is not None else (9 if size == "full" else 3)
    if repeats < 1 or (repeats < 7 and size == "full"):
        raise _Usage(f"--repeats must be at least 7 for the full size (medians of at least "
                     f"7), or at least 1 with --quick; got {repeats}")
    if args.threads is not None and args.threads < 1:
        raise _Usage(f"--threads must be a positive integer, got {args.threads}")
    if args.update_doc and not Path(args.update_doc).is_file():
        raise _Usage(f"--update-doc: no such file {args.update_doc!r}")
    return workloads, dtypes, size, repeats


def run(args: argparse.Namespace) -> int:
    """Run ``tinygrad-ae bench`` with parsed ``args``. Returns 0 when every framework
    agreed with numpy (and, at the full size, every target was met), 1 otherwise, 2 for
    bad options."""
    try:
        workloads, dtypes, size, repeats = _parse(args)
    except _Usage as err:
        print(f"tinygrad-ae bench: error: {err}", file=sys.stderr)
        return 2
    report = run_benchmarks(workloads, dtypes, size, repeats, use_torch=not args.no_torch,
                            threads=args.threads,
                            progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(format_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.update_doc:
        update_doc(args.update_doc, markdown_table(report))
        print(f"updated {args.update_doc}")
    failures = [f"{r['workload']} {r['dtype']} {fw}" for r in report["results"]
                for fw, info in r["frameworks"].items()
                if not (info["agrees"] and info["finite"])]
    if failures:
        print(f"tinygrad-ae bench: wrong or diverged (no time reported): {', '.join(failures)}",
              file=sys.stderr)
        return 1
    missed = [f"{r['workload']} {r['dtype']}" for r in report["results"]
              if r["meets_target"] is False]
    if missed and size == "full":
        print(f"tinygrad-ae bench: target missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``tinygrad-ae bench`` as a function: parse ``argv`` and :func:`run`."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-ae bench",
        description="Time tinygrad_ae against hand-written numpy (and PyTorch when "
                    "installed) on five workloads; losses are checked before times.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
