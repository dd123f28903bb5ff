"""Convolution, pooling and upsampling layers for NCHW images, as in ``torch.nn``.

Layer: nn's; imports numpy, the engine's :mod:`tinygrad_ae.autograd.convolution` and
:mod:`tinygrad_ae.nn.module`.

Initialisation is PyTorch's default: weight and bias from U(−1/√fan_in, 1/√fan_in), where
fan_in = weight.shape[1]·kH·kW (for Conv2d the input channels per group, for
ConvTranspose2d the *output* channels per group, because PyTorch reads fan_in off the
weight's second axis in both). That is ``kaiming_uniform_(a=√5)``: gain √(2/(1 + 5)) times
√(3/fan_in) is 1/√fan_in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_ae.autograd import convolution as _conv
from tinygrad_ae.autograd.convolution import IntPair, _pair
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import Module, RngLike, resolve_rng

__all__ = ["Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "Upsample"]


def _check_channels(name: str, in_channels: int, out_channels: int, groups: int) -> None:
    for label, size in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{name}: {label} must be a positive integer, got {size!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                         f"({out_channels}) must both be divisible by groups ({groups})")


def _uniform_parameters(module: Module, weight_shape: tuple[int, ...], n_bias: int,
                        bias: bool, dtype: Any, rng: RngLike) -> None:
    generator = resolve_rng(rng)
    fan_in = weight_shape[1] * weight_shape[2] * weight_shape[3]
    bound = 1.0 / math.sqrt(fan_in)
    module.weight = Tensor(generator.uniform(-bound, bound, size=weight_shape),
                           requires_grad=True, dtype=dtype)
    module.bias = None
    if bias:
        module.bias = Tensor(generator.uniform(-bound, bound, size=n_bias), requires_grad=True,
                             dtype=dtype)


class Conv2d(Module):
    """A 2-D convolution layer, as ``torch.nn.Conv2d``: y = conv2d(x, W) + b.

    ``weight`` W has shape (out_channels, in_channels/groups, kH, kW) and ``bias`` b
    (out_channels,); inputs (N, in_channels, H, W) give (N, out_channels, H_out, W_out)
    (see :func:`tinygrad_ae.conv2d`).

    >>> layer = Conv2d(1, 4, kernel_size=3, stride=2, padding=1, rng=0)
    >>> layer.weight.shape, layer.bias.shape
    ((4, 1, 3, 3), (4,))
    >>> layer(Tensor(np.zeros((2, 1, 8, 8)))).shape
    (2, 4, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1,
                 groups: int = 1, bias: bool = True, dtype: Any = np.float64,
                 rng: RngLike = None) -> None:
        super().__init__()
        _check_channels("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = _pair(stride, "stride", "Conv2d", 1)
        self.padding = _pair(padding, "padding", "Conv2d", 0)
        self.dilation = _pair(dilation, "dilation", "Conv2d", 1)
        self.weight: Tensor
        self.bias: Tensor | None
        _uniform_parameters(self, (out_channels, in_channels // groups, *self.kernel_size),
                            out_channels, bias, dtype, rng)

    def forward(self, x: ArrayLike) -> Tensor:
        return _conv.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """A transposed convolution layer, as ``torch.nn.ConvTranspose2d``: the adjoint of a
    convolution, the usual way a decoder grows an image back.

    ``weight`` has shape (in_channels, out_channels/groups, kH, kW); inputs
    (N, in_channels, H, W) give (N, out_channels, H_out, W_out) with H_out = (H − 1)·stride
    − 2·padding + dilation·(kH − 1) + output_padding + 1.

    >>> layer = ConvTranspose2d(4, 1, kernel_size=3, stride=2, padding=1, output_padding=1,
    ...                         rng=0)
    >>> layer.weight.shape
    (4, 1, 3, 3)
    >>> layer(Tensor(np.zeros((2, 4, 4, 4)))).shape
    (2, 1, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntPair = 1,
                 dtype: Any = np.float64, rng: RngLike = None) -> None:
        super().__init__()
        name = "ConvTranspose2d"
        _check_channels(name, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = _pair(stride, "stride", name, 1)
        self.padding = _pair(padding, "padding", name, 0)
        self.output_padding = _pair(output_padding, "output_padding", name, 0)
        self.dilation = _pair(dilation, "dilation", name, 1)
        self.weight: Tensor
        self.bias: Tensor | None
        _uniform_parameters(self, (in_channels, out_channels // groups, *self.kernel_size),
                            out_channels, bias, dtype, rng)

    def forward(self, x: ArrayLike) -> Tensor:
        return _conv.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                      self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, "
                f"output_padding={self.output_padding}, groups={self.groups}, "
                f"bias={self.bias is not None}")


class MaxPool2d(Module):
    """The largest value of each window, as ``torch.nn.MaxPool2d`` (``stride`` defaults to
    ``kernel_size``); see :func:`tinygrad_ae.max_pool2d`.

    >>> MaxPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).numpy()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, dilation: IntPair = 1) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.dilation = padding, dilation

    def forward(self, x: ArrayLike) -> Tensor:
        return _conv.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}")


class AvgPool2d(Module):
    """The mean of each window, as ``torch.nn.AvgPool2d`` with its defaults (padding
    counts in the mean); see :func:`tinygrad_ae.avg_pool2d`.

    >>> AvgPool2d(2)(Tensor(np.ones((1, 1, 4, 4)))).shape
    (1, 1, 2, 2)
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: ArrayLike) -> Tensor:
        return _conv.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Upsample(Module):
    """Nearest-neighbour upsampling by whole factors, as ``torch.nn.Upsample(scale_factor,
    mode="nearest")``; see :func:`tinygrad_ae.upsample`.

    >>> Upsample(scale_factor=2)(Tensor(np.ones((1, 1, 2, 3)))).shape
    (1, 1, 4, 6)
    >>> Upsample(scale_factor=2, mode="bilinear")
    Traceback (most recent call last):
    ...
    ValueError: Upsample: mode must be 'nearest', got 'bilinear'
    """

    def __init__(self, scale_factor: IntPair = 2, mode: str = "nearest") -> None:
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: mode must be 'nearest', got {mode!r}")
        self.scale_factor, self.mode = scale_factor, mode

    def forward(self, x: ArrayLike) -> Tensor:
        return _conv.upsample(x, self.scale_factor)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
