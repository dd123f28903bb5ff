"""Layers: Linear, Sequential and the activation modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_ae.autograd import ops as _ops
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor

from .module import Module, RngLike, _as_tensor, resolve_rng


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
    """Modules applied one after the other; children are named "0", "1", … as in PyTorch,
    and a module attached by name (``seq.head = Linear(…)``) runs in its place in order.

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

    def _named_layers(self) -> list[tuple[str, Module]]:
        # Every child in the order it was added, whatever its name (``seq.head = …`` runs
        # too, as in PyTorch), and the modules of a list attribute in their place, since
        # they are children too; one module under two names runs twice.
        return [(name, value) for name, value in self._direct_items()
                if isinstance(value, Module)]

    def _layers(self) -> list[Module]:
        return [module for _, module in self._named_layers()]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # the children keep their names, as in PyTorch
            part = Sequential()
            for name, module in self._named_layers()[index]:
                setattr(part, str(len(part)) if "." in name else name, module)
            return part
        layers = self._layers()
        try:
            return layers[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for "
                             f"{len(layers)} modules") from None

    def forward(self, x: Any) -> Any:
        for layer in self._layers():
            x = layer(x)
        return x


class Flatten(Module):
    """Merge the axes ``start_dim`` … ``end_dim`` into one, as ``torch.nn.Flatten`` (by
    default every axis but the first, the batch axis).

    >>> Flatten()(Tensor(np.zeros((2, 3, 4)))).shape
    (2, 12)
    >>> Flatten(0, 1)(Tensor(np.zeros((2, 3, 4)))).shape
    (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = int(start_dim)
        self.end_dim = int(end_dim)

    def forward(self, x: ArrayLike) -> Tensor:
        x = _as_tensor(x)
        if x.ndim == 0:
            return x.reshape(1)
        start = self.start_dim + x.ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + x.ndim if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < x.ndim:
            raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) "
                             f"does not fit an input with {x.ndim} axes (shape {x.shape})")
        merged = math.prod(x.shape[start:end + 1])
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten`` (one entry
    may be -1, inferred).

    >>> Unflatten(1, (3, 4))(Tensor(np.zeros((2, 12)))).shape
    (2, 3, 4)
    >>> Unflatten(1, (5, 2))(Tensor(np.zeros((2, 12))))
    Traceback (most recent call last):
    ...
    ValueError: Unflatten: axis 1 of the input has size 12, which cannot be split into (5, 2)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = int(dim)
        self.unflattened_size = tuple(int(n) for n in unflattened_size)
        if sum(n == -1 for n in self.unflattened_size) > 1 or any(
                n < -1 or n == 0 for n in self.unflattened_size):
            raise ValueError(f"Unflatten: unflattened_size must hold positive sizes and at "
                             f"most one -1, got {unflattened_size!r}")

    def forward(self, x: ArrayLike) -> Tensor:
        x = _as_tensor(x)
        dim = self.dim + x.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for an input of "
                             f"shape {x.shape}")
        size, known = x.shape[dim], math.prod(n for n in self.unflattened_size if n != -1)
        if (size % known if -1 in self.unflattened_size else size != known):
            raise ValueError(f"Unflatten: axis {self.dim} of the input has size {size}, "
                             f"which cannot be split into {self.unflattened_size}")
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
