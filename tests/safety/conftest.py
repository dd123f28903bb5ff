"""Shared pieces of the fault-injection suite: a small data file, the command line run
in-process (fast) or as a real process (for signals, limits and races)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae import cli


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A (40, 3) CSV of correlated numbers."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) @ np.array([[2.0, 0.5, 0.1], [0.0, 1.0, 0.3], [0, 0, 0.2]])
    path = tmp_path / "data.csv"
    path.write_text("\n".join(",".join(f"{v:.17g}" for v in row) for row in X) + "\n")
    return path


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
         ) -> Callable[..., tuple[int, str, str]]:
    """Run the command line in this process, in tmp_path; return (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        status = cli.main([*argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


