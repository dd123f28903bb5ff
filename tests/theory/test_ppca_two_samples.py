"""Probabilistic PCA fits two samples, the fewest it can: worked out by hand.

X = [[0, 0, 0], [2, 0, 1]] has mean (1, 0, ½) and centred rows ∓(1, 0, ½). With the N − 1
covariance (ddof=1) the only non-zero eigenvalue is 2 · ‖(1, 0, ½)‖² / 1 = 2.5 (1.25 with
ddof=0), along u = (2, 0, 1)/√5 (largest entry positive), and the noise variance is the mean of
the other two eigenvalues, 0. So W = u √λ.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.pca import PPCA

# Hand values against an SVD of a 2 × 3 matrix in float64: a few roundings.
ATOL = 1e-12


@pytest.mark.parametrize(("ddof", "eigenvalue"), [(1, 2.5), (0, 1.25)])
def test_two_samples_give_one_direction_and_no_noise(ddof, eigenvalue):
    model = PPCA(1, ddof=ddof).fit([[0.0, 0.0, 0.0], [2.0, 0.0, 1.0]])
    direction = np.array([2.0, 0.0, 1.0]) / np.sqrt(5.0)
    np.testing.assert_allclose(model.mean_, [1.0, 0.0, 0.5], atol=ATOL)
    np.testing.assert_allclose(model.components_, [direction], atol=ATOL)
    np.testing.assert_allclose(model.explained_variance_, [eigenvalue], atol=ATOL)
    assert model.noise_variance_ == pytest.approx(0.0, abs=ATOL)
    np.testing.assert_allclose(model.W_, direction[:, None] * np.sqrt(eigenvalue), atol=ATOL)
