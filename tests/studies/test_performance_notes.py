"""The claims of the "Performance notes for users" in docs/performance.md, each checked:
a kept loss Tensor keeps its step's graph, a kept ``loss.item()`` keeps nothing (with the
cyclic collector off, so reference counting alone frees it), and float32 halves every
array and stays float32 through a training step with Python numbers."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from tinygrad_ae import Tensor, models, nn, optim, topological_order

N_STEPS = 5


def _history(keep: str) -> tuple[list[object], list[weakref.ref[Tensor]]]:
    """Train N_STEPS steps, keeping each step's loss as ``keep`` ("tensor" or "item"); return
    the history and weak references to every non-leaf tensor the steps recorded."""
    model = models.mlp_autoencoder([6, 4, 2], activation="tanh", rng=0)
    opt = optim.SGD(model.parameters(), lr=0.01)
    x = Tensor(np.random.default_rng(0).standard_normal((8, 6)))
    history: list[object] = []
    made: list[weakref.ref[Tensor]] = []
    for _ in range(N_STEPS):
        loss = nn.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        made += [weakref.ref(t) for t in topological_order(loss) if t.parents]
        history.append(loss if keep == "tensor" else loss.item())
        del loss
    return history, made


@pytest.mark.parametrize("keep, graphs_alive", [("tensor", N_STEPS), ("item", 0)])
def test_a_kept_loss_tensor_keeps_its_graph_and_a_kept_item_keeps_nothing(keep, graphs_alive):
    was_enabled = gc.isenabled()
    gc.disable()  # reference counting alone: the graph has no cycles to collect
    try:
        history, made = _history(keep)
        alive = sum(ref() is not None for ref in made)
    finally:
        if was_enabled:
            gc.enable()
    per_step = len(made) // N_STEPS
    assert alive == graphs_alive * per_step
    del history


def test_float32_halves_memory_and_stays_float32_through_a_step():
    sizes = {}
    for dtype in (np.float32, np.float64):
        model = models.LinearAutoencoder(16, 4)
        for p in model.parameters():
            p.data = p.data.astype(dtype)
        x = Tensor(np.ones((10, 16), dtype=dtype))
        loss = nn.mse_loss(model(x), x) * 0.5 + 1.0  # Python numbers keep the dtype
        loss.backward()
        assert loss.data.dtype == dtype
        assert all(p.grad is not None and p.grad.dtype == dtype for p in model.parameters())
        sizes[dtype] = sum(p.data.nbytes for p in model.parameters())
    assert sizes[np.float32] * 2 == sizes[np.float64]
