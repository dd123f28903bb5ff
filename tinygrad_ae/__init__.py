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

from .engine import backward, detect_anomaly, grad, topological_order
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "grad", "backward",
    "topological_order", "detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
    "__version__",
]

_SUBMODULES = {"ops", "nn", "optim", "models", "pca", "closed_form", "data", "viz",
               "strategies", "cli", "convergence", "teaching", "online", "bench", "gradcheck",
               "engine", "tensor"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_ae' has no attribute {name!r}")
