"""check_op and check_module: every built-in op passes, and each kind of wrong vjp is
caught with a counterexample of a few numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import tinygrad_ae as tg
from tinygrad_ae import nn, strategies
from tinygrad_ae.autograd import ops
from tinygrad_ae.autograd.ops import value
from tinygrad_ae.testing import OpCheckError, check_module, check_op

# A counterexample "of a few numbers": hypothesis shrinks the shapes as well as the values.
SMALL = 4


@pytest.fixture(autouse=True)
def _no_leaked_ops():
    with tg.registry.scope():
        yield


# Findings of check_op in ops owned elsewhere, kept visible until fixed (strict: a fix
# turns the xfail into a failure that asks for the entry to be removed).
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("op", [
    pytest.param(op, marks=pytest.mark.xfail(reason=KNOWN[op.name], raises=OpCheckError,
                                             strict=True)) if op.name in KNOWN else op
    for op in ops.all_ops()], ids=lambda op: op.name)
def test_every_builtin_op_passes(op):
    report = check_op(op, max_examples=8)
    assert "first derivative" in report.checks and "second derivative" in report.checks


def _mul_like(name, vjp, partial=("{b}", "{a}")):
    @tg.op(name, partial=partial)
    def forward(a, b):
        return a * b

    forward.vjp(vjp)
    return forward


def _fails(op, check, **kwargs):
    with pytest.raises(OpCheckError) as info:
        check_op(op, max_examples=40, **kwargs)
    found = info.value.counterexample
    assert found.check in ((check,) if isinstance(check, str) else check), str(info.value)
    assert found.size <= SMALL, str(info.value)
    return info.value


def test_a_wrong_sign_is_caught():
    op = _mul_like("mul_wrong_sign", lambda g, out, a, b: (g * b, -g * a))
    error = _fails(op, "first derivative")
    assert error.counterexample.input_name == "b"
    assert "worst entry" in str(error) and "expected ∂L/∂b" in str(error)


def test_a_wrong_factor_is_caught():
    @tg.op("square_wrong_factor", partial="2·{x}")
    def square(x):
        return x * x

    @square.vjp
    def _(g, out, x):
        return (g * x,)

    error = _fails(square, "first derivative")
    found = error.counterexample
    np.testing.assert_allclose(found.expected, 2 * found.actual, rtol=1e-6)


def test_a_missing_broadcast_reduction_is_caught():
    """out[i, j] = x[i] + y[j]: the vjp must sum g over j for x and over i for y."""
    @tg.op("outer_add", partial=("1", "1"), kind="outer")
    def outer_add(x, y):
        return x[:, None] + y[None, :]

    @outer_add.vjp
    def _(g, out, x, y):
        return g, g                       # should be g.sum(axis=1), g.sum(axis=0)

    vectors = st.tuples(strategies.arrays(strategies.shapes(1, 1)),
                        strategies.arrays(strategies.shapes(1, 1)))
    # Summed over the wrong axis by the engine (a wrong value) or not reducible at all.
    error = _fails(outer_add, ("first derivative", "shape"), inputs=vectors)
    assert "outer_add" in str(error)


def test_exact_shapes_demand_the_reduction_in_the_vjp():
    op = _mul_like("mul_unreduced", lambda g, out, a, b: (g * b, g * a))
    assert check_op(op, max_examples=10)        # the engine sums broadcast gradients back
    error = _fails(op, "shape", exact_shapes=True)
    assert "sum it over the axes" in str(error)


def test_a_vjp_right_only_at_first_order_is_caught():
    @tg.op("cube_detached", partial="3·{x}²")
    def cube(x):
        return x ** 3

    @cube.vjp
    def _(g, out, x):
        return (g * 3 * value(x) ** 2,)   # value(): the engine cannot differentiate it again

    _fails(cube, "second derivative")
    assert check_op(cube, max_examples=10, second_order=False)


def test_a_wrong_dtype_is_caught():
    @tg.op("tanh_float64", partial="1 − {out}²")
    def tanh(x):
        return np.tanh(x)

    @tanh.vjp
    def _(g, out, x):
        return ((g * (1 - out * out)).astype(np.float64),)

    error = _fails(tanh, "dtype")
    assert "float64" in str(error)


def test_a_wrong_partial_is_caught():
    @tg.op("tanh_wrong_partial", partial="1 − {x}²")     # should be 1 − out²
    def tanh(x):
        return np.tanh(x)

    @tanh.vjp
    def _(g, out, x):
        return (g * (1 - out * out),)

    error = _fails(tanh, "partial")
    assert "1 − {x}²" in str(error)


def test_a_vjp_that_cannot_take_a_broadcast_g_is_caught():
    @tg.op("tanh_reshapes_g", partial="1 − {out}²")
    def tanh(x):
        return np.tanh(x)

    @tanh.vjp
    def _(g, out, x):
        return (g.reshape(out.shape) * (1 - out * out),)

    _fails(tanh, "sum")


def test_a_numpy_only_vjp_skips_the_second_order_check_with_a_note():
    @tg.op("sin_numpy", partial="cos({x})")
    def sin(x):
        return np.sin(x)

    @sin.vjp
    def _(g, out, x):
        return (g * np.cos(x),)

    report = check_op(sin, max_examples=10)
    assert "second derivative" in report.skipped and "partial" in report.checks
    with pytest.raises(OpCheckError, match="does not run on Tensors"):
        check_op(sin, max_examples=5, second_order=True)


def test_a_failure_is_drawn_with_the_wrong_edge_in_red(tmp_path):
    op = _mul_like("mul_drawn", lambda g, out, a, b: (g * b, -g * a))
    with pytest.raises(OpCheckError) as info:
        check_op(op, max_examples=20, draw=tmp_path / "failure")
    picture = info.value.picture
    assert picture is not None and picture.exists()
    dot = (tmp_path / "failure.dot").read_text() if picture.suffix == ".svg" and (
        tmp_path / "failure.dot").exists() else picture.read_text()
    assert "#d62728" in dot or "d62728" in dot


def test_shapes_and_params_drive_a_custom_op():
    @tg.op("scaled_matmul", partial=("{b}ᵀ·{scale}", "{a}ᵀ·{scale}"), kind="scaled")
    def scaled_matmul(a, b, *, scale):
        return (a @ b) * scale

    @scaled_matmul.vjp
    def _(g, out, a, b, scale):
        return (g @ b.T) * scale, (a.T @ g) * scale

    report = check_op(scaled_matmul, shapes=[(2, 3), (3, 2)], params={"scale": 0.5},
                      max_examples=5)
    assert report.examples == 5
    with pytest.raises(TypeError, match="no input strategy for ops of kind 'scaled'"):
        check_op(scaled_matmul)
    with pytest.raises(ValueError, match="takes 2 input"):
        check_op(scaled_matmul, shapes=[(2, 3)])


def test_check_op_rejects_what_is_not_an_op():
    with pytest.raises(TypeError, match="expected an op"):
        check_op(np.tanh)


def test_check_module_passes_a_linear_layer_and_an_mlp():
    assert check_module(nn.Linear(3, 2, rng=0), (2, 3), max_examples=3) == 3
    mlp = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    assert check_module(mlp, x=np.ones((2, 2))) == 1


def test_check_module_names_the_parameter_with_a_wrong_gradient():
    @tg.op("tanh_wrong_for_module", partial="1 − {out}²")
    def tanh(x):
        return np.tanh(x)

    @tanh.vjp
    def _(g, out, x):
        return (g * (1 + out * out),)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2, rng=0)

        def forward(self, x):
            return tanh(self.inner(x))

    layer = Layer()
    dtype_before = layer.inner.weight.dtype
    with pytest.raises(OpCheckError, match="gradient of '(x|inner.weight|inner.bias)'"):
        check_module(layer, (1, 2), max_examples=5)
    assert layer.inner.weight.dtype == dtype_before and layer.training


def test_softplus_partial_covers_its_linear_branch():
    # check_op found softplus's partial written as σ(βx) alone; past the threshold the op
    # is x itself, with slope 1, and the drawings must say so.
    from tinygrad_ae.testing._partials import evaluate_partial

    entry = ops.REGISTRY["softplus"]
    x = np.array([-3.0, 0.5, 2.0])
    params = {"beta": 1.0, "threshold": 1.0}    # 2.0 lies past the threshold
    value = evaluate_partial(entry.partial[0], 0,
                             {"x": x, "out": entry.forward(x, **params)}, params)
    assert value is not None
    np.testing.assert_allclose(value, [1 / (1 + np.exp(3.0)), 1 / (1 + np.exp(-0.5)), 1.0])
