"""Every reduction's output has the shape numpy's ``sum`` gives for the same axes and
``keepdims``. Gradient checks cannot see a wrong output shape (the vjp reshapes g
anyway), so the shape is pinned here, for every op of kind "reduce" in the registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.autograd import ops

REDUCTIONS = [op for op in ops.all_ops() if op.kind == "reduce"]


@pytest.mark.parametrize("op", REDUCTIONS, ids=lambda op: op.name)
@given(data=st.data())
def test_a_reduction_keeps_exactly_the_axes_numpy_keeps(op, data):
    (x,), params = data.draw(strategies.op_inputs(op, dtype=np.float64))
    for keepdims in (False, True):
        params = {**params, "keepdims": keepdims}
        expected = np.sum(x.data, axis=params["axis"], keepdims=keepdims).shape
        assert op(x, **params).shape == expected
