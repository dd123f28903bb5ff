"""PCA, the Eckart–Young bound and principal angles: what a linear autoencoder should converge to.

Layer: numpy only; imports nothing of ours. This module is one of the two independent truths
(with `closed_form`) that the autodiff engine and the trained autoencoders are checked against,
so it must never depend on them.

Conventions (docs/theory.md#conventions): data X has shape (n_samples, n_features), one
sample per row; μ is the column mean; the covariance used for the reconstruction bound divides
by N (Σ = (1/N) X_cᵀ X_c with X_c = X − μ), while `PCA.explained_variance_` divides by N − 1 as
scikit-learn does. The paper's loss is L = (1/N) Σ_i ‖x_i − x̂_i‖² (summed over features,
averaged over samples).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PCA",
    "PPCA",
    "NotFittedError",
    "CovarianceSpectrum",
    "covariance_spectrum",
    "min_reconstruction_loss",
    "pca_autoencoder_params",
    "principal_angles",
]

FloatArray = NDArray[np.floating[Any]]


class NotFittedError(ValueError, AttributeError):
    """Raised when a PCA is used before `fit`; catch it as ValueError or AttributeError.

    >>> try:
    ...     PCA(1).transform([[1.0, 2.0]])
    ... except NotFittedError as error:
    ...     print(error)
    PCA.transform: this PCA is not fitted yet; call fit(X) first
    """


# ---------------------------------------------------------------------------------------------
# Input checks shared by every public function: errors name the caller and the user's shapes.
# ---------------------------------------------------------------------------------------------


def _float_dtype(array: np.ndarray) -> np.dtype[Any]:
    """Floating inputs keep their dtype (float32 in, float32 out); integers become float64."""
    if np.issubdtype(array.dtype, np.floating):
        return array.dtype
    return np.dtype(np.float64)


def _as_finite_matrix(X: ArrayLike, caller: str, name: str = "X") -> FloatArray:
    """Return X as a 2-D floating array, or raise a ValueError that says what is wrong."""
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":  # bool, signed, unsigned, float: no complex, no objects
        raise ValueError(
            f"{caller}: {name} must be an array of real numbers, got dtype {array.dtype}"
        )
    if array.ndim != 2:
        raise ValueError(
            f"{caller}: {name} must be 2-D with shape (n_samples, n_features), got shape "
            f"{array.shape}; for a single feature use {name}.reshape(-1, 1)"
        )
    if array.size == 0:
        raise ValueError(
            f"{caller}: {name} is empty (shape {array.shape}); pass at least one sample and "
            f"one feature"
        )
    array = array.astype(_float_dtype(array), copy=False)
    if not np.all(np.isfinite(array)):
        row, column = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{caller}: {name} contains NaN or infinity (first at row {row}, column {column}); "
            f"remove or impute those entries first"
        )
    return array


def _check_n_components(
    n_components: object, upper: int | None, caller: str, lower: int = 1, name: str = "k"
) -> int:
    """Return the count as an int in [lower, upper] (no upper limit if None), or raise."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise TypeError(
            f"{caller}: {name} must be an integer, got {n_components!r} "
            f"({type(n_components).__name__})"
        )
    if n_components < lower:
        raise ValueError(f"{caller}: {name} must be at least {lower}, got {n_components}")
    if upper is not None and n_components > upper:
        raise ValueError(
            f"{caller}: {name}={n_components} is out of range for X with {upper} features; "
            f"choose an integer from {lower} to {upper}"
        )
    return int(n_components)


def _sign_flips(components: FloatArray) -> FloatArray:
    """+1 or −1 per row, making the row's entry of largest absolute value positive.

    Ties in |entry| go to the first such entry (np.argmax), so the rule is deterministic.
    """
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(components.shape[0]), largest])
    signs[signs == 0] = 1  # an all-zero row has no sign to fix
    return signs


class PCA:
    """Principal component analysis by the SVD of the centred data, scikit-learn style.

    Fitting centres X (μ = column mean) and takes the thin SVD X − μ = U S Vᵀ. The first
    n_components rows of Vᵀ are the principal directions, and

        transform(X)         = (X − μ) componentsᵀ                shape (n_samples, n_components)
        inverse_transform(Z) = Z components + μ                   shape (n_samples, n_features)
        explained_variance_  = S² / (N − 1)                       (ddof=1, as scikit-learn)

    Why the SVD of the centred data and not the eigenvectors of the covariance: forming
    X_cᵀ X_c squares the condition number. Both routes make absolute errors of about 1e-16
    times their largest value, but the covariance holds the variances λ while the SVD holds
    their square roots σ. A direction with 1e-12 of the largest variance keeps about 4
    significant digits through the covariance and about 10 through the SVD (σ ratio 1e-6);
    below 1e-16 the covariance loses it entirely, and its direction with it.

    Sign convention: an eigenvector is defined only up to sign, so each row of `components_`
    is flipped to make its entry of largest absolute value positive (the first such entry on
    a tie). Recent scikit-learn releases apply the same rule, older ones decided from the
    scores; compare with other libraries up to sign.

    Parameters
    ----------
    n_components : int or None
        Number of components k to keep, 1 ≤ k ≤ min(n_samples, n_features); None keeps them all.

    Attributes (set by `fit`)
    -------------------------
    components_ : (n_components, n_features), orthonormal rows, in decreasing variance.
    mean_ : (n_features,), the column mean μ.
    explained_variance_ : (n_components,), variance along each component, divided by N − 1.
    explained_variance_ratio_ : (n_components,), explained_variance_ / total variance.
    singular_values_ : (n_components,), the singular values S of the centred data.
    n_components_, n_features_in_, n_samples_ : ints.

    >>> X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]])
    >>> pca = PCA(n_components=1).fit(X)
    >>> pca.components_
    array([[1., 0.]])
    >>> pca.explained_variance_           # (2² + 2²) / (4 − 1)
    array([2.66666667])
    >>> pca.transform([[3.0, 5.0]])
    array([[3.]])
    >>> pca.inverse_transform([[3.0]])
    array([[3., 0.]])
    """

    def __init__(self, n_components: int | None = None) -> None:
        if n_components is not None:
            # NOTE: the upper limit depends on X, so only the type and sign are checked here.
            _check_n_components(n_components, None, "PCA", name="n_components")
        self.n_components = n_components

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components!r})"

    def fit(self, X: ArrayLike, y: object = None) -> PCA:
        """Learn μ and the top principal directions of X (n_samples, n_features); return self.

        `y` is ignored; it is accepted so that PCA fits in scikit-learn pipelines.

        >>> PCA(2).fit([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]).n_components_
        2
        """
        self._fit(X)
        return self

    def fit_transform(self, X: ArrayLike, y: object = None) -> FloatArray:
        """Fit to X and return its scores U_k S_k, shape (n_samples, n_components).

        Same as fit(X).transform(X), computed from the SVD without a second product.

        >>> PCA(1).fit_transform([[1.0, 1.0], [-1.0, -1.0]])
        array([[ 1.41421356],
               [-1.41421356]])
        """
        left, signs = self._fit(X)
        k = self.n_components_
        return left[:, :k] * (self.singular_values_ * signs)

    def transform(self, X: ArrayLike) -> FloatArray:
        """Project X onto the components: (X − μ) componentsᵀ, shape (n_samples, n_components).

        >>> PCA(1).fit([[1.0, 1.0], [-1.0, -1.0]]).transform([[2.0, 0.0]])
        array([[1.41421356]])
        """
        self._check_fitted("PCA.transform")
        array = _as_finite_matrix(X, "PCA.transform")
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"PCA.transform: X has {array.shape[1]} features, but this PCA was fitted on "
                f"{self.n_features_in_}; pass data with the same columns as in fit"
            )
        return (array - self.mean_) @ self.components_.T

    def inverse_transform(self, Z: ArrayLike) -> FloatArray:
        """Map scores back to data space: Z components + μ, shape (n_samples, n_features).

        inverse_transform(transform(X)) is the orthogonal projection of X onto the affine
        subspace μ + span(components), the best rank-k reconstruction (Eckart–Young).

        >>> pca = PCA(1).fit([[1.0, 1.0], [-1.0, -1.0]])
        >>> pca.inverse_transform(pca.transform([[2.0, 0.0]]))
        array([[1., 1.]])
        """
        self._check_fitted("PCA.inverse_transform")
        scores = _as_finite_matrix(Z, "PCA.inverse_transform", name="Z")
        if scores.shape[1] != self.n_components_:
            raise ValueError(
                f"PCA.inverse_transform: Z has {scores.shape[1]} columns, but this PCA has "
                f"{self.n_components_} components; pass the output of transform"
            )
        return scores @ self.components_ + self.mean_

    def _check_fitted(self, caller: str) -> None:
        if not hasattr(self, "components_"):
            raise NotFittedError(f"{caller}: this PCA is not fitted yet; call fit(X) first")

    def _fit(self, X: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Set every fitted attribute; return the left singular vectors and the sign flips."""
        array = _as_finite_matrix(X, "PCA.fit")
        n_samples, n_features = array.shape
        if n_samples < 2:
            raise ValueError(
                f"PCA.fit: need at least 2 samples to estimate a variance, got {n_samples}"
            )
        upper = min(n_samples, n_features)
        if self.n_components is None:
            k = upper
        elif not 1 <= self.n_components <= upper:
            raise ValueError(
                f"PCA.fit: n_components={self.n_components} is out of range for X with "
                f"{n_samples} samples and {n_features} features; choose an integer from 1 to "
                f"{upper} = min(n_samples, n_features)"
            )
        else:
            k = int(self.n_components)

        mean = array.mean(axis=0)
        left, singular_values, right_t = np.linalg.svd(array - mean, full_matrices=False)
        # The scores U S must flip together with the rows of Vᵀ, so keep the signs.
        signs = _sign_flips(right_t[:k])
        flipped = right_t[:k] * signs[:, None]

        variances = singular_values**2 / (n_samples - 1)
        total = variances.sum()
        self.mean_ = mean
        self.components_ = flipped
        self.singular_values_ = singular_values[:k].copy()
        self.explained_variance_ = variances[:k].copy()
        # Constant data has no variance to explain: report zeros rather than 0/0.
        self.explained_variance_ratio_ = variances[:k] / total if total > 0 else 0 * variances[:k]
        self.n_components_ = k
        self.n_features_in_ = n_features
        self.n_samples_ = n_samples
        return left, signs


class CovarianceSpectrum(NamedTuple):
    """Eigen-decomposition of the 1/N covariance: Σ = eigenvectors diag(eigenvalues) eigenvectorsᵀ.

    eigenvalues: (n_features,), descending. eigenvectors: (n_features, n_features), one
    orthonormal eigenvector per column, each with its largest-|.| entry positive.

    >>> CovarianceSpectrum(np.array([1.0]), np.array([[1.0]])).eigenvalues
    array([1.])
    """

    eigenvalues: FloatArray
    eigenvectors: FloatArray


def covariance_spectrum(X: ArrayLike) -> CovarianceSpectrum:
    """Eigenvalues (descending) and eigenvectors (columns) of Σ = (1/N) Σ_i (x_i − μ)(x_i − μ)ᵀ.

    Computed from the SVD of the centred data: λ_j = σ_j² / N. When n_samples < n_features
    the trailing eigenvalues are exactly 0 and their eigenvectors complete an orthonormal
    basis. X has shape (n_samples, n_features) with n_samples ≥ 1.

    >>> X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]])
    >>> values, vectors = covariance_spectrum(X)
    >>> values                            # (1/4)(2² + 2²) and (1/4)(1² + 1²)
    array([2. , 0.5])
    >>> vectors
    array([[1., 0.],
           [0., 1.]])
    """
    array = _as_finite_matrix(X, "covariance_spectrum")
    n_samples, n_features = array.shape
    centred = array - array.mean(axis=0)
    # full_matrices only when N < m: then Vᵀ needs completing to a square basis, and U (N × N)
    # is small; otherwise the thin SVD already has a square Vᵀ.
    _, singular_values, right_t = np.linalg.svd(centred, full_matrices=n_samples < n_features)
    eigenvalues = np.zeros(n_features, dtype=array.dtype)
    eigenvalues[: singular_values.size] = singular_values**2 / n_samples
    eigenvectors = (right_t * _sign_flips(right_t)[:, None]).T
    return CovarianceSpectrum(eigenvalues, eigenvectors)


def min_reconstruction_loss(X: ArrayLike, k: int) -> float:
    """The smallest loss any rank-k affine reconstruction of X can reach (Eckart–Young).

    For x̂ = A x + c with rank(A) ≤ k (every linear autoencoder with k code units, biases
    or not) and the paper's loss L = (1/N) Σ_i ‖x_i − x̂_i‖²,

        L ≥ L* = Σ_{j>k} λ_j,    λ_1 ≥ … ≥ λ_m the eigenvalues of Σ = (1/N) X_cᵀ X_c,

    the sum of the discarded eigenvalues of the 1/N covariance, reached by
    x̂ = μ + U_k U_kᵀ (x − μ). With the N − 1 covariance the bound reads ((N−1)/N) Σ_{j>k} λ_j.
    k = 0 gives the total variance (the best constant reconstruction is the mean); k ≥ rank
    gives 0. The tail is summed directly, never as total − kept, so a small bound keeps its
    digits.

    >>> X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]])
    >>> min_reconstruction_loss(X, 1)     # λ = (2, 0.5): drop 0.5
    0.5
    >>> min_reconstruction_loss(X, 0)
    2.5
    """
    array = _as_finite_matrix(X, "min_reconstruction_loss")
    n_samples, n_features = array.shape
    k = _check_n_components(k, n_features, "min_reconstruction_loss", lower=0)
    singular_values = np.linalg.svd(array - array.mean(axis=0), compute_uv=False)
    return float(np.sum(singular_values[k:].astype(np.float64) ** 2) / n_samples)


def pca_autoencoder_params(X: ArrayLike, k: int) -> dict[str, FloatArray]:
    """Parameters of the linear autoencoder x̂ = W_d (W_e x + b_e) + b_d that PCA gives.

        W_e = U_kᵀ (k, m),   b_e = −U_kᵀ μ (k,),   W_d = U_k (m, k),   b_d = μ (m,)

    so that h = U_kᵀ (x − μ) and x̂ = μ + U_k U_kᵀ (x − μ). U_k holds the top k eigenvectors of
    the 1/N covariance (same signs as `PCA`). Its loss equals `min_reconstruction_loss(X, k)`.
    Every gauge (G W_e, G b_e, W_d G⁻¹) of this point is optimal too; this one is balanced
    (W_e = W_dᵀ) and gives a zero-mean code.

    >>> X = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]]) + [1.0, 3.0]
    >>> params = pca_autoencoder_params(X, 1)
    >>> params["W_e"], params["b_e"], params["b_d"]
    (array([[1., 0.]]), array([-1.]), array([1., 3.]))
    """
    array = _as_finite_matrix(X, "pca_autoencoder_params")
    k = _check_n_components(k, array.shape[1], "pca_autoencoder_params")
    mean = array.mean(axis=0)
    basis = covariance_spectrum(array).eigenvectors[:, :k]
    return {"W_e": basis.T.copy(), "b_e": -(basis.T @ mean), "W_d": basis.copy(), "b_d": mean}


def _orthonormal_basis(M: ArrayLike, name: str) -> FloatArray:
    """Orthonormal basis of the column space of M, numerical rank decided by its singular values."""
    array = np.asarray(M)
    if array.ndim == 1:
        array = array[:, None]
    array = _as_finite_matrix(array, "principal_angles", name=name)
    left, singular_values, _ = np.linalg.svd(array, full_matrices=False)
    if singular_values.size == 0 or singular_values[0] == 0:
        raise ValueError(
            f"principal_angles: {name} (shape {array.shape}) has only zero columns; its column "
            f"space is {{0}} and has no angles"
        )
    # The usual numerical-rank cut-off: singular values below max(shape) · eps · σ_max are noise.
    tolerance = max(array.shape) * np.finfo(array.dtype).eps * singular_values[0]
    rank = int(np.sum(singular_values > tolerance))
    return left[:, :rank]


def principal_angles(A: ArrayLike, B: ArrayLike) -> FloatArray:
    """Principal angles (radians, ascending) between the column spaces of A (m, k) and B (m, l).

    With orthonormal bases Q_A, Q_B (p and q columns, p ≥ q after a swap) the cosines are the
    singular values of Q_Aᵀ Q_B and the sines those of (I − Q_A Q_Aᵀ) Q_B. arccos of a cosine
    near 1 loses everything below ~1e-8 rad (cos θ = 1 − θ²/2), and arcsin of a sine near 1
    does the same near π/2, so, as Björck & Golub (1973) and Knyazev & Argentati (2002)
    recommend, each angle is taken from its sine when cos² θ ≥ ½ and from its cosine otherwise.
    Returns min(rank A, rank B) angles in [0, π/2]; a 1-D argument counts as one column.

    >>> A = np.array([[1.0], [0.0], [0.0]])
    >>> B = np.array([[np.cos(1e-9)], [np.sin(1e-9)], [0.0]])
    >>> principal_angles(A, B)
    array([1.e-09])
    >>> principal_angles(np.eye(3)[:, :2], np.eye(3)[:, 1:])   # share e2; e1 ⟂ e3
    array([0.        , 1.57079633])
    """
    basis_a = _orthonormal_basis(A, "A")
    basis_b = _orthonormal_basis(B, "B")
    if basis_a.shape[0] != basis_b.shape[0]:
        raise ValueError(
            f"principal_angles: A and B must have the same number of rows (the ambient "
            f"dimension m), got A with {basis_a.shape[0]} and B with {basis_b.shape[0]}"
        )
    if basis_a.shape[1] < basis_b.shape[1]:
        basis_a, basis_b = basis_b, basis_a
    overlap = basis_a.T @ basis_b
    cosines = np.linalg.svd(overlap, compute_uv=False)  # descending: smallest angle first
    # Q_B − Q_A (Q_Aᵀ Q_B) is (I − Q_A Q_Aᵀ) Q_B without forming the m × m projector.
    sines = np.linalg.svd(basis_b - basis_a @ overlap, compute_uv=False)[::-1]  # ascending
    cosines = np.clip(cosines, 0.0, 1.0)
    sines = np.clip(sines, 0.0, 1.0)
    use_sine = cosines**2 >= 0.5
    angles = np.where(use_sine, np.arcsin(sines), np.arccos(cosines))
    # Switching formulas at 45° can swap two nearly equal neighbours by a rounding error.
    return np.sort(angles)


# ---------------------------------------------------------------------------------------------
# Probabilistic PCA (Tipping & Bishop 1999): the model a linear VAE converges to.
# ---------------------------------------------------------------------------------------------


class PPCA:
    """Probabilistic PCA: x = W z + μ + ε with z ~ N(0, I_k), ε ~ N(0, σ² I_m), fitted by
    Tipping & Bishop's closed-form maximum likelihood.

    With λ_1 ≥ … ≥ λ_m the eigenvalues of the sample covariance and U_k the top-k
    eigenvectors, the maximum-likelihood estimates are

        σ² = (1/(m − k)) Σ_{j>k} λ_j                (the mean discarded eigenvalue)
        W  = U_k (Λ_k − σ² I)^{1/2} R               (any rotation R; here R = I)

    so the model covariance C = W Wᵀ + σ² I keeps the top-k variances exactly and spreads
    the rest evenly. The log-likelihood of a sample is
    log p(x) = −½ (m log 2π + log det C + (x − μ)ᵀ C⁻¹ (x − μ)), with
    log det C = Σ_{j≤k} log λ_j + (m − k) log σ² and C⁻¹ applied in the eigenbasis.

    ``ddof=1`` (the default) divides the covariance by N − 1 as scikit-learn's PCA does, so
    ``noise_variance_`` and ``score`` equal ``sklearn.decomposition.PCA``'s (when
    n_samples > n_features; scikit-learn averages over min(N, m) − k eigenvalues).
    ``ddof=0`` divides by N and gives the exact maximiser of the training log-likelihood,
    Tipping & Bishop's estimate, the one a linear VAE reaches.

    Attributes (set by `fit`): ``components_`` (k, m) orthonormal rows (PCA's, same signs),
    ``explained_variance_`` (k,), ``noise_variance_`` σ², ``W_`` (m, k), ``mean_`` (m,),
    ``n_components_``, ``n_features_in_``.

    >>> X = np.array([[2.0, 0.0, 0.5], [0.0, 1.0, -0.5], [-2.0, 0.0, 0.5], [0.0, -1.0, -0.5]])
    >>> ppca = PPCA(n_components=1, ddof=0).fit(X)
    >>> ppca.explained_variance_, round(ppca.noise_variance_, 12)   # λ = (2, 0.5, 0.25)
    (array([2.]), 0.375)
    >>> ppca.W_.T                                           # √(2 − 0.375) e1
    array([[1.27475488, 0.        , 0.        ]])
    >>> round(ppca.score(X), 6)
    -3.62256
    """

    def __init__(self, n_components: int, ddof: int = 1) -> None:
        _check_n_components(n_components, None, "PPCA", name="n_components")
        if ddof not in (0, 1):
            raise ValueError(f"PPCA: ddof must be 0 (maximum likelihood) or 1 (scikit-learn's "
                             f"PCA), got {ddof!r}")
        self.n_components = int(n_components)
        self.ddof = ddof

    def __repr__(self) -> str:
        return f"PPCA(n_components={self.n_components!r}, ddof={self.ddof!r})"

    def fit(self, X: ArrayLike, y: object = None) -> PPCA:
        """Estimate μ, W and σ² from X (n_samples, n_features) in closed form; return self.

        >>> round(PPCA(1).fit([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]).noise_variance_, 12)
        0.333333333333
        """
        array = _as_finite_matrix(X, "PPCA.fit")
        n_samples, n_features = array.shape
        k = self.n_components
        if k >= n_features:
            raise ValueError(
                f"PPCA.fit: n_components={k} must be smaller than the {n_features} features, "
                f"so that at least one direction is left to estimate the noise variance"
            )
        if n_samples <= self.ddof or n_samples < 2:
            raise ValueError(f"PPCA.fit: need at least 2 samples, got {n_samples}")
        pca = PCA(min(n_samples, n_features)).fit(array)
        variances = pca.singular_values_**2 / (n_samples - self.ddof)
        noise = float(variances[k:].sum() / (n_features - k))
        self.mean_ = pca.mean_
        self.components_ = pca.components_[:k].copy()
        self.explained_variance_ = variances[:k].copy()
        self.noise_variance_ = noise
        self.W_ = self.components_.T * np.sqrt(np.maximum(self.explained_variance_ - noise, 0))
        self.n_components_ = k
        self.n_features_in_ = n_features
        return self

    def _centred(self, X: ArrayLike, caller: str) -> FloatArray:
        if not hasattr(self, "W_"):
            raise NotFittedError(f"{caller}: this PPCA is not fitted yet; call fit(X) first")
        array = _as_finite_matrix(X, caller)
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{caller}: X has {array.shape[1]} features, but this PPCA was fitted on "
                f"{self.n_features_in_}; pass data with the same columns as in fit"
            )
        return array - self.mean_

    def transform(self, X: ArrayLike) -> FloatArray:
        """The posterior mean of the code, E[z | x] = M⁻¹ Wᵀ (x − μ) with M = WᵀW + σ² I,
        shape (n_samples, n_components): what a linear VAE's encoder mean learns.

        >>> PPCA(1, ddof=0).fit([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]]).transform(
        ...     [[2.0, 0.0]])
        array([[1.22474487]])
        """
        centred = self._centred(X, "PPCA.transform")
        gram = self.W_.T @ self.W_ + self.noise_variance_ * np.eye(self.n_components_)
        return np.linalg.solve(gram, (centred @ self.W_).T).T

    def fit_transform(self, X: ArrayLike, y: object = None) -> FloatArray:
        """fit(X), then transform(X): the posterior means of X's codes."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: ArrayLike) -> FloatArray:
        """The model's mean for codes Z: Z Wᵀ + μ, shape (n_samples, n_features). Applied to
        transform(X) it gives PCA's projection of X shrunk toward μ by the factor
        (λ_j − σ²)/λ_j along component j: the posterior mean hedges toward the prior.

        >>> model = PPCA(1, ddof=0).fit([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        >>> model.inverse_transform(model.transform([[2.0, 0.0]]))   # (2 − 0.5)/2 · 2
        array([[1.5, 0. ]])
        """
        if not hasattr(self, "W_"):
            raise NotFittedError("PPCA.inverse_transform: this PPCA is not fitted yet; call "
                                 "fit(X) first")
        codes = _as_finite_matrix(Z, "PPCA.inverse_transform", name="Z")
        if codes.shape[1] != self.n_components_:
            raise ValueError(f"PPCA.inverse_transform: Z has {codes.shape[1]} columns, but this "
                             f"PPCA has {self.n_components_} components")
        return codes @ self.W_.T + self.mean_

    def get_covariance(self) -> FloatArray:
        """The model covariance C = W Wᵀ + σ² I, shape (n_features, n_features)."""
        if not hasattr(self, "W_"):
            raise NotFittedError("PPCA.get_covariance: this PPCA is not fitted yet; call fit(X) "
                                 "first")
        return self.W_ @ self.W_.T + self.noise_variance_ * np.eye(self.n_features_in_)

    def score_samples(self, X: ArrayLike) -> FloatArray:
        """log p(x_i) under the fitted model, for each row, shape (n_samples,).

        >>> ppca = PPCA(1).fit([[0.0, 0.0], [2.0, 1.0], [4.0, 0.0], [2.0, -1.0]])
        >>> ppca.score_samples([[1.0, 0.0]]).round(6)
        array([-2.313059])
        """
        centred = self._centred(X, "PPCA.score_samples")
        if self.noise_variance_ <= 0:
            raise ValueError("PPCA.score_samples: the fitted noise variance is 0 (the data lie "
                             "in a k-dimensional subspace), so the density is singular; fit "
                             "fewer components")
        m, k = self.n_features_in_, self.n_components_
        codes = centred @ self.components_.T
        residual = centred - codes @ self.components_
        quadratic = ((codes**2) / self.explained_variance_).sum(axis=1) + (
            residual**2).sum(axis=1) / self.noise_variance_
        log_det = np.log(self.explained_variance_).sum() + (m - k) * np.log(self.noise_variance_)
        return -0.5 * (m * np.log(2 * np.pi) + log_det + quadratic)

    def score(self, X: ArrayLike, y: object = None) -> float:
        """The mean log-likelihood (1/N) Σ_i log p(x_i), scikit-learn's ``score``."""
        return float(self.score_samples(X).mean())
