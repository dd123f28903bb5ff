"""What an op's registry entry carries beyond its forward and vjp: the partial a drawing
shows (written out by hand here for each case), the names of its inputs, and the
settings a user's op is registered with (kind, saves_values), each seen through what
they change for a user."""

from __future__ import annotations

import numpy as np
import pytest
from param_ids import selectable_id

import tinygrad_ae as tg
from tinygrad_ae.autograd import ops, registry
from tinygrad_ae.autograd.ops.shape import _check_registry

pytestmark = pytest.mark.usefixtures("no_leaked_ops")  # tests/autograd/conftest.py


@pytest.mark.parametrize("exponent, label", [
    (2, "2·x"),
    (2.0, "2·x"),
    (1, "1"),
    (3, "3·x^2"),
    (1.5, "1.5·x^0.5"),
    (0.5, "0.5·x^(-0.5)"),
    (-1, "-1·x^(-2)"),
    (0, "0·x^(-1)"),
    ("p", "p·x^(p−1)"),
], ids=lambda v: selectable_id(str(v)))  # ids mutmut can pass back to pytest
def test_power_partial_is_written_as_a_student_would(exponent, label):
    """p·x^(p−1), simplified for p = 2 and 1, the exponent in parentheses only when it
    is negative, and left symbolic when p is a name."""
    assert ops.pow_scalar.local_partial(0, {"x": "x", "out": "y", "exponent": exponent}) \
        == label


def test_power_partial_of_a_tensor_drawn_in_a_graph_names_its_exponent():
    x = tg.Tensor([2.0], requires_grad=True)
    y = x ** 3
    assert y._op.local_partial(0, {"x": "x", "out": "y", **y.params}) == "3·x^2"


@pytest.mark.parametrize("approximate, label", [
    ("none", "Φ(x) + x·φ(x)"),
    ("tanh", "d/dx [½x(1 + tanh(√(2/π)(x + 0.044715x³)))]"),
], ids=["exact", "tanh"])
def test_gelu_partial_names_the_form_that_was_computed(approximate, label):
    names = {"x": "x", "out": "y", "approximate": approximate}
    assert ops.gelu.local_partial(0, names) == label


def test_input_names_of_a_fixed_and_a_variadic_op():
    assert [ops.mul.input_name(i) for i in range(2)] == ["a", "b"]
    assert [ops.concatenate.input_name(i) for i in range(3)] == ["xs[0]", "xs[1]", "xs[2]"]


def test_input_names_of_an_op_with_fixed_inputs_before_a_variadic_one():
    @tg.op("weighted_sum_for_test", partial=("Σ xs", "{a}"))
    def weighted_sum(a, *xs):
        """out = a · Σ xs."""
        return a * np.sum(xs, axis=0)

    @weighted_sum.vjp
    def _(g, out, a, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return (g * total, *(g * a for _ in xs))

    assert [weighted_sum.input_name(i) for i in range(4)] == ["a", "xs[0]", "xs[1]", "xs[2]"]
    # The last partial serves every variadic input; the first stays the fixed input's.
    names = {"a": "w", "xs": "v", "out": "y"}
    assert [weighted_sum.local_partial(i, names) for i in range(4)] == ["Σ xs", "w", "w", "w"]
    a = tg.Tensor(2.0, requires_grad=True)
    xs = [tg.Tensor([1.0, 3.0], requires_grad=True) for _ in range(3)]
    weighted_sum(a, *xs).sum().backward()
    assert a.grad == pytest.approx(3 * (1.0 + 3.0))
    assert all(np.array_equal(x.grad, [2.0, 2.0]) for x in xs)


def test_a_user_op_is_elementwise_unless_told_otherwise():
    """The default kind decides the error a user sees for shapes that do not broadcast."""
    @tg.op("plus_for_test", partial=("1", "1"))
    def plus(a, b):
        """out = a + b."""
        return a + b

    @plus.vjp
    def _(g, out, a, b):
        return g, g

    assert plus.kind == "elementwise"
    with pytest.raises(ValueError, match=r"^plus_for_test: cannot broadcast shapes \(2,\) and "
                                         r"\(3,\); trailing axes must be equal or 1$"):
        plus(tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("saves_values", [True, False])
def test_saves_values_decides_whether_an_input_may_change_before_backward(saves_values):
    """An op whose vjp reads no value (saves_values=False) keeps its gradient right when an
    input is changed in place after the forward; one that reads values refuses."""
    @tg.op("shift_for_test", partial=("1", "1"), saves_values=saves_values)
    def shift(a, b):
        """out = a + b."""
        return a + b

    @shift.vjp
    def _(g, out, a, b):
        return g, g

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    offset = tg.Tensor([5.0, 5.0])
    y = shift(x, offset)
    offset *= 2
    if saves_values:
        with pytest.raises(RuntimeError, match="shift_for_test.*changed in place"):
            y.sum().backward()
    else:
        y.sum().backward()
        assert np.array_equal(x.grad, [1.0, 1.0])


def test_a_user_op_with_a_needs_argument_is_told_which_inputs_need_a_gradient():
    seen = []

    @tg.op("scaled_for_test", partial=("{b}", "{a}"))
    def scaled(a, b):
        """out = a · b."""
        return a * b

    @scaled.vjp
    def _(g, out, a, b, needs=(True, True)):
        seen.append(needs)
        return (g * b if needs[0] else None), (g * a if needs[1] else None)

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    scaled(x, tg.Tensor([3.0, 4.0])).sum().backward()
    assert seen == [(True, False)]
    assert np.array_equal(x.grad, [3.0, 4.0])


def test_the_registry_check_names_every_op_without_a_vjp():
    _check_registry()  # the built-in registry is complete

    @tg.op("half_written_for_test")
    def half_written(x):
        """out = x."""
        return x

    with pytest.raises(TypeError, match=r"^ops registered without a vjp: "
                                        r"\['half_written_for_test'\]$"):
        _check_registry()


@pytest.mark.parametrize("domain, partial", [
    ((ops.REALS, ops.REALS), "1"),
    (ops.REALS, ("1", "1")),
], ids=["two domains", "two partials"])
def test_an_entry_with_a_domain_or_partial_too_many_is_refused(domain, partial):
    with pytest.raises(TypeError, match=r"^op 'one_input_for_test': give one domain and one "
                                        r"partial per input \('x',\)$"):
        @tg.op("one_input_for_test", domain=domain, partial=partial)
        def one_input(x):
            """out = x."""
            return x
    assert "one_input_for_test" not in registry.names()
