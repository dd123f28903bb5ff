"""Every loader over random file contents: a clear error naming the file, or a correct
load; never a traceback from inside numpy, zipfile or json."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import cli, nn
from tinygrad_ae.data import DataError, load_array

ORIGINAL = np.arange(12.0).reshape(4, 3) / 7


def _npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, ORIGINAL)
    return buffer.getvalue()


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **(arrays or {"X": ORIGINAL}))
    return buffer.getvalue()


VALID = {".npy": _npy_bytes(), ".npz": _npz_bytes(),
         ".csv": "\n".join(",".join(repr(v) for v in row) for row in ORIGINAL).encode()}


@st.composite
def damaged(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid file truncated, with bytes overwritten or inserted, or random bytes."""
    kind = draw(st.sampled_from(["truncate", "overwrite", "insert", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "truncate":
        return valid[:draw(st.integers(0, len(valid)))]
    at = draw(st.integers(0, len(valid)))
    patch = draw(st.binary(min_size=1, max_size=8))
    tail = valid[at + len(patch):] if kind == "overwrite" else valid[at:]
    return valid[:at] + patch + tail


@contextmanager
def _written(content: bytes, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tinygrad-ae-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


@contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tinygrad-ae-fuzz-") as folder:
        yield Path(folder)


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
@given(data=st.data())
def test_load_array_gives_a_correct_array_or_a_clear_error(suffix, data):
    content = data.draw(damaged(VALID[suffix]))
    with _written(content, f"fuzz{suffix}") as path:
        try:
            X = load_array(path)
        except DataError as error:
            assert str(path) in str(error)
            return
        assert X.ndim == 2 and X.dtype == np.float64 and np.isfinite(X).all()
        if content == VALID[suffix]:
            np.testing.assert_array_equal(X, ORIGINAL)


@given(text=st.text(alphabet="0123456789.,-+eEinfa \t\n\"x", max_size=80))
def test_load_array_parses_random_csv_text_or_names_the_line(text):
    with _written(text.encode(), "fuzz.csv") as path:
        try:
            X = load_array(path)
        except DataError as error:
            assert str(path) in str(error)
            return
        lines = [line for line in text.splitlines() if line.strip()]
        assert X.shape[0] in (len(lines), len(lines) - 1)  # a header row, or none
        assert np.isfinite(X).all()


LAYER = nn.Linear(3, 2, rng=0)
LAYER_NPZ = _npz_bytes(**LAYER.state_dict())


@given(data=st.data())
def test_module_load_gives_the_saved_weights_or_a_clear_error(data):
    content = data.draw(damaged(LAYER_NPZ))
    with _written(content, "layer.npz") as path:
        model = nn.Linear(3, 2, rng=1)
        before = {k: v.copy() for k, v in model.state_dict().items()}
        try:
            model.load(path)
        except nn.ModelFileError as error:
            assert str(path) in str(error)
            assert all(np.array_equal(model.state_dict()[k], v) for k, v in before.items())
            return
        for key, value in LAYER.state_dict().items():  # a load is a correct load
            np.testing.assert_array_equal(model.state_dict()[key], value)


_SPEC = {"format": "tinygrad-ae model", "version": "0.1.0",
         "model": {"n_features": 3, "code_dim": 1, "hidden": [], "activation": "linear",
                   "seed": 0}}
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@st.composite
def architecture_files(draw: st.DrawFn) -> bytes:
    """Random JSON, a valid spec with one field replaced by random JSON, or damaged text."""
    kind = draw(st.sampled_from(["random", "field", "damaged"]))
    if kind == "random":
        return json.dumps(draw(_JSON)).encode()
    if kind == "field":
        spec = json.loads(json.dumps(_SPEC))
        field = draw(st.sampled_from(["format", "model", *_SPEC["model"]]))
        if field in spec:
            spec[field] = draw(_JSON)
        else:
            spec["model"][field] = draw(_JSON)
        return json.dumps(spec).encode()
    return draw(damaged(json.dumps(_SPEC).encode()))


@given(content=architecture_files())
def test_load_trained_gives_the_saved_model_or_a_clear_error(content):
    with _folder() as folder:
        saved = cli.build_model(_SPEC["model"])
        saved.save(folder / "m.npz")
        (folder / "m.json").write_bytes(content)
        try:
            model = cli.load_trained(folder / "m.npz")
        except cli.UsageError as error:
            assert "m.json" in str(error) or "m.npz" in str(error)
            return
        for key, value in saved.state_dict().items():
            np.testing.assert_array_equal(model.state_dict()[key], value)


@given(data=st.data())
def test_load_trained_with_damaged_weights_gives_a_clear_error(data):
    with _folder() as folder:
        saved = cli.build_model(_SPEC["model"])
        saved.save(folder / "m.npz")
        (folder / "m.npz").write_bytes(data.draw(damaged((folder / "m.npz").read_bytes())))
        (folder / "m.json").write_text(json.dumps(_SPEC))
        try:
            model = cli.load_trained(folder / "m.npz")
        except cli.UsageError as error:
            assert "m.npz" in str(error) or "m.json" in str(error)
            return
        for key, value in saved.state_dict().items():
            np.testing.assert_array_equal(model.state_dict()[key], value)
