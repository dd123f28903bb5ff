"""Write your own backward pass: a short graded sequence that follows the seed paper.

Layer: the top, beside :mod:`tinygrad_ae.teaching`; imports ``testing``, ``strategies``,
``theory``, ``models`` and ``viz``. The solutions are not in the package.

1. ``mul``, ``div``, ``tanh``, ``matmul``, ``sum``: vector-Jacobian products, graded by
   :func:`tinygrad_ae.testing.check_op` (broadcasting included: your gradients must have
   their inputs' shapes);
2. ``paper``: the seven partials ∂L/∂w1 … ∂L/∂b3 of the paper's 2-1-2 network, which the
   paper printed wrong;
3. ``linear_ae``: the matrix gradients of the linear autoencoder.

Start one with ``tinygrad-ae exercise start NAME`` (or :func:`template`), fill in the
function, and grade it with ``tinygrad-ae exercise check FILE`` (or :func:`grade`). A
wrong answer gets the smallest case where it fails, in plain words, and a picture of the
graph with the wrong edge in red beside the right partial.

>>> [exercise.name for exercise in list_exercises()]
['mul', 'div', 'tanh', 'matmul', 'sum', 'paper', 'linear_ae']
>>> def tanh_vjp(g, out, x):
...     return (g * (1 - out),)                    # forgot to square out
>>> result = grade(tanh_vjp, "tanh", max_examples=20)
>>> result.passed, result.feedback.splitlines()[0]
(False, '✗ tanh: your gradient for x is wrong.')
"""

from __future__ import annotations

import os
import re
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import Exercise, Grade
from ._paper import PAPER_EXERCISES, grade_closed_form
from ._vjp import VJP_EXERCISES, grade_vjp, sum_to_shape

__all__ = ["Exercise", "Grade", "list_exercises", "get", "template", "grade", "grade_file",
           "exercise_of", "sum_to_shape", "ExerciseError"]

_EXERCISES = [*VJP_EXERCISES, *PAPER_EXERCISES]
_HEADER = re.compile(r"^#\s*tinygrad-ae exercise:\s*([A-Za-z_]\w*)", re.M)


class ExerciseError(ValueError):
    """The request cannot be graded (unknown exercise, unreadable file, no function):
    a problem with the input, not a wrong answer."""


def list_exercises() -> list[Exercise]:
    """The exercises, in the order they are meant to be done."""
    return list(_EXERCISES)


def get(name: str) -> Exercise:
    """The exercise called ``name``.

    >>> get("paper").function
    'partials'
    """
    for exercise in _EXERCISES:
        if exercise.name == name:
            return exercise
    raise ExerciseError(f"no exercise named {name!r}; choose one of "
                        f"{', '.join(e.name for e in _EXERCISES)}")


def template(name: str) -> str:
    """The file a student starts from: a header naming the exercise, the formula, and
    the function to fill in.

    >>> print(template("tanh").splitlines()[0])
    # tinygrad-ae exercise: tanh
    """
    exercise = get(name)
    return (f"# tinygrad-ae exercise: {exercise.name}\n"
            f"# {exercise.title}.\n"
            f"# {exercise.formula}\n"
            f"# Fill in {exercise.function}{exercise.signature}, then run:\n"
            f"#     tinygrad-ae exercise check THIS_FILE\n"
            f"\n{exercise.body.lstrip(chr(10))}")


def exercise_of(path: str | os.PathLike[str]) -> str:
    """The exercise a file was started from (its ``# tinygrad-ae exercise: NAME`` line)."""
    text = _read(Path(path))
    match = _HEADER.search(text)
    if match is None:
        raise ExerciseError(f"{path} has no '# tinygrad-ae exercise: NAME' line; start from "
                            f"'tinygrad-ae exercise start NAME' or pass the name")
    return get(match.group(1)).name


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ExerciseError(f"cannot read {path}: {err}") from None


def grade(answer: Callable[..., Any], name: str, picture: str | os.PathLike[str] | None = None,
          max_examples: int = 60) -> Grade:
    """Grade the function ``answer`` for exercise ``name``. ``picture`` (a path without
    suffix) is where the graph of a wrong answer is drawn (SVG, or DOT source without
    Graphviz)."""
    exercise = get(name)
    if not callable(answer):
        raise ExerciseError(f"{exercise.name}: expected the function {exercise.function}, "
                            f"got {type(answer).__name__}")
    where = None if picture is None else Path(picture)
    try:
        if exercise.kind == "vjp":
            return grade_vjp(exercise, answer, where, max_examples)
        return grade_closed_form(exercise, answer, where, max_examples)
    except NotImplementedError:
        return Grade(exercise.name, False, f"✗ {exercise.name}: {exercise.function} still "
                     f"raises NotImplementedError; fill it in first.")


def grade_file(path: str | os.PathLike[str], name: str | None = None,
               picture: str | os.PathLike[str] | None = None, max_examples: int = 60
               ) -> Grade:
    """Run the student's file and grade the function it defines."""
    path = Path(path)
    exercise = get(name) if name else get(exercise_of(path))
    _read(path)
    try:
        namespace = runpy.run_path(str(path), run_name="__exercise__")
    except SyntaxError as err:
        raise ExerciseError(f"{path}, line {err.lineno}: SyntaxError: {err.msg}") from None
    except Exception as err:  # noqa: BLE001 - the student's file: report it in one line
        raise ExerciseError(f"{path} raised {type(err).__name__} while loading: "
                            f"{err}") from None
    function = namespace.get(exercise.function)
    if not callable(function):
        raise ExerciseError(f"{path} defines no function {exercise.function}; exercise "
                            f"{exercise.name!r} grades {exercise.function}"
                            f"{exercise.signature}")
    return grade(function, exercise.name, picture, max_examples)
