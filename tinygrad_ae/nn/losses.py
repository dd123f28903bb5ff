"""Loss functions.
"""

from __future__ import annotations

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import REDUCTIONS, _as_tensor


def mse_loss(x_hat: ArrayLike, x: ArrayLike, reduction: str = "paper") -> Tensor:
    """Squared reconstruction error between ``x_hat`` and ``x`` (shapes must match exactly).

    - ``"paper"``: the seed paper's L = (1/N) Σ_i ‖x_i − x̂_i‖², summed over features and
      averaged over the N samples (the first axis; a 1-D input is N samples of 1 feature).
    - ``"mean"``: the mean over every element, PyTorch's default (``"paper"`` / n_features).
    - ``"sum"``: the sum over every element.

    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> x_hat = Tensor([[1.0, 1.0], [3.0, 2.0]])       # squared errors 0, 1, 0, 4
    >>> [mse_loss(x_hat, x, r).item() for r in ("paper", "mean", "sum")]
    [2.5, 1.25, 5.0]
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"mse_loss: reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}, "
            f"got {reduction!r}"
        )
    prediction, target = _as_tensor(x_hat), _as_tensor(x)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: x_hat has shape {prediction.shape} but x has shape {target.shape}; "
            f"they must match exactly (no broadcasting)"
        )
    if prediction.size == 0:
        raise ValueError(f"mse_loss: cannot average over empty inputs of shape {prediction.shape}")
    # x̂ − x rather than x − x̂ (the same squares): its gradient reaches x̂ with no
    # negation, and ``** 2`` is one op whose gradient 2·g·r is one pass over the batch.
    residual = prediction - target
    total = (residual ** 2).sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / prediction.size
    return total / (prediction.shape[0] if prediction.ndim else 1)
