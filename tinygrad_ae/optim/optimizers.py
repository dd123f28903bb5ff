"""Optimizers with PyTorch's update rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import Module


def _check_number(owner: str, name: str, value: float, low: float, high: float = math.inf,
                  low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """``value`` as a float inside the interval, or a ValueError in the user's terms."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    number = float(value)
    above = number >= low if low_inclusive else number > low
    below = number <= high if high_inclusive else number < high
    if not (math.isfinite(number) and above and below):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive and math.isfinite(high) else ")"
        upper = f"{high:g}" if math.isfinite(high) else "∞"
        raise ValueError(f"{owner}: {name} must be in {left}{low:g}, {upper}{right}, "
                         f"got {value!r}")
    return number


class Optimizer:
    """Base class: holds the parameters, checks them, and clears their gradients.

    ``params`` is an iterable of Tensors (``model.parameters()``); each must be a leaf that
    requires grad, and none may appear twice. Subclasses define ``step()``.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step(); opt.zero_grad()
    >>> w.data, w.grad
    (array([0.8, 1.6]), None)
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Module):
            raise TypeError(f"{name}: pass model.parameters(), not the model itself")
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be a list of Tensors; wrap a single "
                            f"tensor as [tensor]")
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list; does the model have "
                             f"parameters (Tensors created with requires_grad=True)?")
        seen: dict[int, int] = {}
        for i, p in enumerate(self.params):
            label = f"parameter {i}" + (f" ({p.name!r})" if isinstance(p, Tensor) and p.name
                                        else "")
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: {label} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(f"{name}: {label} does not require grad, so it would never "
                                 f"move; create it with Tensor(..., requires_grad=True)")
            if not p.is_leaf:
                raise ValueError(f"{name}: {label} was computed by the op '{p.op_name}', so "
                                 f"it is not a leaf; optimize the tensors it was computed from")
            if id(p) in seen:
                raise ValueError(f"{name}: {label} is the same Tensor as parameter "
                                 f"{seen[id(p)]}; pass each parameter once")
            seen[id(p)] = i
        self.lr = _check_number(name, "lr", lr, 0.0, low_inclusive=False)

    def _decayed_gradients(self, decay: float) -> Iterator[tuple[int, Tensor, np.ndarray]]:
        """(index, parameter, gradient) for every parameter that has a gradient, with the
        L2 term ``decay · p`` added as PyTorch does (a new array; ``.grad`` is untouched)."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            yield i, p, (g + decay * p.data if decay else g)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``, as PyTorch does)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Move every parameter that has a gradient one step."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    PyTorch's rule, for each parameter p with gradient g:

        g ← g + weight_decay · p
        b ← g on the first step, else momentum · b + (1 − dampening) · g   (if momentum > 0)
        g ← g + momentum · b if nesterov, else b                           (if momentum > 0)
        p ← p − lr · g

    >>> w = Tensor(1.0, requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()   # ∂(w²)/∂w = 2w
    >>> round(w.item(), 6)        # 1 − 0.2 = 0.8, then b = 0.9·2 + 1.6 = 3.4: 0.8 − 0.34
    0.46
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number("SGD", "momentum", momentum, 0.0)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay, 0.0)
        self.dampening = _check_number("SGD", "dampening", dampening, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={dampening}")
        self._buffers: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p, g in self._decayed_gradients(decay):
            if momentum:
                buffer = self._buffers[i]
                if buffer is None:
                    buffer = self._buffers[i] = np.array(g, dtype=p.data.dtype)
                else:
                    buffer *= momentum
                    # Without dampening, g is added as it is: no scaled copy of it.
                    buffer += (1.0 - self.dampening) * g if self.dampening else g
                g = g + momentum * buffer if self.nesterov else buffer
            p.data -= lr * g

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, "
                f"weight_decay={self.weight_decay:g}, dampening={self.dampening:g}, "
                f"nesterov={self.nesterov})")


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule, for each parameter p with gradient g at step t:

        g ← g + weight_decay · p
        m ← β1 m + (1 − β1) g,        v ← β2 v + (1 − β2) g²
        m̂ = m / (1 − β1ᵗ),            v̂ = v / (1 − β2ᵗ)
        p ← p − lr · m̂ / (√v̂ + eps)

    with m = v = 0 before the first step. The first step moves every entry by about lr.

    >>> w = Tensor([1.0, -3.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(6)
    array([ 0.9, -2.9])
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_number("Adam", "betas[0]", beta1, 0.0, 1.0, high_inclusive=False),
                      _check_number("Adam", "betas[1]", beta2, 0.0, 1.0, high_inclusive=False))
        self.eps = _check_number("Adam", "eps", eps, 0.0)
        self.weight_decay = _check_number("Adam", "weight_decay", weight_decay, 0.0)
        self._steps = [0] * len(self.params)
        self._first: list[np.ndarray | None] = [None] * len(self.params)
        self._second: list[np.ndarray | None] = [None] * len(self.params)
        self._scratch: list[np.ndarray | None] = [None] * len(self.params)
        # m, v, g and a scratch array for all parameters end to end; _first[i] and
        # _second[i] are then views of the first two (see _step_all_at_once).
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def step(self) -> None:
        if self._step_all_at_once():
            return
        lr, (beta1, beta2), eps, decay = self.lr, self.betas, self.eps, self.weight_decay
        for i, p, g in self._decayed_gradients(decay):
            m, v, scratch = self._first[i], self._second[i], self._scratch[i]
            if m is None or v is None:
                m = self._first[i] = np.zeros_like(p.data)
                v = self._second[i] = np.zeros_like(p.data)
            if scratch is None:
                scratch = self._scratch[i] = np.empty_like(p.data)
            self._steps[i] += 1
            p.data -= self._update(g, m, v, scratch, self._steps[i], lr, beta1, beta2, eps)

    @staticmethod
    def _update(g: np.ndarray, m: np.ndarray, v: np.ndarray, scratch: np.ndarray, t: int,
                lr: float, beta1: float, beta2: float, eps: float) -> np.ndarray:
        """Move m and v in place and return the step to subtract from p (in ``scratch``).
        Every product goes through ``scratch``, so a step makes no temporary arrays."""
        m *= beta1
        m += np.multiply(g, 1.0 - beta1, out=scratch)                 # m ← β1 m + (1 − β1) g
        v *= beta2
        v += np.multiply(np.multiply(g, g, out=scratch), 1.0 - beta2, out=scratch)
        # PyTorch's arrangement: lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps).
        denominator = np.sqrt(v, out=scratch)
        denominator /= math.sqrt(1.0 - beta2 ** t)
        denominator += eps
        update = np.divide(m, denominator, out=scratch)
        update *= lr / (1.0 - beta1 ** t)
        return update

    def _step_all_at_once(self) -> bool:
        """Step every parameter with one set of array operations over all of them end to
        end, as PyTorch's "foreach" Adam does: the same arithmetic, element by element,
        as one step per parameter, but a dozen numpy calls in all instead of a dozen per
        parameter (most of the time of a small model's step). Done when every parameter
        has a gradient, all share a dtype and a step count, and there is no weight decay;
        returns False, having done nothing, otherwise."""
        params = self.params
        if self.weight_decay or any(p.grad is None for p in params):
            return False
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params) or min(self._steps) != max(self._steps):
            return False
        if self._flat is None:
            if any(m is not None for m in self._first):
                return False  # the state was made one parameter at a time; keep it so
            size = sum(p.data.size for p in params)
            self._flat = (np.zeros(size, dtype), np.zeros(size, dtype), np.empty(size, dtype),
                          np.empty(size, dtype))
            start = 0
            for i, p in enumerate(params):
                stop = start + p.data.size
                self._first[i] = self._flat[0][start:stop].reshape(p.data.shape)
                self._second[i] = self._flat[1][start:stop].reshape(p.data.shape)
                start = stop
        m, v, g, scratch = self._flat
        np.concatenate([p.grad.reshape(-1) for p in params], out=g)  # type: ignore[union-attr]
        self._steps = [t + 1 for t in self._steps]
        lr, (beta1, beta2), eps = self.lr, self.betas, self.eps
        update = self._update(g, m, v, scratch, self._steps[0], lr, beta1, beta2, eps)
        start = 0
        for p in params:
            stop = start + p.data.size
            p.data -= update[start:stop].reshape(p.data.shape)
            start = stop
        return True

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr:g}, betas=({self.betas[0]:g}, {self.betas[1]:g}), "
                f"eps={self.eps:g}, weight_decay={self.weight_decay:g})")
