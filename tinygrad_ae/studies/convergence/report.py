"""Summaries and Markdown tables of the convergence study.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tinygrad_ae import data as _data
from tinygrad_ae.theory.dynamics import make_spectrum

from .measure import ConvergenceResult, train_until_pca
from .sweep import REFERENCE_TABLE, staircase_run

# ---------------------------------------------------------------------------------------------
# Summaries and tables
# ---------------------------------------------------------------------------------------------


MIN_SEEDS_FOR_RANGE = 200
"""A spread is shown only over at least this many seeds; below it a table shows the median alone
(a 10- or 20-seed range says more about which seeds were drawn than about the method)."""

QUANTILES = (0.05, 0.95)
"""The quantiles every range shows: "median [5–95 %]"."""


def _quartiles(values: Iterable[float | None]) -> tuple[float, float, float] | None:
    """(median, 5th, 95th percentile), a missing value counting as +∞ (not reached). With fewer
    than :data:`MIN_SEEDS_FOR_RANGE` values the two quantiles are NaN: no range is shown."""
    data = [math.inf if v is None else float(v) for v in values]
    if not data:
        return None
    big = 1e300
    q = np.quantile(np.minimum(data, big), [0.5, *QUANTILES])
    median, low, high = (math.inf if v >= big / 2 else float(v) for v in q)
    if len(data) < MIN_SEEDS_FOR_RANGE:
        return median, math.nan, math.nan
    return median, low, high


def _ratios(rows: Sequence[dict[str, Any]], measured: str, predicted: str,
            index: int | None = None) -> list[float]:
    out = []
    for row in rows:
        a, b = row.get(measured), row.get(predicted)
        if index is not None:
            a = a[index] if a else None
            b = b[index] if b else None
        if a and b:
            out.append(b / a)
    return out


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per (sweep, setting), in run order: the count, how many converged or diverged,
    and (median, 5th, 95th percentile) of every measured and predicted step count over seeds
    (the percentiles NaN below :data:`MIN_SEEDS_FOR_RANGE` seeds). Runs that never reached a
    criterion count as +∞, so a median can be "not reached".

    >>> summarize([{"sweep": "lr", "label": "0.1", "steps": s, "converged": True}
    ...            for s in (10, 20, 30)])[0]["steps"]
    (20.0, nan, nan)
    >>> summarize([{"sweep": "lr", "label": "0.1", "steps": s, "converged": True}
    ...            for s in range(1, 201)])[0]["steps"]
    (100.5, 10.95, 190.05)
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["sweep"], row["label"]), []).append(row)
    keys = ["steps", "steps_to_angle", "steps_to_loss", "steps_to_encoder_angle",
            "predicted_angle_steps", "predicted_loss_steps", "predicted_encoder_steps",
            "predicted_steps_own_pi0", "predicted_steps_typical", "predicted_steps_naive",
            "final_angle", "final_loss_gap", "floor_angle", "predicted_floor",
            "predicted_floor_unbalanced", "decoder_scale", "seconds", "seconds_to_converge",
            "microseconds_per_step"]
    summaries = []
    for group in groups.values():
        first = group[0]
        summary: dict[str, Any] = {
            key: first.get(key) for key in ("sweep", "label", "x", "model", "n_features",
                                            "n_components", "gap", "lr", "lr_lambda1",
                                            "init_scale", "method", "batch_size", "sampling",
                                            "transverse_curvature", "max_steps")}
        summary["runs"] = len(group)
        summary["converged"] = sum(bool(r.get("converged")) for r in group)
        summary["diverged"] = sum(bool(r.get("diverged")) for r in group)
        for key in keys:
            if any(key in r and r[key] is not None for r in group):
                summary[key] = _quartiles(r.get(key) for r in group)
        k = int(first.get("n_components") or 1)
        for j in range(k):
            for key in ("half_times", "saxe_half_times", "saxe_continuous_half_times",
                        "predicted_half_times", "pi0"):
                values = [r[key][j] if r.get(key) else None for r in group]
                if any(v is not None for v in values):
                    summary[f"{key}_{j + 1}"] = _quartiles(values)
        summaries.append(summary)
    return summaries


def _steps(q: tuple[float, float, float] | None, iqr: bool = True, digits: int = 0) -> str:
    """"median [5th–95th]", or the median alone when asked or when too few seeds gave a range."""
    if q is None:
        return "–"
    median, low, high = q
    if math.isinf(median):
        return "not reached"

    def fmt(v: float) -> str:
        return "∞" if math.isinf(v) else f"{v:.{digits}f}"

    if not iqr or math.isnan(low):
        return fmt(median)
    return f"{fmt(median)} [{fmt(low)}–{fmt(high)}]"


def _sci(q: tuple[float, float, float] | None) -> str:
    return "–" if q is None or not math.isfinite(q[0]) else f"{q[0]:.2g}"


def _table(header: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def _ratio_cell(values: list[float]) -> str:
    if not values:
        return "–"
    q = np.quantile(values, [0.5, *QUANTILES])
    if len(values) < MIN_SEEDS_FOR_RANGE:
        return f"{q[0]:.3f}"
    return f"{q[0]:.3f} [{q[1]:.3f}–{q[2]:.3f}]"


def markdown_tables(rows: Sequence[dict[str, Any]],
                    headline_rows: Sequence[dict[str, Any]] | None = None) -> dict[str, str]:
    """Markdown for docs/convergence.md, one entry per sweep present in ``rows`` plus
    ``accuracy`` (predicted/measured ratios) and ``headline`` (the answer in one paragraph).
    Step counts read "median [5th–95th percentile]" over seeds when there are at least
    :data:`MIN_SEEDS_FOR_RANGE` of them, the median alone otherwise. ``headline_rows``: the
    runs the headline quotes (default ``rows``), e.g. a 200-seed rerun of the paper network.

    >>> rows = [{"sweep": "init", "label": "0.001", "init_scale": 1e-3, "steps_to_angle": 50,
    ...          "converged": True, "n_components": 1}]
    >>> print(markdown_tables(rows)["init"].splitlines()[2])
    | 0.001 | – | – | – | 50 | – | – | – | 1/1 |
    """
    summaries = summarize(rows)
    by_sweep: dict[str, list[dict[str, Any]]] = {}
    for s in summaries:
        by_sweep.setdefault(s["sweep"], []).append(s)
    tables: dict[str, str] = {}

    def last(s: dict[str, Any], key: str) -> Any:
        return s.get(f"{key}_{int(s.get('n_components') or 1)}")

    def done(s: dict[str, Any]) -> str:
        text = f"{s['converged']}/{s['runs']}"
        return text + (f" ({s['diverged']} diverged)" if s.get("diverged") else "")

    if "eigengap" in by_sweep:
        tables["eigengap"] = _table(
            ["λ_k/λ_(k+1)", "h_s", "T½ (mode k)", "Saxe T½", "steps to angle",
             "predicted", "one-line (own π0)", "steps to loss", "predicted", "converged"],
            [[s["label"], f"{s['transverse_curvature']:.3f}", _steps(last(s, "half_times")),
              _steps(last(s, "saxe_half_times"), False), _steps(s.get("steps_to_angle")),
              _steps(s.get("predicted_angle_steps"), False),
              _steps(s.get("predicted_steps_own_pi0"), False), _steps(s.get("steps_to_loss")),
              _steps(s.get("predicted_loss_steps"), False), done(s)]
             for s in by_sweep["eigengap"]])
    if "lr" in by_sweep:
        lines = []
        for s in by_sweep["lr"]:
            eta = s["lr"]
            steps = s.get("steps")
            scaled = "–" if steps is None or math.isinf(steps[0]) else f"{steps[0] * eta:.1f}"
            lines.append([s["label"], _steps(s.get("steps_to_angle")),
                          _steps(s.get("steps_to_loss")), scaled,
                          _steps(last(s, "half_times")),
                          _steps(last(s, "saxe_half_times"), False),
                          _steps(last(s, "saxe_continuous_half_times"), False, 1),
                          _sci(s.get("final_loss_gap")), done(s)])
        tables["lr"] = _table(["ηλ_1", "steps to angle", "steps to loss", "steps × η",
                               "T½ (mode k)", "Saxe T½ discrete", "continuous",
                               "final (L − L*)/L*", "converged"], lines)
    if "init" in by_sweep:
        tables["init"] = _table(
            ["σ0", "π0 (mode k)", "T½ (mode k)", "Saxe T½", "steps to angle",
             "steps to loss", "encoder angle", "predicted loss", "converged"],
            [[s["label"], _sci(last(s, "pi0")), _steps(last(s, "half_times")),
              _steps(last(s, "saxe_half_times"), False), _steps(s.get("steps_to_angle")),
              _steps(s.get("steps_to_loss")), _steps(s.get("steps_to_encoder_angle")),
              _steps(s.get("predicted_loss_steps"), False), done(s)]
             for s in by_sweep["init"]])
    if "batch" in by_sweep:
        tables["batch"] = _table(
            ["batch", "steps to angle", "RMS angle, last half", "predicted floor (c = 1)",
             "decoder scale c", "predicted floor (c)", "final (L − L*)/L*", "converged"],
            [[s["label"], _steps(s.get("steps_to_angle")), _sci(s.get("floor_angle")),
              _sci(s.get("predicted_floor")), _sci(s.get("decoder_scale")),
              _sci(s.get("predicted_floor_unbalanced")), _sci(s.get("final_loss_gap")),
              done(s)] for s in by_sweep["batch"]])
    if "dimension" in by_sweep:
        tables["dimension"] = _table(
            ["shape", "T½ (mode k)", "steps to angle", "predicted", "steps to loss",
             "predicted", "µs per step", "converged"],
            [[s["label"], _steps(last(s, "half_times")), _steps(s.get("steps_to_angle")),
              _steps(s.get("predicted_angle_steps"), False), _steps(s.get("steps_to_loss")),
              _steps(s.get("predicted_loss_steps"), False),
              _steps(s.get("microseconds_per_step"), False), done(s)]
             for s in by_sweep["dimension"]])
    if "method" in by_sweep:
        tables["method"] = _table(
            ["method", "T½ mode 1", "T½ mode 2", "Saxe T½ (mode 2)", "steps to angle",
             "steps to loss", "final angle", "converged"],
            [[s["label"], _steps(s.get("half_times_1")), _steps(s.get("half_times_2")),
              _steps(s.get("saxe_half_times_2"), False) if s["method"] != "adam" else "–",
              _steps(s.get("steps_to_angle")), _steps(s.get("steps_to_loss")),
              _sci(s.get("final_angle")), done(s)] for s in by_sweep["method"]])
    if "paper" in by_sweep:
        lines = []
        for s in by_sweep["paper"]:
            ref = REFERENCE_TABLE.get((float(s["x"]), float(s["lr"])))
            lines.append([f"{s['x']:g}", f"{s['lr']:g}", _steps(s.get("half_times_1")),
                          _steps(s.get("saxe_half_times_1"), False),
                          "–" if ref is None else str(ref[0]),
                          _steps(s.get("steps_to_angle")),
                          _steps(s.get("predicted_angle_steps"), False),
                          "–" if ref is None else str(ref[1]),
                          _steps(s.get("steps_to_encoder_angle")),
                          _steps(s.get("steps_to_loss")),
                          _steps(s.get("predicted_loss_steps"), False),
                          "–" if ref is None else str(ref[2]), done(s)])
        tables["paper"] = _table(
            ["λ1/λ2", "ηλ1", "T½", "Saxe", "ref. T½", "T_dec", "predicted", "ref. T_dec", "T_enc",
             "T_loss", "predicted", "ref. T_loss", "converged"], lines)
    if "staircase" in by_sweep:
        s = by_sweep["staircase"][0]
        stair_rows = [r for r in rows if r["sweep"] == "staircase"]
        lines = []
        for j in range(int(s["n_components"])):
            lam = stair_rows[0]["eigenvalues"][j]
            measured = s.get(f"half_times_{j + 1}")
            lines.append([str(j + 1), f"{lam:g}", _steps(measured),
                          _steps(s.get(f"saxe_half_times_{j + 1}"), False),
                          _ratio_cell(_ratios(stair_rows, "half_times", "saxe_half_times", j)),
                          "–" if measured is None else f"{measured[0] * lam:.1f}"])
        lines.append(["subspace", "", "", "", "", f"angle {_steps(s.get('steps_to_angle'))}, "
                      f"loss {_steps(s.get('steps_to_loss'))}"])
        tables["staircase"] = _table(["mode j", "λ_j", "T½ measured", "Saxe T½ (GS π0)",
                                      "Saxe / measured", "T½ · λ_j"], lines)
    tables["accuracy"] = _accuracy_table(rows)
    tables["headline"] = _headline(
        rows, summaries if headline_rows is None else summarize(headline_rows))
    return tables


def _accuracy_table(rows: Sequence[dict[str, Any]]) -> str:
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    lines = []
    half: list[float] = []
    cont: list[float] = []
    for r in gd:
        for j in range(int(r.get("n_components") or 1)):
            half += _ratios([r], "half_times", "saxe_half_times", j)
            cont += _ratios([r], "half_times", "saxe_continuous_half_times", j)
    lines.append(["T½, discrete Saxe (every mode)", _ratio_cell(half), str(len(half))])
    lines.append(["T½, continuous Saxe", _ratio_cell(cont), str(len(cont))])
    for rate in (0.1, 0.4):
        # λ_1 is 1 only to rounding, so compare ηλ_1 with a tolerance.
        chosen = [r for r in gd if abs(float(r.get("lr_lambda1") or 0.0) - rate) < 1e-9]
        discrete = [v for r in chosen for j in range(int(r.get("n_components") or 1))
                    for v in _ratios([r], "half_times", "saxe_half_times", j)]
        continuous = [v for r in chosen for j in range(int(r.get("n_components") or 1))
                      for v in _ratios([r], "half_times", "saxe_continuous_half_times", j)]
        if discrete:
            lines.append([f"T½ at ηλ₁ = {rate:g}: discrete / continuous Saxe",
                          f"{_ratio_cell(discrete)} / {_ratio_cell(continuous)}",
                          str(len(discrete))])
    for label, measured, predicted in (
            ("steps to angle, per network", "steps_to_angle", "predicted_angle_steps"),
            ("steps to loss, per network", "steps_to_loss", "predicted_loss_steps"),
            ("encoder angle, per network", "steps_to_encoder_angle", "predicted_encoder_steps"),
            ("steps to angle, one-line (own π0)", "steps_to_angle", "predicted_steps_own_pi0"),
            ("steps to angle, one-line naive", "steps_to_angle", "predicted_steps_naive"),
            ("steps to angle, one-line (typical π0)", "steps_to_angle",
             "predicted_steps_typical")):
        values = _ratios(gd, measured, predicted)
        lines.append([label, _ratio_cell(values), str(len(values))])
    return _table(["quantity", "predicted / measured, median [5–95 %] (median alone below "
                   f"{MIN_SEEDS_FOR_RANGE} runs)", "runs"], lines)


def _headline(rows: Sequence[dict[str, Any]], summaries: Sequence[dict[str, Any]]) -> str:
    paper = [s for s in summaries if s["sweep"] == "paper" and s["lr"] == 0.1]
    if not paper:
        return "(run the paper sweep for the headline)"
    pick = next((s for s in paper if s["x"] == 4.0), paper[0])
    spread = [s["steps"][0] for s in paper if s.get("steps")]
    angle = [s["steps_to_angle"][0] for s in paper if s.get("steps_to_angle")]
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    per_network = _ratios(gd, "steps_to_angle", "predicted_angle_steps")
    text = (
        f"With η = 0.1 (ηλ₁ = 0.1) and σ0 = 1e-3, the paper's 2-1-2 linear autoencoder on centred "
        f"data with λ₁/λ₂ = {pick['x']:g} reaches the PCA direction to 1e-3 rad in "
        f"{_steps(pick.get('steps_to_angle'))} steps and the loss to within 1e-6 of L* in "
        f"{_steps(pick.get('steps_to_loss'))} steps ("
        f"{'median [5–95 %]' if pick['runs'] >= MIN_SEEDS_FOR_RANGE else 'median'} over "
        f"{pick['runs']} seeds). "
        f"Over λ₁/λ₂ from 1.5 to 100 the angle takes {min(angle):.0f}–{max(angle):.0f} steps "
        f"and both criteria {min(spread):.0f}–{max(spread):.0f}. ")
    if per_network:
        text += (f"Predicted from each network's own initial weights, without running it, the "
                 f"angle count is off by a median factor of {np.median(per_network):.3f} over "
                 f"{len(per_network)} full-batch GD runs.")
    return text


def traced_runs(quick: bool = False, seed: int = 0) -> dict[str, ConvergenceResult]:
    """The single runs whose traces the figures show: the k = 3 staircase (``"staircase"``),
    the baseline under GD, heavy ball and Adam (``"gd"``, ``"momentum"``, ``"adam"``), and
    k = 1 under full-batch GD and SGD (``"full"``, ``"sgd 64"``, ``"sgd 16"``, ``"sgd 16 iid"``).

    >>> sorted(traced_runs(quick=True))[:3]
    ['adam', 'full', 'gd']
    """
    runs = {"staircase": staircase_run(seed)}
    X, _ = _data.with_spectrum(200, make_spectrum(4, 2, 4.0), seed=seed)
    for name, method, rate in (("gd", "gd", 0.1), ("momentum", "momentum", 0.1),
                               ("adam", "adam", 0.01)):
        runs[name] = train_until_pca(X, 2, method=method, lr=rate, max_steps=5000,
                                     seed=np.random.default_rng([seed, 1]))
    X1, _ = _data.with_spectrum(200, make_spectrum(4, 1, 4.0), seed=seed)
    budget = 300 if quick else 4000
    for name, size, sampling in (("full", None, "epoch"), ("sgd 64", 64, "epoch"),
                                 ("sgd 16", 16, "epoch"), ("sgd 16 iid", 16, "iid")):
        runs[name] = train_until_pca(
            X1, 1, method="gd" if size is None else "sgd", lr=0.1, batch_size=size,
            sampling=sampling, max_steps=budget, hold=budget,
            seed=np.random.default_rng([seed, 1]))
    return runs
