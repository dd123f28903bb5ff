"""The sweeps of the convergence study, run over seeds (in parallel processes).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from tinygrad_ae import data as _data
from tinygrad_ae.theory.dynamics import (
    expected_pi0,
    make_spectrum,
    predict_steps,
    saxe_time,
    sgd_noise_floor,
    transverse_curvature,
)

from .measure import SWEEPS, ConvergenceResult, train_until_pca

# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------

STAIRCASE_SPECTRUM = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02)
"""λ of the k = 3, m = 6 staircase run (docs/theory.md#reference-measurements)."""

# Reference medians (docs/theory.md#reference-measurements; 2-1-2 network, σ0 = 1e-3, 20 seeds),
# keyed by (λ1/λ2, ηλ1):
# (T½, T_dec, T_loss). Kept for the comparison column of the paper table.
REFERENCE_TABLE: dict[tuple[float, float], tuple[int, int, int]] = {
    (1.5, 0.05): (82, 404, 384), (1.5, 0.1): (43, 205, 196), (1.5, 0.2): (23, 106, 101),
    (1.5, 0.4): (13, 55, 53), (2.0, 0.05): (82, 247, 256), (2.0, 0.1): (43, 127, 132),
    (2.0, 0.2): (23, 67, 69), (2.0, 0.4): (13, 36, 37), (4.0, 0.05): (82, 118, 169),
    (4.0, 0.1): (43, 62, 88), (4.0, 0.2): (23, 34, 48), (4.0, 0.4): (13, 20, 27),
    (10.0, 0.05): (82, 88, 130), (10.0, 0.1): (43, 46, 67), (10.0, 0.2): (23, 25, 35),
    (10.0, 0.4): (13, 14, 26), (100.0, 0.05): (82, 82, 130), (100.0, 0.1): (43, 42, 66),
    (100.0, 0.2): (23, 23, 32), (100.0, 0.4): (13, 14, 28),
}


@dataclass(frozen=True)
class _Cell:
    """One point of a sweep: everything a run needs except the seed."""

    sweep: str
    label: str
    x: float
    model: str = "linear"
    n_features: int = 4
    n_components: int = 2
    gap: float = 4.0
    eigenvalues: tuple[float, ...] | None = None
    lr: float = 0.1
    init_scale: float = 1e-3
    method: str = "gd"
    batch_size: int | None = None
    sampling: str = "epoch"
    max_steps: int = 20_000
    n_samples: int = 200


def _cells(sweep: str, quick: bool) -> list[_Cell]:
    """The grid of one sweep (baseline: m = 4, k = 2, λ_k/λ_(k+1) = 4, η = 0.1, σ0 = 1e-3)."""
    cells: list[_Cell] = []
    if sweep == "eigengap":
        for gap in (1.5, 2.0, 4.0, 10.0, 100.0):
            cells.append(_Cell(sweep, f"{gap:g}", gap, gap=gap))
    elif sweep == "lr":
        steps: tuple[float, ...] = (0.1, 0.4, 0.55) if quick else (0.05, 0.1, 0.2, 0.4, 0.55)
        for rate in steps:
            # 0.55 > 1/(2λ_1): no minimum is stable; a short budget shows it never settles.
            cells.append(_Cell(sweep, f"{rate:g}", rate, lr=rate,
                               max_steps=1000 if rate > 0.5 else 20_000))
    elif sweep == "init":
        for scale in ((1e-2, 1e-5) if quick else (1e-2, 1e-3, 1e-5)):
            cells.append(_Cell(sweep, f"{scale:g}", scale, init_scale=scale))
    elif sweep == "batch":
        # k = 1 so that the largest principal angle is the only one (compare sgd_noise_floor).
        budget = 1500 if quick else 4000
        options: list[tuple[int | None, str]] = [(None, "epoch"), (64, "epoch"), (16, "epoch"),
                                                 (16, "iid")]
        if quick:
            options = [(16, "epoch")]
        for size, sampling in options:
            label = "full" if size is None else f"{size} ({sampling})"
            cells.append(_Cell(sweep, label, 200 if size is None else size, n_components=1,
                               method="gd" if size is None else "sgd", batch_size=size,
                               sampling=sampling, max_steps=budget))
    elif sweep == "dimension":
        shapes = ((2, 1), (16, 2)) if quick else ((2, 1), (4, 1), (8, 1), (16, 1), (4, 2),
                                                   (8, 2), (16, 2))
        for m, k in shapes:
            cells.append(_Cell(sweep, f"m={m}, k={k}", m, n_features=m, n_components=k))
    elif sweep == "method":
        choices: tuple[tuple[str, float, float], ...] = (
            ("gd", 0.1, 1e-3), ("momentum", 0.1, 1e-3), ("adam", 0.01, 1e-3)) if quick else (
            ("gd", 0.1, 1e-3), ("momentum", 0.1, 1e-3), ("momentum", 0.01, 1e-3),
            ("adam", 0.01, 1e-3), ("adam", 0.01, 1e-5), ("adam", 0.001, 1e-3))
        for method, rate, scale in choices:
            label = f"{method}, η={rate:g}" + ("" if scale == 1e-3 else f", σ0={scale:g}")
            cells.append(_Cell(sweep, label, rate, method=method, lr=rate, init_scale=scale))
    elif sweep == "paper":
        rates = (0.1,) if quick else (0.05, 0.1, 0.2, 0.4)
        for ratio in (1.5, 2.0, 4.0, 10.0, 100.0):
            for rate in rates:
                cells.append(_Cell(sweep, f"{ratio:g}, {rate:g}", ratio, model="paper",
                                   n_features=2, n_components=1, gap=ratio, lr=rate))
    elif sweep == "staircase":
        cells.append(_Cell(sweep, "k=3, m=6", 3, n_features=6, n_components=3,
                           eigenvalues=STAIRCASE_SPECTRUM))
    else:
        raise ValueError(f"study: unknown sweep {sweep!r}; choose from {', '.join(SWEEPS)}")
    return cells


def _cell_data(cell: _Cell, seed: int) -> np.ndarray:
    if cell.model == "paper":
        # λ = (1, 1/r): total variance 1 + 1/r, so ηλ_1 = η as in
        # docs/theory.md#reference-measurements.
        return _data.correlated_2d(cell.n_samples, variance_ratio=cell.gap, angle=np.pi / 6,
                                   total_variance=1.0 + 1.0 / cell.gap, seed=seed, exact=True)
    lam = (np.array(cell.eigenvalues) if cell.eigenvalues is not None
           else make_spectrum(cell.n_features, cell.n_components, cell.gap))
    X, _ = _data.with_spectrum(cell.n_samples, lam, seed=seed)
    return X


def _finite(value: Any) -> Any:
    """JSON-safe numbers: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_finite(v) for v in value]
    return value


def _run_cell(task: tuple[_Cell, int]) -> dict[str, Any]:
    """Train one (cell, seed) and flatten the result into a row."""
    cell, seed = task
    X = _cell_data(cell, seed)
    result = train_until_pca(
        X, cell.n_components, method=cell.method, lr=cell.lr, init_scale=cell.init_scale,
        batch_size=cell.batch_size, max_steps=cell.max_steps,
        seed=np.random.default_rng([seed, 1]),  # independent of the data's stream
        model=cell.model, sampling=cell.sampling,
    )
    lam = result.eigenvalues
    k = cell.n_components
    prediction = result.prediction
    row: dict[str, Any] = {
        "sweep": cell.sweep, "label": cell.label, "x": cell.x, "seed": seed,
        "model": cell.model, "n_features": cell.n_features, "n_components": k,
        "gap": float(lam[k - 1] / lam[k]), "eigenvalues": lam, "lr": cell.lr,
        "lr_lambda1": cell.lr * float(lam[0]), "init_scale": cell.init_scale,
        "method": cell.method, "batch_size": cell.batch_size, "sampling": cell.sampling,
        "max_steps": cell.max_steps,
        "steps": result.steps, "steps_to_angle": result.steps_to_angle,
        "steps_to_loss": result.steps_to_loss,
        "steps_to_encoder_angle": result.steps_to_encoder_angle,
        "steps_run": result.steps_run, "seconds": result.seconds,
        "seconds_to_converge": (None if result.steps is None else
                                max(result.seconds_to_angle or 0.0, result.seconds_to_loss or 0.0)),
        "microseconds_per_step": 1e6 * result.seconds / max(result.steps_run, 1),
        "converged": result.converged, "diverged": result.diverged,
        "half_times": result.half_times, "pi0": result.pi0,
        "saxe_half_times": result.saxe_half_times,
        "saxe_continuous_half_times": [
            saxe_time(cell.lr, float(lam[j]), p, 0.5) if 0 < p < 0.5 else None
            for j, p in enumerate(result.pi0)],
        "transverse_curvature": transverse_curvature(float(lam[k - 1]), float(lam[k])),
        "predicted_half_times": prediction.half_times if prediction else None,
        "predicted_angle_steps": prediction.angle_steps if prediction else None,
        "predicted_encoder_steps": prediction.encoder_angle_steps if prediction else None,
        "predicted_loss_steps": prediction.loss_steps if prediction else None,
        "predicted_steps_own_pi0": None, "predicted_steps_typical": None,
        "predicted_steps_naive": None,
        "final_angle": result.final_angle, "final_loss_gap": result.final_loss_gap,
        "floor_angle": result.floor_angle(), "decoder_scale": None,
        "predicted_floor": None, "predicted_floor_unbalanced": None,
    }
    if cell.method in ("gd", "sgd") and cell.lr * lam[0] < 0.5 and 0 < result.pi0[-1] < 0.5:
        row["predicted_steps_own_pi0"] = predict_steps(cell.lr, lam, k, result.pi0[-1])
        row["predicted_steps_naive"] = predict_steps(cell.lr, lam, k, result.pi0[-1], naive=True)
        row["predicted_steps_typical"] = predict_steps(
            cell.lr, lam, k, expected_pi0(cell.init_scale, k))
    if cell.batch_size is not None:
        scale = float(np.sqrt(np.mean(np.linalg.svd(result.params["W_d"], compute_uv=False)
                                      ** 2)))
        row["decoder_scale"] = scale
        row["predicted_floor"] = sgd_noise_floor(X, k, cell.lr, cell.batch_size)
        row["predicted_floor_unbalanced"] = sgd_noise_floor(X, k, cell.lr, cell.batch_size,
                                                            balance=scale)
    return {key: _finite(value) for key, value in row.items()}


def _seed_list(seeds: int | Sequence[int] | None, quick: bool, sweep: str) -> list[int]:
    if seeds is None:
        count = 3 if quick else (20 if sweep == "paper" else 10)
        return list(range(count))
    if isinstance(seeds, (int, np.integer)):
        if isinstance(seeds, bool) or seeds < 1:
            raise ValueError(f"study: seeds must be a positive count or a list of seeds, got "
                             f"{seeds!r}")
        return list(range(int(seeds)))
    chosen = [int(s) for s in seeds]
    if not chosen:
        raise ValueError("study: seeds is an empty list; give at least one seed")
    return chosen


def study(quick: bool = False, seeds: int | Sequence[int] | None = None, progress: bool = True,
          sweeps: Iterable[str] = SWEEPS, workers: int | None = 1) -> list[dict[str, Any]]:
    """Run the convergence sweeps; return one row (a JSON-ready dict) per (setting, seed).

    Data: N = 200 samples with an exact spectrum (``data.with_spectrum``; λ_1 = 1 so η = ηλ_1,
    :func:`make_spectrum`), centred, a new rotation per seed; weights N(0, σ0²), biases 0. The
    baseline is m = 4, k = 2, λ_k/λ_(k+1) = 4, full-batch GD with η = 0.1, σ0 = 1e-3, and each
    sweep moves one thing:

    - ``eigengap``: λ_k/λ_(k+1) ∈ {1.5, 2, 4, 10, 100};
    - ``lr``: ηλ_1 ∈ {0.05, 0.1, 0.2, 0.4} and 0.55, just above the limit 1/(2λ_1);
    - ``init``: σ0 ∈ {1e-2, 1e-3, 1e-5};
    - ``batch``: k = 1, full batch vs SGD with 64 and 16 rows (reshuffled epochs) and 16 rows
      drawn iid, constant η, 4000 steps (they stall at a noise floor, reported as such);
    - ``dimension``: (m, k) ∈ {2, 4, 8, 16} × {1, 2};
    - ``method``: GD, heavy ball (β = 0.9) at η = 0.1 and 0.01, Adam at η = 0.01 (σ0 = 1e-3
      and 1e-5) and 0.001;
    - ``paper``: the seed's 2-1-2 ``PaperAutoencoder`` on ``data.correlated_2d(exact=True)``
      with λ = (1, 1/r), r ∈ {1.5, 2, 4, 10, 100}, ηλ_1 ∈ {0.05, 0.1, 0.2, 0.4}
      (docs/theory.md#reference-measurements);
    - ``staircase``: k = 3 of m = 6 with λ = (1, .5, .25, .1, .05, .02).

    ``seeds``: a count or a list (default 10, 20 for ``paper``; 3 with ``quick``). ``quick``
    also trims the grids and budgets (under a minute on two cores). ``workers`` > 1 runs
    settings in that many processes (None: one per CPU). Summarise with :func:`summarize`.

    >>> rows = study(quick=True, seeds=1, sweeps=["paper"], progress=False)
    >>> [(row["label"], row["converged"]) for row in rows][:2]
    [('1.5, 0.1', True), ('2, 0.1', True)]
    """
    chosen = list(sweeps)
    for sweep in chosen:
        if sweep not in SWEEPS:
            raise ValueError(f"study: unknown sweep {sweep!r}; choose from {', '.join(SWEEPS)}")
    tasks = [(cell, seed) for sweep in chosen for cell in _cells(sweep, quick)
             for seed in _seed_list(seeds, quick, sweep)]
    count = (os.cpu_count() or 1) if workers is None else int(workers)
    if count < 1:
        raise ValueError(f"study: workers must be a positive count or None, got {workers!r}")
    rows: list[dict[str, Any] | None] = [None] * len(tasks)
    with tqdm(total=len(tasks), desc="converge", unit="run", disable=not progress) as bar:
        if count == 1:
            for i, task in enumerate(tasks):
                rows[i] = _run_cell(task)
                bar.update()
        else:
            # Longest budgets first, so no worker is left with one long run at the end.
            order = sorted(range(len(tasks)), key=lambda i: -tasks[i][0].max_steps)
            with ProcessPoolExecutor(max_workers=count) as pool:
                futures = {i: pool.submit(_run_cell, tasks[i]) for i in order}
                for i in order:
                    rows[i] = futures[i].result()
                    bar.update()
    return [row for row in rows if row is not None]


def staircase_run(seed: int = 0, lr: float = 0.1, init_scale: float = 1e-3) -> ConvergenceResult:
    """One traced GD run of k = 3 of m = 6 (λ = 1, .5, .25, .1, .05, .02): the Saxe staircase.

    >>> result = staircase_run()
    >>> result.half_times, [round(t) for t in result.saxe_half_times]
    ([34, 69, 146], [34, 69, 146])
    """
    X, _ = _data.with_spectrum(200, STAIRCASE_SPECTRUM, seed=seed)
    return train_until_pca(X, 3, lr=lr, init_scale=init_scale, max_steps=20_000,
                           seed=np.random.default_rng([seed, 1]))
