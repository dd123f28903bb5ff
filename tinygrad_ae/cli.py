"""The command line: ``tinygrad-ae demo | train | graph | converge | bench``.

Layer: the top; may import everything (lazily, so ``--help`` stays fast).

Bad input, and a failure of the machine (a full disk, a file-size limit, a name too long,
permission denied, not enough memory), exits with status 2 and one line on standard error
saying what is wrong and how to fix it (a summary, then one line per problem when there
are several), never a traceback; Ctrl-C exits with 130.

Nothing a user owns is lost: every output location is checked before the work starts; a
run writes each file under a temporary name and renames it into place; it replaces only
files it wrote itself (an output folder's marker lists them with their content, a saved
model's ``.json`` records its ``.npz``, a picture carries a signature), never its own
input; and a model's ``.npz`` and ``.json`` are written as one unit. See
:mod:`tinygrad_ae._files`.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from tinygrad_ae import __version__
from tinygrad_ae._files import (
    OUTPUT_MARKER,  # noqa: F401  - re-exported: the marker of an output folder
    OutputConflict,
    check_output_file,
    check_output_folder,
    environment_message,
    finite_json,
    is_signed_picture,
    memory_bytes,
    output_folder,
    sign_picture,
    staging_folder,
    write_atomically,
)
from tinygrad_ae._startup import leaving_the_command_line

__all__ = ["main", "UsageError", "build_parser"]

GRAPHVIZ_HINT = ("Graphviz's dot program is missing, so pictures were written as .dot files; "
                 "install it with 'apt-get install graphviz' (Debian/Ubuntu) or "
                 "'brew install graphviz' (macOS) and run again")


class UsageError(Exception):
    """A problem with the user's input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line (no usage dump) and exit status 2; ``options``
    adds the arguments at the first parse or help, so a command's module loads only then."""

    def __init__(self, *args: Any, options: Callable[[_Parser], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._options = options

    def _add_options(self) -> None:
        options, self._options = self._options, None
        if options is not None:
            options(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._add_options()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._add_options()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- output locations: checked before the work, written without losing anything ----------

DEMO_FILES = ("graph_dL_dw1.svg", "graph_dL_dw1.dot", "network.svg", "network.dot",
              "chain_rule_w1.txt", "convergence.png", "report.md", "backward_steps.html",
              "backward_steps_frames")
TRAIN_FILES = ("metrics.json", "loss.png")


def _check_writable_folder(target: Path, names: Sequence[str]) -> None:
    """Fail early, before any work, when the files ``names`` cannot be written into the
    folder ``target`` without losing a file of the user's (see
    :func:`tinygrad_ae._files.check_output_folder`)."""
    try:
        check_output_folder(target, names)
    except OutputConflict as err:
        raise UsageError(str(err)) from None


@contextmanager
def _atomic_folder(target: Path, names: Sequence[str]) -> Iterator[Path]:
    """Yield a staging folder; on success its files are moved into ``target``, replacing
    only files this tool wrote there (see :func:`tinygrad_ae._files.output_folder`)."""
    try:
        with output_folder(target, names) as staging:
            yield staging
    except OutputConflict as err:
        raise UsageError(str(err)) from None


def _check_writable_file(path: Path, flag: str, owned: Any = None,
                         inputs: Sequence[Path] = ()) -> None:
    try:
        check_output_file(path, flag, owned=owned or (lambda _: False), inputs=inputs)
    except OutputConflict as err:
        raise UsageError(str(err)) from None


def _render(graph: Any, path: Path, fmt: str, missing: list[str]) -> Path:
    """Render a picture; without Graphviz write the .dot and remember to say so once."""
    from tinygrad_ae.viz import GraphvizNotFound, render

    try:
        return render(graph, path, format=fmt)
    except GraphvizNotFound:
        from tinygrad_ae.viz.render import _with_suffix

        missing.append(str(path))
        return _with_suffix(path, "dot")  # where render wrote the source


# --- demo: the paper, end to end ---------------------------------------------------------

def _demo(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from tinygrad_ae import data, models, optim, viz
    from tinygrad_ae.studies import convergence
    from tinygrad_ae.theory import closed_form, pca

    out = Path(args.out)
    steps = 200 if args.quick else args.steps
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    _check_writable_folder(out, DEMO_FILES)
    rng_seed = args.seed
    # The paper's setting: two correlated features; first principal direction at 30°.
    X = data.correlated_2d(200, variance_ratio=4.0, angle=np.pi / 6, seed=rng_seed, exact=True)
    lam, U = np.linalg.eigh(np.cov(X.T, bias=True))
    u1 = U[:, np.argmax(lam)]
    # An eigenvector's sign is arbitrary: print the one the data was made with (at 30°).
    u1 = u1 if u1[np.argmax(np.abs(u1))] > 0 else -u1
    bound = pca.min_reconstruction_loss(X, 1)
    model = models.PaperAutoencoder(seed=rng_seed)
    print("tinygrad-ae demo: the paper's 2-1-2 linear autoencoder")
    print("  h = w1·x1 + w2·x2 + b1,  x̂ = (w3·h + b2, w4·h + b3),  "
          "L = (1/N) Σ_i ‖x_i − x̂_i‖²")
    print(f"  data: N = {len(X)} points, covariance eigenvalues {sorted(lam)[::-1][0]:.3f} "
          f"and {sorted(lam)[0]:.3f}, first principal direction "
          f"({u1[0]:+.3f}, {u1[1]:+.3f}), at {np.degrees(np.arctan2(u1[1], u1[0])):.1f}°")

    # 1. Gradients: the engine, the correct closed form, and the paper's printed formulas.
    loss = model.loss(X)
    loss.backward()
    params = model.as_params()
    exact = closed_form.paper_partials(params, X)
    printed = closed_form.paper_printed_partials(params, X)
    printed_for = {"w1": printed["w1"], "b1": printed["b1"], "w3": printed["w3"]}
    print("\n  gradients at the initial parameters (engine = reverse mode, closed form = "
          "derived by hand):")
    print(f"  {'':4} {'engine':>12} {'closed form':>12} {'|diff|':>9}   {'paper printed':>13}")
    rows = []
    for name in models.PaperAutoencoder.PARAM_NAMES:
        engine = float(np.asarray(getattr(model, name).grad))
        truth = float(exact[name])
        paper = printed_for.get(name)
        shown = f"{paper:13.6f}" if paper is not None else f"{'—':>13}"
        print(f"  {name:4} {engine:12.6f} {truth:12.6f} {abs(engine - truth):9.1e}   {shown}")
        rows.append((name, engine, truth, paper))
    print("  (the paper printed formulas only for w1, b1 and w3; each is wrong — see "
          "python -m pydoc tinygrad_ae.theory.closed_form)")

    # 2. Train by full-batch gradient descent from a small random start (the setting of the
    #    learning-dynamics theory), watching the angle to PC1; predict the step counts first.
    initial: dict[str, Any] = dict(model.as_params())  # the graph is drawn at these
    sigma0 = 1e-3
    w = np.random.default_rng(rng_seed).normal(0.0, sigma0, size=4)
    model = models.PaperAutoencoder(w1=w[0], w2=w[1], w3=w[2], w4=w[3], b1=0.0, b2=0.0, b3=0.0)
    descending = np.argsort(lam)[::-1]
    lr = 0.1 / float(lam.max())  # ηλ₁ = 0.1, well inside the stable range ηλ₁ < ½
    prediction = convergence.predict_network(
        np.array([[w[0], w[1]]]), np.array([[w[2]], [w[3]]]), lam[descending],
        U[:, descending], lr=lr)
    opt = optim.SGD(model.parameters(), lr=lr)
    losses, angles = [], []

    def angle_to_pc1() -> float:
        decoder = np.array([params_now["w3"], params_now["w4"]])
        return float(pca.principal_angles(decoder.reshape(2, 1), u1.reshape(2, 1))[0])

    print(f"\n  training from small random weights (σ0 = {sigma0:g}, biases 0), lr = {lr:g}; "
          f"the theory predicts, from these initial weights alone:")
    print(f"    plateau until step {prediction.half_times[0]}, angle to PC1 below 1e-3 rad "
          f"from step {prediction.angle_steps}, loss within 1e-6 of the bound from step "
          f"{prediction.loss_steps}  (python -m pydoc tinygrad_ae.theory.dynamics)")
    bar = tqdm(range(steps), desc="training", unit="step", disable=args.no_progress,
               file=sys.stderr, mininterval=0.2)
    for _ in bar:
        opt.zero_grad()
        loss = model.loss(X)
        loss.backward()
        opt.step()
        params_now = model.as_params()
        losses.append(loss.item())
        angles.append(angle_to_pc1())
        bar.set_postfix(loss=f"{losses[-1]:.6f}", angle=f"{angles[-1]:.1e}", refresh=False)
    bar.close()
    final = model.loss(X).item()
    # Each loss above was computed before its step; shift by one so entry i is the loss after
    # step i, like the angles (counting it as after the step reported one step late).
    losses = losses[1:] + [final]
    print(f"\n  after {steps} steps (lr = {lr:g}): L = {final:.8f}; Eckart–Young bound "
          f"λ2 = {bound:.8f}; gap {(final - bound) / bound:.1e} (relative)")
    print(f"  angle between the decoder (w3, w4) and PC1: {angles[-1]:.2e} rad")
    reached_angle = _first_step_staying_below(angles, 1e-3)
    reached_loss = _first_step_staying_below([(v - bound) / bound for v in losses], 1e-6)
    print(f"  measured: the angle stays below 1e-3 rad from step {reached_angle or 'never'} "
          f"(predicted {prediction.angle_steps}); the loss stays within 1e-6 of the bound "
          f"from step {reached_loss or 'never'} (predicted {prediction.loss_steps})")
    raw_mean = np.array([1.0, -2.0])  # the same network on raw data: the cloud moved to (1, −2)
    raw = convergence.uncentred_demo_run(X + raw_mean, w, lr)
    print(f"  the same network on the raw, uncentred data (mean (1, −2)): angle at step "
          f"{raw.steps_to_angle or 'never'} (theory: {raw.predicted_angle}), loss at step "
          f"{raw.steps_to_loss or 'never'} (theory: {raw.predicted_loss}); centre the data first")

    # 3. Pictures and a report, written into a temporary folder, renamed at the end.
    missing: list[str] = []
    small = X[:3]
    with _atomic_folder(out, DEMO_FILES) as folder:
        # Drawn at the initial parameters, where the gradient table above was computed.
        root = models.PaperAutoencoder(**initial).loss(small)
        small_w1 = float(viz.chain_rule(root, "w1").value)
        full_w1 = next(engine for name, engine, _, _ in rows if name == "w1")
        sample_note = (f"values and gradients on the first {len(small)} of the {len(X)} "
                       f"samples: ∂L/∂w1 = {small_w1:.6f} here, {full_w1:.6f} on all "
                       f"{len(X)} (the table)")
        files = {
            "graph": _render(viz.draw_graph(root, highlight="w1", caption=sample_note),
                             folder / "graph_dL_dw1", "svg", missing),
            "network": _render(viz.draw_network(model), folder / "network", "svg", missing),
        }
        viz.backward_steps(root, folder / "backward_steps.html",
                           title="The paper's network: the backward pass, step by step "
                                 f"(first {len(small)} samples)")
        chain = viz.chain_rule(models.PaperAutoencoder(**initial).loss(X), "w1")
        (folder / "chain_rule_w1.txt").write_text(str(chain) + "\n", encoding="utf-8")
        files["plot"] = _convergence_plot(folder / "convergence.png", losses, angles, bound,
                                          (prediction.angle_steps, prediction.loss_steps))
        table = "\n".join(
            f"| {n} | {e:.6f} | {t:.6f} | {'—' if p is None else f'{p:.6f}'} |"
            for n, e, t, p in rows)
        report = textwrap.dedent(f"""\
            # tinygrad-ae demo: the paper's 2-1-2 linear autoencoder

            Data: {len(X)} points from `data.correlated_2d` (variance ratio 4, first
            principal direction at 30°). Seed {rng_seed}.

            ## Gradients at the initial parameters

            | parameter | engine | closed form | paper's printed formula |
            | --- | --- | --- | --- |
            {{table}}

            ## ∂L/∂w1 by the chain rule, path by path

            ```
            {{chain}}
            ```

            ## Training

            {steps} steps of full-batch gradient descent from small random weights
            (σ0 = {sigma0:g}, biases 0), lr = {lr:g}. Final loss {final:.8f},
            Eckart–Young bound {bound:.8f}; angle to PC1 {angles[-1]:.2e} rad.

            | | angle < 1e-3 rad from step | (L − L*)/L* < 1e-6 from step |
            | --- | --- | --- |
            | predicted from the initial weights | {prediction.angle_steps} | {{loss_pred}} |
            | measured | {reached_angle} | {reached_loss} |

            The prediction is the learning-dynamics theory of `tinygrad_ae.theory.dynamics`
            (a Saxe plateau, then an alignment tail set by the eigengap); read it with
            `python -m pydoc tinygrad_ae.theory.dynamics`.

            ![convergence]({files['plot'].name})

            ## Pictures

            - [computational graph, ∂L/∂w1 paths highlighted]({files['graph'].name}):
              {{sample_note}}
            - [network diagram]({files['network'].name})
            - [the backward pass, step by step](backward_steps.html) (← → keys; one SVG per
              step in backward_steps_frames/)
            - [chain rule as text](chain_rule_w1.txt)
            """).replace("{table}", table).replace("{chain}", str(chain)).replace(
                "{loss_pred}", str(prediction.loss_steps)).replace("{sample_note}", sample_note)
        (folder / "report.md").write_text(report, encoding="utf-8")
        names = sorted(p.name for p in folder.iterdir())
    if missing:
        print(f"\n  note: {GRAPHVIZ_HINT}")
    print(f"\n  wrote {out}/:")
    for name in names:
        print(f"    {out / name}")
    return 0


def _first_step_staying_below(values: list[float], tolerance: float) -> int | None:
    """The first step (counted from 1) from which every value is below ``tolerance``."""
    step = None
    for i, value in enumerate(values, start=1):
        if value < tolerance:
            step = step or i
        else:
            step = None
    return step


def _convergence_plot(path: Path, losses: list[float], angles: list[float],
                      bound: float, predicted: tuple[int | None, int | None] = (None, None)
                      ) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.arange(1, len(losses) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    gap = np.maximum((np.array(losses) - bound) / bound, 1e-16)
    left.semilogy(steps, gap)
    left.set_xlabel("gradient-descent step")
    left.set_ylabel("(L − L*) / L*")
    left.set_title("loss above the Eckart–Young bound")
    right.semilogy(steps, np.maximum(angles, 1e-16), color="tab:orange")
    right.axhline(1e-3, color="grey", linestyle="--", linewidth=1)
    left.axhline(1e-6, color="grey", linestyle="--", linewidth=1)
    for axis, step in ((right, predicted[0]), (left, predicted[1])):
        if step is not None:
            axis.axvline(step, color="tab:red", linestyle=":", linewidth=1.2,
                         label=f"predicted by the theory: step {step}")
            axis.legend(loc="upper right", fontsize=8)
    right.set_xlabel("gradient-descent step")
    right.set_ylabel("angle (rad)")
    right.set_title("decoder (w3, w4) vs first principal component")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- train ---------------------------------------------------------------------------------

def _positive_int_list(text: str) -> list[int]:
    if text.strip() == "":
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 32,16, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _seed(text: str) -> int:
    """A random seed: numpy's generators take only non-negative integers."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed must be 0 or more, got {value}")
    return value


def split_rows(n_samples: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation row indices: a seeded shuffle, the last ``val_fraction`` of it
    (at least one row) held out.

    >>> train, val = split_rows(10, 0.2, seed=0)
    >>> len(train), len(val), sorted(np.concatenate([train, val]).tolist()) == list(range(10))
    (8, 2, True)
    """
    order = np.random.default_rng(seed).permutation(n_samples)
    n_val = max(1, int(round(val_fraction * n_samples)))
    return np.sort(order[: n_samples - n_val]), np.sort(order[n_samples - n_val:])


def build_model(spec: dict[str, Any]) -> Any:
    """The autoencoder described by a ``train`` spec (see
    :func:`tinygrad_ae.models.saved.build_model`)."""
    from tinygrad_ae.models.saved import build_model as build

    return build(spec)


def load_trained(path: str | Path) -> Any:
    """Rebuild a model saved by ``tinygrad-ae train --save PATH`` (its ``.json`` checked
    field by field and against the ``.npz`` before anything is built: see
    :func:`tinygrad_ae.models.saved.load_trained`); any problem is a :class:`UsageError`."""
    from tinygrad_ae.models.saved import SavedModelError
    from tinygrad_ae.models.saved import load_trained as load

    try:
        return load(path)
    except SavedModelError as err:
        raise UsageError(str(err)) from None


def _check_model_fits_in_memory(spec: dict[str, Any]) -> None:
    """Refuse, before building anything, a model whose parameters, gradients and optimizer
    state (about 5 copies of 8 bytes per parameter) exceed this machine's memory."""
    from tinygrad_ae.models.saved import parameter_count

    count = parameter_count(spec)
    memory = memory_bytes()
    if memory is not None and 40 * count > memory:
        raise UsageError(f"the model would have {count:,} parameters, about "
                         f"{40 * count / 1e9:.3g} GB with gradients and optimizer state, more "
                         f"than this machine's {memory / 1e9:.3g} GB of memory; choose smaller "
                         f"--hidden sizes")


def _train(args: argparse.Namespace) -> int:
    from tinygrad_ae import data, models, nn
    from tinygrad_ae.models.saved import is_model_json, is_saved_model, save_trained
    from tinygrad_ae.theory import pca

    path = Path(args.data)
    out = Path(args.out)
    save = Path(args.save) if args.save else None
    # Every output location is checked before anything is read or trained.
    _check_writable_folder(out, TRAIN_FILES)
    if save is not None:
        if save.suffix != ".npz":
            raise UsageError(f"--save must name a .npz file, got {save}")
        ours = {(out / name).resolve() for name in TRAIN_FILES}
        for target in (save, save.with_suffix(".json")):
            if target.resolve() in ours:
                raise UsageError(f"--save {save} would write {target}, which this run also "
                                 f"writes into --out; choose another name")
        if save.resolve().parent == out.resolve() and not out.exists():
            pass  # into the --out folder this run makes: nothing there to lose
        else:
            _check_writable_file(save, "--save", owned=is_saved_model, inputs=[path])
            _check_writable_file(save.with_suffix(".json"), f"--save {save}: the "
                                 f"architecture file", owned=is_model_json, inputs=[path])
    try:
        X_all = data.load_array(path)
    except (data.DataError, FileNotFoundError) as err:
        raise UsageError(str(err).splitlines()[0]) from None
    n, m = X_all.shape
    if m < 2:
        raise UsageError(f"{path} has {m} column; an autoencoder needs at least 2 features "
                         f"(columns) to compress")
    if n < 2:
        raise UsageError(f"{path} has {n} row; training needs at least 2 rows (one to train, "
                         f"one to validate)")
    if not 1 <= args.code_dim < m:
        raise UsageError(f"--code-dim must be between 1 and {m - 1} (the data has {m} "
                         f"features, and the code must be smaller), got {args.code_dim}")
    if not args.lr > 0 or not math.isfinite(args.lr):
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0 < args.val_fraction < 1:
        raise UsageError(f"--val-fraction must be between 0 and 1, got {args.val_fraction}")
    train_rows, val_rows = split_rows(n, args.val_fraction, args.seed)
    if len(train_rows) == 0:
        raise UsageError(f"--val-fraction {args.val_fraction} leaves no rows to train on "
                         f"(the data has {n} rows); use a smaller fraction such as 0.2")
    X_train = np.asarray(X_all[train_rows], dtype=np.float64)
    X_val = np.asarray(X_all[val_rows], dtype=np.float64)
    if args.batch_size is not None and not 1 <= args.batch_size <= len(X_train):
        raise UsageError(f"--batch-size must be between 1 and the {len(X_train)} training "
                         f"rows, got {args.batch_size}")
    spec = {"n_features": int(m), "code_dim": args.code_dim, "hidden": args.hidden,
            "activation": args.activation, "seed": args.seed}
    _check_model_fits_in_memory(spec)
    model = build_model(spec)
    try:
        history = models.fit(model, X_train, epochs=args.epochs, batch_size=args.batch_size,
                             optimizer=args.optimizer, lr=args.lr, seed=args.seed,
                             progress=not args.no_progress)
    except models.TrainingDiverged as err:
        raise UsageError(str(err).splitlines()[0]) from None
    from tinygrad_ae.autograd.tensor import no_grad

    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        train_loss = nn.mse_loss(model(X_train), X_train, reduction="paper").item()
        val_loss = nn.mse_loss(model(X_val), X_val, reduction="paper").item()
    reference = pca.PCA(args.code_dim).fit(X_train)
    pca_val = float(np.mean(np.sum((X_val - reference.inverse_transform(
        reference.transform(X_val))) ** 2, axis=1)))
    pca_train = float(np.mean(np.sum((X_train - reference.inverse_transform(
        reference.transform(X_train))) ** 2, axis=1)))
    metrics = {"data": str(path), "n_samples": int(n), "n_train": len(train_rows),
               "n_val": len(val_rows), "model": spec, "epochs": history.epochs_run,
               "optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size,
               "val_fraction": args.val_fraction, "loss": "paper: (1/N) Σ_i ‖x_i − x̂_i‖²",
               "train_loss": train_loss, "val_loss": val_loss, "pca_val_loss": pca_val,
               "pca_train_loss": pca_train,
               "loss_history": history["loss"]}
    with _atomic_folder(out, TRAIN_FILES) as folder:
        # NaN or infinity are not JSON: they are written as null.
        (folder / "metrics.json").write_text(finite_json(metrics, indent=2) + "\n",
                                             encoding="utf-8")
        _loss_plot(folder / "loss.png", history["loss"], pca_train, val_loss, pca_val)
    if save is not None:
        save_trained(model, spec, save, __version__)
    print(f"trained {type(model).__name__} {m}→{args.code_dim} for {history.epochs_run} "
          f"epochs: train loss {train_loss:.6g}, validation loss {val_loss:.6g}; "
          f"PCA with {args.code_dim} components: validation loss {pca_val:.6g}")
    print(f"wrote {out / 'metrics.json'} and {out / 'loss.png'}")
    if save is not None:
        print(f"saved the model to {save} (architecture in {save.with_suffix('.json')})")
    return 0


def _loss_figure(losses: list[float], pca_train: float, val_loss: float,
                 pca_val: float) -> Any:
    """The training loss per epoch beside PCA's loss on the same training rows (the
    Eckart–Young floor a linear model can reach), and the two validation losses as
    points at the last epoch: like is compared with like."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.6), dpi=110, layout="constrained")
    axis = figure.subplots()
    epochs = np.arange(1, len(losses) + 1)
    axis.semilogy(epochs, losses, color="tab:blue", label="model, training")
    axis.axhline(pca_train, color="tab:blue", linestyle="--", linewidth=1,
                 label="PCA, training")
    axis.plot([epochs[-1]], [val_loss], "o", color="tab:orange", label="model, validation")
    axis.plot([epochs[-1]], [pca_val], "x", color="tab:orange", markersize=8,
              label="PCA, validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("(1/N) Σ ‖x − x̂‖²")
    axis.legend(fontsize=8)
    return figure


def _loss_plot(path: Path, losses: list[float], pca_train: float, val_loss: float,
               pca_val: float) -> None:
    _loss_figure(losses, pca_train, val_loss, pca_val).savefig(path)


# --- graph ---------------------------------------------------------------------------------

def _graph(args: argparse.Namespace) -> int:
    from tinygrad_ae import data, models, viz
    from tinygrad_ae.autograd.tensor import Tensor
    from tinygrad_ae.nn import mse_loss
    from tinygrad_ae.viz.render import _with_suffix

    choice = args.model
    # The output is checked before the picture is drawn: the picture, and the .dot source
    # that stands in for it without Graphviz.
    out = Path(args.out) if args.out else Path(f"{args.kind}_{Path(choice).stem}")
    inputs = ([Path(choice), Path(choice).with_suffix(".json")]
              if choice not in ("paper", "linear", "mlp") else [])
    for target in {_with_suffix(out, args.format), _with_suffix(out, "dot")}:
        _check_writable_file(target, "--out", owned=is_signed_picture, inputs=inputs)
    if choice == "paper":
        model: Any = models.PaperAutoencoder(seed=args.seed)
        root = model.loss(data.correlated_2d(3, seed=args.seed))
    else:
        if choice == "linear":
            model = models.LinearAutoencoder(4, 2, rng=args.seed)
        elif choice == "mlp":
            model = models.mlp_autoencoder([6, 4, 2], rng=args.seed)
        else:
            model = load_trained(choice)
        features = (model.encoder.parameters()[0].shape[1] if hasattr(model, "encoder")
                    else 2)
        # One input tensor, named: the model reads it and the loss compares with it.
        x = Tensor(np.random.default_rng(args.seed).standard_normal((3, features)), name="x")
        root = mse_loss(model(x), x)
        root.name = "L"
    if args.kind == "network":
        try:
            picture = viz.draw_network(model)
        except ValueError as err:
            raise UsageError(str(err).splitlines()[0]) from None
    else:
        highlight = args.highlight
        if highlight is not None:
            names = {t.name for t in _all_tensors(root)}
            if highlight not in names:
                raise UsageError(f"--highlight {highlight!r} is not a tensor of this graph; "
                                 f"choose one of {', '.join(sorted(n for n in names if n))}")
        picture = viz.draw_graph(root, highlight=highlight, names=model,
                                 caption="values and gradients on 3 random samples")
    missing: list[str] = []
    # Drawn and signed in private, then renamed into place: whole and signed, or not there.
    with staging_folder(out) as staging:
        drawn = _render(picture, staging / out.name, args.format, missing)
        sign_picture(drawn)
        written = out.parent / drawn.name
        write_atomically(written, drawn.read_bytes(), may_replace=is_signed_picture)
    if missing:
        print(f"note: {GRAPHVIZ_HINT}", file=sys.stderr)
    print(f"wrote {written}")
    return 0


def _all_tensors(root: Any) -> list[Any]:
    from tinygrad_ae.autograd.engine import topological_order

    return topological_order(root)


# --- converge, bench, exercise: provided by their own modules, loaded when used -----------

def _module(command: str) -> Any:
    if command == "converge":
        from tinygrad_ae.studies import convergence

        return convergence
    if command == "bench":
        from tinygrad_ae.studies import bench

        return bench
    from tinygrad_ae.exercises import cli as exercise_cli

    return exercise_cli


# A copy of tinygrad_ae.exercises.cli.HELP (tested), so listing it imports no exercise.
EXERCISE_HELP = "write backward passes yourself, graded with the smallest counterexample"
EXAMPLES = {
    "demo": """examples:
  tinygrad-ae demo                      # the paper, end to end, into ./tinygrad_ae_out
  tinygrad-ae demo --quick --out /tmp/x # a fast run""",
    "train": """examples:
  tinygrad-ae train data.csv --code-dim 2
  tinygrad-ae train data.npy --code-dim 8 --hidden 32,16 --activation tanh \\
      --optimizer adam --lr 1e-3 --epochs 200 --batch-size 64 --save model.npz""",
    "graph": """examples:
  tinygrad-ae graph                       # the paper's network, ∂L/∂w1 highlighted
  tinygrad-ae graph --kind network --model mlp --format png
  tinygrad-ae graph --model model.npz     # a model saved by 'tinygrad-ae train --save'""",
    "converge": """examples:
  tinygrad-ae converge --quick            # a one-minute smoke run
  tinygrad-ae converge --out results/     # the full study""",
    "bench": """examples:
  tinygrad-ae bench --quick
  tinygrad-ae bench --threads both --json bench.json   # one BLAS thread and the default""",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``tinygrad-ae`` argument parser (one-line errors, exit status 2)."""
    parser = _Parser(
        prog="tinygrad-ae",
        description="A teaching-grade autodiff engine: autoencoders, PCA and the chain rule.",
        epilog="Run 'tinygrad-ae COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-ae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, options: Callable[[_Parser], None] | None = None
                ) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text,
                                   epilog=EXAMPLES[name], options=options,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    demo = command("demo", "reproduce the paper end to end: gradients, training, pictures")
    demo.add_argument("--out", default="tinygrad_ae_out", help="output folder "
                      "(default: ./tinygrad_ae_out)")
    demo.add_argument("--quick", action="store_true", help="200 steps, for smoke tests")
    demo.add_argument("--steps", type=int, default=600, help="gradient-descent steps "
                      "(default 600)")
    demo.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    demo.set_defaults(run=_demo)

    train = command("train", "train an autoencoder on a .npy, .npz or .csv file")
    train.add_argument("data", help="(n_samples, n_features) array: .npy, .npz or .csv")
    train.add_argument("--code-dim", type=int, required=True, help="size of the code (k)")
    train.add_argument("--hidden", type=_positive_int_list, default=[],
                       help="hidden layer sizes of the encoder, e.g. 32,16 (default: none)")
    train.add_argument("--activation", choices=["linear", "tanh", "relu", "sigmoid"],
                       default="linear", help="activation between layers (default linear)")
    train.add_argument("--epochs", type=int, default=100, help="passes over the data")
    train.add_argument("--batch-size", type=int, default=None,
                       help="rows per step (default: full batch)")
    train.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    train.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    train.add_argument("--seed", type=_seed, default=0)
    train.add_argument("--val-fraction", type=float, default=0.2,
                       help="share of rows held out for validation (default 0.2)")
    train.add_argument("--save", help="save the trained model to this .npz file")
    train.add_argument("--out", default="tinygrad_ae_train",
                       help="folder for metrics.json and loss.png")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(run=_train)

    graph = command("graph", "draw the computational graph or the network of a model")
    graph.add_argument("--model", default="paper",
                       help="paper, linear, mlp, or a .npz saved by 'train --save'")
    graph.add_argument("--kind", choices=["graph", "network"], default="graph")
    graph.add_argument("--highlight", default=None,
                       help="a tensor name whose chain-rule paths to mark (e.g. w1)")
    graph.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default="svg")
    graph.add_argument("--out", default=None, help="output path without suffix")
    graph.add_argument("--seed", type=_seed, default=0)
    graph.set_defaults(run=_graph)

    converge = command("converge", "measure how long a linear autoencoder takes to reach PCA",
                       lambda parser: _module("converge").add_arguments(parser))
    converge.set_defaults(run=lambda args: int(_module("converge").run(args)))
    bench = command("bench", "time the engine against hand-written numpy (and PyTorch)",
                    lambda parser: _module("bench").add_arguments(parser))
    bench.set_defaults(run=lambda args: int(_module("bench").run(args)))
    commands.add_parser("exercise", help=EXERCISE_HELP, options=lambda parser: _module(
        "exercise").add_arguments(parser, UsageError))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input or a failure of the
    environment such as a full disk, 130 interrupted, 1 internal)."""
    # Python's own Ctrl-C handler back, in place of the quiet one of tinygrad_ae._startup
    # (identified by its module).
    handler = signal.getsignal(signal.SIGINT)
    if getattr(handler, "__module__", None) == "tinygrad_ae._startup":
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run(argv)
    except KeyboardInterrupt:  # between _run's own handlers and here, or while they print
        print("tinygrad-ae: interrupted", file=sys.stderr)
        return 130
    finally:
        if argv is None:  # maybe the process is the command line, about to exit
            leaving_the_command_line()


def _run(argv: Sequence[str] | None) -> int:
    name = "tinygrad-ae"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        name = f"tinygrad-ae {args.command}"
        return int(args.run(args))
    except (UsageError, OutputConflict) as err:
        print(f"{name}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{name}: error: not enough memory; use a smaller model (--hidden), a smaller "
              f"--batch-size or a smaller data file", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of standard output stopped (as 'head' does): stop too, quietly, and
        # keep Python from complaining when it flushes stdout at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"{name}: stopped: standard output was closed", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"{name}: error: {environment_message(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("TINYGRAD_AE_DEBUG"):
            raise
        first = str(err).splitlines()[0] if str(err) else ""
        print(f"{name}: internal error: {type(err).__name__}: {first} (set "
              f"TINYGRAD_AE_DEBUG=1 to see the traceback, and please report it)",
              file=sys.stderr)
        return 1
