"""Probabilistic PCA: scikit-learn's PCA.score and noise_variance_, an independent Gaussian
density, the known spectrum of tinygrad_ae.data.with_spectrum, and the maximum-likelihood
property itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae.data import with_spectrum
from tinygrad_ae.pca import PPCA, NotFittedError, principal_angles

# Closed forms against closed forms in float64 (eigenvalues, a log-determinant): rounding.
RTOL = 1e-9


@st.composite
def _data(draw):
    n_features = draw(st.integers(2, 6))
    n_samples = draw(st.integers(n_features + 2, 40))
    seed = draw(st.integers(0, 2**16))
    scales = np.random.default_rng(seed).uniform(0.2, 3.0, n_features)
    X = np.random.default_rng(seed + 1).standard_normal((n_samples, n_features)) * scales
    return X + draw(st.floats(-2, 2)), draw(st.integers(1, n_features - 1))


@given(case=_data())
def test_ppca_matches_scikit_learn(case):
    decomposition = pytest.importorskip("sklearn.decomposition")
    X, k = case
    ours, theirs = PPCA(k).fit(X), decomposition.PCA(k).fit(X)
    np.testing.assert_allclose(ours.noise_variance_, theirs.noise_variance_, rtol=RTOL)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=RTOL)
    np.testing.assert_allclose(ours.score_samples(X[:3] * 2), theirs.score_samples(X[:3] * 2),
                               rtol=RTOL)
    np.testing.assert_allclose(ours.get_covariance(), theirs.get_covariance(), rtol=RTOL,
                               atol=1e-12)


@given(case=_data())
def test_score_samples_is_the_gaussian_log_density(case):
    stats = pytest.importorskip("scipy.stats")
    X, k = case
    model = PPCA(k, ddof=0).fit(X)
    expected = stats.multivariate_normal(model.mean_, model.get_covariance()).logpdf(X)
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=RTOL)


def test_ml_estimates_recover_a_known_spectrum():
    eigenvalues = np.array([9.0, 4.0, 1.0, 0.5, 0.3, 0.2])
    X, Q = with_spectrum(500, eigenvalues, seed=0)
    model = PPCA(2, ddof=0).fit(X)
    assert model.noise_variance_ == pytest.approx(eigenvalues[2:].mean(), rel=RTOL)
    np.testing.assert_allclose(np.linalg.norm(model.W_, axis=0) ** 2,
                               eigenvalues[:2] - eigenvalues[2:].mean(), rtol=RTOL)
    assert principal_angles(model.W_, Q[:, :2]).max() < 1e-8


@given(case=_data(), seed=st.integers(0, 100))
def test_ddof0_maximises_the_training_likelihood(case, seed):
    """Tipping & Bishop's estimate is the maximum: nudging W, σ² or μ, or using the
    N − 1 covariance, never raises the mean training log-likelihood."""
    X, k = case
    best = PPCA(k, ddof=0).fit(X)
    top = best.score(X)
    assert PPCA(k, ddof=1).fit(X).score(X) <= top + 1e-12
    rng = np.random.default_rng(seed)
    for _ in range(3):
        other = PPCA(k, ddof=0).fit(X)
        other.W_ = best.W_ + 0.05 * rng.standard_normal(best.W_.shape)
        other.noise_variance_ = best.noise_variance_ * np.exp(0.1 * rng.standard_normal())
        other.mean_ = best.mean_ + 0.05 * rng.standard_normal(best.mean_.shape)
        # score_samples reads the eigen-form; rebuild it from the perturbed W and σ².
        covariance = other.W_ @ other.W_.T + other.noise_variance_ * np.eye(X.shape[1])
        values, vectors = np.linalg.eigh(covariance)
        centred = X - other.mean_
        log_density = -0.5 * (X.shape[1] * np.log(2 * np.pi) + np.log(values).sum()
                              + (((centred @ vectors) ** 2) / values).sum(axis=1))
        assert log_density.mean() <= top + 1e-12


def test_transform_is_the_posterior_mean():
    X, _ = with_spectrum(200, [5.0, 2.0, 0.5, 0.1], seed=1)
    model = PPCA(2, ddof=0).fit(X)
    W, s2 = model.W_, model.noise_variance_
    posterior = np.linalg.inv(W.T @ W + s2 * np.eye(2)) @ W.T @ (X - model.mean_).T
    np.testing.assert_allclose(model.transform(X), posterior.T, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("make, kind, message", [
    (lambda: PPCA(0), ValueError, "n_components must be at least 1"),
    (lambda: PPCA(1, ddof=2), ValueError, "ddof must be 0"),
    (lambda: PPCA(3).fit(np.ones((5, 3))), ValueError, "must be smaller than the 3 features"),
    (lambda: PPCA(1).score([[1.0, 2.0]]), NotFittedError, "not fitted yet"),
    (lambda: PPCA(1).fit(np.eye(3)).score(np.ones((2, 2))), ValueError, "X has 2 features"),
    (lambda: PPCA(1).fit([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]).score([[0.0, 0.0]]),
     ValueError, "noise variance is 0"),
])
def test_ppca_errors(make, kind, message):
    with pytest.raises(kind, match=message):
        make()


def test_round_trip_is_the_shrunk_pca_projection():
    eigenvalues = np.array([5.0, 2.0, 0.5, 0.1])
    X, _ = with_spectrum(200, eigenvalues, seed=2)
    model = PPCA(2, ddof=0)
    codes = model.fit_transform(X)
    np.testing.assert_allclose(codes, model.transform(X), rtol=RTOL)
    shrink = (model.explained_variance_ - model.noise_variance_) / model.explained_variance_
    projection = ((X - model.mean_) @ model.components_.T * shrink) @ model.components_
    np.testing.assert_allclose(model.inverse_transform(codes), projection + model.mean_,
                               rtol=RTOL, atol=1e-12)
