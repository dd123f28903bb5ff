"""docs/api.md is generated from the package and up to date: every Tensor method and every
registered op is listed with its real signature, without generator noise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tinygrad_ae import Tensor
from tinygrad_ae.autograd import ops

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "api.md"


def test_api_page_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "api_reference.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_tensor_method_and_op_is_listed() -> None:
    text = PAGE.read_text(encoding="utf-8")
    methods = [n for n in vars(Tensor) if not n.startswith("_")]
    assert [n for n in methods if f"`.{n}" not in text] == []
    assert [e.name for e in ops.all_ops() if f"| `{e.name}` |" not in text] == []


def test_no_generator_noise() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for noise in ("Represent a PEP 604", ": 'Any'", "-> 'Any'", "Return repr(self)"):
        assert noise not in text
