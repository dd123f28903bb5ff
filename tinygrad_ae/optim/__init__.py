"""Optimizers and learning-rate schedules, with PyTorch's update rules, in place on numpy
arrays.

Layer: above :mod:`tinygrad_ae.nn`; imports numpy, ``tensor`` and ``nn`` only.

``step()`` reads each parameter's ``.grad`` and moves its ``.data`` in place with plain
numpy arithmetic: no Tensor is created and no graph is recorded, so a step costs a few
array operations per parameter. Parameters whose ``grad`` is None are skipped, as in
PyTorch. Hyperparameters live in ``param_groups`` (one dict per group, PyTorch's layout);
``opt.lr = 0.01`` sets one in every group. ``state_dict()`` / ``load_state_dict()`` save
and restore the optimizer's state; :mod:`.lr_scheduler` changes ``lr`` between epochs.
"""

from __future__ import annotations

from . import lr_scheduler  # noqa: F401
from .adaptive import (  # noqa: F401
    Adagrad,
    RMSprop,
)
from .optimizers import (  # noqa: F401
    SGD,
    Adam,
    AdamW,
    Optimizer,
)

__all__ = [
    'Optimizer', 'SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'lr_scheduler',
]
