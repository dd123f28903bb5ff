"""Tensor factories with PyTorch's names: zeros, ones, full, arange, eye, rand, randn and
their ``*_like`` forms, plus :func:`manual_seed` for the random ones.

Layer: part of the bottom layer; imports numpy and ``tensor`` only.

Every factory takes ``dtype`` (float64 by default, or float32) and ``requires_grad``, and
a shape either as separate ints (``zeros(2, 3)``, PyTorch) or as one tuple
(``zeros((2, 3))``, numpy). The random ones draw from a numpy ``Generator``: the one given
as ``rng=`` (a Generator or an int seed), else the module's, which :func:`manual_seed`
resets (unseeded until then, as numpy's default).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

__all__ = ["zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like",
           "ones_like", "full_like", "rand_like", "randn_like", "manual_seed"]

_GENERATOR: list[np.random.Generator] = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator that :func:`rand` and :func:`randn` use when given no ``rng``;
    returns it. Two runs after the same seed draw the same numbers.

    >>> _ = manual_seed(0); a = randn(3)
    >>> _ = manual_seed(0); b = randn(3)
    >>> bool((a == b).all())
    True
    """
    _GENERATOR[0] = np.random.default_rng(seed)
    return _GENERATOR[0]


def _shape(size: tuple[Any, ...], name: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
               for n in size):
        raise ValueError(f"{name}: the shape must be non-negative ints, got {size}")
    return tuple(int(n) for n in size)


def _dtype(dtype: Any, name: str) -> np.dtype:
    chosen = np.dtype(np.float64 if dtype is None else dtype)
    if chosen not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name}: dtype must be float32 or float64, got {chosen}")
    return chosen


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad, dtype=array.dtype)


def _generator(rng: Any) -> np.random.Generator:
    if rng is None:
        return _GENERATOR[0]
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    >>> zeros(2, 3).shape, zeros((2,), dtype="float32").dtype
    ((2, 3), dtype('float32'))
    """
    return _make(np.zeros(_shape(size, "zeros"), _dtype(dtype, "zeros")), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> ones(2)
    Tensor([1., 1.])
    """
    return _make(np.ones(_shape(size, "ones"), _dtype(dtype, "ones")), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` (an int or a tuple) filled with ``fill_value``.

    >>> full((2, 2), 7.0)
    Tensor([[7., 7.],
            [7., 7.]])
    """
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else tuple(size), "full")
    return _make(np.full(shape, fill_value, _dtype(dtype, "full")), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, … up to but not including ``end`` (``arange(n)``: 0 … n − 1),
    as floats.

    >>> arange(4)
    Tensor([0., 1., 2., 3.])
    >>> arange(1, 2, 0.25)
    Tensor([1.  , 1.25, 1.5 , 1.75])
    """
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if end is None:
        start, end = 0, start
    return _make(np.arange(start, end, step, dtype=_dtype(dtype, "arange")), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n × m identity matrix (m = n by default).

    >>> eye(2)
    Tensor([[1., 0.],
            [0., 1.]])
    """
    _shape((n,) if m is None else (n, m), "eye")
    return _make(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, rng: Any = None) -> Tensor:
    """Uniform numbers in [0, 1).

    >>> t = rand(1000, rng=0)
    >>> bool((t >= 0).all() and (t < 1).all())
    True
    """
    shape, chosen = _shape(size, "rand"), _dtype(dtype, "rand")
    return _make(_generator(rng).random(shape, dtype=chosen), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, rng: Any = None) -> Tensor:
    """Standard normal numbers (mean 0, variance 1).

    >>> abs(randn(10_000, rng=0).mean().item()) < 0.05
    True
    """
    shape, chosen = _shape(size, "randn"), _dtype(dtype, "randn")
    return _make(_generator(rng).standard_normal(shape, dtype=chosen), requires_grad)


def _like(t: ArrayLike, dtype: Any) -> tuple[tuple[int, ...], Any]:
    array = t.data if isinstance(t, Tensor) else np.asarray(t)
    if dtype is None:
        dtype = array.dtype if array.dtype.kind == "f" else np.float64
    return array.shape, dtype


def zeros_like(t: ArrayLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and (float) dtype.

    >>> zeros_like(Tensor([1.0, 2.0], dtype="float32"))
    Tensor([0., 0.], dtype=float32)
    """
    shape, chosen = _like(t, dtype)
    return zeros(shape, dtype=chosen, requires_grad=requires_grad)


def ones_like(t: ArrayLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and (float) dtype."""
    shape, chosen = _like(t, dtype)
    return ones(shape, dtype=chosen, requires_grad=requires_grad)


def full_like(t: ArrayLike, fill_value: float, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``t``'s shape and (float) dtype."""
    shape, chosen = _like(t, dtype)
    return full(shape, fill_value, dtype=chosen, requires_grad=requires_grad)


def rand_like(t: ArrayLike, dtype: Any = None, requires_grad: bool = False,
              rng: Any = None) -> Tensor:
    """:func:`rand` in ``t``'s shape and (float) dtype."""
    shape, chosen = _like(t, dtype)
    return rand(shape, dtype=chosen, requires_grad=requires_grad, rng=rng)


def randn_like(t: ArrayLike, dtype: Any = None, requires_grad: bool = False,
               rng: Any = None) -> Tensor:
    """:func:`randn` in ``t``'s shape and (float) dtype."""
    shape, chosen = _like(t, dtype)
    return randn(shape, dtype=chosen, requires_grad=requires_grad, rng=rng)
