"""RMSprop and Adagrad: per-entry step sizes from running sums of squared gradients,
with PyTorch's update rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .optimizers import Optimizer, ParamGroup, ParamsLike, _check_number, _GroupSetting


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's rule, for each parameter p with gradient g:

        g ← g + weight_decay · p
        s ← α s + (1 − α) g²                          (s = 0 before the first step)
        a ← √s + eps, or √(s − ḡ²) + eps with ḡ ← α ḡ + (1 − α) g if centered
        b ← momentum · b + g / a;  p ← p − lr · b     if momentum > 0
        p ← p − lr · g / a                            otherwise

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.99)
    >>> w.grad = np.array([2.0]); opt.step()      # s = 0.01·4, so g/√s = 2/0.2 = 10
    >>> w.data.round(6)
    array([0.9])
    """

    _STATE = (("step", "_steps"), ("square_avg", "_square_avg"),
              ("momentum_buffer", "_buffers"), ("grad_avg", "_grad_avg"))
    alpha = _GroupSetting()
    eps = _GroupSetting()
    weight_decay = _GroupSetting()
    momentum = _GroupSetting()
    centered = _GroupSetting()

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        self._steps: list[int] = []
        self._square_avg: list[np.ndarray | None] = []
        self._buffers: list[np.ndarray | None] = []
        self._grad_avg: list[np.ndarray | None] = []
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check_group(self, group: ParamGroup) -> ParamGroup:
        checked = super()._check_group(group)
        checked["alpha"] = _check_number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        checked["eps"] = _check_number("RMSprop", "eps", group["eps"], 0.0)
        checked["weight_decay"] = _check_number("RMSprop", "weight_decay",
                                                group["weight_decay"], 0.0)
        checked["momentum"] = _check_number("RMSprop", "momentum", group["momentum"], 0.0)
        checked["centered"] = bool(group["centered"])
        return checked

    def step(self) -> None:
        for group, i, p, g in self._groups_with_gradients():
            alpha, decay, momentum = group["alpha"], group["weight_decay"], group["momentum"]
            if decay:
                g = g + decay * p.data
            square_avg = self._square_avg[i]
            if square_avg is None:
                square_avg = self._square_avg[i] = np.zeros_like(p.data)
            self._steps[i] += 1
            square_avg *= alpha
            square_avg += (1.0 - alpha) * (g * g)
            if group["centered"]:
                grad_avg = self._grad_avg[i]
                if grad_avg is None:
                    grad_avg = self._grad_avg[i] = np.zeros_like(p.data)
                grad_avg += (1.0 - alpha) * (g - grad_avg)   # PyTorch's lerp
                denominator = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                denominator = np.sqrt(square_avg)
            denominator += group["eps"]
            if momentum:
                buffer = self._buffers[i]
                if buffer is None:
                    buffer = self._buffers[i] = np.zeros_like(p.data)
                buffer *= momentum
                buffer += g / denominator
                p.data -= group["lr"] * buffer
            else:
                p.data -= group["lr"] * (g / denominator)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's rule, for each parameter p with gradient g at
    step t:

        g ← g + weight_decay · p
        s ← s + g²                                  (s = initial_accumulator_value at first)
        p ← p − lr / (1 + (t − 1) · lr_decay) · g / (√s + eps)

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> for _ in range(2):
    ...     w.grad = np.array([3.0]); opt.step()    # 0.1·3/3, then 0.1·3/√18
    >>> w.data.round(6)
    array([0.829289])
    """

    _STATE = (("step", "_steps"), ("sum", "_sums"))
    lr_decay = _GroupSetting()
    weight_decay = _GroupSetting()
    initial_accumulator_value = _GroupSetting()
    eps = _GroupSetting()

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        self._steps: list[int] = []
        self._sums: list[np.ndarray | None] = []
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _fill_sums(self) -> None:
        # As PyTorch: the accumulators exist (and are in the state dict) from the start.
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                if self._sums[i] is None:
                    self._sums[i] = np.full_like(p.data, group["initial_accumulator_value"])
                i += 1

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        super().add_param_group(param_group)
        self._fill_sums()

    def _reset_state(self) -> None:
        super()._reset_state()
        self._fill_sums()

    def _check_group(self, group: ParamGroup) -> ParamGroup:
        checked = super()._check_group(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            checked[key] = _check_number("Adagrad", key, group[key], 0.0)
        return checked

    def step(self) -> None:
        for group, i, p, g in self._groups_with_gradients():
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            self._steps[i] += 1
            step_size = group["lr"] / (1.0 + (self._steps[i] - 1) * group["lr_decay"])
            total = self._sums[i]
            assert total is not None  # filled at construction
            total += g * g
            p.data -= step_size * (g / (np.sqrt(total) + group["eps"]))
