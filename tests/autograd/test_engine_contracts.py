"""The engine's contracts that the op tests cannot see: how ``backward`` and ``grad`` read
their arguments (seeds, grad_outputs, repeated outputs), what they say when refused, the
dtype a backward pass runs in, the order ``topological_order`` lists, ``detect_anomaly``
in both passes, and the gradient arrays a leaf ends up owning.

Expected values are worked by hand in each test (f(x) = x², so f'(x) = 2x, and so on)
or come from PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg
from tinygrad_ae import Tensor
from tinygrad_ae.autograd import registry
from tinygrad_ae.autograd.engine import backward, detect_anomaly, grad, topological_order


@pytest.fixture
def spy_op():
    """A user op y = 2x whose vjp records the cotangent it receives (a fresh array)."""
    seen: list[np.ndarray] = []
    returned: list[np.ndarray] = []
    with registry.scope():
        @tg.op("spy_double", partial="2")
        def spy_double(x):
            """out = 2x;  ∂out/∂x = 2."""
            return 2 * x

        @spy_double.vjp
        def _(g, out, x):
            seen.append(g)
            result = 2 * g
            returned.append(result)
            return (result,)

        yield spy_double, seen, returned


# --- messages: each starts with the function the user called ------------------------------
def test_backward_refusals_name_backward_and_say_what_to_do() -> None:
    with pytest.raises(RuntimeError, match=r"^backward\(\): this tensor does not require grad; "
                       r"create the parameters with Tensor\(\.\.\., requires_grad=True\) and "
                       r"compute the loss outside no_grad\(\)$"):
        Tensor([1.0, 2.0]).sum().backward()
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward\(\): the tensor has shape \(2,\), not a "
                       r"single number; pass grad= of that shape, or reduce it first"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"^backward\(\): grad has shape \(3,\) but the tensor "
                       r"has shape \(2,\); they must match$"):
        (x * 2).backward(np.ones(3))


def test_grad_refusals_name_grad_and_the_offending_argument() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match=r"^grad\(\): input 1 does not require grad; create "
                       r"it with Tensor\(\.\.\., requires_grad=True\)$"):
        grad(y.sum(), [x, Tensor(1.0)])
    with pytest.raises(RuntimeError, match=r"^grad\(\): input 0 does not require grad"):
        grad(y.sum(), [np.ones(2)])                     # not even a Tensor
    with pytest.raises(ValueError, match=r"^grad\(\): 2 outputs but 1 grad_outputs$"):
        grad([y, y], x, grad_outputs=[np.ones(2)])
    with pytest.raises(RuntimeError, match=r"^grad\(\): output of shape \(2,\) is not a single "
                       r"number; pass grad_outputs of that shape$"):
        grad(y, x)
    with pytest.raises(ValueError, match=r"^grad\(\): grad_outputs has shape \(3,\) but the "
                       r"output has shape \(2,\)$"):
        grad(y, x, grad_outputs=np.ones(3))


# --- seeds -------------------------------------------------------------------------------
def test_a_one_element_root_of_any_shape_needs_no_seed() -> None:
    # L = Σ 3x over a (1, 1) tensor: dL/dx = 3, and the default seed is exactly 1.
    x = Tensor([[2.0]], requires_grad=True)
    (x * 3.0).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])
    (g,) = grad(x * 3.0, x)
    np.testing.assert_array_equal(g.data, [[3.0]])


def test_backward_takes_the_seed_as_a_list_an_array_or_a_tensor() -> None:
    # y = x², v·y has gradient 2x·v.
    for seed in ([1.0, -2.0], np.array([1.0, -2.0]), Tensor([1.0, -2.0])):
        x = Tensor([3.0, 5.0], requires_grad=True)
        (x * x).backward(seed)
        np.testing.assert_array_equal(x.grad, [6.0, -20.0])


def test_grad_outputs_for_one_output_may_be_bare_or_in_a_list() -> None:
    # y = x², one output: grad_outputs v given bare, as an array, or wrapped in a list.
    for given in (np.array([1.0, 3.0]), [np.array([1.0, 3.0])], (Tensor([1.0, 3.0]),)):
        x = Tensor([2.0, -1.0], requires_grad=True)
        (g,) = grad(x * x, x, grad_outputs=given)
        np.testing.assert_array_equal(g.data, [4.0, -6.0])
    x = Tensor(2.0, requires_grad=True)
    (g,) = grad(x * x, x, grad_outputs=0.5)             # a bare number for a 0-d output
    assert g.item() == 2.0


def test_grad_adds_the_contributions_of_every_output_even_a_repeated_one() -> None:
    # y = x², z = x³ at x = 2: y' = 4, z' = 12.
    x = Tensor(2.0, requires_grad=True)
    y, z = x * x, x * x * x
    assert grad([y, y], x)[0].item() == 8.0
    assert grad([y, y], x, grad_outputs=[2.0, 3.0])[0].item() == 20.0
    assert grad([y, z], x, grad_outputs=[1.0, -1.0])[0].item() == -8.0
    assert grad((y, Tensor(1.0)), x)[0].item() == 4.0   # a constant output adds nothing


# --- dtypes ------------------------------------------------------------------------------
def test_a_float32_backward_pass_runs_in_float32_whatever_the_seed(spy_op) -> None:
    double, seen, _ = spy_op
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    double(x).sum().backward()
    double(x).sum().backward(np.float64(1.0))
    double(x).backward(Tensor(np.ones(2)))              # a float64 Tensor as the seed
    assert [g.dtype for g in seen] == [np.float32] * 3
    assert x.grad.dtype == np.float32


def test_a_float32_grad_pass_runs_in_float32_whatever_the_grad_outputs(spy_op) -> None:
    double, seen, _ = spy_op
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    grad(double(x), x, grad_outputs=np.ones(2))
    grad(double(x), x, grad_outputs=Tensor(np.ones(2)))
    assert [g.dtype for g in seen] == [np.float32] * 2


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("kind", ["array", "tensor"])
def test_grad_of_a_float32_graph_is_float32_whatever_the_grad_outputs(create_graph: bool,
                                                                      kind: str) -> None:
    # PyTorch casts grad_outputs to each output's dtype (float64 ones → a float32 gradient).
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    v = np.ones(2) if kind == "array" else Tensor(np.ones(2))
    (g,) = grad(x * x, x, grad_outputs=v, create_graph=create_graph)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert g.requires_grad == create_graph


def test_a_float64_gradient_reaching_a_float32_input_is_cast_back() -> None:
    # The float32 input meets a float64 constant, so the gradient arriving is float64.
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (g,) = grad((x.astype(np.float64) * np.array([3.0, 4.0])).sum(), x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [3.0, 4.0])


# --- broadcasting and reductions ---------------------------------------------------------
def test_a_reduced_gradient_is_made_whole_before_two_broadcast_inputs_share_it() -> None:
    # L = Σᵢⱼ (xᵢ + yⱼ) over a 3×4 grid: ∂L/∂xᵢ = 4, ∂L/∂yⱼ = 3.
    x = Tensor(np.zeros((3, 1)), requires_grad=True)
    y = Tensor(np.zeros((1, 4)), requires_grad=True)
    (x + y).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(y.grad, np.full((1, 4), 3.0))
    x2 = Tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    y2 = Tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    gx, gy = grad((x2 * y2).mean(), [x2, y2])          # ∂/∂xᵢ = Σⱼ yⱼ/12, ∂/∂yⱼ = Σᵢ xᵢ/12
    np.testing.assert_allclose(gx.data, np.full((3, 1), 10 / 12))
    np.testing.assert_allclose(gy.data, np.full((1, 4), 6 / 12))


def test_a_broadcast_parameter_gets_the_sum_over_every_copy() -> None:
    # L = Σ (s·x + b + c) over x of shape (2, 3, 4): ∂L/∂s = Σ x, ∂L/∂bₖ = 2·3, ∂L/∂cⱼ = 2·4;
    # and over a (5, 4) matrix, ∂/∂bₖ Σ xᵢₖ·bₖ = Σᵢ xᵢₖ (the column sums).
    x = np.arange(24.0).reshape(2, 3, 4)
    s = Tensor(2.0, requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    c = Tensor(np.zeros((3, 1)), requires_grad=True)
    (s * x + b + c).sum().backward()
    assert s.grad == x.sum()
    np.testing.assert_array_equal(b.grad, np.full(4, 6.0))
    np.testing.assert_array_equal(c.grad, np.full((3, 1), 8.0))
    m = np.arange(20.0).reshape(5, 4)
    b2 = Tensor(np.ones(4), requires_grad=True)
    s2 = Tensor(1.0, requires_grad=True)
    (Tensor(m) * b2 * s2).sum().backward()
    np.testing.assert_array_equal(b2.grad, m.sum(axis=0))
    assert s2.grad == m.sum()


def test_grad_with_respect_to_a_tensor_that_met_only_a_reduced_gradient_has_its_shape() -> None:
    # h = 2x, L = Σ h: ∂L/∂h is one number for every entry, but grad returns h's shape.
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    h = x * 2.0
    gh, gx = grad(h.sum(), [h, x])
    assert gh.shape == (2, 3) and gx.shape == (2, 3)
    np.testing.assert_array_equal(gh.data, np.ones((2, 3)))
    np.testing.assert_array_equal(gx.data, np.full((2, 3), 2.0))
    gh, gx = grad(h.sum(), [h, x], create_graph=True)   # the same, as differentiable Tensors
    assert gh.shape == (2, 3) and gx.shape == (2, 3)
    np.testing.assert_array_equal(gx.data, np.full((2, 3), 2.0))


def test_second_derivatives_through_an_op_that_hands_one_gradient_to_two_inputs() -> None:
    # f = Σ (a + b)² · 1: ∂f/∂a = ∂f/∂b = 2(a + b); the sum of both over a gives 4 per entry.
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 5.0], requires_grad=True)
    s = a + b
    ga, gb = grad((s * s).sum(), [a, b], create_graph=True)
    np.testing.assert_array_equal(ga.data, [8.0, 14.0])
    np.testing.assert_array_equal(gb.data, [8.0, 14.0])
    (hab,) = grad((ga + gb).sum(), a)
    np.testing.assert_array_equal(hab.data, [4.0, 4.0])
    c = Tensor([1.0, -1.0], requires_grad=True)
    gc1, gc2 = grad((c + c).sum(), [c, c], create_graph=True)   # one input given twice
    np.testing.assert_array_equal(gc1.data, [2.0, 2.0])


# --- topological order -------------------------------------------------------------------
def test_topological_order_of_several_roots_lists_the_first_roots_graph_first() -> None:
    a = Tensor(1.0, requires_grad=True, name="a")
    b = Tensor(2.0, requires_grad=True, name="b")
    c = Tensor(3.0, name="c")                           # data: no grad
    y1 = a * c
    y2 = b * a
    names = {id(a): "a", id(b): "b", id(c): "c", id(y1): "y1", id(y2): "y2"}
    order = [names.get(id(t), "?") for t in topological_order([y1, y2])]
    assert order == ["a", "c", "y1", "b", "y2"]
    order = [names.get(id(t), "?") for t in topological_order([y1, y2], grad_only=True)]
    assert order == ["a", "y1", "b", "y2"]
    assert [names[id(t)] for t in topological_order(y2)] == ["b", "a", "y2"]
    assert len(topological_order([y1, y1])) == 3        # a root given twice is listed once


# --- detect_anomaly ----------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_detect_anomaly_catches_an_infinite_gradient_in_backward_and_grad(
        create_graph: bool) -> None:
    # √x at 0 is 0, but its derivative 1/(2√x) is infinite.
    # With create_graph the vjp's own ops run under the forward check, which fires first.
    x = Tensor([0.0, 1.0], requires_grad=True)
    message = (r"^detect_anomaly: op 'div' produced NaN or inf in the forward pass" if create_graph
               else r"^detect_anomaly: the backward pass of op 'sqrt' produced NaN or inf in "
                    r"the gradient of an input of shape \(2,\)$")
    with detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt().sum()
        with pytest.raises(FloatingPointError, match=message):
            grad(y, x, create_graph=create_graph)
    with np.errstate(divide="ignore"):
        (g,) = grad(x.sqrt().sum(), x, create_graph=create_graph)   # outside: no check
    assert np.isinf(g.data[0]) and g.data[1] == 0.5


def test_detect_anomaly_nests_and_restores_the_outer_setting() -> None:
    x = Tensor([0.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        with detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):
            x.sqrt().sum().backward()
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()                       # off again: no error
    assert np.isinf(x.grad[0])


# --- the arrays a leaf owns --------------------------------------------------------------
def test_a_leaf_adopts_a_gradient_backward_made_for_it_alone(spy_op) -> None:
    # y = 2x and L = Σ y: the gradient 2·1 that the vjp made is x's alone, so .grad is
    # that very array (no copy); one handed on unchanged (x + 0) is adopted too.
    double, _, returned = spy_op
    x = Tensor(np.ones(3), requires_grad=True)
    double(x).backward(np.ones(3))
    assert x.grad is returned[-1]
    z = Tensor(np.ones(3), requires_grad=True)
    (double(z + 0.0)).backward(np.ones(3))
    assert z.grad is returned[-1]


def test_a_seed_handed_on_unchanged_is_copied_not_adopted() -> None:
    seed = np.array([1.0, 2.0])
    x = Tensor([0.0, 0.0], requires_grad=True)
    (x + 0.0).backward(seed)                            # add hands the seed itself to x
    assert x.grad is not seed and not np.shares_memory(x.grad, seed)
    seed[:] = 7.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_two_leaves_given_one_gradient_array_each_get_their_own(spy_op) -> None:
    # L = Σ 2(a + b): add hands the vjp's array to both a and b; each needs its own copy,
    # or the second backward would add twice into one shared array.
    double, _, _ = spy_op
    a = Tensor(np.zeros(2), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    for _ in range(2):
        double(a + b).backward(np.ones(2))
    assert not np.shares_memory(a.grad, b.grad)
    np.testing.assert_array_equal(a.grad, [4.0, 4.0])
    np.testing.assert_array_equal(b.grad, [4.0, 4.0])


def test_a_leafs_gradient_is_c_contiguous_even_when_it_arrives_transposed() -> None:
    # L = Σ (xᵀ ⊙ w): the gradient reaching x is wᵀ, a transposed (Fortran-ordered) view.
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    w = np.arange(6.0).reshape(3, 2)
    (x.T * w).sum().backward()
    np.testing.assert_array_equal(x.grad, w.T)
    assert x.grad.flags.c_contiguous and x.grad.flags.owndata


def test_backward_without_requires_grad_on_the_leaf_leaves_grad_none() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    backward((x * c).sum())                             # the function form, accumulating
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])
