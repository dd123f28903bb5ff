"""check_op: property-test one op's vjp, partial and dtypes, with a shrunk counterexample.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from tinygrad_ae import strategies
from tinygrad_ae.autograd.engine import _fit_to_shape, grad
from tinygrad_ae.autograd.ops import Op
from tinygrad_ae.autograd.tensor import Tensor

from ._partials import evaluate_partial

__all__ = ["check_op", "OpCheckError", "Counterexample", "CheckReport", "FD_EPS"]

# Central differences in float64 with h = 1e-6: truncation ~h², rounding ~1e-16/h, so
# order-one inputs agree with an exact gradient to ~1e-9; the tolerances leave room for
# user ops a little less tame than ours.
FD_EPS = 1e-6
ATOL, RTOL = 1e-5, 1e-4
# Second derivatives: a difference of gradients, one more layer of rounding.
ATOL2, RTOL2 = 1e-4, 1e-3

CHECKS = ("forward", "vjp", "shape", "first derivative", "sum", "second derivative",
          "dtype", "partial")


@dataclass
class Counterexample:
    """The smallest failing case check_op found: which check failed, on which input, with
    the inputs, the cotangent g, the expected and the actual gradient and the worst entry.
    ``explanation`` says it in plain words."""

    op: str
    check: str
    explanation: str
    inputs: dict[str, np.ndarray]
    params: dict[str, Any] = field(default_factory=dict)
    input_name: str | None = None
    cotangent: np.ndarray | None = None
    expected: np.ndarray | None = None
    actual: np.ndarray | None = None
    worst_index: tuple[int, ...] | None = None

    @property
    def size(self) -> int:
        """How many numbers the failing inputs hold in all."""
        return int(sum(np.asarray(a).size for a in self.inputs.values()))

    def describe(self) -> str:
        """The counterexample as a few lines of text."""
        lines = [f"check_op: op '{self.op}' fails the {self.check} check: {self.explanation}",
                 "  smallest failing example:"]
        for name, array in self.inputs.items():
            lines.append(f"    {name} = {_show(array)}   (shape {np.shape(array)})")
        for name, value in self.params.items():
            lines.append(f"    {name} = {value!r}   (parameter)")
        if self.cotangent is not None:
            lines.append(f"    g = ∂L/∂out = {_show(self.cotangent)}")
        which = f"∂L/∂{self.input_name}" if self.input_name else "value"
        if self.check == "second derivative":
            which = f"∂(Σ w·∇L)/∂{self.input_name}"
        elif self.check == "partial":
            which = f"∂out/∂{self.input_name} (elementwise)"
        if self.expected is not None:
            lines.append(f"  expected {which} = {_show(self.expected)}")
        if self.actual is not None:
            lines.append(f"  actual   {which} = {_show(self.actual)}")
        if (self.worst_index is not None and self.expected is not None
                and self.actual is not None):
            where = ", ".join(str(i) for i in self.worst_index)
            where = f"{self.input_name}[{where}]" if where else "the only entry"
            lines.append(
                f"  worst entry, {where}: expected {_number(self.expected, self.worst_index)}"
                f", got {_number(self.actual, self.worst_index)}")
        return "\n".join(lines)


class OpCheckError(AssertionError):
    """check_op found a counterexample. An ``AssertionError``, so pytest shows it as a
    test failure; ``counterexample`` holds the details, ``picture`` the drawing (if any)."""

    def __init__(self, counterexample: Counterexample, picture: Path | None = None) -> None:
        message = counterexample.describe()
        if picture is not None:
            message += f"\n  drawn in {picture}"
        super().__init__(message)
        self.counterexample = counterexample
        self.picture = picture


@dataclass
class CheckReport:
    """What a passing check_op did: the examples tried and the checks skipped, with why."""

    op: str
    examples: int
    checks: tuple[str, ...]
    skipped: dict[str, str]

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        text = (f"op '{self.op}': {', '.join(self.checks)} passed on {self.examples} "
                f"examples")
        for check, why in self.skipped.items():
            text += f"\n  {check}: not checked ({why})"
        return text


class _Found(Exception):
    """Carries a counterexample out of hypothesis (which shrinks on any exception)."""

    def __init__(self, counterexample: Counterexample) -> None:
        super().__init__(counterexample.check, counterexample.input_name)
        self.counterexample = counterexample


def _show(array: Any) -> str:
    a = np.asarray(array)
    if a.dtype == object:
        return repr(array)
    return np.array2string(a, precision=4, separator=", ", threshold=24,
                           max_line_width=88).replace("\n", "\n      ")


def _number(array: Any, index: tuple[int, ...]) -> str:
    a = np.asarray(array)
    try:
        return f"{float(a[index] if a.ndim else a):.6g}"
    except (IndexError, TypeError, ValueError):
        return "?"


def _worst(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float
           ) -> tuple[int, ...] | None:
    """The index where ``actual`` is furthest outside the tolerance, or None if nowhere."""
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    excess = np.where(np.isfinite(excess), excess, np.inf)
    if excess.size == 0 or not (excess > 0).any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), excess.shape))


def _numeric(fn: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], k: int,
             eps: float) -> np.ndarray:
    """Central differences of the scalar ``fn`` with respect to ``arrays[k]``."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    flat = base[k].reshape(-1)  # a view of the copy: perturbing it perturbs the input
    result = np.zeros(flat.size)
    for j in range(flat.size):
        saved = flat[j]
        flat[j] = saved + eps
        plus = fn(base)
        flat[j] = saved - eps
        minus = fn(base)
        flat[j] = saved
        result[j] = (plus - minus) / (2 * eps)
    return result.reshape(base[k].shape)


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _call_vjp(op: Op, g: Any, out: Any, args: Sequence[Any], params: dict[str, Any]
              ) -> Any:
    if op.takes_needs:
        return op.vjp_fn(g, out, *args, needs=(True,) * len(args), **params)
    return op.vjp_fn(g, out, *args, **params)


@dataclass
class _Options:
    second_order: bool | None
    check_dtype: bool
    check_partial: bool
    exact_shapes: bool
    eps: float
    atol: float
    rtol: float
    seed: int
    skipped: dict[str, str] = field(default_factory=dict)
    partial_checked: bool = False


def _cotangent(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A fixed cotangent of readable numbers: ±(0.5 … 1.5) to two decimals, never 0."""
    rng = np.random.default_rng(seed)
    magnitude = np.round(rng.uniform(0.5, 1.5, size=shape), 2)
    return np.where(rng.random(size=shape) < 0.5, -magnitude, magnitude)


def _input_names(op: Op, count: int) -> list[str]:
    """The name of each of ``count`` inputs: ``xs[0]``, ``xs[1]`` … for a variadic op."""
    if not getattr(op, "variadic", False):
        return list(op.inputs)
    fixed = len(op.inputs) - 1            # the positional inputs before *xs
    return [op.inputs[k] if k < fixed else f"{op.inputs[-1]}[{k - fixed}]"
            for k in range(count)]


def _check_example(op: Op, arrays: list[np.ndarray], params: dict[str, Any],
                   options: _Options) -> Counterexample | None:
    """Every check on one example; the first failure found, or None."""
    names = _input_names(op, len(arrays))
    shown = {name: np.array(a) for name, a in zip(names, arrays)}

    def failure(check: str, explanation: str, **details: Any) -> Counterexample:
        return Counterexample(op.name, check, explanation, shown, dict(params), **details)

    def forward(xs: list[np.ndarray]) -> np.ndarray:
        return np.asarray(op.forward(*xs, **params))

    try:
        out = forward(arrays)
    except Exception as err:  # noqa: BLE001 - the user's forward: report, do not crash
        return failure("forward", f"the forward raised {type(err).__name__}: {err}")
    v = _cotangent(out.shape, options.seed)

    # 1. The vjp on its own, with plain arrays, against central differences of Σ out·v.
    try:
        grads = _call_vjp(op, v, out, arrays, params)
    except Exception as err:  # noqa: BLE001
        return failure("vjp", f"the vjp raised {type(err).__name__}: {err}", cotangent=v)
    if not isinstance(grads, (tuple, list)) or len(grads) != len(names):
        return failure("vjp", f"the vjp must return a tuple of {len(names)} gradient(s), one "
                              f"per input {tuple(names)}, got {type(grads).__name__}"
                              + (f" of length {len(grads)}" if isinstance(grads, (tuple, list))
                                 else ""), cotangent=v)
    for k, name in enumerate(names):
        shape = arrays[k].shape
        raw = np.zeros(shape) if grads[k] is None else np.asarray(
            grads[k].data if isinstance(grads[k], Tensor) else grads[k])
        if options.exact_shapes and (raw.ndim > len(shape) or not _broadcasts_to(raw.shape,
                                                                                shape)):
            hint = (" (the output's shape: sum it over the axes that broadcasting added "
                    "or stretched)" if raw.shape == out.shape else "")
            return failure("shape", f"the gradient of '{name}' has shape {raw.shape}, but "
                                    f"'{name}' has shape {shape}{hint}", input_name=name,
                           cotangent=v)
        fitted = _fit_to_shape(raw, shape) if raw.shape != shape else raw
        try:
            ok = np.broadcast_shapes(fitted.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            return failure("shape", f"the vjp returned a gradient of shape {raw.shape} for "
                                    f"'{name}' of shape {shape}; it must be '{name}''s "
                                    f"shape, or the output's shape {out.shape} (the engine "
                                    f"then sums it back)", input_name=name, cotangent=v)
        actual = np.broadcast_to(fitted, shape).astype(np.float64)
        expected = _numeric(lambda xs: float(np.sum(forward(xs) * v)), arrays, k,
                            options.eps)
        worst = _worst(expected, actual, options.atol, options.rtol)
        if worst is not None:
            return failure("first derivative", f"the gradient of '{name}' differs from "
                           f"central differences", input_name=name, cotangent=v,
                           expected=expected, actual=actual, worst_index=worst)

    # 2. Through the engine, reduced by a plain sum: g may reach the vjp as one number.
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    try:
        through_engine = grad(op(*tensors, **params).sum(), tensors)
    except Exception as err:  # noqa: BLE001
        return failure("sum", f"backward of out.sum() raised {type(err).__name__}: {err} (the "
                              f"gradient g may arrive as one number that broadcasts to out; "
                              f"let numpy broadcast it instead of reshaping it)",
                       cotangent=np.ones(out.shape))
    for k, name in enumerate(names):
        expected = _numeric(lambda xs: float(np.sum(forward(xs))), arrays, k, options.eps)
        actual = np.asarray(through_engine[k].data, dtype=np.float64)
        worst = _worst(expected, actual, options.atol, options.rtol)
        if worst is not None:
            return failure("sum", f"with L = Σ out (g = 1 everywhere, passed as one number), "
                                  f"the gradient of '{name}' is wrong", input_name=name,
                           cotangent=np.ones(out.shape), expected=expected, actual=actual,
                           worst_index=worst)

    # 3. Second derivatives: the vjp run on Tensors under grad(create_graph=True).
    if options.second_order is not False:
        found = _check_second_order(op, arrays, params, v, options)
        if isinstance(found, Counterexample):
            return found

    # 4. float32 in, float32 out: the forward and every gradient the vjp returns.
    if options.check_dtype:
        small_params = {key: (np.dtype(np.float32) if key == "dtype" else value)
                        for key, value in params.items()}
        singles = [a.astype(np.float32) for a in arrays]
        try:
            out32 = np.asarray(op.forward(*singles, **small_params))
            grads32 = _call_vjp(op, v.astype(np.float32), out32, singles, small_params)
        except Exception as err:  # noqa: BLE001
            return failure("dtype", f"with float32 inputs, {type(err).__name__}: {err}")
        if out32.dtype != np.float32:
            return failure("dtype", f"with float32 inputs the forward returns {out32.dtype}; "
                                    f"dtypes must follow the inputs")
        for k, name in enumerate(names):
            if grads32[k] is None:
                continue
            dtype = np.asarray(grads32[k]).dtype
            if dtype != np.float32:
                return failure("dtype", f"with float32 inputs the vjp returns a {dtype} "
                                        f"gradient for '{name}'; keep the inputs' dtype (a "
                                        f"numpy float64 scalar or array promotes float32)",
                               input_name=name)

    # 5. The symbolic partial on the drawings' edges, for elementwise ops.
    if options.check_partial:
        found = _check_partial(op, arrays, params, options, failure)
        if found is not None:
            return found
    return None


def _check_second_order(op: Op, arrays: list[np.ndarray], params: dict[str, Any],
                        v: np.ndarray, options: _Options) -> Counterexample | None:
    rng = np.random.default_rng(options.seed + 1)
    weights = [np.round(rng.uniform(-1.5, 1.5, size=a.shape), 2) for a in arrays]

    def projection(ts: list[Tensor]) -> Tensor:
        """Σ_k Σ w_k·∂(Σ out·v)/∂input_k, itself differentiable."""
        firsts = grad((op(*ts, **params) * v).sum(), ts, create_graph=True)
        total = (firsts[0] * weights[0]).sum()
        for g_k, w_k in zip(firsts[1:], weights[1:]):
            total = total + (g_k * w_k).sum()
        return total

    def projection_value(xs: list[np.ndarray]) -> float:
        return float(projection([Tensor(a, requires_grad=True) for a in xs]).data)

    names = _input_names(op, len(arrays))
    shown = {name: np.array(a) for name, a in zip(names, arrays)}
    try:
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        total = projection(tensors)
        actual_all = grad(total, tensors) if total.requires_grad else tuple(
            Tensor(np.zeros_like(a)) for a in arrays)
    except TypeError as err:
        if options.second_order is None:
            options.skipped["second derivative"] = (
                f"the vjp does not run on Tensors ({err}); write it with Tensor operations "
                f"to get gradients of gradients")
            return None
        return Counterexample(op.name, "second derivative", f"the vjp does not run on Tensors "
                              f"under grad(create_graph=True): {err}", shown, dict(params))
    except Exception as err:  # noqa: BLE001
        return Counterexample(op.name, "second derivative", f"grad(create_graph=True) raised "
                              f"{type(err).__name__}: {err}", shown, dict(params))
    for k, name in enumerate(names):
        expected = _numeric(projection_value, arrays, k, options.eps)
        actual = np.asarray(actual_all[k].data, dtype=np.float64)
        worst = _worst(expected, actual, ATOL2 * options.atol / ATOL, RTOL2 * options.rtol / RTOL)
        if worst is not None:
            return Counterexample(
                op.name, "second derivative", f"differentiating the vjp again gives a wrong "
                f"gradient of Σ w·∂L/∂inputs with respect to '{name}' (is part of the vjp "
                f"computed from plain values, so the engine cannot see it?)", shown,
                dict(params), input_name=name, cotangent=v, expected=expected, actual=actual,
                worst_index=worst)
    return None


def _check_partial(op: Op, arrays: list[np.ndarray], params: dict[str, Any],
                   options: _Options, failure: Callable[..., Counterexample]
                   ) -> Counterexample | None:
    if not op.broadcasts:
        options.skipped.setdefault("partial", f"ops of kind {op.kind!r} are not elementwise; "
                                              f"only their placeholders are checked")
        names = {name: name for name in (*op.inputs, "out", *op.param_names)}
        for k in range(len(op.inputs)):
            try:
                op.local_partial(k, names)
            except (KeyError, IndexError, ValueError) as err:
                return failure("partial", f"the partial for input '{op.inputs[k]}' "
                                          f"({op.partial[k]!r}) names {err}, which is not an "
                                          f"input, 'out' or a parameter")
        return None
    wide = [np.array(a) for a in np.broadcast_arrays(*arrays)]
    out = np.asarray(op.forward(*wide, **params))
    for k, name in enumerate(op.inputs):
        values = dict(zip(op.inputs, wide))
        values["out"] = out
        symbolic = evaluate_partial(op.partial[k], k, values, params)
        if symbolic is None:
            options.skipped.setdefault("partial", f"{op.partial[k]!r} is not a formula the "
                                                  f"checker can evaluate")
            continue
        try:
            symbolic = np.broadcast_to(symbolic, out.shape).astype(np.float64)
        except ValueError:
            continue
        options.partial_checked = True
        plus = [a.copy() for a in wide]
        minus = [a.copy() for a in wide]
        plus[k] = plus[k] + options.eps
        minus[k] = minus[k] - options.eps
        expected = (np.asarray(op.forward(*plus, **params), dtype=np.float64)
                    - np.asarray(op.forward(*minus, **params), dtype=np.float64)) / (
                        2 * options.eps)
        worst = _worst(expected, symbolic, ATOL2, RTOL2)
        if worst is not None:
            return failure("partial", f"the declared partial ∂out/∂{name} = "
                                      f"{op.partial[k]!r} does not match the forward's "
                                      f"elementwise derivative", input_name=name,
                           expected=expected, actual=symbolic, worst_index=worst)
    return None


def _input_strategy(op: Op, inputs: Any, shapes: Sequence[Sequence[int]] | None,
                    params: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if inputs is not None:
        if not isinstance(inputs, st.SearchStrategy):
            raise TypeError(f"check_op: inputs must be a hypothesis strategy (drawing a list "
                            f"of arrays, or (tensors, params)), got {type(inputs).__name__}")
        return inputs
    if shapes is not None:
        if len(shapes) != len(op.inputs) and not getattr(op, "variadic", False):
            raise ValueError(f"check_op: op {op.name!r} takes {len(op.inputs)} input(s) "
                             f"{op.inputs}, but {len(shapes)} shape(s) were given")
        domains = [op.domain[min(k, len(op.domain) - 1)] for k in range(len(shapes))]
        return st.tuples(*[strategies.arrays(tuple(s), domain=d)
                           for s, d in zip(shapes, domains)]).map(
            lambda xs: (list(xs), dict(params or {})))
    return strategies.op_inputs(op).map(lambda pair: (pair[0], {**pair[1], **(params or {})}))


def _unpack(example: Any) -> tuple[list[np.ndarray], dict[str, Any]]:
    if (isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict)):
        items, params = example
    else:
        items, params = example, {}
    arrays = [np.array(t.data if isinstance(t, Tensor) else t, dtype=np.float64)
              for t in items]
    return arrays, dict(params)


def check_op(
    op: Op,
    *,
    max_examples: int = 30,
    shapes: Sequence[Sequence[int]] | None = None,
    params: dict[str, Any] | None = None,
    inputs: st.SearchStrategy[Any] | None = None,
    second_order: bool | None = None,
    check_dtype: bool = True,
    check_partial: bool = True,
    exact_shapes: bool = False,
    draw: str | os.PathLike[str] | None = None,
    eps: float = FD_EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    seed: int = 0,
) -> CheckReport:
    """Property-test ``op`` (registered with :func:`tinygrad_ae.op`) and raise
    :class:`OpCheckError` with the smallest counterexample hypothesis can find.

    Inputs are drawn inside the op's declared domain, with shapes from
    :func:`tinygrad_ae.strategies.op_inputs` (broadcasting shapes for elementwise ops),
    or of the given ``shapes``, or from your own ``inputs`` strategy. On each example:

    1. the vjp (called with plain arrays and a fixed cotangent g) returns one gradient per
       input, of the input's shape or the output's, equal to central differences of
       Σ out·g in float64 (``exact_shapes=True``: the vjp sums over broadcast axes
       itself, so each gradient has its input's shape or broadcasts to it);
    2. through the engine, the gradient of ``out.sum()`` is right too (g then reaches the
       vjp as one number);
    3. second derivatives, via ``grad(create_graph=True)``, match central differences of
       the first gradient (``second_order=None`` skips this, with a note in the report,
       when the vjp cannot run on Tensors; ``True`` requires it; ``False`` skips it);
    4. float32 inputs give a float32 output and float32 gradients;
    5. for elementwise ops, the symbolic ``partial`` shown on drawings equals the
       forward's derivative where the text is a formula it can read (``1 − {out}²``).

    ``draw`` (a path without suffix) writes the failing example's graph with the wrong
    edge in red (SVG, or ``.dot`` without Graphviz). Returns a :class:`CheckReport`.

    >>> import tinygrad_ae as tg
    >>> report = check_op(tg.registry.get("tanh"), max_examples=5)
    >>> print(report)
    op 'tanh': vjp, first derivative, sum, second derivative, dtype, partial passed on 5 examples
    """
    return _check_op(op, max_examples, shapes, params, inputs, second_order, check_dtype,
                     check_partial, exact_shapes, draw, eps, atol, rtol, seed, "declared")


def _check_op(op: Op, max_examples: int, shapes: Sequence[Sequence[int]] | None,
              params: dict[str, Any] | None, inputs: st.SearchStrategy[Any] | None,
              second_order: bool | None, check_dtype: bool, check_partial: bool,
              exact_shapes: bool, draw: str | os.PathLike[str] | None, eps: float,
              atol: float, rtol: float, seed: int, partial_word: str) -> CheckReport:
    """check_op, with the word the picture uses for the op's partial ("declared" for a
    user's op, "right" for an exercise's)."""
    if not isinstance(op, Op):
        raise TypeError(f"check_op: expected an op made with tinygrad_ae.op(...), got "
                        f"{type(op).__name__}")
    if max_examples < 1:
        raise ValueError(f"check_op: max_examples must be at least 1, got {max_examples}")
    strategy = _input_strategy(op, inputs, shapes, params)
    options = _Options(second_order, check_dtype, check_partial, exact_shapes, eps, atol,
                       rtol, seed)
    count = [0]

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              verbosity=Verbosity.quiet,
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
    @given(strategy)
    def run(example: Any) -> None:
        count[0] += 1
        arrays, drawn = _unpack(example)
        with np.errstate(all="ignore"):  # a non-finite gradient is reported, not warned
            found = _check_example(op, arrays, drawn, options)
        if found is not None:
            raise _Found(found)

    try:
        run()
    except NotImplementedError as err:
        if not str(err).startswith("op_inputs: no strategy"):
            raise
        raise TypeError(f"check_op: no input strategy for ops of kind {op.kind!r}; pass "
                        f"shapes=[...] (one shape per input) or inputs=<strategy>") from None
    except _Found as found:
        counterexample = found.counterexample
        picture = None
        if draw is not None:
            from ._picture import draw_counterexample
            try:
                picture = draw_counterexample(op, counterexample, draw, partial_word)
            except Exception:  # noqa: BLE001 - a picture must never hide the counterexample
                picture = None
        raise OpCheckError(counterexample, picture) from None
    done = ["vjp", "first derivative", "sum"]
    if second_order is not False and "second derivative" not in options.skipped:
        done.append("second derivative")
    if check_dtype:
        done.append("dtype")
    skipped = dict(options.skipped)
    if check_partial and op.broadcasts and options.partial_checked:
        done.append("partial")          # read as a formula on some examples at least
        skipped.pop("partial", None)
    return CheckReport(op.name, min(count[0], max_examples), tuple(done), skipped)
