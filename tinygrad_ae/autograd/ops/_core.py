"""The op registry: :class:`Op`, the :func:`op` decorator, input domains, and how a
call on Tensors is recorded as a graph node.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import STATE, Tensor

# Input domains, for gradient checks: where central differences are valid.
REALS = "reals"
POSITIVE = "positive"              # log, sqrt, the base of a real power
NONZERO = "nonzero"                # a divisor
AWAY_FROM_ZERO = "away_from_zero"  # the kink of abs and relu
DISTINCT = "distinct"              # max: no ties, so the derivative exists
INTERLEAVED = "interleaved"        # maximum's second input: between DISTINCT's grid, no ties

REGISTRY: dict[str, Op] = {}

_PACKAGE = Path(__file__).resolve().parents[2]   # the tinygrad_ae folder


def value(x: Any) -> np.ndarray:
    """The numpy value of a Tensor or array (vjps use it for masks that are constant
    almost everywhere, such as the ReLU mask, which need no derivative of their own)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _missing_vjp(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("this op has no vjp registered; attach one with @<op>.vjp")


def _defined_in_package(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` is one of tinygrad_ae's own (its vjps are trusted and unwrapped)."""
    code = getattr(fn, "__code__", None)
    if code is None or code.co_filename.startswith("<"):
        return False
    return Path(code.co_filename).resolve().is_relative_to(_PACKAGE)


def _checked_vjp(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A user's vjp, checked to return one gradient per input: a bare array would
    otherwise be read as a sequence of gradients, one row per input, and a wrong count
    would be cut short by ``zip``; both give wrong gradients without a word."""
    @functools.wraps(fn)
    def checked(g: Any, out: Any, *inputs: Any, **params: Any) -> Any:
        grads = fn(g, out, *inputs, **params)
        if not isinstance(grads, (tuple, list)) or len(grads) != len(inputs):
            got = (f"{len(grads)} gradients" if isinstance(grads, (tuple, list))
                   else f"a {type(grads).__name__}")
            raise TypeError(
                f"op {name!r}: its vjp must return one gradient per input ({len(inputs)}, "
                f"None for an input without one) as a tuple, got {got}; for one input "
                f"write `return (grad,)`")
        return grads
    return checked


class Op:
    """One differentiable operation: forward, vjp, domain and symbolic partial."""

    def __init__(self, name: str, forward: Callable[..., Any], domain: tuple[str, ...],
                 partial: tuple[Any, ...], kind: str, saves_values: bool = True) -> None:
        signature = inspect.signature(forward)
        self.inputs = _input_names(forward)
        # A variadic op (``def concatenate(*xs, axis)``) takes any number of tensors; its
        # one domain and one partial apply to each of them.
        self.variadic = any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values())
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
        # False when the vjp reads no value of the inputs or the output (only shapes and
        # parameters): changing them in place afterwards cannot spoil its gradient.
        self.saves_values = saves_values
        self.vjp_fn: Callable[..., Any] = _missing_vjp
        self.takes_needs = False
        self.needs_next = False
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
        builtin = _defined_in_package(fn)
        # needs right after the inputs of a built-in vjp: the engine may pass it by
        # position (a user's vjp is wrapped by _checked_vjp, which reads inputs only so)
        self.needs_next = (builtin and self.takes_needs and not self.variadic
                           and names[len(expected)] == "needs")
        self.vjp_fn = fn if builtin else _checked_vjp(self.name, fn)
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

    def input_name(self, index: int) -> str:
        """The name of input ``index``: ``xs[2]`` for the third input of a variadic op."""
        if self.variadic and index >= len(self.inputs) - 1:
            return f"{self.inputs[-1]}[{index - len(self.inputs) + 1}]"
        return self.inputs[index]

    def local_partial(self, index: int, names: dict[str, str]) -> str:
        """The symbolic ∂out/∂input[index], with the placeholders filled from ``names``."""
        template = self.partial[min(index, len(self.partial) - 1) if self.variadic else index]
        if callable(template):
            return str(template(names))
        return str(template).format(**names)

    def __repr__(self) -> str:
        return f"<op {self.name}({', '.join(self.inputs)})>"


def op(name: str, *, domain: tuple[str, ...] | str = REALS, partial: Any = "1",
       kind: str = "elementwise", saves_values: bool = True, replace: bool = False
       ) -> Callable[[Callable[..., Any]], Op]:
    """Register ``forward`` as the op ``name``; attach its vjp with ``@<op>.vjp``.

    A name already registered is refused unless ``replace=True`` (which swaps the entry;
    see :func:`tinygrad_ae.autograd.registry.scope` to undo it at the end of a test)."""
    def register(forward: Callable[..., Any]) -> Op:
        n_inputs = len(_input_names(forward))
        domains = (domain,) * n_inputs if isinstance(domain, str) else tuple(domain)
        partials = (partial,) * n_inputs if not isinstance(partial, tuple) else partial
        entry = Op(name, forward, domains, partials, kind, saves_values)
        if name in REGISTRY and not replace:
            raise ValueError(f"op {name!r} is already registered; choose another name, or "
                             f"pass replace=True to redefine it")
        REGISTRY[name] = entry
        return entry
    return register


def _input_names(forward: Callable[..., Any]) -> tuple[str, ...]:
    """The names of the tensor inputs of ``forward``: its positional parameters (a
    ``*xs`` counts as one)."""
    return tuple(
        p.name for p in inspect.signature(forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    )


def all_ops() -> list[Op]:
    """Every registered op, in registration order."""
    return list(REGISTRY.values())


_CONSTANTS: dict[tuple[type, float, np.dtype], Tensor] = {}


def _constant(x: Any, like: np.dtype) -> Tensor:
    """Wrap a non-Tensor operand. Python numbers and non-float arrays take the dtype of
    the Tensor they meet, so ``float32_tensor * 2`` stays float32. Python numbers are
    cached: a training loop's ``* 2`` or ``- lr`` reuses one constant leaf instead of
    allocating a Tensor per op."""
    # Zero is never cached: 0.0 and -0.0 compare equal. (Two ``is`` tests and a truth test
    # cost a third of ``type(x) in (int, float) and x != 0``: this runs on every op.)
    cacheable = (type(x) is float or type(x) is int) and bool(x)
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
        out._stamp = STATE.mutations
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
    if type(axis) is int and 0 <= axis < ndim:  # the common case, in a vjp's x.sum(axis=0)
        return (axis,)
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
