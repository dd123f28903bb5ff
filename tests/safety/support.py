"""Helpers of the fault-injection suite (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tinygrad_ae import cli

ROOT = Path(__file__).resolve().parents[2]


def hidden(folder: Path) -> list[str]:
    """Hidden entries of a folder other than the output marker: leftovers of a run."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and p.name != cli.OUTPUT_MARKER)


def spawn(*argv: str, cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
    """The real command line as a child process, with pipes."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tinygrad_ae", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)  # type: ignore[call-overload]


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", str(data), "--code-dim", "1", "--epochs", "5", "--no-progress",
            "--out", str(out), *extra]
