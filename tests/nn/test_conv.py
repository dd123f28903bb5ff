"""The convolution layers: PyTorch's default initialisation, outputs and gradients equal
to torch.nn's with the same parameters, state dicts, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tolerances import CONV_TORCH_ATOL as TORCH_ATOL

from tinygrad_ae import Tensor, nn

torch = pytest.importorskip("torch")

LAYERS = {
    "Conv2d": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, rng=0),
               lambda: torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 7, 7)),
    "Conv2d-dilated": (lambda: nn.Conv2d(2, 3, (2, 3), dilation=2, bias=False, rng=0),
                       lambda: torch.nn.Conv2d(2, 3, (2, 3), dilation=2, bias=False),
                       (2, 2, 6, 7)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                   output_padding=1, groups=2, rng=0),
                        lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                         output_padding=1, groups=2),
                        (2, 4, 4, 4)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1),
                  lambda: torch.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 6, 6)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2),
                 lambda: torch.nn.Upsample(scale_factor=2, mode="nearest"), (2, 3, 3, 4)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch_with_the_same_parameters(name):
    make, make_torch, shape = LAYERS[name]
    ours, theirs = make(), make_torch().double()
    with torch.no_grad():
        for key, value in ours.state_dict().items():
            getattr(theirs, key).copy_(torch.tensor(value))
    x = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) / 100
    mine, reference = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=TORCH_ATOL)
    cotangent = np.random.default_rng(1).standard_normal(out.shape)
    (out * cotangent).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(mine.grad, reference.grad.numpy(), atol=TORCH_ATOL)
    for key, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad, getattr(theirs, key).grad.numpy(),
                                   atol=TORCH_ATOL)


@pytest.mark.parametrize("name", ["Conv2d", "ConvTranspose2d"])
def test_default_initialisation_is_torchs(name):
    """Same shapes, and uniform on PyTorch's interval: every draw inside ±1/√fan_in and
    the weight's extremes near it (a wrong fan_in, say with groups ignored, moves the bound)."""
    make, make_torch, _ = LAYERS[name]
    big = {"Conv2d": lambda: nn.Conv2d(8, 64, 3, groups=2, rng=0),
           "ConvTranspose2d": lambda: nn.ConvTranspose2d(64, 8, 3, groups=2, rng=0)}[name]()
    reference = {"Conv2d": lambda: torch.nn.Conv2d(8, 64, 3, groups=2),
                 "ConvTranspose2d": lambda: torch.nn.ConvTranspose2d(64, 8, 3, groups=2)}[name]()
    fan_in = reference.weight.shape[1] * 9
    bound = 1 / math.sqrt(fan_in)
    for key, value in big.state_dict().items():
        assert value.shape == tuple(getattr(reference, key).shape)
        assert np.abs(value).max() <= bound
        assert float(getattr(reference, key).detach().abs().max()) <= bound
    # The weight has thousands of draws: its extremes lie within 1% of the bound.
    assert np.abs(big.weight.numpy()).max() > 0.99 * bound
    assert [k for k, _ in make().named_parameters()] == [k for k, _ in
                                                         make_torch().named_parameters()]


def test_layers_print_their_settings():
    assert "kernel_size=(3, 3), stride=(2, 2)" in repr(nn.Conv2d(1, 2, 3, stride=2, rng=0))
    assert "scale_factor=2" in repr(nn.Upsample(2))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "must both be divisible by groups"),
    (lambda: nn.Conv2d(0, 4, 3), "in_channels must be a positive integer"),
    (lambda: nn.ConvTranspose2d(2, 2, 0), "kernel_size must be at least 1"),
])
def test_bad_layer_settings_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()
