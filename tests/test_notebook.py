"""examples/paper.ipynb runs end to end in a fresh kernel, headlessly, and shows what it
promises: the chain rule for ∂L/∂w1 with both paths (w3 and w4), the engine beside the
closed form, the plots, and the live page.

The notebook is executed in a temporary copy (it is stored without outputs and must stay
so); skipped cleanly when nbclient, nbformat or ipykernel is not installed.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "examples" / "paper.ipynb"
CELL_TIMEOUT = 120        # seconds per cell: generous for a loaded CI machine
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _text(output: Any) -> str:
    """The plain text of one output: a stream, a result, or an error."""
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook after running every cell in a temporary folder."""
    folder = tmp_path_factory.mktemp("notebook")
    copy = folder / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    notebook = nbformat.read(str(copy), as_version=4)
    # The kernel imports this checkout even when the package is not installed, and draws
    # its plots inline whatever MPLBACKEND the machine sets.
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "MPLBACKEND")}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), saved["PYTHONPATH"]) if p)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        client = nbclient.NotebookClient(
            notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
            resources={"metadata": {"path": str(folder)}}, allow_errors=True,
        )
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_stored_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    nbformat.validate(notebook)
    for cell in _code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_every_cell_runs_without_error(executed: Any) -> None:
    for number, cell in enumerate(_code_cells(executed), start=1):
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"code cell {number} failed:\n{cell.source}\n\n{_text(errors[0])}"
        assert cell.execution_count is not None


def test_the_chain_rule_shows_both_paths(executed: Any) -> None:
    text = "\n".join(_text(out) for cell in _code_cells(executed)
                     if "viz.chain_rule(L, \"w1\")" in cell.source for out in cell.outputs)
    assert "∂L/∂w1" in text
    assert "w3" in text and "w4" in text          # one path through each output
    assert "= 2.04" in text                       # docs/derivation.md, Example 1


def test_key_outputs_exist(executed: Any) -> None:
    outputs = [out for cell in _code_cells(executed) for out in cell.outputs]
    text = "\n".join(_text(out) for out in outputs)
    assert "closed form" in text and "engine" in text
    assert "changes L by +" in text               # the printed ∂L/∂b1 goes uphill
    assert "Eckart–Young bound" in text
    assert "principal angles between W_d" in text
    assert "frames written to" in text
    pages = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("step-slider" in page and "∂L/∂w1" in page for page in pages)  # backward steps
    pngs = [base64.b64decode(out.data["image/png"]) for out in outputs
            if "image/png" in out.get("data", {})]
    assert len(pngs) >= 2 and all(png.startswith(PNG_MAGIC) for png in pngs)
    if shutil.which("dot"):
        svgs = [out.data["image/svg+xml"] for out in outputs
                if "image/svg+xml" in out.get("data", {})]
        assert len(svgs) >= 2                     # the network and the graph, inline
        assert any("w1" in svg and "x̂" in svg for svg in svgs)
