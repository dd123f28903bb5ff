"""The command line of the convergence study: tinygrad-ae converge.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tinygrad_ae._files import OutputConflict, check_output_folder, finite_json, output_folder

from .figures import plot_all
from .measure import ConvergenceResult
from .report import markdown_tables, summarize, traced_runs
from .sweep import _finite, study
from .uncentred import centring_answer, mean_sweep, mean_table

OUTPUT_FILES = ("results.json", "tables.md", "uncentred.md", "convergence_predicted.png",
                "convergence_eigengap.png", "convergence_lr.png", "convergence_staircase.png",
                "convergence_methods.png")
"""Every file ``tinygrad-ae converge`` may write into its folder."""

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
                  meta: dict[str, Any] | None = None,
                  texts: dict[str, str] | None = None) -> dict[str, Path]:
    """Write ``results.json`` (rows, summaries, ``meta``), ``tables.md`` (the
    :func:`markdown_tables`), the :func:`plot_all` figures and ``texts`` (file name →
    text, e.g. ``uncentred.md``) into ``out_dir``; return the paths by name.

    Every file is written atomically and replaces only a file this tool wrote there
    (see :func:`tinygrad_ae._files.output_folder`); a file of the user's of the same
    name raises :class:`tinygrad_ae._files.OutputConflict`. Non-finite numbers are written
    as ``null``, so ``results.json`` is always valid JSON.

    >>> import tempfile
    >>> rows = study(quick=True, seeds=1, sweeps=["paper"], progress=False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorted(write_outputs(rows, None, folder))
    ['convergence_eigengap', 'convergence_lr', 'convergence_predicted', 'results', 'tables']
    """
    folder = Path(out_dir)
    tables = markdown_tables(rows)
    summaries = [{key: _finite(value) for key, value in s.items()} for s in summarize(rows)]
    with output_folder(folder, OUTPUT_FILES) as staging:
        (staging / "results.json").write_text(finite_json(
            {"meta": meta or {}, "rows": list(rows), "summaries": summaries}, indent=1),
            encoding="utf-8")
        (staging / "tables.md").write_text(
            "".join(f"## {name}\n\n{table}\n\n" for name, table in tables.items()),
            encoding="utf-8")
        figures = plot_all(rows, runs, staging)
        for name, text in (texts or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
    written = {"results": folder / "results.json", "tables": folder / "tables.md"}
    written.update({Path(name).stem: folder / name for name in texts or {}})
    for path in figures:
        written[path.stem] = folder / path.name
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
        check_output_folder(out, OUTPUT_FILES)  # before the work: nothing computed in vain
    except OutputConflict as error:
        print(f"tinygrad-ae converge: error: {error}", file=sys.stderr)
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
    try:
        written = write_outputs(rows, runs, out, meta, texts={
            "uncentred.md": f"{mean_table(uncentred)}\n\n{centring_answer(uncentred)}\n"})
    except OutputConflict as error:  # the folder changed while the study ran
        print(f"tinygrad-ae converge: error: {error}", file=sys.stderr)
        return 2
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
