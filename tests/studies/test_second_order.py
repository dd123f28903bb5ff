"""W8's Hessian-vector products are right, and its ratios divide by the right step.

Truth comes from outside the engine: central differences of the hand-written numpy
gradient (the baseline of the other workloads), and PyTorch's double backward when it is
installed. No time is asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import FD2_ATOL, FD2_RTOL, FD_EPS, TORCH_ATOL, TORCH_RTOL

from tinygrad_ae import Tensor
from tinygrad_ae.studies import bench
from tinygrad_ae.studies.bench import second_order

CASES = [("W8-paper", "full"), ("W8-paper", "tiny"), ("W8-mlp", "full"), ("W8-mlp", "tiny")]


def _ours(key: str, size: str) -> tuple[float, list[np.ndarray]]:
    sizes = bench.WORKLOADS[key].sizes[size]
    X, layers, _, vectors = second_order.problem(sizes)
    model = second_order._model(sizes, layers)
    return second_order.hessian_vector_product(model, Tensor(X), vectors)


def _central_difference(key: str, size: str) -> list[np.ndarray]:
    """(∇L(θ + h·v) − ∇L(θ − h·v)) / 2h with the hand-written numpy gradient."""
    X, layers, activations, vectors = second_order.problem(bench.WORKLOADS[key].sizes[size])
    moved = []
    for sign in (1.0, -1.0):
        flat = iter(vectors)
        shifted = [(W + sign * FD_EPS * next(flat), b + sign * FD_EPS * next(flat))
                   for W, b in layers]
        moved.append(second_order.numpy_gradient(X, shifted, activations)[1])
    return [(up - down) / (2 * FD_EPS) for up, down in zip(*moved)]


@pytest.mark.parametrize("key, size", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_hvp_matches_central_differences_of_the_numpy_gradient(key, size):
    _, hv = _ours(key, size)
    truth = _central_difference(key, size)
    assert [h.shape for h in hv] == [t.shape for t in truth]
    for h, t in zip(hv, truth):
        np.testing.assert_allclose(h, t, rtol=FD2_RTOL, atol=FD2_ATOL)


def test_the_check_can_fail():
    # The same comparison with the direction's last block dropped must fail: the check
    # sees every term of H·v.
    _, hv = _ours("W8-mlp", "tiny")
    truth = _central_difference("W8-mlp", "tiny")
    sizes = bench.WORKLOADS["W8-mlp"].sizes["tiny"]
    X, layers, _, vectors = second_order.problem(sizes)
    vectors[-1] = np.zeros_like(vectors[-1])
    _, partial = second_order.hessian_vector_product(second_order._model(sizes, layers),
                                                     Tensor(X), vectors)
    assert not all(np.allclose(h, t, rtol=FD2_RTOL, atol=FD2_ATOL)
                   for h, t in zip(partial, truth))
    assert all(np.allclose(h, t, rtol=FD2_RTOL, atol=FD2_ATOL) for h, t in zip(hv, truth))


@pytest.mark.skipif(not bench.torch_available(), reason="PyTorch is not installed")
@pytest.mark.parametrize("key, size", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_hvp_matches_pytorch(key, size):
    import torch

    sizes = bench.WORKLOADS[key].sizes[size]
    X, layers, activations, vectors = second_order.problem(sizes)
    params = [torch.tensor(a, requires_grad=True) for layer in layers for a in layer]
    x = torch.from_numpy(X)
    a = x
    for i, act in enumerate(activations):
        a = a @ params[2 * i].T + params[2 * i + 1]
        if act == "tanh":
            a = torch.tanh(a)
    loss = ((a - x) ** 2).sum() / X.shape[0]
    gradients = torch.autograd.grad(loss, params, create_graph=True)
    theirs = torch.autograd.grad(gradients, params, [torch.from_numpy(v) for v in vectors])
    ours_loss, hv = _ours(key, size)
    assert ours_loss == pytest.approx(loss.item(), rel=TORCH_RTOL)
    for h, t in zip(hv, theirs):
        np.testing.assert_allclose(h, t.numpy(), rtol=TORCH_RTOL, atol=TORCH_ATOL)


@pytest.mark.parametrize("key", list(second_order.SECOND_ORDER))
def test_w8_divides_the_hvp_by_its_own_gradient(key):
    result = bench.time_workload(key, size="tiny", frameworks=("numpy", "tinygrad_ae"),
                                 repeats=1, block_seconds=0.001)
    infos, goal = result["frameworks"], result["goal"]
    assert infos["tinygrad_ae"]["agrees"] and infos["tinygrad_ae gradient"]["agrees"]
    assert goal["against"] == "tinygrad_ae gradient"
    assert goal["value"] == (infos["tinygrad_ae"]["median_s"]
                             / infos["tinygrad_ae gradient"]["median_s"])
