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


_NARROW = 4    # affine: at most this many output columns ...
_MANY = 1024   # ... and at least this many rows: work column by column
MANY_ROWS = _MANY
"""The linear op calls :func:`affine` from this many rows on: for smaller batches the
plain ``x @ weight.T + bias`` costs less than affine's checks (W1 and W2 measured 3–4 %
slower through it)."""


def affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ weight.T + bias`` for x of shape (..., in), weight (out, in), bias (out,), with
    the bias added in place and, for narrow outputs over many rows, column by column.

    ``x @ weight.T + bias`` makes a second array of the output's size for the sum; adding
    the bias into the product's own array saves it (for an output of 20,000 × 256 float32
    numbers, half the time of the layer, most of it the new array's page faults).
    numpy adds an (out,) bias to an (n, 2) array with a loop two numbers long per row
    (about 3.5 ns per row here), and multiplies (n, 1) by (1, 2) with a matrix product of
    inner size 1 (2.5 ns per row); column by column, each is one strided 1-D pass (about
    0.8 ns per row). From 8 columns on numpy's own loop is as fast (from 16, twice as
    fast), and below about 1000 rows too little is gained, so only narrower and taller go
    by columns. The same products and sums, so the same numbers. Mixed dtypes and other
    bias shapes (where numpy's promotion and broadcasting decide) keep the ordinary sum.

    >>> x, weight, bias = np.arange(2e3).reshape(2000, 1), np.array([[2.0], [-1.0]]), np.ones(2)
    >>> np.array_equal(affine(x, weight, bias), x @ weight.T + bias)
    True
    """
    width = weight.shape[0]
    if (width <= _NARROW and x.ndim == 2 == weight.ndim and x.shape[0] >= _MANY
            and x.dtype == weight.dtype == bias.dtype and bias.shape == (width,)):
        return _affine_by_columns(x, weight, bias)
    out = x @ weight.T
    if out.dtype != bias.dtype or bias.shape != out.shape[-1:]:
        return out + bias             # numpy's promotion and broadcasting decide the result
    out += bias
    return out


def _affine_by_columns(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    width = weight.shape[0]
    if weight.shape[1] == 1:          # an outer product: x's column times each weight
        out = np.empty((x.shape[0], width), dtype=x.dtype)
        column = x[:, 0]
        for j in range(width):
            np.multiply(column, weight[j, 0], out=out[:, j])
    else:
        out = x @ weight.T
    for j in range(width):
        column = out[:, j]
        column += bias[j]
    return out
