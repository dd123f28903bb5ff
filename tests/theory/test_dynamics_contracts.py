"""theory.dynamics: the edges of each formula and each check, against independent truths.

The doctests pin one value per function and test_dynamics_error_messages.py every message;
these pin what lies between: the inputs a check must still accept (numpy scalars, the end
points of each range), the branches the doctests never take (momentum's root, Gram–Schmidt
with a mode that has nothing left, the clip of the starting tilt, an unstable step), and
predict_network against gradient descent run by PyTorch from an aligned start, where the
balanced mode map is exact. Expected values are closed forms worked by hand, the eigenvalues
of the 2 × 2 Hessian from numpy, or the PyTorch run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_ae import data
from tinygrad_ae.theory import dynamics as d

# Closed forms evaluated two ways in float64 agree to a few ulps.
ULPS = 1e-12


def test_numpy_scalars_are_numbers():
    """np.int64 is not an int and np.float32 not a float: both are accepted all the same."""
    expected = math.log(999999) / (2 * math.log(1.2))
    assert d.saxe_half_time(0.1, np.int64(1), 1e-6) == pytest.approx(expected, rel=ULPS)
    assert d.saxe_half_time(np.float32(0.5), 1.0, 1e-6) == pytest.approx(
        math.log(999999) / (2 * math.log(2.0)), rel=ULPS)
    assert d.expected_pi0(np.float32(0.5), 1) == 0.125
    assert d.saxe_time(np.float16(0.25), 1.0, 0.5, 0.5) == 0.0


def test_momentum_grows_the_mode_by_the_larger_root_of_the_heavy_ball_recurrence():
    """The linearised heavy-ball step v_(t+1) = v_t + β(v_t − v_(t−1)) + 2ηλ v_t, iterated,
    grows by its dominant root per step; T½ = ln((1 − π0)/π0) / (2 ln root)."""
    lr, lam, beta, pi0 = 0.05, 0.8, 0.7, 1e-6
    previous, current = 1.0, 1.0
    for _ in range(400):
        previous, current = current, current + beta * (current - previous) + 2 * lr * lam * current
        previous, current = previous / current, 1.0     # keep the numbers order one
    root = 1.0 / previous
    expected = math.log((1 - pi0) / pi0) / (2 * math.log(root))
    assert d.saxe_half_time(lr, lam, pi0, momentum=beta) == pytest.approx(expected, rel=1e-9)
    # β = 0 is plain GD, and the range of β is [0, 1)
    assert d.saxe_half_time(lr, lam, pi0, momentum=0.0) == d.saxe_half_time(lr, lam, pi0)
    assert d.saxe_half_time(lr, lam, pi0, momentum=0.999) < d.saxe_half_time(lr, lam, pi0)
    with pytest.raises(ValueError, match=r"^saxe_half_time: momentum must be in \[0, 1\), got "
                                         r"1\.0$"):
        d.saxe_half_time(lr, lam, pi0, momentum=1.0)


def test_saxe_time_is_the_logistic_travel_time():
    """dπ/dt = 4ηλ π(1 − π) from π0 to π_f takes ln[π_f(1 − π0)/(π0(1 − π_f))]/(4ηλ);
    from ¼ to ¾ that is ln 9 / (4ηλ)."""
    assert d.saxe_time(0.05, 2.0, 0.25, 0.75) == pytest.approx(math.log(9) / 0.4, rel=ULPS)
    assert d.saxe_time(0.05, 2.0, 0.75, 0.25) == pytest.approx(-math.log(9) / 0.4, rel=ULPS)


def test_effective_pi0_takes_one_direction_as_a_column_and_skips_an_exhausted_mode():
    W_e = np.array([[2e-3, 0.0, 0.0], [0.0, 1e-3, 0.0], [0.0, 0.0, 3e-3]])
    W_d = W_e.T.copy()
    # one direction given as a 1-D array is one column: g = W_e u (encoder and decoder alike)
    u = np.array([0.6, 0.8, 0.0])
    np.testing.assert_allclose(d.effective_pi0(W_e, W_d, u),
                               [(1.2e-3) ** 2 + (0.8e-3) ** 2], rtol=ULPS)
    # three modes: g_1 = (2, 0, 0)e-3, g_2 = (4, 0, 0)e-3 parallel to it, g_3 = (2, 1, 0)e-3.
    # Mode 2 has nothing left (π0 = 0) and must not spoil mode 3, whose residual is (0, 1, 0)e-3.
    U = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(d.effective_pi0(W_e, W_d, U), [4e-6, 0.0, 1e-6], rtol=ULPS,
                               atol=1e-20)
    with pytest.raises(ValueError, match=r"got shape \(3, 0\)$"):
        d.effective_pi0(W_e, W_d, np.zeros((3, 0)))


def test_expected_pi0_counts_the_latent_directions_left_to_each_mode():
    """(k − j + 1) σ0²/2, with the last mode j = k by default."""
    assert d.expected_pi0(0.2, 3) == pytest.approx(0.02, rel=ULPS)
    assert d.expected_pi0(0.2, 3, mode=3) == pytest.approx(0.02, rel=ULPS)
    assert d.expected_pi0(0.2, 3, mode=2) == pytest.approx(0.04, rel=ULPS)
    assert d.expected_pi0(0.2, 3, mode=1) == pytest.approx(0.06, rel=ULPS)


@pytest.mark.parametrize("lam_k, lam_k1", [(1.0, 1.0), (1.0, 0.0), (2.0, 0.5), (3.0, 2.9)])
def test_transverse_curvature_is_the_smaller_eigenvalue_of_the_pair_hessian(lam_k, lam_k1):
    hessian = 2.0 * np.array([[lam_k, -lam_k1], [-lam_k1, lam_k1]])
    assert d.transverse_curvature(lam_k, lam_k1) == pytest.approx(
        np.linalg.eigvalsh(hessian)[0], abs=ULPS)


def test_max_stable_lr_in_data_coordinates_and_in_float64():
    # the mean in data coordinates is rotated into the eigenbasis: the same M̃ either way
    mean = np.array([0.5, -1.0])
    X, Q = data.with_spectrum(40, [1.0, 0.2], mean=mean, seed=7)
    augmented = np.hstack([X, np.ones((len(X), 1))])
    largest = np.linalg.eigvalsh(augmented.T @ augmented / len(X))[-1]
    assert d.max_stable_lr([1.0, 0.2], mean, components=Q).safe == pytest.approx(
        1 / (4 * largest), rel=1e-12)
    # a zero variance is allowed (only all zero is not); λ_max(M̃) = max(λ_1, 1) when centred
    assert d.max_stable_lr([4.0, 0.0]) == (0.125, 0.0625)
    assert d.max_stable_lr([0.5, 0.0]) == (1.0, 0.25)
    # float32 eigenvalues are widened first: the limit is 1/(2λ) of the float64 value
    lam = np.array([0.3, 0.1], dtype=np.float32)
    assert d.max_stable_lr(lam).weights == 1.0 / (2.0 * float(lam[0]))


def test_make_spectrum_edges():
    # gap 1 and ratios 1 are allowed: a flat spectrum
    np.testing.assert_array_equal(d.make_spectrum(3, 1, 1.0, 1.0, 1.0), [1.0, 1.0, 1.0])
    # k = m − 1: the gap is the last ratio, no tail
    np.testing.assert_allclose(d.make_spectrum(3, 2, 5.0, top_ratio=4.0), [1.0, 0.25, 0.05],
                               rtol=ULPS)
    with pytest.raises(ValueError, match="^make_spectrum: gap must be a ratio ≥ 1, got nan$"):
        d.make_spectrum(3, 1, float("nan"))


def _pair_directions(lam_k: float, lam_k1: float) -> list[tuple[float, float]]:
    """Eigenvalues h and unit eigenvectors (x, y) of H = 2[[λ_k, −λ_k1], [−λ_k1, λ_k1]], in
    closed form: h = λ_k + λ_k1 ± r, r = √((λ_k − λ_k1)² + 4λ_k1²), (x, y) ∝ (2λ_k1, 2λ_k − h)."""
    r = math.sqrt((lam_k - lam_k1) ** 2 + 4 * lam_k1**2)
    out = []
    for h in (lam_k + lam_k1 - r, lam_k + lam_k1 + r):
        x, y = -2 * lam_k1, h - 2 * lam_k
        norm = math.hypot(x, y)
        out.append((h, abs(x / norm * (x / norm + y / norm))))
    return out


@pytest.mark.parametrize("lam, pi0, lr, tol", [
    ((1.0, 0.5), 5e-7, 0.1, 1e-3),
    ((1.0, 0.9, 0.3), 0.4, 0.1, 1e-3),     # π0 near ½ and a small gap: the tilt is clipped at 1
    ((0.4, 1.0), 1e-4, 0.2, 1e-4),         # given in ascending order
], ids=["doc", "clipped", "ascending"])
def test_predict_steps_is_the_plateau_plus_the_slowest_weighted_tail(lam, pi0, lr, tol):
    """The docstring's formula, with the Hessian's eigenvectors in closed form."""
    lam_k, lam_k1 = sorted(lam, reverse=True)[:2]
    plateau = math.log((1 - pi0) / pi0) / (2 * math.log(1 + 2 * lr * lam_k))
    rho = math.log(1 + 2 * lr * lam_k1) / math.log(1 + 2 * lr * lam_k)
    angle = min(1.0, math.sqrt(2) * pi0 ** ((1 - rho) / 2))
    tails = [math.log(max(angle * w / tol, 1.0)) / -math.log(abs(1 - lr * h))
             for h, w in _pair_directions(lam_k, lam_k1)]
    assert d.predict_steps(lr, list(lam), 1, pi0, angle_tol=tol) == pytest.approx(
        plateau + max(tails), rel=1e-9)
    naive = math.log(max(angle / tol, 1.0)) / -math.log(1 - lr * _pair_directions(lam_k,
                                                                                   lam_k1)[0][0])
    assert d.predict_steps(lr, list(lam), 1, pi0, angle_tol=tol, naive=True) == pytest.approx(
        plateau + naive, rel=1e-9)


def test_predict_steps_ends_with_the_plateau_when_the_tilt_is_already_within_tolerance():
    plateau = d.saxe_half_time(0.1, 1.0, 1e-4)
    assert d.predict_steps(0.1, [1.0, 0.5], 1, 1e-4, angle_tol=10.0) == plateau
    assert d.predict_steps(0.1, [1.0, 0.5], 1, 1e-4, angle_tol=10.0, naive=True) == plateau


def test_predict_steps_is_infinite_when_a_direction_does_not_contract():
    # h_f = 1.5 + √1.25 = 2.618: η = 0.8 gives 1 − ηh_f = −1.09
    assert d.predict_steps(0.8, [1.0, 0.5], 1, 1e-4) == math.inf
    # naive uses h_s = 0.382 only: 1 − 6 · 0.382 = −1.29
    assert d.predict_steps(6.0, [1.0, 0.5], 1, 1e-4, naive=True) == math.inf
    assert d.predict_steps(0.8, [1.0, 0.5], 1, 1e-4, naive=True) < math.inf


# --- predict_network against gradient descent run by PyTorch ---------------------------------


def _torch_gd(lam, W_e, W_d, lr, steps):
    """Full-batch GD on tr((I − A) Σ (I − A)ᵀ), Σ = diag(λ), A = W_d W_e (centred, no biases;
    their gradient is 0 there): per step π_1 = u_1ᵀ A u_1 and the loss."""
    torch = pytest.importorskip("torch")
    sigma = torch.diag(torch.tensor(lam, dtype=torch.float64))
    eye = torch.eye(len(lam), dtype=torch.float64)
    enc = torch.tensor(W_e, dtype=torch.float64, requires_grad=True)
    dec = torch.tensor(W_d, dtype=torch.float64, requires_grad=True)
    pis, losses = [], []
    for _ in range(steps + 1):
        residual = eye - dec @ enc
        loss = torch.trace(residual @ sigma @ residual.T)
        pis.append(float((dec @ enc)[0, 0].detach()))
        losses.append(float(loss.detach()))
        loss.backward()
        with torch.no_grad():
            enc -= lr * enc.grad
            dec -= lr * dec.grad
        enc.grad = None
        dec.grad = None
    return np.array(pis), np.array(losses)


def _first_step_after_which(holds: np.ndarray) -> int:
    failing = np.flatnonzero(~holds)
    return 0 if failing.size == 0 else int(failing[-1]) + 1


def test_predict_network_from_an_aligned_start_is_the_gd_run():
    """W_d = c u_1, W_e = c u_1ᵀ: GD stays on the balanced mode, which the prediction follows
    exactly; the decoder never tilts, so both angles hold from step 0."""
    lam = [1.0, 0.5, 0.25]
    c = 1e-3
    W_e = np.array([[c, 0.0, 0.0]])
    W_d = W_e.T.copy()
    pis, losses = _torch_gd(lam, W_e, W_d, 0.1, 200)
    relative = (losses - 0.75) / 0.75
    predicted = d.predict_network(W_e, W_d, lam, np.eye(3), lr=0.1, loss_rtol=1e-6)
    assert predicted.pi0 == pytest.approx([c * c], rel=ULPS)
    assert predicted.half_times == [int(np.argmax(pis >= 0.5))]
    assert predicted.angle_steps == 0 and predicted.encoder_angle_steps == 0
    assert predicted.loss_steps == _first_step_after_which(relative < 1e-6)
    assert predicted.loss_steps > predicted.half_times[0]
    # eigenvalues in another order, with their eigenvectors: the same network, the same answer
    order = [2, 0, 1]
    shuffled = d.predict_network(W_e, W_d, [lam[i] for i in order], np.eye(3)[:, order], lr=0.1)
    assert shuffled == predicted


@pytest.mark.parametrize("W, lr, horizon", [
    (0.0, 0.1, 200_000),        # no growing combination: π0 = 0
    (0.8, 0.1, 200_000),        # π0 = 0.64: not a small start
    (1e-3, 0.7, 200_000),       # ηλ_1 = 0.7: the mode map oscillates and blows up
    (1e-3, 0.1, 20),            # the plateau does not end within the horizon
], ids=["zero", "large", "unstable", "short-horizon"])
def test_predict_network_gives_no_counts_outside_its_assumptions(W, lr, horizon):
    W_e = np.array([[W, 1e-4]])
    predicted = d.predict_network(W_e, W_e.T.copy(), [1.0, 0.25], np.eye(2), lr=lr,
                                  horizon=horizon)
    assert predicted.half_times == [None]
    assert (predicted.angle_steps, predicted.encoder_angle_steps, predicted.loss_steps) == (
        None, None, None)


def test_sgd_noise_floor_accepts_two_samples_and_the_whole_batch():
    # batch = N: drawn without replacement the batch is the whole data set, so no noise
    X = np.array([[1.0, 0.5], [-1.0, -0.1], [0.3, -0.7]])
    assert d.sgd_noise_floor(np.vstack([X, -X]), 1, 0.1, 6) == 0.0
    assert d.sgd_noise_floor(np.vstack([X, -X]), 1, 0.1, 1) > 0.0
    # two samples are enough samples; what they lack is a second direction of variance
    with pytest.raises(ValueError, match=r"^sgd_noise_floor: need λ_k > λ_\(k\+1\) > 0"):
        d.sgd_noise_floor(X[:2], 1, 0.1, 1)


def _iterated_model(W_e, W_d, lam, lr, angle_tol, loss_rtol, steps):
    """predict_network's model as its docstring states it (steps 1–4), iterated one GD step at
    a time instead of in closed form; eigenvalues descending, eigenvectors the unit axes.

    Latent directions o_i by Gram–Schmidt of g_i = (a_i + b_i)/2; π_i(t) from the mode map;
    each pair's z = (o_i·a_j, o_i·b_j) follows a ← a + 2ηλ_j b, b ← b + 2ηλ_j a until T½_i and
    z ← (I − ηH)z after; tan²θ = Σ z²/π_i and L − L* = Σ λ_i(1 − π_i)² + Σ_(t ≥ T½_i) ½ zᵀHz.
    """
    lam = np.asarray(lam, dtype=np.float64)
    m, k = lam.size, W_e.shape[0]
    a, b = W_d, W_e.T                       # row j: W_dᵀ u_j and W_e u_j
    latent, pi0 = [], []
    for i in range(k):
        g = (a[i] + b[i]) / 2
        for o in latent:
            g = g - (o @ g) * o
        pi0.append(float(g @ g))
        latent.append(g / math.sqrt(g @ g))
    pi = np.empty((k, steps + 1))
    for i in range(k):
        v = math.sqrt(pi0[i])
        for t in range(steps + 1):
            pi[i, t] = v * v
            v = v + 2 * lr * lam[i] * v * (1 - v * v)
    half = [int(np.argmax(row >= 0.5)) for row in pi]
    tan2 = np.zeros((2, steps + 1))
    excess = (lam[:k, None] * (1 - pi) ** 2).sum(axis=0)
    for i in range(k):
        for j in range(k, m):
            H = 2 * np.array([[lam[i], -lam[j]], [-lam[j], lam[j]]])
            z = np.array([latent[i] @ a[j], latent[i] @ b[j]])
            for t in range(steps + 1):
                tan2[:, t] += z**2 / pi[i, t]
                if t >= half[i]:
                    excess[t] += 0.5 * z @ H @ z
                    z = z - lr * H @ z
                else:
                    z = z + 2 * lr * lam[j] * z[::-1]
    angles = np.arctan(np.sqrt(tan2))
    return (pi0, half, _first_step_after_which(angles[0] < angle_tol),
            _first_step_after_which(angles[1] < angle_tol),
            _first_step_after_which(excess / lam[k:].sum() < loss_rtol))


@pytest.mark.parametrize("lam, k, seed, lr, angle_tol, loss_rtol", [
    ((1.0, 0.5, 0.2), 1, 0, 0.1, 1e-3, 1e-6),
    ((1.0, 0.3, 0.25), 1, 1, 0.2, 1e-4, 1e-9),
    ((1.0, 0.6, 0.25, 0.1), 2, 2, 0.1, 1e-3, 1e-6),
    ((1.0, 0.5, 0.45, 0.05), 2, 3, 0.15, 1e-2, 1e-4),
], ids=["m3-k1", "m3-k1-tight", "m4-k2", "m4-k2-loose"])
def test_predict_network_is_its_linearised_model_iterated_step_by_step(lam, k, seed, lr,
                                                                      angle_tol, loss_rtol):
    rng = np.random.default_rng(seed)
    m = len(lam)
    W_e = rng.normal(0.0, 1e-3, size=(k, m))
    W_d = rng.normal(0.0, 1e-3, size=(m, k))
    pi0, half, angle, encoder_angle, loss = _iterated_model(W_e, W_d, lam, lr, angle_tol,
                                                            loss_rtol, 1500)
    predicted = d.predict_network(W_e, W_d, list(lam), np.eye(m), lr=lr, angle_tol=angle_tol,
                                  loss_rtol=loss_rtol)
    assert predicted.pi0 == pytest.approx(pi0, rel=ULPS)
    assert predicted.half_times == half
    assert (predicted.angle_steps, predicted.encoder_angle_steps, predicted.loss_steps) == (
        angle, encoder_angle, loss)
    assert 0 < min(angle, encoder_angle, loss) and max(angle, encoder_angle, loss) < 1400


def test_predict_network_treats_a_mode_at_exactly_one_half_as_outside_its_assumptions():
    """π0 = ½ exactly (g_1 = (½, ½), a sum of two exact squares): no counts, as for any
    π0 ≥ ½."""
    W_e = np.array([[0.5, 1e-3, 0.0], [0.5, -1e-3, 0.0]])
    W_d = np.array([[0.5, 0.5], [1e-3, -1e-3], [0.0, 0.0]])
    predicted = d.predict_network(W_e, W_d, [1.0, 0.5, 0.25], np.eye(3), lr=0.1)
    assert predicted.pi0[0] == 0.5
    assert predicted.half_times == [None, None] and predicted.angle_steps is None


def test_predict_network_counts_within_its_horizon():
    """A count is a step ≤ horizon: cutting the horizon at the count keeps it, one step
    shorter loses it (None); a mode map that ends within 1e-6 of π = 1 at the horizon counts
    as settled."""
    rng = np.random.default_rng(11)
    W_e = rng.normal(0.0, 1e-3, size=(1, 3))
    W_d = rng.normal(0.0, 1e-3, size=(3, 1))
    lam = [1.0, 0.8, 0.1]
    full = d.predict_network(W_e, W_d, lam, np.eye(3), lr=0.1)
    assert None not in (full.angle_steps, full.encoder_angle_steps, full.loss_steps)
    for name in ("angle_steps", "encoder_angle_steps", "loss_steps"):
        count = getattr(full, name)
        assert getattr(d.predict_network(W_e, W_d, lam, np.eye(3), lr=0.1, horizon=count),
                       name) == count
        assert getattr(d.predict_network(W_e, W_d, lam, np.eye(3), lr=0.1,
                                         horizon=count - 1), name) is None
    # the horizon at the first step with |1 − π| < 1e-6 (the mode map iterated here)
    v, horizon = math.sqrt(full.pi0[0]), 0
    while abs(1 - v * v) >= 1e-6:
        v, horizon = v + 0.2 * v * (1 - v * v), horizon + 1
    cut = d.predict_network(W_e, W_d, lam, np.eye(3), lr=0.1, horizon=horizon)
    assert cut.half_times == full.half_times and cut.angle_steps is None


def test_predict_network_counts_a_tilt_that_is_within_tolerance_before_the_plateau_ends():
    """A tilt of 1e-9 against a mode of 1e-2: the angle tilt/√π falls below 1e-7 within a few
    steps, long before T½ = 25, and both counts are those early steps (the iterated model)."""
    W_e = np.array([[1e-2, 1e-9, -1e-9]])
    W_d = np.array([[1e-2], [2e-9], [1e-9]])
    lam = (1.0, 0.3, 0.1)
    pi0, half, angle, encoder_angle, loss = _iterated_model(W_e, W_d, lam, 0.1, 1e-7, 1e-6, 600)
    predicted = d.predict_network(W_e, W_d, list(lam), np.eye(3), lr=0.1, angle_tol=1e-7)
    assert (predicted.half_times, predicted.angle_steps, predicted.encoder_angle_steps,
            predicted.loss_steps) == (half, angle, encoder_angle, loss)
    assert 0 < encoder_angle < angle < half[0]
