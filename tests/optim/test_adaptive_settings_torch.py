"""RMSprop and Adagrad pinned where the broad PyTorch comparison is blind: the defaults
(gradients small enough that eps decides the step), per-group settings that differ from
the constructor's, groups added later, state after a load, and every setting's message.
PyTorch 2.13 is the reference; the messages are this project's own wording."""

from __future__ import annotations

import numpy as np
import pytest

from tests.param_ids import selectable_id
from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor

RTOL = 1e-10
ATOL = 1e-300
N_STEPS = 6


def _grads(scale, n=N_STEPS, shape=(3,), seed=3):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * scale for _ in range(n)]


def _run_pair(name, make_groups, grads_per_param, **settings):
    """Run ours and PyTorch's on the same groups; return both parameter trajectories."""
    torch = pytest.importorskip("torch")
    start = [np.linspace(-1.0, 1.0, len(g[0])) + k for k, g in enumerate(grads_per_param)]
    ours_p = [Tensor(v.copy(), requires_grad=True) for v in start]
    theirs_p = [torch.nn.Parameter(torch.tensor(v.copy())) for v in start]
    ours = getattr(optim, name)(make_groups(ours_p), **settings)
    theirs = getattr(torch.optim, name)(make_groups(theirs_p), **settings)
    got, expected = [], []
    for step in range(len(grads_per_param[0])):
        for p, q, g in zip(ours_p, theirs_p, grads_per_param):
            p.grad = g[step].copy()
            q.grad = torch.tensor(g[step].copy())
        ours.step()
        theirs.step()
        got.append([p.data.copy() for p in ours_p])
        expected.append([q.detach().numpy().copy() for q in theirs_p])
    return got, expected


def _assert_same(got, expected):
    for step, (a_s, b_s) in enumerate(zip(got, expected), start=1):
        for k, (a, b) in enumerate(zip(a_s, b_s)):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL,
                                       err_msg=f"step {step}, parameter {k}")


# Gradients of order eps: the step g/(√s + eps) then depends on eps (and with it on
# the default values) at the first significant digit.
DEFAULT_CASES = {
    "rmsprop-defaults": ("RMSprop", 1e-8, {}),
    "rmsprop-centered-defaults": ("RMSprop", 1e-8, dict(centered=True)),
    "rmsprop-momentum-defaults": ("RMSprop", 1e-8, dict(momentum=0.9)),
    "adagrad-defaults": ("Adagrad", 1e-10, {}),
}


@pytest.mark.parametrize(("name", "scale", "settings"), DEFAULT_CASES.values(),
                         ids=DEFAULT_CASES.keys())
def test_defaults_match_pytorch_where_eps_matters(name, scale, settings):
    got, expected = _run_pair(name, lambda ps: ps, [_grads(scale), _grads(scale, seed=4)],
                              **settings)
    moved = np.abs(got[-1][0] - np.linspace(-1.0, 1.0, 3)).max()
    assert moved > 1e-4  # the default lr really moved the parameter
    _assert_same(got, expected)


def _two_groups_rmsprop(ps):
    return [{"params": [ps[0]], "alpha": 0.5, "eps": 1e-3, "weight_decay": 0.2,
             "momentum": 0.7, "centered": True, "lr": 0.03},
            {"params": [ps[1]]}]


def _two_groups_adagrad(ps):
    # No per-group initial_accumulator_value: PyTorch ignores it (it fills every sum from
    # the constructor's value); ours honours it, pinned by hand below.
    return [{"params": [ps[0]], "lr_decay": 0.3, "weight_decay": 0.2, "eps": 1e-3,
             "lr": 0.2},
            {"params": [ps[1]]}]


GROUP_CASES = {
    "rmsprop": ("RMSprop", _two_groups_rmsprop,
                dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.0, momentum=0.0,
                     centered=False)),
    "rmsprop-swapped": ("RMSprop", _two_groups_rmsprop,
                        dict(lr=0.02, alpha=0.8, eps=1e-2, weight_decay=0.05, momentum=0.4,
                             centered=True)),
    "rmsprop-centered-no-momentum": ("RMSprop", lambda ps: ps,
                                     dict(lr=0.01, alpha=0.7, centered=True, eps=1e-4)),
    "adagrad": ("Adagrad", _two_groups_adagrad,
                dict(lr=0.05, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                     eps=1e-8)),
    "adagrad-swapped": ("Adagrad", _two_groups_adagrad,
                        dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                             initial_accumulator_value=1.5, eps=1e-1)),
}


@pytest.mark.parametrize(("name", "make_groups", "settings"), GROUP_CASES.values(),
                         ids=GROUP_CASES.keys())
def test_each_group_uses_its_own_settings(name, make_groups, settings):
    got, expected = _run_pair(name, make_groups, [_grads(1.0), _grads(0.5, seed=5)],
                              **settings)
    _assert_same(got, expected)


def test_adagrad_group_added_later_gets_an_accumulator_at_once():
    torch = pytest.importorskip("torch")
    a, b = Tensor(np.array([1.0, -2.0]), requires_grad=True), \
        Tensor(np.array([0.5]), requires_grad=True)
    ta, tb = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64)), \
        torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
    ours = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad([ta], lr=0.1, initial_accumulator_value=0.25)
    ours.add_param_group({"params": [b], "lr": 0.3})
    theirs.add_param_group({"params": [tb], "lr": 0.3})
    np.testing.assert_array_equal(ours.state_dict()["state"][1]["sum"], [0.25])
    np.testing.assert_array_equal(ours.state_dict()["state"][0]["sum"], [0.25, 0.25])
    for g_a, g_b in [([0.3, -1.0], [2.0]), ([1.0, 0.1], [-0.5])]:
        a.grad, b.grad = np.array(g_a), np.array(g_b)
        ta.grad, tb.grad = torch.tensor(g_a, dtype=torch.float64), \
            torch.tensor(g_b, dtype=torch.float64)
        ours.step()
        theirs.step()
        np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=RTOL)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=RTOL)


def test_adagrad_sums_exist_again_after_loading_a_state_dict_without_them():
    # After load_state_dict the accumulators are rebuilt from initial_accumulator_value
    # (the loaded state then overwrites the ones it holds).
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.Adagrad([w], lr=0.1, initial_accumulator_value=0.5)
    saved = opt.state_dict()
    w.grad = np.array([1.0, 1.0])
    opt.step()
    opt.load_state_dict(saved)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["sum"], [0.5, 0.5])
    w.data[:] = [1.0, 2.0]
    w.grad = np.array([1.0, 1.0])
    opt.step()
    # by hand: s = 0.5 + 1 = 1.5; p = p − 0.1 · 1/√1.5
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) - 0.1 / (np.sqrt(1.5) + 1e-10),
                               rtol=1e-14)


def test_adagrad_per_group_initial_accumulator_by_hand():
    # This project honours a group's own initial_accumulator_value (PyTorch 2.13 fills
    # every sum from the constructor's), at construction and for a group added later.
    # lr 1, eps 0, g = 1: p −= 1/√(s0 + 1).
    a, b, c = (Tensor(np.array([0.0]), requires_grad=True) for _ in range(3))
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=1.0, eps=0.0, initial_accumulator_value=8.0)
    opt.add_param_group({"params": [c], "initial_accumulator_value": 0.0})
    assert [float(opt.state_dict()["state"][k]["sum"][0]) for k in range(3)] == [8.0, 3.0, 0.0]
    for p in (a, b, c):
        p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0], c.data[0]], [-1 / 3, -1 / 2, -1.0],
                               rtol=1e-15)


def test_rmsprop_by_hand_one_step_each_branch():
    # centered, momentum 0.5, weight_decay 0.5, alpha 0.75, eps 0.25, lr 0.1, p = 2, g = 1:
    # g' = 1 + 0.5·2 = 2; s = 0.25·4 = 1; ḡ = 0.25·2 = 0.5; a = √(1 − 0.25) + 0.25;
    # b = g'/a; p = 2 − 0.1·b
    w = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.RMSprop([w], lr=0.1, alpha=0.75, eps=0.25, weight_decay=0.5, momentum=0.5,
                        centered=True)
    w.grad = np.array([1.0])
    opt.step()
    a = np.sqrt(0.75) + 0.25
    np.testing.assert_allclose(w.data, [2.0 - 0.1 * 2.0 / a], rtol=1e-14)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 1
    np.testing.assert_allclose(state["square_avg"], [1.0], rtol=1e-14)
    np.testing.assert_allclose(state["grad_avg"], [0.5], rtol=1e-14)
    np.testing.assert_allclose(state["momentum_buffer"], [2.0 / a], rtol=1e-14)


def test_adagrad_by_hand_lr_decay():
    # lr 1, lr_decay 0.5, p = 0, g = 2 each step, eps 0:
    # step 1: s = 4, p −= 1 · 2/2 = 1; step 2: s = 8, p −= 1/1.5 · 2/√8
    w = Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.Adagrad([w], lr=1.0, lr_decay=0.5, eps=0.0)
    for _ in range(2):
        w.grad = np.array([2.0])
        opt.step()
    np.testing.assert_allclose(w.data, [-1.0 - (1 / 1.5) * 2 / np.sqrt(8.0)], rtol=1e-14)
    assert opt.state_dict()["state"][0]["step"] == 2


def test_centered_is_stored_as_a_bool():
    w = Tensor(np.ones(1), requires_grad=True)
    assert optim.RMSprop([w], centered=1).param_groups[0]["centered"] is True
    assert optim.RMSprop([w], centered=0).param_groups[0]["centered"] is False
    assert optim.RMSprop([w]).param_groups[0]["centered"] is False


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda w: optim.RMSprop([w], alpha=-0.1), ValueError,
     "RMSprop: alpha must be in [0, 1], got -0.1"),
    (lambda w: optim.RMSprop([w], alpha="a"), TypeError,
     "RMSprop: alpha must be a number, got str"),
    (lambda w: optim.RMSprop([w], eps=-1e-9), ValueError,
     "RMSprop: eps must be in [0, ∞), got -1e-09"),
    (lambda w: optim.RMSprop([w], weight_decay=-0.5), ValueError,
     "RMSprop: weight_decay must be in [0, ∞), got -0.5"),
    (lambda w: optim.RMSprop([w], momentum=-2), ValueError,
     "RMSprop: momentum must be in [0, ∞), got -2"),
    (lambda w: optim.RMSprop([w], eps=None), TypeError,
     "RMSprop: eps must be a number, got NoneType"),
    (lambda w: optim.RMSprop([w], weight_decay="x"), TypeError,
     "RMSprop: weight_decay must be a number, got str"),
    (lambda w: optim.RMSprop([w], momentum=[0.9]), TypeError,
     "RMSprop: momentum must be a number, got list"),
    (lambda w: optim.Adagrad([w], lr_decay=-1), ValueError,
     "Adagrad: lr_decay must be in [0, ∞), got -1"),
    (lambda w: optim.Adagrad([w], weight_decay=-0.25), ValueError,
     "Adagrad: weight_decay must be in [0, ∞), got -0.25"),
    (lambda w: optim.Adagrad([w], initial_accumulator_value=-3.0), ValueError,
     "Adagrad: initial_accumulator_value must be in [0, ∞), got -3.0"),
    (lambda w: optim.Adagrad([w], eps=-1.0), ValueError,
     "Adagrad: eps must be in [0, ∞), got -1.0"),
    (lambda w: optim.Adagrad([w], initial_accumulator_value="z"), TypeError,
     "Adagrad: initial_accumulator_value must be a number, got str"),
], ids=selectable_id)
def test_each_setting_is_checked_word_for_word(make, error, message):
    w = Tensor(np.ones(1), requires_grad=True)
    with pytest.raises(error) as caught:
        make(w)
    assert str(caught.value) == message


@pytest.mark.parametrize("make", [
    lambda w: optim.RMSprop([w], alpha=0.0, eps=0.0, weight_decay=0.0, momentum=0.0),
    lambda w: optim.RMSprop([w], alpha=1.0, eps=0.5, weight_decay=0.5, momentum=0.5),
    lambda w: optim.Adagrad([w], lr_decay=0.0, weight_decay=0.0,
                            initial_accumulator_value=0.0, eps=0.0),
    lambda w: optim.Adagrad([w], lr_decay=0.5, weight_decay=0.5,
                            initial_accumulator_value=0.5, eps=0.5),
])
def test_values_on_and_inside_the_bounds_are_accepted(make):
    make(Tensor(np.ones(1), requires_grad=True))
