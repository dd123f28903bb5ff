"""Learning dynamics of linear autoencoders: predictions of how long gradient descent
takes to reach PCA, from the data's spectrum and the network's initial weights.
Numpy only: these are the truths the measurements are held against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tinygrad_ae.theory import pca as _pca

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

    Derivation (docs/theory.md#saxe-plateau, paper loss): on centred data a balanced mode with
    decoder v·u and encoder v·uᵀ has loss λ(1 − v²)², so one GD step is v ← v + 2ηλ v(1 − v²). Near
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
    (docs/theory.md#saxe-plateau), is logistic with rate 4ηλ per step; this is its travel time. It
    is exact for small ηλ and biased low for large ηλ, where the per-step growth (1 + 2ηλ)² falls
    short of e^{4ηλ} (prefer :func:`saxe_half_time` there). 0 < π0, π_f < 1.

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
    (docs/theory.md#starting-strength). W_e is (k, m), W_d (m, k), ``components`` (m, n_modes) holds
    u_1, u_2, … as columns (at most k of them); returns (n_modes,).

    >>> import numpy as np
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
    j − 1 earlier g's leaves k − j + 1 of them (docs/theory.md#starting-strength). ``mode`` j counts
    from 1 and defaults to k, the last and slowest mode. A single network's π0 scatters around this
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
    """The smallest non-zero Hessian eigenvalue across the PCA solution
    (docs/theory.md#hessian-at-critical-points).

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
    """Learning-rate limits of full-batch GD (docs/theory.md#step-size-and-centring), see
    :func:`max_stable_lr`.

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
    below 2/η, hence the first limit (docs/theory.md#step-size-and-centring; proven for k = 1). The
    biases add curvature from the uncentred second moment M̃; the second rule, measured to hold with
    a margin, covers both. For centred data M̃ = diag(Σ, 1), so safe = 1/(4 max(λ_1, 1)).
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
                         f"λ_k = {float(lam[k - 1])!r} and λ_(k+1) = {float(lam[k])!r}")
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
    """Predict one GD run from its initial weights, without running the network
    (docs/theory.md#per-network-prediction).

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
       docs/theory.md#hessian-at-critical-points), in closed form
       z(T½ + τ) = Σ_e c_e e_e (1 − η h_e)^τ.
    4. **Criteria**: tan²θ_dec ≈ Σ_ij z_dec² / π_i, tan²θ_enc ≈ Σ_ij z_enc² / π_i and
       L − L* ≈ Σ_i λ_i (1 − π_i)² + Σ_ij ½ zᵀ H z; each predicted count is the first step after
       which its quantity stays below tolerance.

    Accurate to a few per cent when σ0 ≲ 1e-3 and ηλ_1 ≤ 0.4 (see docs/convergence.md).

    >>> import numpy as np
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
    noise slowly unbalances the layers (the conserved B of
    docs/theory.md#gauge-identities-and-balance drifts by −η²‖G_d‖² per step), and a larger c slows
    the decoder (P) and lowers the floor about ∝ 1/c. Batches redrawn independently each step match
    this; reshuffled epochs (``data.minibatches``) cancel the noise over each epoch and stall lower.

    >>> from tinygrad_ae import data as _data
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
