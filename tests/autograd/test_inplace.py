"""In-place updates: PyTorch's rules, identity kept, and a stale saved value caught."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_ae as tg
from tinygrad_ae import Tensor, no_grad, strategies
from tinygrad_ae.data import correlated_2d
from tinygrad_ae.models import PaperAutoencoder
from tinygrad_ae.nn import Linear, mse_loss
from tinygrad_ae.pca import min_reconstruction_loss

OPERATORS = {"+=": lambda t, v: t.__iadd__(v), "-=": lambda t, v: t.__isub__(v),
             "*=": lambda t, v: t.__imul__(v), "/=": lambda t, v: t.__itruediv__(v)}
EXPECTED = {"+=": [3.0, 4.0], "-=": [-1.0, 0.0], "*=": [2.0, 4.0], "/=": [0.5, 1.0]}


NUMPY = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}


@pytest.mark.parametrize("operator", OPERATORS)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_update_matches_numpy_for_any_operand_that_broadcasts_to_the_tensor(operator, data,
                                                                            dtype):
    shape = data.draw(strategies.shapes())
    operand_shape = data.draw(st.sampled_from([shape, shape[1:], (1,) * len(shape), ()]))
    start = data.draw(strategies.arrays(shape, dtype))
    operand = data.draw(strategies.arrays(operand_shape, np.float64, domain="nonzero"))
    t = Tensor(start, requires_grad=True)
    array = t.data
    with no_grad():
        OPERATORS[operator](t, data.draw(st.sampled_from([operand, Tensor(operand)])))
    assert t.data is array and t.dtype == dtype and t.is_leaf
    np.testing.assert_allclose(t.data, NUMPY[operator](start, operand).astype(dtype),
                               rtol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("operator", OPERATORS)
def test_update_changes_the_tensors_own_array_and_keeps_identity(operator):
    w = Tensor([1.0, 2.0], requires_grad=True)
    array = w.data
    with no_grad():
        result = OPERATORS[operator](w, 2.0)
    assert result is w and w.data is array and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, EXPECTED[operator])


def test_the_manual_sgd_loop_trains_the_paper_network_to_the_pca_bound():
    X = correlated_2d(200, seed=0)
    model = PaperAutoencoder(seed=1)
    params = list(model.parameters())
    x, lr = Tensor(X), 0.05
    for _ in range(3000):
        loss = mse_loss(model(x), x, "paper")
        for p in params:
            p.zero_grad()
        loss.backward()
        with no_grad():
            for p in params:
                p -= lr * p.grad
    assert all(a is b for a, b in zip(model.parameters(), params))
    assert all(p.is_leaf for p in params)
    bound = min_reconstruction_loss(X, 1)
    final = mse_loss(model(x), x, "paper").item()
    assert final == pytest.approx(bound, rel=1e-6)


def test_an_updated_parameter_stays_in_its_module_and_state_dict():
    layer = Linear(3, 2)
    weight = layer.weight
    with no_grad():
        layer.weight -= 1.0
    assert layer.weight is weight
    assert any(p is weight for p in layer.parameters())
    np.testing.assert_array_equal(layer.state_dict()["weight"], weight.data)


@pytest.mark.parametrize("operator", OPERATORS)
def test_a_leaf_that_requires_grad_cannot_be_changed_in_grad_mode(operator):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(operator) + ": a leaf tensor that "
                                           "requires grad .* no_grad"):
        OPERATORS[operator](w, 1.0)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # unchanged


def test_setitem_on_a_leaf_that_requires_grad_raises_in_grad_mode():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        w[0] = 5.0


@pytest.mark.parametrize("index, value, expected", [
    (0, 9.0, [[9, 9], [3, 4]]),
    ((1, 0), 7.0, [[1, 2], [7, 4]]),
    (slice(None), np.array([5.0, 6.0]), [[5, 6], [5, 6]]),
    (np.array([1, 0]), Tensor([[0.0, 0.5], [1.5, 2.0]]), [[1.5, 2], [0, 0.5]]),
    ((slice(None), 1), Tensor([8.0, 9.0]), [[1, 8], [3, 9]]),
], ids=["int", "tuple", "slice-broadcast", "array", "column"])
def test_setitem_writes_in_place(index, value, expected):
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    array = t.data
    t[index] = value
    assert t.data is array
    np.testing.assert_array_equal(t.data, expected)


def test_setitem_keeps_the_dtype():
    t = Tensor([1.0, 2.0], dtype=np.float32)
    t[0] = np.float64(3.0)
    t += np.array([1.0, 1.0])  # float64 operand, float32 tensor
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, [4.0, 3.0])


def test_wrong_shapes_raise_and_leave_the_tensor_unchanged():
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\+=: cannot change a tensor of shape \(2,\) in "
                                         r"place by an operand of shape \(3, 2\)"):
        t += np.ones((3, 2))
    with pytest.raises(ValueError, match=r"setitem: cannot assign a value of shape \(3,\) to "
                                         r"the indexed shape \(2,\)"):
        t[:] = np.ones(3)
    with pytest.raises(IndexError, match="getitem: index"):
        t[5] = 1.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_a_read_only_view_cannot_be_changed():
    t = Tensor([1.0, 2.0]).expand(3, 2)
    with pytest.raises(RuntimeError, match=r"\*=: this tensor's memory is read-only"):
        t *= 2


# --- a saved value changed afterwards ---------------------------------------------------

def test_a_saved_input_changed_in_place_makes_backward_raise_naming_the_op():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    loss = (y * y).sum()            # mul saves y
    with no_grad():
        y += 1
    with pytest.raises(RuntimeError, match=r"backward: the input of shape \(2,\) that op "
                                           r"'mul' saved .* changed in place \(by '\+='\)"):
        loss.backward()


def test_a_parameter_updated_between_forward_and_backward_is_caught():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match=r"'mul' saved .* \(by '-='\)"):
        loss.backward()


def test_a_saved_output_changed_in_place_is_caught():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()                      # exp's vjp reuses its output
    with no_grad():
        y[0] = 0.0
    with pytest.raises(RuntimeError, match=r"the output of shape .* op 'exp' .* \(by 'setitem'\)"):
        y.sum().backward()


def test_a_change_through_a_view_or_a_detached_copy_is_caught():
    x = Tensor([[0.5, 1.0], [1.5, 2.0]], requires_grad=True)
    y = x.tanh()
    loss = y.sum()
    view = y.detach().reshape(4)     # shares y's memory
    view += 1.0                      # no grad involved: allowed, and noted
    with pytest.raises(RuntimeError, match="op 'tanh' saved"):
        loss.backward()


def test_an_op_that_saves_nothing_does_not_mind():
    """``sum`` and ``add`` use no values in their backward pass, as in PyTorch."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w + 1.0).sum()
    with no_grad():
        w += 5.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_a_change_before_the_op_runs_is_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        w *= 2
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [4.0, 8.0])


def test_the_seeded_bug_is_caught():
    """Without the check, the backward pass would silently use the changed value: the
    gradient of Σ y² with respect to w is 2·y·3 = 18·w, not 2·(y + 1)·3."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    loss = (y * y).sum()
    with no_grad():
        y += 1
    with pytest.raises(RuntimeError):
        loss.backward()
    fresh = Tensor([1.0, 2.0], requires_grad=True)
    ((fresh * 3) * (fresh * 3)).sum().backward()
    np.testing.assert_array_equal(fresh.grad, [18.0, 36.0])


# --- in grad mode, on a tensor in the graph ------------------------------------------------

def test_a_non_leaf_changed_in_grad_mode_records_the_change():
    w = Tensor([1.0, 2.0], requires_grad=True)
    v = Tensor([3.0, 4.0], requires_grad=True)
    y = w * 2
    same = y
    y += v * w                       # y = 2w + v·w
    assert y is same and y.op_name == "add" and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0 + 3.0, 2.0 + 4.0])
    np.testing.assert_array_equal(v.grad, [1.0, 2.0])


def test_a_plain_tensor_joined_by_a_grad_operand_joins_the_graph():
    total = tg.zeros(2)
    w = Tensor([1.0, 2.0], requires_grad=True)
    total += w * w
    total[0] = w[1] * 10
    assert total.requires_grad and not total.is_leaf
    total.sum().backward()           # total = (20·... ): ∂/∂w = (0, 4 + 10)
    np.testing.assert_array_equal(total.data, [20.0, 4.0])
    np.testing.assert_array_equal(w.grad, [0.0, 14.0])


def test_a_consumer_of_the_old_value_cannot_backpropagate_through_the_new_one():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    z = y + 0.0                      # add saves nothing, but y is now a different node
    y += w
    with pytest.raises(RuntimeError, match="was changed in place .* now the result of 'add'"):
        z.sum().backward()


def test_second_derivatives_pass_through_a_recorded_setitem():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    y[1] = x[0] ** 3                  # y = (x0, x0³, x2)
    (g,) = tg.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [1 + 3 * 1.0, 0.0, 1.0])
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [6.0, 0.0, 0.0])


def test_a_view_of_a_parameter_cannot_be_changed_in_grad_mode():
    """w[0:2] shares w's memory: a recorded change through it would change the parameter
    behind the graph's back, so it raises (as in PyTorch), and w is left as it was."""
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    view = w[0:2]
    with pytest.raises(RuntimeError, match=r"\+=: this tensor is a view of the tensor it was "
                                           r"made from \(by 'getitem'\)"):
        view += 1.0
    with pytest.raises(RuntimeError, match="setitem: this tensor is a view"):
        w.reshape(3, 1)[0] = 5.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])


def test_an_int_tensor_cannot_take_a_float_in_place():
    index = Tensor([3.0, 1.0]).argmax()          # an int64 tensor
    with pytest.raises(TypeError, match=r"\+=: cannot change a tensor of dtype int64 in place"):
        index += 0.5
