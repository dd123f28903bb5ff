"""Shape and indexing ops: reshape, transpose, indexing, broadcasting, casts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import REGISTRY, _missing_vjp, op

# --- shapes and indexing ---------------------------------------------------------------

@op("reshape", partial="1 (reshape)", kind="reshape")
def reshape(x, *, shape):
    """out = x with a new shape;  the gradient is reshaped back."""
    return x.reshape(shape)


@reshape.vjp
def _(g, out, x, shape):
    return (g.reshape(x.shape),)


@op("transpose", partial="1 (transpose)", kind="transpose")
def transpose(x, *, axes):
    """out = x with its axes permuted;  the gradient is permuted back."""
    return x.transpose(axes)


@transpose.vjp
def _(g, out, x, axes):
    inverse = [0] * len(axes)
    for position, axis in enumerate(axes):
        inverse[axis] = position
    return (g.transpose(*inverse),)


@op("broadcast_to", partial="1 (broadcast)", kind="expand")
def broadcast_to(x, *, shape):
    """out = x repeated along broadcast axes;  the gradient is summed back."""
    return np.broadcast_to(x, shape)


@broadcast_to.vjp
def _(g, out, x, shape):
    return (g,)  # the engine sums it back to x's shape


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, np.ndarray) for p in parts)


@op("getitem", partial="1 (at {index})", kind="index")
def getitem(x, *, index):
    """out = x[index] (basic or integer-array indexing);  the gradient is added back
    at the indexed places, so an index that repeats accumulates."""
    return x[index]


@getitem.vjp
def _(g, out, x, index):
    return (index_add(g, index=index, shape=x.shape),)


@op("index_add", partial="1 (scatter)", kind="scatter")
def index_add(values, *, index, shape):
    """out = zeros(shape) with ``values`` added at ``index`` (repeated indices add up):
    the adjoint of indexing."""
    out = np.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


@index_add.vjp
def _(g, out, values, index, shape):
    return (g[index],)


@op("astype", partial="1 (cast)", kind="cast")
def astype(x, *, dtype):
    """out = x converted to another float dtype;  the gradient is converted back."""
    return x.astype(dtype)


@astype.vjp
def _(g, out, x, dtype):
    return (astype(g, dtype=x.dtype),)


def _check_registry() -> None:
    missing = [entry.name for entry in REGISTRY.values() if entry.vjp_fn is _missing_vjp]
    if missing:
        raise TypeError(f"ops registered without a vjp: {missing}")


_check_registry()
