"""The Jupyter HTML of a Tensor, pinned character for character: every row, its label,
the escaping, numpy's printing options (4 significant digits, more than 36 numbers
summarised with three at each end, ", " between numbers)."""

from __future__ import annotations

import numpy as np

from tinygrad_ae import Tensor
from tinygrad_ae.autograd._display import array_html, tensor_html

TH = '<tr><th style="text-align:left;padding-right:1em;vertical-align:top">'
TD = '</th><td style="text-align:left">'


def page(name_html, rows):
    body = "".join(f"{TH}{key}{TD}{value}</td></tr>" for key, value in rows)
    return (f'<div class="tinygrad-ae-tensor">{name_html}<code>Tensor</code>'
            f'<table style="border-collapse:collapse">{body}</table></div>')


def pre(text):
    return f'<pre style="margin:0">{text}</pre>'


def test_array_html_prints_four_significant_digits_with_comma_separators():
    assert array_html(np.array([1.0, 2.5])) == pre("[1. , 2.5]")
    assert array_html(np.array([1.23456789, -2.0])) == pre("[ 1.2346, -2.    ]")
    assert array_html([[1.0, 2.0], [3.0, 4.0]]) == pre("[[1., 2.],\n [3., 4.]]")


def test_array_html_shows_36_numbers_whole_and_summarises_37():
    whole = array_html(np.arange(36.0))
    assert "..." not in whole and "35." in whole and whole.count(",") == 35
    assert array_html(np.arange(37.0)) == pre("[ 0.,  1.,  2., ..., 34., 35., 36.]")


def test_array_html_escapes_the_text():
    assert array_html(np.array(["<a&b>"])) == pre("[&#x27;&lt;a&amp;b&gt;&#x27;]")


def test_a_named_leaf_without_grad_shows_every_row():
    t = Tensor([1.0, 2.0], requires_grad=True, name="w<1>")
    assert tensor_html(t) == page("<b>w&lt;1&gt;</b> ", [
        ("shape", "(2,)"), ("dtype", "float64"), ("made by", "the user (a leaf)"),
        ("requires grad", "yes"), ("value", pre("[1., 2.]")), ("grad", "None")])
    assert t._repr_html_() == tensor_html(t)


def test_an_unnamed_constant_says_no_and_a_result_names_its_op():
    c = Tensor(np.array([[1.5]], dtype=np.float32))
    assert tensor_html(c) == page("", [
        ("shape", "(1, 1)"), ("dtype", "float32"), ("made by", "the user (a leaf)"),
        ("requires grad", "no"), ("value", pre("[[1.5]]")), ("grad", "None")])
    y = Tensor(np.array([[1.5]], dtype=np.float32), requires_grad=True) * 2.0
    assert tensor_html(y) == page("", [
        ("shape", "(1, 1)"), ("dtype", "float32"), ("made by", "mul"),
        ("requires grad", "yes"), ("value", pre("[[3.]]")), ("grad", "None")])


def test_the_grad_row_shows_the_gradient_after_backward():
    w = Tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()                                  # d/dw Σ w² = 2w
    assert tensor_html(w).endswith(f"{TH}grad{TD}{pre('[ 2., -4.]')}</td></tr></table></div>")
