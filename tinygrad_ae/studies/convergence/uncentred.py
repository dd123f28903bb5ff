"""Uncentred data: full-batch GD over many seeds at once, and the sweep over the data mean.

Full-batch GD on the paper's loss sees the data only through their mean μ and 1/N covariance Σ
(:func:`tinygrad_ae.theory.uncentred.moment_gradients`), and GD from iid Gaussian weights is
the same in every rotated basis. So the sweep runs in the eigenbasis of Σ, with one numpy array
per parameter holding every seed: 200 seeds cost about as much as one. It is the same
arithmetic as training the model with our engine on data with that mean and spectrum; the test
suite checks the step counts against :func:`train_until_pca` run by run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_ae.theory.dynamics import expected_pi0, make_spectrum, max_stable_lr
from tinygrad_ae.theory.uncentred import predict_uncentred, predict_uncentred_network

from .report import MIN_SEEDS_FOR_RANGE

__all__ = ["BatchedRun", "initial_weights", "gd_moments", "MEAN_DIRECTIONS", "MEAN_NORMS",
           "DemoRun", "uncentred_demo_run", "prediction_band",
           "mean_direction", "mean_sweep", "mean_table", "centring_answer",
           "random_uncentred_case", "random_uncentred_runs", "ratio_summary",
           "random_uncentred_summary"]

MEAN_NORMS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0)
"""‖μ‖/√λ_1 of the sweep."""

MEAN_DIRECTIONS = ("kept", "discarded", "diagonal")
"""Where the mean points: along u_1 (inside the kept subspace), along u_(k+1) (the first
discarded axis), or along (1, …, 1)/√m in the eigenbasis (every axis alike)."""


@dataclass
class BatchedRun:
    """Full-batch GD of many networks at once (:func:`gd_moments`). Step counts are the first
    step from which the criterion held to the end of the run, −1 where it was not reached.

    >>> run = gd_moments([1.0, 0.25], [0.0, 0.0], 1, 0.1, *initial_weights([0], 2, 1))
    >>> run.steps_to_angle.tolist(), run.steps_to_loss.tolist(), run.diverged.tolist()
    ([75], [104], [False])
    """

    steps_to_angle: np.ndarray
    steps_to_loss: np.ndarray
    diverged: np.ndarray
    steps_run: int
    params: dict[str, np.ndarray]


def initial_weights(seeds: Sequence[int], n_features: int, n_components: int,
                    init_scale: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """(W_e, W_d) of shapes (S, k, m) and (S, m, k), drawn as :func:`train_until_pca` draws them
    from ``np.random.default_rng([seed, 1])``: W_e first, then W_d, iid N(0, σ0²).

    >>> W_e, W_d = initial_weights([0, 1], 2, 1)
    >>> W_e.shape, W_d.shape
    ((2, 1, 2), (2, 2, 1))
    """
    k, m = int(n_components), int(n_features)
    W_e = np.empty((len(seeds), k, m))
    W_d = np.empty((len(seeds), m, k))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng([int(seed), 1])
        W_e[i] = rng.normal(0.0, init_scale, size=(k, m))
        W_d[i] = rng.normal(0.0, init_scale, size=(m, k))
    return W_e, W_d


def gd_moments(eigenvalues: Any, mean: Any, n_components: int, lr: float, W_e: np.ndarray,
               W_d: np.ndarray, max_steps: int = 20_000, angle_tol: float = 1e-3,
               loss_rtol: float = 1e-6, hold: int = 50) -> BatchedRun:
    """Full-batch GD with biases starting at 0, for a stack of initial weights, in the eigenbasis.

    ``eigenvalues`` λ (descending) and ``mean`` (μ_j = u_jᵀ μ) describe the data; W_e (S, k, m)
    and W_d (S, m, k) are the starting weights of S networks in that basis. Each step applies
    the moment gradients of :func:`tinygrad_ae.theory.uncentred.moment_gradients` to every
    network. The criteria are those of :func:`train_until_pca`, evaluated after every step:
    the decoder's largest principal angle to span(u_1 … u_k) below ``angle_tol`` and
    (L − L*)/L* below ``loss_rtol``, L* = Σ_{j>k} λ_j. A network stops counting once both
    have held ``hold`` steps; one whose weights pass 1e6 is marked diverged.

    >>> run = gd_moments([1.0, 0.25], [0.0, 2.0], 1, 0.1, *initial_weights([0], 2, 1))
    >>> int(run.steps_to_angle[0]) > 200
    True
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    k, m = int(n_components), lam.size
    encoder = np.array(W_e, dtype=np.float64)
    decoder = np.array(W_d, dtype=np.float64)
    count = encoder.shape[0]
    encoder_bias = np.zeros((count, k))
    decoder_bias = np.zeros((count, m))
    floor = float(lam[k:].sum())
    identity = np.eye(m)
    since = {"angle": np.zeros(count, int), "loss": np.zeros(count, int)}
    holding = {"angle": np.zeros(count, bool), "loss": np.zeros(count, bool)}
    diverged = np.zeros(count, bool)
    done = np.zeros(count, bool)
    step = 0
    while True:
        residual = identity - decoder @ encoder
        e = residual @ mu - np.einsum("sij,sj->si", decoder, encoder_bias) - decoder_bias
        loss = np.einsum("sij,j,sij->s", residual, lam, residual) + (e * e).sum(axis=1)
        gram = np.einsum("sji,sjk->sik", decoder, decoder)
        tail = np.einsum("sji,sjk->sik", decoder[:, k:], decoder[:, k:])
        bad = diverged | ~np.isfinite(loss) | ~np.isfinite(gram).all(axis=(1, 2))
        gram[bad] = np.eye(k)
        # a collapsed decoder column leaves no subspace to measure: count the angle as failing
        collapsed = ~(np.linalg.det(gram) > 1e-200)
        bad |= collapsed
        gram[collapsed] = np.eye(k)
        tail[bad] = 0.0
        # sin² of the largest principal angle: the largest eigenvalue of gram⁻¹ tail
        if k == 1:
            sine2 = tail[:, 0, 0] / gram[:, 0, 0]
        else:
            sine2 = np.linalg.eigvals(np.linalg.solve(gram, tail)).real.max(axis=1)
        angle = np.arcsin(np.sqrt(np.clip(sine2, 0.0, 1.0)))
        checks = {"angle": (angle < angle_tol) & ~bad,
                  "loss": ((loss - floor) / floor < loss_rtol) & ~bad}
        for name, ok in checks.items():
            since[name] = np.where(ok & ~holding[name] & ~done, step, since[name])
            holding[name] = np.where(done, holding[name], ok)
        done |= (holding["angle"] & holding["loss"]
                 & (step - np.maximum(since["angle"], since["loss"]) >= hold)) | diverged
        if done.all() or step >= max_steps:
            break
        weighted = residual * lam
        code_mean = np.einsum("sij,j->si", encoder, mu) + encoder_bias
        pulled = weighted + e[:, :, None] * mu[None, None, :]
        g_encoder = -2.0 * np.einsum("sji,sjk->sik", decoder, pulled)
        g_encoder_bias = -2.0 * np.einsum("sji,sj->si", decoder, e)
        g_decoder = -2.0 * (np.einsum("sij,skj->sik", weighted, encoder)
                            + e[:, :, None] * code_mean[:, None, :])
        g_decoder_bias = -2.0 * e
        live = ~done[:, None]
        encoder -= lr * g_encoder * live[:, :, None]
        encoder_bias -= lr * g_encoder_bias * live
        decoder -= lr * g_decoder * live[:, :, None]
        decoder_bias -= lr * g_decoder_bias * live
        with np.errstate(invalid="ignore"):
            blown = ~(np.abs(decoder).max(axis=(1, 2)) < 1e6) | ~(np.abs(decoder_bias).max(
                axis=1) < 1e6)
        if blown.any():
            diverged |= blown
            for array in (encoder, decoder, encoder_bias, decoder_bias):
                array[blown] = 0.0
        step += 1

    def reached(name: str) -> np.ndarray:
        return np.where(holding[name] & ~diverged, since[name], -1)

    return BatchedRun(reached("angle"), reached("loss"), diverged, step,
                      {"W_e": encoder, "b_e": encoder_bias, "W_d": decoder,
                       "b_d": decoder_bias})


def mean_direction(direction: str, n_features: int, n_components: int) -> np.ndarray:
    """The unit vector of a :data:`MEAN_DIRECTIONS` name, in the eigenbasis.

    >>> mean_direction("discarded", 4, 2)
    array([0., 0., 1., 0.])
    """
    m, k = int(n_features), int(n_components)
    if direction == "kept":
        return np.eye(m)[0]
    if direction == "discarded":
        return np.eye(m)[k]
    if direction == "diagonal":
        return np.ones(m) / math.sqrt(m)
    raise ValueError(f"mean_direction: direction must be one of "
                     f"{', '.join(map(repr, MEAN_DIRECTIONS))}, got {direction!r}")


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """(median, 5th, 95th percentile) with not-reached (−1) counted as +∞."""
    data = np.where(values < 0, np.inf, values.astype(float))
    q = np.quantile(np.minimum(data, 1e300), [0.5, 0.05, 0.95])
    return tuple(math.inf if v >= 1e299 else float(v) for v in q)  # type: ignore[return-value]


def mean_sweep(model: str = "paper", seeds: int = 200, norms: Sequence[float] = MEAN_NORMS,
               directions: Sequence[str] = MEAN_DIRECTIONS, lr: float = 0.1,
               init_scale: float = 1e-3, max_steps: int = 20_000,
               per_network: int = 40) -> list[dict[str, Any]]:
    """Steps to PCA against the data mean, measured over ``seeds`` networks and predicted.

    ``model="paper"``: the 2-1-2 network, λ = (1, ¼); ``"m16k4"``: a linear AE with m = 16,
    k = 4 on ``make_spectrum(16, 4, gap=4)``. For each direction and each ‖μ‖/√λ_1 in
    ``norms`` one row: the measured step counts at step ``lr`` (median, 5th and 95th
    percentile, not-reached as +∞), how many runs diverged, the typical prediction
    (:func:`predict_uncentred` with ``expected_pi0``), the per-network prediction's ratio to
    the measurement over the first ``per_network`` seeds (lists ``ratios_angle`` and
    ``ratios_loss``), and the measured median at the step
    the bias-aware rule allows, min(lr, ``max_stable_lr(...).safe``).

    >>> rows = mean_sweep(seeds=3, norms=(0.0,), directions=("kept",), per_network=2)
    >>> rows[0]["angle"][0] > 0, rows[0]["diverged"]
    (True, 0)
    """
    if model == "paper":
        lam, k = np.array([1.0, 0.25]), 1
    elif model == "m16k4":
        lam, k = make_spectrum(16, 4, gap=4.0), 4
    else:
        raise ValueError(f"mean_sweep: model must be 'paper' or 'm16k4', got {model!r}")
    m = lam.size
    chosen = list(range(int(seeds)))
    W_e, W_d = initial_weights(chosen, m, k, init_scale)
    pi0 = expected_pi0(init_scale, k)
    rows = []
    for direction in directions:
        unit = mean_direction(direction, m, k)
        for norm in norms:
            mu = float(norm) * math.sqrt(float(lam[0])) * unit
            run = gd_moments(lam, mu, k, lr, W_e, W_d, max_steps=max_steps)
            typical = predict_uncentred(lr, lam, mu, k, pi0, horizon=max_steps)
            ratios_angle, ratios_loss = [], []
            for i in range(min(per_network, len(chosen))):
                if run.steps_to_angle[i] <= 0 or run.steps_to_loss[i] <= 0:
                    continue
                own = predict_uncentred_network(W_e[i], W_d[i], lam, np.eye(m), mu, lr,
                                                 horizon=max_steps)
                if own.angle_steps:
                    ratios_angle.append(own.angle_steps / run.steps_to_angle[i])
                if own.loss_steps:
                    ratios_loss.append(own.loss_steps / run.steps_to_loss[i])
            safe = min(lr, max_stable_lr(lam, mean=mu).safe)
            if safe < lr:
                slow = gd_moments(lam, mu, k, safe, W_e, W_d, max_steps=max_steps)
                safe_angle, safe_loss = (_quantiles(slow.steps_to_angle)[0],
                                         _quantiles(slow.steps_to_loss)[0])
            else:
                safe_angle, safe_loss = _quantiles(run.steps_to_angle)[0], _quantiles(
                    run.steps_to_loss)[0]
            rows.append({
                "model": model, "direction": direction, "norm": float(norm), "lr": lr,
                "seeds": len(chosen), "angle": _quantiles(run.steps_to_angle),
                "loss": _quantiles(run.steps_to_loss), "diverged": int(run.diverged.sum()),
                "predicted_angle": typical.angle_steps, "predicted_loss": typical.loss_steps,
                "predicted_stable": typical.stable, "contraction": typical.contraction,
                "sharpest": typical.sharp_curvature,
                "ratios_angle": ratios_angle, "ratios_loss": ratios_loss,
                "safe_lr": safe, "safe_angle": safe_angle, "safe_loss": safe_loss,
            })
    return rows


def _cell(q: tuple[float, float, float] | None, seeds: int) -> str:
    """"median [5–95 %]", the median alone below MIN_SEEDS_FOR_RANGE seeds."""
    if q is None:
        return "–"
    median, low, high = q
    if math.isinf(median):
        return "not reached"
    if seeds < MIN_SEEDS_FOR_RANGE:
        return f"{median:.0f}"
    high_text = "∞" if math.isinf(high) else f"{high:.0f}"
    return f"{median:.0f} [{low:.0f}–{high_text}]"


def _ratio(values: Sequence[float]) -> str:
    """The median ratio; a range only over MIN_SEEDS_FOR_RANGE runs or more."""
    if not values:
        return "–"
    q = np.quantile(values, [0.5, 0.05, 0.95])
    if len(values) < MIN_SEEDS_FOR_RANGE:
        return f"{q[0]:.2f}"
    return f"{q[0]:.2f} [{q[1]:.2f}–{q[2]:.2f}]"


def prediction_band(rows: Sequence[dict[str, Any]]) -> str:
    """The per-network prediction over every run the sweep predicted, pooled across cells:
    predicted / measured steps as median [5–95 %], with the run count.

    >>> prediction_band([{"ratios_angle": [1.0, 1.1], "ratios_loss": [0.9, 1.0]}])
    'angle 1.05, loss 0.95 (2 runs)'
    """
    angle = [v for row in rows for v in row.get("ratios_angle", [])]
    loss = [v for row in rows for v in row.get("ratios_loss", [])]
    return f"angle {_ratio(angle)}, loss {_ratio(loss)} ({len(angle)} runs)"


def mean_table(rows: Sequence[dict[str, Any]]) -> str:
    """The sweep as Markdown: one line per (direction, ‖μ‖/√λ_1). Step counts read
    "median [5–95 %]" over the seeds (the median alone below ``MIN_SEEDS_FOR_RANGE`` seeds);
    the per-network ratios are medians over the networks predicted in each cell (pool them with
    :func:`prediction_band`).

    >>> table = mean_table(mean_sweep(seeds=3, norms=(0.0,), directions=("kept",),
    ...                               per_network=2))
    >>> table.splitlines()[0].split(" | ")[1], table.splitlines()[2].split(" | ")[:2]
    ('‖μ‖/√λ1', ['| kept', '0'])
    """
    header = ["mean along", "‖μ‖/√λ1", "steps to angle, median [5–95 %]", "predicted",
              "steps to loss, median [5–95 %]", "predicted",
              "per network / measured: angle, loss (median)", "diverged",
              "safe η", "angle, loss at safe η (median)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        predicted_angle = (str(row["predicted_angle"]) if row["predicted_stable"]
                           and row["predicted_angle"] is not None else "unstable")
        predicted_loss = (str(row["predicted_loss"]) if row["predicted_stable"]
                          and row["predicted_loss"] is not None else "unstable")
        safe_text = ", ".join("not reached" if math.isinf(v) else f"{v:.0f}"
                              for v in (row["safe_angle"], row["safe_loss"]))
        lines.append("| " + " | ".join([
            row["direction"], f"{row['norm']:g}", _cell(row["angle"], row["seeds"]),
            predicted_angle, _cell(row["loss"], row["seeds"]), predicted_loss,
            f"{_ratio(row['ratios_angle'])}, {_ratio(row['ratios_loss'])}",
            f"{row['diverged']}/{row['seeds']}", f"{row['safe_lr']:.3g}", safe_text]) + " |")
    return "\n".join(lines)


def centring_answer(rows: Sequence[dict[str, Any]]) -> str:
    """One sentence: should you centre your data first? With the numbers from ``rows``.

    >>> rows = mean_sweep(seeds=3, norms=(0.0, 1.0), directions=("diagonal",), per_network=0)
    >>> centring_answer(rows).startswith("Yes")
    True
    """
    centred = [r for r in rows if r["norm"] == 0.0]
    if not centred:
        return "(run the sweep with ‖μ‖ = 0 for the answer)"
    base = centred[0]["loss"][0]
    worst_at_one = max((r for r in rows if r["norm"] == 1.0), key=lambda r: r["loss"][0],
                       default=None)
    first_diverging = min((r["norm"] for r in rows if r["diverged"] > r["seeds"] // 2),
                          default=None)
    text = "Yes"
    if worst_at_one is not None:
        text += (f": a mean of just 1·√λ1 ({worst_at_one['direction']} direction) takes "
                 f"{worst_at_one['loss'][0]:.0f} steps to the loss criterion against "
                 f"{base:.0f} centred ({worst_at_one['loss'][0] / base:.1f}×)")
    if first_diverging is not None:
        text += (f", and from ‖μ‖ = {first_diverging:g}·√λ1 most runs at the same step "
                 f"diverge")
    return text + "; centring costs one pass over the data."


@dataclass
class DemoRun:
    """One engine run of the paper's network on uncentred data, with the prediction made before
    it (see :func:`uncentred_demo_run`). Steps are None when not reached.

    >>> DemoRun(300, 420, 310, 430).steps_to_loss
    420
    """

    steps_to_angle: int | None
    steps_to_loss: int | None
    predicted_angle: int | None
    predicted_loss: int | None


def uncentred_demo_run(X: Any, weights: Any, lr: float, max_steps: int = 20_000,
                       hold: int = 50) -> DemoRun:
    """Train the 2-1-2 ``PaperAutoencoder`` with our engine on X (any mean) from the weights
    (w1, w2, w3, w4) and biases 0, by full-batch GD with step ``lr``; count the steps as
    :func:`train_until_pca` does (the loss and the angle of (w3, w4) after each step) and
    predict them first with :func:`predict_uncentred_network`.

    >>> from tinygrad_ae import data
    >>> X = data.correlated_2d(200, 4.0, mean=(1.0, -2.0), total_variance=1.25, seed=0,
    ...                        exact=True)
    >>> run = uncentred_demo_run(X, [1e-3, -2e-4, 5e-4, 1e-3], 0.1)
    >>> run.steps_to_angle is not None and abs(run.predicted_angle / run.steps_to_angle - 1) < 0.3
    True
    """
    from tinygrad_ae import models as _models
    from tinygrad_ae import optim as _optim

    from .measure import _Evaluator, _linear_params

    array = np.asarray(X, dtype=np.float64)
    evaluator = _Evaluator(array, 1, "uncentred_demo_run")
    w1, w2, w3, w4 = (float(v) for v in weights)
    prediction = predict_uncentred_network(
        np.array([[w1, w2]]), np.array([[w3], [w4]]), evaluator.eigenvalues,
        evaluator.components, evaluator.mean, lr, horizon=max_steps)
    model = _models.PaperAutoencoder(w1=w1, w2=w2, w3=w3, w4=w4, b1=0.0, b2=0.0, b3=0.0)
    optimizer = _optim.SGD(model.parameters(), lr=lr)
    since = {"angle": 0, "loss": 0}
    holding = {"angle": False, "loss": False}
    for step in range(max_steps + 1):
        if step > 0:
            optimizer.zero_grad()
            model.loss(array).backward()
            optimizer.step()
        W_e, b_e, W_d, b_d = _linear_params(model)
        loss = evaluator.loss(W_e, b_e, W_d, b_d)
        if not math.isfinite(loss):
            return DemoRun(None, None, prediction.angle_steps, prediction.loss_steps)
        checks = {"angle": evaluator.angle(W_d) < 1e-3,
                  "loss": (loss - evaluator.min_loss) / evaluator.min_loss < 1e-6}
        for name, ok in checks.items():
            if ok and not holding[name]:
                since[name] = step
            holding[name] = ok
        if all(holding.values()) and step - max(since.values()) >= hold:
            break
    return DemoRun(since["angle"] if holding["angle"] else None,
                   since["loss"] if holding["loss"] else None,
                   prediction.angle_steps, prediction.loss_steps)


# ---------------------------------------------------------------------------------------------
# Random spectra and means: the population of tests/studies/test_uncentred.py, seeded
# ---------------------------------------------------------------------------------------------


def random_uncentred_case(rng: np.random.Generator) -> tuple[np.ndarray, int, np.ndarray, int]:
    """One draw ``(λ, k, μ, first_seed)`` from the population of the ``uncentred_cases``
    strategy of tests/studies/test_uncentred.py, made with a numpy Generator instead of
    hypothesis (uniform draws; hypothesis leans towards the ends of each range).

    The population:

    - m uniform in {2, 3, 4}, k uniform in {1, …, min(2, m − 1)};
    - λ as :func:`tinygrad_ae.strategies.spectra` (min_gap 2, min_eigenvalue 0.05): λ_1 = 1,
      each further kept eigenvalue the previous one / U(1.2, 3), λ_(k+1) = max(λ_k / U(2, 8),
      0.1), each later one max(previous / U(1, 2), 0.05);
    - μ = s d/‖d‖ in the eigenbasis with d uniform in [−1, 1]^m (e_1 if ‖d‖ < 1e-3) and
      s = ‖μ‖/√λ_1 uniform in [0, 1.5];
    - the first of the case's initial-weight seeds uniform in {0, …, 1000}.

    >>> lam, k, mu, first = random_uncentred_case(np.random.default_rng(0))
    >>> lam[0] == 1.0 and 1 <= k < lam.size <= 4 and float(np.linalg.norm(mu)) <= 1.5
    True
    """
    m = int(rng.integers(2, 5))
    k = int(rng.integers(1, min(2, m - 1) + 1))
    values = [1.0]
    for _ in range(1, k):
        values.append(values[-1] / rng.uniform(1.2, 3.0))
    values.append(max(values[-1] / rng.uniform(2.0, 8.0), 2 * 0.05))
    for _ in range(k + 1, m):
        values.append(max(values[-1] / rng.uniform(1.0, 2.0), 0.05))
    direction = rng.uniform(-1.0, 1.0, size=m)
    if np.linalg.norm(direction) < 1e-3:
        direction = np.eye(m)[0]
    size = rng.uniform(0.0, 1.5)
    first = int(rng.integers(0, 1001))
    return np.array(values), k, size * direction / np.linalg.norm(direction), first


def random_uncentred_runs(draws: int = 150, seeds: int = 12, seed: int = 0,
                          max_steps: int = 20_000) -> list[dict[str, Any]]:
    """Measure ``predict_uncentred_network`` on ``draws`` cases of :func:`random_uncentred_case`
    (from ``np.random.default_rng(seed)``), ``seeds`` networks each (seeds first … first +
    seeds − 1 of :func:`initial_weights`), η = 0.1, as the tests do: one row per case with
    ``ratios`` (predicted / measured steps, angle and loss of every network; NaN where a
    criterion was not reached or not predicted) and ``gauge`` (per network and kept mode, the
    scaled gauge error |u_iᵀ W_d b_e − v_d,i β_i| / (|v_d,i β_i| + 0.2) of a second run to
    loss_rtol 1e-12, angle_tol 1e-6; it is ≤ r exactly when the error is within r·|v_d β| +
    0.2 r, the shape of the test's tolerance 20 % + 0.04) and ``image`` (the largest
    |W_d b_e + b_d − (I − P) μ| of that run).

    >>> rows = random_uncentred_runs(draws=1, seeds=2, max_steps=3000)
    >>> len(rows[0]["ratios"]), len(rows[0]["gauge"]) >= 2
    (4, True)
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(draws):
        lam, k, mu, first = random_uncentred_case(rng)
        networks = list(range(first, first + seeds))
        W_e, W_d = initial_weights(networks, lam.size, k)
        run = gd_moments(lam, mu, k, 0.1, W_e, W_d, max_steps=max_steps)
        tight = gd_moments(lam, mu, k, 0.1, W_e, W_d, max_steps=max_steps, loss_rtol=1e-12,
                           angle_tol=1e-6)
        image = mu.copy()
        image[:k] = 0.0
        ratios: list[float] = []
        gauge: list[float] = []
        worst_image = 0.0
        for i in range(seeds):
            predicted = predict_uncentred_network(W_e[i], W_d[i], lam, np.eye(lam.size), mu, 0.1)
            for measured, guess in ((run.steps_to_angle[i], predicted.angle_steps),
                                    (run.steps_to_loss[i], predicted.loss_steps)):
                ratios.append(guess / measured if measured > 0 and guess is not None
                              else math.nan)
            if tight.steps_to_loss[i] <= 0:
                gauge += [math.nan] * k
                continue
            decoder, encoder_bias = tight.params["W_d"][i], tight.params["b_e"][i]
            worst_image = max(worst_image, float(np.abs(
                decoder @ encoder_bias + tight.params["b_d"][i] - image).max()))
            along = decoder[:k] @ encoder_bias
            for mode in range(k):
                beta = predicted.decoder_scales[mode] * predicted.encoder_bias[mode]
                gauge.append(abs(float(along[mode]) - beta) / (abs(beta) + 0.2))
        rows.append({"eigenvalues": lam.tolist(), "k": k, "mean": mu.tolist(), "first": first,
                     "ratios": ratios, "gauge": gauge, "image": worst_image})
    return rows


def ratio_summary(values: Sequence[float], band: tuple[float, float] = (0.9, 1.1),
                  ) -> dict[str, float]:
    """The spread of ``values`` (NaN counts as missing): ``count``, ``missing``, the 2 % and
    98 % quantiles, ``min``, ``max``, ``median`` and ``within``, the share inside ``band``
    (ends included).

    >>> s = ratio_summary([0.5, 1.0, 1.0, 1.05, 2.0, float("nan")])
    >>> s["count"], s["missing"], s["min"], s["max"], s["median"], s["within"]
    (5, 1, 0.5, 2.0, 1.0, 0.6)
    """
    array = np.asarray(values, dtype=np.float64)
    good = array[np.isfinite(array)]
    if good.size == 0:
        return {"count": 0, "missing": int(array.size), "q02": math.nan, "q98": math.nan,
                "min": math.nan, "max": math.nan, "median": math.nan, "within": math.nan}
    q02, q98 = np.quantile(good, [0.02, 0.98])
    return {"count": int(good.size), "missing": int(array.size - good.size),
            "q02": float(q02), "q98": float(q98), "min": float(good.min()),
            "max": float(good.max()), "median": float(np.median(good)),
            "within": float(np.mean((good >= band[0]) & (good <= band[1])))}


def random_uncentred_summary(rows: Sequence[dict[str, Any]],
                             band: tuple[float, float] = (0.9, 1.1)) -> str:
    """One paragraph of the figures of :func:`random_uncentred_runs`: predicted / measured
    over every ratio, the range of the per-draw medians, and the gauge's 99 % and worst
    scaled errors (see :func:`random_uncentred_runs`).

    >>> rows = [{"ratios": [1.0, 1.0, 0.9, 1.2], "gauge": [0.05, 0.1], "image": 1e-7},
    ...         {"ratios": [1.1, 1.1, 1.1, float("nan")], "gauge": [0.0, 0.0], "image": 0.0}]
    >>> print(random_uncentred_summary(rows))  # doctest: +NORMALIZE_WHITESPACE
    2 draws, 4 networks, 8 ratios (7 with both counts): predicted / measured steps 2–98 %
    0.91–1.19, all within 0.90–1.20, median 1.10, 86 % within 0.9–1.1; the median of a draw's
    ratios 1.00–1.10. Gauge (run to loss_rtol 1e-12): 99 % of the 4 kept modes within
    9.9 % + 0.020 of v_d β, the worst within 10 % + 0.020; x̂(μ) = (I − P) μ to 1.0e-07.
    """
    ratios = [r for row in rows for r in row["ratios"]]
    gauge = [g for row in rows for g in row["gauge"]]
    s = ratio_summary(ratios, band)
    medians = [float(np.nanmedian(row["ratios"])) for row in rows
               if np.isfinite(row["ratios"]).any()]
    g = ratio_summary(gauge)
    good_gauge = np.asarray(gauge, dtype=np.float64)
    good_gauge = good_gauge[np.isfinite(good_gauge)]
    g99 = float(np.quantile(good_gauge, 0.99)) if good_gauge.size else math.nan
    networks = sum(len(row["ratios"]) // 2 for row in rows)

    def pct(x: float) -> str:
        return f"{100 * x:.2g} %"

    text = (f"{len(rows)} draws, {networks} networks, {len(ratios)} ratios "
            f"({s['count']} with both counts): predicted / measured steps 2–98 % "
            f"{s['q02']:.2f}–{s['q98']:.2f}, all within {s['min']:.2f}–{s['max']:.2f}, "
            f"median {s['median']:.2f}, {100 * s['within']:.0f} % within "
            f"{band[0]:g}–{band[1]:g}; the median of a draw's ratios "
            f"{min(medians):.2f}–{max(medians):.2f}. Gauge (run to loss_rtol 1e-12): 99 % of the "
            f"{g['count']} kept modes within {pct(g99)} + {0.2 * g99:.3f} of v_d β, the worst "
            f"within {pct(g['max'])} + {0.2 * g['max']:.3f}; x̂(μ) = (I − P) μ to "
            f"{max(row['image'] for row in rows):.1e}.")
    located = [(r, d, i // 2) for d, row in enumerate(rows) for i, r in enumerate(row["ratios"])
               if math.isfinite(r)]
    if located and all("k" in row for row in rows):
        for word, (r, d, net) in (("lowest", min(located)), ("highest", max(located))):
            row = rows[d]
            text += (f" The {word} ratio, {r:.2f}, is draw {d} (m = {len(row['eigenvalues'])}, "
                     f"k = {row['k']}, initial-weight seed {row['first'] + net}).")
    if g["missing"]:
        text += f" ({g['missing']} kept modes did not reach the tight loss criterion.)"
    return text
