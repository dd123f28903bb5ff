"""The command line: ``tinygrad-ae demo | train | graph | converge | bench``.

Layer: the top; may import everything. Bad input exits with status 2 and one line on
standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["main", "UsageError"]


class UsageError(Exception):
    """A problem with the user's input: reported as one line, exit status 2."""


def _demo(args: argparse.Namespace) -> int:
    import numpy as np

    from . import Tensor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)) @ np.array([[2.0, 1.0], [0.0, 0.5]])
    names = ("w1", "w2", "b1", "w3", "w4", "b2", "b3")
    values = dict(zip(names, (0.4, 0.7, -0.2, 0.9, 0.3, 0.1, 0.05)))
    p = {k: Tensor(v, requires_grad=True, name=k) for k, v in values.items()}
    x1, x2 = Tensor(X[:, 0]), Tensor(X[:, 1])
    h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
    loss = ((x1 - (p["w3"] * h + p["b2"])) ** 2 + (x2 - (p["w4"] * h + p["b3"])) ** 2).mean()
    loss.backward()
    print(f"paper's 2-1-2 network on 50 points: L = {loss.item():.6f}")
    for k in names:
        print(f"  ∂L/∂{k} = {float(np.asarray(p[k].grad)): .6f}")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-ae",
        description="A teaching-grade autodiff engine: autoencoders, PCA and the chain rule.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-ae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="reproduce the paper end to end")
    demo.add_argument("--out", default="tinygrad_ae_out", help="output folder")
    demo.add_argument("--quick", action="store_true", help="fewer steps, for smoke tests")
    demo.set_defaults(run=_demo)
    return parser


class _Parser(argparse.ArgumentParser):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except UsageError as err:
        print(f"tinygrad-ae {args.command}: error: {err}", file=sys.stderr)
        return 2
