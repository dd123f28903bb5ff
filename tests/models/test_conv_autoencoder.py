"""The convolutional autoencoder: shapes for 8×8 and 28×28 images (and odd sizes), the
gradient of the whole model against central differences, training on the digits."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import Tensor, gradcheck, nn
from tinygrad_ae.models import ConvAutoencoder, fit


@pytest.mark.parametrize("image_shape, channels, inner", [
    ((1, 8, 8), (16, 32), (32, 2, 2)),
    ((1, 28, 28), (16, 32), (32, 7, 7)),
    ((3, 7, 5), (4,), (4, 4, 3)),
])
def test_shapes_round_trip(image_shape, channels, inner):
    model = ConvAutoencoder(image_shape, n_components=3, channels=channels, rng=0)
    images = np.zeros((2, *image_shape))
    assert model(images).shape == images.shape
    assert model(images.reshape(2, -1)).shape == (2, int(np.prod(image_shape)))
    assert model.encode(images).shape == (2, 3)
    assert model.decode(np.zeros((2, 3))).shape == images.shape
    assert model.decoder[0].weight.shape == (int(np.prod(inner)), 3)


def test_layers_are_named_like_torch_sequentials():
    names = [name for name, _ in ConvAutoencoder((1, 8, 8), 2, channels=(4,), rng=0)
             .named_parameters()]
    assert names == ["encoder.0.weight", "encoder.0.bias", "encoder.3.weight", "encoder.3.bias",
                     "decoder.0.weight", "decoder.0.bias", "decoder.3.weight", "decoder.3.bias"]
    assert isinstance(ConvAutoencoder((1, 8, 8), 2, rng=0).encoder[0], nn.Conv2d)


def test_gradient_through_the_model_matches_central_differences():
    model = ConvAutoencoder((1, 5, 5), n_components=2, channels=(2, 3), activation="tanh",
                            rng=0)
    x = np.random.default_rng(0).standard_normal((2, 25))
    gradcheck(lambda t: ((model(t) - x) ** 2).sum(), [Tensor(x, requires_grad=True)],
              eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)
    # And every parameter's .grad, entry by entry, against central differences.
    def loss():
        return ((model(Tensor(x)) - x) ** 2).sum()
    model.zero_grad()
    loss().backward()
    for name, parameter in model.named_parameters():
        flat = parameter.data.reshape(-1)
        for k in range(0, flat.size, max(1, flat.size // 4)):
            saved = flat[k]
            flat[k] = saved + FD_EPS
            plus = loss().item()
            flat[k] = saved - FD_EPS
            minus = loss().item()
            flat[k] = saved
            numeric = (plus - minus) / (2 * FD_EPS)
            assert parameter.grad.reshape(-1)[k] == pytest.approx(
                numeric, rel=FD_RTOL, abs=FD_ATOL), (name, k)


def test_training_on_digits_lowers_the_loss():
    pytest.importorskip("sklearn")
    from tinygrad_ae.data import digits
    X = digits()[0][:256]
    model = ConvAutoencoder((1, 8, 8), n_components=8, rng=0)
    history = fit(model, X, epochs=6, batch_size=64, optimizer="adam", lr=3e-3, seed=0,
                  progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


@pytest.mark.parametrize("make, message", [
    (lambda: ConvAutoencoder((8, 8), 2), "image_shape must be"),
    (lambda: ConvAutoencoder((1, 8, 8), 2, channels=()), "channels must be a non-empty"),
    (lambda: ConvAutoencoder((1, 8, 8), 2, activation="swish"), "activation must be one of"),
    (lambda: ConvAutoencoder((1, 8, 8), 0), "n_components must be a positive integer"),
    (lambda: ConvAutoencoder((1, 8, 8), 2, rng=0)(np.zeros((2, 63))),
     r"expected images of shape \(N, 1, 8, 8\) or rows of 64 numbers"),
])
def test_conv_autoencoder_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
