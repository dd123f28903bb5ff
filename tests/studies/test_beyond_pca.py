"""The study and benchmark scripts of issue 14 run end to end (smoke runs, no files
written): examples/beyond_pca.py prints both tables, and benchmarks/conv_step.py finds
tinygrad_ae's and PyTorch's conv-autoencoder losses equal before it times them."""

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


def test_w6_benchmark_checks_both_frameworks_agree():
    pytest.importorskip("torch")
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "conv_step.py"),
                             "--repeats", "1", "--steps", "1"], capture_output=True, text=True,
                            env=ENVIRONMENT, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "| float32 |" in result.stdout and "| float64 |" in result.stdout
