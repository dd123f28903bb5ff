"""Learning-rate schedules: LambdaLR, StepLR, MultiStepLR, ExponentialLR,
CosineAnnealingLR, ReduceLROnPlateau, with PyTorch's formulas, names and call order.

A scheduler changes ``group["lr"]`` in every parameter group of an optimizer. Call
``optimizer.step()`` for each batch and ``scheduler.step()`` once per epoch, after them
(``ReduceLROnPlateau.step(metric)`` with the epoch's validation loss). The constructor
records ``group["initial_lr"]`` and puts the schedule at epoch 0, as PyTorch does.

Like PyTorch, each step updates the current rate from the previous one (the chainable
form), so a rate the user changed by hand is carried along; the closed forms in the
docstrings give the same numbers when nobody interferes.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_ae.nn import StateDictError

from .optimizers import Optimizer, _check_number

__all__ = ['LRScheduler', 'LambdaLR', 'StepLR', 'MultiStepLR', 'ExponentialLR',
           'CosineAnnealingLR', 'ReduceLROnPlateau']


def _check_count(owner: str, name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")
    return value


class LRScheduler:
    """Base class: attaches to an optimizer, keeps ``last_epoch`` and ``base_lrs``, and on
    every :meth:`step` writes :meth:`get_lr`'s rates into the parameter groups.

    ``last_epoch=-1`` starts a new schedule; a larger value resumes one, which needs the
    ``initial_lr`` a previous scheduler stored in each group (load the optimizer's state
    dict first).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an optimizer (such as optim.SGD(...)), got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for k, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(f"{name}: last_epoch={last_epoch} resumes a schedule, but "
                                     f"param_groups[{k}] has no 'initial_lr'; load the "
                                     f"optimizer's saved state dict first, or use "
                                     f"last_epoch=-1")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch ``last_epoch``, one per group (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance one epoch and write the new rates into the optimizer."""
        self._step_count += 1
        self.last_epoch += 1
        rates = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, rates):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last :meth:`step` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every setting and counter except the optimizer (a copy), as PyTorch's."""
        return {key: copy.deepcopy(value) for key, value in vars(self).items()
                if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; the keys must be exactly this
        scheduler's (otherwise :class:`~tinygrad_ae.nn.StateDictError`, nothing changed)."""
        expected = set(self.state_dict())
        missing, unexpected = sorted(expected - set(state_dict)), sorted(set(state_dict)
                                                                         - expected)
        if missing or unexpected:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit this "
                f"scheduler (missing keys {missing}, unexpected keys {unexpected}); was it "
                f"saved from another kind of scheduler? The scheduler is unchanged."
            )
        vars(self).update(copy.deepcopy(dict(state_dict)))

    def __repr__(self) -> str:
        skip = {"optimizer", "base_lrs", "last_epoch", "_step_count", "_is_initial", "_last_lr"}
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items()
                             if key not in skip and not key.startswith("_"))
        return f"{type(self).__name__}({settings}, last_epoch={self.last_epoch})"


class LambdaLR(LRScheduler):
    """lr = base_lr · f(epoch) for a function f of the epoch number (one for all groups,
    or a list with one per group), as ``torch.optim.lr_scheduler.LambdaLR``. The
    functions are not part of the state dict.

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = LambdaLR(opt, lambda epoch: 1 / (1 + epoch))    # 1/t decay
    >>> opt.step(); schedule.step(); opt.step(); schedule.step()
    >>> round(schedule.get_last_lr()[0], 6)
    0.333333
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        n_groups = len(getattr(optimizer, "param_groups", ()))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n_groups:
                raise ValueError(f"LambdaLR: got {len(lr_lambda)} functions but the optimizer "
                                 f"has {n_groups} parameter groups; give one, or one per "
                                 f"group")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n_groups
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got "
                                f"{type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        del state["lr_lambdas"]  # functions: rebuilt by the code, as PyTorch leaves them
        return state


class StepLR(LRScheduler):
    """lr = base_lr · gamma^⌊epoch / step_size⌋: divide the rate every ``step_size`` epochs.

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _check_count("StepLR", "step_size", step_size)
        self.gamma = _check_number("StepLR", "gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class MultiStepLR(LRScheduler):
    """lr = base_lr · gamma^(number of milestones ≤ epoch): divide the rate at each
    milestone epoch (a milestone listed twice divides twice), as PyTorch's.

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(schedule.get_last_lr()[0]); opt.step(); schedule.step()
    >>> rates
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        epochs = list(milestones)
        for epoch in epochs:
            _check_count("MultiStepLR", "each milestone", epoch)
        self.milestones = Counter(sorted(epochs))
        self.gamma = _check_number("MultiStepLR", "gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in groups]
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in groups]


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^epoch: multiply the rate by ``gamma`` every epoch.

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); schedule.step(); opt.step(); schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_number("ExponentialLR", "gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2: half a cosine
    from base_lr down to eta_min over ``T_max`` epochs, then back up (period 2·T_max), as
    PyTorch's (without warm restarts).

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = CosineAnnealingLR(opt, T_max=2)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(round(schedule.get_last_lr()[0], 6)); opt.step(); schedule.step()
    >>> rates
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max = _check_count("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _check_number("CosineAnnealingLR", "eta_min", eta_min, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups, epoch, period, low = self.optimizer.param_groups, self.last_epoch, \
            self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and epoch > 0:  # resumed: start from the closed form
            return [low + (base - low) * (1 + math.cos(epoch * math.pi / period)) / 2
                    for base in self.base_lrs]
        if (epoch - 1 - period) % (2 * period) == 0:
            # At the bottom the ratio below would be 0/0: step up by the first increment.
            return [group["lr"] + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * epoch / period))
                / (1 + math.cos(math.pi * (epoch - 1) / period)) * (group["lr"] - low) + low
                for group in groups]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` when a metric has stopped improving for more than
    ``patience`` epochs, as PyTorch's.

    ``step(metric)`` once per epoch. In ``mode="min"`` a value is an improvement when it
    is below best · (1 − threshold) (``threshold_mode="rel"``) or best − threshold
    (``"abs"``); ``"max"`` mirrors that. After a reduction, ``cooldown`` epochs pass before
    bad epochs count again. No rate goes below ``min_lr`` (one number, or one per group),
    and a change smaller than ``eps`` is skipped.

    >>> from tinygrad_ae.autograd.tensor import Tensor
    >>> from tinygrad_ae.optim import SGD
    >>> opt = SGD([Tensor(1.0, requires_grad=True)], lr=1.0)
    >>> schedule = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     schedule.step(loss)
    >>> schedule.get_last_lr()                       # the third 2.0 was the second bad epoch
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        owner = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner}: expected an optimizer (such as optim.SGD(...)), got "
                            f"{type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = _check_number(owner, "factor", factor, 0.0, 1.0, high_inclusive=False)
        self.patience = _check_count(owner, "patience", patience, low=0)
        self.cooldown = _check_count(owner, "cooldown", cooldown, low=0)
        self.threshold = _check_number(owner, "threshold", threshold, 0.0)
        self.eps = _check_number(owner, "eps", eps, 0.0)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"{owner}: min_lr has {len(min_lr)} values but the optimizer "
                                 f"has {n_groups} parameter groups; give one per group")
            self.min_lrs = [_check_number(owner, "min_lr", v, 0.0) for v in min_lr]
        else:
            self.min_lrs = [_check_number(owner, "min_lr", min_lr, 0.0)] * n_groups
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (1.0 + self.threshold)
        return value > best + self.threshold

    def step(self, metrics: Any = None) -> None:  # type: ignore[override]
        """Record one epoch's metric (a number or a one-element Tensor)."""
        if metrics is None:
            raise TypeError("ReduceLROnPlateau.step needs the epoch's metric, e.g. "
                            "scheduler.step(validation_loss)")
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
