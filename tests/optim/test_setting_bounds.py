"""The ends of every hyperparameter's range: an end the error message shows as closed ("[")
is accepted, one shown as open ("(") is refused, as PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor

ACCEPTED = {
    "sgd-dampening-1": ("SGD", dict(lr=0.1, momentum=0.9, dampening=1.0)),
    "sgd-zeros": ("SGD", dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0)),
    "adam-betas-0": ("Adam", dict(lr=0.1, betas=(0.0, 0.0), eps=0.0)),
    "rmsprop-alpha-1": ("RMSprop", dict(lr=0.1, alpha=1.0)),
    "rmsprop-alpha-0": ("RMSprop", dict(lr=0.1, alpha=0.0)),
    "adagrad-zeros": ("Adagrad", dict(lr=0.1, lr_decay=0.0, initial_accumulator_value=0.0)),
}
REFUSED = {
    "lr-0": ("SGD", dict(lr=0.0), r"lr must be in \(0, ∞\), got 0.0"),
    "dampening-above-1": ("SGD", dict(lr=0.1, dampening=1.0 + 1e-12),
                          r"dampening must be in \[0, 1\]"),
    "beta1-1": ("Adam", dict(betas=(1.0, 0.9)), r"betas\[0\] must be in \[0, 1\), got 1.0"),
    "beta2-1": ("Adam", dict(betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\), got 1.0"),
    "alpha-above-1": ("RMSprop", dict(alpha=1.0 + 1e-12), r"alpha must be in \[0, 1\]"),
    # The message starts with the class the user called, also for a subclass (AdamW).
    "adam-decay": ("Adam", dict(weight_decay=-1.0),
                   r"^Adam: weight_decay must be in \[0, ∞\), got -1.0$"),
    "adamw-decay": ("AdamW", dict(weight_decay=-1.0),
                    r"^AdamW: weight_decay must be in \[0, ∞\), got -1.0$"),
    "adamw-eps": ("AdamW", dict(eps=-1.0), r"^AdamW: eps must be in \[0, ∞\), got -1.0$"),
    "sgd-momentum": ("SGD", dict(lr=0.1, momentum=-1.0),
                     r"^SGD: momentum must be in \[0, ∞\), got -1.0$"),
    "sgd-decay": ("SGD", dict(lr=0.1, weight_decay=-1.0),
                  r"^SGD: weight_decay must be in \[0, ∞\), got -1.0$"),
    "sgd-dampening": ("SGD", dict(lr=0.1, dampening=-1.0),
                      r"^SGD: dampening must be in \[0, 1\], got -1.0$"),
}


def _param() -> Tensor:
    return Tensor(np.ones(2), requires_grad=True)


@pytest.mark.parametrize(("name", "settings"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_closed_end_is_accepted_by_both(name, settings):
    torch = pytest.importorskip("torch")
    getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **settings)
    opt = getattr(optim, name)([_param()], **settings)
    for key, value in settings.items():
        assert opt.param_groups[0][key] == value


@pytest.mark.parametrize(("name", "settings", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_an_open_end_or_beyond_is_refused(name, settings, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([_param()], **settings)
