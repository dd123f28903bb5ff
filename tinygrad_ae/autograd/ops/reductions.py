"""Reductions: sum and max over axes.
"""

from __future__ import annotations

import numpy as np

from ._core import DISTINCT, _keepdims_shape, op, value

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
