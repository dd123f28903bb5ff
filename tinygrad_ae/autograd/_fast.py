"""numpy calls that avoid numpy's slow paths for the shapes autoencoders produce.

Layer: inside :mod:`tinygrad_ae.autograd`; imports numpy only.
"""

from __future__ import annotations

import numpy as np

_SKINNY = 16   # at most this many columns ...
_TALL = 64     # ... and at least this many rows per column: sum column by column


def sum_rows(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=0)`` for a 2-D array, fast for tall skinny ones.

    numpy reduces an (N, 2) array over its first axis with a slow generic loop (about 25 ns
    per number here, against 0.2 ns for a contiguous sum); summing each column as a
    strided 1-D view takes numpy's fast pairwise-summation loop instead, with the same
    accuracy. Wide or short arrays keep the ordinary call.

    >>> a = np.arange(12.0).reshape(6, 2)
    >>> sum_rows(a), a.sum(axis=0)
    (array([30., 36.]), array([30., 36.]))
    """
    n, width = a.shape
    if width > _SKINNY or n < _TALL * width:
        return a.sum(axis=0)
    out = np.empty(width, dtype=a.dtype)
    for j in range(width):
        out[j] = a[:, j].sum()
    return out
