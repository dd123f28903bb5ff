"""Activations and the softmax family: leaky_relu, elu, gelu (and the normal CDF Φ it is
built on), softplus, silu, softmax, log_softmax.

Each is written so that no exponential can overflow (softplus and log_softmax at ±1000
are exact and silent), and each vjp uses ops, so second derivatives come for free.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import AWAY_FROM_ZERO, op, value
from .elementwise import exp, sigmoid, tanh

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)  # the tanh approximation of GELU
_TANH_CUBIC = 0.044715

# numpy has no erfc: math.erfc is correctly rounded in float64, applied entry by entry.
_ERFC = np.frompyfunc(math.erfc, 1, 1)


@op("normal_cdf", partial="φ({x})")
def normal_cdf(x):
    """out = Φ(x) = ½·erfc(−x/√2), the standard normal CDF;  ∂out/∂x = φ(x) = e^(−x²/2)/√(2π).

    Through erfc rather than ½(1 + erf): for x ≪ 0 the sum 1 + erf would cancel to 0,
    while erfc keeps every digit of the tiny tail."""
    flat = np.asarray(_ERFC(np.asarray(x, dtype=np.float64) * -_SQRT_HALF), dtype=np.float64)
    return (flat * 0.5).astype(x.dtype, copy=False)


@normal_cdf.vjp
def _(g, out, x):
    return (g * (exp(x * x * -0.5) * _INV_SQRT_2PI),)


@op("leaky_relu", domain=AWAY_FROM_ZERO, partial="1 if {x} > 0 else {negative_slope}")
def leaky_relu(x, *, negative_slope=0.01):
    """out = x for x > 0, negative_slope·x otherwise;  ∂out/∂x = 1 or negative_slope
    (negative_slope at 0, as PyTorch)."""
    return np.where(x > 0, x, x * negative_slope)


@leaky_relu.vjp
def _(g, out, x, negative_slope=0.01):
    # The slope is constant almost everywhere: taken from the values.
    data = value(x)
    return (g * np.where(data > 0, 1, negative_slope).astype(data.dtype),)


@op("elu", domain=AWAY_FROM_ZERO, partial="1 if {x} > 0 else {alpha}·e^{x}")
def elu(x, *, alpha=1.0):
    """out = x for x > 0, α(eˣ − 1) otherwise;  ∂out/∂x = 1 or αeˣ."""
    # min(x, 0): eˣ − 1 of a large positive x would overflow, and is not used there.
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha)


@elu.vjp
def _(g, out, x, alpha=1.0):
    positive = value(x) > 0  # which branch: constant almost everywhere
    negative = (~positive).astype(value(x).dtype)
    # αeˣ, not out + α (which loses every digit for x ≪ 0); x·[x ≤ 0] is ≤ 0, so eˣ of it
    # cannot overflow where x is large and positive.
    return (g * (exp(x * negative) * (negative * alpha) + positive),)


def _gelu_partial(names: dict[str, str]) -> str:
    if names.get("approximate") == "tanh":
        return "d/d{x} [½{x}(1 + tanh(√(2/π)({x} + 0.044715{x}³)))]".format(**names)
    return "Φ({x}) + {x}·φ({x})".format(**names)


@op("gelu", partial=_gelu_partial)
def gelu(x, *, approximate="none"):
    """out = x·Φ(x) (``approximate="none"``, PyTorch's default, exact through erfc) or
    ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (``"tanh"``);
    ∂out/∂x = Φ(x) + x·φ(x) for the exact form."""
    if approximate == "tanh":
        inner = (x + x * x * x * _TANH_CUBIC) * _TANH_SCALE
        return x * 0.5 * (1 + np.tanh(inner))
    return x * normal_cdf.forward(x)


@gelu.vjp
def _(g, out, x, approximate="none"):
    if approximate == "tanh":
        t = tanh((x + x * x * x * _TANH_CUBIC) * _TANH_SCALE)
        slope = (1 + t) * 0.5 + x * 0.5 * (1 - t * t) * ((x * x * (3 * _TANH_CUBIC) + 1)
                                                         * _TANH_SCALE)
        return (g * slope,)
    return (g * (normal_cdf(x) + x * exp(x * x * -0.5) * _INV_SQRT_2PI),)


@op("softplus", partial="1 if {beta}·{x} > {threshold} else σ({beta}·{x})")
def softplus(x, *, beta=1.0, threshold=20.0):
    """out = ln(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's definition);
    ∂out/∂x = σ(βx), or 1 in the linear part.

    Computed as max(βx, 0) + ln(1 + e^(−|βx|)), so nothing overflows for any x."""
    z = x * beta
    smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, x, smooth).astype(x.dtype, copy=False)


@softplus.vjp
def _(g, out, x, beta=1.0, threshold=20.0):
    slope = sigmoid(x * beta)
    linear = value(x) * beta > threshold  # which branch: constant almost everywhere
    if linear.any():
        slope = slope * ~linear + linear
    return (g * slope,)


@op("silu", partial="σ({x})·(1 + {x}·(1 − σ({x})))")
def silu(x):
    """out = x·σ(x) (also called swish);  ∂out/∂x = σ(x)·(1 + x·(1 − σ(x)))."""
    return x * sigmoid.forward(x)


@silu.vjp
def _(g, out, x):
    s = sigmoid(x)
    return (g * (s * (x * (1 - s) + 1)),)


# --- the softmax family ----------------------------------------------------------------

@op("softmax", partial="{out}·(δ − {out}) along axis {axis}", kind="softmax")
def softmax(x, *, axis):
    """out = eˣ / Σ eˣ along ``axis``;  ∂L/∂x = out·(g − Σ g·out), the sum along ``axis``.

    The maximum is subtracted first: every exponent is ≤ 0, so nothing overflows."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@softmax.vjp
def _(g, out, x, axis):
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


@op("log_softmax", partial="δ − softmax({x}) along axis {axis}", kind="softmax")
def log_softmax(x, *, axis):
    """out = x − ln Σ eˣ along ``axis``;  ∂L/∂x = g − eᵒᵘᵗ·Σ g, the sum along ``axis``.

    Computed as (x − max) − ln Σ e^(x − max): exact for inputs of any size, never
    ln 0 for the largest entry."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@log_softmax.vjp
def _(g, out, x, axis):
    return (g - exp(out) * g.sum(axis=axis, keepdims=True),)
