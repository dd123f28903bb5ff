"""A computational graph indexed by topological position, its expressions, and replay of
the forward pass for the gradient check.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tinygrad_ae.autograd import registry
from tinygrad_ae.autograd.engine import _fit_to_shape, grad, topological_order
from tinygrad_ae.autograd.tensor import Tensor

from ._format import (
    _FD_FLOOR,
    _FD_RTOL,
    _FD_RTOL_LOW_PRECISION,
    _FD_STEP,
    _MAX_EXPRESSION,
    _fmt,
    _format_param,
    _latex_name,
    _power_suffix,
)

# --- the graph, indexed by topological position -----------------------------------------

# How an unnamed intermediate is written in chain-rule text: template, the precedence of
# the result, and the least precedence each operand may have without parentheses
# (1: + −, 2: · / @, 3: Σ, 4: powers and postfix ᵀ, 5: names and function calls).
_EXPRESSIONS: dict[str, tuple[str, int, tuple[int, ...]]] = {
    "add": ("{a} + {b}", 1, (1, 1)),
    "sub": ("{a} − {b}", 1, (1, 2)),
    "mul": ("{a}·{b}", 2, (2, 3)),
    "div": ("{a}/{b}", 2, (2, 3)),
    "neg": ("−{x}", 2, (3,)),
    "matmul": ("{a} @ {b}", 2, (3, 3)),
    "linear": ("{x} @ {weight}ᵀ + {bias}", 1, (3, 5, 1)),
    "pow": ("{a}^{b}", 4, (5, 5)),
    "sum": ("Σ{x}", 3, (4,)),
    "transpose": ("{x}ᵀ", 4, (5,)),
    "getitem": ("{x}[{index}]", 5, (5,)),
    "exp": ("exp({x})", 5, (0,)),
    "log": ("ln({x})", 5, (0,)),
    "sqrt": ("√({x})", 5, (0,)),
    "abs": ("|{x}|", 5, (0,)),
    "relu": ("relu({x})", 5, (0,)),
    "tanh": ("tanh({x})", 5, (0,)),
    "sigmoid": ("σ({x})", 5, (0,)),
    "max": ("max({x})", 5, (0,)),
    "index_add": ("scatter({values})", 5, (0,)),
}
_TRANSPARENT = ("reshape", "broadcast_to", "astype")   # written as their input

# Op nodes: the symbol students know, the op's name under it.
_OP_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "xʸ",
    "matmul": "@", "sum": "Σ", "max": "max", "exp": "exp", "log": "ln", "sqrt": "√",
    "abs": "|x|", "relu": "relu", "tanh": "tanh", "sigmoid": "σ", "reshape": "reshape",
    "transpose": "ᵀ", "broadcast_to": "broadcast", "getitem": "[ ]", "index_add": "scatter",
    "astype": "cast", "linear": "xWᵀ+b",
}


def _names_of(names: Any) -> dict[int, str]:
    """``id(tensor) → name`` from a mapping name → Tensor or anything with
    ``named_parameters()`` (a model)."""
    if names is None:
        return {}
    items: Iterable[tuple[str, Any]]
    if hasattr(names, "named_parameters"):
        items = names.named_parameters()
    elif isinstance(names, Mapping):
        items = names.items()
    else:
        raise TypeError(
            f"names must be a model (anything with named_parameters()) or a mapping of "
            f"names to Tensors, got {type(names).__name__}"
        )
    return {id(t): str(n) for n, t in items if isinstance(t, Tensor)}


class _GraphIndex:
    """The graph under ``root`` as lists indexed by topological position (root last)."""

    def __init__(self, root: Tensor, names: Any = None) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"expected a Tensor as the root of the graph, got "
                            f"{type(root).__name__}")
        self.root = root
        self.order = topological_order(root)
        self.position = {id(t): i for i, t in enumerate(self.order)}
        self.inputs = [tuple(self.position[id(p)] for p in t.parents) for t in self.order]
        self.consumers: list[list[int]] = [[] for _ in self.order]
        for i, inputs in enumerate(self.inputs):
            for p in inputs:
                self.consumers[p].append(i)
        given = _names_of(names)
        self.names = [given.get(id(t)) or t.name or None for t in self.order]
        self.symbols = [self._symbol(i) for i in range(len(self.order))]

    def _symbol(self, i: int) -> str:
        t = self.order[i]
        if self.names[i]:
            return str(self.names[i])
        if self.is_constant(i) and t.size == 1:
            return _fmt(t.data.reshape(()))
        return f"t{i}"

    def is_constant(self, i: int) -> bool:
        t = self.order[i]
        return t._op is None and not t.requires_grad and not self.names[i]

    def find(self, wrt: Tensor | str, caller: str) -> int:
        """The position of ``wrt``: a Tensor in the graph, or the name of exactly one."""
        if isinstance(wrt, Tensor):
            i = self.position.get(id(wrt))
            if i is None or self.order[i] is not wrt:
                raise ValueError(
                    f"{caller}: the tensor {wrt.name or ''} of shape {wrt.shape} is not in "
                    f"the graph of the root, so the root does not depend on it"
                )
            return i
        if not isinstance(wrt, str):
            raise TypeError(f"{caller}: wrt must be a Tensor or a tensor's name, got "
                            f"{type(wrt).__name__}")
        matches = [i for i, name in enumerate(self.names) if name == wrt]
        if not matches:
            known = sorted({n for n in self.names if n})
            raise ValueError(
                f"{caller}: no tensor named {wrt!r} in the graph; its named tensors are "
                f"{', '.join(known) or '(none)'} (pass names=model for a model's parameters)"
            )
        if len(matches) > 1:
            raise ValueError(f"{caller}: {len(matches)} tensors are named {wrt!r}; pass the "
                             f"Tensor itself")
        return matches[0]

    def descendants(self, start: int) -> set[int]:
        """Positions of ``start`` and everything computed from it: since every node reaches
        the root, these are exactly the nodes on some path from ``start`` to the root."""
        marked = {start}
        for i in range(start + 1, len(self.order)):
            if any(p in marked for p in self.inputs[i]):
                marked.add(i)
        return marked

    def count_paths(self, start: int) -> int:
        counts = [0] * len(self.order)
        counts[start] = 1
        for i in range(start + 1, len(self.order)):
            counts[i] = sum(counts[p] for p in self.inputs[i])
        return counts[-1]

    def partial_names(self, i: int, symbol: list[str], wrap: bool) -> dict[str, str]:
        """Placeholders of the op that made tensor i: inputs, ``out`` and parameters."""
        t = self.order[i]
        entry = t._op
        assert entry is not None

        def fill(j: int) -> str:
            s = symbol[j]
            return f"({s})" if wrap and not _is_atomic(s) else s

        names = {name: fill(j) for name, j in zip(entry.inputs, self.inputs[i])}
        names["out"] = fill(i)
        for key, value in t.params.items():
            names[key] = _format_param(key, value)
        return names

    def local_partial(self, i: int, k: int, symbol: list[str] | None = None,
                      wrap: bool = True) -> str:
        """The symbolic ∂(tensor i)/∂(its input k), from the op registry."""
        entry = self.order[i]._op
        assert entry is not None
        try:
            text = entry.local_partial(k, self.partial_names(i, symbol or self.symbols, wrap))
        except (KeyError, IndexError, ValueError):
            return str(entry.partial[k])   # a template naming what we cannot fill
        return _untranspose(text)

    def local_partial_value(self, i: int, k: int) -> float | None:
        """∂(tensor i)/∂(input k) as a number, when both are single numbers: the vjp
        with g = 1."""
        t = self.order[i]
        parent = self.order[self.inputs[i][k]]
        if t.size != 1 or parent.size != 1:
            return None
        g = _vjp_input(t, np.ones_like(t.data), k)
        return None if g is None else float(np.asarray(g).reshape(()))

    def expressions(self) -> tuple[list[str], list[str]]:
        """How each tensor is written in chain-rule text, plain and LaTeX: its name, a
        constant's value, a short expression for an unnamed intermediate (``x1 − x̂1``),
        or else its id ``t<i>``, the one draw_graph shows."""
        texts: list[str] = []
        latex: list[str] = []
        precedence: list[int] = []
        for i, t in enumerate(self.order):
            base = self.symbols[i]
            text, latex_text, prec = base, _latex_name(base), (2 if base[0] == "-" else 5)
            if not self.names[i] and t._op is not None:
                inputs = self.inputs[i]
                made = _expression(t, [texts[p] for p in inputs],
                                   [precedence[p] for p in inputs])
                made_latex = _expression(t, [latex[p] for p in inputs],
                                         [precedence[p] for p in inputs])
                if made is not None and made_latex is not None and (
                        len(made[0]) <= _MAX_EXPRESSION):
                    text, prec = made
                    latex_text = made_latex[0]
            texts.append(text)
            latex.append(latex_text)
            precedence.append(prec)
        return texts, latex


def _is_atomic(text: str) -> bool:
    """A name, number or call: needs no parentheses inside a product."""
    if text.startswith("-") or text.startswith("−"):
        return False
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in " +−·/@":
            return False
    return True


_BUILTIN_NAMES: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()


def builtin_name(entry: Any) -> str | None:
    """The op's name if it is one of tinygrad_ae's own, else None. The drawings give
    some built-in ops a symbol or read their parameters (``sum``'s axis tuple); a user's
    op registered under the same name (``replace=True``) may take other parameters, so
    it is drawn by its plain name."""
    try:
        return _BUILTIN_NAMES[entry]
    except KeyError:
        name = entry.name if registry.is_builtin(entry) else None
        _BUILTIN_NAMES[entry] = name
        return name


def _expression(t: Tensor, operands: list[str], operand_prec: list[int]
                ) -> tuple[str, int] | None:
    entry = t._op
    assert entry is not None
    kind = builtin_name(entry)
    if kind in _TRANSPARENT:
        return operands[0], operand_prec[0]
    params = t.params
    needs: tuple[int, ...]
    if kind == "pow_scalar":
        template, prec, needs = "{x}" + _power_suffix(params["exponent"]), 4, (5,)
    elif kind in _EXPRESSIONS:
        template, prec, needs = _EXPRESSIONS[kind]
    else:
        return None
    filled = {}
    for name, text, have, need in zip(entry.inputs, operands, operand_prec, needs):
        filled[name] = f"({text})" if have < need else text
    for key, value in params.items():
        filled[key] = _format_param(key, value)
    try:
        return _untranspose(template.format(**filled)), prec
    except (KeyError, IndexError):
        return None


def _untranspose(text: str) -> str:
    """(Aᵀ)ᵀ = A: a postfix ᵀ applies to what stands just before it, so two in a row
    cancel (matmul's partial ``{b}ᵀ`` of a transposed weight ``Wᵀ``)."""
    while "ᵀᵀ" in text:
        text = text.replace("ᵀᵀ", "")
    return text


def _vjp_input(t: Tensor, g: np.ndarray, k: int) -> np.ndarray | None:
    """The cotangent of input k of tensor t's op for the output cotangent g, summed back
    to the input's shape (the engine's own helper), from the op's vjp."""
    entry = t._op
    assert entry is not None and entry.vjp_fn is not None
    # NOTE: the engine may carry a reduction's gradient smaller than its output (one
    # number for a whole vector); a vjp that reshapes (sum's, max's) needs it whole.
    g = np.broadcast_to(np.asarray(g), t.data.shape)
    args = [p.data for p in t.parents]
    params = t.params
    shape = t.data.shape
    # As the engine does: a reduction's smaller cotangent is made whole for an op that
    # does not broadcast it itself (stack, getitem, …).
    if g.shape != shape and (not entry.broadcasts or any(a.shape != shape for a in args)):
        g = np.broadcast_to(g, shape)
    if entry.takes_needs:
        needs = tuple(j == k for j in range(len(args)))
        grads = entry.vjp_fn(g, t.data, *args, needs=needs, **params)
    else:
        grads = entry.vjp_fn(g, t.data, *args, **params)
    result = grads[k]
    if result is None:
        return None
    result = np.asarray(result)
    shape = t.parents[k].data.shape
    if result.shape != shape:
        result = np.broadcast_to(np.asarray(_fit_to_shape(result, shape)), shape)
    return result


def _replay(index: _GraphIndex, leaves: Mapping[int, np.ndarray]) -> list[np.ndarray]:
    """Recompute every tensor of the graph from its op's forward and parameters, given
    the values of the leaves (``position → array``); the graph itself is not touched."""
    values: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for i, t in enumerate(index.order):
            if t._op is None:
                values.append(leaves[i])
            else:
                args = [values[p] for p in index.inputs[i]]
                values.append(np.asarray(t._op.forward(*args, **t.params)))
    return values


def _gradient_check(index: _GraphIndex) -> dict[int, tuple[bool, float]]:
    """For each leaf parameter: does the engine's gradient match float64 central
    differences of the root, and the worst relative error over its entries."""
    root = index.root
    if root.size != 1:
        raise ValueError(
            f"draw_graph(check=True): the root has shape {root.shape}, not a single number; "
            f"reduce it first (for example loss.sum())"
        )
    params = [i for i, t in enumerate(index.order) if t._op is None and t.requires_grad]
    if not params:
        return {}
    engine = grad(root, [index.order[i] for i in params])
    base = {i: np.array(t.data, dtype=np.float64)
            for i, t in enumerate(index.order) if t._op is None}
    scale = max(1.0, float(np.abs(_replay(index, base)[-1]).max()))
    rtol = _FD_RTOL.get(root.dtype, _FD_RTOL_LOW_PRECISION)
    results: dict[int, tuple[bool, float]] = {}
    for i, analytic in zip(params, engine):
        numeric = np.zeros_like(base[i])
        for j in np.ndindex(base[i].shape):
            shifted = []
            for step in (_FD_STEP, -_FD_STEP):
                leaf = base[i].copy()
                leaf[j] += step
                shifted.append(float(_replay(index, {**base, i: leaf})[-1].reshape(())))
            numeric[j] = (shifted[0] - shifted[1]) / (2 * _FD_STEP)
        a = np.asarray(analytic.data, dtype=np.float64)
        denominator = np.maximum(np.maximum(np.abs(a), np.abs(numeric)), _FD_FLOOR * scale)
        errors = np.abs(a - numeric) / denominator
        worst = float(np.nan_to_num(errors, nan=np.inf).max()) if errors.size else 0.0
        results[i] = (worst <= rtol, worst)
    return results


def _gradients(index: _GraphIndex) -> dict[int, np.ndarray]:
    """∂root/∂t for every tensor that requires grad, when the root is one number (one
    reverse pass of the engine; no ``.grad`` touched); otherwise the leaves' ``.grad``."""
    root = index.root
    wanted = [i for i, t in enumerate(index.order) if t.requires_grad]
    if root.size == 1 and root.requires_grad and wanted:
        found = grad(root, [index.order[i] for i in wanted])
        return {i: g.data for i, g in zip(wanted, found)}
    return {i: t.grad for i, t in enumerate(index.order)
            if t._op is None and t.grad is not None}
