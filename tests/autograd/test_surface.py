"""Details of the Tensor surface that PyTorch cannot judge, pinned exactly: the text of
repr, numpy's conversion protocol (views and copies, dtypes), what detach keeps, and the
errors of the reductions in the user's words. (The values and gradients of every public
attribute are compared with PyTorch in test_oracle.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_ae import Tensor


@pytest.mark.parametrize("make, text", [
    (lambda: Tensor([1.0, 2.0]), "Tensor([1., 2.])"),
    (lambda: Tensor([1 / 3]), "Tensor([0.3333])"),
    (lambda: Tensor(np.float32(1.5), requires_grad=True, name="w"),
     "Tensor(1.5, name='w', requires_grad=True, op=leaf, dtype=float32)"),
    (lambda: Tensor([1.0], requires_grad=True) * 2, "Tensor([2.], requires_grad=True, op=mul)"),
    (lambda: Tensor(np.arange(30.0)), "Tensor([ 0.,  1.,  2., ..., 27., 28., 29.])"),
    (lambda: Tensor(np.arange(21.0)), "Tensor([ 0.,  1.,  2., ..., 18., 19., 20.])"),
    (lambda: Tensor(np.arange(20.0)).reshape(4, 5)[0], "Tensor([0., 1., 2., 3., 4.])"),
], ids=["plain", "four digits", "named float32 leaf", "op", "long", "just too long", "short"])
def test_repr_shows_the_value_and_only_what_is_not_default(make: Callable[[], Tensor],
                                                          text: str) -> None:
    assert repr(make()) == text


def test_numpy_conversion_views_or_copies_as_asked() -> None:
    t = Tensor([1.0, 2.0])
    assert np.shares_memory(np.asarray(t), t.data)          # a view: no copy asked
    assert not np.shares_memory(np.array(t), t.data)        # np.array copies
    as32 = np.asarray(t, dtype=np.float32)
    assert as32.dtype == np.float32 and not np.shares_memory(as32, t.data)
    copied = np.array(t, dtype=np.float64)
    assert copied.dtype == np.float64 and not np.shares_memory(copied, t.data)
    np.testing.assert_array_equal(as32, [1.0, 2.0])
    # the protocol method itself, as numpy may call it: a dtype means a new array unless
    # copy=False allows a view
    assert t.__array__(np.float32).dtype == np.float32
    assert not np.shares_memory(t.__array__(np.float64), t.data)
    assert not np.shares_memory(t.__array__(np.float64, copy=True), t.data)
    assert np.shares_memory(t.__array__(np.float64, copy=False), t.data)
    assert np.shares_memory(t.__array__(), t.data)
    assert not np.shares_memory(t.__array__(copy=True), t.data)


def test_detach_keeps_the_name_and_scope_and_nothing_of_the_graph() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    d = w.detach()
    assert d.name == "w" and d.scope == w.scope
    assert d.parents == () and d.params == {} and d.op_name is None and d.is_leaf
    assert d.requires_grad is False and d.grad is None
    assert w.scope == "" and w.params == {} and w.parents == ()   # made outside any module
    y = w * 2
    dy = y.detach()
    assert dy.parents == () and dy.op_name is None and y.op_name == "mul"


def test_astype_takes_names_and_dtypes() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.astype("float32").dtype == np.float32
    assert x.astype(np.float32).dtype == np.float32
    assert x.astype(np.dtype("float64")).dtype == np.float64


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor(np.zeros(0)).max(), "max: cannot take the maximum of an empty tensor"),
    (lambda: Tensor([1.0, 2.0]).max(axis=1), "max: axis 1 is out of range"),
    (lambda: Tensor([1.0, 2.0]).sum(axis=(0, 0)), "sum: repeated axis"),
    (lambda: Tensor(np.zeros((2, 0))).mean(axis=1), "mean: cannot average over an empty"),
    (lambda: Tensor([1.0]).softplus(beta=0), "softplus: beta must be positive, got 0"),
    (lambda: Tensor([1.0, 2.0]).mean(axis=2), "mean: axis 2 is out of range"),
    (lambda: Tensor([1.0, 2.0]).sum(axis=-2), "sum: axis -2 is out of range"),
], ids=["max empty", "max axis", "sum repeated axis", "mean empty", "softplus beta",
        "mean axis", "sum axis"])
def test_reduction_errors_name_the_method(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        call()


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "logsumexp", "var"])
def test_axis_and_dim_together_is_refused(name: str) -> None:
    with pytest.raises(TypeError, match=f"^{name}: pass axis or dim, not both$"):
        getattr(Tensor(np.zeros((2, 2))), name)(axis=0, dim=0)


def test_len_of_a_0d_tensor_and_requires_grad_on_leaves() -> None:
    with pytest.raises(TypeError, match=r"^len\(\) of a 0-d tensor$"):
        len(Tensor(1.0))
    assert len(Tensor(np.zeros((3, 2)))) == 3
    leaf = Tensor([1.0], requires_grad=True)
    assert leaf.requires_grad_(False) is leaf and not leaf.requires_grad
    with pytest.raises(RuntimeError, match=r"^requires_grad_\(False\) only works on leaves; "
                                           r"use detach\(\)$"):
        (Tensor([1.0], requires_grad=True) * 2).requires_grad_(False)


def test_max_of_one_entry_is_that_entry() -> None:
    x = Tensor([[-3.0]], requires_grad=True)
    x.max().backward()
    assert x.grad is not None and x.grad.tolist() == [[1.0]]


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor(np.zeros((2, 3))).transpose(0, 0),
     r"^transpose: axes \(0, 0\) are not a permutation of the 2 axes of shape \(2, 3\)$"),
    (lambda: Tensor(np.zeros((2, 3))).transpose(0, 1, 2),
     r"^transpose: axes \(0, 1, 2\) are not a permutation"),
    (lambda: Tensor(np.zeros(3)).broadcast_to((2, 2)),
     r"^broadcast_to: cannot broadcast shape \(3,\) to \(2, 2\)$"),
    (lambda: Tensor(np.zeros(3)).broadcast_to((1,)),
     r"^broadcast_to: cannot broadcast shape \(3,\) to \(1,\)$"),
], ids=["repeated axis", "too many axes", "incompatible", "would shrink"])
def test_shape_errors_name_the_method_and_the_shapes(call: Callable[[], Any],
                                                      message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("exponent, kept", [(2, 2), (2.0, 2), (0.5, 0.5), (-1, -1)])
def test_a_number_exponent_records_one_pow_scalar_node_with_an_exact_exponent(
        exponent: float, kept: float) -> None:
    # One node whose drawn partial is "2·x" (not the tensor power's b·a^(b−1) and ln a),
    # with an integral exponent kept as an int, so x ** 2.0 draws and computes as x ** 2.
    x = Tensor([1.5, 2.0], requires_grad=True)
    y = x ** exponent
    assert y.op_name == "pow_scalar" and y.parents == (x,)
    assert y.params["exponent"] == kept and type(y.params["exponent"]) is type(kept)
    assert (x ** Tensor(2.0)).op_name == "pow"


def test_the_constructor_takes_tensors_names_of_dtypes_and_refuses_the_rest() -> None:
    source = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    copy = Tensor(source)
    assert copy.dtype == np.float32 and copy.data.tolist() == [1.0, 2.0]
    assert not np.shares_memory(copy.data, source.data)
    assert Tensor([1, 2], dtype="float32").dtype == np.float32
    assert Tensor(source, dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match=r"^Tensor dtype must be a float type \(float32 or "
                                        r"float64\), got int64$"):
        Tensor([1.0], dtype=np.int64)
    with pytest.raises(TypeError, match="^Tensor does not support complex numbers"):
        Tensor([1j])
    with pytest.raises(TypeError, match="^Tensor needs numbers, got list with dtype <U1"):
        Tensor(["a"])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "logsumexp", "var",
                                  "std"])
def test_reductions_drop_the_reduced_axes_by_default(name: str) -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert getattr(x, name)(axis=1).shape == (2,)
    assert getattr(x, name)().shape == ()
