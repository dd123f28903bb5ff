"""Tests for tinygrad_ae.data: generators against exact eigen-decompositions, loaders against
files written in the test, and minibatches against a recording wrapper around a memmap."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae.data import (
    DataError,
    DataFileNotFound,
    as_float_array,
    correlated_2d,
    correlated_2d_directions,
    digits,
    load_array,
    manifold_data,
    minibatches,
    spiked_covariance,
    with_spectrum,
)

# Exact generators: the whitening step is exact up to rounding, ~1e-15 times the scale of λ and μ
# (here λ <= 1, |μ| <= 10); 1e-12 leaves a wide margin and still catches any 1/(N-1) slip.
EXACT_ATOL = 1e-12
# Sampled (non-exact) data: n = 200_000 draws give variance estimates with relative standard
# deviation √(2/n) ≈ 0.3%, and PC1 angle errors ≈ 0.002 rad; the bounds are ~10 sigma.
SAMPLED_RATIO_RTOL = 0.05
SAMPLED_ANGLE_ATOL = 0.02


def covariance(X: np.ndarray) -> np.ndarray:
    """The population (1/N) covariance of docs/theory.md#conventions, computed independently of
    data.py."""
    centred = X - X.mean(axis=0)
    return centred.T @ centred / len(X)


def top_eigenvector(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eigenvalues, vectors = np.linalg.eigh(covariance(X))
    return eigenvalues[::-1], vectors[:, ::-1]


# ---------------------------------------------------------------------------------------------
# with_spectrum
# ---------------------------------------------------------------------------------------------


@st.composite
def spectra(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, int]:
    """docs/theory.md#data-with-an-exact-spectrum: m in [2, 5], λ_1 = 1, later λ's from drawn
    ratios, N >= m + 1, an int seed."""
    m = draw(st.integers(2, 5))
    ratios = draw(st.lists(st.floats(0.01, 1.0), min_size=m - 1, max_size=m - 1))
    eigenvalues = np.cumprod([1.0, *ratios])
    n_samples = draw(st.integers(m + 1, 60))
    mean = np.array(draw(st.lists(st.floats(-10, 10), min_size=m, max_size=m)))
    seed = draw(st.integers(0, 2**32 - 1))
    return n_samples, eigenvalues, mean, seed


@given(case=spectra())
def test_with_spectrum_has_exact_covariance_and_mean(case):
    n_samples, eigenvalues, mean, seed = case
    X, Q = with_spectrum(n_samples, eigenvalues, mean=mean, seed=seed)
    m = len(eigenvalues)
    assert X.shape == (n_samples, m) and Q.shape == (m, m)
    np.testing.assert_allclose(Q.T @ Q, np.eye(m), rtol=0, atol=EXACT_ATOL)
    np.testing.assert_allclose(X.mean(axis=0), mean, rtol=0, atol=EXACT_ATOL)
    np.testing.assert_allclose(
        covariance(X), Q @ np.diag(eigenvalues) @ Q.T, rtol=0, atol=EXACT_ATOL
    )


def test_with_spectrum_keeps_given_components_and_eigenvalue_order():
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
    eigenvalues = [0.5, 3.0, 1.0]  # deliberately unsorted: column j must still go with λ_j
    X, components = with_spectrum(20, eigenvalues, seed=2, components=Q)
    np.testing.assert_array_equal(components, Q)
    sigma = covariance(X)
    for j, lam in enumerate(eigenvalues):
        np.testing.assert_allclose(sigma @ Q[:, j], lam * Q[:, j], rtol=0, atol=EXACT_ATOL)


def test_with_spectrum_is_reproducible_with_a_seed():
    first = with_spectrum(10, [2.0, 1.0], seed=7)
    second = with_spectrum(10, [2.0, 1.0], seed=7)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_samples=3, eigenvalues=[1.0, 1.0, 1.0]), r"at least len\(eigenvalues\) \+ 1 = 4"),
        (dict(n_samples=10, eigenvalues=[1.0, -1.0]), r"finite and >= 0"),
        (dict(n_samples=10, eigenvalues=[[1.0, 2.0]]), r"1-D"),
        (dict(n_samples=10, eigenvalues=[1.0, 2.0], mean=[0.0]), r"mean must have shape \(2,\)"),
        (
            dict(n_samples=10, eigenvalues=[1.0, 2.0], components=[[1.0, 1.0], [0.0, 1.0]]),
            r"orthonormal",
        ),
        (dict(n_samples=10, eigenvalues=[1.0, 2.0], components=np.eye(3)), r"shape \(2, 2\)"),
        (dict(n_samples=2.5, eigenvalues=[1.0]), r"n_samples must be an integer"),
    ],
    ids=["few-samples", "negative", "2-D", "mean-shape", "not-orthonormal", "Q-shape", "float-n"],
)
def test_with_spectrum_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        with_spectrum(**kwargs)


# ---------------------------------------------------------------------------------------------
# correlated_2d
# ---------------------------------------------------------------------------------------------


def test_correlated_2d_directions_are_a_rotation():
    R = correlated_2d_directions(np.pi / 6)
    np.testing.assert_allclose(R[:, 0], [np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-15)
    assert np.linalg.det(R) == pytest.approx(1.0)


@given(
    angle=st.floats(-np.pi, np.pi),
    ratio=st.floats(1.5, 20.0),
    total_variance=st.none() | st.floats(0.1, 10.0),
    n=st.integers(3, 200),
    seed=st.integers(0, 1000),
)
def test_correlated_2d_exact_has_the_prescribed_spectrum(angle, ratio, total_variance, n, seed):
    X = correlated_2d(
        n, ratio, angle, mean=(1.0, -2.0), total_variance=total_variance, seed=seed, exact=True
    )
    if total_variance is None:
        lam_1, lam_2 = ratio, 1.0
    else:
        lam_1, lam_2 = total_variance * ratio / (1 + ratio), total_variance / (1 + ratio)
    u_1 = np.array([np.cos(angle), np.sin(angle)])
    u_2 = np.array([-np.sin(angle), np.cos(angle)])
    expected = lam_1 * np.outer(u_1, u_1) + lam_2 * np.outer(u_2, u_2)
    np.testing.assert_allclose(covariance(X), expected, rtol=0, atol=EXACT_ATOL * lam_1)
    np.testing.assert_allclose(X.mean(axis=0), [1.0, -2.0], rtol=0, atol=EXACT_ATOL)


def test_correlated_2d_sampled_matches_within_statistical_tolerance():
    angle, ratio = np.pi / 6, 4.0
    X = correlated_2d(200_000, variance_ratio=ratio, angle=angle, mean=(3.0, 1.0), seed=0)
    eigenvalues, vectors = top_eigenvector(X)
    assert eigenvalues[0] / eigenvalues[1] == pytest.approx(ratio, rel=SAMPLED_RATIO_RTOL)
    cosine = abs(vectors[:, 0] @ [np.cos(angle), np.sin(angle)])
    assert np.arccos(min(cosine, 1.0)) < SAMPLED_ANGLE_ATOL
    np.testing.assert_allclose(X.mean(axis=0), [3.0, 1.0], atol=0.02)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("exact", [False, True], ids=["sampled", "exact"])
def test_correlated_2d_shape_dtype_and_seed(dtype, exact):
    X = correlated_2d(50, seed=3, exact=exact, dtype=dtype)
    assert X.shape == (50, 2) and X.dtype == dtype
    np.testing.assert_array_equal(X, correlated_2d(50, seed=3, exact=exact, dtype=dtype))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n=10, variance_ratio=0.5), r"variance_ratio .* >= 1.*add π/2 to angle"),
        (dict(n=10, mean=(0.0, 0.0, 0.0)), r"mean must have shape \(2,\)"),
        (dict(n=2, exact=True), r"exact=True needs n >= 3"),
        (dict(n=10, dtype=np.int64), r"float dtype"),
        (dict(n=10, total_variance=-1.0), r"total_variance must be positive"),
        (dict(n=0), r"n must be at least 1"),
    ],
    ids=["ratio<1", "mean-shape", "exact-n", "int-dtype", "total-variance", "n=0"],
)
def test_correlated_2d_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        correlated_2d(**kwargs)


# ---------------------------------------------------------------------------------------------
# spiked_covariance, manifold_data, digits
# ---------------------------------------------------------------------------------------------


def test_spiked_covariance_shapes_and_orthonormal_directions_at_2000_features():
    X, U, clean = spiked_covariance(100, 2000, n_spikes=4, noise=0.5, seed=0, return_clean=True)
    assert X.shape == clean.shape == (100, 2000) and U.shape == (2000, 4)
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    # the clean signal lies in span(U), and what is left is noise of standard deviation σ
    np.testing.assert_allclose(clean - clean @ U @ U.T, 0.0, atol=1e-12)
    assert np.std(X - clean) == pytest.approx(0.5, rel=0.01)


def test_spiked_covariance_top_pcs_align_with_true_directions():
    # γ = p/n = 0.1 and s/σ² = 30, 20, 10: random-matrix theory predicts |cos| ≈ 0.99..0.995
    X, U = spiked_covariance(2000, 200, n_spikes=3, seed=1)
    _, vectors = top_eigenvector(X)
    cosines = np.abs(np.sum(vectors[:, :3] * U, axis=0))
    assert np.all(cosines > 0.95), cosines


def test_spiked_covariance_accepts_equal_and_listed_strengths():
    _, U = spiked_covariance(10, 30, n_spikes=2, spike_strength=5.0, seed=0)
    assert U.shape == (30, 2)
    _, U = spiked_covariance(10, 30, n_spikes=2, spike_strength=[9.0, 4.0], seed=0)
    assert U.shape == (30, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_spikes=6), r"n_spikes \(6\) cannot exceed n_features \(5\)"),
        (dict(spike_strength=[1.0, 2.0]), r"spike_strength must be a number or 3 numbers"),
        (dict(spike_strength=-1.0), r"spike strengths must be positive"),
        (dict(noise=-0.1), r"noise is a standard deviation"),
    ],
    ids=["too-many-spikes", "strength-length", "negative-strength", "negative-noise"],
)
def test_spiked_covariance_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        spiked_covariance(10, 5, **kwargs)


@pytest.mark.parametrize("intrinsic_dim", [1, 2, 3])
def test_manifold_data_is_curved_and_thin(intrinsic_dim):
    d = intrinsic_dim
    X, t = manifold_data(3000, 12, intrinsic_dim=d, noise=0.01, seed=0, return_latent=True)
    assert X.shape == (3000, 12) and t.shape == (3000, d)
    assert np.all(np.abs(t) <= 1.0)
    eigenvalues, _ = top_eigenvector(X)
    # thin: 2d directions hold all but the noise (10 noise directions of variance 1e-4 each)
    assert eigenvalues[2 * d :].sum() / eigenvalues.sum() < 1e-2
    # curved: the best d-dimensional linear fit (PCA) still misses about a third of the variance
    assert eigenvalues[d:].sum() / eigenvalues.sum() > 0.25


def test_manifold_data_needs_two_features_per_latent_dimension():
    with pytest.raises(ValueError, match=r"n_features must be at least 2 \* intrinsic_dim = 6"):
        manifold_data(10, n_features=5, intrinsic_dim=3)


def test_digits_are_scaled_to_unit_interval():
    pytest.importorskip("sklearn")
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y).tolist()) == set(range(10))


def test_digits_without_scikit_learn_names_the_install_command(monkeypatch):
    # None in sys.modules makes the import fail, exactly as if the package were absent
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn"):
        digits()


# ---------------------------------------------------------------------------------------------
# load_array
# ---------------------------------------------------------------------------------------------


def test_load_array_npy_is_memory_mapped(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "X.npy", X)
    loaded = load_array(tmp_path / "X.npy")
    assert isinstance(loaded, np.memmap)
    np.testing.assert_array_equal(loaded, X)
    in_memory = load_array(str(tmp_path / "X.npy"), mmap=False)
    assert not isinstance(in_memory, np.memmap)
    np.testing.assert_array_equal(in_memory, X)


@pytest.mark.parametrize("stored", [np.int64, np.float32, np.bool_], ids=lambda t: t.__name__)
def test_load_array_converts_other_numeric_dtypes(tmp_path, stored):
    X = (np.arange(6).reshape(3, 2) % 2).astype(stored)
    np.save(tmp_path / "X.npy", X)
    loaded = load_array(tmp_path / "X.npy")
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded, X.astype(np.float64))
    assert load_array(tmp_path / "X.npy", dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "arrays",
    [{"only": "X"}, {"X": "X", "y": "labels"}, {"data": "X", "target": "labels"}],
    ids=["single", "named-X", "named-data"],
)
def test_load_array_npz_picks_the_data_array(tmp_path, arrays):
    X = np.arange(6.0).reshape(3, 2)
    contents = {"X": X, "labels": np.arange(3.0)}
    np.savez(tmp_path / "d.npz", **{key: contents[value] for key, value in arrays.items()})
    np.testing.assert_array_equal(load_array(tmp_path / "d.npz"), X)


@pytest.mark.parametrize(
    "text",
    [
        "1.5,2\n-3e2,4\n",
        "x1,x2\n1.5,2\n-3e2,4\n",
        "\ufeffx1, x2\r\n1.5, 2\r\n\r\n-3e2, 4\r\n\r\n",
        ',"b"\n1.5,2\n-3e2,4\n',
    ],
    ids=["no-header", "header", "bom-crlf-blank-lines", "quoted-header"],
)
def test_load_array_csv_round_trip(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    np.testing.assert_array_equal(load_array(path), [[1.5, 2.0], [-300.0, 4.0]])


def test_load_array_csv_single_column_is_2d(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("value\n1\n2\n3\n")
    assert load_array(path).shape == (3, 1)


def _save(array: Any, **kwargs: Any):
    """A writer for `bad_files`: np.save of a fixed array."""
    return lambda path: np.save(path, array, **kwargs)


def _write(text: str):
    return lambda path: path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def _with_value(value: float, row: int, column: int):
    X = np.ones((5, 3))
    X[row, column] = value
    return X


def _truncated(saver):
    def write(path: Path) -> None:
        saver(path)
        path.write_bytes(path.read_bytes()[:-40])

    return write


# (file name, writer, exception type, regex the message must match); every message names the file
bad_files = [
    ("missing.csv", None, DataFileNotFound, r"missing\.csv: the path does not exist"),
    ("data.txt", _write("1,2\n"), DataError,
     r"data\.txt: unsupported file type '\.txt'; load_array reads \.npy, \.npz or \.csv"),
    ("noext", _write("1,2\n"), DataError, r"noext: unsupported file type \(no suffix\)"),
    ("empty.csv", _write(""), DataError, r"empty\.csv: the file is empty"),
    ("empty.npy", _write(""), DataError, r"empty\.npy: the file is empty"),
    ("blank.csv", _write("\n \n"), DataError, r"blank\.csv: the file has no data rows"),
    ("head.csv", _write("a,b\n"), DataError, r"head\.csv: the file has a header row but no data"),
    ("bad.csv", _write("x,y\n1,2\n3,abc\n"), DataError,
     r"bad\.csv, line 3, column 2: 'abc' is not a number"),
    ("ragged.csv", _write("1,2\n3,4\n\n5,6,7\n"), DataError,
     r"ragged\.csv, line 4 has 3 columns, expected 2"),
    ("nan.csv", _write("a,b\n1,2\n3,4\n5,6\nNaN,7\n"), DataError,
     r"nan\.csv, line 5, column 1 is NaN"),
    ("inf.csv", _write("1,2\n3,-inf\n"), DataError, r"inf\.csv, line 2, column 2 is -inf"),
    ("hole.csv", _write("1,2\n3,\n"), DataError, r"hole\.csv, line 2, column 2 is empty"),
    ("semi.csv", _write("1;2\n3;4\n"), DataError,
     r"semi\.csv, line 2, column 1: '3;4' is not a number \(values must be separated by commas\)"),
    ("mixed.csv", _write("1,abc\n2,3\n"), DataError,
     r"mixed\.csv, line 1, column 2: 'abc' is not a number \(a header row may not"),
    ("quote.csv", _write('1,2\n3,"4\n'), DataError, r"quote\.csv, line \d: malformed CSV"),
    ("latin.csv", _write(b"1,2\n\xff,3\n"), DataError, r"latin\.csv: not a UTF-8 text file"),
    ("text.npy", _write("1,2\n3,4\n"), DataError, r"text\.npy: not a numpy file"),
    ("short.npy", _truncated(_save(np.ones((50, 4)))), DataError,
     r"short\.npy: cannot be read as a numpy array"),
    ("short.npz", _truncated(lambda p: np.savez(p, X=np.ones((50, 4)))), DataError,
     r"short\.npz: cannot be read"),
    ("objects.npy", _save(np.array([[1, "a"]], dtype=object), allow_pickle=True), DataError,
     r"objects\.npy: cannot be read as a numpy array.*never unpickled"),
    ("nan.npy", _save(_with_value(np.nan, 3, 1)), DataError,
     r"nan\.npy: row 3, column 1 \(counting from 0\) is NaN"),
    ("inf.npz", lambda p: np.savez(p, X=_with_value(np.inf, 0, 2)), DataError,
     r"inf\.npz: row 0, column 2 \(counting from 0\) is \+inf"),
    ("flat.npy", _save(np.arange(4.0)), DataError,
     r"flat\.npy: holds a 1-D array of shape \(4,\).*X\.reshape\(-1, 1\)"),
    ("cube.npy", _save(np.zeros((2, 2, 2))), DataError, r"cube\.npy: holds a 3-D array"),
    ("none.npy", _save(np.zeros((0, 3))), DataError, r"none\.npy: contains no data"),
    ("words.npy", _save(np.array([["a", "b"]])), DataError,
     r"words\.npy: holds values of dtype <U1; load_array needs numbers"),
    ("many.npz", lambda p: np.savez(p, first=np.ones((2, 2)), second=np.ones((2, 2))), DataError,
     r"many\.npz: holds several arrays \(first, second\) and none is named 'X' or 'data'"),
    ("hollow.npz", lambda p: np.savez(p), DataError, r"hollow\.npz: the archive holds no arrays"),
]


@pytest.mark.parametrize(
    ("name", "writer", "error", "match"), bad_files, ids=[case[0] for case in bad_files]
)
def test_load_array_reports_bad_files(tmp_path, name, writer, error, match):
    path = tmp_path / name
    if writer is not None:
        writer(path)
        assert path.exists(), "the writer must create the file under the given name"
    with pytest.raises(error, match=match):
        load_array(path)


def test_load_array_missing_file_is_also_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_array(tmp_path / "nowhere.npy")


def test_load_array_rejects_a_directory_and_a_non_float_dtype(tmp_path):
    with pytest.raises(DataError, match=r"is a directory"):
        load_array(tmp_path)
    np.save(tmp_path / "X.npy", np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"dtype must be a float dtype"):
        load_array(tmp_path / "X.npy", dtype=np.int32)


def test_load_array_can_skip_the_finiteness_scan(tmp_path):
    np.save(tmp_path / "X.npy", _with_value(np.nan, 1, 1))
    assert np.isnan(load_array(tmp_path / "X.npy", check_finite=False)[1, 1])


# ---------------------------------------------------------------------------------------------
# minibatches
# ---------------------------------------------------------------------------------------------

SHUFFLES = [False, True, "batches", "rows"]


class RecordingRows:
    """Wraps an array and records how many rows each ``__getitem__`` fetched.

    It is not an ndarray and refuses ``np.asarray(wrapper)``, so any attempt to read X whole, or
    to index it in a way we do not expect, fails the test.
    """

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.shape = array.shape
        self.rows_per_request: list[int] = []

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            rows = len(range(*key.indices(self.shape[0])))
        elif isinstance(key, np.ndarray) and key.ndim == 1 and key.dtype.kind in "iu":
            rows = len(key)
        else:
            raise AssertionError(f"unexpected request X[{key!r}]")
        self.rows_per_request.append(rows)
        return np.asarray(self._array[key])

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise AssertionError("minibatches materialised the whole of X")


def _row_ids(batches) -> list[int]:
    """Rows of X = arange(n)[:, None] * [1, 1] identify themselves by their first entry."""
    return [int(v) for batch in batches for v in batch[:, 0]]


@given(
    n=st.integers(1, 60),
    data=st.data(),
    shuffle=st.sampled_from(SHUFFLES),
    seed=st.integers(0, 1000),
)
def test_minibatches_cover_every_row_once_with_the_right_sizes(n, data, shuffle, seed):
    batch_size = data.draw(st.integers(1, n), label="batch_size")
    X = np.repeat(np.arange(n, dtype=np.float64)[:, None], 2, axis=1)
    batches = list(minibatches(X, batch_size, shuffle=shuffle, seed=seed))
    assert sorted(_row_ids(batches)) == list(range(n))
    sizes = sorted((len(batch) for batch in batches), reverse=True)
    n_batches = -(-n // batch_size)
    assert sizes == [batch_size] * (n_batches - 1) + [n - (n_batches - 1) * batch_size]
    for batch in batches:
        assert batch.shape[1:] == (2,)
        np.testing.assert_array_equal(batch[:, 0], batch[:, 1])  # rows stay whole


@pytest.mark.parametrize("shuffle", [True, "batches", "rows"], ids=str)
def test_minibatches_are_reproducible_with_a_seed(shuffle):
    X = np.repeat(np.arange(50.0)[:, None], 2, axis=1)
    first = _row_ids(minibatches(X, 5, shuffle=shuffle, seed=11))
    assert first == _row_ids(minibatches(X, 5, shuffle=shuffle, seed=11))
    assert first != _row_ids(minibatches(X, 5, shuffle=shuffle, seed=12))
    assert first != list(range(50))


def test_minibatches_with_a_generator_reshuffle_each_epoch():
    X = np.arange(40.0)[:, None]
    rng = np.random.default_rng(0)
    epoch_1 = _row_ids(minibatches(X, 4, seed=rng))
    epoch_2 = _row_ids(minibatches(X, 4, seed=rng))
    assert sorted(epoch_1) == sorted(epoch_2) and epoch_1 != epoch_2


def test_minibatches_without_shuffle_keep_file_order():
    X = np.arange(7.0)[:, None]
    assert [batch[:, 0].tolist() for batch in minibatches(X, 3, shuffle=False)] == [
        [0.0, 1.0, 2.0],
        [3.0, 4.0, 5.0],
        [6.0],
    ]


def test_minibatches_full_batch_yields_x_once():
    X = np.arange(6.0).reshape(3, 2)
    batches = list(minibatches(X, None, seed=0))
    assert len(batches) == 1
    np.testing.assert_array_equal(batches[0], X)


@pytest.fixture
def memmapped(tmp_path) -> np.memmap:
    X = np.repeat(np.arange(103, dtype=np.float64)[:, None], 3, axis=1)
    np.save(tmp_path / "X.npy", X)
    loaded = load_array(tmp_path / "X.npy")
    assert isinstance(loaded, np.memmap)
    return loaded


@pytest.mark.parametrize("batch_size", [1, 10, 103])
@pytest.mark.parametrize("shuffle", SHUFFLES, ids=str)
def test_minibatches_read_at_most_one_batch_of_rows_per_request(memmapped, shuffle, batch_size):
    X = RecordingRows(memmapped)
    batches = minibatches(X, batch_size, shuffle=shuffle, seed=0)
    assert X.rows_per_request == []  # nothing is read before the first batch is asked for
    seen = []
    for i, batch in enumerate(batches, start=1):
        assert len(X.rows_per_request) == i  # exactly one read per batch, made lazily
        assert X.rows_per_request[-1] == len(batch) <= batch_size
        seen.extend(_row_ids([batch]))
    assert sorted(seen) == list(range(103))


def test_minibatches_shuffle_memmap_by_contiguous_blocks(memmapped):
    batches = list(minibatches(memmapped, 10, shuffle=True, seed=0))
    starts = [int(batch[0, 0]) for batch in batches]
    assert starts != sorted(starts)  # the block order is shuffled ...
    for batch in batches:  # ... but each batch is one contiguous run of rows
        assert np.all(np.diff(batch[:, 0]) == 1)
        assert batch[0, 0] % 10 == 0


@pytest.mark.parametrize(
    "batch_size", [0, -1, 8, 2.5, True, "3"], ids=["0", "negative", "8>7", "float", "bool", "str"]
)
def test_minibatches_reject_a_bad_batch_size_at_the_call(batch_size):
    # no iteration: the error comes from the call itself, not from the first next()
    message = r"batch_size must be a positive integer no larger than the number of samples \(7\)"
    with pytest.raises(ValueError, match=message):
        minibatches(np.zeros((7, 2)), batch_size)


@pytest.mark.parametrize(
    ("X", "shuffle", "match"),
    [
        (np.zeros((0, 2)), True, r"at least one row"),
        (np.zeros((4, 2)), "yes", r"shuffle must be True, False, 'batches' or 'rows'"),
    ],
    ids=["empty", "bad-shuffle"],
)
def test_minibatches_reject_bad_arguments(X, shuffle, match):
    with pytest.raises(ValueError, match=match):
        minibatches(X, 1, shuffle=shuffle)


# ---------------------------------------------------------------------------------------------
# as_float_array
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ([1, 2], None, np.float64),
        ([True, False], None, np.float64),
        (np.ones(2, dtype=np.float32), None, np.float32),
        (np.ones(2, dtype=np.float16), None, np.float64),
        ([1, 2], np.float32, np.float32),
    ],
    ids=["int", "bool", "float32-kept", "float16", "explicit"],
)
def test_as_float_array_dtype_rules(values, dtype, expected):
    assert as_float_array(values, dtype).dtype == expected


def test_as_float_array_does_not_copy_floats_and_rejects_text():
    X = np.ones((2, 2))
    assert as_float_array(X) is X
    with pytest.raises(ValueError, match=re.escape("expected numbers (bool, int or float)")):
        as_float_array(["a", "b"])
    with pytest.raises(ValueError, match="dtype must be a float dtype"):
        as_float_array([1], np.int64)
