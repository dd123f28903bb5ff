"""A small, safe evaluator of the symbolic partials that drawings and chain_rule show.

An op's partial is written for students: ``1 − {out}²``, ``−{a}/{b}²``, ``1[{x} > 0]``,
``{out}·ln {a}``, ``σ({beta}·{x})``. :func:`to_python` rewrites that notation as a
Python expression, and :func:`evaluate` computes it on numpy arrays by walking the
expression's syntax tree itself: only numbers, the names it is given, + − × ÷ and powers,
comparisons, ``a if c else b``, ``not`` and the functions in :data:`FUNCTIONS` are
accepted. Nothing is passed to ``eval``; anything else raises :class:`NotEvaluable`.

>>> evaluate(to_python("1 − {out}²", {"out": "out"}), {"out": np.array([0.5])})
array([0.75])
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["NotEvaluable", "FUNCTIONS", "to_python", "evaluate"]


class NotEvaluable(ValueError):
    """The text is not a formula this evaluator accepts (words, ᵀ, ∏, a derivative sign)."""


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * np.square(x)) / math.sqrt(2 * math.pi)


def _normal_cdf(x: Any) -> Any:
    return 0.5 * np.vectorize(math.erfc)(-np.asarray(x, dtype=np.float64) / math.sqrt(2))


def _indicator(condition: Any) -> Any:
    return np.asarray(condition, dtype=np.float64)


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sign": np.sign, "sin": np.sin,
    "cos": np.cos, "tanh": np.tanh, "sigmoid": _sigmoid, "normal_pdf": _normal_pdf,
    "normal_cdf": _normal_cdf, "indicator": _indicator, "transpose": np.transpose,
}

# Notation → Python, applied in order (regular expressions on the filled-in text).
_REWRITES: list[tuple[str, str]] = [
    (r"−", "-"), (r"·", "*"), (r"×", "*"), (r"²", "**2"), (r"³", "**3"),
    (r"≤", "<="), (r"≥", ">="), (r"≠", "!="), (r"(?<![<>=!])=(?!=)", "=="),
    (r"√", "sqrt"), (r"σ", "sigmoid"), (r"φ", "normal_pdf"), (r"Φ", "normal_cdf"),
    (r"\bln\b", "log"),
    (r"(\w+|\))ᵀ", r"transpose(\1)"),
    (r"\be\^(\w+)", r"exp(\1)"), (r"\be\^\(", "exp("),
    (r"\^", "**"),
    # a function applied without parentheses: "cos x", "log a"
    (r"\b(exp|log|sqrt|sin|cos|tanh|sign)\s+(\w+)", r"\1(\2)"),
    (r"(?<![\w.])1\[([^\]]*)\]", r"indicator(\1)"),
    # juxtaposition is a product: "2(x − 1)", "(a)(b)"
    (r"(\d|\))\s*\(", r"\1*("),
]

# Marks of a partial that is not one number per entry: products and sums over other
# entries, Kronecker deltas, derivative signs, and words.
_UNSUPPORTED = ("∏", "Σ", "δ", "d/d", "along", "(outer)", "of the")


def to_python(template: str, names: Mapping[str, str]) -> str:
    """Fill ``template``'s placeholders from ``names`` and rewrite the notation as Python.

    >>> to_python("−{a}/{b}²", {"a": "a", "b": "b"})
    '-a/b**2'
    >>> to_python("1[{min} ≤ {x} ≤ {max}]", {"min": "lo", "x": "x", "max": "hi"})
    'indicator(lo <= x <= hi)'
    """
    text = template.format(**names)
    if any(mark in text for mark in _UNSUPPORTED):
        raise NotEvaluable(f"{text!r} is not an elementwise formula")
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    return text


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: np.negative, ast.UAdd: np.positive, ast.Not: np.logical_not,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Eq: np.equal, ast.NotEq: np.not_equal,
}


def evaluate(expression: str, env: Mapping[str, Any]) -> Any:
    """The value of ``expression`` (from :func:`to_python`) with the names in ``env`` and
    :data:`FUNCTIONS`; :class:`NotEvaluable` for anything outside that small language.

    >>> evaluate("indicator(x > 0) * 2", {"x": np.array([-1.0, 3.0])})
    array([0., 2.])
    >>> evaluate("__import__('os')", {})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NotEvaluable: '__import__' is not a known function
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as err:
        raise NotEvaluable(f"{expression!r} does not parse: {err.msg}") from None
    return _walk(tree.body, env)


def _walk(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)  # floats: numpy refuses integers to negative powers
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise NotEvaluable(f"unknown name {node.id!r}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left, env), _walk(node.right, env)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is the caller's to judge
            return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_walk(node.operand, env))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        # a chain "a <= x <= b" holds where every link holds
        left, result = _walk(node.left, env), True
        for op, right_node in zip(node.ops, node.comparators):
            right = _walk(right_node, env)
            result = np.logical_and(result, _COMPARE[type(op)](left, right))
            left = right
        return result
    if isinstance(node, ast.IfExp):
        return np.where(_walk(node.test, env), _walk(node.body, env), _walk(node.orelse, env))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise NotEvaluable(f"{node.func.id!r} is not a known function")
        return FUNCTIONS[node.func.id](*(_walk(arg, env) for arg in node.args))
    raise NotEvaluable(f"{ast.dump(node)[:60]} is outside the formula language")
