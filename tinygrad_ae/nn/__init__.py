"""Building blocks: Module, layers, activations, normalisation, dropout, initialisers and
losses (functional forms gathered in :mod:`tinygrad_ae.nn.functional`).

Layer: above the engine; imports numpy, the standard library, and ``tensor`` / ``ops`` /
``engine`` of ours, nothing higher (``optim`` and ``models`` build on this file).

A :class:`Module` finds its parameters by itself: every attribute that is a leaf Tensor
requiring grad is a parameter, every attribute that is a Module is a sub-module, and a plain
list or tuple of either is walked too (``self.layers = [Linear(4, 2), Tanh()]`` behaves like
PyTorch's ``ModuleList``). Names are dotted attribute paths in assignment order:
``encoder.weight``, ``decoder.0.bias``, ``layers.1.weight``.

Every module also knows its *path* from the root (``""`` for the root, ``"decoder.0"`` for
the first layer of the root's decoder): a parent tells its children their names when they
are assigned and whenever the tree is walked. While a module's ``forward`` runs, that path is
the engine's current scope, so every tensor an op makes there remembers it (``t.scope``), and
so does every parameter the module owns; graph drawings group nodes by it.

Random initialisation draws from one module-level generator, reseeded by
:func:`manual_seed`; any constructor that draws also takes ``rng=`` (an int seed or a
``np.random.Generator``) to use its own instead.
"""

from __future__ import annotations

from . import init  # noqa: F401
from .activation import (  # noqa: F401
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    SiLU,
    Softmax,
    Softplus,
)
from .conv import (  # noqa: F401
    AvgPool2d,
    Conv2d,
    ConvTranspose2d,
    MaxPool2d,
    Upsample,
)
from .dropout import (  # noqa: F401
    Dropout,
    dropout,
)
from .layers import (  # noqa: F401
    Flatten,
    Identity,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    Unflatten,
)
from .losses import (  # noqa: F401
    TORCH_REDUCTIONS,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .module import (  # noqa: F401
    REDUCTIONS,
    IncompatibleKeys,
    ModelFileError,
    Module,
    RngLike,
    StateDictError,
    manual_seed,
    resolve_rng,
)
from .normalization import (  # noqa: F401
    BatchNorm1d,
    LayerNorm,
)

__all__ = [
    'Module', 'Linear', 'Sequential', 'ReLU', 'Tanh', 'Sigmoid', 'Identity', 'mse_loss',
    'REDUCTIONS', 'manual_seed', 'resolve_rng', 'RngLike', 'StateDictError', 'ModelFileError',
    'IncompatibleKeys', 'Dropout', 'dropout', 'Flatten', 'Unflatten', 'BatchNorm1d',
    'LayerNorm', 'init', 'LeakyReLU', 'ELU', 'GELU', 'Softplus', 'SiLU', 'Softmax',
    'LogSoftmax', 'cross_entropy', 'nll_loss', 'binary_cross_entropy',
    'binary_cross_entropy_with_logits', 'l1_loss', 'huber_loss', 'TORCH_REDUCTIONS',
    'functional', 'MSELoss', 'L1Loss', 'HuberLoss', 'BCELoss', 'BCEWithLogitsLoss',
    'NLLLoss', 'CrossEntropyLoss',
    'IncompatibleKeys', 'Conv2d', 'ConvTranspose2d', 'MaxPool2d', 'AvgPool2d', 'Upsample',
]

from . import functional  # noqa: E402, F401  (after the names it gathers)
