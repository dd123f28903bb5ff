"""Ops that join tensors: concatenate and stack (their inverse, split, is indexing).

Both are variadic: ``concatenate(*xs, axis=...)`` records one node with every input as
a parent, and its vjp hands each input its own slice of ``g``.
"""

from __future__ import annotations

import numpy as np

from ._core import op


@op("concatenate", partial="1 (its slice)", kind="concatenate", saves_values=False)
def concatenate(*xs, axis):
    """out = the inputs joined along an existing ``axis``;  each input's gradient is
    its slice of g along that axis."""
    return np.concatenate(xs, axis=axis)


@concatenate.vjp
def _(g, out, *xs, axis):
    grads, start = [], 0
    for x in xs:
        stop = start + x.shape[axis]
        grads.append(g[(slice(None),) * axis + (slice(start, stop),)])
        start = stop
    return tuple(grads)


@op("stack", partial="1 (its slice)", kind="stack", saves_values=False)
def stack(*xs, axis):
    """out = the inputs (of one shape) joined along a new ``axis``;  input i's gradient
    is g at position i of that axis."""
    return np.stack(xs, axis=axis)


@stack.vjp
def _(g, out, *xs, axis):
    return tuple(g[(slice(None),) * axis + (i,)] for i in range(len(xs)))
