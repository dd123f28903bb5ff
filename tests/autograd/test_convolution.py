"""Convolution, pooling and upsampling against PyTorch (values, gradients, second order)
and against central differences, over hypothesis-drawn shapes, strides, paddings,
dilations and groups; and the errors a user can make.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import CONV_TORCH_ATOL as TORCH_ATOL
from tolerances import FD2_ATOL, FD2_RTOL, FD_ATOL, FD_EPS, FD_RTOL

import tinygrad_ae as tg
from tinygrad_ae import Tensor, grad, gradcheck, gradgradcheck, strategies
from tinygrad_ae.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _random(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def _compare_with_torch(ours, theirs, arrays):
    """Values, first derivatives and second derivatives (of a random projection of the
    gradient) of ``ours`` and ``theirs`` applied to the same float64 ``arrays``."""
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    torchs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*torchs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=TORCH_ATOL)
    cotangent, *directions = _random(1, out.shape, *[a.shape for a in arrays])
    first = grad((out * cotangent).sum(), mine, create_graph=True)
    expected_first = torch.autograd.grad((expected * torch.tensor(cotangent)).sum(), torchs,
                                         create_graph=True)
    for g, e in zip(first, expected_first):
        np.testing.assert_allclose(g.numpy(), e.detach().numpy(), atol=TORCH_ATOL)
    projection = sum((g * d).sum() for g, d in zip(first, directions))
    torch_projection = sum((e * torch.tensor(d)).sum()
                           for e, d in zip(expected_first, directions))
    if not torch_projection.requires_grad:  # linear in every input: no second derivative
        return
    second = grad(projection, mine)
    expected_second = torch.autograd.grad(torch_projection, torchs, allow_unused=True)
    for h, e in zip(second, expected_second):
        reference = np.zeros(h.shape) if e is None else e.numpy()
        np.testing.assert_allclose(h.numpy(), reference, atol=TORCH_ATOL)


@given(s=strategies.convolution_settings(max_groups=3), bias=st.booleans())
def test_conv2d_matches_torch(s, bias):
    x, w, b = _random(0, (s["n_samples"], s["in_channels"], *s["size"]),
                      (s["out_channels"], s["in_channels"] // s["groups"], *s["kernel_size"]),
                      (s["out_channels"],))
    arguments = dict(stride=s["stride"], padding=s["padding"], dilation=s["dilation"],
                     groups=s["groups"])
    if bias:
        _compare_with_torch(lambda *t: tg.conv2d(*t, **arguments),
                            lambda *t: TF.conv2d(*t, **arguments), [x, w, b])
    else:
        _compare_with_torch(lambda *t: tg.conv2d(*t, **arguments),
                            lambda *t: TF.conv2d(*t, **arguments), [x, w])


@given(s=strategies.convolution_settings(max_groups=3), data=st.data())
def test_conv_transpose2d_matches_torch(s, data):
    stride = s["stride"]
    output_padding = tuple(data.draw(st.integers(0, step - 1)) for step in stride)
    # A transposed convolution's input is a convolution's output: reuse size as that.
    x, w, b = _random(0, (s["n_samples"], s["in_channels"], *s["size"]),
                      (s["in_channels"], s["out_channels"] // s["groups"], *s["kernel_size"]),
                      (s["out_channels"],))
    arguments = dict(stride=stride, padding=s["padding"], output_padding=output_padding,
                     groups=s["groups"], dilation=s["dilation"])
    sizes = [(n - 1) * st_ - 2 * p + d * (k - 1) + e + 1 for n, st_, p, d, k, e in zip(
        s["size"], stride, s["padding"], s["dilation"], s["kernel_size"], output_padding)]
    if min(sizes) < 1:
        with pytest.raises(ValueError, match="leaves no output"):
            tg.conv_transpose2d(Tensor(x), Tensor(w), **arguments)
        return
    _compare_with_torch(lambda *t: tg.conv_transpose2d(*t, **arguments),
                        lambda *t: TF.conv_transpose2d(*t, **arguments), [x, w, b])


@st.composite
def _pooling(draw):
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(draw(st.integers(k, k + 4)) for k in kernel)
    return {"kernel_size": kernel, "stride": stride, "padding": padding,
            "shape": (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)}


@given(p=_pooling(), dilation=st.integers(1, 2))
def test_max_pool2d_matches_torch(p, dilation):
    # A permutation of 0..size-1: no ties, so the gradient's place is well defined.
    size = int(np.prod(p["shape"]))
    x = np.random.default_rng(0).permutation(size).reshape(p["shape"]) / size
    span = [dilation * (k - 1) + 1 for k in p["kernel_size"]]
    if any(n + 2 * pad < s for n, pad, s in zip(p["shape"][2:], p["padding"], span)):
        return
    arguments = dict(kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"],
                     dilation=dilation)
    _compare_with_torch(lambda t: tg.max_pool2d(t, **arguments),
                        lambda t: TF.max_pool2d(t, **arguments), [x])


@given(p=_pooling())
def test_avg_pool2d_matches_torch(p):
    (x,) = _random(0, p["shape"])
    arguments = dict(kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"])
    _compare_with_torch(lambda t: tg.avg_pool2d(t, **arguments),
                        lambda t: TF.avg_pool2d(t, **arguments), [x])


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4),
                       st.integers(1, 4)),
       scale=st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
def test_upsample_matches_torch(shape, scale):
    (x,) = _random(0, shape)
    _compare_with_torch(lambda t: tg.upsample(t, scale),
                        lambda t: TF.interpolate(t, scale_factor=scale, mode="nearest"), [x])


def test_unbatched_inputs_work_as_in_torch():
    x, w = _random(0, (2, 5, 5), (3, 2, 3, 3))
    out = tg.conv2d(Tensor(x), Tensor(w), padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), TF.conv2d(torch.tensor(x), torch.tensor(w),
                                                      padding=1).numpy(), atol=TORCH_ATOL)
    assert tg.max_pool2d(Tensor(x), 2).shape == (2, 2, 2)


# --- central differences (independent of PyTorch) ----------------------------------------

COMPOSITES = {
    "conv2d+bias": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
                    [(2, 2, 5, 4), (3, 2, 2, 3), (3,)]),
    "conv_transpose2d+bias": (lambda x, w, b: F.conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2),
        [(1, 2, 3, 3), (2, 1, 3, 2), (2,)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [(1, 2, 5, 5)]),
    "upsample": (lambda x: F.upsample(x, (2, 3)), [(1, 2, 2, 3)]),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_functions_match_central_differences(name):
    fn, shapes = COMPOSITES[name]
    inputs = [Tensor(a, requires_grad=True) for a in _random(2, *shapes)]
    gradcheck(fn, inputs, eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)
    gradgradcheck(fn, inputs, eps=FD_EPS, atol=FD2_ATOL, rtol=FD2_RTOL)


def test_float32_stays_float32():
    x, w = (a.astype(np.float32) for a in _random(0, (2, 2, 6, 6), (4, 2, 3, 3)))
    X, W = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = tg.max_pool2d(tg.conv_transpose2d(tg.conv2d(X, W, stride=2), W, stride=2), 2)
    out = tg.upsample(tg.avg_pool2d(out, 2), 2)
    assert out.dtype == np.float32
    out.sum().backward()
    assert X.grad.dtype == np.float32 and W.grad.dtype == np.float32


# --- errors ------------------------------------------------------------------------------

ERRORS = [
    (lambda: tg.conv2d(Tensor(np.ones((1, 3, 4, 4))), Tensor(np.ones((2, 2, 3, 3)))),
     ValueError, "conv2d: input has 3 channels but weight"),
    (lambda: tg.conv2d(Tensor(np.ones((1, 4, 4, 4))), Tensor(np.ones((3, 2, 3, 3))), groups=2),
     ValueError, "not divisible by groups=2"),
    (lambda: tg.conv2d(Tensor(np.ones((4, 4))), Tensor(np.ones((1, 1, 3, 3)))),
     ValueError, r"expected an input of shape \(N, C, H, W\)"),
    (lambda: tg.conv2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 3, 3)))),
     ValueError, "too small for kernel"),
    (lambda: tg.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))), stride=0),
     ValueError, "stride must be at least 1"),
    (lambda: tg.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3))),
                       padding=1.5),
     TypeError, "padding must be an int or a pair of ints"),
    (lambda: tg.conv2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((2, 1, 3, 3))),
                       bias=np.ones(3)),
     ValueError, r"bias must have shape \(2,\)"),
    (lambda: tg.conv_transpose2d(Tensor(np.ones((1, 2, 3, 3))), Tensor(np.ones((3, 1, 3, 3)))),
     ValueError, "conv_transpose2d: input has 2 channels"),
    (lambda: tg.conv_transpose2d(Tensor(np.ones((1, 1, 3, 3))), Tensor(np.ones((1, 1, 3, 3))),
                                 stride=2, output_padding=2),
     ValueError, "output_padding .* must be smaller than stride"),
    (lambda: tg.max_pool2d(Tensor(np.ones((1, 1, 4, 4))), 2, padding=2),
     ValueError, "padding .* must be at most half of kernel_size"),
    (lambda: tg.upsample(Tensor(np.ones((1, 1, 4, 4))), 1.5),
     TypeError, "scale_factor"),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_mistakes_raise_clear_errors(index):
    make, kind, message = ERRORS[index]
    with pytest.raises(kind, match=message):
        make()
