"""backward_steps: the forward and the backward pass, one node at a time, on one page.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from tinygrad_ae._files import write_atomically
from tinygrad_ae.autograd.tensor import Tensor

from ._format import _fmt, _format_array
from ._index import _expression, _gradients, _GraphIndex, _vjp_input
from .graph import _folded_constants, draw_graph

__all__ = ["backward_steps", "BackwardSteps", "Step"]


@dataclass(frozen=True)
class Step:
    """One step of the walk: the ``kind`` (``"forward"``, ``"seed"`` or ``"backward"``),
    the tensor in ``focus`` (its drawing id, ``t<i>``), a one-line ``title``, the
    ``lines`` of arithmetic shown (each a tuple of cells), the ``value`` the step ends
    with (the tensor's value going forward, ∂root/∂tensor going backward) and the drawing
    ids to mark: ``sources`` (the inputs going forward, the consumers going backward) and
    the ``edges`` between them and the focus.

    >>> Step("seed", "t3", "∂L/∂L = 1", (), np.array(1.0)).kind
    'seed'
    """

    kind: str
    focus: str
    title: str
    lines: tuple[tuple[str, ...], ...]
    value: np.ndarray
    sources: tuple[str, ...] = ()
    edges: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackwardSteps:
    """The steps of :func:`backward_steps`, the graph's SVG (None without Graphviz) and
    the page; ``write(path)`` saves the page and one SVG per step, and Jupyter shows
    the page inline.

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(2.0, requires_grad=True, name="w")
    >>> L = w * w
    >>> L.name = "L"
    >>> walk = backward_steps(L, svg=False)
    >>> [step.title for step in walk.steps]
    ['forward: L = w·w', 'backward: ∂L/∂L = 1', 'backward: ∂L/∂w = 4']
    """

    steps: tuple[Step, ...]
    svg: str | None
    title: str = "The backward pass, step by step"
    names: dict[str, str] = field(default_factory=dict)

    @property
    def html(self) -> str:
        """The whole page as one self-contained HTML document."""
        return _page(self)

    def frames(self) -> list[str]:
        """One SVG per step: the graph with that step's nodes and edges marked (empty
        without Graphviz)."""
        if self.svg is None:
            return []
        return [_frame_svg(self.svg, step) for step in self.steps]

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (``.html`` added when missing) and its frames to
        ``<stem>_frames/step_001.svg`` …; return the page's path."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target.with_name(target.name + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, self.html)
        frames = self.frames()
        if frames:
            folder = target.with_name(f"{target.stem}_frames")
            folder.mkdir(exist_ok=True)
            for n, frame in enumerate(frames, start=1):
                write_atomically(folder / f"step_{n:03d}.svg", frame)
        return target

    def _repr_html_(self) -> str:
        """Jupyter: the page in a sandboxed frame (its script and styles stay inside)."""
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width:100%;height:720px;border:1px solid #d0d7de" '
                f'sandbox="allow-scripts"></iframe>')


def _forward_formula(index: _GraphIndex, i: int) -> str:
    t = index.order[i]
    inputs = index.inputs[i]
    made = _expression(t, [index.symbols[p] for p in inputs], [5] * len(inputs))
    if made is not None:
        return made[0]
    entry = t._op
    assert entry is not None
    return f"{entry.name}({', '.join(index.symbols[p] for p in inputs)})"


def _value_text(value: Any, max_entries: int) -> str:
    return _format_array(np.asarray(value), max_entries)


def backward_steps(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    names: Any = None,
    max_value_entries: int = 4,
    svg: bool | None = None,
    title: str = "The backward pass, step by step",
) -> BackwardSteps:
    """Walk the forward pass and then the backward pass of ``root`` one tensor at a
    time, as one self-contained HTML page (and one SVG frame per step).

    Forward, in topological order: each tensor computed from its inputs. Backward, in
    reverse topological order: first ∂root/∂root = 1, then for each tensor that
    requires grad, the gradient arriving from each consumer c (∂root/∂c), the local
    partial ∂c/∂tensor (from the op registry), their product, and the sum where paths
    meet: ∂root/∂tensor = Σ_c ∂root/∂c · ∂c/∂tensor. The numbers come from the ops' own
    vjps with one reverse pass of the engine (no ``.grad`` is touched), so each sum is
    what ``root.backward()`` leaves in ``.grad``.

    The page shows the graph (drawn by :func:`draw_graph`) with the step's tensor in red
    and its sources in orange, the arithmetic beside it, a slider, and the arrow keys
    (← → step; Home, End). ``page.html#step=N`` opens step N. ``path`` writes it (see
    :meth:`BackwardSteps.write`); ``svg`` False skips Graphviz (None: when installed).

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(3.0, requires_grad=True, name="w")
    >>> x = Tensor(2.0, name="x")
    >>> h = w * x
    >>> h.name = "h"
    >>> L = h * h
    >>> L.name = "L"
    >>> walk = backward_steps(L, svg=False)
    >>> print(walk.steps[-1].title)
    backward: ∂L/∂w = 24
    >>> for cells in walk.steps[-2].lines:      # h is used twice by L = h·h: two paths
    ...     print(" | ".join(cells))
    from L (as a) | ∂L/∂L = 1 | ∂L/∂h = h = 6 | product = 6
    from L (as b) | ∂L/∂L = 1 | ∂L/∂h = h = 6 | product = 6
    sum | ∂L/∂h = 12
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"backward_steps: expected a Tensor, got {type(root).__name__}")
    if root.size != 1:
        raise ValueError(
            f"backward_steps: the root has shape {root.shape}, not a single number; reduce "
            f"it first (for example loss.sum())"
        )
    if not root.requires_grad:
        raise ValueError("backward_steps: the root does not require grad, so there is no "
                         "backward pass to show; build it from a tensor with "
                         "requires_grad=True")
    index = _GraphIndex(root, names)
    order = index.order
    folded = _folded_constants(index)
    grads = _gradients(index)
    symbol = index.symbols
    end = len(order) - 1
    steps: list[Step] = []
    lines: list[tuple[str, ...]]
    for i, t in enumerate(order):
        if t._op is None:
            continue
        inputs = [p for p in index.inputs[i] if p not in folded]
        formula = _forward_formula(index, i)
        value = _value_text(t.data, max_value_entries)
        given: list[tuple[str, ...]] = [
            (f"{symbol[p]}", _value_text(order[p].data, max_value_entries))
            for p in dict.fromkeys(inputs)]
        given.append((f"{symbol[i]} = {formula}", value))
        steps.append(Step("forward", f"t{i}", f"forward: {symbol[i]} = {formula}",
                          tuple(given), np.asarray(t.data),
                          sources=tuple(f"t{p}" for p in dict.fromkeys(inputs)),
                          edges=tuple([f"t{p}->op{i}" for p in inputs] + [f"op{i}->t{i}"])))
    name = symbol[end]
    steps.append(Step("seed", f"t{end}", f"backward: ∂{name}/∂{name} = 1",
                      ((f"∂{name}/∂{name}", "1", "the walk starts at the root"),),
                      np.ones_like(root.data)))
    for i in range(end - 1, -1, -1):
        t = order[i]
        if not t.requires_grad or i in folded or i not in grads:
            continue
        lines = []
        sources: list[str] = []
        edges: list[str] = []
        for c in dict.fromkeys(index.consumers[i]):
            if c not in grads:
                continue
            slots = [k for k, p in enumerate(index.inputs[c]) if p == i]
            entry = order[c]._op
            assert entry is not None
            for k in slots:
                role = f" (as {entry.inputs[k]})" if len(slots) > 1 else ""
                product = _vjp_input(order[c], np.asarray(grads[c]), k)
                if product is None:
                    continue
                partial = index.local_partial(c, k)
                number = index.local_partial_value(c, k)
                lines.append((
                    f"from {symbol[c]}{role}",
                    f"∂{name}/∂{symbol[c]} = {_value_text(grads[c], max_value_entries)}",
                    f"∂{symbol[c]}/∂{symbol[i]} = {partial}"
                    + ("" if number is None else f" = {_fmt(number)}"),
                    f"product = {_value_text(product, max_value_entries)}",
                ))
                sources.append(f"t{c}")
                edges.extend([f"t{i}->op{c}", f"op{c}->t{c}"])
        total = np.asarray(grads[i])
        lines.append(("sum" if len(lines) > 1 else "so",
                      f"∂{name}/∂{symbol[i]} = {_value_text(total, max_value_entries)}"))
        steps.append(Step("backward", f"t{i}",
                          f"backward: ∂{name}/∂{symbol[i]} = "
                          f"{_value_text(total, max_value_entries)}",
                          tuple(lines), total, tuple(dict.fromkeys(sources)),
                          tuple(dict.fromkeys(edges))))
    picture = None
    draw = _dot_available() if svg is None else bool(svg)
    if draw:
        graph = draw_graph(root, names=names, collapse=False,
                           max_value_entries=max_value_entries)
        try:
            picture = _annotate(str(graph.pipe(format="svg", encoding="utf-8")))
        except graphviz.ExecutableNotFound:
            picture = None
    walk = BackwardSteps(tuple(steps), picture, title,
                         {f"t{i}": s for i, s in enumerate(symbol)})
    if path is not None:
        walk.write(path)
    return walk


def _dot_available() -> bool:
    return shutil.which("dot") is not None


def _annotate(svg: str) -> str:
    """Graphviz's SVG as an inline element whose node and edge groups carry their
    drawing ids (``data-node="t5"``, ``data-edge="t5->op6"``), for the page to mark."""
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)

    def node(match: re.Match[str]) -> str:
        return f'{match.group(1)} data-node="{match.group(3)}">{match.group(2)}'

    def edge(match: re.Match[str]) -> str:
        name = html.unescape(match.group(3)).replace("&#45;", "-")
        return f'{match.group(1)} data-edge="{html.escape(name)}">{match.group(2)}'

    svg = re.sub(r'(<g id="node\d+" class="node")>(\s*<title>((?:t|op|module_)[^<]*)</title>)',
                 node, svg)
    svg = re.sub(r'(<g id="edge\d+" class="edge")>(\s*<title>([^<]*)</title>)', edge, svg)
    return svg.strip()


_MARKS = {
    "focus": "stroke:#d62728;stroke-width:4px",
    "source": "stroke:#ff7f0e;stroke-width:3px",
    "flow": "stroke:#ff7f0e;stroke-width:3px",
}


def _rules(prefix: str) -> str:
    """CSS marking the classes the page's script sets."""
    return "".join(
        f"{prefix} g.{mark} > path, {prefix} g.{mark} > polygon, "
        f"{prefix} g.{mark} > ellipse {{{style}}}"
        for mark, style in _MARKS.items())


def _frame_svg(svg: str, step: Step) -> str:
    """The graph with one step's marks, as a standalone SVG file."""
    selectors = []
    for mark, ids, attribute in (("focus", [step.focus], "data-node"),
                                 ("source", list(step.sources), "data-node"),
                                 ("flow", list(step.edges), "data-edge")):
        for name in ids:
            selectors.append(
                f'g[{attribute}="{html.escape(name)}"] > path, '
                f'g[{attribute}="{html.escape(name)}"] > polygon, '
                f'g[{attribute}="{html.escape(name)}"] > ellipse {{{_MARKS[mark]}}}')
    style = f"<style>{''.join(selectors)}</style>"
    opening = re.match(r"<svg\b[^>]*>", svg)
    assert opening is not None
    head = opening.group(0).replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    caption = f"<title>{html.escape(step.title)}</title>"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + head + caption + style
            + svg[opening.end():] + "\n")


def _json_for_script(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _step_html(step: Step) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"
        for cells in step.lines)
    return f'<table class="arith">{rows}</table>'


_CSS = """
body { margin: 0; padding: 14px 18px; font: 15px/1.45 "DejaVu Sans", Arial, sans-serif;
       color: #1f2328; background: #f6f8fa; }
h1 { font-size: 20px; margin: 0 0 8px; }
.controls { position: sticky; top: 0; z-index: 2; display: flex; gap: 12px;
            align-items: center; background: #fff; border: 1px solid #d0d7de;
            border-radius: 8px; padding: 8px 12px; margin-bottom: 10px; }
#step-slider { flex: 1; accent-color: #d62728; }
#step-title { font-weight: 600; min-width: 24em; }
.layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(18em, 2fr); gap: 12px; }
.panel { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px;
         overflow: auto; }
#graph-view { max-height: calc(100vh - 120px); }
#step-text { position: sticky; top: 64px; align-self: start; }
table.arith { border-collapse: collapse; font-size: 14px; }
table.arith td { padding: 3px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
#graph-view svg { display: block; max-width: none; height: auto; }
.kind { color: #57606a; font-size: 13px; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var STEPS = JSON.parse(document.getElementById("steps-data").textContent);
  var slider = document.getElementById("step-slider");
  var title = document.getElementById("step-title");
  var text = document.getElementById("step-body");
  var kind = document.getElementById("step-kind");
  var view = document.getElementById("graph-view");
  function mark(cls, attribute, names) {
    if (!view) { return; }
    names.forEach(function (name) {
      var found = view.querySelectorAll("g[" + attribute + "]");
      for (var i = 0; i < found.length; i++) {
        if (found[i].getAttribute(attribute) === name) { found[i].classList.add(cls); }
      }
    });
  }
  function show(n, source) {
    n = Math.min(Math.max(1, Math.round(Number(n)) || 1), STEPS.length);
    var step = STEPS[n - 1];
    slider.value = String(n);
    title.textContent = "step " + n + " of " + STEPS.length + " \\u00b7 " + step.title;
    kind.textContent = step.kind === "forward" ? "forward pass: each tensor from its inputs"
      : "backward pass: gradient arriving from each consumer \\u00d7 local partial, summed";
    text.innerHTML = step.html;
    text.setAttribute("data-value", JSON.stringify(step.value));
    text.setAttribute("data-focus", step.focus);
    if (view) {
      var marked = view.querySelectorAll(".focus, .source, .flow");
      for (var i = 0; i < marked.length; i++) {
        marked[i].classList.remove("focus", "source", "flow");
      }
      mark("focus", "data-node", [step.focus]);
      mark("source", "data-node", step.sources);
      mark("flow", "data-edge", step.edges);
      // Bring the step's tensor to the middle of the graph panel (the panel scrolls,
      // the page does not).
      var focus = view.querySelector(".focus");
      if (focus && focus.getBoundingClientRect) {
        var box = view.getBoundingClientRect(), where = focus.getBoundingClientRect();
        view.scrollTop += (where.top + where.height / 2) - (box.top + box.height / 2);
        view.scrollLeft += (where.left + where.width / 2) - (box.left + box.width / 2);
      }
    }
    document.body.setAttribute("data-step", String(n));
    document.body.setAttribute("data-step-source", source);
  }
  slider.addEventListener("input", function () { show(slider.value, "input"); });
  document.addEventListener("keydown", function (event) {
    var n = Number(slider.value);
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { show(n + 1, "key"); }
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { show(n - 1, "key"); }
    else if (event.key === "Home") { show(1, "key"); }
    else if (event.key === "End") { show(STEPS.length, "key"); }
    else { return; }
    event.preventDefault();
  });
  // #step=N opens step N; #test-keys=ArrowRight,ArrowRight presses keys (for tests).
  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (params.has("step")) { show(params.get("step"), "hash"); }
    if (params.has("test-keys")) {
      params.get("test-keys").split(",").forEach(function (key) {
        document.dispatchEvent(new KeyboardEvent("keydown", { key: key, bubbles: true }));
      });
    }
  }
  window.addEventListener("hashchange", fromHash);
  show(1, "load");
  fromHash();
}());
"""


def _page(walk: BackwardSteps) -> str:
    data = [{"kind": step.kind, "title": step.title, "focus": step.focus,
             "sources": list(step.sources), "edges": list(step.edges),
             "html": _step_html(step),
             "value": np.asarray(step.value, dtype=np.float64).tolist()}
            for step in walk.steps]
    graph = (walk.svg if walk.svg is not None else
             '<p class="kind">Graphviz\'s dot program was not installed when this page was '
             "written, so the graph is not drawn; the steps are complete without it.</p>")
    count = len(walk.steps)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(walk.title)}</title>\n"
        f"<style>{_CSS}{_rules('#graph-view')}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(walk.title)}</h1>\n"
        '<div class="controls"><input type="range" id="step-slider" min="1" '
        f'max="{count}" step="1" value="1" aria-label="step">'
        f'<span id="step-title" aria-live="polite">{html.escape(walk.steps[0].title)}'
        "</span></div>\n"
        '<div class="layout"><section class="panel" id="graph-view">'
        f"{graph}</section>"
        '<section class="panel" id="step-text"><p class="kind" id="step-kind"></p>'
        '<div id="step-body"></div><p class="kind">← → move one step (Home, End); the '
        "slider moves anywhere. Red: the tensor of this step; orange: where its numbers "
        "come from.</p></section></div>\n"
        f'<script type="application/json" id="steps-data">{_json_for_script(data)}'
        "</script>\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
