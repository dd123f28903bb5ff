"""What every data source shares: its errors, array checks and random bases.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

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
