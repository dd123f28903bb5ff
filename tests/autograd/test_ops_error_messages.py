"""The errors an op raises when its inputs do not fit, in the user's terms: the op's name
and every shape (STYLE.md, "Errors"). These reach the registry's own wording, which the
Tensor methods' checks usually pre-empt: an op called directly, a matrix product with a
vector or a 0-d operand, an index that is not an integer or out of range."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import Tensor
from tinygrad_ae.autograd import ops

ONES_2x3 = np.ones((2, 3))


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor(ONES_2x3) @ Tensor(np.ones(4)),
     r"^matmul: cannot multiply shapes \(2, 3\) and \(4,\); the last axis of the first \(3\) "
     r"must equal the second-to-last axis of the second \(4\)$"),
    (lambda: Tensor(np.ones(3)) @ Tensor(np.ones((5, 4, 2))),
     r"^matmul: cannot multiply shapes \(3,\) and \(5, 4, 2\); the last axis of the first "
     r"\(3\) must equal the second-to-last axis of the second \(4\)$"),
    (lambda: Tensor(2.0) @ Tensor([1.0, 2.0]),
     r"^matmul: cannot multiply shapes \(\) and \(2,\); both must have at least 1 axis$"),
    (lambda: Tensor([1.0, 2.0]) @ Tensor(2.0),
     r"^matmul: cannot multiply shapes \(2,\) and \(\); both must have at least 1 axis$"),
    (lambda: ops.matmul(Tensor(ONES_2x3), np.ones(4)),
     r"^matmul: cannot multiply shapes \(2, 3\) and \(4,\); the last axis"),
], ids=["matrix-vector", "vector-batch", "0-d first", "0-d second", "op with an array"])
def test_a_matrix_product_that_does_not_fit_names_both_shapes_and_the_axes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: ops.concatenate(Tensor(ONES_2x3), Tensor(np.ones((2, 4))), axis=0),
     r"^concatenate: invalid input of shape \(2, 3\) and \(2, 4\): all the input array "
     r"dimensions"),
    (lambda: ops.concatenate(Tensor(ONES_2x3), np.ones((2, 4)), axis=0),
     r"^concatenate: invalid input of shape \(2, 3\) and \(2, 4\): "),
    (lambda: ops.reshape(Tensor([1.0, 2.0, 3.0]), shape=(2,)),
     r"^reshape: invalid input of shape \(3,\): cannot reshape array of size 3"),
    (lambda: Tensor(ONES_2x3) + Tensor(np.ones(4)),
     r"^add: cannot broadcast shapes \(2, 3\) and \(4,\); trailing axes must be equal or 1$"),
    (lambda: Tensor(ONES_2x3) * np.ones(4),
     r"^mul: cannot broadcast shapes \(2, 3\) and \(4,\); trailing axes must be equal or 1$"),
    (lambda: np.ones(4) - Tensor(ONES_2x3),
     r"^sub: cannot broadcast shapes \(4,\) and \(2, 3\); trailing axes must be equal or 1$"),
], ids=["concatenate", "concatenate with an array", "reshape", "add", "mul", "reflected sub"])
def test_an_op_whose_forward_refuses_its_inputs_names_itself_and_their_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("index, message", [
    (np.array([0.5]), r"^index arrays must hold integers$"),
    ([1.0, 2.5], r"^index arrays must hold integers$"),
    (5, r"^getitem: index 5 is invalid for shape \(3,\): index 5 is out of bounds"),
    ((0, 1), r"^getitem: index \(0, 1\) is invalid for shape \(3,\): too many indices"),
], ids=["float array", "float list", "out of range", "too many"])
def test_an_index_that_cannot_be_used_is_refused_in_the_users_terms(index, message):
    with pytest.raises(IndexError, match=message):
        Tensor([1.0, 2.0, 3.0])[index]


@pytest.mark.parametrize("axis, expected", [(-2, [5.0, 7.0, 9.0]), (-1, [6.0, 15.0]),
                                            ((-2, -1), 21.0), ((1, -2), 21.0)])
def test_negative_axes_down_to_minus_ndim_count_from_the_end(axis, expected):
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.sum(axis=axis).data, expected)


@pytest.mark.parametrize("axis, message", [
    (-3, r"^sum: axis -3 is out of range for a tensor with 2 axes$"),
    (2, r"^sum: axis 2 is out of range for a tensor with 2 axes$"),
    ((0, -2), r"^sum: repeated axis in \(0, -2\)$"),
])
def test_an_axis_out_of_range_or_repeated_is_refused(axis, message):
    with pytest.raises(ValueError, match=message):
        Tensor(ONES_2x3).sum(axis=axis)
