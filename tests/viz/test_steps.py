"""backward_steps: the steps against the engine's gradients, the page in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae import Tensor, models, viz
from tinygrad_ae.autograd.engine import topological_order

CHROMIUM = shutil.which("chromium")
HAS_DOT = shutil.which("dot") is not None
BROWSER_TIMEOUT = 120
# The page carries float64 values through JSON: exact to the last digit printed by repr.
EXACT = 1e-12



def _position(order, tensor):
    """Where ``tensor`` is in ``order``, by identity (list.index would compare with ==,
    which is elementwise for tensors)."""
    return next(i for i, t in enumerate(order) if t is tensor)

def paper_loss() -> tuple[models.PaperAutoencoder, Tensor]:
    model = models.PaperAutoencoder(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    return model, model.loss(np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 1.5]]))


def test_each_backward_step_sums_its_products_to_the_engine_gradient():
    model, loss = paper_loss()
    walk = viz.backward_steps(loss, svg=False)
    order = topological_order(loss)
    kinds = [step.kind for step in walk.steps]
    n_forward = kinds.count("forward")
    n_backward = len(kinds) - n_forward - 1
    assert kinds == ["forward"] * n_forward + ["seed"] + ["backward"] * n_backward
    assert n_forward == sum(t.op_name is not None for t in order)
    positions = [int(step.focus[1:]) for step in walk.steps]
    assert positions[:n_forward] == sorted(positions[:n_forward])            # topological
    assert positions[n_forward:] == sorted(positions[n_forward:], reverse=True)   # reversed
    assert all(t.grad is None for t in order)                   # the walk touched no .grad
    loss.backward()
    by_focus = {step.focus: step for step in walk.steps if step.kind == "backward"}
    for name in models.PaperAutoencoder.PARAM_NAMES:
        parameter = getattr(model, name)
        step = by_focus[f"t{_position(order, parameter)}"]
        np.testing.assert_allclose(step.value, parameter.grad, rtol=1e-12)
        assert step.title.startswith(f"backward: ∂L/∂{name} = ")
    h = next(step for step in walk.steps if step.kind == "backward" and "∂L/∂h =" in step.title)
    assert [cells[0] for cells in h.lines] == ["from t10", "from t16", "sum"]  # two paths meet


def test_backward_steps_refuses_what_has_no_backward_pass():
    with pytest.raises(ValueError, match="not a single number"):
        viz.backward_steps(Tensor(np.ones(3), requires_grad=True) * 2, svg=False)
    with pytest.raises(ValueError, match="does not require grad"):
        viz.backward_steps(Tensor(1.0) * 2, svg=False)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_the_page_and_its_frames_are_written(tmp_path):
    _, loss = paper_loss()
    walk = viz.backward_steps(loss, tmp_path / "walk")
    page = (tmp_path / "walk.html").read_text(encoding="utf-8")
    frames = sorted((tmp_path / "walk_frames").glob("step_*.svg"))
    assert len(frames) == len(walk.steps)
    assert not re.search(r"https?://", page)                         # self-contained
    import xml.etree.ElementTree as ET

    first = ET.parse(frames[0]).getroot()
    assert first.tag.endswith("svg")
    assert 'data-node="t' in page and 'data-edge="t' in page


def chromium(url: str, profile: Path) -> str:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
               "--dump-dom", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def shown(dom: str) -> tuple[int, str, list]:
    """The step the page shows, its focus tensor, and the value it shows."""
    step = int(re.search(r'<body[^>]*data-step="(\d+)"', dom).group(1))
    match = re.search(r'id="step-text"[^>]*>.*?id="step-body"([^>]*)>', dom, re.DOTALL)
    attributes = match.group(1)
    value = json.loads(re.search(r'data-value="([^"]*)"', attributes).group(1)
                       .replace("&quot;", '"'))
    focus = re.search(r'data-focus="([^"]*)"', attributes).group(1)
    return step, focus, value


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_a_browser_steps_with_the_keys_and_shows_the_engine_gradients(tmp_path):
    model, loss = paper_loss()
    walk = viz.backward_steps(loss, tmp_path / "walk.html", svg=HAS_DOT)
    model.zero_grad()
    loss.backward()
    url = (tmp_path / "walk.html").resolve().as_uri()
    step, _, _ = shown(chromium(url + "#test-keys=ArrowRight,ArrowRight,ArrowRight,ArrowLeft",
                                tmp_path / "p1"))
    assert step == 3
    step, focus, value = shown(chromium(url + "#test-keys=End", tmp_path / "p2"))
    assert step == len(walk.steps)
    order = topological_order(loss)
    last = order[int(focus[1:])]
    assert last.grad is not None
    np.testing.assert_allclose(value, last.grad, rtol=EXACT)
    w1_step = next(n for n, s in enumerate(walk.steps, start=1)
                   if s.kind == "backward" and s.focus == f"t{_position(order, model.w1)}")
    step, _, value = shown(chromium(url + f"#step={w1_step}", tmp_path / "p3"))
    assert step == w1_step
    np.testing.assert_allclose(value, model.w1.grad, rtol=EXACT)
    text = chromium(url + f"#step={w1_step}", tmp_path / "p4")
    assert f"∂L/∂w1 = {float(model.w1.grad):.4g}" in text
