"""Watch a training run frame by frame: :class:`LiveSnapshots` and :func:`write_html`.

Layer: the top of the stack, beside the command line. Imports numpy, the ``graphviz``
package, and ``tensor``, ``nn``, ``models`` and ``viz`` of ours; nothing imports it.

:class:`LiveSnapshots` is a callback for :func:`tinygrad_ae.models.fit`. Every ``every``
epochs it builds the model's loss on a small fixed sample, draws its computational graph
with values and gradients (:func:`tinygrad_ae.viz.draw_graph`) and the network
(:func:`tinygrad_ae.viz.draw_network`), and keeps the drawings as text: DOT always, SVG
when Graphviz's ``dot`` program is installed. It also keeps every epoch's loss.

:func:`write_html` turns the snapshots into ONE self-contained HTML page (inline SVG,
inline CSS, inline JavaScript; no server and no network): a slider over the frames, the
graph and the network of the current frame, and the loss curve with a marker at the
current epoch. Open it from disk with any browser. The page reads its address's
fragment: ``page.html#frame=3`` opens frame 3, ``#frame=last`` the last one.

>>> import tempfile, os
>>> from tinygrad_ae import data, models
>>> X = data.correlated_2d(60, seed=0)
>>> live = LiveSnapshots(every=5, sample=X[:3], render_svg=False)   # DOT only: fast
>>> history = models.fit(models.PaperAutoencoder(seed=0), X, epochs=10, lr=0.05,
...                      callbacks=[live], progress=False)
>>> [snapshot.epoch for snapshot in live.snapshots]
[5, 10]
>>> page = write_html(live, os.path.join(tempfile.mkdtemp(), "run.html"))
>>> 'id="frame-slider"' in page.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from tinygrad_ae import viz
from tinygrad_ae._files import write_atomically
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor, enable_grad, no_grad
from tinygrad_ae.models import PaperAutoencoder
from tinygrad_ae.nn import Module, mse_loss

__all__ = ["LiveSnapshots", "Snapshot", "Picture", "write_html", "graphviz_available"]

LossFunction = Callable[[Module, Tensor], Tensor]
"""``loss_fn(model, x) -> L``: the one-number loss drawn in each snapshot."""


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is on PATH, so pictures can be drawn as SVG.

    >>> isinstance(graphviz_available(), bool)
    True
    """
    return shutil.which("dot") is not None


@dataclass(frozen=True)
class Picture:
    """One drawing as text: its DOT ``source``, the Graphviz ``engine`` that lays it out
    (``"dot"``, or ``"neato"`` for the pinned network diagram) and its ``svg`` (None
    when it was not rendered).

    >>> Picture("digraph { a -> b }").svg is None
    True
    """

    source: str
    engine: str = "dot"
    svg: str | None = None

    def rendered(self) -> Picture:
        """This picture with its SVG, drawn now if it is missing; unchanged when Graphviz
        is not installed (check ``.svg``)."""
        if self.svg is not None:
            return self
        svg = _pipe_svg(graphviz.Source(self.source, engine=self.engine))
        return self if svg is None else Picture(self.source, self.engine, svg)


@dataclass(frozen=True)
class Snapshot:
    """The state of a training run after one epoch.

    ``epoch`` (0 for a capture before training), ``loss`` (that epoch's training loss as
    ``fit`` reported it, None before training), ``sample_loss`` (the loss on the
    snapshot's sample: the value at the root of ``graph``), and the drawings ``graph``
    and ``network`` (:class:`Picture`, or None when not drawn).
    """

    epoch: int
    loss: float | None
    sample_loss: float
    graph: Picture | None
    network: Picture | None


def _pipe_svg(graph: Any) -> str | None:
    """SVG text of a graphviz object, or None without the ``dot`` program."""
    if not graphviz_available():
        return None
    try:
        return str(graph.pipe(format="svg", encoding="utf-8"))
    except graphviz.ExecutableNotFound:
        return None


def _check_sample(sample: ArrayLike) -> np.ndarray:
    array = np.asarray(sample.data if isinstance(sample, Tensor) else sample)
    if array.ndim != 2 or array.shape[0] < 1:
        raise ValueError(
            f"LiveSnapshots: sample must be a few rows of the training data, shape "
            f"(n_samples, n_features) with n_samples >= 1 (for example X[:4]), got shape "
            f"{array.shape}"
        )
    if array.dtype.kind not in "biuf" or not np.all(np.isfinite(array)):
        raise ValueError("LiveSnapshots: sample must hold finite real numbers")
    return array.copy()


def _default_loss(model: Module, x: Tensor) -> Tensor:
    """The paper's loss, built term by term for the paper's network (named x1 … L)."""
    if isinstance(model, PaperAutoencoder):
        return model.loss(x)
    loss = mse_loss(model(x), x, "paper")
    loss.name = "L"
    return loss


class LiveSnapshots:
    """A :func:`~tinygrad_ae.models.fit` callback that draws the model every ``every``
    epochs: its computational graph on ``sample`` with values and gradients, its
    network diagram, and the loss.

    Args:
        every: snapshot after epochs every, 2·every, … (epochs count from 1).
        sample: a few rows of the data, (n_samples, n_features); the graph of the loss
            on them is drawn. Up to four rows show every value; more are summarised.
        draw_graph: draw the computational graph (:func:`tinygrad_ae.viz.draw_graph`).
        draw_network: draw the neurons and weights (:func:`tinygrad_ae.viz.draw_network`;
            it refuses layers wider than 12 neurons, so pass False for big models).
        highlight: a tensor's name (``"w1"``): mark its chain-rule paths in red.
        graph_options: more keyword arguments for ``draw_graph`` (``rankdir="TB"``,
            ``check=True``, ``edge_labels=False``, ...).
        loss_fn: ``loss_fn(model, x)`` builds the one-number loss to draw; by default
            the paper's L = (1/N) Σ_i ‖x_i − x̂_i‖² (for ``PaperAutoencoder`` its own
            ``loss``, whose tensors are named x1, x2, h, x̂1, x̂2, L).
        render_svg: True to draw SVG now (needs Graphviz's ``dot``), False to keep DOT
            only (:func:`write_html` draws it later if it can), None for "when installed".
        path: if given, the page is rewritten there (atomically) after every snapshot,
            so a browser can be refreshed while training runs.

    Drawing reads the model and writes nothing: gradients come from
    :func:`tinygrad_ae.engine.grad`, so no ``.grad`` changes and training is unaffected.
    ``snapshots`` lists the :class:`Snapshot` objects, ``losses`` every epoch's loss.
    Call :meth:`capture` yourself before ``fit`` to include the starting point (epoch 0).

    >>> from tinygrad_ae import data, models
    >>> X = data.correlated_2d(40, seed=1)
    >>> model = models.PaperAutoencoder(seed=1)
    >>> live = LiveSnapshots(every=2, sample=X[:2], render_svg=False)
    >>> live.capture(model, data=X)               # epoch 0: before training, on all of X
    >>> _ = models.fit(model, X, epochs=5, lr=0.05, callbacks=[live], progress=False)
    >>> [s.epoch for s in live.snapshots], len(live.losses)
    ([0, 2, 4], 5)
    >>> "/∂w3 = h" in live.snapshots[1].graph.source    # edges carry local partials
    True
    """

    def __init__(
        self,
        every: int = 1,
        *,
        sample: ArrayLike,
        draw_graph: bool = True,
        draw_network: bool = True,
        highlight: str | None = None,
        graph_options: Mapping[str, Any] | None = None,
        loss_fn: LossFunction | None = None,
        render_svg: bool | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"LiveSnapshots: every must be a positive number of epochs, "
                             f"got {every!r}")
        if render_svg is True and not graphviz_available():
            raise viz.GraphvizNotFound(
                "LiveSnapshots(render_svg=True): Graphviz's 'dot' program is not on PATH; "
                "install it (apt-get install graphviz, brew install graphviz) or pass "
                "render_svg=None to keep the DOT source and draw it later"
            )
        options = dict(graph_options or {})
        if highlight is not None:
            options["highlight"] = highlight
        self.every = int(every)
        self.sample = _check_sample(sample)
        self.draw_graph = bool(draw_graph)
        self.draw_network = bool(draw_network)
        self.graph_options = options
        self.loss_fn: LossFunction = loss_fn or _default_loss
        self.render_svg = graphviz_available() if render_svg is None else bool(render_svg)
        self.path = None if path is None else Path(path)
        self.snapshots: list[Snapshot] = []
        self.losses: list[float] = []

    def __repr__(self) -> str:
        return (f"LiveSnapshots(every={self.every}, sample of {self.sample.shape[0]} rows, "
                f"{len(self.snapshots)} snapshots)")

    def __call__(self, epoch: int, loss: float, model: Module) -> None:
        """The ``fit`` callback: record the loss; draw a snapshot every ``every`` epochs."""
        while len(self.losses) < epoch:
            self.losses.append(math.nan)
        self.losses[epoch - 1] = float(loss)
        if epoch % self.every == 0:
            self.capture(model, epoch, loss)

    def capture(self, model: Module, epoch: int = 0, loss: float | None = None, *,
                data: ArrayLike | None = None) -> None:
        """Draw ``model`` now and append a :class:`Snapshot` (epoch 0 by default: call it
        before ``fit`` to keep the starting point).

        ``loss`` is the training loss to show for this frame; without it, pass the
        training ``data`` and it is computed here, on all of it, as ``fit`` does for
        later frames (so the first frame is not the sample's loss under another name).
        """
        if loss is None and data is not None:
            with no_grad():
                full = self.loss_fn(model, Tensor(np.asarray(
                    data.data if isinstance(data, Tensor) else data), name="x"))
            loss = float(full.item())
        x = Tensor(self.sample, name="x")
        with enable_grad():
            root = self.loss_fn(model, x)
            if not isinstance(root, Tensor) or root.size != 1:
                raise ValueError(f"LiveSnapshots: loss_fn must return a one-number Tensor, "
                                 f"got {getattr(root, 'shape', type(root).__name__)}")
            graph = None
            if self.draw_graph:
                rows = self.sample.shape[0]
                options = {"names": model,
                           "caption": f"values and gradients on the {rows} sample "
                                      f"row{'s' if rows != 1 else ''} only",
                           **self.graph_options}
                graph = self._picture(viz.draw_graph(root, **options))
        network = None
        if self.draw_network:
            try:
                drawing = viz.draw_network(model)
            except ValueError as error:
                raise ValueError(f"LiveSnapshots: {error}; or pass draw_network=False") \
                    from None
            network = self._picture(drawing)
        self.snapshots.append(Snapshot(
            epoch=int(epoch), loss=None if loss is None else float(loss),
            sample_loss=float(root.item()), graph=graph, network=network,
        ))
        if self.path is not None:
            write_html(self, self.path)

    def _picture(self, graph: graphviz.Digraph) -> Picture:
        engine = str(getattr(graph, "engine", "dot") or "dot")
        svg = _pipe_svg(graph) if self.render_svg else None
        return Picture(graph.source, engine, svg)

    def write_html(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """``write_html(self, path, **options)``: see :func:`write_html`."""
        return write_html(self, path, **options)


# --- the page ------------------------------------------------------------------------------

def _clean_svg(svg: str, prefix: str) -> str:
    """Graphviz's SVG as an inline element: the XML prolog, DOCTYPE (with its URL),
    comments and namespace declarations removed, and ids prefixed so the graph and the
    network never share one."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
    body = re.sub(r'(?<=\s)id="', f'id="{prefix}', body)
    # Inline SVG in HTML needs no namespace declarations; without them the page names no URL.
    body = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", body)
    return body.strip()


def _format_loss(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.6g}"


def _loss_curve(
    losses: Sequence[float | None], frames: Sequence[Snapshot], bound: float | None,
    bound_label: str, log_scale: bool | None,
) -> tuple[str, list[dict[str, float | None]]]:
    """The loss per epoch drawn by matplotlib as an inline SVG, and where the page's
    marker goes for each frame (in the SVG's own coordinates)."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    points = [(e, float(v)) for e, v in enumerate(losses, start=1)
              if v is not None and math.isfinite(v)]
    points += [(s.epoch, s.loss) for s in frames
               if s.loss is not None and math.isfinite(s.loss) and s.epoch > len(losses)]
    points.sort()
    values = [v for _, v in points] + ([bound] if bound is not None else [])
    positive = bool(values) and min(values) > 0
    log = ((positive and max(values) / min(values) > 50) if log_scale is None
           else (log_scale and positive))
    # 72 dpi: one display pixel is one SVG unit, so marker positions need no scaling.
    figure = Figure(figsize=(7.0, 3.75), dpi=72, layout="constrained")
    axis = figure.subplots()
    if points:
        axis.plot([e for e, _ in points], [v for _, v in points], color="#1f77b4", lw=2,
                  label="training loss")
    dots = [(s.epoch, s.loss) for s in frames if s.loss is not None and math.isfinite(s.loss)
            and (not log or s.loss > 0)]
    if dots:
        axis.plot([e for e, _ in dots], [v for _, v in dots], "o", color="#1f77b4", ms=4,
                  alpha=0.55)
    if bound is not None and math.isfinite(bound) and (not log or bound > 0):
        axis.axhline(bound, color="#2ca02c", ls="--", lw=1.5,
                     label=f"{bound_label} = {_format_loss(bound)}")
    if log:
        axis.set_yscale("log")
    epochs = [e for e, _ in points] + [s.epoch for s in frames]
    low = 0 if any(s.epoch == 0 for s in frames) else 1
    axis.set_xlim(min(epochs + [low]) - 0.5, max(epochs + [low + 1]) + 0.5)
    if not values:
        axis.set_ylim(0.0, 1.0)
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss L" + (" (log scale)" if log else ""))
    axis.grid(True, alpha=0.3)
    if axis.get_legend_handles_labels()[0]:
        axis.legend(loc="upper right", fontsize=10)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tinygrad_ae"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    height = figure.bbox.height
    (y_top, y_bottom) = sorted(height - y for y in (axis.bbox.y0, axis.bbox.y1))

    def place(epoch: float, value: float | None) -> tuple[float, float | None]:
        x_display = float(axis.transData.transform((epoch, 1.0 if log else 0.0))[0])
        if value is None or not math.isfinite(value) or (log and value <= 0):
            return x_display, None
        return x_display, float(height - axis.transData.transform((epoch, value))[1])

    markers: list[dict[str, float | None]] = []
    for s in frames:
        x, y = place(s.epoch, s.loss)
        markers.append({"x": round(x, 2), "y": None if y is None else round(y, 2)})
    svg = buffer.getvalue()
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    # Every point lies inside the axes' limits, so the clip paths (referenced by url(#…),
    # which the page promises never to contain) can go.
    svg = re.sub(r'\s*clip-path="url\(#[^)]*\)"', "", svg)
    svg = re.sub(r"<clipPath\b.*?</clipPath>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'<svg\b[^>]*?(viewBox="[^"]*")[^>]*>',
                 r'<svg id="loss-curve" \1 role="img" aria-label="training loss per epoch">',
                 svg, count=1)
    first = markers[0] if markers else {"x": 0.0, "y": None}
    hidden = "" if first["y"] is not None else ' visibility="hidden"'
    overlay = (f'<line id="loss-marker-line" x1="{first["x"]}" x2="{first["x"]}" '
               f'y1="{y_top:.2f}" y2="{y_bottom:.2f}" class="marker-line"/>'
               f'<circle id="loss-marker" cx="{first["x"]}" cy="{first["y"] or y_top}" r="6" '
               f'class="marker"{hidden}/>')
    svg = svg.rstrip()
    svg = svg[: svg.rfind("</svg>")] + overlay + "</svg>"
    return svg, markers


_CSS = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #d62728;
        --panel: #ffffff; --page: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 20px 28px; background: var(--page); color: var(--ink);
       font: 15px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
h1 { font-size: 21px; margin: 0 0 2px; }
h2 { font-size: 15px; margin: 0 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 12px; font-size: 13px; }
.controls { position: sticky; top: 0; z-index: 2; display: flex; align-items: center;
            gap: 14px; background: var(--panel); border: 1px solid var(--line);
            border-radius: 8px; padding: 10px 14px; margin-bottom: 12px; }
#frame-slider { flex: 1; min-width: 160px; accent-color: var(--accent); height: 22px; }
#frame-label { font-variant-numeric: tabular-nums; font-weight: 600; min-width: 22em; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px;
         background: #f3f4f6; cursor: pointer; }
button:hover { background: #e7e9ec; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px;
       margin-bottom: 12px; }
@media (max-width: 900px) { .row { grid-template-columns: 1fr; } }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
         padding: 10px 12px; min-width: 0; }
.panel .hint { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
#loss-curve { width: 100%; height: auto; display: block; }
#loss-curve .marker-line { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 3 3; }
#loss-curve .marker { fill: var(--accent); stroke: white; stroke-width: 2; }
#network-view svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
#graph-view { overflow: auto; border-top: 1px solid var(--line);
              padding-top: 6px; }
#graph-view svg { display: block; max-width: none; }
.panel-head { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
.panel-head label { font-size: 13px; color: var(--muted); }
pre.dot-source { white-space: pre; overflow: auto; max-height: 50vh; font-size: 11px;
                 background: #f6f8fa; border: 1px solid var(--line); padding: 8px; margin: 0; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px;
        padding: 6px 10px; font-size: 13px; margin: 0 0 8px; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; border-radius: 4px;
               border: 1px solid #999; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 10px; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var FRAMES = JSON.parse(document.getElementById("frames-data").textContent);
  var slider = document.getElementById("frame-slider");
  var label = document.getElementById("frame-label");
  var graphView = document.getElementById("graph-view");
  var networkView = document.getElementById("network-view");
  var markerLine = document.getElementById("loss-marker-line");
  var marker = document.getElementById("loss-marker");
  var play = document.getElementById("play");
  var zoom = document.getElementById("graph-zoom");
  var timer = null;

  // Graphviz sizes its SVG in points; zoom scales that natural size (1pt = 4/3 px),
  // or fits the graph to the panel's width.
  function applyZoom() {
    var svg = graphView ? graphView.querySelector("svg") : null;
    if (!svg || !zoom) { return; }
    if (zoom.value === "fit") {
      svg.style.width = "100%";
    } else {
      var points = parseFloat(svg.getAttribute("width")) || 800;
      svg.style.width = Math.round(points * 4 / 3 * Number(zoom.value)) + "px";
    }
    svg.style.height = "auto";
  }

  function fill(view, picture) {
    if (!view) { return; }
    view.textContent = "";
    if (!picture) { return; }
    if (picture.svg) {
      view.innerHTML = picture.svg;
      if (view === graphView) { applyZoom(); }
      return;
    }
    var note = document.createElement("p");
    note.className = "note";
    note.textContent = "Graphviz's dot program was not found when this page was written, " +
      "so this drawing is shown as its DOT source. Install Graphviz and write the page again.";
    var pre = document.createElement("pre");
    pre.className = "dot-source";
    pre.textContent = picture.dot;
    view.appendChild(note);
    view.appendChild(pre);
  }

  function show(n, source) {
    n = Math.min(Math.max(1, Math.round(Number(n)) || 1), FRAMES.length);
    var frame = FRAMES[n - 1];
    slider.value = String(n);
    label.textContent = frame.label;
    fill(graphView, frame.graph);
    fill(networkView, frame.network);
    markerLine.setAttribute("x1", frame.x);
    markerLine.setAttribute("x2", frame.x);
    marker.setAttribute("cx", frame.x);
    if (frame.y === null) {
      marker.setAttribute("visibility", "hidden");
    } else {
      marker.setAttribute("cy", frame.y);
      marker.removeAttribute("visibility");
    }
    document.body.setAttribute("data-frame", String(n));
    document.body.setAttribute("data-frame-source", source);
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25b6 play";
  }

  slider.addEventListener("input", function () { show(slider.value, "input"); });
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (Number(slider.value) >= FRAMES.length) { show(1, "play"); }
    play.textContent = "\\u275a\\u275a pause";
    timer = setInterval(function () {
      var next = Number(slider.value) + 1;
      if (next > FRAMES.length) { stop(); return; }
      show(next, "play");
    }, 700);
  });
  if (zoom) { zoom.addEventListener("change", applyZoom); }
  document.addEventListener("keydown", function (event) {
    if (event.target === slider) { return; }
    if (event.key === "ArrowRight") { show(Number(slider.value) + 1, "key"); }
    if (event.key === "ArrowLeft") { show(Number(slider.value) - 1, "key"); }
  });

  // The address's fragment: #frame=3 (or #frame=last) opens that frame;
  // #test-move-slider=3 moves the slider and fires a real "input" event (for tests).
  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var wanted = params.get("test-move-slider") || params.get("frame");
    if (wanted === null) { return; }
    var n = wanted === "last" ? FRAMES.length : Number(wanted);
    if (params.has("test-move-slider")) {
      slider.value = String(n);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    } else {
      show(n, "hash");
    }
  }
  window.addEventListener("hashchange", fromHash);
  show(1, "load");
  fromHash();
}());
"""


def _frame_label(n: int, count: int, snapshot: Snapshot) -> str:
    """The same two numbers on every frame: the training loss (on all the data; "–"
    when it was not measured) and the loss on the sample the graph is drawn on."""
    when = "before training" if snapshot.epoch == 0 else f"epoch {snapshot.epoch}"
    return (f"frame {n} of {count} · {when} · loss {_format_loss(snapshot.loss)} · "
            f"on the sample {_format_loss(snapshot.sample_loss)}")


def _json_for_script(value: Any) -> str:
    """JSON to put inside ``<script type="application/json">``: "</" is written "<\\/" (the
    same string in JSON) and "<!--" as "\\u003c!--", so nothing in it can end the
    element early."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _picture_data(picture: Picture | None, prefix: str, render_svg: bool) -> dict[str, Any]:
    if picture is None:
        return {}
    if render_svg:
        picture = picture.rendered()
    svg = None if picture.svg is None else _clean_svg(picture.svg, prefix)
    return {"svg": svg, "dot": picture.source}


def write_html(
    snapshots: LiveSnapshots | Sequence[Snapshot],
    path: str | os.PathLike[str],
    title: str = "Training, frame by frame",
    losses: Sequence[float | None] | None = None,
    bound: float | None = None,
    bound_label: str = "PCA bound",
    log_scale: bool | None = None,
    render_svg: bool | None = None,
) -> Path:
    """Write one self-contained HTML page showing ``snapshots`` frame by frame; return
    its path.

    The page has a slider (``id="frame-slider"``) over the frames, a label with the
    frame, epoch and loss (``id="frame-label"``), the network and the computational graph
    of the current frame, and the loss curve (drawn here as SVG) with a marker at the
    current epoch; a play button steps through the frames, and the arrow keys move one
    frame. Everything is inline, so the file works from disk with no network.
    ``page.html#frame=N`` opens frame N (counted from 1; ``#frame=last`` the last).

    Args:
        snapshots: a :class:`LiveSnapshots` (its per-epoch losses draw the curve) or a
            list of :class:`Snapshot`.
        path: where to write; folders are made and the file is replaced atomically.
        title: the page's heading.
        losses: the loss per epoch (``history["loss"]``) when ``snapshots`` is a list;
            otherwise the curve joins the snapshots' own losses.
        bound: a loss to draw as a dashed line, such as ``pca.min_reconstruction_loss``.
        bound_label: that line's label.
        log_scale: the curve's y axis; None picks log when the loss spans over 50×.
        render_svg: draw missing SVG now (True/None: when Graphviz is installed); a
            drawing without SVG is shown as its DOT source in a ``<pre>``, and the page
            says why.

    >>> import tempfile, os
    >>> frames = [Snapshot(epoch, loss, loss, Picture("digraph { x -> L }"), None)
    ...           for epoch, loss in ((10, 2.0), (20, 1.5))]
    >>> page = write_html(frames, os.path.join(tempfile.mkdtemp(), "page.html"),
    ...                   render_svg=False)
    >>> text = page.read_text(encoding="utf-8")
    >>> "frame 1 of 2 · epoch 10 · loss 2" in text, "http://" in text
    (True, False)
    """
    if isinstance(snapshots, LiveSnapshots):
        frames = list(snapshots.snapshots)
        curve: Sequence[float | None] = list(snapshots.losses) if losses is None else losses
    else:
        frames = list(snapshots)
        curve = list(losses) if losses is not None else []
    if not frames:
        raise ValueError("write_html: there are no snapshots to show; train with "
                         "LiveSnapshots(every=...) as a callback of fit first (or lower "
                         "every below the number of epochs)")
    for i, frame in enumerate(frames):
        if not isinstance(frame, Snapshot):
            raise TypeError(f"write_html: snapshots[{i}] is a {type(frame).__name__}, not a "
                            f"teaching.Snapshot")
    draw = graphviz_available() if render_svg is None else bool(render_svg)
    curve = [None if v is None or not math.isfinite(float(v)) else float(v) for v in curve]
    curve_svg, markers = _loss_curve(curve, frames, bound, bound_label, log_scale)
    data: list[dict[str, Any]] = []
    for n, (frame, where) in enumerate(zip(frames, markers), start=1):
        data.append({
            "label": _frame_label(n, len(frames), frame),
            "epoch": frame.epoch,
            "x": where["x"], "y": where["y"],
            "graph": _picture_data(frame.graph, "graph-", draw) or None,
            "network": _picture_data(frame.network, "network-", draw) or None,
        })
    missing_svg = any(item[key] is not None and item[key]["svg"] is None
                      for item in data for key in ("graph", "network"))
    has_graph = any(item["graph"] is not None for item in data)
    has_network = any(item["network"] is not None for item in data)
    epochs = [frame.epoch for frame in frames]
    subtitle = (f"{len(frames)} frame{'s' if len(frames) != 1 else ''}, epochs "
                f"{min(epochs)}–{max(epochs)}. Drag the slider, press play, or use the arrow "
                f"keys. Made with tinygrad_ae.teaching; this file needs no network.")
    note = ("<p class=\"note\" id=\"no-graphviz\">Graphviz's <code>dot</code> program was not "
            "installed when this page was written, so drawings appear as DOT source. Install "
            "Graphviz (<code>apt-get install graphviz</code> or <code>brew install graphviz"
            "</code>) and write the page again to see pictures.</p>") if missing_svg else ""
    network_panel = (
        '<section class="panel" id="network-panel"><h2>The network</h2>'
        '<div id="network-view"></div>'
        '<p class="hint">Weights and biases of this frame.</p></section>'
        if has_network else ""
    )
    graph_panel = (
        '<section class="panel" id="graph-panel"><div class="panel-head">'
        "<h2>The computational graph of L on the sample</h2>"
        '<label>zoom <select id="graph-zoom"><option value="fit">fit to width</option>'
        '<option value="0.5">50%</option><option value="0.75">75%</option>'
        '<option value="1" selected>100%</option></select></label></div>'
        '<p class="hint legend"><span style="background:#fff2cc">parameter</span>'
        '<span style="background:#eeeeee">data</span>'
        '<span style="background:#dbe9f6">the loss L</span> '
        "value = the tensor's value; grad = ∂L/∂tensor; each edge carries its local "
        "partial derivative. The graph is computed on the sample only.</p>"
        '<div id="graph-view"></div></section>'
        if has_graph else ""
    )
    row = (f'<div class="row"><section class="panel" id="loss-panel"><h2>The loss</h2>'
           f"{curve_svg}"
           f'<p class="hint">The red marker is the epoch of the current frame.</p></section>'
           f"{network_panel}</div>")
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p class=\"subtitle\">{html.escape(subtitle)}</p>\n"
        f"{note}\n"
        "<div class=\"controls\"><button type=\"button\" id=\"play\">▶ play</button>"
        f"<input type=\"range\" id=\"frame-slider\" min=\"1\" max=\"{len(frames)}\" step=\"1\" "
        "value=\"1\" aria-label=\"frame\">"
        f"<span id=\"frame-label\" aria-live=\"polite\">"
        f"{html.escape(data[0]['label'])}</span></div>\n"
        f"{row}\n{graph_panel}\n"
        "<footer>Frames are counted from 1; open <code>#frame=N</code> to jump to frame N."
        "</footer>\n"
        f'<script type="application/json" id="frames-data">{_json_for_script(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, page)
    return target
