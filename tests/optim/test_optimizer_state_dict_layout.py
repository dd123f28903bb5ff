"""The numbering and types of Optimizer.state_dict(), against PyTorch's, for layouts the
two-group tests do not reach: three groups of unequal sizes, and the step count's type.
Also the base class's contract: a subclass without step() says so when stepped."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor

SIZES = (2, 1, 1)   # parameters per group: numbering must run on across groups, 0 to 3


def _groups(make_param):
    return [{"params": [make_param() for _ in range(size)]} for size in SIZES]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_parameters_are_numbered_on_across_groups_as_pytorch_does(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)(_groups(lambda: Tensor(np.ones(2), requires_grad=True)),
                                lr=0.1)
    theirs = getattr(torch.optim, name)(_groups(lambda: torch.nn.Parameter(torch.ones(2))),
                                        lr=0.1)
    expected = [group["params"] for group in theirs.state_dict()["param_groups"]]
    assert expected == [[0, 1], [2], [3]]
    assert [group["params"] for group in ours.state_dict()["param_groups"]] == expected


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_the_step_count_is_a_plain_integer(name):
    w = Tensor(np.ones(3), requires_grad=True)
    opt = getattr(optim, name)([w], lr=0.1)
    for _ in range(3):
        w.grad = np.full(3, 0.5)
        opt.step()
    step = opt.state_dict()["state"][0]["step"]
    assert type(step) is int and step == 3


def test_an_optimizer_without_step_says_it_must_define_one():
    class Unfinished(optim.Optimizer):
        pass

    w = Tensor(np.ones(2), requires_grad=True)
    opt = Unfinished([w], 0.1)
    with pytest.raises(NotImplementedError, match=r"^Unfinished must define step\(\)$"):
        opt.step()
