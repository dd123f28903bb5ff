"""load_state_dict's refusals in full: the message names the optimizer's class, shows what it
got, and lists every problem of the state dict, not only the first."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import StateDictError

EXPECTED = ("expected a dict with the keys 'state' and 'param_groups' (from "
            "optimizer.state_dict()), got ")


def _groups(n: int = 2) -> optim.SGD:
    params = [Tensor(np.ones(2), requires_grad=True) for _ in range(n)]
    return optim.SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9)


@pytest.mark.parametrize(("state_dict", "got"), [
    ({"state": {}}, "['state']"),
    ({"state": {}, "param_groups": [], "extra": 1}, "['extra', 'param_groups', 'state']"),
    ([("state", {})], "list"),
], ids=["missing-key", "extra-key", "not-a-dict"])
def test_a_state_dict_without_the_two_keys_is_refused_by_name(state_dict, got):
    with pytest.raises(TypeError, match=f"^{re.escape('SGD.load_state_dict: ' + EXPECTED + got)}$"):
        _groups().load_state_dict(state_dict)


def test_every_problem_is_listed_not_only_the_first_groups():
    opt = _groups(3)
    saved = opt.state_dict()
    saved["param_groups"][0] = 0.1
    saved["param_groups"][1]["speed"] = 2
    saved["param_groups"][2]["lr"] = -1.0
    with pytest.raises(StateDictError) as caught:
        opt.load_state_dict(saved)
    assert str(caught.value).splitlines() == [
        "load_state_dict: 3 problems, the optimizer is unchanged:",
        "  - param_groups[0] is a float, not a dict",
        "  - param_groups[1]: missing hyperparameters [], unexpected ['speed']; SGD expects lr, "
        "momentum, weight_decay, dampening, nesterov",
        "  - param_groups[2]: SGD: lr must be in [0, ∞), got -1.0",
    ]


def test_zero_grad_without_set_to_none_zeroes_a_read_only_gradient():
    w = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    frozen = np.full(3, 2.0)
    frozen.flags.writeable = False
    w.grad = frozen
    opt.zero_grad(set_to_none=False)
    assert isinstance(w.grad, np.ndarray) and w.grad is not frozen
    np.testing.assert_array_equal(w.grad, np.zeros(3))
    np.testing.assert_array_equal(frozen, np.full(3, 2.0))
