"""The engine: :class:`Tensor`, the op registry, the backward walk and the gradient checks.

The bottom layer of the package: it imports numpy and nothing else of tinygrad_ae.
"""

from __future__ import annotations

from .engine import backward, detect_anomaly, grad, topological_order
from .factories import (
    arange,
    eye,
    full,
    full_like,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    zeros,
    zeros_like,
)
from .functions import cat, concatenate, maximum, minimum, split, stack, where
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "grad", "backward",
    "topological_order", "detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
    "cat", "concatenate", "stack", "split", "where", "maximum", "minimum",
    "zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like", "ones_like",
    "full_like", "rand_like", "randn_like", "manual_seed",
]
