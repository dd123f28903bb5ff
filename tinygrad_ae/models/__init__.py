"""The autoencoders of the seed paper, and ``fit``, the loop that trains them.

Layer: the top of the model stack; imports numpy, tqdm, and ``tensor``, ``nn``, ``optim``
and ``data`` of ours.

An autoencoder is x̂ = D_θ(E_φ(x)): an encoder E_φ (parameters φ, named ``encoder.…``) maps
a sample of n_features numbers to a code of n_components numbers, and a decoder D_θ
(``decoder.…``) maps the code back. Training minimises the paper's loss
L = (1/N) Σ_i ‖x_i − x̂_i‖² (``nn.mse_loss(x_hat, x, "paper")``).

- :class:`Autoencoder` joins any encoder and decoder modules;
- :class:`LinearAutoencoder` is x̂ = W_d (W_e x + b_e) + b_d, the network PCA solves;
- :func:`mlp_autoencoder` stacks Linear layers with activations;
- :class:`PaperAutoencoder` is the paper's 2-1-2 network written literally as its
  equations, with seven scalar parameters w1 … b3, so its graph reads like the paper;
- :func:`fit` runs full-batch, minibatch or online gradient descent and returns a
  :class:`History`; a loss that overflows stops it with :class:`TrainingDiverged`.
"""

from __future__ import annotations

from .autoencoders import (  # noqa: F401
    ACTIVATIONS,
    Autoencoder,
    Callback,
    LinearAutoencoder,
    PaperAutoencoder,
    mlp_autoencoder,
)
from .conv_autoencoder import ConvAutoencoder  # noqa: F401
from .fit import (  # noqa: F401
    History,
    TrainingDiverged,
    fit,
)
from .penalties import (  # noqa: F401
    contractive_penalty,
    penalized_loss,
    sparse_penalty,
)
from .vae import (  # noqa: F401
    LIKELIHOODS,
    VAE,
    LinearVAE,
    gaussian_kl,
)

__all__ = [
    'Autoencoder', 'LinearAutoencoder', 'mlp_autoencoder', 'ACTIVATIONS', 'PaperAutoencoder',
    'fit', 'History', 'TrainingDiverged', 'Callback', 'VAE', 'LinearVAE', 'gaussian_kl',
    'LIKELIHOODS', 'ConvAutoencoder', 'sparse_penalty', 'contractive_penalty',
    'penalized_loss',
]
