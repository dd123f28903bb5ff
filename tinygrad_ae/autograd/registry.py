"""The op registry as users see it: look ops up, register your own, and take them away.

Layer: beside :mod:`tinygrad_ae.autograd.ops`; imports ``ops`` only.

A user's op is written exactly as the built-in ones are (see ``docs/custom_ops.md``):
:func:`op` on the forward function, ``@<op>.vjp`` on its vector-Jacobian product. Ops
live in one process-wide table, so a test that registers an op should do it inside
:func:`scope`, which puts the table back as it was when the block ends:

>>> import tinygrad_ae as tg
>>> with tg.registry.scope():
...     @tg.op("cube", partial="3·{x}²")
...     def cube(x):
...         return x ** 3
...     @cube.vjp
...     def _(g, out, x):
...         return (g * 3 * x * x,)
...     "cube" in tg.registry.names()
True
>>> "cube" in tg.registry.names()
False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tinygrad_ae.autograd.ops._core import REGISTRY, Op, all_ops, op

_PACKAGE = Path(__file__).resolve().parents[1]   # the tinygrad_ae folder

__all__ = ["op", "Op", "all_ops", "names", "get", "unregister", "scope", "is_builtin"]


def names() -> list[str]:
    """The names of every registered op, in registration order.

    >>> "tanh" in names() and "matmul" in names()
    True
    """
    return list(REGISTRY)


def get(name: str) -> Op:
    """The registered op called ``name``.

    >>> get("tanh")
    <op tanh(x)>
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} is registered; registered ops: "
                       f"{', '.join(REGISTRY)}") from None


def is_builtin(entry: Op | str) -> bool:
    """Whether an op ships with tinygrad_ae (its forward is defined inside the package).

    >>> is_builtin("mul")
    True
    """
    entry = get(entry) if isinstance(entry, str) else entry
    code = getattr(entry.forward, "__code__", None)
    if code is None or code.co_filename.startswith("<"):
        return False
    # The file, not __module__: code typed at a prompt or in a doctest can carry the
    # package's module name, never a file inside it.
    return Path(code.co_filename).resolve().is_relative_to(_PACKAGE)


def unregister(entry: Op | str) -> Op:
    """Remove a user's op from the registry and return it. Built-in ops cannot be
    removed (Tensor's methods and the drawings rely on them).

    Tensors already computed by the op keep working: they hold the op itself.

    >>> @op("twice_for_unregister", partial="2")
    ... def twice(x):
    ...     return 2 * x
    >>> @twice.vjp
    ... def _(g, out, x):
    ...     return (2 * g,)
    >>> unregister("twice_for_unregister")
    <op twice_for_unregister(x)>
    >>> "twice_for_unregister" in names()
    False
    """
    name = entry if isinstance(entry, str) else entry.name
    found = get(name)
    if not isinstance(entry, str) and found is not entry:
        raise ValueError(f"unregister: the op {name!r} in the registry is another entry "
                         f"than the one given (it was replaced); pass its name instead")
    if is_builtin(found):
        raise ValueError(f"unregister: {name!r} is a built-in op and cannot be removed; "
                         f"register yours under another name, or with replace=True inside "
                         f"registry.scope()")
    del REGISTRY[name]
    return found


@contextmanager
def scope() -> Iterator[None]:
    """Inside the block, register (or replace) ops freely; when it ends, however it
    ends, the registry is exactly what it was before: new ops are removed and replaced
    ones restored. Meant for tests, so they do not leak ops into one another.

    >>> before = names()
    >>> with scope():
    ...     @op("shifted", partial="1")
    ...     def shifted(x):
    ...         return x + 1
    >>> names() == before
    True
    """
    saved = dict(REGISTRY)
    try:
        yield
    finally:
        # NOTE: the same dict object: ops/_core and the tests hold references to it.
        REGISTRY.clear()
        REGISTRY.update(saved)
