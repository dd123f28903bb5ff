"""Every error of tinygrad_ae.theory.dynamics, word for word: the public function the user
called, the argument's name as in its signature (lr, eigenvalue, pi0, W_e, ...), the value or
shape received and the range that is allowed.

tests/studies/test_convergence.py checks the key words of a few; this table pins each whole
message, so one that names the wrong function or argument, or shows a number as numpy's repr
(np.float64(1.0) instead of 1.0), fails here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_ae.theory import dynamics as d

POSITIVE = "must be a positive finite number"
NON_EMPTY = "eigenvalues must be a non-empty 1-D list of variances ≥ 0, not all zero"
EYE3 = np.eye(3)
# Variance ½ along both axes: the 1-component PCA subspace is not unique.
TIED = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])

CASES = {
    "lr-str": (lambda: d.saxe_half_time("fast", 1.0, 0.1), TypeError,
               "saxe_half_time: lr must be a number, got str"),
    "lr-bool": (lambda: d.saxe_time(True, 1.0, 0.1, 0.5), TypeError,
                "saxe_time: lr must be a number, got bool"),
    "lr-zero": (lambda: d.saxe_half_time(0.0, 1.0, 0.1), ValueError,
                f"saxe_half_time: lr {POSITIVE}, got 0.0"),
    "eigenvalue-inf": (lambda: d.saxe_half_time(0.1, float("inf"), 0.1), ValueError,
                       f"saxe_half_time: eigenvalue {POSITIVE}, got inf"),
    "saxe-time-eigenvalue": (lambda: d.saxe_time(0.1, -1.0, 0.1, 0.5), ValueError,
                             f"saxe_time: eigenvalue {POSITIVE}, got -1.0"),
    "pi0-one": (lambda: d.saxe_half_time(0.1, 1.0, 1.0), ValueError,
                "saxe_half_time: pi0 is a mode strength and must lie strictly between 0 and 1, "
                "got 1.0"),
    "saxe-time-pi0": (lambda: d.saxe_time(0.1, 1.0, 0.0, 0.5), ValueError,
                      f"saxe_time: pi0 {POSITIVE}, got 0.0"),
    "pi-final-one": (lambda: d.saxe_time(0.1, 1.0, 0.1, 1.0), ValueError,
                     "saxe_time: pi_final is a mode strength and must lie strictly between 0 "
                     "and 1, got 1.0"),
    "momentum": (lambda: d.saxe_half_time(0.1, 1.0, 0.1, momentum=-0.1), ValueError,
                 "saxe_half_time: momentum must be in [0, 1), got -0.1"),
    "pi0-shapes": (lambda: d.effective_pi0(np.ones((1, 2)), np.ones((3, 1)), np.eye(2)),
                   ValueError, "effective_pi0: W_e must be (k, m) and W_d (m, k), got shapes "
                               "(1, 2) and (3, 1)"),
    "pi0-1d-encoder": (lambda: d.effective_pi0(np.ones(2), np.ones(2), np.eye(2)), ValueError,
                       "effective_pi0: W_e must be (k, m) and W_d (m, k), got shapes (2,) and "
                       "(2,)"),
    "pi0-too-many-modes": (lambda: d.effective_pi0(np.ones((1, 2)), np.ones((2, 1)), np.eye(2)),
                           ValueError, "effective_pi0: components must be (m, n_modes) = "
                                       "(2, 1..1), one principal direction per column, got "
                                       "shape (2, 2)"),
    "pi0-wrong-m": (lambda: d.effective_pi0(np.ones((1, 2)), np.ones((2, 1)), np.ones((3, 1))),
                    ValueError, "effective_pi0: components must be (m, n_modes) = (2, 1..1), "
                                "one principal direction per column, got shape (3, 1)"),
    "expected-mode-large": (lambda: d.expected_pi0(1e-3, 2, mode=3), ValueError,
                            "expected_pi0: mode must be from 1 to n_components = 2, got 3"),
    "expected-mode-zero": (lambda: d.expected_pi0(1e-3, 2, mode=0), ValueError,
                           "expected_pi0: mode must be from 1 to n_components = 2, got 0"),
    "expected-scale": (lambda: d.expected_pi0(-1.0, 2), ValueError,
                       f"expected_pi0: init_scale {POSITIVE}, got -1.0"),
    "curvature-order": (lambda: d.transverse_curvature(0.5, 1.0), ValueError,
                        "transverse_curvature: need λ_k ≥ λ_(k+1) ≥ 0, got 0.5 and 1.0"),
    "curvature-negative": (lambda: d.transverse_curvature(1.0, -0.5), ValueError,
                           "transverse_curvature: need λ_k ≥ λ_(k+1) ≥ 0, got 1.0 and -0.5"),
    "curvature-nan": (lambda: d.transverse_curvature(float("nan"), 0.5), ValueError,
                      "transverse_curvature: need λ_k ≥ λ_(k+1) ≥ 0, got nan and 0.5"),
    "curvature-inf": (lambda: d.transverse_curvature(1.0, float("inf")), ValueError,
                      "transverse_curvature: need λ_k ≥ λ_(k+1) ≥ 0, got 1.0 and inf"),
    "stable-2d": (lambda: d.max_stable_lr([[1.0]]), ValueError,
                  f"max_stable_lr: {NON_EMPTY}, got [[1.0]]"),
    "stable-empty": (lambda: d.max_stable_lr([]), ValueError,
                     f"max_stable_lr: {NON_EMPTY}, got []"),
    "stable-negative": (lambda: d.max_stable_lr([1.0, -0.1]), ValueError,
                        f"max_stable_lr: {NON_EMPTY}, got [1.0, -0.1]"),
    "stable-zero": (lambda: d.max_stable_lr([0.0, 0.0]), ValueError,
                    f"max_stable_lr: {NON_EMPTY}, got [0.0, 0.0]"),
    "stable-inf": (lambda: d.max_stable_lr([np.inf]), ValueError,
                   f"max_stable_lr: {NON_EMPTY}, got [inf]"),
    "stable-mean": (lambda: d.max_stable_lr([1.0, 0.5], mean=[1.0]), ValueError,
                    "max_stable_lr: mean must have shape (2,) like eigenvalues, got (1,)"),
    "stable-components": (lambda: d.max_stable_lr([1.0, 0.5], mean=[1.0, 0.0],
                                                  components=EYE3), ValueError,
                          "max_stable_lr: components must be (2, 2), the eigenvectors as "
                          "columns, got (3, 3)"),
    "spectrum-k-equal-m": (lambda: d.make_spectrum(3, 3, 2.0), ValueError,
                           "make_spectrum: need 1 ≤ n_components < n_features, got 3 and 3"),
    "spectrum-k-zero": (lambda: d.make_spectrum(3, 0, 2.0), ValueError,
                        "make_spectrum: need 1 ≤ n_components < n_features, got 0 and 3"),
    "spectrum-gap": (lambda: d.make_spectrum(3, 1, 0.5), ValueError,
                     "make_spectrum: gap must be a ratio ≥ 1, got 0.5"),
    "spectrum-top": (lambda: d.make_spectrum(3, 1, 2.0, top_ratio=0.9), ValueError,
                     "make_spectrum: top_ratio must be a ratio ≥ 1, got 0.9"),
    "spectrum-tail": (lambda: d.make_spectrum(3, 1, 2.0, tail_ratio=float("inf")), ValueError,
                      "make_spectrum: tail_ratio must be a ratio ≥ 1, got inf"),
    "steps-k": (lambda: d.predict_steps(0.1, [1.0, 0.5], 2, 1e-6), ValueError,
                "predict_steps: need 1 ≤ n_components < len(eigenvalues), got n_components=2 "
                "and 2 eigenvalues"),
    "steps-tied": (lambda: d.predict_steps(0.1, [0.5, 1.0, 1.0], 1, 1e-6), ValueError,
                   "predict_steps: need λ_k > λ_(k+1) > 0 for a unique PCA subspace, got "
                   "λ_k = 1.0 and λ_(k+1) = 1.0"),
    "steps-zero": (lambda: d.predict_steps(0.1, [1.0, 0.0], 1, 1e-6), ValueError,
                   "predict_steps: need λ_k > λ_(k+1) > 0 for a unique PCA subspace, got "
                   "λ_k = 1.0 and λ_(k+1) = 0.0"),
    "steps-lr": (lambda: d.predict_steps(float("nan"), [1.0, 0.5], 1, 1e-6), ValueError,
                 f"predict_steps: lr {POSITIVE}, got nan"),
    "steps-angle-tol": (lambda: d.predict_steps(0.1, [1.0, 0.5], 1, 1e-6, angle_tol=0),
                        ValueError, f"predict_steps: angle_tol {POSITIVE}, got 0"),
    "steps-pi0": (lambda: d.predict_steps(0.1, [1.0, 0.5], 1, 0.5 + 0.5), ValueError,
                  "predict_steps: pi0 is a mode strength and must lie strictly between 0 and "
                  "1, got 1.0"),
    "network-shapes": (lambda: d.predict_network(np.ones((1, 2)), np.ones((3, 1)), [1.0, 0.5],
                                                 np.eye(2), 0.1), ValueError,
                       "predict_network: need W_e (k, m), W_d (m, k) and components (m, m) "
                       "with m = 2 eigenvalues, got (1, 2), (3, 1) and (2, 2)"),
    "network-components": (lambda: d.predict_network(np.ones((1, 2)), np.ones((2, 1)),
                                                     [1.0, 0.5], EYE3, 0.1), ValueError,
                           "predict_network: need W_e (k, m), W_d (m, k) and components (m, m) "
                           "with m = 2 eigenvalues, got (1, 2), (2, 1) and (3, 3)"),
    "network-lr": (lambda: d.predict_network(np.ones((1, 2)), np.ones((2, 1)), [1.0, 0.5],
                                             np.eye(2), 0.0), ValueError,
                   f"predict_network: lr {POSITIVE}, got 0.0"),
    "network-angle-tol": (lambda: d.predict_network(np.ones((1, 2)), np.ones((2, 1)),
                                                    [1.0, 0.5], np.eye(2), 0.1, angle_tol=-1),
                          ValueError, f"predict_network: angle_tol {POSITIVE}, got -1"),
    "network-loss-rtol": (lambda: d.predict_network(np.ones((1, 2)), np.ones((2, 1)),
                                                    [1.0, 0.5], np.eye(2), 0.1, loss_rtol=-1),
                          ValueError, f"predict_network: loss_rtol {POSITIVE}, got -1"),
    "network-tied": (lambda: d.predict_network(np.ones((1, 2)), np.ones((2, 1)), [1.0, 1.0],
                                               np.eye(2), 0.1), ValueError,
                     "predict_network: need λ_k > λ_(k+1) > 0 for a unique PCA subspace, got "
                     "λ_k = 1.0 and λ_(k+1) = 1.0"),
    "floor-1d": (lambda: d.sgd_noise_floor(np.ones(3), 1, 0.1, 2), ValueError,
                 "sgd_noise_floor: X must be (n_samples, n_features) with at least 2 samples, "
                 "got shape (3,)"),
    "floor-one-sample": (lambda: d.sgd_noise_floor(np.ones((1, 3)), 1, 0.1, 1), ValueError,
                         "sgd_noise_floor: X must be (n_samples, n_features) with at least 2 "
                         "samples, got shape (1, 3)"),
    "floor-batch": (lambda: d.sgd_noise_floor(EYE3, 1, 0.1, 4), ValueError,
                    "sgd_noise_floor: batch_size must be from 1 to n_samples = 3, got 4"),
    "floor-batch-zero": (lambda: d.sgd_noise_floor(EYE3, 1, 0.1, 0), ValueError,
                         "sgd_noise_floor: batch_size must be from 1 to n_samples = 3, got 0"),
    "floor-batch-bool": (lambda: d.sgd_noise_floor(EYE3, 1, 0.1, True), ValueError,
                         "sgd_noise_floor: batch_size must be from 1 to n_samples = 3, got True"),
    "floor-lr": (lambda: d.sgd_noise_floor(EYE3, 1, -0.1, 2), ValueError,
                 f"sgd_noise_floor: lr {POSITIVE}, got -0.1"),
    "floor-balance": (lambda: d.sgd_noise_floor(EYE3, 1, 0.1, 2, balance=0), ValueError,
                      f"sgd_noise_floor: balance {POSITIVE}, got 0"),
    # The eigenvalues come from an SVD, ½ up to rounding: a pattern, not the exact digits.
    "floor-tied": (lambda: d.sgd_noise_floor(TIED, 1, 0.1, 2), ValueError,
                   re.compile(r"^sgd_noise_floor: need λ_k > λ_\(k\+1\) > 0 for a unique PCA "
                              r"subspace, got λ_k = 0\.5\d* and λ_\(k\+1\) = 0\.5\d*$")),
}


@pytest.mark.parametrize(("call", "error", "message"), CASES.values(), ids=CASES.keys())
def test_each_error_message_names_the_function_the_argument_and_the_range(call, error, message):
    pattern = message if isinstance(message, re.Pattern) else f"^{re.escape(message)}$"
    with pytest.raises(error, match=pattern):
        call()
