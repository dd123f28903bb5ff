"""Shape and indexing ops: reshape, transpose, indexing, broadcasting, casts, flip, pad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import REGISTRY, _missing_vjp, op

# --- shapes and indexing ---------------------------------------------------------------

@op("reshape", partial="1 (reshape)", kind="reshape", saves_values=False)
def reshape(x, *, shape):
    """out = x with a new shape;  the gradient is reshaped back."""
    return x.reshape(shape)


@reshape.vjp
def _(g, out, x, shape):
    return (g.reshape(x.shape),)


@op("transpose", partial="1 (transpose)", kind="transpose", saves_values=False)
def transpose(x, *, axes):
    """out = x with its axes permuted;  the gradient is permuted back."""
    return x.transpose(axes)


@transpose.vjp
def _(g, out, x, axes):
    inverse = [0] * len(axes)
    for position, axis in enumerate(axes):
        inverse[axis] = position
    return (g.transpose(*inverse),)


@op("broadcast_to", partial="1 (broadcast)", kind="expand", saves_values=False)
def broadcast_to(x, *, shape):
    """out = x repeated along broadcast axes;  the gradient is summed back."""
    return np.broadcast_to(x, shape)


@broadcast_to.vjp
def _(g, out, x, shape):
    return (g,)  # the engine sums it back to x's shape


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, np.ndarray) for p in parts)


@op("getitem", partial="1 (at {index})", kind="index", saves_values=False)
def getitem(x, *, index):
    """out = x[index] (basic or integer-array indexing);  the gradient is added back
    at the indexed places, so an index that repeats accumulates."""
    return x[index]


@getitem.vjp
def _(g, out, x, index):
    return (index_add(g, index=index, shape=x.shape),)


@op("index_add", partial="1 (scatter)", kind="scatter", saves_values=False)
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


@op("index_put", partial=("1 (outside index)", "1 (at index)"), kind="index_put",
    saves_values=False)
def index_put(x, values, *, index):
    """out = x with ``values`` written at ``index`` (what ``t[index] = values`` records);
    the gradient of x is g with zeros at index, that of values is g at index (summed
    over the copies where values was broadcast). With a repeated integer index the last
    write wins, and the gradient is undefined, as in PyTorch."""
    out = x.copy()
    out[index] = values
    return out


@index_put.vjp
def _(g, out, x, values, index, needs=(True, True)):
    return ((index_put(g, 0, index=index) if needs[0] else None),
            (g[index] if needs[1] else None))


@op("astype", partial="1 (cast)", kind="cast", saves_values=False)
def astype(x, *, dtype):
    """out = x converted to another float dtype;  the gradient is converted back."""
    return x.astype(dtype)


@astype.vjp
def _(g, out, x, dtype):
    return (astype(g, dtype=x.dtype),)


@op("flip", partial="1 (reversed)", kind="flip", saves_values=False)
def flip(x, *, axis):
    """out = x with the order of entries reversed along ``axis`` (a tuple);  the
    gradient is reversed back."""
    return np.flip(x, axis=axis)


@flip.vjp
def _(g, out, x, axis):
    return (flip(g, axis=axis),)


@op("pad", partial="1 (cropped)", kind="pad", saves_values=False)
def pad(x, *, widths, value):
    """out = x surrounded by ``value``: ``widths`` holds one (before, after) pair per
    axis;  the gradient is g cropped back to x."""
    if not widths:  # a 0-d tensor: nothing to pad (np.pad rejects an empty width list)
        return x.copy()
    return np.pad(x, widths, mode="constant", constant_values=value)


@pad.vjp
def _(g, out, x, widths, value):
    return (g[tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))],)


def _check_registry() -> None:
    missing = [entry.name for entry in REGISTRY.values() if entry.vjp_fn is _missing_vjp]
    if missing:
        raise TypeError(f"ops registered without a vjp: {missing}")


_check_registry()
