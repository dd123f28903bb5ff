"""Every op added in 0.2 against PyTorch: values and gradients in float64, on inputs
drawn by the project's strategies; skipped as a whole where PyTorch is not installed.

Each case names our call and PyTorch's; one parametrized test checks the values and the
gradients under a random cotangent, so a wrong vjp shows as
``test_values_and_gradients_match_pytorch[gelu]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import TORCH_ATOL, TORCH_RTOL

from tinygrad_ae import Tensor, strategies
from tinygrad_ae.autograd import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional


@dataclass(frozen=True)
class Case:
    """One comparison: ``ours(*tensors)`` against ``theirs(*torch_tensors)``, the inputs
    drawn with ``domains`` (one per input) and shapes from ``shapes(draw)``."""

    id: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    domains: tuple[str, ...] = (ops.REALS,)
    shapes: Callable[[Any], tuple[tuple[int, ...], ...]] | None = None


def _one_shape(min_dims: int = 0) -> Callable[[Any], tuple[tuple[int, ...], ...]]:
    return lambda draw: (draw(strategies.shapes(min_dims=min_dims)),)


def _last_axis_cases(name: str) -> list[Case]:
    """softmax-like ops, along the last axis and along the first (``dim=``)."""
    return [
        Case(f"{name}[-1]", lambda x: getattr(x, name)(axis=-1),
             lambda x: getattr(torch, name)(x, dim=-1), shapes=_one_shape(1)),
        Case(f"{name}[dim=0]", lambda x: getattr(x, name)(dim=0),
             lambda x: getattr(torch, name)(x, dim=0), shapes=_one_shape(1)),
    ]


CASES = [
    Case("leaky_relu", lambda x: x.leaky_relu(), F.leaky_relu, (ops.AWAY_FROM_ZERO,)),
    Case("leaky_relu[0.2]", lambda x: x.leaky_relu(0.2), lambda x: F.leaky_relu(x, 0.2),
         (ops.AWAY_FROM_ZERO,)),
    Case("elu", lambda x: x.elu(), F.elu, (ops.AWAY_FROM_ZERO,)),
    Case("elu[alpha=0.5]", lambda x: x.elu(alpha=0.5), lambda x: F.elu(x, alpha=0.5),
         (ops.AWAY_FROM_ZERO,)),
    Case("gelu", lambda x: x.gelu(), F.gelu),
    Case("gelu[tanh]", lambda x: x.gelu(approximate="tanh"),
         lambda x: F.gelu(x, approximate="tanh")),
    Case("softplus", lambda x: x.softplus(), F.softplus),
    Case("softplus[beta=2,threshold=1.3]", lambda x: x.softplus(beta=2.0, threshold=1.3),
         lambda x: F.softplus(x, beta=2.0, threshold=1.3)),
    Case("silu", lambda x: x.silu(), F.silu),
    *_last_axis_cases("softmax"),
    *_last_axis_cases("log_softmax"),
    Case("logsumexp[all]", lambda x: x.logsumexp(),
         lambda x: torch.logsumexp(x, dim=tuple(range(x.ndim)))),
    Case("logsumexp[dim=-1,keepdim]", lambda x: x.logsumexp(dim=-1, keepdim=True),
         lambda x: torch.logsumexp(x, dim=-1, keepdim=True), shapes=_one_shape(1)),
    Case("logsumexp[axis=0]", lambda x: x.logsumexp(axis=0),
         lambda x: torch.logsumexp(x, dim=0), shapes=_one_shape(1)),
]


def _draw_inputs(data: Any, case: Case, dtype: Any) -> list[np.ndarray]:
    if case.shapes is None:
        input_shapes = data.draw(strategies.broadcastable_shapes(len(case.domains)))
    else:
        input_shapes = case.shapes(data.draw)
    return [data.draw(strategies.arrays(shape, dtype, domain))
            for shape, domain in zip(input_shapes, case.domains)]


def _ours(case: Case, arrays: list[np.ndarray]) -> tuple[Any, list[Tensor]]:
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    return case.ours(*inputs), inputs


def _theirs(case: Case, arrays: list[np.ndarray]) -> tuple[Any, list[Any]]:
    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return case.theirs(*inputs), inputs


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@given(data=st.data())
def test_values_and_gradients_match_pytorch(case, data):
    arrays = _draw_inputs(data, case, np.float64)
    out, inputs = _ours(case, arrays)
    expected, torch_inputs = _theirs(case, arrays)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=TORCH_RTOL,
                               atol=TORCH_ATOL)
    cotangent = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(cotangent)
    expected.backward(torch.tensor(cotangent))
    for ours, theirs in zip(inputs, torch_inputs):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=TORCH_RTOL,
                                   atol=TORCH_ATOL)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@given(data=st.data())
def test_float32_in_float32_out(case, data):
    arrays = _draw_inputs(data, case, np.float32)
    out, inputs = _ours(case, arrays)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert all(t.grad.dtype == np.float32 for t in inputs)
    expected, _ = _theirs(case, arrays)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)


EXTREMES = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])

STABLE = [
    Case("softplus", lambda x: x.softplus(), F.softplus),
    Case("softplus[beta=3]", lambda x: x.softplus(beta=3.0), lambda x: F.softplus(x, beta=3.0)),
    Case("elu", lambda x: x.elu(), F.elu),
    Case("gelu", lambda x: x.gelu(), F.gelu),
    Case("gelu[tanh]", lambda x: x.gelu(approximate="tanh"),
         lambda x: F.gelu(x, approximate="tanh")),
    Case("silu", lambda x: x.silu(), F.silu),
    Case("softmax", lambda x: x.softmax(), lambda x: torch.softmax(x, dim=-1)),
    Case("log_softmax", lambda x: x.log_softmax(), lambda x: torch.log_softmax(x, dim=-1)),
    Case("logsumexp", lambda x: x.logsumexp(), lambda x: torch.logsumexp(x, dim=0)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", STABLE, ids=lambda c: c.id)
def test_stable_at_plus_and_minus_1000_without_warnings(case, dtype):
    arrays = [EXTREMES.astype(dtype)]
    # Overflow, division by zero and 0/0 raise; underflow to 0 is exact enough and silent.
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out, inputs = _ours(case, arrays)
        out.backward(np.ones(out.shape, dtype=dtype))
    expected, torch_inputs = _theirs(case, arrays)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(inputs[0].grad))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-30)
    expected.backward(torch.ones(expected.shape, dtype=expected.dtype))
    np.testing.assert_allclose(inputs[0].grad, torch_inputs[0].grad.numpy(), rtol=rtol,
                               atol=1e-30)
