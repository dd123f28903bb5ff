"""Penalties on the code: sparse (L1) and contractive (the encoder's Jacobian).

Layer: models; imports ``tensor`` and ``engine`` of ours.

Both are added to the reconstruction loss, L = L_MSE + λ_s·Ω_sparse + λ_c·Ω_contractive:

- the sparse penalty Ω = (1/N) Σ_i ‖h_i‖₁ pushes most code entries to zero, so each sample
  is explained by a few active units (with a ReLU encoder they become exactly zero);
- the contractive penalty Ω = (1/N) Σ_i ‖∂h_i/∂x_i‖²_F (Rifai et al. 2011) makes the code
  insensitive to small moves of the input. It is itself a derivative, computed here by
  reverse mode with ``grad(..., create_graph=True)``, so training through it takes
  gradients of gradients: the second-order machinery of the engine at work. For a
  sigmoid encoder h = σ(W_e x + b_e) it equals Σ_j (h_j(1 − h_j))² ‖W_j‖² and for a
  linear one ‖W_e‖²_F (``tinygrad_ae.closed_form.contractive_penalty`` checks both).
"""

from __future__ import annotations

from typing import Any

from tinygrad_ae.autograd.engine import grad
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor
from tinygrad_ae.nn import mse_loss

from .autoencoders import Autoencoder

__all__ = ["sparse_penalty", "contractive_penalty", "penalized_loss"]


def sparse_penalty(h: Tensor) -> Tensor:
    """Ω_sparse = (1/N) Σ_i ‖h_i‖₁ for codes h of shape (n_samples, n_components).

    >>> sparse_penalty(Tensor([[1.0, -2.0], [0.0, 3.0]])).item()
    3.0
    """
    return h.abs().sum() / h.shape[0]


def contractive_penalty(h: Tensor, x: Tensor) -> Tensor:
    """Ω_contractive = (1/N) Σ_i ‖∂h_i/∂x_i‖²_F, differentiable again (so it can be trained
    through). ``h`` (n_samples, n_components) must be computed from ``x`` (n_samples,
    n_features), a Tensor that requires grad, sample by sample (no batch statistics).

    One reverse pass per code unit j gives row j of every sample's Jacobian at once: since
    h_i depends on x_i only, ∂(Σ_i h_ij)/∂x_i = ∂h_ij/∂x_i.

    >>> import numpy as np
    >>> x = Tensor(np.zeros((1, 2)), requires_grad=True)
    >>> W = Tensor([[1.0, 2.0]])
    >>> contractive_penalty((x @ W.T).sigmoid(), x).item()   # (¼)² (1² + 2²)
    0.3125
    """
    if not isinstance(x, Tensor) or not x.requires_grad:
        raise ValueError("contractive_penalty: x must be a Tensor that requires grad (create "
                         "it with Tensor(data, requires_grad=True) before encoding it)")
    if h.ndim != 2 or x.ndim != 2 or h.shape[0] != x.shape[0]:
        raise ValueError(f"contractive_penalty: h and x must be (n_samples, ·) with the same "
                         f"n_samples, got {h.shape} and {x.shape}")
    total: Any = 0.0
    for j in range(h.shape[1]):
        (row,) = grad(h[:, j].sum(), x, create_graph=True)
        total = total + (row * row).sum()
    return total / x.shape[0]


def penalized_loss(model: Autoencoder, x: ArrayLike, sparsity: float = 0.0,
                   contraction: float = 0.0) -> Tensor:
    """L = (1/N) Σ_i ‖x_i − x̂_i‖² + sparsity·Ω_sparse + contraction·Ω_contractive for an
    autoencoder with ``encode`` and ``decode`` (the paper's reconstruction loss plus the
    penalties on its code).

    >>> import numpy as np
    >>> from tinygrad_ae.models import LinearAutoencoder
    >>> model = LinearAutoencoder(3, 2, rng=0)
    >>> x = np.random.default_rng(0).standard_normal((4, 3))
    >>> plain = penalized_loss(model, x).item()
    >>> linear = penalized_loss(model, x, contraction=1.0).item() - plain
    >>> bool(np.isclose(linear, (model.W_e.numpy() ** 2).sum()))   # ‖W_e‖²_F
    True
    """
    data = x.data if isinstance(x, Tensor) else x
    inputs = Tensor(data, requires_grad=contraction != 0)
    h = model.encode(inputs)
    loss = mse_loss(model.decode(h), inputs.detach(), reduction="paper")
    if sparsity:
        loss = loss + sparse_penalty(h) * sparsity
    if contraction:
        loss = loss + contractive_penalty(h, inputs) * contraction
    return loss
