"""Every differentiable op: its forward, its vector-Jacobian product and its local
partial derivative, side by side, in one registry.

Layer: above :mod:`tinygrad_ae.tensor`; imports numpy and ``tensor`` only.

How an op is written
--------------------
``forward`` takes numpy arrays (the tensor inputs, positional) and keyword-only
parameters (an axis, a shape, an index). The vjp takes ``g`` (= ∂L/∂out), ``out`` (the
forward's result), then the forward's arguments under the same names, and returns one
gradient per tensor input (``None`` where there is none). It uses only what numpy arrays
and Tensors both offer (``+ - * / @ **``, ``.sum``, ``.reshape``, ``.transpose``) or other
registered ops, so the same code serves the plain ``backward()`` (which passes arrays)
and ``grad(..., create_graph=True)`` (which passes Tensors, so the result is
differentiable again). A vjp returns gradients in the broadcast shape; the engine sums
them back to each input's shape. An op may also take ``needs`` (one bool per input) and
skip the gradients nobody asked for: the arithmetic ops do, so ``x - target`` computes no
``-g`` for data that requires no grad.

Two invariants the engine's speed rests on:

- an elementwise op (``kind="elementwise"`` or ``"pow_scalar"``) gets a ``g`` that may be
  smaller than ``out``, only broadcastable to it (the gradient of a ``sum`` stays one
  number until an op needs it whole), so its vjp must let numpy broadcast ``g``;
- a vjp returns new arrays, ``g`` itself or views of ``g``, never ``out``, an input, or a
  view of them; ``g`` itself may go to several inputs, a view of it or a new array to one
  only. The engine hands such an array to a leaf as its ``.grad`` without copying it.

``partial`` is the symbolic local partial ∂out/∂input, one string per input, with
``{name}`` placeholders for the inputs, ``{out}`` and the parameters; drawings and
:func:`tinygrad_ae.viz.chain_rule` read it, so the op table is the single source of every
formula a student sees. ``domain`` says where each input may be drawn from for gradient
checks (see :mod:`tinygrad_ae.strategies`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import STATE, Tensor

__all__ = [
    "Op", "op", "REGISTRY", "all_ops", "value",
    "REALS", "POSITIVE", "NONZERO", "AWAY_FROM_ZERO", "DISTINCT",
    "add", "sub", "mul", "div", "neg", "pow", "pow_scalar", "matmul", "linear",
    "sum", "max", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid",
    "reshape", "transpose", "getitem", "broadcast_to", "index_add", "astype",
]

# Input domains, for gradient checks: where central differences are valid.
REALS = "reals"
POSITIVE = "positive"              # log, sqrt, the base of a real power
NONZERO = "nonzero"                # a divisor
AWAY_FROM_ZERO = "away_from_zero"  # the kink of abs and relu
DISTINCT = "distinct"              # max: no ties, so the derivative exists

REGISTRY: dict[str, Op] = {}


def value(x: Any) -> np.ndarray:
    """The numpy value of a Tensor or array (vjps use it for masks that are constant
    almost everywhere, such as the ReLU mask, which need no derivative of their own)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _missing_vjp(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("this op has no vjp registered")


class Op:
    """One differentiable operation: forward, vjp, domain and symbolic partial."""

    def __init__(self, name: str, forward: Callable[..., Any], domain: tuple[str, ...],
                 partial: tuple[Any, ...], kind: str) -> None:
        signature = inspect.signature(forward)
        self.inputs = tuple(
            p.name for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        self.param_names = tuple(
            p.name for p in signature.parameters.values() if p.kind == p.KEYWORD_ONLY
        )
        if len(domain) != len(self.inputs) or len(partial) != len(self.inputs):
            raise TypeError(
                f"op {name!r}: give one domain and one partial per input {self.inputs}"
            )
        self.name = name
        self.forward = forward
        self.domain = domain
        self.partial = partial
        self.kind = kind
        self.vjp_fn: Callable[..., Any] = _missing_vjp
        self.takes_needs = False
        # NOTE: True only for ops whose vjp broadcasts g with numpy's rules (see the top).
        self.broadcasts = kind in ("elementwise", "pow_scalar")
        self.__doc__ = forward.__doc__

    def vjp(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register the vector-Jacobian product; checks its signature at import."""
        names = tuple(inspect.signature(fn).parameters)
        expected = ("g", "out", *self.inputs)
        if names[:len(expected)] != expected or any(
            n not in names for n in self.param_names
        ):
            raise TypeError(
                f"op {self.name!r}: vjp must take {expected} then the parameters "
                f"{self.param_names}, got {names}"
            )
        self.takes_needs = "needs" in names
        self.vjp_fn = fn
        return fn

    def __call__(self, *args: Any, **params: Any) -> Any:
        if len(args) == 1 and isinstance(args[0], Tensor):
            return _record_one(self, args[0], params)  # x.sum(...), x.T, x ** 2
        for a in args:
            if isinstance(a, Tensor):
                return _record(self, args, params)
        return self.forward(*args, **params)  # plain arrays, e.g. inside a vjp

    def as_function(self, **params: Any) -> Callable[..., Tensor]:
        """``lambda *inputs: op(*inputs, **params)``, for gradient checks."""
        def function(*inputs: Any) -> Tensor:
            return self(*inputs, **params)
        function.__name__ = self.name
        return function

    def local_partial(self, index: int, names: dict[str, str]) -> str:
        """The symbolic ∂out/∂input[index], with the placeholders filled from ``names``."""
        template = self.partial[index]
        if callable(template):
            return str(template(names))
        return str(template).format(**names)

    def __repr__(self) -> str:
        return f"<op {self.name}({', '.join(self.inputs)})>"


def op(name: str, *, domain: tuple[str, ...] | str = REALS, partial: Any = "1",
       kind: str = "elementwise") -> Callable[[Callable[..., Any]], Op]:
    """Register ``forward`` as the op ``name``; attach its vjp with ``@<op>.vjp``."""
    def register(forward: Callable[..., Any]) -> Op:
        n_inputs = len([
            p for p in inspect.signature(forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ])
        domains = (domain,) * n_inputs if isinstance(domain, str) else tuple(domain)
        partials = (partial,) * n_inputs if not isinstance(partial, tuple) else partial
        entry = Op(name, forward, domains, partials, kind)
        if name in REGISTRY:
            raise ValueError(f"op {name!r} is registered twice")
        REGISTRY[name] = entry
        return entry
    return register


def all_ops() -> list[Op]:
    """Every registered op, in registration order."""
    return list(REGISTRY.values())


_CONSTANTS: dict[tuple[type, float, np.dtype], Tensor] = {}


def _constant(x: Any, like: np.dtype) -> Tensor:
    """Wrap a non-Tensor operand. Python numbers and non-float arrays take the dtype of
    the Tensor they meet, so ``float32_tensor * 2`` stays float32. Python numbers are
    cached: a training loop's ``* 2`` or ``- lr`` reuses one constant leaf instead of
    allocating a Tensor per op."""
    cacheable = type(x) in (int, float) and x != 0  # 0.0 and -0.0 compare equal
    if cacheable:
        key = (type(x), x, like)
        cached = _CONSTANTS.get(key)
        if cached is not None:
            return cached
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        array = x
    else:
        array = np.asarray(x, dtype=like)
    constant = Tensor.__new__(Tensor)
    constant.data = array
    constant.grad = None
    constant.requires_grad = False
    constant.name = None
    constant._op = None
    constant._parents = ()
    constant._params = None
    constant._scope = ""
    if cacheable:
        if len(_CONSTANTS) > 1024:
            _CONSTANTS.clear()
        array.flags.writeable = False  # NOTE: shared between graphs, so never mutated
        _CONSTANTS[key] = constant
    return constant


def _record(entry: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run ``entry`` on Tensors and, in grad mode, record the node."""
    inputs = args
    for a in args:
        if not isinstance(a, Tensor):  # wrap the constants, in the first Tensor's dtype
            like = next(t.data.dtype for t in args if isinstance(t, Tensor))
            inputs = tuple([t if isinstance(t, Tensor) else _constant(t, like) for t in args])
            break
    try:
        data = entry.forward(*[t.data for t in inputs], **params)
    except ValueError as err:
        raise ValueError(_shape_message(entry, inputs, err)) from None
    return _output(entry, data, inputs, params or None)


def _record_one(entry: Op, x: Tensor, params: dict[str, Any]) -> Tensor:
    """:func:`_record` for an op of one Tensor input: no constants to wrap."""
    try:
        data = entry.forward(x.data, **params)
    except ValueError as err:
        raise ValueError(_shape_message(entry, (x,), err)) from None
    return _output(entry, data, (x,), params or None)


def _output(entry: Op, data: Any, inputs: tuple[Tensor, ...],
            params: dict[str, Any] | None) -> Tensor:
    """The Tensor holding ``data``, with its node recorded when grad mode is on and an
    input requires grad."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out.name = None
    out._scope = STATE.scope
    if STATE.grad_enabled and (inputs[0].requires_grad or
                               (len(inputs) > 1 and inputs[1].requires_grad)
                               or any(t.requires_grad for t in inputs[2:])):
        out.requires_grad = True
        out._op = entry
        out._parents = inputs
        out._params = params
    else:
        out.requires_grad = False
        out._op = None
        out._parents = ()
        out._params = None
    if STATE.anomaly and not np.isfinite(data).all():
        raise FloatingPointError(
            f"detect_anomaly: op '{entry.name}' produced NaN or inf in the forward pass "
            f"(input shapes {[t.shape for t in inputs]})"
        )
    return out


def binary(entry: Op, a: Any, b: Any) -> Tensor:
    """The fast path of ``entry(a, b)`` for the arithmetic operators of Tensor (at least
    one of ``a`` and ``b`` is a Tensor)."""
    if not isinstance(a, Tensor):
        a = _constant(a, b.data.dtype)
    elif not isinstance(b, Tensor):
        b = _constant(b, a.data.dtype)
    try:
        data = entry.forward(a.data, b.data)
    except ValueError as err:
        raise ValueError(_shape_message(entry, (a, b), err)) from None
    return _output(entry, data, (a, b), None)


def unary(entry: Op, x: Tensor) -> Tensor:
    """The fast path of ``entry(x)`` for the elementwise methods of Tensor (``-x``,
    ``x.tanh()``, …): one input, no parameters, no shape to check."""
    return _output(entry, entry.forward(x.data), (x,), None)


def _shape_message(entry: Op, inputs: tuple[Tensor, ...], err: ValueError) -> str:
    shapes = " and ".join(str(t.shape) for t in inputs)
    if entry.name == "matmul":
        a, b = inputs[0].shape, inputs[1].shape
        if a == () or b == ():
            return f"matmul: cannot multiply shapes {a} and {b}; both must have at least 1 axis"
        inner_b = b[-2] if len(b) >= 2 else b[0]
        return (
            f"matmul: cannot multiply shapes {a} and {b}; the last axis of the first "
            f"({a[-1]}) must equal the second-to-last axis of the second ({inner_b})"
        )
    if entry.kind == "elementwise" and len(inputs) > 1:
        return (f"{entry.name}: cannot broadcast shapes {shapes}; trailing axes must be "
                f"equal or 1")
    return f"{entry.name}: invalid input of shape {shapes}: {err}"


def normalize_axis(axis: Any, ndim: int, name: str) -> tuple[int, ...] | None:
    """``None`` or a sorted tuple of non-negative axes; a clear error when out of range."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of range for a tensor with {ndim} axes")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return tuple(sorted(result))


def normalize_index(index: Any, shape: tuple[int, ...]) -> Any:
    """Turn Tensors and lists inside an index into integer arrays, and check it once."""
    def convert(part: Any) -> Any:
        if isinstance(part, Tensor):
            part = part.data
        if isinstance(part, (list, np.ndarray)):
            array = np.asarray(part)
            if array.dtype.kind == "f":
                if not np.all(array == np.round(array)):
                    raise IndexError("index arrays must hold integers")
                array = array.astype(np.intp)
            return array
        return part
    index = tuple(convert(p) for p in index) if isinstance(index, tuple) else convert(index)
    try:
        np.empty(shape, dtype=np.bool_)[index]
    except IndexError as err:
        raise IndexError(f"getitem: index {index!r} is invalid for shape {shape}: {err}") from None
    return index


def _keepdims_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _swap_last(x: Any) -> Any:
    if x.ndim == 2:
        return x.T
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)


# --- arithmetic ------------------------------------------------------------------------

@op("add", partial=("1", "1"))
def add(a, b):
    """out = a + b;  ∂out/∂a = 1, ∂out/∂b = 1."""
    return a + b


@add.vjp
def _(g, out, a, b, needs=(True, True)):
    return (g if needs[0] else None), (g if needs[1] else None)


@op("sub", partial=("1", "−1"))
def sub(a, b):
    """out = a − b;  ∂out/∂a = 1, ∂out/∂b = −1."""
    return a - b


@sub.vjp
def _(g, out, a, b, needs=(True, True)):
    return g, (-g if needs[1] else None)


@op("mul", partial=("{b}", "{a}"))
def mul(a, b):
    """out = a · b;  ∂out/∂a = b, ∂out/∂b = a."""
    return a * b


@mul.vjp
def _(g, out, a, b, needs=(True, True)):
    return (g * b if needs[0] else None), (g * a if needs[1] else None)


@op("div", domain=(REALS, NONZERO), partial=("1/{b}", "−{a}/{b}²"))
def div(a, b):
    """out = a / b;  ∂out/∂a = 1/b, ∂out/∂b = −a/b² = −out/b."""
    return a / b


@div.vjp
def _(g, out, a, b, needs=(True, True)):
    grad_a = g / b
    return (grad_a if needs[0] else None), (-grad_a * out if needs[1] else None)


@op("neg", partial="−1")
def neg(x):
    """out = −x;  ∂out/∂x = −1."""
    return -x


@neg.vjp
def _(g, out, x):
    return (-g,)


def _power_partial(names: dict[str, Any]) -> str:
    x = names["x"]
    try:
        p = float(names["exponent"])
    except (TypeError, ValueError):
        return f"{names['exponent']}·{x}^({names['exponent']}−1)"
    if p == 2:
        return f"2·{x}"
    if p == 1:
        return "1"
    shown = f"{p:g}"
    return f"{shown}·{x}^{p - 1:g}" if p - 1 >= 0 else f"{shown}·{x}^({p - 1:g})"


@op("pow_scalar", domain=POSITIVE, partial=_power_partial, kind="pow_scalar")
def pow_scalar(x, *, exponent):
    """out = x^p for a constant p;  ∂out/∂x = p·x^(p−1)."""
    return x ** exponent


@pow_scalar.vjp
def _(g, out, x, exponent):
    # The small factors first: g is often one number (a sum's gradient), so g·p is cheap
    # and only one pass runs over the whole of x.
    if exponent == 2:
        return ((g * 2) * x,)
    return ((g * exponent) * (x ** (exponent - 1)),)


@op("pow", domain=(POSITIVE, REALS), partial=("{b}·{a}^({b}−1)", "{out}·ln {a}"))
def pow(a, b):
    """out = a^b for tensors a > 0 and b;  ∂out/∂a = b·a^(b−1), ∂out/∂b = out·ln a."""
    return a ** b


@pow.vjp
def _(g, out, a, b, needs=(True, True)):
    return ((g * b * (a ** (b - 1)) if needs[0] else None),
            (g * out * log(a) if needs[1] else None))


@op("matmul", partial=("{b}ᵀ", "{a}ᵀ"), kind="matmul")
def matmul(a, b):
    """out = a @ b with numpy's rules (1-D, 2-D, batched);
    ∂L/∂a = g @ bᵀ, ∂L/∂b = aᵀ @ g."""
    return a @ b


@matmul.vjp
def _(g, out, a, b, needs=(True, True)):
    if a.ndim == 1 or b.ndim == 1:
        return _matmul_vjp_with_vectors(g, a, b, needs)
    grad_a = g @ _swap_last(b) if needs[0] else None
    # (gᵀa)ᵀ rather than aᵀg: the same products, but for the usual x @ W.T the gradient
    # of W comes out C-contiguous, ready to be W.grad without a copy.
    grad_b = _swap_last(_swap_last(g) @ a) if needs[1] else None
    return grad_a, grad_b


def _matmul_vjp_with_vectors(g: Any, a: Any, b: Any, needs: tuple[bool, bool]) -> Any:
    """The matmul vjp when an operand is 1-D: promote it to a matrix as numpy does,
    differentiate, then undo the promotion."""
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1]) if b.ndim > 1 else g2.reshape(1, 1)
    if b.ndim == 1:
        g2 = g2.reshape(*g2.shape, 1) if a.ndim > 1 else g2
    grad_a = grad_b = None
    if needs[0]:
        grad_a = g2 @ _swap_last(b2)
        if a.ndim == 1:
            grad_a = grad_a.reshape(*grad_a.shape[:-2], grad_a.shape[-1])
    if needs[1]:
        grad_b = _swap_last(a2) @ g2
        if b.ndim == 1:
            grad_b = grad_b.reshape(*grad_b.shape[:-1])
    return grad_a, grad_b


@op("linear", partial=("{weight}ᵀ", "{x}ᵀ (outer)", "1"), kind="linear")
def linear(x, weight, bias):
    """out = x @ weightᵀ + bias, the affine map of ``nn.Linear`` as one node (x of shape
    (..., in), weight (out, in), bias (out,));
    ∂L/∂x = g @ weight, ∂L/∂weight = gᵀ x, ∂L/∂bias = Σ g over the leading axes."""
    return x @ weight.T + bias


@linear.vjp
def _(g, out, x, weight, bias, needs=(True, True, True)):
    # The leading axes of x are samples: flatten them so each gradient is one matmul.
    rows = g.reshape(-1, weight.shape[0])
    grad_x = g @ weight if needs[0] else None
    grad_weight = rows.T @ x.reshape(-1, weight.shape[1]) if needs[1] else None
    grad_bias = rows.sum(axis=0) if needs[2] else None
    return grad_x, grad_weight, grad_bias


# --- reductions ------------------------------------------------------------------------

@op("sum", partial="1", kind="reduce")
def sum(x, *, axis, keepdims):
    """out = Σ x over ``axis``;  ∂out/∂x = 1 for every summed entry."""
    return x.sum(axis=axis, keepdims=keepdims)  # the method: np.sum adds a dispatch layer


@sum.vjp
def _(g, out, x, axis, keepdims):
    # Back to the kept-dims shape; the engine broadcasts it up to x's shape.
    return (g.reshape(_keepdims_shape(x.shape, axis)),)


@op("max", domain=DISTINCT, partial="1[{x} = max]", kind="reduce")
def max(x, *, axis, keepdims):
    """out = max of x over ``axis``;  ∂out/∂x = 1 at the maximum, 0 elsewhere. Ties
    share the gradient equally: each of c tied entries gets 1/c."""
    return np.max(x, axis=axis, keepdims=keepdims)


@max.vjp
def _(g, out, x, axis, keepdims):
    kept = _keepdims_shape(x.shape, axis)
    # The argmax mask is constant almost everywhere, so it comes from the values.
    is_max = value(x) == value(out).reshape(kept)
    share = is_max / is_max.sum(axis=axis, keepdims=True)
    return (g.reshape(kept) * share.astype(value(x).dtype),)


# --- elementwise functions -------------------------------------------------------------

@op("exp", partial="{out}")
def exp(x):
    """out = eˣ;  ∂out/∂x = eˣ = out."""
    return np.exp(x)


@exp.vjp
def _(g, out, x):
    return (g * out,)


@op("log", domain=POSITIVE, partial="1/{x}")
def log(x):
    """out = ln x;  ∂out/∂x = 1/x. Non-positive inputs give −inf or NaN without a
    warning, as in PyTorch; ``detect_anomaly`` reports them."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


@log.vjp
def _(g, out, x):
    return (g / x,)


@op("sqrt", domain=POSITIVE, partial="1/(2·{out})")
def sqrt(x):
    """out = √x;  ∂out/∂x = 1/(2√x) = 1/(2·out)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


@sqrt.vjp
def _(g, out, x):
    return (g / (out * 2),)


@op("abs", domain=AWAY_FROM_ZERO, partial="sign({x})")
def abs(x):
    """out = |x|;  ∂out/∂x = sign(x) (0 at x = 0, the subgradient PyTorch uses)."""
    return np.abs(x)


@abs.vjp
def _(g, out, x):
    # sign(x) is constant almost everywhere: taken from the values.
    return (g * np.sign(value(x)),)


@op("relu", domain=AWAY_FROM_ZERO, partial="1[{x} > 0]")
def relu(x):
    """out = max(x, 0);  ∂out/∂x = 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""
    return np.maximum(x, 0)


@relu.vjp
def _(g, out, x):
    # The mask is constant almost everywhere: taken from the values. numpy multiplies by
    # the boolean mask directly (no float copy of it), keeping g's dtype.
    return (g * (value(x) > 0),)


@op("tanh", partial="1 − {out}²")
def tanh(x):
    """out = tanh x;  ∂out/∂x = 1 − tanh² x = 1 − out²."""
    return np.tanh(x)


@tanh.vjp
def _(g, out, x):
    # Reuse out: no second tanh, and no overflow for large |x|.
    return (g * (1 - out * out),)


@op("sigmoid", partial="{out}·(1 − {out})")
def sigmoid(x):
    """out = 1/(1 + e⁻ˣ);  ∂out/∂x = out·(1 − out).

    Computed from e^(−|x|) ≤ 1, so no exponential overflows for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@sigmoid.vjp
def _(g, out, x):
    return (g * out * (1 - out),)


# --- shapes and indexing ---------------------------------------------------------------

@op("reshape", partial="1 (reshape)", kind="reshape")
def reshape(x, *, shape):
    """out = x with a new shape;  the gradient is reshaped back."""
    return x.reshape(shape)


@reshape.vjp
def _(g, out, x, shape):
    return (g.reshape(x.shape),)


@op("transpose", partial="1 (transpose)", kind="transpose")
def transpose(x, *, axes):
    """out = x with its axes permuted;  the gradient is permuted back."""
    return x.transpose(axes)


@transpose.vjp
def _(g, out, x, axes):
    inverse = [0] * len(axes)
    for position, axis in enumerate(axes):
        inverse[axis] = position
    return (g.transpose(*inverse),)


@op("broadcast_to", partial="1 (broadcast)", kind="expand")
def broadcast_to(x, *, shape):
    """out = x repeated along broadcast axes;  the gradient is summed back."""
    return np.broadcast_to(x, shape)


@broadcast_to.vjp
def _(g, out, x, shape):
    return (g,)  # the engine sums it back to x's shape


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, np.ndarray) for p in parts)


@op("getitem", partial="1 (at {index})", kind="index")
def getitem(x, *, index):
    """out = x[index] (basic or integer-array indexing);  the gradient is added back
    at the indexed places, so an index that repeats accumulates."""
    return x[index]


@getitem.vjp
def _(g, out, x, index):
    return (index_add(g, index=index, shape=x.shape),)


@op("index_add", partial="1 (scatter)", kind="scatter")
def index_add(values, *, index, shape):
    """out = zeros(shape) with ``values`` added at ``index`` (repeated indices add up):
    the adjoint of indexing."""
    out = np.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


@index_add.vjp
def _(g, out, values, index, shape):
    return (g[index],)


@op("astype", partial="1 (cast)", kind="cast")
def astype(x, *, dtype):
    """out = x converted to another float dtype;  the gradient is converted back."""
    return x.astype(dtype)


@astype.vjp
def _(g, out, x, dtype):
    return (astype(g, dtype=x.dtype),)


def _check_registry() -> None:
    missing = [entry.name for entry in REGISTRY.values() if entry.vjp_fn is _missing_vjp]
    if missing:
        raise TypeError(f"ops registered without a vjp: {missing}")


_check_registry()
