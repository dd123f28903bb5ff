"""Pictures of the chain rule: draw_graph, draw_network, chain_rule, render.

Layer: the top of the engine stack. Imports numpy, the ``graphviz`` package, and ``tensor``
and ``engine`` of ours (each op's registry entry, from ``ops``, is reached through the tensor
it made); models are recognised by duck typing (``hasattr``), so ``nn`` and ``models`` are
never imported. viz *reads* the graph and never changes it: no
``.grad`` is written and no node is recorded (gradients shown in a drawing come from
:func:`tinygrad_ae.engine.grad`, which touches no ``.grad``).

Every drawing is a ``graphviz.Digraph``: pure data whose DOT text (``graph.source``) is what
the tests read. Only :func:`render` runs Graphviz (``dot`` lays out computational graphs;
network diagrams come with every node pinned, for ``neato``). In Jupyter a Digraph
shows itself inline as the last value of a cell (it has ``_repr_mimebundle_``; that also
needs ``dot``).

Node ids are positions in :func:`tinygrad_ae.engine.topological_order`, never ``id()``:
tensor number i is ``t<i>`` and the op that made it ``op<i>``, so one model always draws the
same DOT text. A tensor without a ``name`` is shown by that id (``t7``), an unnamed constant
number by its value (``3``). Every formula on an edge is the op's registered partial
(``ops.Op.local_partial``) written in the tensors' own names: the op table is the one source
of every formula a student sees.

>>> from tinygrad_ae import Tensor
>>> w = Tensor(0.5, requires_grad=True, name="w")
>>> x = Tensor(2.0, name="x")
>>> y = w * x
>>> y.name = "y"
>>> print(chain_rule(y, "w"))
∂y/∂w = x
      = 2
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from ._files import write_atomically
from .engine import _fit_to_shape, grad, topological_order
from .tensor import Tensor

__all__ = [
    "draw_graph", "draw_network", "chain_rule", "render",
    "ChainRule", "ChainTerm", "Edge", "GraphvizNotFound", "FORMATS",
]

FORMATS = ("svg", "png", "pdf", "dot")
"""The formats :func:`render` writes."""

MAX_PATHS = 64
"""Default cap on the number of chain-rule paths :func:`chain_rule` writes out."""

_FONT = "DejaVu Sans"   # has ∂, ∇, Σ, the combining hat of x̂ and ✓/✗, unlike Helvetica
_HIGHLIGHT = "#d62728"  # red: the chain-rule paths of draw_graph(highlight=...)
_PASS_FILL = "#c7e9c0"  # green: gradient check passed
_FAIL_FILL = "#fcbba1"  # red-orange: gradient check failed
_PARAM_FILL = "#fff2cc"
_DATA_FILL = "#eeeeee"
_ROOT_FILL = "#dbe9f6"
_MUTED = "#555555"

# Gradient check (draw_graph(check=True)): central differences in float64 with step h.
# Truncation grows like h², rounding like 1e-16·|L|/h, so h = 1e-6 leaves ~1e-10·|L|.
_FD_STEP = 1e-6
# The relative error is taken against max(|engine|, |numeric|, floor) with
# floor = _FD_FLOOR·max(1, |L|): gradients far below the loss's own scale are not
# resolved by differences of L, and must not turn the node red by noise alone.
_FD_FLOOR = 1e-3
# A float64 graph agrees to ~1e-10 relative; a float32 one only to its own rounding.
_FD_RTOL = {np.dtype(np.float64): 1e-5}
_FD_RTOL_LOW_PRECISION = 1e-2

# Longest expression written for an unnamed intermediate in chain_rule text; beyond it the
# tensor is called by its id (t7), which draw_graph shows on its node.
_MAX_EXPRESSION = 28


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is not installed, so a picture could not be drawn.

    The message gives the install command; the DOT source was written beside the picture.

    >>> issubclass(GraphvizNotFound, RuntimeError)
    True
    """


# --- numbers and names ------------------------------------------------------------------

def _fmt(x: Any) -> str:
    """A number to four significant digits; ``-0`` prints as ``0``."""
    value = float(x)
    if value == 0:
        return "0"
    if not np.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _fmt_signed_sum(values: list[str]) -> str:
    """``['1', '-2', '3']`` → ``1 − 2 + 3``."""
    text = ""
    for i, v in enumerate(values):
        negative = v.startswith("-")
        body = v[1:] if negative else v
        if i == 0:
            text = f"−{body}" if negative else body
        else:
            text += f" − {body}" if negative else f" + {body}"
    return text


def _format_array(a: np.ndarray, max_entries: int, line_break: str = " ") -> str:
    """Small arrays in full (``[1, 2, 3]``), larger ones as a summary."""
    if a.size == 1:
        return _fmt(a.reshape(()))
    if a.size > max_entries or a.ndim > 2:
        return (f"mean {_fmt(a.mean())}, range {_fmt(a.min())} … {_fmt(a.max())}"
                if a.size else "(empty)")
    if a.ndim == 1:
        return "[" + ", ".join(_fmt(v) for v in a) + "]"
    rows = ["[" + ", ".join(_fmt(v) for v in row) + "]" for row in a]
    return "[" + ("," + line_break).join(rows) + "]"


def _format_shape(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(n) for n in shape) + ")"


def _format_index(index: Any) -> str:
    """A normalised numpy index as it would be typed: ``(slice(None), 0)`` → ``:, 0``."""
    parts = index if isinstance(index, tuple) else (index,)

    def one(part: Any) -> str:
        if isinstance(part, slice):
            pieces = ["" if v is None else str(v) for v in (part.start, part.stop, part.step)]
            return ":".join(pieces[:2]) + (f":{pieces[2]}" if part.step is not None else "")
        if part is Ellipsis:
            return "…"
        if isinstance(part, np.ndarray):
            return str(part.tolist()) if part.size <= 4 else f"<array {part.shape}>"
        return str(part)

    return ", ".join(one(p) for p in parts)


def _format_param(name: str, value: Any) -> str:
    if name == "index":
        return _format_index(value)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


_SUPERSCRIPTS = {2: "²", 3: "³", 4: "⁴"}


def _power_suffix(exponent: Any) -> str:
    p = float(exponent)
    if p.is_integer() and int(p) in _SUPERSCRIPTS:
        return _SUPERSCRIPTS[int(p)]
    return f"^{p:g}"


def _latex_name(name: str) -> str:
    """``w1`` → ``w_{1}``, ``x̂1`` → ``\\hat{x}_{1}``, ``W_e`` → ``W_{e}``, other names
    upright (``\\mathrm{encoder.weight}``)."""
    match = (re.fullmatch(r"([A-Za-z])(\u0302?)(\d*)", name)
             or re.fullmatch(r"([A-Za-z])(\u0302?)_([A-Za-z0-9]+)", name))
    if match:
        letter, hat, sub = match.groups()
        base = rf"\hat{{{letter}}}" if hat else letter
        return f"{base}_{{{sub}}}" if sub else base
    if re.fullmatch(r"-?[0-9.e+-]+", name):
        return name
    escaped = re.sub(r"([_%&#$])", r"\\\1", name).replace("\u0302", "")
    return rf"\mathrm{{{escaped}}}"


_LATEX_SYMBOLS = [
    ("−", "-"), ("·", r"\cdot "), ("²", "^{2}"), ("³", "^{3}"), ("⁴", "^{4}"),
    ("ᵀ", r"^{\top}"), ("Σ", r"\sum "), ("σ", r"\sigma"), ("√", r"\sqrt"), ("…", r"\dots"),
    ("ln ", r"\ln "), ("ln(", r"\ln("), ("exp(", r"\exp("), ("tanh(", r"\tanh("),
    ("max(", r"\max("), ("1[", r"\mathbb{1}["),
]


def _latex_ops(text: str) -> str:
    for symbol, latex in _LATEX_SYMBOLS:
        text = text.replace(symbol, latex)
    # Exponents as LaTeX groups: x^(-0.5) → x^{-0.5}, x^1.5 → x^{1.5}.
    text = re.sub(r"\^\(([^()]*)\)", r"^{\1}", text)
    return re.sub(r"\^(-?[0-9.]+)", r"^{\1}", text)


def _h(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return html.escape(text, quote=False)


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


def _expression(t: Tensor, operands: list[str], operand_prec: list[int]
                ) -> tuple[str, int] | None:
    entry = t._op
    assert entry is not None
    if entry.name in _TRANSPARENT:
        return operands[0], operand_prec[0]
    params = t.params
    needs: tuple[int, ...]
    if entry.name == "pow_scalar":
        template, prec, needs = "{x}" + _power_suffix(params["exponent"]), 4, (5,)
    elif entry.name in _EXPRESSIONS:
        template, prec, needs = _EXPRESSIONS[entry.name]
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
    args = [p.data for p in t.parents]
    params = t.params
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
    return result if result.shape == shape else np.asarray(_fit_to_shape(result, shape))


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


# --- draw_graph ---------------------------------------------------------------------------

def _tensor_label(index: _GraphIndex, i: int, show_values: bool, grads: dict[int, np.ndarray],
                  check: tuple[bool, float] | None, max_entries: int, bold: bool) -> str:
    t = index.order[i]
    name = _h(index.symbols[i])
    if bold:
        name = f"<B>{name}</B>"
    if index.is_constant(i) and t.size == 1:
        return f"<{name}>"
    rows = [(name, f'<FONT POINT-SIZE="9" COLOR="{_MUTED}">{_format_shape(t.shape)}</FONT>')]
    data = np.asarray(t.data)
    summarise = data.size > max_entries or data.ndim > 2
    if show_values:
        if summarise:
            rows.append(("mean", _fmt(data.mean()) if data.size else "–"))
            rows.append(("range", (f"{_fmt(data.min())} … {_fmt(data.max())}"
                                   if data.size else "–")))
        else:
            rows.append(("value", _html_array(data, max_entries)))
    g = grads.get(i)
    if g is not None:
        g = np.asarray(g)
        if summarise:
            rows.append(("‖grad‖", _fmt(np.sqrt(np.sum(np.square(g, dtype=np.float64))))))
        else:
            rows.append(("grad", _html_array(g, max_entries)))
    if check is not None:
        ok, worst = check
        rows.append(("check", f"{'✓' if ok else '✗'} rel. err {worst:.1e}"))
    cells = "".join(
        f'<TR><TD ALIGN="LEFT">{left}</TD><TD ALIGN="LEFT">{right}</TD></TR>'
        for left, right in rows
    )
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f"{cells}</TABLE>>")


def _html_array(a: np.ndarray, max_entries: int) -> str:
    """A small array for an HTML-like label: a matrix one row per line."""
    return "<BR ALIGN=\"LEFT\"/>".join(
        _h(row) for row in _format_array(a, max_entries, "\n").split("\n"))


def _op_label(t: Tensor) -> str:
    entry = t._op
    assert entry is not None
    params = t.params
    detail = entry.name
    if entry.name == "pow_scalar":
        symbol = "x" + _power_suffix(params["exponent"])
    elif entry.name == "getitem":
        symbol = f"[{_format_index(params['index'])}]"
    else:
        symbol = _OP_SYMBOLS.get(entry.name, entry.name)
    if entry.name in ("sum", "max") and params.get("axis") is not None:
        detail += f" axis={params['axis'][0] if len(params['axis']) == 1 else params['axis']}"
    elif entry.name == "transpose":
        detail += f" {params['axes']}"
    elif entry.name in ("reshape", "broadcast_to"):
        detail += f" {params['shape']}"
    return (f'<<FONT POINT-SIZE="14">{_h(symbol)}</FONT><BR/>'
            f'<FONT POINT-SIZE="8" COLOR="{_MUTED}">{_h(detail)}</FONT>>')


def _scope_of(index: _GraphIndex, i: int) -> str:
    """Where a node is drawn: op results in their op's scope; a parameter or constant
    without a scope of its own in the one scope all of its consumers share, if any."""
    t = index.order[i]
    if t._op is not None or t.scope:
        return t.scope
    if not (t.requires_grad or index.is_constant(i)):
        return ""                 # data belongs to no module
    scopes = {index.order[c].scope for c in index.consumers[i]}
    return scopes.pop() if len(scopes) == 1 else ""


def _layering_hints(index: _GraphIndex) -> list[tuple[int, int]]:
    """Invisible edges (data tensor → parameter) that keep module boxes apart.

    ``dot`` puts a parameter as close as it can to the op that uses it, so the weight of a
    layer (and its transpose) would sit beside the previous layer's box and push the
    boxes side by side. For an op whose input from outside its module meets an input
    computed from parameters alone, the parameters are asked to come after that outside
    input: the boxes then follow one another down the page.
    """
    own = [False] * len(index.order)     # computed from parameters and constants alone
    leaves: list[set[int]] = [set() for _ in index.order]
    for i, t in enumerate(index.order):
        if t._op is None:
            own[i] = t.requires_grad or index.is_constant(i)
            leaves[i] = {i} if t.requires_grad else set()
        else:
            own[i] = all(own[p] for p in index.inputs[i])
            leaves[i] = set().union(*(leaves[p] for p in index.inputs[i])) if own[i] else set()
    hints: list[tuple[int, int]] = []
    for i, t in enumerate(index.order):
        if t._op is None or own[i]:
            continue
        outside = [p for p in index.inputs[i]
                   if not own[p] and index.order[p]._op is not None
                   and _scope_of(index, p) != _scope_of(index, i)]
        for p in outside:
            for q in index.inputs[i]:
                hints.extend((p, leaf) for leaf in sorted(leaves[q])
                             if own[q] and _scope_of(index, leaf) == _scope_of(index, i))
    return sorted(set(hints))


class _ScopeTree:
    """Clusters nested by dotted scope: ``decoder.0`` inside ``decoder``."""

    def __init__(self, scope: str = "") -> None:
        self.scope = scope
        self.nodes: list[tuple[str, dict[str, str]]] = []
        self.children: dict[str, _ScopeTree] = {}

    def at(self, scope: str) -> _ScopeTree:
        tree = self
        if not scope:
            return tree
        parts = scope.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name not in tree.children:
                tree.children[name] = _ScopeTree(name)
            tree = tree.children[name]
        return tree

    def emit(self, graph: graphviz.Digraph) -> None:
        for node_id, attrs in self.nodes:
            graph.node(node_id, **attrs)
        for child in self.children.values():
            with graph.subgraph(name=f"cluster_{child.scope}") as sub:
                sub.attr(label=child.scope, labeljust="l", style="rounded,dashed",
                         color="#888888", fontcolor="#444444", fontsize="12")
                child.emit(sub)


def draw_graph(
    root: Tensor,
    show_values: bool = True,
    show_grads: bool = True,
    highlight: Tensor | str | None = None,
    edge_labels: bool = True,
    clusters: bool = True,
    rankdir: str = "LR",
    max_value_entries: int = 4,
    check: bool = False,
    names: Any = None,
) -> graphviz.Digraph:
    """The computational graph under ``root`` as a ``graphviz.Digraph`` (pure data; see
    :func:`render` to draw it, or show it inline in Jupyter).

    Tensors are boxes: name (or ``t<i>``, their position in topological order), shape,
    and, for tensors of at most ``max_value_entries`` numbers, value and gradient; larger
    ones show mean and range, and the gradient's norm. Gradients are ∂root/∂tensor from
    one reverse pass of the engine when the root is one number (no ``.grad`` is touched),
    otherwise the leaves' ``.grad``. Parameters are yellow, data grey, the root blue.
    Ops are ellipses with their symbol. Each edge input → op carries the op's local
    partial ∂out/∂input in the tensors' names (``∂t5/∂h = w3``), and its value when both
    are single numbers.

    ``highlight`` (a Tensor, or a name) marks in red exactly the nodes and edges on a path
    from it to the root: the terms of the chain-rule sum for ∂root/∂highlight.
    ``clusters`` groups the ops of each module (``Tensor.scope``) in a box, ``decoder.0``
    inside ``decoder``. ``check=True`` compares each parameter's engine gradient with
    float64 central differences of the root (re-running the graph's forward) and colours
    the parameter green or red with the worst relative error. ``names`` (a model, or a
    mapping name → Tensor) names tensors that have no ``name`` of their own, such as the
    weights of an ``nn.Linear``.

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(3.0, requires_grad=True, name="w")
    >>> x = Tensor(2.0, name="x")
    >>> L = w * x
    >>> L.name = "L"
    >>> dot = draw_graph(L, highlight="w")
    >>> "∂L/∂w = x" in dot.source and "= 2" in dot.source
    True
    >>> dot.source == draw_graph(L, highlight="w").source     # stable ids
    True
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of 'LR', 'TB', 'RL', 'BT', "
                         f"got {rankdir!r}")
    if max_value_entries < 1:
        raise ValueError(f"draw_graph: max_value_entries must be at least 1, got "
                         f"{max_value_entries}")
    index = _GraphIndex(root, names)
    order = index.order
    marked: set[int] = set()
    title = ""
    if highlight is not None:
        start = index.find(highlight, "draw_graph")
        marked = index.descendants(start)
        n_paths = index.count_paths(start)
        title = (f"red: the {n_paths} path{'s' if n_paths != 1 else ''} from "
                 f"{index.symbols[start]} to {index.symbols[-1]}, one term each of "
                 f"∂{index.symbols[-1]}/∂{index.symbols[start]}")
    grads = _gradients(index) if show_grads else {}
    checks = _gradient_check(index) if check else {}

    graph = graphviz.Digraph(name="computational_graph")
    graph.attr(rankdir=rankdir, fontname=_FONT, nodesep="0.25", ranksep="0.35",
               newrank="true")
    if title:
        graph.attr(label=title, labelloc="t", fontcolor=_HIGHLIGHT, fontsize="13")
    graph.attr("node", fontname=_FONT, fontsize="11", margin="0.08,0.04")
    graph.attr("edge", fontname=_FONT, fontsize="9", fontcolor="#333333", color="#555555",
               arrowsize="0.7")
    tree = _ScopeTree()
    for i, t in enumerate(order):
        scope = _scope_of(index, i) if clusters else ""
        on_path = i in marked
        if t._op is not None:
            attrs = {"label": _op_label(t), "shape": "ellipse", "margin": "0.02,0.02"}
            if on_path and i != min(marked):
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            tree.at(scope).nodes.append((f"op{i}", attrs))
        fill = "white"
        if t._op is None:
            fill = _PARAM_FILL if t.requires_grad else _DATA_FILL
        if i == len(order) - 1:
            fill = _ROOT_FILL
        if i in checks:
            fill = _PASS_FILL if checks[i][0] else _FAIL_FILL
        attrs = {
            "label": _tensor_label(index, i, show_values, grads, checks.get(i),
                                   max_value_entries, on_path),
            "shape": "box", "style": "rounded,filled", "fillcolor": fill,
        }
        if index.is_constant(i) and t.size == 1:
            attrs.update(style="filled", fillcolor=_DATA_FILL, fontsize="10",
                         width="0.3", height="0.25")
        if i == len(order) - 1:
            attrs["peripheries"] = "2"
        if on_path:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        tree.at(scope).nodes.append((f"t{i}", attrs))
    tree.emit(graph)

    if clusters:
        for data, leaf in _layering_hints(index):
            graph.edge(f"t{data}", f"t{leaf}", style="invis")
    start = min(marked) if marked else -1
    for i, t in enumerate(order):
        if t._op is None:
            continue
        inputs = index.inputs[i]
        for k, p in enumerate(inputs):
            attrs = {}
            if edge_labels and p not in inputs[:k]:
                attrs["label"] = _edge_label(index, i, p)
            if p in marked and i != start:
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            graph.edge(f"t{p}", f"op{i}", **attrs)
        attrs = {}
        if i in marked and i != start:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        graph.edge(f"op{i}", f"t{i}", **attrs)
    return graph


def _edge_label(index: _GraphIndex, i: int, p: int) -> str:
    """``∂out/∂in = partial`` (and its value for single numbers) for the edge from tensor
    p into the op that made tensor i. An input used twice (x·x) gets one label listing
    both partials by the op's input names, since dot would stack two labels on each other.
    """
    entry = index.order[i]._op
    assert entry is not None
    slots = [k for k, q in enumerate(index.inputs[i]) if q == p]
    partials = [index.local_partial(i, k) for k in slots]
    numbers = [index.local_partial_value(i, k) for k in slots]
    if len(slots) > 1:
        partials = [f"{text} (as {entry.inputs[k]})" for text, k in zip(partials, slots)]
    label = _h(f"∂{index.symbols[i]}/∂{index.symbols[p]} = {', '.join(partials)}")
    if all(n is not None for n in numbers):
        label += "<BR/>= " + ", ".join(_fmt(n) for n in numbers)
    return f"<{label}>"


# --- chain_rule ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Edge:
    """One edge of the graph, from ``source`` (an input) into the op that made ``target``:
    its ``input_index`` among that op's inputs, and the symbolic local partial
    ∂target/∂source in the tensors' names.

    >>> from tinygrad_ae import Tensor
    >>> a, b = Tensor(2.0, requires_grad=True, name="a"), Tensor(5.0, name="b")
    >>> c = a * b
    >>> c.name = "c"
    >>> print(chain_rule(c, "a").paths[0][0])
    ∂c/∂a = b
    """

    source: Tensor
    target: Tensor
    input_index: int
    source_name: str
    target_name: str
    partial: str

    def __str__(self) -> str:
        return f"∂{self.target_name}/∂{self.source_name} = {self.partial}"


@dataclass(frozen=True, eq=False)
class ChainTerm:
    """One path from ``wrt`` up to the root: one term of the chain-rule sum.

    ``derivatives`` are the factors ∂A/∂B between consecutive *named* tensors on the path
    (root first); ``factors`` each one's product of local partials, with factors of 1
    left out; ``edges`` the path's edges from ``wrt`` upward; ``value`` its contribution.

    >>> from tinygrad_ae import Tensor
    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x
    >>> y.name = "y"
    >>> [str(term) + " = " + term.factors[0] for term in chain_rule(y, "x").terms]
    ['∂y/∂x = x', '∂y/∂x = x']
    """

    edges: tuple[Edge, ...]
    derivatives: tuple[str, ...]
    factors: tuple[str, ...]
    latex_derivatives: tuple[str, ...]
    latex_factors: tuple[str, ...]
    value: float | np.ndarray

    @property
    def product(self) -> str:
        """The symbolic product of the path's local partials (``(…) · w3 · x1``)."""
        return _product(self.factors, " · ")

    def __str__(self) -> str:
        return " · ".join(self.derivatives)


def _top_level(text: str, tokens: tuple[str, ...]) -> bool:
    """Whether any of ``tokens`` occurs in ``text`` outside brackets."""
    depth = 0
    for n, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and any(text.startswith(token, n) for token in tokens):
            return True
    return False


def _product(factors: Iterable[str], joiner: str, latex: bool = False) -> str:
    """``a · b · c`` from local partials: factors of 1 left out, factors of −1 turned
    into one sign in front, sums and later negative factors in parentheses."""
    minus = "-" if latex else "−"
    negative = False
    kept: list[str] = []
    for factor in factors:
        if factor in ("−1", "-1"):
            negative = not negative
        elif factor != "1":
            kept.append(factor)
    if not kept:
        return f"{minus}1" if negative else "1"
    if negative and kept[0].startswith(minus) and not _top_level(kept[0][1:], (" + ", " − ",
                                                                               " - ")):
        negative, kept[0] = False, kept[0][1:]
    grouped = []
    for n, factor in enumerate(kept):
        loose = len(kept) > 1 and _top_level(factor, (" + ", " − ", " - ", joiner))
        if loose or (n > 0 and factor.startswith(minus)) or (
                negative and n == 0 and factor.startswith(minus)):
            factor = f"({factor})"
        grouped.append(factor)
    return (minus if negative else "") + joiner.join(grouped)


def _is_unit(partial: str) -> bool:
    """``1`` and the shape-only ``1 (reshape)``: left out of a product."""
    return partial in ("1", "1/1") or partial.startswith("1 (")


@dataclass(frozen=True, eq=False)
class ChainRule:
    """∂root/∂wrt as a sum over the paths from ``wrt`` to ``root`` of products of local
    partials (see :func:`chain_rule`).

    ``terms`` (one :class:`ChainTerm` per path), ``paths`` (each a list of :class:`Edge`
    from ``wrt`` upward), ``path_values`` (each path's contribution), ``value`` (their
    sum: the gradient), ``latex`` and ``str()``.

    >>> from tinygrad_ae import Tensor
    >>> a = Tensor(2.0, requires_grad=True, name="a")
    >>> b = a * 3
    >>> b.name = "b"
    >>> rule = chain_rule(b, a)
    >>> rule.value, rule.path_values
    (3.0, [3.0])
    """

    root_name: str
    wrt_name: str
    terms: tuple[ChainTerm, ...]
    value: float | np.ndarray
    latex_root: str
    latex_wrt: str
    vector_note: bool

    @property
    def paths(self) -> list[list[Edge]]:
        """Each path as its list of edges, from ``wrt`` up to the root."""
        return [list(term.edges) for term in self.terms]

    @property
    def path_values(self) -> list[float | np.ndarray]:
        """Each path's contribution to :attr:`value`."""
        return [term.value for term in self.terms]

    def _lhs(self) -> str:
        return f"∂{self.root_name}/∂{self.wrt_name}"

    def __str__(self) -> str:
        lhs = self._lhs()
        if not self.terms:
            return f"{lhs} = 0   ({self.root_name} does not depend on {self.wrt_name})"
        pad = " " * len(lhs)
        right_sides = [[t.product for t in self.terms]]
        if any(len(t.derivatives) > 1 for t in self.terms):
            # The named stretches of each path, when there are any to name.
            right_sides.insert(0, [str(t) for t in self.terms])
        if len(self.terms) > 1:
            right_sides.append([_fmt_signed_sum([_format_value(t.value) for t in self.terms])])
        right_sides.append([_fmt_signed_sum([_format_value(self.value)])])
        # Each step once: ∂y/∂w = ∂y/∂w (a single edge) or a repeated line says nothing.
        kept: list[list[str]] = []
        for right in right_sides:
            if right != [lhs] and (not kept or right != kept[-1]):
                kept.append(right)
        lines = [_sum_lines(lhs if n == 0 else pad, right) for n, right in enumerate(kept)]
        if self.vector_note:
            lines.append(f"{pad}   (vectors multiply entry by entry; broadcast axes are "
                         f"summed)")
        return "\n".join(lines)

    @property
    def latex(self) -> str:
        """The same derivation as LaTeX source (an ``aligned`` environment)."""
        lhs = rf"\frac{{\partial {self.latex_root}}}{{\partial {self.latex_wrt}}}"
        if not self.terms:
            return f"{lhs} = 0"
        symbolic = " + ".join(
            r"\,".join(term.latex_derivatives) for term in self.terms
        )
        factors = " + ".join(_product(term.latex_factors, r" \cdot ", latex=True)
                             for term in self.terms).replace("+ -", "- ")
        numbers = _fmt_signed_sum([_format_value(t.value) for t in self.terms]).replace("−", "-")
        lines = [rf"&= {factors}"]
        if any(len(t.derivatives) > 1 for t in self.terms):
            lines.insert(0, rf"&= {symbolic}")
        lines[0] = lhs + " " + lines[0]
        if len(self.terms) > 1:
            lines.append(rf"&= {numbers}")
        lines.append(rf"&= {_format_value(self.value)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _format_value(value: Any) -> str:
    array = np.asarray(value)
    if array.size == 1:
        return _fmt(array.reshape(()))
    return _format_array(array, 6)


def _sum_lines(lhs: str, terms: list[str]) -> str:
    """``lhs = a + b − c`` on one line, or one term per line when that would be long."""
    signed = [("−", t[1:]) if t.startswith("−") and not _top_level(t[1:], (" + ", " − "))
              else ("+", t) for t in terms]
    first = ("−" if signed[0][0] == "−" else "") + signed[0][1]
    one_line = f"{lhs} = {first}" + "".join(f" {sign} {t}" for sign, t in signed[1:])
    if len(one_line) <= 96:
        return one_line
    pad = " " * len(lhs)
    return f"{lhs} = {first}" + "".join(f"\n{pad} {sign} {t}" for sign, t in signed[1:])


def chain_rule(root: Tensor, wrt: Tensor | str, max_paths: int = MAX_PATHS,
               names: Any = None) -> ChainRule:
    """∂root/∂wrt written as the chain rule: a sum over every path from ``wrt`` to
    ``root``, each term the product of the local partials along it.

    The text names each factor ∂A/∂B between consecutive *named* tensors on the path
    (unnamed intermediates are folded in, and written as short expressions such as
    ``x1 − x̂1``), then the symbolic product of the registered local partials with the
    factors equal to 1 left out, then each path's number and the sum. ``value`` is exact:
    each path's contribution is the root's cotangent propagated along that path's edges
    alone through the ops' vjps (summed back over broadcast axes), so the sum equals the
    engine's gradient even when the intermediates are vectors. ``wrt`` is a Tensor or a
    name; ``names`` (a model, or a mapping name → Tensor) names tensors that have none.
    More than ``max_paths`` paths raise ``ValueError``.

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(0.5, requires_grad=True, name="w")
    >>> h = w * 2.0
    >>> h.name = "h"
    >>> a, b = h * 3.0, h * 4.0
    >>> a.name, b.name = "a", "b"
    >>> L = a + b
    >>> L.name = "L"
    >>> rule = chain_rule(L, "w")
    >>> print(rule)
    ∂L/∂w = ∂L/∂a · ∂a/∂h · ∂h/∂w + ∂L/∂b · ∂b/∂h · ∂h/∂w
          = 3 · 2 + 4 · 2
          = 6 + 8
          = 14
    >>> rule.value
    14.0
    """
    if isinstance(root, Tensor) and root.size != 1:
        raise ValueError(
            f"chain_rule: the root has shape {root.shape}, not a single number; reduce it "
            f"first (for example loss.sum())"
        )
    index = _GraphIndex(root, names)
    start = index.find(wrt, "chain_rule")
    if max_paths < 1:
        raise ValueError(f"chain_rule: max_paths must be at least 1, got {max_paths}")
    order = index.order
    end = len(order) - 1
    n_paths = index.count_paths(start)
    if n_paths > max_paths:
        raise ValueError(
            f"chain_rule: ∂{index.symbols[end]}/∂{index.symbols[start]} is a sum over "
            f"{n_paths} paths, more than max_paths={max_paths}; draw them with "
            f"draw_graph(root, highlight=...) instead, or pass a larger max_paths"
        )
    # Every path from start to each node, built in topological order (each node's paths
    # extend its inputs' paths; no path count exceeds the root's, so this stays small).
    paths_to: dict[int, list[tuple[tuple[int, int, int], ...]]] = {start: [()]}
    for i in range(start + 1, len(order)):
        found = [prefix + ((p, i, k),)
                 for k, p in enumerate(index.inputs[i]) for prefix in paths_to.get(p, ())]
        if found:
            paths_to[i] = found
    text, latex_text = index.expressions()
    latex_symbols = [_latex_name(s) for s in index.symbols]
    terms = [
        _term(index, path, start, text, latex_text, latex_symbols)
        for path in paths_to.get(end, [])
    ]
    wrt_tensor = order[start]
    total: Any = np.zeros_like(wrt_tensor.data)
    for term in terms:
        total = total + term.value
    value: float | np.ndarray = float(total) if np.ndim(total) == 0 else np.asarray(total)
    on_paths = {p for term in terms for e in term.edges for p in (e.source, e.target)}
    return ChainRule(
        root_name=index.symbols[end], wrt_name=index.symbols[start], terms=tuple(terms),
        value=value, latex_root=latex_symbols[end], latex_wrt=latex_symbols[start],
        vector_note=any(t.size != 1 for t in on_paths),
    )


def _propagate_along(index: _GraphIndex, edges: list[tuple[int, int, int]],
                     seed: np.ndarray) -> np.ndarray:
    """The cotangent ``seed`` of the last edge's target, carried down ``edges`` alone."""
    g = seed
    for p, i, k in reversed(edges):
        carried = _vjp_input(index.order[i], g, k)
        g = np.zeros_like(index.order[p].data) if carried is None else carried
    return g


def _term(index: _GraphIndex, path: tuple[tuple[int, int, int], ...], start: int,
          text: list[str], latex_text: list[str], latex_symbols: list[str]) -> ChainTerm:
    order = index.order
    root = index.root
    value_array = _propagate_along(index, list(path), np.ones_like(root.data))
    value: float | np.ndarray = (float(value_array) if np.ndim(value_array) == 0
                                 else np.asarray(value_array))
    edges = tuple(
        Edge(source=order[p], target=order[i], input_index=k,
             source_name=index.symbols[p], target_name=index.symbols[i],
             partial=index.local_partial(i, k))
        for p, i, k in path
    )
    # Split the path at named tensors: one factor ∂A/∂B per stretch between them.
    nodes = [start] + [i for _, i, _ in path]
    cuts = [n for n, node in enumerate(nodes)
            if n in (0, len(nodes) - 1) or index.names[node]]
    derivatives, factors, latex_derivatives, latex_factors = [], [], [], []
    for lower, upper in reversed(list(zip(cuts, cuts[1:]))):
        a, b = nodes[upper], nodes[lower]
        stretch = path[lower:upper]
        derivatives.append(f"∂{index.symbols[a]}/∂{index.symbols[b]}")
        latex_derivatives.append(
            rf"\frac{{\partial {latex_symbols[a]}}}{{\partial {latex_symbols[b]}}}"
        )
        partials = [index.local_partial(i, k, text) for _, i, k in reversed(stretch)]
        latex_partials = [_latex_ops(index.local_partial(i, k, latex_text))
                          for _, i, k in reversed(stretch)]
        keep = [n for n, f in enumerate(partials) if not _is_unit(f)]
        factors.append(_product([partials[n] for n in keep], " · ") if keep else "1")
        latex_factors.append(_product([latex_partials[n] for n in keep], r" \cdot ",
                                      latex=True) if keep else "1")
    if not path:   # wrt is the root itself
        derivatives.append(f"∂{index.symbols[start]}/∂{index.symbols[start]}")
        latex_derivatives.append(rf"\frac{{\partial {latex_symbols[start]}}}"
                                 rf"{{\partial {latex_symbols[start]}}}")
        factors.append("1")
        latex_factors.append("1")
    return ChainTerm(edges=edges, derivatives=tuple(derivatives), factors=tuple(factors),
                     latex_derivatives=tuple(latex_derivatives),
                     latex_factors=tuple(latex_factors), value=value)


# --- draw_network -------------------------------------------------------------------------

_PAPER_PARAMETERS = ("w1", "w2", "w3", "w4", "b1", "b2", "b3")
_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid", "Identity": "linear"}
_TINY_LAYER = 4       # at most this many weights: write them on the edges
_ROW = 64.0           # points between neurons of one layer
_LABEL_OFFSET = 11.0  # points between an edge and its weight


@dataclass
class _Layer:
    path: str
    weight: np.ndarray          # (out_features, in_features)
    bias: np.ndarray | None
    activation: str = "linear"


def _module_path(module: Any, paths: dict[int, str]) -> str:
    weight = getattr(module, "weight", None)
    name = paths.get(id(weight), "")
    return name.rsplit(".", 1)[0] if "." in name else str(getattr(module, "path", ""))


def _collect_layers(model: Any, paths: dict[int, str]) -> list[_Layer]:
    """Linear layers (anything with a 2-D ``weight``) and the activations after them, in
    order, through Sequentials and encoder/decoder pairs."""
    layers: list[_Layer] = []
    todo = [model]
    while todo:
        item = todo.pop()
        kind = type(item).__name__
        weight = getattr(item, "weight", None)
        if isinstance(weight, Tensor) and weight.ndim == 2:
            bias = getattr(item, "bias", None)
            layers.append(_Layer(_module_path(item, paths), np.asarray(weight.data),
                                 None if bias is None else np.asarray(bias.data)))
        elif kind in _ACTIVATIONS:
            if not layers:
                raise ValueError(f"draw_network: the model starts with the activation "
                                 f"{kind}; a layer diagram needs a Linear layer first")
            if layers[-1].activation != "linear":
                raise ValueError(f"draw_network: two activations in a row after layer "
                                 f"{layers[-1].path!r}; use draw_graph instead")
            layers[-1].activation = _ACTIVATIONS[kind]
        elif hasattr(item, "encoder") and hasattr(item, "decoder"):
            todo.extend([item.decoder, item.encoder])
        elif hasattr(item, "__iter__") and not isinstance(item, (str, Tensor)):
            todo.extend(reversed(list(item)))
        else:
            raise ValueError(
                f"draw_network: cannot draw a {kind} as layers of neurons (it is not a "
                f"Linear layer, an activation, a Sequential or an encoder/decoder pair); "
                f"use draw_graph(model_output) for its computational graph"
            )
    return layers


class _Canvas:
    """A network diagram with every node pinned: layers are columns, left to right.

    Positions are chosen here rather than by a layout program, so a picture of a network
    always looks like the textbook figure (inputs on the left, the first neuron on top,
    weights beside their edges) and the same model gives the same DOT text. Coordinates
    are points, y upwards; Graphviz's ``neato`` keeps them as given.
    """

    def __init__(self, name: str, title: str = "") -> None:
        self.graph = graphviz.Digraph(name=name, engine="neato")
        # Also in the DOT text, so a saved .dot file drawn with plain `dot` keeps the layout.
        self.graph.attr(layout="neato")
        self.graph.attr(splines="line", inputscale="72", outputorder="edgesfirst",
                        fontname=_FONT, pad="0.2")
        if title:
            self.graph.attr(label=title, labelloc="t", fontsize="13")
        self.graph.attr("node", fontname=_FONT, fontsize="12")
        self.graph.attr("edge", fontname=_FONT, arrowsize="0.7", color="#555555")
        self.where: dict[str, tuple[float, float]] = {}

    @staticmethod
    def _pos(x: float, y: float) -> str:
        return f"{x:g},{y:g}!"

    def neuron(self, node_id: str, label: str, x: float, y: float, fill: str) -> None:
        self.where[node_id] = (x, y)
        self.graph.node(node_id, label=f'<<FONT POINT-SIZE="14">{label}</FONT>>',
                        shape="circle", width="0.6", fixedsize="true", style="filled",
                        fillcolor=fill, pos=self._pos(x, y))

    def text(self, node_id: str, label: str, x: float, y: float, size: int = 11,
             color: str = "black") -> None:
        self.graph.node(node_id, label=label, shape="plaintext", fontsize=str(size),
                        fontcolor=color, margin="0", width="0", height="0",
                        pos=self._pos(x, y))

    def bias(self, node_id: str, label: str, x: float, y: float, target: str) -> None:
        """A bias as a small dashed box feeding ``target``: the '+ b' of its sum."""
        self.graph.node(node_id, label=label, shape="box", style="rounded,dashed",
                        fontsize="11", margin="0.06,0.02", width="0", height="0.3",
                        color="#888888", pos=self._pos(x, y))
        self.graph.edge(node_id, target, style="dashed", color="#888888")

    def connect(self, source: str, target: str, weight: str = "", at: float = 0.4) -> None:
        """An edge; its weight (if any) beside it, ``at`` of the way along, on its upper
        side, so that no label sits on a line."""
        self.graph.edge(source, target)
        if not weight:
            return
        (x0, y0), (x1, y1) = self.where[source], self.where[target]
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy)) or 1.0
        nx, ny = -dy / length, dx / length      # the left normal: up for edges going right
        x = x0 + at * dx + nx * _LABEL_OFFSET
        y = y0 + at * dy + ny * _LABEL_OFFSET
        # Rotate nothing; lift the text by half its height so its baseline clears the line.
        self.text(f"{source}__{target}", weight, x, y + 5, size=11)


def _draw_paper(model: Any, show_values: bool) -> graphviz.Digraph:
    """The seed paper's 2-1-2 figure: x1, x2 → h → x̂1, x̂2, weights on the edges."""
    value = {name: float(np.asarray(getattr(model, name).data).reshape(()))
             for name in _PAPER_PARAMETERS}

    def named(name: str) -> str:
        return f"{name} = {_fmt(value[name])}" if show_values else name

    gap = 270.0
    canvas = _Canvas("paper_network", "the seed paper's 2-1-2 linear autoencoder "
                                      "(every activation linear)")
    canvas.neuron("x1", "x<SUB>1</SUB>", 0, _ROW, _DATA_FILL)
    canvas.neuron("x2", "x<SUB>2</SUB>", 0, -_ROW, _DATA_FILL)
    canvas.neuron("h", "h", gap, 0, "white")
    canvas.neuron("xhat1", "x̂<SUB>1</SUB>", 2 * gap, _ROW, _ROOT_FILL)
    canvas.neuron("xhat2", "x̂<SUB>2</SUB>", 2 * gap, -_ROW, _ROOT_FILL)
    for source, target, weight in (("x1", "h", "w1"), ("x2", "h", "w2"),
                                   ("h", "xhat1", "w3"), ("h", "xhat2", "w4")):
        canvas.connect(source, target, named(weight))
    canvas.bias("b1", named("b1"), 0.55 * gap, -1.9 * _ROW, "h")
    canvas.bias("b2", named("b2"), 1.55 * gap, 2.1 * _ROW, "xhat1")
    canvas.bias("b3", named("b3"), 1.55 * gap, -2.1 * _ROW, "xhat2")
    caption_y = -2.9 * _ROW
    canvas.text("caption_input", "input x", 0, caption_y)
    canvas.text("caption_encoder", "encoder: h = w1·x1 + w2·x2 + b1\nactivation: linear",
                gap, caption_y)
    canvas.text("caption_decoder",
                "decoder: x̂ = (w3·h + b2, w4·h + b3)\nactivation: linear", 2 * gap,
                caption_y)
    return canvas.graph


def draw_network(model: Any, max_width: int = 12, show_values: bool = True
                 ) -> graphviz.Digraph:
    """The neuron-level picture of a small network: layers of circles, left to right.

    For the seed paper's ``PaperAutoencoder`` (anything with scalar ``w1``…``w4``,
    ``b1``…``b3``) it is the paper's figure: x1, x2 → h → x̂1, x̂2 with w1…w4 on the edges
    and b1, b2, b3 feeding the neurons they are added in, every activation linear.
    Otherwise the Linear layers are walked (through ``encoder``/``decoder`` and
    Sequentials): every input connects to every output, each column is captioned with its
    module, shape and activation, the code layer's neurons are z1, z2, … and the weights
    and biases are written only when a layer has at most four weights. A layer wider than
    ``max_width`` neurons raises ``ValueError``: use :func:`draw_graph` for big networks.
    Nodes are pinned (Graphviz's ``neato`` draws them), so the picture is the textbook
    figure every time.

    >>> from tinygrad_ae import Tensor
    >>> class Paper:            # any object with the paper's seven scalars
    ...     pass
    >>> model = Paper()
    >>> for name in ("w1", "w2", "w3", "w4", "b1", "b2", "b3"):
    ...     setattr(model, name, Tensor(0.5, requires_grad=True, name=name))
    >>> dot = draw_network(model)
    >>> 'label="w3 = 0.5"' in dot.source and 'label="b1 = 0.5"' in dot.source
    True
    """
    if all(isinstance(getattr(model, name, None), Tensor) and
           getattr(model, name).size == 1 for name in _PAPER_PARAMETERS):
        return _draw_paper(model, show_values)
    paths: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        paths = {id(t): n for n, t in model.named_parameters()}
    layers = _collect_layers(model, paths)
    if not layers:
        raise ValueError(f"draw_network: found no Linear layers in {type(model).__name__}; "
                         f"use draw_graph instead")
    widths = [layers[0].weight.shape[1]] + [layer.weight.shape[0] for layer in layers]
    for n, layer in enumerate(layers):
        if layer.weight.shape[1] != widths[n]:
            raise ValueError(f"draw_network: layer {layer.path!r} takes "
                             f"{layer.weight.shape[1]} inputs but the layer before gives "
                             f"{widths[n]}")
    for n, width in enumerate(widths):
        if width > max_width:
            where = "the input" if n == 0 else f"layer {layers[n - 1].path or n!r}"
            raise ValueError(
                f"draw_network: {where} has {width} neurons, more than max_width="
                f"{max_width}; a neuron-level picture would be unreadable, so use "
                f"draw_graph(loss) for the computational graph (or raise max_width)"
            )
    # The code layer: the output of the last encoder layer, else the narrowest one.
    encoder_layers = [n for n, layer in enumerate(layers) if layer.path.startswith("encoder")]
    code = (encoder_layers[-1] + 1 if encoder_layers
            else min(range(1, len(widths) - 1), key=lambda n: widths[n], default=-1))

    def neuron_label(n: int, j: int) -> str:
        if n == 0:
            return f"x<SUB>{j + 1}</SUB>"
        if n == len(widths) - 1:
            return f"x̂<SUB>{j + 1}</SUB>"
        if n == code:
            return f"z<SUB>{j + 1}</SUB>"
        return f"h<SUB>{j + 1}</SUB><SUP>({n})</SUP>"

    gap = 210.0
    canvas = _Canvas("network")
    for n, width in enumerate(widths):
        fill = _DATA_FILL if n == 0 else _ROOT_FILL if n == len(widths) - 1 else "white"
        for j in range(width):
            canvas.neuron(f"n{n}_{j}", neuron_label(n, j), n * gap,
                          ((width - 1) / 2 - j) * _ROW, fill)
    for n, layer in enumerate(layers, start=1):
        tiny = layer.weight.size <= _TINY_LAYER and show_values
        for j in range(widths[n - 1]):
            for i in range(widths[n]):
                canvas.connect(f"n{n - 1}_{j}", f"n{n}_{i}",
                               _fmt(layer.weight[i, j]) if tiny else "")
        if tiny and layer.bias is not None:
            for i in range(widths[n]):
                x, y = canvas.where[f"n{n}_{i}"]
                b = _fmt(layer.bias[i])
                canvas.text(f"n{n}_{i}_bias", f"− {b[1:]}" if b[0] == "-" else f"+ {b}",
                            x, y + 0.55 * _ROW, size=10, color=_MUTED)
    caption_y = -((max(widths) - 1) / 2 + 0.9) * _ROW
    for n in range(len(widths)):
        if n == 0:
            caption = f"input ({widths[0]})"
        else:
            layer = layers[n - 1]
            caption = (f"{layer.path or f'layer {n}'}: Linear({widths[n - 1]}→{widths[n]})"
                       f"\nactivation: {layer.activation}")
            if n == code:
                caption += "\n(the code z)"
        canvas.text(f"caption{n}", caption, n * gap, caption_y, size=11)
    return canvas.graph


# --- render -------------------------------------------------------------------------------

_INSTALL_HINT = (
    "install Graphviz and render again: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz` "
    "(`pip install graphviz` alone installs only the Python package, not the dot program)"
)


def _with_suffix(path: Path, fmt: str) -> Path:
    """``path`` with the suffix of ``fmt``: a known picture suffix is replaced, anything
    else (``decoder.0``) is kept and the suffix appended."""
    if path.suffix.lower().lstrip(".") in FORMATS:
        return path.with_suffix(f".{fmt}")
    return path.with_name(f"{path.name}.{fmt}")


def render(graph: graphviz.Digraph | graphviz.Graph, path: str | os.PathLike[str],
           format: str = "svg") -> Path:
    """Draw ``graph`` into ``path`` with that format's suffix (``svg``, ``png``, ``pdf``),
    or write its DOT source (``format="dot"``); return the path written.

    The file is written atomically (a temporary file in the same folder, then a rename),
    and missing folders are made. Without Graphviz's ``dot`` program the DOT source is
    still written, to ``<path>.dot``, and :class:`GraphvizNotFound` says how to install
    Graphviz.

    >>> import tempfile, os
    >>> from tinygrad_ae import Tensor
    >>> x = Tensor(1.0, requires_grad=True, name="x")
    >>> folder = tempfile.mkdtemp()
    >>> written = render(draw_graph(x.tanh()), os.path.join(folder, "tanh"), format="dot")
    >>> written.name, written.read_text().startswith("digraph")
    ('tanh.dot', True)
    """
    fmt = str(format).lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    base = Path(path)
    target = _with_suffix(base, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        write_atomically(target, graph.source.encode("utf-8"))
        return target
    dot_path = _with_suffix(base, "dot")
    if shutil.which("dot") is None:
        write_atomically(dot_path, graph.source.encode("utf-8"))
        raise GraphvizNotFound(
            f"render: the Graphviz program 'dot' is not on PATH, so {target} was not drawn; "
            f"its DOT source is in {dot_path}. To draw it, {_INSTALL_HINT}"
        )
    try:
        picture = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        write_atomically(dot_path, graph.source.encode("utf-8"))
        raise GraphvizNotFound(
            f"render: Graphviz's 'dot' could not be run, so {target} was not drawn; its "
            f"DOT source is in {dot_path}. To draw it, {_INSTALL_HINT}"
        ) from None
    write_atomically(target, picture)
    return target
