"""Hand-derived gradients of linear autoencoders: the independent truth for the engine.

Layer: numpy only; imports nothing of ours. Every formula here was derived by hand
(docs/derivation.md in the repository) and is checked against central finite differences in
tests/theory/test_closed_form.py, so the autodiff engine can be checked against it and never
against itself.

Loss (the paper's normalisation, docs/theory.md#conventions): L = (1/N) Σ_i ‖x_i − x̂_i‖², summed
over features and averaged over samples, m times PyTorch's MSELoss(reduction="mean").

The paper's 2-1-2 network, for sample i (X has shape (N, 2)):

    h_i    = w1 x_i1 + w2 x_i2 + b1
    x̂_i   = (w3 h_i + b2,  w4 h_i + b3)
    r_i1   = x_i1 − x̂_i1,   r_i2 = x_i2 − x̂_i2              (the residuals, the paper's ℓ_i)
    β_i    = w3 r_i1 + w4 r_i2                                (the residual pulled back to h)

`paper_printed_partials` keeps the paper's *printed* (wrong) formulas for the errata only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PARAM_NAMES",
    "paper_loss",
    "paper_partials",
    "paper_printed_partials",
    "linear_ae_loss",
    "linear_ae_grads",
    "contractive_penalty",
]

FloatArray = NDArray[np.floating[Any]]

#: The seven parameters of the 2-1-2 network, encoder (w1, w2, b1) then decoder (w3, w4, b2, b3).
PARAM_NAMES: tuple[str, ...] = ("w1", "w2", "b1", "w3", "w4", "b2", "b3")


def _check_params(params: Mapping[str, Any], caller: str) -> dict[str, float]:
    """Return the seven parameters as floats, or name the missing, unknown or bad ones."""
    missing = [name for name in PARAM_NAMES if name not in params]
    unknown = sorted(str(name) for name in params if name not in PARAM_NAMES)
    if missing or unknown:
        raise ValueError(
            f"{caller}: params must have exactly the keys {', '.join(PARAM_NAMES)}; "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
    values = {}
    for name in PARAM_NAMES:
        try:
            values[name] = float(params[name])
        except (TypeError, ValueError):
            raise ValueError(
                f"{caller}: params[{name!r}] must be a real number, got {params[name]!r}"
            ) from None
        if not np.isfinite(values[name]):
            raise ValueError(f"{caller}: params[{name!r}] is {values[name]}; it must be finite")
    return values


def _check_data(X: ArrayLike, caller: str, n_features: int | None = None) -> FloatArray:
    """Return X as a finite float array of shape (n_samples, n_features), n_samples ≥ 1."""
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":  # bool, signed, unsigned, float: no complex, no objects
        raise ValueError(f"{caller}: X must hold real numbers, got dtype {array.dtype}")
    expected = "(n_samples, 2)" if n_features == 2 else "(n_samples, n_features)"
    if array.ndim != 2 or array.shape[0] < 1 or (n_features and array.shape[1] != n_features):
        raise ValueError(
            f"{caller}: X must have shape {expected} with at least one sample, got shape "
            f"{array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{caller}: X contains NaN or infinity; the loss would not be finite")
    return array


def _paper_forward(values: dict[str, float], X: FloatArray) -> tuple[FloatArray, ...]:
    """h, r1, r2 for every sample of the 2-1-2 network (each of shape (N,))."""
    x1, x2 = X[:, 0], X[:, 1]
    h = values["w1"] * x1 + values["w2"] * x2 + values["b1"]
    r1 = x1 - (values["w3"] * h + values["b2"])
    r2 = x2 - (values["w4"] * h + values["b3"])
    return h, r1, r2


def paper_loss(params: Mapping[str, Any], X: ArrayLike) -> float:
    """L = (1/N) Σ_i (r_i1² + r_i2²) for the paper's 2-1-2 network.

    params: dict with the seven floats w1, w2, b1, w3, w4, b2, b3; X: (N, 2).

    docs/theory.md#corrected-partials, Example 1: one sample x = (1, 2); h = 0.4, r = (0.48, 2.34).

    >>> params = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    >>> round(paper_loss(params, [[1.0, 2.0]]), 6)      # 0.48² + 2.34²
    5.706
    """
    values = _check_params(params, "paper_loss")
    array = _check_data(X, "paper_loss", n_features=2)
    _, r1, r2 = _paper_forward(values, array)
    return float(np.sum(r1 * r1 + r2 * r2) / array.shape[0])


def paper_partials(params: Mapping[str, Any], X: ArrayLike) -> dict[str, float]:
    """The exact ∂L/∂w1 … ∂L/∂b3 of the paper's 2-1-2 network, derived by hand.

    With h_i, r_i1, r_i2 and β_i = w3 r_i1 + w4 r_i2 as in the module docstring:

        ∂L/∂w1 = −(2/N) Σ_i β_i x_i1        ∂L/∂w3 = −(2/N) Σ_i r_i1 h_i
        ∂L/∂w2 = −(2/N) Σ_i β_i x_i2        ∂L/∂w4 = −(2/N) Σ_i r_i2 h_i
        ∂L/∂b1 = −(2/N) Σ_i β_i             ∂L/∂b2 = −(2/N) Σ_i r_i1
                                            ∂L/∂b3 = −(2/N) Σ_i r_i2

    The encoder parameters reach L along two paths (through x̂_1 and x̂_2), which is why
    β_i carries both w3 r_i1 and w4 r_i2. params: dict of the seven floats; X: (N, 2).
    Returns a dict with the same seven keys, in the order of PARAM_NAMES.

    >>> params = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    >>> grads = paper_partials(params, [[1.0, 2.0]])    # β = 0.8·0.48 − 0.6·2.34 = −1.02
    >>> {name: round(value, 4) for name, value in grads.items()}
    {'w1': 2.04, 'w2': 4.08, 'b1': 2.04, 'w3': -0.384, 'w4': -1.872, 'b2': -0.96, 'b3': -4.68}
    """
    values = _check_params(params, "paper_partials")
    array = _check_data(X, "paper_partials", n_features=2)
    h, r1, r2 = _paper_forward(values, array)
    beta = values["w3"] * r1 + values["w4"] * r2
    scale = -2.0 / array.shape[0]
    grads = {
        "w1": scale * np.sum(beta * array[:, 0]),
        "w2": scale * np.sum(beta * array[:, 1]),
        "b1": scale * np.sum(beta),
        "w3": scale * np.sum(r1 * h),
        "w4": scale * np.sum(r2 * h),
        "b2": scale * np.sum(r1),
        "b3": scale * np.sum(r2),
    }
    return {name: float(value) for name, value in grads.items()}


def paper_printed_partials(params: Mapping[str, Any], X: ArrayLike) -> dict[str, float]:
    """The paper's printed partial derivatives, transcribed literally. THEY ARE WRONG.

    Kept only to document the errata (examples/errata.py, docs/derivation.md); use
    `paper_partials` for the true values. With α_i = ‖ℓ_i‖² = r_i1² + r_i2² (which the paper
    calls "a constant") and the paper's unindexed x1, x2 read as x_i1, x_i2:

        "w1"        (1/N) Σ_i −2 √α_i (w3 x_i1 + w4 x_i2)
        "b1"        (1/N) Σ_i −2 √α_i w3
        "w3"        (1/N) Σ_i −2 √α_i (w1 x_i1 + w2 x_i2 − b1)
        "dL_dxhat1" (1/N) Σ_i −2 ‖x_i − x̂_i‖
        "w1_final"  (1/N) Σ_i −2 ‖x_i − x̂_i‖ (w3 x_i1 + w4 x_i2)
                      − (1/N) Σ_i −2 |√α_i| (w3 x_i2 + w4 x_i1)

    What is wrong: the norm ‖ℓ_i‖ stands where the residual's components are needed, the
    path through x̂_2 is missing in b1, b1 has the wrong sign in w3, and the last w1
    expression mixes x1 and x2 and subtracts a term with no source. The true counterpart of
    "dL_dxhat1" (summed over samples) is ∂L/∂b2. params: seven floats; X: (N, 2).

    >>> params = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    >>> printed = paper_printed_partials(params, [[1.0, 2.0]])
    >>> round(printed["w1"], 4), round(paper_partials(params, [[1.0, 2.0]])["w1"], 4)
    (1.911, 2.04)
    """
    values = _check_params(params, "paper_printed_partials")
    array = _check_data(X, "paper_printed_partials", n_features=2)
    x1, x2 = array[:, 0], array[:, 1]
    w1, w2, b1, w3, w4 = (values[name] for name in ("w1", "w2", "b1", "w3", "w4"))
    _, r1, r2 = _paper_forward(values, array)
    norm = np.sqrt(r1 * r1 + r2 * r2)  # ‖ℓ_i‖ = √α_i
    n_samples = array.shape[0]

    def printed_mean(terms: FloatArray) -> float:
        return float(np.sum(terms) / n_samples)

    first_w1 = printed_mean(-2 * norm * (w3 * x1 + w4 * x2))
    return {
        "w1": first_w1,
        "b1": printed_mean(-2 * norm * w3),
        "w3": printed_mean(-2 * norm * (w1 * x1 + w2 * x2 - b1)),
        "dL_dxhat1": printed_mean(-2 * norm),
        "w1_final": first_w1 - printed_mean(-2 * np.abs(norm) * (w3 * x2 + w4 * x1)),
    }


def _check_linear_ae(
    W_e: ArrayLike, b_e: ArrayLike, W_d: ArrayLike, b_d: ArrayLike, X: ArrayLike, caller: str
) -> tuple[FloatArray, ...]:
    """Arrays of one common float dtype, with every shape checked against X's n_features."""
    data = _check_data(X, caller)
    arrays = [np.asarray(value) for value in (W_e, b_e, W_d, b_d)]
    for name, array in zip(("W_e", "b_e", "W_d", "b_d"), arrays, strict=True):
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{caller}: {name} must hold real numbers, got dtype {array.dtype}")
    n_features = data.shape[1]
    encoder, encoder_bias, decoder, decoder_bias = arrays
    k = encoder.shape[0] if encoder.ndim == 2 else -1
    expected = {"W_e": (k, n_features), "b_e": (k,), "W_d": (n_features, k), "b_d": (n_features,)}
    shapes = {"W_e": encoder.shape, "b_e": encoder_bias.shape}
    shapes.update({"W_d": decoder.shape, "b_d": decoder_bias.shape})
    if k < 1 or any(shapes[name] != expected[name] for name in expected):
        raise ValueError(
            f"{caller}: shapes do not fit x̂ = W_d (W_e x + b_e) + b_d for X of shape "
            f"{data.shape}: need W_e (k, {n_features}), b_e (k,), W_d ({n_features}, k), "
            f"b_d ({n_features},) with k ≥ 1; got W_e {encoder.shape}, b_e {encoder_bias.shape}, "
            f"W_d {decoder.shape}, b_d {decoder_bias.shape}"
        )
    dtype = np.result_type(data, *(a for a in arrays if np.issubdtype(a.dtype, np.floating)))
    converted = tuple(np.asarray(a, dtype=dtype) for a in (*arrays, data))
    if not all(np.all(np.isfinite(a)) for a in converted):
        raise ValueError(f"{caller}: a parameter contains NaN or infinity; it must be finite")
    return converted


def linear_ae_loss(
    W_e: ArrayLike, b_e: ArrayLike, W_d: ArrayLike, b_d: ArrayLike, X: ArrayLike
) -> float:
    """L = (1/N) Σ_i ‖x_i − x̂_i‖² for x̂ = W_d (W_e x + b_e) + b_d.

    Shapes: W_e (k, m), b_e (k,), W_d (m, k), b_d (m,), X (N, m).

    >>> X = np.array([[1.0, 2.0]])
    >>> linear_ae_loss([[0.5, -0.2]], [0.3], [[0.8], [-0.6]], [0.2, -0.1], X)
    5.706
    """
    encoder, encoder_bias, decoder, decoder_bias, data = _check_linear_ae(
        W_e, b_e, W_d, b_d, X, "linear_ae_loss"
    )
    residual = data - ((data @ encoder.T + encoder_bias) @ decoder.T + decoder_bias)
    return float(np.sum(residual * residual) / data.shape[0])


def linear_ae_grads(
    W_e: ArrayLike, b_e: ArrayLike, W_d: ArrayLike, b_d: ArrayLike, X: ArrayLike
) -> dict[str, FloatArray]:
    """Exact gradients of L = (1/N) Σ_i ‖x_i − x̂_i‖² for x̂ = W_d (W_e x + b_e) + b_d.

    Samples are rows of X (N, m). With H = X W_eᵀ + 1 b_eᵀ (N, k), X̂ = H W_dᵀ + 1 b_dᵀ,
    R = X − X̂ and G = ∂L/∂X̂ = −(2/N) R (N, m):

        ∂L/∂W_d = Gᵀ H          (m, k)        ∂L/∂b_d = Gᵀ 1          (m,)
        ∂L/∂W_e = (G W_d)ᵀ X    (k, m)        ∂L/∂b_e = (G W_d)ᵀ 1    (k,)

    G W_d = ∂L/∂H is the residual pulled back to the code (β_i for the 2-1-2 network).
    Returns a dict with keys "W_e", "b_e", "W_d", "b_d", each shaped like its parameter;
    the dtype follows the inputs (float32 in, float32 out).

    >>> X = np.array([[1.0, 2.0]])
    >>> grads = linear_ae_grads([[0.5, -0.2]], [0.3], [[0.8], [-0.6]], [0.2, -0.1], X)
    >>> grads["W_e"], grads["b_e"]                     # = ∂L/∂(w1, w2), ∂L/∂b1
    (array([[2.04, 4.08]]), array([2.04]))
    >>> grads["W_d"], grads["b_d"]                     # = ∂L/∂(w3, w4), ∂L/∂(b2, b3)
    (array([[-0.384], [-1.872]]), array([-0.96, -4.68]))
    """
    encoder, encoder_bias, decoder, decoder_bias, data = _check_linear_ae(
        W_e, b_e, W_d, b_d, X, "linear_ae_grads"
    )
    code = data @ encoder.T + encoder_bias
    residual = data - (code @ decoder.T + decoder_bias)
    grad_output = (-2.0 / data.shape[0]) * residual  # G = ∂L/∂X̂
    grad_code = grad_output @ decoder  # ∂L/∂H
    return {
        "W_e": grad_code.T @ data,
        "b_e": grad_code.sum(axis=0),
        "W_d": grad_output.T @ code,
        "b_d": grad_output.sum(axis=0),
    }


def contractive_penalty(W_e: ArrayLike, b_e: ArrayLike, X: ArrayLike,
                        activation: str = "sigmoid") -> float:
    """The contractive penalty (1/N) Σ_i ‖∂h_i/∂x_i‖²_F of the one-layer encoder
    h = s(W_e x + b_e), in closed form.

    Row j of the Jacobian is s'(a_j) W_j (W_j the j-th row of W_e, a = W_e x + b_e), so

        ‖∂h/∂x‖²_F = Σ_j s'(a_j)² ‖W_j‖²,   s'(a) = h(1 − h) for the sigmoid,
                                             1 − h² for tanh, and 1 for a linear encoder,

    where the linear case is ‖W_e‖²_F whatever x is. W_e (k, m), b_e (k,), X (N, m).

    >>> contractive_penalty([[1.0, 2.0]], [0.0], [[0.0, 0.0]])   # (¼)² · 5
    0.3125
    >>> contractive_penalty([[1.0, 2.0], [0.0, 3.0]], [0.0, 0.0], [[5.0, 1.0]], "linear")
    14.0
    """
    weight = np.asarray(W_e, dtype=np.float64)
    bias = np.asarray(b_e, dtype=np.float64)
    data = _check_data(X, "contractive_penalty", weight.shape[1] if weight.ndim == 2 else None)
    if weight.ndim != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(f"contractive_penalty: W_e must be (k, m) and b_e (k,), got "
                         f"{weight.shape} and {bias.shape}")
    row_norms = (weight**2).sum(axis=1)
    if activation == "linear":
        return float(row_norms.sum())
    pre = data @ weight.T + bias
    if activation == "sigmoid":
        h = 0.5 * (1 + np.tanh(pre / 2))  # σ(a) without overflow
        slope = h * (1 - h)
    elif activation == "tanh":
        slope = 1 - np.tanh(pre) ** 2
    else:
        raise ValueError(f"contractive_penalty: activation must be 'sigmoid', 'tanh' or "
                         f"'linear', got {activation!r}")
    return float(((slope**2) @ row_norms).mean())
