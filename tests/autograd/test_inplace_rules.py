"""In-place changes, the parts tests/autograd/test_inplace.py does not pin: the words of
every refusal (each names the operator the user wrote), the op a recorded change becomes,
the tensor that stands for the value before the change, and the change counter's
bookkeeping (a change long before an op is harmless, one after it is caught however many
other changes come between).

Expected gradients are worked by hand in each test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae import Tensor, no_grad
from tinygrad_ae.autograd.engine import topological_order
from tinygrad_ae.autograd.inplace import note_changed


def _apply(t: Tensor, operator: str, other: object) -> Tensor:
    if operator == "+=":
        t += other
    elif operator == "-=":
        t -= other
    elif operator == "*=":
        t *= other
    else:
        t /= other
    return t


OPERATORS = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}


# --- the words of each refusal -----------------------------------------------------------
@pytest.mark.parametrize("operator", OPERATORS)
def test_each_refusal_starts_with_the_operator_the_user_wrote(operator: str) -> None:
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    op = re.escape(operator)
    with pytest.raises(RuntimeError, match=rf"^{op}: a leaf tensor that requires grad "
                       r"cannot be changed in place while gradients are recorded; do it inside "
                       r"`with no_grad\(\):`"):
        _apply(leaf, operator, 1.0)
    with pytest.raises(ValueError, match=rf"^{op}: cannot change a tensor of shape "
                       r"\(2,\) in place by an operand of shape \(3,\); the result would not "
                       r"have the tensor's shape$"):
        _apply(Tensor([1.0, 2.0]), operator, np.ones(3))
    with pytest.raises(RuntimeError, match=rf"^{op}: this tensor's memory is read-only "
                       r"\(a broadcast view, such as expand\(\) makes\); change a copy instead$"):
        _apply(Tensor([1.0]).expand(3), operator, 1.0)
    with pytest.raises(RuntimeError, match=rf"^{op}: this tensor's memory is "
                       r"read-only"):                  # the same, when the change is recorded
        _apply(Tensor([1.0]).expand(2), operator, Tensor([1.0, 1.0], requires_grad=True))
    view = (leaf * 1.0).reshape(2, 1)
    with pytest.raises(RuntimeError, match=rf"^{op}: this tensor is a view of the tensor "
                       r"it was made from \(by 'reshape'\), so changing it in place"):
        _apply(view, operator, 1.0)
    with pytest.raises(TypeError, match=rf"^{op}: cannot change a tensor of dtype "
                       r"int64 in place with this operand"):
        _apply(Tensor([3.0, 1.0, 2.0]).argmax(axis=0, keepdims=True), operator, 0.5)  # int64


def test_setitem_refusals_say_setitem() -> None:
    with pytest.raises(RuntimeError, match=r"^setitem: a leaf tensor that requires grad cannot "
                       r"be changed in place"):
        Tensor([1.0, 2.0], requires_grad=True)[0] = 3.0
    with pytest.raises(ValueError, match=r"^setitem: cannot assign a value of shape \(3,\) to the "
                       r"indexed shape \(2,\)$"):
        Tensor([1.0, 2.0, 3.0])[1:] = np.ones(3)
    with pytest.raises(RuntimeError, match=r"^setitem: this tensor's memory is read-only"):
        Tensor([1.0]).expand(3)[0] = 2.0
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^setitem: this tensor is a view"):
        (w * 1.0).reshape(2, 1)[0] = 2.0


@pytest.mark.parametrize("operator", [*OPERATORS, "setitem"])
def test_a_change_after_the_op_names_the_operator_and_the_role_of_the_value(operator: str) -> None:
    # exp saves its output, mul saves its inputs: both roles are named.
    for role, build in (("output", lambda w: w.exp()), ("input", lambda w: w * w)):
        w = Tensor([1.0, 2.0], requires_grad=True)
        y = build(w)
        target = y if role == "output" else w
        with no_grad():
            if operator == "setitem":
                target[0] = 5.0
            else:
                _apply(target, operator, 2.0)
        op_name = "exp" if role == "output" else "mul"
        with pytest.raises(RuntimeError, match=rf"^backward: the {role} of shape \(2,\) that op "
                           rf"'{op_name}' saved for the backward pass was changed in place "
                           rf"\(by '{re.escape(operator)}'\)"):
            y.sum().backward()


def test_an_input_that_became_a_newer_op_is_named_with_both_ops() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    y = h.exp()
    h += 1.0                                            # recorded: h is now the result of add
    with pytest.raises(RuntimeError, match=r"^backward: an input of shape \(2,\) of op 'exp' was "
                       r"changed in place \(it is now the result of 'add'\) after the op used it"):
        y.sum().backward()


# --- what a recorded change becomes ------------------------------------------------------
@pytest.mark.parametrize("operator", OPERATORS)
def test_a_recorded_change_becomes_one_node_of_the_matching_op(operator: str) -> None:
    # h = x³ then h ∘= 2: d/dx of Σ(x³ ∘ 2) by hand for each operator.
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x ** 3
    h.name = "h"
    h = _apply(h, operator, 2.0)
    assert h.op_name == OPERATORS[operator] and not h.is_leaf and h.requires_grad
    h.sum().backward()
    scale = {"+=": 1.0, "-=": 1.0, "*=": 2.0, "/=": 0.5}[operator]
    np.testing.assert_allclose(x.grad, scale * 3 * np.array([1.0, 4.0]))


def test_the_value_before_the_change_keeps_its_name_scope_and_history() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x ** 3
    h.name = "h"
    h += 1.0
    former = [t for t in topological_order(h) if t.name == "h" and t is not h]
    assert len(former) == 1
    (before,) = former
    np.testing.assert_array_equal(before.data, [1.0, 8.0])
    assert before.op_name == "pow_scalar" and before.params == h._parents[0].params
    assert before.grad is None and before.requires_grad
    assert before._scope == "" and isinstance(before._scope, str)   # drawings group by it


def test_a_recorded_setitem_keeps_the_dtype_and_is_one_index_put() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    h = x * 2.0
    h[1] = 10.0                                         # a Python float into float32
    assert h.op_name == "index_put" and h.dtype == np.float32
    np.testing.assert_array_equal(h.data, [2.0, 10.0, 6.0])
    h.sum().backward()                                  # entry 1 no longer depends on x
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 2.0])
    assert x.grad.dtype == np.float32


def test_plain_tensors_change_without_joining_a_graph() -> None:
    # Nothing requires grad: PyTorch records nothing, and the tensor stays a leaf.
    t = Tensor([1.0, 2.0])
    t += Tensor([1.0, 1.0])
    t *= 3.0
    t[0] = 0.0
    assert t.is_leaf and t.op_name is None and not t.requires_grad
    np.testing.assert_array_equal(t.data, [0.0, 9.0])


# --- the change counter ------------------------------------------------------------------
def test_a_change_before_the_op_is_harmless_even_after_later_unrelated_changes() -> None:
    # w changed, then y = w·w and z = 2y built, then an unrelated tensor changed: the
    # backward pass must look closer (the counter moved) and still find nothing wrong.
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        w += 1.0                                        # w = [2, 3]
    y = w * w
    z = y * 2.0
    other = Tensor([0.0])
    other += 1.0
    note_changed(other, "step")
    z.sum().backward()
    np.testing.assert_array_equal(w.grad, [8.0, 12.0])    # d/dw Σ 2w² = 4w


def test_a_recorded_change_then_an_unrelated_one_still_backpropagates() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h += 1.0                                            # the former h is stamped, the new one too
    u = Tensor([0.0])
    u -= 1.0
    (h * h).sum().backward()                            # d/dx Σ(2x + 1)² = 4(2x + 1)
    np.testing.assert_array_equal(x.grad, [12.0, 20.0])


def test_every_change_after_an_op_is_caught_not_only_the_first() -> None:
    for _ in range(3):
        w = Tensor([1.0, 2.0], requires_grad=True)
        y = w * w
        with no_grad():
            w += 1.0
        with pytest.raises(RuntimeError, match="changed in place"):
            y.sum().backward()


def test_a_change_is_remembered_however_many_other_arrays_change_later() -> None:
    # The record of changes forgets only arrays that no longer exist, never a live one.
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * w
    with no_grad():
        w += 1.0
    alive = [Tensor([float(i)]) for i in range(4200)]
    for t in alive:
        t += 1.0
    with pytest.raises(RuntimeError, match=r"the input of shape \(2,\) that op 'mul' saved"):
        y.sum().backward()


def test_note_changed_names_the_caller_in_the_refusal() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * w
    w.data[0] = 5.0
    note_changed(w, "my_optimizer.step")
    with pytest.raises(RuntimeError, match=r"\(by 'my_optimizer\.step'\)"):
        y.sum().backward()
