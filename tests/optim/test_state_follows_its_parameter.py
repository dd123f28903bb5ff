"""Per-parameter state (momentum buffers, moment estimates, step counts) stays with its own
parameter when there are more than two, across groups, and when a parameter has no
gradient for a step: compared with PyTorch over a few steps."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor

# The same float64 recurrences as PyTorch, in a different order of operations.
TORCH_RTOL = 1e-10
TORCH_ATOL = 1e-12
N_PARAMS = 4
N_STEPS = 5
# Step k: the parameter listed here has no gradient (None: every parameter has one).
WITHOUT_GRADIENT = {1: 2, 3: 0}

CASES = {
    "sgd-momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "adam": ("Adam", dict(lr=0.1)),
    "rmsprop-centered": ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    "adagrad": ("Adagrad", dict(lr=0.1)),
}


def _groups(params):
    # Two groups, so that Adam steps parameter by parameter too.
    return [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]


def _gradients():
    rng = np.random.default_rng(3)
    return [[rng.standard_normal(2) * (k + 1) for k in range(N_PARAMS)] for _ in range(N_STEPS)]


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_each_parameter_keeps_its_own_state(name, settings):
    torch = pytest.importorskip("torch")
    start = [np.full(2, float(k + 1)) for k in range(N_PARAMS)]
    ours = [Tensor(v.copy(), requires_grad=True) for v in start]
    theirs = [torch.nn.Parameter(torch.tensor(v.copy())) for v in start]
    opt = getattr(optim, name)(_groups(ours), **settings)
    reference = getattr(torch.optim, name)(_groups(theirs), **settings)
    for step, grads in enumerate(_gradients()):
        skip = WITHOUT_GRADIENT.get(step)
        for k, g in enumerate(grads):
            ours[k].grad = None if k == skip else g.copy()
            theirs[k].grad = None if k == skip else torch.tensor(g.copy())
        opt.step()
        reference.step()
        for k in range(N_PARAMS):
            np.testing.assert_allclose(ours[k].data, theirs[k].detach().numpy(),
                                       rtol=TORCH_RTOL, atol=TORCH_ATOL,
                                       err_msg=f"step {step}, parameter {k}")
    # The saved state is numbered by parameter, as PyTorch numbers it.
    mine, expected = opt.state_dict()["state"], reference.state_dict()["state"]
    assert sorted(mine) == sorted(expected)
    for index, entry in expected.items():
        for key, value in entry.items():
            np.testing.assert_allclose(np.asarray(mine[index][key], dtype=float),
                                       np.asarray(value, dtype=float), rtol=TORCH_RTOL,
                                       atol=TORCH_ATOL, err_msg=f"state[{index}][{key!r}]")
