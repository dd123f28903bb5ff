"""Every registered op: first and second derivatives against central differences.

Registering an op is enough to have it tested here: the tests walk the registry and draw
inputs inside each op's declared domain (tinygrad_ae.strategies.op_inputs).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import FD2_ATOL, FD2_RTOL, FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import Tensor, gradgradcheck, strategies
from tinygrad_ae.autograd import gradcheck, ops
from tinygrad_ae.autograd.gradcheck import GradcheckError


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_vjp_matches_central_differences(op, data):
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float64))
    gradcheck(op.as_function(**params), inputs, eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data(), reduction=st.sampled_from(["sum", "mean"]))
def test_gradient_of_a_plain_sum_matches_central_differences(op, data, reduction):
    """Reduced by a plain sum or mean, the gradient reaches the op as one number that
    must still be summed over every broadcast copy of an input (a bias, a scalar)."""
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float64))

    def reduced(*xs):
        out = op(*xs, **params)
        return out.sum() if reduction == "sum" else out.mean()
    gradcheck(reduced, inputs, eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_second_derivatives_match_central_differences(op, data):
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float64))
    gradgradcheck(op.as_function(**params), inputs, eps=FD_EPS, atol=FD2_ATOL, rtol=FD2_RTOL)


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_float32_stays_float32_through_forward_and_backward(op, data):
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float32))
    if op.kind == "cast":
        params = {"dtype": np.dtype(np.float32)}
    out = op(*inputs, **params)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in inputs:
        assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
def test_every_op_declares_a_partial_for_each_input(op):
    names = {name: name for name in (*op.inputs, "out", *op.param_names)}
    for i in range(len(op.inputs)):
        text = op.local_partial(i, names)
        assert isinstance(text, str) and text


def test_gradcheck_catches_a_wrong_vjp():
    """The checker itself must be able to fail: a vjp off by a factor 2 is caught."""
    wrong = ops.Op("wrong_square_for_test", lambda x: x * x, (ops.REALS,), ("2·{x}",),
                   "elementwise")
    wrong.vjp(lambda g, out, x: (g * x,))  # should be 2·g·x
    x = Tensor([0.5, -1.5, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .* wrong at index \(\d,\).*reverse mode "
                                             r"gives .* central differences give"):
        gradcheck(wrong.as_function(), [x])
    assert gradcheck(wrong.as_function(), [x], raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_second_derivative():
    """A vjp that is right at first order but uses the value (not the Tensor) of its
    input has no second derivative through it, which gradgradcheck must notice."""
    cube = ops.Op("detached_cube_for_test", lambda x: x ** 3, (ops.REALS,), ("3·{x}²",),
                  "elementwise")
    cube.vjp(lambda g, out, x: (g * 3 * ops.value(x) ** 2,))
    x = Tensor([0.5, -1.5], requires_grad=True)
    assert gradcheck(cube.as_function(), [x])
    with pytest.raises(GradcheckError):
        gradgradcheck(cube.as_function(), [x])
