"""Every exercise: the kept solution is graded right, and plausible mistakes (including
each of the paper's printed partials) are graded wrong with a small counterexample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinygrad_ae import exercises
from tinygrad_ae.exercises import ExerciseError, grade, grade_file, sum_to_shape
from tinygrad_ae.theory import closed_form

SOLUTIONS = Path(__file__).resolve().parents[1] / "exercises_solutions"
EXAMPLES = 40


@pytest.mark.parametrize("exercise", exercises.list_exercises(), ids=lambda e: e.name)
def test_the_kept_solution_is_graded_right(exercise, tmp_path):
    result = grade_file(SOLUTIONS / f"{exercise.name}.py", max_examples=EXAMPLES,
                        picture=tmp_path / "graph")
    assert result.passed, result.feedback
    assert result.feedback.startswith("✓") and not list(tmp_path.iterdir())


def _mul(g, out, a, b):
    return sum_to_shape(g * b, a.shape), sum_to_shape(g * a, b.shape)


VJP_MISTAKES = {
    "mul": {
        "swapped": lambda g, out, a, b: (sum_to_shape(g * a, a.shape),
                                         sum_to_shape(g * b, b.shape)),
        "no broadcast reduction": lambda g, out, a, b: (g * b, g * a),
        "forgot g": lambda g, out, a, b: (sum_to_shape(b + 0 * g, a.shape),
                                          sum_to_shape(a + 0 * g, b.shape)),
        "wrong sign": lambda g, out, a, b: (sum_to_shape(-g * b, a.shape),
                                            sum_to_shape(-g * a, b.shape)),
    },
    "div": {
        "b gradient without the minus": lambda g, out, a, b: (
            sum_to_shape(g / b, a.shape), sum_to_shape(g * a / (b * b), b.shape)),
        "b gradient 1/b²": lambda g, out, a, b: (
            sum_to_shape(g / b, a.shape), sum_to_shape(-g / (b * b), b.shape)),
        "no broadcast reduction": lambda g, out, a, b: (g / b, -g * a / (b * b)),
    },
    "tanh": {
        "1 − out": lambda g, out, x: (g * (1 - out),),
        "1 − x²": lambda g, out, x: (g * (1 - x * x),),
        "forgot g": lambda g, out, x: (1 - out * out + 0 * g,),
        "float64 constant": lambda g, out, x: (g * (np.float64(1.0) - out * out)
                                               .astype(np.float64),),
        "not a tuple": lambda g, out, x: g * (1 - out * out),
    },
    "matmul": {
        "no transposes": lambda g, out, a, b: (g @ b, a @ g),
        "swapped order": lambda g, out, a, b: (b.T @ g, g @ a.T),
        "elementwise": lambda g, out, a, b: (g * b, a * g),
    },
    "sum": {
        "g as it is": lambda g, out, x, axis, keepdims: (g,),
        "ones only": lambda g, out, x, axis, keepdims: (np.ones(x.shape),),
        "divides by the count": lambda g, out, x, axis, keepdims: (
            g.reshape(tuple(1 if axis is None or i == axis else n
                            for i, n in enumerate(x.shape))) / (x.size if axis is None
                                                               else x.shape[axis]),),
    },
}


@pytest.mark.parametrize("name,mistake", [(name, m) for name, ms in VJP_MISTAKES.items()
                                          for m in ms], ids=lambda v: str(v))
def test_a_plausible_vjp_mistake_is_graded_wrong(name, mistake, tmp_path):
    result = grade(VJP_MISTAKES[name][mistake], name, picture=tmp_path / "graph",
                   max_examples=EXAMPLES)
    assert not result.passed, result.feedback
    assert result.feedback.startswith(f"✗ {name}:")
    assert "smallest case" in result.feedback and "Hint:" in result.feedback
    found = result.counterexample
    if found is not None:
        assert found.size <= 6, result.feedback      # a few numbers, not a big array


def _paper_answer(replace):
    def partials(params, X):
        answer = closed_form.paper_partials(params, X)
        answer.update(replace(params, X))
        return answer
    return partials


PRINTED = {  # each printed partial, put where the student would put it
    "w1": lambda p, X: {"w1": closed_form.paper_printed_partials(p, X)["w1"]},
    "b1": lambda p, X: {"b1": closed_form.paper_printed_partials(p, X)["b1"]},
    "w3": lambda p, X: {"w3": closed_form.paper_printed_partials(p, X)["w3"]},
    "w1_final": lambda p, X: {"w1": closed_form.paper_printed_partials(p, X)["w1_final"]},
    "dL_dxhat1": lambda p, X: {"b2": closed_form.paper_printed_partials(p, X)["dL_dxhat1"]},
}


def test_every_printed_partial_of_the_paper_is_covered():
    assert set(PRINTED) == set(closed_form.paper_printed_partials(
        dict.fromkeys(closed_form.PARAM_NAMES, 0.5), np.ones((1, 2))))


@pytest.mark.parametrize("printed", sorted(PRINTED))
def test_each_printed_partial_of_the_paper_is_graded_wrong(printed, tmp_path):
    result = grade(_paper_answer(PRINTED[printed]), "paper", picture=tmp_path / "graph",
                   max_examples=EXAMPLES)
    assert not result.passed
    assert "the paper's" in result.feedback, result.feedback
    assert "X = " in result.feedback and "The chain rule, path by path" in result.feedback
    assert result.picture is not None and result.picture.exists()
    assert len(result.counterexample.case["X"]) <= 2


def _one_path(p, X):
    h = p["w1"] * X[:, 0] + p["w2"] * X[:, 1] + p["b1"]
    r1 = X[:, 0] - (p["w3"] * h + p["b2"])
    return {"b1": -2.0 / len(X) * np.sum(p["w3"] * r1)}


PAPER_MISTAKES = {
    "one path for b1": (_one_path, "only one of the two paths"),
    "sign of w4": (lambda p, X: {"w4": -closed_form.paper_partials(p, X)["w4"]}, "sign"),
    "no factor 2": (lambda p, X: {"b3": closed_form.paper_partials(p, X)["b3"] / 2},
                    "factor 2"),
    "missing key": (lambda p, X: {"w2": None}, "not a number"),
}


@pytest.mark.parametrize("mistake", sorted(PAPER_MISTAKES))
def test_a_plausible_paper_mistake_is_graded_wrong_and_diagnosed(mistake):
    replace, words = PAPER_MISTAKES[mistake]
    result = grade(_paper_answer(replace), "paper", max_examples=EXAMPLES)
    assert not result.passed and words in result.feedback, result.feedback


def _linear(replace):
    def grads(W_e, b_e, W_d, b_d, X):
        answer = closed_form.linear_ae_grads(W_e, b_e, W_d, b_d, X)
        answer.update(replace(answer, X))
        return answer
    return grads


LINEAR_MISTAKES = {
    "W_d transposed": (lambda a, X: {"W_d": a["W_d"].T}, "shape"),
    "W_e without the decoder": (lambda a, X: {"W_e": a["W_e"] * 1.5}, "Yours:"),
    "b_d summed over features": (lambda a, X: {"b_d": a["b_d"].sum() * np.ones_like(a["b_d"])},
                                 "Yours:"),
    "no 1/N": (lambda a, X: {"b_e": a["b_e"] * len(X)}, "The right"),
}


@pytest.mark.parametrize("mistake", sorted(LINEAR_MISTAKES))
def test_a_plausible_linear_ae_mistake_is_graded_wrong(mistake, tmp_path):
    replace, words = LINEAR_MISTAKES[mistake]
    result = grade(_linear(replace), "linear_ae", picture=tmp_path / "graph",
                   max_examples=EXAMPLES)
    assert not result.passed and words in result.feedback, result.feedback


def test_an_unfilled_template_is_graded_not_done(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(exercises.template("mul"))
    result = grade_file(path)
    assert not result.passed and "NotImplementedError" in result.feedback


@pytest.mark.parametrize("content,message", [
    ("def mul_vjp(g, out, a, b):\n    return (\n", "SyntaxError"),
    ("# tinygrad-ae exercise: nope\n", "no exercise named 'nope'"),
    ("x = 1\n", "no '# tinygrad-ae exercise: NAME' line"),
    ("# tinygrad-ae exercise: mul\nx = 1\n", "defines no function mul_vjp"),
    ("# tinygrad-ae exercise: mul\nraise RuntimeError('boom')\n", "RuntimeError"),
])
def test_files_that_cannot_be_graded_raise_exercise_error(content, message, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(content)
    with pytest.raises(ExerciseError, match=message):
        grade_file(path, name="mul" if "SyntaxError" in message else None)


def test_a_wrong_signature_is_explained():
    result = grade(lambda g, x: (g,), "tanh")
    assert not result.passed and "(g, out, x)" in result.feedback
