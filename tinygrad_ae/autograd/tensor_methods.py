"""The methods Tensor gained in 0.2: more elementwise functions, activations, the softmax
family, reductions and shape changes. A mixin, so :mod:`tinygrad_ae.autograd.tensor`
stays short enough to read in one sitting.

Layer: part of the bottom layer; numpy only. Every method validates its arguments in the
user's terms, then calls one registered op (see :mod:`tinygrad_ae.autograd.ops`).
Wherever PyTorch says ``dim`` and numpy says ``axis``, both are accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_ae.autograd.tensor import Tensor

__all__ = ["TensorMethods"]

Axis = "int | tuple[int, ...] | None"

# NOTE: bound by tensor.py once Tensor and the ops exist (the ops import Tensor, so this
# module, which Tensor inherits from, cannot import them first).
_ops: Any = None


def _bind(ops_module: Any, tensor_class: type) -> None:
    global _ops
    _ops = ops_module
    globals()["Tensor"] = tensor_class  # for the methods that make tensors, and doctests


def _pick_axis(axis: Any, dim: Any, name: str) -> Any:
    """``axis`` or its PyTorch alias ``dim``; both at once is an error."""
    if dim is None:
        return axis
    if axis is not None:
        raise TypeError(f"{name}: pass axis or dim, not both")
    return dim


def _pick_keepdims(keepdims: bool, keepdim: bool | None) -> bool:
    """``keepdims`` (numpy) or its PyTorch alias ``keepdim``."""
    return bool(keepdims if keepdim is None else keepdim)


def _one_axis(axis: Any, ndim: int, name: str) -> int:
    """A single axis, made non-negative; a clear error when it is not one valid int."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be one int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor with {ndim} axes")
    return int(axis) % ndim


class TensorMethods:
    """Methods of :class:`~tinygrad_ae.autograd.tensor.Tensor` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray

        @property
        def ndim(self) -> int: ...

        @property
        def shape(self) -> tuple[int, ...]: ...

    # --- activations ------------------------------------------------------------------
    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, ``negative_slope``·x otherwise (PyTorch's default slope 0.01).

        >>> Tensor([-2.0, 3.0]).leaky_relu(0.1)
        Tensor([-0.2,  3. ])
        """
        return _ops.leaky_relu(self, negative_slope=float(negative_slope))

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, α(eˣ − 1) otherwise.

        >>> Tensor([-1000.0, 0.0, 2.0]).elu()
        Tensor([-1.,  0.,  2.])
        """
        return _ops.elu(self, alpha=float(alpha))

    def gelu(self, approximate: str = "none") -> Tensor:
        """x·Φ(x), Φ the standard normal CDF (PyTorch's exact default), or its tanh
        approximation with ``approximate="tanh"``.

        >>> Tensor([-1.0, 0.0, 1.0]).gelu()
        Tensor([-0.1587,  0.    ,  0.8413])
        """
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return _ops.gelu(self, approximate=approximate)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """ln(1 + e^(βx))/β, and x where βx > ``threshold`` (PyTorch's definition). Exact
        and silent for any x: softplus(−1000) = 0, softplus(1000) = 1000.

        >>> Tensor([-1000.0, 0.0, 1000.0]).softplus()
        Tensor([0.0000e+00, 6.9315e-01, 1.0000e+03])
        """
        if beta <= 0:
            raise ValueError(f"softplus: beta must be positive, got {beta}")
        return _ops.softplus(self, beta=float(beta), threshold=float(threshold))

    def silu(self) -> Tensor:
        """x·σ(x), also called swish.

        >>> Tensor([0.0, 1.0]).silu()
        Tensor([0.    , 0.7311])
        """
        return _ops.silu(self)

    # --- the softmax family ------------------------------------------------------------
    def softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """eˣ / Σ eˣ along ``axis`` (default: the last), computed without overflow.

        >>> Tensor([[1000.0, 1000.0], [0.0, 0.0]]).softmax(axis=1)
        Tensor([[0.5, 0.5],
                [0.5, 0.5]])
        """
        chosen = _pick_axis(axis, dim, "softmax")
        return _ops.softmax(self, axis=_one_axis(-1 if chosen is None else chosen,
                                                 self.ndim, "softmax"))

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """x − ln Σ eˣ along ``axis`` (default: the last), exact for inputs of any size.

        >>> Tensor([0.0, -1000.0]).log_softmax()
        Tensor([    0., -1000.])
        """
        chosen = _pick_axis(axis, dim, "log_softmax")
        return _ops.log_softmax(self, axis=_one_axis(-1 if chosen is None else chosen,
                                                     self.ndim, "log_softmax"))

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
                  keepdim: bool | None = None) -> Tensor:
        """ln Σ eˣ over ``axis`` (an int, a tuple, or None for all), without overflow.

        >>> Tensor([1000.0, 1000.0]).logsumexp().item()  # 1000 + ln 2
        1000.6931471805599
        """
        if self.data.size == 0:
            raise ValueError("logsumexp: cannot reduce an empty tensor")
        axes = _ops.normalize_axis(_pick_axis(axis, dim, "logsumexp"), self.ndim, "logsumexp")
        return _ops.logsumexp(self, axis=axes, keepdims=_pick_keepdims(keepdims, keepdim))
