"""How the Tensor methods of tensor_methods.py and the functions of functions.py read their
arguments: numpy's and PyTorch's names for the same thing (``axis``/``dim``/``dims``,
``keepdims``/``keepdim``), the messages that name the method the user called, the edge
cases PyTorch allows (pieces of length 0), and the fresh state of the engine.

Expected values come from numpy on the same data, or are written out by hand.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae import Tensor
from tinygrad_ae.autograd._state import _State

M = np.arange(6.0).reshape(2, 3)


def test_a_fresh_engine_records_gradients_with_no_anomaly_check_scope_or_change() -> None:
    # PyTorch's defaults: grad mode on, anomaly detection off.
    state = _State()
    assert state.grad_enabled is True and state.anomaly is False
    assert state.scope == "" and state.mutations == 0


@pytest.mark.parametrize("call, kind, message", [
    (lambda: Tensor(M).flip(axis=0, dims=0), TypeError, "flip: pass axis or dim, not both"),
    (lambda: Tensor(M).flip(5), ValueError, "flip: axis 5 is out of range"),
    (lambda: Tensor(M).unsqueeze(3), ValueError, "unsqueeze: axis 3 is out of range"),
    (lambda: Tensor(M).unsqueeze(0, dim=0), TypeError, "unsqueeze: pass axis or dim, not both"),
    (lambda: Tensor(M).argmin(axis=2), ValueError, "argmin: axis 2 is out of range"),
    (lambda: Tensor(M).split(0), ValueError, "split: the piece length must be positive, got 0"),
    (lambda: Tensor(M).split([1, 2]), ValueError, r"split: lengths \[1, 2\] must be non-negative "
                                                  r"and add up to 2, the length of axis 0"),
    (lambda: Tensor(M).split([3, -1]), ValueError, r"split: lengths \[3, -1\] must be"),
    (lambda: tg.cat([Tensor(M)], axis=0, dim=0), TypeError, "cat: pass axis or dim, not both"),
    (lambda: tg.cat([Tensor(1.0)]), ValueError, "cat: zero-dimensional tensors cannot be joined; "
                                                "use stack$"),
    (lambda: tg.cat([Tensor(M)], axis=2), ValueError, "cat: axis 2 is out of range"),
    (lambda: tg.cat([Tensor(M), Tensor(np.zeros((2, 4)))]), ValueError,
     r"cat: shapes \(2, 3\) and \(2, 4\) differ outside axis 0; every other axis must match$"),
    (lambda: tg.cat([Tensor(M), Tensor(M), Tensor(np.zeros((2, 4)))]), ValueError,
     r"cat: shapes \(2, 3\) and \(2, 4\) differ outside axis 0"),
    (lambda: tg.cat([Tensor(M), Tensor(np.zeros(3))]), ValueError,
     r"cat: shapes \(2, 3\) and \(3,\) differ outside axis 0"),
    (lambda: tg.stack([Tensor(M)], axis=0, dim=0), TypeError, "stack: pass axis or dim, not both"),
    (lambda: tg.stack([Tensor(M)], axis=3), ValueError, "stack: axis 3 is out of range"),
    (lambda: tg.stack(Tensor(M)), TypeError, "stack: pass a list or tuple of tensors, not one"),
    (lambda: tg.stack([]), ValueError, "stack: needs at least one tensor$"),
    (lambda: Tensor(M).log_softmax(axis=0, dim=0), TypeError,
     "log_softmax: pass axis or dim, not both"),
    (lambda: Tensor(M).split(1, axis=0, dim=0), TypeError, "split: pass axis or dim, not both"),
    (lambda: Tensor(M).min(axis=5), ValueError, "min: axis 5 is out of range"),
    (lambda: Tensor(np.zeros(0)).min(), ValueError,
     "min: cannot take the minimum of an empty tensor$"),
    (lambda: tg.where(np.array([True, False]), Tensor(np.zeros(3)), 0.0), ValueError,
     r"where: cannot broadcast the shapes of condition \(2,\), input \(3,\) and other \(\)$"),
    (lambda: Tensor([1.0]) & Tensor([2.0]), TypeError, "& needs boolean tensors"),
    (lambda: (Tensor([1.0]) > 0) | Tensor([2.0]), TypeError, r"\| needs boolean tensors"),
], ids=["flip both", "flip axis", "unsqueeze axis", "unsqueeze both", "argmin axis",
        "split zero", "split sum", "split negative", "cat both", "cat 0-d", "cat axis",
        "cat second shape", "cat third shape", "cat ndim", "stack both", "stack axis",
        "stack one tensor", "stack empty", "log_softmax both", "split both", "min axis",
        "min empty", "where shapes", "and", "or"])
def test_each_refusal_starts_with_the_name_the_user_called(call: Callable[[], Any],
                                                            kind: type, message: str) -> None:
    with pytest.raises(kind, match=f"^{message}"):
        call()


def test_dim_dims_and_keepdim_are_read_as_axis_and_keepdims() -> None:
    t = Tensor(M)
    np.testing.assert_array_equal(t.flip(dims=1).data, M[:, ::-1])
    np.testing.assert_array_equal(t.flip(dim=0).data, M[::-1])
    assert t.unsqueeze(dim=1).shape == (2, 1, 3)
    assert t.argmin(dim=1, keepdim=True).shape == (2, 1)
    assert t.argmax(axis=0, keepdim=True).shape == (1, 3)
    assert t.argmin(keepdim=True).shape == (1, 1)
    assert [p.shape for p in t.split(2, dim=1)] == [(2, 2), (2, 1)]
    assert tg.concatenate([t, t], dim=1).shape == (2, 6)
    assert tg.concatenate([t, t], 1).shape == (2, 6)
    assert [p.shape for p in tg.split(t, 2, dim=1)] == [(2, 2), (2, 1)]
    assert [p.shape for p in tg.split(t, [1, 2], 1)] == [(2, 1), (2, 2)]
    assert tg.cat([t, t], dim=1).shape == (2, 6)
    assert tg.stack([t, t], dim=2).shape == (2, 3, 2)
    np.testing.assert_allclose(t.log_softmax(dim=0).data,
                               M - np.log(np.exp(M).sum(axis=0, keepdims=True)))
    np.testing.assert_allclose(t.logsumexp(dim=1, keepdim=True).data,
                               np.log(np.exp(M).sum(axis=1, keepdims=True)))
    np.testing.assert_allclose(t.std(axis=1).data, M.std(axis=1))   # keepdims off by default


def test_split_allows_pieces_of_length_zero_as_pytorch_does() -> None:
    pieces = Tensor(M).split([0, 2, 0])
    assert [p.shape for p in pieces] == [(0, 3), (2, 3), (0, 3)]
    np.testing.assert_array_equal(pieces[1].data, M)
    assert [p.shape for p in Tensor(np.zeros((0, 2))).split(3)] == [(0, 2)]


def test_comparisons_and_logic_give_plain_boolean_tensors() -> None:
    x = Tensor([1.0, -1.0], requires_grad=True)
    for mask in (x > 0, x <= 0, x == 1.0, ~(x > 0), (x > 0) & (x < 2), (x > 0) | (x < 0)):
        assert mask.requires_grad is False and mask.is_leaf and mask.grad is None
        assert mask.dtype == np.bool_
    assert x.argmax().requires_grad is False


def test_maximum_and_minimum_of_two_plain_values_make_a_tensor() -> None:
    # Neither argument a Tensor: the first becomes one, so the op still records and returns one.
    out = tg.maximum(np.array([1.0, 5.0]), 3.0)
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [3.0, 5.0])
    np.testing.assert_array_equal(tg.minimum([1.0, 5.0], np.array([3.0, 3.0])).data, [1.0, 3.0])
    np.testing.assert_array_equal(tg.where(np.array([True, False]), [1.0, 2.0], 0.0).data,
                                  [1.0, 0.0])


@pytest.mark.parametrize("symbol", ["<", "<=", ">", ">=", "==", "!="])
def test_a_comparison_of_shapes_that_do_not_broadcast_names_its_symbol(symbol: str) -> None:
    compare, reference = {"<": (operator.lt, np.less), "<=": (operator.le, np.less_equal),
                          ">": (operator.gt, np.greater), ">=": (operator.ge, np.greater_equal),
                          "==": (operator.eq, np.equal), "!=": (operator.ne, np.not_equal)}[symbol]
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=rf"^{re.escape(symbol)}: cannot compare shapes \(2,\) "
                       r"and \(3,\); trailing axes must be equal or 1$"):
        compare(a, b)
    np.testing.assert_array_equal(compare(a, 1.5).data, reference(a.data, 1.5))


def test_any_and_all_read_every_entry() -> None:
    assert (Tensor([0.0, 1.0]) > 0).any() and not (Tensor([0.0, 1.0]) > 0).all()
    assert not (Tensor([0.0, 0.0]) > 0).any()


def test_maximum_of_a_tensor_and_a_number_sends_the_gradient_to_the_tensor() -> None:
    # max(x, 0) = relu: ∂/∂x is 1 where x > 0 and 0 where x < 0.
    x = Tensor([-1.0, 2.0], requires_grad=True)
    tg.maximum(x, 0.0).sum().backward()
    tg.minimum(1.0, x).sum().backward()                # min(1, x): 1 where x < 1
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
