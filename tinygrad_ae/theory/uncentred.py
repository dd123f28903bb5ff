"""Uncentred data: how the data mean couples to the biases, and how long gradient descent then
takes to reach PCA.

Layer: numpy only; imports nothing of ours but :mod:`.dynamics` (itself numpy only).

Everything here works in the eigenbasis of the 1/N covariance Σ = U diag(λ) Uᵀ, so the data
enter through two things only: the spectrum λ (descending) and the mean written in that basis,
μ_j = u_jᵀ μ. Write A = W_d W_e, c = W_d b_e + b_d and split each sample as x = μ + y with y
centred. Then the paper's loss separates exactly,

    L = tr((I − A) Σ (I − A)ᵀ) + ‖e‖²,      e = (I − A) μ − c = μ − x̂(μ),

the centred loss plus the squared error of reconstructing the mean, as if the mean were one
more sample of weight one. Its gradients are the centred ones plus coupling terms through e:

    ∂L/∂W_e = −2 W_dᵀ [(I − A) Σ + e μᵀ]      ∂L/∂b_e = −2 W_dᵀ e
    ∂L/∂W_d = −2 [(I − A) Σ W_eᵀ + e h̄ᵀ]      ∂L/∂b_d = −2 e,     h̄ = W_e μ + b_e

so with e = 0 the weights move exactly as on centred data. Three consequences, each a function
below:

1. **The mean's image.** Every minimum has c = (I − P) μ with P = U_k U_kᵀ, that is x̂(μ) = μ.
   b_e is a free gauge (b_e → b_e + t, b_d → b_d − W_d t), so which b_e gradient descent lands
   on is decided by the dynamics: :func:`mean_mode_map` follows it and
   :func:`reached_minimum` builds the minimum, with b_d = (I − P) μ − W_d b_e.
2. **The curvature the biases add.** The mean term ‖e‖² adds 2 JᵀJ to the Hessian, J = ∂e/∂θ.
   In the output space JJᵀ = (1 + ‖h̄‖²) I + (1 + ‖μ‖²) W_d W_dᵀ, so along the kept subspace the
   biases add curvature about 2(2 + ‖μ‖² + ‖h̄‖²): the sharpest direction grows like ‖μ‖², and
   GD with a fixed step stops being stable once that passes 2/η. The coupling through the
   encoder (a tilt b of the encoder towards a discarded u_j moves the mean code by b μ_j)
   lowers the *slowest* curvature instead. :func:`loss_hessian` gives the whole spectrum at a
   minimum and :func:`tail_contraction` the worst per-step contraction |1 − ηh| over its non-flat
   directions.
3. **Steps to PCA.** :func:`predict_uncentred` (from the mean and the spectrum) and
   :func:`predict_uncentred_network` (from one network's initial weights) add a plateau, from
   the exact mode map with the biases, to an alignment tail at the rate of (2). The tail rate is
   an asymptotic result (exact as the tolerance goes to 0: each further factor 10 in the
   tolerance costs ln 10 / −ln ρ steps); the tilt the tail starts from is an estimate, and its
   error is measured (docs/convergence.md, "Uncentred data").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_ae.theory.dynamics import _check_fraction, _check_positive

__all__ = [
    "augmented_moment",
    "mean_mode_map",
    "ModeWithBiases",
    "reached_minimum",
    "moment_loss",
    "moment_gradients",
    "loss_hessian",
    "tail_contraction",
    "UncentredPrediction",
    "predict_uncentred",
    "predict_uncentred_network",
]

Params = dict[str, np.ndarray]


def _spectrum_and_mean(caller: str, eigenvalues: Any, mean: Any,
                       n_components: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    lam = np.asarray(eigenvalues, dtype=np.float64)
    mu = np.zeros(lam.shape) if mean is None else np.asarray(mean, dtype=np.float64)
    if lam.ndim != 1 or lam.size < 2 or not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"{caller}: eigenvalues must be a 1-D list of at least 2 variances "
                         f"≥ 0, got {eigenvalues!r}")
    if np.any(np.diff(lam) > 0):
        raise ValueError(f"{caller}: eigenvalues must be in descending order (λ_1 ≥ λ_2 ≥ …), "
                         f"got {lam.tolist()}; sort them and the mean's coordinates together")
    if mu.shape != lam.shape or not np.all(np.isfinite(mu)):
        raise ValueError(f"{caller}: mean must be finite with shape {lam.shape}, one coordinate "
                         f"per eigenvector (μ_j = u_jᵀ μ), got shape {mu.shape}")
    if n_components is not None:
        k = int(n_components)
        if not 1 <= k < lam.size or not lam[k - 1] > lam[k] > 0:
            raise ValueError(f"{caller}: need 1 ≤ n_components < {lam.size} and "
                             f"λ_k > λ_(k+1) > 0 for a unique PCA subspace, got k = "
                             f"{n_components} with λ = {lam.tolist()}")
    return lam, mu


def augmented_moment(eigenvalues: Any, mean: Any) -> np.ndarray:
    """The uncentred second moment of [x; 1], in the eigenbasis: the encoder's curvature matrix.

        M̃ = (1/N) Σ_i [x_i; 1][x_i; 1]ᵀ = [[diag(λ) + μμᵀ, μ], [μᵀ, 1]]

    The encoder row and its bias act on [x; 1], so GD on them is GD on a least-squares problem
    with Hessian ∝ M̃. Its condition number grows like ‖μ‖⁴/λ_min for a large mean: the classic
    reason uncentred inputs slow gradient descent. Shape (m + 1, m + 1).

    >>> augmented_moment([1.0, 0.25], [0.0, 2.0])
    array([[1.  , 0.  , 0.  ],
           [0.  , 4.25, 2.  ],
           [0.  , 2.  , 1.  ]])
    """
    lam, mu = _spectrum_and_mean("augmented_moment", eigenvalues, mean)
    m = lam.size
    moment = np.empty((m + 1, m + 1))
    moment[:m, :m] = np.diag(lam) + np.outer(mu, mu)
    moment[:m, m] = moment[m, :m] = mu
    moment[m, m] = 1.0
    return moment


@dataclass
class ModeWithBiases:
    """One kept mode under :func:`mean_mode_map`: its trajectory and where it settles.

    ``strengths`` π(t) = v_d(t) v_e(t) for t = 0, 1, …; ``half_time`` the first t with π ≥ ½
    (None: never); ``decoder``, ``encoder``, ``encoder_bias`` and ``decoder_bias`` the final
    v_d, v_e, β (b_e along the mode's latent direction) and d (b_d along u_i); ``settled``
    False if the map blew up or did not settle within the horizon.

    >>> ModeWithBiases(np.array([0.1, 0.6]), 1, 1.0, 1.0, 0.0, 0.0, True).half_time
    1
    """

    strengths: np.ndarray
    half_time: int | None
    decoder: float
    encoder: float
    encoder_bias: float
    decoder_bias: float
    settled: bool


def mean_mode_map(lr: float, eigenvalue: float, mean_component: float, pi0: float,
                  horizon: int = 200_000) -> ModeWithBiases:
    """Gradient descent on one kept mode together with the biases it drags along.

    For mode i with decoder v_d u_i oᵀ, encoder v_e o u_iᵀ, encoder bias β o and decoder bias
    d u_i (o a unit latent direction), the loss restricted to these four numbers is

        f = λ (1 − v_d v_e)² + e²,     e = μ_i (1 − v_d v_e) − v_d β − d,

    with λ = ``eigenvalue`` and μ_i = ``mean_component`` = u_iᵀ μ. This map iterates
    (v_d, v_e, β, d) ← (v_d, v_e, β, d) − η ∇f exactly, from v_d = v_e = √π0 and β = d = 0.
    Two effects of the mean show: while d catches up with μ_i (it closes the gap by a factor
    about 1 − 2η per step), the residual e adds 2η μ_i e to the mode's growth rate, which
    shortens the plateau: for small μ_i by about μ_i² / ((1 + 2ηλ) ln(1 + 2ηλ)) steps (the
    summed extra growth, linearised), less for large μ_i (3 steps at μ_i = 1 and 8 at μ_i = 2
    for ηλ = 0.1, where the estimate says 4.6 and 18); and β, the gauge no loss term
    fixes, ends wherever that transient leaves it. On centred data (μ_i = 0) the map is the
    balanced Saxe map v ← v + 2ηλ v(1 − v²) with β = d = 0.

    >>> mode = mean_mode_map(0.1, 1.0, 0.0, 1e-6)
    >>> mode.half_time, mode.encoder_bias
    (38, 0.0)
    >>> shifted = mean_mode_map(0.1, 1.0, 1.0, 1e-6)
    >>> shifted.half_time < mode.half_time, round(shifted.decoder * shifted.encoder, 9)
    (True, 1.0)
    """
    eta = _check_positive("mean_mode_map", "lr", lr)
    lam = _check_positive("mean_mode_map", "eigenvalue", eigenvalue)
    p0 = _check_fraction("mean_mode_map", "pi0", pi0)
    mu = float(mean_component)
    if not math.isfinite(mu):
        raise ValueError(f"mean_mode_map: mean_component must be finite, got {mean_component!r}")
    v_d = v_e = math.sqrt(p0)
    beta = d = 0.0
    values = [p0]
    half: int | None = None
    settled = 0
    ok = True
    for t in range(1, horizon + 1):
        pi = v_d * v_e
        e = mu * (1.0 - pi) - v_d * beta - d
        g_d = -2.0 * lam * (1.0 - pi) * v_e - 2.0 * e * (v_e * mu + beta)
        g_e = -2.0 * lam * (1.0 - pi) * v_d - 2.0 * e * v_d * mu
        g_beta = -2.0 * e * v_d
        g_bias = -2.0 * e
        v_d, v_e = v_d - eta * g_d, v_e - eta * g_e
        beta, d = beta - eta * g_beta, d - eta * g_bias
        pi = v_d * v_e
        if not (math.isfinite(pi) and abs(v_d) < 1e6 and abs(d) < 1e12):
            ok = False
            break
        values.append(pi)
        if half is None and pi >= 0.5:
            half = t
        residual = abs(mu * (1.0 - pi) - v_d * beta - d)
        # rounding leaves a period-two flicker of order 1e-14 (1 + |μ|) once settled
        floor = 1e-12 * (1.0 + abs(mu))
        settled = settled + 1 if abs(1.0 - pi) < floor and residual < floor else 0
        if settled >= 3:
            break
    return ModeWithBiases(np.array(values), half, float(v_d), float(v_e), float(beta),
                          float(d), ok and settled >= 3)


def reached_minimum(eigenvalues: Any, mean: Any, n_components: int,
                    encoder_bias: Any = None, scales: Any = None) -> Params:
    """The minimum gradient descent reaches, in the eigenbasis: weights on the top k
    eigenvectors and the biases that reconstruct the mean.

        W_d = U_k diag(s),  W_e = diag(1/s) U_kᵀ,  b_e = β,  b_d = (I − P) μ − W_d β

    with U_k the first k unit vectors (the eigenbasis), s the decoder ``scales`` (1: balanced)
    and β the ``encoder_bias`` (k numbers; 0 by default, or the values :func:`mean_mode_map`
    settles on). Then x̂(μ) = W_d(W_e μ + b_e) + b_d = μ exactly, and the loss is
    Σ_{j>k} λ_j whatever β is.

    >>> p = reached_minimum([1.0, 0.25], [1.0, -2.0], 1, encoder_bias=[0.5])
    >>> p["b_d"], moment_loss(p, [1.0, 0.25], [1.0, -2.0])
    (array([-0.5, -2. ]), 0.25)
    """
    lam, mu = _spectrum_and_mean("reached_minimum", eigenvalues, mean, n_components)
    m, k = lam.size, int(n_components)
    beta = np.zeros(k) if encoder_bias is None else np.asarray(encoder_bias, dtype=np.float64)
    s = np.ones(k) if scales is None else np.asarray(scales, dtype=np.float64)
    if beta.shape != (k,) or s.shape != (k,) or np.any(s == 0):
        raise ValueError(f"reached_minimum: encoder_bias and scales need {k} entries each "
                         f"(scales non-zero), got shapes {beta.shape} and {s.shape}")
    W_d = np.eye(m)[:, :k] * s
    W_e = (np.eye(m)[:, :k] / s).T
    projected = mu.copy()
    projected[:k] = 0.0
    return {"W_e": W_e, "b_e": beta.copy(), "W_d": W_d, "b_d": projected - W_d @ beta}


def moment_loss(params: Params, eigenvalues: Any, mean: Any) -> float:
    """The paper's loss from the data's moments: L = tr((I − A) Σ (I − A)ᵀ) + ‖(I − A) μ − c‖².

    ``params`` holds W_e (k, m), b_e (k,), W_d (m, k), b_d (m,) in the eigenbasis.

    >>> moment_loss(reached_minimum([1.0, 0.25], [0.0, 0.0], 1), [1.0, 0.25], [0.0, 0.0])
    0.25
    """
    lam, mu = _spectrum_and_mean("moment_loss", eigenvalues, mean)
    residual = np.eye(lam.size) - params["W_d"] @ params["W_e"]
    e = residual @ mu - params["W_d"] @ params["b_e"] - params["b_d"]
    return float(np.einsum("ij,j,ij->", residual, lam, residual) + e @ e)


def moment_gradients(params: Params, eigenvalues: Any, mean: Any) -> Params:
    """∂L/∂W_e, ∂L/∂b_e, ∂L/∂W_d, ∂L/∂b_d of the paper's loss from the moments (module docstring).

    >>> g = moment_gradients(reached_minimum([1.0, 0.25], [3.0, -1.0], 1), [1.0, 0.25],
    ...                      [3.0, -1.0])
    >>> max(float(np.abs(v).max()) for v in g.values())      # a minimum: no gradient
    0.0
    """
    lam, mu = _spectrum_and_mean("moment_gradients", eigenvalues, mean)
    W_e, b_e, W_d, b_d = params["W_e"], params["b_e"], params["W_d"], params["b_d"]
    residual = np.eye(lam.size) - W_d @ W_e
    e = residual @ mu - W_d @ b_e - b_d
    weighted = residual * lam
    code_mean = W_e @ mu + b_e
    return {"W_e": -2.0 * W_d.T @ (weighted + np.outer(e, mu)), "b_e": -2.0 * W_d.T @ e,
            "W_d": -2.0 * (weighted @ W_e.T + np.outer(e, code_mean)), "b_d": -2.0 * e}


_ORDER = ("W_e", "b_e", "W_d", "b_d")


def _flatten(params: Params) -> np.ndarray:
    return np.concatenate([np.asarray(params[name], dtype=np.float64).ravel()
                           for name in _ORDER])


def _unflatten(vector: np.ndarray, like: Params) -> Params:
    out, start = {}, 0
    for name in _ORDER:
        shape = np.shape(like[name])
        size = int(np.prod(shape))
        out[name] = vector[start:start + size].reshape(shape)
        start += size
    return out


def loss_hessian(params: Params, eigenvalues: Any, mean: Any) -> np.ndarray:
    """The Hessian of the paper's loss in all parameters (W_e, b_e, W_d, b_d, flattened in that
    order), from the moments.

    The gradient is a cubic polynomial in the parameters, so the central difference
    [g(θ + hv) − g(θ − hv)]/2h = Hv + (h²/6) g'''[v, v, v] has no h⁴ term, and the Richardson
    combination (4 D(h) − D(2h))/3 is exact up to rounding (about 1e-10 with h = 1e-3).

    At the centred 2-1-2 minimum the spectrum is 0 (twice: scale and bias gauges), h_s, 2,
    h_f, 4 and 4 (the centred theory's h± and the bias curvatures):

    >>> p = reached_minimum([1.0, 0.25], [0.0, 0.0], 1)
    >>> np.round(np.linalg.eigvalsh(loss_hessian(p, [1.0, 0.25], [0.0, 0.0])), 4) + 0.0
    array([0.    , 0.    , 0.3486, 2.    , 2.1514, 4.    , 4.    ])
    """
    lam, mu = _spectrum_and_mean("loss_hessian", eigenvalues, mean)
    theta = _flatten(params)
    n = theta.size
    step = 1e-3

    def gradient(vector: np.ndarray) -> np.ndarray:
        return _flatten(moment_gradients(_unflatten(vector, params), lam, mu))

    hessian = np.empty((n, n))
    for i in range(n):
        v = np.zeros(n)
        v[i] = step
        near = (gradient(theta + v) - gradient(theta - v)) / (2 * step)
        far = (gradient(theta + 2 * v) - gradient(theta - 2 * v)) / (4 * step)
        hessian[:, i] = (4.0 * near - far) / 3.0
    return (hessian + hessian.T) / 2.0


def tail_contraction(lr: float, eigenvalues: Any, mean: Any, n_components: int,
                     encoder_bias: Any = None, scales: Any = None) -> tuple[float, float, float]:
    """(ρ, h_min, h_max): GD's slowest per-step contraction at the reached minimum, and the
    smallest and largest non-flat curvatures there.

        ρ = max over Hessian eigenvalues h > 0 (not the gauge zeros) of |1 − η h|

    Near the minimum GD multiplies each Hessian eigen-direction by (1 − ηh) per step, so the
    last tilt decays like ρ^t: reaching a tolerance ten times smaller costs ln 10 / (−ln ρ)
    more steps. This is the exact asymptotic rate; ρ ≥ 1 means the minimum is too sharp for
    this step (h_max ≥ 2/η) and GD cannot settle on it. ``mean`` in the eigenbasis;
    ``encoder_bias`` and ``scales`` (the decoder's v_d per mode) as in :func:`reached_minimum`
    (default: where :func:`mean_mode_map` settles from a tiny start).

    >>> rho, low, high = tail_contraction(0.1, [1.0, 0.25], [0.0, 0.0], 1)
    >>> round(low, 4), round(high, 4), round(rho, 4)      # centred: h_s, and the bias curvature 4
    (0.3486, 4.0, 0.9651)
    >>> rho, low, high = tail_contraction(0.1, [1.0, 0.25], [0.0, 2.0], 1)
    >>> round(low, 4), round(rho, 4)                       # a mean along u_2 flattens the tail
    (0.1199, 0.988)
    """
    eta = _check_positive("tail_contraction", "lr", lr)
    lam, mu = _spectrum_and_mean("tail_contraction", eigenvalues, mean, n_components)
    k = int(n_components)
    if encoder_bias is None:
        modes = [mean_mode_map(eta, float(lam[i]), float(mu[i]), 1e-8) for i in range(k)]
        encoder_bias = [mode.encoder_bias if mode.settled else 0.0 for mode in modes]
        scales = [mode.decoder if mode.settled else 1.0 for mode in modes]
    params = reached_minimum(lam, mu, k, encoder_bias, scales)
    values = np.linalg.eigvalsh(loss_hessian(params, lam, mu))
    flat = 1e-7 * max(1.0, float(np.abs(values).max()))
    curved = values[np.abs(values) > flat]
    rho = float(np.abs(1.0 - eta * curved).max())
    return rho, float(curved.min()), float(curved.max())


@dataclass
class UncentredPrediction:
    """What :func:`predict_uncentred` or :func:`predict_uncentred_network` expects a full-batch GD
    run on uncentred data to do. Step counts are None when not reached within the horizon.

    ``half_times`` per kept mode; ``angle_steps`` for the decoder's largest principal angle to
    stay below its tolerance, ``loss_steps`` for (L − L*)/L* to stay below its tolerance;
    ``encoder_bias`` the b_e components the modes settle on (β_i), ``decoder_scales`` their
    decoder scales v_d,i (so u_iᵀ W_d b_e = v_d,i β_i at the end), ``decoder_bias_image``
    W_d b_e + b_d = (I − P) μ the minimum must reach; ``contraction`` ρ, ``slow_curvature`` and
    ``sharp_curvature`` from :func:`tail_contraction`; ``stable`` False when ρ ≥ 1 or the
    reduced dynamics blew up (GD with this step cannot settle).

    >>> UncentredPrediction([40], 300, 420, [0.0], [1.0], np.zeros(2), 0.99, 0.1, 12.0,
    ...                     True).stable
    True
    """

    half_times: list[int | None]
    angle_steps: int | None
    loss_steps: int | None
    encoder_bias: list[float]
    decoder_scales: list[float]
    decoder_bias_image: np.ndarray
    contraction: float
    slow_curvature: float
    sharp_curvature: float
    stable: bool


def _first_step_staying_below(values: np.ndarray, tol: float) -> int | None:
    """The first index from which every value is below tol (None if the last one fails)."""
    failing = np.flatnonzero(~(values < tol))
    if failing.size == 0:
        return 0
    last = int(failing[-1])
    return None if last == values.size - 1 else last + 1


def _reduced_run(eta: float, lam: np.ndarray, mu: np.ndarray, k: int, v0: np.ndarray,
                 a0: np.ndarray, b0: np.ndarray, angle_tol: float, loss_rtol: float,
                 horizon: int) -> tuple[np.ndarray, np.ndarray, list[int | None], np.ndarray,
                                        np.ndarray, bool]:
    """Iterate the kept modes (mean_mode_map, vectorised over i) together with every
    (kept i, discarded j) tilt pair linearised about them; return the decoder angle and the
    relative loss excess per step, the half times, the final β and v_d, and whether it stayed
    finite."""
    lam_k, lam_j = lam[:k], lam[k:]
    mu_k, mu_j = mu[:k], mu[k:]
    floor = lam_j.sum()
    v_d, v_e = v0.copy(), v0.copy()
    beta, d_k = np.zeros(k), np.zeros(k)
    a, b = a0.copy(), b0.copy()           # (k, m − k): decoder and encoder tilt of mode i to u_j
    d_j = np.zeros(lam_j.size)            # b_d along the discarded u_j
    angles: list[float] = []
    excess: list[float] = []
    half: list[int | None] = [None] * k
    quiet = 0
    finite = True
    for t in range(horizon + 1):
        pi = v_d * v_e
        code_mean = v_e * mu_k + beta + b @ mu_j
        e_k = mu_k * (1.0 - pi) - v_d * beta - d_k - v_d * (b @ mu_j)
        e_j = mu_j - d_j - code_mean @ a
        if not (np.all(np.isfinite(pi)) and np.all(np.abs(a) < 1e6) and np.all(np.abs(v_d) < 1e6)
                and np.all(np.isfinite(e_j))):
            finite = False
            break
        for i in range(k):
            if half[i] is None and pi[i] >= 0.5:
                half[i] = t
        tilt = a / np.where(v_d == 0, 1e-300, v_d)[:, None]
        size = (math.sqrt(float((tilt * tilt).sum())) if k == 1
                else float(np.linalg.norm(tilt, 2)))
        angle = math.atan(size)
        gap = float((lam_k * (1.0 - pi) ** 2).sum() + e_k @ e_k + e_j @ e_j
                    + (lam_k[:, None] * (v_e**2)[:, None] * a**2).sum()
                    + (lam_j[None, :] * (v_d**2)[:, None] * b**2).sum()
                    - 2.0 * (lam_j[None, :] * a * b).sum())
        angles.append(angle)
        excess.append(gap / floor)
        quiet = quiet + 1 if (angle < angle_tol * 0.1 and abs(gap) < loss_rtol * floor * 0.1
                              and all(h is not None for h in half)) else 0
        if quiet >= 3 or t == horizon:
            break
        g_vd = -2.0 * lam_k * (1.0 - pi) * v_e - 2.0 * e_k * code_mean
        g_ve = -2.0 * lam_k * (1.0 - pi) * v_d - 2.0 * e_k * v_d * mu_k
        # ∂L/∂b_e = −2 W_dᵀe: the mode's own residual and every discarded one through the tilt
        # (first order in the tilt, like the tilt's own terms; on v_e the same term only
        # enters at second order while the mean's push is small, and is left out)
        pulled = e_k * v_d + a @ e_j
        g_beta = -2.0 * pulled
        g_dk = -2.0 * e_k
        g_a = (2.0 * lam_k[:, None] * (v_e**2)[:, None] * a - 2.0 * lam_j[None, :] * b
               - 2.0 * code_mean[:, None] * e_j[None, :])
        g_b = (2.0 * lam_j[None, :] * (v_d**2)[:, None] * b - 2.0 * lam_j[None, :] * a
               - 2.0 * pulled[:, None] * mu_j[None, :])        # −2 (W_dᵀe)_i μ_j
        g_dj = -2.0 * e_j
        v_d, v_e, beta, d_k = v_d - eta * g_vd, v_e - eta * g_ve, beta - eta * g_beta, \
            d_k - eta * g_dk
        a, b, d_j = a - eta * g_a, b - eta * g_b, d_j - eta * g_dj
    return np.array(angles), np.array(excess), half, beta, v_d, finite


def _predict(caller: str, lr: float, lam: np.ndarray, mu: np.ndarray, k: int, v0: np.ndarray,
             a0: np.ndarray, b0: np.ndarray, angle_tol: float, loss_rtol: float,
             horizon: int) -> UncentredPrediction:
    eta = _check_positive(caller, "lr", lr)
    angle_limit = _check_positive(caller, "angle_tol", angle_tol)
    loss_limit = _check_positive(caller, "loss_rtol", loss_rtol)
    angles, excess, half, beta, scales, finite = _reduced_run(
        eta, lam, mu, k, v0, a0, b0, angle_limit, loss_limit, int(horizon))
    settled = finite and bool(np.all(np.abs(scales) > 0))
    rho, low, high = tail_contraction(eta, lam, mu, k, encoder_bias=beta if settled else None,
                                      scales=np.abs(scales) if settled else None)
    image = mu.copy()
    image[:k] = 0.0
    stable = finite and rho < 1.0
    return UncentredPrediction(
        half_times=list(half),
        angle_steps=_first_step_staying_below(angles, angle_limit) if stable else None,
        loss_steps=_first_step_staying_below(excess, loss_limit) if stable else None,
        encoder_bias=[float(x) for x in beta], decoder_scales=[float(x) for x in scales],
        decoder_bias_image=image,
        contraction=rho, slow_curvature=low, sharp_curvature=high, stable=stable)


def predict_uncentred(lr: float, eigenvalues: Any, mean: Any, n_components: int, pi0: float,
                      angle_tol: float = 1e-3, loss_rtol: float = 1e-6,
                      horizon: int = 200_000) -> UncentredPrediction:
    """Steps to PCA on uncentred data, from the data's mean and spectrum alone (a typical network).

    Assumptions: full-batch GD with step η on the paper's loss, biases starting at 0, weights
    small and balanced, every kept mode starting at strength ``pi0`` (``expected_pi0`` for
    iid N(0, σ0²) weights) and every (kept i, discarded j) tilt pair at the same scale,
    a_ij = b_ij = √π0 (decoder and encoder tilted alike). ``eigenvalues`` descending and
    ``mean`` in the eigenbasis (μ_j = u_jᵀ μ).

    The prediction iterates two things together and never runs the network:

    1. each kept mode with its biases, :func:`mean_mode_map` (exact for the mode alone);
    2. each tilt pair (a_ij, b_ij) and the discarded decoder biases, linearised about the
       modes. Beyond the centred terms (a ← a + 2ηλ_j b, b ← b + 2ηλ_j a near the origin) the
       mean adds two: the mean code h̄_i = v_e μ_i + β_i makes the decoder tilt a_ij
       reconstruct the mean wrongly (curvature 2h̄_i²), and while mode i's mean residual e_i
       is not yet zero it *pushes* the encoder tilt by 2η e_i v_d μ_j per step. That push is
       why a mean with components both inside and outside the kept subspace is slow even from
       a tiny initialisation.

    The per-step angle is arctan ‖[a_ij / v_d,i]‖₂, the loss excess the quadratic form of
    these variables; each count is the first step after which its quantity stays below the
    tolerance. The final decay rate is checked against :func:`tail_contraction`.

    >>> p = predict_uncentred(0.1, [1.0, 0.25], [0.0, 0.0], 1, pi0=5e-7)
    >>> p.half_times, p.angle_steps, p.loss_steps
    ([40], 57, 85)
    >>> q = predict_uncentred(0.1, [1.0, 0.25], [1.0, 1.0], 1, pi0=5e-7)
    >>> q.angle_steps > 2 * p.angle_steps, round(q.encoder_bias[0], 3)
    (True, -0.409)
    """
    lam, mu = _spectrum_and_mean("predict_uncentred", eigenvalues, mean, n_components)
    k = int(n_components)
    p0 = _check_fraction("predict_uncentred", "pi0", pi0)
    v0 = np.full(k, math.sqrt(p0))
    tilt = np.full((k, lam.size - k), math.sqrt(p0))
    return _predict("predict_uncentred", lr, lam, mu, k, v0, tilt, tilt.copy(), angle_tol,
                    loss_rtol, horizon)


def predict_uncentred_network(W_e: Any, W_d: Any, eigenvalues: Any, components: Any, mean: Any,
                              lr: float, angle_tol: float = 1e-3, loss_rtol: float = 1e-6,
                              horizon: int = 200_000) -> UncentredPrediction:
    """Steps to PCA on uncentred data for one network, from its own initial weights.

    As :func:`predict_uncentred`, but the start comes from W_e (k, m) and W_d (m, k) (biases 0):
    mode i starts at v_d = v_e = √π0_i with π0 from Gram–Schmidt of g_i = (W_dᵀu_i + W_e u_i)/2
    (latent direction o_i), and the tilt pair (i, j) at a_ij = o_i · W_dᵀu_j and
    b_ij = o_i · W_e u_j. ``eigenvalues`` in any order with their eigenvectors as the columns
    of ``components`` (m, m); ``mean`` μ in data coordinates.

    >>> U = np.eye(2); W_e = np.array([[1e-3, 2e-4]]); W_d = np.array([[5e-4], [-1e-4]])
    >>> p = predict_uncentred_network(W_e, W_d, [1.0, 0.25], U, [0.0, 0.0], lr=0.1)
    >>> p.half_times, p.angle_steps, p.loss_steps
    ([39], 31, 55)
    """
    caller = "predict_uncentred_network"
    encoder = np.asarray(W_e, dtype=np.float64)
    decoder = np.asarray(W_d, dtype=np.float64)
    values = np.asarray(eigenvalues, dtype=np.float64)
    order = np.argsort(values)[::-1]
    U = np.asarray(components, dtype=np.float64)
    m = values.size
    if encoder.ndim != 2 or U.shape != (m, m) or decoder.shape != encoder.T.shape \
            or encoder.shape[1] != m:
        raise ValueError(f"{caller}: need W_e (k, m), W_d (m, k) and components (m, m) with "
                         f"m = {m} eigenvalues, got {encoder.shape}, {decoder.shape} and "
                         f"{U.shape}")
    k = encoder.shape[0]
    U = U[:, order]
    mu_data = np.asarray(mean, dtype=np.float64)
    if mu_data.shape != (m,):
        raise ValueError(f"{caller}: mean must have shape ({m},), got {mu_data.shape}")
    lam, mu = _spectrum_and_mean(caller, values[order], U.T @ mu_data, k)
    a_all = U.T @ decoder          # row j: W_dᵀ u_j
    b_all = (encoder @ U).T        # row j: W_e u_j
    latent: list[np.ndarray] = []
    strengths = np.empty(k)
    for i in range(k):
        g = (a_all[i] + b_all[i]) / 2.0
        residual = g - sum(((o @ g) * o for o in latent), np.zeros(k))
        strengths[i] = residual @ residual
        norm = math.sqrt(strengths[i])
        latent.append(residual / norm if norm > 0 else residual)
    if np.any(strengths <= 0) or np.any(strengths >= 0.5):
        raise ValueError(f"{caller}: the prediction assumes a small start, every mode with "
                         f"0 < π0 < ½; these weights give π0 = {strengths.tolist()}")
    basis = np.array(latent)       # (k, k): row i is o_i
    a0 = basis @ a_all[k:].T       # (k, m − k)
    b0 = basis @ b_all[k:].T
    return _predict(caller, lr, lam, mu, k, np.sqrt(strengths), a0, b0, angle_tol, loss_rtol,
                    horizon)
