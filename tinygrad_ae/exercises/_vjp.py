"""The vjp exercises: mul, div, tanh, matmul and sum, graded with check_op.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.autograd import registry
from tinygrad_ae.autograd.ops import NONZERO, REALS
from tinygrad_ae.testing import OpCheckError
from tinygrad_ae.testing._check_op import ATOL, FD_EPS, RTOL, _check_op

from ._common import Exercise, Grade

__all__ = ["VJP_EXERCISES", "grade_vjp", "sum_to_shape"]


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient over the axes that broadcasting added (leading ones) or stretched
    (length 1 in ``shape``), so it gets ``shape``. Works on arrays and on Tensors.

    An input b of shape (3,) broadcast against a of shape (2, 3) was used twice, once per
    row, so its gradient is the sum of the two rows' gradients:

    >>> sum_to_shape(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> sum_to_shape(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, (n, want) in enumerate(zip(grad.shape, shape))
                      if want == 1 and n != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


@st.composite
def _matrices(draw: Any) -> tuple[list[np.ndarray], dict[str, Any]]:
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    return [draw(strategies.arrays((n, k))), draw(strategies.arrays((k, m)))], {}


@st.composite
def _sum_inputs(draw: Any) -> tuple[list[np.ndarray], dict[str, Any]]:
    # At least 2 axes: summing a middle or last axis is where a g not reshaped goes wrong.
    shape = draw(strategies.shapes(min_dims=2, max_dims=3))
    axis = draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    return [draw(strategies.arrays(shape))], {"axis": axis,
                                              "keepdims": draw(st.booleans())}


def _sum_forward(x: Any, *, axis: Any, keepdims: Any) -> Any:
    return np.sum(x, axis=axis, keepdims=keepdims)


_BROADCAST_NOTE = """\
# a and b broadcast like numpy's: with a of shape (2, 3) and b of shape (3,), each entry of
# b is used twice, so its gradient is the SUM over those uses. Your gradients must have the
# shape of their input: tinygrad_ae.exercises.sum_to_shape(grad, b.shape) does that sum."""

VJP_EXERCISES = [
    Exercise(
        name="mul", title="the vjp of a product, with broadcasting", kind="vjp",
        function="mul_vjp", signature="(g, out, a, b)", builtin="mul",
        formula="out = a·b;  ∂out/∂a = b, ∂out/∂b = a",
        hint="∂L/∂a = g·b and ∂L/∂b = g·a, each summed back to its input's shape",
        body=_BROADCAST_NOTE + """

def mul_vjp(g, out, a, b):
    \"\"\"out = a * b. Return (∂L/∂a, ∂L/∂b) given g = ∂L/∂out.\"\"\"
    raise NotImplementedError("write the vjp of mul")
""",
    ),
    Exercise(
        name="div", title="the vjp of a quotient, with broadcasting", kind="vjp",
        function="div_vjp", signature="(g, out, a, b)", builtin="div",
        formula="out = a/b;  ∂out/∂a = 1/b, ∂out/∂b = −a/b²",
        hint="∂L/∂a = g/b and ∂L/∂b = −g·a/b² (= −g·out/b), each summed to its input's shape",
        body=_BROADCAST_NOTE + """

def div_vjp(g, out, a, b):
    \"\"\"out = a / b (b is never 0). Return (∂L/∂a, ∂L/∂b) given g = ∂L/∂out.\"\"\"
    raise NotImplementedError("write the vjp of div")
""",
    ),
    Exercise(
        name="tanh", title="the vjp of tanh, from its output", kind="vjp",
        function="tanh_vjp", signature="(g, out, x)", builtin="tanh",
        formula="out = tanh x;  ∂out/∂x = 1 − tanh² x = 1 − out²",
        hint="∂L/∂x = g·(1 − out²): reuse out instead of computing tanh again",
        body="""
def tanh_vjp(g, out, x):
    \"\"\"out = tanh(x). Return (∂L/∂x,) given g = ∂L/∂out (a tuple of one gradient).\"\"\"
    raise NotImplementedError("write the vjp of tanh")
""",
    ),
    Exercise(
        name="matmul", title="the vjp of a matrix product", kind="vjp",
        function="matmul_vjp", signature="(g, out, a, b)", builtin="matmul",
        formula="out = a @ b with a (n, k), b (k, m);  out_ij = Σ_l a_il·b_lj",
        hint="match the shapes: ∂L/∂a is (n, k) = g (n, m) @ bᵀ (m, k); ∂L/∂b = aᵀ @ g",
        body="""
# a has shape (n, k), b has shape (k, m), g and out have shape (n, m). Use .T and @.

def matmul_vjp(g, out, a, b):
    \"\"\"out = a @ b. Return (∂L/∂a, ∂L/∂b) given g = ∂L/∂out.\"\"\"
    raise NotImplementedError("write the vjp of matmul")
""",
    ),
    Exercise(
        name="sum", title="the vjp of a sum over an axis (broadcasting g back)", kind="vjp",
        function="sum_vjp", signature="(g, out, x, axis, keepdims)", builtin="sum",
        formula="out = Σ x over axis;  ∂out/∂x = 1 for every summed entry",
        hint="every entry of x gets the g of the sum it went into: reshape g so the summed "
             "axis has length 1 (g.reshape(...)), and it broadcasts over that axis",
        body="""
# axis is None (sum of everything) or one int; keepdims says whether out kept that axis
# with length 1. Return a gradient of x's shape, or one that broadcasts to it.

def sum_vjp(g, out, x, axis, keepdims):
    \"\"\"out = x.sum(axis=axis, keepdims=keepdims). Return (∂L/∂x,) given g = ∂L/∂out.\"\"\"
    raise NotImplementedError("write the vjp of sum")
""",
    ),
]

_SETUP: dict[str, tuple[Callable[..., Any], Any, Any]] = {
    # name: (forward, domain, input strategy (None: the op's own))
    "mul": (lambda a, b: a * b, REALS, None),
    "div": (lambda a, b: a / b, (REALS, NONZERO), None),
    "tanh": (lambda x: np.tanh(x), REALS, None),
    "matmul": (lambda a, b: a @ b, REALS, _matrices()),
    "sum": (_sum_forward, REALS, _sum_inputs()),
}


def _forward_like(name: str, forward: Callable[..., Any]) -> Callable[..., Any]:
    """A forward with the built-in op's argument names (the vjp is checked against them)."""
    if name == "tanh":
        def tanh(x):  # type: ignore[no-untyped-def]
            return forward(x)
        return tanh
    if name == "sum":
        return forward

    def binary(a, b):  # type: ignore[no-untyped-def]
        return forward(a, b)
    return binary


def grade_vjp(exercise: Exercise, student: Callable[..., Any],
              picture: str | Path | None, max_examples: int) -> Grade:
    """Register the student's vjp on a private copy of the op and run check_op on it."""
    forward, domain, inputs = _SETUP[exercise.name]
    builtin = registry.get(exercise.builtin)
    kind = "elementwise" if exercise.name in ("mul", "div", "tanh") else "exercise"
    with registry.scope():
        # Under the built-in's own name (restored when the scope ends), so the picture
        # shows the op as students know it; but the drawings read the built-in sum's axis
        # as a tuple, and the exercise's is an int.
        name = exercise.builtin if exercise.name != "sum" else "sum_over_axis"
        entry = registry.op(name, domain=domain,
                            partial=builtin.partial, kind=kind, replace=True)(
            _forward_like(exercise.name, forward))
        try:
            entry.vjp(student)
        except TypeError:
            return Grade(exercise.name, False, f"✗ {exercise.name}: your function must take "
                         f"the arguments {exercise.signature}, in that order.")
        try:
            report = _check_op(entry, max_examples, None, None, inputs, None, True, False,
                               True, picture, FD_EPS, ATOL, RTOL, 0, "right")
        except OpCheckError as error:
            found = error.counterexample
            if "raised NotImplementedError" in found.explanation:
                if error.picture is not None:
                    error.picture.unlink(missing_ok=True)
                raise NotImplementedError from None  # grade() says: fill it in first
            text = _plain_words(exercise, error)
            if error.picture is not None:
                text += f"\n  Picture: {error.picture}"
            return Grade(exercise.name, False, text, found, error.picture)
    checks = ", ".join(report.checks)
    text = f"✓ {exercise.name}: right on {report.examples} random cases ({checks})."
    for check, why in report.skipped.items():
        text += f"\n  {check}: not checked, {why}"
    return Grade(exercise.name, True, text)


def _plain_words(exercise: Exercise, error: OpCheckError) -> str:
    found = error.counterexample
    lines = [f"✗ {exercise.name}: {_headline(found.check, found.input_name)}"]
    lines.append("  The smallest case where it goes wrong:")
    for name, value in found.inputs.items():
        lines.append(f"    {name} = {_array(value)}  ({_shape_words(np.shape(value))})")
    for name, value in found.params.items():
        lines.append(f"    {name} = {value!r}")
    if found.cotangent is not None:
        lines.append(f"    g = ∂L/∂out = {_array(found.cotangent)}")
    if found.expected is not None and found.actual is not None:
        who = found.input_name
        quantity = f"∂L/∂{who}" if found.check != "second derivative" else (
            f"the derivative of your vjp with respect to {who}")
        lines.append(f"  The right {quantity}: {_array(found.expected)}")
        lines.append(f"  {'Your vjp gives:':<{len(quantity) + 10}} {_array(found.actual)}")
    else:
        lines.append(f"  {found.explanation}")
    lines.append(f"  Remember: {exercise.formula}.")
    lines.append(f"  Hint: {exercise.hint}.")
    return "\n".join(lines)


def _headline(check: str, name: str | None) -> str:
    if check == "shape":
        return f"your gradient for {name} has the wrong shape."
    if check == "first derivative":
        return f"your gradient for {name} is wrong."
    if check == "sum":
        return (f"your gradient for {name} is wrong when g arrives as one number "
                f"(L = out.sum()).")
    if check == "second derivative":
        return ("your vjp is right, but not differentiable again: part of it is computed "
                "from plain values (use only + − * / @ and .sum/.reshape/.T on the "
                "arguments).")
    if check == "dtype":
        return "with float32 inputs your vjp returns float64: keep the inputs' dtype."
    if check == "vjp":
        return "your vjp does not run, or does not return one gradient per input."
    return f"your vjp fails the {check} check."


def _array(value: Any) -> str:
    return np.array2string(np.asarray(value), precision=4, separator=", ",
                           max_line_width=70).replace("\n", " ")


def _shape_words(shape: tuple[int, ...]) -> str:
    if shape == ():
        return "a single number"
    return f"shape {shape}"
