"""The Python blocks of the pages that teach by example run as written, in order, and
print exactly the output shown in the ```text block that follows each of them."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tinygrad_ae import registry

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ["custom_ops.md", "exercises.md"]
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(text: str) -> list[tuple[str, str | None]]:
    """(python source, the text block right after it or None), in page order."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    blocks = []
    for k, (language, body, _, end) in enumerate(found):
        if language != "python":
            continue
        expected = None
        if k + 1 < len(found):
            next_language, next_body, next_start, _ = found[k + 1]
            if next_language == "text" and not text[end:next_start].strip():
                expected = next_body
        blocks.append((body, expected))
    return blocks


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs_and_prints_what_the_page_shows(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = DOCS / page
    blocks = _blocks(path.read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python blocks"
    namespace: dict = {"__name__": "__docs__"}
    with registry.scope():
        for number, (source, expected) in enumerate(blocks):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(source, f"{page} block {number}", "exec"), namespace)
            if expected is not None:
                assert printed.getvalue().strip() == expected.strip(), (
                    f"{page} block {number} printed:\n{printed.getvalue()}")
