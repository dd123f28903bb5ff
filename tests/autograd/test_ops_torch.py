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

import tinygrad_ae as tg
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


def _fixed(*input_shapes: tuple[int, ...]) -> Callable[[Any], tuple[tuple[int, ...], ...]]:
    return lambda draw: input_shapes


def _same_shapes(n: int, min_dims: int = 1, min_side: int = 1
                 ) -> Callable[[Any], tuple[tuple[int, ...], ...]]:
    def shapes(draw: Any) -> tuple[tuple[int, ...], ...]:
        shape = draw(strategies.shapes(min_dims=min_dims, min_side=min_side))
        return (shape,) * n
    return shapes


def _cat_shapes(draw: Any) -> tuple[tuple[int, ...], ...]:
    """Two shapes equal but for the last axis."""
    shape = draw(strategies.shapes(min_dims=1))
    return shape, (*shape[:-1], draw(st.integers(1, 3)))


def _scaled_pieces(pieces: Any) -> list[Any]:
    """Each piece times its position + 1, so every piece's gradient differs."""
    return [p * (i + 1) for i, p in enumerate(pieces)]


def _set_row(x: Any, value: Any, torch_side: bool = False) -> Any:
    y = x * 1.0
    y[1] = value * 2.0
    return y


SPREAD = dict(shapes=_same_shapes(1, min_side=2))  # at least two entries per axis

CASES += [
    Case("square", lambda x: x.square(), torch.square),
    Case("log1p", lambda x: x.log1p(), torch.log1p, (ops.POSITIVE,)),
    Case("expm1", lambda x: x.expm1(), torch.expm1),
    Case("sin", lambda x: x.sin(), torch.sin),
    Case("cos", lambda x: x.cos(), torch.cos),
    Case("sign", lambda x: x.sign(), torch.sign, (ops.AWAY_FROM_ZERO,)),
    Case("clip", lambda x: x.clip(-0.7, 0.6), lambda x: torch.clamp(x, -0.7, 0.6)),
    Case("clamp[min]", lambda x: x.clamp(min=0.3), lambda x: torch.clamp(x, min=0.3)),
    Case("clip[tensor bounds]", lambda x, lo: x.clip(lo, 1.1),
         lambda x, lo: torch.clamp(x, lo, torch.tensor(1.1, dtype=x.dtype)),
         (ops.DISTINCT, ops.INTERLEAVED), shapes=_same_shapes(2, 0)),
    # One grid for x and the lower bound: x = lo is common, and x keeps the gradient there.
    # (The upper bound is off the grid: where lo = hi PyTorch gives nobody a gradient.)
    Case("clip[tensor bounds, ties]", lambda x, lo: x.clip(lo, 1.15),
         lambda x, lo: torch.clamp(x, lo, torch.tensor(1.15, dtype=x.dtype)),
         (ops.DISTINCT, ops.DISTINCT), shapes=_same_shapes(2, 0)),
    Case("maximum", tg.maximum, torch.maximum, (ops.DISTINCT, ops.INTERLEAVED)),
    Case("minimum", tg.minimum, torch.minimum, (ops.DISTINCT, ops.INTERLEAVED)),
    # The same grid for both: ties are common, and both split the gradient equally.
    Case("maximum[ties]", lambda a, b: a.maximum(b), torch.maximum, (ops.DISTINCT,) * 2),
    Case("minimum[ties]", lambda a, b: a.minimum(b), torch.minimum, (ops.DISTINCT,) * 2),
    Case("where", lambda a, b: tg.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b),
         (ops.AWAY_FROM_ZERO, ops.REALS)),
    Case("min", lambda x: x.min(), torch.amin, (ops.DISTINCT,)),
    Case("min[dim=0]", lambda x: x.min(dim=0), lambda x: torch.amin(x, dim=0),
         (ops.DISTINCT,), shapes=_one_shape(1)),
    Case("min[ties,keepdim]", lambda x: x.min(axis=-1, keepdim=True),
         lambda x: torch.amin(x, dim=-1, keepdim=True), shapes=_fixed((3, 4))),
    Case("prod", lambda x: x.prod(), torch.prod, (ops.NONZERO,)),
    Case("prod[axis=0]", lambda x: x.prod(axis=0), lambda x: torch.prod(x, dim=0),
         (ops.NONZERO,), shapes=_one_shape(1)),
    Case("var", lambda x: x.var(), lambda x: torch.var(x, correction=0), **SPREAD),
    Case("var[axis=0,ddof=1]", lambda x: x.var(axis=0, ddof=1),
         lambda x: torch.var(x, dim=0, correction=1), **SPREAD),
    Case("var[correction=1,keepdim]", lambda x: x.var(dim=-1, correction=1, keepdim=True),
         lambda x: torch.var(x, dim=-1, correction=1, keepdim=True), **SPREAD),
    Case("std", lambda x: x.std(), lambda x: torch.std(x, correction=0), **SPREAD),
    Case("std[axis=-1,ddof=1]", lambda x: x.std(axis=-1, ddof=1),
         lambda x: torch.std(x, dim=-1, correction=1), **SPREAD),
    Case("std[constant rows]", lambda x: (x * np.array([[1.0], [0.0]], x.dtype)).std(axis=1),
         lambda x: (x * torch.tensor([[1.0], [0.0]], dtype=x.dtype)).std(dim=1, correction=0),
         shapes=_fixed((2, 3))),
    Case("squeeze", lambda x: x.squeeze(), torch.squeeze),
    Case("squeeze[dim=1]", lambda x: x.squeeze(dim=1), lambda x: torch.squeeze(x, 1),
         shapes=_fixed((2, 1, 3))),
    Case("unsqueeze[0]", lambda x: x.unsqueeze(0), lambda x: torch.unsqueeze(x, 0)),
    Case("unsqueeze[-1]", lambda x: x.unsqueeze(-1), lambda x: torch.unsqueeze(x, -1)),
    Case("flatten", lambda x: x.flatten(), torch.flatten),
    Case("flatten[1]", lambda x: x.flatten(1), lambda x: torch.flatten(x, 1),
         shapes=_one_shape(2)),
    Case("permute", lambda x: x.permute(*reversed(range(x.ndim))),
         lambda x: x.permute(*reversed(range(x.ndim))), shapes=_one_shape(1)),
    Case("expand", lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4),
         shapes=_fixed((3, 1))),
    Case("flip", lambda x: x.flip(0), lambda x: torch.flip(x, dims=(0,)), shapes=_one_shape(1)),
    Case("flip[all]", lambda x: x.flip(), lambda x: torch.flip(x, dims=tuple(range(x.ndim)))),
    Case("pad", lambda x: x.pad((1, 2)), lambda x: F.pad(x, (1, 2)), shapes=_one_shape(1)),
    Case("pad[2 axes, value]", lambda x: x.pad((1, 0, 0, 2), value=-1.5),
         lambda x: F.pad(x, (1, 0, 0, 2), value=-1.5), shapes=_one_shape(2)),
    Case("split", lambda x: tg.cat(_scaled_pieces(x.split(2))),
         lambda x: torch.cat(_scaled_pieces(x.split(2))), shapes=_fixed((5, 2))),
    Case("split[sections,dim=1]", lambda x: tg.cat(_scaled_pieces(tg.split(x, [1, 2], dim=1)), 1),
         lambda x: torch.cat(_scaled_pieces(torch.split(x, [1, 2], dim=1)), 1),
         shapes=_fixed((2, 3))),
    Case("cat", lambda a, b: tg.cat([a, b, a], dim=-1), lambda a, b: torch.cat([a, b, a], -1),
         (ops.REALS,) * 2, shapes=_cat_shapes),
    Case("stack", lambda a, b: tg.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], -1),
         (ops.REALS,) * 2, shapes=_same_shapes(2, 0)),
    Case("setitem (recorded)", _set_row, _set_row, (ops.REALS,) * 2,
         shapes=_fixed((3, 2), (2,))),
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


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data(), keepdim=st.booleans())
def test_argmax_and_argmin_match_pytorch(name, data, keepdim):
    array = data.draw(strategies.arrays(strategies.shapes(min_dims=1), domain=ops.DISTINCT))
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1)))
    x = Tensor(array, requires_grad=True)
    ours = getattr(x, name)(dim=axis, keepdim=keepdim)
    theirs = getattr(torch, name)(torch.tensor(array), dim=axis, keepdim=keepdim)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("axis", [None, 0, 1], ids=["all", "axis0", "axis1"])
def test_prod_with_zeros_matches_pytorch(axis):
    """One zero in a slice: only the zero gets a gradient (the product of the others);
    two zeros: no entry does. No 0/0 on the way."""
    array = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, 2.0, -3.0]])
    x = Tensor(array, requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        out = x.prod(axis=axis)
        out.backward(np.ones(out.shape))
    expected = torch.tensor(array, requires_grad=True)
    theirs = torch.prod(expected) if axis is None else torch.prod(expected, dim=axis)
    theirs.backward(torch.ones_like(theirs))
    np.testing.assert_allclose(out.data, theirs.detach().numpy())
    np.testing.assert_allclose(x.grad, expected.grad.numpy())
