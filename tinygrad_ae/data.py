"""Synthetic data, file loaders and minibatches (layer: data, numpy only).

This module imports numpy and the standard library and nothing else of ours, so the data behind
a test never depends on the engine under test. scikit-learn is imported lazily, inside
:func:`digits` only.

Conventions, as in THEORY.md §0: a data matrix ``X`` has shape ``(n_samples, n_features)``;
the covariance is the population one, ``Σ = (1/N) Σ_i (x_i − μ)(x_i − μ)^T``; a matrix of
*directions* (``components``) holds one unit vector per **column**, ordered like the eigenvalues
that go with it (``pca.PCA.components_`` follows scikit-learn and holds them in rows instead).

Generators:

- :func:`with_spectrum`: data whose 1/N covariance is exactly ``Q diag(λ) Q^T`` (THEORY §4).
- :func:`correlated_2d`: the seed paper's 2-D setting, a tilted Gaussian cloud.
- :func:`spiked_covariance`: a few strong directions under isotropic noise (thousands of features).
- :func:`manifold_data`: points near a curved low-dimensional manifold, where PCA falls short.
- :func:`digits`: scikit-learn's bundled 8×8 digits, scaled to [0, 1].

Files and batches: :func:`load_array` (``.npy`` memory-mapped, ``.npz``, ``.csv``; every problem
raises :class:`DataError` naming the file, and for CSV the line and column) and
:func:`minibatches` (reads only one batch of rows at a time, so ``X`` may live on disk).

Every ``seed`` argument accepts ``None``, an ``int`` or a ``np.random.Generator``.
"""

from __future__ import annotations

import csv
import errno
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "DataError",
    "DataFileNotFound",
    "SeedLike",
    "SupportsRows",
    "as_float_array",
    "correlated_2d",
    "correlated_2d_directions",
    "digits",
    "load_array",
    "manifold_data",
    "minibatches",
    "spiked_covariance",
    "with_spectrum",
]

SeedLike = int | np.random.Generator | None
"""Anything ``np.random.default_rng`` accepts as a seed: ``None``, an int, or a Generator."""

_SUPPORTED_SUFFIXES = (".npy", ".npz", ".csv")
# Tolerance for "these columns are orthonormal" on user-supplied components: hand-written
# rotations (cos/sin) are accurate to ~1e-16, so 1e-8 only rejects real mistakes.
_ORTHONORMAL_ATOL = 1e-8
# The finiteness scan of a loaded array reads this many bytes at a time, so checking a
# memory-mapped file never holds more than one block of it in memory.
_SCAN_BLOCK_BYTES = 1 << 24


class DataError(ValueError):
    """A data file or data argument that cannot be used; the message names the file and place."""


class DataFileNotFound(DataError, FileNotFoundError):
    """``load_array`` was given a path that does not exist (also a ``FileNotFoundError``)."""


class SupportsRows(Protocol):
    """What :func:`minibatches` needs from ``X``: a ``shape`` and ``X[start:stop]`` row slices.

    ``np.ndarray``, ``np.memmap``, ``h5py.Dataset`` and ``zarr.Array`` all qualify.
    """

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, key: Any, /) -> Any: ...


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def as_float_array(X: npt.ArrayLike, dtype: npt.DTypeLike | None = None) -> np.ndarray:
    """Return ``X`` as a floating-point ``np.ndarray``, copying only when the dtype changes.

    With ``dtype=None`` float32 and float64 are kept and everything else numeric (ints, bools,
    float16) becomes float64, the same rule as ``Tensor``. Shapes are unchanged.

    >>> as_float_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> as_float_array(np.ones(3, dtype=np.float32)).dtype
    dtype('float32')
    """
    if dtype is not None:
        target = np.dtype(dtype)
        if target.kind != "f":
            raise ValueError(f"as_float_array: dtype must be a float dtype, got {target}")
        try:
            return np.asarray(X, dtype=target)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"as_float_array: cannot convert the input to {target}: {exc}"
            ) from None
    array = np.asarray(X)
    if array.dtype in (np.float32, np.float64):
        return array
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"as_float_array: expected numbers (bool, int or float), got dtype {array.dtype}"
        )
    return array.astype(np.float64)


def _float_dtype(dtype: npt.DTypeLike, caller: str) -> np.dtype:
    target = np.dtype(dtype)
    if target.kind != "f":
        raise ValueError(f"{caller}: dtype must be a float dtype such as float64, got {target}")
    return target


def _check_count(value: object, name: str, caller: str, minimum: int = 1) -> int:
    """``value`` as an int >= minimum; bools and floats are rejected (``n=2.5`` is a mistake)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{caller}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{caller}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _random_orthonormal(rng: np.random.Generator, n_rows: int, n_cols: int) -> np.ndarray:
    """Haar-distributed orthonormal columns, shape ``(n_rows, n_cols)``.

    QR of a Gaussian matrix, with each column's sign flipped so that diag(R) > 0: without the
    fix, numpy's sign convention biases the distribution away from Haar (Mezzadri 2007).
    """
    q, r = np.linalg.qr(rng.standard_normal((n_rows, n_cols)))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


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

    The generator of THEORY §4, with m = ``len(eigenvalues)`` and N = ``n_samples``:

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


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def load_array(
    path: str | os.PathLike[str],
    dtype: npt.DTypeLike = np.float64,
    mmap: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Read a 2-D numeric array of shape (n_samples, n_features) from .npy, .npz or .csv.

    - ``.npy``: opened with ``np.load(mmap_mode="r")`` when ``mmap`` is true, so the result is a
      read-only ``np.memmap`` and rows are read from disk only when used. If the stored dtype is
      not ``dtype`` the array is converted, which reads it all into memory.
    - ``.npz``: the single array inside, or else the one named ``"X"``, or else ``"data"``.
    - ``.csv``: comma-separated numbers, one sample per line; blank lines are skipped. The first
      non-blank line is a header when none of its cells is a number.

    Pickled data is never loaded. With ``check_finite`` (the default), NaN and inf are errors;
    for .npy/.npz the scan goes block by block, so a memory-mapped file is never held whole.

    Raises:
        DataFileNotFound: the path does not exist (a ``DataError`` and a ``FileNotFoundError``).
        DataError: anything else wrong with the file, naming it and, for CSV, the line and
            column (counted from 1, as editors do); for arrays the row and column of the first
            non-finite value (counted from 0, as numpy indexes).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = path.write_text("x1,x2\\n1.0,2.0\\n3.0,4.5\\n")
    >>> load_array(path)
    array([[1. , 2. ],
           [3. , 4.5]])
    """
    path = Path(path)
    target = _float_dtype(dtype, "load_array")
    if not path.exists():
        raise DataFileNotFound(f"{path}: the path does not exist")
    if path.is_dir():
        raise DataError(f"{path}: is a directory; load_array needs a .npy, .npz or .csv file")
    suffix = path.suffix.lower()
    if suffix not in _SUPPORTED_SUFFIXES:
        shown = repr(suffix) if suffix else "(no suffix)"
        raise DataError(
            f"{path}: unsupported file type {shown}; load_array reads "
            f"{', '.join(_SUPPORTED_SUFFIXES[:-1])} or {_SUPPORTED_SUFFIXES[-1]} files"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes)")
    if suffix == ".csv":
        return _read_csv(path, target)
    array = _read_numpy(path, mmap)
    _check_numeric_2d(path, array)
    if check_finite and array.dtype.kind == "f":
        _check_finite_rows(path, array)
    if array.dtype == target:
        return array
    return array.astype(target)


def _read_numpy(path: Path, mmap: bool) -> np.ndarray:
    """np.load for .npy/.npz (told apart by magic bytes, whatever the suffix), never unpickling."""
    try:
        with open(path, "rb") as file:
            magic = file.read(6)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):
        raise DataError(
            f"{path}: not a numpy file (it lacks the .npy/.npz magic bytes); write it with "
            f"np.save or np.savez, or save text as .csv"
        )
    try:
        loaded = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (MemoryError, OSError) as exc:
        if isinstance(exc, MemoryError) or exc.errno == errno.ENOMEM:
            raise DataError(
                f"{path}: not enough address space to map the file ({exc}); raise the "
                f"process's memory limit, or read it in pieces with "
                f"tinygrad_ae.online.NpyRows"
            ) from None
        raise DataError(
            f"{path}: cannot be read as a numpy array ({exc}); the file may be corrupt or "
            f"truncated, or hold Python objects, which are never unpickled"
        ) from None
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path}: cannot be read as a numpy array ({exc}); the file may be corrupt or "
            f"truncated, or hold Python objects, which are never unpickled"
        ) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        return loaded
    with loaded:
        keys = list(loaded.files)
        if len(keys) == 1:
            key = keys[0]
        elif "X" in keys:
            key = "X"
        elif "data" in keys:
            key = "data"
        elif not keys:
            raise DataError(f"{path}: the archive holds no arrays")
        else:
            raise DataError(
                f"{path}: holds several arrays ({', '.join(keys)}) and none is named 'X' or "
                f"'data'; save the one to load as np.savez(path, X=...)"
            )
        try:
            return loaded[key]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(
                f"{path}: cannot read array {key!r}, the file may be corrupt ({exc})"
            ) from None


def _check_numeric_2d(path: Path, array: np.ndarray) -> None:
    if array.dtype.kind not in "biuf":
        raise DataError(
            f"{path}: holds values of dtype {array.dtype}; load_array needs numbers "
            f"(bool, int or float)"
        )
    if array.ndim == 1:
        raise DataError(
            f"{path}: holds a 1-D array of shape {array.shape}, but data must be 2-D "
            f"(n_samples, n_features); reshape it with X.reshape(-1, 1) for one feature "
            f"or X.reshape(1, -1) for one sample, and save it again"
        )
    if array.ndim != 2:
        raise DataError(
            f"{path}: holds a {array.ndim}-D array of shape {array.shape}, but data must be 2-D "
            f"(n_samples, n_features); flatten each sample, e.g. X.reshape(len(X), -1)"
        )
    if array.size == 0:
        raise DataError(f"{path}: contains no data (shape {array.shape})")


def _check_finite_rows(path: Path, array: np.ndarray) -> None:
    """Raise at the first non-finite entry, reading ``array`` one block of rows at a time."""
    row_bytes = max(1, array.shape[1] * array.dtype.itemsize)
    step = max(1, _SCAN_BLOCK_BYTES // row_bytes)
    for start in range(0, array.shape[0], step):
        bad = ~np.isfinite(np.asarray(array[start : start + step]))
        if bad.any():
            row, column = (int(i) for i in np.argwhere(bad)[0])
            value = float(array[start + row, column])
            raise DataError(
                f"{path}: row {start + row}, column {column} (counting from 0) is "
                f"{_describe_non_finite(value)}; remove or impute missing values first"
            )


def _describe_non_finite(value: float) -> str:
    if np.isnan(value):
        return "NaN"
    return "+inf" if value > 0 else "-inf"


def _read_csv(path: Path, dtype: np.dtype) -> np.ndarray:
    """Parse a comma-separated file cell by cell, so every error can name its line and column."""
    rows: list[list[float]] = []
    n_columns = 0
    width_line = 0  # the line whose width every later row must match
    has_header = False
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, strict=True)  # a stray quote is an error, not data
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if not width_line:
                    n_columns, width_line = len(row), line
                    if all(_parse_number(cell) is None for cell in row):
                        has_header = True
                        continue
                if len(row) != n_columns:
                    raise DataError(
                        f"{path}, line {line} has {len(row)} columns, expected {n_columns} "
                        f"(as on line {width_line})"
                    )
                rows.append(
                    [_parse_cell(path, line, column, cell) for column, cell in enumerate(row, 1)]
                )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    except csv.Error as exc:
        raise DataError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not rows:
        what = "a header row but no data rows" if has_header else "no data rows"
        raise DataError(f"{path}: the file has {what}")
    return np.array(rows, dtype=dtype)


def _parse_number(cell: str) -> float | None:
    """float(cell), or None when the cell is not a number (``float`` alone accepts "1_000")."""
    text = cell.strip()
    if not text or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _parse_cell(path: Path, line: int, column: int, cell: str) -> float:
    where = f"{path}, line {line}, column {column}"
    value = _parse_number(cell)
    if value is None:
        if not cell.strip():
            raise DataError(f"{where} is empty; every cell must hold a number")
        hint = ""
        if any(separator in cell.strip() for separator in ";\t "):
            hint = " (values must be separated by commas)"
        elif line == 1:
            hint = " (a header row may not contain numbers)"
        raise DataError(f"{where}: {cell!r} is not a number{hint}")
    if not np.isfinite(value):
        raise DataError(
            f"{where} is {_describe_non_finite(value)}; remove or impute missing values first"
        )
    return value


# ---------------------------------------------------------------------------------------------
# Minibatches
# ---------------------------------------------------------------------------------------------


def minibatches(
    X: SupportsRows | npt.ArrayLike,
    batch_size: int | None,
    shuffle: bool | Literal["batches", "rows"] = True,
    seed: SeedLike = None,
) -> Iterator[np.ndarray]:
    """Iterate over ``X`` in batches of rows, reading only one batch from ``X`` at a time.

    ``X`` is anything with ``shape`` and row slicing (``np.ndarray``, ``np.memmap``, an h5py
    dataset, a zarr array); it is never converted whole. With N = ``X.shape[0]``,
    b = ``batch_size`` and B = ⌈N/b⌉ batches, batch i reads exactly one of these requests:

    - ``shuffle=False``: ``X[i*b : (i+1)*b]``, for i = 0 … B−1 in order.
    - ``shuffle="batches"``: the same contiguous slices, visited in a random order. Batches keep
      their rows from epoch to epoch; each read is one sequential slice, the fastest for disk.
    - ``shuffle="rows"``: a fresh permutation p of 0 … N−1 is drawn once per call, and batch i
      reads ``X[np.sort(p[i*b : (i+1)*b])]``, one integer-array read of just those rows, in
      increasing order (h5py requires that); rows come back in that sorted order.
    - ``shuffle=True``: ``"rows"`` when X is an in-memory ``np.ndarray`` (it costs nothing
      there), ``"batches"`` for anything else, including ``np.memmap``.

    Every row appears in exactly one batch; every batch has b rows except possibly the last,
    which has N − (B−1) b. ``batch_size=None`` yields ``np.asarray(X)`` once, unshuffled (full
    batch gradient descent). The same int ``seed`` gives the same batches; pass one
    ``np.random.Generator`` to successive calls to get a new order each epoch.

    Arguments are checked at the call, before any row is read; each read happens only when its
    batch is asked for. Batches are ``np.ndarray``; from a memmap a contiguous batch is a view
    of the mapped file, so copy it if you keep it past the next batch.

    >>> X = np.arange(10.0).reshape(5, 2)
    >>> [batch[:, 0].tolist() for batch in minibatches(X, 2, shuffle=False)]
    [[0.0, 2.0], [4.0, 6.0], [8.0]]
    >>> sorted(len(batch) for batch in minibatches(X, 2, seed=0))
    [1, 2, 2]
    """
    rows: Any = X if hasattr(X, "shape") and hasattr(X, "__getitem__") else np.asarray(X)
    shape = tuple(rows.shape)
    if len(shape) == 0 or shape[0] == 0:
        raise ValueError(
            f"minibatches: X must have at least one row (shape (n_samples, ...)), got shape {shape}"
        )
    n = int(shape[0])
    if batch_size is None:
        return iter([np.asarray(rows)])
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or not 1 <= batch_size <= n
    ):
        raise ValueError(
            f"minibatches: batch_size must be a positive integer no larger than the number of "
            f"samples ({n}), or None for the full batch; got {batch_size!r}"
        )
    b = int(batch_size)
    if shuffle is True:
        mode = "rows" if type(rows) is np.ndarray else "batches"
    elif shuffle is False:
        mode = "ordered"
    elif shuffle in ("batches", "rows"):
        mode = shuffle
    else:
        raise ValueError(
            f"minibatches: shuffle must be True, False, 'batches' or 'rows', got {shuffle!r}"
        )
    starts = range(0, n, b)
    if mode == "rows":
        permutation = np.random.default_rng(seed).permutation(n)
        requests: list[Any] = [np.sort(permutation[start : start + b]) for start in starts]
    else:
        order = list(starts)
        if mode == "batches":
            order = [order[i] for i in np.random.default_rng(seed).permutation(len(order))]
        requests = [slice(start, start + b) for start in order]
    return _read_batches(rows, requests)


def _read_batches(rows: Any, requests: list[Any]) -> Iterator[np.ndarray]:
    # NOTE: one X[...] per batch, issued only when the batch is asked for; this laziness is
    # what keeps a memory-mapped or on-disk X out of memory.
    for request in requests:
        yield np.asarray(rows[request])
