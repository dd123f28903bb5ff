"""The study script of issue 14 runs end to end (a smoke run, no files written):
examples/beyond_pca.py prints both tables. Its W6 benchmark is now a workload of the
harness, checked in tests/studies/test_bench.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}


def test_beyond_pca_quick_run_prints_both_tables():
    pytest.importorskip("sklearn")
    result = subprocess.run([sys.executable, str(REPO / "examples" / "beyond_pca.py"),
                             "--quick"], capture_output=True, text=True, env=ENVIRONMENT,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    for row in ("| PCA |", "| conv AE |", "| VAE |", "| pPCA (closed form) |",
                "| linear VAE, exact log p(x) |"):
        assert row in result.stdout
