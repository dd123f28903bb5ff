"""Elementwise functions: exp, log, sqrt, abs and the activations.
"""

from __future__ import annotations

import numpy as np

from ._core import AWAY_FROM_ZERO, POSITIVE, op, value

# --- elementwise functions -------------------------------------------------------------

@op("exp", partial="{out}")
def exp(x):
    """out = eˣ;  ∂out/∂x = eˣ = out."""
    return np.exp(x)


@exp.vjp
def _(g, out, x):
    return (g * out,)


@op("log", domain=POSITIVE, partial="1/{x}")
def log(x):
    """out = ln x;  ∂out/∂x = 1/x. Non-positive inputs give −inf or NaN without a
    warning, as in PyTorch; ``detect_anomaly`` reports them."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


@log.vjp
def _(g, out, x):
    return (g / x,)


@op("sqrt", domain=POSITIVE, partial="1/(2·{out})")
def sqrt(x):
    """out = √x;  ∂out/∂x = 1/(2√x) = 1/(2·out)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


@sqrt.vjp
def _(g, out, x):
    return (g / (out * 2),)


@op("abs", domain=AWAY_FROM_ZERO, partial="sign({x})")
def abs(x):
    """out = |x|;  ∂out/∂x = sign(x) (0 at x = 0, the subgradient PyTorch uses)."""
    return np.abs(x)


@abs.vjp
def _(g, out, x):
    # sign(x) is constant almost everywhere: taken from the values.
    return (g * np.sign(value(x)),)


@op("relu", domain=AWAY_FROM_ZERO, partial="1[{x} > 0]")
def relu(x):
    """out = max(x, 0);  ∂out/∂x = 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""
    return np.maximum(x, 0)


@relu.vjp
def _(g, out, x):
    # The mask is constant almost everywhere: taken from the values. numpy multiplies by
    # the boolean mask directly (no float copy of it), keeping g's dtype.
    return (g * (value(x) > 0),)


@op("tanh", partial="1 − {out}²")
def tanh(x):
    """out = tanh x;  ∂out/∂x = 1 − tanh² x = 1 − out²."""
    return np.tanh(x)


@tanh.vjp
def _(g, out, x):
    # Reuse out: no second tanh, and no overflow for large |x|.
    return (g * (1 - out * out),)


@op("sigmoid", partial="{out}·(1 − {out})")
def sigmoid(x):
    """out = 1/(1 + e⁻ˣ);  ∂out/∂x = out·(1 − out).

    Computed from e^(−|x|) ≤ 1, so no exponential overflows for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@sigmoid.vjp
def _(g, out, x):
    return (g * out * (1 - out),)


@op("square", partial="2·{x}")
def square(x):
    """out = x²;  ∂out/∂x = 2x."""
    return x * x


@square.vjp
def _(g, out, x):
    return (g * (x * 2),)


@op("log1p", domain=POSITIVE, partial="1/(1 + {x})")
def log1p(x):
    """out = ln(1 + x), accurate for tiny x where 1 + x would round;  ∂out/∂x = 1/(1 + x).
    x ≤ −1 gives −inf or NaN without a warning, as in PyTorch."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p(x)


@log1p.vjp
def _(g, out, x):
    return (g / (x + 1),)


@op("expm1", partial="{out} + 1")
def expm1(x):
    """out = eˣ − 1, accurate for tiny x;  ∂out/∂x = eˣ."""
    return np.expm1(x)


@expm1.vjp
def _(g, out, x):
    return (g * exp(x),)  # eˣ itself, not out + 1, which loses digits for x ≪ 0


@op("sin", partial="cos {x}")
def sin(x):
    """out = sin x;  ∂out/∂x = cos x."""
    return np.sin(x)


@sin.vjp
def _(g, out, x):
    return (g * cos(x),)


@op("cos", partial="−sin {x}")
def cos(x):
    """out = cos x;  ∂out/∂x = −sin x."""
    return np.cos(x)


@cos.vjp
def _(g, out, x):
    return (-(g * sin(x)),)


@op("sign", domain=AWAY_FROM_ZERO, partial="0", saves_values=False)
def sign(x):
    """out = −1, 0 or 1 by the sign of x;  ∂out/∂x = 0 (everywhere but the jump at 0,
    where PyTorch also takes 0)."""
    return np.sign(x)


@sign.vjp
def _(g, out, x):
    return (g * 0,)
