"""The layers at the edges of what they accept: Flatten's and Unflatten's axis ranges and
sizes (against PyTorch where it has the same rule, by hand otherwise), and the messages
of Linear and Sequential in the user's terms."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae import nn
from tinygrad_ae.autograd.tensor import Tensor


def _arange(*shape):
    return Tensor(np.arange(float(np.prod(shape))).reshape(shape))


@pytest.mark.parametrize(("start", "end", "shape", "expected"), [
    (0, 0, (2, 3, 4), (2, 3, 4)),          # one axis merged with itself: unchanged
    (1, 1, (2, 3, 4), (2, 3, 4)),
    (0, 2, (2, 3, 4), (24,)),              # the last axis named by its index
    (-1, -1, (2, 3, 4), (2, 3, 4)),
], ids=["0-0", "1-1", "0-2", "last-last"])
def test_flatten_accepts_every_axis_range_inside_the_input(start, end, shape, expected):
    x = _arange(*shape)
    out = nn.Flatten(start, end)(x)
    assert out.shape == expected
    np.testing.assert_array_equal(out.data.ravel(), x.data.ravel())


@pytest.mark.parametrize(("start", "end", "shape"), [
    (0, 3, (2, 3, 4)),                     # one past the last axis
    (1, -1, (3,)),                         # the default on a 1-D input: no axis 1
    (2, 1, (2, 3, 4)),                     # start after end
], ids=["end-past-last", "default-on-1D", "start-after-end"])
def test_flatten_refuses_an_axis_range_outside_the_input(start, end, shape):
    expected = (f"Flatten(start_dim={start}, end_dim={end}) does not fit an input with "
                f"{len(shape)} axes (shape {shape})")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        nn.Flatten(start, end)(_arange(*shape))


def test_flatten_of_a_0d_tensor_is_one_entry():
    out = nn.Flatten()(Tensor(3.0))
    assert out.shape == (1,) and out.data.tolist() == [3.0]


@pytest.mark.parametrize("size", [(0, 12), (-2, 6), (-1, -1)], ids=["zero", "minus2", "two-1"])
def test_unflatten_refuses_sizes_that_are_not_positive_or_one_minus_1(size):
    with pytest.raises(ValueError, match=r"^Unflatten: unflattened_size must hold positive "
                                         r"sizes and at most one -1, got "
                                         + re.escape(repr(size)) + "$"):
        nn.Unflatten(1, size)


@pytest.mark.parametrize(("size", "expected"), [((1, 12), (2, 1, 12)), ((1, -1), (2, 1, 12)),
                                                ((4, 3, 1), (2, 4, 3, 1))],
                         ids=["leading-1", "1-and-inferred", "trailing-1"])
def test_unflatten_accepts_sizes_of_one(size, expected):
    assert nn.Unflatten(1, size)(_arange(2, 12)).shape == expected


def test_unflatten_refuses_a_dim_past_the_last_axis():
    with pytest.raises(ValueError, match=r"^Unflatten: dim 2 is out of range for an input of "
                                         r"shape \(2, 12\)$"):
        nn.Unflatten(2, (3, 4))(_arange(2, 12))


@pytest.mark.parametrize("size", [(3, 2), (5, -1)], ids=["divides-but-not-equal", "inferred"])
def test_unflatten_refuses_sizes_whose_product_is_not_the_axis(size):
    # 12 entries: (3, 2) divides 12 but holds 6; (5, -1) leaves no whole number for the -1
    with pytest.raises(ValueError, match=r"^Unflatten: axis 1 of the input has size 12, which "
                                         r"cannot be split into " + re.escape(str(size)) + "$"):
        nn.Unflatten(1, size)(_arange(2, 12))


def test_sequential_names_the_item_and_its_type_and_hints_only_for_a_class():
    with pytest.raises(TypeError, match=r"^Sequential: item 1 must be a Module, got int$"):
        nn.Sequential(nn.Tanh(), 3)
    with pytest.raises(TypeError, match=r"^Sequential: item 0 must be a Module, got Tanh; did "
                                        r"you mean Tanh\(\) \(an instance, not the class\)\?$"):
        nn.Sequential(nn.Tanh)


@pytest.mark.parametrize(("sizes", "label", "bad"), [((0, 2), "in_features", 0),
                                                     ((2, 0), "out_features", 0),
                                                     ((2, -3), "out_features", -3)],
                         ids=["in", "out", "out-negative"])
def test_linear_names_the_size_it_refuses(sizes, label, bad):
    with pytest.raises(ValueError, match=f"^Linear: {label} must be a positive integer, got "
                                         f"{bad}$"):
        nn.Linear(*sizes)
