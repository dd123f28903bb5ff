"""Functions of several tensors: cat (concatenate), stack, split, where, maximum,
minimum, exported as ``tinygrad_ae.cat`` and so on.

Layer: part of the bottom layer; imports numpy, ``tensor`` and ``ops`` only. Each checks
its arguments in the user's terms and calls one registered op. Numbers, lists and numpy
arrays are accepted wherever a Tensor is, and become constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_ae.autograd import ops as _ops
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor
from tinygrad_ae.autograd.tensor_methods import _one_axis, _pick_axis

__all__ = ["cat", "concatenate", "stack", "split", "where", "maximum", "minimum"]


def _tensors(tensors: Sequence[ArrayLike], name: str) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(f"{name}: pass a list or tuple of tensors, not one tensor")
    items = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not items:
        raise ValueError(f"{name}: needs at least one tensor")
    return items


def cat(tensors: Sequence[ArrayLike], axis: int | None = None, *,
        dim: int | None = None) -> Tensor:
    """Join tensors along an existing ``axis`` (default 0); every other axis must match.
    Each input's gradient is its slice of the output's.

    >>> a, b = Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0], [5.0, 6.0]])
    >>> cat([a, b]).shape
    (3, 2)
    >>> cat([b, b], dim=1).shape
    (2, 4)
    """
    items = _tensors(tensors, "cat")
    chosen = _pick_axis(axis, dim, "cat")
    first = items[0]
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be joined; use stack")
    position = _one_axis(0 if chosen is None else chosen, first.ndim, "cat")
    for t in items[1:]:
        if t.ndim != first.ndim or any(n != m for i, (n, m) in
                                       enumerate(zip(t.shape, first.shape)) if i != position):
            raise ValueError(f"cat: shapes {first.shape} and {t.shape} differ outside axis "
                             f"{position}; every other axis must match")
    return _ops.concatenate(*items, axis=position)  # type: ignore[no-any-return]


def concatenate(tensors: Sequence[ArrayLike], axis: int | None = None, *,
                dim: int | None = None) -> Tensor:
    """numpy's name for :func:`cat`.

    >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])])
    Tensor([1., 2., 3.])
    """
    return cat(tensors, axis, dim=dim)


def stack(tensors: Sequence[ArrayLike], axis: int | None = None, *,
          dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new ``axis`` (default 0).

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1)
    Tensor([[1., 3.],
            [2., 4.]])
    """
    items = _tensors(tensors, "stack")
    chosen = _pick_axis(axis, dim, "stack")
    for t in items[1:]:
        if t.shape != items[0].shape:
            raise ValueError(f"stack: every tensor must have the same shape, got "
                             f"{items[0].shape} and {t.shape}")
    position = _one_axis(0 if chosen is None else chosen, items[0].ndim + 1, "stack")
    return _ops.stack(*items, axis=position)  # type: ignore[no-any-return]


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], axis: int | None = None,
          *, dim: int | None = None) -> tuple[Tensor, ...]:
    """Cut ``tensor`` along ``axis`` into pieces (see :meth:`Tensor.split`).

    >>> [t.tolist() for t in map(lambda t: t.data, split(Tensor([1.0, 2.0, 3.0]), 2))]
    [[1.0, 2.0], [3.0]]
    """
    return tensor.split(split_size_or_sections, axis, dim=dim)


def where(condition: ArrayLike, input: ArrayLike, other: ArrayLike) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (the three broadcast together).
    ``condition`` is a boolean Tensor (``x > 0``) or array; the gradient of each side is
    the output's where that side was chosen, 0 elsewhere.

    >>> x = Tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0)
    Tensor([0., 2.])
    """
    mask = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if mask.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean (for example x > 0), got dtype "
                        f"{mask.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)
    try:
        np.broadcast_shapes(mask.shape, np.shape(_value(input)), np.shape(_value(other)))
    except ValueError:
        raise ValueError(f"where: cannot broadcast the shapes of condition {mask.shape}, "
                         f"input {np.shape(_value(input))} and other "
                         f"{np.shape(_value(other))}") from None
    return _ops.where(input, other, condition=mask)  # type: ignore[no-any-return]


def maximum(input: ArrayLike, other: ArrayLike) -> Tensor:
    """The larger of the two, entry by entry (broadcast); a tie splits the gradient.

    >>> maximum(Tensor([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
    """
    return _ops.maximum(*_one_tensor(input, other))  # type: ignore[no-any-return]


def minimum(input: ArrayLike, other: ArrayLike) -> Tensor:
    """The smaller of the two, entry by entry (broadcast); a tie splits the gradient.

    >>> minimum(Tensor([1.0, 5.0]), 3.0)
    Tensor([1., 3.])
    """
    return _ops.minimum(*_one_tensor(input, other))  # type: ignore[no-any-return]


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _one_tensor(a: Any, b: Any) -> tuple[Any, Any]:
    """At least one of the two as a Tensor, so the op records and returns a Tensor."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return a, b
