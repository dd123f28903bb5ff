"""Tensor: a value, its gradient, and the op that made it.

Layer: the bottom of the package. Imports numpy only at module level; the operator
methods delegate to :mod:`tinygrad_ae.ops` and ``backward`` to :mod:`tinygrad_ae.engine`
(both imported at the end of this file, since they build on :class:`Tensor`).

A Tensor made by an op remembers three things, and nothing else: the op, its input
tensors (``_parents``) and the op's non-tensor parameters (an axis, a shape, an index).
It never holds a reference to the tensors computed from it, so a graph has no reference
cycles and is freed by reference counting the moment its last tensor goes away.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from tinygrad_ae.autograd import _display
from tinygrad_ae.autograd._state import STATE
from tinygrad_ae.autograd.inplace import InPlaceMethods
from tinygrad_ae.autograd.tensor_methods import TensorMethods, _pick_axis

if TYPE_CHECKING:
    from tinygrad_ae.autograd.ops import Op

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "ArrayLike", "STATE"]

ArrayLike = Union["Tensor", np.ndarray, float, int, bool, list, tuple]


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16))


def _as_float_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert ``data`` to a float ndarray: floats keep their dtype, ints and bools become
    float64 (the default float), and ``dtype`` wins when given."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in _FLOAT_DTYPES:
            raise TypeError(f"Tensor dtype must be a float type (float32 or float64), got {dtype}")
        return np.array(data, dtype=dtype)
    array = np.array(data)
    if array.dtype in _FLOAT_DTYPES:
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind == "c":
        raise TypeError("Tensor does not support complex numbers; pass real-valued data")
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"Tensor needs numbers, got {type(data).__name__} with dtype {array.dtype}"
        ) from None


class Tensor(TensorMethods, InPlaceMethods):
    """An n-dimensional array that records the ops applied to it, for reverse-mode
    differentiation.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)`` wraps a copy of ``data``
    (a scalar, list, numpy array or Tensor). float32 stays float32; ints and bools become
    float64, the default float. ``name`` labels the node in graph drawings.

    >>> w = Tensor(3.0, requires_grad=True, name="w")
    >>> loss = (w * 2.0 - 1.0) ** 2      # L = (2w - 1)²
    >>> loss.backward()                  # ∂L/∂w = 2(2w - 1)·2 = 20 at w = 3
    >>> w.grad
    array(20.)
    """

    # NOTE: _stamp is set only on tensors made by a recorded op (STATE.mutations then).
    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_parents", "_params",
                 "_scope", "_stamp", "__weakref__")
    # numpy defers to our reflected operators (ndarray + Tensor gives a Tensor).
    __array_ufunc__ = None

    def __init__(
        self,
        data: ArrayLike,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self.data: np.ndarray = _as_float_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.name: str | None = name
        self._op: Op | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._params: dict[str, Any] | None = None
        self._scope: str = STATE.scope

    # --- numpy-like views -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op (PyTorch's meaning)."""
        return self._op is None

    @property
    def op_name(self) -> str | None:
        """The name of the op that made this tensor, or None for a leaf."""
        return None if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The input tensors of the op that made this tensor (empty for a leaf)."""
        return self._parents

    @property
    def params(self) -> dict[str, Any]:
        """The op's non-tensor parameters (axis, shape, index), empty when it has none."""
        return {} if self._params is None else dict(self._params)

    @property
    def scope(self) -> str:
        """Dotted name of the module whose forward created this tensor ('' outside one)."""
        return self._scope

    def numpy(self) -> np.ndarray:
        """The value as a numpy array (the tensor's own buffer, not a copy)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self.data.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # numpy ≥ 2 passes copy=True for np.array(t): the result must not alias t.
        if dtype is not None:
            return self.data.astype(dtype, copy=bool(copy) or copy is None)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __float__(self) -> float:
        return self.item()

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ")
        extras = []
        if self.name:
            extras.append(f"name={self.name!r}")
        if self.requires_grad:
            extras.append(f"requires_grad=True, op={self.op_name or 'leaf'}")
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        return f"Tensor({body}{', ' if extras else ''}{', '.join(extras)})"

    _repr_html_ = _display.tensor_html   # Jupyter: a small table (shape, dtype, values, grad)

    # --- graph helpers ---------------------------------------------------------------
    def detach(self) -> Tensor:
        """A new leaf sharing this value, cut off from the graph (no gradient flows back)."""
        out = Tensor.__new__(Tensor)
        out.data = self.data
        out.grad = None
        out.requires_grad = False
        out.name = self.name
        out._op = None
        out._parents = ()
        out._params = None
        out._scope = self._scope
        return out

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``grad`` to None, as PyTorch does)."""
        self.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf and return self."""
        if self._op is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) only works on leaves; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another float dtype (a new leaf when it does not require grad)."""
        return _ops.astype(self, dtype=np.dtype(dtype))

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Reverse-mode pass: add ∂self/∂leaf into ``leaf.grad`` for every leaf that
        requires grad. A non-scalar tensor needs ``grad`` (the vector in the
        vector-Jacobian product). Gradients accumulate across calls, as in PyTorch.

        A two-step chain, each partial written out: y = 3x, L = y².
        ∂L/∂y = 2y = 12 at x = 2, ∂y/∂x = 3, so ∂L/∂x = 12 · 3 = 36.

        >>> x = Tensor(2.0, requires_grad=True)
        >>> y = x * 3
        >>> L = y * y
        >>> L.backward()
        >>> x.grad
        array(36.)
        >>> L.backward()       # accumulates
        >>> x.grad
        array(72.)
        """
        _engine.backward(self, grad)

    # --- arithmetic -------------------------------------------------------------------
    def __add__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.add, self, other)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.add, other, self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.sub, self, other)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.sub, other, self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.mul, self, other)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.mul, other, self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.div, self, other)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.div, other, self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            # A plain Python number: np.float64(2) would otherwise turn float32 to float64.
            exponent = int(exponent) if float(exponent).is_integer() else float(exponent)
            return _ops.pow_scalar(self, exponent=exponent)
        return _ops.pow(self, exponent)

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return _ops.pow(base, self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.matmul, self, other)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _binary(_ops.matmul, other, self)

    def __neg__(self) -> Tensor:
        return _unary(_ops.neg, self)

    def __pos__(self) -> Tensor:
        return self

    # --- reductions -------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
            dim: int | tuple[int, ...] | None = None, keepdim: bool | None = None) -> Tensor:
        """Sum over ``axis`` (an int, a tuple, or None for all); ``dim``/``keepdim`` are
        PyTorch's names for ``axis``/``keepdims``."""
        if dim is not None:
            axis = _pick_axis(axis, dim, "sum")
        if keepdim is not None:
            keepdims = keepdim
        return _ops.sum(self, axis=_ops.normalize_axis(axis, self.ndim, "sum"),
                        keepdims=bool(keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
             dim: int | tuple[int, ...] | None = None, keepdim: bool | None = None) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of summed entries."""
        if dim is not None:
            axis = _pick_axis(axis, dim, "mean")
        if keepdim is not None:
            keepdims = keepdim
        axes = _ops.normalize_axis(axis, self.ndim, "mean")
        count = 1
        for a in (range(self.ndim) if axes is None else axes):
            count *= self.shape[a]
        if count == 0:
            raise ValueError(f"mean: cannot average over an empty axis of shape {self.shape}")
        return _ops.sum(self, axis=axes, keepdims=bool(keepdims)) / count

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, *,
            dim: int | tuple[int, ...] | None = None, keepdim: bool | None = None) -> Tensor:
        """Maximum over ``axis``. Where several entries tie for the maximum, they share
        the gradient equally (each gets 1/count), so the total is preserved. (The values
        only: for the positions, use :meth:`argmax`.)"""
        if dim is not None:
            axis = _pick_axis(axis, dim, "max")
        if keepdim is not None:
            keepdims = keepdim
        if self.size == 0:
            raise ValueError("max: cannot take the maximum of an empty tensor")
        return _ops.max(self, axis=_ops.normalize_axis(axis, self.ndim, "max"),
                        keepdims=bool(keepdims))

    # --- elementwise ------------------------------------------------------------------
    def exp(self) -> Tensor:
        return _unary(_ops.exp, self)

    def log(self) -> Tensor:
        return _unary(_ops.log, self)

    def sqrt(self) -> Tensor:
        return _unary(_ops.sqrt, self)

    def abs(self) -> Tensor:
        return _unary(_ops.abs, self)

    def relu(self) -> Tensor:
        return _unary(_ops.relu, self)

    def tanh(self) -> Tensor:
        return _unary(_ops.tanh, self)

    def sigmoid(self) -> Tensor:
        return _unary(_ops.sigmoid, self)

    # --- shape ------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Reshape like numpy: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``, one -1 allowed."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape  # validates
        except (ValueError, TypeError):
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {self.shape} "
                f"({self.size} elements) into shape {tuple(shape)}"
            ) from None
        return _ops.reshape(self, shape=target)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes like numpy; no argument reverses them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:  # reversed: always a valid permutation
            return _ops.transpose(self, axes=tuple(range(self.ndim - 1, -1, -1)))
        if sorted(a % self.ndim if self.ndim else a for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the "
                f"{self.ndim} axes of shape {self.shape}"
            )
        return _ops.transpose(self, axes=tuple(a % self.ndim for a in axes))

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return self.transpose()

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """Broadcast to ``shape`` with numpy's rules; the gradient sums back."""
        shape = tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {self.shape} to {shape}"
            ) from None
        if np.broadcast_shapes(self.shape, shape) != shape:
            raise ValueError(f"broadcast_to: cannot broadcast shape {self.shape} to {shape}")
        return _ops.broadcast_to(self, shape=shape)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index=_ops.normalize_index(index, self.shape))


@contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block (for evaluation and optimizer steps).

    >>> w = Tensor(1.0, requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    previous = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph inside the block, even within ``no_grad``."""
    previous = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def is_grad_enabled() -> bool:
    """Whether ops record the graph right now."""
    return STATE.grad_enabled


# Imported last: both modules build on the class above.
from tinygrad_ae.autograd import engine as _engine  # noqa: E402
from tinygrad_ae.autograd import ops as _ops  # noqa: E402
from tinygrad_ae.autograd.inplace import _bind as _bind_inplace  # noqa: E402
from tinygrad_ae.autograd.ops._core import binary as _binary  # noqa: E402
from tinygrad_ae.autograd.ops._core import unary as _unary  # noqa: E402
from tinygrad_ae.autograd.tensor_methods import _bind  # noqa: E402

_bind(_ops, Tensor)
_bind_inplace(_ops, Tensor)
