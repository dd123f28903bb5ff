"""Uncentred data: the batched numpy GD against our engine, the uncentred theory against
measured steps, the biases against the mean's image, and the honest-statistics and off-by-one
checks of docs/convergence.md and the demo.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_ae import data, strategies
from tinygrad_ae.studies import convergence
from tinygrad_ae.studies.convergence import gd_moments, initial_weights, train_until_pca
from tinygrad_ae.theory.uncentred import predict_uncentred_network

DOC = Path(__file__).resolve().parents[2] / "docs" / "convergence.md"

# The engine and the moment form add the same gradient terms in a different order; a criterion
# crossing can move by a step only when it sits within rounding of the threshold.
SAME_RUN_STEPS = 1
# docs/convergence.md, "Uncentred data": over the sweep the per-network prediction's cell
# medians are 0.93–1.03 of the measured count and 90 % of the pooled runs lie within 0.91–1.04.
# Over 150 random draws from this population (1800 runs; `python examples/uncentred_random.py`,
# the block generated:uncentred_random of docs/theory.md, after the reduced-run fix) 2–98 % of
# the ratios lie within 0.96–1.05 and every one within 0.44–2.26, the median of a draw's runs
# within 0.96–1.01; with --seed 1 and --seed 2, 0.62–1.72 and 0.59–1.62 overall. The 0.44 (draw
# 107, seed 20) is below RUN_BAND: a draw like it fails this test, and the band is not widened
# to hide it. Before that fix Hypothesis found draws further out: a mean split between two
# discarded axes (or two tied discarded eigenvalues) put a draw's median near 0.84, because the
# pairs were linearised one by one and their cross terms through the mean dropped. The bands
# below hold all of these but that 0.44.
RUN_BAND = (0.5, 2.5)
MEDIAN_BAND = (0.75, 1.5)
# The biases: x̂(μ) = μ exactly at a minimum, so W_d b_e + b_d = (I − P) μ to the training
# tolerance; which b_e is reached is the gauge the theory predicts: over the same 150 random
# draws 99 % of the kept modes within 2.1 % + 0.004 of v_d β, the worst within 12 % + 0.025
# (--seed 1: 3.3 % + 0.007 and 19 % + 0.038; --seed 2: 4.2 % + 0.008 and 10 % + 0.021), and
# x̂(μ) = (I − P) μ to 1.6e-06 at worst over the three samples.
IMAGE_ATOL = 1e-5
GAUGE_RTOL = 0.2
GAUGE_ATOL = 0.04


def _eigenbasis(X: np.ndarray, k: int):
    spectrum = convergence.measure._Evaluator(X, k, "test")
    return spectrum.eigenvalues, spectrum.components, spectrum.mean


@pytest.mark.parametrize("model, lam, mean", [
    ("paper", (1.0, 0.25), (1.0, -2.0)),
    ("linear", (1.0, 0.5, 0.1, 0.08), (0.5, -0.5, 0.8, 0.2)),
], ids=["2-1-2", "m4-k2"])
def test_batched_gd_takes_the_same_steps_as_the_engine(model, lam, mean):
    """gd_moments is the arithmetic of train_until_pca: same data moments, same initial
    weights (rotated into the eigenbasis), the same step at which each criterion is met."""
    k = 1 if model == "paper" else 2
    for seed in (0, 1):
        X, _ = data.with_spectrum(200, lam, mean=mean, seed=seed)
        engine = train_until_pca(X, k, lr=0.1, seed=np.random.default_rng([seed, 1]),
                                 model=model, max_steps=5000)
        values, U, mu = _eigenbasis(X, k)
        W_e, W_d = initial_weights([seed], len(lam), k)
        run = gd_moments(values, U.T @ mu, k, 0.1, W_e @ U, U.T @ W_d, max_steps=5000)
        assert engine.converged
        assert abs(int(run.steps_to_angle[0]) - engine.steps_to_angle) <= SAME_RUN_STEPS
        assert abs(int(run.steps_to_loss[0]) - engine.steps_to_loss) <= SAME_RUN_STEPS


@st.composite
def uncentred_cases(draw: st.DrawFn):
    m = draw(st.integers(2, 4))
    k = draw(st.integers(1, min(2, m - 1)))
    lam = np.array(draw(strategies.spectra(m, k, min_gap=2.0, min_eigenvalue=0.05)))
    direction = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=m, max_size=m)))
    if np.linalg.norm(direction) < 1e-3:
        direction = np.eye(m)[0]
    size = draw(st.floats(0.0, 1.5))  # ‖μ‖/√λ_1, inside the range where η = 0.1 is stable
    return lam, k, size * direction / np.linalg.norm(direction), draw(st.integers(0, 1000))


@settings(max_examples=8, deadline=None)
@given(uncentred_cases())
def test_uncentred_prediction_matches_measured_steps_within_the_documented_band(case):
    lam, k, mean, first = case
    seeds = list(range(first, first + 6))
    W_e, W_d = initial_weights(seeds, lam.size, k)
    run = gd_moments(lam, mean, k, 0.1, W_e, W_d, max_steps=20_000)
    ratios = []
    for i in range(len(seeds)):
        predicted = predict_uncentred_network(W_e[i], W_d[i], lam, np.eye(lam.size), mean, 0.1)
        assert predicted.stable
        for measured, guess in ((run.steps_to_angle[i], predicted.angle_steps),
                                (run.steps_to_loss[i], predicted.loss_steps)):
            assert measured > 0 and guess is not None
            ratio = guess / measured
            assert RUN_BAND[0] <= ratio <= RUN_BAND[1], (measured, guess)
            ratios.append(ratio)
    assert MEDIAN_BAND[0] <= float(np.median(ratios)) <= MEDIAN_BAND[1], ratios


@settings(max_examples=8, deadline=None)
@given(uncentred_cases())
def test_biases_converge_to_the_image_of_the_data_mean(case):
    """At the end x̂(μ) = μ: W_d b_e + b_d = (I − P) μ; and the encoder bias lands where the
    theory says, u_iᵀ W_d b_e = v_d,i β_i from the modes with their biases and tilts (the biases
    unbalance the layers, so v_d ≠ 1)."""
    lam, k, mean, first = case
    seeds = [first, first + 1]
    W_e, W_d = initial_weights(seeds, lam.size, k)
    run = gd_moments(lam, mean, k, 0.1, W_e, W_d, max_steps=20_000, loss_rtol=1e-12,
                     angle_tol=1e-6)
    image = mean.copy()
    image[:k] = 0.0
    for i in range(len(seeds)):
        assert run.steps_to_loss[i] > 0
        predicted = predict_uncentred_network(W_e[i], W_d[i], lam, np.eye(lam.size), mean, 0.1)
        betas = [v * b for v, b in zip(predicted.decoder_scales, predicted.encoder_bias)]
        decoder, encoder_bias = run.params["W_d"][i], run.params["b_e"][i]
        reconstructed = decoder @ encoder_bias + run.params["b_d"][i]
        np.testing.assert_allclose(reconstructed, image, atol=IMAGE_ATOL)
        along = decoder[:k] @ encoder_bias
        for i_mode in range(k):
            assert along[i_mode] == pytest.approx(betas[i_mode], rel=GAUGE_RTOL, abs=GAUGE_ATOL)


def test_centring_first_recovers_the_centred_steps():
    """Uncentred data, centred before training: the engine's steps are those of the same
    network on the same data without a mean, and the centred theory predicts them."""
    X, _ = data.with_spectrum(200, [1.0, 0.25], mean=[1.0, -2.0], seed=4)
    centred = X - X.mean(axis=0)
    result = train_until_pca(centred, 1, lr=0.1, seed=np.random.default_rng([4, 1]))
    raw = train_until_pca(X, 1, lr=0.1, seed=np.random.default_rng([4, 1]))
    assert result.prediction is not None and raw.prediction is None
    assert abs(result.prediction.loss_steps - result.steps_to_loss) <= 2
    assert raw.steps_to_loss > 2 * result.steps_to_loss


def test_each_criterion_is_counted_at_the_step_after_which_it_holds():
    """The off-by-one: the loss after step t must be counted at t, not t + 1. The demo's
    helper counts from 1; a numpy recomputation of the demo's own run gives the same steps."""
    from tinygrad_ae.cli import _first_step_staying_below
    assert _first_step_staying_below([5.0, 0.5, 2.0, 0.5, 0.1], 1.0) == 4
    assert _first_step_staying_below([0.5, 0.5], 1.0) == 1
    assert _first_step_staying_below([0.5, 2.0], 1.0) is None
    # The demo (seed 0): data, weights and step as cli._demo builds them.
    X = data.correlated_2d(200, variance_ratio=4.0, angle=np.pi / 6, seed=0, exact=True)
    lam, U = np.linalg.eigh(np.cov(X.T, bias=True))
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    w = np.random.default_rng(0).normal(0.0, 1e-3, size=4)
    W_e, W_d = np.array([[[w[0], w[1]]]]), np.array([[[w[2]], [w[3]]]])
    run = gd_moments(lam, np.zeros(2), 1, 0.1 / lam[0], W_e @ U, U.T @ W_d, max_steps=200)
    import contextlib
    import io
    import tempfile

    from tinygrad_ae.cli import main
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()) as out:
        main(["demo", "--quick", "--no-progress", "--out", str(Path(folder) / "demo")])
    text = out.getvalue()
    angle = re.search(r"angle stays below 1e-3 rad from step (\d+)", text)
    loss = re.search(r"loss stays within 1e-6 of the bound from step (\d+)", text)
    assert angle and loss
    assert int(angle.group(1)) == int(run.steps_to_angle[0])
    assert int(loss.group(1)) == int(run.steps_to_loss[0])


def test_the_headline_spread_is_recomputed_from_its_200_seeds():
    """docs/convergence.md's headline quotes median [5–95 %] over 200 seeds of the 2-1-2
    network (λ1/λ2 = 4, η = 0.1, σ0 = 1e-3); recompute it without the engine."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"in (\d+) \[(\d+)–(\d+)\] steps and the loss to within 1e-6 of L\* in "
                      r"(\d+) \[(\d+)–(\d+)\] steps \(median \[5–95 %\] over (\d+) seeds\)", text)
    assert match, "the headline must quote median [5–95 %] and its seed count"
    numbers = [int(g) for g in match.groups()]
    seeds = numbers[-1]
    assert seeds >= 200
    lam = np.array([0.8, 0.2]) * 1.25  # total variance 1 + 1/r with r = 4: λ = (1, ¼)
    U = data.correlated_2d_directions(np.pi / 6)
    W_e, W_d = initial_weights(list(range(seeds)), 2, 1)
    run = gd_moments(lam, np.zeros(2), 1, 0.1, W_e @ U, U.T @ W_d, max_steps=5000)
    for steps, quoted in ((run.steps_to_angle, numbers[0:3]), (run.steps_to_loss, numbers[3:6])):
        assert np.all(steps > 0)
        recomputed = np.quantile(steps, [0.5, 0.05, 0.95])
        for mine, theirs in zip(recomputed, quoted):
            assert abs(round(float(mine)) - theirs) <= SAME_RUN_STEPS, (recomputed, quoted)


def test_mean_sweep_rows_and_the_centring_answer():
    rows = convergence.mean_sweep(seeds=4, norms=(0.0, 1.0), directions=("diagonal",),
                                  per_network=2, max_steps=3000)
    assert [row["norm"] for row in rows] == [0.0, 1.0]
    assert rows[1]["loss"][0] > 2 * rows[0]["loss"][0]
    assert "Yes" in convergence.centring_answer(rows)
    assert not math.isnan(rows[1]["contraction"])
