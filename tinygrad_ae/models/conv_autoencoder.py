"""The convolutional autoencoder for small images (1×8×8 digits, 1×28×28 MNIST-sized).

Layer: models; imports numpy and ``tensor`` and ``nn`` of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor
from tinygrad_ae.nn import (
    Conv2d,
    ConvTranspose2d,
    Identity,
    Linear,
    Module,
    ReLU,
    RngLike,
    Sequential,
    Sigmoid,
    Tanh,
    resolve_rng,
)

from .autoencoders import Autoencoder

__all__ = ["ConvAutoencoder"]

_ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                                         "identity": Identity}


class _Reshape(Module):
    """Keep the first axis, reshape the rest to ``shape`` (Flatten and Unflatten in one)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


def _halve(size: int) -> int:
    """The output size of a 3×3 convolution with stride 2 and padding 1: ⌈size / 2⌉."""
    return (size - 1) // 2 + 1


class ConvAutoencoder(Autoencoder):
    """A convolutional autoencoder: stride-2 convolutions down to a linear code of
    ``n_components`` numbers, and transposed convolutions back up.

    For ``image_shape`` (C, H, W) and ``channels`` (c₁, …, c_L), the encoder is
    [Conv2d(3×3, stride 2, padding 1) → activation] for each c_l (each halves H and W,
    rounding up), then a Linear layer to the code; the decoder mirrors it with a Linear
    layer and ConvTranspose2d layers whose ``output_padding`` restores each size exactly
    (8×8 → 4×4 → 2×2 → 4×4 → 8×8; 28×28 → 14×14 → 7×7 → 14×14 → 28×28).
    ``output`` is the last activation ("identity" for real-valued data, "sigmoid" for
    data in [0, 1]).

    Inputs may be images (N, C, H, W) or flat rows (N, C·H·W) (as ``fit`` and the
    digits give them); the reconstruction has the input's shape.

    >>> model = ConvAutoencoder((1, 8, 8), n_components=4, rng=0)
    >>> x = np.zeros((3, 64))
    >>> model(x).shape, model.encode(x).shape, model.decode(np.zeros((3, 4))).shape
    ((3, 64), (3, 4), (3, 1, 8, 8))
    >>> ConvAutoencoder((1, 28, 28), n_components=16, rng=0)(np.zeros((2, 1, 28, 28))).shape
    (2, 1, 28, 28)
    """

    encoder: Sequential
    decoder: Sequential

    def __init__(self, image_shape: Sequence[int] = (1, 8, 8), n_components: int = 8,
                 channels: Sequence[int] = (16, 32), activation: str = "relu",
                 output: str = "identity", dtype: Any = np.float64,
                 rng: RngLike = None) -> None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"ConvAutoencoder: image_shape must be (channels, height, width) "
                             f"of positive sizes, got {tuple(image_shape)!r}")
        if not channels or min(channels) < 1:
            raise ValueError(f"ConvAutoencoder: channels must be a non-empty sequence of "
                             f"positive ints, got {channels!r}")
        for label, name in (("activation", activation), ("output", output)):
            if name not in _ACTIVATIONS:
                raise ValueError(f"ConvAutoencoder: {label} must be one of "
                                 f"{', '.join(map(repr, _ACTIVATIONS))}, got {name!r}")
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"ConvAutoencoder: n_components must be a positive integer, "
                             f"got {n_components!r}")
        generator = resolve_rng(rng)
        act = _ACTIVATIONS[activation]
        widths = [shape[0], *channels]
        sizes = [shape[1:]]
        for _ in channels:
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
        inner = (widths[-1], *sizes[-1])
        flat = int(np.prod(inner))

        down: list[Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            down += [Conv2d(c_in, c_out, 3, stride=2, padding=1, dtype=dtype, rng=generator),
                     act()]
        down += [_Reshape((flat,)), Linear(flat, n_components, dtype=dtype, rng=generator)]

        up: list[Module] = [Linear(n_components, flat, dtype=dtype, rng=generator), act(),
                            _Reshape(inner)]
        for layer in range(len(channels), 0, -1):
            h, w = sizes[layer]
            target_h, target_w = sizes[layer - 1]
            # A stride-2 transposed 3×3 conv with padding 1 gives 2h − 1 (+ output_padding).
            extra = (target_h - (2 * h - 1), target_w - (2 * w - 1))
            up += [ConvTranspose2d(widths[layer], widths[layer - 1], 3, stride=2, padding=1,
                                   output_padding=extra, dtype=dtype, rng=generator),
                   act() if layer > 1 else _ACTIVATIONS[output]()]
        super().__init__(Sequential(*down), Sequential(*up))
        self.image_shape = shape
        self.n_components = int(n_components)

    def _images(self, x: ArrayLike) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        size = int(np.prod(self.image_shape))
        if x.ndim == 2 and x.shape[1] == size:
            return x.reshape(x.shape[0], *self.image_shape)
        if x.ndim == 4 and tuple(x.shape[1:]) == self.image_shape:
            return x
        c, h, w = self.image_shape
        raise ValueError(f"ConvAutoencoder: expected images of shape (N, {c}, {h}, {w}) or "
                         f"rows of {size} numbers, got shape {x.shape}")

    def encode(self, x: ArrayLike) -> Tensor:
        """The code, (n_samples, n_components), of images or flat rows."""
        return self.encoder(self._images(x))  # type: ignore[no-any-return]

    def decode(self, z: ArrayLike) -> Tensor:
        """Images (n_samples, C, H, W) from codes (n_samples, n_components)."""
        return self.decoder(z)  # type: ignore[no-any-return]

    def forward(self, x: ArrayLike) -> Tensor:
        """The reconstruction, in the input's shape (images or flat rows)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        out = self.decode(self.encode(x))
        return out.reshape(*x.shape) if x.ndim == 2 else out

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, n_components={self.n_components}"
