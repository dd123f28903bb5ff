"""Every error of tinygrad_ae.theory.pca, word for word: it starts with the public function or
method the user called (never a helper's name), names the argument as the user wrote it (X, Z,
k, n_components, A, B) and their shapes, and says what to do.

test_pca.py checks the key words of the common mistakes; this table pins each whole message,
so a message that names the wrong caller or argument, or loses its advice, fails here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae.pca import (
    PCA,
    PPCA,
    NotFittedError,
    covariance_spectrum,
    min_reconstruction_loss,
    pca_autoencoder_params,
    principal_angles,
)

X_4x3 = np.arange(12.0).reshape(4, 3) ** 1.5
# Two features, one of them constant: a 1-component PPCA explains everything (σ² = 0).
ON_A_LINE = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])


def _fitted_pca() -> PCA:
    return PCA(1).fit(X_4x3)


def _fitted_ppca() -> PPCA:
    return PPCA(1).fit(X_4x3)


NOT_FITTED = "this PCA is not fitted yet; call fit(X) first"
PPCA_NOT_FITTED = "this PPCA is not fitted yet; call fit(X) first"

CASES = {
    # --- the shared input checks, each under the name of the function the user called ----------
    "fit-complex": (lambda: PCA(1).fit(np.ones((3, 2), dtype=complex)), ValueError,
                    "PCA.fit: X must be an array of real numbers, got dtype complex128"),
    "fit-1d": (lambda: PCA(1).fit([1.0, 2.0, 3.0]), ValueError,
               "PCA.fit: X must be 2-D with shape (n_samples, n_features), got shape (3,); "
               "for a single feature use X.reshape(-1, 1)"),
    "fit-empty": (lambda: PCA(1).fit(np.zeros((0, 3))), ValueError,
                  "PCA.fit: X is empty (shape (0, 3)); pass at least one sample and one feature"),
    "fit-nan": (lambda: PCA(1).fit([[1.0, 2.0], [3.0, np.nan]]), ValueError,
                "PCA.fit: X contains NaN or infinity (first at row 1, column 1); remove or "
                "impute those entries first"),
    "fit-one-sample": (lambda: PCA(1).fit([[1.0, 2.0]]), ValueError,
                       "PCA.fit: need at least 2 samples to estimate a variance, got 1"),
    "fit-too-many": (lambda: PCA(4).fit(X_4x3), ValueError,
                     "PCA.fit: n_components=4 is out of range for X with 4 samples and 3 "
                     "features; choose an integer from 1 to 3 = min(n_samples, n_features)"),
    "pca-bool": (lambda: PCA(True), TypeError,
                 "PCA: n_components must be an integer, got True (bool)"),
    "pca-zero": (lambda: PCA(0), ValueError, "PCA: n_components must be at least 1, got 0"),
    # --- transform and inverse_transform -------------------------------------------------------
    "transform-unfitted": (lambda: PCA(1).transform(X_4x3), NotFittedError,
                           f"PCA.transform: {NOT_FITTED}"),
    "transform-1d": (lambda: _fitted_pca().transform([1.0, 2.0, 3.0]), ValueError,
                     "PCA.transform: X must be 2-D with shape (n_samples, n_features), got "
                     "shape (3,); for a single feature use X.reshape(-1, 1)"),
    "transform-features": (lambda: _fitted_pca().transform(X_4x3[:, :2]), ValueError,
                           "PCA.transform: X has 2 features, but this PCA was fitted on 3; pass "
                           "data with the same columns as in fit"),
    "inverse-unfitted": (lambda: PCA(1).inverse_transform([[1.0]]), NotFittedError,
                         f"PCA.inverse_transform: {NOT_FITTED}"),
    "inverse-1d": (lambda: _fitted_pca().inverse_transform([1.0]), ValueError,
                   "PCA.inverse_transform: Z must be 2-D with shape (n_samples, n_features), "
                   "got shape (1,); for a single feature use Z.reshape(-1, 1)"),
    "inverse-columns": (lambda: _fitted_pca().inverse_transform(X_4x3), ValueError,
                        "PCA.inverse_transform: Z has 3 columns, but this PCA has 1 components; "
                        "pass the output of transform"),
    # --- the functions --------------------------------------------------------------------------
    "spectrum-1d": (lambda: covariance_spectrum([1.0, 2.0]), ValueError,
                    "covariance_spectrum: X must be 2-D with shape (n_samples, n_features), got "
                    "shape (2,); for a single feature use X.reshape(-1, 1)"),
    "bound-1d": (lambda: min_reconstruction_loss([1.0, 2.0], 1), ValueError,
                 "min_reconstruction_loss: X must be 2-D with shape (n_samples, n_features), "
                 "got shape (2,); for a single feature use X.reshape(-1, 1)"),
    "bound-k-float": (lambda: min_reconstruction_loss(X_4x3, 1.0), TypeError,
                      "min_reconstruction_loss: k must be an integer, got 1.0 (float)"),
    "bound-k-negative": (lambda: min_reconstruction_loss(X_4x3, -1), ValueError,
                         "min_reconstruction_loss: k must be at least 0, got -1"),
    "bound-k-large": (lambda: min_reconstruction_loss(X_4x3, 4), ValueError,
                      "min_reconstruction_loss: k=4 is out of range for X with 3 features; "
                      "choose an integer from 0 to 3"),
    "params-1d": (lambda: pca_autoencoder_params([1.0, 2.0], 1), ValueError,
                  "pca_autoencoder_params: X must be 2-D with shape (n_samples, n_features), "
                  "got shape (2,); for a single feature use X.reshape(-1, 1)"),
    "params-k-zero": (lambda: pca_autoencoder_params(X_4x3, 0), ValueError,
                      "pca_autoencoder_params: k must be at least 1, got 0"),
    "params-k-large": (lambda: pca_autoencoder_params(X_4x3, 4), ValueError,
                       "pca_autoencoder_params: k=4 is out of range for X with 3 features; "
                       "choose an integer from 1 to 3"),
    # Bases of 1 and 2 columns: the message must count rows, not columns.
    "angles-rows": (lambda: principal_angles(np.eye(3)[:, :1], np.eye(4)[:, :2]), ValueError,
                    "principal_angles: A and B must have the same number of rows (the ambient "
                    "dimension m), got A with 3 and B with 4"),
    "angles-zero-a": (lambda: principal_angles(np.zeros((3, 2)), np.eye(3)), ValueError,
                      "principal_angles: A (shape (3, 2)) has only zero columns; its column "
                      "space is {0} and has no angles"),
    "angles-zero-b": (lambda: principal_angles(np.eye(3), np.zeros(3)), ValueError,
                      "principal_angles: B (shape (3, 1)) has only zero columns; its column "
                      "space is {0} and has no angles"),
    "angles-nan-b": (lambda: principal_angles(np.eye(3), [0.0, np.inf, 0.0]), ValueError,
                     "principal_angles: B contains NaN or infinity (first at row 1, column 0); "
                     "remove or impute those entries first"),
    "angles-3d-a": (lambda: principal_angles(np.ones((2, 2, 2)), np.eye(2)), ValueError,
                    "principal_angles: A must be 2-D with shape (n_samples, n_features), got "
                    "shape (2, 2, 2); for a single feature use A.reshape(-1, 1)"),
    # --- probabilistic PCA ----------------------------------------------------------------------
    "ppca-zero": (lambda: PPCA(0), ValueError, "PPCA: n_components must be at least 1, got 0"),
    "ppca-ddof": (lambda: PPCA(1, ddof=2), ValueError,
                  "PPCA: ddof must be 0 (maximum likelihood) or 1 (scikit-learn's PCA), got 2"),
    "ppca-fit-1d": (lambda: PPCA(1).fit([1.0, 2.0]), ValueError,
                    "PPCA.fit: X must be 2-D with shape (n_samples, n_features), got shape (2,); "
                    "for a single feature use X.reshape(-1, 1)"),
    "ppca-fit-k": (lambda: PPCA(3).fit(X_4x3), ValueError,
                   "PPCA.fit: n_components=3 must be smaller than the 3 features, so that at "
                   "least one direction is left to estimate the noise variance"),
    "ppca-fit-one-sample": (lambda: PPCA(1).fit([[1.0, 2.0, 3.0]]), ValueError,
                            "PPCA.fit: need at least 2 samples, got 1"),
    "ppca-fit-one-sample-ddof0": (lambda: PPCA(1, ddof=0).fit([[1.0, 2.0, 3.0]]), ValueError,
                                  "PPCA.fit: need at least 2 samples, got 1"),
    "ppca-transform-unfitted": (lambda: PPCA(1).transform(X_4x3), NotFittedError,
                                f"PPCA.transform: {PPCA_NOT_FITTED}"),
    "ppca-transform-1d": (lambda: _fitted_ppca().transform([1.0, 2.0, 3.0]), ValueError,
                          "PPCA.transform: X must be 2-D with shape (n_samples, n_features), got "
                          "shape (3,); for a single feature use X.reshape(-1, 1)"),
    "ppca-transform-features": (lambda: _fitted_ppca().transform(X_4x3[:, :2]), ValueError,
                                "PPCA.transform: X has 2 features, but this PPCA was fitted on "
                                "3; pass data with the same columns as in fit"),
    "ppca-score-unfitted": (lambda: PPCA(1).score_samples(X_4x3), NotFittedError,
                            f"PPCA.score_samples: {PPCA_NOT_FITTED}"),
    "ppca-score-features": (lambda: _fitted_ppca().score_samples(X_4x3[:, :2]), ValueError,
                            "PPCA.score_samples: X has 2 features, but this PPCA was fitted on "
                            "3; pass data with the same columns as in fit"),
    "ppca-score-singular": (lambda: PPCA(1).fit(ON_A_LINE).score_samples(ON_A_LINE), ValueError,
                            "PPCA.score_samples: the fitted noise variance is 0 (the data lie in "
                            "a k-dimensional subspace), so the density is singular; fit fewer "
                            "components"),
    "ppca-inverse-unfitted": (lambda: PPCA(1).inverse_transform([[1.0]]), NotFittedError,
                              f"PPCA.inverse_transform: {PPCA_NOT_FITTED}"),
    "ppca-inverse-1d": (lambda: _fitted_ppca().inverse_transform([1.0]), ValueError,
                        "PPCA.inverse_transform: Z must be 2-D with shape (n_samples, "
                        "n_features), got shape (1,); for a single feature use "
                        "Z.reshape(-1, 1)"),
    "ppca-inverse-columns": (lambda: _fitted_ppca().inverse_transform(X_4x3), ValueError,
                             "PPCA.inverse_transform: Z has 3 columns, but this PPCA has 1 "
                             "components"),
    "ppca-covariance-unfitted": (lambda: PPCA(1).get_covariance(), NotFittedError,
                                 f"PPCA.get_covariance: {PPCA_NOT_FITTED}"),
}


@pytest.mark.parametrize(("call", "error", "message"), CASES.values(), ids=CASES.keys())
def test_each_error_message_names_the_callers_function_and_argument(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()
