"""``tinygrad-ae exercise`` through the real entry point: list, start, check, and every
request that cannot be graded (exit status 2, one line)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "exercises_solutions"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "tinygrad_ae", "exercise", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_list_names_every_exercise_in_order(tmp_path):
    result = run("list", cwd=tmp_path)
    assert result.returncode == 0
    names = [line.split()[1] for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert names == ["mul", "div", "tanh", "matmul", "sum", "paper", "linear_ae"]


def test_help_has_examples(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout


def test_start_then_check_a_wrong_answer_then_the_right_one(tmp_path):
    assert run("start", "tanh", cwd=tmp_path).returncode == 0
    mine = tmp_path / "exercise_tanh.py"
    text = mine.read_text()
    assert text.startswith("# tinygrad-ae exercise: tanh")
    mine.write_text(text.replace('raise NotImplementedError("write the vjp of tanh")',
                                 "return (g * (1 - x * x),)"))
    wrong = run("check", str(mine), cwd=tmp_path)
    assert wrong.returncode == 1, wrong.stderr
    assert "✗ tanh: your gradient for x is wrong" in wrong.stdout
    assert "smallest case" in wrong.stdout and "Hint:" in wrong.stdout
    drawn = list(tmp_path.glob("exercise_tanh_graph.*"))
    assert drawn, wrong.stdout
    mine.write_text((SOLUTIONS / "tanh.py").read_text())
    right = run("check", str(mine), "--no-picture", cwd=tmp_path)
    assert right.returncode == 0 and right.stdout.startswith("✓ tanh")


def test_without_graphviz_the_graph_is_written_as_dot(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("# tinygrad-ae exercise: mul\ndef mul_vjp(g, out, a, b):\n"
                    "    return g * b, g * a\n")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run("check", str(mine), "--picture", str(tmp_path / "pic"), cwd=tmp_path,
                 path=str(empty))
    assert result.returncode == 1
    assert (tmp_path / "pic.dot").exists() and not (tmp_path / "pic.svg").exists()
    assert "Graphviz" in result.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_with_graphviz_the_wrong_edge_is_red_in_the_svg(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("# tinygrad-ae exercise: div\ndef div_vjp(g, out, a, b):\n"
                    "    from tinygrad_ae.exercises import sum_to_shape\n"
                    "    return sum_to_shape(g / b, a.shape), sum_to_shape(g * a / (b * b), "
                    "b.shape)\n")
    result = run("check", str(mine), cwd=tmp_path)
    svg = (tmp_path / "mine_graph.svg").read_text()
    assert result.returncode == 1 and "#d62728" in svg and "right: ∂out/∂b" in svg


@pytest.mark.parametrize("args,message", [
    (("start", "nope"), "no exercise named 'nope'"),
    (("check", "missing.py"), "missing.py does not exist"),
    (("check", "plain.py"), "no '# tinygrad-ae exercise: NAME' line"),
    (("check", "plain.py", "--name", "mul"), "defines no function mul_vjp"),
    (("check", "plain.py", "--name", "mul", "--examples", "0"), "--examples must be"),
    (("start", "tanh", "plain.py"), "already exists"),
    ((), "choose an action"),
    (("frobnicate",), "invalid choice"),
])
def test_requests_that_cannot_be_graded_exit_2_with_one_line(args, message, tmp_path):
    (tmp_path / "plain.py").write_text("x = 1\n")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
