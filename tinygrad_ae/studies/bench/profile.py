"""Where a workload's step spends its time: the profile behind each missed goal.

Layer: part of :mod:`tinygrad_ae.studies.bench`; the standard library's ``cProfile``,
``gc`` and ``resource``, and the harness's :func:`~.harness.build_step`.

:func:`profile_step` runs one framework's step of a workload under ``cProfile`` and
returns, per step: the functions that take the most time of their own (not counting the
functions they call), the share of the step spent in tinygrad_ae's Python, in numpy's
compiled functions and elsewhere, the time the garbage collector took, and the minor
page faults (memory the system had to map afresh), with the same fault count for the
workload's reference (numpy) so the two can be compared.

The profiler adds a fixed cost to every call it sees, so Python functions (many calls,
little work each) look larger beside numpy's compiled ones than they are; the shares
rank where the time goes, the benchmark's own table says how much there is. numpy's
work reached through an operator (``a @ b``, ``g * y``) is not a call the profiler sees:
it counts in the own time of the function that wrote the operator (an op's forward or
vjp), so the "numpy" share is only numpy's functions called by name. Garbage
collection and page faults are measured without the profiler's help: ``gc.callbacks``
times each collection, and ``getrusage`` counts the faults of steps run without the
profiler.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .harness import _workload, build_step, thread_settings
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


def _faults_per_step(step: Step, steps: int) -> float:
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
    load_before = os.getloadavg()[0]
    step = build_step(entry, framework, dtype, size)
    reference = build_step(entry, entry.reference, dtype, size)
    for _ in range(3):  # warm up: caches, the allocator's pools
        step()
        reference()
    steps = _steps_for(step, seconds)
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
        "load_average": [load_before, os.getloadavg()[0]],
    }


def profile_in_fresh_process(workload: str, dtype: str, size: str = "full",
                             seconds: float = 1.0, use_torch: bool = True) -> dict[str, Any]:
    """:func:`profile_step` in a new Python process that has imported what a benchmark
    process has (PyTorch too, when installed and ``use_torch``) and nothing more.

    The garbage collector's full collections walk every object of the process, so the
    collector's share depends on what else the process holds: here, what a benchmark
    process holds when its timing starts (PyTorch's objects among them), not what a
    whole run has left behind."""
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
    """The profiles as markdown for docs/performance.md: one short section per profile."""
    if not profiles:
        return "Every goal was met in this run; nothing was profiled."
    loads = [a for found in profiles for a in found["load_average"]]
    parts = [f"Regenerated by `{command}` after the timed runs, each in a fresh process "
             f"({_threads(profiles[0]['threads'])} for numpy's BLAS; load average "
             f"{min(loads):.2f}–{max(loads):.2f}). Shares are of the profiled time, which "
             f"the profiler inflates for Python functions. numpy's arithmetic written as an "
             f"operator (`a @ b`, `g * y`) counts in the own time of the function that "
             f"wrote it (an op's forward or vjp); the numpy share is numpy's functions "
             f"called by name. The garbage collector's share and the page faults come "
             f"from steps run without the profiler."]
    for found in profiles:
        per_op = found.get("per_op")
        calls = f"{found['calls'] / per_op:.1f}" if per_op else f"{found['calls']:.0f}"
        faults = ", ".join(f"{fw} {n:.0f}" for fw, n in found["page_faults"].items())
        groups = found["groups"]
        parts.append(
            f"**{found['workload']} {found['dtype']}** ({found['steps']} steps of "
            f"{found['step_ms']:.3f} ms): tinygrad_ae's Python {_percent(groups['tinygrad_ae'])}"
            f", numpy {_percent(groups['numpy'])}, other {_percent(groups['other'])}; "
            f"{calls} function calls per {'op' if per_op else 'step'}; the garbage "
            f"collector {_percent(found['gc_share'])} of the step "
            f"({found['gc_per_step']:.2g} collections per step); minor page faults per step: "
            f"{faults}.\n\n"
            "| function (own time) | calls per step | share |\n| --- | ---: | ---: |\n"
            + "\n".join(f"| `{f['name']}` | {f['calls']:.0f} | {_percent(f['share'])} |"
                        for f in found["functions"]))
    return "\n\n".join(parts)



def _child() -> None:
    """The child of :func:`profile_in_fresh_process`: its arguments, its JSON on stdout."""
    key, kind, scale, budget, torch = sys.argv[1:6]
    thread_settings(None, torch == "torch")  # as a benchmark process does first
    print(json.dumps(profile_step(key, kind, scale, seconds=float(budget))))
