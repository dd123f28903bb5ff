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

    # --- comparisons ------------------------------------------------------------------
    # NOTE: == compares values, so hashing cannot follow it (equal values, different
    # tensors); a Tensor hashes by identity, as in PyTorch. Sets and dict keys of tensors
    # therefore mean "this very tensor", and `t in list_of_tensors` must not be used (it
    # falls back to ==): compare with `is`, or key a dict by id.
    __hash__ = object.__hash__

    def _compare(self, other: Any, fn: Any, symbol: str) -> Any:
        if isinstance(other, TensorMethods):
            other_data: Any = other.data
        elif isinstance(other, (int, float, bool, np.number, np.ndarray, list, tuple)):
            other_data = other
        else:
            return NotImplemented  # None, strings, …: Python falls back to identity
        try:
            return _plain(np.asarray(fn(self.data, other_data)))
        except ValueError:
            raise ValueError(f"{symbol}: cannot compare shapes {self.shape} and "
                             f"{np.shape(other_data)}; trailing axes must be equal or 1") from None

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        """Entry by entry, a boolean Tensor that never requires grad (broadcast).

        Hashing stays by identity, as in PyTorch: two tensors with equal values are
        still two dict keys. So ``t in [a, b]`` (which falls back to ``==``) is not a
        membership test for tensors; use ``any(t is u for u in ...)`` or ids.

        >>> Tensor([1.0, 2.0]) == Tensor([1.0, 3.0])
        Tensor([ True, False], dtype=bool)
        """
        return self._compare(other, np.equal, "==")

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.not_equal, "!=")

    def __lt__(self, other: Any) -> Any:
        """``x < y`` entry by entry: a boolean Tensor (also ``<= > >=``).

        >>> Tensor([-1.0, 0.0, 2.0]) > 0
        Tensor([False, False,  True], dtype=bool)
        """
        return self._compare(other, np.less, "<")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal, "<=")

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater, ">")

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal, ">=")

    def __invert__(self) -> Tensor:
        """``~mask`` for a boolean Tensor: the logical not."""
        if self.data.dtype != np.bool_:
            raise TypeError(f"~ needs a boolean tensor (from a comparison), got dtype "
                            f"{self.data.dtype}")
        return _plain(~self.data)

    def __and__(self, other: Any) -> Tensor:
        """``a & b`` for boolean Tensors (also ``|``)."""
        return self._logical(other, np.logical_and, "&")

    def __or__(self, other: Any) -> Tensor:
        return self._logical(other, np.logical_or, "|")

    def _logical(self, other: Any, fn: Any, symbol: str) -> Tensor:
        other_data = other.data if isinstance(other, TensorMethods) else np.asarray(other)
        if self.data.dtype != np.bool_ or other_data.dtype != np.bool_:
            raise TypeError(f"{symbol} needs boolean tensors (from comparisons), got dtypes "
                            f"{self.data.dtype} and {other_data.dtype}")
        return _plain(fn(self.data, other_data))

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; any other size is ambiguous (use
        ``.all()``-style reductions on ``.data``), so it raises, as in PyTorch.

        >>> bool(Tensor(2.0) > 1)
        True
        """
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is "
                               f"ambiguous; compare one element, or use (t == u).data.all()")
        return bool(self.data.item())

    def all(self) -> bool:
        """Whether every entry is true (nonzero); a Python bool.

        >>> (Tensor([1.0, 2.0]) > 0).all()
        True
        """
        return bool(np.all(self.data))

    def any(self) -> bool:
        """Whether some entry is true (nonzero); a Python bool."""
        return bool(np.any(self.data))

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

    # --- elementwise --------------------------------------------------------------------
    def square(self) -> Tensor:
        """x² (one multiplication).

        >>> Tensor([-3.0, 2.0]).square()
        Tensor([9., 4.])
        """
        return _ops.square(self)

    def log1p(self) -> Tensor:
        """ln(1 + x), accurate for tiny x.

        >>> Tensor(1e-20).log1p().item()
        1e-20
        """
        return _ops.log1p(self)

    def expm1(self) -> Tensor:
        """eˣ − 1, accurate for tiny x.

        >>> Tensor(1e-20).expm1().item()
        1e-20
        """
        return _ops.expm1(self)

    def sin(self) -> Tensor:
        """sin x (radians)."""
        return _ops.sin(self)

    def cos(self) -> Tensor:
        """cos x (radians)."""
        return _ops.cos(self)

    def sign(self) -> Tensor:
        """−1, 0 or 1 by the sign of each entry; its gradient is 0.

        >>> Tensor([-2.0, 0.0, 5.0]).sign()
        Tensor([-1.,  0.,  1.])
        """
        return _ops.sign(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """Each entry limited to [min, max]; either bound may be None (not both). The
        gradient goes to x inside the bounds (bounds included) and is 0 outside, as
        PyTorch's ``clamp``. Numbers make one ``clip`` node; Tensor or array bounds (which
        broadcast) get the gradient where they are the result, through ``where``.

        >>> Tensor([-2.0, 0.5, 3.0]).clip(-1, 1)
        Tensor([-1. ,  0.5,  1. ])
        """
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        if all(b is None or isinstance(b, (int, float, np.number)) for b in (min, max)):
            return _ops.clip(self, min=None if min is None else float(min),
                             max=None if max is None else float(max))
        out: Any = self
        for bound, beyond in ((min, np.less), (max, np.greater)):
            if bound is not None:
                limit = bound.data if isinstance(bound, TensorMethods) else np.asarray(bound)
                out = _ops.where(bound, out, condition=beyond(out.data, limit))
        return out  # type: ignore[no-any-return]

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """PyTorch's name for :meth:`clip`.

        >>> Tensor([-2.0, 3.0]).clamp(min=0)
        Tensor([0., 3.])
        """
        return self.clip(min, max)

    def maximum(self, other: Any) -> Tensor:
        """The larger of self and ``other`` entry by entry (broadcast); a tie splits the
        gradient equally, as in PyTorch.

        >>> Tensor([1.0, 5.0]).maximum(Tensor([3.0, 2.0]))
        Tensor([3., 5.])
        """
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        """The smaller of self and ``other`` entry by entry (broadcast).

        >>> Tensor([1.0, 5.0]).minimum(3.0)
        Tensor([1., 3.])
        """
        return _ops.minimum(self, other)

    # --- reductions ---------------------------------------------------------------------
    def _axes(self, axis: Any, dim: Any, name: str) -> tuple[int, ...] | None:
        return _ops.normalize_axis(_pick_axis(axis, dim, name), self.ndim, name)  # type: ignore[no-any-return]

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Minimum over ``axis`` (an int, a tuple, or None for all); like :meth:`max`,
        ties share the gradient equally. (The values only: for the positions, use
        :meth:`argmin`.)

        >>> Tensor([[3.0, 1.0], [2.0, 4.0]]).min(axis=1)
        Tensor([1., 2.])
        """
        if self.data.size == 0:
            raise ValueError("min: cannot take the minimum of an empty tensor")
        return _ops.min(self, axis=self._axes(axis, dim, "min"),
                        keepdims=_pick_keepdims(keepdims, keepdim))

    def prod(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Product over ``axis``; the gradient of each entry is the product of the others
        (zeros included, no division by zero).

        >>> Tensor([2.0, 3.0, 4.0]).prod()
        Tensor(24.)
        """
        return _ops.prod(self, axis=self._axes(axis, dim, "prod"),
                         keepdims=_pick_keepdims(keepdims, keepdim))

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
            dim: Any = None, keepdim: bool | None = None, correction: int | None = None
            ) -> Tensor:
        """Variance over ``axis``: Σ(x − mean)²/(n − ddof). ``ddof=0`` (the default, as
        numpy) is the population variance; ``ddof=1`` (PyTorch's default, there called
        ``correction``) the unbiased estimate.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
        Tensor(1.25)
        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var(ddof=1).item()
        1.6666666666666667
        """
        return self._spread(_ops.var, "var", axis, ddof, keepdims, dim, keepdim, correction)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
            dim: Any = None, keepdim: bool | None = None, correction: int | None = None
            ) -> Tensor:
        """Standard deviation over ``axis``: the square root of :meth:`var` (same
        arguments). Where every entry is equal its gradient is taken as 0, as PyTorch
        does.

        >>> Tensor([1.0, 3.0]).std()
        Tensor(1.)
        """
        return self._spread(_ops.std, "std", axis, ddof, keepdims, dim, keepdim, correction)

    def _spread(self, entry: Any, name: str, axis: Any, ddof: Any, keepdims: bool, dim: Any,
                keepdim: bool | None, correction: int | None) -> Tensor:
        axes = self._axes(axis, dim, name)
        if correction is not None:
            ddof = correction
        count = int(np.prod([self.shape[a] for a in (range(self.ndim) if axes is None
                                                     else axes)]))
        if not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise ValueError(f"{name}: ddof must be a non-negative int, got {ddof!r}")
        if count - ddof <= 0:
            raise ValueError(f"{name}: ddof={ddof} leaves no degrees of freedom over {count} "
                             f"entries; use a smaller ddof or reduce over more entries")
        return entry(self, axis=axes, keepdims=_pick_keepdims(keepdims, keepdim),  # type: ignore[no-any-return]
                     ddof=int(ddof))

    def argmax(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        """Index of the maximum along ``axis`` (None: into the flattened tensor), as an
        int64 Tensor that never requires grad (the first one on a tie).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(axis=1)
        Tensor([1, 0], dtype=int64)
        """
        return self._arg(np.argmax, "argmax", axis, dim, keepdims, keepdim)

    def argmin(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        """Index of the minimum along ``axis`` (None: into the flattened tensor), as an
        int64 Tensor that never requires grad.

        >>> Tensor([3.0, 1.0, 2.0]).argmin()
        Tensor(1, dtype=int64)
        """
        return self._arg(np.argmin, "argmin", axis, dim, keepdims, keepdim)

    def _arg(self, fn: Any, name: str, axis: Any, dim: Any, keepdims: bool,
             keepdim: bool | None) -> Tensor:
        if self.data.size == 0:
            raise ValueError(f"{name}: the tensor is empty")
        chosen = _pick_axis(axis, dim, name)
        keep = _pick_keepdims(keepdims, keepdim)
        if chosen is None:
            index = np.asarray(fn(self.data), dtype=np.int64)
            return _plain(index.reshape((1,) * self.ndim) if keep else index)
        chosen = _one_axis(chosen, self.ndim, name)
        return _plain(fn(self.data, axis=chosen, keepdims=keep).astype(np.int64))


    # --- shape --------------------------------------------------------------------------
    def squeeze(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Drop axes of length 1: all of them (``axis=None``), or those listed (an int
        or a tuple); a listed axis whose length is not 1 is kept, as in PyTorch.

        >>> Tensor([[[1.0], [2.0]]]).squeeze().shape
        (2,)
        >>> Tensor([[1.0, 2.0]]).squeeze(axis=1).shape
        (1, 2)
        """
        axes = self._axes(axis, dim, "squeeze")
        chosen = range(self.ndim) if axes is None else axes
        drop = {a for a in chosen if self.shape[a] == 1}
        return self._reshaped(tuple(n for a, n in enumerate(self.shape) if a not in drop))

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Insert an axis of length 1 at position ``axis`` (−1: at the end).

        >>> Tensor([1.0, 2.0]).unsqueeze(0).shape
        (1, 2)
        >>> Tensor([1.0, 2.0]).unsqueeze(dim=-1).shape
        (2, 1)
        """
        chosen = _pick_axis(axis, dim, "unsqueeze")
        if chosen is None:
            raise TypeError("unsqueeze: give the position of the new axis (axis= or dim=)")
        position = _one_axis(chosen, self.ndim + 1, "unsqueeze")
        return self._reshaped((*self.shape[:position], 1, *self.shape[position:]))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes ``start_dim`` … ``end_dim`` (inclusive) into one, as PyTorch's
        ``flatten``; a 0-d tensor becomes shape (1,).

        >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self._reshaped((1,))
        start = _one_axis(start_dim, self.ndim, "flatten")
        end = _one_axis(end_dim, self.ndim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor with {self.ndim} axes")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self._reshaped((*self.shape[:start], merged, *self.shape[end + 1:]))

    def _reshaped(self, shape: tuple[int, ...]) -> Tensor:
        """A reshape to a shape known to be valid (no node when nothing changes)."""
        if shape == self.shape:
            return self  # type: ignore[return-value]
        return _ops.reshape(self, shape=shape)

    def permute(self, *axes: Any, dims: Any = None) -> Tensor:
        """Reorder the axes: ``t.permute(2, 0, 1)`` or ``t.permute((2, 0, 1))``; a
        transpose with PyTorch's name.

        >>> Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        if dims is not None:
            if axes:
                raise TypeError("permute: pass the axes or dims=, not both")
            axes = tuple(dims)
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) != self.ndim:
            raise ValueError(f"permute: {len(axes)} axes given for a tensor with {self.ndim} "
                             f"axes (shape {self.shape}); list each axis once")
        return self.transpose(*axes)  # type: ignore[attr-defined, no-any-return]

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` without copying, as PyTorch's ``expand``: −1 keeps an
        axis's length, and new axes may be added in front; the gradient sums back.

        >>> Tensor([[1.0], [2.0]]).expand(2, 3).shape
        (2, 3)
        >>> Tensor([1.0, 2.0]).expand(3, -1).shape
        (3, 2)
        """
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes given for a tensor with {self.ndim} "
                             f"axes (shape {self.shape}); give at least one per axis")
        target = []
        for i, n in enumerate(sizes):
            if n == -1:
                if i < lead:
                    raise ValueError(f"expand: -1 is not allowed for the new leading axis {i}")
                n = self.shape[i - lead]
            target.append(int(n))
        return self.broadcast_to(tuple(target))  # type: ignore[attr-defined, no-any-return]

    def flip(self, axis: Any = None, *, dims: Any = None, dim: Any = None) -> Tensor:
        """Reverse the order of the entries along ``axis`` (an int or a tuple; None:
        every axis, as numpy). ``dims=`` is PyTorch's name.

        >>> Tensor([1.0, 2.0, 3.0]).flip(0)
        Tensor([3., 2., 1.])
        """
        chosen = _pick_axis(_pick_axis(axis, dims, "flip"), dim, "flip")
        axes = _ops.normalize_axis(chosen, self.ndim, "flip")
        return _ops.flip(self, axis=tuple(range(self.ndim)) if axes is None else axes)

    def pad(self, pad: Any, value: float = 0.0, mode: str = "constant") -> Tensor:
        """Surround the tensor with ``value``. ``pad`` is either PyTorch's flat tuple,
        starting from the last axis — ``(left, right)``, ``(left, right, top, bottom)``,
        … — or numpy's one (before, after) pair per axis.

        >>> Tensor([[1.0, 2.0]]).pad((1, 0))            # the last axis: 1 before, 0 after
        Tensor([[0., 1., 2.]])
        >>> Tensor([[1.0, 2.0]]).pad(((1, 0), (0, 0))).shape  # numpy's pairs
        (2, 2)
        """
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
        return _ops.pad(self, widths=_pad_widths(pad, self.shape), value=float(value))

    def split(self, split_size_or_sections: Any, axis: int | None = None, *,
              dim: int | None = None) -> tuple[Tensor, ...]:
        """Cut along ``axis`` (default 0) into pieces, as PyTorch's ``split``: an int
        is each piece's length (the last may be shorter), a list gives every length.

        >>> [piece.shape for piece in Tensor(np.zeros((5, 2))).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        >>> [piece.shape for piece in Tensor(np.zeros((5, 2))).split([1, 4])]
        [(1, 2), (4, 2)]
        """
        chosen = _pick_axis(axis, dim, "split")
        position = _one_axis(0 if chosen is None else chosen, self.ndim, "split")
        length = self.shape[position]
        if isinstance(split_size_or_sections, (int, np.integer)):
            size = int(split_size_or_sections)
            if size <= 0:
                raise ValueError(f"split: the piece length must be positive, got {size}")
            sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
        else:
            sizes = [int(n) for n in split_size_or_sections]
            if any(n < 0 for n in sizes) or sum(sizes) != length:
                raise ValueError(f"split: lengths {sizes} must be non-negative and add up to "
                                 f"{length}, the length of axis {position}")
        pieces, start = [], 0
        for n in sizes:
            index = (slice(None),) * position + (slice(start, start + n),)
            pieces.append(_ops.getitem(self, index=index))
            start += n
        return tuple(pieces)


def _plain(array: np.ndarray) -> Tensor:
    """A leaf holding ``array`` as it is (any dtype: bool, int), never requiring grad."""
    out = Tensor.__new__(Tensor)
    out.data = array
    out.grad = None
    out.requires_grad = False
    out.name = None
    out._op = None
    out._parents = ()
    out._params = None
    out._scope = ""
    return out


def _pad_widths(pad: Any, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """One (before, after) pair per axis, from PyTorch's flat tuple (last axis first) or
    from numpy's pairs; a clear error for anything else."""
    items = list(pad)
    if items and all(isinstance(p, (tuple, list)) for p in items):
        if len(items) != len(shape):
            raise ValueError(f"pad: {len(items)} (before, after) pairs given for a tensor with "
                             f"{len(shape)} axes (shape {shape}); give one per axis")
        pairs = [tuple(p) for p in items]
    else:
        if len(items) % 2 or len(items) // 2 > len(shape):
            raise ValueError(f"pad: {pad!r} must hold an even number of widths, at most two per "
                             f"axis of shape {shape} (PyTorch's order: last axis first)")
        flat = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
        pairs = [(0, 0)] * (len(shape) - len(flat)) + flat[::-1]
    widths = []
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(w, (int, np.integer)) and w >= 0 for w in pair):
            raise ValueError(f"pad: widths must be non-negative ints, got {pad!r}")
        widths.append((int(pair[0]), int(pair[1])))
    return tuple(widths)
