"""The benchmark workloads, each as hand-written numpy, tinygrad_ae and PyTorch.
"""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_ae import models, nn, optim
from tinygrad_ae.autograd.tensor import Tensor

Step = Callable[[], float]
"""One training step of a workload in one framework; returns the loss computed in it."""

FRAMEWORKS: tuple[str, ...] = ("numpy", "tinygrad_ae", "torch")
"""The frameworks, baseline first."""

TOLERANCES: dict[str, float] = {"float32": 1e-5, "float64": 1e-12}
"""Largest relative difference between two frameworks' losses that still counts as the
same answer: a few roundings of float32 (2⁻²⁴ ≈ 6e-8) and of float64 (2⁻⁵³ ≈ 1e-16)
across sums of up to two million terms (W7 at N = 10⁶), summed in different orders by
different BLAS and reductions."""

SIZES: tuple[str, ...] = ("full", "quick", "tiny")
"""Problem sizes: ``full`` is the issue's; ``quick`` a smoke run; ``tiny`` for tests."""

_SEED = 20240611


@dataclass(frozen=True)
class GoalKind:
    """What a workload's ``target`` limits: tinygrad_ae's median time divided by the median
    of the framework ``against``, both from the same interleaved repetitions; with
    ``per_op``, their difference per recorded op in µs instead. ``unit`` follows the
    number in the report ("≤ 2× PyTorch")."""

    against: str
    unit: str
    per_op: bool = False


GOALS: dict[str, GoalKind] = {
    "numpy": GoalKind("numpy", "× numpy"),
    "torch": GoalKind("torch", "× PyTorch"),
    "per_op": GoalKind("numpy", " µs per op above numpy", per_op=True),
    "gradient": GoalKind("tinygrad_ae gradient", "× its own gradient"),
}
"""The goal kinds a workload may declare, by name. ``gradient`` (W8: a Hessian-vector
product against one gradient of the same loss) needs the workload to build a step named
``"tinygrad_ae gradient"`` beside ``"tinygrad_ae"``; PyTorch's counterpart, when built, is
``"torch gradient"`` (see :class:`Workload`)."""


@dataclass(frozen=True)
class Workload:
    """One benchmark: its key (``"W1"``), a title, the sizes per ``SIZES`` entry, the
    target and the issue's PyTorch reference, and ``build(framework, dtype, size)``
    returning a :data:`Step`.

    ``goal`` (a key of :data:`GOALS`) says what ``target`` limits: a ratio to numpy (the
    default), to PyTorch, µs per op above numpy, or to the workload's own gradient.
    ``frameworks`` are the steps ``build`` makes, the reference first: before timing,
    each step's losses must equal the reference's (or, for a step named in
    ``check_against``, that framework's), and every ``ratio`` divides by the reference's
    median. A Hessian-vector product workload (W8) registers as one entry such as
    ``Workload("W8-mlp", ..., target=2.5, goal="gradient", frameworks=("numpy",
    "tinygrad_ae", "torch", "tinygrad_ae gradient", "torch gradient"), build=...)``,
    where ``build("tinygrad_ae gradient", …)`` makes the plain gradient step; when every
    step returns the loss, all are checked against numpy's, and ``check_against`` is only
    needed for steps that return something else.
    """

    key: str
    title: str
    sizes: Mapping[str, Mapping[str, Any]]
    target: float | None
    torch_reference: str
    build: Callable[[str, np.dtype, Mapping[str, Any]], Step]
    per_op: bool = False
    rtol: Mapping[str, float] | None = None  # a workload's own TOLERANCES, by dtype
    goal: str = "numpy"
    frameworks: tuple[str, ...] = FRAMEWORKS
    check_against: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        # Checked at registration, so a half-declared workload fails at import, not after
        # a long run.
        if self.goal not in GOALS:
            raise ValueError(f"Workload {self.key}: goal must be one of "
                             f"{', '.join(map(repr, GOALS))}, got {self.goal!r}")
        kind = GOALS[self.goal]
        if kind.per_op != self.per_op:
            raise ValueError(f"Workload {self.key}: per_op=True goes with goal='per_op' and "
                             f"only with it, got per_op={self.per_op}, goal={self.goal!r}")
        missing = [fw for fw in ("tinygrad_ae", kind.against, *(self.check_against or {}),
                                 *(self.check_against or {}).values())
                   if fw not in self.frameworks]
        if missing:
            raise ValueError(f"Workload {self.key}: frameworks {self.frameworks} must include "
                             f"{', '.join(map(repr, missing))} (its goal {self.goal!r} and "
                             f"its checks need them)")

    @property
    def reference(self) -> str:
        """The framework whose losses the others must reproduce and whose median every
        ``ratio`` divides by."""
        return self.frameworks[0]

    def reference_of(self, framework: str) -> str:
        """The framework whose losses ``framework`` must reproduce: the one
        ``check_against`` names, itself when it is named there as a reference, else the
        workload's reference."""
        against = self.check_against or {}
        if framework in against:
            return against[framework]
        return framework if framework in against.values() else self.reference

    def goal_text(self) -> str:
        """The goal as the report writes it: ``"≤ 1.5× numpy"``, ``"—"`` without one."""
        return "—" if self.target is None else f"≤ {self.target:g}{GOALS[self.goal].unit}"


# --- shared data and initialisation ------------------------------------------------------

def _torch_dtype(dtype: Any) -> Any:
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)]


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
    return training_step(model, X, optim.SGD(model.parameters(), lr=size["lr"]))


def training_step(model: Any, X: np.ndarray, opt: Any) -> Step:
    """One full-batch step of ``model`` on the paper's loss with optimizer ``opt``, as a
    user writes it (the tinygrad_ae side of W1p, W7 and W6)."""
    x = Tensor(X)

    def step() -> float:
        loss = nn.mse_loss(model(x), x, reduction="paper")
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_step(loss_of: Callable[[], Any], opt: Any) -> Step:
    """One PyTorch step as a user writes it: the loss ``loss_of()``, then zero_grad,
    backward and the optimizer's step (the PyTorch side of W1, W2, W3, W6 and W7)."""
    def step() -> float:
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())
    return step


def _w1_torch(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    import torch

    X, start = _w1_setup(dtype, size)
    p = {k: torch.tensor(v, dtype=_torch_dtype(dtype), requires_grad=True)
         for k, v in start.items()}
    opt = torch.optim.SGD(list(p.values()), lr=size["lr"])
    x = torch.from_numpy(X)
    n = X.shape[0]

    def loss_of() -> Any:
        x1, x2 = x[:, 0], x[:, 1]
        h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
        x_hat = torch.stack((p["w3"] * h + p["b2"], p["w4"] * h + p["b3"]), dim=1)
        return torch.nn.functional.mse_loss(x_hat, x, reduction="sum") / n
    return torch_step(loss_of, opt)


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
            a = a @ W.T
            a += b         # into the product's array: a second array costs its page faults
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
    return training_step(model, X, make_opt(params))


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

    return torch_step(lambda: torch.nn.functional.mse_loss(model(x), x, reduction="sum") / n,
                      opt)


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
from tinygrad_ae.studies.bench.workloads import _chain_forward
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


# --- W7: the narrowest autoencoder, LinearAutoencoder(2, 1), at large N ------------------
#
# Every array here is (N, 2) or (N,): numpy's generic reductions and its matmul with a
# transposed (1, 2) operand take slow paths for such skinny shapes, so the baseline is
# written with the calls that reach BLAS (gemv, dot) instead, as a careful numpy
# programmer would: the fastest correct numpy, not a mirror of the engine's calls.

def _w7_setup(dtype: np.dtype, size: Mapping[str, Any]
              ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(_SEED)
    X = rng.standard_normal((size["n_samples"], 2)) @ np.array([[2.0, 1.0], [0.0, 0.5]])
    layers = _uniform_init(rng, [2, 1, 2])
    return (np.ascontiguousarray(X, dtype=dtype),
            [(W.astype(dtype), b.astype(dtype)) for W, b in layers])


def _w7_numpy(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    X, ((W_e, b_e), (W_d, b_d)) = _w7_setup(dtype, size)
    w_e, w_d = W_e[0].copy(), W_d[:, 0].copy()      # (2,) and (2,): contiguous vectors
    b_e, b_d = b_e.copy(), b_d.copy()
    n, lr = X.shape[0], dtype.type(size["lr"])
    ones = np.ones(n, dtype=dtype)

    def step() -> float:
        nonlocal w_e, b_e, w_d, b_d
        h = X @ w_e + b_e                    # gemv, (N,)
        # x̂ = h w_dᵀ + b_d column by column: one strided 1-D pass per column, where the
        # (N, 1) @ (1, 2) product and numpy's broadcast bias add loop over rows two numbers
        # at a time (four times slower together; np.outer slower still).
        r = np.empty_like(X)
        for j in range(2):
            column = r[:, j]
            np.multiply(h, w_d[j], out=column)
            column += b_d[j]
        r -= X                               # x̂ − x
        flat = r.reshape(-1)
        # float64: one BLAS dot. float32: BLAS's sdot accumulates in float32 and drifts by
        # 1e-5 at N = 10⁶, so numpy's pairwise sum keeps the loss correct to float32.
        squares = np.dot(flat, flat) if dtype == np.float64 else np.square(flat).sum()
        loss = float(squares / dtype.type(n))
        r *= 2.0 / n                                     # ∂L/∂x̂, in place
        g_wd = h @ r                         # gemv: Σ_i h_i r_i
        g_bd = ones @ r                      # gemv: the fast column sum of an (N, 2) array
        gh = r @ w_d                         # gemv, (N,)
        g_we = gh @ X
        g_be = gh.sum()                      # a contiguous 1-D sum is fast
        w_e -= lr * g_we
        b_e = b_e - lr * g_be
        w_d -= lr * g_wd
        b_d -= lr * g_bd
        return loss
    return step


def _w7_ours(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    X, ((W_e, b_e), (W_d, b_d)) = _w7_setup(dtype, size)
    model = models.LinearAutoencoder(2, 1)
    for param, value in zip(model.parameters(), (W_e, b_e, W_d, b_d)):
        param.data = value.copy()
    return training_step(model, X, optim.SGD(model.parameters(), lr=size["lr"]))


def _w7_torch(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    import torch

    X, ((W_e, b_e), (W_d, b_d)) = _w7_setup(dtype, size)
    encoder, decoder = torch.nn.Linear(2, 1), torch.nn.Linear(1, 2)
    with torch.no_grad():
        for layer, (W, b) in ((encoder, (W_e, b_e)), (decoder, (W_d, b_d))):
            layer.weight = torch.nn.Parameter(torch.from_numpy(W.copy()))
            layer.bias = torch.nn.Parameter(torch.from_numpy(b.copy()))
    params = [*encoder.parameters(), *decoder.parameters()]
    opt = torch.optim.SGD(params, lr=size["lr"])
    x = torch.from_numpy(X)
    n = X.shape[0]

    return torch_step(
        lambda: torch.nn.functional.mse_loss(decoder(encoder(x)), x, reduction="sum") / n, opt)


def _w7_build(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    return {"numpy": _w7_numpy, "tinygrad_ae": _w7_ours, "torch": _w7_torch}[framework](
        dtype, size)


def _w7(n: int) -> Workload:
    return Workload(
        f"W7-{n:.0e}".replace("+0", ""),
        f"LinearAutoencoder(2, 1) at N={n:,}, full batch, SGD (narrow layers, large N)",
        {"full": {"n_samples": n, "lr": 0.05}, "quick": {"n_samples": n // 10, "lr": 0.05},
         "tiny": {"n_samples": 30, "lr": 0.05}},
        target=1.5, torch_reference="ahead of PyTorch at every N", build=_w7_build,
        # PyTorch's float32 gradients (column sums of 10⁶ rows accumulated in float32) drift
        # from float64's trajectory by 1e-4 in three steps at N = 10⁶, where numpy's pairwise
        # sums and the engine's stay within 1e-6: the same answer to float32's accuracy.
        rtol={"float32": 3e-4})


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
        target=2.5, torch_reference="—", build=_w1p_build),
    "W2": Workload(
        "W2", "64-32-8-32-64 tanh AE, batch 64, Adam",
        {"full": {"sizes_0": 64, "sizes_1": 32, "sizes_2": 8, "batch": 64, "lr": 0.001},
         "quick": {"sizes_0": 64, "sizes_1": 32, "sizes_2": 8, "batch": 64, "lr": 0.001},
         "tiny": {"sizes_0": 6, "sizes_1": 4, "sizes_2": 2, "batch": 5, "lr": 0.001}},
        target=1.4, torch_reference="3.8×",  # issue 18
        build=_mlp_workload("sizes", "tanh", "normal", "adam")),
    "W3": Workload(
        "W3", "784-256-64-256-784 ReLU AE, batch 256, SGD (momentum 0.9)",
        {"full": {"sizes_0": 784, "sizes_1": 256, "sizes_2": 64, "batch": 256,
                  "lr": 0.0005, "momentum": 0.9},
         "quick": {"sizes_0": 196, "sizes_1": 64, "sizes_2": 16, "batch": 64,
                   "lr": 0.0005, "momentum": 0.9},
         "tiny": {"sizes_0": 12, "sizes_1": 6, "sizes_2": 3, "batch": 7,
                  "lr": 0.0005, "momentum": 0.9}},
        target=1.05, torch_reference="1.09× (f64), 1.53× (f32)",  # issue 18
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
        target=2.0, torch_reference="6.6 µs/op", build=_w5_build, per_op=True,  # issue 18
        goal="per_op"),
    **{w.key: w for w in map(_w7, (10_000, 100_000, 1_000_000))},
}
"""Every workload, by key. W1p is reported beside W1 to show what the paper's literal
scalar form costs (many ops on 1000 numbers each); issue 18 set its target, 2.5×."""

MEMORY_TARGET = 300.0
"""W5: bytes of bookkeeping per recorded op (see :func:`chain_memory`)."""
