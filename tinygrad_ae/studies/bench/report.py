"""The benchmark's tables, JSON and command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .harness import run_benchmarks
from .workloads import MEMORY_TARGET, SIZES, WORKLOADS

# --- output --------------------------------------------------------------------------

def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.3f}"


def _cell(info: Mapping[str, Any], per_op: bool) -> str:
    if not info.get("agrees", False):
        return "MISMATCH"
    if not info.get("finite", False):
        return "DIVERGED"
    if per_op:
        return f"{info['overhead_per_op_us']:+.2f} µs/op"
    return f"{info['ratio']:.2f}×"


def _verdict(result: Mapping[str, Any]) -> str:
    return {True: "yes", False: "NO", None: "—"}[result["meets_target"]]


def format_table(report: Mapping[str, Any]) -> str:
    """A plain-text table: medians (ms per step), ratios to numpy, targets."""
    frameworks = list(report["frameworks"])
    header = (["workload", "dtype"] + [f"{fw} ms" for fw in frameworks]
              + [f"{fw}/numpy" for fw in frameworks[1:]] + ["target", "met", "other load"])
    rows = [header]
    for result in report["results"]:
        infos, per_op = result["frameworks"], result.get("memory_per_op_bytes") is not None
        target = result["target"]
        row = [result["workload"], result["dtype"]]
        row += [_ms(infos[fw]["median_s"]) for fw in frameworks]
        row += [_cell(infos[fw], per_op) for fw in frameworks[1:]]
        row += ["—" if target is None else f"≤{target} µs/op" if per_op else f"≤{target}×",
                _verdict(result), _load(result.get("other_load_cpus"))]
        rows.append(row)
        if per_op:
            memory = result["memory_per_op_bytes"]
            rows.append([result["workload"], result["dtype"], "memory/op"]
                        + [""] * (len(frameworks) - 1)
                        + [f"{memory['bookkeeping']:.0f} B (+{memory['values']:.0f} B value)"]
                        + [""] * (len(frameworks) - 2)
                        + [f"≤{result['memory_target']:.0f} B", "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    threads = report["threads"]
    lines += ["", f"threads: numpy BLAS {threads.get('threads')} ({_blas_name(threads)}), "
                  f"torch {threads.get('torch_threads', '—')}; size {report['size']}, "
                  f"medians of {report['repeats']} interleaved repetitions"]
    resident = report.get("resident_memory_per_op_bytes") or {}
    if resident:
        lines.append("W5 resident memory per op (fresh process, 100,000 ops): " + ", ".join(
            f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
            for dtype, value in by_dtype.items()))
    return "\n".join(lines)


def _load(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} CPU"


def _bytes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} B"


def markdown_table(report: Mapping[str, Any]) -> str:
    """The issue's table with the measured columns filled in (for docs/performance.md)."""
    by_key: dict[str, dict[str, Mapping[str, Any]]] = {}
    for result in report["results"]:
        by_key.setdefault(result["workload"], {})[result["dtype"]] = result
    has_torch = "torch" in report["frameworks"]
    header = ["workload", "PyTorch CPU (issue)", "target", "tinygrad_ae f32", "tinygrad_ae f64"]
    if has_torch:
        header += ["PyTorch f32 (here)", "PyTorch f64 (here)"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]

    def cell(result: Mapping[str, Any] | None, fw: str, per_op: bool) -> str:
        if result is None:
            return "not run"
        info = result["frameworks"].get(fw)
        return "—" if info is None else _cell(info, per_op).replace(" µs/op", " µs")

    for key, entry in WORKLOADS.items():
        if key not in by_key:
            continue
        f32, f64 = by_key[key].get("float32"), by_key[key].get("float64")
        if entry.target is None:
            target = "—"
        else:
            target = f"≤ {entry.target} µs" if entry.per_op else f"≤ {entry.target}×"
        title = f"{key} {entry.title}" + (": overhead per op above numpy" if entry.per_op
                                          else "")
        row = [title, entry.torch_reference, target, cell(f32, "tinygrad_ae", entry.per_op),
               cell(f64, "tinygrad_ae", entry.per_op)]
        if has_torch:
            row += [cell(f32, "torch", entry.per_op), cell(f64, "torch", entry.per_op)]
        lines.append("| " + " | ".join(row) + " |")
        if entry.per_op:
            memory = [r["memory_per_op_bytes"] if r else None for r in (f32, f64)]
            row = [f"{key} memory per recorded op: bookkeeping (+ the 8-number result array)",
                   "195 B (not measured here)", f"≤ {MEMORY_TARGET:.0f} B"] + [
                "not run" if m is None else f"{m['bookkeeping']:.0f} B (+{m['values']:.0f} B)"
                for m in memory]
            if has_torch:
                row += ["see below", "see below"]
            lines.append("| " + " | ".join(row) + " |")
    threads = report["threads"]
    loads = [r["other_load_cpus"] for r in report["results"]
             if r.get("other_load_cpus") is not None]
    lines.append("")
    lines.append(
        f"Medians of {report['repeats']} interleaved repetitions, size `{report['size']}`; "
        f"numpy {report['numpy']} ({_blas_name(threads)}, {threads.get('threads')} threads)"
        + (f", PyTorch {threads.get('torch_version')} ({threads.get('torch_threads')} "
           f"threads)" if has_torch else "")
        + f"; Python {report['python']} on {report['machine']}, {threads.get('cpu_count')} "
          f"cores" + (f"; other processes kept {max(loads):.2f} CPUs busy at most while a row "
                      f"was measured" if loads else "") + ".")
    resident = report.get("resident_memory_per_op_bytes") or {}
    if resident:
        lines.append("")
        lines.append("Resident memory per recorded op of a 100,000-op chain, each in a fresh "
                     "process (all memory, Python's heap or not): " + "; ".join(
                         f"{fw} {dtype} {_bytes(value)}" for fw, by_dtype in resident.items()
                         for dtype, value in by_dtype.items()) + ".")
    return "\n".join(lines)


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
    target.write_text(text, encoding="utf-8")


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
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and PyTorch (default: numpy's current)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--size", choices=SIZES, default=None,
                        help="problem size (default full; --quick means quick; tiny is for "
                             "tests)")
    parser.add_argument("--update-doc", metavar="PATH",
                        help="rewrite the table between the <!-- bench:begin --> and "
                             "<!-- bench:end --> markers of the markdown file PATH")


class _Usage(Exception):
    pass


def _parse(args: argparse.Namespace) -> tuple[list[str], list[str], str, int]:
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
    if args.threads is not None and args.threads < 1:
        raise _Usage(f"--threads must be a positive integer, got {args.threads}")
    if args.update_doc and not Path(args.update_doc).is_file():
        raise _Usage(f"--update-doc: no such file {args.update_doc!r}")
    return workloads, dtypes, size, repeats


def run(args: argparse.Namespace) -> int:
    """Run ``tinygrad-ae bench`` with parsed ``args``. Returns 0 when every framework
    agreed with numpy (and, at the full size, every target was met), 1 otherwise, 2 for
    bad options."""
    try:
        workloads, dtypes, size, repeats = _parse(args)
    except _Usage as err:
        print(f"tinygrad-ae bench: error: {err}", file=sys.stderr)
        return 2
    report = run_benchmarks(workloads, dtypes, size, repeats, use_torch=not args.no_torch,
                            threads=args.threads,
                            progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(format_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.update_doc:
        update_doc(args.update_doc, markdown_table(report))
        print(f"updated {args.update_doc}")
    failures = [f"{r['workload']} {r['dtype']} {fw}" for r in report["results"]
                for fw, info in r["frameworks"].items()
                if not (info["agrees"] and info["finite"])]
    if failures:
        print(f"tinygrad-ae bench: wrong or diverged (no time reported): {', '.join(failures)}",
              file=sys.stderr)
        return 1
    missed = [f"{r['workload']} {r['dtype']}" for r in report["results"]
              if r["meets_target"] is False]
    if missed and size == "full":
        print(f"tinygrad-ae bench: target missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``tinygrad-ae bench`` as a function: parse ``argv`` and :func:`run`."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-ae bench",
        description="Time tinygrad_ae against hand-written numpy (and PyTorch when "
                    "installed) on five workloads; losses are checked before times.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
