"""Every error of tinygrad_ae.theory.uncentred, word for word, and the edges of what each
check lets through.

Each message names the public function the user called (``_spectrum_and_mean`` and
``_check_positive`` are shared, so a message naming the wrong caller is easy to make), the
argument as in its signature, the value or shape received and the range allowed. The
companion tests below the table pin the other side of each check: the smallest input it
accepts (two eigenvalues, a zero variance, tied eigenvalues outside the kept pair, a mean
given as None), so a check made one step too strict fails too.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.theory import uncentred as u

POSITIVE = "must be a positive finite number"
FRACTION = "is a mode strength and must lie strictly between 0 and 1"
EYE2 = np.eye(2)
LAM = [1.0, 0.25]
ZERO = [0.0, 0.0]


def _params() -> dict[str, np.ndarray]:
    return u.reached_minimum(LAM, ZERO, 1)


def _spectrum(caller: str) -> str:
    return (f"{caller}: eigenvalues must be a 1-D list of at least 2 variances ≥ 0, got ")


def _order(caller: str, values: str) -> str:
    return (f"{caller}: eigenvalues must be in descending order (λ_1 ≥ λ_2 ≥ …), got {values}; "
            f"sort them and the mean's coordinates together")


def _mean(caller: str, shape: str, got: str) -> str:
    return (f"{caller}: mean must be finite with shape {shape}, one coordinate per eigenvector "
            f"(μ_j = u_jᵀ μ), got shape {got}")


def _unique(caller: str, m: int, k: object, lam: str) -> str:
    return (f"{caller}: need 1 ≤ n_components < {m} and λ_k > λ_(k+1) > 0 for a unique PCA "
            f"subspace, got k = {k} with λ = {lam}")


NETWORK = ("predict_uncentred_network: need W_e (k, m), W_d (m, k) and components (m, m) with "
           "m = 2 eigenvalues, got ")

CASES = {
    # _spectrum_and_mean, once per public caller (each passes its own name)
    "moment-2d": (lambda: u.augmented_moment([[1.0, 0.5]], None), _spectrum("augmented_moment")
                  + "[[1.0, 0.5]]"),
    "moment-one": (lambda: u.augmented_moment([1.0], [0.0]), _spectrum("augmented_moment")
                   + "[1.0]"),
    "moment-negative": (lambda: u.augmented_moment([1.0, -0.5], ZERO),
                        _spectrum("augmented_moment") + "[1.0, -0.5]"),
    "moment-nan": (lambda: u.augmented_moment([1.0, float("nan")], ZERO),
                   _spectrum("augmented_moment") + "[1.0, nan]"),
    "moment-order": (lambda: u.augmented_moment([0.25, 1.0], ZERO),
                     _order("augmented_moment", "[0.25, 1.0]")),
    # integers given are shown as the float variances they are read as
    "moment-order-int": (lambda: u.augmented_moment([1, 4], [0, 0]),
                         _order("augmented_moment", "[1.0, 4.0]")),
    "moment-mean-shape": (lambda: u.augmented_moment(LAM, [1.0]),
                          _mean("augmented_moment", "(2,)", "(1,)")),
    "moment-mean-inf": (lambda: u.augmented_moment(LAM, [1.0, np.inf]),
                        _mean("augmented_moment", "(2,)", "(2,)")),
    "minimum-order": (lambda: u.reached_minimum([0.5, 1.0], ZERO, 1),
                      _order("reached_minimum", "[0.5, 1.0]")),
    "minimum-k-zero": (lambda: u.reached_minimum(LAM, ZERO, 0),
                       _unique("reached_minimum", 2, 0, "[1.0, 0.25]")),
    "minimum-k-m": (lambda: u.reached_minimum(LAM, ZERO, 2),
                    _unique("reached_minimum", 2, 2, "[1.0, 0.25]")),
    "minimum-tied": (lambda: u.reached_minimum([1.0, 1.0, 0.5], [0.0] * 3, 1),
                     _unique("reached_minimum", 3, 1, "[1.0, 1.0, 0.5]")),
    "minimum-zero-tail": (lambda: u.reached_minimum([1.0, 0.0], ZERO, 1),
                          _unique("reached_minimum", 2, 1, "[1.0, 0.0]")),
    "minimum-bias-shape": (lambda: u.reached_minimum(LAM, ZERO, 1, encoder_bias=[0.0, 0.0]),
                           "reached_minimum: encoder_bias and scales need 1 entries each "
                           "(scales non-zero), got shapes (2,) and (1,)"),
    "minimum-scales-shape": (lambda: u.reached_minimum(LAM, ZERO, 1, scales=[[1.0]]),
                             "reached_minimum: encoder_bias and scales need 1 entries each "
                             "(scales non-zero), got shapes (1,) and (1, 1)"),
    "minimum-scale-zero": (lambda: u.reached_minimum(LAM, ZERO, 1, scales=[0.0]),
                           "reached_minimum: encoder_bias and scales need 1 entries each "
                           "(scales non-zero), got shapes (1,) and (1,)"),
    "loss-order": (lambda: u.moment_loss(_params(), [0.25, 1.0], ZERO),
                   _order("moment_loss", "[0.25, 1.0]")),
    "gradients-mean": (lambda: u.moment_gradients(_params(), LAM, [0.0]),
                       _mean("moment_gradients", "(2,)", "(1,)")),
    "hessian-spectrum": (lambda: u.loss_hessian(_params(), [1.0], [0.0]),
                         _spectrum("loss_hessian") + "[1.0]"),
    "tail-lr": (lambda: u.tail_contraction(0.0, LAM, ZERO, 1),
                f"tail_contraction: lr {POSITIVE}, got 0.0"),
    "tail-k": (lambda: u.tail_contraction(0.1, LAM, ZERO, 2),
               _unique("tail_contraction", 2, 2, "[1.0, 0.25]")),
    # mean_mode_map
    "mode-lr": (lambda: u.mean_mode_map(-0.1, 1.0, 0.0, 1e-6),
                f"mean_mode_map: lr {POSITIVE}, got -0.1"),
    "mode-eigenvalue": (lambda: u.mean_mode_map(0.1, 0.0, 0.0, 1e-6),
                        f"mean_mode_map: eigenvalue {POSITIVE}, got 0.0"),
    "mode-pi0": (lambda: u.mean_mode_map(0.1, 1.0, 0.0, 1.0),
                 f"mean_mode_map: pi0 {FRACTION}, got 1.0"),
    "mode-mean-nan": (lambda: u.mean_mode_map(0.1, 1.0, float("nan"), 1e-6),
                      "mean_mode_map: mean_component must be finite, got nan"),
    "mode-mean-inf": (lambda: u.mean_mode_map(0.1, 1.0, -np.inf, 1e-6),
                      "mean_mode_map: mean_component must be finite, got -inf"),
    # predict_uncentred
    "predict-order": (lambda: u.predict_uncentred(0.1, [0.25, 1.0], ZERO, 1, 1e-6),
                      _order("predict_uncentred", "[0.25, 1.0]")),
    "predict-k": (lambda: u.predict_uncentred(0.1, LAM, ZERO, 0, 1e-6),
                  _unique("predict_uncentred", 2, 0, "[1.0, 0.25]")),
    "predict-pi0": (lambda: u.predict_uncentred(0.1, LAM, ZERO, 1, 0.0),
                    f"predict_uncentred: pi0 {POSITIVE}, got 0.0"),
    "predict-lr": (lambda: u.predict_uncentred(0.0, LAM, ZERO, 1, 1e-6),
                   f"predict_uncentred: lr {POSITIVE}, got 0.0"),
    "predict-angle-tol": (lambda: u.predict_uncentred(0.1, LAM, ZERO, 1, 1e-6, angle_tol=-1.0),
                          f"predict_uncentred: angle_tol {POSITIVE}, got -1.0"),
    "predict-loss-rtol": (lambda: u.predict_uncentred(0.1, LAM, ZERO, 1, 1e-6, loss_rtol=0.0),
                          f"predict_uncentred: loss_rtol {POSITIVE}, got 0.0"),
    # predict_uncentred_network
    "network-1d-encoder": (lambda: u.predict_uncentred_network(
        np.ones(2), np.ones((2, 1)), LAM, EYE2, ZERO, 0.1), NETWORK + "(2,), (2, 1) and (2, 2)"),
    "network-decoder": (lambda: u.predict_uncentred_network(
        np.ones((1, 2)), np.ones((2, 2)), LAM, EYE2, ZERO, 0.1),
        NETWORK + "(1, 2), (2, 2) and (2, 2)"),
    "network-components": (lambda: u.predict_uncentred_network(
        np.ones((1, 2)), np.ones((2, 1)), LAM, np.eye(3), ZERO, 0.1),
        NETWORK + "(1, 2), (2, 1) and (3, 3)"),
    "network-m": (lambda: u.predict_uncentred_network(
        np.ones((1, 3)), np.ones((3, 1)), LAM, EYE2, ZERO, 0.1),
        NETWORK + "(1, 3), (3, 1) and (2, 2)"),
    "network-mean": (lambda: u.predict_uncentred_network(
        [[1e-3, 0.0]], [[1e-3], [0.0]], LAM, EYE2, [0.0, 0.0, 0.0], 0.1),
        "predict_uncentred_network: mean must have shape (2,), got (3,)"),
    "network-tied": (lambda: u.predict_uncentred_network(
        [[1e-3, 0.0]], [[1e-3], [0.0]], [1.0, 1.0], EYE2, ZERO, 0.1),
        _unique("predict_uncentred_network", 2, 1, "[1.0, 1.0]")),
    "network-zero-start": (lambda: u.predict_uncentred_network(
        [[0.0, 1e-3]], [[0.0], [1e-3]], LAM, EYE2, ZERO, 0.1),
        "predict_uncentred_network: the prediction assumes a small start, every mode with "
        "0 < π0 < ½; these weights give π0 = [0.0]"),
    "network-large-start": (lambda: u.predict_uncentred_network(
        [[1.0, 0.0]], [[1.0], [0.0]], LAM, EYE2, ZERO, 0.1),
        "predict_uncentred_network: the prediction assumes a small start, every mode with "
        "0 < π0 < ½; these weights give π0 = [1.0]"),
    "network-lr": (lambda: u.predict_uncentred_network(
        [[1e-3, 0.0]], [[1e-3], [0.0]], LAM, EYE2, ZERO, 0.0),
        f"predict_uncentred_network: lr {POSITIVE}, got 0.0"),
    "network-angle-tol": (lambda: u.predict_uncentred_network(
        [[1e-3, 0.0]], [[1e-3], [0.0]], LAM, EYE2, ZERO, 0.1, angle_tol=0.0),
        f"predict_uncentred_network: angle_tol {POSITIVE}, got 0.0"),
    "network-loss-rtol": (lambda: u.predict_uncentred_network(
        [[1e-3, 0.0]], [[1e-3], [0.0]], LAM, EYE2, ZERO, 0.1, loss_rtol=-1e-6),
        f"predict_uncentred_network: loss_rtol {POSITIVE}, got -1e-06"),
}


@pytest.mark.parametrize(("call", "message"), CASES.values(), ids=CASES.keys())
def test_each_error_message_names_the_function_the_argument_and_the_range(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message


def test_the_smallest_inputs_each_check_lets_through():
    # two eigenvalues, one of them zero, and no mean: M̃ = [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
    np.testing.assert_array_equal(u.augmented_moment([1.0, 0.0], None),
                                  [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # tied eigenvalues are a valid spectrum; only the kept pair (k, k+1) must be apart
    np.testing.assert_array_equal(u.augmented_moment([1.0, 1.0], [2.0, 0.0]),
                                  [[5.0, 0.0, 2.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0]])
    params = u.reached_minimum([1.0, 0.5, 0.5], [0.0, 0.0, 0.0], 1)
    assert u.moment_loss(params, [1.0, 0.5, 0.5], [0.0, 0.0, 0.0]) == 1.0  # λ_2 + λ_3
    # k = m − 1 is the largest number of components
    params = u.reached_minimum([1.0, 0.5, 0.25], [1.0, 2.0, 3.0], 2)
    np.testing.assert_array_equal(params["b_d"], [0.0, 0.0, 3.0])
    # a π0 just below ½ is a small start; the mode has nothing left to grow but still settles
    mode = u.mean_mode_map(0.1, 1.0, 0.0, 0.499)
    assert mode.settled and mode.half_time == 1


def test_a_mode_starting_at_exactly_one_half_is_not_a_small_start():
    """π0 = ½ exactly (g_1 = (½, ½), a sum of two exact squares) is outside 0 < π0 < ½."""
    W_e = np.array([[0.5, 1e-3, 0.0], [0.5, -1e-3, 0.0]])
    W_d = np.array([[0.5, 0.5], [1e-3, -1e-3], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"small start, every mode with 0 < π0 < ½; these "
                                         r"weights give π0 = \[0\.5, 2(\.0\d*)?e-06\]$"):
        u.predict_uncentred_network(W_e, W_d, [1.0, 0.5, 0.25], np.eye(3), [0.0] * 3, 0.1)
