"""Variational autoencoders: the general Gaussian-encoder VAE and the linear VAE that
recovers probabilistic PCA.

Layer: models; imports numpy and ``tensor``, ``engine`` and ``nn`` of ours.

A VAE is a latent-variable model p_θ(x) = ∫ p_θ(x | z) N(z; 0, I) dz with an encoder
q_φ(z | x) = N(μ_φ(x), diag exp(ℓ_φ(x))), ℓ the log-variance. It maximises the evidence
lower bound, for each sample,

    ELBO(x) = E_q[log p_θ(x | z)] − KL(q_φ(z | x) ‖ N(0, I))  ≤  log p_θ(x),
    KL = ½ Σ_j (μ_j² + e^{ℓ_j} − 1 − ℓ_j)                       (closed form),

estimating the expectation with the *reparameterization* z = μ + e^{ℓ/2} ⊙ ε, ε ~ N(0, I):
the noise ε enters the graph as an input that requires no gradient (drawn from the model's
own seeded generator), so the gradient flows to μ and ℓ through a deterministic path.

Tipping & Bishop's probabilistic PCA is the linear-Gaussian case, and Lucas et al. (2019)
show that the linear VAE's optimum *is* pPCA's maximum-likelihood solution, with an ELBO
equal to the log-likelihood there: :class:`LinearVAE` is that model, held against
``tinygrad_ae.pca.PPCA``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_ae.autograd.tensor import ArrayLike, Tensor, no_grad
from tinygrad_ae.nn import Linear, Module, RngLike, resolve_rng

__all__ = ["VAE", "LinearVAE", "gaussian_kl", "LIKELIHOODS"]

LIKELIHOODS = ("gaussian", "bernoulli")
"""The decoder distributions :class:`VAE` offers."""

_LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(μ, diag e^ℓ) ‖ N(0, I)) = ½ Σ_j (μ_j² + e^{ℓ_j} − 1 − ℓ_j) for each row,
    shape (n_samples,).

    >>> float(gaussian_kl(Tensor([[0.0, 0.0]]), Tensor([[0.0, 0.0]]))[0])  # q = prior
    0.0
    >>> float(gaussian_kl(Tensor([[1.0]]), Tensor([[0.0]]))[0])
    0.5
    """
    return (mean * mean + log_var.exp() - 1 - log_var).sum(axis=1) * 0.5


def _gaussian_log_density(x: Tensor, mean: Tensor, log_var: Tensor | float,
                          squared: Tensor | None = None) -> Tensor:
    """log N(x; mean, e^ℓ I) for each row: −½ (‖x − mean‖²/e^ℓ + m·ℓ + m·log 2π), with
    ``squared`` replacing ‖x − mean‖² when given (an expectation of it)."""
    m = x.shape[1]
    if squared is None:
        squared = ((x - mean) * (x - mean)).sum(axis=1)
    if isinstance(log_var, Tensor):
        return (squared * (-log_var).exp() + log_var * m + m * _LOG_2PI) * -0.5
    # A fixed variance stays a Python number, so float32 data stays float32.
    return (squared * math.exp(-log_var) + (m * log_var + m * _LOG_2PI)) * -0.5


def _softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^{−|x|})."""
    return x.relu() + ((-x.abs()).exp() + 1).log()


class VAE(Module):
    """A variational autoencoder with a Gaussian encoder and a Gaussian or Bernoulli decoder.

    - ``encoder``: a Module mapping x (n_samples, n_features) to either one Tensor of
      2·n_components columns (the first half μ, the second half ℓ = log σ²_q) or a pair
      (μ, ℓ);
    - ``decoder``: a Module mapping z (n_samples, n_components) to the decoder's mean
      (``likelihood="gaussian"``) or to logits (``"bernoulli"``, for data in [0, 1]);
    - ``observation_variance``: the Gaussian decoder's σ²_x; a number fixes it, None learns
      it as the parameter ``log_var_x`` (one shared value);
    - ``seed``: seeds the generator of ε (reparameterization) and of :meth:`sample`;
    - ``dtype``: of the learned ``log_var_x`` (the encoder and decoder keep their own).

    ``forward(x)`` is the reconstruction at the code mean, D(μ(x)) (probabilities for a
    Bernoulli decoder), so reconstruction errors compare with other autoencoders';
    :meth:`loss` (= −ELBO averaged over samples) is what training minimises.

    >>> from tinygrad_ae.nn import Linear, Sequential, Tanh
    >>> vae = VAE(Sequential(Linear(4, 8, rng=0), Tanh(), Linear(8, 4, rng=1)),
    ...           Linear(2, 4, rng=2), n_components=2, seed=0)
    >>> x = Tensor(np.ones((5, 4)))
    >>> vae(x).shape, vae.sample(3).shape
    ((5, 4), (3, 4))
    >>> loss = vae.loss(x); loss.backward()
    >>> vae.decoder.weight.grad.shape
    (4, 2)
    """

    def __init__(self, encoder: Module, decoder: Module, n_components: int,
                 likelihood: str = "gaussian", observation_variance: float | None = 1.0,
                 seed: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"VAE: likelihood must be 'gaussian' or 'bernoulli', got "
                             f"{likelihood!r}")
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"VAE: n_components must be a positive integer, got "
                             f"{n_components!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.n_components = int(n_components)
        self.likelihood = likelihood
        self.generator = np.random.default_rng(seed)
        self.log_var_x: Tensor | None = None
        self._fixed_log_var_x = 0.0
        if likelihood == "gaussian":
            if observation_variance is None:
                self.log_var_x = Tensor(0.0, requires_grad=True, dtype=dtype)
            elif not observation_variance > 0:
                raise ValueError(f"VAE: observation_variance must be positive or None "
                                 f"(learned), got {observation_variance!r}")
            else:
                self._fixed_log_var_x = math.log(observation_variance)

    # --- the pieces of the graph ---------------------------------------------------------
    def encode(self, x: ArrayLike) -> tuple[Tensor, Tensor]:
        """The encoder's mean μ and log-variance ℓ, each (n_samples, n_components)."""
        out = self.encoder(x)
        if isinstance(out, tuple):
            mean, log_var = out
        else:
            k = self.n_components
            if out.ndim != 2 or out.shape[1] != 2 * k:
                raise ValueError(f"VAE: the encoder must return (n_samples, {2 * k}) columns "
                                 f"(μ then log-variance) or a pair (μ, log-variance); got "
                                 f"shape {out.shape}")
            mean, log_var = out[:, :k], out[:, k:]
        return mean, log_var

    def noise(self, shape: tuple[int, ...], dtype: Any = np.float64) -> Tensor:
        """ε ~ N(0, I) from the model's generator: a leaf named "ε" that needs no gradient."""
        return Tensor(self.generator.standard_normal(shape), dtype=dtype, name="ε")

    def reparameterize(self, mean: Tensor, log_var: Tensor) -> Tensor:
        """z = μ + e^{ℓ/2} ⊙ ε: a sample of q(z | x) that is differentiable in μ and ℓ."""
        return mean + (log_var * 0.5).exp() * self.noise(mean.shape, mean.dtype)

    def decode(self, z: ArrayLike) -> Tensor:
        """The decoder's mean for the code z: D(z), or sigmoid(D(z)) for a Bernoulli one."""
        out = self.decoder(z)
        return out.sigmoid() if self.likelihood == "bernoulli" else out

    def forward(self, x: ArrayLike) -> Tensor:
        """The reconstruction at the code mean, decode(μ(x))."""
        return self.decode(self.encode(x)[0])

    # --- the objective -------------------------------------------------------------------
    def observation_log_var(self) -> Tensor | float:
        """log σ²_x of the Gaussian decoder: the parameter when learned, else a number."""
        if self.log_var_x is not None:
            return self.log_var_x
        return self._fixed_log_var_x

    def log_likelihood(self, x: Tensor, decoded: Tensor) -> Tensor:
        """log p(x | z) for each row given the decoder's raw output (mean or logits)."""
        if self.likelihood == "bernoulli":
            return (x * decoded - _softplus(decoded)).sum(axis=1)
        return _gaussian_log_density(x, decoded, self.observation_log_var())

    def elbo_samples(self, x: ArrayLike) -> Tensor:
        """One-sample Monte Carlo ELBO of each row, shape (n_samples,): log p(x | z) − KL
        with z drawn by the reparameterization."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        mean, log_var = self.encode(x)
        z = self.reparameterize(mean, log_var)
        return self.log_likelihood(x, self.decoder(z)) - gaussian_kl(mean, log_var)

    def elbo(self, x: ArrayLike) -> Tensor:
        """The ELBO averaged over the rows of x (one ε per row): a one-number Tensor."""
        return self.elbo_samples(x).mean()

    def loss(self, x: ArrayLike) -> Tensor:
        """−ELBO averaged over the rows: what training minimises."""
        return -self.elbo(x)

    def sample(self, n: int) -> Tensor:
        """n new samples' decoder means (probabilities for Bernoulli): decode(z), z ~ N(0, I).

        Drawn without recording a graph; shape (n, n_features).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"VAE.sample: n must be a positive integer, got {n!r}")
        params = self.parameters()
        dtype = params[0].dtype if params else np.float64
        with no_grad():
            return self.decode(self.noise((int(n), self.n_components), dtype))

    def extra_repr(self) -> str:
        return f"n_components={self.n_components}, likelihood={self.likelihood!r}"


class _LinearGaussianEncoder(Module):
    """μ = W_e x + b_e and a log-variance ℓ (one learned value per component, shared by all
    samples), as in Lucas et al.'s linear VAE."""

    def __init__(self, n_features: int, n_components: int, dtype: Any,
                 generator: np.random.Generator) -> None:
        super().__init__()
        self.mean = Linear(n_features, n_components, dtype=dtype, rng=generator)
        self.log_var = Tensor(np.zeros(n_components), requires_grad=True, dtype=dtype)

    def forward(self, x: ArrayLike) -> tuple[Tensor, Tensor]:
        mean = self.mean(x)
        return mean, self.log_var.reshape(1, -1).broadcast_to(mean.shape)


class LinearVAE(VAE):
    """The linear VAE: p(x | z) = N(W_d z + b_d, σ² I), q(z | x) = N(W_e x + b_e, diag s),
    with σ² (``log_var_x``) and s (``encoder.log_var``) learned.

    Its marginal p(x) = N(b_d, W_d W_dᵀ + σ² I) is probabilistic PCA; at the optimum
    (Lucas et al. 2019) W_d = U_k (Λ_k − σ² I)^{1/2} R, σ² = the mean discarded
    eigenvalue, and the ELBO equals the log-likelihood. :meth:`exact_elbo` computes the
    expectation in closed form and :meth:`log_marginal` the exact log p(x), so both compare
    with ``PPCA.score``.

    >>> model = LinearVAE(n_features=5, n_components=2, seed=0)
    >>> [name for name, _ in model.named_parameters()]
    ['encoder.mean.weight', 'encoder.mean.bias', 'encoder.log_var', 'decoder.weight', \
'decoder.bias', 'log_var_x']
    >>> x = np.random.default_rng(0).standard_normal((50, 5))
    >>> bool(model.exact_elbo(x).item() <= model.log_marginal(x).mean())  # a lower bound
    True
    """

    encoder: _LinearGaussianEncoder
    decoder: Linear

    def __init__(self, n_features: int, n_components: int, dtype: Any = np.float64,
                 rng: RngLike = None, seed: int | None = None) -> None:
        for label, size in (("n_features", n_features), ("n_components", n_components)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"LinearVAE: {label} must be a positive integer, got {size!r}")
        generator = resolve_rng(rng if rng is not None else seed)
        super().__init__(_LinearGaussianEncoder(n_features, n_components, dtype, generator),
                         Linear(n_components, n_features, dtype=dtype, rng=generator),
                         n_components, likelihood="gaussian", observation_variance=None,
                         seed=seed, dtype=dtype)
        self.n_features = int(n_features)

    @property
    def W_d(self) -> Tensor:
        """The decoder weight, shape (n_features, n_components)."""
        return self.decoder.weight

    @property
    def noise_variance(self) -> float:
        """σ² = exp(log_var_x), the learned observation variance (pPCA's noise_variance_)."""
        assert self.log_var_x is not None  # NOTE: always learned in a LinearVAE
        return float(np.exp(self.log_var_x.data))

    def exact_elbo(self, x: ArrayLike) -> Tensor:
        """The ELBO with E_q computed in closed form (no sampling), averaged over the rows:
        E_q‖x − W z − b‖² = ‖x − W μ − b‖² + Σ_j s_j ‖W_{:,j}‖²."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        mean, log_var = self.encode(x)
        residual = x - self.decoder(mean)
        spread = (log_var.exp() * (self.W_d * self.W_d).sum(axis=0)).sum(axis=1)
        squared = (residual * residual).sum(axis=1) + spread
        expected = _gaussian_log_density(x, residual, self.observation_log_var(), squared)
        return (expected - gaussian_kl(mean, log_var)).mean()

    def log_marginal(self, x: ArrayLike) -> np.ndarray:
        """The exact log p(x) of each row under the decoder's model N(b_d, W Wᵀ + σ² I)
        (numpy, no graph), shape (n_samples,): comparable with ``PPCA.score_samples``."""
        data = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        W = self.W_d.data.astype(np.float64)
        centred = data - self.decoder.bias.data  # type: ignore[union-attr]
        covariance = W @ W.T + self.noise_variance * np.eye(self.n_features)
        sign, log_det = np.linalg.slogdet(covariance)
        solved = np.linalg.solve(covariance, centred.T).T
        return -0.5 * (self.n_features * _LOG_2PI + log_det + (centred * solved).sum(axis=1))
