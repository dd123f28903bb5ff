"""tinygrad_ae.autograd._fast: the fast paths give numpy's answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_ae import Tensor
from tinygrad_ae.autograd._fast import sum_rows


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
