"""Sparse and contractive penalties: the contractive penalty (a reverse-mode Jacobian
built with create_graph=True) against its closed forms, its own gradient against central
differences, and what each penalty does to a trained code."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerances import CLOSED_FORM_RTOL, FD2_ATOL, FD2_RTOL, FD_EPS

from tinygrad_ae import Tensor, closed_form, gradcheck, nn, no_grad, optim
from tinygrad_ae.models import (
    Autoencoder,
    LinearAutoencoder,
    contractive_penalty,
    penalized_loss,
    sparse_penalty,
)

ENCODERS = {"sigmoid": lambda a: a.sigmoid(), "tanh": lambda a: a.tanh(),
            "linear": lambda a: a}


@given(activation=st.sampled_from(sorted(ENCODERS)), n=st.integers(1, 6),
       m=st.integers(1, 5), k=st.integers(1, 4), seed=st.integers(0, 1000))
def test_contractive_penalty_equals_its_closed_form(activation, n, m, k, seed):
    rng = np.random.default_rng(seed)
    W, b, X = rng.standard_normal((k, m)), rng.standard_normal(k), rng.standard_normal((n, m))
    x = Tensor(X, requires_grad=True)
    h = ENCODERS[activation](x @ Tensor(W).T + b)
    ours = contractive_penalty(h, x).item()
    expected = closed_form.contractive_penalty(W, b, X, activation)
    assert ours == pytest.approx(expected, rel=CLOSED_FORM_RTOL, abs=1e-14)


def test_linear_contractive_penalty_is_the_frobenius_norm_whatever_x():
    W = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 1.0]])
    for X in (np.zeros((1, 3)), np.random.default_rng(0).standard_normal((7, 3)) * 100):
        x = Tensor(X, requires_grad=True)
        assert contractive_penalty(x @ Tensor(W).T, x).item() == pytest.approx(
            (W ** 2).sum(), rel=CLOSED_FORM_RTOL)


def test_training_through_the_contractive_penalty_has_the_right_gradient():
    """∂Ω/∂W_e needs the derivative of a derivative: compare with central differences of
    the penalty in W_e (Ω is itself computed by reverse mode)."""
    rng = np.random.default_rng(1)
    X, b = rng.standard_normal((4, 3)), rng.standard_normal(2)

    def penalty(W):
        x = Tensor(X, requires_grad=True)
        return contractive_penalty((x @ W.T + b).sigmoid(), x)
    # The first-order check of Ω is a second-order check of the engine: tolerances FD2_*.
    gradcheck(penalty, [Tensor(rng.standard_normal((2, 3)), requires_grad=True)],
              eps=FD_EPS, atol=FD2_ATOL, rtol=FD2_RTOL)


def test_the_contractive_penalty_flattens_the_trained_encoder():
    X = np.random.default_rng(2).standard_normal((64, 5)) * np.array([3.0, 2.0, 1, 0.5, 0.2])

    def trained(contraction):
        model = Autoencoder(nn.Sequential(nn.Linear(5, 3, rng=0), nn.Sigmoid()),
                            nn.Linear(3, 5, rng=1))
        opt = optim.Adam(model.parameters(), lr=0.02)
        for _ in range(150):
            opt.zero_grad()
            penalized_loss(model, X, contraction=contraction).backward()
            opt.step()
        x = Tensor(X, requires_grad=True)
        return contractive_penalty(model.encode(x), x).item()
    # Measured when written: 0.126 with the penalty, 0.249 without.
    assert trained(1.0) < 0.7 * trained(0.0)


def hoyer(h: np.ndarray) -> float:
    """Hoyer's sparsity, mean over rows: 0 for equal entries, 1 for one non-zero; it ignores
    the code's scale, so shrinking h (which the decoder undoes) does not count."""
    k = h.shape[1]
    ratio = np.abs(h).sum(axis=1) / (np.sqrt((h ** 2).sum(axis=1)) + 1e-12)
    return float(((np.sqrt(k) - ratio) / (np.sqrt(k) - 1)).mean())


# Measured with these seeds when written: Hoyer 0.41 → 0.49, zeros 44% → 47%, loss +2%.
SPARSER_BY = 0.03      # Hoyer's measure must rise at least this much
LOSS_BUDGET = 1.05     # ... while the reconstruction loss grows by at most 5%


def test_a_sparse_autoencoder_codes_sparser_at_equal_loss_budget():
    pytest.importorskip("sklearn")
    from tinygrad_ae.data import digits
    X = digits()[0][:500]

    def trained(sparsity):
        model = Autoencoder(nn.Sequential(nn.Linear(64, 16, rng=0), nn.ReLU()),
                            nn.Linear(16, 64, rng=10))
        opt = optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(400):
            opt.zero_grad()
            penalized_loss(model, X, sparsity=sparsity).backward()
            opt.step()
        with no_grad():
            h = model.encode(Tensor(X)).numpy()
            loss = ((model(Tensor(X)).numpy() - X) ** 2).sum(axis=1).mean()
        return hoyer(h), float(loss)
    (plain_sparsity, plain_loss), (sparse_sparsity, sparse_loss) = trained(0.0), trained(0.03)
    assert sparse_sparsity > plain_sparsity + SPARSER_BY
    assert sparse_loss < LOSS_BUDGET * plain_loss


def test_sparse_penalty_and_linear_penalized_loss():
    assert sparse_penalty(Tensor([[1.0, -1.0], [0.0, 0.5]])).item() == 1.25
    model = LinearAutoencoder(3, 2, rng=0)
    x = np.random.default_rng(3).standard_normal((5, 3))
    extra = penalized_loss(model, x, contraction=2.0).item() - penalized_loss(model, x).item()
    assert extra == pytest.approx(2 * (model.W_e.numpy() ** 2).sum(), rel=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("make, message", [
    (lambda: contractive_penalty(Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2)))),
     "x must be a Tensor that requires grad"),
    (lambda: contractive_penalty(Tensor(np.ones((3, 2))),
                                 Tensor(np.ones((2, 2)), requires_grad=True)),
     "same n_samples"),
    (lambda: closed_form.contractive_penalty(np.ones((1, 2)), [0.0], np.ones((1, 2)), "relu"),
     "activation must be 'sigmoid', 'tanh' or 'linear'"),
])
def test_penalty_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
