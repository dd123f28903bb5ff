"""check_module: a layer's parameter and input gradients against central differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.autograd.engine import grad
from tinygrad_ae.autograd.tensor import Tensor, no_grad

from ._check_op import ATOL, FD_EPS, RTOL, Counterexample, OpCheckError, _cotangent, _worst

__all__ = ["check_module"]


def check_module(module: Any, input_shape: Sequence[int] | None = None, *,
                 x: Any = None, max_examples: int = 10, train: bool = False,
                 eps: float = FD_EPS, atol: float = ATOL, rtol: float = RTOL,
                 seed: int = 0) -> int:
    """Check a layer's gradients: for inputs x of ``input_shape`` drawn by hypothesis (or
    the one ``x`` given), the engine's ∂L/∂parameter for every named parameter and ∂L/∂x,
    with L = Σ module(x)·g for a fixed cotangent g, must equal float64 central differences.

    Parameters are switched to float64 copies during the check and restored after; the
    module runs in eval mode unless ``train=True`` (dropout is random, so its gradients
    cannot be compared with differences). Raises :class:`OpCheckError` (an
    ``AssertionError``) naming the parameter and the worst entry; returns the number of
    examples checked.

    >>> from tinygrad_ae import nn
    >>> check_module(nn.Linear(3, 2, rng=0), (4, 3), max_examples=3)
    3
    """
    if input_shape is None and x is None:
        raise ValueError("check_module: give input_shape=(n_samples, n_features) or x=")
    named = list(module.named_parameters())
    originals = [(p, p.data) for _, p in named]
    was_training = getattr(module, "training", None)
    for _, p in named:
        p.data = np.array(p.data, dtype=np.float64)
    if hasattr(module, "train"):
        module.train(train)
    count = [0]
    try:
        if x is not None:
            _check_at(module, named, np.array(Tensor(x).data, dtype=np.float64), eps, atol,
                      rtol, seed)
            return 1
        shape = tuple(int(n) for n in input_shape or ())

        @settings(max_examples=max_examples, deadline=None, database=None,
                  derandomize=True, suppress_health_check=list(HealthCheck),
                  report_multiple_bugs=False, verbosity=Verbosity.quiet,
                  phases=(Phase.explicit, Phase.generate, Phase.shrink))
        @given(strategies.arrays(st.just(shape)))
        def run(sample: np.ndarray) -> None:
            count[0] += 1
            _check_at(module, named, sample, eps, atol, rtol, seed)

        run()
        return min(count[0], max_examples)
    finally:
        for p, data in originals:
            p.data = data
        if hasattr(module, "train") and was_training is not None:
            module.train(was_training)


def _check_at(module: Any, named: list[tuple[str, Tensor]], sample: np.ndarray, eps: float,
              atol: float, rtol: float, seed: int) -> None:
    x = Tensor(sample, requires_grad=True)
    out = module(x)
    v = _cotangent(out.shape, seed)
    targets = [x, *(p for _, p in named)]
    engine = grad((out * v).sum(), targets)
    labels = ["x", *(name for name, _ in named)]

    def loss() -> float:
        with no_grad():
            return float(np.sum(module(Tensor(x.data)).data * v))

    for label, target, analytic in zip(labels, targets, engine):
        flat = target.data.reshape(-1)  # float64 and contiguous: a view
        numeric = np.zeros(flat.size)
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            plus = loss()
            flat[j] = saved - eps
            minus = loss()
            flat[j] = saved
            numeric[j] = (plus - minus) / (2 * eps)
        expected = numeric.reshape(target.shape)
        actual = np.asarray(analytic.data, dtype=np.float64)
        worst = _worst(expected, actual, atol, rtol)
        if worst is not None:
            inputs = {"x": np.array(sample)}
            raise OpCheckError(Counterexample(
                type(module).__name__, "first derivative",
                f"the gradient of '{label}' differs from central differences",
                inputs, input_name=label, cotangent=v, expected=expected, actual=actual,
                worst_index=worst)) from None
