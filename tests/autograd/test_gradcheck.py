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
