"""The whole public surface of Tensor against PyTorch: values, result dtypes, whether the
result requires grad, and gradients under a random cotangent.

One table drives it. A row names the Tensor attribute it covers, our call, PyTorch's
twin (or numpy's, where PyTorch has none), how each operand is passed (a Tensor, a
Python number or a numpy array, on either side of an operator) and where it is drawn
from. Shapes, dtypes (float32 and float64), axes and other parameters are drawn by
hypothesis. Covering a new method takes one row; ``test_every_public_attribute_has_a_row``
fails for a public attribute of Tensor that has none (nor a reason, in ``NOT_COMPARED``,
why PyTorch cannot judge it).

The whole module is skipped where PyTorch is not installed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tolerances import ORACLE_ATOL, ORACLE_RTOL

from tinygrad_ae import Tensor, strategies
from tinygrad_ae.autograd import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

# How an operand is passed to both sides.
T = "tensor"   # a Tensor that requires grad (a torch.Tensor with requires_grad on theirs)
S = "scalar"   # a Python float
A = "array"    # a numpy array (a torch.Tensor without grad on theirs)

# Domains beyond the ops' own (tinygrad_ae.strategies.elements): values on a grid 0.1
# apart, so that ties, and values equal to a bound, come up; order-1000 values, where a
# careless formula overflows; exponents, integer and fractional.
TIES = "ties"
WIDE = "wide"
INT_EXPONENT = "int_exponent"
FRAC_EXPONENT = "frac_exponent"
_EXPONENTS = {INT_EXPONENT: [2, 3, 0, 1, -1, -2], FRAC_EXPONENT: [0.5, 1.5, -0.5, 2.5, -1.5]}


@dataclass(frozen=True)
class Row:
    """One comparison: ``ours(*operands, **params)`` against ``theirs(...)``.

    ``name`` is the Tensor attribute the row covers; ``case`` tells the rows of one
    attribute apart. ``layout`` relates the operands' shapes: ``broadcast`` (numpy's
    rules), ``into`` (the later ones broadcast into the first, as an in-place update
    needs) or ``matmul``. ``params`` draws keyword arguments from the first operand's
    shape. ``grad=False`` for results without a derivative (bools, indices, numbers).
    """

    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    args: tuple[str, ...] = (T,)
    domains: tuple[str, ...] = (ops.REALS,)
    case: str = ""
    layout: str = "broadcast"
    min_dims: int = 0
    min_side: int = 1
    params: Callable[[tuple[int, ...]], st.SearchStrategy[dict[str, Any]]] | None = None
    grad: bool = True

    @property
    def id(self) -> str:
        return f"{self.name}[{self.case}]" if self.case else self.name


# --- helpers for the rows ----------------------------------------------------------------

def _as_torch(x: Any, like: Any) -> Any:
    """A Python number as a torch tensor of ``like``'s dtype (for torch.maximum & co)."""
    return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=like.dtype)


def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _axes(ndim: int, several: bool = True) -> st.SearchStrategy[Any]:
    """None, one axis (negative too) or, with ``several``, a tuple of distinct axes."""
    if ndim == 0:
        return st.none()
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if several:
        choices.append(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim)
                       .map(lambda axes: tuple(dict.fromkeys(a % ndim for a in axes)))
                       .map(lambda axes: tuple(a - ndim if a % 2 else a for a in axes)))
    return st.one_of(*choices)


def _reduce_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"axis": _axes(len(shape)), "keepdims": st.booleans()})


def _var_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"axis": _axes(len(shape)), "keepdims": st.booleans(),
                                  "ddof": st.sampled_from([0, 1])})


def _arg_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"axis": _axes(len(shape), several=False),
                                  "keepdims": st.booleans()})


def _one_axis(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"axis": st.integers(-len(shape), len(shape) - 1)})


def _torch_prod(x: Any, axis: Any, keepdims: bool) -> Any:
    """torch.prod takes one axis at a time: reduce the listed ones, last first."""
    for a in sorted((a % x.ndim for a in _dims(axis, x.ndim)), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


def _permutation(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A permutation of the axes, some of them written as negative numbers."""
    n = len(shape)
    return st.tuples(st.permutations(list(range(n))), st.lists(st.booleans(), min_size=n,
                                                                max_size=n)
                     ).map(lambda p: {"axes": tuple(a - n if neg else a
                                                    for a, neg in zip(p[0], p[1]))})


def _reshape_target(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    size = int(np.prod(shape))
    return st.sampled_from([(size,), tuple(reversed(shape)), (*shape, 1), (1, -1), (-1,)]
                           ).map(lambda s: {"shape": s})


def _broadcast_target(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A shape ``shape`` broadcasts to: new leading axes, and axes of length 1 grown."""
    return st.tuples(st.lists(st.integers(1, 3), max_size=2),
                     st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape))
                     ).map(lambda p: {"shape": (*p[0], *(m if n == 1 else n
                                                          for n, m in zip(shape, p[1])))})


def _expand_sizes(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """PyTorch's expand sizes: the broadcast target with some kept axes written as -1."""
    def with_minus_ones(p: tuple[dict[str, Any], list[bool]]) -> dict[str, Any]:
        target, keep = p[0]["shape"], p[1]
        lead = len(target) - len(shape)
        return {"sizes": tuple(-1 if i >= lead and keep[i - lead] else n
                               for i, n in enumerate(target))}
    return st.tuples(_broadcast_target(shape), st.lists(st.booleans(), min_size=len(shape),
                                                        max_size=len(shape))
                     ).map(with_minus_ones)


def _squeeze_axis(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return _axes(len(shape)).map(lambda a: {"axis": a})


def _unsqueeze_axis(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.integers(-len(shape) - 1, len(shape)).map(lambda a: {"axis": a})


def _flatten_dims(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    n = len(shape)
    return st.tuples(st.integers(-n, n - 1), st.integers(-n, n - 1)).map(
        lambda p: {"start_dim": min(p, key=lambda a: a % n),
                   "end_dim": max(p, key=lambda a: a % n)})


def _flip_axis(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return _axes(len(shape)).filter(lambda a: a is not None).map(lambda a: {"axis": a})


def _pad_widths(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """PyTorch's flat tuple: (before, after) pairs from the last axis backwards."""
    return st.integers(1, len(shape)).flatmap(lambda k: st.fixed_dictionaries({
        "pad": st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k).map(tuple),
        "value": st.sampled_from([0.0, -1.5])}))


def _split_sizes(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    def sections(axis: int) -> st.SearchStrategy[Any]:
        length = shape[axis]
        cuts = st.lists(st.integers(0, length), max_size=2).map(sorted)
        return st.one_of(st.integers(1, length + 1),
                         cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, length])]))
    return st.integers(-len(shape), len(shape) - 1).flatmap(
        lambda axis: st.fixed_dictionaries({"sizes": sections(axis), "axis": st.just(axis)}))


def _index(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Basic and integer-array indices: ints (negative too), slices with steps, Ellipsis,
    None, and lists with repeated entries (their gradients must add up)."""
    n = shape[0]
    basic = st.one_of(
        st.integers(-n, n - 1),
        st.tuples(st.integers(-n, n), st.integers(-n, n), st.integers(1, 2)).map(
            lambda p: slice(*p)),
        st.just(Ellipsis),
        st.just((None, Ellipsis)),
    )
    repeated = st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)
    if len(shape) >= 2:
        m = shape[1]
        pair = st.tuples(st.integers(0, n - 1), st.integers(-m, m - 1))
        mixed = st.one_of(pair, st.tuples(st.just(slice(None)), st.integers(0, m - 1)),
                          st.tuples(repeated, st.just(slice(None, None, 2))))
        return st.one_of(basic, repeated, mixed).map(lambda i: {"index": i})
    return st.one_of(basic, repeated).map(lambda i: {"index": i})


def _distinct_index(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Indices for ``t[i] = v``: no repeated positions (their order of writes is left open
    by PyTorch as well)."""
    n = shape[0]
    return st.one_of(
        st.integers(-n, n - 1),
        st.tuples(st.integers(0, n), st.integers(0, n)).map(lambda p: slice(*sorted(p))),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True),
    ).map(lambda i: {"index": i})


def _clip_bounds(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    bound = st.one_of(st.none(), strategies.elements(ops.DISTINCT, 1).map(float))
    return st.fixed_dictionaries({"min": bound, "max": bound}).filter(
        lambda p: p["min"] is not None or p["max"] is not None)


def _slope(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from([0.01, 0.2, 1.5]).map(lambda s: {"slope": s})


def _softplus_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"beta": st.sampled_from([1.0, 0.5, 3.0]),
                                  "threshold": st.sampled_from([20.0, 1.0])})


def _dtype_param(shape: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(["float32", "float64"]).map(lambda d: {"dtype": d})


def _iadd(a: Any, b: Any) -> Any:
    c = a * 1          # a non-leaf: changing it in place is allowed in grad mode
    c += b
    return c


def _isub(a: Any, b: Any) -> Any:
    c = a * 1
    c -= b
    return c


def _imul(a: Any, b: Any) -> Any:
    c = a * 1
    c *= b
    return c


def _itruediv(a: Any, b: Any) -> Any:
    c = a * 1
    c /= b
    return c


def _setitem(a: Any, b: Any, index: Any) -> Any:
    c = a * 1
    c[index] = b
    return c


def _backward_twice(a: Any) -> Any:
    """Two backward passes: the second adds to the first (nothing is reset)."""
    (a * a).sum().backward()
    (a * 3).sum().backward()
    return a.grad * 1


def _is_leaf(a: Any) -> tuple[bool, ...]:
    return a.is_leaf, (a * 2).is_leaf, a.detach().is_leaf


def _requires_grad(a: Any) -> tuple[bool, ...]:
    return a.requires_grad, (a * 2).requires_grad, a.detach().requires_grad


def _requires_grad_(a: Any) -> tuple[bool, ...]:
    b = a.detach().requires_grad_()
    return b.requires_grad, b.is_leaf, (b * 2).requires_grad


def _reversed(x: Any) -> tuple[int, ...]:
    return tuple(reversed(range(x.ndim)))


def _torch_dtype(name: str) -> Any:
    return getattr(torch, name)


def _torch_numpy_dtype(t: Any) -> np.dtype:
    return np.dtype(str(t.dtype).removeprefix("torch."))


def _method(name: str, theirs: Callable[..., Any], domain: str = ops.REALS, case: str = "",
            **kwargs: Any) -> Row:
    """A unary method without arguments: ``x.name()`` against ``theirs(x)``."""
    return Row(name, operator.methodcaller(name), theirs, domains=(domain,), case=case, **kwargs)


def _operator(name: str, reflected: str | None, fn: Callable[..., Any],
              domains: tuple[str, str] = (ops.REALS, ops.REALS), **kwargs: Any) -> list[Row]:
    """A binary operator with every kind of operand: Tensor with Tensor, with a Python
    number and with a numpy array, and the number or array on the left (``reflected``)."""
    rows = [Row(name, fn, fn, (T, T), domains, "tensor, tensor", **kwargs),
            Row(name, fn, fn, (T, S), domains, "tensor, scalar", **kwargs),
            Row(name, fn, fn, (T, A), domains, "tensor, array", **kwargs)]
    if reflected is not None:
        rows += [Row(reflected, fn, fn, (S, T), domains, "scalar, tensor", **kwargs),
                 Row(reflected, fn, fn, (A, T), domains, "array, tensor", **kwargs)]
    return rows


def _reduction(name: str, theirs: Callable[..., Any], domain: str = ops.REALS,
               case: str = "") -> Row:
    """A reduction over ``axis`` (None, one, several, negative) with and without
    ``keepdims``."""
    return Row(name, lambda x, **p: getattr(x, name)(**p), theirs, domains=(domain,),
               params=_reduce_params, case=case)


def _torch_reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, axis, keepdims: fn(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


# --- the table ---------------------------------------------------------------------------

ROWS: list[Row] = [
    # arithmetic, with every kind of operand on either side
    *_operator("__add__", "__radd__", operator.add),
    *_operator("__sub__", "__rsub__", operator.sub),
    *_operator("__mul__", "__rmul__", operator.mul),
    *_operator("__truediv__", "__rtruediv__", operator.truediv, (ops.REALS, ops.NONZERO)),
    *_operator("__pow__", "__rpow__", operator.pow, (ops.POSITIVE, ops.REALS)),
    Row("__pow__", operator.pow, operator.pow, (T, S), (ops.NONZERO, INT_EXPONENT),
        "integer exponent"),
    Row("__pow__", operator.pow, operator.pow, (T, S), (ops.POSITIVE, FRAC_EXPONENT),
        "fractional exponent"),
    Row("__matmul__", operator.matmul, operator.matmul, (T, T), case="tensor, tensor",
        layout="matmul"),
    Row("__matmul__", operator.matmul, operator.matmul, (T, A), case="tensor, array",
        layout="matmul"),
    Row("__rmatmul__", operator.matmul, operator.matmul, (A, T), case="array, tensor",
        layout="matmul"),
    Row("__neg__", operator.neg, operator.neg),
    Row("__pos__", operator.pos, operator.pos),
    # in place: on a non-leaf in grad mode, so the gradient flows through the update
    *[Row(name, fn, fn, (T, kind), domains, f"tensor, {kind}", layout="into")
      for name, fn, domains in [("__iadd__", _iadd, (ops.REALS, ops.REALS)),
                                ("__isub__", _isub, (ops.REALS, ops.REALS)),
                                ("__imul__", _imul, (ops.REALS, ops.REALS)),
                                ("__itruediv__", _itruediv, (ops.REALS, ops.NONZERO))]
      for kind in (T, S, A)],
    Row("__setitem__", _setitem, _setitem, (T, T), case="tensor", layout="setitem",
        min_dims=1, params=_distinct_index),
    Row("__setitem__", _setitem, _setitem, (T, S), case="scalar", min_dims=1,
        params=_distinct_index),
    # comparisons and logic: boolean results that never require grad
    *[row for name, fn in [("__eq__", operator.eq), ("__ne__", operator.ne),
                           ("__lt__", operator.lt), ("__le__", operator.le),
                           ("__gt__", operator.gt), ("__ge__", operator.ge)]
      for row in _operator(name, None, fn, (TIES, TIES), grad=False)],
    Row("__lt__", operator.lt, operator.lt, (S, T), (TIES, TIES), "scalar, tensor (as >)",
        grad=False),
    Row("__ge__", operator.ge, operator.ge, (A, T), (TIES, TIES), "array, tensor (as <=)",
        grad=False),
    Row("__invert__", lambda x: ~(x > 0), lambda x: ~(x > 0), grad=False),
    Row("__and__", lambda x, y: (x > 0) & (y < 0.5), lambda x, y: (x > 0) & (y < 0.5),
        (T, T), (ops.REALS, ops.REALS), grad=False),
    Row("__or__", lambda x, y: (x > 0) | (y < 0.5), lambda x, y: (x > 0) | (y < 0.5),
        (T, T), (ops.REALS, ops.REALS), grad=False),
    Row("__bool__", lambda x: bool(x.sum() > 0), lambda x: bool(x.sum() > 0), grad=False),
    Row("all", lambda x: (x > 0).all(), lambda x: bool((x > 0).all()), grad=False),
    Row("all", lambda x: x.all(), lambda x: bool(x.all()), domains=(TIES,), case="floats",
        grad=False),
    Row("any", lambda x: (x > 0).any(), lambda x: bool((x > 0).any()), grad=False),
    Row("__hash__", lambda x: len({x, x, x * 1}), lambda x: len({x, x, x * 1}), grad=False),
    # elementwise functions, kinks included (REALS draws 0: relu'(0) = abs'(0) = 0)
    _method("exp", torch.exp),
    _method("log", torch.log, ops.POSITIVE),
    _method("sqrt", torch.sqrt, ops.POSITIVE),
    _method("abs", torch.abs, TIES, "kink at 0"),
    _method("relu", torch.relu, TIES, "kink at 0"),
    _method("tanh", torch.tanh),
    _method("tanh", torch.tanh, WIDE, "large"),
    _method("sigmoid", torch.sigmoid),
    _method("sigmoid", torch.sigmoid, WIDE, "large"),
    _method("square", torch.square),
    _method("log1p", torch.log1p, ops.POSITIVE),
    _method("expm1", torch.expm1),
    _method("sin", torch.sin),
    _method("cos", torch.cos),
    _method("sign", torch.sign, TIES),
    _method("silu", F.silu),
    Row("leaky_relu", lambda x, slope: x.leaky_relu(slope),
        lambda x, slope: F.leaky_relu(x, slope), domains=(TIES,), params=_slope),
    Row("elu", lambda x, slope: x.elu(slope), lambda x, slope: F.elu(x, slope),
        domains=(ops.AWAY_FROM_ZERO,), params=_slope),
    Row("gelu", lambda x: x.gelu(), F.gelu, case="exact"),
    Row("gelu", lambda x: x.gelu("tanh"), lambda x: F.gelu(x, approximate="tanh"), case="tanh"),
    Row("softplus", lambda x, **p: x.softplus(**p), lambda x, **p: F.softplus(x, **p),
        domains=(ops.AWAY_FROM_ZERO,), params=_softplus_params),
    Row("softplus", lambda x: x.softplus(), F.softplus, domains=(WIDE,), case="large"),
    Row("clip", lambda x, **p: x.clip(**p), lambda x, **p: torch.clamp(x, **p),
        domains=(TIES,), params=_clip_bounds, case="numbers, bounds included"),
    # lo < hi: where x < lo = hi PyTorch sends no gradient anywhere, we send it to lo
    # (see changes/oracle.md); ties of x with either bound are drawn (TIES).
    Row("clip", lambda x, lo, gap: x.clip(lo, lo + gap),
        lambda x, lo, gap: torch.clamp(x, lo, lo + gap), (T, T, T),
        (TIES, TIES, ops.POSITIVE), "tensor bounds", layout="into"),
    Row("clamp", lambda x, **p: x.clamp(**p), lambda x, **p: torch.clamp(x, **p),
        domains=(TIES,), params=_clip_bounds),
    *[Row(name, lambda x, y, name=name: getattr(x, name)(y),
          lambda x, y, name=name: getattr(torch, name)(x, _as_torch(y, x)),
          (T, kind), (TIES, TIES), f"tensor, {kind}, ties split")
      for name in ("maximum", "minimum") for kind in (T, S, A)],
    # reductions: none, one or several axes (negative too), with and without keepdims
    _reduction("sum", _torch_reduce(torch.sum)),
    _reduction("mean", _torch_reduce(torch.mean)),
    _reduction("max", _torch_reduce(torch.amax), TIES, case="ties share"),
    _reduction("min", _torch_reduce(torch.amin), TIES, case="ties share"),
    _reduction("prod", _torch_prod, TIES, case="zeros"),
    _reduction("logsumexp", _torch_reduce(torch.logsumexp)),
    _reduction("logsumexp", _torch_reduce(torch.logsumexp), WIDE, case="large"),
    Row("var", lambda x, **p: x.var(**p),
        lambda x, axis, keepdims, ddof: torch.var(x, dim=_dims(axis, x.ndim), keepdim=keepdims,
                                                  correction=ddof),
        domains=(ops.DISTINCT,), min_dims=1, min_side=2, params=_var_params),
    Row("std", lambda x, **p: x.std(**p),
        lambda x, axis, keepdims, ddof: torch.std(x, dim=_dims(axis, x.ndim), keepdim=keepdims,
                                                  correction=ddof),
        domains=(ops.DISTINCT,), min_dims=1, min_side=2, params=_var_params),
    # TIES keeps products of up to 27 entries normal: prod's vjp divides out by xᵢ, which
    # loses digits once the product underflows into subnormals (see changes/oracle.md).
    Row("prod", lambda x, axis, keepdims: x.prod(dim=axis, keepdim=keepdims), _torch_prod,
        domains=(TIES,), params=_reduce_params, case="dim, keepdim"),
    *[Row(name, lambda x, axis, keepdims, name=name: getattr(x, name)(dim=axis,
                                                                        keepdim=keepdims),
          _torch_reduce(fn), domains=(TIES,), params=_reduce_params, case="dim, keepdim")
      for name, fn in [("sum", torch.sum), ("mean", torch.mean), ("max", torch.amax),
                       ("min", torch.amin), ("logsumexp", torch.logsumexp)]],
    Row("argmax", lambda x, **p: x.argmax(**p),
        lambda x, axis, keepdims: torch.argmax(x, dim=axis, keepdim=keepdims),
        domains=(ops.DISTINCT,), params=_arg_params, grad=False),
    Row("argmin", lambda x, **p: x.argmin(**p),
        lambda x, axis, keepdims: torch.argmin(x, dim=axis, keepdim=keepdims),
        domains=(ops.DISTINCT,), params=_arg_params, grad=False),
    Row("softmax", lambda x, axis: x.softmax(axis), lambda x, axis: torch.softmax(x, axis),
        min_dims=1, params=_one_axis),
    Row("softmax", lambda x, axis: x.softmax(dim=axis), lambda x, axis: torch.softmax(x, axis),
        domains=(WIDE,), min_dims=1, params=_one_axis, case="large, dim"),
    Row("log_softmax", lambda x, axis: x.log_softmax(axis),
        lambda x, axis: torch.log_softmax(x, axis), min_dims=1, params=_one_axis),
    Row("log_softmax", lambda x, axis: x.log_softmax(dim=axis),
        lambda x, axis: torch.log_softmax(x, axis), domains=(WIDE,), min_dims=1,
        params=_one_axis, case="large, dim"),
    # shapes and indexing
    Row("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape),
        params=_reshape_target, case="tuple"),
    Row("reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape),
        params=_reshape_target, case="ints"),
    Row("transpose", lambda x, axes: x.transpose(*axes), lambda x, axes: torch.permute(x, axes),
        params=_permutation),
    Row("transpose", lambda x, axes: x.transpose(axes), lambda x, axes: torch.permute(x, axes),
        params=_permutation, case="tuple"),
    Row("transpose", lambda x: x.transpose(), lambda x: torch.permute(x, _reversed(x)),
        case="reversed"),
    Row("T", lambda x: x.T, lambda x: torch.permute(x, _reversed(x))),
    Row("permute", lambda x, axes: x.permute(*axes), lambda x, axes: torch.permute(x, axes),
        params=_permutation),
    Row("permute", lambda x, axes: x.permute(list(axes)),
        lambda x, axes: torch.permute(x, axes), params=_permutation, case="list"),
    Row("broadcast_to", lambda x, shape: x.broadcast_to(shape),
        lambda x, shape: torch.broadcast_to(x, shape), params=_broadcast_target),
    Row("expand", lambda x, sizes: x.expand(*sizes), lambda x, sizes: x.expand(sizes),
        params=_expand_sizes),
    Row("squeeze", lambda x, axis: x.squeeze(axis),
        lambda x, axis: x.squeeze() if axis is None else torch.squeeze(x, axis),
        params=_squeeze_axis),
    Row("unsqueeze", lambda x, axis: x.unsqueeze(axis), lambda x, axis: x.unsqueeze(axis),
        params=_unsqueeze_axis),
    Row("flatten", lambda x, **p: x.flatten(**p), lambda x, **p: x.flatten(**p),
        min_dims=1, params=_flatten_dims),
    Row("flatten", lambda x: x.flatten(), lambda x: x.flatten(), case="all"),
    Row("flip", lambda x, axis: x.flip(axis), lambda x, axis: torch.flip(x, _dims(axis, x.ndim)),
        min_dims=1, params=_flip_axis),
    Row("pad", lambda x, pad, value: x.pad(pad, value),
        lambda x, pad, value: F.pad(x, pad, value=value), min_dims=1, params=_pad_widths),
    Row("split", lambda x, sizes, axis: x.split(sizes, axis),
        lambda x, sizes, axis: torch.split(x, sizes, dim=axis), min_dims=1, params=_split_sizes),
    Row("__getitem__", lambda x, index: x[index], lambda x, index: x[index], min_dims=1,
        params=_index),
    Row("__iter__", lambda x: tuple(x), lambda x: tuple(x), min_dims=1),
    Row("__len__", len, len, min_dims=1, grad=False),
    Row("astype", lambda x, dtype: x.astype(dtype),
        lambda x, dtype: x.to(_torch_dtype(dtype)), params=_dtype_param),
    # values out, and the tensor's own attributes
    Row("item", lambda x: x.sum().item(), lambda x: x.sum().item(), grad=False),
    Row("__float__", lambda x: float(x.mean()), lambda x: float(x.mean()), grad=False),
    Row("numpy", lambda x: x.numpy(), lambda x: x.detach().numpy(), grad=False),
    Row("__array__", np.asarray, lambda x: np.asarray(x.detach()), grad=False),
    Row("data", lambda x: x.data, lambda x: x.data.numpy(), grad=False),
    Row("shape", lambda x: x.shape, lambda x: tuple(x.shape), grad=False),
    Row("ndim", lambda x: x.ndim, lambda x: x.ndim, grad=False),
    Row("size", lambda x: x.size, lambda x: x.numel(), grad=False),
    Row("dtype", lambda x: x.dtype, _torch_numpy_dtype, grad=False),
    Row("is_leaf", _is_leaf, _is_leaf, grad=False),
    Row("requires_grad", _requires_grad, _requires_grad, grad=False),
    Row("requires_grad_", _requires_grad_, _requires_grad_, grad=False),
    Row("detach", lambda x: x * x.detach(), lambda x: x * x.detach()),
    Row("backward", _backward_twice, lambda x: _backward_twice(x).numpy(), grad=False),
    Row("grad", lambda x: (x.sum().backward(), x.grad)[1],
        lambda x: (x.sum().backward(), x.grad.numpy())[1], grad=False),
]

# Public attributes PyTorch cannot judge, each with the reason and where they are tested.
NOT_COMPARED = {
    "__init__": "the constructor's dtype rules differ from torch.tensor by design (ints "
                "become float64); tests/autograd/test_engine.py::test_dtype_rules",
    "__repr__": "our own text format; tests/autograd/test_engine.py::test_item_and_repr",
    "__array_ufunc__": "numpy's protocol: None makes numpy defer to our reflected operators, "
                       "which the array-on-the-left rows exercise",
    "zero_grad": "PyTorch's tensors have no zero_grad (one writes t.grad = None); "
                 "tests/autograd/test_semantics.py",
    "name": "graph-drawing metadata, no PyTorch twin; tests/viz",
    "op_name": "graph-drawing metadata, no PyTorch twin; tests/viz",
    "params": "graph-drawing metadata, no PyTorch twin; tests/viz",
    "parents": "graph-drawing metadata, no PyTorch twin; tests/viz",
    "scope": "graph-drawing metadata (the module whose forward made the tensor); tests/viz",
}

# Python's own class attributes, not part of the API.
_PLUMBING = {"__doc__", "__module__", "__slots__", "__weakref__", "__annotations__",
             "__dict__", "__qualname__", "__firstlineno__", "__static_attributes__"}


def _public_attributes() -> set[str]:
    names: set[str] = set()
    for cls in Tensor.__mro__[:-1]:
        # NOTE: "ǁ" marks mutmut's copies of the methods (xǁTensorǁsum__mutmut_1) when
        # it runs this suite against mutants; they are not part of the API.
        names |= {n for n in vars(cls) if "ǁ" not in n
                  and (not n.startswith("_") or (n.startswith("__") and n.endswith("__")))}
    return names - _PLUMBING


def test_every_public_attribute_has_a_row() -> None:
    covered = {row.name for row in ROWS}
    missing = _public_attributes() - covered - set(NOT_COMPARED)
    assert not missing, (f"Tensor attributes without a row in tests/autograd/test_oracle.py "
                         f"(add one to ROWS, or a reason to NOT_COMPARED): {sorted(missing)}")


def test_every_row_names_an_existing_attribute() -> None:
    stale = (({row.name for row in ROWS} | set(NOT_COMPARED)) - _public_attributes())
    assert not stale, f"rows for attributes Tensor no longer has: {sorted(stale)}"
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows share an id; give them distinct cases"


# --- drawing the operands ------------------------------------------------------------------

def _values(domain: str, shape: tuple[int, ...], dtype: Any) -> st.SearchStrategy[np.ndarray]:
    if domain == TIES:
        return hnp.arrays(dtype, shape, elements=strategies.elements(ops.DISTINCT, 1).map(float))
    if domain == WIDE:
        return hnp.arrays(dtype, shape, elements=st.sampled_from([-1000.0, -30.0, 0.0, 30.0,
                                                                  1000.0]) | strategies.elements())
    return strategies.arrays(shape, dtype, domain)


def _number(domain: str) -> st.SearchStrategy[float]:
    if domain in _EXPONENTS:
        return st.sampled_from(_EXPONENTS[domain])
    if domain == TIES:
        return strategies.elements(ops.DISTINCT, 1).map(float)
    if domain == WIDE:
        return st.sampled_from([-1000.0, 0.0, 1000.0])
    return strategies.elements(domain).map(float)


def _shapes(draw: Any, row: Row) -> list[tuple[int, ...]]:
    """One shape per operand (a scalar's is ignored)."""
    n = len(row.args)
    if row.layout == "matmul":
        k, m, p = (draw(st.integers(1, 3)) for _ in range(3))
        batch = draw(st.sampled_from([(), (2,), (1,)]))
        case = draw(st.sampled_from(["vv", "vm", "mv", "mm", "mm batched"]))
        left = (k,) if case[0] == "v" else (*batch, m, k) if "batched" in case else (m, k)
        right = (k,) if case[1] == "v" else (k, p)
        return [left, right]
    if row.layout == "into":
        first = draw(strategies.shapes(min_dims=row.min_dims))
        later = []
        for _ in range(n - 1):
            dropped = draw(st.integers(0, len(first)))
            later.append(tuple(1 if draw(st.booleans()) else side for side in first[dropped:]))
        return [first, *later]
    if n == 1 or row.min_side > 1:
        return [draw(strategies.shapes(min_dims=row.min_dims, min_side=row.min_side))] * n
    shapes = list(draw(strategies.broadcastable_shapes(n, min_dims=row.min_dims)))
    if any(len(s) < row.min_dims for s in shapes):
        shapes = [draw(strategies.shapes(min_dims=row.min_dims)) for _ in range(n)]
        shapes = [shapes[0]] * n
    return shapes


def _flat(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple) else [result]


def _as_numpy(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, np.generic):
        return np.asarray(value)
    return value


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
@given(data=st.data(), dtype=st.sampled_from([np.float64, np.float32]))
def test_matches_pytorch(row: Row, data: Any, dtype: Any) -> None:
    shapes = _shapes(data.draw, row)
    if row.layout == "setitem":
        # the value written takes the shape of the place it is written to
        params = data.draw(row.params(shapes[0])) if row.params else {}
        shapes[1] = np.empty(shapes[0])[params["index"]].shape
    else:
        params = data.draw(row.params(shapes[0])) if row.params else {}
    raw = []
    domains = row.domains + (ops.REALS,) * (len(row.args) - len(row.domains))
    for kind, domain, shape in zip(row.args, domains, shapes):
        raw.append(data.draw(_number(domain)) if kind == S else
                   data.draw(_values(domain, shape, dtype)))
    ours_in = [Tensor(v, requires_grad=True) if k == T else v for k, v in zip(row.args, raw)]
    theirs_in = [torch.tensor(v, requires_grad=True) if k == T else
                 torch.from_numpy(v.copy()) if k == A else v for k, v in zip(row.args, raw)]

    ours = _flat(row.ours(*ours_in, **params))
    theirs = _flat(row.theirs(*theirs_in, **params))
    rtol, atol = ORACLE_RTOL[np.dtype(dtype)], ORACLE_ATOL[np.dtype(dtype)]
    assert len(ours) == len(theirs), row.id
    for mine, reference in zip(ours, theirs):
        if isinstance(reference, torch.Tensor):
            assert isinstance(mine, Tensor), f"{row.id}: {type(mine).__name__}, not a Tensor"
            assert mine.dtype == _torch_numpy_dtype(reference), row.id
            assert mine.shape == tuple(reference.shape), row.id
            assert mine.requires_grad == reference.requires_grad, row.id
        else:
            assert type(_as_numpy(mine)) is type(_as_numpy(reference)), row.id
        if isinstance(_as_numpy(reference), (np.ndarray, float, int)):
            np.testing.assert_allclose(_as_numpy(mine), _as_numpy(reference), rtol=rtol,
                                       atol=atol, err_msg=f"{row.id}: values")
        else:
            assert mine == reference, f"{row.id}: {mine!r} != {reference!r}"

    if not row.grad:
        return
    cotangents = [data.draw(strategies.arrays(tuple(out.shape), _torch_numpy_dtype(out)))
                  for out in theirs]
    loss_ours = sum((out * c).sum() for out, c in zip(ours, cotangents))
    loss_theirs = sum((out * torch.from_numpy(c)).sum() for out, c in zip(theirs, cotangents))
    loss_ours.backward()
    loss_theirs.backward()
    for i, (mine, reference) in enumerate(zip(ours_in, theirs_in)):
        if not isinstance(mine, Tensor):
            continue
        expected = np.zeros(mine.shape, dtype) if reference.grad is None else \
            reference.grad.numpy()
        assert mine.grad is not None, f"{row.id}: no gradient reached operand {i}"
        assert mine.grad.dtype == expected.dtype and mine.grad.shape == expected.shape, row.id
        np.testing.assert_allclose(mine.grad, expected, rtol=rtol, atol=atol,
                                   err_msg=f"{row.id}: gradient of operand {i}")
