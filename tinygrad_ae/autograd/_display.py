"""How a Tensor shows itself in Jupyter: a small HTML table (shape, dtype, values, grad).

Layer: the engine's; imports numpy and the standard library only (the Tensor is read by
duck typing, so this file needs nothing of ours).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["tensor_html", "array_html"]

_MAX_SHOWN = 36   # more numbers than this are summarised by numpy's "…"


def array_html(array: Any) -> str:
    """An array as preformatted text: numpy's own printing, 4 significant digits, long
    arrays shortened.

    >>> array_html(np.array([1.0, 2.5]))
    '<pre style="margin:0">[1. , 2.5]</pre>'
    """
    text = np.array2string(np.asarray(array), precision=4, threshold=_MAX_SHOWN,
                           separator=", ", edgeitems=3)
    return f'<pre style="margin:0">{html.escape(text)}</pre>'


def tensor_html(tensor: Any) -> str:
    """A Tensor as an HTML table: its name, shape, dtype, the op that made it, its values
    and its gradient (``None`` until ``backward`` fills it).

    >>> from tinygrad_ae import Tensor
    >>> page = tensor_html(Tensor([1.0, 2.0], requires_grad=True, name="w"))
    >>> "<b>w</b>" in page and "(2,)" in page and "float64" in page and "None" in page
    True
    """
    rows = [
        ("shape", html.escape(str(tuple(tensor.shape)))),
        ("dtype", html.escape(str(tensor.dtype))),
        ("made by", html.escape(tensor.op_name or "the user (a leaf)")),
        ("requires grad", "yes" if tensor.requires_grad else "no"),
        ("value", array_html(tensor.data)),
        ("grad", "None" if tensor.grad is None else array_html(tensor.grad)),
    ]
    name = f"<b>{html.escape(tensor.name)}</b> " if tensor.name else ""
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em;vertical-align:top">{key}</th>'
        f'<td style="text-align:left">{value}</td></tr>' for key, value in rows)
    return (f'<div class="tinygrad-ae-tensor">{name}<code>Tensor</code>'
            f'<table style="border-collapse:collapse">{body}</table></div>')
