"""Pictures: draw_graph, chain_rule, draw_network and render, read from their DOT source.

Every property is checked against something computed independently: the highlighted set
against brute-force path enumeration over ``Tensor.parents``, chain-rule values against the
engine's gradient and the paper's closed forms, the gradient check against a deliberately
wrong op. Only the rendering tests need Graphviz's ``dot`` (skipped cleanly without it).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ae as tg
from tinygrad_ae import Tensor, closed_form, models, nn, viz
from tinygrad_ae.autograd import ops
from tinygrad_ae.autograd.engine import topological_order

# chain_rule sums the same products as the engine in another order: equal to rounding,
# relative to the size of the terms summed (a sum that cancels to ~0 keeps their scale).
CHAIN_RTOL = 1e-10
CHAIN_ATOL_PER_TERM = 1e-12
# The paper's closed forms against the engine: exact up to float64 rounding of N sums.
CLOSED_FORM_RTOL = 1e-9

HIGHLIGHT = re.compile(r'(?<![a-z])color="#d62728"')
NODE_LINE = re.compile(r"^\s*((?:t|op)\d+) \[(.*)\]$")
EDGE_LINE = re.compile(r"^\s*((?:t|op)\d+) -> ((?:t|op)\d+)(?: \[(.*)\])?$")
HAS_DOT = shutil.which("dot") is not None


# --- helpers ------------------------------------------------------------------------------

def node_attrs(source: str) -> dict[str, str]:
    """node id → its attribute text, for the t<i>/op<i> nodes of a draw_graph DOT."""
    found = {}
    for line in source.splitlines():
        match = NODE_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def edge_attrs(source: str) -> list[tuple[str, str, str]]:
    found = []
    for line in source.splitlines():
        match = EDGE_LINE.match(line)
        if match:
            found.append((match.group(1), match.group(2), match.group(3) or ""))
    return found


def nodes_on_paths(root: Tensor, wrt: Tensor) -> set[int]:
    """ids of the tensors on some path root → … → wrt, by enumerating every path down the
    parents lists (exponential, fine for the small graphs drawn here)."""
    on_path: set[int] = set()
    stack: list[tuple[Tensor, tuple[Tensor, ...]]] = [(root, (root,))]
    while stack:
        node, path = stack.pop()
        if node is wrt:
            on_path.update(id(t) for t in path)
            continue
        for parent in node.parents:
            stack.append((parent, (*path, parent)))
    return on_path


def paper_data(n_samples: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_samples, 2))


def paper_loss(seed: int = 0, n_samples: int = 3) -> tuple[models.PaperAutoencoder, Tensor]:
    model = models.PaperAutoencoder(seed=seed)
    return model, model.loss(paper_data(n_samples, seed))


def linear_ae_loss(seed: int = 0) -> tuple[models.LinearAutoencoder, Tensor]:
    model = models.LinearAutoencoder(4, 2, rng=seed)
    x = Tensor(np.random.default_rng(seed).normal(size=(5, 4)), name="x")
    loss = nn.mse_loss(model(x), x)
    loss.name = "L"
    return model, loss


# --- random expression graphs -------------------------------------------------------------

UNARY = ("tanh", "sigmoid", "exp")
BINARY = ("add", "sub", "mul", "div")


@st.composite
def expression_graphs(draw: Any, max_ops: int = 8) -> tuple[list[Tensor], Tensor]:
    """A few leaves (all scalars, or scalars and length-3 vectors) combined by random ops.
    Operands are drawn from every node made so far, so nodes are reused (diamonds) and
    vectors broadcast against scalars; the root adds up every node nothing else used, so
    every leaf and op reaches it. Some intermediates get names. Returns (nodes, root)."""
    mixed = draw(st.booleans())     # else every node is a scalar
    nodes: list[Tensor] = []
    for i in range(draw(st.integers(2, 3))):
        shape = (3,) if mixed and (i == 1 or (i == 2 and draw(st.booleans()))) else ()
        value = draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
        nodes.append(Tensor(value, requires_grad=True, name=f"a{i}"))
    used: set[int] = set()
    for j in range(draw(st.integers(2, max_ops))):
        name = draw(st.sampled_from(BINARY + UNARY + ("scale",)))
        a = draw(st.sampled_from(nodes))
        if name == "exp" and np.abs(a.data).max() > 3:
            name = "tanh"                       # keep values of order one
        if name in UNARY:
            out = getattr(a, name)()
        elif name == "scale":
            out = a * draw(st.sampled_from([2.0, -0.5, 3.0]))
        else:
            b = draw(st.sampled_from(nodes))
            used.add(id(b))
            if name == "div":
                out = a / (b * b + 1.0)         # a divisor bounded away from zero
            else:
                out = {"add": a + b, "sub": a - b, "mul": a * b}[name]
        used.add(id(a))
        if draw(st.booleans()):
            out.name = f"n{j}"
        nodes.append(out)
    unused = [t for t in nodes if id(t) not in used]
    root = unused[0].sum()
    for t in unused[1:]:
        root = root + t.sum()
    root.name = "y"
    assume(np.isfinite(root.data).all() and np.abs(root.data).max() < 1e6)
    return nodes, root


# --- draw_graph ---------------------------------------------------------------------------

@given(graph=expression_graphs(), data=st.data())
def test_highlight_marks_exactly_the_nodes_on_paths_to_the_root(graph, data):
    _, root = graph
    order = topological_order(root)
    wrt = data.draw(st.sampled_from(order), label="wrt")
    on_path = nodes_on_paths(root, wrt)
    position = {id(t): i for i, t in enumerate(order)}
    source = viz.draw_graph(root, highlight=wrt).source

    marked_nodes = {n for n, attrs in node_attrs(source).items() if HIGHLIGHT.search(attrs)}
    expected_nodes = {f"t{position[i]}" for i in on_path}
    expected_nodes |= {f"op{position[id(t)]}" for t in order
                       if id(t) in on_path and t is not wrt}
    assert marked_nodes == expected_nodes

    marked_edges = {(a, b) for a, b, attrs in edge_attrs(source) if HIGHLIGHT.search(attrs)}
    expected_edges = set()
    for t in order:
        if id(t) not in on_path or t is wrt:
            continue
        i = position[id(t)]
        expected_edges.add((f"op{i}", f"t{i}"))
        expected_edges |= {(f"t{position[id(p)]}", f"op{i}") for p in t.parents
                           if id(p) in on_path}
    assert marked_edges == expected_edges


@given(graph=expression_graphs())
def test_one_op_node_per_recorded_op(graph):
    _, root = graph
    recorded = sum(1 for t in topological_order(root) if t.op_name is not None)
    source = viz.draw_graph(root).source
    assert sum(1 for node in node_attrs(source) if node.startswith("op")) == recorded


def test_nodes_are_named_by_position_and_values_summarised():
    model, loss = linear_ae_loss()
    source = viz.draw_graph(loss, names=model).source
    order = topological_order(loss)
    constants = {i for i, t in enumerate(order)         # numbers written on their op
                 if t.op_name is None and not t.requires_grad and t.name is None
                 and t.size == 1}
    assert constants
    assert set(node_attrs(source)) == (
        {f"t{i}" for i in range(len(order)) if i not in constants}
        | {f"op{i}" for i, t in enumerate(order) if t.op_name})
    assert "id(" not in source and str(id(loss)) not in source
    assert "encoder.weight" in source and "decoder.bias" in source
    x_node = node_attrs(source)[f"t{[t.name for t in order].index('x')}"]
    assert "mean" in x_node and "range" in x_node        # (5, 4): a summary, not 20 numbers
    assert x_node.count(",") < 8


def test_edge_labels_are_the_registered_partials_with_numbers_for_scalars():
    w = Tensor(3.0, requires_grad=True, name="w")
    x = Tensor(2.0, name="x")
    y = (w * x).tanh()
    y.name = "y"
    source = viz.draw_graph(y).source
    assert "∂t2/∂w = x<BR/>= 2>" in source                  # mul: ∂(w·x)/∂w = x = 2
    assert f"∂y/∂t2 = 1 − y²<BR/>= {1 - np.tanh(6.0) ** 2:.4g}>" in source
    assert "label=" not in viz.draw_graph(y, edge_labels=False).source.split("->", 1)[1]
    square = w * w                               # one label for both edges, one per input
    assert "∂t1/∂w = w (as a), w (as b)<BR/>= 3, 3>" in viz.draw_graph(square).source


def test_stable_dot_for_the_same_model():
    sources = set()
    for _ in range(2):
        model, loss = paper_loss(seed=3)
        sources.add(viz.draw_graph(loss, highlight="w1", check=True).source)
        sources.add(viz.draw_graph(loss, highlight="w1", check=True).source)
    assert len(sources) == 1
    networks = {viz.draw_network(models.PaperAutoencoder(seed=3)).source for _ in range(2)}
    assert len(networks) == 1


def test_clusters_group_modules_and_nest_dotted_scopes():
    model, loss = linear_ae_loss()
    source = viz.draw_graph(loss, names=model).source
    assert "subgraph cluster_encoder {" in source and "subgraph cluster_decoder {" in source
    assert "label=encoder" in source and "label=decoder" in source
    assert "subgraph cluster" not in viz.draw_graph(loss, clusters=False).source

    deep = models.mlp_autoencoder([3, 2], activation="tanh", rng=0)
    x = Tensor(np.ones((2, 3)))
    deep_source = viz.draw_graph(nn.mse_loss(deep(x), x), names=deep).source
    outer = deep_source.index("subgraph cluster_decoder {")
    inner = deep_source.index('subgraph "cluster_decoder.0" {')
    assert outer < inner < deep_source.index("}", inner) < deep_source.rindex("}")


def test_highlight_and_wrt_errors_name_the_problem():
    _, loss = paper_loss()
    with pytest.raises(ValueError, match="no tensor named 'w9'.*w1"):
        viz.draw_graph(loss, highlight="w9")
    with pytest.raises(ValueError, match="not in the graph"):
        viz.chain_rule(loss, Tensor(1.0, requires_grad=True))
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.draw_graph(loss, rankdir="XY")
    with pytest.raises(TypeError, match="names must be a model"):
        viz.draw_graph(loss, names=[1, 2])


# --- the gradient-check view --------------------------------------------------------------

@pytest.fixture
def broken_square() -> Iterator[ops.Op]:
    """A test-only op whose vjp is wrong on purpose (g·x instead of g·2x); removed from
    the registry afterwards so no other test sees it."""
    @ops.op("broken_square_for_test", partial="2·{x}")
    def broken(x):
        return x * x

    @broken.vjp
    def _(g, out, x):
        return (g * x,)

    try:
        yield broken
    finally:
        ops.REGISTRY.pop("broken_square_for_test", None)


def parameter_fills(source: str, order: list[Tensor]) -> dict[str, str]:
    fills = {}
    for node, attrs in node_attrs(source).items():
        t = order[int(node[1:])] if node.startswith("t") else None
        if t is not None and t.op_name is None and t.requires_grad:
            fills[t.name or node] = re.search(r'fillcolor="([^"]+)"', attrs).group(1)
    return fills


def test_check_marks_a_correct_graph_green():
    model, loss = linear_ae_loss()
    source = viz.draw_graph(loss, check=True, names=model).source
    fills = parameter_fills(source, topological_order(loss))
    assert len(fills) == 4 and set(fills.values()) == {viz._format._PASS_FILL}
    assert source.count("✓ rel. err") == 4


def test_check_marks_a_wrong_vjp_red(broken_square):
    a = Tensor(1.5, requires_grad=True, name="a")
    b = Tensor([0.5, -1.0], requires_grad=True, name="b")
    y = (broken_square(a) * 2.0 + (b * b).sum()).sum()
    source = viz.draw_graph(y, check=True).source
    fills = parameter_fills(source, topological_order(y))
    assert fills == {"a": viz._format._FAIL_FILL, "b": viz._format._PASS_FILL}
    assert "✗ rel. err 5.0e-01" in source          # engine 2·1.5 = 3 vs true 6


def test_check_needs_a_scalar_root():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="not a single number.*loss.sum"):
        viz.draw_graph(x * 2, check=True)


# --- chain_rule ---------------------------------------------------------------------------

@given(graph=expression_graphs())
def test_chain_rule_value_equals_the_engine_gradient(graph):
    nodes, root = graph
    in_graph = {id(t) for t in topological_order(root)}
    leaves = [t for t in nodes if t.op_name is None and id(t) in in_graph]
    engine = tg.grad(root, leaves)
    for leaf, expected in zip(leaves, engine):
        rule = viz.chain_rule(root, leaf, max_paths=4096)
        scale = sum(float(np.abs(v).sum()) for v in rule.path_values) + 1.0
        np.testing.assert_allclose(rule.value, expected.data, rtol=CHAIN_RTOL,
                                   atol=CHAIN_ATOL_PER_TERM * scale)
        assert np.shape(rule.value) == leaf.shape
        assert len(rule.paths) == len(rule.path_values) == len(rule.terms)


def test_chain_rule_sums_a_broadcast_scalar_back_to_its_shape():
    a = Tensor(0.7, requires_grad=True, name="a")
    b = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="b")
    c = a * b
    y = (c.tanh() + c * a).sum()                  # a reaches y along three paths
    rule = viz.chain_rule(y, a)
    assert len(rule.paths) == 3 and all(np.shape(v) == () for v in rule.path_values)
    assert isinstance(rule.value, float)
    assert rule.value == pytest.approx(tg.grad(y, a)[0].item(), rel=CHAIN_RTOL)


def test_chain_rule_of_the_paper_network():
    model, loss = paper_loss(n_samples=3)
    rule = viz.chain_rule(loss, "w1")
    text = str(rule)
    assert len(rule.paths) == 2
    assert text.startswith("∂L/∂w1 = ∂L/∂r1 · ∂r1/∂x̂1 · ∂x̂1/∂h · ∂h/∂w1 "
                           "+ ∂L/∂r2 · ∂r2/∂x̂2 · ∂x̂2/∂h · ∂h/∂w1")
    first, second = rule.terms
    assert first.derivatives == ("∂L/∂r1", "∂r1/∂x̂1", "∂x̂1/∂h", "∂h/∂w1")
    assert first.factors[-2:] == ("w3", "x1") and second.factors[-2:] == ("w4", "x1")
    assert "· w3 · x1" in text and "· w4 · x1" in text
    truth = closed_form.paper_partials(model.as_params(), paper_data(3))["w1"]
    engine = tg.grad(loss, model.w1)[0].item()
    assert rule.value == pytest.approx(truth, rel=CLOSED_FORM_RTOL)
    assert rule.value == pytest.approx(engine, rel=CHAIN_RTOL)
    assert sum(rule.path_values) == pytest.approx(rule.value, rel=CHAIN_RTOL)
    for path in rule.paths:                       # each path runs from w1 up to L
        assert path[0].source is model.w1 and path[-1].target is loss
        assert all(e.target is f.source for e, f in zip(path, path[1:]))
    assert r"\frac{\partial L}{\partial w_{1}}" in rule.latex
    assert r"w_{3}" in rule.latex and r"w_{4}" in rule.latex


def test_chain_rule_names_factors_and_drops_ones():
    w = Tensor(0.5, requires_grad=True, name="w")
    h = w * 2.0
    h.name = "h"
    L = h * 3.0 + h * 4.0
    L.name = "L"
    rule = viz.chain_rule(L, w)
    assert str(rule).splitlines()[1].strip() == "= 3 · 2 + 4 · 2"
    assert rule.value == 14.0 and rule.path_values == [6.0, 8.0]


def test_chain_rule_limits_and_errors():
    x = Tensor(1.1, requires_grad=True, name="x")
    y = x
    for _ in range(7):                            # 2⁷ = 128 paths through x·x
        y = y * y
    with pytest.raises(ValueError, match="128 paths, more than max_paths=64.*draw_graph"):
        viz.chain_rule(y, "x")
    assert len(viz.chain_rule(y, "x", max_paths=128).paths) == 128
    with pytest.raises(ValueError, match="not a single number"):
        viz.chain_rule(Tensor([1.0, 2.0], requires_grad=True) * 2, "x")
    unrelated = Tensor(1.0, requires_grad=True, name="u")
    assert viz.chain_rule(x * 2, x).value == 2.0
    with pytest.raises(ValueError, match="not in the graph"):
        viz.chain_rule(x * 2, unrelated)


def test_chain_rule_with_vector_intermediates_sums_broadcast_axes():
    model, loss = linear_ae_loss()
    for name, parameter in model.named_parameters():
        rule = viz.chain_rule(loss, name, names=model)
        np.testing.assert_allclose(rule.value, tg.grad(loss, parameter)[0].data,
                                   rtol=CHAIN_RTOL, atol=1e-13)
        assert "broadcast axes are summed" in str(rule)


@pytest.mark.parametrize("reduce", [
    lambda d: (d ** 2).sum(axis=1).mean(),          # the README's loss
    lambda d: (d ** 2).sum(axis=0).mean(),
    lambda d: (d ** 2).mean(axis=1).sum(),
    lambda d: d.abs().max(axis=1).mean(),
], ids=["sum1-mean", "sum0-mean", "mean1-sum", "max1-mean"])
def test_chain_rule_through_a_reduction_fed_one_number(reduce):
    # mean's gradient reaches sum(axis=1) as one number for the whole vector; the sum's
    # vjp reshapes it, so chain_rule must hand it the full shape (it used to crash).
    model = models.LinearAutoencoder(4, 2, rng=0)
    x = Tensor(np.random.default_rng(1).normal(size=(5, 4)), name="x")
    x_hat = model(x)
    loss = reduce(x - x_hat)
    loss.name = "L"
    for name, parameter in model.named_parameters():
        rule = viz.chain_rule(loss, name, names=model)
        np.testing.assert_allclose(rule.value, tg.grad(loss, parameter)[0].data,
                                   rtol=CHAIN_RTOL, atol=1e-13)


# --- draw_network -------------------------------------------------------------------------

def test_paper_network_diagram_and_graph_name_every_parameter():
    model, loss = paper_loss()
    network = viz.draw_network(model).source
    for name in ("w1", "w2", "w3", "w4", "b1", "b2", "b3"):
        assert f'label="{name} = ' in network
    for neuron in ("x<SUB>1</SUB>", "x<SUB>2</SUB>", ">h<", "x̂<SUB>1</SUB>", "x̂<SUB>2</SUB>"):
        assert neuron in network
    assert "activation: linear" in network

    source = viz.draw_graph(loss).source
    order = topological_order(loss)
    h = f"t{[t.name for t in order].index('h')}"
    from_h = [attrs for a, _, attrs in edge_attrs(source) if a == h]
    assert any("/∂h = w3" in attrs for attrs in from_h)
    assert any("/∂h = w4" in attrs for attrs in from_h)
    for name in ("w1", "w2", "w3", "w4", "b1", "b2", "b3", "x̂1", "x̂2", "L"):
        assert f"<B>{name}</B>" in source or f">{name}</TD>" in source


@pytest.mark.parametrize("make, layers", [
    (lambda: models.LinearAutoencoder(4, 2, rng=0), 2),
    (lambda: models.mlp_autoencoder([6, 4, 2], activation="tanh", rng=0), 4),
    (lambda: models.mlp_autoencoder([2, 1], activation="relu", rng=0), 2),
], ids=["linear-4-2", "mlp-6-4-2", "mlp-2-1"])
def test_network_diagram_walks_the_linear_layers(make, layers):
    source = viz.draw_network(make()).source
    assert source.count("activation:") == layers
    assert "z<SUB>1</SUB>" in source and "(the code z)" in source


def test_network_diagram_writes_weights_only_for_tiny_layers():
    tiny = viz.draw_network(models.mlp_autoencoder([2, 1], rng=0)).source
    wide = viz.draw_network(models.LinearAutoencoder(4, 2, rng=0)).source
    assert "n0_0__n1_0" in tiny and "__" not in wide


def test_network_diagram_refuses_wide_layers():
    with pytest.raises(ValueError, match=r"20 neurons, more than max_width=12.*draw_graph"):
        viz.draw_network(models.mlp_autoencoder([20, 4], rng=0))
    assert "n0_19" in viz.draw_network(models.mlp_autoencoder([20, 4], rng=0),
                                       max_width=20).source
    with pytest.raises(ValueError, match="cannot draw a int"):
        viz.draw_network(3)


def test_network_diagram_writes_rounding_noise_as_zero():
    model = models.PaperAutoencoder(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=-5.621e-17,
                                    b3=1e-3)
    source = viz.draw_network(model).source
    assert 'label="b2 = 0"' in source and "e-17" not in source
    assert 'label="b3 = 0.001"' in source              # small, but not noise
    tiny = models.mlp_autoencoder([2, 1], rng=0)
    tiny.decoder[0].bias.data[...] = 3e-18
    assert "e-18" not in viz.draw_network(tiny).source


# --- render -------------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("draw", [
    lambda: viz.draw_graph(paper_loss()[1], highlight="w1"),
    lambda: viz.draw_network(models.PaperAutoencoder(seed=0)),
], ids=["graph", "network"])
def test_render_writes_svg_that_parses(tmp_path, draw):
    written = viz.render(draw(), tmp_path / "sub" / "picture")
    assert written == tmp_path / "sub" / "picture.svg"
    root = ET.parse(written).getroot()
    assert root.tag.endswith("svg")
    assert sorted(p.name for p in written.parent.iterdir()) == ["picture.svg"]   # no temp


def test_render_without_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = viz.draw_graph(paper_loss()[1])
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz") as caught:
        viz.render(graph, tmp_path / "paper.png", format="png")
    assert isinstance(caught.value, RuntimeError)
    assert "brew install graphviz" in str(caught.value)
    assert (tmp_path / "paper.dot").read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "paper.png").exists()
    written = viz.render(graph, tmp_path / "again", format="dot")   # needs no dot
    assert written == tmp_path / "again.dot"


def test_render_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="svg, png, pdf, dot.*'gif'"):
        viz.render(viz.draw_graph(Tensor(1.0, requires_grad=True) * 2), tmp_path / "x", "gif")
    assert list(Path(tmp_path).iterdir()) == []


# --- Jupyter ------------------------------------------------------------------------------

def test_drawings_and_derivations_display_themselves_in_jupyter():
    model, loss = paper_loss()
    rule = viz.chain_rule(loss, "w1")
    assert rule._repr_latex_() == f"$${rule.latex}$$"
    walk = viz.backward_steps(loss, svg=False)
    assert walk._repr_html_().startswith("<iframe srcdoc=")
    if HAS_DOT:
        bundle = viz.draw_graph(loss)._repr_mimebundle_()
        assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


def test_progress_bars_pick_the_notebook_widget_in_jupyter():
    import importlib

    import tqdm.auto

    for name in ("tinygrad_ae.models.fit", "tinygrad_ae.studies.convergence.sweep"):
        assert importlib.import_module(name).tqdm is tqdm.auto.tqdm, name
