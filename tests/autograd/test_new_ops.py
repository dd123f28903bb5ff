"""The ops of 0.2 beyond their values: aliases, graph shape, and every error message."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae import Tensor


def test_dim_is_an_alias_of_axis_and_keepdim_of_keepdims():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    for name in ("sum", "mean", "max", "min", "prod", "var", "std", "logsumexp"):
        method = getattr(x, name)
        np.testing.assert_array_equal(method(dim=1, keepdim=True).data,
                                      method(axis=1, keepdims=True).data)
    np.testing.assert_array_equal(x.softmax(dim=0).data, x.softmax(axis=0).data)
    np.testing.assert_array_equal(x.argmax(dim=1).data, x.argmax(axis=1).data)
    np.testing.assert_array_equal(tg.cat([x, x], dim=1).data, tg.cat([x, x], axis=1).data)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=0, dim=0), lambda x: x.softmax(axis=0, dim=0),
    lambda x: x.min(axis=0, dim=1), lambda x: tg.stack([x], axis=0, dim=0),
], ids=["sum", "softmax", "min", "stack"])
def test_axis_and_dim_together_is_an_error(call):
    with pytest.raises(TypeError, match="pass axis or dim, not both"):
        call(Tensor(np.ones((2, 2))))


def test_a_split_is_one_getitem_per_piece_and_cat_is_one_node():
    x = Tensor(np.arange(6.0), requires_grad=True)
    pieces = x.split(4)
    assert [p.op_name for p in pieces] == ["getitem", "getitem"]
    joined = tg.cat(pieces)
    assert joined.op_name == "concatenate" and len(joined.parents) == 2
    (joined * Tensor(np.arange(6.0))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0))


def test_cat_and_stack_accept_arrays_and_lists():
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = tg.stack([w, np.array([3.0, 4.0]), [5.0, 6.0]])
    assert out.shape == (3, 2) and out.requires_grad
    assert tg.concatenate([np.array([1.0]), [2.0]]).shape == (2,)


def test_squeeze_keeps_a_listed_axis_longer_than_one_as_pytorch():
    x = Tensor(np.zeros((1, 3, 1)))
    assert x.squeeze().shape == (3,)
    assert x.squeeze(0).shape == (3, 1) and x.squeeze((0, 2)).shape == (3,)
    assert x.squeeze(1).shape == (1, 3, 1)


def test_clip_needs_a_bound_and_takes_tensor_bounds():
    x = Tensor([-2.0, 0.0, 2.0], requires_grad=True)
    lo = Tensor([-1.0, 0.5, -1.0], requires_grad=True)
    out = x.clip(lo, 1.0)
    np.testing.assert_array_equal(out.data, [-1.0, 0.5, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(lo.grad, [1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="clip: give at least one of min and max"):
        x.clip()


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.cat([]), ValueError, "cat: needs at least one tensor"),
    (lambda: tg.cat(Tensor([1.0])), TypeError, "cat: pass a list or tuple of tensors"),
    (lambda: tg.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))]), ValueError,
     r"cat: shapes \(2, 3\) and \(3, 2\) differ outside axis 0"),
    (lambda: tg.cat([Tensor(1.0)]), ValueError, "cat: zero-dimensional tensors"),
    (lambda: tg.stack([Tensor([1.0]), Tensor([1.0, 2.0])]), ValueError,
     r"stack: every tensor must have the same shape, got \(1,\) and \(2,\)"),
    (lambda: tg.stack([Tensor([1.0])], axis=3), ValueError,
     "stack: axis 3 is out of range for a tensor with 2 axes"),
    (lambda: Tensor([1.0, 2.0]).split([1, 2]), ValueError,
     r"split: lengths \[1, 2\] must be non-negative and add up to 2"),
    (lambda: Tensor([1.0, 2.0]).split(0), ValueError, "split: the piece length must be positive"),
    (lambda: tg.where(Tensor([1.0]), 1.0, 0.0), TypeError,
     "where: condition must be boolean"),
    (lambda: tg.where(np.array([True, False]), Tensor([1.0, 2.0, 3.0]), 0.0), ValueError,
     r"where: cannot broadcast the shapes of condition \(2,\), input \(3,\)"),
    (lambda: tg.maximum(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0])), ValueError,
     r"maximum: cannot broadcast shapes \(2,\) and \(3,\)"),
    (lambda: Tensor([1.0]).var(ddof=1), ValueError,
     "var: ddof=1 leaves no degrees of freedom over 1 entries"),
    (lambda: Tensor([1.0, 2.0]).std(ddof=-1), ValueError, "std: ddof must be a non-negative int"),
    (lambda: Tensor([1.0]).softmax(axis=1), ValueError,
     "softmax: axis 1 is out of range for a tensor with 1 axes"),
    (lambda: Tensor([1.0]).log_softmax(axis=(0,)), TypeError, "log_softmax: axis must be one int"),
    (lambda: Tensor([1.0]).gelu("fast"), ValueError,
     "gelu: approximate must be 'none' or 'tanh', got 'fast'"),
    (lambda: Tensor([1.0]).softplus(beta=0), ValueError, "softplus: beta must be positive"),
    (lambda: Tensor(np.zeros(0)).min(), ValueError, "min: cannot take the minimum of an empty"),
    (lambda: Tensor(np.zeros(0)).argmax(), ValueError, "argmax: the tensor is empty"),
    (lambda: Tensor(np.zeros(0)).logsumexp(), ValueError, "logsumexp: cannot reduce an empty"),
    (lambda: Tensor([1.0]).unsqueeze(), TypeError, "unsqueeze: give the position"),
    (lambda: Tensor([1.0]).unsqueeze(2), ValueError,
     "unsqueeze: axis 2 is out of range for a tensor with 2 axes"),
    (lambda: Tensor(np.zeros((2, 3))).flatten(1, 0), ValueError,
     "flatten: start_dim 1 comes after end_dim 0"),
    (lambda: Tensor(np.zeros((2, 3))).permute(1), ValueError,
     r"permute: 1 axes given for a tensor with 2 axes \(shape \(2, 3\)\)"),
    (lambda: Tensor(np.zeros((2, 3))).permute(1, 0, dims=(1, 0)), TypeError,
     "permute: pass the axes or dims=, not both"),
    (lambda: Tensor(np.zeros((2, 3))).permute(0, 0), ValueError,
     "transpose: axes .* are not a permutation"),
    (lambda: Tensor(np.zeros((2, 3))).expand(3), ValueError,
     "expand: 1 sizes given for a tensor with 2 axes"),
    (lambda: Tensor(np.zeros((2, 3))).expand(4, 3), ValueError,
     r"broadcast_to: cannot broadcast shape \(2, 3\) to \(4, 3\)"),
    (lambda: Tensor([1.0]).expand(-1, 1), ValueError, "expand: -1 is not allowed for the new"),
    (lambda: Tensor([1.0]).pad((1,)), ValueError, "pad: .* must hold an even number of widths"),
    (lambda: Tensor([1.0]).pad((1, -1)), ValueError, "pad: widths must be non-negative ints"),
    (lambda: Tensor([1.0]).pad(((1, 1), (1, 1))), ValueError,
     r"pad: 2 \(before, after\) pairs given for a tensor with 1 axes"),
    (lambda: Tensor([1.0]).pad((1, 1), mode="reflect"), ValueError,
     "pad: only mode='constant' is supported"),
    (lambda: Tensor([1.0]).flip(1), ValueError, "flip: axis 1 is out of range"),
], ids=lambda value: None if callable(value) or isinstance(value, type) else value[:40])
def test_errors_name_the_function_and_what_to_do(call, error, message):
    with pytest.raises(error, match=message):
        call()
