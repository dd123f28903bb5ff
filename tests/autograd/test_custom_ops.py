"""A user's op, written as the built-in ones are: registered, used in backward() and in
grad(create_graph=True), drawn, caught by detect_anomaly, and unregistered."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae import viz
from tinygrad_ae.autograd import ops, registry

pytestmark = pytest.mark.usefixtures("no_leaked_ops")  # tests/autograd/conftest.py


def _cube():
    @tg.op("cube", partial="3·{x}²")
    def cube(x):
        """out = x³;  ∂out/∂x = 3x²."""
        return x ** 3

    @cube.vjp
    def _(g, out, x):
        return (g * 3 * x * x,)

    return cube


def test_a_user_op_is_registered_and_used_in_backward():
    cube = _cube()
    assert registry.get("cube") is cube and "cube" in registry.names()
    assert not registry.is_builtin(cube) and registry.is_builtin("tanh")
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    cube(x).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0])
    assert cube(np.array(2.0)) == 8.0          # plain arrays: just the forward


def test_a_user_op_works_in_grad_with_create_graph():
    cube = _cube()
    x = tg.Tensor(2.0, requires_grad=True)
    (first,) = tg.grad(cube(x), x, create_graph=True)
    (second,) = tg.grad(first, x)
    assert first.item() == pytest.approx(12.0) and second.item() == pytest.approx(12.0)


def test_a_user_op_with_parameters_and_two_inputs():
    @tg.op("scaled_add", partial=("{alpha}", "1"))
    def scaled_add(a, b, *, alpha):
        return alpha * a + b

    @scaled_add.vjp
    def _(g, out, a, b, alpha):
        return g * alpha, g

    a = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    b = tg.Tensor([3.0, 4.0], requires_grad=True)
    scaled_add(a, b, alpha=0.5).sum().backward()
    np.testing.assert_allclose(a.grad, [[0.5, 0.5]])
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


def test_the_drawings_show_the_user_op_and_its_partial():
    cube = _cube()
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    y = cube(x)
    y.name = "y"
    source = viz.draw_graph(y).source
    assert "cube" in source and "∂y/∂x = 3·x²" in source and "= 12" in source
    rule = viz.chain_rule(y, "x")
    assert "3·x²" in str(rule) and rule.value == pytest.approx(12.0)


def test_detect_anomaly_names_the_user_op_forward_and_backward():
    @tg.op("reciprocal", domain=ops.NONZERO, partial="−1/{x}²")
    def reciprocal(x):
        with np.errstate(divide="ignore"):
            return 1 / x

    @reciprocal.vjp
    def _(g, out, x):
        return (-g * out * out,)

    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="op 'reciprocal'"):
        reciprocal(tg.Tensor(0.0, requires_grad=True))

    @tg.op("flat_then_inf", partial="∞")
    def flat(x):
        return x * 0

    @flat.vjp
    def _(g, out, x):
        with np.errstate(divide="ignore"):
            return (g / (x * 0),)

    x = tg.Tensor(1.0, requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError,
                                            match="backward pass of op 'flat_then_inf'"):
        flat(x).backward()


def test_registering_a_taken_name_needs_replace():
    with pytest.raises(ValueError, match="'tanh' is already registered.*replace=True"):
        @tg.op("tanh")
        def tanh(x):
            return np.tanh(x)
    _cube()
    with pytest.raises(ValueError, match="'cube' is already registered"):
        _cube()

    @tg.op("cube", partial="3·{x}²", replace=True)
    def cube(x):
        return x * x * x

    assert registry.get("cube") is cube


def test_scope_restores_a_replaced_builtin():
    original = registry.get("tanh")
    with registry.scope():
        @tg.op("tanh", partial="1 − {out}²", replace=True)
        def tanh(x):
            return np.tanh(x)
        assert registry.get("tanh") is tanh
    assert registry.get("tanh") is original


def test_scope_restores_the_registry_after_an_error():
    before = registry.names()
    with pytest.raises(RuntimeError), registry.scope():
        _cube()
        raise RuntimeError("a failing test")
    assert registry.names() == before


def test_unregister_removes_a_user_op_but_not_a_builtin():
    cube = _cube()
    x = tg.Tensor(1.0, requires_grad=True)
    y = cube(x)
    assert registry.unregister("cube") is cube and "cube" not in registry.names()
    y.backward()                            # tensors already made keep their op
    assert x.grad == pytest.approx(3.0)
    with pytest.raises(KeyError, match="no op named 'cube'"):
        registry.unregister("cube")
    with pytest.raises(ValueError, match="built-in op and cannot be removed"):
        registry.unregister("mul")


def test_unregister_refuses_an_entry_that_was_replaced():
    old = _cube()

    @tg.op("cube", partial="3·{x}²", replace=True)
    def cube(x):
        return x ** 3

    with pytest.raises(ValueError, match="another entry"):
        registry.unregister(old)


def test_a_half_written_op_fails_early_and_clearly():
    with pytest.raises(TypeError, match=r"vjp must take \('g', 'out', 'x'\)"):
        @tg.op("bad_signature")
        def bad(x):
            return x

        @bad.vjp
        def _(g, x):
            return (g,)

    @tg.op("no_vjp_yet")
    def no_vjp(x):
        return 2 * x

    with pytest.raises(NotImplementedError, match="attach one with @<op>.vjp"):
        no_vjp(tg.Tensor(1.0, requires_grad=True)).backward()


def _square_returning(result_of):
    """A user's square whose vjp returns ``result_of(2·g·x)`` instead of a tuple."""
    @tg.op("square_badly", partial="2·{x}")
    def square_badly(x):
        return x * x

    @square_badly.vjp
    def _(g, out, x):
        return result_of(2 * g * x)

    return square_badly


@pytest.mark.parametrize("result_of", [lambda grad: grad, lambda grad: [grad, grad]],
                         ids=["bare array", "one too many"])
def test_a_vjp_that_does_not_return_one_gradient_per_input_is_named(result_of):
    # A bare array of length 3 used to be iterated as if it were three gradients: x's
    # gradient silently became 2·x[0] everywhere ([2, 2, 2] here, where 2x is [2, 4, 10]).
    square_badly = _square_returning(result_of)
    x = tg.Tensor([1.0, 2.0, 5.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"square_badly.*vjp.*one gradient per input"):
        square_badly(x).sum().backward()
    assert x.grad is None
    with pytest.raises(TypeError, match=r"square_badly.*vjp"):
        tg.grad(square_badly(x).sum(), x, create_graph=True)


def test_a_vjp_returning_a_list_of_the_right_length_is_accepted():
    square_badly = _square_returning(lambda grad: [grad])
    x = tg.Tensor([1.0, 2.0, 5.0], requires_grad=True)
    square_badly(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 10.0])
