"""Hypothesis strategies for tinygrad_ae, public and documented, for our tests and yours.

Layer: a leaf for test code; imports hypothesis, numpy, ``tensor``, ``ops`` and ``data``.
Importing it changes no hypothesis settings (profiles live in ``tests/conftest.py``).

Every strategy draws inside the domain an op declares (positive for ``log``, away from
the kinks of ``abs`` and ``relu``, without ties for ``max``), so no test shifts inputs by
hand. Values stay of order one, where float64 central differences are accurate to ~1e-10.

>>> from hypothesis import given
>>> @given(tensors(shape=(2, 3)))
... def test_shape(t):
...     assert t.shape == (2, 3) and t.requires_grad
>>> test_shape()
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_ae import data as _data
from tinygrad_ae.autograd import ops as _ops
from tinygrad_ae.autograd.tensor import Tensor

__all__ = [
    "elements", "arrays", "shapes", "broadcastable_shapes", "tensors", "op_inputs",
    "spectra", "data_with_spectrum", "linear_ae_params", "paper_params",
    "convolution_settings",
]

MAX_DIMS = 3
MAX_SIDE = 3


def elements(domain: str = _ops.REALS, scale: float = 2.0) -> st.SearchStrategy[float]:
    """Floats of order one inside an op's input ``domain`` (see :mod:`tinygrad_ae.ops`).

    >>> elements("positive").example() > 0
    True
    """
    if domain == _ops.REALS:
        return st.floats(-scale, scale, allow_nan=False, allow_infinity=False)
    if domain == _ops.POSITIVE:
        return st.floats(0.25, 0.25 + scale, allow_nan=False, allow_infinity=False)
    if domain in (_ops.NONZERO, _ops.AWAY_FROM_ZERO):
        magnitude = st.floats(0.25, 0.25 + scale, allow_nan=False, allow_infinity=False)
        return st.tuples(magnitude, st.booleans()).map(lambda p: p[0] if p[1] else -p[0])
    if domain == _ops.DISTINCT:
        # A grid 0.1 apart: distinct values stay distinct under a 1e-6 perturbation.
        return st.integers(-10 * int(scale), 10 * int(scale)).map(lambda k: k / 10)
    if domain == _ops.INTERLEAVED:
        # Halfway between the points of DISTINCT's grid: never equal to one of them.
        return st.integers(-10 * int(scale), 10 * int(scale) - 1).map(lambda k: (k + 0.5) / 10)
    raise ValueError(f"unknown domain {domain!r}; expected one of reals, positive, nonzero, "
                     f"away_from_zero, distinct, interleaved")


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, small by default so gradient checks stay fast."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape: Any = None, dtype: Any = np.float64, domain: str = _ops.REALS,
           scale: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    """Numpy arrays of ``dtype`` with entries inside ``domain``; ``shape`` may be a tuple
    or a strategy (default: :func:`shapes`)."""
    unique = domain == _ops.DISTINCT
    return hnp.arrays(np.dtype(dtype), shape if shape is not None else shapes(),
                      elements=elements(domain, scale).map(float), unique=unique)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = MAX_DIMS,
                         max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[tuple[int, ...],
                                                                              ...]]:
    """``num_shapes`` shapes that broadcast together under numpy's rules (some axes 1,
    some missing), the cases where a backward pass must sum gradients back.

    >>> a, b = broadcastable_shapes().example()
    >>> np.broadcast_shapes(a, b) is not None
    True
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda result: tuple(result.input_shapes))


def tensors(shape: Any = None, dtype: Any = np.float64, domain: str = _ops.REALS,
            requires_grad: bool = True) -> st.SearchStrategy[Tensor]:
    """Tensors wrapping :func:`arrays` (requiring grad by default)."""
    return arrays(shape, dtype, domain).map(
        lambda a: Tensor(a, requires_grad=requires_grad, dtype=dtype))


def _axis(ndim: int) -> st.SearchStrategy[Any]:
    if ndim == 0:
        return st.none()
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                       unique=True).map(tuple)
    return st.one_of(st.none(), single, several)


@st.composite
def op_inputs(draw: Any, op: _ops.Op, dtype: Any = np.float64) -> tuple[list[Tensor],
                                                                         dict[str, Any]]:
    """Inputs and parameters for one registered ``op``, inside its declared domains:
    ``(tensors, params)`` such that ``op(*tensors, **params)`` is valid.

    An op of a new kind needs a case here; an op of an existing kind (elementwise of any
    arity, reduce, ...) is covered by registering it.
    """
    def tensor(shape: tuple[int, ...], domain: str) -> Tensor:
        return Tensor(draw(arrays(shape, dtype, domain)), requires_grad=True, dtype=dtype)

    kind = op.kind
    if kind == "elementwise":
        input_shapes = draw(broadcastable_shapes(len(op.inputs)))
        return ([tensor(s, d) for s, d in zip(input_shapes, op.domain)],
                draw(_params(op, op.param_names)))
    if kind == "softmax":
        shape = draw(shapes(min_dims=1))
        axis = draw(st.integers(-len(shape), len(shape) - 1)) % len(shape)
        return [tensor(shape, op.domain[0])], {"axis": axis}
    if kind == "pow_scalar":
        exponent = draw(st.sampled_from([2, 3, 0.5, -1, 1.5, -0.5]))
        return [tensor(draw(shapes()), op.domain[0])], {"exponent": exponent}
    if kind == "reduce":
        shape = draw(shapes())
        params = {"axis": _ops.normalize_axis(draw(_axis(len(shape))), len(shape), op.name),
                  "keepdims": draw(st.booleans())}
        if "ddof" in op.param_names:  # at least one degree of freedom left
            axis = params["axis"]
            count = int(np.prod([shape[a] for a in (range(len(shape)) if axis is None
                                                    else axis)]))
            params["ddof"] = draw(st.integers(0, 1 if count > 1 else 0))
        return [tensor(shape, op.domain[0])], params
    if kind == "where":
        cond_shape, a_shape, b_shape = draw(broadcastable_shapes(3))
        condition = draw(hnp.arrays(np.bool_, cond_shape))
        return ([tensor(a_shape, op.domain[0]), tensor(b_shape, op.domain[1])],
                {"condition": condition})
    if kind in ("concatenate", "stack"):
        shape = list(draw(shapes(min_dims=1 if kind == "concatenate" else 0)))
        n_inputs = draw(st.integers(1, 3))
        if kind == "stack":
            axis = draw(st.integers(0, len(shape)))
            return [tensor(tuple(shape), op.domain[0]) for _ in range(n_inputs)], {"axis": axis}
        axis = draw(st.integers(0, len(shape) - 1))
        inputs = []
        for _ in range(n_inputs):
            shape[axis] = draw(st.integers(1, MAX_SIDE))
            inputs.append(tensor(tuple(shape), op.domain[0]))
        return inputs, {"axis": axis}
    if kind == "flip":
        shape = draw(shapes(min_dims=1))
        axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
        return [tensor(shape, op.domain[0])], {"axis": tuple(sorted(axes))}
    if kind == "pad":
        shape = draw(shapes())
        widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
        return [tensor(shape, op.domain[0])], {"widths": widths,
                                                 "value": draw(st.sampled_from([0.0, -1.5]))}
    if kind == "matmul":
        n, k, p = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        batch = draw(st.sampled_from([(), (2,), (1,)]))
        other_batch = draw(st.sampled_from([(), (2,), (1,)]))
        case = draw(st.sampled_from(["vv", "vm", "mv", "mm"]))
        a_shape = (k,) if case[0] == "v" else (*batch, n, k)
        b_shape = (k,) if case[1] == "v" else (*other_batch, k, p)
        if case == "mm" and batch and other_batch and batch != other_batch:
            b_shape = (*batch, k, p)
        return [tensor(a_shape, op.domain[0]), tensor(b_shape, op.domain[1])], {}
    if kind == "linear":
        n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        batch = draw(st.sampled_from([(), (2,), (3,), (2, 2)]))
        return [tensor((*batch, n_in), op.domain[0]), tensor((n_out, n_in), op.domain[1]),
                tensor((n_out,), op.domain[2])], {}
    if kind == "reshape":
        shape = draw(shapes())
        size = int(np.prod(shape))
        target = draw(st.sampled_from([(size,), tuple(reversed(shape)), (*shape, 1),
                                       (1, size)]))
        return [tensor(shape, op.domain[0])], {"shape": target}
    if kind == "transpose":
        shape = draw(shapes())
        axes = tuple(draw(st.permutations(list(range(len(shape))))))
        return [tensor(shape, op.domain[0])], {"axes": axes}
    if kind == "expand":
        target = draw(shapes(min_dims=1))
        dropped = draw(st.integers(0, len(target)))
        small = tuple(1 if draw(st.booleans()) else n for n in target[dropped:])
        return [tensor(small, op.domain[0])], {"shape": target}
    if kind in ("index", "scatter"):
        shape = draw(shapes(min_dims=1))
        index = draw(_index(shape))
        if kind == "index":
            return [tensor(shape, op.domain[0])], {"index": index}
        values_shape = np.empty(shape)[index].shape
        return [tensor(values_shape, op.domain[0])], {"index": index, "shape": shape}
    if kind == "index_put":
        shape = draw(shapes(min_dims=1))
        index = _unique(draw(_index(shape)))  # a repeated index has no defined gradient
        return ([tensor(shape, op.domain[0]), tensor(np.empty(shape)[index].shape,
                                                     op.domain[1])], {"index": index})
    if kind == "cast":
        # float64 → float64: a cast to float32 would make central differences meaningless.
        return [tensor(draw(shapes()), op.domain[0])], {"dtype": np.dtype(dtype)}
    if kind in ("conv", "conv_transpose", "conv_weight", "pool"):
        return draw(_convolution_inputs(op, kind, tensor))
    raise NotImplementedError(f"op_inputs: no strategy for ops of kind {kind!r} "
                              f"(op {op.name!r}); add a case in tinygrad_ae/strategies.py")


# Values for the parameters of elementwise ops, by name. A kink or a jump must never meet
# a drawn input, and hypothesis also tries the literals it finds in the code, so an odd
# value is not enough: softplus's threshold stays out of reach (its linear part is
# checked against PyTorch), and clip's bounds sit halfway between the points of the
# DISTINCT grid its input is drawn from.
_PARAMETERS: dict[str, st.SearchStrategy[Any]] = {
    "negative_slope": st.sampled_from([0.01, 0.2, 1.5]),
    "alpha": st.sampled_from([1.0, 0.5, 2.0]),
    "approximate": st.sampled_from(["none", "tanh"]),
    "beta": st.sampled_from([1.0, 0.5, 2.0]),
    "threshold": st.just(20.0),
    "min": st.sampled_from([None, -0.75, -1.25]),
    "max": st.sampled_from([None, 0.65, 1.35]),
}


def _params(op: _ops.Op, names: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    unknown = [name for name in names if name not in _PARAMETERS]
    if unknown:
        raise NotImplementedError(f"op_inputs: no strategy for the parameters {unknown} of op "
                                  f"{op.name!r}; add them in tinygrad_ae/strategies.py")
    return st.fixed_dictionaries({name: _PARAMETERS[name] for name in names})


def _unique(index: Any) -> Any:
    """``index`` with each integer array's repeats removed."""
    if isinstance(index, np.ndarray):
        return np.unique(index)
    if isinstance(index, tuple):
        return tuple(_unique(part) for part in index)
    return index


@st.composite
def convolution_settings(draw: Any, max_groups: int = 2, max_side: int = 5) -> dict[str, Any]:
    """One small convolution problem, as PyTorch would accept it: ``n_samples``,
    ``in_channels``, ``out_channels``, ``groups``, ``kernel_size``, ``stride``, ``padding``,
    ``dilation`` (pairs) and an input ``size`` (H, W) large enough for the kernel.

    >>> from hypothesis import given
    >>> @given(convolution_settings())
    ... def test_fits(s):
    ...     span = s["dilation"][0] * (s["kernel_size"][0] - 1) + 1
    ...     assert s["size"][0] + 2 * s["padding"][0] >= span
    >>> test_fits()
    """
    groups = draw(st.integers(1, max_groups))
    pair = st.tuples
    kernel = draw(pair(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(pair(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(pair(st.integers(1, 2), st.integers(1, 2)))
    padding = draw(pair(st.integers(0, kernel[0] // 2 + 1), st.integers(0, kernel[1] // 2 + 1)))
    size = tuple(
        draw(st.integers(max(1, dilation[a] * (kernel[a] - 1) + 1 - 2 * padding[a]),
                         max_side + dilation[a] * (kernel[a] - 1)))
        for a in (0, 1)
    )
    return {"n_samples": draw(st.integers(1, 2)),
            "in_channels": groups * draw(st.integers(1, 2)),
            "out_channels": groups * draw(st.integers(1, 2)), "groups": groups,
            "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dilation, "size": size}


@st.composite
def _convolution_inputs(draw: Any, op: _ops.Op, kind: str, tensor: Any) -> Any:
    """Inputs of the convolution ops (see :mod:`tinygrad_ae.autograd.ops.convolution`)."""
    from tinygrad_ae.autograd.ops.convolution import conv_output_size

    s = draw(convolution_settings())
    (kh, kw), stride, padding, dilation = (s["kernel_size"], s["stride"], s["padding"],
                                           s["dilation"])
    n, c_in, c_out, groups = s["n_samples"], s["in_channels"], s["out_channels"], s["groups"]
    h, w = s["size"]
    out_hw = tuple(conv_output_size(s["size"][a], s["kernel_size"][a], stride[a], padding[a],
                                    dilation[a]) for a in (0, 1))
    conv = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    if kind == "pool":
        # Distinct values (no ties) are drawn from a finite grid: keep the input small, and
        # every window overlapping the input (PyTorch allows padding ≤ kernel / 2).
        padding = (min(padding[0], kh // 2), min(padding[1], kw // 2))
        h, w = (draw(st.integers(dilation[a] * (s["kernel_size"][a] - 1) + 1,
                                 dilation[a] * (s["kernel_size"][a] - 1) + 3)) for a in (0, 1))
        return ([tensor((1, min(c_in, 2), h, w), op.domain[0])],
                {"kernel_size": (kh, kw), "stride": stride, "padding": padding,
                 "dilation": dilation})
    weight_shape = (c_out, c_in // groups, kh, kw)
    if kind == "conv":
        return [tensor((n, c_in, h, w), op.domain[0]), tensor(weight_shape, op.domain[1])], conv
    if kind == "conv_weight":
        return ([tensor((n, c_in, h, w), op.domain[0]),
                 tensor((n, c_out, *out_hw), op.domain[1])],
                {**conv, "kernel_size": (kh, kw)})
    # The transposed convolution maps (N, C_out, H_out, W_out) back to (N, C_in, H, W).
    extra = tuple(s["size"][a] - ((out_hw[a] - 1) * stride[a] - 2 * padding[a]
                                  + dilation[a] * (s["kernel_size"][a] - 1) + 1) for a in (0, 1))
    return ([tensor((n, c_out, *out_hw), op.domain[0]), tensor(weight_shape, op.domain[1])],
            {**conv, "output_padding": extra})


@st.composite
def _index(draw: Any, shape: tuple[int, ...]) -> Any:
    n = shape[0]
    choice = draw(st.sampled_from(["int", "slice", "array", "tuple"]))
    if choice == "int":
        return draw(st.integers(-n, n - 1))
    if choice == "slice":
        start = draw(st.integers(0, n - 1))
        return slice(start, draw(st.integers(start + 1, n)))
    # Integer arrays with repeats: their gradients must accumulate.
    array = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)),
                     dtype=np.intp)
    if choice == "array" or len(shape) == 1:
        return array
    return (slice(None), np.array(draw(st.lists(st.integers(0, shape[1] - 1), min_size=1,
                                                max_size=3)), dtype=np.intp))


@st.composite
def spectra(draw: Any, n_features: int, n_components: int, min_gap: float = 2.0,
            min_eigenvalue: float = 0.02) -> tuple[float, ...]:
    """Descending covariance eigenvalues with λ_1 = 1 and an eigengap
    λ_k/λ_(k+1) ≥ ``min_gap`` after the first ``n_components``; the top k are spread at
    least 1.2× apart so each mode is well defined.

    >>> lam = spectra(4, 2).example()
    >>> lam[0] == 1.0 and lam[1] / lam[2] >= 2.0
    True
    """
    if not 1 <= n_components < n_features:
        raise ValueError(f"spectra: need 1 <= n_components < n_features, got "
                         f"{n_components} and {n_features}")
    values = [1.0]
    for _ in range(1, n_components):
        values.append(values[-1] / draw(st.floats(1.2, 3.0)))
    values.append(max(values[-1] / draw(st.floats(min_gap, 4 * min_gap)), 2 * min_eigenvalue))
    for _ in range(n_components + 1, n_features):
        values.append(max(values[-1] / draw(st.floats(1.0, 2.0)), min_eigenvalue))
    return tuple(values)


@st.composite
def data_with_spectrum(draw: Any, n_samples: Any, eigenvalues: Any, mean: Any = None,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data whose 1/N covariance has exactly the given spectrum and known principal
    directions: ``(X, eigenvalues, components)`` with X of shape (n_samples, n_features)
    and components' column j the j-th principal direction. ``n_samples``, ``eigenvalues``
    and ``mean`` may be values or strategies; the random rotation comes from a drawn seed.

    >>> X, lam, U = data_with_spectrum(20, (1.0, 0.25)).example()
    >>> bool(np.allclose(np.cov(X.T, bias=True), U @ np.diag(lam) @ U.T))
    True
    """
    def value(x: Any) -> Any:
        return draw(x) if isinstance(x, st.SearchStrategy) else x

    lam = np.asarray(value(eigenvalues), dtype=np.float64)
    n = int(value(n_samples))
    mu = value(mean)
    seed = draw(st.integers(0, 2**32 - 1))
    X, components = _data.with_spectrum(n, lam, mean=mu, seed=seed)
    return X, lam, components


@st.composite
def linear_ae_params(draw: Any, n_features: int, n_components: int, scale: float = 1.0,
                     bias: bool = True) -> dict[str, np.ndarray]:
    """Parameters of a linear autoencoder x̂ = W_d (W_e x + b_e) + b_d: a dict with
    ``W_e`` (k × m), ``b_e`` (k), ``W_d`` (m × k), ``b_d`` (m), entries in ±scale."""
    def block(shape: tuple[int, ...]) -> np.ndarray:
        return draw(hnp.arrays(np.float64, shape, elements=st.floats(-scale, scale)))

    k, m = n_components, n_features
    zeros_k, zeros_m = np.zeros(k), np.zeros(m)
    return {"W_e": block((k, m)), "b_e": block((k,)) if bias else zeros_k,
            "W_d": block((m, k)), "b_d": block((m,)) if bias else zeros_m}


def paper_params(scale: float = 2.0) -> st.SearchStrategy[dict[str, float]]:
    """The seven scalars of the paper's 2-1-2 network, each in ±scale.

    >>> sorted(paper_params().example())
    ['b1', 'b2', 'b3', 'w1', 'w2', 'w3', 'w4']
    """
    number = st.floats(-scale, scale, allow_nan=False, allow_infinity=False)
    return st.fixed_dictionaries({name: number for name in
                                  ("w1", "w2", "w3", "w4", "b1", "b2", "b3")})
