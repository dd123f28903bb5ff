"""Comparisons give boolean Tensors that never require grad; hashing stays identity."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import Tensor, strategies, where

COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}


@pytest.mark.parametrize("symbol", COMPARISONS)
@given(shapes=strategies.broadcastable_shapes(2), data=st.data())
def test_comparisons_match_numpy_and_never_require_grad(symbol, shapes, data):
    compare = COMPARISONS[symbol]
    # DISTINCT's grid makes ties likely, so == and <= are really exercised.
    a = data.draw(strategies.arrays(shapes[0], domain="distinct"))
    b = data.draw(strategies.arrays(shapes[1], domain="distinct"))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    for result, expected in [(compare(x, y), compare(a, b)), (compare(x, b), compare(a, b)),
                             (compare(x, 0.5), compare(a, 0.5))]:
        assert isinstance(result, Tensor) and result.dtype == np.bool_
        assert not result.requires_grad and result.is_leaf
        np.testing.assert_array_equal(result.data, expected)


def test_reflected_comparisons_with_numbers():
    x = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((2 < x).data, [False, False, True])
    np.testing.assert_array_equal((2 == x).data, [False, True, False])


def test_comparing_with_something_that_is_not_a_number_is_false():
    x = Tensor([1.0])
    assert (x == None) is False  # noqa: E711  (PyTorch: False, never an error)
    assert (x != "a") is True


def test_hash_is_identity_so_tensors_work_as_dict_keys_and_in_sets():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert hash(a) != hash(b) or a is b
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2


def test_truth_value_of_a_one_element_comparison_and_error_for_more():
    assert bool(Tensor(2.0) > 1) and not bool(Tensor([2.0]) < 1)
    with pytest.raises(RuntimeError, match=r"truth value of a tensor of shape \(2,\) is "
                                           r"ambiguous"):
        bool(Tensor([1.0, 2.0]) == Tensor([1.0, 2.0]))
    assert (Tensor([1.0, 2.0]) == Tensor([1.0, 2.0])).all()


def test_boolean_tensors_combine_and_feed_where():
    x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    inside = (x > -1) & (x < 1)
    np.testing.assert_array_equal((~inside).data, [True, False, True])
    np.testing.assert_array_equal(((x < -1) | (x > 1)).data, [True, False, True])
    y = where(inside, x, 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_mismatched_shapes_and_non_boolean_logic_raise():
    with pytest.raises(ValueError, match=r"<: cannot compare shapes \(2,\) and \(3,\)"):
        _ = Tensor([1.0, 2.0]) < Tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="~ needs a boolean tensor"):
        ~Tensor([1.0])
    with pytest.raises(TypeError, match="& needs boolean tensors"):
        Tensor([1.0]) & Tensor([1.0])
