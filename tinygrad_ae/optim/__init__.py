"""Optimizers: SGD, then Adam, with PyTorch's update rules, in place on numpy arrays.

Layer: above :mod:`tinygrad_ae.nn`; imports numpy, ``tensor`` and ``nn`` only.

``step()`` reads each parameter's ``.grad`` and moves its ``.data`` in place with plain
numpy arithmetic: no Tensor is created and no graph is recorded, so a step costs a few
array operations per parameter. Parameters whose ``grad`` is None are skipped, as in
PyTorch. Hyperparameters are attributes (``opt.lr = 0.01`` changes the learning rate).
"""

from __future__ import annotations

from .optimizers import (  # noqa: F401
    SGD,
    Adam,
    Optimizer,
)

__all__ = [
    'Optimizer', 'SGD', 'Adam',
]
