"""The theory of the paper's linear autoencoder, as properties: the engine's gradients are
the true chain-rule partials (closed forms derived by hand), their exact identities hold,
and the loss landscape has the shape Baldi & Hornik (1989) proved.

Independent truths: `tinygrad_ae.closed_form` (numpy formulas, no engine), numpy's
eigendecomposition, and the closed-form Hessian spectrum at critical points
(docs/theory.md#hessian-at-critical-points).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tolerances import CLOSED_FORM_RTOL

from tinygrad_ae import Tensor, closed_form, grad, nn, pca, strategies
from tinygrad_ae.models import LinearAutoencoder, PaperAutoencoder

finite_data = st.integers(1, 12).flatmap(
    lambda n: hnp.arrays(np.float64, (n, 2), elements=st.floats(-100, 100)))


def _close(engine: float, truth: float, scale: float) -> bool:
    # |g − g*| ≤ 1e-9·(1 + Σ|per-sample terms|): a plain relative error fails where a
    # partial is ≈ 0 by cancellation (docs/theory.md#test-tolerances, P1).
    return abs(engine - truth) <= CLOSED_FORM_RTOL * (1 + scale)


@given(params=strategies.paper_params(), X=finite_data)
def test_paper_autoencoder_gradients_equal_the_hand_derived_partials(params, X):
    model = PaperAutoencoder(**params)
    model.loss(X).backward()
    exact = closed_form.paper_partials(params, X)
    # Scale of the per-sample terms: residual × (largest of |x|, |h|, |w|) × 2/N.
    h = params["w1"] * X[:, 0] + params["w2"] * X[:, 1] + params["b1"]
    r = X - np.stack([params["w3"] * h + params["b2"], params["w4"] * h + params["b3"]], 1)
    size = 1 + np.abs(X).max() + np.abs(h).max() + max(abs(v) for v in params.values())
    scale = float(2 * np.abs(r).sum(1).mean() * size ** 2)
    for name in PaperAutoencoder.PARAM_NAMES:
        engine = float(getattr(model, name).grad)
        assert _close(engine, float(exact[name]), scale), (name, engine, exact[name])


@given(data=st.data(), shape=st.tuples(st.integers(2, 6), st.integers(1, 5),
                                        st.integers(1, 20)))
def test_linear_autoencoder_gradients_equal_the_matrix_form(data, shape):
    m, k, n = shape
    assume(k < m)
    params = data.draw(strategies.linear_ae_params(m, k, scale=1.5))
    X = data.draw(hnp.arrays(np.float64, (n, m), elements=st.floats(-10, 10)))
    model = LinearAutoencoder(m, k)
    model.load_state_dict({"encoder.weight": params["W_e"], "encoder.bias": params["b_e"],
                           "decoder.weight": params["W_d"], "decoder.bias": params["b_d"]})
    nn.mse_loss(model(X), X, reduction="paper").backward()
    exact = closed_form.linear_ae_grads(params["W_e"], params["b_e"], params["W_d"],
                                        params["b_d"], X)
    scale = 1 + float(np.abs(X).max()) ** 2 * 40
    for name, tensor in [("W_e", model.W_e), ("b_e", model.b_e), ("W_d", model.W_d),
                         ("b_d", model.b_d)]:
        np.testing.assert_allclose(tensor.grad, exact[name], rtol=0,
                                   atol=CLOSED_FORM_RTOL * scale)


@given(params=strategies.paper_params(), X=finite_data)
def test_gauge_identities_of_the_true_gradient(params, X):
    """∂L/∂b1 = w3 ∂L/∂b2 + w4 ∂L/∂b3 and w1∂w1 + w2∂w2 + b1∂b1 = w3∂w3 + w4∂w4, from the
    symmetries that leave x̂ unchanged (docs/theory.md#gauge-identities-and-balance)."""
    model = PaperAutoencoder(**params)
    model.loss(X).backward()
    g = {name: float(getattr(model, name).grad) for name in PaperAutoencoder.PARAM_NAMES}
    p = params
    terms = [abs(p[a] * g[a]) for a in g] + [abs(g["b1"])]
    tolerance = 1e-11 * (1 + max(terms))
    assert abs(g["b1"] - (p["w3"] * g["b2"] + p["w4"] * g["b3"])) <= tolerance * (
        1 + abs(p["w3"]) + abs(p["w4"])) * 10
    left = p["w1"] * g["w1"] + p["w2"] * g["w2"] + p["b1"] * g["b1"]
    right = p["w3"] * g["w3"] + p["w4"] * g["w4"]
    assert abs(left - right) <= tolerance * 10


# --- the landscape: Hessians at critical points, built with create_graph --------------------

def _hessian(model: LinearAutoencoder, X: np.ndarray) -> np.ndarray:
    """The full Hessian of the paper's loss in all parameters, one Hessian-vector product
    (a gradient of the gradient) per parameter entry."""
    params = model.parameters()
    loss = nn.mse_loss(model(X), X, reduction="paper")
    gradients = grad(loss, params, create_graph=True)
    sizes = [p.size for p in params]
    rows = []
    for which, p in enumerate(params):
        for flat in range(p.size):
            direction = [np.zeros(q.shape) for q in params]
            direction[which].reshape(-1)[flat] = 1.0
            projection = sum(((g * d).sum() for g, d in zip(gradients, direction)),
                             Tensor(0.0))
            rows.append(np.concatenate([h.data.reshape(-1) for h in
                                        grad(projection, params)]))
    hessian = np.array(rows)
    assert hessian.shape == (sum(sizes), sum(sizes))
    return (hessian + hessian.T) / 2


def _critical_model(U: np.ndarray, subset: tuple[int, ...], seed: int) -> LinearAutoencoder:
    """W_d = U_I O, W_e = Oᵀ U_Iᵀ with O a random orthogonal k×k matrix, zero biases."""
    k = len(subset)
    m = U.shape[0]
    O, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((k, k)))
    W_d = U[:, list(subset)] @ O
    model = LinearAutoencoder(m, k)
    model.load_state_dict({"encoder.weight": W_d.T, "encoder.bias": np.zeros(k),
                           "decoder.weight": W_d, "decoder.bias": np.zeros(m)})
    return model


@pytest.mark.parametrize("m, k", [(3, 1), (4, 2)])
@given(data=st.data())
def test_pca_is_a_minimum_and_every_other_critical_point_a_strict_saddle(m, k, data):
    lam = np.array(data.draw(strategies.spectra(m, k, min_gap=1.5)))
    assume(np.all(lam[:-1] / lam[1:] >= 1.1))  # distinct eigenvalues, gaps ≥ 10 %
    X, lam, U = data.draw(strategies.data_with_spectrum(4 * m, lam))
    seed = data.draw(st.integers(0, 1000))
    for subset in itertools.combinations(range(m), k):
        model = _critical_model(U, subset, seed)
        loss = nn.mse_loss(model(X), X, reduction="paper")
        gradients = grad(loss, model.parameters())
        assert max(np.abs(g.data).max() for g in gradients) < 1e-10  # a critical point
        eigenvalues = np.linalg.eigvalsh(_hessian(model, X))
        outside = [j for j in range(m) if j not in subset]
        # Closed form (docs/theory.md#hessian-at-critical-points): for i ∈ I, j ∉ I the pair
        # contributes h₋ = λi + λj − √((λi − λj)² + 4λj²), negative exactly when λj > λi.
        h_minus = [lam[i] + lam[j] - np.sqrt((lam[i] - lam[j]) ** 2 + 4 * lam[j] ** 2)
                   for i in subset for j in outside]
        if subset == tuple(range(k)):
            assert eigenvalues.min() >= -1e-8
            assert np.sum(np.abs(eigenvalues) < 1e-6) == k * k + k  # GL(k) and b_e gauges
        else:
            assert eigenvalues.min() < 0
            assert eigenvalues.min() == pytest.approx(min(h_minus), abs=1e-8)


@given(data=st.data())
def test_eckart_young_bound_holds_for_any_parameters_and_pca_attains_it(data):
    m = data.draw(st.integers(2, 5))
    k = data.draw(st.integers(1, m - 1))
    X = data.draw(hnp.arrays(np.float64, (data.draw(st.integers(m + 1, 15)), m),
                             elements=st.floats(-5, 5)))
    params = data.draw(strategies.linear_ae_params(m, k))
    bound = pca.min_reconstruction_loss(X, k)
    model = LinearAutoencoder(m, k)
    model.load_state_dict({"encoder.weight": params["W_e"], "encoder.bias": params["b_e"],
                           "decoder.weight": params["W_d"], "decoder.bias": params["b_d"]})
    loss = nn.mse_loss(model(X), X, reduction="paper").item()
    assert loss - bound >= -1e-10 * (1 + bound)
    best = pca.pca_autoencoder_params(X, k)
    model.load_state_dict({"encoder.weight": best["W_e"], "encoder.bias": best["b_e"],
                           "decoder.weight": best["W_d"], "decoder.bias": best["b_d"]})
    at_pca = nn.mse_loss(model(X), X, reduction="paper").item()
    assert abs(at_pca - bound) <= 1e-10 * (1 + bound) * 100
