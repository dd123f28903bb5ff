"""The benchmark's tables, JSON and command line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tinygrad_ae._files import OutputConflict, check_output_file, finite_json, write_atomically

from .harness import BUSY_CPUS, run_benchmarks
from .profile import markdown_profiles, profile_in_fresh_process
from .registry import WORKLOADS
from .workloads import SIZES

# --- output --------------------------------------------------------------------------

def settings_of(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The single-setting reports in ``report``: its ``settings`` when it was made with
    ``--threads both``, else the report itself."""
    return list(report.get("settings") or [report])


def setting_label(report: Mapping[str, Any]) -> str:
    """``"one BLAS thread"`` or ``"the default: 2 BLAS threads"``, with PyTorch's count."""
    threads = report.get("threads") or {}
    count, requested = threads.get("threads"), threads.get("requested")
    if requested is None:
        label = f"the default: {count} BLAS thread{'s' * (count != 1)}"
    else:
        label = "one BLAS thread" if requested == 1 else f"{requested} BLAS threads"
    if threads.get("torch_threads") is not None and "torch" in report.get("frameworks", ()):
        label += f", PyTorch {threads['torch_threads']}"
    return label


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.3f}"


def _number(value: float, per_op: bool) -> str:
    return f"{value:+.2f} µs" if per_op else f"{value:.2f}×"


def _figure(result: Mapping[str, Any], who: str) -> str:
    """The goal's measure for ``who`` ("tinygrad_ae" or "torch"): the wall-clock median,
    [the smallest–the largest within one repetition], and the CPU-time median."""
    goal, infos = result["goal"], result["frameworks"]
    prefix = "" if who == "tinygrad_ae" else "torch_"
    against = goal["against"] if who == "tinygrad_ae" else goal["torch_against"]
    if against is None:
        return "reference"
    for name in (who, against):
        info = infos.get(name)
        if info is None:
            return "—"
        if not info.get("agrees", False):
            return f"MISMATCH ({name} vs {info.get('checked_against')})"
        if not info.get("finite", False):
            return f"DIVERGED ({name})"
    value = goal[prefix + "value"]
    if value is None:
        return "—"
    text = _number(value, goal["per_op"])
    low_high = goal[prefix + "range"]
    if low_high:
        low, high = (f"{v:+.2f}" if goal["per_op"] else f"{v:.2f}" for v in low_high)
        text += f" [{low}–{high}]"
    if goal[prefix + "cpu_value"] is not None:
        text += f", CPU {_number(goal[prefix + 'cpu_value'], goal['per_op'])}"
    return text


def _verdict(result: Mapping[str, Any]) -> str:
    goal = result["goal"]
    text = {True: "met", False: "**missed**",
            None: "no goal" if goal["target"] is None else "not judged"}[goal["met"]]
    return text + (" ⚠ busy" if result.get("busy") and goal["met"] is not None else "")


def _load(result: Mapping[str, Any]) -> str:
    before, after = (list(result.get("load_average") or []) + [None, None])[:2]
    averages = " → ".join("—" if a is None else f"{a:.2f}" for a in (before, after))
    other = result.get("other_load_cpus")
    text = averages + ("" if other is None else f"; others {other:.2f} CPU")
    return text + (" ⚠ busy" if result.get("busy") else "")


def _medians(result: Mapping[str, Any]) -> str:
    return " · ".join(f"{fw} {_ms(info['median_s'])}"
                      for fw, info in result["frameworks"].items())


def _memory_row(result: Mapping[str, Any]) -> list[str]:
    memory = result["memory_per_op_bytes"]
    met = "met" if result.get("memory_met") else "**missed**"
    return [f"{result['workload']} memory per recorded op (bookkeeping)", result["dtype"],
            f"≤ {result['memory_target']:.0f} B",
            f"{memory['bookkeeping']:.0f} B (+{memory['values']:.0f} B value)", met,
            "—", "—", "—"]


_HEADER = ["workload", "dtype", "goal", "tinygrad_ae [range], CPU", "met",
           "PyTorch, same measure", "ms per step", "load average before → after"]


def _rows(report: Mapping[str, Any], titles: bool) -> list[list[str]]:
    rows = []
    for result in report["results"]:
        name = (f"{result['workload']} {result['title']}" if titles else result["workload"])
        rows.append([name, result["dtype"], result["goal"]["text"],
                     _figure(result, "tinygrad_ae"), _verdict(result),
                     _figure(result, "torch"), _medians(result), _load(result)])
        if result.get("memory_per_op_bytes") is not None:
            rows.append(_memory_row(result))
    return rows


def _busy_rows(report: Mapping[str, Any]) -> list[str]:
    return [f"{r['workload']} {r['dtype']}" for r in report["results"] if r.get("busy")]


def _notes(report: Mapping[str, Any]) -> list[str]:
    """What was not run and why, for both tables."""
    notes = [f"{key} not run: {why}" for key, why in (report.get("skipped") or {}).items()]
    return notes + list(report.get("unregistered") or [])


def format_table(report: Mapping[str, Any]) -> str:
    """Plain-text tables, one per thread setting: the goal, tinygrad_ae's measure of it,
    met or missed, PyTorch's measure, medians (ms per step) and the machine's load."""
    blocks = []
    for one in settings_of(report):
        rows = [_HEADER] + [[cell.replace("**", "") for cell in row]
                            for row in _rows(one, titles=False)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
        lines = [f"== {setting_label(one)}"]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                  for r in rows]
        lines.insert(2, "  ".join("-" * w for w in widths))
        threads = one.get("threads") or {}
        lines += ["", f"threads: numpy BLAS {threads.get('threads')} ({_blas_name(threads)}), "
                      f"torch {threads.get('torch_threads', '—')}; size {one.get('size')}, "
                      f"medians of {one.get('repeats')} interleaved repetitions"]
        busy = _busy_rows(one)
        if busy:
            lines.append(f"WARNING: the machine was busy while these were measured (other "
                         f"processes kept ≥ {BUSY_CPUS} CPU busy, or the load average "
                         f"exceeded the cores); their wall-clock figures and verdicts are "
                         f"not reliable, rerun on a quiet machine: {', '.join(busy)}")
        resident = one.get("resident_memory_per_op_bytes") or {}
        if resident:
            lines.append("W5 resident memory per op (fresh process, 100,000 ops): " + ", ".join(
                f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
                for dtype, value in by_dtype.items()))
        lines += _notes(one)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _bytes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} B"


def markdown_table(report: Mapping[str, Any]) -> str:
    """The goals table of the issue, filled in: one table per thread setting, a row per
    workload and dtype with its goal, the measure, met or missed, PyTorch's measure,
    the medians and the load (for docs/performance.md)."""
    settings = settings_of(report)
    busy = sum(len(_busy_rows(one)) for one in settings)
    total = sum(len(one["results"]) for one in settings)
    lines = []
    if busy:
        lines += [f"**⚠ {busy} of {total} rows were measured while the machine was busy** "
                  f"(other processes kept ≥ {BUSY_CPUS} CPU busy, or the load average "
                  f"exceeded the cores; marked ⚠ busy): their wall-clock figures and "
                  f"verdicts are not reliable. Rerun on a quiet machine.", ""]
    for one in settings:
        lines += [f"**{setting_label(one)[0].upper()}{setting_label(one)[1:]}**", "",
                  "| " + " | ".join(_HEADER) + " |", "|" + " --- |" * len(_HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(one, titles=True)]
        lines += ["", _footnote(one)]
        resident = one.get("resident_memory_per_op_bytes") or {}
        if resident:
            lines += ["", "Resident memory per recorded op of a 100,000-op chain, each in a "
                      "fresh process (all memory, Python's heap or not): " + "; ".join(
                          f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
                          for dtype, value in by_dtype.items()) + "."]
        lines.append("")
    notes = _notes(settings[0])
    if notes:
        lines += ["Not in the table: " + "; ".join(notes) + ".", ""]
    lines.append(
        "Each figure is the goal's measure: tinygrad_ae's median time per step divided by "
        "the median of what the goal names (numpy's hand-written step, PyTorch's step, or "
        "tinygrad_ae's own gradient), or for W5 their difference per op; [the smallest–the "
        "largest value within one repetition] and the same measure in CPU time (this "
        "process, all threads). \"met\" compares the wall-clock median with the goal. The "
        "PyTorch column is the same measure for PyTorch (against numpy, or its own "
        "gradient); for W6, PyTorch is the reference. Load: the load average before → "
        "after the row, and the CPUs other processes kept busy meanwhile."
        + (f" Generated in {_duration(report['elapsed_s'])} by `{report['command']}`."
           if report.get("command") and report.get("elapsed_s") else ""))
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _threads(count: Any) -> str:
    return f"{count} thread{'s' * (count != 1)}"


def _footnote(report: Mapping[str, Any]) -> str:
    threads = report.get("threads") or {}
    has_torch = "torch" in (report.get("frameworks") or [])
    averages = [a for r in report["results"] for a in r.get("load_average") or []
                if a is not None]
    return (f"Medians of {report['repeats']} interleaved repetitions, size "
            f"`{report['size']}`; numpy {report.get('numpy')} ({_blas_name(threads)}, "
            f"{_threads(threads.get('threads'))})"
            + (f", PyTorch {threads.get('torch_version')} "
               f"({_threads(threads.get('torch_threads'))})" if has_torch else "")
            + f"; Python {report.get('python')} on {report.get('machine')}, "
              f"{threads.get('cpu_count')} cores"
            + (f"; load average {min(averages):.2f}–{max(averages):.2f}" if averages else "")
            + ".")


def _blas_name(threads: Mapping[str, Any]) -> str:
    blas = threads.get("numpy_blas") or []
    if not blas:
        return "BLAS unknown"
    first = blas[0]
    return f"{first.get('internal_api')} {first.get('version')} {first.get('architecture')}"


def update_doc(path: str | os.PathLike[str], table: str, block: str = "bench") -> None:
    """Replace the text between the ``<!-- {block}:begin -->`` and ``<!-- {block}:end -->``
    markers in ``path`` with ``table``."""
    target = Path(path)
    text = target.read_text(encoding="utf-8")
    opening, closing = f"<!-- {block}:begin -->", f"<!-- {block}:end -->"
    begin, end = text.find(opening), text.find(closing)
    if begin < 0 or end < begin:
        raise ValueError(f"update_doc: {str(target)!r} has no {opening} … {closing} "
                         f"block; add both markers where the table belongs")
    text = text[:begin + len(opening)] + "\n" + table + "\n" + text[end:]
    write_atomically(target, text)


# --- command line --------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tinygrad-ae bench`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="smaller problems and 3 repetitions: a smoke run, not a reference")
    parser.add_argument("--json", metavar="PATH", help="write every sample to PATH as JSON")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repetitions per framework (default 9; at least 7 "
                             "for the full size)")
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated keys among {','.join(WORKLOADS)} (default: all)")
    parser.add_argument("--threads", default=None, metavar="N|both",
                        help="threads for numpy's BLAS and PyTorch (default: numpy's "
                             "current); 'both' runs one thread and the library default, "
                             "each in a fresh process, and reports both")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--size", choices=SIZES, default=None,
                        help="problem size (default full; --quick means quick; tiny is for "
                             "tests)")
    parser.add_argument("--update-doc", metavar="PATH",
                        help="rewrite the table between the <!-- bench:begin --> and "
                             "<!-- bench:end --> markers of the markdown file PATH (and, "
                             "with --profile, the <!-- profile:… --> block)")
    parser.add_argument("--profile", action="store_true",
                        help="after timing, profile tinygrad_ae's step of every workload "
                             "and dtype that missed its goal: the functions that take the "
                             "time, the garbage collector's share, page faults")


class _Usage(Exception):
    pass


_REPORT_KEYS = {"results", "threads", "size", "repeats"}
_BOTH_KEYS = {"settings", "size", "repeats"}


def _is_bench_report(path: Path) -> bool:
    """Whether ``path`` is a ``--json`` report this command wrote (so it may be replaced)."""
    try:
        if path.stat().st_size > 1 << 26:
            return False
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(content, dict) and (_REPORT_KEYS <= set(content)
                                          or _BOTH_KEYS <= set(content))


def _parse(args: argparse.Namespace
           ) -> tuple[list[str], list[str], str, int, int | str | None]:
    by_name = {key.lower(): key for key in WORKLOADS}
    names = [w.strip().lower() for w in str(args.workloads).split(",") if w.strip()]
    unknown = [w for w in names if w not in by_name]
    if unknown or not names:
        raise _Usage(f"--workloads must list keys from {', '.join(WORKLOADS)}, got "
                     f"{args.workloads!r}")
    workloads = [by_name[w] for w in names]
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    size = args.size or ("quick" if args.quick else "full")
    repeats = args.repeats if args.repeats is not None else (9 if size == "full" else 3)
    if repeats < 1 or (repeats < 7 and size == "full"):
        raise _Usage(f"--repeats must be at least 7 for the full size (medians of at least "
                     f"7), or at least 1 with --quick; got {repeats}")
    cpus = os.cpu_count() or 1
    threads: int | str | None = args.threads
    if isinstance(threads, str) and threads != "both":
        try:
            threads = int(threads)
        except ValueError:
            raise _Usage(f"--threads must be a positive integer or 'both', got "
                         f"{args.threads!r}") from None
    if isinstance(threads, int) and threads < 1:
        raise _Usage(f"--threads must be a positive integer or 'both', got {threads}")
    if isinstance(threads, int) and threads > cpus:
        # More threads than CPUs measures contention, not speed, and a count in the
        # thousands makes OpenBLAS abort the whole interpreter.
        raise _Usage(f"--threads must be between 1 and {cpus} (the CPUs of this machine), "
                     f"got {threads}")
    if args.update_doc and not Path(args.update_doc).is_file():
        raise _Usage(f"--update-doc: no such file {args.update_doc!r}")
    if args.update_doc and getattr(args, "profile", False):
        text = Path(args.update_doc).read_text(encoding="utf-8")
        if "<!-- profile:begin -->" not in text or "<!-- profile:end -->" not in text:
            raise _Usage(f"--update-doc with --profile: {args.update_doc!r} has no "
                         f"<!-- profile:begin --> … <!-- profile:end --> block; add both "
                         f"markers where the profiles belong")
    if args.json:  # checked before the benchmarks run, so no time is spent in vain
        try:
            check_output_file(args.json, "--json", owned=_is_bench_report)
        except OutputConflict as err:
            raise _Usage(str(err)) from None
    return workloads, dtypes, size, repeats, threads


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SettingFailed(RuntimeError):
    """The run of one thread setting (a child process) ended without a report."""


def _child_environment(threads: int | None) -> dict[str, str]:
    """This process's environment for a run with ``threads`` BLAS threads (None: the
    library's default, with every thread variable removed); the package on its path."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    if threads is not None:
        env.update(dict.fromkeys(_THREAD_VARIABLES, str(threads)))
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_thread_settings(workloads: Sequence[str], dtypes: Sequence[str], size: str,
                        repeats: int, use_torch: bool = True,
                        settings: Sequence[int | None] = (1, None)) -> dict[str, Any]:
    """Run the benchmarks once per thread setting, each in a fresh Python process, and
    return their reports under ``settings`` (one BLAS thread, then the default).

    BLAS reads its thread count when numpy is imported, so a setting is fixed in the
    child's environment (``OPENBLAS_NUM_THREADS`` and its siblings) before Python starts;
    the default removes them. Progress goes to standard error as the children print it.
    Raises :class:`SettingFailed` when a child ends without writing its report.
    """
    reports = []
    with tempfile.TemporaryDirectory(prefix="tinygrad_ae_bench_") as folder:
        for threads in settings:
            path = Path(folder) / f"threads_{threads or 'default'}.json"
            command = [sys.executable, "-m", "tinygrad_ae", "bench",
                       "--workloads", ",".join(workloads), "--size", size,
                       "--repeats", str(repeats), "--json", str(path),
                       "--dtype", dtypes[0] if len(dtypes) == 1 else "both"]
            command += ["--threads", str(threads)] if threads is not None else []
            command += [] if use_torch else ["--no-torch"]
            label = "one BLAS thread" if threads == 1 else (
                "the default threads" if threads is None else f"{threads} threads")
            print(f"== {label} (a fresh process)", file=sys.stderr, flush=True)
            child = subprocess.run(command, env=_child_environment(threads),
                                   stdout=subprocess.DEVNULL)
            if child.returncode not in (0, 1) or not path.is_file():
                raise SettingFailed(f"the run with {label} failed (exit status "
                                    f"{child.returncode}); its messages are above")
            reports.append(json.loads(path.read_text(encoding="utf-8")))
    first = reports[0]
    return {"settings": reports, "size": size, "repeats": repeats,
            "frameworks": first["frameworks"], "skipped": first.get("skipped", {}),
            "unregistered": first.get("unregistered", [])}


def run(args: argparse.Namespace) -> int:
    """Run ``tinygrad-ae bench`` with parsed ``args``. Returns 0 when every framework
    agreed with its reference (and, at the full size, every goal was met), 1 otherwise,
    2 for bad options."""
    try:
        workloads, dtypes, size, repeats, threads = _parse(args)
    except _Usage as err:
        print(f"tinygrad-ae bench: error: {err}", file=sys.stderr)
        return 2
    started = time.monotonic()
    if threads == "both":
        try:
            report = run_thread_settings(workloads, dtypes, size, repeats,
                                         use_torch=not args.no_torch)
        except SettingFailed as err:
            print(f"tinygrad-ae bench: error: {err}", file=sys.stderr)
            return 1
    else:
        report = run_benchmarks(workloads, dtypes, size, repeats, use_torch=not args.no_torch,
                                threads=threads if isinstance(threads, int) else None,
                                progress=lambda text: print(text, file=sys.stderr,
                                                            flush=True))
    report["command"] = _command(args)
    results = [(setting_label(one), r) for one in settings_of(report) for r in one["results"]]
    if getattr(args, "profile", False):
        report["profiles"] = _profile_misses(results, size, use_torch=not args.no_torch)
    report["elapsed_s"] = time.monotonic() - started
    print(format_table(report))
    for found in report.get("profiles", []):
        print(f"\n{found['workload']} {found['dtype']}: where tinygrad_ae's step goes")
        for f in found.get("functions", []):
            print(f"  {f['share'] * 100:5.1f} %  {f['calls']:8.0f} calls  {f['name']}")
    if args.json:
        try:
            write_atomically(args.json, finite_json(report, indent=1) + "\n",
                             may_replace=_is_bench_report)
        except OutputConflict as err:
            print(f"tinygrad-ae bench: error: {err}", file=sys.stderr)
            return 2
        print(f"wrote {args.json}")
    if args.update_doc:
        update_doc(args.update_doc, markdown_table(report))
        if "profiles" in report:
            update_doc(args.update_doc, markdown_profiles(report["profiles"], report["command"]),
                       block="profile")
        print(f"updated {args.update_doc}")
    failures = [f"{r['workload']} {r['dtype']} {fw} ({label})" for label, r in results
                for fw, info in r["frameworks"].items()
                if not (info["agrees"] and info["finite"])]
    if failures:
        print(f"tinygrad-ae bench: wrong or diverged (no time reported): {', '.join(failures)}",
              file=sys.stderr)
        return 1
    missed = [f"{r['workload']} {r['dtype']} ({label})" for label, r in results
              if r["meets_target"] is False or r.get("memory_met") is False]
    if missed and size == "full":
        print(f"tinygrad-ae bench: goal missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def _profile_misses(results: Sequence[tuple[str, Mapping[str, Any]]], size: str,
                    use_torch: bool = True) -> list[dict[str, Any]]:
    """A profile of tinygrad_ae's step for each workload and dtype that missed its goal
    in any thread setting (a timing goal: the memory goal has its own measure)."""
    missed = dict.fromkeys((r["workload"], r["dtype"]) for _, r in results
                           if r["meets_target"] is False)
    profiles = []
    for key, dtype in missed:
        print(f"profiling {key} {dtype} ...", file=sys.stderr, flush=True)
        try:
            profiles.append(profile_in_fresh_process(key, dtype, size, use_torch=use_torch))
        except RuntimeError as err:  # the timed run stands; say what could not be profiled
            print(f"tinygrad-ae bench: {err}", file=sys.stderr)
            profiles.append({"workload": key, "dtype": dtype, "error": str(err)})
    return profiles


def _command(args: argparse.Namespace) -> str:
    """The command that regenerates this report (the options given, in a fixed order)."""
    parts = ["python benchmarks/run.py"]
    for flag, value in (("--size", args.size), ("--repeats", args.repeats),
                        ("--threads", args.threads), ("--json", args.json),
                        ("--update-doc", args.update_doc)):
        if value is not None:
            parts += [flag, str(value)]
    if args.quick:
        parts.append("--quick")
    if args.dtype != "both":
        parts += ["--dtype", args.dtype]
    if args.workloads != ",".join(WORKLOADS):
        parts += ["--workloads", args.workloads]
    if args.no_torch:
        parts.append("--no-torch")
    if getattr(args, "profile", False):
        parts.append("--profile")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """``tinygrad-ae bench`` as a function: parse ``argv`` and :func:`run`."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-ae bench",
        description="Time tinygrad_ae against hand-written numpy (and PyTorch when "
                    "installed) on every workload; losses are checked before times.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
