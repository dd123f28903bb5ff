"""How long a linear autoencoder takes to reach PCA: theory, measurement, sweeps and plots.

Layer: the top, beside ``models``; imports numpy, the standard library, tqdm and ``tensor``,
``nn``, ``optim``, ``models``, ``pca`` and ``data`` of ours. matplotlib is imported only inside
the plotting functions (Agg canvas, no pyplot state).

The seed paper ends by asking how long a linear autoencoder trained by gradient descent takes
to converge to the PCA solution. This module answers it three ways:

1. **Theory** (THEORY.md §3.4, §3.5, §3.12, §5), as pure functions with their formulas:
   :func:`saxe_half_time` and :func:`saxe_time` (the plateau of each mode),
   :func:`effective_pi0` (where a random initialisation starts each mode),
   :func:`transverse_curvature` (how fast the subspace then aligns), :func:`max_stable_lr`
   (the step sizes that can converge at all), :func:`predict_steps` (plateau + alignment in one
   line), :func:`predict_network` (the same, per network, from its own initial weights) and
   :func:`sgd_noise_floor` (where constant-step SGD stalls).
2. **Measurement**: :func:`train_until_pca` trains our engine's autoencoders (gradients from
   ``backward()``, steps from ``optim``) and times both convergence criteria.
3. **Sweeps**: :func:`study` runs the eigengap, learning-rate, init-scale, batch-size,
   dimension and optimizer sweeps and the paper's 2-1-2 table; :func:`summarize`,
   :func:`markdown_tables` and :func:`plot_all` turn the rows into tables and figures;
   :func:`run` is the ``tinygrad-ae converge`` command.

Conventions (THEORY.md §0): the paper's loss L = (1/N) Σ_i ‖x_i − x̂_i‖², the 1/N covariance
Σ with eigenpairs (λ_j, u_j) in descending order, a "step" is one optimizer update, and the
mode strength of mode j is π_j = u_jᵀ W_d W_e u_j (0 at a tiny init, 1 at PCA).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm import tqdm

from . import data as _data
from . import models as _models
from . import nn as _nn
from . import optim as _optim
from . import pca as _pca
from .tensor import Tensor

__all__ = [
    # theory
    "saxe_half_time", "saxe_time", "effective_pi0", "expected_pi0", "transverse_curvature",
    "StepLimits", "max_stable_lr", "make_spectrum", "predict_steps", "NetworkPrediction",
    "predict_network", "sgd_noise_floor",
    # measurement
    "METHODS", "ConvergenceResult", "train_until_pca",
    # sweeps, tables, plots, command line
    "SWEEPS", "STAIRCASE_SPECTRUM", "THEORY_TABLE_5", "study", "summarize", "markdown_tables",
    "staircase_run", "traced_runs", "plot_all", "write_outputs", "replace_generated",
    "add_arguments", "run", "main",
]

METHODS = ("gd", "sgd", "momentum", "adam")
"""The training methods :func:`train_until_pca` accepts."""

SWEEPS = ("eigengap", "lr", "init", "batch", "dimension", "method", "paper", "staircase")
"""The sweeps :func:`study` can run, in the order it runs them."""

_HOLD = 50  # a criterion counts as reached once it has held this many steps in a row


# ---------------------------------------------------------------------------------------------
# Theory
# ---------------------------------------------------------------------------------------------


def _check_positive(caller: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{caller}: {name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{caller}: {name} must be a positive finite number, got {value!r}")
    return number


def _check_fraction(caller: str, name: str, value: float) -> float:
    number = _check_positive(caller, name, value)
    if number >= 1:
        raise ValueError(f"{caller}: {name} is a mode strength and must lie strictly between 0 "
                         f"and 1, got {value!r}")
    return number


def saxe_half_time(lr: float, eigenvalue: float, pi0: float, momentum: float = 0.0) -> float:
    """GD steps for a mode of strength π0 to reach π = ½ (the end of its Saxe plateau).

        T½ = ln((1 − π0)/π0) / (2 ln(1 + 2ηλ))

    Derivation (THEORY.md §3.5, paper loss): on centred data a balanced mode with decoder
    v·u and encoder v·uᵀ has loss λ(1 − v²)², so one GD step is v ← v + 2ηλ v(1 − v²). Near
    v = 0 it multiplies v by (1 + 2ηλ), so π = v² grows by (1 + 2ηλ)² per step; placing that
    discrete growth rate, 2 ln(1 + 2ηλ), into the logistic solution of dπ/dt ∝ π(1 − π) gives
    T½. It is the first step with π ≥ ½ to within a few per cent for ηλ ≤ 0.4 (the
    continuous :func:`saxe_time` is biased low there). ``lr`` is η, ``eigenvalue`` λ of the
    1/N covariance, ``pi0`` the starting strength (see :func:`effective_pi0`), 0 < π0 < 1.

    With heavy-ball ``momentum`` β (``optim.SGD(lr, momentum)``) the linearised step is
    v_{t+1} = v_t + β(v_t − v_{t−1}) + 2ηλ v_t, so v grows by the larger root z₊ of
    z² − (1 + β + 2ηλ) z + β = 0 instead, and 1 + 2ηλ becomes z₊ (β = 0 gives it back).

    >>> round(saxe_half_time(0.1, 1.0, 1e-6), 2)     # ln(999999) / (2 ln 1.2)
    37.89
    >>> round(saxe_half_time(0.1, 1.0, 1e-6, momentum=0.9), 2)   # z₊ = 1.5
    17.04
    >>> saxe_half_time(0.1, 1.0, 0.5)
    0.0
    """
    eta = _check_positive("saxe_half_time", "lr", lr)
    lam = _check_positive("saxe_half_time", "eigenvalue", eigenvalue)
    p0 = _check_fraction("saxe_half_time", "pi0", pi0)
    beta = float(momentum)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"saxe_half_time: momentum must be in [0, 1), got {momentum!r}")
    trace = 1.0 + beta + 2.0 * eta * lam
    growth = (trace + math.sqrt(trace * trace - 4.0 * beta)) / 2.0
    return math.log((1.0 - p0) / p0) / (2.0 * math.log(growth))


def saxe_time(lr: float, eigenvalue: float, pi0: float, pi_final: float) -> float:
    """Continuous-time GD steps for a mode to grow from strength π0 to π_f (Saxe et al. 2014).

        T(π0 → π_f) = [1/(4ηλ)] · ln[π_f (1 − π0) / (π0 (1 − π_f))]

    Gradient flow of one balanced mode, τ dπ/dt = 2λ π(1 − π) with τ = 1/(2η) steps
    (THEORY.md §3.5), is logistic with rate 4ηλ per step; this is its travel time. It is exact
    for small ηλ and biased low for large ηλ, where the per-step growth (1 + 2ηλ)² falls short
    of e^{4ηλ} (prefer :func:`saxe_half_time` there). 0 < π0, π_f < 1.

    >>> round(saxe_time(0.1, 1.0, 1e-6, 0.5), 2)       # ln(999999) / 0.4
    34.54
    >>> round(saxe_time(0.1, 1.0, 1e-6, 0.999), 2)     # most of the time is the plateau
    51.81
    """
    eta = _check_positive("saxe_time", "lr", lr)
    lam = _check_positive("saxe_time", "eigenvalue", eigenvalue)
    p0 = _check_fraction("saxe_time", "pi0", pi0)
    pf = _check_fraction("saxe_time", "pi_final", pi_final)
    return math.log(pf * (1.0 - p0) / (p0 * (1.0 - pf))) / (4.0 * eta * lam)


def effective_pi0(W_e: Any, W_d: Any, components: Any) -> np.ndarray:
    """The starting strength π0_j of each mode from an initialisation (W_e, W_d).

        g_j  = (W_dᵀ u_j + W_e u_j) / 2                   ∈ R^k, the growing combination
        g_j⊥ = g_j − Σ_{i<j} (ĝ_i⊥ · g_j) ĝ_i⊥             (Gram–Schmidt, ĝ = g / ‖g‖)
        π0_j = ‖g_j⊥‖²

    Near the origin GD moves a_j = W_dᵀ u_j and b_j = W_e u_j as a ← a + 2ηλ_j b,
    b ← b + 2ηλ_j a, so (a + b)/2 grows by (1 + 2ηλ_j) per step and (a − b)/2 dies out;
    π_j = a_j · b_j ≈ ‖g_j‖² (1 + 2ηλ_j)^{2t}. Modes switch on in order, and a later mode can
    only use the latent directions earlier modes left free, hence the Gram–Schmidt step
    (THEORY.md §3.5). W_e is (k, m), W_d (m, k), ``components`` (m, n_modes) holds u_1, u_2, …
    as columns (at most k of them); returns (n_modes,).

    >>> W_e = np.array([[1e-3, 0.0]]); W_d = np.array([[3e-3], [0.0]])
    >>> effective_pi0(W_e, W_d, np.eye(2)[:, :1])    # g = (3e-3 + 1e-3) / 2
    array([4.e-06])
    """
    encoder = np.asarray(W_e, dtype=np.float64)
    decoder = np.asarray(W_d, dtype=np.float64)
    U = np.asarray(components, dtype=np.float64)
    if U.ndim == 1:
        U = U[:, None]
    if encoder.ndim != 2 or decoder.shape != encoder.T.shape:
        raise ValueError(f"effective_pi0: W_e must be (k, m) and W_d (m, k), got shapes "
                         f"{encoder.shape} and {decoder.shape}")
    k, m = encoder.shape
    if U.ndim != 2 or U.shape[0] != m or not 1 <= U.shape[1] <= k:
        raise ValueError(f"effective_pi0: components must be (m, n_modes) = ({m}, 1..{k}), one "
                         f"principal direction per column, got shape {U.shape}")
    g = (decoder.T @ U + encoder @ U).T / 2.0  # row j: g_j
    basis: list[np.ndarray] = []
    pi0 = np.empty(U.shape[1])
    for j, vector in enumerate(g):
        residual = vector - sum(((b @ vector) * b for b in basis), np.zeros(k))
        pi0[j] = residual @ residual
        norm = math.sqrt(pi0[j])
        basis.append(residual / norm if norm > 0 else residual)
    return pi0


def expected_pi0(init_scale: float, n_components: int, mode: int | None = None) -> float:
    """The typical starting strength of mode j for weights drawn iid N(0, σ0²).

        E π0_j = (k − j + 1) σ0² / 2

    g_j = (W_dᵀu_j + W_e u_j)/2 has k iid N(0, σ0²/2) entries, and Gram–Schmidt against the
    j − 1 earlier g's leaves k − j + 1 of them (THEORY.md §3.5). ``mode`` j counts from 1 and
    defaults to k, the last and slowest mode. A single network's π0 scatters around this
    (for k = 1 it is σ0²/2 times a χ²₁ variable), which is why :func:`predict_network`
    is sharper than :func:`predict_steps` with this value.

    >>> expected_pi0(1e-3, 1)
    5e-07
    >>> expected_pi0(1e-3, 3, mode=1)
    1.5e-06
    """
    sigma = _check_positive("expected_pi0", "init_scale", init_scale)
    k = int(n_components)
    j = k if mode is None else int(mode)
    if not 1 <= j <= k:
        raise ValueError(f"expected_pi0: mode must be from 1 to n_components = {k}, got {mode}")
    return (k - j + 1) * sigma**2 / 2.0


def transverse_curvature(lam_k: float, lam_k1: float) -> float:
    """The smallest non-zero Hessian eigenvalue across the PCA solution (THEORY.md §3.4).

        h_s = λ_k + λ_{k+1} − √((λ_k − λ_{k+1})² + 4 λ_{k+1}²)

    Tilting the decoder by a towards u_{k+1} and the encoder by b adds
    ½ (a, b) H (a, b)ᵀ to the loss with H = 2 [[λ_k, −λ_{k+1}], [−λ_{k+1}, λ_{k+1}]]; h_s is
    H's smaller eigenvalue, so GD removes the last tilt by a factor |1 − η h_s| per step.
    h_s ≈ λ_k − λ_{k+1} for a small gap and ≈ 2λ_{k+1} when λ_{k+1} ≪ λ_k (the slow
    direction is then mostly encoder). Needs λ_k ≥ λ_{k+1} ≥ 0.

    >>> round(transverse_curvature(1.0, 0.5), 4)          # 1.5 − √1.25
    0.382
    >>> round(transverse_curvature(1.0, 0.01), 4)         # ≈ 2 λ_{k+1}
    0.0198
    """
    lam_a = float(lam_k)
    lam_b = float(lam_k1)
    if not (math.isfinite(lam_a) and math.isfinite(lam_b) and lam_a >= lam_b >= 0):
        raise ValueError(f"transverse_curvature: need λ_k ≥ λ_(k+1) ≥ 0, got {lam_k!r} and "
                         f"{lam_k1!r}")
    return lam_a + lam_b - math.sqrt((lam_a - lam_b) ** 2 + 4.0 * lam_b**2)


class StepLimits(NamedTuple):
    """Learning-rate limits of full-batch GD (THEORY.md §3.12), see :func:`max_stable_lr`.

    ``weights`` = 1/(2λ_1): above it no minimum is stable and GD cannot converge.
    ``safe`` = 1/(4 λ_max(M̃)): the rule that also keeps the bias directions stable.

    >>> StepLimits(0.5, 0.25).weights
    0.5
    """

    weights: float
    safe: float


def max_stable_lr(eigenvalues: Any, mean: Any = None, components: Any = None) -> StepLimits:
    """The largest GD steps that can converge, for data with covariance spectrum λ and mean μ.

        weights:  η < 1/(2 λ_1)
        safe:     η ≤ 1/(4 λ_max(M̃)),   M̃ = (1/N) Σ_i [x_i; 1][x_i; 1]ᵀ = [[Σ + μμᵀ, μ], [μᵀ, 1]]

    Every global minimum has curvature 2λ_1(c² + 1/c²) ≥ 4λ_1 along the scale of mode 1
    (W_d → c W_d, W_e → W_e / c), and GD with step η is stable only where all curvatures are
    below 2/η, hence the first limit (THEORY.md §3.12; proven for k = 1). The biases add
    curvature from the uncentred second moment M̃; the second rule, measured to hold with a
    margin, covers both. For centred data M̃ = diag(Σ, 1), so safe = 1/(4 max(λ_1, 1)).
    ``mean`` is μ in the coordinates of the eigenvectors (Uᵀμ), or in data coordinates when
    ``components`` (m, m), the eigenvectors as columns, is given.

    >>> max_stable_lr([4.0, 1.0])
    StepLimits(weights=0.125, safe=0.0625)
    >>> round(max_stable_lr([1.0, 0.25], mean=[3.0, 0.0]).safe, 4)   # λ_max(M̃) = 10.91
    0.0229
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0) \
            or lam.max() <= 0:
        raise ValueError(f"max_stable_lr: eigenvalues must be a non-empty 1-D list of "
                         f"variances ≥ 0, not all zero, got {eigenvalues!r}")
    m = lam.size
    mu = np.zeros(m) if mean is None else np.asarray(mean, dtype=np.float64)
    if mu.shape != (m,):
        raise ValueError(f"max_stable_lr: mean must have shape ({m},) like eigenvalues, got "
                         f"{mu.shape}")
    if components is not None:
        Q = np.asarray(components, dtype=np.float64)
        if Q.shape != (m, m):
            raise ValueError(f"max_stable_lr: components must be ({m}, {m}), the eigenvectors "
                             f"as columns, got {Q.shape}")
        mu = Q.T @ mu
    moment = np.empty((m + 1, m + 1))
    moment[:m, :m] = np.diag(lam) + np.outer(mu, mu)
    moment[:m, m] = moment[m, :m] = mu
    moment[m, m] = 1.0
    return StepLimits(weights=float(1.0 / (2.0 * lam.max())),
                      safe=float(1.0 / (4.0 * np.linalg.eigvalsh(moment)[-1])))


def make_spectrum(n_features: int, n_components: int, gap: float, top_ratio: float = 2.0,
                  tail_ratio: float = 1.25) -> np.ndarray:
    """The covariance spectra of the sweeps: λ_1 = 1, a chosen eigengap after mode k.

        λ_1 = 1,  λ_{j+1} = λ_j / top_ratio (j < k),  λ_{k+1} = λ_k / gap,
        λ_{j+1} = λ_j / tail_ratio (j > k)

    so λ_k / λ_{k+1} = ``gap`` and λ_1 = 1 fixes the scale of η (ηλ_1 = η).

    >>> make_spectrum(4, 2, gap=4.0)
    array([1.   , 0.5  , 0.125, 0.1  ])
    """
    m, k = int(n_features), int(n_components)
    if not 1 <= k < m:
        raise ValueError(f"make_spectrum: need 1 ≤ n_components < n_features, got {k} and {m}")
    for name, value in (("gap", gap), ("top_ratio", top_ratio), ("tail_ratio", tail_ratio)):
        if not (math.isfinite(value) and value >= 1):
            raise ValueError(f"make_spectrum: {name} must be a ratio ≥ 1, got {value!r}")
    lam = [1.0]
    for j in range(1, m):
        ratio = top_ratio if j < k else gap if j == k else tail_ratio
        lam.append(lam[-1] / ratio)
    return np.array(lam)


def _spectrum_pair(caller: str, eigenvalues: Any, n_components: int) -> tuple[np.ndarray, int]:
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    k = int(n_components)
    if lam.ndim != 1 or not 1 <= k < lam.size:
        raise ValueError(f"{caller}: need 1 ≤ n_components < len(eigenvalues), got "
                         f"n_components={n_components} and {lam.size} eigenvalues")
    if not (np.all(np.isfinite(lam)) and lam[k] > 0 and lam[k - 1] > lam[k]):
        raise ValueError(f"{caller}: need λ_k > λ_(k+1) > 0 for a unique PCA subspace, got "
                         f"λ_k = {lam[k - 1]!r} and λ_(k+1) = {lam[k]!r}")
    return lam, k


def predict_steps(lr: float, eigenvalues: Any, n_components: int, pi0: float,
                  angle_tol: float = 1e-3, naive: bool = False) -> float:
    """GD steps until the decoder is within ``angle_tol`` of the PCA subspace: plateau + alignment.

        T ≈ T½ + ln(θ½ / θ*) / (−ln|1 − η h_s|)                               (naive=True)
        T ≈ T½ + max_{e ∈ {s, f}} ln(θ½ w_e / θ*) / (−ln|1 − η h_e|)          (default)

        T½  = ln((1 − π0)/π0) / (2 ln(1 + 2ηλ_k))                (:func:`saxe_half_time`)
        θ½  = min(1, √2 · π0^{(1 − ρ)/2}),   ρ = ln(1 + 2ηλ_{k+1}) / ln(1 + 2ηλ_k)
        h_s, h_f = λ_k + λ_{k+1} ∓ √((λ_k − λ_{k+1})² + 4λ_{k+1}²)  (:func:`transverse_curvature`)
        w_e = |e_e,dec (e_e · (1, 1))|,  e_s, e_f the unit eigenvectors of
              H = 2 [[λ_k, −λ_{k+1}], [−λ_{k+1}, λ_{k+1}]] in (decoder, encoder) coordinates

    Assumptions: full-batch GD on centred data, biases at 0, weights small at the start, the
    slowest mode k starting at strength π0 (:func:`effective_pi0` for one network,
    :func:`expected_pi0` for a typical one), η < 1/(2λ_1), and the pair (k, k+1) the slowest
    to align. The plateau ends when mode k reaches π = ½. By then the u_{k+1} tilt, grown from
    the same scale √π0 but only by (1 + 2ηλ_{k+1}) per step, has reached √π0 · π0^{−ρ/2}
    against the mode's 1/√2: that is θ½, with decoder and encoder tilted alike, z ∝ (1, 1).
    From there each eigen-direction of H decays by |1 − η h_e| per step; w_e is the share of
    the decoder tilt it carries. For a small gap almost all of it sits in the slow direction
    and both forms agree; for a large gap the slow direction is mostly encoder, so the naive
    form (all of it at the slow rate) overestimates, up to several times. Use
    :func:`predict_network` for the per-network count and for the loss criterion.

    >>> round(predict_steps(0.1, [1.0, 0.5], 1, pi0=5e-7), 1)
    128.9
    >>> round(predict_steps(0.1, [1.0, 0.01], 1, pi0=5e-7), 1)       # aligned in the plateau
    40.1
    >>> round(predict_steps(0.1, [1.0, 0.01], 1, pi0=5e-7, naive=True), 1)
    79.9
    """
    eta = _check_positive("predict_steps", "lr", lr)
    tol = _check_positive("predict_steps", "angle_tol", angle_tol)
    lam, k = _spectrum_pair("predict_steps", eigenvalues, n_components)
    p0 = _check_fraction("predict_steps", "pi0", pi0)
    lam_k, lam_k1 = float(lam[k - 1]), float(lam[k])
    plateau = saxe_half_time(eta, lam_k, p0)
    rho = math.log1p(2 * eta * lam_k1) / math.log1p(2 * eta * lam_k)
    angle_half = min(1.0, math.sqrt(2.0) * p0 ** ((1.0 - rho) / 2.0))
    if naive:
        directions = [(transverse_curvature(lam_k, lam_k1), 1.0)]
    else:
        h, E = np.linalg.eigh(2.0 * np.array([[lam_k, -lam_k1], [-lam_k1, lam_k1]]))
        directions = [(float(h[e]), abs(E[0, e] * (E[0, e] + E[1, e]))) for e in range(2)]
    align = 0.0
    for curvature, weight in directions:
        contraction = abs(1.0 - eta * curvature)
        if contraction >= 1.0:
            return math.inf
        align = max(align, math.log(max(angle_half * weight / tol, 1.0)) / -math.log(contraction))
    return plateau + align


@dataclass
class NetworkPrediction:
    """What :func:`predict_network` expects one GD run to do, in steps (None: not within the
    horizon, or never).

    ``pi0`` and ``half_times`` per mode; ``angle_steps`` for the decoder's largest principal
    angle to stay below the tolerance, ``encoder_angle_steps`` the same for the encoder's row
    space, ``loss_steps`` for (L − L*)/L* to stay below its tolerance.

    >>> NetworkPrediction([1e-6], [43], 62, 90, 88).angle_steps
    62
    """

    pi0: list[float]
    half_times: list[int | None]
    angle_steps: int | None
    encoder_angle_steps: int | None
    loss_steps: int | None


def _mode_strengths(lr: float, lam: float, pi0: float, horizon: int) -> np.ndarray | None:
    """π(t) = v(t)² of one balanced mode under v ← v + 2ηλ v(1 − v²), v(0) = √π0, until it has
    settled (then the array ends) or the horizon; None if it blows up."""
    v = math.sqrt(pi0)
    values = [pi0]
    settled = 0
    for _ in range(horizon):
        v = v + 2.0 * lr * lam * v * (1.0 - v * v)
        if not math.isfinite(v) or abs(v) > 1e3:
            return None
        values.append(v * v)
        settled = settled + 1 if abs(1.0 - v * v) < 1e-15 else 0
        if settled >= 3:
            break
    return np.array(values)


def _last_failure(values: np.ndarray, tol: float) -> int | None:
    """The first index after which values stay below tol (None if the last one fails)."""
    failing = np.flatnonzero(~(values < tol))
    if failing.size == 0:
        return 0
    last = int(failing[-1])
    return None if last == values.size - 1 else last + 1


def predict_network(W_e: Any, W_d: Any, eigenvalues: Any, components: Any, lr: float,
                    angle_tol: float = 1e-3, loss_rtol: float = 1e-6,
                    horizon: int = 200_000) -> NetworkPrediction:
    """Predict one GD run from its initial weights, without running the network (THEORY.md §5).

    Centred data, biases 0, eigenvalues λ (descending) with eigenvectors ``components`` (m, m)
    as columns, W_e (k, m), W_d (m, k), step η = ``lr``. In the eigenbasis write
    a_j = W_dᵀ u_j and b_j = W_e u_j (k-vectors).

    1. **Modes** i ≤ k: latent direction o_i and π0_i from :func:`effective_pi0`; π_i(t) from
       the balanced mode map v ← v + 2ηλ_i v(1 − v²), v(0) = √π0_i; T½_i = first π_i ≥ ½.
    2. **Plateau growth** of every discarded direction j > k along o_i: with s = o_i·(a_j + b_j)/2
       and d = o_i·(a_j − b_j)/2, z = (decoder, encoder) = s(1 + 2ηλ_j)^t ± d(1 − 2ηλ_j)^t up to
       T½_i (the linearisation at the origin, where I − W_d W_e ≈ I).
    3. **Alignment**: after T½_i the pair z = (decoder, encoder) follows the GD map at the
       optimum, z ← (I − ηH)z with H = 2 [[λ_i, −λ_j], [−λ_j, λ_j]] (eigenvalues h_f and h_s,
       THEORY.md §3.4), in closed form z(T½ + τ) = Σ_e c_e e_e (1 − η h_e)^τ.
    4. **Criteria**: tan²θ_dec ≈ Σ_ij z_dec² / π_i, tan²θ_enc ≈ Σ_ij z_enc² / π_i and
       L − L* ≈ Σ_i λ_i (1 − π_i)² + Σ_ij ½ zᵀ H z; each predicted count is the first step after
       which its quantity stays below tolerance.

    Accurate to a few per cent when σ0 ≲ 1e-3 and ηλ_1 ≤ 0.4 (see docs/convergence.md).

    >>> U = np.eye(2); W_e = np.array([[1e-3, 2e-4]]); W_d = np.array([[5e-4], [-1e-4]])
    >>> p = predict_network(W_e, W_d, [1.0, 0.25], U, lr=0.1)
    >>> p.half_times, p.angle_steps, p.loss_steps
    ([39], 31, 55)
    """
    eta = _check_positive("predict_network", "lr", lr)
    angle_limit = _check_positive("predict_network", "angle_tol", angle_tol)
    loss_limit = _check_positive("predict_network", "loss_rtol", loss_rtol)
    encoder = np.asarray(W_e, dtype=np.float64)
    decoder = np.asarray(W_d, dtype=np.float64)
    order = np.argsort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    lam, k = _spectrum_pair("predict_network", eigenvalues, encoder.shape[0])
    U = np.asarray(components, dtype=np.float64)
    m = lam.size
    if U.shape != (m, m) or decoder.shape != (m, k) or encoder.shape != (k, m):
        raise ValueError(f"predict_network: need W_e (k, m), W_d (m, k) and components (m, m) "
                         f"with m = {m} eigenvalues, got {encoder.shape}, {decoder.shape} and "
                         f"{U.shape}")
    U = U[:, order]
    a = U.T @ decoder        # row j: a_j = W_dᵀ u_j
    b = (encoder @ U).T      # row j: b_j = W_e u_j
    pi0 = effective_pi0(encoder, decoder, U[:, :k])
    g = (a[:k] + b[:k]) / 2.0
    latent: list[np.ndarray] = []
    for vector in g:
        residual = vector - sum(((o @ vector) * o for o in latent), np.zeros(k))
        norm = float(np.linalg.norm(residual))
        latent.append(residual / norm if norm > 0 else residual)
    empty = NetworkPrediction([float(p) for p in pi0], [None] * k, None, None, None)
    if np.any(pi0 <= 0) or np.any(pi0 >= 0.5):
        return empty

    strengths: list[np.ndarray] = []
    half_times: list[int] = []
    for i in range(k):
        trajectory = _mode_strengths(eta, float(lam[i]), float(pi0[i]), horizon)
        if trajectory is None or trajectory[-1] < 0.5 or abs(1 - trajectory[-1]) > 1e-6:
            return empty
        strengths.append(trajectory)
        half_times.append(int(np.argmax(trajectory >= 0.5)))

    # Every (mode i, discarded j) pair: linear growth up to T½_i, two relaxation terms after.
    pairs = []
    end = max(len(s) for s in strengths)
    for i in range(k):
        for j in range(k, m):
            s = latent[i] @ (a[j] + b[j]) / 2.0
            d = latent[i] @ (a[j] - b[j]) / 2.0
            rates = (1 + 2 * eta * lam[j], 1 - 2 * eta * lam[j])
            growth, decay = (r ** half_times[i] for r in rates)
            z0 = np.array([s * growth + d * decay, s * growth - d * decay])
            H = 2.0 * np.array([[lam[i], -lam[j]], [-lam[j], lam[j]]])
            h, E = np.linalg.eigh(H)
            factors = 1.0 - eta * h
            if np.any(np.abs(factors) >= 1.0):
                return NetworkPrediction(empty.pi0, list(half_times), None, None, None)
            coefficients = E.T @ z0
            pairs.append((i, s, d, rates, H, E, coefficients, factors))
            # When can this pair's slowest term be below every tolerance? Evaluate that far.
            size = np.abs(coefficients).max() + 1e-300
            floor = min(angle_limit, math.sqrt(loss_limit * lam[k:].sum())) / (4 * m * k)
            rate = -math.log(np.abs(factors).max())
            end = max(end, half_times[i] + int(max(0.0, math.log(size / floor)) / rate) + 2)
    end = min(end, horizon)
    t = np.arange(end + 1)
    pi = np.ones((k, t.size))
    for i, trajectory in enumerate(strengths):
        n = min(trajectory.size, t.size)
        pi[i, :n] = trajectory[:n]
    loss_excess = (lam[:k, None] * (1.0 - pi) ** 2).sum(axis=0)
    tan2_dec = np.zeros(t.size)
    tan2_enc = np.zeros(t.size)
    for i, s, d, rates, H, E, coefficients, factors in pairs:
        before = t < half_times[i]
        tau = np.maximum(t - half_times[i], 0)
        terms = coefficients[:, None] * factors[:, None] ** tau  # integer powers: signs ok
        z = E @ terms  # (2, time): decoder, encoder, after T½_i
        plateau = s * rates[0] ** np.minimum(t, half_times[i])
        fading = d * rates[1] ** np.minimum(t, half_times[i])
        z[0] = np.where(before, plateau + fading, z[0])
        z[1] = np.where(before, plateau - fading, z[1])
        tan2_dec += z[0] ** 2 / pi[i]
        tan2_enc += z[1] ** 2 / pi[i]
        loss_excess += np.where(before, 0.0, 0.5 * np.einsum("at,ab,bt->t", z, H, z))
    relative = loss_excess / lam[k:].sum()
    return NetworkPrediction(
        pi0=[float(p) for p in pi0],
        half_times=list(half_times),
        angle_steps=_last_failure(np.arctan(np.sqrt(tan2_dec)), angle_limit),
        encoder_angle_steps=_last_failure(np.arctan(np.sqrt(tan2_enc)), angle_limit),
        loss_steps=_last_failure(relative, loss_limit),
    )


def sgd_noise_floor(X: Any, n_components: int, lr: float, batch_size: int,
                    balance: float = 1.0) -> float:
    """The RMS decoder angle where constant-step minibatch SGD stalls, for iid batches.

    At the PCA solution each sample's gradient is not zero, only their mean is. In the
    eigenbasis (y = Uᵀ(x − μ)) sample n pushes the decoder tilt of pair (i ≤ k, j > k) by
    −2 y_i y_j and the encoder not at all (W_dᵀ r = 0 there). A batch of B rows drawn without
    replacement from N has gradient noise variance c_ij = 4 mean(y_i² y_j²) (N − B)/(B(N − 1)).
    The tilt z = (decoder, encoder) then follows z ← (I − ηH)z + η ξ, H as in
    :func:`predict_network`, whose stationary covariance solves the discrete Lyapunov equation

        V = (I − ηPH) V (I − ηPH)ᵀ + η² P diag(c_ij, 0) P,     P = diag(1/c², c²)

    and the floor is θ_rms ≈ √(Σ_ij V_dec,dec); for small η and c = 1, ≈ √(η c_ij / (2 h_s))
    per pair: proportional to √(η · noise / gap). ``balance`` c is the decoder's scale along
    the modes (W_d = c U_k O, W_e = Oᵀ U_kᵀ / c): GD from a small init keeps c = 1, but SGD's
    noise slowly unbalances the layers (the conserved B of THEORY.md §1.3 drifts by
    −η²‖G_d‖² per step), and a larger c slows the decoder (P) and lowers the floor about ∝ 1/c.
    Batches redrawn independently each step match this; reshuffled epochs
    (``data.minibatches``) cancel the noise over each epoch and stall lower.

    >>> X, _ = _data.with_spectrum(200, [1.0, 0.25], seed=0)
    >>> round(sgd_noise_floor(X, 1, lr=0.1, batch_size=16), 3)
    0.04
    >>> round(sgd_noise_floor(X, 1, lr=0.1, batch_size=16, balance=2.0), 3)
    0.021
    """
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(f"sgd_noise_floor: X must be (n_samples, n_features) with at least 2 "
                         f"samples, got shape {array.shape}")
    eta = _check_positive("sgd_noise_floor", "lr", lr)
    scale = _check_positive("sgd_noise_floor", "balance", balance)
    n, m = array.shape
    if isinstance(batch_size, bool) or not 1 <= int(batch_size) <= n:
        raise ValueError(f"sgd_noise_floor: batch_size must be from 1 to n_samples = {n}, got "
                         f"{batch_size!r}")
    values, vectors = _pca.covariance_spectrum(array)
    lam, k = _spectrum_pair("sgd_noise_floor", values, n_components)
    y = (array - array.mean(axis=0)) @ vectors
    factor = (n - batch_size) / (batch_size * (n - 1))
    precondition = np.diag([1.0 / scale**2, scale**2])
    total = 0.0
    for i in range(k):
        for j in range(k, m):
            noise = 4.0 * float(np.mean(y[:, i] ** 2 * y[:, j] ** 2)) * factor
            H = 2.0 * np.array([[lam[i], -lam[j]], [-lam[j], lam[j]]])
            step = np.eye(2) - eta * precondition @ H
            source = eta**2 * precondition @ np.diag([noise, 0.0]) @ precondition
            system = np.eye(4) - np.kron(step, step)
            covariance = np.linalg.solve(system, source.reshape(-1)).reshape(2, 2)
            total += covariance[0, 0]
    return float(math.sqrt(max(total, 0.0)))


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------


@dataclass
class ConvergenceResult:
    """One training run of :func:`train_until_pca`: when it reached PCA, and how it got there.

    Step counts are optimizer updates; ``steps_to_angle`` is the first recorded step after
    which the largest principal angle between col(W_d) and the top-k PCA subspace stayed
    below ``angle_tol`` until the run ended, ``steps_to_loss`` the same for
    (L − L*)/L* < ``loss_rtol``, ``steps_to_encoder_angle`` for the encoder's row space (not
    a criterion; it explains slow loss tails). None: not reached by the end of the run.
    ``steps`` is the later of the two criteria. ``seconds_*`` are wall times from the first
    step. Traces hold one entry per recorded step: ``trace_steps``, ``trace_loss`` (full-batch
    paper loss), ``trace_angle``, ``trace_encoder_angle`` (radians) and ``trace_pi``
    (records × k mode strengths π_j = u_jᵀ W_d W_e u_j). ``half_times`` are the measured T½
    (first step with π_j ≥ ½) and ``saxe_half_times`` the :func:`saxe_half_time` values from
    the run's own π0; ``prediction`` is :func:`predict_network` (full-batch methods on centred
    data only). ``params`` are the final W_e, b_e, W_d, b_d.

    >>> X, _ = _data.with_spectrum(100, [1.0, 0.1], seed=1)
    >>> result = train_until_pca(X, 1, lr=0.2, seed=1)
    >>> result.steps == max(result.steps_to_angle, result.steps_to_loss), result.final_angle < 1e-3
    (True, True)
    """

    method: str
    lr: float
    init_scale: float
    batch_size: int | None
    n_components: int
    eigenvalues: np.ndarray
    min_loss: float
    steps_to_angle: int | None
    steps_to_loss: int | None
    steps_to_encoder_angle: int | None
    seconds_to_angle: float | None
    seconds_to_loss: float | None
    steps_run: int
    seconds: float
    converged: bool
    diverged: bool
    half_times: list[int | None]
    pi0: list[float]
    saxe_half_times: list[float | None]
    prediction: NetworkPrediction | None
    trace_steps: np.ndarray
    trace_loss: np.ndarray
    trace_angle: np.ndarray
    trace_encoder_angle: np.ndarray
    trace_pi: np.ndarray
    params: dict[str, np.ndarray] = field(repr=False)

    @property
    def steps(self) -> int | None:
        """Steps until both criteria hold for good: max(steps_to_angle, steps_to_loss)."""
        if self.steps_to_angle is None or self.steps_to_loss is None:
            return None
        return max(self.steps_to_angle, self.steps_to_loss)

    @property
    def final_angle(self) -> float:
        """The decoder's largest principal angle at the last recorded step, in radians."""
        return float(self.trace_angle[-1])

    @property
    def final_loss_gap(self) -> float:
        """(L − L*)/L* at the last recorded step."""
        return float((self.trace_loss[-1] - self.min_loss) / self.min_loss)

    def floor_angle(self, fraction: float = 0.5) -> float:
        """The RMS decoder angle over the last ``fraction`` of the records: where a noisy
        method stalls (compare with :func:`sgd_noise_floor`)."""
        tail = self.trace_angle[int(len(self.trace_angle) * (1 - fraction)):]
        return float(np.sqrt(np.mean(tail**2))) if tail.size else math.nan

    def __repr__(self) -> str:
        return (f"ConvergenceResult(method={self.method!r}, lr={self.lr:g}, "
                f"steps_to_angle={self.steps_to_angle}, steps_to_loss={self.steps_to_loss}, "
                f"half_times={self.half_times}, converged={self.converged}, "
                f"diverged={self.diverged}, steps_run={self.steps_run})")


class _Evaluator:
    """Full-batch loss, principal angles and mode strengths from parameters, in numpy."""

    def __init__(self, X: np.ndarray, k: int, caller: str) -> None:
        spectrum = _pca.covariance_spectrum(X)
        lam = spectrum.eigenvalues
        if not lam[k] > 0 or not lam[k - 1] > lam[k] * (1 + 1e-9):
            raise ValueError(f"{caller}: the PCA subspace must be unique and the bound "
                             f"positive, i.e. λ_k > λ_(k+1) > 0; X has λ_k = {lam[k - 1]:.6g} "
                             f"and λ_(k+1) = {lam[k]:.6g}")
        self.X = X
        self.n_samples = X.shape[0]
        self.eigenvalues = lam
        self.components = spectrum.eigenvectors
        self.top = spectrum.eigenvectors[:, :k]
        self.rest = spectrum.eigenvectors[:, k:]
        self.min_loss = _pca.min_reconstruction_loss(X, k)
        self.mean = X.mean(axis=0)

    def loss(self, W_e: np.ndarray, b_e: np.ndarray, W_d: np.ndarray,
             b_d: np.ndarray) -> float:
        residual = self.X - (self.X @ W_e.T + b_e) @ W_d.T - b_d
        return float(np.einsum("ij,ij->", residual, residual) / self.n_samples)

    def angle(self, W: np.ndarray) -> float:
        """Largest principal angle between col(W) and the top-k subspace: arcsin of
        ‖(I − U_k U_kᵀ) Q‖₂ with Q = orth(W), accurate at small angles."""
        Q, _ = np.linalg.qr(W)
        sine = float(np.linalg.norm(self.rest.T @ Q, 2))
        return float(np.arcsin(min(sine, 1.0)))

    def strengths(self, W_e: np.ndarray, W_d: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->j", self.top, W_d @ (W_e @ self.top))


def _linear_params(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(W_e, b_e, W_d, b_d) as numpy arrays, for a LinearAutoencoder or a PaperAutoencoder."""
    if isinstance(model, _models.PaperAutoencoder):
        v = {name: float(getattr(model, name).data) for name in model.PARAM_NAMES}
        return (np.array([[v["w1"], v["w2"]]]), np.array([v["b1"]]),
                np.array([[v["w3"]], [v["w4"]]]), np.array([v["b2"], v["b3"]]))
    encoder, decoder = model.encoder, model.decoder
    k, m = encoder.weight.shape
    b_e = encoder.bias.data if encoder.bias is not None else np.zeros(k)
    b_d = decoder.bias.data if decoder.bias is not None else np.zeros(m)
    return encoder.weight.data, b_e, decoder.weight.data, b_d


def _build_model(kind: str, m: int, k: int, init_scale: float, rng: np.random.Generator,
                 bias: bool) -> _nn.Module:
    """The model with weights iid N(0, σ0²) (W_e drawn first, then W_d) and biases 0."""
    W_e = rng.normal(0.0, init_scale, size=(k, m))
    W_d = rng.normal(0.0, init_scale, size=(m, k))
    if kind == "paper":
        return _models.PaperAutoencoder(w1=W_e[0, 0], w2=W_e[0, 1], w3=W_d[0, 0], w4=W_d[1, 0],
                                        b1=0.0, b2=0.0, b3=0.0, seed=rng)
    model = _models.LinearAutoencoder(m, k, bias=bias, rng=rng)
    np.copyto(model.encoder.weight.data, W_e)
    np.copyto(model.decoder.weight.data, W_d)
    for layer in (model.encoder, model.decoder):
        if layer.bias is not None:
            layer.bias.data[...] = 0.0
    return model


def _batches(X: np.ndarray, batch_size: int | None, sampling: str,
             rng: np.random.Generator) -> Iterator[Tensor]:
    """Endless training batches: the full batch, reshuffled epochs, or iid draws."""
    if batch_size is None:
        full = Tensor(X)
        while True:
            yield full
    if sampling == "iid":
        while True:
            yield Tensor(X[np.sort(rng.choice(X.shape[0], batch_size, replace=False))])
    while True:
        for batch in _data.minibatches(X, batch_size, shuffle="rows", seed=rng):
            yield Tensor(batch)


def train_until_pca(
    X: Any,
    n_components: int,
    method: str = "gd",
    lr: float = 0.1,
    init_scale: float = 1e-3,
    batch_size: int | None = None,
    max_steps: int = 20_000,
    seed: int | np.random.Generator | None = None,
    angle_tol: float = 1e-3,
    loss_rtol: float = 1e-6,
    record_every: int = 1,
    *,
    model: str = "linear",
    momentum: float = 0.9,
    sampling: str = "epoch",
    bias: bool = True,
    hold: int = _HOLD,
    predict: bool = True,
) -> ConvergenceResult:
    """Train a linear autoencoder with our engine until it sits on the PCA solution; time it.

    The model (``model="linear"``: ``models.LinearAutoencoder(m, k, bias)``; ``"paper"``: the
    seed's 2-1-2 ``models.PaperAutoencoder``, m = 2, k = 1) starts with weights iid
    N(0, ``init_scale``²) and biases 0. Each step builds the paper loss
    L = (1/N_b) Σ_b ‖x_b − x̂_b‖² on a batch with our Tensors, calls ``backward()`` and
    steps the optimizer:

    - ``"gd"``: ``optim.SGD(lr)`` on the full batch (``batch_size=None``);
    - ``"sgd"``: ``optim.SGD(lr)`` on minibatches of ``batch_size`` rows, either reshuffled
      epochs (``sampling="epoch"``, ``data.minibatches``) or drawn anew each step (``"iid"``);
    - ``"momentum"``: ``optim.SGD(lr, momentum)`` (heavy ball), full batch unless
      ``batch_size`` is given;
    - ``"adam"``: ``optim.Adam(lr)``, likewise.

    Every ``record_every`` steps the full-batch loss, the principal angles and the mode
    strengths are evaluated in numpy from the parameters (no graph). Two criteria:
    (a) the largest principal angle between col(W_d) and the top-k PCA subspace of the
    1/N covariance is below ``angle_tol`` (radians), (b) (L − L*)/L* < ``loss_rtol`` with
    L* = ``pca.min_reconstruction_loss(X, k)``. Training stops once both have held for
    ``hold`` steps, at ``max_steps``, or when the loss overflows (``diverged``).

    X is (n_samples, n_features) with λ_k > λ_(k+1) > 0. Returns a :class:`ConvergenceResult`.

    >>> X, _ = _data.with_spectrum(200, [1.0, 0.25], seed=0)
    >>> result = train_until_pca(X, 1, lr=0.1, init_scale=1e-3, seed=0)
    >>> result.converged, result.steps_to_angle, result.steps_to_loss, result.half_times
    (True, 72, 100, [53])
    >>> result.prediction.angle_steps, result.prediction.loss_steps
    (71, 100)
    """
    caller = "train_until_pca"
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2 or not np.all(np.isfinite(array)):
        raise ValueError(f"{caller}: X must be a finite (n_samples, n_features) array with at "
                         f"least 2 samples, got shape {array.shape}")
    n, m = array.shape
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
            or not 1 <= n_components < m:
        raise ValueError(f"{caller}: n_components must be an integer from 1 to n_features − 1 "
                         f"= {m - 1}, got {n_components!r}")
    k = int(n_components)
    if method not in METHODS:
        raise ValueError(f"{caller}: method must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {method!r}")
    if model not in ("linear", "paper"):
        raise ValueError(f"{caller}: model must be 'linear' or 'paper', got {model!r}")
    if model == "paper" and (m != 2 or k != 1):
        raise ValueError(f"{caller}: model='paper' is the 2-1-2 network; it needs X with 2 "
                         f"features and n_components=1, got {m} and {k}")
    eta = _check_positive(caller, "lr", lr)
    sigma = _check_positive(caller, "init_scale", init_scale)
    angle_limit = _check_positive(caller, "angle_tol", angle_tol)
    loss_limit = _check_positive(caller, "loss_rtol", loss_rtol)
    for name, value in (("max_steps", max_steps), ("record_every", record_every),
                        ("hold", hold)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{caller}: {name} must be a positive integer, got {value!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not 1 <= batch_size <= n):
        raise ValueError(f"{caller}: batch_size must be None (full batch) or from 1 to "
                         f"n_samples = {n}, got {batch_size!r}")
    if method == "gd" and batch_size is not None:
        raise ValueError(f"{caller}: method='gd' is full-batch gradient descent; pass "
                         f"batch_size=None, or method='sgd' for minibatches")
    if method == "sgd" and batch_size is None:
        raise ValueError(f"{caller}: method='sgd' needs a batch_size; for full-batch "
                         f"gradient descent use method='gd'")
    if sampling not in ("epoch", "iid"):
        raise ValueError(f"{caller}: sampling must be 'epoch' or 'iid', got {sampling!r}")

    evaluator = _Evaluator(array, k, caller)
    rng = np.random.default_rng(seed)
    network = _build_model(model, m, k, sigma, rng, bias)
    params = network.parameters()
    optimizer: _optim.Optimizer
    if method == "adam":
        optimizer = _optim.Adam(params, lr=eta)
    else:
        optimizer = _optim.SGD(params, lr=eta, momentum=momentum if method == "momentum" else 0)

    W_e, b_e, W_d, b_d = (np.array(p) for p in _linear_params(network))
    pi0 = effective_pi0(W_e, W_d, evaluator.top)
    beta = momentum if method == "momentum" else 0.0
    saxe = [saxe_half_time(eta, float(lam), float(p), beta) if 0 < p < 1 else None
            for lam, p in zip(evaluator.eigenvalues[:k], pi0)]
    centred = float(np.linalg.norm(evaluator.mean)) <= 1e-9 * (1 + math.sqrt(
        float(evaluator.eigenvalues[0])))
    prediction = None
    if predict and centred and batch_size is None and method == "gd":
        prediction = predict_network(W_e, W_d, evaluator.eigenvalues, evaluator.components,
                                     eta, angle_limit, loss_limit, horizon=max_steps)

    def loss_of(batch: Tensor) -> Tensor:
        if isinstance(network, _models.PaperAutoencoder):
            return network.loss(batch)
        return _nn.mse_loss(network(batch), batch, reduction="paper")

    steps_log: list[int] = []
    times: list[float] = []
    losses: list[float] = []
    angles: list[float] = []
    encoder_angles: list[float] = []
    strengths: list[np.ndarray] = []
    since = {"angle": 0, "loss": 0, "encoder": 0}
    holding = {"angle": False, "loss": False, "encoder": False}
    half_times: list[int | None] = [None] * k
    diverged = False
    start = time.perf_counter()
    initial_loss = evaluator.loss(W_e, b_e, W_d, b_d)

    def record(step: int) -> bool:
        """Evaluate and log; return True to stop (diverged or both criteria held long)."""
        nonlocal diverged
        W_e, b_e, W_d, b_d = _linear_params(network)
        loss = evaluator.loss(W_e, b_e, W_d, b_d)
        if not math.isfinite(loss) or loss > 1e8 * (1.0 + initial_loss):
            diverged = True
            return True
        pi = evaluator.strengths(W_e, W_d)
        checks = {"angle": evaluator.angle(W_d), "encoder": evaluator.angle(W_e.T),
                  "loss": (loss - evaluator.min_loss) / evaluator.min_loss}
        limits = {"angle": angle_limit, "encoder": angle_limit, "loss": loss_limit}
        for name, value in checks.items():
            ok = value < limits[name]
            if ok and not holding[name]:
                since[name] = step
            holding[name] = ok
        for j in range(k):
            if half_times[j] is None and pi[j] >= 0.5:
                half_times[j] = step
        steps_log.append(step)
        times.append(time.perf_counter() - start)
        losses.append(loss)
        angles.append(checks["angle"])
        encoder_angles.append(checks["encoder"])
        strengths.append(pi)
        return (holding["angle"] and holding["loss"]
                and step - max(since["angle"], since["loss"]) >= hold)

    batches = _batches(array, batch_size, sampling, rng)
    step = 0
    stop = record(0)
    with np.errstate(over="ignore", invalid="ignore"):
        while not stop and step < max_steps:
            batch = next(batches)
            optimizer.zero_grad()
            loss_of(batch).backward()
            optimizer.step()
            step += 1
            if step % record_every == 0 or step == max_steps:
                stop = record(step)
    seconds = time.perf_counter() - start

    def reached(name: str) -> int | None:
        return since[name] if holding[name] and not diverged else None

    def seconds_at(when: int | None) -> float | None:
        return None if when is None else times[steps_log.index(when)]

    converged = (not diverged and holding["angle"] and holding["loss"]
                 and step - max(since["angle"], since["loss"]) >= hold)
    W_e, b_e, W_d, b_d = (np.array(p) for p in _linear_params(network))
    return ConvergenceResult(
        method=method, lr=eta, init_scale=sigma, batch_size=batch_size, n_components=k,
        eigenvalues=evaluator.eigenvalues, min_loss=evaluator.min_loss,
        steps_to_angle=reached("angle"), steps_to_loss=reached("loss"),
        steps_to_encoder_angle=reached("encoder"),
        seconds_to_angle=seconds_at(reached("angle")),
        seconds_to_loss=seconds_at(reached("loss")),
        steps_run=step, seconds=seconds, converged=converged, diverged=diverged,
        half_times=half_times, pi0=[float(p) for p in pi0], saxe_half_times=saxe,
        prediction=prediction,
        trace_steps=np.array(steps_log), trace_loss=np.array(losses),
        trace_angle=np.array(angles), trace_encoder_angle=np.array(encoder_angles),
        trace_pi=np.array(strengths).reshape(len(steps_log), k),
        params={"W_e": W_e, "b_e": b_e, "W_d": W_d, "b_d": b_d},
    )


# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------

STAIRCASE_SPECTRUM = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02)
"""λ of the k = 3, m = 6 staircase run (THEORY.md §5)."""

# Medians of THEORY.md §5's table (2-1-2 network, σ0 = 1e-3, 20 seeds), keyed by (λ1/λ2, ηλ1):
# (T½, T_dec, T_loss). Kept for the comparison column of the paper table.
THEORY_TABLE_5: dict[tuple[float, float], tuple[int, int, int]] = {
    (1.5, 0.05): (82, 404, 384), (1.5, 0.1): (43, 205, 196), (1.5, 0.2): (23, 106, 101),
    (1.5, 0.4): (13, 55, 53), (2.0, 0.05): (82, 247, 256), (2.0, 0.1): (43, 127, 132),
    (2.0, 0.2): (23, 67, 69), (2.0, 0.4): (13, 36, 37), (4.0, 0.05): (82, 118, 169),
    (4.0, 0.1): (43, 62, 88), (4.0, 0.2): (23, 34, 48), (4.0, 0.4): (13, 20, 27),
    (10.0, 0.05): (82, 88, 130), (10.0, 0.1): (43, 46, 67), (10.0, 0.2): (23, 25, 35),
    (10.0, 0.4): (13, 14, 26), (100.0, 0.05): (82, 82, 130), (100.0, 0.1): (43, 42, 66),
    (100.0, 0.2): (23, 23, 32), (100.0, 0.4): (13, 14, 28),
}


@dataclass(frozen=True)
class _Cell:
    """One point of a sweep: everything a run needs except the seed."""

    sweep: str
    label: str
    x: float
    model: str = "linear"
    n_features: int = 4
    n_components: int = 2
    gap: float = 4.0
    eigenvalues: tuple[float, ...] | None = None
    lr: float = 0.1
    init_scale: float = 1e-3
    method: str = "gd"
    batch_size: int | None = None
    sampling: str = "epoch"
    max_steps: int = 20_000
    n_samples: int = 200


def _cells(sweep: str, quick: bool) -> list[_Cell]:
    """The grid of one sweep (baseline: m = 4, k = 2, λ_k/λ_(k+1) = 4, η = 0.1, σ0 = 1e-3)."""
    cells: list[_Cell] = []
    if sweep == "eigengap":
        for gap in (1.5, 2.0, 4.0, 10.0, 100.0):
            cells.append(_Cell(sweep, f"{gap:g}", gap, gap=gap))
    elif sweep == "lr":
        steps: tuple[float, ...] = (0.1, 0.4, 0.55) if quick else (0.05, 0.1, 0.2, 0.4, 0.55)
        for rate in steps:
            # 0.55 > 1/(2λ_1): no minimum is stable; a short budget shows it never settles.
            cells.append(_Cell(sweep, f"{rate:g}", rate, lr=rate,
                               max_steps=1000 if rate > 0.5 else 20_000))
    elif sweep == "init":
        for scale in ((1e-2, 1e-5) if quick else (1e-2, 1e-3, 1e-5)):
            cells.append(_Cell(sweep, f"{scale:g}", scale, init_scale=scale))
    elif sweep == "batch":
        # k = 1 so that the largest principal angle is the only one (compare sgd_noise_floor).
        budget = 1500 if quick else 4000
        options: list[tuple[int | None, str]] = [(None, "epoch"), (64, "epoch"), (16, "epoch"),
                                                 (16, "iid")]
        if quick:
            options = [(16, "epoch")]
        for size, sampling in options:
            label = "full" if size is None else f"{size} ({sampling})"
            cells.append(_Cell(sweep, label, 200 if size is None else size, n_components=1,
                               method="gd" if size is None else "sgd", batch_size=size,
                               sampling=sampling, max_steps=budget))
    elif sweep == "dimension":
        shapes = ((2, 1), (16, 2)) if quick else ((2, 1), (4, 1), (8, 1), (16, 1), (4, 2),
                                                   (8, 2), (16, 2))
        for m, k in shapes:
            cells.append(_Cell(sweep, f"m={m}, k={k}", m, n_features=m, n_components=k))
    elif sweep == "method":
        choices: tuple[tuple[str, float, float], ...] = (
            ("gd", 0.1, 1e-3), ("momentum", 0.1, 1e-3), ("adam", 0.01, 1e-3)) if quick else (
            ("gd", 0.1, 1e-3), ("momentum", 0.1, 1e-3), ("momentum", 0.01, 1e-3),
            ("adam", 0.01, 1e-3), ("adam", 0.01, 1e-5), ("adam", 0.001, 1e-3))
        for method, rate, scale in choices:
            label = f"{method}, η={rate:g}" + ("" if scale == 1e-3 else f", σ0={scale:g}")
            cells.append(_Cell(sweep, label, rate, method=method, lr=rate, init_scale=scale))
    elif sweep == "paper":
        rates = (0.1,) if quick else (0.05, 0.1, 0.2, 0.4)
        for ratio in (1.5, 2.0, 4.0, 10.0, 100.0):
            for rate in rates:
                cells.append(_Cell(sweep, f"{ratio:g}, {rate:g}", ratio, model="paper",
                                   n_features=2, n_components=1, gap=ratio, lr=rate))
    elif sweep == "staircase":
        cells.append(_Cell(sweep, "k=3, m=6", 3, n_features=6, n_components=3,
                           eigenvalues=STAIRCASE_SPECTRUM))
    else:
        raise ValueError(f"study: unknown sweep {sweep!r}; choose from {', '.join(SWEEPS)}")
    return cells


def _cell_data(cell: _Cell, seed: int) -> np.ndarray:
    if cell.model == "paper":
        # λ = (1, 1/r): total variance 1 + 1/r, so ηλ_1 = η as in THEORY.md §5.
        return _data.correlated_2d(cell.n_samples, variance_ratio=cell.gap, angle=np.pi / 6,
                                   total_variance=1.0 + 1.0 / cell.gap, seed=seed, exact=True)
    lam = (np.array(cell.eigenvalues) if cell.eigenvalues is not None
           else make_spectrum(cell.n_features, cell.n_components, cell.gap))
    X, _ = _data.with_spectrum(cell.n_samples, lam, seed=seed)
    return X


def _finite(value: Any) -> Any:
    """JSON-safe numbers: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_finite(v) for v in value]
    return value


def _run_cell(task: tuple[_Cell, int]) -> dict[str, Any]:
    """Train one (cell, seed) and flatten the result into a row."""
    cell, seed = task
    X = _cell_data(cell, seed)
    result = train_until_pca(
        X, cell.n_components, method=cell.method, lr=cell.lr, init_scale=cell.init_scale,
        batch_size=cell.batch_size, max_steps=cell.max_steps,
        seed=np.random.default_rng([seed, 1]),  # independent of the data's stream
        model=cell.model, sampling=cell.sampling,
    )
    lam = result.eigenvalues
    k = cell.n_components
    prediction = result.prediction
    row: dict[str, Any] = {
        "sweep": cell.sweep, "label": cell.label, "x": cell.x, "seed": seed,
        "model": cell.model, "n_features": cell.n_features, "n_components": k,
        "gap": float(lam[k - 1] / lam[k]), "eigenvalues": lam, "lr": cell.lr,
        "lr_lambda1": cell.lr * float(lam[0]), "init_scale": cell.init_scale,
        "method": cell.method, "batch_size": cell.batch_size, "sampling": cell.sampling,
        "max_steps": cell.max_steps,
        "steps": result.steps, "steps_to_angle": result.steps_to_angle,
        "steps_to_loss": result.steps_to_loss,
        "steps_to_encoder_angle": result.steps_to_encoder_angle,
        "steps_run": result.steps_run, "seconds": result.seconds,
        "seconds_to_converge": (None if result.steps is None else
                                max(result.seconds_to_angle or 0.0, result.seconds_to_loss or 0.0)),
        "microseconds_per_step": 1e6 * result.seconds / max(result.steps_run, 1),
        "converged": result.converged, "diverged": result.diverged,
        "half_times": result.half_times, "pi0": result.pi0,
        "saxe_half_times": result.saxe_half_times,
        "saxe_continuous_half_times": [
            saxe_time(cell.lr, float(lam[j]), p, 0.5) if 0 < p < 0.5 else None
            for j, p in enumerate(result.pi0)],
        "transverse_curvature": transverse_curvature(float(lam[k - 1]), float(lam[k])),
        "predicted_half_times": prediction.half_times if prediction else None,
        "predicted_angle_steps": prediction.angle_steps if prediction else None,
        "predicted_encoder_steps": prediction.encoder_angle_steps if prediction else None,
        "predicted_loss_steps": prediction.loss_steps if prediction else None,
        "predicted_steps_own_pi0": None, "predicted_steps_typical": None,
        "predicted_steps_naive": None,
        "final_angle": result.final_angle, "final_loss_gap": result.final_loss_gap,
        "floor_angle": result.floor_angle(), "decoder_scale": None,
        "predicted_floor": None, "predicted_floor_unbalanced": None,
    }
    if cell.method in ("gd", "sgd") and cell.lr * lam[0] < 0.5 and 0 < result.pi0[-1] < 0.5:
        row["predicted_steps_own_pi0"] = predict_steps(cell.lr, lam, k, result.pi0[-1])
        row["predicted_steps_naive"] = predict_steps(cell.lr, lam, k, result.pi0[-1], naive=True)
        row["predicted_steps_typical"] = predict_steps(
            cell.lr, lam, k, expected_pi0(cell.init_scale, k))
    if cell.batch_size is not None:
        scale = float(np.sqrt(np.mean(np.linalg.svd(result.params["W_d"], compute_uv=False)
                                      ** 2)))
        row["decoder_scale"] = scale
        row["predicted_floor"] = sgd_noise_floor(X, k, cell.lr, cell.batch_size)
        row["predicted_floor_unbalanced"] = sgd_noise_floor(X, k, cell.lr, cell.batch_size,
                                                            balance=scale)
    return {key: _finite(value) for key, value in row.items()}


def _seed_list(seeds: int | Sequence[int] | None, quick: bool, sweep: str) -> list[int]:
    if seeds is None:
        count = 3 if quick else (20 if sweep == "paper" else 10)
        return list(range(count))
    if isinstance(seeds, (int, np.integer)):
        if isinstance(seeds, bool) or seeds < 1:
            raise ValueError(f"study: seeds must be a positive count or a list of seeds, got "
                             f"{seeds!r}")
        return list(range(int(seeds)))
    chosen = [int(s) for s in seeds]
    if not chosen:
        raise ValueError("study: seeds is an empty list; give at least one seed")
    return chosen


def study(quick: bool = False, seeds: int | Sequence[int] | None = None, progress: bool = True,
          sweeps: Iterable[str] = SWEEPS, workers: int | None = 1) -> list[dict[str, Any]]:
    """Run the convergence sweeps; return one row (a JSON-ready dict) per (setting, seed).

    Data: N = 200 samples with an exact spectrum (``data.with_spectrum``; λ_1 = 1 so η = ηλ_1,
    :func:`make_spectrum`), centred, a new rotation per seed; weights N(0, σ0²), biases 0. The
    baseline is m = 4, k = 2, λ_k/λ_(k+1) = 4, full-batch GD with η = 0.1, σ0 = 1e-3, and each
    sweep moves one thing:

    - ``eigengap``: λ_k/λ_(k+1) ∈ {1.5, 2, 4, 10, 100};
    - ``lr``: ηλ_1 ∈ {0.05, 0.1, 0.2, 0.4} and 0.55, just above the limit 1/(2λ_1);
    - ``init``: σ0 ∈ {1e-2, 1e-3, 1e-5};
    - ``batch``: k = 1, full batch vs SGD with 64 and 16 rows (reshuffled epochs) and 16 rows
      drawn iid, constant η, 4000 steps (they stall at a noise floor, reported as such);
    - ``dimension``: (m, k) ∈ {2, 4, 8, 16} × {1, 2};
    - ``method``: GD, heavy ball (β = 0.9) at η = 0.1 and 0.01, Adam at η = 0.01 (σ0 = 1e-3
      and 1e-5) and 0.001;
    - ``paper``: the seed's 2-1-2 ``PaperAutoencoder`` on ``data.correlated_2d(exact=True)``
      with λ = (1, 1/r), r ∈ {1.5, 2, 4, 10, 100}, ηλ_1 ∈ {0.05, 0.1, 0.2, 0.4} (THEORY.md §5);
    - ``staircase``: k = 3 of m = 6 with λ = (1, .5, .25, .1, .05, .02).

    ``seeds``: a count or a list (default 10, 20 for ``paper``; 3 with ``quick``). ``quick``
    also trims the grids and budgets (under a minute on two cores). ``workers`` > 1 runs
    settings in that many processes (None: one per CPU). Summarise with :func:`summarize`.

    >>> rows = study(quick=True, seeds=1, sweeps=["paper"], progress=False)
    >>> [(row["label"], row["converged"]) for row in rows][:2]
    [('1.5, 0.1', True), ('2, 0.1', True)]
    """
    chosen = list(sweeps)
    for sweep in chosen:
        if sweep not in SWEEPS:
            raise ValueError(f"study: unknown sweep {sweep!r}; choose from {', '.join(SWEEPS)}")
    tasks = [(cell, seed) for sweep in chosen for cell in _cells(sweep, quick)
             for seed in _seed_list(seeds, quick, sweep)]
    count = (os.cpu_count() or 1) if workers is None else int(workers)
    if count < 1:
        raise ValueError(f"study: workers must be a positive count or None, got {workers!r}")
    rows: list[dict[str, Any] | None] = [None] * len(tasks)
    with tqdm(total=len(tasks), desc="converge", unit="run", disable=not progress) as bar:
        if count == 1:
            for i, task in enumerate(tasks):
                rows[i] = _run_cell(task)
                bar.update()
        else:
            # Longest budgets first, so no worker is left with one long run at the end.
            order = sorted(range(len(tasks)), key=lambda i: -tasks[i][0].max_steps)
            with ProcessPoolExecutor(max_workers=count) as pool:
                futures = {i: pool.submit(_run_cell, tasks[i]) for i in order}
                for i in order:
                    rows[i] = futures[i].result()
                    bar.update()
    return [row for row in rows if row is not None]


def staircase_run(seed: int = 0, lr: float = 0.1, init_scale: float = 1e-3) -> ConvergenceResult:
    """One traced GD run of k = 3 of m = 6 (λ = 1, .5, .25, .1, .05, .02): the Saxe staircase.

    >>> result = staircase_run()
    >>> result.half_times, [round(t) for t in result.saxe_half_times]
    ([34, 69, 146], [34, 69, 146])
    """
    X, _ = _data.with_spectrum(200, STAIRCASE_SPECTRUM, seed=seed)
    return train_until_pca(X, 3, lr=lr, init_scale=init_scale, max_steps=20_000,
                           seed=np.random.default_rng([seed, 1]))


# ---------------------------------------------------------------------------------------------
# Summaries and tables
# ---------------------------------------------------------------------------------------------


def _quartiles(values: Iterable[float | None]) -> tuple[float, float, float] | None:
    """(median, 25th, 75th percentile), a missing value counting as +∞ (not reached)."""
    data = [math.inf if v is None else float(v) for v in values]
    if not data:
        return None
    big = 1e300
    q = np.quantile(np.minimum(data, big), [0.5, 0.25, 0.75])
    median, low, high = (math.inf if v >= big / 2 else float(v) for v in q)
    return median, low, high


def _ratios(rows: Sequence[dict[str, Any]], measured: str, predicted: str,
            index: int | None = None) -> list[float]:
    out = []
    for row in rows:
        a, b = row.get(measured), row.get(predicted)
        if index is not None:
            a = a[index] if a else None
            b = b[index] if b else None
        if a and b:
            out.append(b / a)
    return out


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per (sweep, setting), in run order: the count, how many converged or diverged,
    and (median, 25th, 75th percentile) of every measured and predicted step count over seeds.
    Runs that never reached a criterion count as +∞, so a median can be "not reached".

    >>> summarize([{"sweep": "lr", "label": "0.1", "steps": s, "converged": True}
    ...            for s in (10, 20, 30)])[0]["steps"]
    (20.0, 15.0, 25.0)
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["sweep"], row["label"]), []).append(row)
    keys = ["steps", "steps_to_angle", "steps_to_loss", "steps_to_encoder_angle",
            "predicted_angle_steps", "predicted_loss_steps", "predicted_encoder_steps",
            "predicted_steps_own_pi0", "predicted_steps_typical", "predicted_steps_naive",
            "final_angle", "final_loss_gap", "floor_angle", "predicted_floor",
            "predicted_floor_unbalanced", "decoder_scale", "seconds", "seconds_to_converge",
            "microseconds_per_step"]
    summaries = []
    for group in groups.values():
        first = group[0]
        summary: dict[str, Any] = {
            key: first.get(key) for key in ("sweep", "label", "x", "model", "n_features",
                                            "n_components", "gap", "lr", "lr_lambda1",
                                            "init_scale", "method", "batch_size", "sampling",
                                            "transverse_curvature", "max_steps")}
        summary["runs"] = len(group)
        summary["converged"] = sum(bool(r.get("converged")) for r in group)
        summary["diverged"] = sum(bool(r.get("diverged")) for r in group)
        for key in keys:
            if any(key in r and r[key] is not None for r in group):
                summary[key] = _quartiles(r.get(key) for r in group)
        k = int(first.get("n_components") or 1)
        for j in range(k):
            for key in ("half_times", "saxe_half_times", "saxe_continuous_half_times",
                        "predicted_half_times", "pi0"):
                values = [r[key][j] if r.get(key) else None for r in group]
                if any(v is not None for v in values):
                    summary[f"{key}_{j + 1}"] = _quartiles(values)
        summaries.append(summary)
    return summaries


def _steps(q: tuple[float, float, float] | None, iqr: bool = True, digits: int = 0) -> str:
    if q is None:
        return "–"
    median, low, high = q
    if math.isinf(median):
        return "not reached"

    def fmt(v: float) -> str:
        return "∞" if math.isinf(v) else f"{v:.{digits}f}"

    return f"{fmt(median)} [{fmt(low)}–{fmt(high)}]" if iqr else fmt(median)


def _sci(q: tuple[float, float, float] | None) -> str:
    return "–" if q is None or not math.isfinite(q[0]) else f"{q[0]:.2g}"


def _table(header: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def _ratio_cell(values: list[float]) -> str:
    if not values:
        return "–"
    q = np.quantile(values, [0.5, 0.05, 0.95])
    return f"{q[0]:.3f} [{q[1]:.3f}–{q[2]:.3f}]"


def markdown_tables(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Markdown for docs/convergence.md, one entry per sweep present in ``rows`` plus
    ``accuracy`` (predicted/measured ratios) and ``headline`` (the answer in one paragraph).
    Step counts read "median [25th–75th percentile]" over seeds.

    >>> rows = [{"sweep": "init", "label": "0.001", "init_scale": 1e-3, "steps_to_angle": 50,
    ...          "converged": True, "n_components": 1}]
    >>> print(markdown_tables(rows)["init"].splitlines()[2])
    | 0.001 | – | – | – | 50 [50–50] | – | – | – | 1/1 |
    """
    summaries = summarize(rows)
    by_sweep: dict[str, list[dict[str, Any]]] = {}
    for s in summaries:
        by_sweep.setdefault(s["sweep"], []).append(s)
    tables: dict[str, str] = {}

    def last(s: dict[str, Any], key: str) -> Any:
        return s.get(f"{key}_{int(s.get('n_components') or 1)}")

    def done(s: dict[str, Any]) -> str:
        text = f"{s['converged']}/{s['runs']}"
        return text + (f" ({s['diverged']} diverged)" if s.get("diverged") else "")

    if "eigengap" in by_sweep:
        tables["eigengap"] = _table(
            ["λ_k/λ_(k+1)", "h_s", "T½ (mode k)", "Saxe T½", "steps to angle",
             "predicted", "one-line (own π0)", "steps to loss", "predicted", "converged"],
            [[s["label"], f"{s['transverse_curvature']:.3f}", _steps(last(s, "half_times")),
              _steps(last(s, "saxe_half_times"), False), _steps(s.get("steps_to_angle")),
              _steps(s.get("predicted_angle_steps"), False),
              _steps(s.get("predicted_steps_own_pi0"), False), _steps(s.get("steps_to_loss")),
              _steps(s.get("predicted_loss_steps"), False), done(s)]
             for s in by_sweep["eigengap"]])
    if "lr" in by_sweep:
        lines = []
        for s in by_sweep["lr"]:
            eta = s["lr"]
            steps = s.get("steps")
            scaled = "–" if steps is None or math.isinf(steps[0]) else f"{steps[0] * eta:.1f}"
            lines.append([s["label"], _steps(s.get("steps_to_angle")),
                          _steps(s.get("steps_to_loss")), scaled,
                          _steps(last(s, "half_times")),
                          _steps(last(s, "saxe_half_times"), False),
                          _steps(last(s, "saxe_continuous_half_times"), False, 1),
                          _sci(s.get("final_loss_gap")), done(s)])
        tables["lr"] = _table(["ηλ_1", "steps to angle", "steps to loss", "steps × η",
                               "T½ (mode k)", "Saxe T½ discrete", "continuous",
                               "final (L − L*)/L*", "converged"], lines)
    if "init" in by_sweep:
        tables["init"] = _table(
            ["σ0", "π0 (mode k)", "T½ (mode k)", "Saxe T½", "steps to angle",
             "steps to loss", "encoder angle", "predicted loss", "converged"],
            [[s["label"], _sci(last(s, "pi0")), _steps(last(s, "half_times")),
              _steps(last(s, "saxe_half_times"), False), _steps(s.get("steps_to_angle")),
              _steps(s.get("steps_to_loss")), _steps(s.get("steps_to_encoder_angle")),
              _steps(s.get("predicted_loss_steps"), False), done(s)]
             for s in by_sweep["init"]])
    if "batch" in by_sweep:
        tables["batch"] = _table(
            ["batch", "steps to angle", "RMS angle, last half", "predicted floor (c = 1)",
             "decoder scale c", "predicted floor (c)", "final (L − L*)/L*", "converged"],
            [[s["label"], _steps(s.get("steps_to_angle")), _sci(s.get("floor_angle")),
              _sci(s.get("predicted_floor")), _sci(s.get("decoder_scale")),
              _sci(s.get("predicted_floor_unbalanced")), _sci(s.get("final_loss_gap")),
              done(s)] for s in by_sweep["batch"]])
    if "dimension" in by_sweep:
        tables["dimension"] = _table(
            ["shape", "T½ (mode k)", "steps to angle", "predicted", "steps to loss",
             "predicted", "µs per step", "converged"],
            [[s["label"], _steps(last(s, "half_times")), _steps(s.get("steps_to_angle")),
              _steps(s.get("predicted_angle_steps"), False), _steps(s.get("steps_to_loss")),
              _steps(s.get("predicted_loss_steps"), False),
              _steps(s.get("microseconds_per_step"), False), done(s)]
             for s in by_sweep["dimension"]])
    if "method" in by_sweep:
        tables["method"] = _table(
            ["method", "T½ mode 1", "T½ mode 2", "Saxe T½ (mode 2)", "steps to angle",
             "steps to loss", "final angle", "converged"],
            [[s["label"], _steps(s.get("half_times_1")), _steps(s.get("half_times_2")),
              _steps(s.get("saxe_half_times_2"), False) if s["method"] != "adam" else "–",
              _steps(s.get("steps_to_angle")), _steps(s.get("steps_to_loss")),
              _sci(s.get("final_angle")), done(s)] for s in by_sweep["method"]])
    if "paper" in by_sweep:
        lines = []
        for s in by_sweep["paper"]:
            ref = THEORY_TABLE_5.get((float(s["x"]), float(s["lr"])))
            lines.append([f"{s['x']:g}", f"{s['lr']:g}", _steps(s.get("half_times_1")),
                          _steps(s.get("saxe_half_times_1"), False),
                          "–" if ref is None else str(ref[0]),
                          _steps(s.get("steps_to_angle")),
                          _steps(s.get("predicted_angle_steps"), False),
                          "–" if ref is None else str(ref[1]),
                          _steps(s.get("steps_to_encoder_angle")),
                          _steps(s.get("steps_to_loss")),
                          _steps(s.get("predicted_loss_steps"), False),
                          "–" if ref is None else str(ref[2]), done(s)])
        tables["paper"] = _table(
            ["λ1/λ2", "ηλ1", "T½", "Saxe", "§5 T½", "T_dec", "predicted", "§5 T_dec", "T_enc",
             "T_loss", "predicted", "§5 T_loss", "converged"], lines)
    if "staircase" in by_sweep:
        s = by_sweep["staircase"][0]
        stair_rows = [r for r in rows if r["sweep"] == "staircase"]
        lines = []
        for j in range(int(s["n_components"])):
            lam = stair_rows[0]["eigenvalues"][j]
            measured = s.get(f"half_times_{j + 1}")
            lines.append([str(j + 1), f"{lam:g}", _steps(measured),
                          _steps(s.get(f"saxe_half_times_{j + 1}"), False),
                          _ratio_cell(_ratios(stair_rows, "half_times", "saxe_half_times", j)),
                          "–" if measured is None else f"{measured[0] * lam:.1f}"])
        lines.append(["subspace", "", "", "", "", f"angle {_steps(s.get('steps_to_angle'))}, "
                      f"loss {_steps(s.get('steps_to_loss'))}"])
        tables["staircase"] = _table(["mode j", "λ_j", "T½ measured", "Saxe T½ (GS π0)",
                                      "Saxe / measured [5–95%]", "T½ · λ_j"], lines)
    tables["accuracy"] = _accuracy_table(rows)
    tables["headline"] = _headline(rows, summaries)
    return tables


def _accuracy_table(rows: Sequence[dict[str, Any]]) -> str:
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    lines = []
    half: list[float] = []
    cont: list[float] = []
    for r in gd:
        for j in range(int(r.get("n_components") or 1)):
            half += _ratios([r], "half_times", "saxe_half_times", j)
            cont += _ratios([r], "half_times", "saxe_continuous_half_times", j)
    lines.append(["T½, discrete Saxe (every mode)", _ratio_cell(half), str(len(half))])
    lines.append(["T½, continuous Saxe", _ratio_cell(cont), str(len(cont))])
    for rate in (0.1, 0.4):
        # λ_1 is 1 only to rounding, so compare ηλ_1 with a tolerance.
        chosen = [r for r in gd if abs(float(r.get("lr_lambda1") or 0.0) - rate) < 1e-9]
        discrete = [v for r in chosen for j in range(int(r.get("n_components") or 1))
                    for v in _ratios([r], "half_times", "saxe_half_times", j)]
        continuous = [v for r in chosen for j in range(int(r.get("n_components") or 1))
                      for v in _ratios([r], "half_times", "saxe_continuous_half_times", j)]
        if discrete:
            lines.append([f"T½ at ηλ₁ = {rate:g}: discrete / continuous Saxe",
                          f"{_ratio_cell(discrete)} / {_ratio_cell(continuous)}",
                          str(len(discrete))])
    for label, measured, predicted in (
            ("steps to angle, per network", "steps_to_angle", "predicted_angle_steps"),
            ("steps to loss, per network", "steps_to_loss", "predicted_loss_steps"),
            ("encoder angle, per network", "steps_to_encoder_angle", "predicted_encoder_steps"),
            ("steps to angle, one-line (own π0)", "steps_to_angle", "predicted_steps_own_pi0"),
            ("steps to angle, one-line naive", "steps_to_angle", "predicted_steps_naive"),
            ("steps to angle, one-line (typical π0)", "steps_to_angle",
             "predicted_steps_typical")):
        values = _ratios(gd, measured, predicted)
        lines.append([label, _ratio_cell(values), str(len(values))])
    return _table(["quantity", "predicted / measured, median [5th–95th pct]", "runs"], lines)


def _headline(rows: Sequence[dict[str, Any]], summaries: Sequence[dict[str, Any]]) -> str:
    paper = [s for s in summaries if s["sweep"] == "paper" and s["lr"] == 0.1]
    if not paper:
        return "(run the paper sweep for the headline)"
    pick = next((s for s in paper if s["x"] == 4.0), paper[0])
    spread = [s["steps"][0] for s in paper if s.get("steps")]
    angle = [s["steps_to_angle"][0] for s in paper if s.get("steps_to_angle")]
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    per_network = _ratios(gd, "steps_to_angle", "predicted_angle_steps")
    text = (
        f"With η = 0.1 (ηλ₁ = 0.1) and σ0 = 1e-3, the paper's 2-1-2 linear autoencoder on centred "
        f"data with λ₁/λ₂ = {pick['x']:g} reaches the PCA direction to 1e-3 rad in "
        f"{_steps(pick.get('steps_to_angle'))} steps and the loss to within 1e-6 of L* in "
        f"{_steps(pick.get('steps_to_loss'))} steps (median [IQR] over {pick['runs']} seeds). "
        f"Over λ₁/λ₂ from 1.5 to 100 the angle takes {min(angle):.0f}–{max(angle):.0f} steps "
        f"and both criteria {min(spread):.0f}–{max(spread):.0f}. ")
    if per_network:
        text += (f"Predicted from each network's own initial weights, without running it, the "
                 f"angle count is off by a median factor of {np.median(per_network):.3f} over "
                 f"{len(per_network)} full-batch GD runs.")
    return text


def traced_runs(quick: bool = False, seed: int = 0) -> dict[str, ConvergenceResult]:
    """The single runs whose traces the figures show: the k = 3 staircase (``"staircase"``),
    the baseline under GD, heavy ball and Adam (``"gd"``, ``"momentum"``, ``"adam"``), and
    k = 1 under full-batch GD and SGD (``"full"``, ``"sgd 64"``, ``"sgd 16"``, ``"sgd 16 iid"``).

    >>> sorted(traced_runs(quick=True))[:3]
    ['adam', 'full', 'gd']
    """
    runs = {"staircase": staircase_run(seed)}
    X, _ = _data.with_spectrum(200, make_spectrum(4, 2, 4.0), seed=seed)
    for name, method, rate in (("gd", "gd", 0.1), ("momentum", "momentum", 0.1),
                               ("adam", "adam", 0.01)):
        runs[name] = train_until_pca(X, 2, method=method, lr=rate, max_steps=5000,
                                     seed=np.random.default_rng([seed, 1]))
    X1, _ = _data.with_spectrum(200, make_spectrum(4, 1, 4.0), seed=seed)
    budget = 300 if quick else 4000
    for name, size, sampling in (("full", None, "epoch"), ("sgd 64", 64, "epoch"),
                                 ("sgd 16", 16, "epoch"), ("sgd 16 iid", 16, "iid")):
        runs[name] = train_until_pca(
            X1, 1, method="gd" if size is None else "sgd", lr=0.1, batch_size=size,
            sampling=sampling, max_steps=budget, hold=budget,
            seed=np.random.default_rng([seed, 1]))
    return runs


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def _figure(width: float, height: float, panels: int = 1) -> tuple[Any, list[Any]]:
    """A matplotlib Figure on the Agg canvas (no pyplot, no global backend change)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    axes = figure.subplots(1, panels) if panels > 1 else [figure.subplots()]
    return figure, list(axes)


def _legend(axis: Any, **options: Any) -> None:
    """A legend only when something is labelled (an empty sweep draws an empty panel)."""
    if axis.get_legend_handles_labels()[0]:
        axis.legend(**options)


def _medians(summaries: Sequence[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Medians of ``key`` and their (lower, upper) error bar lengths; NaN where unreached."""
    mid, err = [], []
    for s in summaries:
        q = s.get(key)
        if q is None or not math.isfinite(q[0]):
            mid.append(math.nan)
            err.append((0.0, 0.0))
        else:
            mid.append(q[0])
            err.append((q[0] - q[1], (q[2] - q[0]) if math.isfinite(q[2]) else 0.0))
    return np.array(mid), np.array(err).T.reshape(2, -1)


def _plot_predicted(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    gd = [r for r in rows if r.get("method") == "gd" and r.get("batch_size") is None
          and r.get("lr_lambda1", 1) < 0.5]
    figure, (left, right) = _figure(10, 4.4, 2)
    series = [("T½ (each mode)", "half_times", "predicted_half_times", "o", "tab:gray"),
              ("decoder angle < 1e-3", "steps_to_angle", "predicted_angle_steps", "s",
               "tab:blue"),
              ("(L − L*)/L* < 1e-6", "steps_to_loss", "predicted_loss_steps", "^", "tab:red")]
    values: list[float] = []
    for label, measured, predicted, marker, color in series:
        xs: list[float] = []
        ys: list[float] = []
        for r in gd:
            pairs: list[tuple[Any, Any]] = (
                list(zip(r.get("predicted_half_times") or [], r.get("half_times") or []))
                if measured == "half_times" else [(r.get(predicted), r.get(measured))])
            for p, m in pairs:
                if p and m:
                    xs.append(p)
                    ys.append(m)
        left.scatter(xs, ys, s=12, marker=marker, color=color, alpha=0.6, label=label)
        values += xs + ys
    for label, key, marker, color in (
            ("one-line, own π0", "predicted_steps_own_pi0", "o", "tab:blue"),
            ("one-line, typical π0 (σ0²k/2)", "predicted_steps_typical", "x", "tab:orange"),
            ("one-line, naive (slow rate only)", "predicted_steps_naive", "+", "tab:green")):
        found = [(r[key], r["steps_to_angle"]) for r in gd if r.get(key) and
                 r.get("steps_to_angle")]
        if found:
            predicted_steps = [p for p, _ in found]
            measured_steps = [m for _, m in found]
            right.scatter(predicted_steps, measured_steps, s=14, marker=marker, color=color,
                          alpha=0.6, label=label)
            values += predicted_steps + measured_steps
    low, high = (min(values) / 1.5, max(values) * 1.5) if values else (1, 1e4)
    for axis, title in ((left, "per network (predict_network)"),
                        (right, "one line (predict_steps), decoder angle")):
        axis.plot([low, high], [low, high], "k-", lw=1, label="measured = predicted")
        axis.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high),
                 xlabel="predicted steps", ylabel="measured steps", title=title)
        _legend(axis, fontsize=8, loc="upper left")
        axis.grid(True, which="both", alpha=0.3)
    figure.suptitle(f"Measured vs predicted GD steps ({len(gd)} full-batch runs, ηλ₁ < ½)")
    figure.savefig(path)
    return path


def _plot_eigengap(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    figure, (axis,) = _figure(6.4, 4.4)
    groups = (("eigengap", "linear AE m=4, k=2", lambda s: True, "tab:blue"),
              ("paper", "2-1-2 paper network", lambda s: s["lr"] == 0.1, "tab:red"))
    for sweep, name, keep, color in groups:
        chosen = [s for s in summaries if s["sweep"] == sweep and keep(s)]
        if not chosen:
            continue
        x = np.array([s["x"] for s in chosen])
        for key, style, what in (("steps_to_angle", "o-", "angle"),
                                 ("steps_to_loss", "s--", "loss")):
            mid, err = _medians(chosen, key)
            axis.errorbar(x, mid, yerr=err, fmt=style, color=color, capsize=3, ms=4,
                          label=f"{name}: {what}", alpha=0.9 if what == "angle" else 0.6)
        mid, _ = _medians(chosen, "predicted_angle_steps")
        axis.plot(x, mid, ":", color="k", lw=1)
    axis.plot([], [], ":", color="k", lw=1, label="predicted (per network), angle")
    axis.set(xscale="log", yscale="log", xlabel="eigengap λ_k / λ_(k+1)",
             ylabel="GD steps (median, IQR)", title="Steps to PCA vs eigengap (η = 0.1, σ0 = 1e-3)")
    _legend(axis, fontsize=8)
    axis.grid(True, which="both", alpha=0.3)
    figure.savefig(path)
    return path


def _plot_lr(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    figure, (axis,) = _figure(6.4, 4.4)
    lr_cells = [s for s in summaries if s["sweep"] == "lr"]
    if lr_cells:
        x = np.array([s["lr_lambda1"] for s in lr_cells])
        eta = np.array([s["lr"] for s in lr_cells])
        for key, style, what in (("steps_to_angle", "o-", "angle"),
                                 ("steps_to_loss", "s--", "loss")):
            mid, err = _medians(lr_cells, key)
            axis.errorbar(x, mid * eta, yerr=err * eta, fmt=style, color="tab:blue", capsize=3,
                          ms=4, label=f"linear AE m=4, k=2: {what}")
        never = [s["lr_lambda1"] for s in lr_cells if s.get("steps_to_loss") is None
                 or not math.isfinite(s["steps_to_loss"][0])]
        if never:
            axis.scatter(never, [axis.get_ylim()[1] * 0.9] * len(never), marker="x",
                         color="tab:blue", s=60, label="loss never converges")
    for ratio, color in ((1.5, "tab:red"), (4.0, "tab:orange"), (100.0, "tab:green")):
        cells = sorted((s for s in summaries if s["sweep"] == "paper" and s["x"] == ratio),
                       key=lambda s: s["lr"])
        if len(cells) > 1:
            mid, _ = _medians(cells, "steps_to_angle")
            axis.plot([s["lr"] for s in cells], mid * np.array([s["lr"] for s in cells]), "^-",
                      color=color, ms=4, alpha=0.8, label=f"2-1-2, λ1/λ2 = {ratio:g}: angle")
    axis.axvline(0.5, color="k", ls=":", lw=1)
    axis.text(0.5, axis.get_ylim()[0] * 1.1 if axis.get_yscale() == "log" else 0.5,
              " η = 1/(2λ₁)", fontsize=8)
    axis.set(yscale="log", xlabel="ηλ₁", ylabel="steps × η",
             title="Steps scale as 1/η until the stability limit")
    _legend(axis, fontsize=7)
    axis.grid(True, which="both", alpha=0.3)
    figure.savefig(path)
    return path


def _plot_staircase(result: ConvergenceResult, path: Path) -> Path:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.2, 6.0), dpi=110, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    t = result.trace_steps
    gap = (result.trace_loss - result.min_loss) / result.min_loss
    top.semilogy(t, gap, color="k", label="(L − L*)/L*")
    twin = top.twinx()
    for j in range(result.n_components):
        lam = result.eigenvalues[j]
        twin.plot(t, result.trace_pi[:, j], lw=1.2, label=f"π_{j + 1} (λ = {lam:g})")
        saxe = result.saxe_half_times[j]
        if saxe is not None:
            for axis in (top, bottom):
                axis.axvline(saxe, color=f"C{j}", ls=":", lw=1)
    twin.set(ylabel="mode strength π_j", ylim=(-0.05, 1.15))
    _legend(twin, fontsize=8, loc="center right")
    top.set(ylabel="(L − L*)/L*", title="k = 3 of m = 6: plateaus, then drops, mode by mode "
                                          "(dotted: Saxe T½)")
    _legend(top, fontsize=8, loc="lower left")
    bottom.semilogy(t, result.trace_angle, label="decoder: largest principal angle")
    bottom.semilogy(t, result.trace_encoder_angle, label="encoder: largest principal angle",
                    alpha=0.7)
    bottom.axhline(1e-3, color="k", ls="--", lw=1, label="1e-3 rad")
    bottom.set(xlabel="GD step (η = 0.1, σ0 = 1e-3)", ylabel="radians")
    _legend(bottom, fontsize=8)
    for axis in (top, bottom):
        axis.grid(True, alpha=0.3)
    figure.savefig(path)
    return path


def _plot_methods(runs: dict[str, ConvergenceResult], summaries: Sequence[dict[str, Any]],
                  path: Path) -> Path:
    figure, (left, right) = _figure(11, 4.4, 2)
    floors = {s["label"]: s.get("predicted_floor") for s in summaries if s["sweep"] == "batch"}
    for name, label, color in (("full", "full", "k"), ("sgd 64", "64 (epoch)", "tab:orange"),
                               ("sgd 16", "16 (epoch)", "tab:green"),
                               ("sgd 16 iid", "16 (iid)", "tab:red")):
        if name not in runs:
            continue
        result = runs[name]
        left.semilogy(result.trace_steps, result.trace_angle, lw=0.5, color=color, alpha=0.35)
        window = 50
        if result.trace_angle.size > window:
            smooth = np.sqrt(np.convolve(result.trace_angle**2, np.ones(window) / window,
                                         mode="valid"))
            left.semilogy(result.trace_steps[window - 1:], smooth, lw=1.5, color=color,
                          label=f"{name} (RMS over 50 steps)")
        floor = floors.get(label)
        if floor is not None and math.isfinite(floor[0]) and name != "full":
            left.axhline(floor[0], color=color, ls=":", lw=1.2)
    left.plot([], [], "k:", lw=1.2, label="predicted floor, iid batches (sgd_noise_floor)")
    left.axhline(1e-3, color="k", ls="--", lw=1)
    left.set(xlabel="step (η = 0.1)", ylabel="largest principal angle (rad)",
             ylim=(1e-16, 3), title="Constant-step SGD stalls at a noise floor (k = 1, m = 4)")
    _legend(left, fontsize=7, loc="center right")
    for name, color in (("gd", "k"), ("momentum", "tab:blue"), ("adam", "tab:red")):
        if name in runs:
            result = runs[name]
            gap = (result.trace_loss - result.min_loss) / result.min_loss
            right.semilogy(result.trace_steps, np.maximum(gap, 1e-16), color=color,
                           label=f"{name} (η = {result.lr:g}): loss gap")
            right.semilogy(result.trace_steps, result.trace_angle, color=color, ls=":",
                           label=f"{name}: angle")
    right.axhline(1e-6, color="gray", ls="--", lw=1)
    right.set(xlabel="step", ylabel="(L − L*)/L*  and  angle (rad)",
              title="Optimizers on the baseline (m = 4, k = 2)")
    _legend(right, fontsize=7)
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
    figure.savefig(path)
    return path


def plot_all(rows: Sequence[dict[str, Any]], runs: dict[str, ConvergenceResult] | None,
             out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the study's figures as ``convergence_*.png`` into ``out_dir``; return their paths.

    - ``convergence_predicted.png``: measured vs predicted steps (log-log, y = x line);
    - ``convergence_eigengap.png``: steps vs λ_k/λ_(k+1);
    - ``convergence_lr.png``: steps × η vs ηλ_1, with the limit η = 1/(2λ_1);
    - ``convergence_staircase.png``: loss, π_j and angle traces of the k = 3 run;
    - ``convergence_methods.png``: SGD noise floors and GD vs heavy ball vs Adam.

    The last two need ``runs`` from :func:`traced_runs`. matplotlib is imported here only.

    >>> import tempfile
    >>> rows = study(quick=True, seeds=1, sweeps=["eigengap"], progress=False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [path.name for path in plot_all(rows, None, folder)]
    ['convergence_predicted.png', 'convergence_eigengap.png', 'convergence_lr.png']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    summaries = summarize(rows)
    written = [_plot_predicted(rows, folder / "convergence_predicted.png"),
               _plot_eigengap(summaries, folder / "convergence_eigengap.png"),
               _plot_lr(summaries, folder / "convergence_lr.png")]
    if runs:
        if "staircase" in runs:
            written.append(_plot_staircase(runs["staircase"],
                                           folder / "convergence_staircase.png"))
        written.append(_plot_methods(runs, summaries, folder / "convergence_methods.png"))
    return written


def replace_generated(text: str, name: str, content: str) -> str:
    """Put ``content`` between ``<!-- generated:NAME:begin -->`` and ``…:end -->`` in ``text``.

    >>> page = "a\\n<!-- generated:t:begin -->\\nold\\n<!-- generated:t:end -->\\nb"
    >>> print(replace_generated(page, "t", "new"))
    a
    <!-- generated:t:begin -->
    new
    <!-- generated:t:end -->
    b
    """
    begin, end = f"<!-- generated:{name}:begin -->", f"<!-- generated:{name}:end -->"
    start = text.find(begin)
    stop = text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"replace_generated: the text has no {begin} … {end} pair; add both "
                         f"markers where the generated {name!r} section should go")
    return text[:start + len(begin)] + "\n" + content.strip("\n") + "\n" + text[stop:]


# ---------------------------------------------------------------------------------------------
# Command line: tinygrad-ae converge
# ---------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tinygrad-ae converge`` to ``parser``.

    >>> parser = argparse.ArgumentParser(prog="converge")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--quick", "--seeds", "2"])
    >>> args.quick, args.seeds, args.out
    (True, 2, 'tinygrad_ae_out/converge')
    """
    parser.add_argument("--quick", action="store_true",
                        help="small grids, 3 seeds, short budgets (under a minute)")
    parser.add_argument("--out", default="tinygrad_ae_out/converge",
                        help="folder for results.json, tables.md and the PNG figures "
                             "(default: %(default)s)")
    parser.add_argument("--seeds", type=_positive_int, default=None,
                        help="seeds per setting (default: 10, 20 for the paper table; "
                             "3 with --quick)")
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="processes to run settings in (default: one per CPU)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")


def write_outputs(rows: Sequence[dict[str, Any]], runs: dict[str, ConvergenceResult] | None,
                  out_dir: str | os.PathLike[str],
                  meta: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``results.json`` (rows, summaries, ``meta``), ``tables.md`` (the
    :func:`markdown_tables`) and the :func:`plot_all` figures into ``out_dir``; return the
    paths by name.

    >>> import tempfile
    >>> rows = study(quick=True, seeds=1, sweeps=["paper"], progress=False)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorted(write_outputs(rows, None, folder))
    ['convergence_eigengap', 'convergence_lr', 'convergence_predicted', 'results', 'tables']
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tables = markdown_tables(rows)
    summaries = [{key: _finite(value) for key, value in s.items()} for s in summarize(rows)]
    results = folder / "results.json"
    results.write_text(json.dumps({"meta": meta or {}, "rows": list(rows),
                                   "summaries": summaries}, indent=1, allow_nan=False))
    markdown = folder / "tables.md"
    markdown.write_text("".join(f"## {name}\n\n{table}\n\n" for name, table in tables.items()))
    written = {"results": results, "tables": markdown}
    for path in plot_all(rows, runs, folder):
        written[path.stem] = path
    return written


def run(args: argparse.Namespace) -> int:
    """Run ``tinygrad-ae converge`` with parsed ``args`` (see :func:`add_arguments`): the
    :func:`study`, the :func:`traced_runs`, then :func:`write_outputs` into ``args.out``.
    Returns the exit status: 0, or 2 with one line on standard error when the output folder
    cannot be written.

    >>> args = argparse.Namespace(out="/dev/null/converge", quick=True, seeds=None,
    ...                           workers=1, progress=False)
    >>> run(args)
    2
    """
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        print(f"tinygrad-ae converge: error: cannot write to {str(out)!r} "
              f"({error.strerror or error}); choose another --out folder", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rows = study(quick=args.quick, seeds=args.seeds, progress=args.progress,
                 workers=args.workers)
    runs = traced_runs(quick=args.quick)
    meta = {"quick": bool(args.quick), "seeds": args.seeds,
            "seconds": round(time.perf_counter() - start, 1), "cpus": os.cpu_count()}
    written = write_outputs(rows, runs, out, meta)
    print(markdown_tables(rows)["headline"])
    print(f"study took {meta['seconds']} s; wrote:")
    for path in written.values():
        print(f"  {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tinygrad_ae.convergence [--quick] [--out DIR] [--seeds N] [--workers N]``:
    parse ``argv`` with :func:`add_arguments` and :func:`run`; returns the exit status.

    >>> main(["--quick", "--out", "/dev/null/converge"])
    2
    """
    parser = argparse.ArgumentParser(prog="tinygrad-ae converge",
                                     description="How long a linear autoencoder takes to reach "
                                                 "PCA: sweeps, tables and figures.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
