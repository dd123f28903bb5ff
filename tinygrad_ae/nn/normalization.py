"""Normalisation layers: BatchNorm1d (running statistics, train/eval) and LayerNorm.

Both are composites of existing ops (mean, subtraction, square, sqrt, division), so their
gradients come from the engine with no vjp of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import Module, _as_tensor


def _check_positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:
    """((x − mean) / √(var + eps), var) with the mean and biased variance over ``axes``."""
    centered = x - x.mean(axis=axes, keepdims=True)
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / (variance + eps).sqrt(), variance


class BatchNorm1d(Module):
    """y = (x − E[x]) / √(Var[x] + eps) · γ + β per channel, as ``torch.nn.BatchNorm1d``.

    Inputs have shape (N, C) or (N, C, L), C = ``num_features``; the statistics are taken
    over every axis but the channel axis. In training mode they come from the batch (the
    biased variance), and the running estimates move toward them:
    running ← (1 − momentum) · running + momentum · batch, using the unbiased variance;
    with ``momentum=None`` the running estimates are the plain average of all batches so
    far. In evaluation mode (``eval()``) the running estimates are used instead, so the
    output of one sample no longer depends on the rest of the batch. γ (``weight``, ones)
    and β (``bias``, zeros) are parameters when ``affine``; ``running_mean``,
    ``running_var`` and ``num_batches_tracked`` are buffers, saved in the state dict.

    >>> bn = BatchNorm1d(2)
    >>> x = Tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> bn(x).data.round(4)                       # each column to mean 0, variance 1
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean.data, bn.running_var.data  # 0.9·(0, 1) + 0.1·(mean, unbiased var)
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_features = _check_positive_int("BatchNorm1d", "num_features", num_features)
        if not eps > 0:
            raise ValueError(f"BatchNorm1d: eps must be > 0, got {eps!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None, got "
                             f"{momentum!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.weight: Tensor | None = None
        self.bias: Tensor | None = None
        self.running_mean: Tensor | None = None
        self.running_var: Tensor | None = None
        self.num_batches_tracked: Tensor | None = None
        if self.affine:
            self.weight = Tensor(np.ones(self.num_features), requires_grad=True, dtype=dtype)
            self.bias = Tensor(np.zeros(self.num_features), requires_grad=True, dtype=dtype)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features),
                                                        dtype=dtype))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features), dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros(()), dtype=dtype))
        else:  # as PyTorch: the attributes exist and are None
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                              (self.num_batches_tracked, 0)):
            if buffer is not None:
                buffer.data[...] = value

    def forward(self, x: ArrayLike) -> Tensor:
        x = _as_tensor(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}) expects inputs of shape "
                             f"(N, {self.num_features}) or (N, {self.num_features}, L), got "
                             f"shape {x.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        channel_shape = (self.num_features,) if x.ndim == 2 else (self.num_features, 1)
        running_mean, running_var = self.running_mean, self.running_var
        if self.training or running_mean is None or running_var is None:
            count = x.size // self.num_features
            if self.training and count < 2:
                raise ValueError(f"BatchNorm1d: training needs more than one value per "
                                 f"channel, got input shape {x.shape}; use a larger batch or "
                                 f"call eval()")
            out, variance = _normalize(x, axes, self.eps)
            if self.training and running_mean is not None:
                self._update_running_stats(x.data.mean(axis=axes),
                                           variance.data.reshape(-1) * count / (count - 1))
        else:
            # Fresh arrays: a later training step changes the buffers in place, and the
            # graph built here must not see that.
            mean = running_mean.data.reshape(channel_shape).copy()
            scale = 1.0 / np.sqrt(running_var.data.reshape(channel_shape) + self.eps)
            out = (x - mean) * scale.astype(running_var.data.dtype)
        if self.weight is not None and self.bias is not None:
            out = out * self.weight.reshape(channel_shape) + self.bias.reshape(channel_shape)
        return out

    def _update_running_stats(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        count, running_mean, running_var = (self.num_batches_tracked, self.running_mean,
                                            self.running_var)
        assert count is not None and running_mean is not None and running_var is not None
        count.data += 1
        factor = 1.0 / float(count.data) if self.momentum is None else self.momentum
        for running, batch in ((running_mean.data, mean), (running_var.data, unbiased_var)):
            running *= 1.0 - factor
            running += (factor * batch).astype(running.dtype)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """y = (x − E[x]) / √(Var[x] + eps) · γ + β over the last axes, as ``torch.nn.LayerNorm``.

    ``normalized_shape`` (an int or a tuple) names the trailing shape normalised over, the
    same in training and evaluation (each sample on its own, biased variance). γ
    (``weight``, ones) and β (``bias``, zeros) have that shape, when
    ``elementwise_affine`` (β only with ``bias=True``).

    >>> ln = LayerNorm(2)
    >>> ln(Tensor([[1.0, 3.0], [10.0, 30.0]])).data.round(4)
    array([[-1.,  1.],
           [-1.,  1.]])
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
                 else tuple(normalized_shape))
        self.normalized_shape = tuple(_check_positive_int("LayerNorm", "normalized_shape", n)
                                      for n in shape)
        if not self.normalized_shape:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps!r}")
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.weight: Tensor | None = None
        self.bias: Tensor | None = None
        if self.elementwise_affine:
            self.weight = Tensor(np.ones(self.normalized_shape), requires_grad=True,
                                 dtype=dtype)
            if bias:
                self.bias = Tensor(np.zeros(self.normalized_shape), requires_grad=True,
                                   dtype=dtype)

    def forward(self, x: ArrayLike) -> Tensor:
        x = _as_tensor(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(f"LayerNorm{self.normalized_shape} expects inputs whose last "
                             f"axes have shape {self.normalized_shape}, got shape {x.shape}")
        out, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), self.eps)
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps:g}, "
                f"elementwise_affine={self.elementwise_affine}")
