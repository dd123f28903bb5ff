"""The documentation's links resolve and its generated blocks are present, so a renamed
file or a stale page is caught by the suite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    missing = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL: not checked offline
        if not (page.parent / target).exists():
            missing.append(target)
    assert not missing, f"{page.name} links to missing files: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_generated_blocks_are_balanced_and_filled(page):
    text = page.read_text(encoding="utf-8")
    begins = re.findall(r"<!-- (?:generated:)?([\w:-]+):begin -->", text)
    for name in begins:
        block = re.search(rf"<!-- (?:generated:)?{re.escape(name)}:begin -->(.*?)"
                          rf"<!-- (?:generated:)?{re.escape(name)}:end -->", text, re.S)
        assert block is not None, f"{page.name}: block {name} has no end marker"
        assert block.group(1).strip(), f"{page.name}: block {name} is empty"
