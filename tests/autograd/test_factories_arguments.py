"""The factories' arguments one by one, against PyTorch's factories of the same names
(values, shapes, requires_grad; dtypes float64 by default where PyTorch's default is
float32) and numpy's Generator for the random ones: shapes as ints, a tuple, a list or
numpy ints, empty axes, each factory's own name in its error messages, seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tinygrad_ae as tg
from tinygrad_ae import Tensor

SHAPED = {"zeros": (tg.zeros, torch.zeros), "ones": (tg.ones, torch.ones),
          "rand": (tg.rand, torch.rand), "randn": (tg.randn, torch.randn)}


def same(t, expected):
    """t holds torch tensor ``expected``'s values and shape, as float64."""
    assert isinstance(t, Tensor) and t.shape == tuple(expected.shape)
    np.testing.assert_array_equal(t.data, expected.double().numpy())


@pytest.mark.parametrize("name", SHAPED)
@pytest.mark.parametrize("size", [(), (3,), (2, 3), (2, 0), (0,), (1, 1, 2)],
                         ids=["scalar", "3", "2x3", "2x0", "0", "1x1x2"])
def test_a_shape_given_as_ints_a_tuple_a_list_or_numpy_ints(name, size):
    ours, theirs = SHAPED[name]
    expected = tuple(theirs(size).shape)
    for args in (size, (size,), (list(size),), tuple(np.int64(n) for n in size)):
        t = ours(*args)
        assert t.shape == expected and t.dtype == np.float64 and not t.requires_grad
        assert all(type(n) is int for n in t.shape)
    if name in ("zeros", "ones"):
        same(ours(*size), theirs(size))


@pytest.mark.parametrize("name", SHAPED)
@pytest.mark.parametrize("bad", [(-1,), (2, -3), (2.0,), (True,), ("2",), ((2, -1),)],
                         ids=["negative", "second-negative", "float", "bool", "str", "tuple"])
def test_a_bad_shape_is_refused_with_the_factorys_name(name, bad):
    ours, theirs = SHAPED[name]
    if bad != (True,):
        with pytest.raises((RuntimeError, TypeError)):
            theirs(*bad)                                   # PyTorch refuses them too
    shown = bad[0] if isinstance(bad[0], tuple) else bad
    with pytest.raises(ValueError) as caught:
        ours(*bad)
    assert str(caught.value) == f"{name}: the shape must be non-negative ints, got {shown}"


@pytest.mark.parametrize("name", SHAPED)
def test_dtype_float32_or_float64_and_requires_grad(name):
    ours, _ = SHAPED[name]
    assert ours(2, dtype=np.float32).dtype == np.float32
    assert ours(2, dtype="float32").data.dtype == np.float32
    assert ours(2, dtype=np.float64).dtype == np.float64
    assert ours(2, requires_grad=True).requires_grad is True
    assert ours(2, requires_grad=False).requires_grad is False
    for bad, shown in ((np.float16, "float16"), ("int64", "int64"), (bool, "bool")):
        with pytest.raises(TypeError) as caught:
            ours(2, dtype=bad)
        assert str(caught.value) == f"{name}: dtype must be float32 or float64, got {shown}"


def test_full_takes_an_int_numpy_int_tuple_or_list_size():
    same(tg.full(3, 7.5), torch.full((3,), 7.5))
    same(tg.full(np.int64(2), -1.0), torch.full((2,), -1.0))
    same(tg.full((2, 3), 0.25), torch.full((2, 3), 0.25))
    same(tg.full([1, 2], 4.0), torch.full([1, 2], 4.0))
    same(tg.full((), 3.0), torch.full((), 3.0))
    t = tg.full((2,), 1.5, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad and np.all(t.data == 1.5)
    assert tg.full(2, 1.0).dtype == np.float64 and not tg.full(2, 1.0).requires_grad
    with pytest.raises(ValueError) as caught:
        tg.full(-2, 1.0)
    assert str(caught.value) == "full: the shape must be non-negative ints, got (-2,)"
    with pytest.raises(TypeError) as caught:
        tg.full(2, 1.0, dtype=np.int32)
    assert str(caught.value) == "full: dtype must be float32 or float64, got int32"


@pytest.mark.parametrize("args", [(5,), (0,), (2, 5), (1, 2, 0.25), (5, 0, -1.5), (-3, 3, 2),
                                  (0, 1, 0.1), (3, 3)],
                         ids=["5", "0", "2-5", "quarter-steps", "downwards", "negative-start",
                              "tenths", "empty"])
def test_arange_matches_pytorch(args):
    t = tg.arange(*args)
    same(t, torch.arange(*args, dtype=torch.float64))
    assert t.dtype == np.float64 and not t.requires_grad


def test_arange_keywords_dtype_and_zero_step():
    same(tg.arange(1, 4, step=2), torch.arange(1, 4, step=2))
    same(tg.arange(2, end=4), torch.arange(2, end=4))
    t = tg.arange(3, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad and list(t.data) == [0.0, 1.0, 2.0]
    assert tg.arange(4, 2).shape == np.arange(4, 2).shape == (0,)   # PyTorch refuses it
    with pytest.raises(RuntimeError):
        torch.arange(0, 1, 0)
    for args in ((0, 1, 0), (1, 5, 0.0)):
        with pytest.raises(ValueError) as caught:
            tg.arange(*args)
        assert str(caught.value) == "arange: step must not be 0"
    with pytest.raises(TypeError) as caught:
        tg.arange(3, dtype=np.int64)
    assert str(caught.value) == "arange: dtype must be float32 or float64, got int64"


@pytest.mark.parametrize("args", [(1,), (3,), (2, 3), (3, 2), (0,), (2, 0)],
                         ids=["1", "3", "2x3", "3x2", "0", "2x0"])
def test_eye_matches_pytorch(args):
    t = tg.eye(*args)
    same(t, torch.eye(*args))
    assert t.dtype == np.float64 and not t.requires_grad


def test_eye_dtype_requires_grad_and_bad_sizes():
    t = tg.eye(2, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad
    assert tg.eye(2, m=None).shape == (2, 2) and tg.eye(np.int64(2), np.int64(1)).shape == (2, 1)
    for args, shown in (((-1,), "(-1,)"), ((2, -1), "(2, -1)"), ((2.5,), "(2.5,)"),
                        ((2, 1.5), "(2, 1.5)")):
        with pytest.raises(ValueError) as caught:
            tg.eye(*args)
        assert str(caught.value) == f"eye: the shape must be non-negative ints, got {shown}"
    with pytest.raises(TypeError) as caught:
        tg.eye(2, dtype=np.complex128)
    assert str(caught.value) == "eye: dtype must be float32 or float64, got complex128"


def test_manual_seed_returns_the_generator_rand_and_randn_then_use():
    generator = tg.manual_seed(5)
    assert isinstance(generator, np.random.Generator)
    reference = np.random.default_rng(5)
    np.testing.assert_array_equal(generator.random(3), reference.random(3))
    # rand draws on from the very generator returned: the next numbers of the same stream
    np.testing.assert_array_equal(tg.rand(2).data, reference.random(2))
    tg.manual_seed(5)
    reference = np.random.default_rng(5)
    np.testing.assert_array_equal(tg.rand(2, 2).data, reference.random((2, 2)))
    np.testing.assert_array_equal(tg.randn(3).data, reference.standard_normal(3))
    tg.manual_seed(6)
    np.testing.assert_array_equal(tg.rand(4).data, np.random.default_rng(6).random(4))


@pytest.mark.parametrize("seed", [0, 11, np.int64(11), np.int32(3)], ids=["0", "11", "np11", "np3"])
def test_an_int_seed_is_a_fresh_generator_of_that_seed(seed):
    np.testing.assert_array_equal(tg.rand(3, rng=seed).data,
                                  np.random.default_rng(int(seed)).random(3))
    np.testing.assert_array_equal(tg.randn(2, 2, rng=seed).data,
                                  np.random.default_rng(int(seed)).standard_normal((2, 2)))


def test_a_generator_is_used_itself_and_advances():
    generator, reference = np.random.default_rng(9), np.random.default_rng(9)
    first, second = tg.rand(2, rng=generator), tg.randn(2, rng=generator)
    np.testing.assert_array_equal(first.data, reference.random(2))
    np.testing.assert_array_equal(second.data, reference.standard_normal(2))


def test_random_factories_in_float32_draw_float32_numbers():
    for name, draw in (("rand", "random"), ("randn", "standard_normal")):
        t = getattr(tg, name)(4, dtype=np.float32, rng=1)
        expected = getattr(np.random.default_rng(1), draw)(4, dtype=np.float32)
        assert t.dtype == np.float32
        np.testing.assert_array_equal(t.data, expected)
        assert getattr(tg, name)(4, rng=1, requires_grad=True).requires_grad


@pytest.mark.parametrize("bad", ["seed", 1.5, [1], np.random.RandomState(0)],
                         ids=["str", "float", "list", "RandomState"])
def test_anything_else_as_rng_is_refused(bad):
    for factory in (tg.rand, tg.randn):
        with pytest.raises(TypeError) as caught:
            factory(2, rng=bad)
        assert str(caught.value) == ("rng must be a numpy Generator or an int seed, got "
                                     f"{type(bad).__name__}")


LIKE = {"zeros_like": (tg.zeros_like, torch.zeros_like, ()),
        "ones_like": (tg.ones_like, torch.ones_like, ()),
        "full_like": (tg.full_like, torch.full_like, (2.5,))}


@pytest.mark.parametrize("name", LIKE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_like_keeps_shape_and_float_dtype_of_a_tensor_or_an_array(name, dtype):
    ours, theirs, extra = LIKE[name]
    source = np.arange(6.0).reshape(2, 3).astype(dtype)
    expected = theirs(torch.from_numpy(source), *extra)
    for given in (Tensor(source, dtype=dtype), source, source.tolist()):
        t = ours(given, *extra)
        same(t, expected)
        assert not t.requires_grad
        assert t.dtype == (dtype if not isinstance(given, list) else np.float64)


@pytest.mark.parametrize("name", LIKE)
def test_like_makes_integer_and_boolean_sources_float64_and_takes_dtype_and_grad(name):
    ours, _, extra = LIKE[name]
    for source in (np.array([1, 2, 3]), np.array([True, False]), [1, 2]):
        t = ours(source, *extra)
        assert t.dtype == np.float64 and t.shape == np.shape(source)
    t = ours(np.zeros((2, 1)), *extra, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.shape == (2, 1) and t.requires_grad
    t = ours(Tensor(np.zeros(2, np.float32), dtype=np.float32), *extra, dtype=np.float64)
    assert t.dtype == np.float64
    with pytest.raises(TypeError) as caught:
        ours(np.zeros(2, np.float16), *extra)
    own = name.removesuffix("_like")
    assert str(caught.value) == f"{own}: dtype must be float32 or float64, got float16"


@pytest.mark.parametrize("name, draw", [("rand_like", "random"),
                                        ("randn_like", "standard_normal")])
def test_random_like_takes_shape_dtype_grad_and_rng(name, draw):
    ours = getattr(tg, name)
    source = Tensor(np.zeros((2, 3), np.float32), dtype=np.float32)
    t = ours(source, rng=4)
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    np.testing.assert_array_equal(
        t.data, getattr(np.random.default_rng(4), draw)((2, 3), dtype=np.float32))
    t = ours(np.zeros(3, int), dtype=None, requires_grad=True, rng=np.random.default_rng(2))
    assert t.dtype == np.float64 and t.requires_grad
    np.testing.assert_array_equal(t.data, getattr(np.random.default_rng(2), draw)(3))
    assert ours([0.0, 1.0], dtype=np.float32, rng=0).dtype == np.float32
    tg.manual_seed(8)
    np.testing.assert_array_equal(ours(np.zeros(2)).data,
                                  getattr(np.random.default_rng(8), draw)(2))


def test_full_takes_any_sequence_of_ints_as_its_size_as_numpy_does():
    for size in (np.array([2, 3]), range(2, 4), (n for n in (2, 3))):
        t = tg.full(size, 1.5)
        assert t.shape == np.full((2, 3), 1.5).shape == (2, 3) and np.all(t.data == 1.5)
