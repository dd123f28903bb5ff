"""chain_rule: a derivative written as the sum over paths of products of local partials.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import Tensor

from ._format import MAX_PATHS, _fmt, _fmt_signed_sum, _format_array, _latex_name, _latex_ops
from ._index import _GraphIndex, _vjp_input

# --- chain_rule ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Edge:
    """One edge of the graph, from ``source`` (an input) into the op that made ``target``:
    its ``input_index`` among that op's inputs, and the symbolic local partial
    ∂target/∂source in the tensors' names.

    >>> from tinygrad_ae import Tensor
    >>> a, b = Tensor(2.0, requires_grad=True, name="a"), Tensor(5.0, name="b")
    >>> c = a * b
    >>> c.name = "c"
    >>> print(chain_rule(c, "a").paths[0][0])
    ∂c/∂a = b
    """

    source: Tensor
    target: Tensor
    input_index: int
    source_name: str
    target_name: str
    partial: str

    def __str__(self) -> str:
        return f"∂{self.target_name}/∂{self.source_name} = {self.partial}"


@dataclass(frozen=True, eq=False)
class ChainTerm:
    """One path from ``wrt`` up to the root: one term of the chain-rule sum.

    ``derivatives`` are the factors ∂A/∂B between consecutive *named* tensors on the path
    (root first); ``factors`` each one's product of local partials, with factors of 1
    left out; ``edges`` the path's edges from ``wrt`` upward; ``value`` its contribution.

    >>> from tinygrad_ae import Tensor
    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x
    >>> y.name = "y"
    >>> [str(term) + " = " + term.factors[0] for term in chain_rule(y, "x").terms]
    ['∂y/∂x = x', '∂y/∂x = x']
    """

    edges: tuple[Edge, ...]
    derivatives: tuple[str, ...]
    factors: tuple[str, ...]
    latex_derivatives: tuple[str, ...]
    latex_factors: tuple[str, ...]
    value: float | np.ndarray

    @property
    def product(self) -> str:
        """The symbolic product of the path's local partials (``(…) · w3 · x1``)."""
        return _product(self.factors, " · ")

    def __str__(self) -> str:
        return " · ".join(self.derivatives)


def _top_level(text: str, tokens: tuple[str, ...]) -> bool:
    """Whether any of ``tokens`` occurs in ``text`` outside brackets."""
    depth = 0
    for n, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and any(text.startswith(token, n) for token in tokens):
            return True
    return False


def _product(factors: Iterable[str], joiner: str, latex: bool = False) -> str:
    """``a · b · c`` from local partials: factors of 1 left out, factors of −1 turned
    into one sign in front, sums and later negative factors in parentheses."""
    minus = "-" if latex else "−"
    negative = False
    kept: list[str] = []
    for factor in factors:
        if factor in ("−1", "-1"):
            negative = not negative
        elif factor != "1":
            kept.append(factor)
    if not kept:
        return f"{minus}1" if negative else "1"
    if negative and kept[0].startswith(minus) and not _top_level(kept[0][1:], (" + ", " − ",
                                                                               " - ")):
        negative, kept[0] = False, kept[0][1:]
    grouped = []
    for n, factor in enumerate(kept):
        loose = len(kept) > 1 and _top_level(factor, (" + ", " − ", " - ", joiner))
        if loose or (n > 0 and factor.startswith(minus)) or (
                negative and n == 0 and factor.startswith(minus)):
            factor = f"({factor})"
        grouped.append(factor)
    return (minus if negative else "") + joiner.join(grouped)


def _is_unit(partial: str) -> bool:
    """``1`` and the shape-only ``1 (reshape)``: left out of a product."""
    return partial in ("1", "1/1") or partial.startswith("1 (")


@dataclass(frozen=True, eq=False)
class ChainRule:
    """∂root/∂wrt as a sum over the paths from ``wrt`` to ``root`` of products of local
    partials (see :func:`chain_rule`).

    ``terms`` (one :class:`ChainTerm` per path), ``paths`` (each a list of :class:`Edge`
    from ``wrt`` upward), ``path_values`` (each path's contribution), ``value`` (their
    sum: the gradient), ``latex`` and ``str()``.

    >>> from tinygrad_ae import Tensor
    >>> a = Tensor(2.0, requires_grad=True, name="a")
    >>> b = a * 3
    >>> b.name = "b"
    >>> rule = chain_rule(b, a)
    >>> rule.value, rule.path_values
    (3.0, [3.0])
    """

    root_name: str
    wrt_name: str
    terms: tuple[ChainTerm, ...]
    value: float | np.ndarray
    latex_root: str
    latex_wrt: str
    vector_note: bool

    @property
    def paths(self) -> list[list[Edge]]:
        """Each path as its list of edges, from ``wrt`` up to the root."""
        return [list(term.edges) for term in self.terms]

    @property
    def path_values(self) -> list[float | np.ndarray]:
        """Each path's contribution to :attr:`value`."""
        return [term.value for term in self.terms]

    def _lhs(self) -> str:
        return f"∂{self.root_name}/∂{self.wrt_name}"

    def __str__(self) -> str:
        lhs = self._lhs()
        if not self.terms:
            return f"{lhs} = 0   ({self.root_name} does not depend on {self.wrt_name})"
        pad = " " * len(lhs)
        right_sides = [[t.product for t in self.terms]]
        if any(len(t.derivatives) > 1 for t in self.terms):
            # The named stretches of each path, when there are any to name.
            right_sides.insert(0, [str(t) for t in self.terms])
        if len(self.terms) > 1:
            right_sides.append([_fmt_signed_sum([_format_value(t.value) for t in self.terms])])
        right_sides.append([_fmt_signed_sum([_format_value(self.value)])])
        # Each step once: ∂y/∂w = ∂y/∂w (a single edge) or a repeated line says nothing.
        kept: list[list[str]] = []
        for right in right_sides:
            if right != [lhs] and (not kept or right != kept[-1]):
                kept.append(right)
        lines = [_sum_lines(lhs if n == 0 else pad, right) for n, right in enumerate(kept)]
        if self.vector_note:
            lines.append(f"{pad}   (vectors multiply entry by entry; broadcast axes are "
                         f"summed)")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        """Jupyter: the derivation typeset (see :attr:`latex`)."""
        return f"$${self.latex}$$"

    @property
    def latex(self) -> str:
        """The same derivation as LaTeX source (an ``aligned`` environment)."""
        lhs = rf"\frac{{\partial {self.latex_root}}}{{\partial {self.latex_wrt}}}"
        if not self.terms:
            return f"{lhs} = 0"
        symbolic = " + ".join(
            r"\,".join(term.latex_derivatives) for term in self.terms
        )
        factors = " + ".join(_product(term.latex_factors, r" \cdot ", latex=True)
                             for term in self.terms).replace("+ -", "- ")
        numbers = _fmt_signed_sum([_format_value(t.value) for t in self.terms]).replace("−", "-")
        lines = [rf"&= {factors}"]
        if any(len(t.derivatives) > 1 for t in self.terms):
            lines.insert(0, rf"&= {symbolic}")
        lines[0] = lhs + " " + lines[0]
        if len(self.terms) > 1:
            lines.append(rf"&= {numbers}")
        lines.append(rf"&= {_format_value(self.value)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _format_value(value: Any) -> str:
    array = np.asarray(value)
    if array.size == 1:
        return _fmt(array.reshape(()))
    return _format_array(array, 6)


def _sum_lines(lhs: str, terms: list[str]) -> str:
    """``lhs = a + b − c`` on one line, or one term per line when that would be long."""
    signed = [("−", t[1:]) if t.startswith("−") and not _top_level(t[1:], (" + ", " − "))
              else ("+", t) for t in terms]
    first = ("−" if signed[0][0] == "−" else "") + signed[0][1]
    one_line = f"{lhs} = {first}" + "".join(f" {sign} {t}" for sign, t in signed[1:])
    if len(one_line) <= 96:
        return one_line
    pad = " " * len(lhs)
    return f"{lhs} = {first}" + "".join(f"\n{pad} {sign} {t}" for sign, t in signed[1:])


def chain_rule(root: Tensor, wrt: Tensor | str, max_paths: int = MAX_PATHS,
               names: Any = None) -> ChainRule:
    """∂root/∂wrt written as the chain rule: a sum over every path from ``wrt`` to
    ``root``, each term the product of the local partials along it.

    The text names each factor ∂A/∂B between consecutive *named* tensors on the path
    (unnamed intermediates are folded in, and written as short expressions such as
    ``x1 − x̂1``), then the symbolic product of the registered local partials with the
    factors equal to 1 left out, then each path's number and the sum. ``value`` is exact:
    each path's contribution is the root's cotangent propagated along that path's edges
    alone through the ops' vjps (summed back over broadcast axes), so the sum equals the
    engine's gradient even when the intermediates are vectors. ``wrt`` is a Tensor or a
    name; ``names`` (a model, or a mapping name → Tensor) names tensors that have none.
    More than ``max_paths`` paths raise ``ValueError``.

    >>> from tinygrad_ae import Tensor
    >>> w = Tensor(0.5, requires_grad=True, name="w")
    >>> h = w * 2.0
    >>> h.name = "h"
    >>> a, b = h * 3.0, h * 4.0
    >>> a.name, b.name = "a", "b"
    >>> L = a + b
    >>> L.name = "L"
    >>> rule = chain_rule(L, "w")
    >>> print(rule)
    ∂L/∂w = ∂L/∂a · ∂a/∂h · ∂h/∂w + ∂L/∂b · ∂b/∂h · ∂h/∂w
          = 3 · 2 + 4 · 2
          = 6 + 8
          = 14
    >>> rule.value
    14.0
    """
    if isinstance(root, Tensor) and root.size != 1:
        raise ValueError(
            f"chain_rule: the root has shape {root.shape}, not a single number; reduce it "
            f"first (for example loss.sum())"
        )
    index = _GraphIndex(root, names)
    start = index.find(wrt, "chain_rule")
    if max_paths < 1:
        raise ValueError(f"chain_rule: max_paths must be at least 1, got {max_paths}")
    order = index.order
    end = len(order) - 1
    n_paths = index.count_paths(start)
    if n_paths > max_paths:
        raise ValueError(
            f"chain_rule: ∂{index.symbols[end]}/∂{index.symbols[start]} is a sum over "
            f"{n_paths} paths, more than max_paths={max_paths}; draw them with "
            f"draw_graph(root, highlight=...) instead, or pass a larger max_paths"
        )
    # Every path from start to each node, built in topological order (each node's paths
    # extend its inputs' paths; no path count exceeds the root's, so this stays small).
    paths_to: dict[int, list[tuple[tuple[int, int, int], ...]]] = {start: [()]}
    for i in range(start + 1, len(order)):
        found = [prefix + ((p, i, k),)
                 for k, p in enumerate(index.inputs[i]) for prefix in paths_to.get(p, ())]
        if found:
            paths_to[i] = found
    text, latex_text = index.expressions()
    latex_symbols = [_latex_name(s) for s in index.symbols]
    terms = [
        _term(index, path, start, text, latex_text, latex_symbols)
        for path in paths_to.get(end, [])
    ]
    wrt_tensor = order[start]
    total: Any = np.zeros_like(wrt_tensor.data)
    for term in terms:
        total = total + term.value
    value: float | np.ndarray = float(total) if np.ndim(total) == 0 else np.asarray(total)
    on_paths = {p for term in terms for e in term.edges for p in (e.source, e.target)}
    return ChainRule(
        root_name=index.symbols[end], wrt_name=index.symbols[start], terms=tuple(terms),
        value=value, latex_root=latex_symbols[end], latex_wrt=latex_symbols[start],
        vector_note=any(t.size != 1 for t in on_paths),
    )


def _propagate_along(index: _GraphIndex, edges: list[tuple[int, int, int]],
                     seed: np.ndarray) -> np.ndarray:
    """The cotangent ``seed`` of the last edge's target, carried down ``edges`` alone."""
    g = seed
    for p, i, k in reversed(edges):
        carried = _vjp_input(index.order[i], g, k)
        g = np.zeros_like(index.order[p].data) if carried is None else carried
    return g


def _term(index: _GraphIndex, path: tuple[tuple[int, int, int], ...], start: int,
          text: list[str], latex_text: list[str], latex_symbols: list[str]) -> ChainTerm:
    order = index.order
    root = index.root
    value_array = _propagate_along(index, list(path), np.ones_like(root.data))
    value: float | np.ndarray = (float(value_array) if np.ndim(value_array) == 0
                                 else np.asarray(value_array))
    edges = tuple(
        Edge(source=order[p], target=order[i], input_index=k,
             source_name=index.symbols[p], target_name=index.symbols[i],
             partial=index.local_partial(i, k))
        for p, i, k in path
    )
    # Split the path at named tensors: one factor ∂A/∂B per stretch between them.
    nodes = [start] + [i for _, i, _ in path]
    cuts = [n for n, node in enumerate(nodes)
            if n in (0, len(nodes) - 1) or index.names[node]]
    derivatives, factors, latex_derivatives, latex_factors = [], [], [], []
    for lower, upper in reversed(list(zip(cuts, cuts[1:]))):
        a, b = nodes[upper], nodes[lower]
        stretch = path[lower:upper]
        derivatives.append(f"∂{index.symbols[a]}/∂{index.symbols[b]}")
        latex_derivatives.append(
            rf"\frac{{\partial {latex_symbols[a]}}}{{\partial {latex_symbols[b]}}}"
        )
        partials = [index.local_partial(i, k, text) for _, i, k in reversed(stretch)]
        latex_partials = [_latex_ops(index.local_partial(i, k, latex_text))
                          for _, i, k in reversed(stretch)]
        keep = [n for n, f in enumerate(partials) if not _is_unit(f)]
        factors.append(_product([partials[n] for n in keep], " · ") if keep else "1")
        latex_factors.append(_product([latex_partials[n] for n in keep], r" \cdot ",
                                      latex=True) if keep else "1")
    if not path:   # wrt is the root itself
        derivatives.append(f"∂{index.symbols[start]}/∂{index.symbols[start]}")
        latex_derivatives.append(rf"\frac{{\partial {latex_symbols[start]}}}"
                                 rf"{{\partial {latex_symbols[start]}}}")
        factors.append("1")
        latex_factors.append("1")
    return ChainTerm(edges=edges, derivatives=tuple(derivatives), factors=tuple(factors),
                     latex_derivatives=tuple(latex_derivatives),
                     latex_factors=tuple(latex_factors), value=value)
