"""The README's Python examples run as written (so they cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(source, monkeypatch, capsys):
    source = source.replace("models.fit(model, X, epochs=300, lr=0.05)",
                            "models.fit(model, X, epochs=300, lr=0.05, progress=False)")
    namespace: dict = {}
    exec(compile(source, str(README), "exec"), namespace)
    assert capsys.readouterr().out.strip()  # each example prints its result


def test_readme_names_the_two_commands_that_ci_runs():
    text = README.read_text(encoding="utf-8")
    assert "bash scripts/demo.sh" in text and "bash scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
