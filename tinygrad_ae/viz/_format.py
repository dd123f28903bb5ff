"""Shared by the drawings: colours, fonts, and how numbers, names and formulas are written.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np

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
