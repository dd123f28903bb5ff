"""Learning-rate schedulers against PyTorch over 50 epochs, state dicts and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from param_ids import selectable_id

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import StateDictError
from tinygrad_ae.optim import lr_scheduler

# The same chainable float64 recurrences on both sides; only the grouping of a product
# may differ, compounded over 50 epochs.
LR_RTOL = 1e-12
N_EPOCHS = 50

CASES = {
    "step": ("StepLR", dict(step_size=7, gamma=0.5)),
    "step-default-gamma": ("StepLR", dict(step_size=3)),
    "exponential": ("ExponentialLR", dict(gamma=0.93)),
    "multistep": ("MultiStepLR", dict(milestones=[3, 10, 10, 31], gamma=0.6)),
    "lambda": ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch + 0.1 * (epoch % 3))),
    "lambda-per-group": ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e),
                                                     lambda e: 1 + 0.01 * e])),
    "cosine": ("CosineAnnealingLR", dict(T_max=10)),
    "cosine-eta-min": ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
}
# A loss curve that improves, stalls, wobbles and improves again.
METRICS = [1.0 / (1 + e) if e < 10 or e > 35 else 0.1 + 0.001 * math.sin(e)
           for e in range(N_EPOCHS)]
PLATEAU_CASES = {
    "default": dict(),
    "patience-cooldown": dict(factor=0.5, patience=2, cooldown=3),
    "abs-threshold": dict(factor=0.3, patience=1, threshold=0.01, threshold_mode="abs"),
    "max-mode": dict(mode="max", factor=0.5, patience=3),
    "min-lr": dict(factor=0.2, patience=0, min_lr=[0.01, 0.002]),
}


def _two_groups(make_param):
    return [{"params": [make_param()], "lr": 0.1}, {"params": [make_param()], "lr": 0.03}]


def _ours(name, settings):
    opt = optim.SGD(_two_groups(lambda: Tensor(np.ones(2), requires_grad=True)), lr=0.1)
    return opt, getattr(lr_scheduler, name)(opt, **settings)


def _theirs(torch, name, settings):
    opt = torch.optim.SGD(_two_groups(lambda: torch.nn.Parameter(torch.ones(2))), lr=0.1)
    return opt, getattr(torch.optim.lr_scheduler, name)(opt, **settings)


def _rates(opt, schedule, metrics=None):
    rates = [schedule.get_last_lr()]
    for epoch in range(N_EPOCHS):
        opt.step()
        if metrics is None:
            schedule.step()
        else:
            schedule.step(metrics[epoch])
        rates.append([float(r) for r in schedule.get_last_lr()])
    return np.array(rates)


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_fifty_epochs_match_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    ours = _rates(*_ours(name, settings))
    theirs = _rates(*_theirs(torch, name, settings))
    np.testing.assert_allclose(ours, theirs, rtol=LR_RTOL, atol=0)


@pytest.mark.parametrize("settings", PLATEAU_CASES.values(), ids=PLATEAU_CASES.keys())
def test_reduce_on_plateau_matches_pytorch(settings):
    torch = pytest.importorskip("torch")
    metrics = [-m for m in METRICS] if settings.get("mode") == "max" else METRICS
    ours = _rates(*_ours("ReduceLROnPlateau", settings), metrics=metrics)
    theirs = _rates(*_theirs(torch, "ReduceLROnPlateau", settings), metrics=metrics)
    np.testing.assert_allclose(ours, theirs, rtol=LR_RTOL, atol=0)
    assert ours[-1, 0] < ours[0, 0]                  # the case does reduce the rate


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_the_optimizer_steps_with_the_scheduled_rate(name, settings):
    if isinstance(settings.get("lr_lambda"), list):  # one group here: its first function
        settings = dict(lr_lambda=settings["lr_lambda"][0])
    param = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([param], lr=0.1)
    schedule = getattr(lr_scheduler, name)(opt, **settings)
    total = 0.0
    for _ in range(12):
        total += opt.lr
        param.grad = np.ones(1)
        opt.step()
        schedule.step()
    np.testing.assert_allclose(param.data, [-total], rtol=1e-12)


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_state_dict_resumes_the_schedule(name, settings):
    opt, schedule = _ours(name, settings)
    straight = _rates(opt, schedule)[-1]
    opt, schedule = _ours(name, settings)
    for _ in range(20):
        schedule.step()
    saved, saved_optimizer = schedule.state_dict(), opt.state_dict()
    opt, schedule = _ours(name, settings)
    opt.load_state_dict(saved_optimizer)
    schedule.load_state_dict(saved)
    for _ in range(N_EPOCHS - 20):
        schedule.step()
    np.testing.assert_allclose(schedule.get_last_lr(), straight, rtol=LR_RTOL)


def test_plateau_state_dict_round_trip():
    opt, schedule = _ours("ReduceLROnPlateau", dict(patience=1))
    for m in METRICS[:15]:
        schedule.step(m)
    saved = schedule.state_dict()
    _, other = _ours("ReduceLROnPlateau", dict(patience=1))
    other.load_state_dict(saved)
    assert (other.best, other.num_bad_epochs, other.last_epoch) == (
        schedule.best, schedule.num_bad_epochs, 15)


def test_a_state_dict_of_another_scheduler_is_refused():
    _, step = _ours("StepLR", dict(step_size=2))
    _, cosine = _ours("CosineAnnealingLR", dict(T_max=5))
    before = cosine.state_dict()
    with pytest.raises(StateDictError, match=r"missing keys \['T_max', 'eta_min'\], "
                                             r"unexpected keys \['gamma', 'step_size'\]"):
        cosine.load_state_dict(step.state_dict())
    assert cosine.state_dict() == before


def test_resuming_needs_initial_lr_and_uses_it():
    opt = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="has no 'initial_lr'; load the optimizer's saved "
                                         "state dict first"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), ValueError,
     "StepLR: step_size must be an integer >= 1, got 0"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2.5), ValueError, "step_size must be"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=-1), ValueError,
     "ExponentialLR: gamma must be in"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError,
     "T_max must be an integer >= 1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), ValueError,
     r"factor must be in \[0, 1\)"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="up"), ValueError,
     "mode must be 'min' or 'max', got 'up'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="pct"), ValueError,
     "threshold_mode must be 'rel' or 'abs'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]), ValueError,
     "min_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda opt: lr_scheduler.StepLR("sgd", step_size=1), TypeError, "expected an optimizer"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt).step(), TypeError,
     r"needs the epoch's metric"),
    (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[2, 0]), ValueError,
     "MultiStepLR: each milestone must be an integer >= 1, got 0"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [abs, abs]), ValueError,
     "LambdaLR: got 2 functions but the optimizer has 1 parameter groups"),
    (lambda opt: lr_scheduler.LambdaLR(opt, 0.5), TypeError,
     "lr_lambda must be a function of the epoch, got float"),
], ids=selectable_id)  # ids mutmut can pass back to pytest
def test_bad_settings_are_reported(make, error, pattern):
    opt = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=pattern):
        make(opt)


def test_plateau_accepts_a_one_element_tensor_and_warns_nothing():
    opt, schedule = _ours("ReduceLROnPlateau", dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schedule.step(Tensor(0.5))
    assert schedule.best == 0.5


def test_a_schedule_saved_at_a_zero_rate_loads():
    opt, schedule = _ours("CosineAnnealingLR", dict(T_max=4))
    for _ in range(4):
        schedule.step()
    assert schedule.get_last_lr() == [0.0, 0.0]           # the bottom of the cosine
    fresh, other = _ours("CosineAnnealingLR", dict(T_max=4))
    fresh.load_state_dict(opt.state_dict())
    other.load_state_dict(schedule.state_dict())
    other.step()
    schedule.step()
    assert other.get_last_lr() == schedule.get_last_lr() and schedule.get_last_lr()[0] > 0


def test_lambda_state_dict_leaves_the_functions_out():
    opt, schedule = _ours("LambdaLR", dict(lr_lambda=lambda e: 0.5 ** e))
    schedule.step()
    saved = schedule.state_dict()
    assert "lr_lambdas" not in saved and saved["last_epoch"] == 1
    _, other = _ours("LambdaLR", dict(lr_lambda=lambda e: 0.5 ** e))
    other.load_state_dict(saved)
    other.step()
    assert other.get_last_lr() == [0.1 * 0.25, 0.03 * 0.25]
