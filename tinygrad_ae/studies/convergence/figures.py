"""Figures of the convergence study.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .measure import ConvergenceResult
from .report import summarize

# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def _figure(width: float, height: float, panels: int = 1) -> tuple[Any, list[Any]]:
    """A matplotlib Figure on the Agg canvas (no pyplot, no global backend change)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    axes = figure.subplots(1, panels) if panels > 1 else [figure.subplots()]
    return figure, list(axes)


def _legend(axis: Any, **options: Any) -> None:
    """A legend only when something is labelled (an empty sweep draws an empty panel)."""
    if axis.get_legend_handles_labels()[0]:
        axis.legend(**options)


def _medians(summaries: Sequence[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Medians of ``key`` and their (lower, upper) error bar lengths; NaN where unreached."""
    mid, err = [], []
    for s in summaries:
        q = s.get(key)
        if q is None or not math.isfinite(q[0]):
            mid.append(math.nan)
            err.append((0.0, 0.0))
        else:
            mid.append(q[0])
            err.append((q[0] - q[1], (q[2] - q[0]) if math.isfinite(q[2]) else 0.0))
    return np.array(mid), np.array(err).T.reshape(2, -1)


def _plot_predicted(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    figure, (left, right) = _figure(10, 4.4, 2)
    series = [("T½ (each mode)", "half_times", "predicted_half_times", "o", "tab:gray"),
              ("decoder angle < 1e-3", "steps_to_angle", "predicted_angle_steps", "s",
               "tab:blue"),
              ("(L − L*)/L* < 1e-6", "steps_to_loss", "predicted_loss_steps", "^", "tab:red")]
    values: list[float] = []
    for label, measured, predicted, marker, color in series:
        xs: list[float] = []
        ys: list[float] = []
        for r in gd:
            pairs: list[tuple[Any, Any]] = (
                list(zip(r.get("predicted_half_times") or [], r.get("half_times") or []))
                if measured == "half_times" else [(r.get(predicted), r.get(measured))])
            for p, m in pairs:
                if p and m:
                    xs.append(p)
                    ys.append(m)
        left.scatter(xs, ys, s=12, marker=marker, color=color, alpha=0.6, label=label)
        values += xs + ys
    for label, key, marker, color in (
            ("one-line, own π0", "predicted_steps_own_pi0", "o", "tab:blue"),
            ("one-line, typical π0 (σ0²k/2)", "predicted_steps_typical", "x", "tab:orange"),
            ("one-line, naive (slow rate only)", "predicted_steps_naive", "+", "tab:green")):
        found = [(r[key], r["steps_to_angle"]) for r in gd if r.get(key) and
                 r.get("steps_to_angle")]
        if found:
            predicted_steps = [p for p, _ in found]
            measured_steps = [m for _, m in found]
            right.scatter(predicted_steps, measured_steps, s=14, marker=marker, color=color,
                          alpha=0.6, label=label)
            values += predicted_steps + measured_steps
    low, high = (min(values) / 1.5, max(values) * 1.5) if values else (1, 1e4)
    for axis, title in ((left, "per network (predict_network)"),
                        (right, "one line (predict_steps), decoder angle")):
        axis.plot([low, high], [low, high], "k-", lw=1, label="measured = predicted")
        axis.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high),
                 xlabel="predicted steps", ylabel="measured steps", title=title)
        _legend(axis, fontsize=8, loc="upper left")
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle(f"Measured vs predicted GD steps ({len(gd)} full-batch runs, ηλ₁ < ½)")
    figure.savefig(path)
    return path


def _plot_eigengap(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    figure, (axis,) = _figure(6.4, 4.4)
    groups = (("eigengap", "linear AE m=4, k=2", lambda s: True, "tab:blue"),
              ("paper", "2-1-2 paper network", lambda s: s["lr"] == 0.1, "tab:red"))
    for sweep, name, keep, color in groups:
        chosen = [s for s in summaries if s["sweep"] == sweep and keep(s)]
        if not chosen:
            continue
        x = np.array([s["x"] for s in chosen])
        for key, style, what in (("steps_to_angle", "o-", "angle"),
                                 ("steps_to_loss", "s--", "loss")):
            mid, err = _medians(chosen, key)
            axis.errorbar(x, mid, yerr=err, fmt=style, color=color, capsize=3, ms=4,
                          label=f"{name}: {what}", alpha=0.9 if what == "angle" else 0.6)
        mid, _ = _medians(chosen, "predicted_angle_steps")
        axis.plot(x, mid, ":", color="k", lw=1)
    axis.plot([], [], ":", color="k", lw=1, label="predicted (per network), angle")
    axis.set(xscale="log", yscale="log", xlabel="eigengap λ_k / λ_(k+1)",
             ylabel="GD steps (median, IQR)", title="Steps to PCA vs eigengap (η = 0.1, σ0 = 1e-3)")
    _legend(axis, fontsize=8)
    axis.grid(True, which="both", alpha=0.3)
    figure.savefig(path)
    return path


def _plot_lr(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    figure, (axis,) = _figure(6.4, 4.4)
    lr_cells = [s for s in summaries if s["sweep"] == "lr"]
    if lr_cells:
        x = np.array([s["lr_lambda1"] for s in lr_cells])
        eta = np.array([s["lr"] for s in lr_cells])
        for key, style, what in (("steps_to_angle", "o-", "angle"),
                                 ("steps_to_loss", "s--", "loss")):
            mid, err = _medians(lr_cells, key)
            axis.errorbar(x, mid * eta, yerr=err * eta, fmt=style, color="tab:blue", capsize=3,
                          ms=4, label=f"linear AE m=4, k=2: {what}")
        never = [s["lr_lambda1"] for s in lr_cells if s.get("steps_to_loss") is None
                 or not math.isfinite(s["steps_to_loss"][0])]
        if never:
            axis.scatter(never, [axis.get_ylim()[1] * 0.9] * len(never), marker="x",
                         color="tab:blue", s=60, label="loss never converges")
    for ratio, color in ((1.5, "tab:red"), (4.0, "tab:orange"), (100.0, "tab:green")):
        cells = sorted((s for s in summaries if s["sweep"] == "paper" and s["x"] == ratio),
                       key=lambda s: s["lr"])
        if len(cells) > 1:
            mid, _ = _medians(cells, "steps_to_angle")
            axis.plot([s["lr"] for s in cells], mid * np.array([s["lr"] for s in cells]), "^-",
                      color=color, ms=4, alpha=0.8, label=f"2-1-2, λ1/λ2 = {ratio:g}: angle")
    axis.axvline(0.5, color="k", ls=":", lw=1)
    axis.set(yscale="log", xlabel="ηλ₁", ylabel="steps × η",
             title="Steps scale as 1/η until the stability limit")
    # x in data units, y as a fraction of the axes: the label sits just above the bottom
    # of the plot whatever the y range (a data-unit y fell outside it, and the layout
    # engine then shrank the axes to nothing).
    axis.text(0.5, 0.03, " η = 1/(2λ₁)", fontsize=8, transform=axis.get_xaxis_transform())
    _legend(axis, fontsize=7)
    axis.grid(True, which="both", alpha=0.3)
    figure.savefig(path)
    return path


def _plot_staircase(result: ConvergenceResult, path: Path) -> Path:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.2, 6.0), dpi=110, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    t = result.trace_steps
    gap = (result.trace_loss - result.min_loss) / result.min_loss
    top.semilogy(t, gap, color="k", label="(L − L*)/L*")
    twin = top.twinx()
    for j in range(result.n_components):
        lam = result.eigenvalues[j]
        twin.plot(t, result.trace_pi[:, j], lw=1.2, label=f"π_{j + 1} (λ = {lam:g})")
        saxe = result.saxe_half_times[j]
        if saxe is not None:
            for axis in (top, bottom):
                axis.axvline(saxe, color=f"C{j}", ls=":", lw=1)
    twin.set(ylabel="mode strength π_j", ylim=(-0.05, 1.15))
    _legend(twin, fontsize=8, loc="center right")
    top.set(ylabel="(L − L*)/L*", title="k = 3 of m = 6: plateaus, then drops, mode by mode "
                                          "(dotted: Saxe T½)")
    _legend(top, fontsize=8, loc="lower left")
    bottom.semilogy(t, result.trace_angle, label="decoder: largest principal angle")
    bottom.semilogy(t, result.trace_encoder_angle, label="encoder: largest principal angle",
                    alpha=0.7)
    bottom.axhline(1e-3, color="k", ls="--", lw=1, label="1e-3 rad")
    bottom.set(xlabel="GD step (η = 0.1, σ0 = 1e-3)", ylabel="radians")
    _legend(bottom, fontsize=8)
    for axis in (top, bottom):
        axis.grid(True, alpha=0.3)
    figure.savefig(path)
    return path


def _plot_methods(runs: dict[str, ConvergenceResult], summaries: Sequence[dict[str, Any]],
                  path: Path) -> Path:
    figure, (left, right) = _figure(11, 4.4, 2)
    floors = {s["label"]: s.get("predicted_floor") for s in summaries if s["sweep"] == "batch"}
    for name, label, color in (("full", "full", "k"), ("sgd 64", "64 (epoch)", "tab:orange"),
                               ("sgd 16", "16 (epoch)", "tab:green"),
                               ("sgd 16 iid", "16 (iid)", "tab:red")):
        if name not in runs:
            continue
        result = runs[name]
        left.semilogy(result.trace_steps, result.trace_angle, lw=0.5, color=color, alpha=0.35)
        window = 50
        if result.trace_angle.size > window:
            smooth = np.sqrt(np.convolve(result.trace_angle**2, np.ones(window) / window,
                                         mode="valid"))
            left.semilogy(result.trace_steps[window - 1:], smooth, lw=1.5, color=color,
                          label=f"{name} (RMS over 50 steps)")
        floor = floors.get(label)
        if floor is not None and math.isfinite(floor[0]) and name != "full":
            left.axhline(floor[0], color=color, ls=":", lw=1.2)
    left.plot([], [], "k:", lw=1.2, label="predicted floor, iid batches (sgd_noise_floor)")
    left.axhline(1e-3, color="k", ls="--", lw=1)
    left.set(xlabel="step (η = 0.1)", ylabel="largest principal angle (rad)",
             ylim=(1e-16, 3), title="Constant-step SGD stalls at a noise floor (k = 1, m = 4)")
    _legend(left, fontsize=7, loc="center right")
    for name, color in (("gd", "k"), ("momentum", "tab:blue"), ("adam", "tab:red")):
        if name in runs:
            result = runs[name]
            gap = (result.trace_loss - result.min_loss) / result.min_loss
            right.semilogy(result.trace_steps, np.maximum(gap, 1e-16), color=color,
                           label=f"{name} (η = {result.lr:g}): loss gap")
            right.semilogy(result.trace_steps, result.trace_angle, color=color, ls=":",
                           label=f"{name}: angle")
    right.axhline(1e-6, color="gray", ls="--", lw=1)
    right.set(xlabel="step", ylabel="(L − L*)/L*  and  angle (rad)",
              title="Optimizers on the baseline (m = 4, k = 2)")
    _legend(right, fontsize=7)
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
    figure.savefig(path)
    return path


def plot_all(rows: Sequence[dict[str, Any]], runs: dict[str, ConvergenceResult] | None,
             out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the study's figures as ``convergence_*.png`` into ``out_dir``; return their paths.

    - ``convergence_predicted.png``: measured vs predicted steps (log-log, y = x line);
    - ``convergence_eigengap.png``: steps vs λ_k/λ_(k+1);
    - ``convergence_lr.png``: steps × η vs ηλ_1, with the limit η = 1/(2λ_1);
    - ``convergence_staircase.png``: loss, π_j and angle traces of the k = 3 run;
    - ``convergence_methods.png``: SGD noise floors and GD vs heavy ball vs Adam.

    The last two need ``runs`` from :func:`traced_runs`. matplotlib is imported here only.

    >>> from tinygrad_ae.studies.convergence import study
    >>> import tempfile
    >>> rows = study(quick=True, seeds=1, sweeps=["eigengap"], progress=False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [path.name for path in plot_all(rows, None, folder)]
    ['convergence_predicted.png', 'convergence_eigengap.png', 'convergence_lr.png']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    summaries = summarize(rows)
    written = [_plot_predicted(rows, folder / "convergence_predicted.png"),
               _plot_eigengap(summaries, folder / "convergence_eigengap.png"),
               _plot_lr(summaries, folder / "convergence_lr.png")]
    if runs:
        if "staircase" in runs:
            written.append(_plot_staircase(runs["staircase"],
                                           folder / "convergence_staircase.png"))
        written.append(_plot_methods(runs, summaries, folder / "convergence_methods.png"))
    return written


def replace_generated(text: str, name: str, content: str) -> str:
    """Put ``content`` between ``<!-- generated:NAME:begin -->`` and ``…:end -->`` in ``text``.

    >>> page = "a\\n<!-- generated:t:begin -->\\nold\\n<!-- generated:t:end -->\\nb"
    >>> print(replace_generated(page, "t", "new"))
    a
    <!-- generated:t:begin -->
    new
    <!-- generated:t:end -->
    b
    """
    begin, end = f"<!-- generated:{name}:begin -->", f"<!-- generated:{name}:end -->"
    start = text.find(begin)
    stop = text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"replace_generated: the text has no {begin} … {end} pair; add both "
                         f"markers where the generated {name!r} section should go")
    return text[:start + len(begin)] + "\n" + content.strip("\n") + "\n" + text[stop:]
