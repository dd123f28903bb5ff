"""How close is the uncentred step prediction on random spectra and means? Refresh its figures.

Run from the repository root:

    python examples/uncentred_random.py                 # 150 draws × 12 seeds (~2 min)
    python examples/uncentred_random.py --write-docs    # ... and refresh docs/theory.md

Draws ``--draws`` cases (spectrum, k, mean, first seed) with
``tinygrad_ae.studies.convergence.uncentred.random_uncentred_case`` from
``np.random.default_rng(--seed)``: the population of the ``uncentred_cases`` strategy of
tests/studies/test_uncentred.py (m ≤ 4, k ≤ 2, λ_1 = 1 with an eigengap ≥ 2, ‖μ‖ ≤ 1.5√λ_1 in a
uniform direction), drawn uniformly. Each case trains ``--seeds`` networks at once with the
batched ``gd_moments`` (η = 0.1, σ0 = 1e-3) and compares their step counts with
``predict_uncentred_network``; a second run to loss_rtol 1e-12 measures where the encoder bias
lands against the gauge the theory predicts. The paragraph printed (and, with
``--write-docs``, put between the ``<!-- generated:uncentred_random:begin -->`` and
``...:end -->`` markers of docs/theory.md) gives predicted / measured over every run, the
range of the per-draw medians and the gauge figures quoted by the tests' bands.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    from tinygrad_ae.studies.convergence import uncentred
except ImportError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(REPO_ROOT))
    from tinygrad_ae.studies.convergence import uncentred

DOC = REPO_ROOT / "docs" / "theory.md"
BLOCK = "uncentred_random"


def write_docs(paragraph: str, command: str, doc: Path | None = None) -> None:
    """Put ``command`` (as a comment) and ``paragraph`` between the generated markers of
    ``doc`` (default docs/theory.md)."""
    doc = DOC if doc is None else doc
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- generated:{BLOCK}:begin -->\n).*?"
                         rf"(<!-- generated:{BLOCK}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"uncentred_random.py: {doc} has no generated:{BLOCK} markers")
    block = f"<!-- {command} -->\n{paragraph}\n"
    doc.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=150, help="random cases (default 150)")
    parser.add_argument("--seeds", type=int, default=12, help="networks per case (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"put the paragraph into the generated:{BLOCK} block of "
                             "docs/theory.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = uncentred.random_uncentred_runs(draws=args.draws, seeds=args.seeds, seed=args.seed)
    seconds = time.perf_counter() - started
    paragraph = uncentred.random_uncentred_summary(rows)
    print(paragraph)
    print(f"(ran in {seconds:.0f} s)", file=sys.stderr)
    if args.write_docs:
        command = (f"python examples/uncentred_random.py --draws {args.draws} --seeds "
                   f"{args.seeds} --seed {args.seed} --write-docs ({seconds:.0f} s)")
        write_docs(paragraph, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
