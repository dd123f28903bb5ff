"""The checkers checked: gradcheck and gradgradcheck must catch the errors they exist for.

A function with a known wrong gradient is built without touching the engine:
``x - x.detach()`` is zero in the forward pass (the detached copy shares x's array, so
finite differences never see it), yet its derivative with respect to x is one. Adding
``c * (x - x.detach())`` leaves every value unchanged and adds exactly ``c`` to the
reverse-mode gradient, so the error is known entry by entry.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae import GradcheckError, Tensor, gradcheck, gradgradcheck


def _ghost(x: Tensor) -> Tensor:
    """Zero in value, with ∂/∂x = 1 in reverse mode."""
    return x - x.detach()


def test_a_correct_gradient_passes() -> None:
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), [x])
    assert gradgradcheck(lambda t: (t * t * t).sum(), [x])


def test_a_single_wrong_entry_fails_and_is_located() -> None:
    x = Tensor([0.3, -1.2, 2.0, 0.7], requires_grad=True)
    error = np.array([0.0, 0.0, 1e-3, 0.0])   # 10x the tolerance, at index 2 only

    def wrong(t: Tensor) -> Tensor:
        return (t * t).sum() + (_ghost(t) * error).sum()

    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong, [x])
    assert caught.value.index == (2,) and caught.value.input_index == 0
    assert caught.value.analytic - caught.value.numeric == pytest.approx(1e-3, rel=1e-3)
    assert gradcheck(wrong, [x], raise_exception=False) is False


def test_an_error_that_cancels_under_a_plain_sum_is_caught() -> None:
    # out_0 gets +∂/∂x_0 and out_1 gets −∂/∂x_0: with the cotangent (1, 1, 1) the two
    # errors cancel; a random cotangent sees them.
    x = Tensor([0.3, -1.2, 2.0], requires_grad=True)
    mix = np.array([1.0, -1.0, 0.0])

    def wrong(t: Tensor) -> Tensor:
        return t * t + _ghost(t[0]) * mix

    ones_blind = (wrong(x) * 1.0).sum()
    ones_blind.backward()
    assert x.grad is not None and np.allclose(x.grad, 2 * x.data)   # blind under Σ
    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong, [x])
    assert caught.value.index == (0,)


def test_gradcheck_checks_every_input() -> None:
    a = Tensor([0.5, 1.5], requires_grad=True)
    b = Tensor([2.0, -0.5], requires_grad=True)

    def wrong_in_b(p: Tensor, q: Tensor) -> Tensor:
        return (p * q).sum() + (_ghost(q) * np.array([0.0, 1.0])).sum()

    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong_in_b, [a, b])
    assert caught.value.input_index == 1 and caught.value.index == (1,)


def test_a_wrong_second_derivative_with_a_right_first_fails() -> None:
    # ½·k·(x − x̄)² adds nothing to the value and nothing to the first derivative at the
    # point (it is k·(x − x̄) = 0 there), but k to the second derivative.
    x = Tensor([0.4, -0.9], requires_grad=True)

    def wrong(t: Tensor) -> Tensor:
        return (t * t * t).sum() + 0.5 * (_ghost(t) ** 2 * np.array([0.0, 0.01])).sum()

    assert gradcheck(wrong, [x])
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(wrong, [x])
    assert caught.value.index == (1,)


def test_a_second_derivative_error_invisible_to_unit_weights_is_caught() -> None:
    # A Hessian error E = k·[[1, −1], [−1, 1]] has E·(1, 1) = 0: projecting the first
    # gradient on ones would miss it; gradgradcheck projects on random weights.
    x = Tensor([0.4, -0.9], requires_grad=True)

    def wrong(t: Tensor) -> Tensor:
        d = _ghost(t)
        return (t * t * t).sum() + 0.005 * (d[0] - d[1]) ** 2

    hessian_times_ones = Tensor(np.zeros(2))
    from tinygrad_ae import grad
    g, = grad(wrong(x), [x], create_graph=True)
    hessian_times_ones, = grad(g.sum(), [x])
    assert np.allclose(hessian_times_ones.data, 6 * x.data)          # blind with ones
    with pytest.raises(GradcheckError):
        gradgradcheck(wrong, [x])


def test_the_tolerance_is_atol_plus_rtol_times_the_numeric_value() -> None:
    # An error of 0.9 tolerance passes, 1.1 tolerances fails, for atol and rtol alike.
    x = Tensor([2.0], requires_grad=True)            # d(x²)/dx = 4 at x = 2

    def off_by(error: float):
        return lambda t: (t * t).sum() + (_ghost(t) * error).sum()

    assert gradcheck(off_by(0.9e-3), [x], atol=1e-3, rtol=0.0)
    assert not gradcheck(off_by(1.1e-3), [x], atol=1e-3, rtol=0.0, raise_exception=False)
    assert gradcheck(off_by(0.9 * 4e-3), [x], atol=0.0, rtol=1e-3)
    assert not gradcheck(off_by(1.1 * 4e-3), [x], atol=0.0, rtol=1e-3, raise_exception=False)


def test_inputs_may_be_one_tensor_arrays_or_numbers_and_are_checked_in_float64() -> None:
    assert gradcheck(lambda t: (t * t * t).sum(), Tensor([0.3, -0.7], requires_grad=True))
    assert gradcheck(lambda a, b: (a * b).sum(), [np.array([1.0, 2.0]), 3.0])
    # float32 inputs are copied to float64: central differences with h = 1e-6 would be
    # pure rounding in float32
    x32 = Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    assert gradcheck(lambda t: (t * t).tanh().sum(), [x32])
    assert x32.dtype == np.float32 and x32.grad is None    # the caller's tensor is untouched


def test_only_the_inputs_that_require_grad_are_checked_unless_none_does() -> None:
    a = Tensor([0.5, 1.5], requires_grad=True)
    frozen = Tensor([2.0, -0.5])                       # wrong gradient, but not checked

    def wrong_in_frozen(p: Tensor, q: Tensor) -> Tensor:
        return (p * q).sum() + (_ghost(q) * 1.0).sum()

    assert gradcheck(wrong_in_frozen, [a, frozen])
    with pytest.raises(GradcheckError) as caught:      # none requires grad: all are checked
        gradcheck(wrong_in_frozen, [Tensor([0.5, 1.5]), Tensor([2.0, -0.5])])
    assert caught.value.input_index == 1


def test_a_non_finite_gradient_fails_and_so_does_a_non_tensor_result() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)

    def infinite_gradient(t: Tensor) -> Tensor:
        # √(x − x̄) is 0 in value, but its reverse-mode derivative is 1/(2·0) = inf
        return (t * t).sum() + _ghost(t)[1].sqrt()

    with np.errstate(divide="ignore"):
        with pytest.raises(GradcheckError, match="wrong at index \\(1,\\)") as caught:
            gradcheck(infinite_gradient, [x])
        assert caught.value.index == (1,) and caught.value.numeric == pytest.approx(4.0)
        assert gradcheck(infinite_gradient, [x], raise_exception=False) is False
    with pytest.raises(TypeError, match="fn must return a Tensor, got float"):
        gradcheck(lambda t: 1.0, [x])


def test_leaving_the_domain_is_reported_or_returned() -> None:
    x = Tensor([5e-7], requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0 are not finite at index \\(0,\\)") as caught:
        gradcheck(lambda t: t.log(), [x])
    assert caught.value.index == (0,) and caught.value.input_index == 0
    assert np.isnan(caught.value.numeric) and caught.value.analytic == pytest.approx(2e6)
    assert gradcheck(lambda t: t.log(), [x], raise_exception=False) is False


def test_eps_is_the_step_used() -> None:
    # √x at 5e-7: the default step 1e-6 leaves the domain, a step of 1e-9 does not.
    x = Tensor([5e-7], requires_grad=True)
    with pytest.raises(GradcheckError, match="not finite"):
        gradcheck(lambda t: t.sqrt(), [x])
    assert gradcheck(lambda t: t.sqrt(), [x], eps=1e-9)


def test_an_error_exactly_at_the_tolerance_passes() -> None:
    # f = x at 0 with a step of 2⁻²⁰: the central difference is exactly 1, the reverse
    # mode exactly 1.5, so |analytic − numeric| = 0.5 = atol to the last bit.
    x = Tensor([0.0], requires_grad=True)
    off_by_half = lambda t: t.sum() + (_ghost(t) * 0.5).sum()  # noqa: E731
    assert gradcheck(off_by_half, [x], eps=2.0 ** -20, atol=0.5, rtol=0.0)
    assert not gradcheck(off_by_half, [x], eps=2.0 ** -20, atol=0.4999, rtol=0.0,
                         raise_exception=False)


def test_gradgradcheck_passes_its_settings_on() -> None:
    x = Tensor([0.4, -0.9], requires_grad=True)

    def wrong(t: Tensor) -> Tensor:
        return (t * t * t).sum() + 0.5 * (_ghost(t) ** 2 * np.array([0.0, 0.01])).sum()

    assert gradgradcheck(wrong, [x], raise_exception=False) is False
    assert gradgradcheck(wrong, [x], atol=0.02)                 # the error is 0.01
    assert gradgradcheck(lambda t: (t * t * t).sum(), [x], eps=1e-5)


def test_numerical_gradient_is_a_central_difference() -> None:
    from tinygrad_ae.autograd.gradcheck import numerical_gradient

    x = Tensor([1.0, 2.0])
    # f = Σ x³: a one-sided difference would be off by 3h·x; the central one by h²
    numeric = numerical_gradient(lambda t: (t ** 3).sum(), [x], 0, eps=1e-3)
    np.testing.assert_allclose(numeric, 3 * x.data ** 2, rtol=1e-6)
    # the default step is 1e-6: truncation 1e-12, rounding ~1e-10
    numeric = numerical_gradient(lambda t: (t ** 3).sum(), [x], 0)
    np.testing.assert_allclose(numeric, 3 * x.data ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])          # every entry restored


def test_an_array_beside_a_tensor_is_checked_too() -> None:
    # Arrays and numbers are inputs to check; only a Tensor can say it needs no gradient.
    a = Tensor([0.5, 1.5], requires_grad=True)

    def wrong_in_the_array(p: Tensor, q: Tensor) -> Tensor:
        return (p * q).sum() + (_ghost(q) * 1.0).sum()

    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong_in_the_array, [a, np.array([2.0, -0.5])])
    assert caught.value.input_index == 1


def test_gradgradcheck_sees_a_wrong_second_derivative_in_any_input() -> None:
    # Only ∂²/∂a² is wrong: the projection must include a's gradient, not just the last.
    a = Tensor([0.4, -0.9], requires_grad=True)
    b = Tensor([0.7, 0.2], requires_grad=True)

    def wrong_in_a(p: Tensor, q: Tensor) -> Tensor:
        return (p * p * q).sum() + 0.5 * (_ghost(p) ** 2 * np.array([0.0, 0.01])).sum()

    assert gradcheck(wrong_in_a, [a, b])
    with pytest.raises(GradcheckError):
        gradgradcheck(wrong_in_a, [a, b])
