"""Activation modules and PyTorch-style losses against PyTorch: values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from param_ids import selectable_id

import tinygrad_ae.nn.functional as F
from tinygrad_ae import nn
from tinygrad_ae.autograd.tensor import Tensor

# float64 on both sides; log_softmax and softplus are computed in different but equally
# stable ways, so a few ulps of each result.
TORCH_RTOL = 1e-10
TORCH_ATOL = 1e-12
# float32: a few ulps of 1.2e-7 through a log-sum-exp and a mean.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-6


def _check(torch, ours_fn, torch_fn, arrays, grad_inputs=(0,), rtol=TORCH_RTOL,
           atol=TORCH_ATOL):
    """ours_fn(*Tensors) against torch_fn(*tensors): value, then the gradient of
    Σ upstream · out with respect to the inputs listed in ``grad_inputs``."""
    ours_in = [Tensor(a, requires_grad=i in grad_inputs) if a.dtype.kind == "f"
               else a for i, a in enumerate(arrays)]
    torch_in = [torch.tensor(a, requires_grad=i in grad_inputs and a.dtype.kind == "f")
                for i, a in enumerate(arrays)]
    out, expected = ours_fn(*ours_in), torch_fn(*torch_in)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    assert out.dtype == arrays[0].dtype                 # float32 in, float32 out
    upstream = np.random.default_rng(9).standard_normal(out.shape).astype(out.dtype)
    (out * upstream).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    for i in grad_inputs:
        assert ours_in[i].grad.dtype == arrays[i].dtype
        np.testing.assert_allclose(ours_in[i].grad, torch_in[i].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of input {i}")


def _inputs(shape=(4, 5), scale=3.0, seed=0, dtype=np.float64):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


ACTIVATIONS = {
    "leaky_relu": (lambda: nn.LeakyReLU(), "LeakyReLU", {}),
    "leaky_relu-0.2": (lambda: nn.LeakyReLU(0.2), "LeakyReLU", dict(negative_slope=0.2)),
    "elu": (lambda: nn.ELU(), "ELU", {}),
    "elu-alpha": (lambda: nn.ELU(alpha=0.5), "ELU", dict(alpha=0.5)),
    "gelu": (lambda: nn.GELU(), "GELU", {}),
    "gelu-tanh": (lambda: nn.GELU("tanh"), "GELU", dict(approximate="tanh")),
    "softplus": (lambda: nn.Softplus(), "Softplus", {}),
    "softplus-beta": (lambda: nn.Softplus(beta=2.0, threshold=5.0), "Softplus",
                      dict(beta=2.0, threshold=5.0)),
    "silu": (lambda: nn.SiLU(), "SiLU", {}),
    "softmax-1": (lambda: nn.Softmax(dim=1), "Softmax", dict(dim=1)),
    "softmax-0": (lambda: nn.Softmax(dim=0), "Softmax", dict(dim=0)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=1), "LogSoftmax", dict(dim=1)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("make", "torch_name", "settings"), ACTIVATIONS.values(),
                         ids=ACTIVATIONS.keys())
def test_activation_modules_match_pytorch(make, torch_name, settings, dtype):
    torch = pytest.importorskip("torch")
    tolerances = {} if dtype == np.float64 else dict(rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)
    x = _inputs(dtype=dtype)
    x[0, :2] = [1000.0, -1000.0]                  # far out: still exact, no overflow
    _check(torch, make(), getattr(torch.nn, torch_name)(**settings), [x], **tolerances)


def test_softmax_default_is_the_last_axis_and_reprs_show_settings():
    x = Tensor(_inputs((2, 3, 4)))
    np.testing.assert_array_equal(nn.Softmax()(x).data, nn.Softmax(dim=-1)(x).data)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


def test_activation_setting_errors():
    with pytest.raises(ValueError, match="Softplus: beta must be > 0, got 0"):
        nn.Softplus(beta=0)
    with pytest.raises(TypeError, match="ELU: alpha must be a number, got str"):
        nn.ELU(alpha="one")


CROSS_ENTROPY = {
    "indices": (dict(), "indices"),
    "indices-sum": (dict(reduction="sum"), "indices"),
    "indices-none": (dict(reduction="none"), "indices"),
    "weight": (dict(weight=np.array([0.2, 1.0, 3.0, 0.5, 1.5])), "indices"),
    "ignore": (dict(ignore_index=2), "indices"),
    "weight-ignore-smoothing": (dict(weight=np.array([0.2, 1.0, 3.0, 0.5, 1.5]),
                                     ignore_index=1, label_smoothing=0.1), "indices"),
    "smoothing-none": (dict(label_smoothing=0.2, reduction="none"), "indices"),
    "smoothing-sum": (dict(label_smoothing=0.3, reduction="sum"), "indices"),
    "probabilities": (dict(), "probabilities"),
    "probabilities-weight-smoothing": (dict(weight=np.array([0.2, 1.0, 3.0, 0.5, 1.5]),
                                            label_smoothing=0.1), "probabilities"),
    "probabilities-none": (dict(reduction="none"), "probabilities"),
}


def _targets(kind, shape, n_classes=5, class_axis=1):
    rng = np.random.default_rng(3)
    if kind == "indices":
        sample_shape = shape[:class_axis] + shape[class_axis + 1:]
        return rng.integers(0, n_classes, size=sample_shape)
    raw = rng.random(shape)
    return raw / raw.sum(axis=class_axis, keepdims=True)


@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 4), (5,)], ids=["NC", "NCd", "C"])
@pytest.mark.parametrize(("settings", "kind"), CROSS_ENTROPY.values(), ids=CROSS_ENTROPY.keys())
def test_cross_entropy_matches_pytorch(settings, kind, shape):
    torch = pytest.importorskip("torch")
    class_axis = 0 if len(shape) == 1 else 1
    logits = _inputs(shape, seed=1)
    target = _targets(kind, shape, class_axis=class_axis)
    if "ignore_index" in settings and kind == "indices" and target.ndim:
        target.flat[0] = settings["ignore_index"]
    torch_settings = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                      for k, v in settings.items()}
    grad_inputs = (0, 1) if kind == "probabilities" else (0,)
    _check(torch, lambda x, t: F.cross_entropy(x, t, **settings),
           lambda x, t: torch.nn.functional.cross_entropy(x, t, **torch_settings),
           [logits, target], grad_inputs=grad_inputs)


def test_cross_entropy_is_exact_for_huge_logits_and_keeps_float32():
    torch = pytest.importorskip("torch")
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=np.float32)
    target = np.array([1, 2])
    _check(torch, F.cross_entropy, torch.nn.functional.cross_entropy, [logits, target],
           rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


def test_nll_loss_matches_pytorch():
    torch = pytest.importorskip("torch")
    log_p = np.log(_targets("probabilities", (6, 5)))
    target = _targets("indices", (6, 5))
    weight = np.array([0.2, 1.0, 3.0, 0.5, 1.5])
    _check(torch, lambda x, t: F.nll_loss(x, t, weight=weight),
           lambda x, t: torch.nn.functional.nll_loss(x, t, weight=torch.tensor(weight)),
           [log_p, target])


ELEMENTWISE = {
    "l1": (F.l1_loss, "l1_loss", dict(), False),
    "l1-sum": (F.l1_loss, "l1_loss", dict(reduction="sum"), False),
    "huber": (F.huber_loss, "huber_loss", dict(), False),
    "huber-delta-none": (F.huber_loss, "huber_loss", dict(delta=2.5, reduction="none"), False),
    "bce": (F.binary_cross_entropy, "binary_cross_entropy", dict(), True),
    "bce-weight-sum": (F.binary_cross_entropy, "binary_cross_entropy",
                       dict(weight=np.linspace(0.5, 2.0, 5), reduction="sum"), True),
    "bce-logits": (F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits",
                   dict(), False),
    "bce-logits-weights": (F.binary_cross_entropy_with_logits,
                           "binary_cross_entropy_with_logits",
                           dict(weight=np.linspace(0.5, 2.0, 5),
                                pos_weight=np.array([1.0, 2.0, 0.5, 3.0, 1.0]),
                                reduction="none"), False),
    "mse-mean": (lambda x, t, **k: F.mse_loss(x, t, reduction="mean"), "mse_loss", dict(),
                 False),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("ours", "torch_name", "settings", "probabilities"),
                         ELEMENTWISE.values(), ids=ELEMENTWISE.keys())
def test_elementwise_losses_match_pytorch(ours, torch_name, settings, probabilities, dtype):
    torch = pytest.importorskip("torch")
    tolerances = {} if dtype == np.float64 else dict(rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)
    x = _inputs((4, 5), dtype=dtype)
    target = _inputs((4, 5), scale=1.0, seed=2, dtype=dtype)
    if probabilities:
        x = (1 / (1 + np.exp(-x))).astype(dtype)          # inside (0, 1)
        target = (1 / (1 + np.exp(-target))).astype(dtype)
    elif "logits" in torch_name:
        target = (target > 0).astype(dtype)
        x[0, :2] = [1000.0, -1000.0]                      # exact far out
    d = np.dtype(dtype)
    torch_settings = {k: torch.tensor(v.astype(d)) if isinstance(v, np.ndarray) else v
                      for k, v in settings.items()}
    ours_settings = {k: v.astype(d) if isinstance(v, np.ndarray) else v
                     for k, v in settings.items()}
    grad_inputs = (0,) if probabilities else (0, 1)
    _check(torch, lambda a, b: ours(a, b, **ours_settings),
           lambda a, b: getattr(torch.nn.functional, torch_name)(a, b, **torch_settings),
           [x, target], grad_inputs=grad_inputs, **tolerances)


def test_huber_is_continuous_at_delta_with_pytorchs_gradient():
    torch = pytest.importorskip("torch")
    x = np.array([-2.0, -1.0 - 1e-9, -1.0 + 1e-9, 0.0, 0.5, 1.0 + 1e-9, 3.0])
    _check(torch, lambda a, b: F.huber_loss(a, b, reduction="none"),
           lambda a, b: torch.nn.functional.huber_loss(a, b, reduction="none"),
           [x, np.zeros_like(x)])


def test_binary_cross_entropy_clamps_logs_at_minus_100_as_pytorch():
    torch = pytest.importorskip("torch")
    for dtype in (np.float64, np.float32):
        p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
        y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype)
        ours = F.binary_cross_entropy(Tensor(p, requires_grad=True), y, reduction="none")
        theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y),
                                                          reduction="none")
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=FLOAT32_RTOL)
        assert ours.data.tolist()[:2] == [100.0, 100.0]


def test_bce_with_logits_gradient_is_sigmoid_minus_target_far_out():
    x = Tensor(np.array([1000.0, -1000.0, 30.0]), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0])
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [1.0, -1.0, -1 / (1 + np.exp(30.0))], rtol=1e-12)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3])), ValueError,
     r"target holds class 3, but the input has 3 classes \(indices 0 to 2\)"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1, 2])), ValueError,
     r"target has shape \(3,\); expected class indices of shape \(2,\) or probabilities"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.5, 1.0])), ValueError,
     "class-index targets must be whole numbers"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), weight=np.ones(2)),
     ValueError, r"weight must have one entry per class, shape \(3,\)"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="avg"),
     ValueError, "reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=2),
     ValueError, r"label_smoothing must be in \[0, 1\]"),
    (lambda: F.cross_entropy(Tensor(1.0), np.array(0)), ValueError, "must have a class axis"),
    (lambda: F.binary_cross_entropy(Tensor([1.5]), np.array([1.0])), ValueError,
     "input must hold probabilities in \\[0, 1\\].*use binary_cross_entropy_with_logits"),
    (lambda: F.l1_loss(Tensor([1.0, 2.0]), np.array([1.0])), ValueError,
     r"l1_loss: input has shape \(2,\) but target has shape \(1,\)"),
    (lambda: F.huber_loss(Tensor([1.0]), np.array([1.0]), delta=0), ValueError,
     "delta must be > 0"),
    (lambda: F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0]), np.ones(2),
                                                weight=np.ones(3)), ValueError,
     r"weight of shape \(3,\) does not broadcast to the input's shape \(2,\)"),
], ids=selectable_id)
def test_loss_errors_name_the_problem(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_functional_reexports_the_nn_names():
    for name in F.__all__:
        assert getattr(F, name) is getattr(nn, name, getattr(F, name))
    assert F.dropout is nn.dropout and F.cross_entropy is nn.cross_entropy


def test_a_classifier_trains_with_cross_entropy_and_adamw():
    from tinygrad_ae import optim
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.GELU(), nn.LayerNorm(8),
                          nn.Dropout(0.1, rng=1), nn.Linear(8, 2, rng=2))
    opt = optim.AdamW(model.parameters(), lr=0.05)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for _ in range(100):
        loss = F.cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    model.eval()
    accuracy = (model(Tensor(X)).data.argmax(axis=1) == y).mean()
    assert accuracy > 0.95


LOSS_MODULES = {
    "mse": ("MSELoss", dict(), "regression"),
    "l1-sum": ("L1Loss", dict(reduction="sum"), "regression"),
    "huber": ("HuberLoss", dict(delta=0.7), "regression"),
    "bce": ("BCELoss", dict(), "probabilities"),
    "bce-logits": ("BCEWithLogitsLoss", dict(pos_weight=np.full(5, 2.0)), "binary"),
    "nll": ("NLLLoss", dict(ignore_index=1), "log-probabilities"),
    "cross-entropy": ("CrossEntropyLoss", dict(label_smoothing=0.1), "indices"),
}


@pytest.mark.parametrize(("name", "settings", "kind"), LOSS_MODULES.values(),
                         ids=LOSS_MODULES.keys())
def test_loss_modules_match_pytorchs(name, settings, kind):
    torch = pytest.importorskip("torch")
    x = _inputs((4, 5))
    if kind == "regression":
        target = _inputs((4, 5), seed=2)
    elif kind == "probabilities":
        x, target = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(-_inputs((4, 5), seed=2)))
    elif kind == "binary":
        target = (_inputs((4, 5), seed=2) > 0).astype(float)
    else:
        target = _targets("indices", (4, 5))
        if kind == "log-probabilities":
            x = np.log(_targets("probabilities", (4, 5)))
    torch_settings = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                      for k, v in settings.items()}
    _check(torch, getattr(nn, name)(**settings), getattr(torch.nn, name)(**torch_settings),
           [x, target])


@pytest.mark.parametrize("loss", [F.l1_loss, F.huber_loss, F.binary_cross_entropy,
                                  F.binary_cross_entropy_with_logits, F.cross_entropy],
                         ids=lambda f: f.__name__)
def test_float32_inputs_stay_float32_with_float64_numpy_targets(loss):
    x = Tensor(np.full((3, 4), 0.25, dtype=np.float32), requires_grad=True)
    out = loss(x, np.full((3, 4), 0.5))              # numpy's default float64 target
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
