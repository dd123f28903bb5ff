"""Convolution and pooling on NCHW tensors, with PyTorch's signatures and semantics.

Layer: the engine's; imports numpy, ``tensor`` and ``ops``. These are the user-facing
functions (``tinygrad_ae.conv2d``, ``tinygrad_ae.nn.functional.conv2d``, …): they accept
ints or pairs, check shapes in the user's terms and add the bias; the arithmetic and the
derivatives live in the registered ops of :mod:`tinygrad_ae.autograd.ops.convolution`.

``avg_pool2d`` and ``upsample`` are exact composites of registered ops (a convolution with
a constant kernel; a broadcast), so they are differentiable to every order with no vjp of
their own. Inputs may also be unbatched (C, H, W), as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_ae.autograd import ops as _ops
from tinygrad_ae.autograd.ops.convolution import conv_output_size
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "upsample",
           "conv_output_size"]

IntPair = int | tuple[int, int]


def _pair(value: Any, name: str, op_name: str, minimum: int) -> tuple[int, int]:
    """``value`` as a pair of ints ≥ ``minimum``; a clear error otherwise."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"{op_name}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{op_name}: {name} must be at least {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def _batched(x: ArrayLike, op_name: str) -> tuple[Tensor, bool]:
    """x as a 4-D Tensor, and whether it came unbatched (3-D)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 3:
        return x.reshape(1, *x.shape), True
    if x.ndim != 4:
        raise ValueError(f"{op_name}: expected an input of shape (N, C, H, W) or (C, H, W), "
                         f"got shape {x.shape}")
    return x, False


def _finish(out: Tensor, unbatched: bool) -> Tensor:
    return out.reshape(*out.shape[1:]) if unbatched else out


def _add_bias(out: Tensor, bias: ArrayLike | None, channels: int, op_name: str) -> Tensor:
    if bias is None:
        return out
    bias = bias if isinstance(bias, Tensor) else Tensor(bias, dtype=out.dtype)
    if bias.shape != (channels,):
        raise ValueError(f"{op_name}: bias must have shape ({channels},), one entry per "
                         f"output channel, got {bias.shape}")
    return out + bias.reshape(1, channels, 1, 1)


def _check_size(op_name: str, x: Tensor, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int], dilation: tuple[int, int]) -> None:
    for a in (0, 1):
        if conv_output_size(x.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a]) < 1:
            raise ValueError(
                f"{op_name}: input of shape {x.shape} is too small for kernel {kernel} with "
                f"dilation {dilation} and padding {padding}; pad it or use a smaller kernel"
            )


def conv2d(x: ArrayLike, weight: Tensor, bias: ArrayLike | None = None, stride: IntPair = 1,
           padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``:
    out[n, o, i, j] = b[o] + Σ_{c,p,q} w[o, c, p, q] · x_pad[n, c', i·s + p·d, j·s + q·d],
    with c' running over the input channels of o's group.

    x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) →
    (N, C_out, H_out, W_out), H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1)/stride⌋ + 1.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> conv2d(x, Tensor(np.ones((1, 1, 2, 2))), stride=2).numpy()[0, 0]
    array([[10., 18.],
           [42., 50.]])
    >>> conv2d(x, Tensor(np.ones((1, 2, 2, 2))))
    Traceback (most recent call last):
    ...
    ValueError: conv2d: input has 1 channels but weight (1, 2, 2, 2) with groups=1 expects 2
    """
    x, unbatched = _batched(x, "conv2d")
    weight = weight if isinstance(weight, Tensor) else Tensor(weight, dtype=x.dtype)
    stride_ = _pair(stride, "stride", "conv2d", 1)
    padding_ = _pair(padding, "padding", "conv2d", 0)
    dilation_ = _pair(dilation, "dilation", "conv2d", 1)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (C_out, C_in/groups, kH, kW), got "
                         f"{weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if weight.shape[0] % groups:
        raise ValueError(f"conv2d: weight has {weight.shape[0]} output channels, not "
                         f"divisible by groups={groups}")
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight "
                         f"{weight.shape} with groups={groups} expects "
                         f"{weight.shape[1] * groups}")
    _check_size("conv2d", x, (weight.shape[2], weight.shape[3]), stride_, padding_, dilation_)
    out = _ops.conv2d(x, weight, stride=stride_, padding=padding_, dilation=dilation_,
                      groups=int(groups))
    return _finish(_add_bias(out, bias, weight.shape[0], "conv2d"), unbatched)


def conv_transpose2d(x: ArrayLike, weight: Tensor, bias: ArrayLike | None = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> Tensor:
    """The transposed convolution, as ``torch.nn.functional.conv_transpose2d`` (same
    argument order): the adjoint of :func:`conv2d` in its input, so each input pixel adds
    a copy of the kernel, scaled by its value, at ``stride`` spacing.

    x (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out,) →
    (N, C_out, H_out, W_out), H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) +
    output_padding + 1. ``output_padding`` (< stride) picks among the input sizes a strided
    conv2d maps to the same size.

    >>> y = conv_transpose2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 2, 2))),
    ...                      stride=2)
    >>> y.shape
    (1, 1, 4, 4)
    >>> conv_transpose2d(Tensor(np.ones((1, 1, 3, 3))), Tensor(np.ones((1, 1, 3, 3))),
    ...                  stride=2, output_padding=2)
    Traceback (most recent call last):
    ...
    ValueError: conv_transpose2d: output_padding (2, 2) must be smaller than stride (2, 2)
    """
    name = "conv_transpose2d"
    x, unbatched = _batched(x, name)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight, dtype=x.dtype)
    stride_ = _pair(stride, "stride", name, 1)
    padding_ = _pair(padding, "padding", name, 0)
    dilation_ = _pair(dilation, "dilation", name, 1)
    extra = _pair(output_padding, "output_padding", name, 0)
    if any(e >= s for e, s in zip(extra, stride_)):
        raise ValueError(f"{name}: output_padding {extra} must be smaller than stride {stride_}")
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must have shape (C_in, C_out/groups, kH, kW), got "
                         f"{weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise ValueError(f"{name}: input has {x.shape[1]} channels but weight of shape "
                         f"{weight.shape} expects {weight.shape[0]}, a multiple of "
                         f"groups={groups}")
    for a in (0, 1):
        size = ((x.shape[2 + a] - 1) * stride_[a] - 2 * padding_[a]
                + dilation_[a] * (weight.shape[2 + a] - 1) + extra[a] + 1)
        if size < 1:
            raise ValueError(f"{name}: padding {padding_} leaves no output for an input of "
                             f"shape {x.shape} and kernel {weight.shape[2:]}")
    out = _ops.conv_transpose2d(x, weight, stride=stride_, padding=padding_,
                                dilation=dilation_, groups=int(groups), output_padding=extra)
    return _finish(_add_bias(out, bias, weight.shape[1] * groups, name), unbatched)


def _pool_arguments(name: str, x: Tensor, kernel_size: IntPair, stride: IntPair | None,
                    padding: IntPair, dilation: IntPair = 1) -> tuple[tuple[int, int], ...]:
    kernel = _pair(kernel_size, "kernel_size", name, 1)
    step = kernel if stride is None else _pair(stride, "stride", name, 1)
    pad = _pair(padding, "padding", name, 0)
    spread = _pair(dilation, "dilation", name, 1)
    if any(2 * p > k for p, k in zip(pad, kernel)):
        raise ValueError(f"{name}: padding {pad} must be at most half of kernel_size {kernel}")
    _check_size(name, x, kernel, step, pad, spread)
    return kernel, step, pad, spread


def max_pool2d(x: ArrayLike, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, dilation: IntPair = 1) -> Tensor:
    """The largest value of each window, as ``torch.nn.functional.max_pool2d``
    (``stride`` defaults to ``kernel_size``; padding is −inf, so it never wins; a tie goes
    to the first entry in row-major order). The gradient flows to each window's maximum
    only; windows that overlap add up.

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> max_pool2d(x, 2).numpy()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, unbatched = _batched(x, "max_pool2d")
    kernel, step, pad, spread = _pool_arguments("max_pool2d", x, kernel_size, stride,
                                                padding, dilation)
    out = _ops.max_pool2d(x, kernel_size=kernel, stride=step, padding=pad, dilation=spread)
    return _finish(out, unbatched)


def avg_pool2d(x: ArrayLike, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0) -> Tensor:
    """The mean of each window, as ``torch.nn.functional.avg_pool2d`` with its defaults
    (zero padding counts in the mean, ``count_include_pad=True``; ``stride`` defaults to
    ``kernel_size``). A composite: each channel convolved with the constant kernel
    1/(kH·kW).

    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> avg_pool2d(x, 2).numpy()[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x, unbatched = _batched(x, "avg_pool2d")
    kernel, step, pad, _ = _pool_arguments("avg_pool2d", x, kernel_size, stride, padding)
    n, c, h, w = x.shape
    mean_kernel = Tensor(np.full((1, 1, *kernel), 1.0 / (kernel[0] * kernel[1])), dtype=x.dtype)
    out = _ops.conv2d(x.reshape(n * c, 1, h, w), mean_kernel, stride=step, padding=pad,
                      dilation=(1, 1), groups=1)
    return _finish(out.reshape(n, c, *out.shape[2:]), unbatched)


def upsample(x: ArrayLike, scale_factor: IntPair = 2) -> Tensor:
    """Nearest-neighbour upsampling by whole factors, as ``torch.nn.Upsample(scale_factor,
    mode="nearest")``: out[n, c, i, j] = x[n, c, ⌊i/s_h⌋, ⌊j/s_w⌋]. A composite (a
    broadcast), so the gradient sums each s_h × s_w block.

    >>> upsample(Tensor([[[[1.0, 2.0]]]]), 2).numpy()[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    x, unbatched = _batched(x, "upsample")
    if isinstance(scale_factor, float) and scale_factor.is_integer():
        scale_factor = int(scale_factor)
    sh, sw = _pair(scale_factor, "scale_factor (a whole number)", "upsample", 1)
    n, c, h, w = x.shape
    out = x.reshape(n, c, h, 1, w, 1).broadcast_to((n, c, h, sh, w, sw))
    return _finish(out.reshape(n, c, h * sh, w * sw), unbatched)
