"""studies.convergence: the learning-dynamics predictions of docs/theory.md#learning-dynamics
against our engine.

Every run here trains with the engine (``backward()`` + ``optim``) on data whose 1/N covariance
is exact (``data.with_spectrum``), and checks a prediction derived independently of it: the
Saxe plateau (P6), convergence to the PCA subspace and to the Eckart–Young bound (P5), the
stable-step threshold (P8), balancedness (P9). Step budgets are small so the file runs in
seconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_ae import data, pca, strategies
from tinygrad_ae.studies import convergence
from tinygrad_ae.studies.convergence import (
    effective_pi0,
    max_stable_lr,
    predict_network,
    saxe_half_time,
    train_until_pca,
)

# --- tolerances, each with its reason --------------------------------------------------------

# P6: the discrete Saxe formula ignores the decaying (a − b)/2 part and the cubic terms before
# π = ½; docs/theory.md#test-tolerances reports 0.95–1.03 of the measured first step with π ≥ ½.
SAXE_RTOL = 0.10
# P5: the PCA subspace to 1e-3 rad, the bound to 1e-6 relative, the mean reconstructed to 1e-6.
ANGLE_TOL = 1e-3
LOSS_RTOL = 1e-6
MEAN_ATOL = 1e-6
# The mean's error e adds ‖e‖² to L, so (L − L*)/L* < ρ only bounds ‖e‖ by √(ρ L*): 1e-6
# relative leaves ‖e‖ up to 1e-3. Training to ρ = 1e-13 (float64 sums of ≤ 64 order-one terms
# resolve ~1e-15) bounds ‖e‖ by 4e-7 for L* ≤ 1.5.
TRAIN_LOSS_RTOL = 1e-13
# P8: at η = 0.9/(2λ_1) GD settles to rounding level; above 1/(2λ_1) no minimum is stable, so
# the loss gap stays of order one (a period-two oscillation of the mode scale).
STABLE_GAP = 1e-10
UNSTABLE_GAP = 1e-3
# P9: GD from σ0 ≤ 1e-3 conserves B = W_e W_eᵀ + b_e b_eᵀ − W_dᵀ W_d up to O(σ0²) + O(η²) drift,
# so W_d ends with singular values 1 ± O(1e-3); 1e-2 is the bound of docs/theory.md#test-tolerances
# (P9).
BALANCE_TOL = 1e-2
# Our angle routine (QR, then arcsin of a spectral norm) vs pca.principal_angles (SVD of both
# bases): both accurate to ~1e-15 absolute at small angles.
ANGLE_AGREEMENT = 1e-12
# The 2-1-2 network and LinearAutoencoder(2, 1) compute the same sums in a different order.
SAME_NETWORK_RTOL = 1e-9
# predict_network against a measured run: docs/theory.md#reference-measurements saw 0.98–1.05
# (5th–95th percentile).
PREDICTION_RTOL = 0.05


def _top(X: np.ndarray, k: int) -> np.ndarray:
    return pca.covariance_spectrum(X).eigenvectors[:, :k]


# --- quick-mode sanity -----------------------------------------------------------------------


def test_quick_study_converges_and_slows_as_the_eigengap_shrinks():
    rows = convergence.study(quick=True, seeds=2, sweeps=["eigengap"], progress=False)
    assert rows and all(row["converged"] for row in rows)
    medians = {
        s["x"]: s["steps_to_angle"][0] for s in convergence.summarize(rows)
    }
    gaps = sorted(medians)
    assert gaps == [1.5, 2.0, 4.0, 10.0, 100.0]
    steps = [medians[g] for g in gaps]
    # docs/theory.md#alignment-tail: the decoder criterion is monotone in λ_k/λ_(k+1) at fixed λ_k.
    assert all(a > b for a, b in zip(steps, steps[1:])), steps
    assert steps[0] > 2 * steps[-1]  # the alignment phase dominates at small gaps


# --- P6: the Saxe plateau ----------------------------------------------------------------------


@st.composite
def saxe_cases(draw: st.DrawFn):
    n_features = draw(st.integers(2, 4))
    k = draw(st.integers(1, min(2, n_features - 1)))
    lam = draw(strategies.spectra(n_features, k, min_gap=1.5))
    # P6 needs the modes themselves well separated, too: consecutive top-k ratios ≥ 1.5.
    assume(all(lam[j] / lam[j + 1] >= 1.5 for j in range(k)))
    X, lam, _ = draw(strategies.data_with_spectrum(st.integers(4 * n_features, 64), lam))
    lr = draw(st.floats(0.05, 0.2))  # λ_1 = 1, so ηλ_1 ≤ 0.2
    init_scale = draw(st.sampled_from([1e-3, 1e-4]))
    seed = draw(st.integers(0, 2**16))
    return X, np.asarray(lam), k, lr, init_scale, seed


@settings(max_examples=8, deadline=None)
@given(saxe_cases())
def test_p6_first_half_step_matches_the_discrete_saxe_formula(case):
    X, lam, k, lr, init_scale, seed = case
    probe = train_until_pca(X, k, lr=lr, init_scale=init_scale, max_steps=1, seed=seed)
    predicted = [saxe_half_time(lr, lam[j], probe.pi0[j]) for j in range(k)]
    # Stop shortly after the last predicted T½: the plateau is all this test needs.
    result = train_until_pca(X, k, lr=lr, init_scale=init_scale, seed=seed,
                             max_steps=int(1.3 * max(predicted)) + 5)
    for j in range(k):
        measured = result.half_times[j]
        assert measured is not None, f"mode {j + 1} never reached π = ½"
        assert abs(measured - predicted[j]) <= SAXE_RTOL * predicted[j], (j, measured, predicted)


def test_momentum_shortens_the_plateau_as_the_heavy_ball_root_says():
    X, _ = data.with_spectrum(200, [1.0, 0.25], seed=3)
    result = train_until_pca(X, 1, method="momentum", lr=0.02, momentum=0.9, max_steps=120,
                             seed=3)
    gd = saxe_half_time(0.02, 1.0, result.pi0[0])
    heavy = saxe_half_time(0.02, 1.0, result.pi0[0], momentum=0.9)
    assert heavy < 0.6 * gd  # the formula itself predicts a real speed-up ...
    assert abs(result.half_times[0] - heavy) <= SAXE_RTOL * heavy  # ... and the engine shows it


# --- P5: convergence to PCA ----------------------------------------------------------------------


@st.composite
def gapped_cases(draw: st.DrawFn):
    n_features = draw(st.integers(2, 4))
    k = draw(st.integers(1, min(2, n_features - 1)))
    lam = draw(strategies.spectra(n_features, k, min_gap=2.0, min_eigenvalue=0.05))
    mean = draw(st.one_of(st.none(), st.lists(st.floats(-0.5, 0.5), min_size=n_features,
                                              max_size=n_features)))
    X, lam, Q = draw(strategies.data_with_spectrum(st.integers(4 * n_features, 64), lam, mean))
    return X, np.asarray(lam), Q, k, mean, draw(st.integers(0, 2**16))


@settings(max_examples=6, deadline=None)
@given(gapped_cases())
def test_p5_gd_from_small_init_reaches_the_pca_solution(case):
    X, lam, Q, k, mean, seed = case
    # docs/theory.md#step-size-and-centring: η = 1/(4 λ_max(M̃)) keeps the bias directions stable
    # too.
    lr = max_stable_lr(lam, mean, components=Q).safe
    result = train_until_pca(X, k, lr=lr, init_scale=1e-4, max_steps=3000, seed=seed,
                             loss_rtol=TRAIN_LOSS_RTOL)
    assert result.converged, result
    W_e, b_e, W_d, b_d = (result.params[name] for name in ("W_e", "b_e", "W_d", "b_d"))
    assert pca.principal_angles(W_d, Q[:, :k]).max() < ANGLE_TOL
    residual = X - (X @ W_e.T + b_e) @ W_d.T - b_d
    loss = (residual**2).sum() / len(X)
    bound = lam[k:].sum()
    assert (loss - bound) / bound < LOSS_RTOL
    mu = X.mean(axis=0)
    assert np.linalg.norm(W_d @ (W_e @ mu + b_e) + b_d - mu) < MEAN_ATOL


# --- P8: the stable step ----------------------------------------------------------------------


@pytest.mark.parametrize("factor, converges", [(0.9, True), (1.1, False)],
                         ids=["0.9-over-2-lambda1", "1.1-over-2-lambda1"])
def test_p8_gd_converges_only_below_one_over_two_lambda1(factor, converges):
    X, _ = data.with_spectrum(100, [4.0, 1.0], seed=0)
    lr = factor / (2 * 4.0)
    assert lr < max_stable_lr([4.0, 1.0]).weights or not converges
    result = train_until_pca(X, 1, lr=lr, init_scale=1e-3, max_steps=600, seed=0,
                             loss_rtol=STABLE_GAP)
    gap = result.final_loss_gap
    if converges:
        assert result.converged and gap < STABLE_GAP, gap
    else:
        assert not result.converged and (result.diverged or gap > UNSTABLE_GAP), gap


# --- P9: balancedness ---------------------------------------------------------------------------


def test_p9_gd_from_small_init_ends_balanced():
    X, _ = data.with_spectrum(200, [1.0, 0.5, 0.1, 0.05], seed=1)
    result = train_until_pca(X, 2, lr=0.25, init_scale=1e-3, seed=1)
    assert result.converged
    W_e, b_e, W_d = result.params["W_e"], result.params["b_e"], result.params["W_d"]
    singular = np.linalg.svd(W_d, compute_uv=False)
    assert np.all(np.abs(singular - 1.0) < BALANCE_TOL), singular
    B = W_e @ W_e.T + np.outer(b_e, b_e) - W_d.T @ W_d
    assert np.linalg.norm(B, 2) < BALANCE_TOL


# --- measurement against independent references ------------------------------------------------


def test_recorded_angle_and_loss_match_pca_and_the_eckart_young_bound():
    X, _ = data.with_spectrum(50, [1.0, 0.4, 0.1], seed=2)
    result = train_until_pca(X, 1, lr=0.2, max_steps=40, seed=2)
    W_e, b_e, W_d, b_d = (result.params[name] for name in ("W_e", "b_e", "W_d", "b_d"))
    reference = pca.principal_angles(W_d, _top(X, 1)).max()
    assert abs(result.trace_angle[-1] - reference) < ANGLE_AGREEMENT
    residual = X - (X @ W_e.T + b_e) @ W_d.T - b_d
    assert result.trace_loss[-1] == pytest.approx((residual**2).sum() / len(X), rel=1e-12)
    assert result.min_loss == pytest.approx(pca.min_reconstruction_loss(X, 1), rel=1e-12)
    assert result.trace_pi[-1, 0] == pytest.approx(float(_top(X, 1)[:, 0] @ W_d @ W_e
                                                         @ _top(X, 1)[:, 0]), rel=1e-12)


def test_paper_network_and_linear_autoencoder_train_identically():
    X = data.correlated_2d(100, variance_ratio=4.0, total_variance=1.25, seed=5, exact=True)
    runs = [train_until_pca(X, 1, lr=0.1, seed=5, max_steps=150, model=model)
            for model in ("paper", "linear")]
    np.testing.assert_allclose(runs[0].trace_loss, runs[1].trace_loss, rtol=SAME_NETWORK_RTOL)
    assert runs[0].steps_to_angle == runs[1].steps_to_angle is not None


def test_predict_network_matches_a_run_from_its_own_initial_weights():
    X, _ = data.with_spectrum(200, [1.0, 0.5, 0.2], seed=4)
    result = train_until_pca(X, 1, lr=0.1, seed=4)
    prediction = result.prediction
    assert prediction is not None and result.converged
    for measured, predicted in ((result.steps_to_angle, prediction.angle_steps),
                                (result.steps_to_loss, prediction.loss_steps),
                                (result.half_times[0], prediction.half_times[0])):
        assert abs(predicted - measured) <= PREDICTION_RTOL * measured


def test_effective_pi0_is_the_squared_growing_combination_after_gram_schmidt():
    rng = np.random.default_rng(0)
    W_e, W_d = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    U = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    g = ((W_d.T @ U + W_e @ U) / 2).T[:2]
    second = g[1] - (g[1] @ g[0]) / (g[0] @ g[0]) * g[0]
    np.testing.assert_allclose(effective_pi0(W_e, W_d, U[:, :2]),
                               [g[0] @ g[0], second @ second], rtol=1e-12)


def test_safe_step_uses_the_largest_eigenvalue_of_the_uncentred_moment():
    mean = np.array([0.7, -1.2, 0.3])
    X, Q = data.with_spectrum(40, [1.0, 0.3, 0.1], mean=mean, seed=6)
    augmented = np.hstack([X, np.ones((len(X), 1))])
    moment = augmented.T @ augmented / len(X)
    limits = max_stable_lr([1.0, 0.3, 0.1], mean, components=Q)
    assert limits.safe == pytest.approx(1 / (4 * np.linalg.eigvalsh(moment)[-1]), rel=1e-12)
    assert limits.weights == 0.5


def test_constant_step_sgd_stalls_near_the_predicted_noise_floor():
    X, _ = data.with_spectrum(200, convergence.make_spectrum(4, 1, 4.0), seed=0)
    result = train_until_pca(X, 1, method="sgd", lr=0.1, batch_size=16, sampling="iid",
                             max_steps=1200, seed=0)
    assert result.steps_to_angle is None  # the noise keeps it above 1e-3 rad
    measured = result.floor_angle()
    scale = float(np.linalg.norm(result.params["W_d"]))
    predicted = convergence.sgd_noise_floor(X, 1, 0.1, 16, balance=scale)
    assert 0.5 * predicted < measured < 2.0 * predicted, (measured, predicted, scale)


# --- errors are the user's, in the user's terms ------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="adamw"), "method must be one of 'gd', 'sgd', 'momentum', 'adam'"),
    (dict(batch_size=16), "method='gd' is full-batch"),
    (dict(method="sgd"), "method='sgd' needs a batch_size"),
    (dict(n_components=2), "n_components must be an integer from 1 to n_features − 1 = 1"),
    (dict(lr=-0.1), "lr must be a positive finite number"),
    (dict(model="paper", X=np.ones((5, 3))), "model='paper' is the 2-1-2 network"),
    (dict(sampling="bootstrap"), "sampling must be 'epoch' or 'iid'"),
    (dict(X=np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])),
     "the PCA subspace must be unique"),
], ids=["method", "gd-with-batch", "sgd-without-batch", "components", "lr", "paper-shape",
        "sampling", "tied-eigenvalues"])
def test_train_until_pca_rejects_bad_arguments(kwargs, match):
    arguments = dict(X=data.with_spectrum(20, [1.0, 0.25], seed=0)[0], n_components=1)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        train_until_pca(**arguments)


@pytest.mark.parametrize("call, match", [
    (lambda: saxe_half_time(0.1, 1.0, 1.5), "pi0 is a mode strength"),
    (lambda: saxe_half_time(0.1, 1.0, 0.1, momentum=1.0), "momentum must be in"),
    (lambda: convergence.transverse_curvature(0.5, 1.0), "need λ_k ≥ λ_"),
    (lambda: max_stable_lr([1.0, 0.5], mean=[1.0]), "mean must have shape"),
    (lambda: convergence.predict_steps(0.1, [1.0, 1.0], 1, 1e-6), "unique PCA subspace"),
    (lambda: predict_network(np.ones((1, 2)), np.ones((3, 1)), [1.0, 0.5], np.eye(2), 0.1),
     "need W_e"),
    (lambda: convergence.study(sweeps=["nope"]), "unknown sweep 'nope'"),
    (lambda: convergence.replace_generated("text", "t", "x"), "no <!-- generated:t:begin"),
], ids=["pi0", "momentum", "curvature-order", "mean-shape", "tied", "shapes", "sweep",
        "markers"])
def test_theory_and_study_functions_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_converge_command_reports_an_unwritable_folder_in_one_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    status = convergence.main(["--quick", "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "cannot write to" in err and "--out" in err


def test_run_reaches_no_result_within_a_short_budget_reports_none():
    X, _ = data.with_spectrum(50, [1.0, 0.9], seed=0)
    result = train_until_pca(X, 1, lr=0.1, max_steps=10, seed=0)
    assert result.steps is None and not result.converged and result.steps_run == 10
    assert math.isfinite(result.final_loss_gap) and result.final_loss_gap > LOSS_RTOL


def test_the_learning_rate_figure_keeps_its_stability_label_on_the_axes(tmp_path,
                                                                         monkeypatch):
    import warnings

    from matplotlib.figure import Figure

    from tinygrad_ae.studies.convergence import figures, study, summarize

    saved: list[Any] = []
    original = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> Any:
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    rows = study(quick=True, seeds=1, sweeps=["lr"], progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no "constrained_layout not applied"
        figures._plot_lr(summarize(rows), tmp_path / "convergence_lr.png")
    lr_figure = saved[-1]
    axis = lr_figure.axes[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(lr_figure).get_renderer()
    lr_figure.draw(renderer)
    box = axis.get_window_extent(renderer)
    labels = [t for t in axis.texts if "1/(2λ₁)" in t.get_text()]
    assert len(labels) == 1
    label = labels[0].get_window_extent(renderer)
    assert box.x0 <= label.x0 and label.x1 <= box.x1 + 1
    assert box.y0 <= label.y0 and label.y1 <= box.y1
