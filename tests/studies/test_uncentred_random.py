"""The random-draw figures of docs/theory.md (``examples/uncentred_random.py``): the command
runs on a tiny sample, and its summary is computed right from known inputs."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae.studies.convergence import uncentred

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("uncentred_random", ROOT / "examples"
                                                  / "uncentred_random.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ratio_summary_on_a_hand_made_list():
    values = [0.8, 0.9, 1.0, 1.0, 1.1, 1.3, math.nan]
    s = uncentred.ratio_summary(values, band=(0.9, 1.1))
    assert (s["count"], s["missing"]) == (6, 1)
    assert (s["min"], s["max"], s["median"]) == (0.8, 1.3, 1.0)
    assert s["within"] == pytest.approx(4 / 6)  # 0.9 and 1.1 count: the band's ends are inside
    good = [0.8, 0.9, 1.0, 1.0, 1.1, 1.3]
    assert s["q02"] == pytest.approx(np.quantile(good, 0.02))
    assert s["q98"] == pytest.approx(np.quantile(good, 0.98))
    assert math.isnan(uncentred.ratio_summary([math.nan])["median"])


def test_summary_paragraph_from_known_rows():
    rows = [{"ratios": [1.0, 2.0, 0.5, 1.0], "gauge": [0.1, 0.0], "image": 1e-6},
            {"ratios": [0.9, 0.9, math.nan, math.nan], "gauge": [0.3, math.nan], "image": 0.0}]
    text = uncentred.random_uncentred_summary(rows)
    assert text.startswith("2 draws, 4 networks, 8 ratios (6 with both counts)")
    assert "all within 0.50–2.00" in text
    assert "the median of a draw's ratios 0.90–1.00" in text  # medians 1.0 and 0.9
    assert "of v_d β, the worst within 30 % + 0.060;" in text
    assert "to 1.0e-06" in text and "(1 kept modes did not reach" in text
    assert "lowest" not in text  # rows without k, m and seeds: no location
    located = [dict(row, eigenvalues=[1.0, 0.2], k=1, first=10 * d) for d, row in enumerate(rows)]
    text = uncentred.random_uncentred_summary(located)
    assert "The lowest ratio, 0.50, is draw 0 (m = 2, k = 1, initial-weight seed 1)." in text
    assert "The highest ratio, 2.00, is draw 0 (m = 2, k = 1, initial-weight seed 0)." in text


def test_the_draws_follow_the_documented_population():
    rng = np.random.default_rng(3)
    for _ in range(200):
        lam, k, mu, first = uncentred.random_uncentred_case(rng)
        m = lam.size
        assert 2 <= m <= 4 and 1 <= k <= min(2, m - 1) and 0 <= first <= 1000
        assert lam[0] == 1.0 and np.all(np.diff(lam) <= 0) and lam[-1] >= 0.05
        assert lam[k - 1] / lam[k] >= 2.0 - 1e-12 or lam[k] == 0.1
        assert np.linalg.norm(mu) <= 1.5 + 1e-12


def test_the_command_runs_and_writes_its_block(tmp_path, capsys, monkeypatch):
    script = _script()
    doc = tmp_path / "theory.md"
    doc.write_text("a\n<!-- generated:uncentred_random:begin -->\nold\n"
                   "<!-- generated:uncentred_random:end -->\nb\n", encoding="utf-8")
    monkeypatch.setattr(script, "DOC", doc)
    monkeypatch.setattr(sys, "argv", ["uncentred_random.py"])
    monkeypatch.setattr(uncentred, "random_uncentred_runs",
                        lambda **kw: _tiny_runs(kw))
    assert script.main(["--draws", "1", "--seeds", "2", "--write-docs"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("1 draws, 2 networks, 4 ratios")
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and printed.strip() in text
    assert "<!-- python examples/uncentred_random.py --draws 1 --seeds 2 --seed 0" in text
    assert text.startswith("a\n") and text.endswith("b\n")


_real_runs = uncentred.random_uncentred_runs


def _tiny_runs(kwargs):
    # the real computation, with a short budget so the test stays well under a second
    return _real_runs(**kwargs, max_steps=3000)
