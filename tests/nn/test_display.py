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
