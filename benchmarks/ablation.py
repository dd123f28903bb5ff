"""What each performance change is worth: undo one change at a time and measure.

Each ablation puts back, by monkeypatching, the code as it was before one change (the
old function bodies are copied below), and times the workloads it touches three ways,
interleaved in one process: hand-written numpy, tinygrad_ae as it is, and tinygrad_ae
without that change. The gain is the difference of the two ratios to numpy (and of the
times, in µs per step). float64, full sizes, medians of ``--repeats`` (default 7; the
table in docs/performance.md uses 15).

    python benchmarks/ablation.py --repeats 15 --update-doc docs/performance.md

The table it prints goes between the ``ablation`` markers of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from tinygrad_ae import Tensor, bench, engine, models, nn, ops, optim  # noqa: E402
from tinygrad_ae.autograd import _fast  # noqa: E402
from tinygrad_ae.autograd._fast import sum_rows  # noqa: E402
from tinygrad_ae.autograd.tensor import STATE  # noqa: E402

# --- the code before each change -------------------------------------------------------


def _old_mse_loss(x_hat: Any, x: Any, reduction: str = "paper") -> Tensor:
    prediction, target = nn.module._as_tensor(x_hat), nn.module._as_tensor(x)
    residual = target - prediction
    total = (residual * residual).sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / prediction.size
    return total / (prediction.shape[0] if prediction.ndim else 1)


def _old_accumulate(leaf: Tensor, g: Any, shared: set[int]) -> None:
    if not leaf.requires_grad:
        return
    if leaf.grad is None:
        if g.shape != leaf.data.shape:  # the old engine expanded it before it got here
            g = np.broadcast_to(g, leaf.data.shape)
        leaf.grad = np.array(g, dtype=leaf.data.dtype)
    else:
        np.add(leaf.grad, g, out=leaf.grad, casting="unsafe")


def _old_matmul_vjp(g: Any, out: Any, a: Any, b: Any, needs: Any = (True, True)) -> Any:
    if a.ndim == 1 or b.ndim == 1:
        return ops._matmul_vjp_with_vectors(g, a, b, needs)
    grad_a = g @ ops._swap_last(b) if needs[0] else None
    grad_b = ops._swap_last(a) @ g if needs[1] else None
    return grad_a, grad_b


def _old_transpose_vjp(g: Any, out: Any, x: Any, axes: Any) -> Any:
    return (g.transpose(*np.argsort(axes)),)


def _old_relu_vjp(g: Any, out: Any, x: Any) -> Any:
    return (g * (ops.value(x) > 0).astype(ops.value(x).dtype),)


def _old_call(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
    if not STATE.scope and not self._path:
        self._assign_paths()
    with nn.module._scope(self._path):
        return self.forward(*args, **kwargs)


def _old_sgd_step(self: optim.SGD) -> None:
    lr, momentum = self.lr, self.momentum
    for i, p in enumerate(self.params):
        g = p.grad
        if g is None:
            continue
        if momentum:
            buffer = self._buffers[i]
            if buffer is None:
                buffer = self._buffers[i] = np.array(g, dtype=p.data.dtype)
            else:
                buffer *= momentum
                buffer += (1.0 - self.dampening) * g
            g = buffer
        p.data -= lr * g


def _old_adam_step(self: optim.Adam) -> None:
    lr, (beta1, beta2), eps = self.lr, self.betas, self.eps
    for i, p in enumerate(self.params):
        g = p.grad
        if g is None:
            continue
        m, v = self._first[i], self._second[i]
        if m is None or v is None:
            m = self._first[i] = np.zeros_like(p.data)
            v = self._second[i] = np.zeros_like(p.data)
        self._steps[i] += 1
        t = self._steps[i]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        denominator = np.sqrt(v)
        denominator /= np.sqrt(1.0 - beta2 ** t)
        denominator += eps
        p.data -= (lr / (1.0 - beta1 ** t)) * (m / denominator)


def _old_paper_forward(self: models.PaperAutoencoder, x: Any) -> Tensor:
    x = models.autoencoders._paper_input(x, "PaperAutoencoder")
    _, _, _, x_hat1, x_hat2 = self._equations(x)
    n = x.shape[0]
    with self.named_scope("decoder"):
        unit = np.eye(2, dtype=x_hat1.dtype)
        x_hat = x_hat1.reshape(n, 1) * unit[0] + x_hat2.reshape(n, 1) * unit[1]
    x_hat.name = "x̂"
    return x_hat


def _old_linear(x: Any, weight: Any, bias: Any) -> Any:
    return x @ weight.T + bias


def _old_propagate(roots: Any, seeds: Any, create_graph: bool, targets: Any) -> Any:
    # The walk before the consumer counts: topological_order first, then its reverse, with
    # every gradient kept in pending, the inputs gathered by a list comprehension and needs
    # passed by keyword.
    order = engine.topological_order(roots, grad_only=True)
    pending: dict[int, Any] = {}
    for root, seed in zip(roots, seeds):
        previous = pending.get(id(root))
        pending[id(root)] = seed if previous is None else previous + seed
    shared: set[int] = set() if create_graph else {id(engine._owner(s)) for s in seeds}
    captured: dict[int, Any] = {}
    anomaly, mutations = STATE.anomaly, STATE.mutations
    for node in reversed(order):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if targets is not None and id(node) in targets:
            captured[id(node)] = engine._expand(g, node.data.shape)
        entry = node._op
        if entry is None:
            if targets is None:
                engine._accumulate(node, g, shared)
            continue
        if node._stamp != mutations:
            engine.check_unchanged(node)
        parents = node._parents
        shape = node.data.shape
        if g.shape != shape and (not entry.broadcasts
                                 or any(p.data.shape != shape for p in parents)):
            g = engine._expand(g, shape)
        args, out = (parents, node) if create_graph else ([p.data for p in parents], node.data)
        params = node._params
        if entry.takes_needs:
            needs = tuple([p.requires_grad for p in parents])
            grads = (entry.vjp_fn(g, out, *args, needs=needs) if params is None
                     else entry.vjp_fn(g, out, *args, needs=needs, **params))
        elif params is None:
            grads = entry.vjp_fn(g, out, *args)
        else:
            grads = entry.vjp_fn(g, out, *args, **params)
        passed_on = 0
        for parent, grad_input in zip(parents, grads):
            if grad_input is None or not parent.requires_grad:
                continue
            if grad_input is g:
                passed_on += 1
            shape = parent.data.shape
            if grad_input.shape != shape and (grad_input.size > 1 or grad_input.ndim > len(shape)):
                grad_input = engine._fit_to_shape(grad_input, shape)
            if anomaly and not np.isfinite(grad_input.data if create_graph
                                           else grad_input).all():
                raise FloatingPointError("detect_anomaly")
            key = id(parent)
            previous = pending.get(key)
            pending[key] = grad_input if previous is None else previous + grad_input
        if passed_on > 1 and not create_graph:
            shared.add(id(engine._owner(g)))
    return captured


def _old_linear_vjp(g: Any, out: Any, x: Any, weight: Any, bias: Any,
                    needs: Any = (True, True, True)) -> Any:
    rows = g.reshape(-1, weight.shape[0])
    grad_x = g @ weight if needs[0] else None
    grad_weight = rows.T @ x.reshape(-1, weight.shape[1]) if needs[1] else None
    grad_bias = None
    if needs[2]:
        grad_bias = sum_rows(rows) if isinstance(rows, np.ndarray) else rows.sum(axis=0)
    return grad_x, grad_weight, grad_bias


def _old_sum(x: Any, *, axis: Any, keepdims: bool) -> Any:
    return x.sum(axis=axis, keepdims=keepdims)


_UNARY = ("neg", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid")


def _generic_unary(name: str) -> Callable[[Tensor], Tensor]:
    entry = ops.REGISTRY[name]
    return lambda self: entry(self)


# --- patching --------------------------------------------------------------------------


@contextlib.contextmanager
def _patched(pairs: list[tuple[Any, str, Any]]) -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in pairs]
    for owner, name, value in pairs:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def _arith(attribute: str, value: Any) -> list[tuple[Any, str, Any]]:
    return [(ops.REGISTRY[n], attribute, value) for n in ("add", "sub", "mul", "div", "pow")]


ABLATIONS: list[tuple[str, list[str], Callable[[], list[tuple[Any, str, Any]]]]] = [
    ("mse_loss as (x̂ − x)² in one op (was (x − x̂)·(x − x̂))", ["W1", "W3", "W4"],
     lambda: [(nn, "mse_loss", _old_mse_loss), (bench.workloads.nn, "mse_loss", _old_mse_loss)]),
    ("arithmetic vjps skip inputs that need no gradient", ["W4", "W5"],
     lambda: _arith("takes_needs", False)),
    ("a sum's gradient stays one number through elementwise ops", ["W4", "W5"],
     lambda: [(entry, "broadcasts", False) for entry in ops.all_ops()]),
    ("a leaf adopts a fresh gradient instead of copying it", ["W2", "W3"],
     lambda: [(engine, "_accumulate", _old_accumulate)]),
    ("matmul vjp returns W's gradient C-contiguous, (gᵀx)ᵀ", ["W3"],
     lambda: [(ops.REGISTRY["matmul"], "vjp_fn", _old_matmul_vjp)]),
    ("transpose vjp inverts the permutation in Python (was np.argsort)", ["W2"],
     lambda: [(ops.REGISTRY["transpose"], "vjp_fn", _old_transpose_vjp)]),
    ("ReLU vjp multiplies by the boolean mask (was a float copy)", ["W3"],
     lambda: [(ops.REGISTRY["relu"], "vjp_fn", _old_relu_vjp)]),
    ("Module call: no tree walk per call, no generator context manager", ["W1", "W2"],
     lambda: [(nn.Module, "__call__", _old_call)]),
    ("SGD without dampening adds g itself", ["W3"],
     lambda: [(optim.SGD, "step", _old_sgd_step)]),
    ("Adam: all parameters at once, through scratch arrays (was one at a time)", ["W2"],
     lambda: [(optim.Adam, "step", _old_adam_step)]),
    ("… of which: all parameters at once", ["W2"],
     lambda: [(optim.Adam, "_step_all_at_once", lambda self: False)]),
    ("unary ops' fast path (x.tanh(), -x)", ["W2", "W5"],
     lambda: [(Tensor, n if n != "neg" else "__neg__", _generic_unary(n)) for n in _UNARY]),
    ("PaperAutoencoder: x̂ by one stack node (was x̂1 e1 + x̂2 e2, five nodes)", ["W1p"],
     lambda: [(models.PaperAutoencoder, "forward", _old_paper_forward)]),
    ("linear adds its bias in place; on narrow outputs by columns (was x @ Wᵀ + b)",
     ["W7-1e4", "W7-1e5", "W7-1e6", "W1", "W4", "W3"],
     lambda: [(ops.REGISTRY["linear"], "forward", _old_linear)]),
    ("… of which: narrow outputs by columns", ["W7-1e4", "W7-1e5", "W7-1e6"],
     lambda: [(_fast, "_MANY", 2**62)]),
    ("backward finds its order as it walks (consumer counts; was topological_order first)",
     ["W5", "W8-mlp"], lambda: [(engine, "_propagate", _old_propagate)]),
    ("… of which: a vjp's needs passed by position", ["W5"],
     lambda: [(entry, "needs_next", False) for entry in ops.all_ops() if entry.needs_next]),
    ("linear vjp: no reshape of a flat batch (two nodes fewer per layer for an HVP)",
     ["W8-mlp", "W8-paper"], lambda: [(ops.REGISTRY["linear"], "vjp_fn", _old_linear_vjp)]),
    ("sum over axis 0 of a tall, skinny array column by column (an HVP's bias gradient)",
     ["W8-paper"], lambda: [(ops.REGISTRY["sum"], "forward", _old_sum)]),
]


def measure(workload: str, patches: Callable[[], list[tuple[Any, str, Any]]],
            repeats: int) -> tuple[float, float, float]:
    """Median seconds per step: numpy, tinygrad_ae now, tinygrad_ae without the change."""
    numpy_step = bench.build_step(workload, "numpy")
    ours = bench.build_step(workload, "tinygrad_ae")
    with _patched(patches()):
        before = bench.build_step(workload, "tinygrad_ae")
    warm = bench.harness._time_block(numpy_step, 2)[0]
    per_block = max(1, min(1000, round(0.05 / max(warm, 1e-9))))
    samples: list[list[float]] = [[], [], []]
    gc.collect()
    gc.freeze()
    try:
        for _ in range(repeats):
            samples[0].append(bench.harness._time_block(numpy_step, per_block)[0])
            samples[1].append(bench.harness._time_block(ours, per_block)[0])
            with _patched(patches()):
                samples[2].append(bench.harness._time_block(before, per_block)[0])
    finally:
        gc.unfreeze()
    return statistics.median(samples[0]), statistics.median(samples[1]), statistics.median(
        samples[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--update-doc", metavar="PATH")
    parser.add_argument("--only", metavar="TEXT", default="",
                        help="run only the changes whose title contains TEXT")
    args = parser.parse_args(argv)
    lines = ["| change | workload | ratio to numpy without it | with it | gain per step |",
             "| --- | --- | --- | --- | --- |"]
    start = time.perf_counter()
    for title, workloads, patches in ABLATIONS:
        if args.only not in title:
            continue
        for workload in workloads:
            base, now, before = measure(workload, patches, args.repeats)
            lines.append(f"| {title} | {workload} | {before / base:.2f}× | {now / base:.2f}× "
                         f"| {(before - now) * 1e6:.0f} µs ({(before - now) / before:.0%}) |")
            print(lines[-1], flush=True)
    lines.append("")
    command = "python benchmarks/ablation.py" + (
        f" --repeats {args.repeats}" if args.repeats != 7 else "") + (
        f" --update-doc {args.update_doc}" if args.update_doc else "")
    lines.append(f"float64, full sizes, medians of {args.repeats} interleaved repetitions "
                 f"({time.perf_counter() - start:.0f} s); `{command}`.")
    if args.update_doc:
        bench.update_doc(args.update_doc, "\n".join(lines), block="ablation")
        print(f"updated {args.update_doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
