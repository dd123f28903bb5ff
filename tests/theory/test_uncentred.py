"""theory.uncentred: the mean's coupling to the biases, checked without the engine.

The moment gradients against central differences of the moment loss and against the
data-matrix form; the Hessian at a centred minimum against the centred closed form; the mode
map with biases against the Saxe map when the mean is zero; and the uncentred predictor against
the centred one when the mean is zero ("centring first recovers the centred prediction").
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.theory.dynamics import predict_network, saxe_half_time, transverse_curvature
from tinygrad_ae.theory.uncentred import (
    augmented_moment,
    loss_hessian,
    mean_mode_map,
    moment_gradients,
    moment_loss,
    predict_uncentred,
    predict_uncentred_network,
    reached_minimum,
    tail_contraction,
)

# Central differences with h = 1e-6 on an order-one quartic: truncation ~h² and rounding
# ~1e-16/h leave about 1e-9 relative.
FD_RTOL = 1e-6
# The moment form and the data form sum the same terms in a different order.
FORM_RTOL = 1e-9
# Richardson-combined differences of the cubic gradient are exact up to rounding.
HESSIAN_ATOL = 1e-7
# The mode map with μ = 0 is the balanced Saxe map; saxe_half_time is its logistic summary,
# within a step or two for ηλ ≤ 0.2 (the centred suite's P6 allows 10 %).
SAXE_STEPS = 2
# predict_uncentred_network with μ = 0 against predict_network: the same plateau and the same
# linearised pairs, but the uncentred one tracks the tilt with the mode's own v_d, v_e instead
# of the relaxation at the optimum, so the two may differ by a few steps.
CENTRED_AGREEMENT = 0.05


@st.composite
def moment_cases(draw: st.DrawFn):
    m = draw(st.integers(2, 4))
    k = draw(st.integers(1, m - 1))
    lam = np.array(draw(strategies.spectra(m, k, min_gap=1.5)))
    mean = np.array(draw(st.lists(st.floats(-2.0, 2.0), min_size=m, max_size=m)))
    params = {name: np.asarray(value) for name, value in
              draw(strategies.linear_ae_params(m, k)).items()}
    return lam, mean, k, params


@settings(max_examples=15, deadline=None)
@given(moment_cases())
def test_moment_gradients_match_central_differences_and_the_data_form(case):
    lam, mean, k, params = case
    gradients = moment_gradients(params, lam, mean)
    step = 1e-6
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            plus = {n: v.copy() for n, v in params.items()}
            minus = {n: v.copy() for n, v in params.items()}
            plus[name][index] += step
            minus[name][index] -= step
            numeric = (moment_loss(plus, lam, mean) - moment_loss(minus, lam, mean)) / (2 * step)
            assert gradients[name][index] == pytest.approx(
                numeric, rel=FD_RTOL, abs=FD_RTOL), (name, index)
    # The same loss from data with exactly this mean and covariance, in the eigenbasis.
    from tinygrad_ae import data
    X, _ = data.with_spectrum(40, lam, mean=mean, seed=0, components=np.eye(lam.size))
    residual = X - (X @ params["W_e"].T + params["b_e"]) @ params["W_d"].T - params["b_d"]
    direct = float((residual**2).sum() / len(X))
    assert moment_loss(params, lam, mean) == pytest.approx(direct, rel=FORM_RTOL)


@pytest.mark.parametrize("lam", [(1.0, 0.25), (1.0, 0.5, 0.1), (2.0, 1.0, 0.3, 0.2)],
                         ids=["m2", "m3", "m4"])
def test_hessian_at_a_centred_minimum_is_the_closed_form(lam):
    """k = 1: 0 twice (scale and bias gauges), 4λ_1 (mode scale), h± for every discarded j,
    the encoder-bias curvature 4 and the decoder-bias curvature 2 (m − 1 times)."""
    values = np.asarray(lam)
    m = values.size
    spectrum = np.linalg.eigvalsh(loss_hessian(reached_minimum(values, np.zeros(m), 1), values,
                                               np.zeros(m)))
    expected = [0.0, 0.0, 4.0 * values[0], 4.0] + [2.0] * (m - 1)
    for lam_j in values[1:]:
        root = np.sqrt((values[0] - lam_j) ** 2 + 4 * lam_j**2)
        expected += [values[0] + lam_j - root, values[0] + lam_j + root]
    np.testing.assert_allclose(spectrum, np.sort(expected), atol=HESSIAN_ATOL)
    rho, low, _ = tail_contraction(0.1, values, np.zeros(m), 1)
    slowest = min(transverse_curvature(values[0], lam_j) for lam_j in values[1:])
    assert low == pytest.approx(slowest, abs=HESSIAN_ATOL)
    assert rho == pytest.approx(max(abs(1 - 0.1 * h) for h in (slowest, max(expected))))


@settings(max_examples=10, deadline=None)
@given(lam=st.floats(0.2, 1.0), lr=st.floats(0.05, 0.2), pi0=st.floats(1e-8, 1e-4))
def test_mode_map_without_a_mean_is_the_saxe_map(lam, lr, pi0):
    mode = mean_mode_map(lr, lam, 0.0, pi0)
    assert mode.settled and mode.encoder_bias == 0.0 and mode.decoder_bias == 0.0
    assert abs(mode.half_time - saxe_half_time(lr, lam, pi0)) <= SAXE_STEPS


@settings(max_examples=10, deadline=None)
@given(mu=st.floats(-3.0, 3.0), lr=st.floats(0.05, 0.1))
def test_mode_map_reconstructs_the_mean_along_its_axis(mu, lr):
    """The map settles on a minimum of its own loss: π = 1 and e = μ(1 − π) − v_d β − d = 0."""
    mode = mean_mode_map(lr, 1.0, mu, 1e-6)
    assert mode.settled
    assert mode.decoder * mode.encoder == pytest.approx(1.0, abs=1e-10)
    assert mode.decoder * mode.encoder_bias + mode.decoder_bias == pytest.approx(0.0, abs=1e-10)


def test_augmented_moment_sets_the_safe_step():
    from tinygrad_ae.theory.dynamics import max_stable_lr
    moment = augmented_moment([1.0, 0.25], [3.0, 0.0])
    assert max_stable_lr([1.0, 0.25], mean=[3.0, 0.0]).safe == pytest.approx(
        1.0 / (4.0 * np.linalg.eigvalsh(moment)[-1]))


@st.composite
def small_networks(draw: st.DrawFn):
    m = draw(st.integers(2, 4))
    k = draw(st.integers(1, min(2, m - 1)))
    lam = np.array(draw(strategies.spectra(m, k, min_gap=2.0, min_eigenvalue=0.05)))
    # Distinct eigenvalues (see the note in tests/studies/test_uncentred.py).
    assume(bool(np.all(lam[1:] < 0.95 * lam[:-1])))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    W_e = rng.normal(0.0, 1e-3, size=(k, m))
    W_d = rng.normal(0.0, 1e-3, size=(m, k))
    return lam, k, W_e, W_d


@settings(max_examples=10, deadline=None)
@given(small_networks())
def test_with_a_zero_mean_the_uncentred_prediction_is_the_centred_one(case):
    """Centring first recovers the centred prediction: at μ = 0 the uncentred theory predicts
    what the centred predict_network does, and its biases stay at 0."""
    lam, k, W_e, W_d = case
    m = lam.size
    centred = predict_network(W_e, W_d, lam, np.eye(m), lr=0.1)
    uncentred = predict_uncentred_network(W_e, W_d, lam, np.eye(m), np.zeros(m), lr=0.1)
    assert uncentred.stable and uncentred.encoder_bias == [0.0] * k
    assert uncentred.half_times == centred.half_times
    for mine, theirs in ((uncentred.angle_steps, centred.angle_steps),
                         (uncentred.loss_steps, centred.loss_steps)):
        assert mine is not None and theirs is not None
        assert abs(mine - theirs) <= CENTRED_AGREEMENT * theirs + 2, (mine, theirs)


def test_a_mean_off_the_principal_axes_slows_the_tail_and_sharpens_the_top():
    centred = predict_uncentred(0.1, [1.0, 0.25], [0.0, 0.0], 1, 5e-7)
    shifted = predict_uncentred(0.1, [1.0, 0.25], [1.0, 1.0], 1, 5e-7)
    assert shifted.contraction > centred.contraction
    assert shifted.sharp_curvature > centred.sharp_curvature
    assert shifted.angle_steps > 2 * centred.angle_steps
    # a mean so large that the sharpest curvature passes 2/η: no stable minimum at this step
    assert not predict_uncentred(0.1, [1.0, 0.25], [7.0, 7.0], 1, 5e-7).stable


def test_inputs_are_checked_in_the_users_terms():
    with pytest.raises(ValueError, match="descending"):
        predict_uncentred(0.1, [0.25, 1.0], [0.0, 0.0], 1, 1e-6)
    with pytest.raises(ValueError, match="one coordinate per eigenvector"):
        predict_uncentred(0.1, [1.0, 0.25], [0.0], 1, 1e-6)
    with pytest.raises(ValueError, match="small start"):
        predict_uncentred_network([[1.0, 0.0]], [[1.0], [0.0]], [1.0, 0.25], np.eye(2),
                                  [0.0, 0.0], 0.1)
