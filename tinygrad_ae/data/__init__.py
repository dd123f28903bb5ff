"""Synthetic data, file loaders and minibatches (layer: data, numpy only).

This module imports numpy and the standard library and nothing else of ours, so the data behind
a test never depends on the engine under test. scikit-learn is imported lazily, inside
:func:`digits` only.

Conventions, as in docs/theory.md#conventions: a data matrix ``X`` has shape ``(n_samples,
n_features)``; the covariance is the population one, ``Σ = (1/N) Σ_i (x_i − μ)(x_i − μ)^T``; a
matrix of *directions* (``components``) holds one unit vector per **column**, ordered like the
eigenvalues that go with it (``pca.PCA.components_`` follows scikit-learn and holds them in rows
instead).

Generators:

- :func:`with_spectrum`: data whose 1/N covariance is exactly ``Q diag(λ) Q^T``
  (docs/theory.md#data-with-an-exact-spectrum).
- :func:`correlated_2d`: the seed paper's 2-D setting, a tilted Gaussian cloud.
- :func:`spiked_covariance`: a few strong directions under isotropic noise (thousands of features).
- :func:`manifold_data`: points near a curved low-dimensional manifold, where PCA falls short.
- :func:`digits`: scikit-learn's bundled 8×8 digits, scaled to [0, 1].

Files and batches: :func:`load_array` (``.npy`` memory-mapped, ``.npz``, ``.csv``; every problem
raises :class:`DataError` naming the file, and for CSV the line and column) and
:func:`minibatches` (reads only one batch of rows at a time, so ``X`` may live on disk).

Every ``seed`` argument accepts ``None``, an ``int`` or a ``np.random.Generator``.
"""

from __future__ import annotations

from ._common import (  # noqa: F401
    DataError,
    DataFileNotFound,
    SeedLike,
    SupportsRows,
    as_float_array,
)
from .loading import (  # noqa: F401
    load_array,
    minibatches,
)
from .synthetic import (  # noqa: F401
    correlated_2d,
    correlated_2d_directions,
    digits,
    manifold_data,
    spiked_covariance,
    with_spectrum,
)

__all__ = [
    'DataError', 'DataFileNotFound', 'SeedLike', 'SupportsRows', 'as_float_array',
    'correlated_2d', 'correlated_2d_directions', 'digits', 'load_array', 'manifold_data',
    'minibatches', 'spiked_covariance', 'with_spectrum',
]
