"""Dropout: zero random entries in training, scale the rest; the identity in evaluation.
"""

from __future__ import annotations

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import Module, RngLike, _as_tensor, resolve_rng


def _check_probability(owner: str, p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p <= 1:
        raise ValueError(f"{owner}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def dropout(x: ArrayLike, p: float = 0.5, training: bool = True,
            rng: RngLike = None) -> Tensor:
    """out = x · m / (1 − p), m ~ Bernoulli(1 − p) per entry, when ``training``; else x.

    Inverted dropout, as PyTorch: the kept entries are scaled up so the expected output
    equals x, and evaluation needs no rescaling. The mask is a constant, so the gradient is
    g · m / (1 − p). ``p = 1`` zeroes everything. ``rng``: an int seed, a Generator, or
    None for the module-level generator (see :func:`~tinygrad_ae.nn.manual_seed`).

    >>> out = dropout(Tensor(np.ones(8)), p=0.5, rng=0)
    >>> sorted(set(out.data.tolist()))
    [0.0, 2.0]
    >>> dropout(Tensor(np.ones(2)), p=0.5, training=False).data
    array([1., 1.])
    """
    p = _check_probability("dropout", p)
    x = _as_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = resolve_rng(rng).random(x.shape) >= p
    # The scale goes into the mask: one multiplication, in x's dtype.
    return x * (keep / (1.0 - p)).astype(x.dtype)


class Dropout(Module):
    """Randomly zero a fraction ``p`` of the entries in training mode and scale the rest by
    1/(1 − p) (see :func:`dropout`); the identity after ``eval()``.

    ``rng``: None draws from the module-level generator (so :func:`manual_seed` makes runs
    repeatable), an int seeds this layer's own generator, a Generator is used as it is.

    >>> layer = Dropout(0.25, rng=0)
    >>> x = Tensor(np.ones((2, 4)))
    >>> sorted(set(layer(x).data.ravel().tolist()))
    [0.0, 1.3333333333333333]
    >>> layer.eval()(x) is x
    True
    """

    def __init__(self, p: float = 0.5, rng: RngLike = None) -> None:
        super().__init__()
        self.p = _check_probability("Dropout", p)
        self._generator = None if rng is None else resolve_rng(rng)

    def forward(self, x: ArrayLike) -> Tensor:
        return dropout(x, self.p, self.training, self._generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
