"""tinygrad_ae: a teaching-grade reverse-mode autodiff engine on numpy, with the
autoencoders, PCA and chain-rule pictures of the paper it grew from.

>>> import tinygrad_ae as tg
>>> w = tg.Tensor(2.0, requires_grad=True, name="w")
>>> loss = (w * 3.0 - 1.0) ** 2
>>> loss.backward()
>>> float(w.grad)
30.0

Submodules (``nn``, ``optim``, ``models``, ``pca``, ``closed_form``, ``data``, ``viz``,
``strategies``) load on first use, so ``import tinygrad_ae`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .autograd.convolution import (
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
    upsample,
)
from .autograd.engine import backward, detect_anomaly, grad, topological_order
from .autograd.factories import (
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
from .autograd.functions import cat, concatenate, maximum, minimum, split, stack, where
from .autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .autograd.tensor import Tensor, enable_grad, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "grad", "backward",
    "topological_order", "detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
    "__version__",
    "cat", "concatenate", "stack", "split", "where", "maximum", "minimum",
    "zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like", "ones_like",
    "full_like", "rand_like", "randn_like", "manual_seed",
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "upsample",
]

# Submodules load on first use: name -> where it lives. The layers (docs/architecture.md):
# autograd, theory and data at the bottom; nn and optim; models and viz; studies and
# teaching; the command line and the strategies on top.
_SUBMODULES = {
    "autograd": "autograd", "theory": "theory", "studies": "studies",
    "nn": "nn", "optim": "optim", "models": "models", "data": "data", "viz": "viz",
    "pca": "pca", "closed_form": "closed_form", "strategies": "strategies", "cli": "cli",
    "teaching": "teaching",
    # where 0.1's flat modules went
    "tensor": "autograd.tensor", "engine": "autograd.engine", "ops": "autograd.ops",
    "gradcheck": "autograd.gradcheck", "convergence": "studies.convergence",
    "online": "studies.online", "bench": "studies.bench", "dynamics": "theory.dynamics",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{_SUBMODULES[name]}")
    raise AttributeError(f"module 'tinygrad_ae' has no attribute {name!r}")
