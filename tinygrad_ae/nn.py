"""Building blocks: Module, Linear, Sequential, activations and the reconstruction loss.

Layer: above the engine; imports numpy, the standard library, and ``tensor`` / ``ops`` /
``engine`` of ours, nothing higher (``optim`` and ``models`` build on this file).

A :class:`Module` finds its parameters by itself: every attribute that is a leaf Tensor
requiring grad is a parameter, every attribute that is a Module is a sub-module, and a plain
list or tuple of either is walked too (``self.layers = [Linear(4, 2), Tanh()]`` behaves like
PyTorch's ``ModuleList``). Names are dotted attribute paths in assignment order:
``encoder.weight``, ``decoder.0.bias``, ``layers.1.weight``.

Every module also knows its *path* from the root (``""`` for the root, ``"decoder.0"`` for
the first layer of the root's decoder): a parent tells its children their names when they
are assigned and whenever the tree is walked. While a module's ``forward`` runs, that path is
the engine's current scope, so every tensor an op makes there remembers it (``t.scope``), and
so does every parameter the module owns; graph drawings group nodes by it.

Random initialisation draws from one module-level generator, reseeded by
:func:`manual_seed`; any constructor that draws also takes ``rng=`` (an int seed or a
``np.random.Generator``) to use its own instead.
"""

from __future__ import annotations

import contextlib
import math
import os
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import ops as _ops
from ._files import atomic_file
from .tensor import STATE, ArrayLike, Tensor

__all__ = [
    "Module", "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "Identity",
    "mse_loss", "REDUCTIONS", "manual_seed", "resolve_rng", "RngLike",
    "StateDictError", "ModelFileError", "IncompatibleKeys",
]

RngLike = int | np.random.Generator | None
"""A source of randomness: None (the module-level generator), an int seed, or a Generator."""

REDUCTIONS = ("paper", "mean", "sum")
"""The reductions :func:`mse_loss` accepts."""

_GENERATOR = np.random.default_rng()

# np.savez takes these names itself, so no array may be saved under them.
_SAVEZ_RESERVED = ("file", "allow_pickle")


def manual_seed(seed: int | None) -> None:
    """Reseed the module-level generator that initialisers use when given no ``rng``.

    >>> manual_seed(0)
    >>> a = Linear(3, 2).weight.data.copy()
    >>> manual_seed(0)
    >>> bool((Linear(3, 2).weight.data == a).all())
    True
    """
    global _GENERATOR
    _GENERATOR = np.random.default_rng(seed)


def resolve_rng(rng: RngLike) -> np.random.Generator:
    """The generator an initialiser should draw from: None gives the module-level one
    (see :func:`manual_seed`), an int a fresh ``np.random.default_rng(rng)``, and a
    Generator itself.

    >>> bool(resolve_rng(3).integers(10) == np.random.default_rng(3).integers(10))
    True
    """
    if rng is None:
        return _GENERATOR
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"rng must be None, an int seed or a np.random.Generator, got {type(rng).__name__}"
        )
    return np.random.default_rng(int(rng))


class StateDictError(ValueError):
    """A state dict that does not fit the model: missing or unexpected keys, wrong shapes,
    non-real dtypes or non-finite values. The message lists every problem; the model is
    left unchanged.

    >>> try:
    ...     Linear(2, 1, rng=0).load_state_dict({})
    ... except StateDictError as error:
    ...     print(str(error).splitlines()[0])
    load_state_dict: 2 problems, the model is unchanged:
    """


class ModelFileError(ValueError):
    """A file that :meth:`Module.load` cannot use (corrupt, not an ``.npz`` archive, or
    holding the wrong keys or shapes). The message names the path; the model is unchanged.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "notes.npz"
    >>> _ = path.write_bytes(b"not numpy at all")
    >>> try:
    ...     Linear(2, 1, rng=0).load(path)
    ... except ModelFileError as error:
    ...     print("is not an .npz archive written by Module.save" in str(error))
    True
    """


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped, as in PyTorch.

    >>> Linear(2, 1, rng=0).load_state_dict({"weight": np.zeros((1, 2))}, strict=False)
    IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    if not name:
        return prefix
    return f"{prefix}.{name}"


def _is_parameter(value: Any) -> bool:
    # Only leaves: a tensor computed from parameters (say a cached output) is not one.
    return isinstance(value, Tensor) and value.requires_grad and value._op is None


_AUTO_NAMED: weakref.WeakSet[Tensor] = weakref.WeakSet()


def _name_parameter(tensor: Tensor, dotted: str, attribute: str) -> None:
    """Give an unnamed parameter its dotted path as its display name (``encoder.weight``),
    so graph drawings read in the model's own terms; a name the user chose is kept."""
    if tensor.name is None or tensor in _AUTO_NAMED:
        tensor.name = dotted
        _AUTO_NAMED.add(tensor)


@contextlib.contextmanager
def _scope(path: str) -> Iterator[None]:
    previous = STATE.scope
    STATE.scope = path
    try:
        yield
    finally:
        STATE.scope = previous


def _as_tensor(x: ArrayLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Module:
    """Base class of every layer and model: parameters, sub-modules, scopes and state.

    Subclasses assign parameters (``Tensor(..., requires_grad=True)``) and sub-modules as
    attributes in ``__init__`` and define ``forward``; calling the module runs ``forward``
    with the module's dotted path as the scope of every op it makes.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = Tensor(2.0, requires_grad=True)
    ...         self.layers = [Linear(1, 1, rng=0), Tanh()]
    ...     def forward(self, x):
    ...         return self.layers[1](self.layers[0](x)) * self.scale
    >>> model = Affine()
    >>> [name for name, _ in model.named_parameters()]
    ['scale', 'layers.0.weight', 'layers.0.bias']
    >>> model(Tensor([[0.5]])).shape
    (1, 1)
    """

    # Class-level defaults, so a subclass that forgets super().__init__() still works.
    training: bool = True
    _path: str = ""
    _holds_lists: bool = True  # until a walk of the tree below shows otherwise
    # Bumped by every attribute assignment on any module. With the root walked last, it
    # tells a root that its tree cannot have changed since then, so a training loop does
    # not re-walk the whole model on every call (see __call__).
    _structure_version: int = 0
    _last_walk: tuple[int, int] = (0, -1)

    def __init__(self) -> None:
        self.training = True

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        Module._structure_version += 1
        if isinstance(value, Module) or (
            isinstance(value, (list, tuple))
            and any(isinstance(v, (Module, Tensor)) for v in value)
        ):
            self._assign_paths()
        elif _is_parameter(value):
            value._scope = self._parameter_scope(name)
            _name_parameter(value, _join(self._path, name), name)

    # --- the tree -------------------------------------------------------------------------
    def _direct_items(self) -> Iterator[tuple[str, Any]]:
        """(name, value) for every parameter or sub-module held directly, in order."""
        for name, value in vars(self).items():
            if isinstance(value, (Module, Tensor)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Module, Tensor)):
                        yield f"{name}.{i}", item

    def _parameter_scope(self, name: str) -> str:
        """The scope recorded on the parameter ``name`` this module owns (its own path;
        a model may place its parameters in named sub-scopes instead)."""
        return self._path

    def _assign_paths(self) -> None:
        """Tell every module below this one its dotted path, and every parameter its scope."""
        seen: set[int] = set()
        holds_lists = False
        todo: list[tuple[Module, str]] = [(self, self._path)]
        while todo:
            module, path = todo.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            if module is not self:
                object.__setattr__(module, "_path", path)
            children = []
            for name, value in module._direct_items():
                holds_lists = holds_lists or "." in name  # an item of a list attribute
                if isinstance(value, Module):
                    children.append((value, _join(path, name)))
                elif _is_parameter(value):
                    value._scope = module._parameter_scope(name)
                    _name_parameter(value, _join(path, name), name)
            todo.extend(reversed(children))  # first-assigned child is named first
        object.__setattr__(self, "_holds_lists", holds_lists)
        Module._last_walk = (id(self), Module._structure_version)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct sub-modules, in assignment order.

        >>> [name for name, _ in Sequential(Linear(2, 1, rng=0), Tanh()).named_children()]
        ['0', '1']
        """
        seen: set[int] = set()
        for name, value in self._direct_items():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in assignment order."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``prefix``, ``""`` by default) and
        every module below it, depth first in assignment order; shared modules once.

        >>> model = Sequential(Linear(2, 1, rng=0), Sequential(Tanh()))
        >>> [name for name, _ in model.named_modules()]
        ['', '0', '1', '1.0']
        """
        self._assign_paths()
        seen: set[int] = set()
        todo: list[tuple[str, Module]] = [(prefix, self)]
        while todo:
            name, module = todo.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            todo.extend(reversed([(_join(name, child_name), child)
                                  for child_name, child in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it (see :meth:`named_modules`)."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) for every parameter, depth first in attribute-assignment
        order (a sub-module's parameters come where the sub-module was assigned); a tensor
        shared by several modules is listed once, under its first name.

        >>> [name for name, _ in Sequential(Linear(2, 1, rng=0)).named_parameters()]
        ['0.weight', '0.bias']
        """
        self._assign_paths()
        seen: set[int] = set()
        todo: list[tuple[str, Module | Tensor]] = [(prefix, self)]
        while todo:
            name, item = todo.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, Tensor):
                yield name, item
                continue
            todo.extend(reversed([(_join(name, child_name), value)
                                  for child_name, value in item._direct_items()
                                  if isinstance(value, Module) or _is_parameter(value)]))

    def parameters(self) -> list[Tensor]:
        """Every parameter, in the order of :meth:`named_parameters` (a list, so it can be
        passed to an optimizer and reused).

        >>> [p.shape for p in Linear(3, 2, rng=0).parameters()]
        [(2, 3), (2,)]
        """
        return [p for _, p in self.named_parameters()]

    @property
    def path(self) -> str:
        """This module's dotted name from the root it was last attached to (``""`` for a
        root): the scope of the ops its ``forward`` makes.

        >>> model = Sequential(Tanh(), Linear(2, 2, rng=0))
        >>> model[1].path
        '1'
        """
        return self._path

    # --- running --------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not STATE.scope and not self._path and (
                self._holds_lists or Module._last_walk != (id(self), Module._structure_version)):
            # A root called from outside any module: refresh the paths below it unless
            # nothing can have changed since it was last walked (no assignment anywhere,
            # no other root walked since, no list attribute that may have grown in place).
            self._assign_paths()
        previous = STATE.scope
        STATE.scope = self._path
        try:  # the scope as a plain try/finally: a generator context manager costs more
            return self.forward(*args, **kwargs)
        finally:
            STATE.scope = previous

    def named_scope(self, name: str) -> contextlib.AbstractContextManager[None]:
        """A context manager: ops made inside record the scope ``<path>.<name>`` (the
        module's own path for ``name=""``), for models that group their own lines.

        >>> m = Identity()
        >>> with m.named_scope("encoder"):
        ...     h = Tensor(1.0, requires_grad=True) * 2
        >>> h.scope
        'encoder'
        """
        return _scope(_join(self._path, name))

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every module below it; return self.

        >>> Linear(2, 1, rng=0).train(False).training
        False
        """
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: evaluation mode; return self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``, as PyTorch does).

        >>> layer = Linear(2, 1, rng=0)
        >>> layer(Tensor([[1.0, 2.0]])).sum().backward()
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        for p in self.parameters():
            p.grad = None

    # --- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name → a copy of its value, in the order of :meth:`named_parameters`.

        >>> sorted(Linear(2, 1, rng=0).state_dict())
        ['bias', 'weight']
        """
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters, from numpy arrays, Tensors or numbers.

        Everything is checked before anything is copied: missing and unexpected keys (only
        with ``strict=True``), shapes (exactly equal), dtypes (real numbers) and finiteness.
        Any problem raises :class:`StateDictError` listing them all, and the model is left
        exactly as it was. Values are copied into the existing arrays (cast to each
        parameter's dtype), so optimizers holding the parameters keep working.

        >>> a, b = Linear(2, 1, rng=0), Linear(2, 1, rng=1)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight.data == b.weight.data).all())
        True
        >>> b.load_state_dict({"weight": np.zeros((3, 3))})
        Traceback (most recent call last):
        ...
        tinygrad_ae.nn.StateDictError: load_state_dict: 2 problems, the model is unchanged:
          - missing key 'bias' (the model's parameter has shape (1,))
          - 'weight': shape mismatch, the state dict has shape (3, 3) but the model's ...
          the model's keys are: weight, bias
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of parameter names to arrays (such as "
                f"model.state_dict()), got {type(state_dict).__name__}"
            )
        params = dict(self.named_parameters())
        problems: list[str] = []
        missing = [key for key in params if key not in state_dict]
        unexpected = [str(key) for key in state_dict if key not in params]
        if strict:
            problems += [f"missing key {key!r} (the model's parameter has shape "
                         f"{params[key].shape})" for key in missing]
            problems += [f"unexpected key {key!r}" for key in unexpected]
        values: dict[str, np.ndarray] = {}
        for key, param in params.items():
            if key not in state_dict:
                continue
            raw = state_dict[key]
            try:
                value = np.asarray(raw.data if isinstance(raw, Tensor) else raw)
            except Exception:  # any unconvertible object is the user's mistake
                problems.append(f"{key!r}: cannot be read as an array "
                                f"({type(raw).__name__})")
                continue
            if value.dtype.kind not in "fiu":
                problems.append(f"{key!r}: dtype {value.dtype} is not a real number type; "
                                f"expected a float array")
            elif value.shape != param.shape:
                problems.append(f"{key!r}: shape mismatch, the state dict has shape "
                                f"{value.shape} but the model's parameter has shape "
                                f"{param.shape}")
            elif not np.isfinite(value).all():
                bad = int(value.size - np.count_nonzero(np.isfinite(value)))
                problems.append(f"{key!r}: {bad} of {value.size} values are NaN or "
                                f"infinite; only finite values can be loaded")
            else:
                values[key] = value
        if problems:
            head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
            hint = f"\n  the model's keys are: {', '.join(params) or '(none)'}" if (
                strict and (missing or unexpected)) else ""
            raise StateDictError(f"load_state_dict: {head}, the model is unchanged:\n"
                                 + "\n".join(f"  - {p}" for p in problems) + hint)
        # NOTE: nothing is written before this line, so a failed load changes nothing.
        for key, value in values.items():
            np.copyto(params[key].data, value, casting="unsafe")
        return IncompatibleKeys(missing if not strict else [], unexpected if not strict else [])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` to ``path`` as an ``.npz`` archive, atomically.

        The archive is written to a temporary file in the same folder, flushed to disk,
        then renamed over ``path`` in one step, so a crash or error mid-save leaves the old
        file (if any) intact and no temporary file behind. The file is used exactly as
        named (no suffix is added). Returns the path written.

        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> layer = Linear(2, 1, rng=0)
        >>> written = layer.save(os.path.join(folder, "layer.npz"))
        >>> Linear(2, 1, rng=1).load(written).weight.data.tolist() == layer.weight.data.tolist()
        True
        """
        target = Path(path)
        arrays = self.state_dict()
        clashes = [key for key in arrays if key in _SAVEZ_RESERVED]
        if clashes:
            raise ValueError(
                f"save: cannot store a parameter named {clashes[0]!r} in an .npz archive "
                f"(numpy reserves that name); rename the attribute"
            )
        folder = target.parent
        if not folder.is_dir():
            raise FileNotFoundError(
                f"save: the folder {str(folder)!r} does not exist; create it first"
            )
        with atomic_file(target, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # keys: names
        return target

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by :meth:`save` into this model, and return it.

        Never unpickles. A missing file raises ``FileNotFoundError``; a file that is not an
        ``.npz`` archive of plain arrays, or whose keys or shapes do not fit this model,
        raises :class:`ModelFileError` (a ``ValueError``) naming the path and the keys. On
        any error the model is left unchanged.

        >>> Linear(2, 1).load("no/such/file.npz")
        Traceback (most recent call last):
        ...
        FileNotFoundError: load: no such file 'no/such/file.npz'
        """
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(f"load: no such file {str(source)!r}")
        if source.is_dir():
            raise ModelFileError(f"load: {str(source)!r} is a folder, not a file saved by "
                                 f"Module.save")
        arrays: dict[str, np.ndarray] = {}
        try:
            loaded = np.load(source, allow_pickle=False)
        except PermissionError:
            raise
        except Exception as error:  # any failure to parse means a bad file
            raise ModelFileError(
                f"load: {str(source)!r} is not an .npz archive written by Module.save, or it "
                f"is corrupt ({type(error).__name__}: {error})"
            ) from None
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ModelFileError(
                f"load: {str(source)!r} holds a single array (a .npy file), not the .npz "
                f"archive of named parameters that Module.save writes"
            )
        with loaded:
            for key in loaded.files:
                try:
                    arrays[key] = loaded[key]
                except Exception as error:  # a damaged member
                    raise ModelFileError(
                        f"load: cannot read the array {key!r} from {str(source)!r}; the file "
                        f"may be corrupt ({type(error).__name__}: {error})"
                    ) from None
        try:
            self.load_state_dict(arrays)
        except StateDictError as error:
            raise ModelFileError(f"load: {str(source)!r} does not fit this "
                                 f"{type(self).__name__}: {error}") from None
        return self

    # --- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The module's own settings, shown inside its repr (empty by default)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [line for line in extra.split("\n") if line]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Identity(Module):
    """out = x, unchanged (the same tensor).

    >>> x = Tensor([1.0, -2.0])
    >>> Identity()(x) is x
    True
    """

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    """out = max(x, 0), elementwise.

    >>> ReLU()(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    def forward(self, x: ArrayLike) -> Tensor:
        return _as_tensor(x).relu()


class Tanh(Module):
    """out = tanh(x), elementwise.

    >>> Tanh()(Tensor([0.0]))
    Tensor([0.])
    """

    def forward(self, x: ArrayLike) -> Tensor:
        return _as_tensor(x).tanh()


class Sigmoid(Module):
    """out = 1 / (1 + e⁻ˣ), elementwise (stable for large |x|).

    >>> Sigmoid()(Tensor([0.0]))
    Tensor([0.5])
    """

    def forward(self, x: ArrayLike) -> Tensor:
        return _as_tensor(x).sigmoid()


class Linear(Module):
    """y = x @ Wᵀ + b: an affine map of the last axis, as ``torch.nn.Linear``.

    ``weight`` W has shape (out_features, in_features) and ``bias`` b (out_features,);
    inputs have shape (..., in_features), outputs (..., out_features). Both are drawn
    from U(−1/√in_features, 1/√in_features), PyTorch's default, using ``rng`` (an int seed
    or a Generator) or else the module-level generator (see :func:`manual_seed`).

    >>> layer = Linear(4, 2, rng=0)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 4), (2,))
    >>> layer(Tensor(np.ones((10, 4)))).shape
    (10, 2)
    >>> layer(Tensor(np.ones((10, 3))))
    Traceback (most recent call last):
    ...
    ValueError: Linear(4→2) expects inputs with 4 features in the last axis, got shape (10, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64, rng: RngLike = None) -> None:
        super().__init__()
        for label, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"Linear: {label} must be a positive integer, got {size!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        generator = resolve_rng(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Tensor(
            generator.uniform(-bound, bound, size=(self.out_features, self.in_features)),
            requires_grad=True, dtype=dtype,
        )
        self.bias: Tensor | None = None
        if bias:
            self.bias = Tensor(generator.uniform(-bound, bound, size=self.out_features),
                               requires_grad=True, dtype=dtype)

    def forward(self, x: ArrayLike) -> Tensor:
        x = _as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}→{self.out_features}) expects inputs with "
                f"{self.in_features} features in the last axis, got shape {x.shape}"
            )
        if self.bias is None:
            return x @ self.weight.T
        return _ops.linear(x, self.weight, self.bias)  # one node: x @ Wᵀ + b

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after the other; children are named "0", "1", … as in PyTorch.

    Indexable (``seq[0]``, ``seq[-1]``, slices give a new Sequential), ``len`` and iterable.

    >>> model = Sequential(Linear(3, 2, rng=0), Tanh())
    >>> len(model), type(model[-1]).__name__
    (2, 'Tanh')
    >>> model
    Sequential(
      (0): Linear(in_features=3, out_features=2, bias=True)
      (1): Tanh()
    )
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); return self."""
        if not isinstance(module, Module):
            hint = ""
            if isinstance(module, type) and issubclass(module, Module):
                hint = f"; did you mean {module.__name__}() (an instance, not the class)?"
            raise TypeError(
                f"Sequential: item {len(self)} must be a Module, got "
                f"{getattr(module, '__name__', type(module).__name__)}{hint}"
            )
        setattr(self, str(len(self)), module)
        return self

    def _layers(self) -> list[Module]:
        return [value for name, value in vars(self).items()
                if name.isdigit() and isinstance(value, Module)]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def __getitem__(self, index: int | slice) -> Any:
        layers = self._layers()
        if isinstance(index, slice):
            return Sequential(*layers[index])
        try:
            return layers[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for "
                             f"{len(layers)} modules") from None

    def forward(self, x: Any) -> Any:
        for layer in self._layers():
            x = layer(x)
        return x


def mse_loss(x_hat: ArrayLike, x: ArrayLike, reduction: str = "paper") -> Tensor:
    """Squared reconstruction error between ``x_hat`` and ``x`` (shapes must match exactly).

    - ``"paper"``: the seed paper's L = (1/N) Σ_i ‖x_i − x̂_i‖², summed over features and
      averaged over the N samples (the first axis; a 1-D input is N samples of 1 feature).
    - ``"mean"``: the mean over every element, PyTorch's default (``"paper"`` / n_features).
    - ``"sum"``: the sum over every element.

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> x_hat = Tensor([[1.0, 1.0], [3.0, 2.0]])       # squared errors 0, 1, 0, 4
    >>> [mse_loss(x_hat, x, r).item() for r in ("paper", "mean", "sum")]
    [2.5, 1.25, 5.0]
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"mse_loss: reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}, "
            f"got {reduction!r}"
        )
    prediction, target = _as_tensor(x_hat), _as_tensor(x)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: x_hat has shape {prediction.shape} but x has shape {target.shape}; "
            f"they must match exactly (no broadcasting)"
        )
    if prediction.size == 0:
        raise ValueError(f"mse_loss: cannot average over empty inputs of shape {prediction.shape}")
    # x̂ − x rather than x − x̂ (the same squares): its gradient reaches x̂ with no
    # negation, and ``** 2`` is one op whose gradient 2·g·r is one pass over the batch.
    residual = prediction - target
    total = (residual ** 2).sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / prediction.size
    return total / (prediction.shape[0] if prediction.ndim else 1)
