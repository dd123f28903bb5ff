"""The functional forms, as ``torch.nn.functional``: ``import tinygrad_ae.nn.functional as F``.

Only imports: each function is defined beside its module (activations in ``activation``,
dropout in ``dropout``, losses in ``losses``) and gathered here under PyTorch's names.

>>> import tinygrad_ae.nn.functional as F
>>> from tinygrad_ae import Tensor
>>> F.relu(Tensor([-1.0, 1.0]))
Tensor([0., 1.])
"""

from __future__ import annotations

from tinygrad_ae.autograd.convolution import (  # noqa: F401
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
    upsample,
)

from .activation import (  # noqa: F401
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .dropout import dropout  # noqa: F401
from .losses import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)

__all__ = [
    'relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus', 'silu', 'softmax',
    'log_softmax', 'dropout', 'mse_loss', 'l1_loss', 'huber_loss', 'binary_cross_entropy',
    'binary_cross_entropy_with_logits', 'cross_entropy', 'nll_loss',
    'conv2d', 'conv_transpose2d', 'max_pool2d', 'avg_pool2d', 'upsample',
]
