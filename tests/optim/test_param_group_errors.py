"""add_param_group's refusals word for word: each starts with the optimizer's class and says
which parameter or group is wrong and what to pass instead."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor


def _leaf(name: str | None = None) -> Tensor:
    return Tensor(np.ones(2), requires_grad=True, name=name)


CASES = {
    "no-params": (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError,
                  "SGD: a parameter group needs a 'params' entry, got keys ['lr']"),
    "unknown": (lambda: optim.Adam([{"params": [_leaf()], "speed": 1}]), ValueError,
                "Adam: unknown hyperparameter(s) ['speed'] in a parameter group; valid ones: "
                "lr, betas, eps, weight_decay, amsgrad"),
    "empty-group": (lambda: optim.RMSprop([{"params": []}]), ValueError,
                    "RMSprop: parameter group 0 is empty"),
    "not-a-tensor": (lambda: optim.Adagrad([np.ones(2)]), TypeError,
                     "Adagrad: parameter 0 is a ndarray, not a Tensor"),
    "no-grad": (lambda: optim.SGD([_leaf(), Tensor(1.0, name="c")], lr=0.1), ValueError,
                "SGD: parameter 1 ('c') does not require grad, so it would never move; create "
                "it with Tensor(..., requires_grad=True)"),
    "not-a-leaf": (lambda: optim.AdamW([_leaf() * 2]), ValueError,
                   "AdamW: parameter 0 was computed by the op 'mul', so it is not a leaf; "
                   "optimize the tensors it was computed from"),
}


@pytest.mark.parametrize(("make", "error", "message"), CASES.values(), ids=CASES.keys())
def test_a_bad_parameter_group_is_refused_by_the_optimizers_name(make, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()
