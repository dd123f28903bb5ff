"""draw_graph: the computational graph with values, gradients and local partials.
"""

from __future__ import annotations

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
from ._index import _OP_SYMBOLS, _gradient_check, _gradients, _GraphIndex

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


def _op_label(t: Tensor) -> str:
    entry = t._op
    assert entry is not None
    params = t.params
    detail = entry.name
    if entry.name == "pow_scalar":
        symbol = "x" + _power_suffix(params["exponent"])
    elif entry.name == "getitem":
        symbol = f"[{_format_index(params['index'])}]"
    else:
        symbol = _OP_SYMBOLS.get(entry.name, entry.name)
    if entry.name in ("sum", "max") and params.get("axis") is not None:
        detail += f" axis={params['axis'][0] if len(params['axis']) == 1 else params['axis']}"
    elif entry.name == "transpose":
        detail += f" {params['axes']}"
    elif entry.name in ("reshape", "broadcast_to"):
        detail += f" {params['shape']}"
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


def draw_graph(
    root: Tensor,
    show_values: bool = True,
    show_grads: bool = True,
    highlight: Tensor | str | None = None,
    edge_labels: bool = True,
    clusters: bool = True,
    rankdir: str = "LR",
    max_value_entries: int = 4,
    check: bool = False,
    names: Any = None,
) -> graphviz.Digraph:
    """The computational graph under ``root`` as a ``graphviz.Digraph`` (pure data; see
    :func:`render` to draw it, or show it inline in Jupyter).

    Tensors are boxes: name (or ``t<i>``, their position in topological order), shape,
    and, for tensors of at most ``max_value_entries`` numbers, value and gradient; larger
    ones show mean and range, and the gradient's norm. Gradients are ∂root/∂tensor from
    one reverse pass of the engine when the root is one number (no ``.grad`` is touched),
    otherwise the leaves' ``.grad``. Parameters are yellow, data grey, the root blue.
    Ops are ellipses with their symbol. Each edge input → op carries the op's local
    partial ∂out/∂input in the tensors' names (``∂t5/∂h = w3``), and its value when both
    are single numbers.

    ``highlight`` (a Tensor, or a name) marks in red exactly the nodes and edges on a path
    from it to the root: the terms of the chain-rule sum for ∂root/∂highlight.
    ``clusters`` groups the ops of each module (``Tensor.scope``) in a box, ``decoder.0``
    inside ``decoder``. ``check=True`` compares each parameter's engine gradient with
    float64 central differences of the root (re-running the graph's forward) and colours
    the parameter green or red with the worst relative error. ``names`` (a model, or a
    mapping name → Tensor) names tensors that have no ``name`` of their own, such as the
    weights of an ``nn.Linear``.

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
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of 'LR', 'TB', 'RL', 'BT', "
                         f"got {rankdir!r}")
    if max_value_entries < 1:
        raise ValueError(f"draw_graph: max_value_entries must be at least 1, got "
                         f"{max_value_entries}")
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

    graph = graphviz.Digraph(name="computational_graph")
    graph.attr(rankdir=rankdir, fontname=_FONT, nodesep="0.25", ranksep="0.35",
               newrank="true")
    if title:
        graph.attr(label=title, labelloc="t", fontcolor=_HIGHLIGHT, fontsize="13")
    graph.attr("node", fontname=_FONT, fontsize="11", margin="0.08,0.04")
    graph.attr("edge", fontname=_FONT, fontsize="9", fontcolor="#333333", color="#555555",
               arrowsize="0.7")
    tree = _ScopeTree()
    for i, t in enumerate(order):
        scope = _scope_of(index, i) if clusters else ""
        on_path = i in marked
        if t._op is not None:
            attrs = {"label": _op_label(t), "shape": "ellipse", "margin": "0.02,0.02"}
            if on_path and i != min(marked):
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            tree.at(scope).nodes.append((f"op{i}", attrs))
        fill = "white"
        if t._op is None:
            fill = _PARAM_FILL if t.requires_grad else _DATA_FILL
        if i == len(order) - 1:
            fill = _ROOT_FILL
        if i in checks:
            fill = _PASS_FILL if checks[i][0] else _FAIL_FILL
        attrs = {
            "label": _tensor_label(index, i, show_values, grads, checks.get(i),
                                   max_value_entries, on_path),
            "shape": "box", "style": "rounded,filled", "fillcolor": fill,
        }
        if index.is_constant(i) and t.size == 1:
            attrs.update(style="filled", fillcolor=_DATA_FILL, fontsize="10",
                         width="0.3", height="0.25")
        if i == len(order) - 1:
            attrs["peripheries"] = "2"
        if on_path:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        tree.at(scope).nodes.append((f"t{i}", attrs))
    tree.emit(graph)

    if clusters:
        for data, leaf in _layering_hints(index):
            graph.edge(f"t{data}", f"t{leaf}", style="invis")
    start = min(marked) if marked else -1
    for i, t in enumerate(order):
        if t._op is None:
            continue
        inputs = index.inputs[i]
        for k, p in enumerate(inputs):
            attrs = {}
            if edge_labels and p not in inputs[:k]:
                attrs["label"] = _edge_label(index, i, p)
            if p in marked and i != start:
                attrs.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
            graph.edge(f"t{p}", f"op{i}", **attrs)
        attrs = {}
        if i in marked and i != start:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        graph.edge(f"op{i}", f"t{i}", **attrs)
    return graph


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
