"""The variational autoencoders: the closed-form KL, the reparameterization, the two
likelihoods, seeding, and the linear VAE's convergence to probabilistic PCA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tolerances import FD_ATOL, FD_EPS, FD_RTOL

from tinygrad_ae import Tensor, gradcheck, nn, no_grad, optim
from tinygrad_ae.autograd.engine import topological_order
from tinygrad_ae.data import with_spectrum
from tinygrad_ae.models import VAE, LinearVAE, gaussian_kl
from tinygrad_ae.pca import PPCA, principal_angles

# Equations evaluated in numpy against the engine's graph: rounding of short sums.
EQUATION_RTOL = 1e-12

# The property test's bounds, for 400 samples of a 6-feature spectrum with gaps ≥ 2×
# after 2500 Adam steps on the one-sample ELBO (lr 0.03, then 0.005). Measured at the
# time of writing: ELBO gap 0.0024 nats per sample, largest angle 0.0055 rad, σ² off by
# 0.14%. The bounds leave room for the Monte Carlo noise of other seeds, yet a decoder off
# the top-2 subspace (angle ≥ 0.1) or σ² off by 10% would fail them.
ELBO_GAP = 0.03      # nats per sample below PPCA.score (the ELBO is a lower bound)
MAX_ANGLE = 0.05     # radians between span(W_d) and the top-2 eigenvectors
SIGMA2_RTOL = 0.05   # relative error of σ² against the mean discarded eigenvalue


def _mlp_vae(likelihood="gaussian", seed=0, m=4, k=2, **kwargs):
    encoder = nn.Sequential(nn.Linear(m, 8, rng=seed), nn.Tanh(), nn.Linear(8, 2 * k, rng=seed))
    decoder = nn.Sequential(nn.Linear(k, 8, rng=seed + 1), nn.Tanh(), nn.Linear(8, m, rng=seed))
    return VAE(encoder, decoder, n_components=k, likelihood=likelihood, seed=seed, **kwargs)


@given(mean=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       log_var=st.lists(st.floats(-2, 1), min_size=3, max_size=3))
@settings(max_examples=10)
def test_kl_matches_its_monte_carlo_estimate(mean, log_var):
    mu, lv = np.array([mean]), np.array([log_var])
    closed = float(gaussian_kl(Tensor(mu), Tensor(lv)).item())
    z = mu + np.exp(lv / 2) * np.random.default_rng(0).standard_normal((200_000, 3))
    log_q = -0.5 * (((z - mu) ** 2) / np.exp(lv) + lv + math.log(2 * math.pi)).sum(axis=1)
    log_p = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(axis=1)
    estimate = (log_q - log_p).mean()
    # Monte Carlo error: the standard deviation of log q − log p over √200000 samples.
    assert abs(closed - estimate) < 5 * (log_q - log_p).std() / math.sqrt(200_000) + 1e-9


def test_gaussian_elbo_is_its_equation():
    vae = _mlp_vae(observation_variance=0.5)
    x = np.random.default_rng(1).standard_normal((5, 4))
    value = vae.elbo_samples(x).numpy()
    vae.generator = np.random.default_rng(0)  # the same ε again
    mean, log_var = (t.numpy() for t in vae.encode(x))
    eps = np.random.default_rng(0).standard_normal(mean.shape)
    x_hat = vae.decoder(mean + np.exp(log_var / 2) * eps).numpy()
    log_px = -0.5 * (((x - x_hat) ** 2).sum(axis=1) / 0.5 + 4 * math.log(2 * math.pi * 0.5))
    kl = 0.5 * (mean ** 2 + np.exp(log_var) - 1 - log_var).sum(axis=1)
    np.testing.assert_allclose(value, log_px - kl, rtol=EQUATION_RTOL)


def test_bernoulli_likelihood_is_the_negative_cross_entropy():
    vae = _mlp_vae("bernoulli")
    x = (np.random.default_rng(2).random((6, 4)) > 0.5).astype(float)
    logits = np.array([[-800.0, -3.0, 0.0, 800.0]] * 6)  # large |logits|: no overflow
    # log σ(l) = −log(1 + e^{−l}) and log(1 − σ(l)) = −log(1 + e^{l}), via numpy's logaddexp.
    expected = (-x * np.logaddexp(0, -logits) - (1 - x) * np.logaddexp(0, logits)).sum(axis=1)
    got = vae.log_likelihood(Tensor(x), Tensor(logits)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.isfinite(got).all()
    samples = vae.sample(7).numpy()
    assert samples.shape == (7, 4) and ((samples >= 0) & (samples <= 1)).all()


def test_the_noise_is_an_input_without_gradient():
    """The reparameterization trick on the graph: ε is a leaf that requires no grad, and the
    gradient reaches μ and log-variance through z = μ + e^{ℓ/2} ε."""
    vae = _mlp_vae()
    loss = vae.loss(np.ones((3, 4)))
    leaves = [t for t in topological_order(loss) if t.is_leaf and t.name == "ε"]
    assert len(leaves) == 1 and not leaves[0].requires_grad and leaves[0].shape == (3, 2)
    loss.backward()
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in vae.parameters())


def test_the_same_seed_gives_the_same_run():
    x = np.random.default_rng(3).standard_normal((8, 4))
    assert _mlp_vae(seed=5).loss(x).item() == _mlp_vae(seed=5).loss(x).item()
    vae = _mlp_vae(seed=5)
    assert vae.loss(x).item() != vae.loss(x).item()  # a fresh ε at every call


def test_vae_loss_gradient_matches_central_differences():
    """With ε fixed (the generator reseeded at each call) the one-sample loss is a smooth
    function of the data; its reverse-mode gradient matches central differences."""
    vae = _mlp_vae(observation_variance=None)
    x = np.random.default_rng(4).standard_normal((3, 4))

    def loss(data):
        vae.generator = np.random.default_rng(0)
        return vae.loss(data)
    gradcheck(loss, [Tensor(x, requires_grad=True)], eps=FD_EPS, atol=FD_ATOL, rtol=FD_RTOL)


def test_linear_vae_reaches_ppca():
    """Lucas et al. (2019): the linear VAE's optimum is pPCA's maximum-likelihood solution.
    Trained on the one-sample reparameterized ELBO, its exact ELBO comes within ELBO_GAP of
    PPCA.score, its decoder spans the top-2 principal subspace, and σ² reaches the mean
    discarded eigenvalue."""
    eigenvalues = np.array([6.0, 3.0, 1.0, 0.6, 0.4, 0.2])
    X, Q = with_spectrum(400, eigenvalues, mean=np.arange(6.0), seed=0)
    reference = PPCA(2, ddof=0).fit(X)
    model = LinearVAE(6, 2, seed=0)
    opt = optim.Adam(model.parameters(), lr=0.03)
    data = Tensor(X)
    for step in range(2500):
        if step == 1500:
            opt.lr = 0.005
        opt.zero_grad()
        model.loss(data).backward()
        opt.step()
    elbo = model.exact_elbo(X).item()
    assert elbo <= model.log_marginal(X).mean() + 1e-9          # a lower bound
    assert model.log_marginal(X).mean() <= reference.score(X) + 1e-9  # pPCA is the maximum
    assert reference.score(X) - elbo < ELBO_GAP
    assert principal_angles(model.W_d.numpy(), Q[:, :2]).max() < MAX_ANGLE
    assert model.noise_variance == pytest.approx(eigenvalues[2:].mean(), rel=SIGMA2_RTOL)


def test_monte_carlo_elbo_is_unbiased_for_the_exact_one():
    model = LinearVAE(4, 2, seed=1)
    x = np.random.default_rng(5).standard_normal((2000, 4))
    repeated = np.repeat(x[:5], 4000, axis=0)
    exact = np.array([model.exact_elbo(x[i:i + 1]).item() for i in range(5)])
    sampled = model.elbo_samples(repeated).numpy().reshape(5, 4000)
    spread = sampled.std(axis=1) / math.sqrt(4000)
    assert (np.abs(sampled.mean(axis=1) - exact) < 5 * spread + 1e-9).all()


@pytest.mark.parametrize("make, message", [
    (lambda: _mlp_vae("poisson"), "likelihood must be 'gaussian' or 'bernoulli'"),
    (lambda: _mlp_vae(observation_variance=0.0), "observation_variance must be positive"),
    (lambda: VAE(nn.Linear(4, 3), nn.Linear(2, 4), n_components=2).encode(np.ones((1, 4))),
     r"encoder must return \(n_samples, 4\) columns"),
    (lambda: _mlp_vae().sample(0), "n must be a positive integer"),
    (lambda: LinearVAE(0, 2), "n_features must be a positive integer"),
])
def test_vae_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make", [
    lambda: LinearVAE(4, 2, dtype=np.float32, seed=0),
    lambda: VAE(nn.Linear(4, 4, rng=0, dtype=np.float32), nn.Linear(2, 4, rng=1,
                                                                 dtype=np.float32), 2, seed=0),
    lambda: VAE(nn.Linear(4, 4, rng=0, dtype=np.float32), nn.Linear(2, 4, rng=1,
                                                                 dtype=np.float32), 2,
                likelihood="bernoulli", seed=0),
], ids=["linear", "gaussian", "bernoulli"])
def test_float32_vaes_stay_float32(make):
    vae = make()
    x = Tensor(np.random.default_rng(0).random((3, 4)), dtype=np.float32)
    loss = vae.loss(x)
    assert loss.dtype == np.float32 and vae.sample(2).dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in vae.parameters())


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_training_raises_the_elbo(likelihood):
    """A few hundred Adam steps on binary 16-pixel patterns raise the (exact-ε-averaged)
    ELBO well above its starting value, for either decoder."""
    rng = np.random.default_rng(6)
    prototypes = rng.random((3, 16)) > 0.5
    X = (prototypes[rng.integers(0, 3, 120)] ^ (rng.random((120, 16)) < 0.05)).astype(float)
    vae = _mlp_vae(likelihood, seed=1, m=16, k=2,
                   **({"observation_variance": None} if likelihood == "gaussian" else {}))

    def average_elbo():
        vae.generator = np.random.default_rng(0)
        with no_grad():
            return np.mean([vae.elbo(X).item() for _ in range(20)])
    before = average_elbo()
    opt = optim.Adam(vae.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        vae.loss(X).backward()
        opt.step()
    after = average_elbo()
    assert after > before + 0.5 * abs(before)
