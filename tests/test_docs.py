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


# --- anchors: links such as theory.md#pca-and-eckart-young name a heading that exists ----------

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
ANCHOR_LINK = re.compile(r"\]\(([^)#\s]*)#([^)\s]+)\)")
THEORY_ANCHOR = re.compile(r"docs/theory\.md#([\w-]+)")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".cfg", ".sh", ".txt", ".html"}
SKIPPED_DIRS = {".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__",
                ".hypothesis", ".mypy_cache", ".pytest_cache", ".ruff_cache", "tinygrad_ae_out"}


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor of a markdown page: its headings (outside code fences), numbered like
    GitHub's when a heading repeats, and explicit ``id="..."`` attributes."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    text = page.read_text(encoding="utf-8")
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    found.update(re.findall(r"""\bid=["']([^"']+)["']""", text))
    return found


def test_slug_follows_github():
    assert slug("PCA and Eckart-Young") == "pca-and-eckart-young"
    assert slug("The paper's 2-1-2 network") == "the-papers-2-1-2-network"
    assert slug("10. Errata: the printed formulas") == "10-errata-the-printed-formulas"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_anchor_link_names_a_heading(page):
    missing = []
    for target, anchor in ANCHOR_LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or (target and not target.endswith(".md")):
            continue  # an absolute URL, or an anchor into a non-markdown file
        linked = page.parent / target if target else page
        if linked.exists() and anchor not in anchors(linked):
            missing.append(f"{target}#{anchor}")
    assert not missing, f"{page.name} links to anchors that no heading has: {missing}"


def _text_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.suffix in TEXT_SUFFIXES and path.is_file() and not parts & SKIPPED_DIRS \
                and not any(part.endswith(".egg-info") for part in parts):
            files.append(path)
    return files


def test_references_to_the_theory_page_name_its_sections():
    """Code, tests, notebooks and docs cite docs/theory.md#<section>; each section exists."""
    theory = ROOT / "docs" / "theory.md"
    if not theory.exists():
        pytest.skip("docs/ is not part of this copy")
    sections = anchors(theory)
    missing = []
    for path in _text_files():
        for anchor in THEORY_ANCHOR.findall(path.read_text(encoding="utf-8", errors="replace")):
            if anchor not in sections:
                missing.append(f"{path.relative_to(ROOT)}: #{anchor}")
    assert not missing, f"references to sections docs/theory.md does not have: {missing}"


def test_nothing_cites_notes_the_repository_does_not_have():
    """The theory notes and API contract the project started from are not part of it; the
    repository cites docs/theory.md and docs/api.md instead (the changelog keeps its history)."""
    unshipped = re.compile(r"\bTHEOR[Y](?:\.md|\s+[§P])|\bshare[d]/|\b[A]PI\.md")
    found = []
    for path in _text_files():
        if path.name == "CHANGELOG.md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), start=1):
            if unshipped.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert not found, f"references to notes outside the repository: {found}"
