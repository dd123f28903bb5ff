"""A user's op is drawn by what it is, not by its name: one that replaces a built-in
name (inside ``registry.scope()``) with other parameters must not be read with the
built-in's parameters."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae.autograd import registry
from tinygrad_ae.viz import chain_rule, draw_graph


@pytest.mark.parametrize("name, params", [
    ("sum", {"axis": 0}),            # the built-in keeps axis as a tuple; this one an int
    ("transpose", {"scale": 2.0}),   # the built-in has `axes`; this one does not
    ("reshape", {"scale": 2.0}),
    ("pow_scalar", {"scale": 2.0}),  # the built-in has `exponent`
    ("getitem", {"scale": 2.0}),     # the built-in has `index`
])
def test_a_user_op_under_a_builtin_name_is_drawn(name, params):
    with registry.scope():
        @tg.op(name, partial="{scale}", replace=True)
        def scaled(x, *, scale=1.0, axis=None):
            return scale * x if axis is None else x.sum(axis=axis)

        @scaled.vjp
        def _(g, out, x, *, scale=1.0, axis=None):
            return (np.broadcast_to(g, x.shape) * (1.0 if axis is not None else scale),)

        x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
        loss = scaled(x, **params) * 1.0
        loss = loss.sum() if loss.ndim else loss
        source = draw_graph(loss).source
        assert name in source
        assert "∂" in str(chain_rule(loss, x))
