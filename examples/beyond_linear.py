"""Where a non-linear or denoising autoencoder beats PCA, and where it does not, on held-out data.

    python examples/beyond_linear.py [--quick] [--seeds 5] [--write-docs]

Part A, non-linear structure. On ``data.manifold_data`` (points near a product of two 270° arcs,
a curved 2-D manifold, embedded in 20 dimensions) and on scikit-learn's 8×8 ``digits`` (skipped
with a message when scikit-learn is absent), an ``mlp_autoencoder`` with a bottleneck of k units
is compared with PCA keeping k components. Both are fitted on a training split only; the score
is the paper's loss on the held-out split, (1/N) Σ_i ‖x_i − x̂_i‖², mean ± std over seeds (each
seed draws new data or a new split, and new initial weights).

Part B, denoising. ``data.spiked_covariance`` with 2000 features: x = s + σ e, a rank-3 clean
signal s under isotropic noise. In practice s is unknown, so nothing is trained on it:

- PCA(3) is fitted on the noisy training rows and reconstructs x̂ = μ + P (x − μ);
- the denoising autoencoders (a linear one, 2000→3→2000, and a tanh one, 2000→64→3→64→2000)
  are trained noisy → noisy with extra corruption: the input is x + τ ε with fresh ε ~ N(0, I)
  every step, the target the noisy x itself. τ is the noise level σ̂ estimated from the
  training rows alone (the mean of the sample covariance's eigenvalues beyond the top 3),
  so the protocol uses nothing a practitioner would not have;
- the clean signal of the *held-out* rows is used only to score: (1/N) Σ_i ‖s_i − x̂_i‖².

Why corruption helps, in the linear case: the minimiser of E‖x − A(x + τε)‖² over rank-k A
is the top-k part of C (C + τ² I)⁻¹, which shrinks each principal direction by λ/(λ + τ²);
with τ = σ this is close to the Wiener filter s_j/(s_j + σ²) that is optimal for recovering a
Gaussian s, whereas PCA keeps the noise inside its subspace at full strength. The table also
lists the Wiener filter computed from the *true* covariance: a floor no method trained on the
noisy data can be expected to pass. Two signal strengths: spikes well above the noise, and
weak spikes near the detection threshold (s/σ² ≈ √(n_features/n_train)).

Writes a markdown table to stdout; ``--write-docs`` puts it between the
``<!-- generated:nonlinear:begin/end -->`` markers of docs/online_and_nonlinear.md and draws
docs/img/nonlinear_manifold.png and docs/img/nonlinear_errors.png. ``--quick`` uses fewer seeds,
samples and epochs and finishes in well under a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The matrices here are small (at most 50 × 2000 @ 2000 × 64): BLAS threads cost more in
# start-up and contention than they save, badly so on a shared 2-core machine. Set before numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from tinygrad_ae import data, models, nn  # noqa: E402
from tinygrad_ae.autograd.tensor import Tensor, no_grad  # noqa: E402
from tinygrad_ae.pca import PCA  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "online_and_nonlinear.md"
IMG = ROOT / "docs" / "img"


class GaussianNoise(nn.Module):
    """In training mode, x + τ ε with fresh ε ~ N(0, I) on every call; in eval mode, x.

    Put in front of an encoder it turns ``models.fit`` into denoising training: fit's loss
    ‖x − model(x)‖² becomes ‖x − D(E(x + τ ε))‖², the target staying the uncorrupted input.
    """

    def __init__(self, tau: float, seed: int) -> None:
        super().__init__()
        self.tau = float(tau)
        self.rng = np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.tau == 0:
            return x
        return x + self.tau * self.rng.standard_normal(x.shape)


def reconstruct(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """x̂ for every row of X, in eval mode (no corruption) and without recording a graph."""
    model.eval()
    with no_grad():
        return np.asarray(model(Tensor(X)).data)


def paper_loss(X: np.ndarray, X_hat: np.ndarray) -> float:
    """(1/N) Σ_i ‖x_i − x̂_i‖², the seed paper's loss."""
    return float(np.sum((X - X_hat) ** 2) / len(X))


def pca_reconstruction(train: np.ndarray, test: np.ndarray, k: int) -> np.ndarray:
    pca = PCA(k).fit(train)
    return pca.inverse_transform(pca.transform(test))


@dataclass
class Setting:
    """One part-A comparison: a data source, a bottleneck size and how to train the AE."""

    name: str
    load: Callable[[int], tuple[np.ndarray, np.ndarray]]   # seed -> (train, test)
    k: int
    hidden: list[int]
    epochs: int
    lr: float
    batch_size: int = 64


def manifold_split(n_train: int, n_test: int) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    def load(seed: int) -> tuple[np.ndarray, np.ndarray]:
        X = data.manifold_data(n_train + n_test, n_features=20, intrinsic_dim=2, noise=0.01,
                               seed=seed)
        return X[:n_train], X[n_train:]
    return load


def digits_split(test_share: float = 1 / 3) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    X, _ = data.digits()

    def load(seed: int) -> tuple[np.ndarray, np.ndarray]:
        order = np.random.default_rng(seed).permutation(len(X))
        n_test = int(len(X) * test_share)
        return X[order[n_test:]], X[order[:n_test]]
    return load


def run_setting(setting: Setting, seeds: list[int]) -> dict[str, object]:
    ae_errors, pca_errors, bounds = [], [], []
    for seed in seeds:
        train, test = setting.load(seed)
        pca_errors.append(paper_loss(test, pca_reconstruction(train, test, setting.k)))
        bounds.append(paper_loss(train, pca_reconstruction(train, train, setting.k)))
        model = models.mlp_autoencoder([train.shape[1], *setting.hidden, setting.k],
                                       activation="tanh", rng=seed)
        models.fit(model, train, epochs=setting.epochs, batch_size=setting.batch_size,
                   optimizer="adam", lr=setting.lr, seed=seed, progress=False)
        ae_errors.append(paper_loss(test, reconstruct(model, test)))
    return {"name": setting.name, "k": setting.k,
            "sizes": [int(setting.load(seeds[0])[0].shape[1]), *setting.hidden, setting.k],
            "ae": ae_errors, "pca": pca_errors, "pca_train": bounds}


# ---------------------------------------------------------------------------------------------
# Part B: denoising
# ---------------------------------------------------------------------------------------------


def noise_level(train: np.ndarray, k: int) -> float:
    """σ̂ from noisy rows alone: the mean sample-covariance eigenvalue beyond the top k.

    The total variance is Σ_j s_j + m σ², so (total − top-k sample eigenvalues)/(m − k) ≈ σ²
    (slightly low, because the top sample eigenvalues are inflated by noise).
    """
    centred = train - train.mean(axis=0)
    top = np.linalg.svd(centred, compute_uv=False)[:k] ** 2 / len(train)
    total = float(np.sum(centred**2) / len(train))
    return float(np.sqrt((total - top.sum()) / (train.shape[1] - k)))


def wiener_error(strengths: np.ndarray, noise: float) -> float:
    """E‖s − ŝ‖² of the best linear estimator, from the true covariance: Σ_j s σ²/(s + σ²)."""
    return float(np.sum(strengths * noise**2 / (strengths + noise**2)))


def denoising_run(strengths: list[float], n_train: int, n_test: int, seed: int, epochs: int,
                  k: int = 3, n_features: int = 2000) -> dict[str, float]:
    """One seed of part B: errors to the held-out clean signal for every method."""
    X, _, clean = data.spiked_covariance(n_train + n_test, n_features, n_spikes=k,
                                         spike_strength=strengths, noise=1.0, seed=seed,
                                         return_clean=True)
    train, test, clean_test = X[:n_train], X[n_train:], clean[n_train:]
    errors = {"noisy input": paper_loss(clean_test, test),
              "PCA": paper_loss(clean_test, pca_reconstruction(train, test, k))}
    tau = noise_level(train, k)
    # Step sizes from a small search on seed 0 (docs/online_and_nonlinear.md): larger ones
    # plateau higher (Adam's noise floor), a decaying schedule did not help.
    for label, hidden, lr in (("linear DAE", [], 3e-3), ("tanh DAE", [64], 1e-3)):
        ae = models.mlp_autoencoder([n_features, *hidden, k], activation="tanh", rng=seed)
        model = models.Autoencoder(nn.Sequential(GaussianNoise(tau, seed), ae.encoder),
                                   ae.decoder)
        models.fit(model, train, epochs=epochs, batch_size=50, optimizer="adam", lr=lr,
                   seed=seed, progress=False)
        errors[label] = paper_loss(clean_test, reconstruct(model, test))
    errors["Wiener, true Σ (floor)"] = wiener_error(np.asarray(strengths, dtype=float), 1.0)
    errors["tau"] = tau
    return errors


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def mean_std(values: list[float]) -> str:
    array = np.asarray(values)
    return f"{array.mean():.4g} ± {array.std(ddof=1) if len(array) > 1 else 0.0:.2g}"


def part_a_table(rows: list[dict[str, object]], n_seeds: int) -> str:
    lines = [f"Held-out reconstruction error (1/N) Σ‖x − x̂‖², mean ± std over {n_seeds} seeds "
             f"(lower is better):", "",
             "| data | bottleneck k | autoencoder | AE test error | PCA test error "
             "| AE / PCA | winner |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        ae, pca = np.asarray(row["ae"]), np.asarray(row["pca"])
        ratio = ae / pca
        winner = "AE" if ratio.max() < 1 else "PCA" if ratio.min() > 1 else "mixed"
        sizes = "→".join(str(s) for s in row["sizes"])  # type: ignore[union-attr]
        lines.append(f"| {row['name']} | {row['k']} | {sizes}, tanh | {mean_std(list(ae))} "
                     f"| {mean_std(list(pca))} | {ratio.mean():.2f} | {winner} |")
    return "\n".join(lines)


def part_b_table(results: dict[str, list[dict[str, float]]], n_train: int, n_test: int) -> str:
    lines = [f"Error to the clean signal on {n_test} held-out rows, (1/N) Σ‖s − x̂‖², mean ± "
             f"std over seeds; trained on {n_train} noisy rows of 2000 features, noise σ = 1:",
             ""]
    methods = ["noisy input", "PCA", "linear DAE", "tanh DAE", "Wiener, true Σ (floor)"]
    lines.append("| spike variances s | " + " | ".join(methods) + " | τ = σ̂ used |")
    lines.append("|---" * (len(methods) + 2) + "|")
    for label, runs in results.items():
        cells = [mean_std([run[m] for run in runs]) for m in methods]
        lines.append(f"| {label} | " + " | ".join(cells)
                     + f" | {np.mean([run['tau'] for run in runs]):.3f} |")
    return "\n".join(lines)


def draw(part_a: list[dict[str, object]], part_b: dict[str, list[dict[str, float]]],
         example: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMG.mkdir(parents=True, exist_ok=True)
    if example is not None:
        test, ae_hat, pca_hat = example
        # One arc (intrinsic_dim=1) lies in the plane of the top two principal directions.
        basis = PCA(2).fit(test).components_
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharex=True, sharey=True)
        for ax, points, title in zip(axes, (test, ae_hat, pca_hat),
                                     ("held-out data", "tanh AE, k = 1", "PCA, k = 1")):
            projected = (points - test.mean(axis=0)) @ basis.T
            ax.scatter(projected[:, 0], projected[:, 1], s=3, alpha=0.5)
            ax.set_title(title)
            ax.set_aspect("equal")
        fig.suptitle("manifold_data with one 270° arc in 20-D: x and x̂ in the arc's plane")
        fig.tight_layout()
        fig.savefig(IMG / "nonlinear_manifold.png", dpi=120)
        plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    labels = [f"{row['name']}\nk = {row['k']}" for row in part_a]
    x = np.arange(len(part_a))
    for offset, key, name in ((-0.2, "ae", "autoencoder"), (0.2, "pca", "PCA")):
        values = [np.asarray(row[key]) for row in part_a]
        axes[0].bar(x + offset, [v.mean() for v in values], 0.4,
                    yerr=[v.std() for v in values], label=name, capsize=3)
    axes[0].set_xticks(x, labels, fontsize=8)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("held-out (1/N) Σ‖x − x̂‖²")
    axes[0].legend()
    axes[0].set_title("A: non-linear structure")
    methods = ["PCA", "linear DAE", "tanh DAE", "Wiener, true Σ (floor)"]
    x = np.arange(len(part_b))
    for i, method in enumerate(methods):
        values = [np.asarray([run[method] for run in runs]) for runs in part_b.values()]
        axes[1].bar(x + (i - 1.5) * 0.2, [v.mean() for v in values], 0.2,
                    yerr=[v.std() for v in values], label=method, capsize=3)
    axes[1].set_xticks(x, [f"s = {label}" for label in part_b], fontsize=8)
    axes[1].set_ylabel("held-out (1/N) Σ‖s − x̂‖² (clean s)")
    axes[1].legend(fontsize=8)
    axes[1].set_title("B: denoising, 2000 features")
    fig.tight_layout()
    fig.savefig(IMG / "nonlinear_errors.png", dpi=120)
    plt.close(fig)


def write_docs(table: str, command: str) -> None:
    text = DOC.read_text()
    pattern = re.compile(r"(<!-- generated:nonlinear:begin -->\n).*?(<!-- generated:nonlinear:"
                         r"end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"beyond_linear.py: {DOC} has no generated:nonlinear markers")
    block = f"<!-- {command} -->\n\n{table}\n"
    DOC.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds/epochs: < 1 minute")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per setting (5; quick 2)")
    parser.add_argument("--write-docs", action="store_true",
                        help="update docs/online_and_nonlinear.md and docs/img/nonlinear_*.png")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    n_seeds = args.seeds or (2 if args.quick else 5)
    seeds = list(range(n_seeds))
    scale = 0.25 if args.quick else 1.0

    settings = [Setting("manifold_data (20-D, 2-D manifold)",
                        manifold_split(int(2000 * scale) + 500, 1000), k=2, hidden=[64],
                        epochs=int(300 * scale), lr=3e-3)]
    try:
        digits_load = digits_split()
    except ImportError as exc:
        print(f"beyond_linear.py: skipping digits: {exc}", file=sys.stderr)
    else:
        for k in (2, 8):
            settings.append(Setting("digits (64-D)", digits_load, k=k, hidden=[64],
                                    epochs=int(200 * scale), lr=3e-3))
    part_a = []
    for setting in settings:
        print(f"part A: {setting.name}, k = {setting.k} ...", file=sys.stderr)
        part_a.append(run_setting(setting, seeds))

    n_train, n_test = (500, 500) if args.quick else (1000, 1000)
    regimes = {"30, 20, 10": [30.0, 20.0, 10.0], "4, 3, 2": [4.0, 3.0, 2.0]}
    part_b: dict[str, list[dict[str, float]]] = {}
    for label, strengths in regimes.items():
        print(f"part B: spikes {label} ...", file=sys.stderr)
        part_b[label] = [denoising_run(strengths, n_train, n_test, seed,
                                       epochs=20 if args.quick else 150)
                        for seed in seeds]

    table = "\n\n".join([part_a_table(part_a, n_seeds), part_b_table(part_b, n_train, n_test)])
    print(table)
    print(f"\n(ran in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if args.write_docs:
        # The picture uses a single arc (intrinsic_dim=1, k=1): its plane can be drawn, and
        # PCA's best line through it is visibly not the arc.
        X = data.manifold_data(2000, n_features=20, intrinsic_dim=1, noise=0.01, seed=0)
        train, test = X[:1500], X[1500:]
        model = models.mlp_autoencoder([20, 64, 1], activation="tanh", rng=0)
        models.fit(model, train, epochs=settings[0].epochs, batch_size=64, optimizer="adam",
                   lr=settings[0].lr, seed=0, progress=False)
        draw(part_a, part_b, (test, reconstruct(model, test), pca_reconstruction(train, test, 1)))
        command = "python examples/beyond_linear.py" + (" --quick" if args.quick else "") \
            + (f" --seeds {args.seeds}" if args.seeds else "") + " --write-docs"
        write_docs(table, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
