"""Data with known structure: a prescribed spectrum, the paper's 2-D cloud, spiked
covariance, curved manifolds, and scikit-learn's digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from ._common import _ORTHONORMAL_ATOL, SeedLike, _check_count, _float_dtype, _random_orthonormal

# ---------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------


def with_spectrum(
    n_samples: int,
    eigenvalues: npt.ArrayLike,
    mean: npt.ArrayLike | None = None,
    seed: SeedLike = None,
    components: npt.ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Data whose 1/N covariance is exactly ``Q diag(λ) Q^T`` and whose mean is exactly ``μ``.

    The generator of docs/theory.md#data-with-an-exact-spectrum, with m = ``len(eigenvalues)``
    and N = ``n_samples``:

    1. draw Z ~ N(0, I) of shape (N, m) and subtract its column means;
    2. take the thin SVD Z = U S V^T and set Z_w = √N U V^T, so (1/N) Z_w^T Z_w = V U^T U V^T = I
       and 1^T Z_w = 0 (U's columns lie in the span of the centred Z, orthogonal to 1);
    3. return X = Z_w diag(√λ) Q^T + μ, with Q Haar-orthogonal unless ``components`` is given.

    So (1/N) Σ_i (x_i − μ)(x_i − μ)^T = Q diag(λ) Q^T up to rounding (~1e-15): the Eckart–Young
    bound and the principal directions are known exactly, not estimated.

    Args:
        n_samples: N, at least m + 1 (a centred N×m matrix has rank at most N − 1).
        eigenvalues: λ, shape (m,), finite and >= 0, in any order (zeros give a singular Σ).
        mean: μ, shape (m,); zeros when omitted.
        seed: seeds both Z and, when ``components`` is omitted, Q.
        components: Q, shape (m, m) with orthonormal columns; column j goes with ``λ_j``.

    Returns:
        ``(X, components)``: X of shape (n_samples, m), float64, and Q of shape (m, m), whose
        column j is the eigenvector of the covariance with eigenvalue ``eigenvalues[j]``.

    >>> X, Q = with_spectrum(10, [4.0, 1.0], mean=[1.0, -2.0], seed=0)
    >>> X.shape, Q.shape
    ((10, 2), (2, 2))
    >>> bool(np.allclose(X.mean(axis=0), [1.0, -2.0]))
    True
    >>> cov = (X - X.mean(axis=0)).T @ (X - X.mean(axis=0)) / len(X)
    >>> bool(np.allclose(cov, Q @ np.diag([4.0, 1.0]) @ Q.T, atol=1e-12))
    True
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(
            f"with_spectrum: eigenvalues must be a non-empty 1-D sequence, got shape {lam.shape}"
        )
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(
            f"with_spectrum: eigenvalues are variances, so they must be finite and >= 0, got {lam}"
        )
    m = lam.size
    n = _check_count(n_samples, "n_samples", "with_spectrum")
    if n < m + 1:
        raise ValueError(
            f"with_spectrum: n_samples must be at least len(eigenvalues) + 1 = {m + 1} for the "
            f"centred data to have full rank {m}, got n_samples={n}"
        )
    mu = np.zeros(m) if mean is None else np.asarray(mean, dtype=np.float64)
    if mu.shape != (m,):
        raise ValueError(
            f"with_spectrum: mean must have shape ({m},) like eigenvalues, got {mu.shape}"
        )
    rng = np.random.default_rng(seed)
    if components is None:
        Q = _random_orthonormal(rng, m, m)
    else:
        Q = np.asarray(components, dtype=np.float64)
        if Q.shape != (m, m):
            raise ValueError(
                f"with_spectrum: components must have shape ({m}, {m}), one column per "
                f"eigenvalue, got {Q.shape}"
            )
        if not np.allclose(Q.T @ Q, np.eye(m), rtol=0.0, atol=_ORTHONORMAL_ATOL):
            raise ValueError(
                "with_spectrum: the columns of components must be orthonormal (Q^T Q = I); "
                "orthonormalise them first, e.g. with np.linalg.qr"
            )

    Z = rng.standard_normal((n, m))
    Z -= Z.mean(axis=0)
    U, _, Vt = np.linalg.svd(Z, full_matrices=False)
    Z_white = np.sqrt(n) * (U @ Vt)
    X = (Z_white * np.sqrt(lam)) @ Q.T + mu
    return X, Q


def correlated_2d_directions(angle: float = np.pi / 6) -> np.ndarray:
    """The principal directions used by :func:`correlated_2d`, as the columns of a 2×2 rotation.

    u_1 = (cos a, sin a) is the direction of largest variance, u_2 = (−sin a, cos a).

    >>> correlated_2d_directions(0.0)
    array([[ 1., -0.],
           [ 0.,  1.]])
    """
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def correlated_2d(
    n: int,
    variance_ratio: float = 4.0,
    angle: float = np.pi / 6,
    mean: npt.ArrayLike = (0.0, 0.0),
    total_variance: float | None = None,
    seed: SeedLike = None,
    exact: bool = False,
    dtype: npt.DTypeLike = np.float64,
) -> np.ndarray:
    """The seed paper's 2-D setting: a Gaussian cloud whose long axis makes ``angle`` with x_1.

    X = Z diag(√λ_1, √λ_2) R^T + μ with R = ``correlated_2d_directions(angle)`` = [u_1 u_2]:
    the covariance is R diag(λ_1, λ_2) R^T, so PC1 is u_1 = (cos angle, sin angle) and
    λ_1/λ_2 = ``variance_ratio``. With ``total_variance=None``, λ_2 = 1 and λ_1 = variance_ratio;
    otherwise λ_1 + λ_2 = total_variance, i.e. λ_1 = T r/(1 + r), λ_2 = T/(1 + r).

    With ``exact=False`` Z is plain N(0, I), so the sample covariance only approaches the
    prescribed one as n grows (relative error ~ √(2/n)). With ``exact=True`` Z is whitened as in
    :func:`with_spectrum`, and the 1/N covariance and mean are exact to rounding (needs n >= 3).

    Args:
        n: number of samples.
        variance_ratio: λ_1/λ_2 >= 1 (1 gives an isotropic cloud with no preferred direction).
        angle: direction of PC1 in radians, counter-clockwise from the x_1 axis.
        mean: μ, shape (2,).
        total_variance: λ_1 + λ_2, or None for λ_2 = 1.
        seed: random seed.
        exact: make the 1/N covariance and the mean exactly the prescribed ones.
        dtype: float dtype of the result (the draw is in float64, then cast).

    Returns:
        X of shape (n, 2).

    >>> X = correlated_2d(500, variance_ratio=4.0, angle=np.pi / 6, seed=0, exact=True)
    >>> X.shape
    (500, 2)
    >>> eigenvalues, vectors = np.linalg.eigh(np.cov(X.T, bias=True))
    >>> [round(float(v), 12) for v in eigenvalues]
    [1.0, 4.0]
    >>> bool(np.isclose(abs(vectors[:, 1] @ [np.cos(np.pi / 6), np.sin(np.pi / 6)]), 1.0))
    True
    """
    caller = "correlated_2d"
    n = _check_count(n, "n", caller)
    target = _float_dtype(dtype, caller)
    if not np.isfinite(variance_ratio) or variance_ratio < 1:
        raise ValueError(
            f"{caller}: variance_ratio = λ1/λ2 must be a finite number >= 1, got "
            f"{variance_ratio}; to make the other axis the long one, add π/2 to angle"
        )
    if total_variance is None:
        lam = np.array([float(variance_ratio), 1.0])
    else:
        if not np.isfinite(total_variance) or total_variance <= 0:
            raise ValueError(f"{caller}: total_variance must be positive, got {total_variance}")
        lam = total_variance * np.array([variance_ratio, 1.0]) / (1.0 + variance_ratio)
    mu = np.asarray(mean, dtype=np.float64)
    if mu.shape != (2,):
        raise ValueError(f"{caller}: mean must have shape (2,), got {mu.shape}")
    R = correlated_2d_directions(angle)
    if exact:
        if n < 3:
            raise ValueError(f"{caller}: exact=True needs n >= 3, got n={n}")
        X, _ = with_spectrum(n, lam, mean=mu, seed=seed, components=R)
    else:
        Z = np.random.default_rng(seed).standard_normal((n, 2))
        X = (Z * np.sqrt(lam)) @ R.T + mu
    return X.astype(target, copy=False)


@overload
def spiked_covariance(
    n_samples: int,
    n_features: int,
    n_spikes: int = ...,
    spike_strength: float | Sequence[float] | None = ...,
    noise: float = ...,
    seed: SeedLike = ...,
    return_clean: Literal[False] = ...,
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def spiked_covariance(
    n_samples: int,
    n_features: int,
    n_spikes: int = ...,
    spike_strength: float | Sequence[float] | None = ...,
    noise: float = ...,
    seed: SeedLike = ...,
    *,
    return_clean: Literal[True],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def spiked_covariance(
    n_samples: int,
    n_features: int,
    n_spikes: int = 3,
    spike_strength: float | Sequence[float] | None = None,
    noise: float = 1.0,
    seed: SeedLike = None,
    return_clean: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A few strong directions under isotropic noise: Σ = U diag(s) U^T + σ² I.

    X = S + σ E with the clean signal S = Z diag(√s) U^T, Z ~ N(0, I) of shape
    (n_samples, n_spikes), E ~ N(0, I) of shape (n_samples, n_features), and U a random
    (Haar) set of n_spikes orthonormal columns. The population eigenvalues are s_j + σ² along
    u_j and σ² in every other direction; the population mean is 0.

    Whether the sample PCs find u_j depends on s_j/σ² against √(n_features/n_samples) (the BBP
    threshold): e.g. 2000 features, 500 samples and s/σ² = 10 give |cos(PC_j, u_j)| ≈ 0.83.

    Args:
        n_samples, n_features: shape of X; 2000 features take milliseconds (no m×m matrix).
        n_spikes: number of strong directions, 1 <= n_spikes <= n_features.
        spike_strength: the added variances s. ``None`` gives the distinct, decreasing
            10·(n_spikes, n_spikes − 1, …, 1), so each direction is identifiable; a float gives
            equal spikes (then only their span is identifiable); a sequence gives one per spike.
        noise: σ, the standard deviation of the isotropic noise (>= 0).
        seed: random seed.
        return_clean: also return S.

    Returns:
        ``(X, directions)`` or ``(X, directions, S)``: X and S of shape
        (n_samples, n_features); directions U of shape (n_features, n_spikes), orthonormal
        columns, column j with strength s_j.

    >>> X, U = spiked_covariance(200, 2000, n_spikes=3, seed=0)
    >>> X.shape, U.shape
    ((200, 2000), (2000, 3))
    >>> bool(np.allclose(U.T @ U, np.eye(3)))
    True
    """
    caller = "spiked_covariance"
    n = _check_count(n_samples, "n_samples", caller)
    m = _check_count(n_features, "n_features", caller)
    k = _check_count(n_spikes, "n_spikes", caller)
    if k > m:
        raise ValueError(f"{caller}: n_spikes ({k}) cannot exceed n_features ({m})")
    if spike_strength is None:
        strengths = 10.0 * np.arange(k, 0, -1, dtype=np.float64)
    else:
        given = np.asarray(spike_strength, dtype=np.float64)
        if given.shape not in ((), (k,)):
            raise ValueError(
                f"{caller}: spike_strength must be a number or {k} numbers (one per spike), "
                f"got {spike_strength!r}"
            )
        strengths = np.broadcast_to(given, (k,)).copy()
    if not np.all(np.isfinite(strengths)) or np.any(strengths <= 0):
        raise ValueError(f"{caller}: spike strengths must be positive, got {strengths}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{caller}: noise is a standard deviation and must be >= 0, got {noise}")

    rng = np.random.default_rng(seed)
    U = _random_orthonormal(rng, m, k)
    clean = (rng.standard_normal((n, k)) * np.sqrt(strengths)) @ U.T
    X = clean + noise * rng.standard_normal((n, m))
    if return_clean:
        return X, U, clean
    return X, U


@overload
def manifold_data(
    n_samples: int,
    n_features: int = ...,
    intrinsic_dim: int = ...,
    noise: float = ...,
    seed: SeedLike = ...,
    return_latent: Literal[False] = ...,
) -> np.ndarray: ...


@overload
def manifold_data(
    n_samples: int,
    n_features: int = ...,
    intrinsic_dim: int = ...,
    noise: float = ...,
    seed: SeedLike = ...,
    *,
    return_latent: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


def manifold_data(
    n_samples: int,
    n_features: int = 20,
    intrinsic_dim: int = 2,
    noise: float = 0.01,
    seed: SeedLike = None,
    return_latent: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Points near a curved ``intrinsic_dim``-dimensional manifold: a product of 270° arcs.

    Each latent coordinate t_j ~ Uniform(−1, 1) is bent onto a unit arc in its own plane,
    θ_j = (3π/4) t_j ↦ (cos θ_j, sin θ_j), giving a point c(t) in R^(2d) (d = intrinsic_dim);
    then X = c(t) B^T + noise · E, with B of shape (n_features, 2d) random orthonormal columns
    (an isometric embedding in a random 2d-dimensional subspace) and E ~ N(0, I).

    Each arc has variances ≈ 0.61 (along sin θ) and ≈ 0.30 (along cos θ), so PCA with d
    components discards about a third of the variance, while a non-linear autoencoder with a
    d-unit code can unroll the arcs and reconstruct down to the noise level.

    Args:
        n_samples: number of points.
        n_features: ambient dimension, at least 2 · intrinsic_dim.
        intrinsic_dim: d, the manifold's dimension (>= 1).
        noise: standard deviation of the isotropic Gaussian noise added in R^n_features.
        seed: random seed.
        return_latent: also return t, the latent coordinates in [−1, 1].

    Returns:
        X of shape (n_samples, n_features), or ``(X, t)`` with t of shape
        (n_samples, intrinsic_dim).

    >>> X, t = manifold_data(100, n_features=20, intrinsic_dim=2, seed=0, return_latent=True)
    >>> X.shape, t.shape
    ((100, 20), (100, 2))
    """
    caller = "manifold_data"
    n = _check_count(n_samples, "n_samples", caller)
    d = _check_count(intrinsic_dim, "intrinsic_dim", caller)
    m = _check_count(n_features, "n_features", caller)
    if m < 2 * d:
        raise ValueError(
            f"{caller}: each latent dimension is bent into its own plane, so n_features must be "
            f"at least 2 * intrinsic_dim = {2 * d}, got {m}"
        )
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{caller}: noise is a standard deviation and must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1.0, 1.0, size=(n, d))
    theta = 0.75 * np.pi * t
    curve = np.empty((n, 2 * d))
    curve[:, 0::2] = np.cos(theta)
    curve[:, 1::2] = np.sin(theta)
    B = _random_orthonormal(rng, m, 2 * d)
    X = curve @ B.T + noise * rng.standard_normal((n, m))
    if return_latent:
        return X, t
    return X


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 handwritten digits: X in [0, 1], and the labels.

    Pixel intensities 0…16 are divided by 16, so X has shape (1797, 64), dtype float64; y has
    shape (1797,), integers 0…9. No download: the data ships inside scikit-learn.

    Raises:
        ImportError: scikit-learn is not installed (the message gives the pip command).

    >>> X, y = digits()
    >>> X.shape, float(X.max()), y.shape
    ((1797, 64), 1.0, (1797,))
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "digits() needs scikit-learn, which bundles the 8x8 digits data set; "
            "install it with `pip install scikit-learn`"
        ) from exc
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0
    y = np.asarray(bunch.target)
    return X, y
