"""Memory: a training loop keeps no graph across steps, its resident size stays flat, and
backward lets go of each gradient buffer as soon as it has been used.

The graph has no reference cycles, so everything here is freed by reference counting
alone: the tests run with the cyclic collector switched off to prove it.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from tinygrad_ae import Tensor, models, nn, optim, topological_order
from tinygrad_ae.autograd import ops

N_STEPS = 1_000
BUFFER = 20_000 * 8  # one float64 gradient of the chain below, in bytes


@contextmanager
def _collector_off() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _training_loop():
    model = models.mlp_autoencoder([6, 4, 2], activation="tanh", rng=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = Tensor(np.random.default_rng(0).standard_normal((16, 6)))
    kept = {id(p) for p in model.parameters()} | {id(x)}

    def step() -> Tensor:
        loss = nn.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, kept


def _made_in_step(loss: Tensor, kept: set[int]) -> list[Tensor]:
    """Every tensor of this step's graph except the parameters, the data, and the cached
    Python-number constants (shared by all steps on purpose, see ops._constant)."""
    cached = {id(t) for t in ops._CONSTANTS.values()}
    return [t for t in topological_order(loss) if id(t) not in kept and id(t) not in cached]


def test_no_tensor_made_in_1000_training_steps_is_still_alive():
    step, kept = _training_loop()
    refs: list[weakref.ref[Tensor]] = []
    with _collector_off():
        for i in range(N_STEPS):
            loss = step()
            made = _made_in_step(loss, kept)
            assert made, "the step recorded no graph"
            refs.extend(weakref.ref(t) for t in made)
            del made
            if i == 10:
                # The graphs of earlier steps are gone already: nothing is carried over.
                assert sum(r() is not None for r in refs) == len(_made_in_step(loss, kept))
        del loss
        alive = [r() for r in refs if r() is not None]
    assert alive == []


def test_the_resident_size_stays_flat_after_warm_up():
    step, _ = _training_loop()
    with _collector_off():
        for _ in range(50):  # warm-up: optimizer state, constant cache, numpy's caches
            step()
        tracemalloc.start()
        try:
            step()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(N_STEPS):
                step()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    # A graph kept per step would add tens of kilobytes every step; allow a few kilobytes
    # of noise from interpreter caches.
    assert after - before < 16_384, f"grew by {after - before} bytes over {N_STEPS} steps"


def test_backward_frees_each_gradient_buffer_once_used():
    x = Tensor(np.linspace(-1.0, 1.0, BUFFER // 8), requires_grad=True)
    y = x
    for _ in range(100):
        y = (y * 1.5).tanh()
    seed = np.ones(y.shape)
    with _collector_off():
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            y.backward(seed)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # Kept to the end, the 200 intermediate gradients would take 200 buffers; released
    # as they are used, only a handful are alive at any moment.
    assert peak - before < 8 * BUFFER, f"backward peaked at {(peak - before) / BUFFER:.1f} buffers"
    assert x.grad is not None and x.grad.shape == x.shape


def test_adopted_gradients_are_never_shared():
    # backward hands a freshly made gradient to a leaf without copying it; these are the
    # cases where one array could otherwise end up in two places.
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()                      # add passes one g to both inputs
    assert a.grad is not None and b.grad is not None
    assert not np.shares_memory(a.grad, b.grad)
    seed = np.full(3, 2.0)
    c = Tensor(np.ones(3), requires_grad=True)
    (c * 1.0).backward(seed)                      # the user's seed stays the user's
    c2 = Tensor(np.ones(3), requires_grad=True)
    c2.backward(seed)                             # a leaf as the root: the seed itself
    assert not np.shares_memory(c2.grad, seed) and not np.shares_memory(c.grad, seed)
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    (w.sum() * 2.0).backward()                    # a broadcast view is made whole first
    assert w.grad.flags.writeable and w.grad.flags.c_contiguous
    w.grad += 1.0                                 # and accumulates in place, alone
    assert np.array_equal(w.grad, np.full((2, 3), 3.0))


def test_adam_all_at_once_computes_what_one_parameter_at_a_time_does():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 3, 2), ()]
    for dtype in (np.float32, np.float64):
        together = [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                    for s in shapes]
        alone = [Tensor(t.data.copy(), requires_grad=True) for t in together]
        fast, slow = optim.Adam(together, lr=0.01), optim.Adam(alone, lr=0.01)
        slow._step_all_at_once = lambda: False    # type: ignore[method-assign]
        for step in range(6):
            for i, (x, y) in enumerate(zip(together, alone)):
                skip = step == 3 and i == 1         # one step without a gradient
                g = None if skip else rng.standard_normal(x.shape).astype(dtype)
                x.grad, y.grad = g, None if g is None else g.copy()
            fast.step()
            slow.step()
            for x, y in zip(together, alone):
                assert np.array_equal(x.data, y.data), (dtype, step)
        assert fast._flat is not None and slow._flat is None
