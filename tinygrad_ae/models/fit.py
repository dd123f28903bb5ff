"""fit: the training loop, its history and its divergence guard.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from tinygrad_ae import data as _data
from tinygrad_ae.autograd.tensor import Tensor, no_grad
from tinygrad_ae.nn import (
    REDUCTIONS,
    Module,
    mse_loss,
)
from tinygrad_ae.optim import SGD, Adam, Optimizer

from .autoencoders import _DEFAULT_LR, Callback


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite during :func:`fit`. The parameters were restored
    from the last step whose loss was finite. ``epoch``, ``loss``, ``lr``, ``history``
    (the epochs completed) and ``message`` say where and why.

    >>> from tinygrad_ae.models import LinearAutoencoder
    >>> import numpy as np
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

    >>> from tinygrad_ae.models import LinearAutoencoder
    >>> import numpy as np
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

    >>> from tinygrad_ae.models import LinearAutoencoder
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
