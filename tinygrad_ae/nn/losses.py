"""Loss functions: the paper's reconstruction loss, then PyTorch's losses with its
definitions, defaults and reductions (``"mean"``, ``"sum"``, ``"none"``).

Every loss is a composite of registered ops (log_softmax, softplus, log, abs, relu, sums),
so gradients come from the engine with no vjp of its own; constants (one-hot masks,
weights) are plain arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import REDUCTIONS, Module, _as_tensor


def mse_loss(x_hat: ArrayLike, x: ArrayLike, reduction: str = "paper") -> Tensor:
    """Squared reconstruction error between ``x_hat`` and ``x`` (shapes must match exactly).

    - ``"paper"``: the seed paper's L = (1/N) Σ_i ‖x_i − x̂_i‖², summed over features and
      averaged over the N samples (the first axis; a 1-D input is N samples of 1 feature).
    - ``"mean"``: the mean over every element, PyTorch's default (``"paper"`` / n_features).
    - ``"sum"``: the sum over every element.

    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> x_hat = Tensor([[1.0, 1.0], [3.0, 2.0]])       # squared errors 0, 1, 0, 4
    >>> [mse_loss(x_hat, x, r).item() for r in ("paper", "mean", "sum")]
    [2.5, 1.25, 5.0]
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"mse_loss: reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}, "
            f"got {reduction!r}"
        )
    prediction, target = _as_tensor(x_hat), _as_tensor(x)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: x_hat has shape {prediction.shape} but x has shape {target.shape}; "
            f"they must match exactly (no broadcasting)"
        )
    if prediction.size == 0:
        raise ValueError(f"mse_loss: cannot average over empty inputs of shape {prediction.shape}")
    # x̂ − x rather than x − x̂ (the same squares): its gradient reaches x̂ with no
    # negation, and ``** 2`` is one op whose gradient 2·g·r is one pass over the batch.
    residual = prediction - target
    total = (residual ** 2).sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / prediction.size
    return total / (prediction.shape[0] if prediction.ndim else 1)


# --- PyTorch's losses ------------------------------------------------------------------
TORCH_REDUCTIONS = ("mean", "sum", "none")
"""The reductions the PyTorch-style losses accept (``"mean"`` is their default)."""


def _check_reduction(owner: str, reduction: str) -> None:
    if reduction not in TORCH_REDUCTIONS:
        raise ValueError(f"{owner}: reduction must be one of "
                         f"{', '.join(repr(r) for r in TORCH_REDUCTIONS)}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


def _pair(owner: str, input: ArrayLike, target: ArrayLike) -> tuple[Tensor, Tensor]:
    """Both as Tensors of one shape (PyTorch's elementwise losses do not broadcast here).
    A target that is not a Tensor is data: it takes the input's dtype (float32 stays)."""
    prediction = _as_tensor(input)
    truth = _target_tensor(target, prediction.dtype)
    if prediction.shape != truth.shape:
        raise ValueError(f"{owner}: input has shape {prediction.shape} but target has shape "
                         f"{truth.shape}; they must match")
    return prediction, truth


def _target_tensor(target: ArrayLike, dtype: Any) -> Tensor:
    if isinstance(target, Tensor):
        return target
    return Tensor(np.asarray(target, dtype=dtype))


def _weight_like(owner: str, weight: ArrayLike | None, shape: tuple[int, ...],
                 dtype: Any) -> np.ndarray | None:
    """A constant per-element weight, broadcast to ``shape``."""
    if weight is None:
        return None
    values = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    try:
        return np.broadcast_to(values, shape)
    except ValueError:
        raise ValueError(f"{owner}: weight of shape {values.shape} does not broadcast to the "
                         f"input's shape {shape}") from None


def l1_loss(input: ArrayLike, target: ArrayLike, reduction: str = "mean") -> Tensor:
    """|input − target|, averaged (default), summed or kept per element.

    >>> l1_loss(Tensor([1.0, 2.0]), np.array([2.0, 4.0])).item()
    1.5
    """
    _check_reduction("l1_loss", reduction)
    prediction, truth = _pair("l1_loss", input, target)
    return _reduce((prediction - truth).abs(), reduction)


def huber_loss(input: ArrayLike, target: ArrayLike, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """½ r² where |r| ≤ delta, delta · (|r| − ½ delta) beyond, r = input − target.

    Written as ½ q² + delta · (|r| − q) with q = min(|r|, delta) = |r| − relu(|r| − delta):
    one expression for both pieces, whose gradient is r inside and delta · sign(r) outside.

    >>> huber_loss(Tensor([0.5, 3.0]), np.zeros(2), reduction="none")
    Tensor([0.125, 2.5  ])
    """
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta!r}")
    prediction, truth = _pair("huber_loss", input, target)
    size = (prediction - truth).abs()
    excess = (size - delta).relu()
    inside = size - excess
    return _reduce(inside * inside * 0.5 + excess * delta, reduction)


def _clamped_log(x: Tensor) -> Tensor:
    """max(ln x, −100), as PyTorch's binary cross-entropy clamps its logs, so a
    probability of exactly 0 or 1 gives a finite loss. Where x = 0 the smallest positive
    number of the dtype is added first (its log is below −100, so the clamp decides the
    value and the gradient there is 0 rather than NaN)."""
    zero = x.data == 0
    if zero.any():
        x = x + zero * np.nextafter(x.dtype.type(0), x.dtype.type(1))
    log = x.log()
    # max(a, −100) = a + relu(−100 − a): exactly a wherever a > −100.
    return log + (-100.0 - log).relu()


def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
                         reduction: str = "mean") -> Tensor:
    """−w · (y ln p + (1 − y) ln(1 − p)) for probabilities p = ``input`` in [0, 1], with
    each log clamped at −100 as in PyTorch.

    For raw scores use :func:`binary_cross_entropy_with_logits`, which is exact where p
    would round to 0 or 1. Where a log is clamped its gradient is 0 (PyTorch divides by
    max(p(1 − p), 1e-12) there instead).

    >>> round(binary_cross_entropy(Tensor([0.5]), np.array([1.0])).item(), 6)   # ln 2
    0.693147
    """
    _check_reduction("binary_cross_entropy", reduction)
    p, y = _pair("binary_cross_entropy", input, target)
    if p.size and (p.data.min() < 0 or p.data.max() > 1):
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], "
                         f"got values from {p.data.min():g} to {p.data.max():g}; for raw "
                         f"scores use binary_cross_entropy_with_logits")
    loss = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    w = _weight_like("binary_cross_entropy", weight, p.shape, p.dtype)
    return _reduce(loss if w is None else loss * w, reduction)


def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: ArrayLike | None = None,
                                     reduction: str = "mean",
                                     pos_weight: ArrayLike | None = None) -> Tensor:
    """Binary cross-entropy of σ(x) for scores x = ``input``, computed from x itself:

        loss = (1 − y) · x + (1 + (pos_weight − 1) · y) · ln(1 + e⁻ˣ)

    with ln(1 + e⁻ˣ) = softplus(−x) evaluated without overflow, so any x (±1000) gives the
    exact loss; its gradient is w · (σ(x) − y) without pos_weight. ``pos_weight`` weighs
    the positive term per class (broadcast along the last axis), ``weight`` each element.

    >>> binary_cross_entropy_with_logits(Tensor([1000.0, -1000.0]), np.array([0.0, 1.0]),
    ...                                  reduction="none")
    Tensor([1000., 1000.])
    """
    owner = "binary_cross_entropy_with_logits"
    _check_reduction(owner, reduction)
    x, y = _pair(owner, input, target)
    # threshold=inf: the exact ln(1 + e⁻ˣ) everywhere, as PyTorch's loss (no linear cut-off).
    log_term = (-x).softplus(threshold=float("inf"))
    if pos_weight is not None:
        pw = _weight_like(owner, pos_weight, x.shape, x.dtype)
        assert pw is not None
        log_term = log_term * ((pw - 1.0) * y + 1.0)
    loss = (1.0 - y) * x + log_term
    w = _weight_like(owner, weight, x.shape, x.dtype)
    return _reduce(loss if w is None else loss * w, reduction)


def _class_indices(owner: str, target: ArrayLike, shape: tuple[int, ...], n_classes: int,
                   ignore_index: int) -> np.ndarray:
    """``target`` as an int array of class indices, each in [0, n_classes) or ignored."""
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if raw.shape != shape:
        raise ValueError(f"{owner}: target has shape {raw.shape}; expected class indices of "
                         f"shape {shape} or probabilities of the input's shape")
    if raw.dtype.kind == "f" and raw.size and not np.array_equal(raw, np.round(raw)):
        raise ValueError(f"{owner}: class-index targets must be whole numbers; for soft "
                         f"labels pass probabilities with the input's shape")
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: target must hold numbers, got dtype {raw.dtype}")
    indices = raw.astype(np.int64)
    bad = (indices != ignore_index) & ((indices < 0) | (indices >= n_classes))
    if bad.any():
        raise ValueError(f"{owner}: target holds class {indices[bad].flat[0]}, but the input "
                         f"has {n_classes} classes (indices 0 to {n_classes - 1})")
    return indices


def nll_loss(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """−w[y] · input[y]: the negative log-likelihood of class indices y, for log
    probabilities ``input`` of shape (C,), (N, C) or (N, C, d1, …).

    ``"mean"`` divides by the total weight of the non-ignored targets, as PyTorch.

    >>> nll_loss(Tensor([[-1.0, -2.0], [-3.0, -4.0]]), np.array([1, 0])).item()
    2.5
    """
    return _cross_entropy("nll_loss", _as_tensor(input), target, weight, ignore_index,
                          reduction, 0.0, log_probabilities=True)


def cross_entropy(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of unnormalised scores (logits) against class indices or
    probabilities, PyTorch's definition and defaults.

    ``input`` has shape (C,), (N, C) or (N, C, d1, …), classes on axis 1 (axis 0 for a
    single sample). ``target`` is either class indices (an int array of the input's shape
    without the class axis; ``ignore_index`` marks entries to skip) or probabilities of the
    input's shape. With log p = log_softmax(input) along the class axis:

    - indices: loss = −w[y] · log p[y]; ``"mean"`` divides the sum by Σ w[y] over the
      non-ignored targets;
    - probabilities: loss = −Σ_c w[c] · t[c] · log p[c]; ``"mean"`` divides by the number
      of samples (positions);
    - ``label_smoothing`` ε mixes the target with the uniform distribution: (1 − ε) times
      the above plus ε/C times the loss against every class.

    >>> logits = Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> round(cross_entropy(logits, np.array([0, 2])).item(), 6)
    0.669079
    >>> probabilities = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> round(cross_entropy(logits, probabilities).item(), 6)       # the same targets
    0.669079
    """
    if isinstance(label_smoothing, bool) or not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing!r}")
    return _cross_entropy("cross_entropy", _as_tensor(input), target, weight, ignore_index,
                          reduction, float(label_smoothing), log_probabilities=False)


def _cross_entropy(owner: str, x: Tensor, target: ArrayLike, weight: ArrayLike | None,
                   ignore_index: int, reduction: str, smoothing: float,
                   log_probabilities: bool) -> Tensor:
    _check_reduction(owner, reduction)
    if x.ndim == 0:
        raise ValueError(f"{owner}: input must have a class axis, shape (C,), (N, C) or "
                         f"(N, C, d1, ...); got a scalar")
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    class_shape = tuple(n_classes if a == axis else 1 for a in range(x.ndim))
    w = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=x.dtype)
        if w.shape != (n_classes,):
            raise ValueError(f"{owner}: weight must have one entry per class, shape "
                             f"({n_classes},); got shape {w.shape}")
        w = w.reshape(class_shape)
    log_p = x if log_probabilities else x.log_softmax(axis)
    target_shape = getattr(target, "shape", np.shape(target))
    if not log_probabilities and tuple(target_shape) == x.shape:
        # Probabilities: smoothing moves them toward uniform; a Tensor target keeps its graph.
        t = _target_tensor(target, x.dtype)
        if smoothing:
            t = t * (1.0 - smoothing) + smoothing / n_classes
        per_class = log_p * t if w is None else log_p * t * w
        loss = -per_class.sum(axis=axis)
        if reduction == "mean":
            return loss.sum() / (x.size // n_classes)
        return loss.sum() if reduction == "sum" else loss
    sample_shape = x.shape[:axis] + x.shape[axis + 1:]
    indices = _class_indices(owner, target, sample_shape, n_classes, ignore_index)
    kept = indices != ignore_index
    class_weight = np.ones(class_shape, dtype=x.dtype) if w is None else w
    # One constant coefficient per (sample, class): the target's weight on its own class,
    # plus ε/C · w[c] on every class for label smoothing; 0 for ignored samples.
    one_hot = np.expand_dims(np.where(kept, indices, 0), axis) == np.arange(
        n_classes).reshape(class_shape)
    kept_axis = np.expand_dims(kept, axis)
    coefficient = (1.0 - smoothing) * one_hot * class_weight
    if smoothing:
        coefficient = coefficient + (smoothing / n_classes) * class_weight
    coefficient = (coefficient * kept_axis).astype(x.dtype)
    loss = -(log_p * coefficient).sum(axis=axis)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    total_weight = float((one_hot * class_weight * kept_axis).sum())
    return loss.sum() / total_weight


# --- the same losses as modules ----------------------------------------------------------
class _Loss(Module):
    """A loss as a module: its settings fixed at construction, ``forward(input, target)``."""

    reduction: str

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """:func:`mse_loss` as a module, with PyTorch's default ``reduction="mean"`` (the
    function's default is the paper's ``"paper"``).

    >>> MSELoss()(Tensor([1.0, 3.0]), np.array([0.0, 0.0])).item()
    5.0
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"MSELoss: reduction must be one of "
                             f"{', '.join(repr(r) for r in REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """:func:`l1_loss` as a module.

    >>> L1Loss()(Tensor([1.0, -3.0]), np.zeros(2)).item()
    2.0
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction("L1Loss", reduction)
        self.reduction = reduction

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """:func:`huber_loss` as a module.

    >>> HuberLoss(delta=2.0)(Tensor([3.0]), np.zeros(1)).item()     # 2 · (3 − 1)
    4.0
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        _check_reduction("HuberLoss", reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta!r}")
        self.reduction, self.delta = reduction, float(delta)

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class BCELoss(_Loss):
    """:func:`binary_cross_entropy` as a module (``weight``: a constant per element).

    >>> round(BCELoss()(Tensor([0.5]), np.ones(1)).item(), 6)
    0.693147
    """

    def __init__(self, weight: ArrayLike | None = None, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction("BCELoss", reduction)
        self.weight, self.reduction = weight, reduction

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """:func:`binary_cross_entropy_with_logits` as a module.

    >>> BCEWithLogitsLoss()(Tensor([-1000.0]), np.ones(1)).item()
    1000.0
    """

    def __init__(self, weight: ArrayLike | None = None, reduction: str = "mean",
                 pos_weight: ArrayLike | None = None) -> None:
        super().__init__()
        _check_reduction("BCEWithLogitsLoss", reduction)
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                self.pos_weight)


class NLLLoss(_Loss):
    """:func:`nll_loss` as a module.

    >>> NLLLoss()(Tensor([[-1.0, -2.0]]), np.array([1])).item()
    2.0
    """

    def __init__(self, weight: ArrayLike | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction("NLLLoss", reduction)
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """:func:`cross_entropy` as a module: logits and class indices (or probabilities).

    >>> round(CrossEntropyLoss()(Tensor([[0.0, 0.0]]), np.array([0])).item(), 6)   # ln 2
    0.693147
    """

    def __init__(self, weight: ArrayLike | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        _check_reduction("CrossEntropyLoss", reduction)
        if isinstance(label_smoothing, bool) or not 0 <= label_smoothing <= 1:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: ArrayLike, target: ArrayLike) -> Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"
