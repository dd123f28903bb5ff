"""How a Module shows itself in Jupyter: its layers as an HTML table.

Layer: beside ``module``; imports numpy and the standard library, and reads modules
through their public methods (``named_modules``, ``named_parameters``).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["module_html"]


def module_html(module: Any) -> str:
    """A Module as an HTML table: one row per sub-module (its dotted name, type and
    settings) with the shape, size and gradient norm of each parameter it owns, and the
    total number of parameters.

    >>> from tinygrad_ae.nn import Linear, Sequential, Tanh
    >>> page = module_html(Sequential(Linear(3, 2, rng=0), Tanh()))
    >>> "Linear" in page and "0.weight" in page and "(2, 3)" in page and "8 parameters" in page
    True
    """
    owned: dict[str, list[tuple[str, Any]]] = {}
    names = [name for name, _ in module.named_modules()]
    for name, parameter in module.named_parameters():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        owner = owner if owner in names else ""
        owned.setdefault(owner, []).append((name, parameter))
    rows = []
    total = 0
    for name, sub in module.named_modules():
        extra = sub.extra_repr() if hasattr(sub, "extra_repr") else ""
        params = owned.get(name, [])
        cells = []
        for parameter_name, parameter in params:
            total += int(parameter.size)
            grad = ("–" if parameter.grad is None else
                    f"{float(np.sqrt(np.sum(np.square(parameter.grad, dtype=np.float64)))):.4g}")
            cells.append(f"<code>{html.escape(parameter_name)}</code> "
                         f"{html.escape(str(tuple(parameter.shape)))} ‖grad‖ {grad}")
        if not params and list(sub.named_children()):
            continue                       # a container: its layers have their own rows
        rows.append(
            f"<tr><td><code>{html.escape(name or '(root)')}</code></td>"
            f"<td>{html.escape(type(sub).__name__)}"
            f"{'(' + html.escape(extra) + ')' if extra else ''}</td>"
            f"<td>{'<br>'.join(cells) or '–'}</td></tr>")
    head = ('<tr><th style="text-align:left">module</th><th style="text-align:left">layer'
            '</th><th style="text-align:left">parameters</th></tr>')
    return (f'<div class="tinygrad-ae-module"><b>{html.escape(type(module).__name__)}</b>'
            f" · {total} parameters"
            f'<table style="border-collapse:collapse">{head}{"".join(rows)}</table></div>')
