"""What an exercise is, and what grading one returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Exercise", "Grade"]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the function the student writes and how it is checked.

    ``kind`` is ``"vjp"`` (graded with :func:`tinygrad_ae.testing.check_op`) or
    ``"closed_form"`` (graded against :mod:`tinygrad_ae.theory.closed_form`).
    """

    name: str
    title: str
    kind: str
    function: str
    signature: str
    formula: str
    hint: str
    body: str
    builtin: str = ""


@dataclass
class Grade:
    """The verdict on a student's answer: ``passed``, the feedback in plain words, the
    smallest counterexample (None when right) and the picture written (if any)."""

    exercise: str
    passed: bool
    feedback: str
    counterexample: Any = None
    picture: Path | None = None

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.feedback
