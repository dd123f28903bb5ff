"""The reverse-mode engine: topological order, backward, grad, detect_anomaly.

Layer: above :mod:`tinygrad_ae.ops`; imports numpy, ``tensor`` and ``ops`` only.

Every walk is iterative, never recursive: a 100,000-op chain is an ordinary input.
:func:`topological_order` lists the graph for ``viz`` and ``chain_rule``. ``backward``
needs no list first: it counts how many ops of the graph use each tensor, then handles a
tensor once all of them have passed their gradient back (Kahn's order, a reversed
topological order found during the walk; the separate listing cost about a fifth of the
walk). It keeps a gradient still waiting for terms in a dict keyed by ``id`` (the roots
keep every tensor of the graph alive during the walk, so ids are unique), lets each go
when its tensor is done so memory comes back early, and adds into ``.grad`` only on
leaves that require grad.

Two things keep it close to hand-written numpy. A gradient that is constant along some
axes (a ``sum``'s, one number) stays that small while it flows through elementwise ops,
which broadcast it themselves; it is expanded only for an op or a leaf that needs the
full shape. And a leaf's first gradient is not copied when backward made that array and
handed it to no one else: the leaf adopts it (see :func:`_accumulate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinygrad_ae.autograd._fast import sum_rows
from tinygrad_ae.autograd.inplace import check_unchanged
from tinygrad_ae.autograd.tensor import STATE, ArrayLike, Tensor, enable_grad

__all__ = ["topological_order", "backward", "grad", "detect_anomaly"]


def topological_order(root: Tensor | Sequence[Tensor], grad_only: bool = False) -> list[Tensor]:
    """Every tensor reachable from ``root`` (a tensor or a list of them), each listed
    after all of its inputs. With ``grad_only``, tensors that do not require grad (data,
    constants) are left out.

    >>> x = Tensor(1.0, requires_grad=True, name="x")
    >>> y = (x * 2).exp()
    >>> [t.name or t.op_name for t in topological_order(y)]
    ['x', None, 'mul', 'exp']
    """
    roots = [root] if isinstance(root, Tensor) else list(root)
    order: list[Tensor] = []
    seen: set[int] = set()
    todo: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    while todo:
        node, inputs_listed = todo.pop()
        if inputs_listed:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            todo.append((node, True))
            for parent in reversed(node._parents):
                # An input already seen needs no second visit; data needs none with grad_only.
                if id(parent) not in seen and (parent.requires_grad or not grad_only):
                    todo.append((parent, False))
    return order


def _fit_to_shape(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back down to ``shape``: over the leading axes ``shape``
    lacks and the axes where it has length 1. Works on arrays and on Tensors.

    Axes where ``g`` has length 1 and ``shape`` does not are left alone: such a gradient
    (a reduction's) is constant along them, elementwise vjps broadcast it as it is, and
    :func:`_expand` makes it whole only where an op or a leaf needs the full shape.
    """
    lead = g.ndim - len(shape)
    if lead > 0:
        if isinstance(g, np.ndarray) and lead == 1 and g.ndim == 2:
            g = sum_rows(g)   # a bias's gradient: numpy is slow on tall, skinny arrays
        else:
            g = g.sum(axis=tuple(range(lead)))
    if g.shape != shape:
        offset = len(shape) - g.ndim
        kept = tuple(i for i, n in enumerate(g.shape) if n != 1 and shape[i + offset] == 1)
        if kept:
            g = g.sum(axis=kept, keepdims=True)
    return g


def _expand(g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` broadcast to ``shape`` (a read-only view for arrays; no copy)."""
    if g.shape == shape:
        return g
    return g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory of ``array`` (itself unless it is a view)."""
    return array if array.base is None else array.base


def _count_consumers(roots: Sequence[Tensor]) -> dict[int, int]:
    """For every tensor that requires grad and is reachable from ``roots``: how many inputs
    of the ops between it and the roots it is (an op using it twice counts twice).

    :func:`_propagate` hands a tensor's gradient on once all of them have added theirs
    (Kahn's order), so the backward walk needs no separate :func:`topological_order`.
    """
    counts: dict[int, int] = {}
    todo: list[Tensor] = []
    for root in roots:
        if id(root) not in counts:
            counts[id(root)] = 0
            todo.append(root)
    pop, push, get = todo.pop, todo.append, counts.get
    while todo:
        for parent in pop()._parents:
            if parent.requires_grad:
                key = id(parent)
                seen = get(key)
                if seen is None:
                    counts[key] = 1
                    push(parent)
                else:
                    counts[key] = seen + 1
    return counts


def _propagate(roots: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool,
               targets: set[int] | None) -> dict[int, Any]:
    """Walk the graph backward from ``roots`` with cotangents ``seeds``.

    With ``targets`` None, add into ``.grad`` of every leaf that requires grad;
    otherwise return the total gradient of each target id and touch no ``.grad``.

    A tensor is handled once every op that used it has passed its gradient back (its
    count from :func:`_count_consumers` reaches zero), so each comes after all the tensors
    computed from it: a reversed topological order, found during the walk. Gradients
    still waiting for more terms sit in ``pending``, keyed by id (every tensor of the
    graph stays alive during the walk, so ids are unique); a complete one travels with
    its tensor on the ``ready`` stack.
    """
    counts = _count_consumers(roots)
    pending: dict[int, Any] = {}
    for root, seed in zip(roots, seeds):
        previous = pending.get(id(root))
        pending[id(root)] = seed if previous is None else previous + seed
    ready: list[tuple[Tensor, Any]] = []
    for root in roots:
        if not counts[id(root)]:  # no other root was computed from it
            counts[id(root)] = -1  # NOTE: listed once, however often it is given
            ready.append((root, pending.pop(id(root))))
    # Ids of gradient arrays held in more than one place (the seeds, one array returned
    # for two inputs, a leaf's .grad): a leaf copies these rather than adopting them.
    shared: set[int] = set() if create_graph else {id(_owner(s)) for s in seeds}
    captured: dict[int, Any] = {}
    anomaly = STATE.anomaly
    mutations = STATE.mutations
    take, release = ready.pop, ready.append
    while ready:
        node, g = take()
        parents = node._parents
        if g is None:  # nothing flows through here, but its inputs wait for it
            for parent in parents:
                if parent.requires_grad:
                    _hand_on(parent, None, counts, pending, release)
            continue
        if targets is not None and id(node) in targets:
            captured[id(node)] = _expand(g, node.data.shape)
        entry = node._op
        if entry is None:
            if targets is None:
                _accumulate(node, g, shared)
            continue
        if node._stamp != mutations:  # something was changed in place since this node
            check_unchanged(node)
        out: Any = node.data
        shape = out.shape
        # A reduction's gradient may arrive smaller than the output (kept dims of length 1).
        # An elementwise vjp may use it so only while no input was broadcast to the output:
        # an input that was broadcast needs the gradient summed over its copies, so g must
        # first be made whole.
        if g.shape != shape and (not entry.broadcasts
                                 or any(p.data.shape != shape for p in parents)):
            g = _expand(g, shape)
        if create_graph:
            args: Sequence[Any] = parents
            out = node
        elif len(parents) == 2:  # unrolled for one and two inputs: this runs per node
            args = (parents[0].data, parents[1].data)
        elif len(parents) == 1:
            args = (parents[0].data,)
        else:
            args = [p.data for p in parents]
        params = node._params
        if entry.takes_needs:
            needs = ((parents[0].requires_grad, parents[1].requires_grad) if len(parents) == 2
                     else tuple([p.requires_grad for p in parents]))
            if params is None and entry.needs_next:  # by position: no keyword dict
                grads = entry.vjp_fn(g, out, *args, needs)
            elif params is None:
                grads = entry.vjp_fn(g, out, *args, needs=needs)
            else:
                grads = entry.vjp_fn(g, out, *args, needs=needs, **params)
        elif params is None:
            grads = entry.vjp_fn(g, out, *args)
        else:
            grads = entry.vjp_fn(g, out, *args, **params)
        passed_on = 0  # inputs handed g itself (add hands it to both)
        for parent, grad_input in zip(parents, grads):
            if not parent.requires_grad:
                continue
            if grad_input is not None:
                if grad_input is g:
                    passed_on += 1
                shape = parent.data.shape
                # One number stays one number (it broadcasts), unless it has axes to drop.
                if grad_input.shape != shape and (grad_input.size > 1
                                                  or grad_input.ndim > len(shape)):
                    grad_input = _fit_to_shape(grad_input, shape)
                if anomaly and not np.isfinite(grad_input.data if create_graph
                                               else grad_input).all():
                    raise FloatingPointError(
                        f"detect_anomaly: the backward pass of op '{entry.name}' produced "
                        f"NaN or inf in the gradient of an input of shape {parent.shape}"
                    )
            # _hand_on, inlined: the common case of a tensor used once
            key = id(parent)
            left = counts[key] - 1
            if left:
                counts[key] = left
                if grad_input is not None:
                    previous = pending.get(key)
                    pending[key] = (grad_input if previous is None
                                    else previous + grad_input)
            else:
                previous = pending.pop(key, None)
                release((parent, grad_input if previous is None else
                         previous if grad_input is None else previous + grad_input))
        if passed_on > 1 and not create_graph:
            shared.add(id(_owner(g)))  # neither input may adopt g as its own .grad
    return captured


def _hand_on(parent: Tensor, grad_input: Any, counts: dict[int, int],
             pending: dict[int, Any], release: Callable[[tuple[Tensor, Any]], None]) -> None:
    """Add ``grad_input`` (None: nothing) to ``parent``'s gradient, and put the parent on
    the ready stack when this was the last op waiting to pass it a gradient."""
    key = id(parent)
    left = counts[key] - 1
    if left:
        counts[key] = left
        if grad_input is not None:
            previous = pending.get(key)
            pending[key] = grad_input if previous is None else previous + grad_input
    else:
        previous = pending.pop(key, None)
        release((parent, grad_input if previous is None else
                 previous if grad_input is None else previous + grad_input))


def _accumulate(leaf: Tensor, g: Any, shared: set[int]) -> None:
    """Add ``g`` into ``leaf.grad``. A first gradient that this pass made and nothing
    else holds becomes ``.grad`` as it is (PyTorch steals such a gradient too); any
    other is copied, since ``.grad`` must be the leaf's own array."""
    if not leaf.requires_grad:
        return
    data = leaf.data
    if leaf.grad is not None:
        np.add(leaf.grad, g, out=leaf.grad, casting="unsafe")
        return
    if type(g) is np.ndarray and g.shape == data.shape and g.dtype == data.dtype:
        flags, owner = g.flags, _owner(g)
        # NOTE: a view may be adopted only when it spans its owner, or .grad would keep a
        # larger array alive.
        if (flags.c_contiguous and flags.writeable and owner.size == g.size
                and id(owner) not in shared):
            shared.add(id(owner))
            leaf.grad = g
            return
    leaf.grad = np.array(_expand(np.asarray(g), data.shape), dtype=data.dtype, order="C")


def backward(root: Tensor, grad: ArrayLike | None = None) -> None:
    """Add ∂root/∂leaf into ``leaf.grad`` for every leaf that requires grad (see
    :meth:`Tensor.backward`)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad; create the parameters with "
            "Tensor(..., requires_grad=True) and compute the loss outside no_grad()"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward(): the tensor has shape {root.shape}, not a single number; pass "
                f"grad= of that shape, or reduce it first (for example loss.sum())"
            )
        seed = np.array(1, dtype=root.data.dtype).reshape(root.data.shape)
    else:
        seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad,
                          dtype=root.data.dtype)
        if seed.shape != root.shape:
            raise ValueError(
                f"backward(): grad has shape {seed.shape} but the tensor has shape "
                f"{root.shape}; they must match"
            )
    _propagate([root], [seed], create_graph=False, targets=None)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: ArrayLike | Sequence[ArrayLike] | None = None,
    create_graph: bool = False,
) -> tuple[Tensor, ...]:
    """∂(Σ outputs·grad_outputs)/∂input for each input, as a tuple of Tensors; no
    ``.grad`` is touched. With ``create_graph=True`` the results are themselves
    differentiable, so gradients of gradients (Hessian-vector products) work. An input
    the outputs do not depend on gets a gradient of zeros.

    f(x) = x³: f'(x) = 3x², f''(x) = 6x; at x = 2 they are 12 and 12.

    >>> x = Tensor(2.0, requires_grad=True)
    >>> (dfdx,) = grad(x ** 3, x, create_graph=True)
    >>> dfdx.item()
    12.0
    >>> grad(dfdx, x)[0].item()
    12.0

    A Hessian-vector product H·v is the gradient of the gradients with ``grad_outputs=v``
    (cheaper than the gradient of Σ g·v, whose products and sum would be recorded too).
    For L = Σ w³: g = 3w², H = diag(6w).

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = grad((w ** 3).sum(), w, create_graph=True)
    >>> grad(g, w, grad_outputs=np.array([1.0, 1.0]))[0].data
    array([ 6., 12.])
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad(): input {i} does not require grad; create it with "
                               f"Tensor(..., requires_grad=True)")
    if grad_outputs is None:
        given: list[Any] = [None] * len(outs)
    elif len(outs) == 1 and not isinstance(grad_outputs, (list, tuple)):
        given = [grad_outputs]
    else:
        given = list(grad_outputs)  # type: ignore[arg-type]
    if len(given) != len(outs):
        raise ValueError(f"grad(): {len(outs)} outputs but {len(given)} grad_outputs")
    seeds: list[Any] = []
    for out, seed in zip(outs, given):
        if seed is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"grad(): output of shape {out.shape} is not a single number; pass "
                    f"grad_outputs of that shape"
                )
            seed = np.ones_like(out.data)
        if isinstance(seed, Tensor) and seed.data.dtype != out.data.dtype:
            seed = seed.astype(out.data.dtype)  # as PyTorch: each seed takes its output's dtype
        value = seed.data if isinstance(seed, Tensor) else np.asarray(seed, out.data.dtype)
        if value.shape != out.shape:
            raise ValueError(f"grad(): grad_outputs has shape {value.shape} but the output "
                             f"has shape {out.shape}")
        if create_graph:
            seeds.append(seed if isinstance(seed, Tensor) else Tensor(value))
        else:
            seeds.append(value)
    live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    targets = {id(t) for t in ins}
    if create_graph:
        with enable_grad():
            captured = _propagate([o for o, _ in live], [s for _, s in live], True, targets)
    else:
        captured = _propagate([o for o, _ in live], [s for _, s in live], False, targets)
    results = []
    for t in ins:
        g = captured.get(id(t))
        if g is None:
            results.append(Tensor(np.zeros_like(t.data)))
        elif isinstance(g, Tensor):
            results.append(g)
        else:
            results.append(Tensor(np.array(g, dtype=t.data.dtype)))
    return tuple(results)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside the block, the first NaN or inf made by an op, in the forward or the
    backward pass, raises ``FloatingPointError`` naming the op.

    >>> x = Tensor(-1.0, requires_grad=True)
    >>> with detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: op 'log' produced NaN or inf in the forward pass ...
    """
    previous = STATE.anomaly
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = previous
