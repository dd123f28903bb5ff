"""Learning-rate schedulers pinned where the 50-epoch comparison is blind: resuming at a
later epoch, the plateau scheduler's every branch and counter step by step, the state
dicts' contents, get_last_lr's copy, and every message word for word. PyTorch 2.13 is the
reference for the rates and counters; the messages are this project's own wording."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tests.param_ids import selectable_id
from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import StateDictError
from tinygrad_ae.optim import lr_scheduler

RTOL = 1e-12


def _sgd(lrs=(0.1, 0.03)):
    return optim.SGD([{"params": [Tensor(np.ones(2), requires_grad=True)], "lr": lr}
                      for lr in lrs], lr=0.5)


def _torch_sgd(torch, lrs=(0.1, 0.03)):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(2))], "lr": lr}
                            for lr in lrs], lr=0.5)


# --- resuming at a later epoch -----------------------------------------------------------

RESUME_CASES = {
    "step": ("StepLR", dict(step_size=3, gamma=0.5)),
    "multistep": ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.4)),
    "exponential": ("ExponentialLR", dict(gamma=0.8)),
    "cosine": ("CosineAnnealingLR", dict(T_max=4, eta_min=0.002)),
    "cosine-long": ("CosineAnnealingLR", dict(T_max=3)),
    "lambda": ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (2 + e))),
}


@pytest.mark.parametrize("last_epoch", [1, 4, 6])
@pytest.mark.parametrize(("name", "settings"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resumed_schedules_match_pytorch(name, settings, last_epoch):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    for group in ours_opt.param_groups:
        group["initial_lr"] = group["lr"] * 2          # a rate stored by an earlier run
    for group in theirs_opt.param_groups:
        group["initial_lr"] = group["lr"] * 2
    ours = getattr(lr_scheduler, name)(ours_opt, last_epoch=last_epoch, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, last_epoch=last_epoch,
                                                     **settings)
    assert ours.base_lrs == pytest.approx([0.2, 0.06], rel=1e-15)
    for epoch in range(14):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=RTOL,
                                   atol=1e-15, err_msg=f"epoch {epoch}")
        assert ours.last_epoch == theirs.last_epoch
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


@pytest.mark.parametrize(("name", "settings"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_a_fresh_schedule_keeps_an_initial_lr_already_there(name, settings):
    # last_epoch=-1 keeps a stored initial_lr (setdefault), as PyTorch does.
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    ours_opt.param_groups[0]["initial_lr"] = 0.7
    theirs_opt.param_groups[0]["initial_lr"] = 0.7
    ours = getattr(lr_scheduler, name)(ours_opt, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **settings)
    assert ours.base_lrs == [0.7, 0.03] == theirs.base_lrs
    for epoch in range(8):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=RTOL,
                                   atol=1e-15, err_msg=f"epoch {epoch}")
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_cosine_two_full_periods_by_hand():
    # T_max = 2, base 1, eta_min 0.5: 1, 0.75, 0.5, 0.75, 1, 0.75, 0.5, 0.75, 1
    opt = _sgd((1.0,))
    schedule = lr_scheduler.CosineAnnealingLR(opt, T_max=2, eta_min=0.5)
    rates = [schedule.get_last_lr()[0]]
    for _ in range(8):
        schedule.step()
        rates.append(schedule.get_last_lr()[0])
    np.testing.assert_allclose(rates, [1, 0.75, 0.5, 0.75, 1, 0.75, 0.5, 0.75, 1], rtol=1e-14)


# --- the plateau scheduler, counter by counter ---------------------------------------------

# Metrics that improve, stall, wobble inside and outside the threshold, in both modes.
PLATEAU_METRICS = [5.0, 4.0, 4.0, 3.9999, 3.99, 4.5, 4.0, 3.0, 3.0, 3.0005, 2.9, 2.95,
                   2.95, 2.95, 2.95, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
PLATEAU_CASES = {
    "default": dict(),
    "min-rel": dict(factor=0.5, patience=1, threshold=0.01),
    "min-abs": dict(factor=0.5, patience=1, threshold=0.05, threshold_mode="abs"),
    "max-rel": dict(mode="max", factor=0.5, patience=1, threshold=0.01),
    "max-abs": dict(mode="max", factor=0.25, patience=0, threshold=0.2, threshold_mode="abs"),
    "cooldown": dict(factor=0.5, patience=0, cooldown=2),
    "cooldown-1": dict(factor=0.5, patience=1, cooldown=1),
    "min-lr-scalar": dict(factor=0.1, patience=0, min_lr=0.02),
    "min-lr-tuple": dict(factor=0.1, patience=0, min_lr=(0.05, 0.0)),
    "eps-skips": dict(factor=0.5, patience=0, eps=0.02),
    "eps-zero": dict(factor=0.9, patience=0, eps=0.0, threshold=0.0),
    "factor-zero": dict(factor=0.0, patience=2),
}
COUNTERS = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "mode_worse",
            "min_lrs")


@pytest.mark.parametrize("settings", PLATEAU_CASES.values(), ids=PLATEAU_CASES.keys())
def test_plateau_rates_and_counters_match_pytorch_each_epoch(settings):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **settings)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **settings)
    for epoch, metric in enumerate([None, *PLATEAU_METRICS]):
        if metric is not None:
            ours.step(metric)
            theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=RTOL), epoch
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx(
            [g["lr"] for g in theirs_opt.param_groups], rel=RTOL), epoch
        for name in COUNTERS:
            assert getattr(ours, name) == pytest.approx(getattr(theirs, name)), (epoch, name)


def test_plateau_a_value_exactly_on_the_threshold_is_not_better():
    torch = pytest.importorskip("torch")
    for mode, threshold_mode, best, values in [
            ("min", "rel", 2.0, [2.0 * (1 - 0.25), 1.4999, 1.5001]),
            ("min", "abs", 2.0, [1.75, 1.7499, 1.7501]),
            ("max", "rel", 2.0, [2.0 * (1 + 0.25), 2.5001, 2.4999]),
            ("max", "abs", 2.0, [2.25, 2.2501, 2.2499])]:
        for value in values:
            ours = lr_scheduler.ReduceLROnPlateau(_sgd(), mode=mode, threshold=0.25,
                                                  threshold_mode=threshold_mode)
            theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
                _torch_sgd(torch), mode=mode, threshold=0.25, threshold_mode=threshold_mode)
            for metric in (best, value):
                ours.step(metric)
                theirs.step(metric)
            assert (ours.best, ours.num_bad_epochs) == (theirs.best, theirs.num_bad_epochs), \
                (mode, threshold_mode, value)
            assert ours.is_better(value, best) == (ours.best == value != best)
        assert ours.is_better(values[0], best) is False
        assert ours.is_better(values[1], best) is True


def test_plateau_state_dict_holds_pytorchs_entries():
    torch = pytest.importorskip("torch")
    settings = dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs",
                    cooldown=2, min_lr=[0.01, 0.02], eps=1e-6)
    ours = lr_scheduler.ReduceLROnPlateau(_sgd(), **settings)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_torch_sgd(torch), **settings)
    for metric in [1.0, 1.0, 0.5, 0.5, 2.0]:
        ours.step(metric)
        theirs.step(metric)
    expected = theirs.state_dict()
    got = ours.state_dict()
    for key, value in got.items():
        assert key in expected, key
        assert value == pytest.approx(expected[key]) if isinstance(value, float) else \
            value == expected[key], key


def test_plateau_starts_at_epoch_zero_with_the_groups_rates():
    opt = _sgd()
    schedule = lr_scheduler.ReduceLROnPlateau(opt, mode="max")
    assert schedule.last_epoch == 0 and schedule.best == -math.inf
    assert schedule.num_bad_epochs == 0 and schedule.cooldown_counter == 0
    assert schedule.get_last_lr() == [0.1, 0.03]
    assert opt.param_groups[0]["lr"] == 0.1            # construction changes no rate
    assert "initial_lr" not in opt.param_groups[0]     # nor records one (PyTorch neither)


# --- state dicts and get_last_lr --------------------------------------------------------


def test_step_lr_state_dict_by_hand():
    schedule = lr_scheduler.StepLR(_sgd((0.1,)), step_size=2, gamma=0.5)
    assert schedule.state_dict() == {"step_size": 2, "gamma": 0.5, "base_lrs": [0.1],
                                     "last_epoch": 0, "_step_count": 1,
                                     "_is_initial": False, "_last_lr": [0.1]}
    schedule.step()
    schedule.step()
    state = schedule.state_dict()
    assert (state["last_epoch"], state["_step_count"], state["_last_lr"]) == (2, 3, [0.05])


def test_state_dict_is_a_copy_and_load_copies_too():
    schedule = lr_scheduler.MultiStepLR(_sgd(), milestones=[2])
    state = schedule.state_dict()
    state["base_lrs"].append(9.0)
    state["milestones"][7] = 1
    assert schedule.base_lrs == [0.1, 0.03] and 7 not in schedule.milestones
    other = lr_scheduler.MultiStepLR(_sgd(), milestones=[3])
    saved = schedule.state_dict()
    other.load_state_dict(saved)
    saved["milestones"][5] = 1
    assert 5 not in other.milestones and other.milestones == {2: 1}


def test_get_last_lr_is_a_copy():
    schedule = lr_scheduler.ExponentialLR(_sgd(), gamma=0.5)
    schedule.get_last_lr().append(1.0)
    schedule.get_last_lr()[0] = 7.0
    assert schedule.get_last_lr() == [0.1, 0.03]


def test_a_state_dict_with_an_extra_key_is_refused_word_for_word_and_changes_nothing():
    schedule = lr_scheduler.StepLR(_sgd(), step_size=2)
    state = schedule.state_dict()
    del state["gamma"]
    state["zeta"] = 1
    state["last_epoch"] = 40
    with pytest.raises(StateDictError) as caught:
        schedule.load_state_dict(state)
    assert str(caught.value) == (
        "StepLR.load_state_dict: the state dict does not fit this scheduler (missing keys "
        "['gamma'], unexpected keys ['zeta']); was it saved from another kind of "
        "scheduler? The scheduler is unchanged.")
    assert schedule.last_epoch == 0
    only_extra = schedule.state_dict()
    only_extra["zeta"] = 1
    with pytest.raises(StateDictError, match=r"missing keys \[\], unexpected keys \['zeta'\]"):
        schedule.load_state_dict(only_extra)
    only_missing = schedule.state_dict()
    del only_missing["base_lrs"]
    with pytest.raises(StateDictError, match=r"missing keys \['base_lrs'\], unexpected keys \[\]"):
        schedule.load_state_dict(only_missing)


def test_the_base_class_needs_get_lr():
    with pytest.raises(NotImplementedError) as caught:
        lr_scheduler.LRScheduler(_sgd())
    assert str(caught.value) == "LRScheduler must define get_lr()"


def test_the_first_step_happens_in_the_constructor_once():
    calls = []

    class Recording(lr_scheduler.LRScheduler):
        def get_lr(self):
            calls.append((self.last_epoch, self._step_count, self._is_initial))
            return [0.5 * base for base in self.base_lrs]

    opt = _sgd()
    schedule = Recording(opt)
    assert calls == [(0, 1, True)]
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.015] == schedule.get_last_lr()
    schedule.step()
    assert calls[-1] == (1, 2, False)


def test_is_initial_is_cleared_even_when_the_first_step_fails():
    made = []

    class Failing(lr_scheduler.LRScheduler):
        def get_lr(self):
            made.append(self)
            raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        Failing(_sgd())
    assert made[0]._is_initial is False


# --- messages, word for word -------------------------------------------------------------

BAD = [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=True), ValueError,
     "StepLR: step_size must be an integer >= 1, got True"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=-0.5), ValueError,
     "StepLR: gamma must be in [0, ∞), got -0.5"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma="x"), TypeError,
     "StepLR: gamma must be a number, got str"),
    (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[1, 2.0]), ValueError,
     "MultiStepLR: each milestone must be an integer >= 1, got 2.0"),
    (lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[1], gamma=-1), ValueError,
     "MultiStepLR: gamma must be in [0, ∞), got -1"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=None), TypeError,
     "ExponentialLR: gamma must be a number, got NoneType"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=-3), ValueError,
     "CosineAnnealingLR: T_max must be an integer >= 1, got -3"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=2, eta_min=-0.1), ValueError,
     "CosineAnnealingLR: eta_min must be in [0, ∞), got -0.1"),
    (lambda opt: lr_scheduler.LambdaLR("sgd", lambda e: 1.0), TypeError,
     "LambdaLR: expected an optimizer (such as optim.SGD(...)), got str"),
    (lambda opt: lr_scheduler.LambdaLR(opt, (abs, abs)), ValueError,
     "LambdaLR: got 2 functions but the optimizer has 1 parameter groups; give one, or "
     "one per group"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [3]), TypeError,
     "LambdaLR: lr_lambda must be a function of the epoch, got int"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3), ValueError,
     "ExponentialLR: last_epoch=3 resumes a schedule, but param_groups[0] has no "
     "'initial_lr'; load the optimizer's saved state dict first, or use last_epoch=-1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau("sgd"), TypeError,
     "ReduceLROnPlateau: expected an optimizer (such as optim.SGD(...)), got str"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="MIN"), ValueError,
     "ReduceLROnPlateau: mode must be 'min' or 'max', got 'MIN'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="ABS"), ValueError,
     "ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got 'ABS'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=-0.1), ValueError,
     "ReduceLROnPlateau: factor must be in [0, 1), got -0.1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=-1), ValueError,
     "ReduceLROnPlateau: patience must be an integer >= 0, got -1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=1.5), ValueError,
     "ReduceLROnPlateau: patience must be an integer >= 0, got 1.5"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, cooldown=-2), ValueError,
     "ReduceLROnPlateau: cooldown must be an integer >= 0, got -2"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, cooldown=False), ValueError,
     "ReduceLROnPlateau: cooldown must be an integer >= 0, got False"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold=-1e-3), ValueError,
     "ReduceLROnPlateau: threshold must be in [0, ∞), got -0.001"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, eps=-1.0), ValueError,
     "ReduceLROnPlateau: eps must be in [0, ∞), got -1.0"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=-0.5), ValueError,
     "ReduceLROnPlateau: min_lr must be in [0, ∞), got -0.5"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=(-0.5,)), ValueError,
     "ReduceLROnPlateau: min_lr must be in [0, ∞), got -0.5"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=(0.1, 0.2)), ValueError,
     "ReduceLROnPlateau: min_lr has 2 values but the optimizer has 1 parameter groups; "
     "give one per group"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt).step(), TypeError,
     "ReduceLROnPlateau.step needs the epoch's metric, e.g. scheduler.step(validation_loss)"),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD, ids=selectable_id)
def test_each_bad_setting_is_reported_word_for_word(make, error, message):
    opt = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1)
    with pytest.raises(error) as caught:
        make(opt)
    assert str(caught.value) == message


GOOD = {
    "step-size-1": lambda opt: lr_scheduler.StepLR(opt, step_size=1, gamma=0.0),
    "milestone-1": lambda opt: lr_scheduler.MultiStepLR(opt, milestones=(1,), gamma=0.0),
    "t-max-1": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=1, eta_min=0.0),
    "exponential-0": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.0),
    "plateau-zeros": lambda opt: lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.0, patience=0, cooldown=0, threshold=0.0, eps=0.0, min_lr=0.0),
    "plateau-min-lr-list": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.0]),
    "lambda-tuple": lambda opt: lr_scheduler.LambdaLR(opt, (lambda e: 1.0,)),
    "numpy-int": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=int(np.int64(3))),
}


@pytest.mark.parametrize("make", GOOD.values(), ids=GOOD.keys())
def test_settings_on_the_bounds_are_accepted(make):
    make(optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1))


def test_lambda_tuple_is_stored_as_a_list_one_per_group():
    opt = _sgd()
    f, g = (lambda e: 1.0), (lambda e: 0.5)
    assert lr_scheduler.LambdaLR(opt, (f, g)).lr_lambdas == [f, g]
    assert lr_scheduler.LambdaLR(_sgd(), f).lr_lambdas == [f, f]


def test_repr_leaves_out_a_subclasses_private_attributes():
    class Halving(lr_scheduler.LRScheduler):
        def __init__(self, optimizer, every):
            self.every = every
            self._cache = {"hidden": 1}
            super().__init__(optimizer)

        def get_lr(self):
            return [g["lr"] for g in self.optimizer.param_groups]

    assert repr(Halving(_sgd(), every=3)) == "Halving(every=3, last_epoch=0)"


DEFAULT_CASES = {
    "step": ("StepLR", dict(step_size=2)),
    "multistep": ("MultiStepLR", dict(milestones=[2, 3])),
    "cosine": ("CosineAnnealingLR", dict(T_max=3)),
}


@pytest.mark.parametrize(("name", "settings"), DEFAULT_CASES.values(), ids=DEFAULT_CASES.keys())
def test_default_settings_match_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    ours = getattr(lr_scheduler, name)(ours_opt, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **settings)
    for epoch in range(7):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=RTOL,
                                   atol=1e-15, err_msg=f"epoch {epoch}")
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


@pytest.mark.parametrize("last_epoch", [-1, 0, 3])
@pytest.mark.parametrize(("name", "settings"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_get_lr_called_directly_matches_pytorch(name, settings, last_epoch):
    # get_lr() outside step() is public; right after a resumed construction PyTorch's
    # cosine answers with its closed form there (the only way to reach that branch).
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    for opt in (ours_opt, theirs_opt):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"] * 2
    ours = getattr(lr_scheduler, name)(ours_opt, last_epoch=last_epoch, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, last_epoch=last_epoch,
                                                     **settings)
    for epoch in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")              # PyTorch warns about the direct call
            expected = [float(r) for r in theirs.get_lr()]
        np.testing.assert_allclose(ours.get_lr(), expected, rtol=RTOL, atol=1e-15,
                                   err_msg=f"step {epoch}")
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


@pytest.mark.parametrize(("name", "settings"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_a_rate_changed_by_hand_is_carried_along_as_in_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _sgd(), _torch_sgd(torch)
    ours = getattr(lr_scheduler, name)(ours_opt, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **settings)
    for epoch in range(10):
        if epoch in (0, 5):
            ours_opt.param_groups[1]["lr"] *= 3.0
            theirs_opt.param_groups[1]["lr"] *= 3.0
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=RTOL,
                                   atol=1e-15, err_msg=f"epoch {epoch}")


def test_plateau_reads_a_metric_through_item():
    # Anything with .item() is read through it: a one-element numpy array, which float()
    # refuses (numpy 2), and a one-element Tensor of any shape.
    schedule = lr_scheduler.ReduceLROnPlateau(_sgd())
    schedule.step(np.array([0.25]))
    assert schedule.best == 0.25 and type(schedule.best) is float
    schedule.step(Tensor([[0.125]]))
    assert schedule.best == 0.125


def test_plateau_a_change_of_exactly_eps_is_skipped_as_in_pytorch():
    # lr 1 → 0.5 is a change of exactly eps = 0.5 (all exact in binary): skipped; the
    # second group's 0.25 → 0.125 (change 0.125) is skipped too; with eps 0.25 the first
    # group's change goes through.
    torch = pytest.importorskip("torch")
    for eps, expected in [(0.5, [1.0, 0.25]), (0.25, [0.5, 0.25])]:
        ours_opt, theirs_opt = _sgd((1.0, 0.25)), _torch_sgd(torch, (1.0, 0.25))
        ours = lr_scheduler.ReduceLROnPlateau(ours_opt, factor=0.5, patience=0, eps=eps)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, factor=0.5,
                                                            patience=0, eps=eps)
        for metric in (1.0, 1.0):
            ours.step(metric)
            theirs.step(metric)
        assert ours.get_last_lr() == expected == theirs.get_last_lr()


def test_plateau_default_patience_is_ten_bad_epochs_as_in_pytorch():
    # One improvement, then 10 equal values: no cut yet; the 11th bad epoch cuts by 0.1.
    torch = pytest.importorskip("torch")
    ours = lr_scheduler.ReduceLROnPlateau(_sgd())
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_torch_sgd(torch))
    for k in range(12):
        ours.step(1.0)
        theirs.step(1.0)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=RTOL), k
    assert ours.get_last_lr() == pytest.approx([0.01, 0.003], rel=RTOL)


def test_a_subclass_state_dict_is_a_deep_copy():
    class Remembering(lr_scheduler.ExponentialLR):
        def __init__(self, optimizer):
            self.history = [[0.1]]
            super().__init__(optimizer, gamma=0.5)

    schedule = Remembering(_sgd())
    schedule.state_dict()["history"][0].append(9.0)
    assert schedule.history == [[0.1]]
    saved = schedule.state_dict()
    other = Remembering(_sgd())
    other.load_state_dict(saved)
    saved["history"][0].append(7.0)
    assert other.history == [[0.1]]
