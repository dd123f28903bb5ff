"""How long does a linear autoencoder take to reach PCA? Run the full study, refresh the docs.

Run from the repository root:

    python examples/convergence_study.py            # full study (~15 min on 2 cores)
    python examples/convergence_study.py --quick    # smoke run (< 1 min); writes to a scratch
                                                    # folder, never into docs/

The full run regenerates, from one set of runs:

- the headline and the seed check from 200 seeds of the 2-1-2 network, and the uncentred
  sweeps (2-1-2 and m = 16, k = 4; 200 seeds each, numpy GD from the data's moments);
- the tables of docs/convergence.md, between its ``<!-- generated:NAME:begin -->`` and
  ``<!-- generated:NAME:end -->`` markers (the prose around them is written by hand from
  these numbers);
- the figures docs/img/convergence_*.png;
- the raw rows and summaries in tinygrad_ae_out/convergence_study/results.json.

Everything is seeded, so a rerun on any machine gives the same step counts; only the wall
times differ. The same study is ``tinygrad-ae converge`` (``tinygrad_ae.studies.convergence.run``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    from tinygrad_ae.studies import convergence
except ImportError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(REPO_ROOT))
    from tinygrad_ae.studies import convergence

DOC = REPO_ROOT / "docs" / "convergence.md"
IMAGES = REPO_ROOT / "docs" / "img"
RESULTS = REPO_ROOT / "tinygrad_ae_out" / "convergence_study"


def seed_check(rows: list[dict], block: int = 20) -> str:
    """How much a 20-seed median moves: the 2-1-2 network at ηλ_1 = 0.1 over 200 seeds, split
    into blocks of 20, next to the reference medians (docs/theory.md#reference-measurements)."""
    lines = []
    for ratio in (1.5, 2.0, 4.0, 10.0, 100.0):
        cells = [r for r in rows if r["x"] == ratio]
        reference = convergence.REFERENCE_TABLE[(ratio, 0.1)]
        out = [f"{ratio:g}"]
        for key, ref in (("steps_to_angle", reference[1]), ("steps_to_loss", reference[2])):
            values = np.array([r[key] if r[key] is not None else np.inf for r in cells])
            blocks = [np.median(values[i:i + block]) for i in range(0, len(values), block)]
            out += [f"{np.median(values):g}", f"{min(blocks):g}–{max(blocks):g}", str(ref)]
        lines.append(out)
    header = ["λ1/λ2", "T_dec, 200 seeds", f"{block}-seed medians", "ref. T_dec",
              "T_loss, 200 seeds", f"{block}-seed medians", "ref. T_loss"]
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(line) + " |" for line in lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small grids and 3 seeds, written to tinygrad_ae_out/ only")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per setting (default 10, 20 for the paper table)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes (default: one per CPU)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    rows = convergence.study(quick=args.quick, seeds=args.seeds, workers=args.workers)
    # The headline's spread and the seed check: the 2-1-2 network at ηλ_1 = 0.1, 200 seeds.
    seed_rows = convergence.study(quick=True, seeds=20 if args.quick else 200,
                                  sweeps=["paper"], workers=args.workers)
    uncentred = {model: convergence.mean_sweep(model, seeds=20 if args.quick else 200,
                                               per_network=5 if args.quick else 20,
                                               max_steps=2000 if args.quick else 20_000)
                 for model in ("paper", "m16k4")}
    runs = convergence.traced_runs(quick=args.quick)
    seconds = time.perf_counter() - start
    steps = sum(row["steps_run"] for row in rows)
    meta = {
        "quick": args.quick, "seeds": args.seeds, "runs": len(rows), "steps": steps,
        "seconds": round(seconds, 1), "python": platform.python_version(),
        "machine": platform.machine(),
    }
    out = RESULTS / ("quick" if args.quick else "full")
    written = convergence.write_outputs(rows, runs, out, meta)
    (out / "uncentred.json").write_text(json.dumps(
        {model: [{key: convergence.sweep._finite(value) for key, value in row.items()}
                 for row in sweep] for model, sweep in uncentred.items()}, indent=1))
    print(f"{len(rows)} runs, {steps} training steps, {seconds:.0f} s; results in {out}")
    if args.quick:
        print("--quick: docs/ left unchanged")
        return 0

    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, path in written.items():
        if name.startswith("convergence_"):
            target = IMAGES / path.name
            target.write_bytes(path.read_bytes())
            print(f"wrote {target.relative_to(REPO_ROOT)}")
    tables = convergence.markdown_tables(rows, headline_rows=seed_rows)
    tables["uncentred_paper"] = convergence.mean_table(uncentred["paper"])
    tables["uncentred_m16k4"] = convergence.mean_table(uncentred["m16k4"])
    tables["centring"] = (f"**Should I centre my data first?** "
                          f"{convergence.centring_answer(uncentred['paper'])} "
                          f"(For m = 16, k = 4: "
                          f"{convergence.centring_answer(uncentred['m16k4'])[5:-1]}.)")
    tables["uncentred_band"] = (
        "Per-network prediction / measured steps, pooled over every converged run it was made "
        "for, median [5–95 %]: 2-1-2: "
        f"{convergence.prediction_band(uncentred['paper'])}; m = 16, k = 4: "
        f"{convergence.prediction_band(uncentred['m16k4'])}.")
    tables["meta"] = (
        f"{len(rows)} training runs ({steps:,} engine steps with full-batch evaluation at every "
        f"step) took {seconds / 60:.1f} min of wall time on this machine "
        f"({platform.machine()}, Python {platform.python_version()}, one process per CPU)."
    )
    tables["seeds"] = seed_check(seed_rows)
    text = DOC.read_text(encoding="utf-8")
    for name, table in tables.items():
        if f"<!-- generated:{name}:begin -->" in text:
            text = convergence.replace_generated(text, name, table)
        else:
            print(f"note: {DOC.name} has no markers for {name!r}; skipped")
    DOC.write_text(text, encoding="utf-8")
    print(f"refreshed the generated sections of {DOC.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
