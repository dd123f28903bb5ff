"""Engine semantics a user relies on without reading the code: grad modes and their
nesting, detach, grad() inside no_grad, the dtype of every gradient, and the derivative
chosen at kinks (as PyTorch chooses it, and as docs/api.md says)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import Tensor, enable_grad, grad, is_grad_enabled, no_grad
from tinygrad_ae.autograd import ops


def test_no_grad_and_enable_grad_nest_and_restore_the_outer_mode() -> None:
    w = Tensor(2.0, requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()          # the inner exit restores "off", not "on"
        assert not (w * 2).requires_grad
        with enable_grad():
            assert is_grad_enabled() and (w * 2).requires_grad
        assert not is_grad_enabled()
    assert is_grad_enabled() and (w * 2).requires_grad
    with enable_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert is_grad_enabled()


def test_detach_makes_a_leaf_that_needs_no_gradient_and_shares_the_value() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad is None
    assert np.shares_memory(d.data, y.data)
    assert not (d * w.detach()).requires_grad


def test_grad_with_create_graph_inside_no_grad_still_records() -> None:
    # As in PyTorch: create_graph asks for a differentiable result whatever the mode.
    x = Tensor([0.5, -1.0], requires_grad=True)
    y = (x ** 3).sum()
    with no_grad():
        g, = grad(y, [x], create_graph=True)
    assert g.requires_grad
    h, = grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, 6 * x.data)


@pytest.mark.parametrize("entry", ops.all_ops(), ids=lambda e: e.name)
def test_float32_inputs_get_float32_gradients_from_every_op(entry: ops.Op) -> None:
    from hypothesis import given, settings

    from tinygrad_ae import strategies

    @settings(max_examples=3)
    @given(strategies.op_inputs(entry, dtype=np.float32))
    def check(drawn: tuple[list[Tensor], dict]) -> None:
        inputs, params = drawn
        out = entry(*inputs, **params)
        if not isinstance(out, Tensor) or not out.requires_grad:
            return
        out.backward(np.ones(out.shape, dtype=out.dtype))
        for t in inputs:
            if t.requires_grad:
                assert t.grad is not None and t.grad.dtype == t.data.dtype, entry.name

    check()


def test_astype_sends_the_gradient_back_in_the_input_dtype() -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_relu_and_abs_have_derivative_zero_at_zero() -> None:
    x = Tensor([0.0, 1.5, -1.5], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
    x.zero_grad()
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, -1.0])


def test_max_shares_the_gradient_evenly_among_ties() -> None:
    x = Tensor([[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    x.zero_grad()
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.0, 0.0], [0.0, 0.5, 0.5]])


def test_reflected_operators_keep_the_operand_order() -> None:
    x = Tensor([0.5, 2.0, 4.0], requires_grad=True)
    np.testing.assert_allclose((2 / x).data, [4.0, 1.0, 0.5])
    np.testing.assert_allclose((2 - x).data, [1.5, 0.0, -2.0])
    np.testing.assert_allclose((2 ** x).data, 2 ** x.data)
    np.testing.assert_allclose((x ** 0.5).data, np.sqrt(x.data))
    (2 / x).sum().backward()
    np.testing.assert_allclose(x.grad, -2 / x.data ** 2)
    x.zero_grad()
    (x ** 0.5).sum().backward()
    np.testing.assert_allclose(x.grad, 0.5 / np.sqrt(x.data))


def test_mean_over_several_axes_divides_by_their_product() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    m = x.mean(axis=(0, 2))
    np.testing.assert_allclose(m.data, x.data.mean(axis=(0, 2)))
    m.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3, 4), 1 / 8))


def test_clip_passes_the_gradient_at_its_bounds_and_stops_it_outside() -> None:
    # PyTorch's clamp: ∂/∂x = 1 for min ≤ x ≤ max, bounds included; 0 outside.
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    x.zero_grad()
    x.clip(min=0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0, 1.0, 1.0])


def test_maximum_and_minimum_split_a_tie_in_half_and_min_shares_ties() -> None:
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    (a.maximum(b) + a.minimum(b) * 10).sum().backward()
    np.testing.assert_allclose(a.grad, [10.0, 5.5, 1.0])
    np.testing.assert_allclose(b.grad, [1.0, 5.5, 10.0])
    x = Tensor([[1.0, 1.0, 4.0]], requires_grad=True)
    x.min(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0]])


def test_a_mode_is_restored_when_its_block_raises() -> None:
    for outer, inner in ((enable_grad, no_grad), (no_grad, enable_grad)):
        with outer():
            expected = is_grad_enabled()
            with pytest.raises(KeyError):
                with inner():
                    raise KeyError("inside")
            assert is_grad_enabled() == expected
    assert is_grad_enabled()


def test_backward_inside_no_grad_still_runs_on_the_recorded_graph() -> None:
    # As in PyTorch: no_grad stops recording, not differentiating what was recorded.
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    with no_grad():
        y.backward()
    np.testing.assert_allclose(x.grad, [2.0, -4.0])


def test_grad_without_create_graph_gives_constants_and_with_it_records() -> None:
    x = Tensor([0.5, 1.5], requires_grad=True)
    y = (x ** 3).sum()
    g, = grad(y, [x])
    assert not g.requires_grad and g.is_leaf
    g2, = grad((x ** 3).sum(), [x], create_graph=True)
    assert g2.requires_grad and not g2.is_leaf


def test_grad_with_respect_to_an_intermediate_tensor() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    g_h, = grad(y, [h])
    np.testing.assert_allclose(g_h.data, 2 * h.data)


@pytest.mark.parametrize("constant", [np.array([2.0, 3.0]), 2.0, Tensor([2.0, 3.0])],
                         ids=["float64 array", "number", "float64 tensor"])
def test_a_float32_leaf_gets_a_float32_gradient_whatever_it_meets(constant: object) -> None:
    x = Tensor(np.array([1.0, 4.0], dtype=np.float32), requires_grad=True)
    (x * constant + constant / (x + 1)).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32 and x.grad.shape == (2,)


def test_a_float32_root_accepts_a_float64_seed_and_keeps_float32() -> None:
    x = Tensor(np.array([1.0, 4.0], dtype=np.float32), requires_grad=True)
    (x * 2).backward(np.array([1.0, 0.5]))
    assert x.grad is not None and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 1.0])


def test_a_tensor_used_twice_in_one_op_gets_both_gradients() -> None:
    x = Tensor([3.0], requires_grad=True)
    (x * x - x / x).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])


def test_requires_grad_false_on_a_non_leaf_is_refused() -> None:
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only works on leaves; use detach"):
        y.requires_grad_(False)
    leaf = Tensor([1.0])
    assert leaf.requires_grad_() is leaf and leaf.requires_grad


def test_clip_with_tensor_bounds_gives_a_tie_to_the_input_as_number_bounds_do() -> None:
    x = Tensor([0.0, -3.0, 3.0, 1.0], requires_grad=True)
    lo = Tensor([0.0, -1.0, -1.0, 0.0], requires_grad=True)
    hi = Tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    x.clip(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0, 1.0])   # PyTorch's clamp
    np.testing.assert_array_equal(lo.grad, [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad, [0.0, 0.0, 1.0, 0.0])


def test_std_of_equal_entries_has_gradient_zero() -> None:
    # The formula (x − mean)/((n − ddof)·std) is 0/0 there; PyTorch's convention is 0.
    x = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
