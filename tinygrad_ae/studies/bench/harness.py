"""Running the benchmarks: interleaved repetitions, CPU and wall time, threads.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_ae import __version__

from .registry import UNREGISTERED, WORKLOADS
from .workloads import (
    FRAMEWORKS,
    GOALS,
    MEMORY_TARGET,
    TOLERANCES,
    Step,
    Workload,
    chain_memory,
    resident_memory_per_op,
)

# --- running -------------------------------------------------------------------------

def torch_available() -> bool:
    """Whether PyTorch can be imported (its column is skipped otherwise)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def runnable(entry: Workload, allowed: Sequence[str] | None = None) -> list[str]:
    """The steps of ``entry`` that can run here: those of a framework in ``allowed``
    (default: numpy, tinygrad_ae, and PyTorch when installed) whose reference runs too.
    ``"tinygrad_ae gradient"`` belongs to the framework ``tinygrad_ae``.

    >>> runnable(WORKLOADS["W1"], allowed=("numpy", "tinygrad_ae"))
    ['numpy', 'tinygrad_ae']
    >>> runnable(WORKLOADS["W6"], allowed=("numpy", "tinygrad_ae"))
    []
    """
    if allowed is None:
        allowed = [fw for fw in FRAMEWORKS if fw != "torch" or torch_available()]
    names = [fw for fw in entry.frameworks if fw.split()[0] in allowed]
    names = [fw for fw in names if entry.reference_of(fw) in names]
    return names if entry.reference in names else []


def missing_for_goal(entry: Workload, names: Sequence[str]) -> list[str]:
    """What ``entry`` needs to be run and judged that ``names`` lacks: its reference,
    tinygrad_ae and the framework its goal divides by."""
    needed = (entry.reference, "tinygrad_ae", GOALS[entry.goal].against)
    return [fw for fw in dict.fromkeys(needed) if fw not in names]


def _workload(workload: Workload | str) -> Workload:
    if isinstance(workload, Workload):
        return workload
    if workload not in WORKLOADS:
        raise ValueError(f"bench: workload must be one of {', '.join(WORKLOADS)}, "
                         f"got {workload!r}")
    return WORKLOADS[workload]


def build_step(workload: Workload | str, framework: str, dtype: Any = np.float64,
               size: str = "full") -> Step:
    """A fresh :data:`Step` of ``workload`` in ``framework``, from the shared start.

    >>> step = build_step("W1", "tinygrad_ae", size="tiny")
    >>> step() > 0
    True
    """
    entry = _workload(workload)
    if framework not in entry.frameworks:
        raise ValueError(f"bench: framework must be one of {', '.join(entry.frameworks)} "
                         f"for {entry.key}, got {framework!r}")
    if size not in entry.sizes:
        raise ValueError(f"bench: size must be one of {', '.join(entry.sizes)}, got {size!r}")
    return entry.build(framework, np.dtype(dtype), entry.sizes[size])


def losses_agree(a: Sequence[float], b: Sequence[float], dtype: Any,
                 rtol: float | None = None) -> bool:
    """Whether two runs' losses agree step by step within ``TOLERANCES[dtype]``.

    >>> losses_agree([1.0, 0.5], [1.0 + 1e-14, 0.5], np.float64)
    True
    >>> losses_agree([1.0], [1.001], np.float32)
    False
    """
    rtol = TOLERANCES[np.dtype(dtype).name] if rtol is None else rtol
    return len(a) == len(b) and all(
        math.isfinite(x) and math.isfinite(y) and abs(x - y) <= rtol * max(abs(x), abs(y))
        for x, y in zip(a, b))


def check_losses(workload: Workload | str, dtype: Any = np.float64, size: str = "full",
                 frameworks: Sequence[str] | None = None, steps: int = 3
                 ) -> dict[str, list[float]]:
    """The losses of ``steps`` training steps from the shared start, per framework
    (default: every one of the workload's that this machine can run).

    >>> losses = check_losses("W2", size="tiny", frameworks=("numpy", "tinygrad_ae"))
    >>> losses_agree(losses["numpy"], losses["tinygrad_ae"], np.float64)
    True
    """
    entry = _workload(workload)
    if frameworks is None:
        frameworks = runnable(entry)
    result = {}
    for framework in frameworks:
        step = build_step(workload, framework, dtype, size)
        result[framework] = [step() for _ in range(steps)]
    return result


class _CpuMeter:
    """CPU time used by other processes while a measurement runs (Linux: /proc/stat).

    This machine may be shared; a busy neighbour slows every framework, and interleaving
    spreads that over all of them, but the report says how busy it was."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as f:
                fields = [float(v) for v in f.readline().split()[1:9]]
            with open("/proc/self/stat") as f:
                own = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            return None
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        return busy, float(own[11]) + float(own[12]), time.monotonic()

    def other_load(self) -> float | None:
        """Average number of CPUs other processes kept busy since the meter started."""
        end = self._read()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        others = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(0.0, others / ticks / (end[2] - self.start[2]))


BUSY_CPUS = 0.5
"""A measurement counts as taken on a busy machine when other processes kept at least this
many CPUs busy on average while it ran, or the load average exceeded the core count."""


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def _ratios(samples: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Per-repetition ratios: each repetition times every framework back to back, so a
    ratio within one repetition shares that moment's machine state."""
    return [s / b for s, b in zip(samples, baseline) if b > 0]


def _spread(values: Sequence[float]) -> tuple[float, float] | None:
    return (min(values), max(values)) if values else None


TORCH_PAUSE = 0.2
"""Seconds of rest before each PyTorch block. OpenBLAS's idle threads (numpy's, and so
tinygrad_ae's) spin for about 0.1 s after every call; timed right after numpy, PyTorch's
threads found both cores taken and its W3 step took three times as long as alone."""


def time_workload(workload: Workload | str, dtype: Any = np.float64, size: str = "full",
                  frameworks: Sequence[str] | None = None, repeats: int = 9,
                  block_seconds: float = 0.05, check_steps: int = 3) -> dict[str, Any]:
    """Check, then time ``workload`` in each framework; return a result dict.

    ``frameworks`` limits the frameworks (default: numpy, tinygrad_ae, and PyTorch when
    installed); the steps timed are the workload's own among them (:func:`runnable`).
    Every step first runs ``check_steps`` steps from the shared start; if its losses
    differ from its reference's (the workload's first framework, numpy for most), it gets
    ``"agrees": False`` and no time. Then each step gets a fresh start and two warm-up
    steps, and ``repeats`` repetitions are interleaved: in each, every step (in a
    rotating order) runs the same number of times, enough for the reference to take
    about ``block_seconds`` (PyTorch after a pause of :data:`TORCH_PAUSE`, see there). A
    step whose loss stops being finite while timed is reported as diverged, with no time.
    Times are seconds per step, wall-clock (``median_s``) and CPU time of this process
    (``cpu_median_s``); ratios divide each median by the reference's, and ``ratio_range``
    / ``cpu_ratio_range`` give the smallest and largest ratio within one repetition.
    ``goal`` holds the measured value of the workload's goal and whether it was met
    (:func:`judge_goal`). The load average before and after, the CPUs other processes
    kept busy, and ``busy`` (see :data:`BUSY_CPUS`) say how far to trust the figures.
    """
    entry = _workload(workload)
    dtype = np.dtype(dtype)
    names = runnable(entry, frameworks)
    missing = missing_for_goal(entry, names)
    if missing:
        raise ValueError(f"bench: {entry.key} needs {', '.join(missing)}, which cannot run "
                         f"here (install PyTorch, or leave out --no-torch)")
    reference = entry.reference
    losses = check_losses(entry, dtype, size, names, check_steps)
    rtol = (entry.rtol or {}).get(dtype.name)
    agrees = {fw: losses_agree(losses[entry.reference_of(fw)], losses[fw], dtype, rtol)
              for fw in names}
    timed = [fw for fw in names if agrees[fw]] if agrees[reference] else []
    steps = {fw: build_step(entry, fw, dtype, size) for fw in timed}
    samples: dict[str, list[float]] = {fw: [] for fw in timed}
    cpu_samples: dict[str, list[float]] = {fw: [] for fw in timed}
    finite = dict.fromkeys(timed, True)
    load_before = _load_average()
    # NOTE: the collector stays on, but what exists before timing (PyTorch's 140,000
    # objects once imported) is frozen: a collector pass during a step then costs what it
    # would cost in a process running that framework alone.
    gc.collect()
    gc.freeze()
    meter = _CpuMeter()
    per_block = 0
    try:
        warmup = {fw: _time_block(steps[fw], 2)[0] for fw in timed}
        if timed:
            per_block = max(1, min(1000, round(block_seconds / max(warmup[reference],
                                                                   1e-9))))
        for repetition in range(repeats if timed else 0):
            shift = repetition % len(timed)
            for fw in timed[shift:] + timed[:shift]:
                if fw.startswith("torch"):
                    time.sleep(TORCH_PAUSE)
                seconds, cpu_seconds, last_loss = _time_block(steps[fw], per_block)
                samples[fw].append(seconds)
                cpu_samples[fw].append(cpu_seconds)
                finite[fw] = finite[fw] and math.isfinite(last_loss)
    finally:
        gc.unfreeze()
    medians = {fw: statistics.median(samples[fw]) for fw in timed if finite[fw]}
    cpu_medians = {fw: statistics.median(cpu_samples[fw]) for fw in timed if finite[fw]}
    baseline, cpu_baseline = medians.get(reference), cpu_medians.get(reference)
    other_load = meter.other_load()
    load_after = _load_average()
    cpus = os.cpu_count() or 1
    busy = bool((other_load is not None and other_load >= BUSY_CPUS) or any(
        load is not None and load > cpus for load in (load_before, load_after)))
    result: dict[str, Any] = {
        "workload": entry.key, "title": entry.title, "dtype": dtype.name, "size": size,
        "parameters": dict(entry.sizes[size]), "steps_per_sample": per_block,
        "repeats": repeats, "target": entry.target, "torch_reference": entry.torch_reference,
        "reference": reference,
        "other_load_cpus": other_load, "load_average": [load_before, load_after],
        "busy": busy,
        "frameworks": {
            fw: {"agrees": agrees[fw], "finite": finite.get(fw, False),
                 "checked_against": entry.reference_of(fw),
                 "check_losses": losses[fw], "median_s": medians.get(fw),
                 "cpu_median_s": cpu_medians.get(fw),
                 "samples_s": samples.get(fw, []), "cpu_samples_s": cpu_samples.get(fw, []),
                 "ratio": (medians[fw] / baseline if fw in medians and baseline else None),
                 "cpu_ratio": (cpu_medians[fw] / cpu_baseline
                               if fw in cpu_medians and cpu_baseline else None),
                 "ratio_range": (_spread(_ratios(samples[fw], samples[reference]))
                                 if fw in medians and baseline else None),
                 "cpu_ratio_range": (_spread(_ratios(cpu_samples[fw], cpu_samples[reference]))
                                     if fw in cpu_medians and cpu_baseline else None)}
            for fw in names},
    }
    if entry.per_op:
        n_ops = entry.sizes[size]["n_ops"]
        for fw in names:
            info = result["frameworks"][fw]
            info["overhead_per_op_us"] = (
                (info["median_s"] - baseline) / n_ops * 1e6
                if info["median_s"] is not None and baseline else None)
        result["memory_per_op_bytes"] = chain_memory(dtype, n_ops, entry.sizes[size]["width"])
        result["memory_target"] = MEMORY_TARGET
        result["memory_met"] = bool(result["memory_per_op_bytes"]["bookkeeping"]
                                    <= MEMORY_TARGET)
    result["goal"] = judge_goal(entry, result)
    result["meets_target"] = result["goal"]["met"]
    return result


def judge_goal(entry: Workload, result: Mapping[str, Any]) -> dict[str, Any]:
    """The workload's goal, measured: tinygrad_ae's median against the median of the
    framework the goal names (:data:`~tinygrad_ae.studies.bench.workloads.GOALS`), both
    from ``result``'s interleaved repetitions.

    Returns ``text`` (the goal as written), ``value`` and ``cpu_value`` (wall-clock and
    CPU time), ``range`` (the smallest and largest value within one repetition), ``met``
    (judged on the wall-clock median: True, False, or None when there is no target or the
    framework divided by was not measured; False when tinygrad_ae has no time, being wrong
    or diverged), and the same figures for PyTorch's counterpart (``torch_*``: PyTorch
    against numpy, or PyTorch's HVP against PyTorch's gradient), for comparison.
    """
    kind = GOALS[entry.goal]
    infos = result["frameworks"]
    n_ops = result["parameters"].get("n_ops", 1)

    def compare(subject: str, against: str, key: str) -> float | None:
        a = (infos.get(subject) or {}).get(key)
        b = (infos.get(against) or {}).get(key)
        if a is None or b is None or b <= 0:
            return None
        return (a - b) / n_ops * 1e6 if kind.per_op else a / b

    def spread(subject: str, against: str) -> tuple[float, float] | None:
        if compare(subject, against, "median_s") is None:
            return None
        pairs = zip(infos[subject]["samples_s"], infos[against]["samples_s"])
        values = [(a - b) / n_ops * 1e6 if kind.per_op else a / b for a, b in pairs if b > 0]
        return _spread(values)

    theirs = kind.against.replace("tinygrad_ae", "torch")
    value = compare("tinygrad_ae", kind.against, "median_s")
    met: bool | None
    if entry.target is None:
        met = None
    elif (infos.get("tinygrad_ae") or {}).get("median_s") is None:
        met = False
    else:
        met = None if value is None else bool(value <= entry.target)
    return {
        "kind": entry.goal, "target": entry.target, "against": kind.against,
        "unit": kind.unit, "per_op": kind.per_op, "text": entry.goal_text(),
        "value": value, "cpu_value": compare("tinygrad_ae", kind.against, "cpu_median_s"),
        "range": spread("tinygrad_ae", kind.against), "met": met,
        "torch_against": theirs if theirs != "torch" else None,
        "torch_value": compare("torch", theirs, "median_s") if theirs != "torch" else None,
        "torch_cpu_value": (compare("torch", theirs, "cpu_median_s")
                            if theirs != "torch" else None),
        "torch_range": spread("torch", theirs) if theirs != "torch" else None,
    }


def _time_block(step: Step, n_steps: int) -> tuple[float, float, float]:
    """Wall-clock and CPU seconds per step over ``n_steps`` consecutive steps, and the last
    step's loss. CPU time counts every thread of this process (BLAS's too), so it is
    what the work cost, whatever else the machine was doing."""
    loss = 0.0
    cpu_start, start = time.process_time(), time.perf_counter()
    for _ in range(n_steps):
        loss = step()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return wall / n_steps, cpu / n_steps, loss


_THREAD_LIMIT: Any = None  # keeps threadpoolctl's limit in force while the process runs


def thread_settings(threads: int | None = None, use_torch: bool = True) -> dict[str, Any]:
    """Make numpy's BLAS and PyTorch use the same number of threads; say what is set.

    ``threads`` None keeps numpy's BLAS as it is and gives PyTorch the same count. With
    ``use_torch`` False PyTorch is not imported at all (that takes about 1.5 s of CPU).
    numpy's BLAS is limited with ``threadpoolctl`` when it is installed; without it, set
    ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` before Python starts.
    """
    global _THREAD_LIMIT
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "env": {
        name: os.environ.get(name) for name in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE")}, "torch_pause_s": TORCH_PAUSE}
    blas: list[dict[str, Any]] = []
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        if threads is not None:
            _THREAD_LIMIT = threadpoolctl.threadpool_limits(threads, user_api="blas")
        blas = [{k: pool.get(k) for k in ("internal_api", "version", "architecture",
                                           "num_threads")}
                for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]
    info["numpy_blas"] = blas
    info["requested"] = threads
    count = threads if threads is not None else (
        blas[0]["num_threads"] if blas else os.cpu_count())
    info["threads"] = count
    if use_torch and torch_available():
        import torch

        torch.set_num_threads(int(count or 1))
        info["torch_threads"] = torch.get_num_threads()
        info["torch_version"] = torch.__version__
    return info


def run_benchmarks(workloads: Sequence[str] = tuple(WORKLOADS),
                   dtypes: Sequence[str] = ("float32", "float64"), size: str = "full",
                   repeats: int = 9, use_torch: bool = True, threads: int | None = None,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmarks in this process and return everything measured, ready for JSON.

    A workload that cannot run here (W6 without PyTorch) is listed under ``skipped`` with
    the reason, so the report says why its row is empty."""
    settings = thread_settings(threads, use_torch)
    frameworks = [fw for fw in FRAMEWORKS if fw != "torch" or (use_torch and torch_available())]
    results = []
    skipped: dict[str, str] = {}
    for key in workloads:
        missing = missing_for_goal(_workload(key), runnable(_workload(key), frameworks))
        if missing:
            skipped[key] = ("needs PyTorch, its reference or its goal's "
                            + ("(not installed)" if use_torch else "(--no-torch)"))
            continue
        for dtype in dtypes:
            if progress is not None:
                progress(f"{key} {dtype} ...")
            results.append(time_workload(key, dtype, size, frameworks, repeats))
    resident: dict[str, Any] = {}
    if "W5" in workloads and size != "tiny":
        if progress is not None:
            progress("W5 resident memory per op ...")
        for fw in frameworks[1:]:
            resident[fw] = {dtype: resident_memory_per_op(fw, dtype) for dtype in dtypes}
    return {
        "tinygrad_ae": __version__, "numpy": np.__version__, "python": sys.version.split()[0],
        "machine": platform.platform(), "processor": platform.processor(),
        "threads": settings, "size": size, "repeats": repeats,
        "frameworks": frameworks, "results": results,
        "resident_memory_per_op_bytes": resident, "skipped": skipped,
        "unregistered": list(UNREGISTERED),
    }
