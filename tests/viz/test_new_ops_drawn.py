"""The ops of 0.2 in drawings: variadic ops label their inputs, and chain_rule's number
agrees with backward through stack, cat, pad, where and a recorded setitem."""

from __future__ import annotations

import numpy as np

import tinygrad_ae as tg
from tinygrad_ae.viz import chain_rule, draw_graph


def _loss() -> tuple[tg.Tensor, tg.Tensor]:
    w = tg.Tensor([1.0, -2.0], requires_grad=True, name="w")
    y = tg.cat([w, w * 2]).pad((1, 1)).flip()
    z = tg.where(y > 0, y, 0.0).softmax().logsumexp()
    t = tg.zeros(2)
    t += w
    t[0] = z * 1.0
    loss = t.gelu().sum() + w.var() + w.prod() + tg.stack([w, w]).sum()
    loss.name = "L"
    return loss, w


def test_a_tensor_used_twice_by_a_variadic_op_is_labelled_by_position():
    loss, _ = _loss()
    source = draw_graph(loss).source
    assert "(as xs[0])" in source and "(as xs[1])" in source


def test_chain_rule_agrees_with_backward_through_the_new_ops():
    loss, w = _loss()
    value = chain_rule(loss, "w").value
    loss.backward()
    np.testing.assert_allclose(value, w.grad, rtol=1e-12)
