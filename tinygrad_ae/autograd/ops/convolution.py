"""Convolution ops: conv2d, its two adjoints, and max pooling (NCHW, PyTorch's semantics).

Layer: the engine's op registry; imports numpy and the registry (``_core``, ``shape``) only.

A convolution is bilinear in its input and its weight: out = B(x, w). Its vector-Jacobian
products are the two adjoints of B,

- ∂L/∂x = Bₓᵀ(g, w): the *transposed* convolution ``conv_transpose2d(g, w)``,
- ∂L/∂w = B_wᵀ(x, g): the weight gradient ``conv2d_weight(x, g)``,

and each of the three ops is itself bilinear with vjps that are again these three ops (the
table below), so every derivative of every order is a registered op and
``grad(..., create_graph=True)`` works through convolutions with no extra code:

=====================  ==================================  ==================================
op                     ∂L/∂(first input)                   ∂L/∂(second input)
=====================  ==================================  ==================================
conv2d(x, w)           conv_transpose2d(g, w)              conv2d_weight(x, g)
conv_transpose2d(y, w) conv2d(g, w)                        conv2d_weight(g, y)
conv2d_weight(x, y)    conv_transpose2d(y, g)              conv2d(x, g)
=====================  ==================================  ==================================

Shapes follow PyTorch: x is (N, C_in, H, W), the weight (C_out, C_in/groups, kH, kW), and
out[n, o, i, j] = Σ_{c, p, q} w[o, c, p, q] · x_pad[n, G(o)·C_in/groups + c, i·s + p·d,
j·s + q·d] with zero padding. The forward is im2col: a strided *view* of the padded input
holds every receptive field (``sliding_window_view``, no copy), one reshape gathers them
into a matrix, and one batched matmul (one product per group) does all the arithmetic. The
transposed convolution scatters the columns back with one slice-add per kernel offset
(kH·kW of them, never one per pixel).

The parameters arrive normalised by :mod:`tinygrad_ae.autograd.convolution` (the user-facing
functions): ``stride``, ``padding``, ``dilation`` are pairs of ints and ``groups`` an int.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._core import DISTINCT, op, value
from .shape import index_add

Pair = tuple[int, int]

__all__ = ["conv2d", "conv_transpose2d", "conv2d_weight", "max_pool2d", "conv_output_size"]


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The output length of a convolution along one axis (PyTorch's formula):
    ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.

    >>> conv_output_size(28, 3, stride=2, padding=1, dilation=1)
    14
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _output_padding(size: int, out_size: int, kernel: int, stride: int, padding: int,
                    dilation: int) -> int:
    """The output padding a transposed convolution needs to give back ``size`` rows from
    ``out_size``: the rows a strided convolution skipped at the end."""
    return size - ((out_size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1)


def _windows(x: np.ndarray, kernel: Pair, out_hw: Pair, stride: Pair, padding: Pair,
             dilation: Pair, fill: float = 0.0) -> np.ndarray:
    """A read-only view (N, C, H_out, W_out, kH, kW) of every receptive field of x padded
    with ``fill``; no copy besides the padding."""
    (kh, kw), (ho, wo), (sh, sw), (ph, pw), (dh, dw) = kernel, out_hw, stride, padding, dilation
    if ph or pw:
        # Allocate and copy in: np.pad's generality costs more than the copy at these sizes.
        n, c, h, w = x.shape
        padded = (np.zeros if fill == 0 else np.empty)((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
        if fill != 0:
            padded.fill(fill)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x = padded
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(x, span, axis=(2, 3))
    return view[:, :, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw, ::dh, ::dw]


def _columns(x: np.ndarray, kernel: Pair, out_hw: Pair, stride: Pair, padding: Pair,
             dilation: Pair, groups: int) -> np.ndarray:
    """im2col: the receptive fields as a matrix per group, (G, C_in/G·kH·kW, N·H_out·W_out)."""
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = kernel, out_hw
    windows = _windows(x, kernel, out_hw, stride, padding, dilation)
    windows = windows.reshape(n, groups, c // groups, ho, wo, kh, kw)
    # NOTE: the only copy of the input: row (c, p, q), column (n, i, j).
    return windows.transpose(1, 2, 5, 6, 0, 3, 4).reshape(groups, -1, n * ho * wo)


def _conv2d(x: np.ndarray, weight: np.ndarray, stride: Pair, padding: Pair, dilation: Pair,
            groups: int) -> np.ndarray:
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    columns = _columns(x, (kh, kw), (ho, wo), stride, padding, dilation, groups)
    out = weight.reshape(groups, c_out // groups, -1) @ columns     # (G, C_out/G, N·Ho·Wo)
    out = out.reshape(c_out, n, ho, wo).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out)


def _conv_transpose2d(y: np.ndarray, weight: np.ndarray, stride: Pair, padding: Pair,
                      dilation: Pair, groups: int, output_padding: Pair) -> np.ndarray:
    """The adjoint of x ↦ conv2d(x, weight): col2im of weightᵀ·y."""
    n, c_y, ho, wo = y.shape
    _, c_group, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    h = (ho - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding[0] + 1
    w = (wo - 1) * sw - 2 * pw + dw * (kw - 1) + output_padding[1] + 1
    rows = y.reshape(n, groups, c_y // groups, ho * wo).transpose(1, 2, 0, 3)
    rows = rows.reshape(groups, c_y // groups, n * ho * wo)
    weight_t = weight.reshape(groups, c_y // groups, -1).transpose(0, 2, 1)
    columns = (weight_t @ rows).reshape(groups, c_group, kh, kw, n, ho, wo)
    padded = np.zeros((groups, c_group, n, h + 2 * ph, w + 2 * pw), dtype=columns.dtype)
    # One slice-add per kernel offset (p, q): every output pixel at once.
    for p in range(kh):
        for q in range(kw):
            padded[:, :, :, p * dh:p * dh + (ho - 1) * sh + 1:sh,
                   q * dw:q * dw + (wo - 1) * sw + 1:sw] += columns[:, :, p, q]
    out = padded[:, :, :, ph:ph + h, pw:pw + w].reshape(groups * c_group, n, h, w)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))


def _conv2d_weight(x: np.ndarray, grad_output: np.ndarray, kernel: Pair, stride: Pair,
                   padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """The adjoint of w ↦ conv2d(x, w): Σ over samples and pixels of g ⊗ receptive field."""
    n, c_out, ho, wo = grad_output.shape
    columns = _columns(x, kernel, (ho, wo), stride, padding, dilation, groups)
    rows = grad_output.reshape(n, groups, c_out // groups, ho * wo).transpose(1, 2, 0, 3)
    rows = rows.reshape(groups, c_out // groups, n * ho * wo)
    out = rows @ columns.transpose(0, 2, 1)                        # (G, C_out/G, C_in/G·kH·kW)
    return out.reshape(c_out, x.shape[1] // groups, *kernel)


# --- the three bilinear ops --------------------------------------------------------------

@op("conv2d", partial=("{weight} ⋆ (conv)", "{x} windows (conv)"), kind="conv")
def conv2d(x, weight, *, stride, padding, dilation, groups):
    """out = x ⋆ weight, PyTorch's conv2d without bias (x (N, C_in, H, W), weight
    (C_out, C_in/groups, kH, kW));  ∂L/∂x = conv_transpose2d(g, weight),
    ∂L/∂weight = conv2d_weight(x, g)."""
    return _conv2d(x, weight, stride, padding, dilation, groups)


@conv2d.vjp
def _(g, out, x, weight, stride, padding, dilation, groups, needs=(True, True)):
    grad_x = grad_weight = None
    if needs[0]:
        extra = tuple(_output_padding(x.shape[2 + a], out.shape[2 + a], weight.shape[2 + a],
                                      stride[a], padding[a], dilation[a]) for a in (0, 1))
        grad_x = conv_transpose2d(g, weight, stride=stride, padding=padding,
                                  dilation=dilation, groups=groups, output_padding=extra)
    if needs[1]:
        grad_weight = conv2d_weight(x, g, kernel_size=tuple(weight.shape[2:]), stride=stride,
                                    padding=padding, dilation=dilation, groups=groups)
    return grad_x, grad_weight


@op("conv_transpose2d", partial=("{weight}ᵀ (conv)", "{x} (conv)"), kind="conv_transpose")
def conv_transpose2d(x, weight, *, stride, padding, dilation, groups, output_padding):
    """out = the transposed convolution of x (N, C_in, H, W) with weight
    (C_in, C_out/groups, kH, kW): the adjoint of conv2d in its input, PyTorch's
    conv_transpose2d;  ∂L/∂x = conv2d(g, weight), ∂L/∂weight = conv2d_weight(g, x)."""
    return _conv_transpose2d(x, weight, stride, padding, dilation, groups, output_padding)


@conv_transpose2d.vjp
def _(g, out, x, weight, stride, padding, dilation, groups, output_padding,
      needs=(True, True)):
    # NOTE: conv2d of g has x's size because output_padding < stride (checked by the caller).
    grad_x = grad_weight = None
    if needs[0]:
        grad_x = conv2d(g, weight, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)
    if needs[1]:
        grad_weight = conv2d_weight(g, x, kernel_size=tuple(weight.shape[2:]), stride=stride,
                                    padding=padding, dilation=dilation, groups=groups)
    return grad_x, grad_weight


@op("conv2d_weight", partial=("{grad_output} (conv)", "{x} windows (conv)"),
    kind="conv_weight")
def conv2d_weight(x, grad_output, *, kernel_size, stride, padding, dilation, groups):
    """out = ∂⟨conv2d(x, w), grad_output⟩/∂w, the weight gradient of conv2d, of shape
    (C_out, C_in/groups, kH, kW);  ∂L/∂x = conv_transpose2d(grad_output, g),
    ∂L/∂grad_output = conv2d(x, g)."""
    return _conv2d_weight(x, grad_output, kernel_size, stride, padding, dilation, groups)


@conv2d_weight.vjp
def _(g, out, x, grad_output, kernel_size, stride, padding, dilation, groups,
      needs=(True, True)):
    grad_x = grad_grad_output = None
    if needs[0]:
        extra = tuple(_output_padding(x.shape[2 + a], grad_output.shape[2 + a],
                                      kernel_size[a], stride[a], padding[a], dilation[a])
                      for a in (0, 1))
        grad_x = conv_transpose2d(grad_output, g, stride=stride, padding=padding,
                                  dilation=dilation, groups=groups, output_padding=extra)
    if needs[1]:
        grad_grad_output = conv2d(x, g, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)
    return grad_x, grad_grad_output


# --- max pooling -------------------------------------------------------------------------

def _pool_windows(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
                  dilation: Pair) -> np.ndarray:
    """Every pooling window of x padded with −inf, flattened: (N, C, H_out, W_out, kH·kW)."""
    out_hw = tuple(conv_output_size(x.shape[2 + a], kernel_size[a], stride[a], padding[a],
                                    dilation[a]) for a in (0, 1))
    windows = _windows(x, kernel_size, out_hw, stride, padding, dilation,  # type: ignore[arg-type]
                       fill=-np.inf)
    return windows.reshape(*windows.shape[:4], -1)


@op("max_pool2d", domain=DISTINCT, partial="1[{x} = window max]", kind="pool")
def max_pool2d(x, *, kernel_size, stride, padding, dilation):
    """out[n, c, i, j] = the largest x in window (i, j);  ∂out/∂x = 1 at that entry, 0
    elsewhere. A tie goes to the first entry of the window in row-major order, as in
    PyTorch; padding counts as −inf, so it never wins."""
    return _pool_windows(x, kernel_size, stride, padding, dilation).max(axis=-1)


@max_pool2d.vjp
def _(g, out, x, kernel_size, stride, padding, dilation):
    # Where each maximum sits is constant almost everywhere: taken from the values.
    data = value(x)
    n, c, h, w = data.shape
    winner = _pool_windows(data, kernel_size, stride, padding, dilation).argmax(axis=-1)
    ho, wo = winner.shape[2:]
    p, q = np.divmod(winner, kernel_size[1])
    rows = np.arange(ho).reshape(-1, 1) * stride[0] + p * dilation[0] - padding[0]
    cols = np.arange(wo) * stride[1] + q * dilation[1] - padding[1]
    index = (np.arange(n).reshape(-1, 1, 1, 1), np.arange(c).reshape(1, -1, 1, 1), rows, cols)
    index = tuple(np.broadcast_to(part, winner.shape) for part in index)
    # The adjoint of picking x[index]: adding g back there (overlapping windows add up).
    return (index_add(g, index=index, shape=data.shape),)

