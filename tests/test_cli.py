"""The command line through its real entry point: the demo, train, graph, and every
bad input (exit status 2, one line, no traceback)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ae
from tinygrad_ae import cli, data, nn

HAS_DOT = shutil.which("dot") is not None


def run(*args: str, cwd: Path | None = None, env: dict | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinygrad_ae", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def test_version_matches_the_package():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tinygrad-ae {tinygrad_ae.__version__}"


@pytest.mark.parametrize("command", ["demo", "train", "graph", "converge", "bench"])
def test_every_command_has_help_with_examples(command):
    result = run(command, "--help")
    assert result.returncode == 0 and "examples:" in result.stdout


def test_the_exercise_command_is_listed_with_its_own_help_line():
    """The command line lists the exercise command without importing the exercises (its
    options load only when it runs), so it keeps its own copy of the command's help line."""
    from tinygrad_ae.exercises import cli as exercise_cli

    assert cli.EXERCISE_HELP == exercise_cli.HELP
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert {c.dest: c.help for c in commands._choices_actions}["exercise"] == exercise_cli.HELP


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = run("demo", "--quick", "--no-progress", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_demo_prints_engine_closed_form_and_paper_gradients(demo_folder):
    _, stdout = demo_folder
    rows = re.findall(r"^\s+(w1|w2|b1|w3|w4|b2|b3)\s+(\S+)\s+(\S+)\s+(\S+)", stdout, re.M)
    assert [r[0] for r in rows] == ["w1", "w2", "b1", "w3", "w4", "b2", "b3"]
    for _, engine, closed, _diff in rows:
        assert float(engine) == pytest.approx(float(closed), rel=1e-9, abs=1e-12)
    assert "Eckart–Young bound" in stdout


def test_demo_measured_convergence_matches_the_theory(demo_folder):
    """The demo's training run against the learning-dynamics prediction made from its
    initial weights alone (docs/convergence.md): within 10 % plus two steps."""
    _, stdout = demo_folder
    pairs = re.findall(r"from step (\d+) \(predicted (\d+)\)", stdout)
    assert len(pairs) == 2
    for measured, predicted in pairs:
        assert abs(int(measured) - int(predicted)) <= 0.1 * int(predicted) + 2


def test_demo_last_lines_name_the_files_and_the_files_are_valid(demo_folder):
    out, stdout = demo_folder
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert (out / cli.OUTPUT_MARKER).exists()
    assert {"report.md", "convergence.png", "chain_rule_w1.txt"} <= names
    last = stdout.strip().splitlines()[-len(names):]
    assert sorted(Path(line.strip()).name for line in last) == sorted(names)
    assert (out / "convergence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    assert matplotlib.image.imread(out / "convergence.png").shape[0] > 100
    pictures = ["graph_dL_dw1.svg", "network.svg"] if HAS_DOT else ["graph_dL_dw1.dot",
                                                                    "network.dot"]
    for name in pictures:
        assert name in names
        if name.endswith(".svg"):
            root = ET.parse(out / name).getroot()
            assert root.tag.endswith("svg")
            assert "w1" in (out / name).read_text()
    report = (out / "report.md").read_text()
    for link in re.findall(r"\]\(([^)]+)\)", report):
        assert (out / link).exists(), link
    chain = (out / "chain_rule_w1.txt").read_text()
    assert "w3" in chain and "w4" in chain


def test_demo_without_dot_still_finishes_and_says_how_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = dict(os.environ, PATH=str(bin_dir))
    result = subprocess.run([sys.executable, "-m", "tinygrad_ae", "demo", "--quick",
                             "--no-progress", "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("apt-get install graphviz") == 1
    assert (tmp_path / "o" / "graph_dL_dw1.dot").read_text().startswith("digraph")


# --- train ----------------------------------------------------------------------------------

@pytest.fixture
def table(tmp_path):
    X = data.correlated_2d(60, seed=1)
    X = np.hstack([X, X[:, :1] * 0.5 + 0.1])
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.17g}" for v in row) for row in X))
    npy = tmp_path / "data.npy"
    np.save(npy, X)
    return X, csv, npy


@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_train_round_trip_reproduces_the_validation_loss(table, tmp_path, kind):
    X, csv, npy = table
    source = csv if kind == "csv" else npy
    save = tmp_path / "model.npz"
    out = tmp_path / "metrics"
    result = run("train", str(source), "--code-dim", "1", "--epochs", "30", "--lr", "0.02",
                 "--save", str(save), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    model = cli.load_trained(save)
    _, val_rows = cli.split_rows(len(X), metrics["val_fraction"], metrics["model"]["seed"])
    val = X[val_rows]
    reloaded = nn.mse_loss(model(val), val, reduction="paper").item()
    assert reloaded == pytest.approx(metrics["val_loss"], rel=1e-9)
    assert metrics["pca_val_loss"] > 0 and len(metrics["loss_history"]) == 30


def test_train_mlp_with_adam_and_minibatches(table, tmp_path):
    _, csv, _ = table
    result = run("train", str(csv), "--code-dim", "2", "--hidden", "4", "--activation", "tanh",
                 "--optimizer", "adam", "--lr", "0.01", "--epochs", "3", "--batch-size", "8",
                 "--out", str(tmp_path / "o"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "validation loss" in result.stdout


# --- every bad input: status 2, one line, no traceback ---------------------------------------

def _bad_cases(tmp: Path, write: bool = True) -> list[tuple[str, list[str], str]]:
    good = tmp / "good.csv"
    mine = tmp / "thesis"
    locked = tmp / "a_file"  # a folder cannot be made inside a file, even by root
    if write:
        good.write_text("1,2,3\n4,5,6\n7,8,10\n1,0,1\n")
        (tmp / "words.csv").write_text("1,2\n3,abc\n")
        (tmp / "ragged.csv").write_text("1,2\n3,4,5\n")
        (tmp / "nan.csv").write_text("1,2\n3,nan\n")
        (tmp / "empty.csv").write_text("")
        (tmp / "one.csv").write_text("1,2,3\n")
        (tmp / "bad.npy").write_bytes(b"not a numpy file")
        (tmp / "onecol.csv").write_text("1\n2\n3\n")
        mine.mkdir()
        (mine / "thesis.tex").write_text("months of work")
        locked.write_text("")
    g = str(good)
    return [
        ("missing file", ["train", str(tmp / "nope.csv"), "--code-dim", "1"], "nope.csv"),
        ("unreadable npy", ["train", str(tmp / "bad.npy"), "--code-dim", "1"], "bad.npy"),
        ("non-numeric csv", ["train", str(tmp / "words.csv"), "--code-dim", "1"], "abc"),
        ("ragged csv", ["train", str(tmp / "ragged.csv"), "--code-dim", "1"], "column"),
        ("nan", ["train", str(tmp / "nan.csv"), "--code-dim", "1"], "NaN"),
        ("empty file", ["train", str(tmp / "empty.csv"), "--code-dim", "1"], "empty"),
        ("single row", ["train", str(tmp / "one.csv"), "--code-dim", "1"], "at least 2 rows"),
        ("code too big", ["train", g, "--code-dim", "3"], "--code-dim must be between 1 and 2"),
        ("negative lr", ["train", g, "--code-dim", "1", "--lr", "-1"], "--lr must be a positive"),
        ("zero lr", ["train", g, "--code-dim", "1", "--lr", "0"], "--lr must be a positive"),
        ("epochs 0", ["train", g, "--code-dim", "1", "--epochs", "0"], "--epochs"),
        ("batch too big", ["train", g, "--code-dim", "1", "--batch-size", "99"],
         "--batch-size must be between 1 and the 3"),
        ("unknown optimizer", ["train", g, "--code-dim", "1", "--optimizer", "adamw"],
         "invalid choice: 'adamw'"),
        ("unwritable out", ["train", g, "--code-dim", "1", "--out", str(locked / "sub" / "o")],
         "cannot write the output folder"),
        ("unwritable demo out", ["demo", "--quick", "--out", str(locked / "sub" / "o")],
         "cannot write the output folder"),
        ("bad hidden", ["train", g, "--code-dim", "1", "--hidden", "3,x"], "layer sizes"),
        ("missing saved model", ["graph", "--model", str(tmp / "none.npz")], "does not exist"),
        ("unknown highlight", ["graph", "--highlight", "w9"], "not a tensor of this graph"),
        ("unknown command", ["fly"], "invalid choice"),
        ("out is a folder of the user's", ["train", g, "--code-dim", "1", "--out", str(mine)],
         "already holds files that tinygrad-ae did not write"),
        ("out is the current folder", ["demo", "--quick", "--out", "."], "current folder"),
        ("out is an existing file", ["train", g, "--code-dim", "1", "--out", g],
         "is an existing file"),
        ("no training rows left", ["train", g, "--code-dim", "1", "--val-fraction", "0.99"],
         "leaves no rows to train on"),
        ("one column", ["train", str(tmp / "onecol.csv"), "--code-dim", "1"],
         "at least 2 features"),
    ]


# One test per case (each is a process of its own), so the workers share them out.
_BAD_LABELS = [label for label, _, _ in _bad_cases(Path("unused"), write=False)]


@pytest.mark.parametrize("label", _BAD_LABELS,
                         ids=[re.sub(r"[^A-Za-z0-9_]+", "-", x) for x in _BAD_LABELS])
def test_every_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, label):
    argv, key = {name: (argv, key) for name, argv, key in _bad_cases(tmp_path)}[label]
    result = run(*argv, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, (label, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and key in lines[0], (label, result.stderr)
    assert (tmp_path / "thesis" / "thesis.tex").read_text() == "months of work"
    assert (tmp_path / "good.csv").exists()


def test_an_earlier_output_folder_is_replaced(tmp_path):
    out = tmp_path / "o"
    for _ in range(2):
        result = run("demo", "--quick", "--no-progress", "--out", str(out))
        assert result.returncode == 0, result.stderr
    assert (out / "report.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # nothing left beside it


def test_a_failed_train_leaves_no_half_written_output(tmp_path):
    (tmp_path / "nan.csv").write_text("1,2\n3,nan\n")
    out = tmp_path / "o"
    result = run("train", str(tmp_path / "nan.csv"), "--code-dim", "1", "--out", str(out))
    assert result.returncode == 2
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_graph_writes_a_picture(tmp_path):
    out = tmp_path / "pic"
    result = run("graph", "--kind", "network", "--model", "mlp", "--format", "dot",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pic.dot").read_text().startswith(("digraph", "graph"))


def _graph_source(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "_".join(a.strip("-") for a in args)
    assert cli.main(["graph", "--format", "dot", "--out", str(out), *args]) == 0
    return out.with_suffix(".dot").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", ["linear", "mlp"])
def test_graph_draws_the_input_once_and_follows_the_seed(tmp_path, model, capsys):
    source = _graph_source(tmp_path, "--model", model)
    data_boxes = re.findall(r'^\s*t\d+ \[label=.*fillcolor="#eeeeee"', source, re.MULTILINE)
    assert len(data_boxes) == 1                      # x, once: the model reads it, L uses it
    assert source.count("<B>x</B>") + source.count(">x</TD>") == 1
    assert _graph_source(tmp_path, "--model", model, "--seed", "0") == source
    assert _graph_source(tmp_path, "--model", model, "--seed", "1") != source
    assert "3 random samples" in source


def test_demo_prints_the_first_principal_direction_its_report_describes(demo_folder):
    out, stdout = demo_folder
    assert "principal direction at 30°" in (out / "report.md").read_text()
    x, y, degrees = re.search(r"first principal direction \(([-+]\S+), ([-+]\S+)\), at "
                              r"(\S+)°", stdout).groups()
    assert float(x) == pytest.approx(np.cos(np.pi / 6), abs=1e-3)
    assert float(y) == pytest.approx(np.sin(np.pi / 6), abs=1e-3)
    assert float(degrees) == pytest.approx(30.0, abs=0.1)


def test_demo_graph_says_its_gradient_is_on_three_samples(demo_folder):
    out, stdout = demo_folder
    full = float(re.search(r"^\s+w1\s+(\S+)", stdout, re.M).group(1))
    report = (out / "report.md").read_text()
    note = re.search(r"first 3 of the 200 samples: ∂L/∂w1 = (\S+) here, (\S+) on all 200",
                     report)
    assert note is not None
    assert float(note.group(2)) == pytest.approx(full, abs=1e-6)
    assert float(note.group(1)) != pytest.approx(full, abs=1e-3)
    picture = next(out.glob("graph_dL_dw1.*")).read_text()
    assert "first 3 of the 200 samples" in picture


def test_train_plots_training_loss_against_pca_on_the_same_rows(tmp_path, monkeypatch):
    X = np.random.default_rng(0).normal(size=(50, 3)) * np.array([3.0, 1.0, 0.3])
    np.save(tmp_path / "d.npy", X)
    figures: list = []
    make = cli._loss_figure

    def keep(*args, **kwargs):
        figures.append(make(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(cli, "_loss_figure", keep)
    out = tmp_path / "o"
    assert cli.main(["train", str(tmp_path / "d.npy"), "--code-dim", "1", "--epochs", "30",
                     "--lr", "0.05", "--no-progress", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    train_rows, _ = cli.split_rows(50, 0.2, 0)
    centred = X[train_rows] - X[train_rows].mean(axis=0)
    eckart_young = np.linalg.svd(centred, compute_uv=False)[1:] ** 2 / len(train_rows)
    assert metrics["pca_train_loss"] == pytest.approx(eckart_young.sum(), rel=1e-9)
    lines = {line.get_label(): line for line in figures[0].axes[0].get_lines()}
    assert set(lines) == {"model, training", "PCA, training", "model, validation",
                          "PCA, validation"}
    assert lines["PCA, training"].get_ydata()[0] == pytest.approx(metrics["pca_train_loss"])
    assert lines["model, validation"].get_ydata()[0] == pytest.approx(metrics["val_loss"])
    assert lines["PCA, validation"].get_ydata()[0] == pytest.approx(metrics["pca_val_loss"])


def test_demo_writes_the_backward_pass_step_by_step(demo_folder):
    out, _ = demo_folder
    page = (out / "backward_steps.html").read_text(encoding="utf-8")
    assert 'id="step-slider"' in page and "∂L/∂w1" in page
    assert "backward_steps.html" in (out / "report.md").read_text()
    if HAS_DOT:
        assert len(list((out / "backward_steps_frames").glob("step_*.svg"))) > 20
