"""tinygrad_ae.autograd._fast: the fast paths give numpy's answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_ae import Tensor
from tinygrad_ae.autograd._fast import affine, sum_rows
from tinygrad_ae.nn import Linear


@given(rows=st.integers(1, 400), width=st.integers(1, 20), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_sum_rows_equals_numpys_column_sum(rows, width, seed, dtype):
    a = np.random.default_rng(seed).standard_normal((rows, width)).astype(dtype)
    got = sum_rows(a)
    assert got.dtype == dtype and got.shape == (width,)
    np.testing.assert_allclose(got, a.sum(axis=0), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-10)


def test_sum_rows_takes_the_column_path_on_a_strided_view():
    a = np.arange(600.0).reshape(300, 2)[::2]       # not contiguous, tall and skinny
    np.testing.assert_array_equal(sum_rows(a), a.sum(axis=0))


def test_a_narrow_bias_gets_the_sum_of_its_rows_gradients():
    x = Tensor(np.random.default_rng(0).standard_normal((500, 2)))
    b = Tensor(np.zeros(2), requires_grad=True)
    w = np.array([1.0, -2.0])
    ((x + b) * w).sum().backward()
    np.testing.assert_allclose(b.grad, 500 * w)


@given(rows=st.sampled_from([1, 2, 300, 1023, 1024, 2000]), n_in=st.integers(1, 3),
       n_out=st.integers(1, 6), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]), strided=st.booleans())
@example(rows=2000, n_in=1, n_out=2, seed=0, dtype=np.float32, strided=True)   # W7's decoder
@example(rows=2000, n_in=2, n_out=1, seed=0, dtype=np.float64, strided=False)  # its encoder
def test_affine_equals_numpys_expression(rows, n_in, n_out, seed, dtype, strided):
    # Column by column (narrow outputs over many rows) or not, the same numbers and dtype.
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, 2 * n_in)).astype(dtype)
    x = x[:, ::2] if strided else x[:, :n_in]             # a strided view, or a slice
    weight = rng.standard_normal((n_out, n_in)).astype(dtype)
    bias = rng.standard_normal(n_out).astype(dtype)
    got, expected = affine(x, weight, bias), x @ weight.T + bias
    assert got.dtype == dtype and got.shape == (rows, n_out)
    np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32 else 1e-14,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


def test_affine_keeps_numpys_promotion_for_mixed_dtypes():
    x = np.ones((2000, 1), dtype=np.float32)
    out = affine(x, np.ones((2, 1), dtype=np.float32), np.ones(2))   # a float64 bias
    assert out.dtype == np.float64 and np.all(out == 2.0)


def test_a_narrow_linear_layer_over_many_rows_has_the_formulas_gradients():
    # The decoder of LinearAutoencoder(2, 1) at N = 2000 takes the column-by-column path;
    # its value and every gradient are checked against the formulas written out in numpy.
    rng = np.random.default_rng(1)
    h = Tensor(rng.standard_normal((2000, 1)), requires_grad=True)
    layer = Linear(1, 2, rng=0)
    g = rng.standard_normal((2000, 2))
    out = layer(h)
    np.testing.assert_allclose(out.data, h.data @ layer.weight.data.T + layer.bias.data,
                               rtol=1e-14)
    (out * g).sum().backward()
    np.testing.assert_allclose(h.grad, g @ layer.weight.data, rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, g.T @ h.data, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("rows, n_out", [(2000, 2), (2000, 20), (3, 2)], ids=["columns", "wide",
                                                                          "short"])
def test_affine_returns_a_fresh_array_and_leaves_its_inputs_alone(rows, n_out):
    # The bias is added in place into the product's array: never into x, weight or bias.
    rng = np.random.default_rng(0)
    x, weight, bias = (rng.standard_normal((rows, 3)), rng.standard_normal((n_out, 3)),
                       rng.standard_normal(n_out))
    copies = [a.copy() for a in (x, weight, bias)]
    out = affine(x, weight, bias)
    for array, copy in zip((x, weight, bias), copies):
        np.testing.assert_array_equal(array, copy)
    assert not any(np.shares_memory(out, a) for a in (x, weight, bias))
    np.testing.assert_allclose(out, x @ weight.T + bias, rtol=1e-14)


@pytest.mark.parametrize("x, weight, bias", [
    (np.ones((4, 3, 2)), np.ones((5, 2)), np.ones(5)),                       # batched
    (np.ones((2000, 2), np.float32), np.ones((2, 2), np.float32), np.ones(2)),  # promotes
    (np.ones((2000, 2)), np.ones((1, 2)), np.ones(3)),                        # bias broadcasts
    (np.ones(2), np.ones((3, 2)), np.ones(3)),                               # one sample
    (np.ones((2000, 1), np.int64), np.ones((2, 1), np.int64), np.ones(2, np.int64)),
], ids=["batched", "mixed-dtypes", "wide-bias", "1-d", "integers"])
def test_affine_keeps_numpys_shape_and_dtype_everywhere(x, weight, bias):
    got, expected = affine(x, weight, bias), x @ weight.T + bias
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
