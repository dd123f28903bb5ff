"""Arithmetic ops: + − × ÷, negation, powers, matmul and the fused linear layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._fast import MANY_ROWS, affine, sum_rows
from ._core import NONZERO, POSITIVE, REALS, _swap_last, op
from .elementwise import log

# --- arithmetic ------------------------------------------------------------------------

@op("add", partial=("1", "1"), saves_values=False)
def add(a, b):
    """out = a + b;  ∂out/∂a = 1, ∂out/∂b = 1."""
    return a + b


@add.vjp
def _(g, out, a, b, needs=(True, True)):
    return (g if needs[0] else None), (g if needs[1] else None)


@op("sub", partial=("1", "−1"), saves_values=False)
def sub(a, b):
    """out = a − b;  ∂out/∂a = 1, ∂out/∂b = −1."""
    return a - b


@sub.vjp
def _(g, out, a, b, needs=(True, True)):
    return g, (-g if needs[1] else None)


@op("mul", partial=("{b}", "{a}"))
def mul(a, b):
    """out = a · b;  ∂out/∂a = b, ∂out/∂b = a."""
    return a * b


@mul.vjp
def _(g, out, a, b, needs=(True, True)):
    return (g * b if needs[0] else None), (g * a if needs[1] else None)


@op("div", domain=(REALS, NONZERO), partial=("1/{b}", "−{a}/{b}²"))
def div(a, b):
    """out = a / b;  ∂out/∂a = 1/b, ∂out/∂b = −a/b² = −out/b."""
    return a / b


@div.vjp
def _(g, out, a, b, needs=(True, True)):
    grad_a = g / b
    return (grad_a if needs[0] else None), (-grad_a * out if needs[1] else None)


@op("neg", partial="−1", saves_values=False)
def neg(x):
    """out = −x;  ∂out/∂x = −1."""
    return -x


@neg.vjp
def _(g, out, x):
    return (-g,)


def _power_partial(names: dict[str, Any]) -> str:
    x = names["x"]
    try:
        p = float(names["exponent"])
    except (TypeError, ValueError):
        return f"{names['exponent']}·{x}^({names['exponent']}−1)"
    if p == 2:
        return f"2·{x}"
    if p == 1:
        return "1"
    shown = f"{p:g}"
    return f"{shown}·{x}^{p - 1:g}" if p - 1 >= 0 else f"{shown}·{x}^({p - 1:g})"


@op("pow_scalar", domain=POSITIVE, partial=_power_partial, kind="pow_scalar")
def pow_scalar(x, *, exponent):
    """out = x^p for a constant p;  ∂out/∂x = p·x^(p−1)."""
    return x ** exponent


@pow_scalar.vjp
def _(g, out, x, exponent):
    # The small factors first: g is often one number (a sum's gradient), so g·p is cheap
    # and only one pass runs over the whole of x.
    if exponent == 2:
        return ((g * 2) * x,)
    return ((g * exponent) * (x ** (exponent - 1)),)


@op("pow", domain=(POSITIVE, REALS), partial=("{b}·{a}^({b}−1)", "{out}·ln {a}"))
def pow(a, b):
    """out = a^b for tensors a > 0 and b;  ∂out/∂a = b·a^(b−1), ∂out/∂b = out·ln a."""
    return a ** b


@pow.vjp
def _(g, out, a, b, needs=(True, True)):
    return ((g * b * (a ** (b - 1)) if needs[0] else None),
            (g * out * log(a) if needs[1] else None))


@op("matmul", partial=("{b}ᵀ", "{a}ᵀ"), kind="matmul")
def matmul(a, b):
    """out = a @ b with numpy's rules (1-D, 2-D, batched);
    ∂L/∂a = g @ bᵀ, ∂L/∂b = aᵀ @ g."""
    return a @ b


@matmul.vjp
def _(g, out, a, b, needs=(True, True)):
    if a.ndim == 1 or b.ndim == 1:
        return _matmul_vjp_with_vectors(g, a, b, needs)
    grad_a = g @ _swap_last(b) if needs[0] else None
    # (gᵀa)ᵀ rather than aᵀg: the same products, but for the usual x @ W.T the gradient
    # of W comes out C-contiguous, ready to be W.grad without a copy.
    grad_b = _swap_last(_swap_last(g) @ a) if needs[1] else None
    return grad_a, grad_b


def _matmul_vjp_with_vectors(g: Any, a: Any, b: Any, needs: tuple[bool, bool]) -> Any:
    """The matmul vjp when an operand is 1-D: promote it to a matrix as numpy does,
    differentiate, then undo the promotion."""
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1]) if b.ndim > 1 else g2.reshape(1, 1)
    if b.ndim == 1:
        g2 = g2.reshape(*g2.shape, 1) if a.ndim > 1 else g2
    grad_a = grad_b = None
    if needs[0]:
        grad_a = g2 @ _swap_last(b2)
        if a.ndim == 1:
            grad_a = grad_a.reshape(*grad_a.shape[:-2], grad_a.shape[-1])
    if needs[1]:
        grad_b = _swap_last(a2) @ g2
        if b.ndim == 1:
            grad_b = grad_b.reshape(*grad_b.shape[:-1])
    return grad_a, grad_b


@op("linear", partial=("{weight}ᵀ", "{x}ᵀ (outer)", "1"), kind="linear")
def linear(x, weight, bias):
    """out = x @ weightᵀ + bias, the affine map of ``nn.Linear`` as one node (x of shape
    (..., in), weight (out, in), bias (out,));
    ∂L/∂x = g @ weight, ∂L/∂weight = gᵀ x, ∂L/∂bias = Σ g over the leading axes."""
    if x.ndim == 2 and x.shape[0] >= MANY_ROWS:
        return affine(x, weight, bias)  # in place, and by columns where numpy is slow
    return x @ weight.T + bias          # a small batch: the checks would cost more


@linear.vjp
def _(g, out, x, weight, bias, needs=(True, True, True)):
    # The leading axes of x are samples: flatten them so each gradient is one matmul.
    # A batch is already flat: no reshape, which under create_graph would be two more
    # nodes for the second backward pass to walk.
    rows = g if g.ndim == 2 else g.reshape(-1, weight.shape[0])
    grad_x = g @ weight if needs[0] else None
    grad_weight = (rows.T @ (x if x.ndim == 2 else x.reshape(-1, weight.shape[1]))
                   if needs[1] else None)
    grad_bias = None
    if needs[2]:
        # plain arrays: numpy's column sum of a tall, skinny array is slow (see sum_rows)
        grad_bias = sum_rows(rows) if isinstance(rows, np.ndarray) else rows.sum(axis=0)
    return grad_x, grad_weight, grad_bias
