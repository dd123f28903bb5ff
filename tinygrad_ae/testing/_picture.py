"""Draw where the chain rule broke: the counterexample's graph with the wrong edge in red.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_ae.autograd.engine import topological_order
from tinygrad_ae.autograd.ops import Op
from tinygrad_ae.autograd.tensor import Tensor

if TYPE_CHECKING:
    import graphviz

    from ._check_op import Counterexample

__all__ = ["mark_edge", "draw_counterexample", "write_picture"]

_RED = "#d62728"


def mark_edge(graph: graphviz.Digraph, root: Tensor, tail: Tensor, lines: list[str]
              ) -> bool:
    """Draw in red, labelled with ``lines``, every edge from tensor ``tail`` into an op of
    ``graph`` (a drawing of ``root`` by :func:`tinygrad_ae.viz.draw_graph`); return
    whether such an edge was found. Node ids follow draw_graph's: ``t<i>``/``op<i>`` for
    positions in :func:`tinygrad_ae.topological_order`.
    """
    order = topological_order(root)
    position = next((i for i, t in enumerate(order) if t is tail), None)
    if position is None:
        return False
    label = "<" + "<BR/>".join(html.escape(line, quote=False) for line in lines) + ">"
    pattern = re.compile(rf"^\s*t{position} -> (op\d+)")
    found = False
    for k, line in enumerate(graph.body):
        match = pattern.match(line)
        if match:
            graph.body[k] = (f"\tt{position} -> {match.group(1)} [label={label} "
                             f"color=\"{_RED}\" fontcolor=\"{_RED}\" penwidth=3]\n")
            found = True
    return found


def write_picture(graph: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render ``graph`` as SVG at ``path``; without Graphviz's ``dot`` program, write the
    DOT source (``<path>.dot``) instead and return that path."""
    from tinygrad_ae.viz import GraphvizNotFound, render

    try:
        return render(graph, path, format="svg")
    except GraphvizNotFound:
        return render(graph, path, format="dot")


def draw_counterexample(op: Op, counterexample: Counterexample,
                        path: str | os.PathLike[str], partial_word: str = "declared"
                        ) -> Path | None:
    """The op applied to the counterexample's inputs, with the failing input's edge in
    red, labelled with the right partial and the two gradients; None when the forward
    itself cannot be drawn."""
    from tinygrad_ae.viz import draw_graph

    tensors = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)
               for name, a in counterexample.inputs.items()]
    try:
        out = op(*tensors, **counterexample.params)
    except Exception:  # noqa: BLE001 - nothing to draw when the forward fails
        return None
    out.name = "out"
    try:
        graph = draw_graph(out, show_grads=False)
    except Exception:  # noqa: BLE001 - edge values call the (broken) vjp: draw without them
        graph = draw_graph(out, show_grads=False, edge_labels=False)
    name = counterexample.input_name
    if name is not None and name in op.inputs:
        k = op.inputs.index(name)
        names: dict[str, Any] = {n: n for n in (*op.inputs, "out")}
        names.update({key: str(value) for key, value in counterexample.params.items()})
        try:
            right = op.local_partial(k, names)
        except (KeyError, IndexError, ValueError):
            right = str(op.partial[k])
        lines = [f"✗ {counterexample.check} of {name} is wrong",
                 f"{partial_word}: ∂out/∂{name} = {right}"]
        if counterexample.expected is not None and counterexample.actual is not None:
            lines.append(f"expected ∂L/∂{name} = {_short(counterexample.expected)}")
            lines.append(f"vjp gives ∂L/∂{name} = {_short(counterexample.actual)}")
        mark_edge(graph, out, tensors[k], lines)
    graph.attr(label=f"check_op: {counterexample.explanation}", labelloc="t",
               fontcolor=_RED)
    return write_picture(graph, path)


def _short(array: Any) -> str:
    return np.array2string(np.asarray(array), precision=3, separator=", ", threshold=8,
                           max_line_width=60).replace("\n", " ")
