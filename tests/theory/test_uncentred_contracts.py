"""theory.uncentred against gradient descent run by PyTorch, where the reduced dynamics are exact.

A 2-1-2 or 3-1-3 network started on u_1 (W_d = c u_1, W_e = c u_1ᵀ, biases 0) stays on it
under full-batch GD when the mean lies along u_1, or along the discarded axes only: no
gradient ever tilts it (the tilt's push is 2η e_i v_d μ_j, zero when either factor is). Then
mean_mode_map is that run's (v_d, v_e, b_e, b_d along u_1) exactly, and
predict_uncentred_network's counts are that run's counts: the decoder never tilts, and the
loss excess is the mode's and the biases' alone. PyTorch's autograd of the paper's loss from
the moments, L = tr((I − A) Σ (I − A)ᵀ) + ‖(I − A) μ − W_d b_e − b_d‖², is the reference; the
module's own gradients are not used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_ae.theory import uncentred as u

# The same float64 arithmetic in another order: a few ulps per step, grown over the run.
TRAJECTORY_RTOL = 1e-9


def _torch_run(lam, mean, W_e, W_d, lr, steps, observe):
    """PyTorch GD on the uncentred loss from (W_e, 0, W_d, 0): ``observe(enc, b_e, dec, b_d,
    loss)`` of every step, before its update (and of the state after the last)."""
    torch = pytest.importorskip("torch")
    m, k = len(lam), len(W_e)
    sigma = torch.diag(torch.tensor(lam, dtype=torch.float64))
    mu = torch.tensor(mean, dtype=torch.float64)
    eye = torch.eye(m, dtype=torch.float64)
    params = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
              for v in (W_e, np.zeros(k), W_d, np.zeros(m))]
    seen = []
    for _ in range(steps + 1):
        enc, b_e, dec, b_d = params
        residual = eye - dec @ enc
        e = residual @ mu - dec @ b_e - b_d
        loss = torch.trace(residual @ sigma @ residual.T) + e @ e
        with torch.no_grad():
            seen.append(observe(enc, b_e, dec, b_d, loss))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return seen


def _torch_gd(lam, mean, W_e, W_d, lr, steps):
    """Per step (before the update): W_d[0, 0], W_e[0, 0], b_e[0], b_d and the loss."""
    return _torch_run(lam, mean, W_e, W_d, lr, steps, lambda enc, b_e, dec, b_d, loss: (
        float(dec[0, 0]), float(enc[0, 0]), float(b_e[0]), b_d.numpy().copy(), float(loss)))


def _first_step_after_which(holds: np.ndarray) -> int:
    failing = np.flatnonzero(~holds)
    return 0 if failing.size == 0 else int(failing[-1]) + 1


@pytest.mark.parametrize("mu", [1.0, -2.0, 0.0])
def test_mean_mode_map_is_gd_on_a_network_along_the_mode(mu):
    lr, lam, pi0 = 0.1, 1.0, 1e-4
    c = math.sqrt(pi0)
    rows = _torch_gd([lam, 0.25], [mu, 0.0], [[c, 0.0]], [[c], [0.0]], lr, 600)
    reference = np.array([v_d * v_e for v_d, v_e, *_ in rows])
    # it stops on the third step in a row with π and the mean's residual e within
    # 1e-12 (1 + |μ|) of their minimum, π = 1 and e = μ(1 − π) − v_d β − d = 0
    floor = 1e-12 * (1 + abs(mu))
    residual = np.array([mu * (1 - v_d * v_e) - v_d * beta - b_d[0]
                         for v_d, v_e, beta, b_d, _ in rows])
    near = (np.abs(1 - reference) < floor) & (np.abs(residual) < floor)
    stop = next(t for t in range(3, len(rows)) if near[t - 2:t + 1].all())
    mode = u.mean_mode_map(lr, lam, mu, pi0, horizon=2000)
    assert mode.settled and len(mode.strengths) == stop + 1
    np.testing.assert_allclose(mode.strengths, reference[:stop + 1], rtol=TRAJECTORY_RTOL,
                               atol=1e-15)
    assert mode.half_time == int(np.argmax(reference >= 0.5))
    v_d, v_e, beta, b_d, _ = rows[stop]
    assert (mode.decoder, mode.encoder) == pytest.approx((v_d, v_e), rel=TRAJECTORY_RTOL)
    assert (mode.encoder_bias, mode.decoder_bias) == pytest.approx((beta, b_d[0]),
                                                                   rel=TRAJECTORY_RTOL,
                                                                   abs=1e-15)
    # the transient leaves b_e and b_d off 0 when there is a mean to reconstruct
    assert (mode.decoder_bias != 0.0 and mode.encoder_bias != 0.0) == (mu != 0.0)


def test_mean_mode_map_reports_a_blow_up_and_an_unfinished_run():
    # ηλ = 1.5: the mode overshoots and diverges within a few steps; the map stops there, with
    # the half time recorded and only finite strengths kept
    blown = u.mean_mode_map(1.5, 1.0, 0.0, 1e-2)
    assert not blown.settled and blown.half_time == 2 and len(blown.strengths) < 10
    assert all(math.isfinite(p) for p in blown.strengths)
    # ηλ = 0.75: bounded but never settling; the map runs to its horizon
    chaotic = u.mean_mode_map(0.75, 1.0, 0.0, 1e-2, horizon=500)
    assert not chaotic.settled and len(chaotic.strengths) == 501
    # a horizon shorter than the plateau: the run ends unsettled, before π = ½, at the horizon
    short = u.mean_mode_map(0.1, 1.0, 0.0, 1e-6, horizon=10)
    assert not short.settled and short.half_time is None and len(short.strengths) == 11


@pytest.mark.parametrize("mean", [[1.5, 0.0, 0.0], [0.0, 1.0, -0.5]], ids=["kept", "discarded"])
def test_predict_uncentred_network_from_an_aligned_start_is_the_gd_run(mean):
    lam = [1.0, 0.5, 0.25]
    c = 1e-2
    W_e = np.array([[c, 0.0, 0.0]])
    W_d = W_e.T.copy()
    predicted = u.predict_uncentred_network(W_e, W_d, lam, np.eye(3), mean, lr=0.1,
                                            loss_rtol=1e-6)
    rows = _torch_gd(lam, mean, W_e, W_d, 0.1, 400)
    losses = np.array([row[-1] for row in rows])
    strengths = np.array([v_d * v_e for v_d, v_e, *_ in rows])
    assert predicted.stable
    assert predicted.half_times == [int(np.argmax(strengths >= 0.5))]
    assert predicted.angle_steps == 0
    assert predicted.loss_steps == _first_step_after_which((losses - 0.75) / 0.75 < 1e-6)
    # the run stops once both criteria have held a while: its β and v_d are the GD run's at
    # that step (β is 0 when the mean is off the mode)
    scales = np.array([row[0] for row in rows])
    stop = int(np.argmin(np.abs(scales - predicted.decoder_scales[0])))
    assert predicted.loss_steps < stop < 400
    v_d, _, beta, _, _ = rows[stop]
    assert predicted.decoder_scales == pytest.approx([v_d], rel=1e-9)
    assert predicted.encoder_bias == pytest.approx([beta], rel=1e-9, abs=1e-15)
    assert (beta != 0.0) == (mean[0] != 0.0)
    np.testing.assert_array_equal(predicted.decoder_bias_image, [0.0] + mean[1:])
    # the eigenvalues in another order, with their eigenvectors: the same network
    order = [1, 2, 0]
    shuffled = u.predict_uncentred_network(W_e[:, order], W_d[order], [lam[i] for i in order],
                                           np.eye(3), [mean[i] for i in order], lr=0.1)
    assert (shuffled.half_times, shuffled.angle_steps, shuffled.loss_steps) == (
        predicted.half_times, predicted.angle_steps, predicted.loss_steps)


def _torch_angles(lam, mean, W_e, W_d, lr, steps):
    """tan of the decoder's largest principal angle to span(u_1 … u_k) per step of PyTorch GD:
    the largest singular value of W_d[k:] W_d[:k]⁻¹."""
    k = len(W_e)
    return np.array(_torch_run(lam, mean, W_e, W_d, lr, steps, lambda enc, b_e, dec, b_d, loss:
                               np.linalg.norm(dec[k:].numpy() @ np.linalg.inv(dec[:k].numpy()),
                                              2)))


@pytest.mark.parametrize("lam, mean, k", [
    ([1.0, 0.5, 0.25], [0.0, 0.0, 0.0], 1),
    ([1.0, 0.5, 0.25], [1.2, 0.0, 0.0], 1),
    ([1.0, 0.5, 0.25], [0.0, 0.8, -0.5], 1),
    ([1.0, 0.6, 0.3, 0.2], [0.0, 0.0, 0.0, 0.0], 2),
    ([1.0, 0.6, 0.3, 0.2], [0.9, 0.0, 0.0, 0.0], 2),
], ids=["k1-centred", "k1-mean-kept", "k1-mean-discarded", "k2-centred", "k2-mean-kept"])
def test_the_tilt_of_predict_uncentred_network_is_gd_linearised_in_the_tilt(lam, mean, k):
    """A tilt of 1e-8 against modes of 1e-2: full GD's tilt is the linearised one to about
    1e-6 relative, so the step from which the angle stays below a tolerance of the tilt's own
    size is the same in both."""
    m = len(lam)
    rng = np.random.default_rng(5)
    W_e = np.zeros((k, m))
    W_d = np.zeros((m, k))
    W_e[:, :k] = W_d[:k, :] = np.diag([1e-2, 2e-2][:k])
    W_e[:, k:] = rng.normal(0.0, 1e-8, size=(k, m - k))
    W_d[k:, :] = rng.normal(0.0, 1e-8, size=(m - k, k))
    tol = 1e-9
    predicted = u.predict_uncentred_network(W_e, W_d, lam, np.eye(m), mean, lr=0.1,
                                            angle_tol=tol)
    angles = np.arctan(_torch_angles(lam, mean, W_e, W_d, 0.1, 600))
    assert predicted.angle_steps == _first_step_after_which(angles < tol)
    assert 0 < predicted.angle_steps < 500


def test_counts_lie_within_the_horizon():
    """Cutting the horizon at a count keeps it; one step shorter loses it (None)."""
    full = u.predict_uncentred(0.1, [1.0, 0.5, 0.25], [0.5, 0.5, 0.0], 1, 5e-7)
    assert full.stable and full.angle_steps is not None and full.loss_steps is not None
    for name in ("angle_steps", "loss_steps"):
        count = getattr(full, name)
        assert getattr(u.predict_uncentred(0.1, [1.0, 0.5, 0.25], [0.5, 0.5, 0.0], 1, 5e-7,
                                           horizon=count), name) == count
        assert getattr(u.predict_uncentred(0.1, [1.0, 0.5, 0.25], [0.5, 0.5, 0.0], 1, 5e-7,
                                           horizon=count - 1), name) is None


# --- the Hessian, the reached minimum and the tail rate --------------------------------------


def _torch_hessian(params, lam, mean):
    """The Hessian of the paper's loss from the moments in (W_e, b_e, W_d, b_d), flattened in
    that order (row-major), by PyTorch's double backward."""
    torch = pytest.importorskip("torch")
    shapes = [np.shape(params[name]) for name in ("W_e", "b_e", "W_d", "b_d")]
    sizes = [int(np.prod(shape)) for shape in shapes]
    m = len(lam)
    sigma = torch.diag(torch.tensor(lam, dtype=torch.float64))
    mu = torch.tensor(mean, dtype=torch.float64)
    eye = torch.eye(m, dtype=torch.float64)

    def loss(theta):
        parts = torch.split(theta, sizes)
        enc, b_e, dec, b_d = (p.reshape(s) for p, s in zip(parts, shapes))
        residual = eye - dec @ enc
        e = residual @ mu - dec @ b_e - b_d
        return torch.trace(residual @ sigma @ residual.T) + e @ e

    theta = torch.tensor(np.concatenate([np.ravel(params[name])
                                         for name in ("W_e", "b_e", "W_d", "b_d")]))
    return torch.autograd.functional.hessian(loss, theta).numpy()


def test_loss_hessian_is_the_second_derivative_anywhere():
    rng = np.random.default_rng(3)
    lam, mean = [1.0, 0.4, 0.1], [0.7, -1.1, 0.4]
    params = {"W_e": rng.normal(size=(2, 3)), "b_e": rng.normal(size=2),
              "W_d": rng.normal(size=(3, 2)), "b_d": rng.normal(size=3)}
    np.testing.assert_allclose(u.loss_hessian(params, lam, mean),
                               _torch_hessian(params, lam, mean), atol=1e-8)


def test_reached_minimum_reconstructs_the_mean_with_any_gauge():
    params = u.reached_minimum([1.0, 0.5, 0.25], [1.0, 2.0, -3.0], 2, encoder_bias=[0.5, -1.0],
                               scales=[2.0, -0.5])
    np.testing.assert_array_equal(params["W_d"], [[2.0, 0.0], [0.0, -0.5], [0.0, 0.0]])
    np.testing.assert_array_equal(params["W_e"], [[0.5, 0.0, 0.0], [0.0, -2.0, 0.0]])
    np.testing.assert_array_equal(params["b_e"], [0.5, -1.0])
    # b_d = (I − P) μ − W_d β = (0, 0, −3) − (1, 0.5, 0)
    np.testing.assert_array_equal(params["b_d"], [-1.0, -0.5, -3.0])
    # integers given are parameters in float64 like the rest
    params = u.reached_minimum([1.0, 0.5], [0.0, 0.0], 1, encoder_bias=[1], scales=[2])
    assert {name: value.dtype for name, value in params.items()} == dict.fromkeys(
        ("W_e", "b_e", "W_d", "b_d"), np.dtype(np.float64))


@pytest.mark.parametrize("mean, beta, scale", [([0.0, 1.5, 0.0], 0.3, 1.2),
                                               ([1.0, 0.0, -0.5], -0.4, 0.8)])
def test_tail_contraction_is_the_hessian_spectrum_at_the_minimum(mean, beta, scale):
    lam = [1.0, 0.5, 0.25]
    params = u.reached_minimum(lam, mean, 1, [beta], [scale])
    values = np.linalg.eigvalsh(_torch_hessian(params, lam, mean))
    curved = values[np.abs(values) > 1e-6]       # the gauge zeros are 0 to rounding
    assert curved.size == values.size - 2
    rho, low, high = u.tail_contraction(0.1, lam, mean, 1, encoder_bias=[beta], scales=[scale])
    assert (low, high) == pytest.approx((curved.min(), curved.max()), rel=1e-7)
    assert rho == pytest.approx(np.abs(1 - 0.1 * curved).max(), rel=1e-7)


@pytest.mark.parametrize("mean", [[1.0, 1.0], [0.0, 0.0], [9.0, 0.0]],
                         ids=["settles", "centred", "blows-up"])
def test_tail_contraction_defaults_to_where_the_mode_map_settles(mean):
    """Without a gauge given, β and v_d are mean_mode_map's from π0 = 1e-8; where the map does
    not settle (a mean of 9 makes η = 0.1 unstable), β = 0 and v_d = 1."""
    lam = [1.0, 0.25]
    mode = u.mean_mode_map(0.1, 1.0, mean[0], 1e-8)
    assert mode.settled == (mean[0] != 9.0)
    beta, scale = (mode.encoder_bias, mode.decoder) if mode.settled else (0.0, 1.0)
    assert u.tail_contraction(0.1, lam, mean, 1) == u.tail_contraction(
        0.1, lam, mean, 1, encoder_bias=[beta], scales=[scale])
    if mean[0] == 1.0:
        assert beta != 0.0 and scale != 1.0


def test_the_tail_rate_is_taken_where_the_run_settles():
    """ρ and the curvatures are tail_contraction's at the β and |v_d| the reduced run ends
    with; when the run blows up there is no such point, and they are tail_contraction's
    default (where mean_mode_map settles, or β = 0, v_d = 1)."""
    lam, mean = [1.0, 0.5, 0.25], [0.5, 0.5, 0.0]
    p = u.predict_uncentred(0.1, lam, mean, 1, 5e-7)
    assert p.stable and p.encoder_bias[0] != 0.0
    assert (p.contraction, p.slow_curvature, p.sharp_curvature) == u.tail_contraction(
        0.1, lam, mean, 1, encoder_bias=p.encoder_bias, scales=np.abs(p.decoder_scales))
    np.testing.assert_array_equal(p.decoder_bias_image, [0.0, 0.5, 0.0])
    blown = u.predict_uncentred(0.6, [1.0, 0.25], [0.5, 0.5], 1, 5e-7, horizon=3000)
    assert not blown.stable and blown.angle_steps is None and blown.loss_steps is None
    assert abs(blown.encoder_bias[0]) > 1e6
    assert (blown.contraction, blown.slow_curvature, blown.sharp_curvature) == \
        u.tail_contraction(0.6, [1.0, 0.25], [0.5, 0.5], 1)


@pytest.mark.parametrize("lam, mean, k", [
    ([1.0, 0.5, 0.25], [0.0, 0.0, 0.0], 1),
    ([1.0, 0.5, 0.25], [1.2, 0.0, 0.0], 1),
    ([1.0, 0.5, 0.25], [0.0, 0.8, -0.5], 1),
    ([1.0, 0.6, 0.3, 0.2], [0.9, 0.0, 0.0, 0.0], 2),
], ids=["k1-centred", "k1-mean-kept", "k1-mean-discarded", "k2-mean-kept"])
def test_the_loss_excess_of_predict_uncentred_network_is_second_order_exact(lam, mean, k):
    """With a tilt of 1e-4 the loss excess the tilt leaves is about 1e-8 of L*; the reduced
    run's quadratic form holds it to second order, so the step from which (L − L*)/L* stays
    below 1e-9 is PyTorch GD's."""
    m = len(lam)
    rng = np.random.default_rng(5)
    W_e = np.zeros((k, m))
    W_d = np.zeros((m, k))
    W_e[:, :k] = W_d[:k, :] = np.diag([1e-2, 2e-2][:k])
    W_e[:, k:] = rng.normal(0.0, 1e-4, size=(k, m - k))
    W_d[k:, :] = rng.normal(0.0, 1e-4, size=(m - k, k))
    floor = sum(lam[k:])
    predicted = u.predict_uncentred_network(W_e, W_d, lam, np.eye(m), mean, lr=0.1,
                                            loss_rtol=1e-9)
    losses = np.array([row[-1] for row in _torch_gd(lam, mean, W_e, W_d, 0.1, 400)])
    assert predicted.loss_steps == _first_step_after_which((losses - floor) / floor < 1e-9)
    assert 0 < predicted.loss_steps < 300
