"""draw_graph: the computational graph with values, gradients and local partials.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import graphviz
import numpy as np

from tinygrad_ae.autograd.tensor import Tensor

from ._format import (
    _DATA_FILL,
    _FAIL_FILL,
    _FONT,
    _HIGHLIGHT,
    _MUTED,
    _PARAM_FILL,
    _PASS_FILL,
    _ROOT_FILL,
    _fmt,
    _format_array,
    _format_index,
    _format_shape,
    _h,
    _power_suffix,
)
from ._index import _OP_SYMBOLS, _gradient_check, _gradients, _GraphIndex, builtin_name

# --- draw_graph ---------------------------------------------------------------------------

def _tensor_label(index: _GraphIndex, i: int, show_values: bool, grads: dict[int, np.ndarray],
                  check: tuple[bool, float] | None, max_entries: int, bold: bool) -> str:
    t = index.order[i]
    name = _h(index.symbols[i])
    if bold:
        name = f"<B>{name}</B>"
    if index.is_constant(i) and t.size == 1:
        return f"<{name}>"
    rows = [(name, f'<FONT POINT-SIZE="9" COLOR="{_MUTED}">{_format_shape(t.shape)}</FONT>')]
    data = np.asarray(t.data)
    summarise = data.size > max_entries or data.ndim > 2
    if show_values:
        if summarise:
            rows.append(("mean", _fmt(data.mean()) if data.size else "–"))
            rows.append(("range", (f"{_fmt(data.min())} … {_fmt(data.max())}"
                                   if data.size else "–")))
        else:
            rows.append(("value", _html_array(data, max_entries)))
    g = grads.get(i)
    if g is not None:
        g = np.asarray(g)
        if summarise:
            rows.append(("‖grad‖", _fmt(np.sqrt(np.sum(np.square(g, dtype=np.float64))))))
        else:
            rows.append(("grad", _html_array(g, max_entries)))
    if check is not None:
        ok, worst = check
        rows.append(("check", f"{'✓' if ok else '✗'} rel. err {worst:.1e}"))
    cells = "".join(
        f'<TR><TD ALIGN="LEFT">{left}</TD><TD ALIGN="LEFT">{right}</TD></TR>'
        for left, right in rows
    )
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f"{cells}</TABLE>>")


def _html_array(a: np.ndarray, max_entries: int) -> str:
    """A small array for an HTML-like label: a matrix one row per line."""
    return "<BR ALIGN=\"LEFT\"/>".join(
        _h(row) for row in _format_array(a, max_entries, "\n").split("\n"))


def _op_label(t: Tensor, constants: dict[int, str] | None = None) -> str:
    """An op's symbol and name; constant inputs (``constants``: input slot → value) are
    written on it, ``÷ 3`` or ``2 −``."""
    entry = t._op
    assert entry is not None
    params = t.params
    detail = entry.name
    kind = builtin_name(entry)  # None for a user's op, whatever its name
    if kind == "pow_scalar":
        symbol = "x" + _power_suffix(params["exponent"])
    elif kind == "getitem":
        symbol = f"[{_format_index(params['index'])}]"
    else:
        symbol = _OP_SYMBOLS.get(kind, entry.name) if kind else entry.name
    if kind in ("sum", "max") and params.get("axis") is not None:
        detail += f" axis={params['axis'][0] if len(params['axis']) == 1 else params['axis']}"
    elif kind == "transpose":
        detail += f" {params['axes']}"
    elif kind in ("reshape", "broadcast_to"):
        detail += f" {params['shape']}"
    for slot, text in sorted((constants or {}).items()):
        if len(t.parents) == 2:
            symbol = f"{text} {symbol}" if slot == 0 else f"{symbol} {text}"
        else:
            symbol += f" ({entry.inputs[slot]} = {text})"
    return (f'<<FONT POINT-SIZE="14">{_h(symbol)}</FONT><BR/>'
            f'<FONT POINT-SIZE="8" COLOR="{_MUTED}">{_h(detail)}</FONT>>')


def _scope_of(index: _GraphIndex, i: int) -> str:
    """Where a node is drawn: op results in their op's scope; a parameter or constant
    without a scope of its own in the one scope all of its consumers share, if any."""
    t = index.order[i]
    if t._op is not None or t.scope:
        return t.scope
    if not (t.requires_grad or index.is_constant(i)):
        return ""                 # data belongs to no module
    scopes = {index.order[c].scope for c in index.consumers[i]}
    return scopes.pop() if len(scopes) == 1 else ""


def _layering_hints(index: _GraphIndex) -> list[tuple[int, int]]:
    """Invisible edges (data tensor → parameter) that keep module boxes apart.

    ``dot`` puts a parameter as close as it can to the op that uses it, so the weight of a
    layer (and its transpose) would sit beside the previous layer's box and push the
    boxes side by side. For an op whose input from outside its module meets an input
    computed from parameters alone, the parameters are asked to come after that outside
    input: the boxes then follow one another down the page.
    """
    own = [False] * len(index.order)     # computed from parameters and constants alone
    leaves: list[set[int]] = [set() for _ in index.order]
    for i, t in enumerate(index.order):
        if t._op is None:
            own[i] = t.requires_grad or index.is_constant(i)
            leaves[i] = {i} if t.requires_grad else set()
        else:
            own[i] = all(own[p] for p in index.inputs[i])
            leaves[i] = set().union(*(leaves[p] for p in index.inputs[i])) if own[i] else set()
    hints: list[tuple[int, int]] = []
    for i, t in enumerate(index.order):
        if t._op is None or own[i]:
            continue
        outside = [p for p in index.inputs[i]
                   if not own[p] and index.order[p]._op is not None
                   and _scope_of(index, p) != _scope_of(index, i)]
        for p in outside:
            for q in index.inputs[i]:
                hints.extend((p, leaf) for leaf in sorted(leaves[q])
                             if own[q] and _scope_of(index, leaf) == _scope_of(index, i))
    return sorted(set(hints))


class _ScopeTree:
    """Clusters nested by dotted scope: ``decoder.0`` inside ``decoder``."""

    def __init__(self, scope: str = "") -> None:
        self.scope = scope
        self.nodes: list[tuple[str, dict[str, str]]] = []
        self.children: dict[str, _ScopeTree] = {}

    def at(self, scope: str) -> _ScopeTree:
        tree = self
        if not scope:
            return tree
        parts = scope.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name not in tree.children:
                tree.children[name] = _ScopeTree(name)
            tree = tree.children[name]
        return tree

    def emit(self, graph: graphviz.Digraph) -> None:
        for node_id, attrs in self.nodes:
            graph.node(node_id, **attrs)
        for child in self.children.values():
            with graph.subgraph(name=f"cluster_{child.scope}") as sub:
                sub.attr(label=child.scope, labeljust="l", style="rounded,dashed",
                         color="#888888", fontcolor="#444444", fontsize="12")
                child.emit(sub)


_RANKDIRS = ("LR", "TB", "RL", "BT")
MAX_ASPECT = 3.0
"""The most elongated picture :func:`draw_graph` draws by default (long side / short side)."""
_COLLAPSE_ABOVE = 50   # drawn nodes: more than this and too elongated, modules collapse


def draw_graph(
    root: Tensor,
    show_values: bool = True,
    show_grads: bool = True,
    highlight: Tensor | str | None = None,
    edge_labels: bool = True,
    clusters: bool = True,
    rankdir: str | None = None,
    max_value_entries: int = 4,
    check: bool = False,
    names: Any = None,
    collapse: bool | Sequence[str] | None = None,
    caption: str = "",
) -> graphviz.Digraph:
    """The computational graph under ``root`` as a ``graphviz.Digraph`` (pure data; see
    :func:`render` to draw it, or show it inline in Jupyter).

    Tensors are boxes: name (or ``t<i>``, their position in topological order), shape,
    and, for tensors of at most ``max_value_entries`` numbers, value and gradient; larger
    ones show mean and range, and the gradient's norm. Gradients are ∂root/∂tensor from
    one reverse pass of the engine when the root is one number (no ``.grad`` is touched),
    otherwise the leaves' ``.grad``. Parameters are yellow, data grey, the root blue.
    Ops are ellipses with their symbol; a constant number (the N of a mean, the 2 of
    ``2·x``) is written on its op (``÷ 3``), never drawn as a variable with a partial.
    Each edge input → op carries the op's local partial ∂out/∂input in the tensors'
    names (``∂t5/∂h = w3``), and its value when both are single numbers.

    ``highlight`` (a Tensor, or a name) marks in red exactly the nodes and edges on a path
    from it to the root: the terms of the chain-rule sum for ∂root/∂highlight.
    ``clusters`` groups the ops of each module (``Tensor.scope``) in a box, ``decoder.0``
    inside ``decoder``. ``check=True`` compares each parameter's engine gradient with
    float64 central differences of the root (re-running the graph's forward) and colours
    the parameter green or red with the worst relative error. ``names`` (a model, or a
    mapping name → Tensor) names tensors that have no ``name`` of their own, such as the
    weights of an ``nn.Linear``.

    Readable by default: ``rankdir`` None picks left-to-right or top-to-bottom from the
    graph's depth and breadth, whichever draws closer to a square; ``collapse`` None
    draws each top-level module as one node (its parameters and their gradients listed)
    when a big graph (over 50 nodes) would still be more than ``MAX_ASPECT`` (3) times
    longer than wide; a smaller one is set in side-by-side columns instead.
    ``collapse=True`` collapses every top-level module, ``False`` none, and a list of
    scopes (``["encoder", "decoder.0"]``) exactly those. ``caption`` is written under
    the picture (say there which samples the values are computed on).

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(3.0, requires_grad=True, name="w")
    >>> x = Tensor(2.0, name="x")
    >>> L = w * x
    >>> L.name = "L"
    >>> dot = draw_graph(L, highlight="w")
    >>> "∂L/∂w = x" in dot.source and "= 2" in dot.source
    True
    >>> dot.source == draw_graph(L, highlight="w").source     # stable ids
    True
    >>> "∂L/∂3" in draw_graph((w * 3).mean()).source           # a constant is no variable
    False
    """
    if rankdir is not None and rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of 'LR', 'TB', 'RL', 'BT' or None "
                         f"(chosen from the graph's shape), got {rankdir!r}")
    if max_value_entries < 1:
        raise ValueError(f"draw_graph: max_value_entries must be at least 1, got "
                         f"{max_value_entries}")
    if isinstance(collapse, str):
        raise TypeError(f"draw_graph: collapse must be True, False, None or a list of "
                        f"scopes, got the string {collapse!r}; write [{collapse!r}]")
    index = _GraphIndex(root, names)
    order = index.order
    marked: set[int] = set()
    title = ""
    if highlight is not None:
        start = index.find(highlight, "draw_graph")
        marked = index.descendants(start)
        n_paths = index.count_paths(start)
        title = (f"red: the {n_paths} path{'s' if n_paths != 1 else ''} from "
                 f"{index.symbols[start]} to {index.symbols[-1]}, one term each of "
                 f"∂{index.symbols[-1]}/∂{index.symbols[start]}")
    grads = _gradients(index) if show_grads else {}
    checks = _gradient_check(index) if check else {}
    folded = _folded_constants(index)
    scopes = [_scope_of(index, i) if clusters or collapse is not False else ""
              for i in range(len(order))]
    known_scopes = {part for s in scopes if s
                    for part in (".".join(s.split(".")[:d]) for d in range(1, s.count(".") + 2))}
    if isinstance(collapse, (list, tuple, set, frozenset)):
        unknown = sorted(set(collapse) - known_scopes)
        if unknown:
            raise ValueError(f"draw_graph: no module scope {unknown[0]!r} in the graph; its "
                             f"scopes are {', '.join(sorted(known_scopes)) or '(none)'}")
    start = min(marked) if marked else -1

    def build(collapsed: set[str]) -> _Drawing:
        return _build(index, grads, checks, folded, scopes, marked, start, collapsed,
                      show_values, edge_labels, max_value_entries, clusters)

    top_level = {s.split(".")[0] for s in known_scopes}
    if collapse is True:
        drawing = build(top_level)
    elif collapse is None or collapse is False:
        drawing = build(set())
    else:
        drawing = build(set(collapse))
    direction = rankdir or drawing.best_rankdir()
    # A big graph is collapsed into its modules; a small one keeps every tensor (the
    # paper's network must show h, x̂1, x̂2 on the paths from w1) and is set in columns.
    if collapse is None and rankdir is None and top_level and (
            drawing.aspect(direction) > MAX_ASPECT and len(drawing.sizes) > _COLLAPSE_ABOVE):
        drawing = build(top_level)
        direction = drawing.best_rankdir()

    graph = graphviz.Digraph(name="computational_graph")
    graph.attr(rankdir=direction, fontname=_FONT, nodesep="0.25", ranksep="0.35",
               newrank="true")
    label = title
    if drawing.collapsed:
        note = (f"modules drawn as one node: {', '.join(sorted(drawing.collapsed))} "
                f"(draw_graph(..., collapse=False) opens them)")
        label = f"{label}\n{note}" if label else note
    if label:
        graph.attr(label=label, labelloc="t", fontcolor=_HIGHLIGHT if title else _MUTED,
                   fontsize="13")
    graph.attr("node", fontname=_FONT, fontsize="11", margin="0.08,0.04")
    graph.attr("edge", fontname=_FONT, fontsize="9", fontcolor="#333333", color="#555555",
               arrowsize="0.7")
    drawing.tree.emit(graph)
    for tail, head, attrs in drawing.edges:
        graph.edge(tail, head, **attrs)
    if rankdir is None and drawing.aspect(direction) > MAX_ASPECT:
        drawing.fold(graph, direction)
    if caption:
        graph.node("caption", label=caption, shape="plaintext", fontsize="12",
                   fontcolor=_MUTED)
        graph.edge(drawing.root_id, "caption", style="invis")
    return graph


class _Drawing:
    """Nodes (in their scope tree) and edges of a drawing, with the size estimate that
    picks its direction."""

    def __init__(self) -> None:
        self.tree = _ScopeTree()
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.sizes: dict[str, tuple[float, float]] = {}      # node id → (width, height) in inches
        self.root_id = ""
        self.collapsed: set[str] = set()

    def add_node(self, scope: str, node_id: str, attrs: dict[str, str],
                 size: tuple[float, float]) -> None:
        self.tree.at(scope).nodes.append((node_id, attrs))
        self.sizes[node_id] = size

    def _layers(self) -> list[list[str]]:
        """Nodes by longest path from a source: the ranks ``dot`` will use (roughly)."""
        rank = {node: 0 for node in self.sizes}
        for _ in range(len(self.sizes)):
            changed = False
            for tail, head, attrs in self.edges:
                if attrs.get("style") == "invis":
                    continue
                if tail in rank and head in rank and rank[head] <= rank[tail]:
                    rank[head] = rank[tail] + 1
                    changed = True
            if not changed:
                break
        # dot pulls a source (a parameter, the data) down next to the op that reads it.
        heads: dict[str, list[int]] = {}
        has_input: set[str] = set()
        for tail, head, attrs in self.edges:
            if attrs.get("style") != "invis" and tail in rank and head in rank:
                heads.setdefault(tail, []).append(rank[head])
                has_input.add(head)
        for node in rank:
            if node not in has_input and node in heads:
                rank[node] = min(heads[node]) - 1
        layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
        for node, r in rank.items():
            layers[r].append(node)
        return layers

    def estimate(self, rankdir: str) -> tuple[float, float]:
        """The picture's (width, height) in inches, from the node sizes and ranks."""
        label_width: dict[str, float] = {}
        for tail, _head, attrs in self.edges:
            text = attrs.get("label", "")
            if text:
                lines = re.sub(r"<[^>]*>", "\n", text.strip("<>")).split("\n")
                label_width[tail] = max(label_width.get(tail, 0.0),
                                        max(len(line) for line in lines) * 0.065)
        layers = self._layers()
        along = across = 0.0
        for layer in layers:
            if rankdir in ("LR", "RL"):
                along += max(self.sizes[n][0] for n in layer) + 0.35
                along += max((label_width.get(n, 0.0) for n in layer), default=0.0)
                across = max(across, sum(self.sizes[n][1] + 0.25 for n in layer))
            else:
                along += max(self.sizes[n][1] for n in layer) + 0.35
                along += 0.3 if any(n in label_width for n in layer) else 0.0
                across = max(across, sum(self.sizes[n][0] + 0.25
                                         + 0.5 * label_width.get(n, 0.0) for n in layer))
        return (along, across) if rankdir in ("LR", "RL") else (across, along)

    def aspect(self, rankdir: str) -> float:
        width, height = self.estimate(rankdir)
        return max(width, height) / max(min(width, height), 1e-9)

    def fold(self, graph: graphviz.Digraph, rankdir: str) -> None:
        """A long narrow graph set in columns, like a newspaper: its ranks are cut into
        k runs placed side by side (rank r of every run on one line), k chosen so the
        picture comes out about as long as wide."""
        along, across = self.estimate(rankdir)
        if rankdir in ("TB", "BT"):
            along, across = across, along
        along, across = max(along, across), min(along, across)
        columns = max(2, math.ceil(math.sqrt(along / across / 1.5)))
        layers = self._layers()
        rows = math.ceil(len(layers) / columns)
        for row in range(rows):
            same = [node for column in range(columns)
                    if column * rows + row < len(layers)
                    for node in layers[column * rows + row][:1]]
            if len(same) > 1:
                with graph.subgraph() as line:
                    line.attr(rank="same")
                    for node in same:
                        line.node(node)

    def best_rankdir(self) -> str:
        """Top to bottom unless left to right draws closer to a square."""
        return "LR" if self.aspect("LR") < self.aspect("TB") else "TB"


def _folded_constants(index: _GraphIndex) -> set[int]:
    """Constant numbers that are written on their op instead of drawn as nodes."""
    last = len(index.order) - 1
    return {i for i, t in enumerate(index.order)
            if i != last and index.is_constant(i) and t.size == 1 and index.consumers[i]}


def _text_size(label: str, font_inches: float = 0.085) -> tuple[float, float]:
    """A rough (width, height) in inches of an HTML-like label: rows and longest row."""
    rows = re.split(r"<BR[^>]*>|</TR>", label)
    texts = [re.sub(r"<[^>]*>", "", row) for row in rows]
    texts = [t for t in texts if t.strip()] or [""]
    return (max(len(t) for t in texts) * font_inches + 0.25, len(texts) * 0.2 + 0.15)


def _build(index: _GraphIndex, grads: dict[int, np.ndarray],
           checks: dict[int, tuple[bool, float]], folded: set[int], scopes: list[str],
           marked: set[int], start: int, collapsed: set[str], show_values: bool,
           edge_labels: bool, max_value_entries: int, clusters: bool) -> _Drawing:
    order = index.order
    drawing = _Drawing()
    drawing.root_id = f"t{len(order) - 1}"

    def home(i: int) -> str | None:
        """The collapsed module a tensor is drawn inside, if any."""
        scope = scopes[i]
        for depth in range(1, scope.count(".") + 2 if scope else 1):
            outer = ".".join(scope.split(".")[:depth])
            if outer in collapsed:
                return outer
        return None

    homes = [home(i) for i in range(len(order))]
    for scope in sorted({h for h in homes if h is not None}):
        members = [i for i, h in enumerate(homes) if h == scope]
        on_path = any(i in marked and i != start for i in members)
        drawing.collapsed.add(scope)
        label = _module_label(index, scope, members, grads, max_value_entries)
        attrs = {"label": label, "shape": "box", "style": "rounded,filled,bold",
                 "fillcolor": "#f4f0fa"}
        if on_path or start in members:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        parent_scope = scope.rsplit(".", 1)[0] if "." in scope and clusters else ""
        drawing.add_node(parent_scope, f"module_{scope}", attrs, _text_size(label))

    def node_of(i: int, as_op: bool = False) -> str:
        h = homes[i]
        if h is not None:
            return f"module_{h}"
        return f"op{i}" if as_op else f"t{i}"

    for i, t in enumerate(order):
        if i in folded or homes[i] is not None:
            continue
        scope = scopes[i] if clusters else ""
        on_path = i in marked
        if t._op is not None:
            constants = {k: index.symbols[p] for k, p in enumerate(index.inputs[i])
                         if p in folded}
            label = _op_label(t, constants)
            attrs = {"label": label, "shape": "ellipse", "margin": "0.02,0.02"}
            if on_path and i != start:
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            width, _ = _text_size(label, 0.1)
            drawing.add_node(scope, f"op{i}", attrs, (max(0.75, width), 0.5))
        fill = "white"
        if t._op is None:
            fill = _PARAM_FILL if t.requires_grad else _DATA_FILL
        if i == len(order) - 1:
            fill = _ROOT_FILL
        if i in checks:
            fill = _PASS_FILL if checks[i][0] else _FAIL_FILL
        label = _tensor_label(index, i, show_values, grads, checks.get(i), max_value_entries,
                              on_path)
        attrs = {"label": label, "shape": "box", "style": "rounded,filled", "fillcolor": fill}
        if index.is_constant(i) and t.size == 1:
            attrs.update(style="filled", fillcolor=_DATA_FILL, fontsize="10",
                         width="0.3", height="0.25")
        if i == len(order) - 1:
            attrs["peripheries"] = "2"
        if on_path:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        drawing.add_node(scope, f"t{i}", attrs, _text_size(label))

    if clusters:
        for data, leaf in _layering_hints(index):
            if data not in folded and leaf not in folded and homes[data] is None and \
                    homes[leaf] is None:
                drawing.edges.append((f"t{data}", f"t{leaf}", {"style": "invis"}))
    seen: set[tuple[str, str]] = set()

    def edge(tail: str, head: str, attrs: dict[str, str]) -> None:
        if tail == head or (tail, head) in seen:
            return
        seen.add((tail, head))
        drawing.edges.append((tail, head, attrs))

    for i, t in enumerate(order):
        if t._op is None:
            continue
        inputs = index.inputs[i]
        for k, p in enumerate(inputs):
            if p in folded:
                continue
            attrs = {}
            inside = homes[i] is None and homes[p] is None
            if edge_labels and inside and p not in inputs[:k] and not index.is_constant(p):
                attrs["label"] = _edge_label(index, i, p)
            if p in marked and i != start:
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            edge(node_of(p), node_of(i, as_op=True), attrs)
        attrs = {}
        if i in marked and i != start:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        edge(node_of(i, as_op=True), node_of(i), attrs)
    return drawing


def _module_label(index: _GraphIndex, scope: str, members: list[int],
                  grads: dict[int, np.ndarray], max_entries: int) -> str:
    """One collapsed module: its name, the ops inside, and its parameters with their
    gradients."""
    ops = [index.order[i]._op for i in members if index.order[i]._op is not None]
    op_names = sorted({_OP_SYMBOLS.get(builtin_name(entry) or "", entry.name) for entry in ops
                       if entry is not None})
    rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="2"><B>{_h(scope)}</B> '
            f'<FONT POINT-SIZE="9" COLOR="{_MUTED}">{len(ops)} ops: '
            f'{_h(" ".join(op_names))}</FONT></TD></TR>']
    for i in members:
        t = index.order[i]
        if t._op is not None or not t.requires_grad:
            continue
        g = grads.get(i)
        if g is None:
            text = _format_shape(t.shape)
        elif np.asarray(g).size <= max_entries:
            text = "grad " + _format_array(np.asarray(g), max_entries)
        else:
            norm = np.sqrt(np.sum(np.square(np.asarray(g), dtype=np.float64)))
            text = f"{_format_shape(t.shape)}  ‖grad‖ {_fmt(norm)}"
        rows.append(f'<TR><TD ALIGN="LEFT">{_h(index.symbols[i])}</TD>'
                    f'<TD ALIGN="LEFT">{_h(text)}</TD></TR>')
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f'{"".join(rows)}</TABLE>>')


def _edge_label(index: _GraphIndex, i: int, p: int) -> str:
    """``∂out/∂in = partial`` (and its value for single numbers) for the edge from tensor
    p into the op that made tensor i. An input used twice (x·x) gets one label listing
    both partials by the op's input names, since dot would stack two labels on each other.
    """
    entry = index.order[i]._op
    assert entry is not None
    slots = [k for k, q in enumerate(index.inputs[i]) if q == p]
    partials = [index.local_partial(i, k) for k in slots]
    numbers = [index.local_partial_value(i, k) for k in slots]
    if len(slots) > 1:
        partials = [f"{text} (as {entry.input_name(k)})" for text, k in zip(partials, slots)]
    label = _h(f"∂{index.symbols[i]}/∂{index.symbols[p]} = {', '.join(partials)}")
    if all(n is not None for n in numbers):
        label += "<BR/>= " + ", ".join(_fmt(n) for n in numbers)
    return f"<{label}>"
