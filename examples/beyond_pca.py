"""Beyond the paper's network: convolutional, denoising and variational autoencoders on the
8×8 digits, each held against PCA on held-out data.

    python examples/beyond_pca.py [--quick] [--seed 0] [--write-docs]

Data: scikit-learn's digits (1797 images, pixels in [0, 1]), split once at random into 80%
training and 20% held-out rows. Every model is fitted on the training rows only and scored
on the held-out rows, at code sizes k = 2, 8, 16:

- reconstruction: the paper's loss (1/N) Σ_i ‖x_i − x̂_i‖² on the held-out rows, for PCA,
  a linear AE, an MLP AE (64→32→k→32→64, tanh), a conv AE (``models.ConvAutoencoder``:
  two stride-2 3×3 convolutions, 16 and 32 channels), a denoising MLP AE (same network,
  trained on inputs corrupted by N(0, 0.2²) noise) and a VAE (MLP Gaussian encoder and
  decoder, learned σ², reconstruction at the code mean);
- log-likelihood: the held-out mean log p(x) of pPCA (``PPCA(k, ddof=0)``, closed form) and
  of the trained ``LinearVAE`` (its exact marginal, and its exact ELBO, a lower bound).

All networks train with Adam on minibatches of 64 for a fixed number of epochs (the same
for every k; the linear VAE three times as many), at learning rate 3e-3 (1e-2 for the linear
AE, whose loss surface is smooth and whose optimum PCA gives).

``--write-docs`` puts the tables between the generated markers of docs/beyond_pca.md and
draws docs/img/beyond_pca_*.png and docs/img/vae_graph.svg; ``--quick`` trains for a few
epochs only (a smoke test, numbers not meaningful).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Small matrices: BLAS threads cost more than they save on a shared machine. Before numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from tinygrad_ae import data, models, nn, optim  # noqa: E402
from tinygrad_ae.autograd.tensor import Tensor, no_grad  # noqa: E402
from tinygrad_ae.pca import PCA, PPCA  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "beyond_pca.md"
IMG = ROOT / "docs" / "img"
CODE_SIZES = (2, 8, 16)
BATCH = 64
NOISE = 0.2


class GaussianNoise(nn.Module):
    """x + τ ε with fresh ε in training mode (denoising training); x in eval mode."""

    def __init__(self, tau: float, seed: int) -> None:
        super().__init__()
        self.tau, self.rng = tau, np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        return x + self.tau * self.rng.standard_normal(x.shape)


def held_out_loss(X: np.ndarray, X_hat: np.ndarray) -> float:
    """The paper's loss (1/N) Σ_i ‖x_i − x̂_i‖²."""
    return float(((X - X_hat) ** 2).sum(axis=1).mean())


def train(loss: Callable[[Tensor], Tensor], params: list[Tensor], X: np.ndarray,
          epochs: int, lr: float, seed: int) -> None:
    """Adam on minibatches of BATCH rows; ``loss(batch)`` gives the one-number loss."""
    opt = optim.Adam(params, lr=lr)
    generator = np.random.default_rng(seed)
    for _ in range(epochs):
        for batch in data.minibatches(X, BATCH, seed=generator):
            opt.zero_grad()
            loss(Tensor(batch)).backward()
            opt.step()


def reconstruct(model: nn.Module, X: np.ndarray) -> np.ndarray:
    model.eval()
    with no_grad():
        return model(Tensor(X)).numpy()  # type: ignore[no-any-return]


def autoencoders(k: int, seed: int) -> dict[str, tuple[nn.Module, float]]:
    """Each network with its Adam learning rate."""
    mlp = models.mlp_autoencoder([64, 32, k], "tanh", rng=seed)
    noisy = models.mlp_autoencoder([64, 32, k], "tanh", rng=seed)
    noisy.encoder = nn.Sequential(GaussianNoise(NOISE, seed), *noisy.encoder)
    return {
        "linear AE": (models.LinearAutoencoder(64, k, rng=seed), 1e-2),
        "MLP AE": (mlp, 3e-3),
        "conv AE": (models.ConvAutoencoder((1, 8, 8), k, rng=seed), 3e-3),
        "denoising AE": (noisy, 3e-3),
    }


def vae(k: int, seed: int) -> models.VAE:
    encoder = nn.Sequential(nn.Linear(64, 64, rng=seed), nn.Tanh(), nn.Linear(64, 2 * k, rng=seed))
    decoder = nn.Sequential(nn.Linear(k, 64, rng=seed + 1), nn.Tanh(),
                            nn.Linear(64, 64, rng=seed + 1))
    return models.VAE(encoder, decoder, k, observation_variance=None, seed=seed)


def run(seed: int, epochs: int) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]],
                                         dict[str, object]]:
    X_all, y_all = data.digits()
    order = np.random.default_rng(seed).permutation(len(X_all))
    cut = int(0.8 * len(X_all))
    train_rows, test_rows = order[:cut], order[cut:]
    X, X_test = X_all[train_rows], X_all[test_rows]
    errors: dict[int, dict[str, float]] = {}
    likelihoods: dict[int, dict[str, float]] = {}
    keep: dict[str, object] = {"X": X, "X_test": X_test, "y_test": y_all[test_rows]}
    for k in CODE_SIZES:
        started = time.perf_counter()
        row: dict[str, float] = {}
        pca = PCA(k).fit(X)
        row["PCA"] = held_out_loss(X_test, pca.inverse_transform(pca.transform(X_test)))
        for name, (model, lr) in autoencoders(k, seed).items():
            models.fit(model, X, epochs=epochs, batch_size=BATCH, optimizer="adam", lr=lr,
                       seed=seed, progress=False)
            row[name] = held_out_loss(X_test, reconstruct(model, X_test))
            keep[f"{name} {k}"] = model
        variational = vae(k, seed)
        train(variational.loss, variational.parameters(), X, epochs, 3e-3, seed)
        row["VAE"] = held_out_loss(X_test, reconstruct(variational, X_test))
        keep[f"VAE {k}"] = variational
        errors[k] = row

        ppca = PPCA(k, ddof=0).fit(X)
        linear_vae = models.LinearVAE(64, k, seed=seed)
        train(linear_vae.loss, linear_vae.parameters(), X, 3 * epochs, 3e-3, seed)
        with no_grad():
            likelihoods[k] = {
                "pPCA (closed form)": ppca.score(X_test),
                "linear VAE, exact log p(x)": float(linear_vae.log_marginal(X_test).mean()),
                "linear VAE, ELBO": linear_vae.exact_elbo(X_test).item(),
                "pPCA σ²": ppca.noise_variance_,
                "linear VAE σ²": linear_vae.noise_variance,
            }
        print(f"k = {k:2d} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return errors, likelihoods, keep


def tables(errors: dict[int, dict[str, float]], likelihoods: dict[int, dict[str, float]],
           seed: int, epochs: int) -> str:
    methods = list(errors[CODE_SIZES[0]])
    lines = [f"Held-out reconstruction error (1/N) Σ‖x − x̂‖² on 360 digits (seed {seed}, "
             f"{epochs} epochs; lower is better; the best of each column in bold):", "",
             "| method | " + " | ".join(f"k = {k}" for k in CODE_SIZES) + " |",
             "| --- | " + " | ".join("---:" for _ in CODE_SIZES) + " |"]
    best = {k: min(errors[k].values()) for k in CODE_SIZES}
    for name in methods:
        cells = []
        for k in CODE_SIZES:
            value = errors[k][name]
            cells.append(f"**{value:.3f}**" if value == best[k] else f"{value:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Held-out mean log-likelihood (nats per image; higher is better) and the "
              "noise variance σ²:", "",
              "| model | " + " | ".join(f"k = {k}" for k in CODE_SIZES) + " |",
              "| --- | " + " | ".join("---:" for _ in CODE_SIZES) + " |"]
    for name in likelihoods[CODE_SIZES[0]]:
        digits = ".4f" if "σ²" in name else ".2f"
        lines.append(f"| {name} | " + " | ".join(
            f"{likelihoods[k][name]:{digits}}" for k in CODE_SIZES) + " |")
    return "\n".join(lines)


def pictures(keep: dict[str, object]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinygrad_ae import viz

    X_test = keep["X_test"]
    assert isinstance(X_test, np.ndarray)
    rows = ["PCA", "linear AE 8", "conv AE 8", "VAE 8"]
    shown = X_test[:10]
    pca = PCA(8).fit(keep["X"])  # type: ignore[arg-type]
    grid = [shown, pca.inverse_transform(pca.transform(shown))]
    grid += [reconstruct(keep[name], shown) for name in rows[1:]]  # type: ignore[arg-type]
    figure, axes = plt.subplots(len(grid), 10, figsize=(8, 0.9 * len(grid)))
    for r, images in enumerate(grid):
        for c in range(10):
            axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].axis("off")
        label = ["input", "PCA", "linear AE", "conv AE", "VAE"][r]
        axes[r, 0].set_title(label + (" (k = 8)" if r else ""), fontsize=7, loc="left")
    figure.tight_layout()
    figure.savefig(IMG / "beyond_pca_reconstructions.png", dpi=110)
    plt.close(figure)

    figure, axes = plt.subplots(1, 2, figsize=(9, 4))
    labels = keep["y_test"]
    for axis, name in zip(axes, ["conv AE 2", "VAE 2"]):
        model = keep[name]
        with no_grad():
            codes = (model.encode(Tensor(X_test))[0] if name.startswith("VAE")  # type: ignore
                     else model.encode(Tensor(X_test))).numpy()  # type: ignore[attr-defined]
        points = axis.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=8)
        axis.set_title(f"2-D code of the held-out digits: {name[:-2]}", fontsize=9)
    figure.colorbar(points, ax=axes, label="digit")
    figure.savefig(IMG / "beyond_pca_codes.png", dpi=110)
    plt.close(figure)

    model = keep["VAE 16"]
    samples = model.sample(20).numpy()  # type: ignore[attr-defined]
    figure, axes = plt.subplots(2, 10, figsize=(8, 1.8))
    for i, axis in enumerate(axes.flat):
        axis.imshow(np.clip(samples[i], 0, 1).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axis.axis("off")
    figure.suptitle("decoder means of 20 draws z ~ N(0, I) from the VAE (k = 16)", fontsize=9)
    figure.savefig(IMG / "beyond_pca_samples.png", dpi=110)
    plt.close(figure)

    # The reparameterization trick on the graph: ε is an input leaf with no gradient.
    small = models.VAE(nn.Linear(2, 2, rng=0), nn.Linear(1, 2, rng=1), 1, seed=0)
    loss = small.loss(Tensor([[0.5, -1.0]], name="x"))
    loss.backward()
    graph = viz.draw_graph(loss, show_values=False)
    try:
        viz.render(graph, IMG / "vae_graph", format="svg")
    except viz.GraphvizNotFound as missing:
        print(f"vae_graph: {missing}", file=sys.stderr)


def write_docs(text: str) -> None:
    page = DOC.read_text(encoding="utf-8")
    begin, end = "<!-- generated:beyond_pca:begin -->", "<!-- generated:beyond_pca:end -->"
    updated, count = re.subn(re.escape(begin) + r".*?" + re.escape(end),
                             f"{begin}\n{text}\n{end}", page, flags=re.S)
    if count != 1:
        raise SystemExit(f"{DOC} has no {begin} … {end} block to fill")
    DOC.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs: a smoke test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    epochs = 2 if args.quick else args.epochs
    started = time.perf_counter()
    errors, likelihoods, keep = run(args.seed, epochs)
    text = tables(errors, likelihoods, args.seed, epochs)
    text += (f"\n\nGenerated by `python examples/beyond_pca.py --write-docs` in "
             f"{time.perf_counter() - started:.0f} s.")
    print(text)
    if args.write_docs:
        write_docs(text)
        pictures(keep)


if __name__ == "__main__":
    main()
