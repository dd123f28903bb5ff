"""tinygrad_ae.pca against known spectra, scikit-learn, scipy and the Eckart–Young bound.

The main generator (docs/theory.md#data-with-an-exact-spectrum) builds data whose 1/N covariance is
exactly Q diag(λ) Qᵀ, so the principal directions and the bound are known without computing them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_ae.pca import (
    PCA,
    NotFittedError,
    covariance_spectrum,
    min_reconstruction_loss,
    pca_autoencoder_params,
    principal_angles,
)

# --- tolerances, each with its reason ------------------------------------------------------------

# Spectrum data below has eigenvalues ≤ 1 and consecutive ratios ≥ 1.5, so every component is
# well separated: SVD results move by ~eps·λ_1/gap ≈ 1e-15; 1e-9 leaves a wide margin.
SPECTRUM_ATOL = 1e-9
# P4: L − bound ≥ −1e-10 (1 + bound) for any parameters; at the PCA solution |L − bound| within it.
EY_RTOL = 1e-10
# Principal angles from orthonormal-ish bases: errors ~ cond(mixing)·eps ≈ 1e-15 absolute, at
# every angle, when sines are used for small angles (arccos alone would be off by 1e-8 near 0).
ANGLE_ATOL = 1e-13
# scipy.linalg.subspace_angles takes some small angles from arccos, good to ~1.5e-8 only.
SCIPY_ANGLE_ATOL = 1e-7


@st.composite
def spectrum_data(draw: st.DrawFn):
    """(X, eigenvalues, eigenvectors, k): X has exactly this 1/N covariance spectrum.

    docs/theory.md#data-with-an-exact-spectrum: centre Gaussian Z, whiten it exactly with its SVD
    (Z_w = √N U Vᵀ), then X = Z_w diag(√λ) Qᵀ + μ with Q orthogonal. λ_1 = 1 and consecutive ratios
    are in [1.5, 4].
    """
    n_features = draw(st.integers(2, 6))
    n_samples = draw(st.integers(n_features + 1, 40))
    k = draw(st.integers(1, n_features))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ratios = rng.uniform(1.5, 4.0, size=n_features - 1)
    eigenvalues = np.concatenate([[1.0], 1.0 / np.cumprod(ratios)])
    Z = rng.standard_normal((n_samples, n_features))
    left, _, right_t = np.linalg.svd(Z - Z.mean(axis=0), full_matrices=False)
    white = np.sqrt(n_samples) * left @ right_t
    Q, R = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    Q = Q * np.sign(np.diag(R))  # Haar-distributed orthogonal matrix
    X = (white * np.sqrt(eigenvalues)) @ Q.T + rng.uniform(-3, 3, size=n_features)
    return X, eigenvalues, Q, k


def _bounded(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


@st.composite
def data_and_autoencoder(draw: st.DrawFn):
    """Arbitrary bounded data (N ≤ 12, m ≤ 5) and arbitrary linear AE parameters with k < m."""
    n_features = draw(st.integers(2, 5))
    n_samples = draw(st.integers(1, 12))
    k = draw(st.integers(1, n_features - 1))
    X = draw(hnp.arrays(np.float64, (n_samples, n_features), elements=_bounded(10.0)))
    shapes = [(k, n_features), (k,), (n_features, k), (n_features,)]
    params = [draw(hnp.arrays(np.float64, shape, elements=_bounded(2.0))) for shape in shapes]
    return X, k, params


def _reconstruction_loss(W_e, b_e, W_d, b_d, X) -> float:
    """The paper's L = (1/N) Σ_i ‖x_i − x̂_i‖² for x̂ = W_d (W_e x + b_e) + b_d."""
    residual = X - ((X @ W_e.T + b_e) @ W_d.T + b_d)
    return float(np.sum(residual**2) / X.shape[0])


def _align_signs(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Flip each row of `rows` to point the same way as the matching row of `reference`."""
    return rows * np.sign(np.sum(rows * reference, axis=1))[:, None]


def _random_orthogonal(rng: np.random.Generator, size: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((size, size)))
    return Q * np.sign(np.diag(R))


@pytest.fixture(scope="module")
def sklearn_pca():
    return pytest.importorskip("sklearn.decomposition").PCA


@pytest.fixture(scope="module")
def scipy_linalg():
    return pytest.importorskip("scipy.linalg")


# --- PCA on data with a known spectrum -----------------------------------------------------------


@given(case=spectrum_data())
def test_pca_finds_the_known_spectrum(case):
    X, eigenvalues, Q, k = case
    n_samples = X.shape[0]
    pca = PCA(k).fit(X)
    assert pca.components_.shape == (k, X.shape[1])
    np.testing.assert_allclose(
        _align_signs(pca.components_, Q.T[:k]), Q.T[:k], atol=SPECTRUM_ATOL, rtol=0
    )
    # explained_variance_ divides by N − 1, the generator's λ by N
    expected_variance = eigenvalues[:k] * n_samples / (n_samples - 1)
    np.testing.assert_allclose(pca.explained_variance_, expected_variance, rtol=SPECTRUM_ATOL)
    np.testing.assert_allclose(
        pca.explained_variance_ratio_, eigenvalues[:k] / eigenvalues.sum(), rtol=SPECTRUM_ATOL
    )
    np.testing.assert_allclose(
        pca.singular_values_, np.sqrt(n_samples * eigenvalues[:k]), rtol=SPECTRUM_ATOL
    )
    assert (pca.n_components_, pca.n_features_in_, pca.n_samples_) == (k, X.shape[1], n_samples)
    assert min_reconstruction_loss(X, k) == pytest.approx(eigenvalues[k:].sum(), abs=1e-12)


@given(case=spectrum_data())
def test_pca_matches_scikit_learn(sklearn_pca, case):
    X, _, _, k = case
    ours = PCA(k).fit(X)
    theirs = sklearn_pca(n_components=k, svd_solver="full").fit(X)
    # eigenvectors are defined up to sign: compare after aligning each row
    components = _align_signs(ours.components_, theirs.components_)
    np.testing.assert_allclose(components, theirs.components_, atol=SPECTRUM_ATOL, rtol=0)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, atol=1e-12, rtol=0)
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10)
    flips = np.sign(np.sum(ours.components_ * theirs.components_, axis=1))
    np.testing.assert_allclose(
        ours.transform(X) * flips, theirs.transform(X), atol=SPECTRUM_ATOL * 10, rtol=0
    )
    scores = theirs.transform(X)
    np.testing.assert_allclose(
        ours.inverse_transform(scores * flips),
        theirs.inverse_transform(scores),
        atol=SPECTRUM_ATOL,
        rtol=0,
    )


# --- PCA on arbitrary data -----------------------------------------------------------------------

arbitrary_data = st.tuples(st.integers(2, 15), st.integers(1, 5)).flatmap(
    lambda shape: hnp.arrays(np.float64, shape, elements=_bounded(10.0))
)


@given(X=arbitrary_data)
def test_pca_invariants_on_arbitrary_data(X):
    n_samples, n_features = X.shape
    k = min(n_samples, n_features)
    pca = PCA().fit(X)
    components = pca.components_
    scale = 1 + np.abs(X).max()
    np.testing.assert_allclose(components @ components.T, np.eye(k), atol=1e-12)
    # sign convention: the entry of largest |.| of each component is positive
    largest = components[np.arange(k), np.argmax(np.abs(components), axis=1)]
    assert np.all(largest > 0)
    assert np.all(np.diff(pca.explained_variance_) <= 1e-12 * scale**2)
    scores = pca.transform(X)
    np.testing.assert_allclose(pca.fit_transform(X), scores, atol=1e-12 * scale)
    np.testing.assert_allclose(scores.mean(axis=0), 0, atol=1e-12 * scale)
    if k == n_features:  # all components kept: the round trip is exact
        np.testing.assert_allclose(pca.inverse_transform(scores), X, atol=1e-12 * scale)
    total = np.var(X, axis=0, ddof=1).sum()
    if total > 0:
        np.testing.assert_allclose(pca.explained_variance_ratio_.sum(), 1.0, atol=1e-9)


def test_pca_keeps_float32():
    X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]], dtype=np.float32)
    pca = PCA(1).fit(X)
    assert pca.components_.dtype == np.float32
    assert pca.transform(X).dtype == np.float32


def test_pca_on_constant_data_explains_nothing():
    pca = PCA(1).fit(np.ones((4, 3)))
    np.testing.assert_array_equal(pca.explained_variance_, [0.0])
    np.testing.assert_array_equal(pca.explained_variance_ratio_, [0.0])


# --- covariance spectrum and the Eckart–Young bound (P4) -----------------------------------------


@given(X=arbitrary_data)
def test_covariance_spectrum_diagonalises_the_1_over_n_covariance(X):
    eigenvalues, eigenvectors = covariance_spectrum(X)
    centred = X - X.mean(axis=0)
    covariance = centred.T @ centred / X.shape[0]
    scale = 1 + np.abs(X).max() ** 2
    np.testing.assert_allclose(eigenvectors.T @ eigenvectors, np.eye(X.shape[1]), atol=1e-12)
    np.testing.assert_allclose(
        eigenvectors * eigenvalues @ eigenvectors.T, covariance, atol=1e-12 * scale
    )
    assert np.all(np.diff(eigenvalues) <= 0)
    for k in range(X.shape[1] + 1):
        expected = eigenvalues[k:].sum()
        assert min_reconstruction_loss(X, k) == pytest.approx(expected, abs=1e-12 * scale)


@given(case=data_and_autoencoder())
def test_no_linear_autoencoder_beats_the_eckart_young_bound(case):
    X, k, params = case
    bound = min_reconstruction_loss(X, k)
    assert _reconstruction_loss(*params, X) - bound >= -EY_RTOL * (1 + bound)


@given(case=data_and_autoencoder(), seed=st.integers(0, 2**32 - 1))
def test_pca_parameters_and_their_gauge_attain_the_bound(case, seed):
    X, k, _ = case
    bound = min_reconstruction_loss(X, k)
    params = pca_autoencoder_params(X, k)
    W_e, b_e, W_d, b_d = (params[name] for name in ("W_e", "b_e", "W_d", "b_d"))
    assert abs(_reconstruction_loss(W_e, b_e, W_d, b_d, X) - bound) <= EY_RTOL * (1 + bound)
    np.testing.assert_allclose(W_e, W_d.T)
    np.testing.assert_allclose((X @ W_e.T + b_e).mean(axis=0), 0, atol=1e-12 * (1 + abs(X).max()))
    # any invertible mixing G of the code, any b_e, and b_d = (I − P) μ − W_d b_e (P4,
    # docs/theory.md#test-tolerances)
    rng = np.random.default_rng(seed)
    mixing = _random_orthogonal(rng, k) * rng.uniform(0.5, 2.0, size=k)
    W_e_mixed = mixing @ W_e
    W_d_mixed = W_d @ np.linalg.inv(mixing)
    b_e_mixed = rng.standard_normal(k)
    mean = X.mean(axis=0)
    b_d_mixed = mean - W_d @ (W_d.T @ mean) - W_d_mixed @ b_e_mixed
    loss = _reconstruction_loss(W_e_mixed, b_e_mixed, W_d_mixed, b_d_mixed, X)
    assert abs(loss - bound) <= EY_RTOL * (1 + bound)


@given(case=spectrum_data())
def test_pca_reconstruction_attains_the_bound(case):
    X, _, _, k = case
    pca = PCA(k).fit(X)
    loss = np.sum((X - pca.inverse_transform(pca.transform(X))) ** 2) / X.shape[0]
    bound = min_reconstruction_loss(X, k)
    assert abs(loss - bound) <= EY_RTOL * (1 + bound)


def test_min_reconstruction_loss_on_a_hand_example():
    # λ = (2, 0.5) for the 1/N covariance; the N − 1 covariance would give 2/3 instead of 0.5
    X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]])
    assert min_reconstruction_loss(X, 0) == pytest.approx(2.5)
    assert min_reconstruction_loss(X, 1) == pytest.approx(0.5)
    assert min_reconstruction_loss(X, 2) == 0.0


# --- principal angles ----------------------------------------------------------------------------

SPECIAL_ANGLES = [0.0, 1e-12, 1e-9, 1e-5, 0.3, np.pi / 4, 1.2, np.pi / 2 - 1e-9, np.pi / 2]


@st.composite
def rotated_subspaces(draw: st.DrawFn):
    """(A, B, angles): span(B) is span(A) with its j-th direction turned by angles[j].

    A = Q[:, :k] M_A and B's j-th column is cos θ_j Q[:, j] + sin θ_j Q[:, k + j], mixed by M_B,
    with Q orthogonal and M_A, M_B well-conditioned (singular values in [0.5, 2]).
    """
    k = draw(st.integers(1, 3))
    n_features = draw(st.integers(2 * k, 2 * k + 3))
    angle = st.one_of(st.sampled_from(SPECIAL_ANGLES), st.floats(0.0, np.pi / 2))
    angles = np.array(draw(st.lists(angle, min_size=k, max_size=k)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Q = _random_orthogonal(rng, n_features)
    turned = Q[:, :k] * np.cos(angles) + Q[:, k : 2 * k] * np.sin(angles)

    def mixing() -> np.ndarray:
        return _random_orthogonal(rng, k) * rng.uniform(0.5, 2.0, size=k)

    return Q[:, :k] @ mixing(), turned @ mixing(), np.sort(angles)


@given(case=rotated_subspaces())
def test_principal_angles_recover_known_rotations(case):
    A, B, angles = case
    np.testing.assert_allclose(principal_angles(A, B), angles, atol=ANGLE_ATOL, rtol=0)
    np.testing.assert_allclose(principal_angles(B, A), angles, atol=ANGLE_ATOL, rtol=0)


@pytest.mark.parametrize("angle", [1e-9, np.pi / 2, 0.0], ids=["1e-9", "pi/2", "0"])
def test_principal_angle_between_two_lines(angle):
    A = np.array([[1.0], [0.0], [0.0]])
    B = np.array([[np.cos(angle)], [np.sin(angle)], [0.0]])
    result = principal_angles(A, B)
    assert result.shape == (1,)
    assert result[0] == pytest.approx(angle, rel=1e-12, abs=1e-300)


@given(
    seed=st.integers(0, 2**32 - 1),
    n_features=st.integers(2, 8),
    data=st.data(),
)
def test_principal_angles_match_scipy(scipy_linalg, seed, n_features, data):
    k = data.draw(st.integers(1, n_features), label="k")
    n_columns_b = data.draw(st.integers(1, n_features), label="n_columns_b")
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n_features, k))
    B = rng.standard_normal((n_features, n_columns_b))
    ours = principal_angles(A, B)
    assert ours.shape == (min(k, n_columns_b),)
    assert np.all(np.diff(ours) >= 0)
    expected = np.sort(scipy_linalg.subspace_angles(A, B))
    np.testing.assert_allclose(ours, expected, atol=SCIPY_ANGLE_ATOL, rtol=0)


def test_principal_angles_use_the_rank_of_the_column_space():
    A = np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]])  # two columns, one direction
    B = np.eye(3)[:, 1:]
    np.testing.assert_allclose(principal_angles(A, B), [np.pi / 2])
    np.testing.assert_allclose(principal_angles(np.array([1.0, 1.0, 0.0]), B), [np.pi / 4])


# --- errors in the user's terms ------------------------------------------------------------------

X_4x3 = np.arange(12.0).reshape(4, 3) ** 1.5


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: PCA(5).fit(X_4x3),
            ValueError,
            r"n_components=5 .*4 samples and 3 features.*1 to 3",
        ),
        (lambda: PCA(0), ValueError, "n_components must be at least 1, got 0"),
        (lambda: PCA(1.5), TypeError, "n_components must be an integer, got 1.5"),
        (lambda: PCA(1).fit(X_4x3[0]), ValueError, r"2-D .*got shape \(3,\).*reshape"),
        (lambda: PCA(1).fit(X_4x3[None]), ValueError, r"2-D .*got shape \(1, 4, 3\)"),
        (
            lambda: PCA(1).fit([[1.0, np.nan], [2, 3]]),
            ValueError,
            "NaN or infinity.*row 0, column 1",
        ),
        (
            lambda: PCA(1).fit([[1.0, 2], [np.inf, 3]]),
            ValueError,
            "NaN or infinity.*row 1, column 0",
        ),
        (lambda: PCA(1).fit([[1.0, 2.0]]), ValueError, "at least 2 samples.*got 1"),
        (lambda: PCA(1).fit(np.zeros((0, 3))), ValueError, r"empty \(shape \(0, 3\)\)"),
        (lambda: PCA(1).fit([["a", "b"]]), ValueError, "real numbers"),
        (lambda: PCA(1).transform(X_4x3), NotFittedError, r"not fitted yet; call fit\(X\)"),
        (lambda: PCA(1).inverse_transform([[1.0]]), ValueError, "not fitted yet"),
        (lambda: PCA(1).fit(X_4x3).transform(X_4x3[:, :2]), ValueError, "2 features.*fitted on 3"),
        (lambda: PCA(1).fit(X_4x3).inverse_transform(X_4x3), ValueError, "3 columns.*1 comp"),
        (
            lambda: min_reconstruction_loss(X_4x3, 4),
            ValueError,
            "k=4 is out of range for X with 3 features.*from 0 to 3",
        ),
        (lambda: min_reconstruction_loss(X_4x3, -1), ValueError, "at least 0, got -1"),
        (lambda: pca_autoencoder_params(X_4x3, 0), ValueError, "at least 1, got 0"),
        (lambda: covariance_spectrum([1.0, 2.0]), ValueError, r"2-D"),
        (lambda: principal_angles(np.eye(3), np.eye(4)), ValueError, "A with 3 and B with 4"),
        (lambda: principal_angles(np.zeros((3, 2)), np.eye(3)), ValueError, "only zero columns"),
        (lambda: principal_angles(np.eye(3), [np.nan, 0, 0]), ValueError, "B contains NaN"),
    ],
    ids=[
        "too-many-components",
        "zero-components",
        "fractional-components",
        "one-dimensional",
        "three-dimensional",
        "nan",
        "inf",
        "one-sample",
        "empty",
        "strings",
        "transform-before-fit",
        "inverse-before-fit",
        "wrong-n-features",
        "wrong-n-components",
        "bound-k-too-large",
        "bound-k-negative",
        "params-k-zero",
        "spectrum-one-dimensional",
        "angles-different-m",
        "angles-zero-matrix",
        "angles-nan",
    ],
)
def test_errors_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_not_fitted_error_is_a_value_error_and_an_attribute_error():
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)
    with pytest.raises(AttributeError):
        PCA(1).components_  # noqa: B018  (the unfitted attribute does not exist)
