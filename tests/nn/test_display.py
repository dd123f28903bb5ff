"""Module in Jupyter: _repr_html_ shows the layers as a table."""

from __future__ import annotations

import numpy as np

from tinygrad_ae import Tensor, models, nn


def test_a_module_displays_its_layers_and_parameters():
    model = models.mlp_autoencoder([4, 3, 2], activation="tanh", rng=0)
    page = model._repr_html_()
    for name, parameter in model.named_parameters():
        assert f"<code>{name}</code> {tuple(parameter.shape)}" in page
    assert page.count("<td>Tanh</td>") == 2
    total = sum(p.size for p in model.parameters())
    assert f"{total} parameters" in page
    x = Tensor(np.ones((2, 4)))
    nn.mse_loss(model(x), x).backward()
    assert "‖grad‖ –" not in model._repr_html_()


def test_each_layer_row_shows_its_settings_and_its_own_parameters():
    """One row per layer: its name, its type with its settings (extra_repr), and the
    parameters it owns; a container without parameters of its own has no row."""
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh())
    page = model._repr_html_()
    assert ("<tr><td><code>0</code></td>"
            "<td>Linear(in_features=3, out_features=2, bias=True)</td>"
            "<td><code>0.weight</code> (2, 3) ‖grad‖ –<br>"
            "<code>0.bias</code> (2,) ‖grad‖ –</td></tr>") in page
    assert "<tr><td><code>1</code></td><td>Tanh</td><td>–</td></tr>" in page
    assert "(root)" not in page
    assert "8 parameters" in page


class _ScaledLayers(nn.Module):
    """A module with parameters of its own (one attribute, one list) and sub-modules."""

    def __init__(self):
        super().__init__()
        self.scale = Tensor(2.0, requires_grad=True)
        self.offsets = [Tensor(np.zeros(4), requires_grad=True),
                        Tensor(np.zeros(5), requires_grad=True)]
        self.layers = [nn.Linear(1, 1, rng=0), nn.Tanh()]

    def forward(self, x):
        return self.layers[1](self.layers[0](x)) * self.scale


def test_a_module_with_parameters_and_children_has_a_row_with_its_own_parameters():
    """The root owns ``scale`` and the list items ``offsets.0`` and ``offsets.1`` (no module
    is called ``offsets``): they are shown in the root's row and counted in the total;
    the Linear's parameters stay in its own row."""
    page = _ScaledLayers()._repr_html_()
    assert ("<tr><td><code>(root)</code></td><td>_ScaledLayers</td>"
            "<td><code>scale</code> () ‖grad‖ –<br>"
            "<code>offsets.0</code> (4,) ‖grad‖ –<br>"
            "<code>offsets.1</code> (5,) ‖grad‖ –</td></tr>") in page
    assert ("<tr><td><code>layers.0</code></td>"
            "<td>Linear(in_features=1, out_features=1, bias=True)</td>"
            "<td><code>layers.0.weight</code> (1, 1) ‖grad‖ –<br>"
            "<code>layers.0.bias</code> (1,) ‖grad‖ –</td></tr>") in page
    assert f"{1 + 4 + 5 + 2} parameters" in page
