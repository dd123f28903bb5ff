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

from ._core import (  # noqa: F401
    _CONSTANTS,
    AWAY_FROM_ZERO,
    DISTINCT,
    INTERLEAVED,
    NONZERO,
    POSITIVE,
    REALS,
    REGISTRY,
    Op,
    _constant,
    _swap_last,
    all_ops,
    binary,
    normalize_axis,
    normalize_index,
    op,
    unary,
    value,
)
from .activations import (  # noqa: F401
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    normal_cdf,
    silu,
    softmax,
    softplus,
)
from .arithmetic import (  # noqa: F401
    _matmul_vjp_with_vectors,
    add,
    div,
    linear,
    matmul,
    mul,
    neg,
    pow,
    pow_scalar,
    sub,
)
from .convolution import (  # noqa: F401
    conv2d,
    conv2d_weight,
    conv_transpose2d,
    max_pool2d,
)
from .elementwise import (  # noqa: F401
    abs,
    cos,
    exp,
    expm1,
    log,
    log1p,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    tanh,
)
from .joining import concatenate, stack  # noqa: F401
from .reductions import (  # noqa: F401
    logsumexp,
    max,
    min,
    prod,
    std,
    sum,
    var,
)
from .selection import clip, maximum, minimum, where  # noqa: F401
from .shape import (  # noqa: F401
    astype,
    broadcast_to,
    flip,
    getitem,
    index_add,
    index_put,
    pad,
    reshape,
    transpose,
)

__all__ = [
    'Op', 'op', 'REGISTRY', 'all_ops', 'value', 'REALS', 'POSITIVE', 'NONZERO',
    'AWAY_FROM_ZERO', 'DISTINCT', 'add', 'sub', 'mul', 'div', 'neg', 'pow', 'pow_scalar',
    'matmul', 'linear', 'sum', 'max', 'exp', 'log', 'sqrt', 'abs', 'relu', 'tanh', 'sigmoid',
    'reshape', 'transpose', 'getitem', 'broadcast_to', 'index_add', 'astype',
    'INTERLEAVED', 'logsumexp', 'leaky_relu', 'elu', 'gelu', 'normal_cdf', 'softplus', 'silu',
    'softmax', 'log_softmax', 'square', 'log1p', 'expm1', 'sin', 'cos', 'sign', 'min',
    'prod', 'var', 'where', 'maximum', 'minimum', 'clip', 'concatenate', 'stack', 'flip', 'pad',
    'index_put', 'std',
    'conv2d', 'conv_transpose2d', 'conv2d_weight', 'max_pool2d',
]
