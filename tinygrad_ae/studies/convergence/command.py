"""The command line of the convergence study: tinygrad-ae converge.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .figures import plot_all
from .measure import ConvergenceResult
from .report import markdown_tables, summarize, traced_runs
from .sweep import _finite, study
from .uncentred import centring_answer, mean_sweep, mean_table

# ---------------------------------------------------------------------------------------------
# Command line: tinygrad-ae converge
# ---------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tinygrad-ae converge`` to ``parser``.

    >>> parser = argparse.ArgumentParser(prog="converge")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--quick", "--seeds", "2"])
    >>> args.quick, args.seeds, args.out
    (True, 2, 'tinygrad_ae_out/converge')
    """
    parser.add_argument("--quick", action="store_true",
                        help="small grids, 3 seeds, short budgets (under a minute)")
    parser.add_argument("--out", default="tinygrad_ae_out/converge",
                        help="folder for results.json, tables.md and the PNG figures "
                             "(default: %(default)s)")
    parser.add_argument("--seeds", type=_positive_int, default=None,
                        help="seeds per setting (default: 10, 20 for the paper table; "
                             "3 with --quick)")
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="processes to run settings in (default: one per CPU)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")


def write_outputs(rows: Sequence[dict[str, Any]], runs: dict[str, ConvergenceResult] | None,
                  out_dir: str | os.PathLike[str],
                  meta: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``results.json`` (rows, summaries, ``meta``), ``tables.md`` (the
    :func:`markdown_tables`) and the :func:`plot_all` figures into ``out_dir``; return the
    paths by name.

    >>> import tempfile
    >>> rows = study(quick=True, seeds=1, sweeps=["paper"], progress=False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorted(write_outputs(rows, None, folder))
    ['convergence_eigengap', 'convergence_lr', 'convergence_predicted', 'results', 'tables']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tables = markdown_tables(rows)
    summaries = [{key: _finite(value) for key, value in s.items()} for s in summarize(rows)]
    results = folder / "results.json"
    results.write_text(json.dumps({"meta": meta or {}, "rows": list(rows),
                                   "summaries": summaries}, indent=1, allow_nan=False))
    markdown = folder / "tables.md"
    markdown.write_text("".join(f"## {name}\n\n{table}\n\n" for name, table in tables.items()))
    written = {"results": results, "tables": markdown}
    for path in plot_all(rows, runs, folder):
        written[path.stem] = path
    return written


def run(args: argparse.Namespace) -> int:
    """Run ``tinygrad-ae converge`` with parsed ``args`` (see :func:`add_arguments`): the
    :func:`study`, the :func:`traced_runs`, the uncentred :func:`mean_sweep` of the 2-1-2
    network (``uncentred.md``), then :func:`write_outputs` into ``args.out``.
    Returns the exit status: 0, or 2 with one line on standard error when the output folder
    cannot be written.

    >>> args = argparse.Namespace(out="/dev/null/converge", quick=True, seeds=None,
    ...                           workers=1, progress=False)
    >>> run(args)
    2
    """
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        print(f"tinygrad-ae converge: error: cannot write to {str(out)!r} "
              f"({error.strerror or error}); choose another --out folder", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rows = study(quick=args.quick, seeds=args.seeds, progress=args.progress,
                 workers=args.workers)
    runs = traced_runs(quick=args.quick)
    # The mean sweep of the 2-1-2 network (numpy GD over all seeds at once; 200 seeds in full).
    uncentred = mean_sweep("paper", seeds=20 if args.quick else 200,
                           per_network=5 if args.quick else 20,
                           max_steps=2000 if args.quick else 20_000)
    meta = {"quick": bool(args.quick), "seeds": args.seeds,
            "seconds": round(time.perf_counter() - start, 1), "cpus": os.cpu_count()}
    written = write_outputs(rows, runs, out, meta)
    uncentred_md = out / "uncentred.md"
    uncentred_md.write_text(f"{mean_table(uncentred)}\n\n{centring_answer(uncentred)}\n",
                            encoding="utf-8")
    written["uncentred"] = uncentred_md
    print(markdown_tables(rows)["headline"])
    print(centring_answer(uncentred))
    print(f"study took {meta['seconds']} s; wrote:")
    for path in written.values():
        print(f"  {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tinygrad_ae.convergence [--quick] [--out DIR] [--seeds N] [--workers N]``:
    parse ``argv`` with :func:`add_arguments` and :func:`run`; returns the exit status.

    >>> main(["--quick", "--out", "/dev/null/converge"])
    2
    """
    parser = argparse.ArgumentParser(prog="tinygrad-ae converge",
                                     description="How long a linear autoencoder takes to reach "
                                                 "PCA: sweeps, tables and figures.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
