"""The strategies themselves: they draw what they promise, inside each op's domain."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import Tensor, strategies
from tinygrad_ae.autograd import ops


@pytest.mark.parametrize("domain, check", [
    (ops.REALS, lambda a: np.all(np.abs(a) <= 2)),
    (ops.POSITIVE, lambda a: np.all(a > 0)),
    (ops.NONZERO, lambda a: np.all(np.abs(a) >= 0.25)),
    (ops.AWAY_FROM_ZERO, lambda a: np.all(np.abs(a) >= 0.25)),
    (ops.DISTINCT, lambda a: len(np.unique(a)) == a.size),
])
@given(data=st.data())
def test_arrays_stay_inside_their_domain(domain, check, data):
    array = data.draw(strategies.arrays(domain=domain))
    assert array.dtype == np.float64 and check(array)


def test_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domain 'complex'"):
        strategies.elements("complex")


@given(shapes=strategies.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)  # raises if they do not


@given(t=strategies.tensors(dtype=np.float32, requires_grad=False))
def test_tensors_carry_dtype_and_flag(t):
    assert isinstance(t, Tensor) and t.dtype == np.float32 and not t.requires_grad


@pytest.mark.parametrize("op", ops.all_ops(), ids=lambda op: op.name)
@given(data=st.data())
def test_op_inputs_are_valid_and_inside_the_domain(op, data):
    inputs, params = data.draw(strategies.op_inputs(op))
    op(*inputs, **params)  # must not raise
    for t, domain in zip(inputs, op.domain):
        if domain == ops.POSITIVE:
            assert np.all(t.data > 0)
        if domain in (ops.NONZERO, ops.AWAY_FROM_ZERO):
            assert np.all(np.abs(t.data) >= 0.25)


@given(lam=strategies.spectra(5, 2, min_gap=2.0))
def test_spectra_have_the_promised_gap(lam):
    assert lam[0] == 1.0 and all(a >= b for a, b in zip(lam, lam[1:]))
    assert lam[1] / lam[2] >= 2.0 - 1e-12


@given(sample=strategies.data_with_spectrum(st.integers(6, 30), (1.0, 0.3, 0.05)))
def test_data_with_spectrum_has_that_covariance(sample):
    X, lam, U = sample
    covariance = (X - X.mean(0)).T @ (X - X.mean(0)) / len(X)
    np.testing.assert_allclose(covariance, U @ np.diag(lam) @ U.T, atol=1e-12)


@given(params=strategies.linear_ae_params(4, 2, scale=0.5))
def test_linear_ae_params_shapes_and_scale(params):
    assert params["W_e"].shape == (2, 4) and params["W_d"].shape == (4, 2)
    assert params["b_e"].shape == (2,) and params["b_d"].shape == (4,)
    assert all(np.all(np.abs(v) <= 0.5) for v in params.values())


@given(params=strategies.paper_params(scale=1.0))
def test_paper_params_are_the_seven_scalars(params):
    assert set(params) == {"w1", "w2", "w3", "w4", "b1", "b2", "b3"}
    assert all(abs(v) <= 1.0 for v in params.values())
