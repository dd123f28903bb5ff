"""The autoencoders of the seed paper, and ``fit``, the loop that trains them.

Layer: the top of the model stack; imports numpy, tqdm, and ``tensor``, ``nn``, ``optim``
and ``data`` of ours.

An autoencoder is x̂ = D_θ(E_φ(x)): an encoder E_φ (parameters φ, named ``encoder.…``) maps
a sample of n_features numbers to a code of n_components numbers, and a decoder D_θ
(``decoder.…``) maps the code back. Training minimises the paper's loss
L = (1/N) Σ_i ‖x_i − x̂_i‖² (``nn.mse_loss(x_hat, x, "paper")``).

- :class:`Autoencoder` joins any encoder and decoder modules;
- :class:`LinearAutoencoder` is x̂ = W_d (W_e x + b_e) + b_d, the network PCA solves;
- :func:`mlp_autoencoder` stacks Linear layers with activations;
- :class:`PaperAutoencoder` is the paper's 2-1-2 network written literally as its
  equations, with seven scalar parameters w1 … b3, so its graph reads like the paper;
- :func:`fit` runs full-batch, minibatch or online gradient descent and returns a
  :class:`History`; a loss that overflows stops it with :class:`TrainingDiverged`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from . import data as _data
from .nn import (
    REDUCTIONS,
    Identity,
    Linear,
    Module,
    ReLU,
    RngLike,
    Sequential,
    Sigmoid,
    Tanh,
    mse_loss,
    resolve_rng,
)
from .optim import SGD, Adam, Optimizer
from .tensor import ArrayLike, Tensor, no_grad

__all__ = [
    "Autoencoder", "LinearAutoencoder", "mlp_autoencoder", "ACTIVATIONS", "PaperAutoencoder",
    "fit", "History", "TrainingDiverged", "Callback",
]

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
    Tensor([[ 0.52, -0.34]], name='x̂', requires_grad=True, op=add)
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
        n = x.shape[0]
        # No stack op: place each column with a constant unit row, x̂ = x̂1 e1 + x̂2 e2.
        with self.named_scope("decoder"):
            unit = np.eye(2, dtype=x_hat1.dtype)  # in x̂'s dtype: float32 stays float32
            x_hat = x_hat1.reshape(n, 1) * unit[0] + x_hat2.reshape(n, 1) * unit[1]
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


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite during :func:`fit`. The parameters were restored
    from the last step whose loss was finite. ``epoch``, ``loss``, ``lr``, ``history``
    (the epochs completed) and ``message`` say where and why.

    >>> model = LinearAutoencoder(2, 1, rng=0)
    >>> try:
    ...     fit(model, np.eye(2) * 10, epochs=100, lr=100.0, progress=False)
    ... except TrainingDiverged as error:
    ...     print(error.message)
    training diverged at epoch ... try a smaller learning rate (now 100)
    """

    def __init__(self, message: str, epoch: int, loss: float, lr: float,
                 history: History) -> None:
        super().__init__(message)
        self.message = message
        self.epoch = epoch
        self.loss = loss
        self.lr = lr
        self.history = history


class History(Mapping[str, list[Any]]):
    """What :func:`fit` recorded: ``history["loss"]`` (one float per epoch) and one list
    per key a callback returned (``None`` in epochs where it recorded nothing), plus
    ``epochs_run``, ``stopped_early`` and ``message``.

    >>> history = fit(LinearAutoencoder(2, 1, rng=0), np.eye(2), epochs=3, progress=False)
    >>> len(history["loss"]), history.epochs_run, history.stopped_early
    (3, 3, False)
    """

    def __init__(self) -> None:
        self._columns: dict[str, list[Any]] = {"loss": []}
        self.epochs_run = 0
        self.stopped_early = False
        self.message = ""

    def __getitem__(self, key: str) -> list[Any]:
        try:
            return self._columns[key]
        except KeyError:
            raise KeyError(f"history has no {key!r}; recorded: "
                           f"{', '.join(self._columns)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def final_loss(self) -> float | None:
        """The loss of the last epoch run (None before the first)."""
        losses = self._columns["loss"]
        return losses[-1] if losses else None

    def _end_epoch(self, epoch: int, loss: float) -> None:
        self._columns["loss"].append(loss)
        self.epochs_run = epoch

    def _record(self, epoch: int, values: Mapping[Any, Any], source: str) -> None:
        for key, value in values.items():
            if not isinstance(key, str) or key == "loss":
                raise ValueError(f"fit: callback {source} returned the key {key!r}; record "
                                 f"values under string keys other than 'loss'")
            column = self._columns.setdefault(key, [])
            column.extend([None] * (epoch - len(column)))
            column[epoch - 1] = value

    def _pad(self, epoch: int) -> None:
        for column in self._columns.values():
            column.extend([None] * (epoch - len(column)))

    def __repr__(self) -> str:
        final = "None" if self.final_loss is None else f"{self.final_loss:.6g}"
        return (f"History(epochs_run={self.epochs_run}, final_loss={final}, "
                f"stopped_early={self.stopped_early}, keys={list(self._columns)})")


def _callback_name(callback: Callable[..., Any]) -> str:
    return getattr(callback, "__name__", type(callback).__name__)


def _make_optimizer(model: Module, optimizer: Optimizer | str | None,
                    lr: float | None) -> Optimizer:
    params = model.parameters()
    if not params:
        raise ValueError(f"fit: {type(model).__name__} has no parameters to train (Tensors "
                         f"created with requires_grad=True)")
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError(f"fit: the optimizer already has its learning rate "
                             f"({optimizer.lr:g}); pass lr= only with optimizer=None, 'sgd' "
                             f"or 'adam'")
        owned = {id(p) for p in params}
        if not any(id(p) in owned for p in optimizer.params):
            raise ValueError("fit: the optimizer holds none of the model's parameters; build "
                             "it from this model, e.g. optim.SGD(model.parameters(), lr=0.01)")
        return optimizer
    rate = _DEFAULT_LR if lr is None else lr
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"fit: lr must be a positive number, got {rate!r}")
    choice = "sgd" if optimizer is None else optimizer
    if not isinstance(choice, str) or choice.lower() not in ("sgd", "adam"):
        raise ValueError(f"fit: optimizer must be 'sgd' or 'adam' (or an optim.Optimizer), "
                         f"got {optimizer!r}")
    return SGD(params, lr=rate) if choice.lower() == "sgd" else Adam(params, lr=rate)


def _loss_function(loss: str | Callable[[Tensor, Tensor], Tensor]
                   ) -> Callable[[Tensor, Tensor], Tensor]:
    if isinstance(loss, str):
        if loss not in REDUCTIONS:
            raise ValueError(f"fit: loss must be one of {', '.join(repr(r) for r in REDUCTIONS)} "
                             f"(a reduction of nn.mse_loss) or a function loss(x_hat, x), got "
                             f"{loss!r}")
        return lambda x_hat, x: mse_loss(x_hat, x, reduction=loss)
    if not callable(loss):
        raise TypeError(f"fit: loss must be a reduction name or a function loss(x_hat, x), "
                        f"got {type(loss).__name__}")
    return loss


def _restore(params: list[Tensor], snapshot: list[np.ndarray]) -> None:
    for p, saved in zip(params, snapshot):
        np.copyto(p.data, saved)


def fit(
    model: Module,
    X: Any,
    epochs: int,
    batch_size: int | None = None,
    optimizer: Optimizer | str | None = None,
    lr: float | None = None,
    shuffle: bool | Literal["batches", "rows"] = True,
    seed: int | np.random.Generator | None = None,
    callbacks: Iterable[Callback] | Callback = (),
    progress: bool = True,
    loss: str | Callable[[Tensor, Tensor], Tensor] = "paper",
) -> History:
    """Train ``model`` to reconstruct ``X`` by gradient descent; return a :class:`History`.

    Args:
        model: any Module mapping (batch, n_features) to the same shape.
        X: (n_samples, n_features), anything with ``shape`` and row slicing: a numpy array,
            an ``np.memmap`` from ``data.load_array``, an h5py dataset. With ``batch_size``
            set, only one batch of rows is read at a time (``data.minibatches``), so X may
            live on disk; ``batch_size=None`` reads it whole once.
        epochs: passes over X (≥ 1).
        batch_size: None for full-batch gradient descent (one step per epoch), 1 for online
            learning, b for minibatches of b rows (the last may be smaller).
        optimizer: None or "sgd" for ``optim.SGD(lr)``, "adam" for ``optim.Adam(lr)``, or an
            ``optim.Optimizer`` you built (then leave ``lr`` unset).
        lr: learning rate of the optimizer fit builds (default 0.01).
        loss: a reduction of ``nn.mse_loss`` ("paper", the seed's (1/N) Σ_i ‖x_i − x̂_i‖²;
            "mean"; "sum") or a function ``loss(x_hat, x)`` returning a one-number Tensor.
        shuffle, seed: the minibatch order, as in ``data.minibatches``; one generator is
            seeded once, so each epoch gets a new order and the same seed the same run.
        callbacks: functions ``cb(epoch, loss, model)`` called after every epoch, with epochs
            counted from 1 and that epoch's loss. A callback may return None; a dict of
            values, recorded under their keys in the history; or the string "stop" (or
            raise ``StopIteration``) to end training after this epoch.
        progress: show a tqdm progress bar with the running loss (on stderr).

    Returns:
        A History: ``history["loss"][e - 1]`` is epoch e's loss, the batch losses weighted by
        their share of the rows (their sum for ``loss="sum"``), each computed just before
        its step; ``epochs_run``, ``stopped_early`` and ``message`` say how it ended.

    Raises:
        TrainingDiverged: the loss or a parameter became NaN or infinite. The parameters
            are first restored from the last step whose loss was finite (the optimizer's
            internal state is not), and the message names the epoch and the learning rate.
        ValueError: a bad argument, or X holding NaN or infinity.

    The model is put in training mode (``model.train()``) first. Numpy's overflow warnings
    are silenced during training: divergence is reported once, by ``TrainingDiverged``.

    >>> from tinygrad_ae.data import correlated_2d
    >>> X = correlated_2d(200, seed=0)
    >>> model = LinearAutoencoder(2, 1, rng=0)
    >>> history = fit(model, X, epochs=100, lr=0.05, progress=False)
    >>> history["loss"][-1] < history["loss"][0]
    True
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    rows: Any = X if hasattr(X, "shape") and hasattr(X, "__getitem__") else np.asarray(X)
    shape = tuple(rows.shape)
    if len(shape) != 2 or shape[0] < 1:
        raise ValueError(f"fit: X must be 2-D, (n_samples, n_features), with at least one "
                         f"sample; got shape {shape}")
    n_samples = int(shape[0])
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
        or not 1 <= batch_size <= n_samples
    ):
        raise ValueError(f"fit: batch_size must be None (full batch) or an integer from 1 to "
                         f"the number of samples ({n_samples}), got {batch_size!r}")
    loss_fn = _loss_function(loss)
    hooks = [callbacks] if callable(callbacks) else list(callbacks)
    for i, hook in enumerate(hooks):
        if not callable(hook):
            raise TypeError(f"fit: callbacks[{i}] is a {type(hook).__name__}, not a function "
                            f"cb(epoch, loss, model)")
    opt = _make_optimizer(model, optimizer, lr)
    params = opt.params
    snapshot = [p.data.copy() for p in params]  # the last parameters with a finite loss
    steps = 0
    history = History()
    generator = np.random.default_rng(seed)
    full: Tensor | None = None
    if batch_size is None:
        full = Tensor(np.asarray(rows))
        if not np.isfinite(full.data).all():
            raise ValueError("fit: X contains NaN or infinity; remove or impute those values "
                             "first")
    total_loss = loss == "sum"
    model.train()

    def diverged(epoch: int, value: float, what: str) -> TrainingDiverged:
        _restore(params, snapshot)
        if steps == 0:
            message = (f"the loss is {value} at the initial parameters (epoch 1, before any "
                       f"step); parameters unchanged; check X for huge values")
        else:
            message = (f"training diverged at epoch {epoch} ({what}); parameters restored "
                       f"from the last finite step; try a smaller learning rate "
                       f"(now {opt.lr:g})")
        history.stopped_early = True
        history.message = message
        return TrainingDiverged(message, epoch, value, opt.lr, history)

    with tqdm(total=epochs, desc=f"fit {type(model).__name__}", unit="epoch",
              disable=not progress) as bar, np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            batches: Iterable[Any] = (
                (full,) if full is not None
                else _data.minibatches(rows, batch_size, shuffle=shuffle, seed=generator)
            )
            epoch_loss = 0.0
            for batch in batches:
                xb = batch if isinstance(batch, Tensor) else Tensor(batch)
                if epoch == 1 and full is None and not np.isfinite(xb.data).all():
                    raise ValueError("fit: X contains NaN or infinity; remove or impute those "
                                     "values first")
                value_tensor = loss_fn(model(xb), xb)
                if not isinstance(value_tensor, Tensor) or value_tensor.size != 1:
                    raise ValueError(f"fit: the loss must be a one-number Tensor, got "
                                     f"{getattr(value_tensor, 'shape', type(value_tensor))}")
                value = value_tensor.item()
                if not math.isfinite(value):
                    raise diverged(epoch, value, f"loss = {value}")
                opt.zero_grad()
                value_tensor.backward()
                with no_grad():
                    for saved, p in zip(snapshot, params):
                        np.copyto(saved, p.data)
                    opt.step()
                steps += 1
                if not all(np.isfinite(p.data).all() for p in params):
                    raise diverged(epoch, value, f"a step made the parameters NaN or "
                                                 f"infinite; the loss before it was {value:g}")
                epoch_loss += value if total_loss else value * (xb.shape[0] / n_samples)
            history._end_epoch(epoch, epoch_loss)
            bar.set_postfix_str(f"loss={epoch_loss:.4g}", refresh=False)
            bar.update()
            stop_reason = ""
            for hook in hooks:
                try:
                    result = hook(epoch, epoch_loss, model)
                except StopIteration as stop:
                    stop_reason = f"{_callback_name(hook)}" + (f": {stop}" if str(stop) else "")
                    continue
                if result is None:
                    continue
                if isinstance(result, str) and result == "stop":
                    stop_reason = _callback_name(hook)
                elif isinstance(result, Mapping):
                    history._record(epoch, result, _callback_name(hook))
                else:
                    raise TypeError(f"fit: callback {_callback_name(hook)} returned {result!r}; "
                                    f"return None, a dict of values to record, or 'stop'")
            history._pad(epoch)
            if stop_reason:
                history.stopped_early = True
                history.message = (f"stopped early at epoch {epoch} of {epochs} by "
                                   f"{stop_reason}; final loss {epoch_loss:.6g}")
                return history
    history.message = f"trained for {epochs} epochs; final loss {history.final_loss:.6g}"
    return history
