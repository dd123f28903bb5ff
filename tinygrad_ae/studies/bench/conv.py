"""W6: one training step of the convolutional autoencoder, tinygrad_ae against PyTorch.

There is no hand-written numpy convolution to divide by, so PyTorch is this workload's
reference: before timing, tinygrad_ae's losses must equal PyTorch's (``TOLERANCES``:
1e-5 relative in float32, 1e-12 in float64, over three steps of forward, backward and
Adam), and the goal is on tinygrad_ae's time divided by PyTorch's (``goal="torch"``,
≤ 2×). Without PyTorch the workload is not run.

The model is ``models.ConvAutoencoder(image_shape, n_components)``: Conv2d(1→16, 3×3,
stride 2, padding 1) → ReLU → Conv2d(16→32, same) → ReLU → Linear(→code), then
Linear(code→) → ReLU → ConvTranspose2d(32→16) → ReLU → ConvTranspose2d(16→1); the loss
the paper's (1/N) Σ‖x − x̂‖², the optimizer Adam (lr 1e-3). PyTorch gets the same layers
with the same initial parameters, copied from ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_ae import optim
from tinygrad_ae.models import ConvAutoencoder

from .workloads import Step, Workload, _torch_dtype, torch_step, training_step

__all__ = ["W6"]

_LR = 1e-3


def _setup(dtype: np.dtype, size: Mapping[str, Any]) -> tuple[ConvAutoencoder, np.ndarray]:
    shape = (size["channels"], size["height"], size["width"])
    model = ConvAutoencoder(shape, size["n_components"], dtype=dtype, rng=0)
    X = np.random.default_rng(0).random((size["batch"], int(np.prod(shape)))).astype(dtype)
    return model, X


def _ours(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    model, X = _setup(dtype, size)
    return training_step(model, X, optim.Adam(model.parameters(), lr=_LR))


def _torch(dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    import torch

    model, X = _setup(dtype, size)
    layers: list[Any] = []
    for layer in (*model.encoder, *model.decoder):
        kind = type(layer).__name__
        if kind == "ReLU":
            layers.append(torch.nn.ReLU())
            continue
        if kind == "_Reshape":
            layers.append(torch.nn.Flatten() if len(layer.shape) == 1
                          else torch.nn.Unflatten(1, layer.shape))
            continue
        if kind == "Identity":  # the output's activation
            continue
        made: Any
        if kind == "Conv2d":
            made = torch.nn.Conv2d(layer.in_channels, layer.out_channels, 3, stride=2,
                                   padding=1)
        elif kind == "ConvTranspose2d":
            made = torch.nn.ConvTranspose2d(layer.in_channels, layer.out_channels, 3,
                                            stride=2, padding=1,
                                            output_padding=layer.output_padding)
        elif kind == "Linear":
            made = torch.nn.Linear(layer.in_features, layer.out_features)
        else:
            raise RuntimeError(f"bench W6: no PyTorch counterpart for layer {kind}; "
                               f"add one here when ConvAutoencoder gains a layer kind")
        made = made.to(_torch_dtype(dtype))
        with torch.no_grad():
            made.weight.copy_(torch.from_numpy(layer.weight.data))
            made.bias.copy_(torch.from_numpy(layer.bias.data))
        layers.append(made)
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=_LR)
    x = torch.from_numpy(X.reshape(X.shape[0], *model.image_shape))
    n = X.shape[0]

    return torch_step(lambda: ((net(x) - x) ** 2).sum() / n, opt)


def _build(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    return {"tinygrad_ae": _ours, "torch": _torch}[framework](dtype, size)


W6 = Workload(
    "W6", "ConvAutoencoder((1, 28, 28), 16), batch 64, Adam (a conv autoencoder step)",
    {"full": {"channels": 1, "height": 28, "width": 28, "n_components": 16, "batch": 64},
     "quick": {"channels": 1, "height": 28, "width": 28, "n_components": 16, "batch": 16},
     "tiny": {"channels": 1, "height": 8, "width": 8, "n_components": 4, "batch": 3}},
    target=2.0, torch_reference="the reference", build=_build, goal="torch",
    frameworks=("torch", "tinygrad_ae"))
"""W6, timed against PyTorch (see the module's docstring)."""
