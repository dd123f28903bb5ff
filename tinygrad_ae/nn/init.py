"""Initialisers: fill a parameter's values in place, with PyTorch's names and formulas.

Each ``*_`` function overwrites ``tensor.data`` (keeping its array and dtype, so optimizers
holding the tensor keep working), records no graph and returns the tensor. Random ones
draw from ``rng`` (an int seed or a ``np.random.Generator``) or else from the module-level
generator that :func:`tinygrad_ae.nn.manual_seed` reseeds; PyTorch's ``generator=`` is
``rng=`` here.

Fans follow PyTorch: for a weight of shape (out, in, *kernel), fan_in = in · ∏kernel and
fan_out = out · ∏kernel, so ``Linear``'s weight (out_features, in_features) has
fan_in = in_features.

>>> from tinygrad_ae import Tensor
>>> w = Tensor(np.empty((3, 4)), requires_grad=True)
>>> kaiming_uniform_(w, nonlinearity="relu", rng=0) is w
True
>>> bool(np.abs(w.data).max() <= np.sqrt(6 / 4))       # bound = gain · √(3 / fan_in)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import Tensor

from .module import RngLike, resolve_rng

__all__ = [
    'calculate_gain', 'uniform_', 'normal_', 'constant_', 'zeros_', 'ones_',
    'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_',
]

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "sigmoid")
_NONLINEARITIES = (*_LINEAR, "tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``, as
    ``torch.nn.init.calculate_gain``: 1 for linear maps and sigmoid, 5/3 for tanh, √2 for
    ReLU, √(2 / (1 + slope²)) for leaky ReLU (``param`` = slope, default 0.01), 3/4 for
    SELU.

    >>> calculate_gain("tanh"), round(calculate_gain("relu"), 6)
    (1.6666666666666667, 1.414214)
    >>> calculate_gain("swish")
    Traceback (most recent call last):
    ...
    ValueError: calculate_gain: unsupported nonlinearity 'swish'; choose one of linear, ...
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain: the leaky_relu slope must be a number, got "
                             f"{param!r}")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one "
                     f"of {', '.join(_NONLINEARITIES)}")


def _fans(tensor: Tensor, owner: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = _target(tensor, owner).shape
    if len(shape) < 2:
        raise ValueError(f"{owner}: fan in and fan out need a tensor with at least 2 "
                         f"dimensions (out, in, ...), got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _target(tensor: Tensor, owner: str) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{owner}: expected a Tensor (such as layer.weight), got "
                        f"{type(tensor).__name__}")
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"{owner}: can only fill floating-point tensors, got {tensor.dtype}")
    return tensor.data


def _fill(tensor: Tensor, values: Any, owner: str) -> Tensor:
    data = _target(tensor, owner)
    # Cast into the existing array: float32 stays float32 and no reference goes stale.
    np.copyto(data, values, casting="unsafe")
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: RngLike = None) -> Tensor:
    """Fill with draws from U(a, b).

    >>> from tinygrad_ae import Tensor
    >>> bool((uniform_(Tensor(np.empty(100)), -1, 1, rng=0).data < 1).all())
    True
    """
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a}, b={b}")
    shape = _target(tensor, "uniform_").shape
    return _fill(tensor, resolve_rng(rng).uniform(a, b, size=shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: RngLike = None) -> Tensor:
    """Fill with draws from N(mean, std²).

    >>> from tinygrad_ae import Tensor
    >>> round(float(normal_(Tensor(np.empty(10_000)), 3.0, 0.1, rng=0).data.mean()), 1)
    3.0
    """
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    shape = _target(tensor, "normal_").shape
    return _fill(tensor, resolve_rng(rng).normal(mean, std, size=shape), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    >>> from tinygrad_ae import Tensor
    >>> constant_(Tensor(np.empty(2)), 0.5).data
    array([0.5, 0.5])
    """
    return _fill(tensor, val, "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    >>> from tinygrad_ae import Tensor
    >>> zeros_(Tensor(np.ones(2))).data
    array([0., 0.])
    """
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    >>> from tinygrad_ae import Tensor
    >>> ones_(Tensor(np.zeros(2))).data
    array([1., 1.])
    """
    return _fill(tensor, 1.0, "ones_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: RngLike = None) -> Tensor:
    """Glorot & Bengio: U(−a, a) with a = gain · √(6 / (fan_in + fan_out)).

    >>> from tinygrad_ae import Tensor
    >>> w = xavier_uniform_(Tensor(np.empty((20, 30))), rng=0)
    >>> bool(np.abs(w.data).max() <= np.sqrt(6 / 50))
    True
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, resolve_rng(rng).uniform(-bound, bound, size=tensor.shape),
                 "xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: RngLike = None) -> Tensor:
    """Glorot & Bengio: N(0, std²) with std = gain · √(2 / (fan_in + fan_out)).

    >>> from tinygrad_ae import Tensor
    >>> w = xavier_normal_(Tensor(np.empty((200, 300))), rng=0)
    >>> round(float(w.data.std() / np.sqrt(2 / 500)), 1)
    1.0
    """
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, resolve_rng(rng).normal(0.0, std, size=tensor.shape),
                 "xavier_normal_")


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, owner: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{owner}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, owner)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"{owner}: cannot initialise a tensor with a zero {mode} "
                         f"(shape {tensor.shape})")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", rng: RngLike = None) -> Tensor:
    """He et al.: U(−b, b) with b = gain · √(3 / fan), fan = fan_in or fan_out (``mode``),
    gain = :func:`calculate_gain` (``nonlinearity``, ``a``). PyTorch's defaults (leaky
    ReLU with slope a = 0) give gain √2.

    >>> from tinygrad_ae import Tensor
    >>> w = kaiming_uniform_(Tensor(np.empty((30, 20))), mode="fan_out", rng=0)
    >>> bool(np.abs(w.data).max() <= np.sqrt(2) * np.sqrt(3 / 30))
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(tensor, resolve_rng(rng).uniform(-bound, bound, size=tensor.shape),
                 "kaiming_uniform_")


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng: RngLike = None) -> Tensor:
    """He et al.: N(0, std²) with std = gain / √fan (see :func:`kaiming_uniform_`).

    >>> from tinygrad_ae import Tensor
    >>> w = kaiming_normal_(Tensor(np.empty((300, 200))), nonlinearity="relu", rng=0)
    >>> round(float(w.data.std() / np.sqrt(2 / 200)), 1)
    1.0
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return _fill(tensor, resolve_rng(rng).normal(0.0, std, size=tensor.shape),
                 "kaiming_normal_")
