"""Gradient checks: reverse mode against central finite differences, in float64.

Layer: above :mod:`tinygrad_ae.engine`; imports numpy, ``tensor`` and ``engine`` only.

Truncation error of a central difference grows like h², rounding error like 1e-16/h, so
the default h = 1e-6 leaves an error of about 1e-10 relative to the function's scale.
A non-scalar output is reduced to the scalar Σ out·v with a fixed random cotangent v: for
almost every v a wrong Jacobian changes that scalar's gradient, and one reverse pass per
check suffices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_ae.autograd.engine import grad
from tinygrad_ae.autograd.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_gradient"]


class GradcheckError(RuntimeError):
    """Reverse-mode and numerical gradients disagree. ``input_index``, ``index``,
    ``analytic`` and ``numeric`` locate the worst entry."""

    def __init__(self, message: str, input_index: int, index: tuple[int, ...],
                 analytic: float, numeric: float) -> None:
        super().__init__(message)
        self.input_index = input_index
        self.index = index
        self.analytic = analytic
        self.numeric = numeric


def _as_inputs(inputs: Any) -> list[Tensor]:
    items = [inputs] if isinstance(inputs, (Tensor, np.ndarray, float, int)) else list(inputs)
    tensors = []
    for item in items:
        array = item.data if isinstance(item, Tensor) else np.asarray(item, dtype=np.float64)
        wants = item.requires_grad if isinstance(item, Tensor) else True
        tensors.append(Tensor(np.array(array, dtype=np.float64), requires_grad=wants))
    if not any(t.requires_grad for t in tensors):
        for t in tensors:
            t.requires_grad = True
    return tensors


def _scalarize(fn: Callable[..., Tensor], seed: int) -> Callable[..., Tensor]:
    """Wrap fn so it returns the scalar Σ fn(...)·v for a fixed random v."""
    cotangent: dict[str, np.ndarray] = {}

    def scalar(*xs: Tensor) -> Tensor:
        out = fn(*xs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        if out.size == 1:
            return out.reshape(())
        if "v" not in cotangent:
            cotangent["v"] = np.random.default_rng(seed).standard_normal(out.shape)
        return (out * cotangent["v"]).sum()
    return scalar


def numerical_gradient(fn: Callable[..., Tensor], inputs: Sequence[Tensor], index: int,
                       eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + h·e) − f(x − h·e)) / 2h of the scalar ``fn`` with
    respect to ``inputs[index]``, entry by entry."""
    target = inputs[index]
    numeric = np.zeros(target.shape, dtype=np.float64)
    flat = target.data.reshape(-1)  # a view: perturbing it perturbs the input
    # Grad mode stays on: fn may itself differentiate (gradgradcheck).
    for k in range(flat.size):
        saved = flat[k]
        flat[k] = saved + eps
        plus = float(fn(*inputs).data)
        flat[k] = saved - eps
        minus = float(fn(*inputs).data)
        flat[k] = saved
        numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
    return numeric


def gradcheck(fn: Callable[..., Tensor], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, raise_exception: bool = True, seed: int = 0) -> bool:
    """Compare reverse-mode gradients of ``fn(*inputs)`` with central finite differences
    in float64: pass when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere.

    Inputs that require grad are checked (all of them when none does); they are copied to
    float64 first. On a mismatch, raise :class:`GradcheckError` naming the input, the worst
    index and both values (or return False with ``raise_exception=False``).

    >>> x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), [x])
    True
    """
    xs = _as_inputs(inputs)
    scalar = _scalarize(fn, seed)
    checked = [i for i, t in enumerate(xs) if t.requires_grad]
    analytic = grad(scalar(*xs), [xs[i] for i in checked])
    for position, i in enumerate(checked):
        numeric = numerical_gradient(scalar, xs, i, eps)
        exact = analytic[position].data
        if not np.isfinite(numeric).all():
            where = tuple(int(k) for k in np.argwhere(~np.isfinite(numeric))[0])
            message = (f"gradcheck: central differences of input {i} are not finite at index "
                       f"{where}: x ± eps left the function's domain; move the input or use "
                       f"a smaller eps")
            if raise_exception:
                raise GradcheckError(message, i, where, float(exact[where]),
                                     float(numeric[where]))
            return False
        excess = np.abs(exact - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and (excess > 0).any() or not np.isfinite(exact).all():
            worst = np.unravel_index(int(np.nanargmax(np.where(
                np.isfinite(excess), excess, np.inf))), exact.shape)
            message = (
                f"gradcheck: the gradient with respect to input {i} (shape {xs[i].shape}) is "
                f"wrong at index {tuple(int(k) for k in worst)}: reverse mode gives "
                f"{exact[worst]:.10g}, central differences give {numeric[worst]:.10g}"
            )
            if raise_exception:
                raise GradcheckError(message, i, tuple(int(k) for k in worst),
                                     float(exact[worst]), float(numeric[worst]))
            return False
    return True


def gradgradcheck(fn: Callable[..., Tensor], inputs: Any, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-4, raise_exception: bool = True,
                  seed: int = 0) -> bool:
    """Check second derivatives: the gradient of w·∇(v·fn) (built with
    ``grad(..., create_graph=True)``) against central differences of the first gradient.

    >>> x = Tensor([0.3, 1.2], requires_grad=True)
    >>> gradgradcheck(lambda t: t.sigmoid() * t, [x])
    True
    """
    scalar = _scalarize(fn, seed)
    weights: dict[int, np.ndarray] = {}

    def first_gradient_projection(*xs: Tensor) -> Tensor:
        wanted = [t for t in xs if t.requires_grad]
        grads = grad(scalar(*xs), wanted, create_graph=True)
        total: Tensor | None = None
        for k, g in enumerate(grads):
            if k not in weights:
                weights[k] = np.random.default_rng(seed + 1 + k).standard_normal(g.shape)
            term = (g * weights[k]).sum()
            total = term if total is None else total + term
        assert total is not None
        return total

    return gradcheck(first_gradient_projection, inputs, eps, atol, rtol, raise_exception, seed)
