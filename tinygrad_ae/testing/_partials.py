"""Evaluate an op's symbolic partial (the text on the drawings' edges) as numbers.

Partials are written for people (``1 − {out}²``, ``{out}·ln {a}``, ``1[{x} > 0]``). The
translation below turns the simple ones into a restricted Python expression over numpy
arrays; anything it cannot read safely is reported as "not checked", never guessed.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["evaluate_partial"]


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2 * np.pi)


def _normal_cdf(x: Any) -> Any:
    return 0.5 * (1 + np.vectorize(math.erf, otypes=[np.float64])(np.asarray(x) / np.sqrt(2)))


def _and(*conditions: Any) -> Any:
    result = conditions[0]
    for condition in conditions[1:]:
        result = np.logical_and(result, condition)
    return result


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "sign": np.sign,
    "abs": np.abs, "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "sinh": np.sinh, "cosh": np.cosh, "sigmoid": _sigmoid, "log1p": np.log1p,
    "expm1": np.expm1, "φ": _normal_pdf, "Φ": _normal_cdf, "_where": np.where,
    "_and": _and,
}
_CONSTANTS = {"e": math.e, "π": math.pi, "pi": math.pi}

_SYMBOLS = [
    ("−", "-"), ("·", "*"), ("×", "*"), ("²", "**2"), ("³", "**3"), ("⁴", "**4"),
    ("^", "**"), ("≤", "<="), ("≥", ">="), ("≠", "!="), ("σ(", "sigmoid("),
]

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Name,
            ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub,
            ast.UAdd, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


class _Arrays(ast.NodeTransformer):
    """Rewrite what Python evaluates on single numbers only: ``a if c else b`` becomes
    ``_where(c, a, b)`` and ``a ≤ x ≤ b`` becomes ``_and(a ≤ x, x ≤ b)``."""

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        self.generic_visit(node)
        return ast.Call(ast.Name("_where", ast.Load()), [node.test, node.body, node.orelse],
                        [])

    def visit_Compare(self, node: ast.Compare) -> Any:
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        lefts = [node.left, *node.comparators[:-1]]
        pairs: list[ast.expr] = [ast.Compare(left, [op], [right])
                                 for left, op, right in zip(lefts, node.ops, node.comparators)]
        return ast.Call(ast.Name("_and", ast.Load()), pairs, [])


def _to_python(text: str) -> str:
    """``1 − _out²`` → ``1 - _out**2``; ``_out·ln _in0`` → ``_out*log(_in0)``."""
    for symbol, python in _SYMBOLS:
        text = text.replace(symbol, python)
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)
    # A function applied without parentheses: ln x, cos x, −sin x.
    text = re.sub(r"\b(ln|log|exp|sin|cos|tan|tanh|sqrt)\s+(\w+)", r"\1(\2)", text)
    text = re.sub(r"\*\*\{([^{}]*)\}", r"**(\1)", text)  # e^{x} after the placeholders
    text = re.sub(r"√(\w+)", r"sqrt(\1)", text).replace("√", "sqrt")
    # The indicator 1[condition] is the condition itself, as 0 or 1.
    return re.sub(r"\b1\[([^\[\]]*)\]", r"(\1)", text)


def evaluate_partial(template: Any, index: int, names: Mapping[str, Any],
                     params: Mapping[str, Any]) -> np.ndarray | None:
    """The partial ``template`` (a string with ``{name}`` placeholders, or a callable
    taking the names) evaluated at ``names`` (input names and ``out`` → arrays) with the
    op's ``params``; None when it cannot be read as a formula.

    >>> evaluate_partial("1 − {out}²", 0, {"x": np.array(0.5), "out": np.array(0.5)}, {})
    array(0.75)
    >>> evaluate_partial("{out}·ln {a}", 0, {"a": np.array(2.0), "out": np.array(3.0)}, {})
    array(2.07944154)
    >>> evaluate_partial("1/(1 + |{x}|)²", 0, {"x": np.array(-1.0), "out": np.array(0.5)}, {})
    array(0.25)
    >>> evaluate_partial("1 (reshape)", 0, {"x": np.array(1.0), "out": np.array(1.0)}, {})
    """
    variables: dict[str, Any] = {}
    placeholders: dict[str, str] = {}
    for k, (name, array) in enumerate(names.items()):
        symbol = f"_v{k}"
        variables[symbol] = array
        placeholders[name] = symbol
    for key, value in params.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float,
                                                                         np.number)):
            placeholders[key] = str(value)  # a choice ("tanh") or None: as the drawings show it
        else:
            placeholders[key] = repr(float(value))
    try:
        text = template(placeholders) if callable(template) else str(template).format(
            **placeholders)
        tree = ast.parse(_to_python(str(text)).strip(), mode="eval")
    except (KeyError, IndexError, ValueError, SyntaxError, TypeError):
        return None
    tree = ast.fix_missing_locations(_Arrays().visit(tree))
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            return None
        if isinstance(node, ast.Name) and node.id not in variables and node.id not in \
                _FUNCTIONS and node.id not in _CONSTANTS:
            return None
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name)
                                           or node.func.id not in _FUNCTIONS or node.keywords):
            return None
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            return None
    namespace: dict[str, Any] = {"__builtins__": {}, **_FUNCTIONS, **_CONSTANTS, **variables}
    try:
        with np.errstate(all="ignore"):
            result = eval(compile(tree, "<partial>", "eval"), namespace)  # noqa: S307
    except (TypeError, ValueError, ArithmeticError):
        return None
    result = np.asarray(result, dtype=np.float64)
    return result
