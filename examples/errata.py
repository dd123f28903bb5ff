"""The paper's printed partial derivatives next to the correct ones and finite differences.

Run from the repository root:

    python examples/errata.py                               # print the errata table
    python examples/errata.py --write docs/derivation.md    # refresh the table in the docs
    python examples/errata.py --check docs/derivation.md    # exit 1 if the docs are stale

Two examples. Example 1 is the worked example of docs/theory.md#corrected-partials, the single
sample x = (1, 2) with (w1, w2, b1, w3, w4, b2, b3) = (0.5, −0.2, 0.3, 0.8, −0.6, 0.2, −0.1).
Example 2 is 50 correlated points drawn with numpy seed 2025 and the parameters
(0.4, 0.7, −0.2, 0.9, 0.3, 0.1, 0.05). The correct values come from
tinygrad_ae.closed_form.paper_partials, the printed ones from paper_printed_partials, and the
third column of each example is a central difference of the loss (h = 1e-6): a check of the
correct formula that shares no code with it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    from tinygrad_ae import closed_form
except ImportError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(REPO_ROOT))
    from tinygrad_ae import closed_form

BEGIN_MARKER = "<!-- errata:begin -->"
END_MARKER = "<!-- errata:end -->"
FD_STEP = 1e-6


def example_1() -> tuple[dict[str, float], np.ndarray]:
    """Example 1 (docs/theory.md#corrected-partials): one sample."""
    params = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    return params, np.array([[1.0, 2.0]])


def example_2() -> tuple[dict[str, float], np.ndarray]:
    """50 correlated points (corr ≈ 0.9) around (1, −0.5), numpy seed 2025."""
    rng = np.random.default_rng(2025)
    latent = rng.standard_normal(50)
    noise = rng.standard_normal(50)
    X = np.column_stack([latent, 0.9 * latent + 0.4 * noise]) + np.array([1.0, -0.5])
    params = dict(w1=0.4, w2=0.7, b1=-0.2, w3=0.9, w4=0.3, b2=0.1, b3=0.05)
    return params, X


# (printed key, printed formula, parameter of the true value, correct formula, what is wrong)
ROWS = [
    (
        "w1",
        "∂L/∂w1 = (1/N) Σ −2 ‖ℓ_i‖ (w3 x1 + w4 x2)",
        "w1",
        "∂L/∂w1 = −(2/N) Σ (w3 r_i1 + w4 r_i2) x_i1",
        "α_i = ‖ℓ_i‖² is treated as a constant, but it depends on every parameter. Its "
        "derivative is 2 ℓ_i·∂ℓ_i/∂w1, an inner product of the residual with its derivative; "
        "the paper uses the length ‖ℓ_i‖ instead, so the residual's direction is lost. Both "
        "paths pass through h and ∂h/∂w1 = x_i1 on each, so x2 cannot appear.",
    ),
    (
        "b1",
        "∂L/∂b1 = (1/N) Σ −2 ‖ℓ_i‖ w3",
        "b1",
        "∂L/∂b1 = −(2/N) Σ (w3 r_i1 + w4 r_i2)",
        "The length ‖ℓ_i‖ again stands for the components r_i1, r_i2, and the path through x̂_2 "
        "(factor w4) is missing: b1 moves h, and h moves both outputs.",
    ),
    (
        "w3",
        "∂L/∂w3 = (1/N) Σ −2 ‖ℓ_i‖ (w1 x1 + w2 x2 − b1)",
        "w3",
        "∂L/∂w3 = −(2/N) Σ r_i1 (w1 x_i1 + w2 x_i2 + b1)",
        "w3 only moves x̂_1, so only the first residual r_i1 belongs here, not the length of the "
        "whole residual. ∂x̂_i1/∂w3 = h_i = w1 x_i1 + w2 x_i2 + b1: the sign of b1 is wrong.",
    ),
    (
        "dL_dxhat1",
        "∂L/∂x̂_1 = (1/N) Σ −2 ‖x − x̂‖",
        "b2",
        "per sample ∂L/∂x̂_i1 = −(2/N) r_i1; summed over i this is ∂L/∂b2 = −(2/N) Σ r_i1",
        "The derivative along one output coordinate is that coordinate's residual, not the "
        "residual's length. It is a per-sample factor: the chain rule multiplies factors of the "
        "same sample and sums over samples last, while the paper puts a sum inside each factor.",
    ),
    (
        "w1_final",
        "final ∂L/∂w1 = (1/N) Σ −2 ‖x − x̂‖ (w3 x1 + w4 x2) − (1/N) Σ −2 \\|√α_i\\| (w3 x2 + w4 x1)",
        "w1",
        "as the first row: −(2/N) Σ (w3 r_i1 + w4 r_i2) x_i1",
        "Does not follow from the two-path sum written just before it: that sum gives the first "
        "row's correct value. x1 and x2 are swapped in the second term, and the subtracted term "
        "has no source. It also disagrees with the paper's own first result, which the paper "
        "calls obviously the same.",
    ),
]


def central_difference(params: dict[str, float], X: np.ndarray, name: str) -> float:
    """(L(θ + h e_name) − L(θ − h e_name)) / 2h with h = 1e-6."""
    plus = {**params, name: params[name] + FD_STEP}
    minus = {**params, name: params[name] - FD_STEP}
    return (closed_form.paper_loss(plus, X) - closed_form.paper_loss(minus, X)) / (2 * FD_STEP)


def _number(value: float) -> str:
    return f"{value:.4f}".replace("-", "−")


def errata_table() -> str:
    """The errata as markdown: the examples, one table row per printed formula, a summary."""
    examples = {"Example 1": example_1(), "Example 2": example_2()}
    evaluated = {}
    for label, (params, X) in examples.items():
        evaluated[label] = (
            closed_form.paper_printed_partials(params, X),
            closed_form.paper_partials(params, X),
            {name: central_difference(params, X, name) for name in closed_form.PARAM_NAMES},
        )

    lines = [
        "- Example 1: one sample x = (1, 2); (w1, w2, b1, w3, w4, b2, b3) = "
        "(0.5, −0.2, 0.3, 0.8, −0.6, 0.2, −0.1); "
        f"L = {_number(closed_form.paper_loss(*examples['Example 1']))}.",
        "- Example 2: 50 correlated points around (1, −0.5), numpy seed 2025 (see the script); "
        "(w1, w2, b1, w3, w4, b2, b3) = (0.4, 0.7, −0.2, 0.9, 0.3, 0.1, 0.05); "
        f"L = {_number(closed_form.paper_loss(*examples['Example 2']))}.",
        "",
        "Each example cell reads printed / correct / central difference (h = 1e-6).",
        "",
        "| printed in the paper | correct | Example 1 | Example 2 | what is wrong |",
        "| --- | --- | --- | --- | --- |",
    ]
    worst_fd_error, smallest_miss = 0.0, np.inf
    for printed_key, printed_text, true_key, correct_text, explanation in ROWS:
        cells = [printed_text, correct_text]
        notes = []
        for label, (printed, correct, numeric) in evaluated.items():
            printed_value, correct_value = printed[printed_key], correct[true_key]
            worst_fd_error = max(worst_fd_error, abs(correct_value - numeric[true_key]))
            smallest_miss = min(smallest_miss, abs(printed_value - correct_value))
            cells.append(
                f"{_number(printed_value)} / {_number(correct_value)} / "
                f"{_number(numeric[true_key])}"
            )
            if np.sign(printed_value) != np.sign(correct_value):
                notes.append(label)
        if notes:
            explanation += (
                f" On {' and '.join(notes)} even the sign is wrong: a gradient step along the "
                "printed value goes uphill."
            )
        lines.append("| " + " | ".join([*cells, explanation]) + " |")

    gaps = [
        f"{_number(printed['w1_final'] - printed['w1'])} on {label}"
        for label, (printed, _, _) in evaluated.items()
    ]
    lines += [
        "",
        f"The largest |correct − central difference| in the table is {worst_fd_error:.0e}; "
        f"the smallest |printed − correct| is {smallest_miss:.4f}. The two printed results "
        f"for ∂L/∂w1 differ from each other by {' and '.join(gaps)}.",
    ]
    return "\n".join(lines)


def replace_block(text: str, table: str, path: Path) -> str:
    """Return `text` with everything between the errata markers replaced by `table`."""
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(
            f"errata.py: {path} has no '{BEGIN_MARKER}' ... '{END_MARKER}' block; add both "
            "markers, each on its own line, where the table should go"
        )
    return text[: start + len(BEGIN_MARKER)] + "\n" + table + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The paper's printed partials vs the correct ones vs finite differences."
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--write", type=Path, metavar="MARKDOWN", help="refresh the table there")
    target.add_argument("--check", type=Path, metavar="MARKDOWN", help="fail if it is stale")
    args = parser.parse_args(argv)

    table = errata_table()
    path = args.write or args.check
    if path is None:
        print(table)
        return 0
    text = path.read_text(encoding="utf-8")
    updated = replace_block(text, table, path)
    if args.check:
        if updated != text:
            print(f"{path} is stale; run: python examples/errata.py --write {path}")
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(updated, encoding="utf-8")
    print(f"wrote the errata table to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
