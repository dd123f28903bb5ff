"""Online PCA and streaming training: the principal subspace learned one minibatch at a time.

Layer: beside ``models`` at the top of the stack; imports numpy and ``data``, ``models``,
``nn``, ``optim``, ``pca`` and ``tensor`` of ours (``pca`` only to measure angles).

The seed paper says PCA "needs the entire dataset immediately" while an autoencoder "can be
trained in an online fashion". This module holds the tools that put both halves to the test
(docs/online_and_nonlinear.md):

- :class:`OjaPCA`, Oja's subspace rule ΔW = η (x − W y) yᵀ with y = Wᵀ x (x centred with a
  running mean): an orthonormal basis of the top-k principal subspace, in no order;
- :class:`SangerPCA`, Sanger's generalised Hebbian algorithm: the same rule with the
  deflation term restricted to earlier components, which gives the ordered eigenvectors;
- :func:`stream_linear_autoencoder`, our ``LinearAutoencoder`` trained on minibatches read one
  at a time from any sliceable ``X`` (a memory-mapped file), with a trace of principal angles;
- :class:`RowCountingArray`, a wrapper that records how many rows each read takes, so a test can
  prove that only ``batch_size`` rows are ever requested at once;
- :class:`NpyRows`, a ``.npy`` file that maps only the rows each read asks for. A whole-file
  ``np.memmap`` reserves address space for all of the file, so under ``RLIMIT_AS`` smaller than
  the file it cannot even be opened; mapping one window per read can.

Learning rates follow one schedule everywhere: after n rows have been seen the step is
η(n) = lr / (1 + n / half_life), constant when ``half_life`` is None. Oja and Sanger are
stable for η λ_1 < 1 (λ_1 the largest variance of the data); a decaying step (half_life of a
few batches' worth of rows or more) removes the noise floor that a constant step leaves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from tinygrad_ae import data as _data
from tinygrad_ae.autograd.tensor import Tensor
from tinygrad_ae.models import LinearAutoencoder
from tinygrad_ae.nn import Module, mse_loss
from tinygrad_ae.optim import SGD, Adam, Optimizer
from tinygrad_ae.theory.pca import principal_angles

__all__ = [
    "OjaPCA",
    "SangerPCA",
    "StreamTrace",
    "StreamedAutoencoder",
    "stream_linear_autoencoder",
    "RowCountingArray",
    "NpyRows",
    "step_size",
]

OptimizerFactory = Callable[[list[Tensor], float], Optimizer]
"""``factory(params, lr)`` returning an ``optim.Optimizer``; an alternative to "sgd"/"adam"."""


def step_size(lr: float, rows_seen: int, half_life: float | None = None) -> float:
    """The learning rate after ``rows_seen`` rows: η(n) = lr / (1 + n / half_life).

    ``half_life=None`` keeps η = lr. Counting rows rather than steps makes the schedule the
    same for every batch size. Harmonic decay (η ∝ 1/n for large n) is the Robbins–Monro
    schedule under which Oja's rule converges to the subspace itself, not to a noise ball.

    >>> step_size(0.1, 0), step_size(0.1, 500, half_life=500), step_size(0.1, 10**6)
    (0.1, 0.05, 0.1)
    """
    if half_life is None:
        return float(lr)
    return float(lr) / (1.0 + rows_seen / half_life)


def _check_positive(owner: str, name: str, value: Any, integer: bool = False) -> Any:
    kinds: tuple[type, ...] = (int, np.integer) if integer else (int, float, np.integer,
                                                                   np.floating)
    is_number = not isinstance(value, bool) and isinstance(value, kinds)
    if not is_number or not np.isfinite(value) or value <= 0:
        what = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")
    return int(value) if integer else float(value)


def _rows(X: Any, caller: str) -> Any:
    """``X`` itself if it has ``shape`` and row slicing (a memmap stays on disk), else an array."""
    rows = X if hasattr(X, "shape") and hasattr(X, "__getitem__") else np.asarray(X)
    if len(rows.shape) != 2 or rows.shape[0] < 1:
        raise ValueError(f"{caller}: X must be 2-D, (n_samples, n_features), with at least one "
                         f"sample; got shape {tuple(rows.shape)}")
    return rows


def _sign_fixed_rows(basis: np.ndarray) -> np.ndarray:
    """Rows of ``basis`` flipped so each one's largest-|.| entry is positive (as ``pca.PCA``)."""
    largest = np.argmax(np.abs(basis), axis=1)
    signs = np.sign(basis[np.arange(basis.shape[0]), largest])
    signs[signs == 0] = 1.0
    return basis * signs[:, None]


# ---------------------------------------------------------------------------------------------
# Online PCA: Oja's subspace rule and Sanger's generalised Hebbian algorithm
# ---------------------------------------------------------------------------------------------


class OjaPCA:
    """Oja's subspace rule: an orthonormal basis of the top-k principal subspace, online.

    W (n_features, n_components) holds one direction per column. For each centred sample
    x = x_raw − μ (μ a running mean of every row seen so far) with code y = Wᵀ x,

        ΔW = η (x − W y) yᵀ,        averaged over a minibatch:  ΔW = (η/b) (XᵀY − W YᵀY)

    with X (b, n_features) the centred batch and Y = X W. Its mean flow is
    Ẇ = ΣW − W (WᵀΣW) = (I − W Wᵀ) Σ W: its fixed points with WᵀW = I span sets of
    eigenvectors, and only the top-k span is stable (Oja 1989; docs/theory.md#online-pca). This flow
    is the decoder half of the linear autoencoder's gradient at tied weights W_e = Wᵀ, W_d = W.
    Memory is O(n_features · n_components): the covariance is never formed.

    The columns converge to *some* orthonormal basis of the subspace, not to the eigenvectors
    (any rotation WQ is a fixed point); use :class:`SangerPCA` for ordered components.

    Args:
        n_components: k, the dimension of the subspace.
        lr: η at the start; keep η λ_1 < 1, λ_1 the largest variance of the data.
        half_life: rows after which η has halved (:func:`step_size`); None keeps η constant.
        seed: seeds the random orthonormal starting W.

    Attributes (after the first ``partial_fit``):
        components_: (n_components, n_features), orthonormal rows spanning span(W) (a QR of
            W, so column order is kept), each with its largest-|.| entry positive.
        mean_: (n_features,), the running mean μ.
        n_samples_seen_, n_features_in_: ints.

    >>> from tinygrad_ae.data import with_spectrum
    >>> X, Q = with_spectrum(2000, [4.0, 2.0, 0.2, 0.1], mean=[1, 2, 3, 4], seed=0)
    >>> oja = OjaPCA(2, lr=0.1, half_life=4000, seed=0).fit(X, batch_size=20, epochs=3)
    >>> from tinygrad_ae.pca import principal_angles
    >>> bool(principal_angles(oja.components_.T, Q[:, :2]).max() < 0.05)
    True
    """

    def __init__(self, n_components: int, lr: float = 0.01, half_life: float | None = None,
                 seed: int | np.random.Generator | None = None) -> None:
        owner = type(self).__name__
        self.n_components = _check_positive(owner, "n_components", n_components, integer=True)
        self.lr = _check_positive(owner, "lr", lr)
        self.half_life = None if half_life is None else _check_positive(owner, "half_life",
                                                                         half_life)
        self.seed = seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_components={self.n_components}, lr={self.lr:g}, "
                f"half_life={self.half_life!r})")

    def _reset(self, n_features: int) -> None:
        owner = type(self).__name__
        if self.n_components > n_features:
            raise ValueError(f"{owner}: n_components={self.n_components} exceeds the "
                             f"{n_features} features of the data; choose at most {n_features}")
        rng = np.random.default_rng(self.seed)
        # A Haar-random orthonormal start: it has a non-zero component along the top subspace
        # with probability one, which is all the rule needs.
        q, r = np.linalg.qr(rng.standard_normal((n_features, self.n_components)))
        self.W_ = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        self.mean_ = np.zeros(n_features)
        self.n_samples_seen_ = 0
        self.n_features_in_ = n_features

    def _deflation(self, gram: np.ndarray) -> np.ndarray:
        """The k × k matrix M in ΔW = (η/b)(XᵀY − W M): all of YᵀY for Oja's subspace rule."""
        return gram

    def partial_fit(self, batch: npt.ArrayLike, y: object = None) -> OjaPCA:
        """Update μ and W with one minibatch of rows, shape (b, n_features); return self.

        The running mean is updated first, μ ← μ + (b/n)(mean(batch) − μ), and the batch is
        centred with it; the first call fixes n_features and draws the starting W.

        >>> oja = OjaPCA(1, lr=0.1, seed=0).partial_fit([[1.0, 0.0], [-1.0, 0.0]])
        >>> oja.n_samples_seen_, oja.mean_
        (2, array([0., 0.]))
        """
        owner = type(self).__name__
        rows = np.asarray(batch, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[0] < 1:
            raise ValueError(f"{owner}.partial_fit: batch must be 2-D, (batch_size, "
                             f"n_features), with at least one row; got shape {rows.shape}")
        if not hasattr(self, "W_"):
            self._reset(rows.shape[1])
        elif rows.shape[1] != self.n_features_in_:
            raise ValueError(f"{owner}.partial_fit: batch has {rows.shape[1]} features, but "
                             f"earlier batches had {self.n_features_in_}; use fit to start over")
        b = rows.shape[0]
        eta = step_size(self.lr, self.n_samples_seen_, self.half_life)
        self.n_samples_seen_ += b
        self.mean_ += (b / self.n_samples_seen_) * (rows.mean(axis=0) - self.mean_)
        centred = rows - self.mean_
        # Overflow is reported once, by the FloatingPointError below, not as numpy warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            codes = centred @ self.W_                              # Y = X W, (b, k)
            step = centred.T @ codes - self.W_ @ self._deflation(codes.T @ codes)
            self.W_ += (eta / b) * step
        if not np.all(np.isfinite(self.W_)):
            raise FloatingPointError(
                f"{owner}.partial_fit: W became NaN or infinite after {self.n_samples_seen_} "
                f"rows at step size {eta:g}; the rule needs lr × (largest variance) < 1, so "
                f"lower lr (now {self.lr:g}) or scale the data"
            )
        return self

    def fit(self, X: Any, batch_size: int = 1, epochs: int = 1,
            shuffle: bool | Literal["batches", "rows"] = False,
            seed: int | np.random.Generator | None = None, y: object = None) -> OjaPCA:
        """Start over and stream ``epochs`` passes of X through :meth:`partial_fit`; return self.

        X is anything with ``shape`` and row slicing (an ``np.memmap``, :class:`NpyRows`);
        rows are read by ``data.minibatches``, ``batch_size`` at a time, so X is never
        held whole. ``shuffle`` and ``seed`` are those of ``data.minibatches``.

        >>> X = np.array([[2.0, 0.1], [-2.0, -0.1], [2.1, 0.0], [-2.1, 0.0]] * 50)
        >>> OjaPCA(1, lr=0.05, seed=0).fit(X, batch_size=4).components_.round(2)
        array([[1.  , 0.02]])
        """
        owner = type(self).__name__
        rows = _rows(X, f"{owner}.fit")
        _check_positive(owner, "epochs", epochs, integer=True)
        for name in ("W_", "mean_", "n_samples_seen_", "n_features_in_"):
            self.__dict__.pop(name, None)
        generator = np.random.default_rng(seed)
        for _ in range(epochs):
            for batch in _data.minibatches(rows, batch_size, shuffle=shuffle,
                                           seed=generator):
                self.partial_fit(batch)
        return self

    @property
    def components_(self) -> np.ndarray:
        """Orthonormal rows spanning span(W), shape (n_components, n_features)."""
        if not hasattr(self, "W_"):
            raise AttributeError(f"{type(self).__name__} is not fitted yet; call fit(X) or "
                                 f"partial_fit(batch) first")
        q, r = np.linalg.qr(self.W_)
        # QR is Gram–Schmidt in column order, so Sanger's ordering survives; r's signs are
        # undone so that the basis follows W's own columns before the final sign convention.
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        return _sign_fixed_rows(q.T)

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Codes (X − μ) componentsᵀ, shape (n_samples, n_components).

        >>> oja = OjaPCA(1, lr=0.1, seed=0).fit([[1.0, 0.0], [-1.0, 0.0]] * 100, batch_size=2)
        >>> oja.transform([[3.0, 0.0]]).round(3)
        array([[3.]])
        """
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_.T

    def inverse_transform(self, Z: npt.ArrayLike) -> np.ndarray:
        """Back to data space: Z components + μ, shape (n_samples, n_features).

        >>> oja = OjaPCA(1, lr=0.1, seed=0).fit([[1.0, 0.0], [-1.0, 0.0]] * 100, batch_size=2)
        >>> np.abs(oja.inverse_transform(oja.transform([[3.0, 4.0]]))).round(3)
        array([[3., 0.]])
        """
        return np.asarray(Z, dtype=np.float64) @ self.components_ + self.mean_


class SangerPCA(OjaPCA):
    """Sanger's generalised Hebbian algorithm (GHA): the *ordered* top-k eigenvectors, online.

    Oja's rule with the deflation restricted to earlier components. Column j of W moves by

        Δw_j = η y_j (x − Σ_{l ≤ j} w_l y_l),     y = Wᵀ x,

    i.e. ΔW = η (x yᵀ − W UT[y yᵀ]) with UT the upper triangle including the diagonal (in the
    row convention of docs/theory.md#online-pca, ΔW = η(y xᵀ − LT[y yᵀ] W)). Column 1 runs Oja's
    one-unit rule and finds u_1; column 2 sees x with its u_1 part removed and finds u_2; and so on
    (Sanger 1989). With distinct eigenvalues λ_1 > … > λ_k > λ_{k+1}, ``components_[j]`` tends
    to ±u_{j+1}. Everything else (running mean, minibatches, schedule) is as in :class:`OjaPCA`.

    >>> from tinygrad_ae.data import with_spectrum
    >>> X, Q = with_spectrum(2000, [4.0, 1.0, 0.1], seed=0)
    >>> gha = SangerPCA(2, lr=0.1, half_life=4000, seed=0).fit(X, batch_size=20, epochs=3)
    >>> np.abs(gha.components_ @ Q[:, :2]).round(1)     # ≈ identity: u_1 first, then u_2
    array([[1., 0.],
           [0., 1.]])
    """

    def _deflation(self, gram: np.ndarray) -> np.ndarray:
        """UT[YᵀY]: component j is only pushed off components l ≤ j."""
        return np.triu(gram)


# ---------------------------------------------------------------------------------------------
# Streaming the linear autoencoder
# ---------------------------------------------------------------------------------------------


@dataclass
class StreamTrace:
    """What :func:`stream_linear_autoencoder` recorded, one entry per trace point.

    ``rows_seen[i]`` rows had been used for steps when entry i was taken; ``loss[i]`` is the
    paper's loss on the last batch before it; ``angle[i]`` / ``encoder_angle[i]`` are the
    largest principal angles (radians) between the reference subspace and the column space of
    W_d / of W_eᵀ (NaN without a reference); ``seconds[i]`` is the wall time since the start.

    >>> StreamTrace().rows_seen
    []
    """

    rows_seen: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    angle: list[float] = field(default_factory=list)
    encoder_angle: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


class StreamedAutoencoder(NamedTuple):
    """The result of :func:`stream_linear_autoencoder`: ``model, trace = ...``."""

    model: LinearAutoencoder
    trace: StreamTrace


def _make_optimizer(params: list[Tensor], optimizer: str | OptimizerFactory,
                    lr: float) -> Optimizer:
    if callable(optimizer):
        made = optimizer(params, lr)
        if not isinstance(made, Optimizer):
            raise TypeError(f"stream_linear_autoencoder: the optimizer factory returned "
                            f"{type(made).__name__}, not an optim.Optimizer")
        return made
    if optimizer == "sgd":
        return SGD(params, lr=lr)
    if optimizer == "adam":
        return Adam(params, lr=lr)
    raise ValueError(f"stream_linear_autoencoder: optimizer must be 'sgd' or 'adam' (or a "
                     f"function (params, lr) -> optim.Optimizer), got {optimizer!r}")


def _largest_angle(basis: np.ndarray, reference: np.ndarray | None) -> float:
    if reference is None:
        return float("nan")
    return float(principal_angles(basis, reference).max())


def stream_linear_autoencoder(
    X: Any,
    n_components: int,
    batch_size: int = 256,
    epochs: int = 1,
    lr: float = 0.01,
    optimizer: str | OptimizerFactory = "sgd",
    seed: int | None = None,
    reference: npt.ArrayLike | None = None,
    half_life: float | None = None,
    shuffle: bool | Literal["batches", "rows"] = True,
    trace_every: int | None = None,
    callback: Callable[[StreamTrace, Module], Any] | None = None,
) -> StreamedAutoencoder:
    """Train ``LinearAutoencoder(n_features, n_components)`` on minibatches streamed from X.

    Each step reads one batch of ``batch_size`` rows with ``data.minibatches`` (so X may be a
    memory-mapped file or :class:`NpyRows`, never read whole), takes the paper's loss
    L = (1/b) Σ_i ‖x_i − x̂_i‖² on it, back-propagates through our engine and lets the optimizer
    step with η(n) = :func:`step_size` (lr, rows seen, half_life). This is the loop of
    ``models.fit`` with a step-size schedule and a trace every ``trace_every`` steps (default:
    about 50 points per epoch, plus the last step), instead of once per epoch.

    Args:
        X: (n_samples, n_features), anything with ``shape`` and row slicing.
        n_components: k, the code size.
        batch_size, epochs, shuffle: as in ``models.fit`` / ``data.minibatches``.
        lr, half_life: the step-size schedule; for plain SGD on the paper's loss keep
            lr ≤ 1/(4 λ_max) (docs/theory.md#step-size-and-centring), λ_max the largest eigenvalue
            of E[x xᵀ] and 1.
        optimizer: "sgd", "adam", or a function ``(params, lr) -> optim.Optimizer``.
        seed: seeds the initial weights and the batch order.
        reference: (n_features, r) columns spanning the subspace to compare with, e.g. the
            true spike directions or ``PCA(k).fit(X).components_.T``.
        callback: ``callback(trace, model)`` after each trace point; return "stop" to end.

    Returns:
        ``StreamedAutoencoder(model, trace)``; see :class:`StreamTrace`.

    >>> from tinygrad_ae.data import with_spectrum
    >>> X, Q = with_spectrum(4000, [2.0, 1.0, 0.05, 0.05], seed=0)
    >>> model, trace = stream_linear_autoencoder(X, 2, batch_size=50, epochs=2, lr=0.05,
    ...                                          seed=0, reference=Q[:, :2])
    >>> bool(trace.angle[-1] < 0.05 < trace.angle[0]), trace.rows_seen[-1]
    (True, 8000)
    """
    rows = _rows(X, "stream_linear_autoencoder")
    n_samples, n_features = (int(size) for size in rows.shape)
    _check_positive("stream_linear_autoencoder", "epochs", epochs, integer=True)
    lr = _check_positive("stream_linear_autoencoder", "lr", lr)
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)
    if ref is not None and (ref.ndim != 2 or ref.shape[0] != n_features):
        raise ValueError(f"stream_linear_autoencoder: reference must have shape "
                         f"({n_features}, r), one direction per column, got {ref.shape}")
    if trace_every is None:
        n_batches = -(-n_samples // batch_size) if isinstance(batch_size, int) else 1
        trace_every = max(1, n_batches // 50)
    trace_every = _check_positive("stream_linear_autoencoder", "trace_every", trace_every,
                                  integer=True)
    model = LinearAutoencoder(n_features, n_components, rng=seed)
    opt = _make_optimizer(model.parameters(), optimizer, lr)
    generator = np.random.default_rng(seed)
    trace = StreamTrace()
    start = time.perf_counter()
    rows_seen, steps, last_loss = 0, 0, float("nan")

    def record() -> bool:
        trace.rows_seen.append(rows_seen)
        trace.loss.append(last_loss)
        trace.angle.append(_largest_angle(model.W_d.data, ref))
        trace.encoder_angle.append(_largest_angle(model.W_e.data.T, ref))
        trace.seconds.append(time.perf_counter() - start)
        return callback is not None and callback(trace, model) == "stop"

    record()
    # Overflow is reported once, by the FloatingPointError below, not as numpy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for batch in _data.minibatches(rows, batch_size, shuffle=shuffle,
                                           seed=generator):
                x = Tensor(np.asarray(batch, dtype=np.float64))
                opt.lr = step_size(lr, rows_seen, half_life)
                loss = mse_loss(model(x), x, reduction="paper")
                last_loss = loss.item()
                if not np.isfinite(last_loss):
                    raise FloatingPointError(
                        f"stream_linear_autoencoder: the loss became {last_loss} after "
                        f"{rows_seen} rows at step size {opt.lr:g}; lower lr (now {lr:g}) or "
                        f"centre and scale the data"
                    )
                opt.zero_grad()
                loss.backward()
                opt.step()
                rows_seen += x.shape[0]
                steps += 1
                if steps % trace_every == 0 and record():
                    return StreamedAutoencoder(model, trace)
    if trace.rows_seen[-1] != rows_seen:
        record()
    return StreamedAutoencoder(model, trace)


# ---------------------------------------------------------------------------------------------
# Arrays that show, and bound, what is read
# ---------------------------------------------------------------------------------------------


def _count_rows(key: Any, n_rows: int) -> int:
    """How many rows ``X[key]`` selects from an array with ``n_rows`` rows."""
    if isinstance(key, tuple):
        key = key[0] if key else slice(None)
    if key is Ellipsis:
        return n_rows
    if isinstance(key, slice):
        return len(range(*key.indices(n_rows)))
    if isinstance(key, (int, np.integer)):
        return 1
    index = np.asarray(key)
    if index.dtype == bool:
        return int(index.sum())
    return int(index.size)


class RowCountingArray:
    """Wrap a sliceable array and record how many rows every read takes.

    ``X[key]`` is passed to the wrapped array and ``len`` of the rows it selects is appended to
    ``reads``; ``np.asarray(wrapper)`` counts as one read of every row. So after training,
    ``max(reads) <= batch_size`` proves that no more than one batch was ever requested, and
    ``sum(reads)`` counts the rows streamed. Only the row count is recorded (O(1) per read).

    >>> X = RowCountingArray(np.arange(12.0).reshape(6, 2))
    >>> X.shape, X[1:3].shape, X[[0, 5]].shape, X[4].shape
    ((6, 2), (2, 2), (2, 2), (2,))
    >>> X.reads, X.max_rows_per_read, X.rows_read
    ([2, 2, 1], 2, 5)
    >>> _ = np.asarray(X); X.reads[-1]
    6
    """

    def __init__(self, array: Any) -> None:
        if not (hasattr(array, "shape") and hasattr(array, "__getitem__")):
            raise TypeError(f"RowCountingArray: expected an array with shape and row "
                            f"slicing, got {type(array).__name__}")
        self.array = array
        self.reads: list[int] = []

    @property
    def shape(self) -> tuple[int, ...]:
        """The wrapped array's shape."""
        return tuple(int(size) for size in self.array.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The wrapped array's dtype."""
        return np.dtype(self.array.dtype)

    @property
    def ndim(self) -> int:
        """The wrapped array's number of axes."""
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> Any:
        self.reads.append(_count_rows(key, self.shape[0]))
        return self.array[key]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.reads.append(self.shape[0])
        return np.asarray(self.array[...] if hasattr(self.array, "__array__") else self.array,
                          dtype=dtype)

    @property
    def max_rows_per_read(self) -> int:
        """The largest number of rows any single read took (0 before the first)."""
        return max(self.reads, default=0)

    @property
    def rows_read(self) -> int:
        """Rows read in total, counted with multiplicity."""
        return sum(self.reads)

    def __repr__(self) -> str:
        return (f"RowCountingArray(shape={self.shape}, reads={len(self.reads)}, "
                f"max_rows_per_read={self.max_rows_per_read})")


class NpyRows:
    """A 2-D ``.npy`` file read by rows, mapping only the rows that each read asks for.

    ``np.load(path, mmap_mode="r")`` maps the whole file at once. That costs no memory until
    pages are touched, but it reserves address space for the entire file, so a process limited
    by ``RLIMIT_AS`` to less than the file size cannot open it, and the pages it reads stay
    resident (and are counted in its RSS) for as long as the map lives. ``NpyRows`` maps a
    window ``X[start:stop]`` with ``np.memmap(offset=...)``, copies it out and unmaps it again,
    so at any moment only the rows of one read are mapped. Integer indices are read as runs of
    consecutive rows. Each read returns a fresh ``np.ndarray``; only C-ordered files are read.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "X.npy"
    >>> np.save(path, np.arange(12.0).reshape(6, 2))
    >>> X = NpyRows(path)
    >>> X.shape, X.dtype
    ((6, 2), dtype('float64'))
    >>> X[1:3]
    array([[2., 3.],
           [4., 5.]])
    >>> X[[5, 0]][:, 0], X[-1]
    (array([10.,  0.]), array([10., 11.]))
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as file:
                version = np.lib.format.read_magic(file)
                if version == (1, 0):
                    shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(file)
                else:
                    shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(file)
                self._offset = file.tell()
        except (OSError, ValueError) as exc:
            raise _data.DataError(f"{self.path}: cannot be read as a .npy file ({exc})") from None
        if len(shape) != 2 or fortran_order or dtype.hasobject:
            raise _data.DataError(
                f"{self.path}: NpyRows reads C-ordered 2-D numeric arrays, got shape {shape}, "
                f"fortran_order={fortran_order}, dtype {dtype}; use data.load_array instead"
            )
        self._shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self._dtype = np.dtype(dtype)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_samples, n_features), from the file's header."""
        return self._shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """The stored dtype."""
        return self._dtype

    @property
    def ndim(self) -> int:
        """Always 2."""
        return 2

    def __len__(self) -> int:
        return self._shape[0]

    def _window(self, start: int, stop: int) -> np.ndarray:
        """Rows start … stop−1 as a fresh array; the map is released before returning."""
        n_features = self._shape[1]
        if stop <= start:
            return np.empty((0, n_features), dtype=self._dtype)
        mapped = np.memmap(self.path, dtype=self._dtype, mode="r",
                           offset=self._offset + start * n_features * self._dtype.itemsize,
                           shape=(stop - start, n_features))
        rows = np.array(mapped)
        del mapped  # NOTE: unmapping here is what keeps address space bounded by one read
        return rows

    def __getitem__(self, key: Any) -> np.ndarray:
        columns: Any = None
        if isinstance(key, tuple):
            key, columns = (key[0], key[1:]) if key else (slice(None), ())
        n_rows = self._shape[0]
        if isinstance(key, slice):
            start, stop, stride = key.indices(n_rows)
            if stride == 1:
                rows = self._window(start, max(start, stop))
            else:
                rows = self._take(np.arange(start, stop, stride))
        elif isinstance(key, (int, np.integer)):
            index = int(key) + n_rows if key < 0 else int(key)
            if not 0 <= index < n_rows:
                raise IndexError(f"NpyRows: row {key} is out of range for {n_rows} rows")
            rows = self._window(index, index + 1)[0]
        else:
            index_array = np.asarray(key)
            if index_array.dtype == bool:
                index_array = np.flatnonzero(index_array)
            rows = self._take(index_array)
        return rows if not columns else rows[(slice(None),) + tuple(columns)]

    def _take(self, index: np.ndarray) -> np.ndarray:
        n_rows = self._shape[0]
        if index.dtype.kind not in "iu" or index.ndim != 1:
            raise IndexError(f"NpyRows: rows must be selected by a slice, an int or a 1-D "
                             f"array of ints or bools, got {index.dtype} of shape {index.shape}")
        index = np.where(index < 0, index + n_rows, index)
        if index.size and (index.min() < 0 or index.max() >= n_rows):
            raise IndexError(f"NpyRows: row indices must lie in [-{n_rows}, {n_rows}), got "
                             f"{int(index.min())} … {int(index.max())}")
        order = np.argsort(index, kind="stable")
        sorted_index = index[order]
        out = np.empty((index.size, self._shape[1]), dtype=self._dtype)
        # Consecutive sorted indices form runs; each run is one mapped window.
        breaks = np.flatnonzero(np.diff(sorted_index) != 1) + 1
        for run in np.split(np.arange(index.size), breaks):
            if run.size:
                first, last = int(sorted_index[run[0]]), int(sorted_index[run[-1]])
                out[order[run]] = self._window(first, last + 1)[sorted_index[run] - first]
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._window(0, self._shape[0]), dtype=dtype)

    def __repr__(self) -> str:
        return f"NpyRows({str(self.path)!r}, shape={self._shape}, dtype={self._dtype})"

