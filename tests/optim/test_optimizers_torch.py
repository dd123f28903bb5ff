"""AdamW, RMSprop, Adagrad, parameter groups and optimizer state dicts, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import optim
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.nn import StateDictError

# Both sides do float64 arithmetic grouped differently (PyTorch uses lerp, addcdiv); the
# differences are rounding, compounded over 20 steps.
TORCH_RTOL = 1e-10
TORCH_ATOL = 1e-12
# float32 on both sides: a few ulps of 1.2e-7 per step over 20 steps.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-6
N_STEPS = 20
SHAPES = [(3, 4), (4,)]

CASES = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd-momentum-decay": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01,
                                       dampening=0.1)),
    "sgd-nesterov": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    "adam": ("Adam", dict(lr=0.01)),
    "adam-decay": ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    "adamw": ("AdamW", dict()),
    "adamw-strong": ("AdamW", dict(lr=0.05, weight_decay=0.5, eps=1e-6)),
    "adam-amsgrad": ("Adam", dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True)),
    "adamw-amsgrad-decay": ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    "rmsprop": ("RMSprop", dict()),
    "rmsprop-momentum-decay": ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5,
                                               weight_decay=0.1)),
    "rmsprop-centered": ("RMSprop", dict(lr=0.005, centered=True, momentum=0.3)),
    "adagrad": ("Adagrad", dict()),
    "adagrad-all": ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                    initial_accumulator_value=0.1, eps=1e-6)),
}


def _initial_values(dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def _gradients(dtype=np.float64) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(1)
    return [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
            for _ in range(N_STEPS)]


def _groups(params, settings, second_lr):
    """Two parameter groups (the second overrides the learning rate), or with
    ``second_lr=None`` one group: Adam and AdamW then step all parameters at once."""
    if second_lr is None:
        return list(params)
    return [{"params": [params[0]]}, {"params": [params[1]], "lr": second_lr}]


def _run_ours(name, settings, values, grads, start=0, stop=N_STEPS, opt=None, params=None,
              second_lr=0.02):
    params = params or [Tensor(v.copy(), requires_grad=True) for v in values]
    opt = opt or getattr(optim, name)(_groups(params, settings, second_lr), **settings)
    trajectory = []
    for step_grads in grads[start:stop]:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory, opt, params


def _run_torch(torch, name, settings, values, grads, second_lr=0.02):
    params = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    opt = getattr(torch.optim, name)(_groups(params, settings, second_lr), **settings)
    trajectory = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, opt


@pytest.mark.parametrize("second_lr", [0.02, None], ids=["two-groups", "one-group"])
@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_twenty_steps_match_pytorch(name, settings, second_lr):
    torch = pytest.importorskip("torch")
    values, grads = _initial_values(), _gradients()
    ours, _, _ = _run_ours(name, settings, values, grads, second_lr=second_lr)
    theirs, _ = _run_torch(torch, name, settings, values, grads, second_lr=second_lr)
    for step, (got, expected) in enumerate(zip(ours, theirs), start=1):
        for k, (a, b) in enumerate(zip(got, expected)):
            np.testing.assert_allclose(a, b, rtol=TORCH_RTOL, atol=TORCH_ATOL,
                                       err_msg=f"step {step}, parameter {k}")


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_float32_stays_float32_and_matches_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    values, grads = _initial_values(np.float32), _gradients(np.float32)
    ours, _, params = _run_ours(name, settings, values, grads)
    theirs, _ = _run_torch(torch, name, settings, values, grads)
    assert all(p.data.dtype == np.float32 for p in params)
    for got, expected in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(got, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


@pytest.mark.parametrize("second_lr", [0.02, None], ids=["two-groups", "one-group"])
@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_state_dict_round_trip_resumes_exactly(name, settings, second_lr):
    values, grads = _initial_values(), _gradients()
    straight, _, _ = _run_ours(name, settings, values, grads, second_lr=second_lr)
    _, first, params = _run_ours(name, settings, values, grads, stop=10, second_lr=second_lr)
    saved = first.state_dict()
    # A fresh optimizer on copies of the parameters, given the saved state.
    resumed_params = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    fresh = getattr(optim, name)(_groups(resumed_params, settings, second_lr and 0.5),
                                 **settings)
    fresh.load_state_dict(saved)
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in first.param_groups]
    resumed, _, _ = _run_ours(name, settings, values, grads, start=10, opt=fresh,
                              params=resumed_params)
    for a, b in zip(resumed[-1], straight[-1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "settings"), CASES.values(), ids=CASES.keys())
def test_state_dict_has_pytorchs_layout_and_loads_pytorchs_state(name, settings):
    torch = pytest.importorskip("torch")
    values, grads = _initial_values(), _gradients()
    _, ours, _ = _run_ours(name, settings, values, grads, stop=10)
    _, theirs = _run_torch(torch, name, settings, values, grads[:10])
    their_state = theirs.state_dict()
    mine = ours.state_dict()
    assert [g["params"] for g in mine["param_groups"]] == [
        g["params"] for g in their_state["param_groups"]]
    for index, entry in their_state["state"].items():
        assert set(mine["state"][index]) == set(entry), index
        for key, value in entry.items():
            np.testing.assert_allclose(np.asarray(mine["state"][index][key]),
                                       value.numpy(), rtol=TORCH_RTOL, atol=TORCH_ATOL)
    # PyTorch's state (tensors as arrays, its extra flags dropped) continues as PyTorch does.
    converted = {
        "state": {i: {k: v.numpy() for k, v in entry.items()}
                  for i, entry in their_state["state"].items()},
        "param_groups": [{k: v for k, v in g.items() if k in ours.defaults or k == "params"}
                         for g in their_state["param_groups"]],
    }
    params = [Tensor(p.detach().numpy().copy(), requires_grad=True)
              for group in theirs.param_groups for p in group["params"]]
    fresh = getattr(optim, name)(_groups(params, settings, 0.5), **settings)
    fresh.load_state_dict(converted)
    continued, _, _ = _run_ours(name, settings, values, grads, start=10, opt=fresh,
                                params=params)
    expected, _ = _run_torch(torch, name, settings, values, grads)
    for a, b in zip(continued[-1], expected[-1]):
        np.testing.assert_allclose(a, b, rtol=TORCH_RTOL, atol=TORCH_ATOL)


def _trained_sgd():
    params = [Tensor(v, requires_grad=True) for v in _initial_values()]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    return opt


@pytest.mark.parametrize(("change", "pattern"), [
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
     "the state dict has 2 parameter groups but the optimizer has 1"),
    (lambda sd: sd["param_groups"][0].pop("momentum"), r"missing hyperparameters \['momentum'\]"),
    (lambda sd: sd["param_groups"][0].update(betas=(0.9, 0.99)),
     r"unexpected \['betas'\]"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), r"lr must be in \[0, ∞\)"),
    (lambda sd: sd["param_groups"][0].update(params=[0]), "holds 1 parameters in the state "
                                                          "dict but 2"),
    (lambda sd: sd["state"][0].update(momentum_buffer=np.zeros(3)),
     r"state\[0\]\['momentum_buffer'\] has shape \(3,\) but the parameter has shape \(3, 4\)"),
    (lambda sd: sd["state"].update({5: {}}), "state for parameter 5"),
    (lambda sd: sd["state"][1].update(exp_avg=np.zeros(4)), "unexpected key 'exp_avg'"),
    (lambda sd: sd["state"].update({0: [1.0]}), r"state\[0\] is a list, not a dict"),
    (lambda sd: sd["param_groups"].__setitem__(0, 0.1), r"param_groups\[0\] is a float"),
], ids=["groups", "missing", "unexpected", "bad-value", "sizes", "shape", "index", "key",
        "state-entry", "group-entry"])
def test_mismatched_state_dicts_are_refused_and_change_nothing(change, pattern):
    opt = _trained_sgd()
    before = opt.state_dict()
    broken = opt.state_dict()
    change(broken)
    with pytest.raises(StateDictError, match=pattern):
        opt.load_state_dict(broken)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        np.testing.assert_array_equal(after["state"][i]["momentum_buffer"],
                                      before["state"][i]["momentum_buffer"])


def test_load_state_dict_needs_both_keys():
    with pytest.raises(TypeError, match="expected a dict with the keys 'state' and "
                                        "'param_groups'"):
        _trained_sgd().load_state_dict({"state": {}})


def test_state_dict_is_a_copy():
    opt = _trained_sgd()
    saved = opt.state_dict()
    buffer = saved["state"][0]["momentum_buffer"].copy()
    for p in opt.params:
        p.grad = np.ones_like(p.data)
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], buffer)


def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    opt = _trained_sgd()
    grads = [p.grad for p in opt.params]
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(opt.params, grads))
    opt.zero_grad()
    assert all(p.grad is None for p in opt.params)


def test_param_groups_override_the_defaults_and_setters_reach_every_group():
    a, b = (Tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "betas": (0.5, 0.6)}],
                     lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["betas"] == (0.5, 0.6)
    assert opt.param_groups[0]["eps"] == 1e-8 and opt.params == [a, b]
    with pytest.raises(ValueError, match="lr differs between the parameter groups"):
        _ = opt.lr
    opt.lr = 0.2
    assert opt.lr == 0.2 and [g["lr"] for g in opt.param_groups] == [0.2, 0.2]
    with pytest.raises(ValueError, match="eps must be in"):
        opt.eps = -1.0
    assert opt.eps == 1e-8                           # nothing changed


def test_adding_a_group_later_steps_it_with_its_own_settings():
    a, b = (Tensor(np.ones(2), requires_grad=True) for _ in range(2))
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        opt = getattr(optim, name)([a], lr=0.1)
        opt.add_param_group({"params": [b], "lr": 0.01})
        a.grad, b.grad = np.ones(2), np.ones(2)
        before = b.data.copy()
        opt.step()
        assert np.all(b.data < before), name
        assert len(opt.state_dict()["param_groups"]) == 2


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda w: optim.SGD([{"params": [w], "speed": 1}], lr=0.1), ValueError,
     r"unknown hyperparameter\(s\) \['speed'\]"),
    (lambda w: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "needs a 'params' entry"),
    (lambda w: optim.SGD([{"params": [w]}, w], lr=0.1), TypeError,
     "mixes parameter-group dicts with Tensor"),
    (lambda w: optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1), ValueError,
     "is the same Tensor as parameter 0"),
    (lambda w: optim.SGD([{"params": []}], lr=0.1), ValueError, "parameter group 0 is empty"),
    (lambda w: optim.AdamW([w], betas=(1.0, 0.9)), ValueError, r"AdamW: betas\[0\] must be in"),
    (lambda w: optim.RMSprop([w], alpha=1.5), ValueError, r"RMSprop: alpha must be in \[0, 1\]"),
    (lambda w: optim.RMSprop([w], momentum=-1), ValueError, "RMSprop: momentum must be in"),
    (lambda w: optim.Adagrad([w], lr_decay=-1), ValueError, "Adagrad: lr_decay must be in"),
    (lambda w: optim.Adagrad([w], eps="small"), TypeError, "Adagrad: eps must be a number"),
], ids=["unknown", "no-params", "mixed", "duplicate", "empty", "adamw-betas", "alpha",
        "rms-momentum", "lr-decay", "eps-type"])
def test_bad_groups_and_settings_are_reported(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make(Tensor(np.ones(2), requires_grad=True))


def test_reprs_list_every_group():
    a, b = (Tensor(np.ones(2), requires_grad=True) for _ in range(2))
    assert repr(optim.AdamW([a])) == (
        "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)")
    assert repr(optim.Adam([a], amsgrad=True)) == (
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=True)")
    assert repr(optim.Adagrad([{"params": [a]}, {"params": [b], "lr": 0.5}])) == (
        "Adagrad(\n  group 0: lr=0.01, lr_decay=0, weight_decay=0, "
        "initial_accumulator_value=0, eps=1e-10\n  group 1: lr=0.5, lr_decay=0, "
        "weight_decay=0, initial_accumulator_value=0, eps=1e-10\n)")


def test_a_subclass_written_against_0_1_still_works():
    class SignDescent(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, lr)             # 0.1's signature: (params, lr)

        def step(self):
            for p in self.params:
                if p.grad is not None:
                    p.data -= self.lr * np.sign(p.grad)

    w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = SignDescent([w], lr=0.5)
    w.grad = np.array([3.0, -0.1])
    opt.step()
    assert w.data.tolist() == [0.5, -0.5]
    assert opt.state_dict() == {"state": {}, "param_groups": [{"lr": 0.5, "params": [0]}]}


@pytest.mark.parametrize("step", [2.5, -1, "many", float("nan")])
def test_a_bad_step_count_is_refused(step):
    w = Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["step"] = step
    with pytest.raises(StateDictError, match=r"state\[0\]\['step'\] must be a whole number"):
        opt.load_state_dict(saved)
    assert opt.state_dict()["state"][0]["step"] == 1
