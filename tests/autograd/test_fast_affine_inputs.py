"""_fast.affine on inputs at the edge of its column-by-column path: a bias that
broadcasts from one number, a batch of matrices (3-D x) over many rows, and an x whose
dtype differs from the weight's. Each must give numpy's ``x @ weight.T + bias`` exactly,
in numpy's dtype."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.autograd._fast import affine

RNG = np.random.default_rng(2026)


@pytest.mark.parametrize("x, weight, bias", [
    # one input column, two outputs, a bias of one number broadcast over both
    (RNG.standard_normal((2000, 1)), RNG.standard_normal((2, 1)), RNG.standard_normal(1)),
    (RNG.standard_normal((2000, 3)), RNG.standard_normal((3, 3)), RNG.standard_normal(1)),
    # a stack of matrices, the first axis as long as the column path's row count
    (RNG.standard_normal((1024, 3, 2)), RNG.standard_normal((2, 2)), RNG.standard_normal(2)),
    (RNG.standard_normal((1500, 2, 1)), RNG.standard_normal((3, 1)), RNG.standard_normal(3)),
    # x float32, weight and bias float64: numpy promotes to float64
    (RNG.standard_normal((2000, 1)).astype(np.float32), RNG.standard_normal((2, 1)),
     RNG.standard_normal(2)),
    (RNG.standard_normal((2000, 2)).astype(np.float32), RNG.standard_normal((2, 2)),
     RNG.standard_normal(2)),
], ids=["bias-of-one-1-in", "bias-of-one-3-in", "batched-1024", "batched-1-in",
        "x-float32-1-in", "x-float32-2-in"])
def test_affine_equals_numpy_at_the_edges_of_the_column_path(x, weight, bias):
    expected = x @ weight.T + bias
    got = affine(x, weight, bias)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
