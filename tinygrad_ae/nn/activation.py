"""Activation functions and their modules, as in ``torch.nn.functional`` and ``torch.nn``:
LeakyReLU, ELU, GELU, Softplus, SiLU, Softmax, LogSoftmax (ReLU, Tanh, Sigmoid are in
``layers``).

Each function takes a Tensor (or anything ``Tensor()`` accepts) and calls one registered
op, so values and gradients are the op's (stable for inputs of any size); each module
holds the function's settings and calls it.
"""

from __future__ import annotations

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import Module, _as_tensor

__all__ = [
    'relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus', 'silu', 'softmax',
    'log_softmax', 'LeakyReLU', 'ELU', 'GELU', 'Softplus', 'SiLU', 'Softmax', 'LogSoftmax',
]


def relu(x: ArrayLike) -> Tensor:
    """max(x, 0), elementwise.

    >>> relu(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return _as_tensor(x).relu()


def tanh(x: ArrayLike) -> Tensor:
    """tanh(x), elementwise.

    >>> tanh(Tensor([0.0]))
    Tensor([0.])
    """
    return _as_tensor(x).tanh()


def sigmoid(x: ArrayLike) -> Tensor:
    """1 / (1 + e⁻ˣ), elementwise (stable for large |x|).

    >>> sigmoid(Tensor([0.0]))
    Tensor([0.5])
    """
    return _as_tensor(x).sigmoid()


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, ``negative_slope`` · x elsewhere.

    >>> leaky_relu(Tensor([-2.0, 3.0]), 0.1)
    Tensor([-0.2,  3. ])
    """
    return _as_tensor(x).leaky_relu(negative_slope)


def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """x where x > 0, α (eˣ − 1) elsewhere.

    >>> elu(Tensor([-1000.0, 2.0]))
    Tensor([-1.,  2.])
    """
    return _as_tensor(x).elu(alpha)


def gelu(x: ArrayLike, approximate: str = "none") -> Tensor:
    """x · Φ(x) with Φ the standard normal CDF, or its tanh approximation
    (``approximate="tanh"``).

    >>> gelu(Tensor([1.0]))
    Tensor([0.8413])
    """
    return _as_tensor(x).gelu(approximate)


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(βx)) / β, and x itself where βx > ``threshold`` (PyTorch's definition).

    >>> round(softplus(Tensor([0.0])).item(), 6)           # ln 2
    0.693147
    """
    return _as_tensor(x).softplus(beta, threshold)


def silu(x: ArrayLike) -> Tensor:
    """x · σ(x) (swish).

    >>> silu(Tensor([0.0]))
    Tensor([0.])
    """
    return _as_tensor(x).silu()


def softmax(x: ArrayLike, dim: int = -1) -> Tensor:
    """eˣ / Σ eˣ along ``dim`` (default: the last axis).

    >>> softmax(Tensor([[0.0, 0.0]]), dim=1)
    Tensor([[0.5, 0.5]])
    """
    return _as_tensor(x).softmax(dim)


def log_softmax(x: ArrayLike, dim: int = -1) -> Tensor:
    """x − ln Σ eˣ along ``dim`` (default: the last axis), exact for inputs of any size.

    >>> log_softmax(Tensor([0.0, -1000.0]))
    Tensor([    0., -1000.])
    """
    return _as_tensor(x).log_softmax(dim)


def _check_number(owner: str, name: str, value: float, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    if positive and not value > 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}")
    return float(value)


class LeakyReLU(Module):
    """x where x > 0, ``negative_slope`` · x elsewhere (see :func:`leaky_relu`).

    >>> LeakyReLU(0.5)(Tensor([-2.0, 2.0]))
    Tensor([-1.,  2.])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = _check_number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: ArrayLike) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x where x > 0, α (eˣ − 1) elsewhere (see :func:`elu`).

    >>> ELU(alpha=2.0)(Tensor([0.0, 1.0]))
    Tensor([0., 1.])
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _check_number("ELU", "alpha", alpha)

    def forward(self, x: ArrayLike) -> Tensor:
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """x · Φ(x), exact by default or with ``approximate="tanh"`` (see :func:`gelu`).

    >>> GELU()(Tensor([0.0]))
    Tensor([0.])
    >>> GELU("erf")
    Traceback (most recent call last):
    ...
    ValueError: GELU: approximate must be 'none' or 'tanh', got 'erf'
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: ArrayLike) -> Tensor:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """ln(1 + e^(βx)) / β, linear above ``threshold`` (see :func:`softplus`).

    >>> Softplus(beta=2.0)(Tensor([100.0]))
    Tensor([100.])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _check_number("Softplus", "beta", beta, positive=True)
        self.threshold = _check_number("Softplus", "threshold", threshold)

    def forward(self, x: ArrayLike) -> Tensor:
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """x · σ(x) (see :func:`silu`).

    >>> SiLU()(Tensor([0.0]))
    Tensor([0.])
    """

    def forward(self, x: ArrayLike) -> Tensor:
        return silu(x)


class Softmax(Module):
    """eˣ / Σ eˣ along ``dim`` (see :func:`softmax`). ``dim=None`` means the last axis
    (PyTorch's deprecated guess from the number of axes is not copied; pass ``dim``).

    >>> Softmax(dim=1)(Tensor([[1.0, 1.0]]))
    Tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: ArrayLike) -> Tensor:
        return softmax(x, -1 if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x − ln Σ eˣ along ``dim`` (see :func:`log_softmax`); ``dim=None``: the last axis.

    >>> LogSoftmax(dim=0)(Tensor([0.0, 0.0])).data.round(4)
    array([-0.6931, -0.6931])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: ArrayLike) -> Tensor:
        return log_softmax(x, -1 if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
