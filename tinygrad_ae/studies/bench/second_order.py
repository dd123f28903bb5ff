"""W8: what a Hessian-vector product costs against one gradient, in each framework.

Layer: inside :mod:`tinygrad_ae.studies.bench`; imports numpy, ``workloads`` and, from
ours, ``nn``, ``models`` and the engine's ``grad``. PyTorch only when it is timed.

A Hessian-vector product H·v of the paper's loss L(θ) is the gradient of the gradient
along v: first ∇L with the graph of its computation kept (``create_graph=True``), then
the gradient of Σ_i ∇L_i·v_i, which ``grad`` computes directly from the gradients with
``grad_outputs=v`` (no products or sums of ours recorded in between)::

    gradients = grad(loss, params, create_graph=True)
    hv = grad(gradients, params, grad_outputs=vectors)

PyTorch's is the same double backward (``torch.autograd.grad`` twice, as
``torch.autograd.functional.hvp`` does). The goal divides the HVP's time by the same
framework's gradient (``grad(loss, params)``, the steps ``"tinygrad_ae gradient"`` and
``"torch gradient"``), timed in the same interleaved repetitions. Every step returns the
loss of its forward pass, checked against the hand-written numpy gradient's (the
reference); the HVP's values are checked in
``tests/studies/test_second_order.py`` against central differences of that hand-written
gradient, and against PyTorch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_ae import models, nn
from tinygrad_ae.autograd.engine import grad
from tinygrad_ae.autograd.tensor import Tensor

from .workloads import (
    Step,
    Workload,
    _hidden_activations,
    _mirror,
    _mlp_setup,
    _numpy_mlp,
    _torch_dtype,
    _widths,
)

__all__ = ["SECOND_ORDER", "problem", "hessian_vector_product", "numpy_gradient"]

_SEED = 20240612


def problem(size: Mapping[str, Any], dtype: Any = np.float64
            ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]], list[str | None],
                       list[np.ndarray]]:
    """The data X, the layers' (W, b), the activation after each layer and the direction
    v (one array per parameter, in ``model.parameters()`` order) of a W8 size.

    >>> X, layers, activations, vectors = problem(SECOND_ORDER["W8-paper"].sizes["tiny"])
    >>> X.shape, [W.shape for W, _ in layers], activations, len(vectors)
    ((20, 2), [(1, 2), (2, 1)], [None, None], 4)
    """
    dtype = np.dtype(dtype)
    sizes = _widths(size, "sizes")
    X, layers = _mlp_setup(dtype, size, sizes, size["data"])
    activations = _hidden_activations(_mirror(sizes), size["activation"])
    rng = np.random.default_rng(_SEED)
    vectors = [rng.standard_normal(array.shape).astype(dtype)
               for layer in layers for array in layer]
    return X, layers, activations, vectors


def _model(size: Mapping[str, Any], layers: list[tuple[np.ndarray, np.ndarray]]
           ) -> nn.Module:
    sizes = _widths(size, "sizes")
    model: nn.Module
    if size["activation"] == "identity" and len(sizes) == 2:
        model = models.LinearAutoencoder(sizes[0], sizes[1])
    else:
        model = models.mlp_autoencoder(sizes, activation=size["activation"])
    for p, array in zip(model.parameters(), [a for layer in layers for a in layer]):
        if p.shape != array.shape:
            raise RuntimeError(f"bench W8: a parameter has shape {p.shape}, expected "
                               f"{array.shape}")
        p.data = array.copy()
    return model


def hessian_vector_product(model: nn.Module, x: Tensor, vectors: Sequence[np.ndarray]
                           ) -> tuple[float, list[np.ndarray]]:
    """The paper's loss of ``model`` on ``x`` and H·v, the Hessian of that loss in the
    parameters times ``vectors`` (one array per parameter), by double backward.

    >>> X, layers, _, vectors = problem(SECOND_ORDER["W8-paper"].sizes["tiny"])
    >>> model = _model(SECOND_ORDER["W8-paper"].sizes["tiny"], layers)
    >>> loss, hv = hessian_vector_product(model, Tensor(X), vectors)
    >>> [h.shape for h in hv] == [v.shape for v in vectors]
    True
    """
    params = model.parameters()
    loss = nn.mse_loss(model(x), x, reduction="paper")
    gradients = grad(loss, params, create_graph=True)
    hv = grad(gradients, params, grad_outputs=list(vectors))
    return loss.item(), [h.data for h in hv]


def numpy_gradient(X: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]],
                   activations: list[str | None]) -> tuple[float, list[np.ndarray]]:
    """The paper's loss and its gradient (one array per parameter) by the hand-written
    numpy of the other workloads: an independent truth for the tests.

    >>> X, layers, activations, _ = problem(SECOND_ORDER["W8-paper"].sizes["tiny"])
    >>> loss, gradient = numpy_gradient(X, layers, activations)
    >>> [g.shape for g in gradient]
    [(1, 2), (1,), (2, 1), (2,)]
    """
    kept: list[list[np.ndarray]] = []
    step = _numpy_mlp(X, layers, activations, lambda params, grads: kept.append(grads))
    loss = step()
    return loss, kept[0]


def _build(framework: str, dtype: np.dtype, size: Mapping[str, Any], hvp: bool) -> Step:
    X, layers, activations, vectors = problem(size, dtype)
    if framework == "numpy":
        return _numpy_mlp(X, layers, activations, lambda params, grads: None)
    if framework == "tinygrad_ae":
        model, x = _model(size, layers), Tensor(X)
        params = model.parameters()

        def ours() -> float:
            loss = nn.mse_loss(model(x), x, reduction="paper")
            gradients = grad(loss, params, create_graph=hvp)
            if hvp:
                grad(gradients, params, grad_outputs=vectors)
            return loss.item()
        return ours
    import torch

    modules: list[Any] = []
    for (W, b), act in zip(layers, activations):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=_torch_dtype(dtype))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules += [linear] + ([torch.nn.Tanh()] if act == "tanh" else [])
    module = torch.nn.Sequential(*modules)
    torch_params = list(module.parameters())
    torch_vectors = [torch.from_numpy(v) for v in vectors]
    x_torch = torch.from_numpy(X)
    n = X.shape[0]

    def theirs() -> float:
        loss = torch.nn.functional.mse_loss(module(x_torch), x_torch, reduction="sum") / n
        gradients = torch.autograd.grad(loss, torch_params, create_graph=hvp)
        if hvp:
            torch.autograd.grad(gradients, torch_params, torch_vectors)
        return loss.item()
    return theirs


def _step(framework: str, dtype: np.dtype, size: Mapping[str, Any]) -> Step:
    """``"tinygrad_ae"`` / ``"torch"``: the HVP; ``"… gradient"``: the same framework's
    gradient alone; ``"numpy"``: the hand-written gradient (the losses' reference)."""
    name, _, kind = framework.partition(" ")
    return _build(name, dtype, size, hvp=kind != "gradient")


def _w8(key: str, title: str, full: Mapping[str, Any], tiny: Mapping[str, Any]) -> Workload:
    return Workload(key, title, {"full": full, "quick": full, "tiny": tiny}, target=2.5,
                    torch_reference="2.2× its own gradient (issue)", build=_step,
                    goal="gradient", frameworks=("numpy", "tinygrad_ae", "torch",
                                                 "tinygrad_ae gradient", "torch gradient"))


SECOND_ORDER: dict[str, Workload] = {
    "W8-paper": _w8(
        "W8-paper", "Hessian-vector product of the paper's loss, LinearAutoencoder(2, 1), N=1000",
        {"sizes_0": 2, "sizes_1": 1, "batch": 1000, "data": "correlated",
         "activation": "identity"},
        {"sizes_0": 2, "sizes_1": 1, "batch": 20, "data": "correlated",
         "activation": "identity"}),
    "W8-mlp": _w8(
        "W8-mlp", "Hessian-vector product of the 64-32-8-32-64 tanh AE's loss, batch 64",
        {"sizes_0": 64, "sizes_1": 32, "sizes_2": 8, "batch": 64, "data": "normal",
         "activation": "tanh"},
        {"sizes_0": 6, "sizes_1": 4, "sizes_2": 2, "batch": 5, "data": "normal",
         "activation": "tanh"}),
}
"""The second-order workloads, registered into ``workloads.WORKLOADS``."""
