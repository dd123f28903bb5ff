"""Ops of several inputs when only some of them require grad.

The engine tells such an op which gradients are needed (``needs``), and the op skips
the others: a mix-up there (the gradient of ``a`` computed only when ``b`` needs one)
is invisible when every input requires grad, as in ``test_ops.py``. Here each input in
turn is the only one that does, and its gradient is checked against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import Tensor, strategies
from tinygrad_ae.autograd import gradcheck, ops

SEVERAL_INPUTS = [op for op in ops.all_ops() if len(op.inputs) > 1 or op.variadic]


@pytest.mark.parametrize("op", SEVERAL_INPUTS, ids=lambda op: op.name)
@given(data=st.data())
def test_the_one_input_that_requires_grad_gets_the_right_gradient(op, data):
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float64))
    wanted = data.draw(st.integers(0, len(inputs) - 1), label="input requiring grad")
    inputs = [Tensor(t.data, requires_grad=(i == wanted)) for i, t in enumerate(inputs)]
    gradcheck(op.as_function(**params), inputs, eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)
    out = op(*inputs, **params)
    out.backward(np.ones(out.shape))
    assert all((t.grad is not None) == (i == wanted) for i, t in enumerate(inputs))
