"""Indexing with integer arrays: integer-valued floats and Tensors select like integers,
and a position picked more than once collects the gradient of every pick (numpy's
``add.at``, not an assignment, which would keep only the last). Expected gradients are
counted by hand."""

from __future__ import annotations

import numpy as np

from tinygrad_ae import Tensor


def test_integer_valued_float_and_tensor_indices_select_like_integers():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = x[Tensor([2.0, 0.0, 2.0])]
    np.testing.assert_array_equal(picked.data, [30.0, 10.0, 30.0])
    np.testing.assert_array_equal(x[np.array([1.0, 2.0])].data, [20.0, 30.0])
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 2.0])  # index 2 picked twice


def test_a_pair_of_index_arrays_that_repeats_a_position_adds_its_gradients():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows, cols = np.array([0, 0, 1]), np.array([1, 1, 0])
    picked = x[rows, cols]
    np.testing.assert_array_equal(picked.data, [2.0, 2.0, 3.0])
    picked.backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 11.0], [100.0, 0.0]])
