"""Tests of tinygrad_ae.optim: update rules against hand-written numpy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import nn, optim, strategies
from tinygrad_ae.autograd.tensor import Tensor

# Both sides do the same float64 operations, possibly grouped differently: a few ulps per
# step, compounded over a handful of steps.
UPDATE_RTOL = 1e-12
UPDATE_ATOL = 1e-12
# PyTorch groups Adam's arithmetic differently (lerp, addcdiv); still float64 rounding.
TORCH_RTOL = 1e-10
N_STEPS = 6


def _gradient_sequence(shape: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(N_STEPS)]


def _sgd_reference(p0, grads, lr, momentum=0.0, weight_decay=0.0, dampening=0.0,
                   nesterov=False):
    """SGD written out from PyTorch's documentation, one new array per step."""
    p, buffer, trajectory = p0.copy(), None, []
    for t, g in enumerate(grads):
        d = g + weight_decay * p
        if momentum != 0:
            buffer = d if t == 0 else momentum * buffer + (1 - dampening) * d
            d = d + momentum * buffer if nesterov else buffer
        p = p - lr * d
        trajectory.append(p)
    return trajectory


def _adam_reference(p0, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Adam from Kingma & Ba with PyTorch's weight decay, bias corrections written out."""
    beta1, beta2 = betas
    p, m, v, trajectory = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), []
    for t, g in enumerate(grads, start=1):
        d = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d ** 2
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(p)
    return trajectory


def _run(optimizer_class, p0, grads, **settings):
    """Step our optimizer with the given gradients; return the parameter after each step."""
    param = Tensor(p0.copy(), requires_grad=True)
    opt = optimizer_class([param], **settings)
    trajectory = []
    for g in grads:
        opt.zero_grad()
        param.grad = g.copy()
        opt.step()
        trajectory.append(param.data.copy())
    return trajectory


SGD_CASES = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.01),
    "momentum_decay_dampening": dict(lr=0.03, momentum=0.5, weight_decay=0.1, dampening=0.3),
    "nesterov_decay": dict(lr=0.02, momentum=0.8, weight_decay=0.05, nesterov=True),
}
ADAM_CASES = {
    "default": dict(lr=1e-3),
    "fast": dict(lr=0.1, betas=(0.8, 0.99)),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "large_eps": dict(lr=0.01, eps=1e-2, betas=(0.0, 0.5)),
}


@pytest.mark.parametrize("settings", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_sgd_matches_the_handwritten_update(settings):
    p0 = np.random.default_rng(1).standard_normal((3, 4))
    grads = _gradient_sequence(p0.shape)
    ours = _run(optim.SGD, p0, grads, **settings)
    for step, (got, expected) in enumerate(zip(ours, _sgd_reference(p0, grads, **settings))):
        np.testing.assert_allclose(got, expected, rtol=UPDATE_RTOL, atol=UPDATE_ATOL,
                                   err_msg=f"step {step + 1}")


@pytest.mark.parametrize("settings", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_matches_the_handwritten_update(settings):
    p0 = np.random.default_rng(2).standard_normal(5)
    grads = _gradient_sequence(p0.shape, seed=3)
    ours = _run(optim.Adam, p0, grads, **settings)
    for step, (got, expected) in enumerate(zip(ours, _adam_reference(p0, grads, **settings))):
        np.testing.assert_allclose(got, expected, rtol=UPDATE_RTOL, atol=UPDATE_ATOL,
                                   err_msg=f"step {step + 1}")


@given(
    p0=strategies.arrays(st.tuples(st.integers(1, 5)), scale=10.0),
    lr=st.floats(1e-4, 1.0),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
    nesterov=st.booleans(),
)
def test_sgd_matches_the_handwritten_update_for_any_settings(p0, lr, momentum, weight_decay,
                                                             nesterov):
    settings = dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                    nesterov=nesterov and momentum > 0)
    grads = _gradient_sequence(p0.shape, seed=4)
    ours = _run(optim.SGD, p0, grads, **settings)
    for got, expected in zip(ours, _sgd_reference(p0, grads, **settings)):
        np.testing.assert_allclose(got, expected, rtol=UPDATE_RTOL, atol=UPDATE_ATOL)


@given(
    p0=strategies.arrays(st.tuples(st.integers(1, 5)), scale=10.0),
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    weight_decay=st.sampled_from([0.0, 0.01]),
)
def test_adam_matches_the_handwritten_update_for_any_settings(p0, lr, beta1, beta2,
                                                              weight_decay):
    settings = dict(lr=lr, betas=(beta1, beta2), weight_decay=weight_decay)
    grads = _gradient_sequence(p0.shape, seed=5)
    ours = _run(optim.Adam, p0, grads, **settings)
    for got, expected in zip(ours, _adam_reference(p0, grads, **settings)):
        np.testing.assert_allclose(got, expected, rtol=UPDATE_RTOL, atol=UPDATE_ATOL)


def _torch_trajectory(torch, optimizer_name, p0, grads, settings):
    param = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float64))
    opt = getattr(torch.optim, optimizer_name)([param], **settings)
    trajectory = []
    for g in grads:
        opt.zero_grad()
        param.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        trajectory.append(param.detach().numpy().copy())
    return trajectory


@pytest.mark.parametrize(
    ("name", "settings"),
    [("SGD", s) for s in SGD_CASES.values()] + [("Adam", s) for s in ADAM_CASES.values()],
    ids=[f"sgd-{k}" for k in SGD_CASES] + [f"adam-{k}" for k in ADAM_CASES],
)
def test_updates_match_pytorch(name, settings):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(6).standard_normal((2, 3))
    grads = _gradient_sequence(p0.shape, seed=7)
    ours = _run(getattr(optim, name), p0, grads, **settings)
    theirs = _torch_trajectory(torch, name, p0, grads, settings)
    for got, expected in zip(ours, theirs):
        np.testing.assert_allclose(got, expected, rtol=TORCH_RTOL, atol=UPDATE_ATOL)


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam], ids=["sgd", "adam"])
def test_parameters_without_gradient_are_skipped(optimizer_class):
    moving = Tensor(np.ones(2), requires_grad=True)
    idle = Tensor(np.ones(2), requires_grad=True)
    opt = optimizer_class([moving, idle], lr=0.1, weight_decay=0.5)
    moving.grad = np.ones(2)
    opt.step()
    assert idle.data.tolist() == [1.0, 1.0]          # untouched, even by weight decay
    assert moving.data[0] < 1.0


def test_adam_counts_steps_per_parameter_as_pytorch_does():
    late = Tensor(np.array([2.0]), requires_grad=True)
    early = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.Adam([early, late], lr=0.1)
    early.grad = np.array([1.0])
    opt.step()                                        # late has no gradient yet
    early.grad, late.grad = np.array([1.0]), np.array([3.0])
    opt.step()
    # late's first step: m̂ = g, v̂ = g², so it moves by lr·g/(|g| + eps) ≈ lr
    expected = _adam_reference(np.array([2.0]), [np.array([3.0])], lr=0.1)[0]
    np.testing.assert_allclose(late.data, expected, rtol=UPDATE_RTOL)


def test_step_keeps_float32_and_updates_in_place():
    param = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    array = param.data
    for opt in (optim.SGD([param], lr=0.1, momentum=0.9), optim.Adam([param], lr=0.1)):
        param.grad = np.full(3, 0.5, dtype=np.float32)
        opt.step()
        assert param.data.dtype == np.float32 and param.data is array


def test_zero_grad_clears_gradients():
    params = nn.Linear(2, 2, rng=0).parameters()
    for p in params:
        p.grad = np.ones_like(p.data)
    optim.SGD(params, lr=0.1).zero_grad()
    assert all(p.grad is None for p in params)


def test_learning_rate_can_be_changed_between_steps():
    param = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([param], lr=0.1)
    opt.lr = 0.5
    param.grad = np.array([1.0])
    opt.step()
    assert param.data.tolist() == [0.5]


def _leaf() -> Tensor:
    return Tensor(np.ones(2), requires_grad=True, name="w")


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: optim.SGD([_leaf()], lr=0.0), ValueError, r"SGD: lr must be in \(0, ∞\), got 0"),
    (lambda: optim.SGD([_leaf()], lr=-1), ValueError, "lr must be in"),
    (lambda: optim.SGD([_leaf()], lr=float("nan")), ValueError, "lr must be in"),
    (lambda: optim.SGD([_leaf()], lr="fast"), TypeError, "lr must be a number, got str"),
    (lambda: optim.SGD([_leaf()], lr=0.1, momentum=-0.1), ValueError, "momentum must be in"),
    (lambda: optim.SGD([_leaf()], lr=0.1, weight_decay=-1), ValueError,
     "weight_decay must be in"),
    (lambda: optim.SGD([_leaf()], lr=0.1, dampening=2), ValueError,
     r"dampening must be in \[0, 1\]"),
    (lambda: optim.SGD([_leaf()], lr=0.1, nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening = 0"),
    (lambda: optim.Adam([_leaf()], betas=(0.9, 1.0)), ValueError,
     r"betas\[1\] must be in \[0, 1\), got 1.0"),
    (lambda: optim.Adam([_leaf()], betas=0.9), ValueError, "betas must be a pair"),
    (lambda: optim.Adam([_leaf()], eps=-1e-8), ValueError, "eps must be in"),
    (lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: optim.SGD([np.ones(2)], lr=0.1), TypeError,
     "parameter 0 is a ndarray, not a Tensor"),
    (lambda: optim.SGD([Tensor(1.0, name="c")], lr=0.1), ValueError,
     "parameter 0 \\('c'\\) does not require grad"),
    (lambda: optim.SGD([_leaf() * 2], lr=0.1), ValueError,
     "computed by the op 'mul', so it is not a leaf"),
    (lambda: (lambda w: optim.SGD([w, _leaf(), w], lr=0.1))(_leaf()), ValueError,
     "parameter 2 \\('w'\\) is the same Tensor as parameter 0"),
    (lambda: optim.SGD(nn.Linear(2, 1), lr=0.1), TypeError,
     "pass model.parameters\\(\\), not the model itself"),
    (lambda: optim.Adam(_leaf()), TypeError, "wrap a single tensor as \\[tensor\\]"),
], ids=lambda value: None)
def test_bad_settings_are_reported_in_the_users_terms(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_reprs_show_the_settings():
    w = _leaf()
    assert repr(optim.SGD([w], lr=0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, weight_decay=0, dampening=0, nesterov=False)")
    assert repr(optim.Adam([w])) == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0)"


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.1), lambda ps: optim.Adagrad(ps, lr=0.1)])
def test_a_graph_built_before_a_step_refuses_to_backpropagate(make):
    # The step changes the weights the graph saved: backward must say so, not return the
    # gradient at weights that no longer exist.
    layer = nn.Linear(2, 1, rng=0)
    opt = make(layer.parameters())
    x = Tensor(np.ones((3, 2)))
    (layer(x) ** 2).sum().backward()
    stale = (layer(x) ** 2).sum()
    opt.step()
    with pytest.raises(RuntimeError, match=r"step"):
        stale.backward()
    opt.zero_grad()
    fresh = (layer(x) ** 2).sum()
    fresh.backward()                      # a graph built after the step is fine
    assert layer.weight.grad is not None
