"""The pictures of docs/pictures.md: computational graphs and network diagrams.

Run from the repository root:

    python examples/gallery.py                 # writes docs/img/*.svg (and two PNGs)
    python examples/gallery.py --out /tmp/pics

Every picture is drawn from a fixed model and fixed data, so running it again gives the same
files. The paper's network uses the worked example's parameters (docs/theory.md#corrected-partials)
(w1, w2, b1, w3, w4, b2, b3) = (0.5, −0.2, 0.3, 0.8, −0.6, 0.2, −0.1) and three samples, so every
value fits on its node. It also prints the chain-rule text for ∂L/∂w1 that docs/pictures.md quotes.

Without Graphviz's ``dot`` program the DOT sources are still written and the script exits
with status 1 and the install command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
try:
    from tinygrad_ae import Tensor, models, nn, viz
except ImportError:  # not installed: use the checkout this script lives in
    sys.path.insert(0, str(REPO_ROOT))
    from tinygrad_ae import Tensor, models, nn, viz

PAPER_PARAMS = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
PAPER_X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 1.5]])   # three samples (x1, x2)
SEED = 0


def paper() -> tuple[models.PaperAutoencoder, Tensor]:
    """The seed paper's 2-1-2 network and its loss L on three samples."""
    model = models.PaperAutoencoder(**PAPER_PARAMS)
    return model, model.loss(PAPER_X)


def reconstruction_loss(model: nn.Module, n_samples: int, n_features: int) -> Tensor:
    """L = (1/N) Σ ‖x_i − x̂_i‖² on fixed random data, with the input named x."""
    x = Tensor(np.random.default_rng(SEED).normal(size=(n_samples, n_features)), name="x")
    loss = nn.mse_loss(model(x), x)
    loss.name = "L"
    return loss


def pictures() -> dict[str, tuple[Callable[[], object], tuple[str, ...]]]:
    """name → (function drawing it, formats)."""
    def paper_graph() -> object:
        _, loss = paper()
        return viz.draw_graph(loss, highlight="w1")

    def paper_network() -> object:
        return viz.draw_network(paper()[0])

    def linear_graph() -> object:
        model = models.LinearAutoencoder(4, 2, rng=SEED)
        return viz.draw_graph(reconstruction_loss(model, 5, 4), names=model)

    def mlp_graph() -> object:
        model = models.mlp_autoencoder([6, 4, 2], activation="tanh", rng=SEED)
        return viz.draw_graph(reconstruction_loss(model, 5, 6), names=model)

    def mlp_network() -> object:
        return viz.draw_network(models.mlp_autoencoder([6, 4, 2], activation="tanh",
                                                       rng=SEED))

    return {
        "paper_graph": (paper_graph, ("svg", "png")),
        "paper_network": (paper_network, ("svg", "png")),
        "linear_ae_graph": (linear_graph, ("svg",)),
        "mlp_graph": (mlp_graph, ("svg",)),
        "mlp_network": (mlp_network, ("svg",)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "img",
                        help="folder for the pictures (default: docs/img)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    missing_dot = None
    for name, (draw, formats) in pictures().items():
        graph = draw()
        for fmt in formats:
            try:
                written = viz.render(graph, args.out / name, format=fmt)  # type: ignore[arg-type]
                print(f"wrote {written}")
            except viz.GraphvizNotFound as error:
                missing_dot = error
                print(f"wrote {args.out / name}.dot only", file=sys.stderr)
                break
    # The derivation quoted in docs/pictures.md, for the same model and data.
    print(f"\n{viz.chain_rule(paper()[1], 'w1')}")
    if missing_dot is not None:
        print(f"\n{missing_dot}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
