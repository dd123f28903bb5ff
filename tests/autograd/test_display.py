"""Tensor in Jupyter: _repr_html_ shows shape, dtype, values and grad."""

from __future__ import annotations

import numpy as np

from tinygrad_ae import Tensor


def test_a_tensor_displays_its_shape_dtype_values_and_grad():
    w = Tensor(np.array([[1.5, -2.0]], dtype=np.float32), requires_grad=True, name="w<1>")
    page = w._repr_html_()
    assert "<b>w&lt;1&gt;</b>" in page                     # names are escaped
    assert "(1, 2)" in page and "float32" in page and "1.5" in page
    assert "grad</th><td" in page and ">None<" in page
    (w * w).sum().backward()
    after = w._repr_html_()
    assert "-4." in after and "None" not in after


def test_a_large_tensor_is_summarised():
    page = Tensor(np.arange(10_000.0))._repr_html_()
    assert "…" in page or "..." in page
    assert len(page) < 2_000
