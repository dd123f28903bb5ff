"""The architecture page and its picture match the code (docs/architecture.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "architecture.py"


def _load():
    spec = importlib.util.spec_from_file_location("architecture", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_picture_and_numbers_match_the_code() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_the_import_reader_resolves_relative_and_nested_imports() -> None:
    arch = _load()
    sources = {
        "tinygrad_ae": "from .autograd import x\n",
        "tinygrad_ae.autograd": "from .tensor import Tensor\n",
        "tinygrad_ae.autograd.tensor": "import numpy\n",
        "tinygrad_ae.nn": "def f():\n    from tinygrad_ae.autograd import tensor\n",
        "tinygrad_ae.nn.layers": "from ..autograd.tensor import Tensor\nfrom . import losses\n",
        "tinygrad_ae.nn.losses": "",
    }
    graph = arch.imports(sources)
    assert graph["tinygrad_ae.nn.layers"] == {"tinygrad_ae.autograd.tensor",
                                              "tinygrad_ae.nn.losses"}
    assert graph["tinygrad_ae.nn"] == {"tinygrad_ae.autograd.tensor"}
    assert graph["tinygrad_ae.autograd"] == {"tinygrad_ae.autograd.tensor"}
    assert arch.room_graph(sources) == {"nn": {"autograd"}, "autograd": set()}
    assert arch.stats(sources)["levels"] == 2


def test_no_source_file_is_over_800_lines() -> None:
    sizes = {p.relative_to(ROOT): p.read_text(encoding="utf-8").count("\n")
             for p in (ROOT / "tinygrad_ae").rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 800} == {}
