"""The autoencoders: the general encoder/decoder pair, the linear and MLP ones, and the
paper's 2-1-2 network written as its own equations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from tinygrad_ae.autograd.functions import stack
from tinygrad_ae.autograd.tensor import ArrayLike, Tensor
from tinygrad_ae.nn import (
    Identity,
    Linear,
    Module,
    ReLU,
    RngLike,
    Sequential,
    Sigmoid,
    Tanh,
    resolve_rng,
)

Callback = Callable[[int, float, Module], Any]
"""``cb(epoch, loss, model)``, called after every epoch (see :func:`fit`)."""

ACTIVATIONS: dict[str, type[Module]] = {
    "tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid, "identity": Identity,
}
"""The activation names :func:`mlp_autoencoder` accepts."""

_DEFAULT_LR = 0.01


class Autoencoder(Module):
    """x̂ = D_θ(E_φ(x)) from an ``encoder`` E_φ and a ``decoder`` D_θ module.

    Parameters are named ``encoder.…`` and ``decoder.…``; ops made inside each record that
    scope, so drawings group them.

    >>> model = Autoencoder(Linear(3, 1, rng=0), Linear(1, 3, rng=1))
    >>> [name for name, _ in model.named_parameters()]
    ['encoder.weight', 'encoder.bias', 'decoder.weight', 'decoder.bias']
    >>> model(Tensor(np.ones((5, 3)))).shape, model.encode(Tensor(np.ones((5, 3)))).shape
    ((5, 3), (5, 1))
    """

    def __init__(self, encoder: Module, decoder: Module) -> None:
        super().__init__()
        for label, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, Module):
                raise TypeError(f"Autoencoder: {label} must be an nn.Module (for example "
                                f"nn.Linear(4, 2)), got {type(part).__name__}")
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: ArrayLike) -> Tensor:
        """The code z = E_φ(x), shape (n_samples, n_components)."""
        return self.encoder(x)  # type: ignore[no-any-return]

    def decode(self, z: ArrayLike) -> Tensor:
        """The reconstruction x̂ = D_θ(z), shape (n_samples, n_features)."""
        return self.decoder(z)  # type: ignore[no-any-return]

    def forward(self, x: ArrayLike) -> Tensor:
        """x̂ = D_θ(E_φ(x))."""
        return self.decode(self.encode(x))


def _check_size(owner: str, label: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {label} must be a positive integer, got {value!r}")
    return int(value)


class LinearAutoencoder(Autoencoder):
    """x̂ = W_d (W_e x + b_e) + b_d: one Linear layer each way, no activation.

    ``encoder = Linear(n_features, n_components)`` holds W_e (k × m) and b_e;
    ``decoder = Linear(n_components, n_features)`` holds W_d (m × k) and b_d. Trained on
    the paper's loss it reaches the PCA bound (``pca.min_reconstruction_loss``).
    ``rng`` (an int or a Generator) seeds the initialisation, as in ``nn.Linear``.

    >>> model = LinearAutoencoder(n_features=4, n_components=2, rng=0)
    >>> model.W_e.shape, model.W_d.shape, model.b_d.shape
    ((2, 4), (4, 2), (4,))
    """

    encoder: Linear
    decoder: Linear

    def __init__(self, n_features: int, n_components: int, bias: bool = True,
                 dtype: Any = np.float64, rng: RngLike = None) -> None:
        m = _check_size("LinearAutoencoder", "n_features", n_features)
        k = _check_size("LinearAutoencoder", "n_components", n_components)
        generator = resolve_rng(rng)
        super().__init__(Linear(m, k, bias=bias, dtype=dtype, rng=generator),
                         Linear(k, m, bias=bias, dtype=dtype, rng=generator))
        self.n_features = m
        self.n_components = k

    @property
    def W_e(self) -> Tensor:
        """The encoder weight, shape (n_components, n_features)."""
        return self.encoder.weight

    @property
    def b_e(self) -> Tensor | None:
        """The encoder bias, shape (n_components,), or None without biases."""
        return self.encoder.bias

    @property
    def W_d(self) -> Tensor:
        """The decoder weight, shape (n_features, n_components)."""
        return self.decoder.weight

    @property
    def b_d(self) -> Tensor | None:
        """The decoder bias, shape (n_features,), or None without biases."""
        return self.decoder.bias


def mlp_autoencoder(sizes: Sequence[int], activation: str | None = "tanh",
                    final_activation: str | None = None, bias: bool = True,
                    dtype: Any = np.float64, rng: RngLike = None) -> Autoencoder:
    """A multilayer autoencoder: ``sizes=[64, 32, 8]`` gives 64→32→8→32→64.

    The encoder is ``Sequential(Linear(64, 32), act, Linear(32, 8))`` and the decoder its
    mirror ``Sequential(Linear(8, 32), act, Linear(32, 64))``: the activation follows every
    hidden layer, but not the code layer (so the code is not squashed, and with
    ``activation="identity"`` the model is a deep linear autoencoder) and not the output,
    unless ``final_activation`` is given (``"sigmoid"`` suits data in [0, 1]).
    Activations: ``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"identity"`` or None (none).

    >>> model = mlp_autoencoder([64, 32, 8], activation="relu", rng=0)
    >>> model.encoder
    Sequential(
      (0): Linear(in_features=64, out_features=32, bias=True)
      (1): ReLU()
      (2): Linear(in_features=32, out_features=8, bias=True)
    )
    >>> [name for name, _ in model.named_parameters()][-2:]
    ['decoder.2.weight', 'decoder.2.bias']
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise TypeError(f"mlp_autoencoder: sizes must be a list of layer widths such as "
                        f"[64, 32, 8], got {sizes!r}")
    widths = list(sizes)
    if len(widths) < 2:
        raise ValueError(f"mlp_autoencoder: sizes must list at least two layer widths, the "
                         f"input first (for example [64, 32, 8]), got {widths}")
    widths = [_check_size("mlp_autoencoder", f"sizes[{i}]", w) for i, w in enumerate(widths)]

    def make(name: str | None, label: str) -> Module | None:
        if name is None:
            return None
        if name not in ACTIVATIONS:
            raise ValueError(f"mlp_autoencoder: {label} must be one of "
                             f"{', '.join(repr(a) for a in ACTIVATIONS)} or None, got {name!r}")
        return ACTIVATIONS[name]()

    make(activation, "activation")
    make(final_activation, "final_activation")  # validate both before drawing anything
    generator = resolve_rng(rng)

    def stack(path: list[int], last: str | None) -> Sequential:
        layers = Sequential()
        for i, (n_in, n_out) in enumerate(zip(path[:-1], path[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, dtype=dtype, rng=generator))
            is_last = i == len(path) - 2
            act = make(last if is_last else activation, "activation")
            if act is not None:
                layers.append(act)
        return layers

    return Autoencoder(stack(widths, None), stack(widths[::-1], final_activation))


def _scalar(name: str, value: Any) -> float:
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise ValueError(f"PaperAutoencoder: {name} must be a single real number, got "
                         f"{value!r}")
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise ValueError(f"PaperAutoencoder: {name} must be finite, got {number}")
    return number


def _paper_input(x: ArrayLike, caller: str) -> Tensor:
    tensor = x if isinstance(x, Tensor) else Tensor(x)
    if tensor.ndim != 2 or tensor.shape[1] != 2 or tensor.shape[0] < 1:
        raise ValueError(f"{caller} expects x of shape (n_samples, 2) with at least one "
                         f"sample (columns x1, x2), got shape {tensor.shape}")
    return tensor


class PaperAutoencoder(Module):
    """The seed paper's 2-1-2 network, written literally as its equations.

        h  = w1·x1 + w2·x2 + b1                (encoder: scope "encoder")
        x̂1 = w3·h + b2,    x̂2 = w4·h + b3      (decoder: scope "decoder")

    Seven scalar parameters, each a Tensor whose ``name`` and ``named_parameters()`` key is
    its symbol, listed encoder first: w1, w2, b1, w3, w4, b2, b3. Omitted ones are drawn
    as ``nn.Linear(2, 1)`` and ``nn.Linear(1, 2)`` would draw them (U(±1/√2) for w1, w2, b1;
    U(±1) for w3, w4, b2, b3) from ``seed`` (an int or a Generator; None uses the
    module-level generator of ``nn.manual_seed``). ``forward`` maps x of shape (N, 2) to
    x̂ of shape (N, 2); the intermediate tensors are named x1, x2, h, x̂1, x̂2 for drawings.

    >>> model = PaperAutoencoder(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
    >>> model(np.array([[1.0, 2.0]]))          # h = 0.4: x̂ = (0.8·0.4 + 0.2, −0.6·0.4 − 0.1)
    Tensor([[ 0.52, -0.34]], name='x̂', requires_grad=True, op=stack)
    >>> model.loss(np.array([[1.0, 2.0]])).item()     # 0.48² + 2.34²
    5.706
    """

    PARAM_NAMES: tuple[str, ...] = ("w1", "w2", "b1", "w3", "w4", "b2", "b3")
    _ENCODER = ("w1", "w2", "b1")
    # PyTorch's bounds for Linear(2, 1) then Linear(1, 2): 1/√fan_in.
    _INIT_BOUNDS = {"w1": 1 / math.sqrt(2), "w2": 1 / math.sqrt(2), "b1": 1 / math.sqrt(2),
                    "w3": 1.0, "w4": 1.0, "b2": 1.0, "b3": 1.0}

    w1: Tensor
    w2: Tensor
    b1: Tensor
    w3: Tensor
    w4: Tensor
    b2: Tensor
    b3: Tensor

    def __init__(self, w1: float | None = None, w2: float | None = None,
                 w3: float | None = None, w4: float | None = None, b1: float | None = None,
                 b2: float | None = None, b3: float | None = None, seed: RngLike = None) -> None:
        super().__init__()
        given = {"w1": w1, "w2": w2, "b1": b1, "w3": w3, "w4": w4, "b2": b2, "b3": b3}
        values = {name: None if given[name] is None else _scalar(name, given[name])
                  for name in self.PARAM_NAMES}  # validate before drawing
        generator = resolve_rng(seed)
        # All seven are always drawn, so a given value does not shift the others' draws.
        drawn = {name: float(generator.uniform(-self._INIT_BOUNDS[name],
                                               self._INIT_BOUNDS[name]))
                 for name in self.PARAM_NAMES}
        for name in self.PARAM_NAMES:
            value = values[name]
            setattr(self, name, Tensor(drawn[name] if value is None else value,
                                       requires_grad=True, name=name))

    def _parameter_scope(self, name: str) -> str:
        part = "encoder" if name in self._ENCODER else "decoder"
        return f"{self._path}.{part}" if self._path else part

    def _equations(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """x1, x2, h, x̂1, x̂2 for every sample, each of shape (N,)."""
        x1 = x[:, 0]
        x1.name = "x1"
        x2 = x[:, 1]
        x2.name = "x2"
        with self.named_scope("encoder"):
            h = self.w1 * x1 + self.w2 * x2 + self.b1
        h.name = "h"
        with self.named_scope("decoder"):
            x_hat1 = self.w3 * h + self.b2
            x_hat2 = self.w4 * h + self.b3
        x_hat1.name = "x̂1"
        x_hat2.name = "x̂2"
        return x1, x2, h, x_hat1, x_hat2

    def forward(self, x: ArrayLike) -> Tensor:
        """x̂ = (x̂1, x̂2) for every sample: x of shape (N, 2) in, (N, 2) out."""
        x = _paper_input(x, "PaperAutoencoder")
        _, _, _, x_hat1, x_hat2 = self._equations(x)
        # One node places the two columns side by side; its gradient hands each equation
        # its own column (x̂1 e1 + x̂2 e2 took five nodes and twice the passes over N).
        with self.named_scope("decoder"):
            x_hat = stack([x_hat1, x_hat2], axis=1)
        x_hat.name = "x̂"
        return x_hat

    def loss(self, x: ArrayLike) -> Tensor:
        """The paper's L = (1/N) Σ_i ((x_i1 − x̂_i1)² + (x_i2 − x̂_i2)²), built term by term
        so that its graph reads like the paper (tensors x1, x2, h, x̂1, x̂2 and L). Equal to
        ``nn.mse_loss(model(x), x, "paper")``.

        >>> model = PaperAutoencoder(1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)   # x̂ = (x1, 0)
        >>> model.loss([[3.0, 2.0], [1.0, 4.0]]).item()                    # (4 + 16) / 2
        10.0
        """
        x = _paper_input(x, "PaperAutoencoder.loss")
        with self.named_scope(""):
            x1, x2, _, x_hat1, x_hat2 = self._equations(x)
            r1 = x1 - x_hat1  # the residuals, r_i = x_i − x̂_i (the paper's ℓ_i)
            r1.name = "r1"
            r2 = x2 - x_hat2
            r2.name = "r2"
            loss = (r1 ** 2 + r2 ** 2).sum() / x.shape[0]
        loss.name = "L"
        return loss

    def as_params(self) -> dict[str, float]:
        """The seven parameters as floats, keyed w1, w2, b1, w3, w4, b2, b3 (the format of
        ``closed_form.paper_partials``).

        >>> PaperAutoencoder(1, 2, 3, 4, 5, 6, 7).as_params()
        {'w1': 1.0, 'w2': 2.0, 'b1': 5.0, 'w3': 3.0, 'w4': 4.0, 'b2': 6.0, 'b3': 7.0}
        """
        return {name: float(getattr(self, name).data) for name in self.PARAM_NAMES}

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={value:.4g}" for name, value in self.as_params().items())
