"""Reductions: sum, max, min, prod, var, std and logsumexp over axes.
"""

from __future__ import annotations

import numpy as np

from .._fast import sum_rows
from ._core import DISTINCT, NONZERO, _keepdims_shape, op, value
from .elementwise import exp
from .selection import where


def _reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape left after reducing ``axis`` without keepdims."""
    return () if axis is None else tuple(n for i, n in enumerate(shape) if i not in axis)


# --- reductions ------------------------------------------------------------------------

@op("sum", partial="1", kind="reduce", saves_values=False)
def sum(x, *, axis, keepdims):
    """out = Σ x over ``axis``;  ∂out/∂x = 1 for every summed entry."""
    if axis == (0,) and x.ndim == 2 and x.dtype.kind == "f":
        # A column sum: numpy is slow on tall, skinny arrays (see sum_rows). Under
        # create_graph this is the bias gradient of a linear layer.
        out = sum_rows(x)
        return out.reshape(1, -1) if keepdims else out
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


@op("min", domain=DISTINCT, partial="1[{x} = min]", kind="reduce")
def min(x, *, axis, keepdims):
    """out = min of x over ``axis``;  ∂out/∂x = 1 at the minimum, 0 elsewhere. Ties
    share the gradient equally, as for ``max``."""
    return np.min(x, axis=axis, keepdims=keepdims)


@min.vjp
def _(g, out, x, axis, keepdims):
    kept = _keepdims_shape(x.shape, axis)
    is_min = value(x) == value(out).reshape(kept)  # constant almost everywhere
    share = is_min / is_min.sum(axis=axis, keepdims=True)
    return (g.reshape(kept) * share.astype(value(x).dtype),)


@op("prod", domain=NONZERO, partial="∏ of the others", kind="reduce")
def prod(x, *, axis, keepdims):
    """out = ∏ x over ``axis``;  ∂out/∂xᵢ = the product of the other entries, = out/xᵢ
    away from zeros."""
    return np.prod(x, axis=axis, keepdims=keepdims)


@prod.vjp
def _(g, out, x, axis, keepdims):
    kept = _keepdims_shape(x.shape, axis)
    g = g.reshape(kept)
    zero = value(x) == 0
    if not zero.any():
        return (g * (out.reshape(kept) / x),)
    # With zeros, out/xᵢ is 0/0. The product of the others is: the product of the
    # nonzero entries at a slice's only zero, 0 at every other entry of a slice with a
    # zero, and that product over xᵢ in a slice without zeros. (Exact at first order;
    # second derivatives are exact only away from zeros.)
    safe = where(x, 1, condition=~zero)
    nonzero_product = prod(safe, axis=axis, keepdims=True)
    zeros_in_slice = zero.sum(axis=axis, keepdims=True)
    at_the_zero = where(nonzero_product, 0, condition=zero & (zeros_in_slice == 1))
    return (g * where(nonzero_product / safe, at_the_zero, condition=zeros_in_slice == 0),)


@op("var", partial="2({x} − mean)/(n − {ddof})", kind="reduce")
def var(x, *, axis, keepdims, ddof):
    """out = Σ (x − mean)² / (n − ddof) over ``axis`` (n entries; ddof = 0 is the
    population variance, 1 the unbiased estimate);  ∂out/∂x = 2(x − mean)/(n − ddof)."""
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


@var.vjp
def _(g, out, x, axis, keepdims, ddof):
    kept = _keepdims_shape(x.shape, axis)
    count = x.size // int(np.prod(_reduced_shape(x.shape, axis)))
    centred = x - x.mean(axis=axis, keepdims=True)
    return (g.reshape(kept) * (centred * (2.0 / (count - ddof))),)


# DISTINCT: where a slice's entries are all equal, std has a kink (like |x| at 0).
@op("std", domain=DISTINCT, partial="({x} − mean)/((n − {ddof})·{out})", kind="reduce")
def std(x, *, axis, keepdims, ddof):
    """out = √var(x) over ``axis`` (see ``var``);  ∂out/∂x = (x − mean)/((n − ddof)·out),
    and 0 where out = 0 (every entry equal), as PyTorch takes it."""
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


@std.vjp
def _(g, out, x, axis, keepdims, ddof):
    kept = _keepdims_shape(x.shape, axis)
    count = x.size // int(np.prod(_reduced_shape(x.shape, axis)))
    centred = x - x.mean(axis=axis, keepdims=True)
    denominator = out.reshape(kept) * (count - ddof)
    flat = value(out).reshape(kept) == 0  # constant almost everywhere: from the values
    if flat.any():
        denominator = where(1.0, denominator, condition=flat)  # centred is 0 there too
    return (g.reshape(kept) * (centred / denominator),)
