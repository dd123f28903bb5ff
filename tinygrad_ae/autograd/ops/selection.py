"""Ops that choose between values: where, maximum, minimum, clip.

Which value wins is constant almost everywhere, so every mask here comes from the values
(``value``); the vjps stay differentiable in ``g``, so second derivatives pass through.
"""

from __future__ import annotations

import numpy as np

from ._core import DISTINCT, INTERLEAVED, op, value


@op("where", partial=("1[condition]", "1[not condition]"), kind="where", saves_values=False)
def where(a, b, *, condition):
    """out = a where ``condition`` holds, else b (the three broadcast together);
    ∂out/∂a = 1 where the condition holds, ∂out/∂b = 1 elsewhere."""
    return np.where(condition, a, b)


@where.vjp
def _(g, out, a, b, condition, needs=(True, True)):
    return ((where(g, 0, condition=condition) if needs[0] else None),
            (where(0, g, condition=condition) if needs[1] else None))


def _winner_share(a, b, pick):
    """1 where ``a`` beats ``b`` (for maximum, a > b), ½ on a tie, 0 where it loses:
    PyTorch splits the gradient of a tie equally."""
    va, vb = value(a), value(b)
    dtype = np.result_type(va, vb)
    return (pick(va, vb) + (va == vb) * 0.5).astype(dtype)


@op("maximum", domain=(DISTINCT, INTERLEAVED), partial=("1[{a} > {b}]", "1[{b} > {a}]"))
def maximum(a, b):
    """out = the larger of a and b, entry by entry (broadcast);  the gradient goes to the
    larger one, and is split equally on a tie."""
    return np.maximum(a, b)


@maximum.vjp
def _(g, out, a, b, needs=(True, True)):
    share = _winner_share(a, b, np.greater)
    return (g * share if needs[0] else None), (g * (1 - share) if needs[1] else None)


@op("minimum", domain=(DISTINCT, INTERLEAVED), partial=("1[{a} < {b}]", "1[{b} < {a}]"))
def minimum(a, b):
    """out = the smaller of a and b, entry by entry (broadcast);  the gradient goes to
    the smaller one, and is split equally on a tie."""
    return np.minimum(a, b)


@minimum.vjp
def _(g, out, a, b, needs=(True, True)):
    share = _winner_share(a, b, np.less)
    return (g * share if needs[0] else None), (g * (1 - share) if needs[1] else None)


@op("clip", domain=DISTINCT, partial="1[{min} ≤ {x} ≤ {max}]")  # no x on a bound
def clip(x, *, min, max):
    """out = x limited to [min, max] (either bound may be None; where min > max every
    entry becomes max, as in PyTorch);  ∂out/∂x = 1 inside the bounds (bounds included),
    0 outside."""
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    return out if out is not x else x.copy()


@clip.vjp
def _(g, out, x, min, max):
    data = value(x)
    inside = np.ones(data.shape, dtype=bool)  # constant almost everywhere: from the values
    if min is not None:
        inside &= data >= min
    if max is not None:
        inside &= data <= max
    return (g * inside,)
