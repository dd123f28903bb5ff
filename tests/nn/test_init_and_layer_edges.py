"""Initialisers' distributions against their formulas (and PyTorch's gains) and their
messages in their own names, the convolution layers' bias draws, messages and dtypes,
normalization over one feature, and dropout with p = 1 in float32: the cases two seeded
samples of nn's mutants found untested.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from param_ids import selectable_id
from tolerances import TORCH_ATOL

from tinygrad_ae import Tensor, nn
from tinygrad_ae.nn import functional as F
from tinygrad_ae.nn import init

torch = pytest.importorskip("torch")


def test_uniform_draws_each_entry_from_a_to_b():
    """U(2, 3), not one draw repeated and not U(2, 1): every entry in [2, 3), all
    different, with the mean 2.5 and standard deviation 1/√12 of the distribution
    (20,000 draws: both within 2 %)."""
    t = init.uniform_(Tensor(np.empty(20_000)), 2.0, 3.0, rng=0)
    values = t.numpy()
    assert values.min() >= 2.0 and values.max() < 3.0
    assert len(np.unique(values)) == values.size
    assert values.mean() == pytest.approx(2.5, rel=0.02)
    assert values.std() == pytest.approx(1 / math.sqrt(12), rel=0.02)


@pytest.mark.parametrize(("a", "mode"), [(None, "fan_in"), (math.sqrt(5), "fan_in"),
                                         (1.0, "fan_out")],
                         ids=["default", "sqrt5-fan_in", "1-fan_out"])
def test_kaiming_normal_uses_the_slope_a_in_its_gain(a, mode):
    """std = gain(leaky_relu, a) / √fan with PyTorch's gain for that slope (a = 0 by
    default, as in PyTorch); 100,000 draws put the sample standard deviation within 2 %
    of it."""
    settings = {} if a is None else {"a": a}
    a = 0.0 if a is None else a
    t = init.kaiming_normal_(Tensor(np.empty((400, 250))), mode=mode, rng=0, **settings)
    fan = 250 if mode == "fan_in" else 400
    expected = torch.nn.init.calculate_gain("leaky_relu", a) / math.sqrt(fan)
    assert t.numpy().std() == pytest.approx(expected, rel=0.02)
    assert t.numpy().mean() == pytest.approx(0.0, abs=0.02 * expected)


@pytest.mark.parametrize(("a", "mode"), [(None, "fan_in"), (math.sqrt(5), "fan_out")],
                         ids=["default", "sqrt5-fan_out"])
def test_kaiming_uniform_reaches_its_bound_for_the_slope_a(a, mode):
    """U(−b, b) with b = √3 · gain(leaky_relu, a) / √fan: of 100,000 draws none lies
    outside and the largest lies within 0.1 % of b."""
    settings = {} if a is None else {"a": a}
    a = 0.0 if a is None else a
    t = init.kaiming_uniform_(Tensor(np.empty((400, 250))), mode=mode, rng=0, **settings)
    fan = 250 if mode == "fan_in" else 400
    bound = math.sqrt(3) * torch.nn.init.calculate_gain("leaky_relu", a) / math.sqrt(fan)
    assert bound * 0.999 < np.abs(t.numpy()).max() <= bound


INITIALISERS = {
    "uniform_": init.uniform_, "normal_": init.normal_, "zeros_": init.zeros_,
    "ones_": init.ones_, "constant_": lambda t: init.constant_(t, 0.5),
    "xavier_uniform_": init.xavier_uniform_, "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_, "kaiming_normal_": init.kaiming_normal_,
}
WITH_FANS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


@pytest.mark.parametrize("name", INITIALISERS)
def test_an_initialiser_given_an_array_names_itself(name):
    message = f"{name}: expected a Tensor (such as layer.weight), got ndarray"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        INITIALISERS[name](np.zeros((2, 2)))


@pytest.mark.parametrize("name", WITH_FANS)
def test_an_initialiser_with_fans_refuses_a_vector_in_its_own_name(name):
    message = (f"{name}: fan in and fan out need a tensor with at least 2 dimensions "
               f"(out, in, ...), got shape (3,)")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        INITIALISERS[name](Tensor(np.zeros(3)))


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 4, 3, dtype=np.float32, rng=0),
    lambda: nn.ConvTranspose2d(2, 4, 3, dtype=np.float32, rng=0),
    lambda: nn.BatchNorm1d(3, dtype=np.float32),
], ids=["Conv2d", "ConvTranspose2d", "BatchNorm1d"])
def test_a_float32_layer_holds_only_float32_state(make):
    """Every parameter and buffer in the state dict has the layer's dtype."""
    state = make().state_dict()
    assert state and {key: value.dtype for key, value in state.items()} == {
        key: np.dtype(np.float32) for key in state}


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(8, 64, 3, rng=0),
                                  lambda: nn.ConvTranspose2d(8, 64, 3, rng=0)],
                         ids=["Conv2d", "ConvTranspose2d"])
def test_conv_bias_is_drawn_across_the_whole_interval(make):
    """PyTorch draws each bias entry from U(−1/√fan_in, 1/√fan_in): of 64 draws, some lie
    in the lower quarter and some in the upper quarter of the interval, and all differ."""
    layer = make()
    bound = 1 / math.sqrt(layer.weight.shape[1] * 9)
    bias = layer.bias.numpy()
    assert np.abs(bias).max() <= bound
    assert bias.min() < -bound / 2 and bias.max() > bound / 2
    assert len(np.unique(bias)) == bias.size


LAYER_MESSAGES = [
    (lambda: nn.Conv2d(1, 1, 0), "Conv2d: kernel_size must be at least 1, got 0"),
    (lambda: nn.Conv2d(1, 1, 3, stride=0), "Conv2d: stride must be at least 1, got 0"),
    (lambda: nn.Conv2d(1, 1, 3, padding=-1), "Conv2d: padding must be at least 0, got -1"),
    (lambda: nn.Conv2d(1, 1, 3, dilation=(1, 0)),
     "Conv2d: dilation must be at least 1, got (1, 0)"),
    (lambda: nn.ConvTranspose2d(1, 1, 0),
     "ConvTranspose2d: kernel_size must be at least 1, got 0"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, stride=0),
     "ConvTranspose2d: stride must be at least 1, got 0"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, padding=-2),
     "ConvTranspose2d: padding must be at least 0, got -2"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, output_padding=-1),
     "ConvTranspose2d: output_padding must be at least 0, got -1"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, dilation=0),
     "ConvTranspose2d: dilation must be at least 1, got 0"),
    (lambda: nn.Conv2d(0, 1, 3), "Conv2d: in_channels must be a positive integer, got 0"),
    (lambda: nn.Conv2d(2, 3, 3, groups=2),
     "Conv2d: in_channels (2) and out_channels (3) must both be divisible by groups (2)"),
    (lambda: nn.ConvTranspose2d(0, 1, 3),
     "ConvTranspose2d: in_channels must be a positive integer, got 0"),
    (lambda: nn.LayerNorm(0), "LayerNorm: normalized_shape must be a positive integer, got 0"),
    (lambda: nn.LayerNorm((3, 0)),
     "LayerNorm: normalized_shape must be a positive integer, got 0"),
    (lambda: nn.BatchNorm1d(0), "BatchNorm1d: num_features must be a positive integer, got 0"),
]


def _ids(cases):
    """Each case's id from its message (unique, and stable when cases are added: mutmut
    keeps test ids from run to run), numbered only where a message repeats."""
    ids = [selectable_id(case[-1]) for case in cases]
    return [name if ids.count(name) == 1 else f"{name}-{ids[:i].count(name)}"
            for i, name in enumerate(ids)]


@pytest.mark.parametrize(("make", "message"), LAYER_MESSAGES,
                         ids=_ids(LAYER_MESSAGES))
def test_layer_settings_are_refused_in_the_layers_words(make, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make()


def test_leaky_relu_refuses_a_slope_that_is_not_a_number_in_its_own_name():
    with pytest.raises(TypeError, match="^LeakyReLU: negative_slope must be a number, got str$"):
        nn.LeakyReLU("0.1")


@pytest.mark.parametrize("name", ["BatchNorm1d", "LayerNorm"])
def test_normalization_over_a_single_feature_matches_torch(name):
    """One feature is a valid size (PyTorch accepts it): BatchNorm1d(1) normalizes the
    batch's single column, LayerNorm(1) maps every entry to its bias."""
    x = np.random.default_rng(0).standard_normal((5, 1))
    ours = getattr(nn, name)(1)
    theirs = getattr(torch.nn, name)(1, dtype=torch.float64)
    mine = Tensor(x, requires_grad=True)
    reference = torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=TORCH_ATOL)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mine.grad, reference.grad.numpy(), atol=TORCH_ATOL)


def test_dropout_of_everything_keeps_the_dtype():
    """p = 1 zeroes every entry and, as in PyTorch, keeps float32 float32 (the gradient
    too)."""
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    out = F.dropout(x, p=1.0)
    expected = torch.nn.functional.dropout(torch.ones(2, 3), p=1.0)
    assert out.dtype == np.float32 and str(expected.dtype) == "torch.float32"
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3), dtype=np.float32))
