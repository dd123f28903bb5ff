"""Where a workload's step spends its time: the profile behind each missed goal.

Layer: part of :mod:`tinygrad_ae.studies.bench`; the standard library's ``cProfile``,
``gc`` and (where the system has it) ``resource``, and the harness's
:func:`~.harness.build_step`.

:func:`profile_step` runs one framework's step of a workload under ``cProfile`` and
returns, per step: the functions that take the most time of their own (not counting the
functions they call), the share of the step spent in tinygrad_ae's functions, in numpy's
functions and in builtins and the rest, the time the garbage collector took, and the minor
page faults (memory the system had to map afresh), with the same fault count for the
workload's reference (numpy) so the two can be compared.

The profiler adds a fixed cost to every call it sees, so Python functions (many calls,
little work each) look larger beside numpy's compiled ones than they are; the shares
rank where the time goes, the benchmark's own table says how much there is. The
profiler does not see numpy's ufuncs (``np.matmul``, ``np.exp``, ``np.add.reduce`` …),
whether written as an operator (``a @ b``) or called by name: their time counts in the
own time of the function that called them (an op's forward or vjp), so "tinygrad_ae"
includes the arithmetic its functions ask numpy for, and "numpy" is only numpy's other
functions and methods. As in the benchmark (:func:`~.harness.time_workload`), the
objects that exist before the steps are frozen (``gc.freeze``), so a collection walks
only what the steps made. The collector's pauses count in the function shares too (in
the function that was allocating); its own share and the page faults are measured
without the profiler: ``gc.callbacks`` times each collection, and ``getrusage`` counts
the faults.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .harness import _load_average, _workload, build_step, thread_settings

try:
    import resource
except ImportError:  # not on every system (Windows): no page-fault counts there
    resource = None  # type: ignore[assignment]
from .workloads import Step

__all__ = ["profile_step", "profile_in_fresh_process", "markdown_profiles"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_NUMPY = os.path.dirname(os.path.abspath(np.__file__))


def _where(filename: str, line: int, name: str) -> tuple[str, str]:
    """(group, label) of one profiled function: its group is ``tinygrad_ae``, ``numpy``
    or ``other``; its label names it as a reader finds it (module path and function; the
    line too for a function named ``_``, as the ops' vjps are)."""
    if filename == "~":  # a compiled function: cProfile names it "<method 'x' of 'y' ...>"
        group = "numpy" if "numpy" in name else "other"
        return group, name.strip("<>")
    path = os.path.abspath(filename)
    if name == "_":
        name = f"_ (line {line})"
    if path.startswith(_PACKAGE + os.sep):
        module = os.path.relpath(path, os.path.dirname(_PACKAGE))[:-3].replace(os.sep, ".")
        return "tinygrad_ae", f"{module}.{name}"
    if path.startswith(_NUMPY + os.sep):
        return "numpy", f"numpy {os.path.basename(path)[:-3]}.{name}"
    return "other", f"{os.path.basename(path)}:{name}"


class _CollectorClock:
    """Seconds spent in the garbage collector while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: Mapping[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1

    def __enter__(self) -> _CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _faults_per_step(step: Step, steps: int) -> float | None:
    if resource is None:
        for _ in range(steps):
            step()
        return None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def _steps_for(step: Step, seconds: float) -> int:
    """How many steps take about ``seconds`` (at least 3), from one timed step."""
    started = time.perf_counter()
    step()
    once = max(time.perf_counter() - started, 1e-6)
    return max(3, int(seconds / once))


def profile_step(workload: Any, dtype: Any = np.float64, size: str = "full",
                 framework: str = "tinygrad_ae", seconds: float = 1.0, top: int = 8
                 ) -> dict[str, Any]:
    """Profile ``framework``'s step of ``workload`` for about ``seconds``; see the module.

    Returns a dict ready for JSON: ``steps`` profiled, ``step_ms`` (the step's time
    without the profiler), ``functions`` (the ``top`` by own time, each with ``name``,
    ``group``, ``calls`` per step and ``share`` of the profiled time), ``groups`` (the
    share of each group), ``calls`` (function calls per step), ``gc_share`` (of the
    step's time without the profiler) and ``page_faults`` per step for ``framework``
    and for the workload's reference.

    >>> found = profile_step("W5", size="tiny", seconds=0.05)
    >>> any(f["name"].endswith("engine._propagate") for f in found["functions"])
    True
    >>> round(sum(found["groups"].values()), 6)
    1.0
    """
    entry = _workload(workload)
    load_before = _load_average()
    step = build_step(entry, framework, dtype, size)
    reference = build_step(entry, entry.reference, dtype, size)
    for _ in range(3):  # warm up: caches, the allocator's pools
        step()
        reference()
    steps = _steps_for(step, seconds)
    frozen_by_us = gc.get_freeze_count() == 0
    gc.collect()
    gc.freeze()  # as time_workload does: a collection walks only what the steps make
    try:
        # Without the profiler: the step's own time, its collections and its page faults.
        with _CollectorClock() as collector:
            started = time.perf_counter()
            faults = _faults_per_step(step, steps)
            plain = time.perf_counter() - started
        reference_faults = _faults_per_step(reference, max(3, steps // 4))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(steps):
            step()
        profiler.disable()
    finally:
        if frozen_by_us:
            gc.unfreeze()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in stats.values()) or 1e-12
    groups = {"tinygrad_ae": 0.0, "numpy": 0.0, "other": 0.0}
    rows = []
    for (filename, line, name), (_, calls, own, _, _) in stats.items():
        group, label = _where(filename, line, name)
        groups[group] += own / total
        rows.append({"name": label, "group": group, "calls": calls / steps,
                     "share": own / total})
    rows.sort(key=lambda row: -row["share"])
    return {
        "workload": entry.key, "dtype": np.dtype(dtype).name, "framework": framework,
        "size": size, "steps": steps, "step_ms": plain / steps * 1e3,
        "functions": rows[:top], "groups": groups,
        "calls": sum(calls for _, calls, _, _, _ in stats.values()) / steps,
        "gc_share": collector.seconds / plain if plain > 0 else 0.0,
        "gc_per_step": collector.collections / steps,
        "page_faults": {framework: faults, entry.reference: reference_faults},
        "per_op": entry.sizes[size].get("n_ops") if entry.per_op else None,
        "threads": thread_settings(None, use_torch=False)["threads"],
        "load_average": [load_before, _load_average()],
    }


def profile_in_fresh_process(workload: str, dtype: str, size: str = "full",
                             seconds: float = 1.0, use_torch: bool = True) -> dict[str, Any]:
    """:func:`profile_step` in a new Python process that has imported what a benchmark
    process has (PyTorch too, when installed and ``use_torch``) and nothing more.

    A profile taken after a whole benchmark run would share the process with every
    workload's leftovers (and their effect on the allocator); a fresh process starts as
    the benchmark's does."""
    root = os.path.dirname(_PACKAGE)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    child = subprocess.run(
        [sys.executable, "-c", "from tinygrad_ae.studies.bench.profile import _child; _child()",
         workload, dtype, size, str(seconds), "torch" if use_torch else "no-torch"],
        capture_output=True, text=True, env=env,
        check=False)
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"profiling {workload} {dtype} failed: {last}")
    found: dict[str, Any] = json.loads(child.stdout)
    return found


def _threads(count: Any) -> str:
    return f"{count} thread{'s' * (count != 1)}"


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %" if share >= 0.01 else f"{share * 100:.1f} %"


def markdown_profiles(profiles: Sequence[Mapping[str, Any]], command: str) -> str:
    """The profiles as markdown for docs/performance.md: one short section per profile
    (a profile that failed is one line with its error)."""
    if not profiles:
        return "No row missed its goal in this run; nothing was profiled."
    done = [found for found in profiles if "error" not in found]
    loads = [a for found in done for a in found["load_average"] if a is not None]
    load = f"; load average {min(loads):.2f}–{max(loads):.2f}" if loads else ""
    threads = f"{_threads(done[0]['threads'])} for numpy's BLAS" if done else "none ran"
    parts = [f"Regenerated by `{command}` after the timed runs, each in a fresh process "
             f"({threads}{load}). Shares are of the profiled time, which the profiler "
             f"inflates for Python functions. It does not see numpy's ufuncs (`a @ b`, "
             f"`np.exp(x)`, `x.sum()`): their time counts in the function that called them, "
             f"so \"tinygrad_ae\" includes the arithmetic its ops ask numpy for and "
             f"\"numpy\" is numpy's other functions. As in the timed runs, what existed "
             f"before the steps is frozen (`gc.freeze`); the collector's share and the page "
             f"faults come from steps run without the profiler."]
    for found in profiles:
        if "error" in found:
            parts.append(f"**{found['workload']} {found['dtype']}**: not profiled "
                         f"({found['error']}).")
            continue
        per_op = found.get("per_op")
        calls = f"{found['calls'] / per_op:.1f}" if per_op else f"{found['calls']:.0f}"
        faults = ", ".join(f"{fw} {'—' if n is None else f'{n:.0f}'}"
                           for fw, n in found["page_faults"].items())
        groups = found["groups"]
        parts.append(
            f"**{found['workload']} {found['dtype']}** ({found['steps']} steps of "
            f"{found['step_ms']:.3f} ms): tinygrad_ae {_percent(groups['tinygrad_ae'])}, "
            f"numpy {_percent(groups['numpy'])}, builtins and the rest "
            f"{_percent(groups['other'])}; {calls} function calls per "
            f"{'op' if per_op else 'step'}; the garbage collector "
            f"{_percent(found['gc_share'])} of the step ({found['gc_per_step']:.2g} "
            f"collections per step); minor page faults per step: {faults}.\n\n"
            "| function (own time) | calls per step | share |\n| --- | ---: | ---: |\n"
            + "\n".join(f"| `{f['name']}` | {f['calls']:.0f} | {_percent(f['share'])} |"
                        for f in found["functions"]))
    return "\n\n".join(parts)


def _child() -> None:
    """The child of :func:`profile_in_fresh_process`: its arguments, its JSON on stdout."""
    key, kind, scale, budget, torch = sys.argv[1:6]
    thread_settings(None, torch == "torch")  # as a benchmark process does first
    print(json.dumps(profile_step(key, kind, scale, seconds=float(budget))))
