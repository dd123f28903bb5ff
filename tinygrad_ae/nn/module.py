"""Module: parameters found by attribute, state dicts, train/eval, saving and loading.
"""

from __future__ import annotations

import contextlib
import os
import weakref
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tinygrad_ae._files import atomic_file, clean_leftovers, describe_special_file
from tinygrad_ae.autograd.tensor import STATE, ArrayLike, Tensor
from tinygrad_ae.nn import _display

RngLike = int | np.random.Generator | None
"""A source of randomness: None (the module-level generator), an int seed, or a Generator."""

REDUCTIONS = ("paper", "mean", "sum")
"""The reductions :func:`mse_loss` accepts."""

_GENERATOR = np.random.default_rng()

# np.savez takes these names itself, so no array may be saved under them.
_SAVEZ_RESERVED = ("file", "allow_pickle")


def manual_seed(seed: int | None) -> None:
    """Reseed the module-level generator that initialisers use when given no ``rng``.

    >>> from tinygrad_ae.nn import Linear
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


def npz_headers(path: str | os.PathLike[str]) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Name → (shape, dtype) of every array in an ``.npz`` archive, read from the headers
    alone (no array data, never unpickling). Raises :class:`ModelFileError` for anything
    that is not a readable ``.npz`` archive.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.npz"
    >>> np.savez(path, w=np.zeros((2, 3)))
    >>> npz_headers(path)
    {'w': ((2, 3), dtype('float64'))}
    """
    source = Path(path)
    not_npz = (f"load: {str(source)!r} is not an .npz archive written by Module.save, or it "
               f"is corrupt")
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    try:
        with open(source, "rb") as handle:
            if handle.read(6) == b"\x93NUMPY":
                raise ModelFileError(
                    f"load: {str(source)!r} holds a single array (a .npy file), not the .npz "
                    f"archive of named parameters that Module.save writes")
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                if not member.filename.endswith(".npy"):
                    continue
                with archive.open(member) as entry:
                    version = np.lib.format.read_magic(entry)
                    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = reader(entry)
                headers[member.filename[:-4]] = (tuple(shape), dtype)
    except ModelFileError:
        raise
    except PermissionError:
        raise
    except Exception as error:  # zipfile, numpy header parsing, truncation: a bad file
        raise ModelFileError(f"{not_npz} ({type(error).__name__}: {error})") from None
    return headers


class StateDictError(ValueError):
    """A state dict that does not fit the model: missing or unexpected keys, wrong shapes,
    non-real dtypes or non-finite values. The message lists every problem; the model is
    left unchanged.

    >>> from tinygrad_ae.nn import Linear
    >>> try:
    ...     Linear(2, 1, rng=0).load_state_dict({})
    ... except StateDictError as error:
    ...     print(str(error).splitlines()[0])
    load_state_dict: 2 problems, the model is unchanged:
    """


class ModelFileError(ValueError):
    """A file that :meth:`Module.load` cannot use (corrupt, not an ``.npz`` archive, or
    holding the wrong keys or shapes). The message names the path; the model is unchanged.

    >>> from tinygrad_ae.nn import Linear
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

    >>> from tinygrad_ae.nn import Linear
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


# Keyed by id: a WeakSet would compare tensors with ==, which is elementwise. Beside each
# tensor named automatically, the name it was given: a name the user set afterwards is
# not the one given, and is kept.
_AUTO_NAMED: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()
_AUTO_NAMES: dict[int, str] = {}


def _name_parameter(tensor: Tensor, dotted: str, attribute: str) -> None:
    """Give an unnamed parameter its dotted path as its display name (``encoder.weight``),
    so graph drawings read in the model's own terms; a name the user chose is kept."""
    key = id(tensor)
    if tensor.name is None or (_AUTO_NAMED.get(key) is tensor
                               and _AUTO_NAMES.get(key) == tensor.name):
        tensor.name = dotted
        if _AUTO_NAMED.get(key) is not tensor:
            _AUTO_NAMED[key] = tensor
            weakref.finalize(tensor, _AUTO_NAMES.pop, key, None)
        _AUTO_NAMES[key] = dotted


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

    >>> from tinygrad_ae.nn import Linear, Tanh
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
    _buffer_names: tuple[str, ...] = ()  # set by register_buffer

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

        >>> from tinygrad_ae.nn import Linear, Sequential, Tanh
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

        >>> from tinygrad_ae.nn import Linear, Sequential, Tanh
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

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module, then on this module (children first, as
        PyTorch does); return self. The usual use is initialisation.

        >>> from tinygrad_ae.nn import Linear, Sequential, Tanh, init
        >>> def reset(module):
        ...     if isinstance(module, Linear):
        ...         init.zeros_(module.weight)
        >>> model = Sequential(Linear(2, 2, rng=0), Tanh()).apply(reset)
        >>> model[0].weight.data.tolist()
        [[0.0, 0.0], [0.0, 0.0]]
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def register_buffer(self, name: str, value: ArrayLike | None) -> None:
        """Keep ``value`` as a *buffer*: state that is saved and loaded with the
        parameters but never trained (BatchNorm's running statistics), as in PyTorch.

        The buffer is an attribute holding a Tensor that does not require grad (or None,
        which is skipped); reassigning the attribute replaces it.

        >>> m = Module()
        >>> m.register_buffer("count", np.zeros(1))
        >>> m.state_dict()
        {'count': array([0.])}
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: the name must be an identifier, got {name!r}")
        if vars(self).get(name) is not None and name not in self._buffer_names:
            raise ValueError(f"register_buffer: {type(self).__name__} already has an "
                             f"attribute {name!r}; choose another name")
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(np.asarray(value))
        if value is not None and value.requires_grad:
            raise ValueError(f"register_buffer: {name!r} requires grad, so it would be a "
                             f"parameter; pass value.detach() or a numpy array")
        object.__setattr__(self, "_buffer_names", (*self._buffer_names, name)
                           if name not in self._buffer_names else self._buffer_names)
        setattr(self, name, value)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) for every buffer of this module and the modules below it,
        in the order of :meth:`named_modules`.

        >>> from tinygrad_ae.nn import BatchNorm1d, Sequential
        >>> [name for name, _ in Sequential(BatchNorm1d(3)).named_buffers()]
        ['0.running_mean', '0.running_var', '0.num_batches_tracked']
        """
        for module_name, module in self.named_modules(prefix):
            for name in module._buffer_names:
                value = getattr(module, name, None)
                if isinstance(value, Tensor):
                    yield _join(module_name, name), value

    def buffers(self) -> list[Tensor]:
        """Every buffer, in the order of :meth:`named_buffers`."""
        return [b for _, b in self.named_buffers()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) for every parameter, depth first in attribute-assignment
        order (a sub-module's parameters come where the sub-module was assigned); a tensor
        shared by several modules is listed once, under its first name.

        >>> from tinygrad_ae.nn import Linear, Sequential
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

        >>> from tinygrad_ae.nn import Linear
        >>> [p.shape for p in Linear(3, 2, rng=0).parameters()]
        [(2, 3), (2,)]
        """
        return [p for _, p in self.named_parameters()]

    @property
    def path(self) -> str:
        """This module's dotted name from the root it was last attached to (``""`` for a
        root): the scope of the ops its ``forward`` makes.

        >>> from tinygrad_ae.nn import Linear, Sequential, Tanh
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

        >>> from tinygrad_ae.nn import Identity
        >>> m = Identity()
        >>> with m.named_scope("encoder"):
        ...     h = Tensor(1.0, requires_grad=True) * 2
        >>> h.scope
        'encoder'
        """
        return _scope(_join(self._path, name))

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every module below it; return self.

        >>> from tinygrad_ae.nn import Linear
        >>> Linear(2, 1, rng=0).train(False).training
        False
        """
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: evaluation mode; return self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``grad = None``, as PyTorch does), or with
        ``set_to_none=False`` fill the existing gradients with zeros.

        >>> from tinygrad_ae.nn import Linear
        >>> layer = Linear(2, 1, rng=0)
        >>> layer(Tensor([[1.0, 2.0]])).sum().backward()
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    # --- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name → a copy of its value, in the order of :meth:`named_parameters`,
        then every buffer (see :meth:`register_buffer`).

        >>> from tinygrad_ae.nn import Linear
        >>> sorted(Linear(2, 1, rng=0).state_dict())
        ['bias', 'weight']
        """
        return {name: p.data.copy() for name, p in self._named_state()}

    def _named_state(self) -> list[tuple[str, Tensor]]:
        """Parameters, then buffers: everything a state dict holds."""
        return [*self.named_parameters(), *self.named_buffers()]

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters, from numpy arrays, Tensors or numbers.

        Everything is checked before anything is copied: missing and unexpected keys (only
        with ``strict=True``), shapes (exactly equal), dtypes (real numbers) and finiteness.
        Any problem raises :class:`StateDictError` listing them all, and the model is left
        exactly as it was. Values are copied into the existing arrays (cast to each
        parameter's dtype), so optimizers holding the parameters keep working.

        >>> from tinygrad_ae.nn import Linear
        >>> a, b = Linear(2, 1, rng=0), Linear(2, 1, rng=1)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight.data == b.weight.data).all())
        True
        >>> b.load_state_dict({"weight": np.zeros((3, 3))})
        Traceback (most recent call last):
        ...
        tinygrad_ae.nn.module.StateDictError: load_state_dict: 2 problems, the model is unchanged:
          - missing key 'bias' (the model's parameter has shape (1,))
          - 'weight': shape mismatch, the state dict has shape (3, 3) but the model's ...
          the model's keys are: weight, bias
        """
        problems, values, missing, unexpected = self._state_dict_problems(state_dict, strict)
        if problems:
            raise StateDictError(self._problem_message(problems, strict and bool(
                missing or unexpected)))
        # NOTE: nothing is written before this line, so a failed load changes nothing.
        params = dict(self._named_state())
        for key, value in values.items():
            np.copyto(params[key].data, value, casting="unsafe")
        return IncompatibleKeys(missing if not strict else [], unexpected if not strict else [])

    def _state_dict_problems(self, state_dict: Mapping[str, Any], strict: bool
                             ) -> tuple[list[str], dict[str, np.ndarray], list[str], list[str]]:
        """Every problem of ``state_dict`` for this model, the values to copy, and the
        missing and unexpected keys; changes nothing."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of parameter names to arrays (such as "
                f"model.state_dict()), got {type(state_dict).__name__}"
            )
        params = dict(self._named_state())
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
        return problems, values, missing, unexpected

    def _problem_message(self, problems: list[str], show_keys: bool) -> str:
        """The summary line, then every problem on its own line."""
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        keys = ", ".join(name for name, _ in self._named_state()) or "(none)"
        hint = f"\n  the model's keys are: {keys}" if show_keys else ""
        return (f"load_state_dict: {head}, the model is unchanged:\n"
                + "\n".join(f"  - {p}" for p in problems) + hint)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` to ``path`` as an ``.npz`` archive, atomically.

        The archive is written to a temporary file in the same folder, flushed to disk,
        then renamed over ``path`` in one step, so a crash or error mid-save leaves the old
        file (if any) intact and no temporary file behind. The file is used exactly as
        named (no suffix is added). Returns the path written.

        >>> from tinygrad_ae.nn import Linear
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

        >>> from tinygrad_ae.nn import Linear
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
        if not source.is_file():
            raise ModelFileError(f"load: {str(source)!r} is {describe_special_file(source)}, not a "
                                 f"file saved by Module.save")
        clean_leftovers(source.resolve().parent)
        # Every array's name, shape and dtype are checked from its header before any data
        # is read, so a hostile archive (a zip bomb, a huge declared shape) costs nothing.
        headers = npz_headers(source)
        placeholders = {key: np.broadcast_to(np.zeros((), dtype), shape)
                        for key, (shape, dtype) in headers.items() if not dtype.hasobject}
        problems, _, missing, unexpected = self._state_dict_problems(placeholders, True)
        problems += [f"cannot read the array {key!r}: it holds Python objects, which are "
                     f"never unpickled" for key, (_, dtype) in headers.items() if dtype.hasobject]
        if problems:
            raise ModelFileError(f"load: {str(source)!r} does not fit this "
                                 f"{type(self).__name__}: " + self._problem_message(
                                     problems, bool(missing or unexpected)))
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

    _repr_html_ = _display.module_html   # Jupyter: the layers as a table

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
