"""Factories: shapes given either way, dtypes, requires_grad, seeding."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae import Tensor

SHAPED = {"zeros": (tg.zeros, 0.0), "ones": (tg.ones, 1.0)}


@pytest.mark.parametrize("name", SHAPED)
@pytest.mark.parametrize("dtype", [None, np.float32, "float64"])
def test_zeros_and_ones(name, dtype):
    factory, fill = SHAPED[name]
    for t in (factory(2, 3, dtype=dtype), factory((2, 3), dtype=dtype)):
        assert isinstance(t, Tensor) and t.shape == (2, 3) and not t.requires_grad
        assert t.dtype == np.dtype(dtype or np.float64) and np.all(t.data == fill)
    assert factory(dtype=dtype).shape == ()
    assert factory(4, requires_grad=True).requires_grad


def test_full_arange_eye():
    np.testing.assert_array_equal(tg.full((2,), 3.5).data, [3.5, 3.5])
    assert tg.full(3, 1.0, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tg.arange(3).data, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(tg.arange(2, 5).data, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(tg.arange(0, 1, 0.5).data, [0.0, 0.5])
    assert tg.arange(3).dtype == np.float64 and tg.arange(3, dtype="float32").dtype == np.float32
    np.testing.assert_array_equal(tg.eye(2, 3).data, np.eye(2, 3))


def test_like_factories_take_shape_and_dtype():
    t = Tensor(np.ones((2, 3)), dtype=np.float32)
    for made in (tg.zeros_like(t), tg.ones_like(t), tg.full_like(t, 2.0), tg.rand_like(t),
                 tg.randn_like(t)):
        assert made.shape == (2, 3) and made.dtype == np.float32 and not made.requires_grad
    assert tg.zeros_like(np.zeros(2, dtype=int)).dtype == np.float64  # ints become floats
    assert tg.ones_like(t, dtype=np.float64, requires_grad=True).requires_grad


def test_random_factories_are_seeded_by_manual_seed_or_rng():
    tg.manual_seed(7)
    a, b = tg.randn(3, 2), tg.rand(4)
    tg.manual_seed(7)
    np.testing.assert_array_equal(tg.randn(3, 2).data, a.data)
    np.testing.assert_array_equal(tg.rand(4).data, b.data)
    np.testing.assert_array_equal(tg.randn(5, rng=1).data, tg.randn(5, rng=1).data)
    generator = np.random.default_rng(3)
    expected = np.random.default_rng(3).standard_normal(5)
    np.testing.assert_array_equal(tg.randn(5, rng=generator).data, expected)
    assert tg.rand(10_000, rng=0).data.min() >= 0 and tg.rand(10_000, rng=0).data.max() < 1
    assert tg.randn(2, dtype=np.float32, rng=0).dtype == np.float32


def test_factories_reject_bad_input():
    with pytest.raises(ValueError, match="zeros: the shape must be non-negative ints"):
        tg.zeros(-1)
    with pytest.raises(TypeError, match="ones: dtype must be float32 or float64"):
        tg.ones(2, dtype=np.int64)
    with pytest.raises(ValueError, match="arange: step must not be 0"):
        tg.arange(0, 1, 0)
    with pytest.raises(TypeError, match="rng must be a numpy Generator or an int seed"):
        tg.rand(2, rng="seed")


def test_a_factory_tensor_trains_as_a_parameter():
    w = tg.zeros(2, requires_grad=True)
    ((w - tg.ones(2)) ** 2).sum().backward()
    np.testing.assert_array_equal(w.grad, [-2.0, -2.0])
