"""Float32 in, float32 out (docs/STYLE: dtypes follow the inputs) for the spectrum and the PCA
autoencoder's parameters; integers are read as float64."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.pca import covariance_spectrum, pca_autoencoder_params

X = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-2.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


@pytest.mark.parametrize(("dtype", "expected"), [(np.float32, np.float32),
                                                 (np.float64, np.float64),
                                                 (np.int64, np.float64)])
def test_the_spectrum_and_parameters_keep_a_floating_dtype(dtype, expected):
    data = (X * 2).astype(dtype)
    values, vectors = covariance_spectrum(data)
    assert values.dtype == expected and vectors.dtype == expected
    params = pca_autoencoder_params(data, 1)
    assert {name: array.dtype for name, array in params.items()} == dict.fromkeys(
        ("W_e", "b_e", "W_d", "b_d"), np.dtype(expected))
