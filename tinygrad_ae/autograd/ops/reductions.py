"""Reductions: sum, max, min, prod, var and logsumexp over axes.
"""

from __future__ import annotations

import numpy as np

from ._core import DISTINCT, _keepdims_shape, op, value
from .elementwise import exp


def _reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape left after reducing ``axis`` without keepdims."""
    return () if axis is None else tuple(n for i, n in enumerate(shape) if i not in axis)


# --- reductions ------------------------------------------------------------------------

@op("sum", partial="1", kind="reduce")
def sum(x, *, axis, keepdims):
    """out = Σ x over ``axis``;  ∂out/∂x = 1 for every summed entry."""
    return x.sum(axis=axis, keepdims=keepdims)  # the method: np.sum adds a dispatch layer


@sum.vjp
def _(g, out, x, axis, keepdims):
    # Back to the kept-dims shape; the engine broadcasts it up to x's shape.
    return (g.reshape(_keepdims_shape(x.shape, axis)),)


@op("max", domain=DISTINCT, partial="1[{x} = max]", kind="reduce")
def max(x, *, axis, keepdims):
    """out = max of x over ``axis``;  ∂out/∂x = 1 at the maximum, 0 elsewhere. Ties
    share the gradient equally: each of c tied entries gets 1/c."""
    return np.max(x, axis=axis, keepdims=keepdims)


@max.vjp
def _(g, out, x, axis, keepdims):
    kept = _keepdims_shape(x.shape, axis)
    # The argmax mask is constant almost everywhere, so it comes from the values.
    is_max = value(x) == value(out).reshape(kept)
    share = is_max / is_max.sum(axis=axis, keepdims=True)
    return (g.reshape(kept) * share.astype(value(x).dtype),)


@op("logsumexp", partial="softmax({x})", kind="reduce")
def logsumexp(x, *, axis, keepdims):
    """out = ln Σ eˣ over ``axis``;  ∂out/∂x = eˣ⁻ᵒᵘᵗ = softmax(x).

    Computed as m + ln Σ e^(x − m) with m the maximum, so no exponent is positive: exact
    for inputs of any size. A slice of −inf gives −inf, as in PyTorch."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # an all −inf (or +inf) slice: shift by nothing
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    if not keepdims:
        out = out.reshape(_reduced_shape(x.shape, axis))
    return out.astype(x.dtype, copy=False)


@logsumexp.vjp
def _(g, out, x, axis, keepdims):
    kept = _keepdims_shape(x.shape, axis)
    return (g.reshape(kept) * exp(x - out.reshape(kept)),)
