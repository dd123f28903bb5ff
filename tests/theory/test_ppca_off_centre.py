"""Probabilistic PCA on data whose mean is far from the origin, against a hand computation from
numpy's eigendecomposition of the sample covariance.

test_ppca.py uses centred data (tinygrad_ae.data.with_spectrum), where adding or subtracting
μ makes no difference; here μ = (5, −3, 2) does.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.pca import PPCA

# Eigendecompositions of the same 3 × 3 covariance by two routes (SVD of the data, eigh of
# the covariance) in float64: a few roundings apart for order-one values.
RTOL = 1e-9
ATOL = 1e-10

MEAN = np.array([5.0, -3.0, 2.0])


def _data() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.standard_normal((60, 3)) * [2.0, 1.0, 0.3] @ _rotation() + MEAN


def _rotation() -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(8).standard_normal((3, 3)))
    return q


@pytest.mark.parametrize("ddof", [0, 1])
def test_round_trip_shrinks_toward_the_mean_not_the_origin(ddof):
    X = _data()
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False, ddof=ddof))
    values, vectors = values[::-1], vectors[:, ::-1]
    noise = values[1:].mean()                      # σ² = mean of the discarded eigenvalues
    u = vectors[:, 0]
    centred = X - X.mean(axis=0)
    # E[x | z = E[z | x]] = μ + u u^T (x − μ) (λ_1 − σ²)/λ_1
    expected = X.mean(axis=0) + np.outer(centred @ u, u) * (values[0] - noise) / values[0]
    model = PPCA(1, ddof=ddof).fit(X)
    np.testing.assert_allclose(model.inverse_transform(model.transform(X)), expected,
                               rtol=RTOL, atol=ATOL)
    assert model.noise_variance_ == pytest.approx(noise, rel=RTOL)


def test_the_code_of_the_mean_is_zero_and_maps_back_to_the_mean():
    X = _data()
    model = PPCA(2).fit(X)
    mean = X.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(model.transform(mean), [[0.0, 0.0]], atol=ATOL)
    np.testing.assert_allclose(model.inverse_transform([[0.0, 0.0]]), mean, rtol=RTOL)
