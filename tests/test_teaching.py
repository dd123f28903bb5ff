"""The live training page: LiveSnapshots records what it promises, write_html writes one
self-contained page, and a real headless Chromium moves its slider.

Independent checks: the page is parsed with the standard library's HTML parser (not by
searching our own templates), the browser runs the page's JavaScript, and the gradient
check of the paper's network is compared with a deliberately broken op.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_ae import Tensor, data, models, pca, teaching, viz
from tinygrad_ae.autograd import ops

EPOCHS = 12
EVERY = 4
BROWSER_TIMEOUT = 60            # seconds for one headless Chromium run
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_SCREENSHOT_BYTES = 20_000   # a blank 1200×900 page compresses to a few kB


def train(every: int = EVERY, epochs: int = EPOCHS, **options: Any
          ) -> tuple[teaching.LiveSnapshots, Any, np.ndarray]:
    X = data.correlated_2d(80, seed=0)
    model = models.PaperAutoencoder(seed=1)
    live = teaching.LiveSnapshots(every=every, sample=X[:3], **options)
    history = models.fit(model, X, epochs=epochs, lr=0.05, callbacks=[live], progress=False)
    return live, history, X


@pytest.fixture(scope="module")
def run() -> tuple[teaching.LiveSnapshots, Any, np.ndarray]:
    return train(highlight="w1")


@pytest.fixture(scope="module")
def page(run: tuple[teaching.LiveSnapshots, Any, np.ndarray],
         tmp_path_factory: pytest.TempPathFactory) -> Path:
    live, _, X = run
    folder = tmp_path_factory.mktemp("page")
    return teaching.write_html(live, folder / "training.html", title="The 2-1-2 network",
                               bound=pca.min_reconstruction_loss(X, 1))


# --- the callback -------------------------------------------------------------------------

def test_the_callback_records_one_snapshot_every_k_epochs(run):
    live, history, _ = run
    assert [s.epoch for s in live.snapshots] == list(range(EVERY, EPOCHS + 1, EVERY))
    assert live.losses == pytest.approx(history["loss"])
    for snapshot in live.snapshots:
        assert snapshot.loss == pytest.approx(history["loss"][snapshot.epoch - 1])
        for picture in (snapshot.graph, snapshot.network):
            assert picture is not None and picture.source.startswith("digraph")
            if teaching.graphviz_available():
                assert picture.svg is not None and "<svg" in picture.svg
        assert "w1" in snapshot.graph.source and "∂" in snapshot.graph.source
        assert snapshot.network.engine == "neato"          # the pinned textbook layout


def test_snapshots_follow_the_training(run):
    live, _, _ = run
    first, last = live.snapshots[0], live.snapshots[-1]
    assert first.network.source != last.network.source     # the weights moved
    assert last.sample_loss != first.sample_loss


def test_drawing_does_not_disturb_training():
    """Same seed, with and without the callback: the same parameters, to the last bit."""
    X = data.correlated_2d(50, seed=2)
    trained = []
    for callbacks in ((), (teaching.LiveSnapshots(every=1, sample=X[:2], render_svg=False),)):
        model = models.PaperAutoencoder(seed=4)
        models.fit(model, X, epochs=5, lr=0.05, callbacks=callbacks, progress=False)
        trained.append(model.as_params())
    assert trained[0] == trained[1]


def test_options_reach_the_drawings():
    live, _, _ = train(every=6, draw_network=False, render_svg=False,
                       graph_options={"rankdir": "TB", "edge_labels": False})
    assert len(live.snapshots) == 2
    assert all(s.network is None and s.graph.svg is None for s in live.snapshots)
    source = live.snapshots[0].graph.source
    assert "rankdir=TB" in source and "∂" not in source


def test_an_mlp_graph_names_its_layers():
    X = data.manifold_data(40, n_features=4, intrinsic_dim=1, seed=0)
    model = models.mlp_autoencoder([4, 3, 1], rng=0)
    live = teaching.LiveSnapshots(every=2, sample=X[:2], render_svg=False)
    models.fit(model, X, epochs=2, lr=0.01, callbacks=[live], progress=False)
    assert "encoder.0.weight" in live.snapshots[0].graph.source
    assert live.snapshots[0].network is not None


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(every=0, sample=np.ones((2, 2))), ValueError, "every must be a positive"),
    (dict(every=1, sample=np.ones(3)), ValueError, r"sample must be .*X\[:4\]"),
    (dict(every=1, sample=[[1.0, np.nan]]), ValueError, "finite"),
], ids=["every=0", "1-D sample", "NaN sample"])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        teaching.LiveSnapshots(**kwargs)


def test_a_network_too_wide_to_draw_says_what_to_do():
    X = np.random.default_rng(0).normal(size=(10, 20))
    live = teaching.LiveSnapshots(every=1, sample=X[:2], render_svg=False)
    with pytest.raises(ValueError, match="draw_network=False"):
        live.capture(models.LinearAutoencoder(20, 2, rng=0))


def test_a_loss_that_is_not_one_number_is_refused():
    live = teaching.LiveSnapshots(every=1, sample=np.ones((2, 2)), render_svg=False)
    with pytest.raises(ValueError, match="loss_fn must return a one-number Tensor"):
        live.loss_fn = lambda model, x: model(x)
        live.capture(models.PaperAutoencoder(seed=0))


def test_svg_without_graphviz_is_refused_up_front(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
        teaching.LiveSnapshots(every=1, sample=np.ones((2, 2)), render_svg=True)


def test_write_html_needs_snapshots(tmp_path):
    with pytest.raises(ValueError, match="no snapshots"):
        teaching.write_html([], tmp_path / "empty.html")
    with pytest.raises(TypeError, match=r"snapshots\[0\] is a dict"):
        teaching.write_html([{"epoch": 1}], tmp_path / "bad.html")


# --- the page ------------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}   # HTML elements with no end tag


class _Page(HTMLParser):
    """Every tag with its attributes, the text of the elements we look for by id, and the
    bodies of the <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: list[tuple[str, str | None]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))
        elif tag not in _VOID:
            self._open.append((tag, attributes.get("id")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))       # <path/>: nothing inside, nothing to close

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None
        elif any(name == tag for name, _ in self._open):
            while self._open.pop()[0] != tag:
                pass

    def handle_data(self, text: str) -> None:
        if self._script is not None:
            attributes, body = self.scripts[-1]
            self.scripts[-1] = (attributes, body + text)
            return
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] = self.text_by_id.get(element_id, "") + text


def parse(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    parser.close()
    return parser


def test_the_page_is_self_contained(page):
    text = page.read_text(encoding="utf-8")
    parsed = parse(text)
    for tag, attributes in parsed.tags:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attributes.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), f"<{tag} {name}={value!r}>"
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
    assert all("src" not in attributes for attributes, _ in parsed.scripts)
    assert not re.search(r"https?://", text)          # no URL at all, not even in the SVGs
    assert "@import" not in text and "url(" not in text


def test_the_page_has_its_controls(page, run):
    live, _, _ = run
    parsed = parse(page.read_text(encoding="utf-8"))
    inputs = {attributes.get("id"): attributes for tag, attributes in parsed.tags
              if tag == "input"}
    slider = inputs["frame-slider"]
    assert slider["type"] == "range"
    assert (slider["min"], slider["max"]) == ("1", str(len(live.snapshots)))
    assert parsed.text_by_id["frame-label"].startswith(f"frame 1 of {len(live.snapshots)}")
    ids = {attributes.get("id") for _, attributes in parsed.tags}
    assert {"loss-curve", "loss-marker", "graph-view", "network-view"} <= ids
    assert "PCA bound" in parsed.text_by_id["loss-curve"]


def test_without_graphviz_the_page_shows_dot_source_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # no `dot` anywhere on PATH
    assert not teaching.graphviz_available()
    live, _, _ = train(every=6)
    assert all(s.graph.svg is None for s in live.snapshots)
    text = teaching.write_html(live, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 1                     # the loss curve, drawn by our code
    parsed = parse(text)
    assert "dot" in parsed.text_by_id["no-graphviz"] and "Install" in \
        parsed.text_by_id["no-graphviz"]
    assert "digraph" in text                           # the source travels in the page
    monkeypatch.undo()
    if teaching.graphviz_available():                  # drawn later, when dot is back
        text = teaching.write_html(live, tmp_path / "drawn.html").read_text(encoding="utf-8")
        assert text.count("<svg") == 1 + 2 * len(live.snapshots) and "no-graphviz" not in text


def test_the_page_is_written_atomically_and_live(tmp_path):
    target = tmp_path / "live" / "page.html"
    live, _, _ = train(every=4, render_svg=False, path=target)
    assert target.exists() and "frame 1 of 3" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]   # no temp left


# --- a real browser -----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")


def chromium(url: str, profile: Path, *args: str) -> str:
    """Run headless Chromium once on ``url``; return what it printed on stdout."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}", *args, url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def shown(dom: str) -> dict[str, str]:
    """What the browser shows after its scripts ran: the label and the two drawings."""
    parsed = parse(dom)
    body = next(attributes for tag, attributes in parsed.tags if tag == "body")
    return {
        "label": parsed.text_by_id.get("frame-label", ""),
        "network": parsed.text_by_id.get("network-view", ""),
        "graph": parsed.text_by_id.get("graph-view", ""),
        "frame": body.get("data-frame") or "",
        "source": body.get("data-frame-source") or "",
    }


@needs_chromium
def test_a_browser_moves_the_slider(page, run, tmp_path):
    live, _, _ = run
    url = page.resolve().as_uri()
    first = shown(chromium(url, tmp_path / "p1", "--dump-dom"))
    assert first["label"].startswith("frame 1 of 3 · epoch 4") and first["source"] == "load"

    second = shown(chromium(url + "#frame=2", tmp_path / "p2", "--dump-dom"))
    assert second["label"].startswith("frame 2 of 3 · epoch 8"), second["label"]
    assert second["frame"] == "2" and second["source"] == "hash"
    if teaching.graphviz_available():
        assert second["network"] != first["network"]       # new weights on the edges
        assert "w1 = " in second["network"] and "grad" in second["graph"]

    # A real "input" event on the slider, handled by the page's own listener.
    moved = shown(chromium(url + "#test-move-slider=3", tmp_path / "p3", "--dump-dom"))
    assert moved["label"].startswith("frame 3 of 3 · epoch 12"), moved["label"]
    assert moved["source"] == "input"
    assert moved["label"] != second["label"] and moved["graph"] != second["graph"]
    last_loss = f"{live.snapshots[-1].loss:.6g}"
    assert last_loss in moved["label"]


@needs_chromium
def test_a_browser_screenshot_of_the_page(page, tmp_path):
    picture = tmp_path / "page.png"
    chromium(page.resolve().as_uri() + "#frame=2", tmp_path / "profile",
             f"--screenshot={picture}", "--window-size=1200,900", "--hide-scrollbars")
    png = picture.read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > MIN_SCREENSHOT_BYTES
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 900)


# --- the gradient check, on the paper's network ------------------------------------------

@pytest.fixture
def broken_mul() -> Iterator[ops.Op]:
    """A test-only product a·b whose vjp gets ∂/∂b wrong (2a instead of a); removed from
    the registry afterwards so no other test sees it."""
    @ops.op("broken_mul_for_teaching_test", partial=("{b}", "{a}"))
    def broken(a, b):
        return a * b

    @broken.vjp
    def _(g, out, a, b):
        return (g * b, g * a * 2.0)

    try:
        yield broken
    finally:
        ops.REGISTRY.pop("broken_mul_for_teaching_test", None)


def paper_loss(x: np.ndarray, params: dict[str, Tensor], w3_times_h: Any = None) -> Tensor:
    """The paper's L written as its equations, optionally with w3·h made by another op."""
    x1, x2 = Tensor(x[:, 0], name="x1"), Tensor(x[:, 1], name="x2")
    h = params["w1"] * x1 + params["w2"] * x2 + params["b1"]
    h.name = "h"
    product = params["w3"] * h if w3_times_h is None else w3_times_h(params["w3"], h)
    x_hat1 = product + params["b2"]
    x_hat2 = params["w4"] * h + params["b3"]
    x_hat1.name, x_hat2.name = "x̂1", "x̂2"
    loss = ((x1 - x_hat1) ** 2 + (x2 - x_hat2) ** 2).sum() / x.shape[0]
    loss.name = "L"
    return loss


def check_colours(loss: Tensor) -> dict[str, str]:
    """name → fill colour of every named parameter in draw_graph(check=True)."""
    source = viz.draw_graph(loss, check=True).source
    colours = {}
    for name, fill in re.findall(
            r'<TD ALIGN="LEFT">(w\d|b\d)</TD>.*?fillcolor="([^"]+)"', source):
        colours[name] = fill
    return colours


def test_check_turns_exactly_the_parameters_behind_a_broken_partial_red(broken_mul):
    """w3·h made by an op whose ∂/∂h is wrong: the error flows back through h alone, so
    the encoder's w1, w2, b1 turn red and the decoder's four stay green, even w3, which
    meets the broken op but through its correct partial."""
    x = data.correlated_2d(6, seed=5)
    values = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    params = {name: Tensor(value, requires_grad=True, name=name)
              for name, value in values.items()}
    correct = check_colours(paper_loss(x, params))
    assert correct == dict.fromkeys(values, viz._format._PASS_FILL)
    broken = check_colours(paper_loss(x, params, broken_mul))
    assert {name for name, fill in broken.items() if fill == viz._format._FAIL_FILL} == {"w1", "w2",
                                                                                  "b1"}
    assert {name for name, fill in broken.items() if fill == viz._format._PASS_FILL} == {
        "w3", "w4", "b2", "b3"}


def test_the_live_page_can_show_the_gradient_check():
    live, _, _ = train(every=12, render_svg=False, graph_options={"check": True})
    source = live.snapshots[0].graph.source
    assert source.count("✓ rel. err") == 7 and "✗" not in source


# --- the documentation ---------------------------------------------------------------------

def test_the_examples_in_docs_teaching_run(tmp_path, monkeypatch, capsys):
    """docs/teaching.md's code blocks, run in order in one namespace (they build on each
    other), in a scratch folder: each page they promise is written."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text(
        encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/teaching.md", "exec"), namespace)
    assert {"training.html", "live.html", "mlp.html"} <= {p.name for p in tmp_path.iterdir()}
    assert "frames; open file://" in capsys.readouterr().out


def test_every_frame_labels_the_same_two_losses(tmp_path):
    # The first frame (before training) used to show the sample's loss where later frames
    # show the full data's: now every frame shows both, under the same names.
    X = np.random.default_rng(0).normal(size=(40, 2))
    model = models.PaperAutoencoder(seed=0)
    live = teaching.LiveSnapshots(every=2, sample=X[:3], render_svg=False,
                                  draw_network=False)
    live.capture(model, data=X)
    full_before = model.loss(X).item()
    models.fit(model, X, epochs=2, lr=0.01, callbacks=[live], progress=False)
    first, later = live.snapshots
    assert first.loss == pytest.approx(full_before, rel=1e-12)
    assert first.sample_loss == pytest.approx(models.PaperAutoencoder(seed=0).loss(X[:3]).item())
    page = teaching.write_html(live, tmp_path / "p.html", render_svg=False)
    labels = re.findall(r'"label": "([^"]*)"', page.read_text(encoding="utf-8"))
    pattern = r"frame \d of 2 · (before training|epoch 2) · loss (\S+) · on the sample (\S+)"
    found = [re.fullmatch(pattern, label) for label in labels]
    assert all(found), labels
    assert float(found[0].group(2)) == pytest.approx(full_before, rel=1e-5)
    assert float(found[1].group(2)) == pytest.approx(later.loss, rel=1e-5)
    unmeasured = teaching.LiveSnapshots(every=1, sample=X[:3], render_svg=False,
                                        draw_network=False)
    unmeasured.capture(models.PaperAutoencoder(seed=0))
    assert teaching._frame_label(1, 1, unmeasured.snapshots[0]).split(" · ")[2] == "loss –"


def test_the_loss_plot_is_drawn_by_matplotlib_with_a_marker_on_each_frame(page, run):
    live, _, _ = run
    text = page.read_text(encoding="utf-8")
    curve = text[text.index('<svg id="loss-curve"'):]
    curve = curve[:curve.index("</svg>") + 6]
    assert "matplotlib" in curve.lower() or "figure_1" in curve   # matplotlib's own ids
    assert 'id="loss-marker"' in curve and 'id="loss-marker-line"' in curve
    frames = json.loads(re.search(r'id="frames-data">(.*?)</script>', text,
                                  re.DOTALL).group(1).replace("<\\/", "</"))
    xs = [frame["x"] for frame in frames]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)      # later epochs further right
    ys = [frame["y"] for frame in frames if frame["y"] is not None]
    losses = [s.loss for s in live.snapshots if s.loss is not None]
    # SVG y grows downwards: a lower loss sits lower on the page (a larger y).
    assert np.argsort(ys).tolist() == np.argsort(-np.array(losses)).tolist()


def test_the_graph_says_it_is_drawn_on_the_sample_only(run):
    live, _, _ = run
    assert f"on the {live.sample.shape[0]} sample rows only" in live.snapshots[0].graph.source
