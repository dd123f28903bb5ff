"""What print(scheduler) shows: the class, the settings the user passed (never the optimizer,
the base rates or private counters) and the epoch the schedule is at."""

from __future__ import annotations

import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.optim import lr_scheduler


def _optimizer() -> optim.SGD:
    return optim.SGD([Tensor(1.0, requires_grad=True)], lr=1.0)


CASES = {
    "step": (lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
             "StepLR(step_size=3, gamma=0.5, last_epoch={epoch})"),
    "exponential": (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
                    "ExponentialLR(gamma=0.9, last_epoch={epoch})"),
    "cosine": (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01),
               "CosineAnnealingLR(T_max=5, eta_min=0.01, last_epoch={epoch})"),
    "multistep": (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[4, 2], gamma=0.5),
                  "MultiStepLR(milestones=Counter({{2: 1, 4: 1}}), gamma=0.5, "
                  "last_epoch={epoch})"),
}


@pytest.mark.parametrize(("make", "expected"), CASES.values(), ids=CASES.keys())
def test_repr_shows_the_settings_and_the_epoch(make, expected):
    opt = _optimizer()
    schedule = make(opt)
    assert repr(schedule) == expected.format(epoch=0)
    for _ in range(3):
        opt.step()
        schedule.step()
    assert repr(schedule) == expected.format(epoch=3)


def test_plateau_repr_shows_its_settings_and_progress():
    schedule = lr_scheduler.ReduceLROnPlateau(_optimizer(), mode="max", factor=0.5,
                                              patience=2)
    for metric in (1.0, 2.0, 1.5):
        schedule.step(metric)
    text = repr(schedule)
    assert text.startswith("ReduceLROnPlateau(factor=0.5, patience=2, cooldown=0, ")
    for part in ("mode='max'", "threshold_mode='rel'", "best=2.0", "num_bad_epochs=1"):
        assert part in text
    assert text.endswith(", last_epoch=3)")
    assert "optimizer" not in text and "_last_lr" not in text
