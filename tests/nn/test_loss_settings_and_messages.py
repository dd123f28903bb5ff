"""The losses' contracts beyond their values: every error names the loss the user called
(function or module) in the same words, modules pass every setting on to their function
and keep PyTorch's defaults, and the boundaries of each setting are where the docs say.

Expected values are computed here by hand with numpy from the documented formulas.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from param_ids import selectable_id

import tinygrad_ae.nn.functional as F
from tinygrad_ae import nn
from tinygrad_ae.autograd.tensor import Tensor

# The same few float64 operations on both sides, in possibly different orders.
HAND_RTOL = 1e-12

TORCH_REDUCTIONS = "'mean', 'sum', 'none'"
PAPER_REDUCTIONS = "'paper', 'mean', 'sum'"


def _regression(shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def _probabilities(shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)


def _classes(n_samples=5, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_samples, n_classes)), rng.integers(0, n_classes, n_samples)


# (call with reduction="avg", the owner the message must name, the valid reductions)
BAD_REDUCTION = {
    "mse_loss": (lambda r: F.mse_loss(Tensor(np.ones(2)), np.ones(2), r), "mse_loss",
                 PAPER_REDUCTIONS),
    "l1_loss": (lambda r: F.l1_loss(Tensor(np.ones(2)), np.ones(2), r), "l1_loss",
                TORCH_REDUCTIONS),
    "huber_loss": (lambda r: F.huber_loss(Tensor(np.ones(2)), np.ones(2), r), "huber_loss",
                   TORCH_REDUCTIONS),
    "bce": (lambda r: F.binary_cross_entropy(Tensor(np.full(2, 0.5)), np.ones(2),
                                             reduction=r),
            "binary_cross_entropy", TORCH_REDUCTIONS),
    "bce_logits": (lambda r: F.binary_cross_entropy_with_logits(Tensor(np.ones(2)), np.ones(2),
                                                                reduction=r),
                   "binary_cross_entropy_with_logits", TORCH_REDUCTIONS),
    "nll_loss": (lambda r: F.nll_loss(Tensor(np.zeros((2, 3))), np.array([0, 1]),
                                      reduction=r), "nll_loss", TORCH_REDUCTIONS),
    "cross_entropy": (lambda r: F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]),
                                                reduction=r), "cross_entropy",
                      TORCH_REDUCTIONS),
    "MSELoss": (lambda r: nn.MSELoss(r), "MSELoss", PAPER_REDUCTIONS),
    "L1Loss": (lambda r: nn.L1Loss(r), "L1Loss", TORCH_REDUCTIONS),
    "HuberLoss": (lambda r: nn.HuberLoss(r), "HuberLoss", TORCH_REDUCTIONS),
    "BCELoss": (lambda r: nn.BCELoss(reduction=r), "BCELoss", TORCH_REDUCTIONS),
    "BCEWithLogitsLoss": (lambda r: nn.BCEWithLogitsLoss(reduction=r), "BCEWithLogitsLoss",
                          TORCH_REDUCTIONS),
    "NLLLoss": (lambda r: nn.NLLLoss(reduction=r), "NLLLoss", TORCH_REDUCTIONS),
    "CrossEntropyLoss": (lambda r: nn.CrossEntropyLoss(reduction=r), "CrossEntropyLoss",
                         TORCH_REDUCTIONS),
}


@pytest.mark.parametrize(("call", "owner", "valid"), BAD_REDUCTION.values(),
                         ids=BAD_REDUCTION.keys())
def test_a_bad_reduction_is_refused_in_the_callers_name(call, owner, valid):
    expected = f"{owner}: reduction must be one of {valid}, got 'avg'"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        call("avg")


ELEMENTWISE = {
    "l1_loss": F.l1_loss,
    "huber_loss": F.huber_loss,
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
}


@pytest.mark.parametrize("owner", ELEMENTWISE)
def test_a_shape_mismatch_is_refused_in_the_callers_name(owner):
    expected = (f"{owner}: input has shape (2,) but target has shape (3,); "
                f"they must match")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        ELEMENTWISE[owner](Tensor(np.full(2, 0.5)), np.full(3, 0.5))


def test_nll_loss_errors_name_nll_loss():
    with pytest.raises(ValueError, match=r"^nll_loss: target holds class 5, but the input has "
                                         r"3 classes \(indices 0 to 2\)$"):
        F.nll_loss(Tensor(np.zeros((2, 3))), np.array([0, 5]))


def test_mse_loss_of_a_0d_input_is_one_sample_under_the_papers_reduction():
    # L = (1/N) Σ ‖x_i − x̂_i‖² with N = 1 for a single number: (3 − 1)² = 4.
    assert F.mse_loss(Tensor(3.0), np.array(1.0)).item() == 4.0


def test_loss_modules_default_to_pytorchs_mean():
    x, t = _regression()
    mean_abs = np.abs(x - t).mean()
    assert nn.L1Loss()(Tensor(x), t).item() == pytest.approx(mean_abs, rel=HAND_RTOL)
    assert nn.MSELoss()(Tensor(x), t).item() == pytest.approx(((x - t) ** 2).mean(),
                                                               rel=HAND_RTOL)
    logits, target = _classes()
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    chosen = -log_p[np.arange(len(target)), target]
    # no label smoothing by default: the plain mean of −log p[y]
    assert nn.CrossEntropyLoss()(Tensor(logits), target).item() == pytest.approx(
        chosen.mean(), rel=HAND_RTOL)
    assert nn.NLLLoss()(Tensor(log_p), target).item() == pytest.approx(chosen.mean(),
                                                                        rel=HAND_RTOL)


def test_bce_loss_module_passes_weight_and_reduction_on():
    p, y = _probabilities()
    w = np.linspace(0.5, 2.0, 4)
    per_element = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    out = nn.BCELoss(weight=w, reduction="none")(Tensor(p), y)
    np.testing.assert_allclose(out.data, per_element, rtol=HAND_RTOL)
    assert nn.BCELoss(weight=w, reduction="sum")(Tensor(p), y).item() == pytest.approx(
        per_element.sum(), rel=HAND_RTOL)


def test_bce_with_logits_module_passes_weight_and_pos_weight_on():
    x, _ = _regression()
    y = (np.random.default_rng(1).random((3, 4)) > 0.5).astype(float)
    w, pos_weight = np.linspace(0.5, 2.0, 4), np.array([1.0, 2.0, 0.5, 3.0])
    log_sigmoid, log_one_minus = -np.log1p(np.exp(-x)), -np.log1p(np.exp(x))
    per_element = -w * (pos_weight * y * log_sigmoid + (1 - y) * log_one_minus)
    out = nn.BCEWithLogitsLoss(weight=w, reduction="none", pos_weight=pos_weight)(Tensor(x), y)
    np.testing.assert_allclose(out.data, per_element, rtol=HAND_RTOL)


def test_nll_loss_module_passes_weight_ignore_index_and_reduction_on():
    logits, target = _classes()
    target[0] = 2
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    w = np.array([0.5, 1.0, 2.0, 4.0])
    per_sample = np.where(target == 2, 0.0, -w[target] * log_p[np.arange(5), target])
    out = nn.NLLLoss(weight=w, ignore_index=2, reduction="none")(Tensor(log_p), target)
    np.testing.assert_allclose(out.data, per_sample, rtol=HAND_RTOL)
    out = nn.NLLLoss(weight=w, ignore_index=2, reduction="sum")(Tensor(log_p), target)
    assert out.item() == pytest.approx(per_sample.sum(), rel=HAND_RTOL)


@pytest.mark.parametrize("make", [lambda d: nn.HuberLoss(delta=d),
                                  lambda d: F.huber_loss(Tensor([1.0]), np.zeros(1), delta=d)],
                         ids=["HuberLoss", "huber_loss"])
@pytest.mark.parametrize("delta", [0, -1.0])
def test_huber_delta_must_be_positive(make, delta):
    with pytest.raises(ValueError, match=r"(HuberLoss|huber_loss): delta must be > 0, got "
                                         + re.escape(repr(delta))):
        make(delta)


@pytest.mark.parametrize("make", [lambda s: nn.CrossEntropyLoss(label_smoothing=s),
                                  lambda s: F.cross_entropy(Tensor(np.zeros((1, 2))),
                                                            np.array([0]), label_smoothing=s)],
                         ids=["CrossEntropyLoss", "cross_entropy"])
@pytest.mark.parametrize("smoothing", [-0.1, 1.5, True], ids=selectable_id)
def test_label_smoothing_outside_0_1_or_a_bool_is_refused(make, smoothing):
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got "
                                         + re.escape(repr(smoothing))):
        make(smoothing)


def test_label_smoothing_of_exactly_0_and_1_is_accepted():
    logits, target = _classes()
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    # ε = 1: the target is the uniform distribution, loss = mean over samples of −mean_c log p
    uniform = -log_p.mean(axis=1).mean()
    for loss in (nn.CrossEntropyLoss(label_smoothing=1.0),
                 lambda a, b: F.cross_entropy(a, b, label_smoothing=1.0)):
        assert loss(Tensor(logits), target).item() == pytest.approx(uniform, rel=HAND_RTOL)
    assert nn.CrossEntropyLoss(label_smoothing=0)(Tensor(logits), target).item() == \
        pytest.approx(-log_p[np.arange(5), target].mean(), rel=HAND_RTOL)


def test_cross_entropy_module_passes_weight_ignore_index_and_smoothing_on():
    logits, target = _classes()
    target[1] = 3
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    w, eps, n_classes = np.array([0.5, 1.0, 2.0, 4.0]), 0.2, 4
    kept = target != 3
    # PyTorch's definition: (1 − ε) · w[y] · (−log p[y]) + ε/C · Σ_c w[c] · (−log p[c]) per
    # kept sample, and "mean" divides by Σ w[y] over the kept samples.
    rows = np.arange(5)
    per_sample = ((1 - eps) * w[target] * -log_p[rows, target]
                  + eps / n_classes * (w * -log_p).sum(axis=1))
    per_sample = np.where(kept, per_sample, 0.0)
    loss = nn.CrossEntropyLoss(weight=w, ignore_index=3, reduction="none", label_smoothing=eps)
    np.testing.assert_allclose(loss(Tensor(logits), target).data, per_sample, rtol=HAND_RTOL)
    loss = nn.CrossEntropyLoss(weight=w, ignore_index=3, label_smoothing=eps)
    assert loss(Tensor(logits), target).item() == pytest.approx(
        per_sample.sum() / w[target][kept].sum(), rel=HAND_RTOL)


@pytest.mark.parametrize(("shape", "n_samples"), [((1, 1), 1), ((2, 3), 2), ((4,), 4)],
                         ids=["one-entry", "2x3", "1-D"])
def test_mse_loss_paper_divides_by_the_number_of_samples_on_the_first_axis(shape, n_samples):
    x_hat = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    assert F.mse_loss(Tensor(x_hat), np.zeros(shape)).item() == pytest.approx(
        (x_hat ** 2).sum() / n_samples, rel=HAND_RTOL)


@pytest.mark.parametrize("loss", [
    lambda x, w: F.binary_cross_entropy(x, np.full(4, 0.5, dtype=np.float32), weight=w),
    lambda x, w: F.binary_cross_entropy_with_logits(x, np.ones(4, dtype=np.float32),
                                                    weight=w),
    lambda x, w: F.binary_cross_entropy_with_logits(x, np.ones(4, dtype=np.float32),
                                                    pos_weight=w),
    lambda x, w: F.cross_entropy(x.reshape(1, 4), np.array([2]), weight=w),
], ids=["bce-weight", "bce_logits-weight", "bce_logits-pos_weight", "cross_entropy-weight"])
def test_float64_weights_keep_a_float32_loss_float32(loss):
    x = Tensor(np.full(4, 0.25, dtype=np.float32), requires_grad=True)
    out = loss(x, np.array([0.5, 1.0, 2.0, 4.0]))          # numpy's default float64
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_bce_with_logits_names_itself_when_pos_weight_does_not_broadcast():
    expected = ("binary_cross_entropy_with_logits: weight of shape (3,) does not broadcast "
                "to the input's shape (2,)")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0]), np.ones(2), pos_weight=np.ones(3))


@pytest.mark.parametrize("as_tensor", [False, True], ids=["array", "Tensor"])
def test_whole_float_class_indices_mean_the_same_as_integers(as_tensor):
    logits, target = _classes()
    as_float = target.astype(np.float64)
    expected = F.cross_entropy(Tensor(logits), target, reduction="none").data
    given = Tensor(as_float) if as_tensor else as_float
    np.testing.assert_array_equal(F.cross_entropy(Tensor(logits), given,
                                                  reduction="none").data, expected)


@pytest.mark.parametrize("target", [np.array([True, False]), np.array(["0", "1"])],
                         ids=["bool", "str"])
def test_class_indices_must_be_numbers(target):
    with pytest.raises(TypeError, match=f"^cross_entropy: target must hold numbers, got dtype "
                                        f"{re.escape(str(target.dtype))}$"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), target)


def _soft_targets(n_samples=5, n_classes=4, seed=2):
    raw = np.random.default_rng(seed).random((n_samples, n_classes))
    return raw / raw.sum(axis=1, keepdims=True)


def test_cross_entropy_with_probabilities_sums_and_keeps_float32_under_float64_weights():
    logits, _ = _classes()
    t = _soft_targets()
    w = np.array([0.5, 1.0, 2.0, 4.0])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    per_sample = -(w * t * log_p).sum(axis=1)
    out = F.cross_entropy(Tensor(logits), t, weight=w, reduction="sum")
    assert out.item() == pytest.approx(per_sample.sum(), rel=HAND_RTOL)
    x32 = Tensor(logits.astype(np.float32), requires_grad=True)
    out = F.cross_entropy(x32, t.astype(np.float32), weight=w)
    out.backward()
    assert out.dtype == np.float32 and x32.grad.dtype == np.float32


@pytest.mark.parametrize("kind", ["list", "Tensor"])
def test_cross_entropy_takes_weights_and_targets_as_lists_or_tensors(kind):
    logits, target = _classes()
    t = _soft_targets()
    w = np.array([0.5, 1.0, 2.0, 4.0])
    wrap = (lambda a: a.tolist()) if kind == "list" else Tensor
    for given in (target, t):
        expected = F.cross_entropy(Tensor(logits), given, weight=w, reduction="none").data
        out = F.cross_entropy(Tensor(logits), wrap(given), weight=wrap(w), reduction="none")
        np.testing.assert_allclose(out.data, expected, rtol=HAND_RTOL)


def test_the_default_ignore_index_minus_100_is_skipped():
    logits, target = _classes()
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    target[0] = -100
    expected = -log_p[np.arange(1, 5), target[1:]].mean()
    assert F.cross_entropy(Tensor(logits), target).item() == pytest.approx(expected,
                                                                           rel=HAND_RTOL)
    assert F.nll_loss(Tensor(log_p), target).item() == pytest.approx(expected, rel=HAND_RTOL)


@pytest.mark.parametrize("kind", ["list", "Tensor"])
def test_elementwise_weights_may_be_lists_or_tensors(kind):
    p, y = _probabilities()
    w = np.linspace(0.5, 2.0, 4)
    given = w.tolist() if kind == "list" else Tensor(w)
    for loss in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        expected = loss(Tensor(p), y, weight=w, reduction="none").data
        np.testing.assert_array_equal(loss(Tensor(p), y, weight=given, reduction="none").data,
                                      expected)
    expected = F.binary_cross_entropy_with_logits(Tensor(p), y, pos_weight=w).item()
    assert F.binary_cross_entropy_with_logits(Tensor(p), y, pos_weight=given).item() == expected


def test_binary_cross_entropy_names_itself_when_the_weight_does_not_broadcast():
    expected = ("binary_cross_entropy: weight of shape (3,) does not broadcast to the input's "
                "shape (2,)")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), np.ones(2), weight=np.ones(3))


def test_huber_loss_module_defaults_to_delta_1():
    # |r| = 1.5 > δ = 1: δ · (|r| − δ/2) = 1.0 (δ = 2 would give ½ r² = 1.125)
    assert nn.HuberLoss()(Tensor([1.5]), np.zeros(1)).item() == 1.0


def test_bce_with_logits_names_itself_when_the_weight_does_not_broadcast():
    expected = ("binary_cross_entropy_with_logits: weight of shape (3,) does not broadcast "
                "to the input's shape (2,)")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0]), np.ones(2), weight=np.ones(3))
