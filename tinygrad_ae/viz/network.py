"""draw_network: the neuron-level picture of a small network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphviz
import numpy as np

from tinygrad_ae.autograd.tensor import Tensor

from ._format import _DATA_FILL, _FONT, _MUTED, _ROOT_FILL, _fmt

# --- draw_network -------------------------------------------------------------------------

_PAPER_PARAMETERS = ("w1", "w2", "w3", "w4", "b1", "b2", "b3")
_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid", "Identity": "linear"}
_TINY_LAYER = 4       # at most this many weights: write them on the edges
_ROW = 64.0           # points between neurons of one layer
_LABEL_OFFSET = 11.0  # points between an edge and its weight
# A parameter smaller than this times the largest one (or 1) is rounding noise, such as
# a bias that converged to 0 and reads -5.621e-17: it is written 0.
_TINY = 1e-10


def _round_tiny(values: np.ndarray, scale: float) -> np.ndarray:
    """``values`` with entries below ``_TINY·max(1, scale)`` in magnitude set to 0.

    >>> _round_tiny(np.array([0.5, -5.6e-17]), 0.5).tolist()
    [0.5, 0.0]
    """
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.abs(values) < _TINY * max(1.0, scale), 0.0, values)


@dataclass
class _Layer:
    path: str
    weight: np.ndarray          # (out_features, in_features)
    bias: np.ndarray | None
    activation: str = "linear"


def _module_path(module: Any, paths: dict[int, str]) -> str:
    weight = getattr(module, "weight", None)
    name = paths.get(id(weight), "")
    return name.rsplit(".", 1)[0] if "." in name else str(getattr(module, "path", ""))


def _collect_layers(model: Any, paths: dict[int, str]) -> list[_Layer]:
    """Linear layers (anything with a 2-D ``weight``) and the activations after them, in
    order, through Sequentials and encoder/decoder pairs."""
    layers: list[_Layer] = []
    todo = [model]
    while todo:
        item = todo.pop()
        kind = type(item).__name__
        weight = getattr(item, "weight", None)
        if isinstance(weight, Tensor) and weight.ndim == 2:
            bias = getattr(item, "bias", None)
            layers.append(_Layer(_module_path(item, paths), np.asarray(weight.data),
                                 None if bias is None else np.asarray(bias.data)))
        elif kind in _ACTIVATIONS:
            if not layers:
                raise ValueError(f"draw_network: the model starts with the activation "
                                 f"{kind}; a layer diagram needs a Linear layer first")
            if layers[-1].activation != "linear":
                raise ValueError(f"draw_network: two activations in a row after layer "
                                 f"{layers[-1].path!r}; use draw_graph instead")
            layers[-1].activation = _ACTIVATIONS[kind]
        elif hasattr(item, "encoder") and hasattr(item, "decoder"):
            todo.extend([item.decoder, item.encoder])
        elif hasattr(item, "__iter__") and not isinstance(item, (str, Tensor)):
            todo.extend(reversed(list(item)))
        else:
            raise ValueError(
                f"draw_network: cannot draw a {kind} as layers of neurons (it is not a "
                f"Linear layer, an activation, a Sequential or an encoder/decoder pair); "
                f"use draw_graph(model_output) for its computational graph"
            )
    return layers


class _Canvas:
    """A network diagram with every node pinned: layers are columns, left to right.

    Positions are chosen here rather than by a layout program, so a picture of a network
    always looks like the textbook figure (inputs on the left, the first neuron on top,
    weights beside their edges) and the same model gives the same DOT text. Coordinates
    are points, y upwards; Graphviz's ``neato`` keeps them as given.
    """

    def __init__(self, name: str, title: str = "") -> None:
        self.graph = graphviz.Digraph(name=name, engine="neato")
        # Also in the DOT text, so a saved .dot file drawn with plain `dot` keeps the layout.
        self.graph.attr(layout="neato")
        self.graph.attr(splines="line", inputscale="72", outputorder="edgesfirst",
                        fontname=_FONT, pad="0.2")
        if title:
            self.graph.attr(label=title, labelloc="t", fontsize="13")
        self.graph.attr("node", fontname=_FONT, fontsize="12")
        self.graph.attr("edge", fontname=_FONT, arrowsize="0.7", color="#555555")
        self.where: dict[str, tuple[float, float]] = {}

    @staticmethod
    def _pos(x: float, y: float) -> str:
        return f"{x:g},{y:g}!"

    def neuron(self, node_id: str, label: str, x: float, y: float, fill: str) -> None:
        self.where[node_id] = (x, y)
        self.graph.node(node_id, label=f'<<FONT POINT-SIZE="14">{label}</FONT>>',
                        shape="circle", width="0.6", fixedsize="true", style="filled",
                        fillcolor=fill, pos=self._pos(x, y))

    def text(self, node_id: str, label: str, x: float, y: float, size: int = 11,
             color: str = "black") -> None:
        self.graph.node(node_id, label=label, shape="plaintext", fontsize=str(size),
                        fontcolor=color, margin="0", width="0", height="0",
                        pos=self._pos(x, y))

    def bias(self, node_id: str, label: str, x: float, y: float, target: str) -> None:
        """A bias as a small dashed box feeding ``target``: the '+ b' of its sum."""
        self.graph.node(node_id, label=label, shape="box", style="rounded,dashed",
                        fontsize="11", margin="0.06,0.02", width="0", height="0.3",
                        color="#888888", pos=self._pos(x, y))
        self.graph.edge(node_id, target, style="dashed", color="#888888")

    def connect(self, source: str, target: str, weight: str = "", at: float = 0.4) -> None:
        """An edge; its weight (if any) beside it, ``at`` of the way along, on its upper
        side, so that no label sits on a line."""
        self.graph.edge(source, target)
        if not weight:
            return
        (x0, y0), (x1, y1) = self.where[source], self.where[target]
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy)) or 1.0
        nx, ny = -dy / length, dx / length      # the left normal: up for edges going right
        x = x0 + at * dx + nx * _LABEL_OFFSET
        y = y0 + at * dy + ny * _LABEL_OFFSET
        # Rotate nothing; lift the text by half its height so its baseline clears the line.
        self.text(f"{source}__{target}", weight, x, y + 5, size=11)


def _draw_paper(model: Any, show_values: bool) -> graphviz.Digraph:
    """The seed paper's 2-1-2 figure: x1, x2 → h → x̂1, x̂2, weights on the edges."""
    raw = np.array([float(np.asarray(getattr(model, name).data).reshape(()))
                    for name in _PAPER_PARAMETERS])
    rounded = _round_tiny(raw, float(np.abs(raw).max()))
    value = {name: float(v) for name, v in zip(_PAPER_PARAMETERS, rounded)}

    def named(name: str) -> str:
        return f"{name} = {_fmt(value[name])}" if show_values else name

    gap = 270.0
    canvas = _Canvas("paper_network", "the seed paper's 2-1-2 linear autoencoder "
                                      "(every activation linear)")
    canvas.neuron("x1", "x<SUB>1</SUB>", 0, _ROW, _DATA_FILL)
    canvas.neuron("x2", "x<SUB>2</SUB>", 0, -_ROW, _DATA_FILL)
    canvas.neuron("h", "h", gap, 0, "white")
    canvas.neuron("xhat1", "x̂<SUB>1</SUB>", 2 * gap, _ROW, _ROOT_FILL)
    canvas.neuron("xhat2", "x̂<SUB>2</SUB>", 2 * gap, -_ROW, _ROOT_FILL)
    for source, target, weight in (("x1", "h", "w1"), ("x2", "h", "w2"),
                                   ("h", "xhat1", "w3"), ("h", "xhat2", "w4")):
        canvas.connect(source, target, named(weight))
    canvas.bias("b1", named("b1"), 0.55 * gap, -1.9 * _ROW, "h")
    canvas.bias("b2", named("b2"), 1.55 * gap, 2.1 * _ROW, "xhat1")
    canvas.bias("b3", named("b3"), 1.55 * gap, -2.1 * _ROW, "xhat2")
    caption_y = -2.9 * _ROW
    canvas.text("caption_input", "input x", 0, caption_y)
    canvas.text("caption_encoder", "encoder: h = w1·x1 + w2·x2 + b1\nactivation: linear",
                gap, caption_y)
    canvas.text("caption_decoder",
                "decoder: x̂ = (w3·h + b2, w4·h + b3)\nactivation: linear", 2 * gap,
                caption_y)
    return canvas.graph


def draw_network(model: Any, max_width: int = 12, show_values: bool = True
                 ) -> graphviz.Digraph:
    """The neuron-level picture of a small network: layers of circles, left to right.

    For the seed paper's ``PaperAutoencoder`` (anything with scalar ``w1``…``w4``,
    ``b1``…``b3``) it is the paper's figure: x1, x2 → h → x̂1, x̂2 with w1…w4 on the edges
    and b1, b2, b3 feeding the neurons they are added in, every activation linear.
    Otherwise the Linear layers are walked (through ``encoder``/``decoder`` and
    Sequentials): every input connects to every output, each column is captioned with its
    module, shape and activation, the code layer's neurons are z1, z2, … and the weights
    and biases are written only when a layer has at most four weights. A layer wider than
    ``max_width`` neurons raises ``ValueError``: use :func:`draw_graph` for big networks.
    Nodes are pinned (Graphviz's ``neato`` draws them), so the picture is the textbook
    figure every time.

    >>> from tinygrad_ae import Tensor
    >>> class Paper:            # any object with the paper's seven scalars
    ...     pass
    >>> model = Paper()
    >>> for name in ("w1", "w2", "w3", "w4", "b1", "b2", "b3"):
    ...     setattr(model, name, Tensor(0.5, requires_grad=True, name=name))
    >>> dot = draw_network(model)
    >>> 'label="w3 = 0.5"' in dot.source and 'label="b1 = 0.5"' in dot.source
    True
    """
    if all(isinstance(getattr(model, name, None), Tensor) and
           getattr(model, name).size == 1 for name in _PAPER_PARAMETERS):
        return _draw_paper(model, show_values)
    paths: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        paths = {id(t): n for n, t in model.named_parameters()}
    layers = _collect_layers(model, paths)
    for layer in layers:
        scale = float(np.abs(layer.weight).max(initial=0.0))
        layer.weight = _round_tiny(layer.weight, scale)
        if layer.bias is not None:
            layer.bias = _round_tiny(layer.bias, scale)
    if not layers:
        raise ValueError(f"draw_network: found no Linear layers in {type(model).__name__}; "
                         f"use draw_graph instead")
    widths = [layers[0].weight.shape[1]] + [layer.weight.shape[0] for layer in layers]
    for n, layer in enumerate(layers):
        if layer.weight.shape[1] != widths[n]:
            raise ValueError(f"draw_network: layer {layer.path!r} takes "
                             f"{layer.weight.shape[1]} inputs but the layer before gives "
                             f"{widths[n]}")
    for n, width in enumerate(widths):
        if width > max_width:
            where = "the input" if n == 0 else f"layer {layers[n - 1].path or n!r}"
            raise ValueError(
                f"draw_network: {where} has {width} neurons, more than max_width="
                f"{max_width}; a neuron-level picture would be unreadable, so use "
                f"draw_graph(loss) for the computational graph (or raise max_width)"
            )
    # The code layer: the output of the last encoder layer, else the narrowest one.
    encoder_layers = [n for n, layer in enumerate(layers) if layer.path.startswith("encoder")]
    code = (encoder_layers[-1] + 1 if encoder_layers
            else min(range(1, len(widths) - 1), key=lambda n: widths[n], default=-1))

    def neuron_label(n: int, j: int) -> str:
        if n == 0:
            return f"x<SUB>{j + 1}</SUB>"
        if n == len(widths) - 1:
            return f"x̂<SUB>{j + 1}</SUB>"
        if n == code:
            return f"z<SUB>{j + 1}</SUB>"
        return f"h<SUB>{j + 1}</SUB><SUP>({n})</SUP>"

    gap = 210.0
    canvas = _Canvas("network")
    for n, width in enumerate(widths):
        fill = _DATA_FILL if n == 0 else _ROOT_FILL if n == len(widths) - 1 else "white"
        for j in range(width):
            canvas.neuron(f"n{n}_{j}", neuron_label(n, j), n * gap,
                          ((width - 1) / 2 - j) * _ROW, fill)
    for n, layer in enumerate(layers, start=1):
        tiny = layer.weight.size <= _TINY_LAYER and show_values
        for j in range(widths[n - 1]):
            for i in range(widths[n]):
                canvas.connect(f"n{n - 1}_{j}", f"n{n}_{i}",
                               _fmt(layer.weight[i, j]) if tiny else "")
        if tiny and layer.bias is not None:
            for i in range(widths[n]):
                x, y = canvas.where[f"n{n}_{i}"]
                b = _fmt(layer.bias[i])
                canvas.text(f"n{n}_{i}_bias", f"− {b[1:]}" if b[0] == "-" else f"+ {b}",
                            x, y + 0.55 * _ROW, size=10, color=_MUTED)
    caption_y = -((max(widths) - 1) / 2 + 0.9) * _ROW
    for n in range(len(widths)):
        if n == 0:
            caption = f"input ({widths[0]})"
        else:
            layer = layers[n - 1]
            caption = (f"{layer.path or f'layer {n}'}: Linear({widths[n - 1]}→{widths[n]})"
                       f"\nactivation: {layer.activation}")
            if n == code:
                caption += "\n(the code z)"
        canvas.text(f"caption{n}", caption, n * gap, caption_y, size=11)
    return canvas.graph
