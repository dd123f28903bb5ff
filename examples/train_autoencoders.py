"""Train the seed paper's 2-1-2 network and an MLP autoencoder; compare with the PCA bound.

Run from the repository root:

    python examples/train_autoencoders.py              # both models, with progress bars
    python examples/train_autoencoders.py --quick      # fewer epochs (a smoke test)
    python examples/train_autoencoders.py --no-progress --seed 3

1. The paper's network (``models.PaperAutoencoder``) on 500 correlated 2-D points
   (``data.correlated_2d``: variances 4 and 1, long axis at 30°), full-batch gradient descent on
   L = (1/N) Σ_i ‖x_i − x̂_i‖². With one code unit the best any affine reconstruction can do is
   the smaller eigenvalue of the 1/N covariance (Eckart–Young, ``pca.min_reconstruction_loss``).
2. ``models.mlp_autoencoder([64, 32, 8])`` with tanh hidden layers and a sigmoid output on the
   8×8 digits (``data.digits()``, pixels in [0, 1]), trained with Adam on minibatches of 64.
   Without scikit-learn the digits are unavailable and synthetic data on a curved 2-D manifold in
   64 dimensions (``data.manifold_data``) takes their place. The PCA bound is the best *linear*
   8-component reconstruction, which a non-linear autoencoder may beat.

Every number printed is produced by this script; the same seed gives the same numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    import tinygrad_ae  # noqa: F401
except ImportError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(REPO_ROOT))

from tinygrad_ae import data, models, nn  # noqa: E402
from tinygrad_ae.autograd.tensor import no_grad  # noqa: E402


def pca_bound(X: np.ndarray, k: int) -> float | None:
    """The Eckart–Young bound for k components, or None when tinygrad_ae.pca is absent."""
    try:
        from tinygrad_ae.pca import min_reconstruction_loss
    except ImportError:
        return None
    return float(min_reconstruction_loss(X, k))


def final_loss(model: nn.Module, X: np.ndarray) -> float:
    """The paper's loss of the trained model on all of X (no graph recorded)."""
    with no_grad():
        return nn.mse_loss(model(X), X).item()


def report(label: str, loss: float, bound: float | None) -> None:
    if bound is None:
        print(f"  {label}: final loss {loss:.6f}  (tinygrad_ae.pca not available: no bound)")
        return
    print(f"  {label}: final loss {loss:.6f}, PCA bound {bound:.6f}, "
          f"loss − bound = {loss - bound:+.2e}")


def train_paper_network(seed: int, epochs: int, progress: bool) -> None:
    X = data.correlated_2d(500, variance_ratio=4.0, angle=np.pi / 6, seed=seed)
    model = models.PaperAutoencoder(seed=seed)
    print(f"The paper's 2-1-2 network on {len(X)} correlated 2-D points")
    print(f"  initial parameters: {model.extra_repr()}")
    history = models.fit(model, X, epochs=epochs, lr=0.05, seed=seed, progress=progress)
    print(f"  {history.message}")
    print(f"  trained parameters: {model.extra_repr()}")
    report("2-1-2 network", final_loss(model, X), pca_bound(X, 1))


def load_digits_or_synthetic(seed: int) -> tuple[np.ndarray, str]:
    try:
        X, _ = data.digits()
        return X, "the 8x8 digits (scikit-learn)"
    except ImportError:
        X = data.manifold_data(1797, n_features=64, intrinsic_dim=2, noise=0.01, seed=seed)
        X = (X - X.min()) / (X.max() - X.min())  # into [0, 1], like the digits' pixels
        return X, "synthetic manifold data (scikit-learn is not installed)"


def train_mlp(seed: int, epochs: int, progress: bool) -> None:
    X, source = load_digits_or_synthetic(seed)
    sizes = [X.shape[1], 32, 8]
    model = models.mlp_autoencoder(sizes, activation="tanh", final_activation="sigmoid",
                                   rng=seed)
    print(f"\nAn MLP autoencoder {'→'.join(map(str, sizes + sizes[-2::-1]))} on {source}, "
          f"{X.shape[0]} samples")
    history = models.fit(model, X, epochs=epochs, batch_size=64, optimizer="adam", lr=0.01,
                         seed=seed, progress=progress)
    print(f"  {history.message}")
    report(f"MLP with an {sizes[-1]}-unit code", final_loss(model, X),
           pca_bound(X, sizes[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few epochs, for a smoke test")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, init and order")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    progress = not args.no_progress
    train_paper_network(args.seed, 50 if args.quick else 1000, progress)
    train_mlp(args.seed, 3 if args.quick else 60, progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
