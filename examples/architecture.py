"""Draw the package's own import graph and write the generated parts of docs/architecture.md.

The graph is read from the source (every ``import`` statement, also those inside
functions), grouped by layer, and drawn with the project's own Graphviz code
(:func:`tinygrad_ae.viz.render`). The DOT source is written beside the SVG, so CI can check
that the checked-in picture still matches the code without depending on Graphviz's
version.

    python examples/architecture.py            # rewrite docs/img/architecture.{dot,svg}
                                               # and the generated blocks of the page
    python examples/architecture.py --check    # exit 1 if the picture is out of date
    python examples/architecture.py --stats REV  # files, levels, edges of a git revision
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

import graphviz

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tinygrad_ae"
DOC = ROOT / "docs" / "architecture.md"
DOT = ROOT / "docs" / "img" / "architecture.dot"

# Top to bottom, as in pyproject.toml's import-linter contract; one row per level.
LAYERS = [
    ("command line and strategies", ["cli", "strategies"]),
    ("studies and the live page", ["studies", "teaching"]),
    ("models and pictures", ["models", "viz"]),
    ("optimizers", ["optim"]),
    ("layers and losses", ["nn"]),
    ("engine, theory, data", ["autograd", "theory", "data"]),
    ("files", ["_files"]),
]
COLOURS = {"autograd": "#dbe9f6", "theory": "#c7e9c0", "data": "#eeeeee"}


def read_sources(revision: str | None = None) -> dict[str, str]:
    """``module name → source`` for every module of the package (at ``revision`` if given)."""
    if revision is None:
        return {_module_name(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                for p in sorted((ROOT / PACKAGE).rglob("*.py"))}
    archive = subprocess.run(["git", "archive", revision, PACKAGE], cwd=ROOT, check=True,
                             capture_output=True).stdout
    sources = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.name.endswith(".py"):
                data = tar.extractfile(member)
                assert data is not None
                sources[_module_name(Path(member.name))] = data.read().decode("utf-8")
    return sources


def _module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(sources: dict[str, str]) -> dict[str, set[str]]:
    """``module → the package's modules it imports`` (relative imports resolved)."""
    graph: dict[str, set[str]] = {}
    for name, source in sources.items():
        is_package = f"{name}.__init__" in sources or any(
            other.startswith(name + ".") for other in sources)
        base = name.split(".") if is_package else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                stem = (".".join(base[:len(base) - node.level + 1]) if node.level else "")
                target = ".".join(filter(None, [stem, node.module or ""]))
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in sources else target)
        graph[name] = {m for m in found if m in sources and m != name}
    return graph


def room(module: str) -> str:
    """The layer package a module belongs to (``tinygrad_ae.nn.layers`` → ``nn``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def room_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """The import graph between top-level rooms (``nn``, ``autograd``, … or, in a flat
    layout, the modules themselves), without the root package and the thin aliases."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in imports(sources).items():
        a = room(module)
        if a in ("__init__", "__main__") or (a in ALIASES and f"{PACKAGE}.theory" in sources):
            continue
        graph[a].update(b for b in map(room, targets) if b not in (a, "__init__"))
    return graph


ALIASES = ("pca", "closed_form")


def stats(sources: dict[str, str]) -> dict[str, object]:
    """Files, lines, import edges between modules, levels (the rooms on the longest chain
    of imports between rooms) and the largest file."""
    graph = room_graph(sources)
    depth: dict[str, int] = {}

    def level(r: str, seen: frozenset[str] = frozenset()) -> int:
        if r not in depth:
            depth[r] = 1 + max((level(b, seen | {r}) for b in graph.get(r, ()) if b not in seen),
                               default=0)
        return depth[r]

    lines = {m: s.count("\n") for m, s in sources.items()}
    largest = max(lines, key=lambda m: lines[m])
    return {"files": len(sources), "lines": sum(lines.values()),
            "edges": sum(len(v) for v in imports(sources).values()),
            "levels": max(level(r) for r in list(graph)),
            "largest": f"{largest} ({lines[largest]} lines)"}


def draw(sources: dict[str, str]) -> graphviz.Digraph:
    """Layers as rows (top imports bottom), their modules as boxes, imports as arrows
    between layer packages, labelled with how many of its modules import that layer."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for module, targets in imports(sources).items():
        a = room(module)
        if a in ("__init__", "__main__") or a in ALIASES:
            continue
        for b in {room(t) for t in targets} - {a, "__init__"}:
            counts[(a, b)] += 1
    dot = graphviz.Digraph("architecture", graph_attr={
        "rankdir": "TB", "fontname": "DejaVu Sans", "nodesep": "0.35", "ranksep": "0.55",
        "label": "tinygrad_ae: each layer imports only the layers below it "
                 "(arrows: imports, with their count)", "labelloc": "t", "fontsize": "14"})
    dot.attr("node", shape="box", style="rounded,filled", fontname="DejaVu Sans",
             fontsize="12", fillcolor="#fff2cc")
    dot.attr("edge", color="#555555", fontname="DejaVu Sans", fontsize="10")
    for _title, members in LAYERS:
        with dot.subgraph() as row:
            row.attr(rank="same")
            for member in members:
                modules = sorted(m for m in sources if room(m) == member)
                if not modules:
                    continue
                label = f"{member}\n{len(modules)} file{'s' * (len(modules) > 1)}"
                row.node(member, label, fillcolor=COLOURS.get(member, "#fff2cc"))
    for (a, b), n in sorted(counts.items()):
        dot.edge(a, b, label=str(n))
    return dot


def _table(rows: list[tuple[str, dict[str, object]]]) -> str:
    out = ["| package | files | lines | import edges | levels | largest file |",
           "| --- | --- | --- | --- | --- | --- |"]
    for label, s in rows:
        out.append(f"| {label} | {s['files']} | {s['lines']} | {s['edges']} | {s['levels']} "
                   f"| `{s['largest']}` |")
    return "\n".join(out)


def _replace_block(text: str, name: str, content: str) -> str:
    start, end = f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{content}\n{end}{tail}"


def outputs() -> tuple[str, str]:
    """(the DOT source, the page with its generated block filled in)."""
    sources = read_sources()
    table = _table([("this checkout", stats(sources))])
    page = _replace_block(DOC.read_text(encoding="utf-8"), "stats", table)
    return draw(sources).source, page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if anything is stale")
    parser.add_argument("--stats", metavar="REV", help="print a revision's import statistics")
    args = parser.parse_args(argv)
    if args.stats:
        print(_table([(args.stats, stats(read_sources(args.stats)))]))
        return 0
    source, page = outputs()
    if args.check:
        # The picture is the structure (layers, files, imports) and is checked; the page's
        # numbers (lines) move with every edit and are refreshed when the page is.
        stale = [str(p.relative_to(ROOT)) for p, text in ((DOT, source),)
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print("out of date (run python examples/architecture.py): " + ", ".join(stale),
                  file=sys.stderr)
            return 1
        return 0
    from tinygrad_ae.viz import GraphvizNotFound, render

    DOT.write_text(source, encoding="utf-8")
    DOC.write_text(page, encoding="utf-8")
    try:
        render(draw(read_sources()), DOT.with_suffix(".svg"), format="svg")
    except GraphvizNotFound as err:
        print(err, file=sys.stderr)
    print(f"wrote {DOT}, {DOT.with_suffix('.svg')} and {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
