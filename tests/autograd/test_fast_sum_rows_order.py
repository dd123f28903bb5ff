"""_fast.sum_rows adds in the order its docstring names, bit for bit: a tall skinny array
(at most 16 columns, at least 64 rows per column) column by column, each column a 1-D
sum (numpy's pairwise loop); a wide or short one with the ordinary ``a.sum(axis=0)``
(row after row). The two orders round differently, so the results show which was used,
at the edges of both limits."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.autograd._fast import sum_rows


def by_columns(a):
    return np.array([np.ascontiguousarray(a[:, j]).sum() for j in range(a.shape[1])])


@pytest.mark.parametrize("rows, width, order", [
    (1024, 16, "columns"),     # 16 columns, exactly 64 rows each: the column path
    (1040, 16, "columns"),
    (128, 2, "columns"),       # exactly 64 rows per column
    (127, 2, "ordinary"),      # one row short
    (100, 2, "ordinary"),
    (1023, 16, "ordinary"),
    (2000, 17, "ordinary"),    # 17 columns: wide, however tall
    (5000, 17, "ordinary"),
], ids=["1024x16", "1040x16", "128x2", "127x2", "100x2", "1023x16", "2000x17", "5000x17"])
def test_sum_rows_adds_in_the_documented_order(rows, width, order):
    a = np.random.default_rng(rows * 31 + width).standard_normal((rows, width)) * 1e3
    ordinary, columns = a.sum(axis=0), by_columns(a)
    assert not np.array_equal(ordinary, columns)     # the orders round differently here
    expected = columns if order == "columns" else ordinary
    np.testing.assert_array_equal(sum_rows(a), expected)
