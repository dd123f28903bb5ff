"""The user-facing convolution functions at the edges of what they accept, against
PyTorch: the defaults, every argument form (an int, a tuple, a list, a numpy integer, a
whole float scale), sizes that leave exactly one output, output_padding one below the
stride, pooling padding at exactly half the kernel, unbatched inputs and inputs that are
not Tensors; and every message they refuse an argument with, word for word.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from param_ids import selectable_id
from tolerances import CONV_TORCH_ATOL as TORCH_ATOL
from tolerances import ORACLE_ATOL

import tinygrad_ae as tg
from tinygrad_ae import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _random(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def _upsample_torch(x, scale):
    """PyTorch's nearest upsampling needs a batch axis; add one to a (C, H, W) input."""
    if x.ndim == 3:
        return TF.interpolate(x[None], scale_factor=scale, mode="nearest")[0]
    return TF.interpolate(x, scale_factor=scale, mode="nearest")


# (ours, PyTorch's, input shapes): each pair is called with the same float64 arrays.
ACCEPTED = {
    "conv2d-defaults": (lambda x, w: tg.conv2d(x, w), lambda x, w: TF.conv2d(x, w),
                        [(2, 3, 4, 5), (2, 3, 3, 2)]),
    "conv2d-one-output": (lambda x, w, b: tg.conv2d(x, w, b),
                          lambda x, w, b: TF.conv2d(x, w, b), [(1, 2, 3, 2), (3, 2, 3, 2), (3,)]),
    "conv2d-forms": (
        lambda x, w: tg.conv2d(x, w, stride=[2, 1], padding=np.int64(1), dilation=(2, 1),
                               groups=np.int64(2)),
        lambda x, w: TF.conv2d(x, w, stride=(2, 1), padding=1, dilation=(2, 1), groups=2),
        [(1, 4, 6, 5), (4, 2, 2, 2)]),
    "conv2d-unbatched": (lambda x, w, b: tg.conv2d(x, w, b, padding=(1, 0), stride=(1, 2)),
                         lambda x, w, b: TF.conv2d(x, w, b, padding=(1, 0), stride=(1, 2)),
                         [(2, 4, 5), (3, 2, 3, 3), (3,)]),
    "conv_transpose2d-defaults": (lambda x, w: tg.conv_transpose2d(x, w),
                                  lambda x, w: TF.conv_transpose2d(x, w),
                                  [(2, 2, 3, 3), (2, 3, 2, 2)]),
    "conv_transpose2d-largest-output_padding": (
        lambda x, w, b: tg.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0),
                                            output_padding=(1, 2), groups=2, dilation=(1, 2)),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0),
                                            output_padding=(1, 2), groups=2, dilation=(1, 2)),
        [(1, 4, 2, 3), (4, 1, 3, 2), (2,)]),
    "conv_transpose2d-one-output": (lambda x, w: tg.conv_transpose2d(x, w, padding=1),
                                    lambda x, w: TF.conv_transpose2d(x, w, padding=1),
                                    [(1, 1, 1, 1), (1, 1, 3, 3)]),
    "conv_transpose2d-one-output-wide": (
        lambda x, w: tg.conv_transpose2d(x, w, padding=(0, 2)),
        lambda x, w: TF.conv_transpose2d(x, w, padding=(0, 2)), [(1, 1, 2, 3), (1, 2, 1, 3)]),
    "conv_transpose2d-unbatched": (
        lambda x, w, b: tg.conv_transpose2d(x, w, b, stride=[2, 1], output_padding=[1, 0]),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=(2, 1), output_padding=(1, 0)),
        [(2, 3, 2), (2, 3, 2, 2), (3,)]),
    "max_pool2d-default-stride": (lambda x: tg.max_pool2d(x, (2, 3)),
                                  lambda x: TF.max_pool2d(x, (2, 3)), [(2, 2, 5, 7)]),
    "max_pool2d-half-kernel-padding": (
        lambda x: tg.max_pool2d(x, [2, 3], stride=np.int64(1), padding=(1, 1), dilation=(2, 1)),
        lambda x: TF.max_pool2d(x, (2, 3), stride=1, padding=(1, 1), dilation=(2, 1)),
        [(1, 2, 4, 5)]),
    "max_pool2d-one-output": (lambda x: tg.max_pool2d(x, 3), lambda x: TF.max_pool2d(x, 3),
                              [(1, 1, 3, 3)]),
    "max_pool2d-unbatched": (lambda x: tg.max_pool2d(x, 2, stride=1),
                             lambda x: TF.max_pool2d(x, 2, stride=1), [(3, 4, 3)]),
    "avg_pool2d-default-stride": (lambda x: tg.avg_pool2d(x, (2, 3)),
                                  lambda x: TF.avg_pool2d(x, (2, 3)), [(2, 3, 5, 7)]),
    "avg_pool2d-half-kernel-padding": (
        lambda x: tg.avg_pool2d(x, (2, 3), stride=[1, 2], padding=(1, 1)),
        lambda x: TF.avg_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 1)), [(2, 3, 4, 5)]),
    "avg_pool2d-one-output": (lambda x: tg.avg_pool2d(x, (3, 2)),
                              lambda x: TF.avg_pool2d(x, (3, 2)), [(1, 2, 3, 2)]),
    "avg_pool2d-unbatched": (lambda x: tg.avg_pool2d(x, 2, padding=1),
                             lambda x: TF.avg_pool2d(x, 2, padding=1), [(2, 3, 4)]),
    "upsample-default": (lambda x: tg.upsample(x), lambda x: _upsample_torch(x, 2),
                         [(1, 2, 2, 3)]),
    "upsample-whole-float": (lambda x: tg.upsample(x, 3.0), lambda x: _upsample_torch(x, 3),
                             [(2, 1, 2, 2)]),
    "upsample-list": (lambda x: tg.upsample(x, [1, 3]), lambda x: _upsample_torch(x, (1, 3)),
                      [(1, 2, 2, 2)]),
    "upsample-unbatched": (lambda x: tg.upsample(x, (3, 2)),
                           lambda x: _upsample_torch(x, (3, 2)), [(2, 2, 3)]),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_arguments_give_torchs_values_and_gradients(name):
    ours, theirs, shapes = ACCEPTED[name]
    arrays = _random(0, *shapes)
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*reference)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=TORCH_ATOL)
    (cotangent,) = _random(1, out.shape)
    (out * cotangent).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    for m, r in zip(mine, reference):
        np.testing.assert_allclose(m.grad, r.grad.numpy(), atol=TORCH_ATOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arrays_are_accepted_and_take_the_inputs_dtype(dtype):
    """x, weight and bias as numpy arrays: weight and bias follow x's dtype (a float64
    weight or bias does not turn a float32 convolution into float64), as for Tensors."""
    x, w, b = _random(0, (2, 2, 4, 4), (3, 2, 3, 3), (3,))
    wt, bt = _random(1, (2, 3, 2, 2), (3,))
    xs = x.astype(dtype)
    outputs = {
        "conv2d": (tg.conv2d(xs, w, b, padding=1),
                   TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1)),
        "conv_transpose2d": (tg.conv_transpose2d(xs, wt, bt, stride=2),
                             TF.conv_transpose2d(torch.tensor(x), torch.tensor(wt),
                                                 torch.tensor(bt), stride=2)),
        "max_pool2d": (tg.max_pool2d(xs, 2), TF.max_pool2d(torch.tensor(x), 2)),
        "avg_pool2d": (tg.avg_pool2d(xs, 3, stride=1, padding=1),
                       TF.avg_pool2d(torch.tensor(x), 3, stride=1, padding=1)),
        "upsample": (tg.upsample(xs, 2), _upsample_torch(torch.tensor(x), 2)),
    }
    atol = TORCH_ATOL if dtype == np.float64 else ORACLE_ATOL[np.dtype(np.float32)]
    for name, (out, expected) in outputs.items():
        assert out.dtype == dtype, name
        np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=atol, err_msg=name)


def test_bias_as_an_array_keeps_float32():
    """A float64 numpy bias added to a float32 convolution is cast to float32 first."""
    x, w = (a.astype(np.float32) for a in _random(0, (1, 1, 3, 3), (2, 1, 2, 2)))
    for out in (tg.conv2d(Tensor(x), Tensor(w), np.ones(2)),
                tg.conv_transpose2d(Tensor(x), Tensor(np.ones((1, 2, 2, 2), np.float32)),
                                    np.ones(2))):
        assert out.dtype == np.float32


def _ones(*shape):
    return Tensor(np.ones(shape))


X, W = _ones(1, 1, 4, 4), _ones(1, 1, 3, 3)
SHAPE = "(N, C, H, W) or (C, H, W)"
TOO_SMALL = "is too small for kernel"

MESSAGES = [
    # inputs that are neither batched nor unbatched images, for each function
    (lambda: tg.conv2d(_ones(4, 4), W), ValueError,
     f"conv2d: expected an input of shape {SHAPE}, got shape (4, 4)"),
    (lambda: tg.conv_transpose2d(_ones(1, 1, 1, 3, 3), W), ValueError,
     f"conv_transpose2d: expected an input of shape {SHAPE}, got shape (1, 1, 1, 3, 3)"),
    (lambda: tg.max_pool2d(_ones(4, 4), 2), ValueError,
     f"max_pool2d: expected an input of shape {SHAPE}, got shape (4, 4)"),
    (lambda: tg.avg_pool2d(_ones(4), 2), ValueError,
     f"avg_pool2d: expected an input of shape {SHAPE}, got shape (4,)"),
    (lambda: tg.upsample(_ones(2, 2)), ValueError,
     f"upsample: expected an input of shape {SHAPE}, got shape (2, 2)"),
    # conv2d
    (lambda: tg.conv2d(X, W, stride=0), ValueError, "conv2d: stride must be at least 1, got 0"),
    (lambda: tg.conv2d(X, W, padding=-1), ValueError,
     "conv2d: padding must be at least 0, got -1"),
    (lambda: tg.conv2d(X, W, dilation=(1, 0)), ValueError,
     "conv2d: dilation must be at least 1, got (1, 0)"),
    (lambda: tg.conv2d(X, W, stride=(1, 2, 3)), TypeError,
     "conv2d: stride must be an int or a pair of ints, got (1, 2, 3)"),
    (lambda: tg.conv2d(X, W, stride=[1]), TypeError,
     "conv2d: stride must be an int or a pair of ints, got [1]"),
    (lambda: tg.conv2d(X, W, padding=True), TypeError,
     "conv2d: padding must be an int or a pair of ints, got True"),
    (lambda: tg.conv2d(X, W, dilation=(1, 1.0)), TypeError,
     "conv2d: dilation must be an int or a pair of ints, got (1, 1.0)"),
    (lambda: tg.conv2d(X, _ones(1, 3, 3)), ValueError,
     "conv2d: weight must have shape (C_out, C_in/groups, kH, kW), got (1, 3, 3)"),
    (lambda: tg.conv2d(X, W, groups=0), ValueError, "conv2d: groups must be a positive int, got 0"),
    (lambda: tg.conv2d(X, W, groups=True), ValueError,
     "conv2d: groups must be a positive int, got True"),
    (lambda: tg.conv2d(X, W, groups=1.0), ValueError,
     "conv2d: groups must be a positive int, got 1.0"),
    (lambda: tg.conv2d(_ones(1, 4, 4, 4), _ones(3, 2, 3, 3), groups=2), ValueError,
     "conv2d: weight has 3 output channels, not divisible by groups=2"),
    (lambda: tg.conv2d(_ones(1, 3, 4, 4), _ones(4, 2, 3, 3), groups=2), ValueError,
     "conv2d: input has 3 channels but weight (4, 2, 3, 3) with groups=2 expects 4"),
    (lambda: tg.conv2d(_ones(1, 1, 2, 3), W), ValueError,
     "conv2d: input of shape (1, 1, 2, 3) is too small for kernel (3, 3) with dilation (1, 1) "
     "and padding (0, 0); pad it or use a smaller kernel"),
    (lambda: tg.conv2d(_ones(1, 1, 3, 2), W, padding=(1, 0)), ValueError,
     "conv2d: input of shape (1, 1, 3, 2) is too small for kernel (3, 3) with dilation (1, 1) "
     "and padding (1, 0); pad it or use a smaller kernel"),
    (lambda: tg.conv2d(_ones(1, 1, 2, 4), _ones(1, 1, 3, 1)), ValueError,
     "conv2d: input of shape (1, 1, 2, 4) is too small for kernel (3, 1) with dilation (1, 1) "
     "and padding (0, 0); pad it or use a smaller kernel"),
    (lambda: tg.conv2d(X, _ones(1, 1, 2, 2), dilation=(1, 4)), ValueError,
     "conv2d: input of shape (1, 1, 4, 4) is too small for kernel (2, 2) with dilation (1, 4) "
     "and padding (0, 0); pad it or use a smaller kernel"),
    (lambda: tg.conv2d(X, _ones(2, 1, 3, 3), bias=np.ones(3)), ValueError,
     "conv2d: bias must have shape (2,), one entry per output channel, got (3,)"),
    # conv_transpose2d
    (lambda: tg.conv_transpose2d(X, W, stride=0), ValueError,
     "conv_transpose2d: stride must be at least 1, got 0"),
    (lambda: tg.conv_transpose2d(X, W, padding=(0, -1)), ValueError,
     "conv_transpose2d: padding must be at least 0, got (0, -1)"),
    (lambda: tg.conv_transpose2d(X, W, dilation=0), ValueError,
     "conv_transpose2d: dilation must be at least 1, got 0"),
    (lambda: tg.conv_transpose2d(X, W, output_padding=-1), ValueError,
     "conv_transpose2d: output_padding must be at least 0, got -1"),
    (lambda: tg.conv_transpose2d(X, W, output_padding=0.0), TypeError,
     "conv_transpose2d: output_padding must be an int or a pair of ints, got 0.0"),
    (lambda: tg.conv_transpose2d(X, W, stride=2, output_padding=(1, 2)), ValueError,
     "conv_transpose2d: output_padding (1, 2) must be smaller than stride (2, 2)"),
    (lambda: tg.conv_transpose2d(X, W, output_padding=(1, 0)), ValueError,
     "conv_transpose2d: output_padding (1, 0) must be smaller than stride (1, 1)"),
    (lambda: tg.conv_transpose2d(X, _ones(1, 3, 3)), ValueError,
     "conv_transpose2d: weight must have shape (C_in, C_out/groups, kH, kW), got (1, 3, 3)"),
    (lambda: tg.conv_transpose2d(X, W, groups=0), ValueError,
     "conv_transpose2d: groups must be a positive int, got 0"),
    (lambda: tg.conv_transpose2d(X, W, groups=False), ValueError,
     "conv_transpose2d: groups must be a positive int, got False"),
    (lambda: tg.conv_transpose2d(X, W, groups="1"), ValueError,
     "conv_transpose2d: groups must be a positive int, got '1'"),
    (lambda: tg.conv_transpose2d(_ones(1, 2, 3, 3), _ones(3, 1, 3, 3)), ValueError,
     "conv_transpose2d: input has 2 channels but weight of shape (3, 1, 3, 3) expects 3, a "
     "multiple of groups=1"),
    (lambda: tg.conv_transpose2d(_ones(1, 3, 3, 3), _ones(3, 1, 3, 3), groups=2), ValueError,
     "conv_transpose2d: input has 3 channels but weight of shape (3, 1, 3, 3) expects 3, a "
     "multiple of groups=2"),
    (lambda: tg.conv_transpose2d(_ones(1, 1, 1, 1), _ones(1, 1, 1, 1), padding=(0, 1)),
     ValueError, "conv_transpose2d: padding (0, 1) leaves no output for an input of shape "
     "(1, 1, 1, 1) and kernel (1, 1)"),
    (lambda: tg.conv_transpose2d(_ones(1, 3, 1, 1), _ones(3, 1, 1, 1), padding=(0, 1)),
     ValueError, "conv_transpose2d: padding (0, 1) leaves no output for an input of shape "
     "(1, 3, 1, 1) and kernel (1, 1)"),
    (lambda: tg.conv_transpose2d(_ones(1, 1, 1, 2), _ones(1, 1, 2, 1), padding=(1, 0)),
     ValueError, "conv_transpose2d: padding (1, 0) leaves no output for an input of shape "
     "(1, 1, 1, 2) and kernel (2, 1)"),
    (lambda: tg.conv_transpose2d(_ones(1, 2, 2, 2), _ones(2, 3, 2, 2), groups=2,
                                 bias=np.ones(3)), ValueError,
     "conv_transpose2d: bias must have shape (6,), one entry per output channel, got (3,)"),
    # max_pool2d
    (lambda: tg.max_pool2d(X, 0), ValueError, "max_pool2d: kernel_size must be at least 1, got 0"),
    (lambda: tg.max_pool2d(X, 2, stride=(0, 1)), ValueError,
     "max_pool2d: stride must be at least 1, got (0, 1)"),
    (lambda: tg.max_pool2d(X, 2, padding=-1), ValueError,
     "max_pool2d: padding must be at least 0, got -1"),
    (lambda: tg.max_pool2d(X, 2, dilation=0), ValueError,
     "max_pool2d: dilation must be at least 1, got 0"),
    (lambda: tg.max_pool2d(X, 2, stride=1.0), TypeError,
     "max_pool2d: stride must be an int or a pair of ints, got 1.0"),
    (lambda: tg.max_pool2d(X, 3, padding=(1, 2)), ValueError,
     "max_pool2d: padding (1, 2) must be at most half of kernel_size (3, 3)"),
    (lambda: tg.max_pool2d(X, (1, 3), padding=(1, 0)), ValueError,
     "max_pool2d: padding (1, 0) must be at most half of kernel_size (1, 3)"),
    (lambda: tg.max_pool2d(_ones(1, 1, 2, 3), 3), ValueError,
     "max_pool2d: input of shape (1, 1, 2, 3) is too small for kernel (3, 3) with dilation "
     "(1, 1) and padding (0, 0); pad it or use a smaller kernel"),
    (lambda: tg.max_pool2d(_ones(1, 1, 2, 2), 2, dilation=2), ValueError,
     "max_pool2d: input of shape (1, 1, 2, 2) is too small for kernel (2, 2) with dilation "
     "(2, 2) and padding (0, 0); pad it or use a smaller kernel"),
    # avg_pool2d
    (lambda: tg.avg_pool2d(X, (2, 0)), ValueError,
     "avg_pool2d: kernel_size must be at least 1, got (2, 0)"),
    (lambda: tg.avg_pool2d(X, 2, stride=0), ValueError,
     "avg_pool2d: stride must be at least 1, got 0"),
    (lambda: tg.avg_pool2d(X, 2, padding=-1), ValueError,
     "avg_pool2d: padding must be at least 0, got -1"),
    (lambda: tg.avg_pool2d(X, 2, padding=2), ValueError,
     "avg_pool2d: padding (2, 2) must be at most half of kernel_size (2, 2)"),
    (lambda: tg.avg_pool2d(_ones(1, 1, 3, 1), 2, padding=(1, 0)), ValueError,
     "avg_pool2d: input of shape (1, 1, 3, 1) is too small for kernel (2, 2) with dilation "
     "(1, 1) and padding (1, 0); pad it or use a smaller kernel"),
    # upsample
    (lambda: tg.upsample(X, 1.5), TypeError,
     "upsample: scale_factor (a whole number) must be an int or a pair of ints, got 1.5"),
    (lambda: tg.upsample(X, 0), ValueError,
     "upsample: scale_factor (a whole number) must be at least 1, got 0"),
    (lambda: tg.upsample(X, (2, 0)), ValueError,
     "upsample: scale_factor (a whole number) must be at least 1, got (2, 0)"),
]


def _ids(cases):
    """Each case's id from its message (unique, and stable when cases are added: mutmut
    keeps test ids from run to run), numbered only where a message repeats."""
    ids = [selectable_id(case[-1]) for case in cases]
    return [name if ids.count(name) == 1 else f"{name}-{ids[:i].count(name)}"
            for i, name in enumerate(ids)]


@pytest.mark.parametrize(("make", "kind", "message"), MESSAGES,
                         ids=_ids(MESSAGES))
def test_refused_arguments_are_named_word_for_word(make, kind, message):
    with pytest.raises(kind, match=f"^{re.escape(message)}$"):
        make()
