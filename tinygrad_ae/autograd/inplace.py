"""In-place updates (``+= -= *= /=``, ``t[index] = v``) with PyTorch's rules, and the
check that keeps them from corrupting a gradient.

Layer: part of the bottom layer; numpy only.

The rules, as in PyTorch:

- Outside grad mode (``no_grad()``), or when nothing involved requires grad, the
  tensor's own array is changed: the tensor keeps its identity, so a parameter stays a
  leaf and stays in its module. This is how an optimizer step is written by hand:
  ``with no_grad(): w -= lr * w.grad``.
- In grad mode, a leaf that requires grad cannot be changed (its gradient would refer to
  a value that no longer exists): ``RuntimeError`` naming the operator.
- In grad mode, a tensor made by an op (or a tensor joined by an operand that requires
  grad) is changed too, and the change is recorded: the tensor becomes the result of the
  op, its old value the op's input.

A tensor saved for a backward pass and changed afterwards would give a wrong gradient,
so the backward pass refuses it. Every in-place change bumps ``STATE.mutations`` and
notes the memory it wrote (the array that owns it, so views and ``detach()``-ed copies
share the note); every recorded node keeps the counter's value at its creation. During
``backward`` a node whose stamp equals the counter is known untouched in one comparison;
only when something was changed in place since does :func:`check_unchanged` look closer.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_ae.autograd._state import STATE

if TYPE_CHECKING:
    from tinygrad_ae.autograd.tensor import Tensor

__all__ = ["InPlaceMethods", "check_unchanged"]

# id of the array that owns the memory → (a weak reference to it, the counter's value
# after the change, the operator that made it). Weak, so no array is kept alive by it.
_CHANGED: dict[int, tuple[weakref.ref[np.ndarray], int, str]] = {}

_ops: Any = None  # NOTE: bound by tensor.py, as in tensor_methods


def _bind(ops_module: Any, tensor_class: type) -> None:
    global _ops
    _ops = ops_module
    globals()["Tensor"] = tensor_class


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _note_change(array: np.ndarray, operator: str) -> int:
    """Record that ``array``'s memory was just changed; returns the new counter value."""
    STATE.mutations += 1
    owner = _owner(array)
    if len(_CHANGED) > 4096:  # forget arrays that are gone
        for key in [k for k, (ref, _, _) in _CHANGED.items() if ref() is None]:
            del _CHANGED[key]
    _CHANGED[id(owner)] = (weakref.ref(owner), STATE.mutations, operator)
    return STATE.mutations


def _changed_since(array: np.ndarray, stamp: int) -> str | None:
    """The operator that changed ``array``'s memory after counter value ``stamp``."""
    owner = _owner(array)
    record = _CHANGED.get(id(owner))
    if record is None or record[0]() is not owner or record[1] <= stamp:
        return None
    return record[2]


def check_unchanged(node: Tensor) -> None:
    """Raise if a value ``node``'s op saved for its backward pass (an input, or the output
    itself) was changed in place after the op ran. The engine calls this only when
    ``node._stamp`` differs from ``STATE.mutations``."""
    entry = node._op
    if entry is None:
        return
    for p in node._parents:
        # An input made by an op before this node was, so stamped no later, unless an
        # in-place change made it the result of a newer op since.
        if p._op is not None and p._stamp > node._stamp:
            raise RuntimeError(
                f"backward: an input of shape {p.shape} of op '{entry.name}' was changed in "
                f"place (it is now the result of '{p._op.name}') after the op used it, so "
                f"its gradient would be wrong; change a copy instead, or change it only "
                f"after backward()"
            )
    if not entry.saves_values:
        return
    for role, t in (("output", node), *(("input", p) for p in node._parents)):
        operator = _changed_since(t.data, node._stamp)
        if operator is not None:
            raise RuntimeError(
                f"backward: the {role} of shape {t.shape} that op '{entry.name}' saved for "
                f"the backward pass was changed in place (by '{operator}') after the op "
                f"ran, so its gradient would be wrong; change a copy instead, or change it "
                f"only after backward()"
            )


class InPlaceMethods:
    """``+= -= *= /=`` and ``t[index] = v`` for :class:`~tinygrad_ae.autograd.tensor.Tensor`
    (the rules are in the module docstring).

    >>> from tinygrad_ae import no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> with no_grad():
    ...     w -= 0.25 * w.grad                # w ← w − ¼·2w: identity kept, still a leaf
    >>> w, w.is_leaf
    (Tensor([0.5, 1. ], requires_grad=True, op=leaf), True)
    """

    __slots__ = ()

    if TYPE_CHECKING:
        data: np.ndarray
        grad: np.ndarray | None
        requires_grad: bool
        name: str | None
        _op: Any
        _parents: tuple[Tensor, ...]
        _params: dict[str, Any] | None
        _scope: str
        _stamp: int

        @property
        def shape(self) -> tuple[int, ...]: ...

    def __iadd__(self, other: Any) -> Tensor:
        return self._update("+=", np.add, "add", other)

    def __isub__(self, other: Any) -> Tensor:
        return self._update("-=", np.subtract, "sub", other)

    def __imul__(self, other: Any) -> Tensor:
        return self._update("*=", np.multiply, "mul", other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update("/=", np.divide, "div", other)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` (basic or integer-array indexing; ``value`` broadcasts to
        the indexed shape), under the same rules as ``+=``.

        >>> t = Tensor([1.0, 2.0, 3.0])
        >>> t[1:] = 0.0
        >>> t
        Tensor([1., 0., 0.])
        """
        index = _ops.normalize_index(index, self.shape)
        if self._records(value, "setitem"):
            before = self._former()
            self._become(_ops.index_put(before, _as_tensor(value, self.data.dtype), index=index),
                         "setitem")
            return
        data = value.data if isinstance(value, Tensor) else value
        target = self.data[index]
        try:
            np.broadcast_shapes(np.shape(data), np.shape(target))
        except ValueError:
            raise ValueError(f"setitem: cannot assign a value of shape {np.shape(data)} to "
                             f"the indexed shape {np.shape(target)}") from None
        self._writable("setitem")
        self.data[index] = data
        _note_change(self.data, "setitem")

    # --- the rules ------------------------------------------------------------------------
    def _update(self, operator: str, ufunc: Any, op_name: str, other: Any) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        try:
            shape = np.broadcast_shapes(self.shape, np.shape(other_data))
        except ValueError:
            shape = None
        if shape != self.shape:
            raise ValueError(f"{operator}: cannot change a tensor of shape {self.shape} in "
                             f"place by an operand of shape {np.shape(other_data)}; the "
                             f"result would not have the tensor's shape")
        if self._records(other, operator):
            before = self._former()
            self._become(getattr(_ops, op_name)(before, other), operator)
            return self  # type: ignore[return-value]
        self._writable(operator)
        try:
            ufunc(self.data, other_data, out=self.data, casting="same_kind")
        except TypeError as err:  # numpy's UFuncTypeError: an int or bool tensor
            raise TypeError(f"{operator}: cannot change a tensor of dtype {self.data.dtype} "
                            f"in place with this operand: {err}") from None
        _note_change(self.data, operator)
        return self  # type: ignore[return-value]

    def _records(self, other: Any, operator: str) -> bool:
        """Whether the change must be recorded in the graph; raises for a leaf that
        requires grad in grad mode."""
        if not STATE.grad_enabled:
            return False
        if self.requires_grad and self._op is None:
            raise RuntimeError(
                f"{operator}: a leaf tensor that requires grad cannot be changed in place "
                f"while gradients are recorded; do it inside `with no_grad():` (as an "
                f"optimizer step does), or compute a new tensor (x = x + ...)"
            )
        records = self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        if records and self._op is not None and self.data.base is not None:
            # A view made by an op (reshape, transpose, indexing) shares the memory of the
            # tensor it was made from, perhaps a parameter: writing through it would change
            # that tensor behind the graph's back. PyTorch refuses this case too.
            raise RuntimeError(
                f"{operator}: this tensor is a view of the tensor it was made from (by "
                f"'{self._op.name}'), so changing it in place while gradients are recorded "
                f"would change that tensor too; compute a new tensor (x = x + ...) instead"
            )
        return records

    def _writable(self, operator: str) -> None:
        if not self.data.flags.writeable:
            raise RuntimeError(f"{operator}: this tensor's memory is read-only (a broadcast "
                               f"view, such as expand() makes); change a copy instead")

    def _former(self) -> Tensor:
        """A new tensor standing for this one's value and history before the change."""
        before = Tensor.__new__(Tensor)
        before.data = self.data.copy()
        before.grad = None
        before.requires_grad = self.requires_grad
        before.name = self.name
        before._op = self._op
        before._parents = self._parents
        before._params = self._params
        before._scope = self._scope
        if self._op is not None:
            before._stamp = self._stamp
        return before

    def _become(self, result: Tensor, operator: str) -> None:
        """Take over ``result``'s history, writing its value into this tensor's own
        memory (so views of it and nodes that saved it see the change, and the check
        catches the latter)."""
        self._writable(operator)
        if result.data.dtype != self.data.dtype:
            result = result.astype(self.data.dtype)
        self.data[...] = result.data
        tensor: Any = self  # the slots are Tensor's, which mypy cannot see from a mixin
        tensor._op = result._op
        tensor._parents = result._parents
        tensor._params = result._params
        tensor.requires_grad = result.requires_grad
        tensor._stamp = _note_change(self.data, operator)  # after the change: not stale


def _as_tensor(value: Any, dtype: np.dtype) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=dtype))
