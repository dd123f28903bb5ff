"""Measuring convergence to PCA: train a network and record the steps at which the angle
and the loss criteria are first met and held.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_ae import data as _data
from tinygrad_ae import models as _models
from tinygrad_ae import nn as _nn
from tinygrad_ae import optim as _optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.theory import pca as _pca
from tinygrad_ae.theory.dynamics import (
    NetworkPrediction,
    _check_positive,
    effective_pi0,
    predict_network,
    saxe_half_time,
)

METHODS = ("gd", "sgd", "momentum", "adam")
"""The training methods :func:`train_until_pca` accepts."""

SWEEPS = ("eigengap", "lr", "init", "batch", "dimension", "method", "paper", "staircase")
"""The sweeps :func:`study` can run, in the order it runs them."""

_HOLD = 50  # a criterion counts as reached once it has held this many steps in a row

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
