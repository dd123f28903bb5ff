"""The engine: accumulation, grad modes, dtypes, long chains, error messages, second order."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_ae as tg
from tinygrad_ae import Tensor, detect_anomaly, grad, no_grad, strategies


def test_gradients_accumulate_across_backward_calls():
    w = Tensor([1.0, -2.0], requires_grad=True)
    loss = (w * w).sum()          # ∂/∂w = 2w
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * (2 * w.data))
    w.zero_grad()
    assert w.grad is None


def test_backward_on_a_diamond_sums_both_paths():
    x = Tensor(3.0, requires_grad=True)
    y = x * x                      # dy/dx = 2x
    z = y * x + y                  # z = x³ + x²: dz/dx = 3x² + 2x = 33 at x = 3
    z.backward()
    assert x.grad == pytest.approx(33.0)


def test_no_grad_records_nothing_and_restores_the_mode():
    w = Tensor(2.0, requires_grad=True)
    with no_grad():
        y = w * 3
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert tg.is_grad_enabled()


def test_detach_cuts_the_graph():
    w = Tensor(2.0, requires_grad=True)
    y = (w * 3).detach() * w       # only the second factor is differentiated: d/dw = 6
    y.backward()
    assert w.grad == pytest.approx(6.0)


@pytest.mark.parametrize("data, dtype", [
    (1, np.float64), (True, np.float64), ([1, 2], np.float64), (np.arange(3), np.float64),
    (np.float32(1.5), np.float32), (np.ones(2, np.float32), np.float32), (2.5, np.float64),
])
def test_dtype_rules(data, dtype):
    assert Tensor(data).dtype == dtype


def test_float32_survives_python_scalars_and_backward():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    loss = ((w * 2.5 + 1) ** 2 / 3).sum()
    assert loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32


def test_complex_data_is_refused():
    with pytest.raises(TypeError, match="complex"):
        Tensor(np.ones(2, dtype=complex))


def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_graph_is_freed_by_reference_counting_alone():
    """No reference cycles: the last reference gone, every tensor goes, with gc off."""
    gc.disable()
    try:
        w = Tensor(np.ones(3), requires_grad=True)
        h = (w * 2).tanh()
        loss = (h * h).sum()
        loss.backward()
        refs = [weakref.ref(h), weakref.ref(loss)]
        del h, loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_numpy_arrays_mix_with_tensors_on_either_side():
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * w + np.array([1.0, 1.0])
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    np.testing.assert_array_equal(np.asarray(w), [1.0, 2.0])


def test_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_max_ties_share_the_gradient_equally():
    x = Tensor([[1.0, 5.0, 5.0], [2.0, 0.0, 7.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0, 0, 1]])


@given(shapes=strategies.broadcastable_shapes(2), data=st.data())
def test_broadcast_gradients_sum_back_to_each_input_shape(shapes, data):
    a = Tensor(data.draw(strategies.arrays(shapes[0])), requires_grad=True)
    b = Tensor(data.draw(strategies.arrays(shapes[1])), requires_grad=True)
    (a * b).sum().backward()
    # Independent truth: ∂Σ(a·b)/∂a = Σ of b over the broadcast axes.
    full = np.broadcast_shapes(a.shape, b.shape)
    expected_a = np.broadcast_to(b.data, full)
    lead = len(full) - a.ndim
    expected_a = expected_a.sum(axis=tuple(range(lead)))
    expected_a = expected_a.sum(axis=tuple(i for i, n in enumerate(a.shape) if n == 1),
                                keepdims=True)
    np.testing.assert_allclose(a.grad, expected_a.reshape(a.shape))
    assert b.grad.shape == b.shape


def test_a_broadcast_bias_gets_one_gradient_per_copy():
    """Closed form: ∂/∂b Σ_ij (x_ij + b_j) = N for each j; ∂/∂s Σ_i (x_i + s) = N."""
    b = Tensor(np.zeros(2), requires_grad=True)
    s = Tensor(0.5, requires_grad=True)
    ((Tensor(np.ones((5, 2))) + b).sum() + (np.ones(4) - s).mean()).backward()
    np.testing.assert_array_equal(b.grad, [5.0, 5.0])
    assert s.grad == -1.0


def test_hessian_vector_product_matches_closed_form():
    """f(x) = Σ x_i² x_j over i≠j... simpler: f(x) = (a·x)³; H = 6(a·x) a aᵀ."""
    a = np.array([1.0, -2.0, 0.5])
    x = Tensor([0.3, 0.1, -0.4], requires_grad=True)
    v = np.array([1.0, 2.0, 3.0])
    (g,) = grad(((x * a).sum()) ** 3, x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)
    s = a @ x.data
    np.testing.assert_allclose(hv.data, 6 * s * a * (a @ v), rtol=1e-12)


def test_grad_of_an_unused_input_is_zero_and_grad_touches_no_dot_grad():
    x = Tensor(1.0, requires_grad=True)
    y = Tensor(2.0, requires_grad=True)
    gx, gy = grad(x * 3, [x, y])
    assert gx.item() == 3.0 and gy.item() == 0.0
    assert x.grad is None and y.grad is None


def test_sigmoid_and_tanh_do_not_overflow():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        t = x.tanh()
        (s + t).sum().backward()
    np.testing.assert_allclose(s.data, [0.0, 0.5, 1.0])
    assert np.isfinite(x.grad).all()


# --- error messages, in the user's terms -------------------------------------------------

def test_shape_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_matmul_mismatch_names_both_shapes_and_axes():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply shapes \(2, 3\) and "
                                         r"\(4, 5\).*\(3\).*\(4\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_backward_on_a_non_scalar_needs_grad():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\), not a single number; pass grad="):
        (x * 2).backward()


def test_backward_grad_of_the_wrong_shape_is_refused():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but the tensor has shape"):
        (x * 2).backward(np.ones(2))


def test_backward_without_requires_grad_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).backward()


def test_reshape_and_axis_errors():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(IndexError, match=r"getitem: index .* invalid for shape \(2,\)"):
        Tensor(np.ones(2))[5]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_detect_anomaly_names_the_op_in_forward_and_backward():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="op 'log'.*forward"):
        x.log()
    y = x.sqrt()                  # fine forward; ∂/∂x = 1/(2√x) is inf at 0
    with detect_anomaly(), pytest.raises(FloatingPointError, match="backward pass of op 'sqrt'"):
        y.sum().backward()
    assert not tg.tensor.STATE.anomaly


def test_item_and_repr():
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()
    assert "requires_grad=True" in repr(Tensor(1.0, requires_grad=True, name="w"))


def test_gradcheck_refuses_central_differences_outside_the_domain():
    from tinygrad_ae import GradcheckError
    from tinygrad_ae.autograd import gradcheck

    with pytest.raises(GradcheckError, match="not finite .* left the function's domain"):
        gradcheck(lambda t: t.log(), [Tensor([5e-7], requires_grad=True)])


def test_numpy_scalar_exponent_keeps_float32():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    assert (x ** np.float64(2)).dtype == np.float32
