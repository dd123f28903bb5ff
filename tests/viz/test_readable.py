"""Readable by default: every picture the project draws by default, rendered at its natural
size and measured (aspect ratio at most 3:1, text no smaller than 8 pt, no shrinking), and
the choices behind it (direction from the graph's shape, modules collapsed, constants on
their ops)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae import Tensor, cli, models, nn, viz
from tinygrad_ae.autograd.engine import topological_order

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
MAX_ASPECT = 3.0
SMALLEST_FONT_PT = 8.0          # Graphviz text at natural size: 8 pt is ~11 px on screen
REPO = Path(__file__).resolve().parents[2]


def svg_measure(text: str) -> tuple[float, float, float, float]:
    """(width, height) in points, the drawing's scale, and its smallest font size."""
    width, height = (float(v) for v in re.search(
        r'<svg[^>]*width="([\d.]+)pt"[^>]*height="([\d.]+)pt"', text).groups())
    scale = re.search(r'class="graph" transform="scale\(([\d.]+)', text)
    fonts = [float(v) for v in re.findall(r'font-size="([\d.]+)"', text)]
    return width, height, float(scale.group(1)) if scale else 1.0, min(fonts)


def png_measure(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def assert_readable(text: str, what: str) -> None:
    width, height, scale, font = svg_measure(text)
    assert max(width, height) / min(width, height) <= MAX_ASPECT, (what, width, height)
    assert scale == 1.0, (what, scale)
    assert font >= SMALLEST_FONT_PT, (what, font)


def gallery_pictures() -> dict:
    spec = importlib.util.spec_from_file_location("gallery", REPO / "examples" / "gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gallery"] = module
    spec.loader.exec_module(module)
    return module.pictures()


@needs_dot
@pytest.mark.parametrize("model", ["paper", "linear", "mlp"])
@pytest.mark.parametrize("kind", ["graph", "network"])
def test_every_cli_picture_is_readable(tmp_path, model, kind, capsys):
    out = tmp_path / f"{kind}_{model}"
    assert cli.main(["graph", "--model", model, "--kind", kind, "--out", str(out)]) == 0
    assert_readable(out.with_suffix(".svg").read_text(encoding="utf-8"), f"{kind} {model}")


@needs_dot
@pytest.mark.parametrize("name", ["paper_graph", "paper_network", "linear_ae_graph",
                                  "mlp_graph", "mlp_network"])
def test_every_gallery_picture_is_readable(name):
    draw, _ = gallery_pictures()[name]
    assert_readable(draw().pipe(format="svg", encoding="utf-8"), name)


@needs_dot
def test_every_demo_picture_is_readable(tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--quick", "--no-progress", "--out", str(out)]) == 0
    for name in ("graph_dL_dw1.svg", "network.svg"):
        assert_readable((out / name).read_text(encoding="utf-8"), name)
    for frame in sorted((out / "backward_steps_frames").glob("*.svg"))[::10]:
        assert_readable(frame.read_text(encoding="utf-8"), frame.name)
    width, height = png_measure(out / "convergence.png")
    assert max(width, height) / min(width, height) <= MAX_ASPECT


@needs_dot
def test_the_notebook_and_live_page_graphs_are_readable():
    from tinygrad_ae import data, teaching

    X = data.correlated_2d(40, seed=0)
    model = models.PaperAutoencoder(seed=3)
    assert_readable(viz.draw_graph(model.loss(X[:4]), highlight="w1").pipe(
        format="svg", encoding="utf-8"), "notebook graph")
    live = teaching.LiveSnapshots(every=1, sample=X[:4], highlight="w1", render_svg=True)
    live.capture(model, data=X)
    snapshot = live.snapshots[0]
    assert snapshot.graph is not None and snapshot.graph.svg is not None
    assert_readable(snapshot.graph.svg, "live page graph")


# --- the choices behind it ----------------------------------------------------------------

def chain(n_ops: int) -> Tensor:
    x = Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(n_ops):
        y = y.tanh()
    return y


def balanced_sum(n_terms: int) -> Tensor:
    """Σ_k (k+1)·w_k added pairwise: a wide, shallow tree."""
    terms = [Tensor(float(k), requires_grad=True, name=f"w{k}") * float(k + 1)
             for k in range(n_terms)]
    while len(terms) > 1:
        terms = [a + b for a, b in zip(terms[::2], terms[1::2])]
    return terms[0]


def test_the_direction_follows_the_graphs_shape():
    assert "rankdir=TB" in viz.draw_graph(chain(2)).source        # deep, narrow: downwards
    folded = viz.draw_graph(chain(30)).source                     # too long: in columns
    assert "rankdir=TB" in folded and folded.count("rank=same") >= 3
    assert "rank=same" not in viz.draw_graph(chain(30), rankdir="TB").source
    assert "rankdir=LR" in viz.draw_graph(balanced_sum(16)).source  # wide, shallow: sideways
    assert "rankdir=BT" in viz.draw_graph(chain(3), rankdir="BT").source
    with pytest.raises(ValueError, match="rankdir must be one of .* or None"):
        viz.draw_graph(chain(3), rankdir="up")


@needs_dot
@pytest.mark.parametrize("make", [lambda: chain(30), lambda: balanced_sum(16),
                                  lambda: balanced_sum(4)], ids=["chain30", "tree16", "tree4"])
def test_the_chosen_direction_draws_within_the_aspect_limit(make):
    assert_readable(viz.draw_graph(make()).pipe(format="svg", encoding="utf-8"), "shape")


def test_constants_are_written_on_their_op_not_drawn_as_variables():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="x")
    loss = ((2 - x) ** 2).mean()
    loss.name = "L"
    source = viz.draw_graph(loss).source
    assert "∂L/∂3" not in source and "/∂2 " not in source and "/∂2=" not in source
    assert "÷ 3" in source and "2 −" in source
    order = topological_order(loss)
    constants = [i for i, t in enumerate(order) if t.op_name is None and t is not x]
    assert constants
    for i in constants:
        assert not re.search(rf"^\s*t{i} ", source, re.MULTILINE)


def test_collapse_draws_each_module_as_one_node():
    model = models.mlp_autoencoder([6, 4, 2], activation="tanh", rng=0)
    x = Tensor(np.ones((3, 6)), name="x")
    loss = nn.mse_loss(model(x), x)
    loss.name = "L"
    opened = viz.draw_graph(loss, names=model, collapse=False).source
    closed = viz.draw_graph(loss, names=model, collapse=True).source
    assert "module_encoder" not in opened and "module_encoder [" in closed
    assert "module_decoder [" in closed and "cluster_encoder" not in closed
    assert "decoder.2.weight" in closed                         # parameters listed inside
    assert "collapse=False" in closed                           # says how to open them
    assert len(closed) < len(opened) / 2
    only = viz.draw_graph(loss, names=model, collapse=["decoder"]).source
    assert "module_decoder [" in only and "module_encoder" not in only
    assert "encoder.0.weight" in only
    assert "module_encoder" in viz.draw_graph(loss, names=model, collapse=["encoder"],
                                              highlight="encoder.0.weight").source
    with pytest.raises(ValueError, match="no module scope 'coder'.*decoder, decoder.0"):
        viz.draw_graph(loss, names=model, collapse=["coder"])
    with pytest.raises(TypeError, match=r"write \['encoder'\]"):
        viz.draw_graph(loss, names=model, collapse="encoder")  # type: ignore[arg-type]


@needs_dot
def test_a_deep_model_is_collapsed_by_default_to_stay_readable():
    model = models.mlp_autoencoder([8, 7, 6, 5, 4, 3], activation="tanh", rng=0)
    x = Tensor(np.ones((3, 8)), name="x")
    loss = nn.mse_loss(model(x), x)
    loss.name = "L"
    graph = viz.draw_graph(loss, names=model)
    assert "module_encoder" in graph.source
    assert_readable(graph.pipe(format="svg", encoding="utf-8"), "deep mlp")
