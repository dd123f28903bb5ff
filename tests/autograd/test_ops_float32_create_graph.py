"""float32 stays float32 when gradients are built as a graph (``create_graph=True``).

There the vjps receive Tensors, and a float64 constant inside a vjp (a mask or a slope
made by numpy in float64) turns the gradient into float64; the plain ``backward()`` of
``test_ops.py`` cannot see this, because its gradients are cast to each leaf's dtype at
the end. Every registered op, through its registry entry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import grad, strategies
from tinygrad_ae.autograd import ops


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_float32_gradients_built_as_a_graph_stay_float32(op, data):
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float32))
    if op.kind == "cast":
        params = {"dtype": np.dtype(np.float32)}
    out = op(*inputs, **params)
    gradients = grad((out * out).sum(), inputs, create_graph=True)
    for t, g in zip(inputs, gradients):
        assert g.dtype == np.float32 and g.shape == t.shape
