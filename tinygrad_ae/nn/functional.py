"""Stateless functions of the layers, as ``torch.nn.functional``: ``F.conv2d(x, weight)``.

Layer: nn's; re-exports functions defined in :mod:`tinygrad_ae.autograd` and
:mod:`tinygrad_ae.nn.losses`, and defines nothing of its own.

>>> import numpy as np
>>> from tinygrad_ae import Tensor
>>> from tinygrad_ae.nn import functional as F
>>> F.max_pool2d(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2).shape
(1, 1, 2, 2)
"""

from __future__ import annotations

from tinygrad_ae.autograd.convolution import (
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
    upsample,
)
from tinygrad_ae.nn.losses import mse_loss

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "upsample", "mse_loss"]
