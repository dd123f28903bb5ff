"""The formulas students read are checked: every op's symbolic partial (the edge labels of
draw_graph and the factors of chain_rule) is evaluated at random points and compared with
the Jacobian that the op's vjp computes.

An elementwise op's Jacobian is diagonal once its inputs are expanded to the output's
shape: the partial, evaluated entry by entry, must be that diagonal, and nothing may sit
off it. A reduction's Jacobian has one nonzero per input entry, in the row of the output
entry it is reduced into: the partial, evaluated with ``out`` (and ``max``, ``min``,
``mean``, ``n``) broadcast back to the input's shape, must be those entries. An op whose
partial is not one number per entry (a transpose, a product of the others, a delta) is
listed in ``NOT_EVALUABLE`` with the reason; a new op that is neither evaluable nor listed
fails ``test_every_op_is_evaluated_or_listed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from partials import NotEvaluable, evaluate, to_python
from tolerances import PARTIAL_ATOL, PARTIAL_RTOL

from tinygrad_ae import Tensor, grad, strategies
from tinygrad_ae.autograd import ops

NOT_EVALUABLE = {
    "matmul": "a matrix product: ∂L/∂a = g·bᵀ is a rule for the vjp, not one number per entry",
    "linear": "x·Wᵀ + b: matrix products, as matmul",
    "softmax": "every output depends on every input along the axis (a Kronecker delta)",
    "log_softmax": "every output depends on every input along the axis (a Kronecker delta)",
    "prod": "the product of the other entries: words, not an entrywise formula",
    "concatenate": "moves entries: the partial is 1 at its own slice (a description)",
    "stack": "moves entries: the partial is 1 at its own slice (a description)",
    "reshape": "moves entries: the partial is 1 (a description of the reshape)",
    "transpose": "moves entries: the partial is 1 (a description of the permutation)",
    "broadcast_to": "copies entries: the partial is 1 (a description of the broadcast)",
    "getitem": "selects entries: the partial is 1 at the index (a description)",
    "index_add": "scatters entries: the partial is 1 (a description)",
    "index_put": "writes entries: the partial is 1 outside or at the index (a description)",
    "astype": "a cast: the partial is 1 (a description)",
    "flip": "moves entries: the partial is 1 (a description of the reversal)",
    "pad": "moves entries: the partial is 1 (a description of the cropping)",
    "conv2d": "a sum over windows: the partial is the weight slid over x (a description)",
    "conv_transpose2d": "a sum over windows, the adjoint of conv2d (a description)",
    "conv2d_weight": "conv2d's weight gradient as an op: a sum over windows (a description)",
    "max_pool2d": "1 at each window's maximum: an indicator over windows, not entrywise",
}
# Cases of an evaluable op whose formula is a description, with the reason.
NOT_EVALUABLE_CASES = {
    ("gelu", "approximate", "tanh"): "written as d/dx[…] of the forward formula",
}
# Kinds whose partial is one number per entry.
_ENTRYWISE = ("elementwise", "pow_scalar", "where")
_REDUCTIONS = ("reduce",)


def _evaluable_ops() -> list[ops.Op]:
    return [op for op in ops.all_ops() if op.name not in NOT_EVALUABLE]


def test_every_op_is_evaluated_or_listed() -> None:
    unknown = [op.name for op in _evaluable_ops() if op.kind not in _ENTRYWISE + _REDUCTIONS]
    assert not unknown, (f"ops whose partial is not checked: {unknown}; make the partial an "
                         f"entrywise formula or list the op in NOT_EVALUABLE with the reason")
    stale = set(NOT_EVALUABLE) - {op.name for op in ops.all_ops()}
    assert not stale, f"NOT_EVALUABLE lists ops that no longer exist: {sorted(stale)}"


def _names(op: ops.Op, params: dict[str, Any]) -> dict[str, str]:
    """The placeholders as the evaluator's variable names; a callable partial gets the
    parameters' values, as a drawing shows them (``2·x`` for the exponent 2)."""
    names = {name: name for name in (*op.inputs, "out", *op.param_names)}
    if any(callable(p) for p in op.partial):
        names.update({k: str(v) for k, v in params.items()})
    return names


def _env(op: ops.Op, params: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for name, value in params.items():
        if value is None and name in ("min", "max"):   # an absent bound bounds nothing
            value = -np.inf if name == "min" else np.inf
        env[name] = value
    return env


def _jacobian(out: Tensor, x: Tensor) -> np.ndarray:
    """The full Jacobian ∂out/∂x, one vjp per output entry (row k is the gradient of
    out.flat[k]), shape (out.size, x.size)."""
    rows = []
    for k in range(out.size):
        unit = np.zeros(out.size, dtype=out.dtype)
        unit[k] = 1.0
        row, = grad(out, [x], grad_outputs=[Tensor(unit.reshape(out.shape))])
        rows.append(row.data.reshape(-1))
    return np.array(rows).reshape(out.size, x.size)


@pytest.mark.parametrize("op", _evaluable_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_the_drawn_partial_is_the_jacobian_of_the_vjp(op: ops.Op, data: Any) -> None:
    inputs, params = data.draw(strategies.op_inputs(op, dtype=np.float64))
    for (name, key, value), _reason in NOT_EVALUABLE_CASES.items():
        assume(not (op.name == name and params.get(key) == value))
    if op.kind in _ENTRYWISE:
        # expanded to the output's shape, each input meets each output entry once
        shape = op(*inputs, **params).shape
        inputs = [Tensor(np.broadcast_to(t.data, shape).copy(), requires_grad=True)
                  for t in inputs]
    out = op(*inputs, **params)
    env = _env(op, params)
    env["out"] = out.data
    env.update({name: t.data for name, t in zip(op.inputs, inputs)})
    if op.kind in _REDUCTIONS:
        x = inputs[0].data
        axis = params["axis"]
        kept = np.max(x, axis=axis, keepdims=True).shape
        count = x.size // int(np.prod(kept))
        env.update(out=np.broadcast_to(out.data.reshape(kept), x.shape),
                   max=np.max(x, axis=axis, keepdims=True), min=np.min(x, axis=axis,
                                                                       keepdims=True),
                   mean=np.mean(x, axis=axis, keepdims=True), n=float(count))
    names = _names(op, params)
    for i, x in enumerate(inputs):
        try:
            text = to_python(op.local_partial(i, names), names)
            if op.kind in _REDUCTIONS:  # logsumexp: the softmax over the reduced axes
                text = text.replace("softmax(", "exp(-out + ")
            partial = np.broadcast_to(evaluate(text, env), x.shape if op.kind in _REDUCTIONS
                                      else out.shape).astype(np.float64)
        except NotEvaluable as err:
            pytest.fail(f"{op.name}: the partial for input {i} cannot be evaluated ({err}); "
                        f"fix it or list the op in NOT_EVALUABLE")
        # Where the formula is 0/0 (std of equal entries) the engine follows a convention,
        # tested in test_semantics.py; a formula that is never finite still fails
        # (hypothesis finds no example).
        assume(bool(np.isfinite(partial).all()))
        jacobian = _jacobian(out, x)
        if op.kind in _REDUCTIONS:
            # the output entry each input entry is reduced into
            row_of = np.broadcast_to(np.arange(out.size).reshape(kept), x.shape).reshape(-1)
            expected = np.zeros_like(jacobian)
            expected[row_of, np.arange(x.size)] = partial.reshape(-1)
        else:
            expected = np.diag(partial.reshape(-1))
        np.testing.assert_allclose(
            jacobian, expected, rtol=PARTIAL_RTOL, atol=PARTIAL_ATOL,
            err_msg=f"{op.name}: the drawn partial for input {op.inputs[i]} "
                    f"({op.local_partial(i, names)!r}) differs from the vjp's Jacobian")
