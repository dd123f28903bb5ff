"""Reading arrays from files (.npy, .npz, .csv) with clear errors, and minibatches.
"""

from __future__ import annotations

import csv
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tinygrad_ae._files import describe_special_file, memory_bytes

from ._common import (
    _SCAN_BLOCK_BYTES,
    _SUPPORTED_SUFFIXES,
    DataError,
    DataFileNotFound,
    SeedLike,
    SupportsRows,
    _float_dtype,
)

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
    if not path.is_file():
        raise DataError(f"{path}: is {describe_special_file(path)}, not a regular file; "
                        f"load_array needs a .npy, .npz or .csv file saved on disk")
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
    try:
        if suffix == ".csv":
            return _read_csv(path, target)
        array = _read_numpy(path, mmap)
        _check_numeric_2d(path, array)
        if check_finite and array.dtype.kind == "f":
            _check_finite_rows(path, array)
        if array.dtype == target:
            return array
        return array.astype(target)
    except MemoryError:
        raise DataError(f"{path}: too large to fit in memory; use a smaller file, or read "
                        f"it in pieces with tinygrad_ae.online.NpyRows") from None


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
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises ValueError,
        # SyntaxError, tokenize.TokenError, ...: every one means a damaged file
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
        _check_declared_size(path, loaded, key)
        try:
            return loaded[key]
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - as above: any parse failure is a bad file
            raise DataError(
                f"{path}: cannot read array {key!r}, the file may be corrupt ({exc})"
            ) from None


def _check_declared_size(path: Path, archive: Any, key: str) -> None:
    """Refuse, from its header alone, an array of an archive that could not fit in this
    machine's memory (a compressed "zip bomb" declares a huge array in a small file)."""
    try:
        with archive.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = reader(member)
    except Exception:  # noqa: BLE001 - a bad header is reported when the array is read
        return
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    memory = memory_bytes()
    if memory is not None and declared > memory:
        raise DataError(
            f"{path}: array {key!r} declares shape {tuple(shape)} ({declared / 1e9:.3g} GB), "
            f"more than this machine's memory ({memory / 1e9:.3g} GB); it cannot be loaded"
        )


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
