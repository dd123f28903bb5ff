"""An optimizer the user writes (a subclass with its own step) gets the same guard as ours:
after its step, a graph built before it refuses to backpropagate and names that step; a
parameter the step skipped (no gradient) keeps its graphs usable."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor


def _sign_descent() -> type[optim.Optimizer]:
    # Defined when a test runs, as a user's class is (not once at import of this file).
    class SignDescent(optim.Optimizer):
        """p ← p − lr · sign(g), written as a user would, against 0.1's signature."""

        def __init__(self, params, lr):
            super().__init__(params, lr)

        def step(self):
            for p in self.params:
                if p.grad is not None:
                    p.data -= self.lr * np.sign(p.grad)

    return SignDescent


def test_a_graph_built_before_a_user_step_names_that_step():
    SignDescent = _sign_descent()  # noqa: N806  (a class)
    moved, skipped = (Tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = SignDescent([moved, skipped], lr=0.1)
    stale = (moved * moved).sum()
    untouched = (skipped * skipped).sum()
    moved.grad = np.ones(2)                  # skipped has no gradient: the step leaves it be
    opt.step()
    np.testing.assert_array_equal(moved.data, [0.9, 0.9])
    with pytest.raises(RuntimeError, match=r"changed in place \(by 'SignDescent\.step'\)"):
        stale.backward()
    untouched.backward()                     # its input did not change: still valid
    np.testing.assert_array_equal(skipped.grad, [2.0, 2.0])


def test_the_wrapped_step_keeps_the_users_name():
    SignDescent = _sign_descent()  # noqa: N806  (a class)
    assert SignDescent.step.__name__ == "step"
    assert SignDescent.step.__qualname__.endswith("SignDescent.step")
