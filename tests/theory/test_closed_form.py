"""The hand-derived gradients of tinygrad_ae.closed_form against independent checks.

Independent means: float64 central differences of the numpy loss, exact identities that
follow from a symmetry of the loss (docs/theory.md#gauge-identities-and-balance), and the numbers of
docs/theory.md#where-the-paper-went-wrong.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tolerances import CLOSED_FORM_RTOL, FD_EPS

from tinygrad_ae.closed_form import (
    PARAM_NAMES,
    linear_ae_grads,
    linear_ae_loss,
    paper_loss,
    paper_partials,
    paper_printed_partials,
)

# --- tolerances (docs/theory.md#test-tolerances), each with its reason ----------------------------

# Central-difference step h = FD_EPS (tests/tolerances.py). L is a quadratic function of any
# single parameter (x̂ is linear in each one), so central differences have no truncation error
# here; only rounding is left, about eps·L/h ≈ 1e-10·L, which the bounds below keep under 1e-6.
FD_STEP = FD_EPS
# P2, stricter than the suite-wide FD tolerances: |g − g_fd| ≤ 1e-6 · max(1, |g|).
FD_RTOL = 1e-6
# P1: two exact formulas for the same gradient differ by rounding only, relative to the sum of
# the absolute values of the per-sample terms (a plain relative error fails when g ≈ 0).
EXACT_RTOL = CLOSED_FORM_RTOL
# P3: the gauge identities hold to rounding, relative to the size of their terms.
IDENTITY_RTOL = 1e-12
# P12: the printed formulas must miss the truth by more than this (observed median 1.5).
ERRATA_MIN_RELATIVE_ERROR = 1e-3

# Bounded draws keep L ≤ ~1e3, so FD rounding (≈ 1e-10·L) stays below FD_RTOL.
PARAM_BOUND = 1.5
DATA_BOUND = 3.0

# docs/theory.md#corrected-partials, Example 1: one sample, (w1, w2, b1, w3, w4, b2, b3) = (0.5,
# −0.2, 0.3, 0.8, −0.6, 0.2, −0.1).
EXAMPLE_1_PARAMS = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
EXAMPLE_1_X = np.array([[1.0, 2.0]])


def _bounded(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


paper_params = st.fixed_dictionaries({name: _bounded(PARAM_BOUND) for name in PARAM_NAMES})
paper_data = st.integers(1, 20).flatmap(
    lambda n_samples: hnp.arrays(np.float64, (n_samples, 2), elements=_bounded(DATA_BOUND))
)


@st.composite
def linear_ae_cases(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """(W_e, b_e, W_d, b_d, X) of a random shape: m ≤ 4 features, k ≤ 3 code units, N ≤ 10."""
    n_features = draw(st.integers(1, 4))
    n_components = draw(st.integers(1, 3))
    n_samples = draw(st.integers(1, 10))
    shapes = [
        (n_components, n_features),
        (n_components,),
        (n_features, n_components),
        (n_features,),
    ]
    params = [draw(hnp.arrays(np.float64, shape, elements=_bounded(1.0))) for shape in shapes]
    data = draw(hnp.arrays(np.float64, (n_samples, n_features), elements=_bounded(2.0)))
    return (*params, data)


def _matrices(params: dict[str, float]) -> tuple[np.ndarray, ...]:
    """2-1-2 as matrices: W_e = [w1 w2], b_e = [b1], W_d = [w3; w4], b_d = [b2; b3]."""
    return (
        np.array([[params["w1"], params["w2"]]]),
        np.array([params["b1"]]),
        np.array([[params["w3"]], [params["w4"]]]),
        np.array([params["b2"], params["b3"]]),
    )


def _absolute_grads(W_e, b_e, W_d, b_d, X) -> dict[str, np.ndarray]:
    """The gradient formulas with every factor replaced by its absolute value.

    Rounding in the true formulas is at most a small multiple of eps times these sums, so they
    are the right scale for a tolerance when the gradient itself is near 0 by cancellation.
    """
    X, W_e, b_e, W_d, b_d = (np.abs(a) for a in (X, W_e, b_e, W_d, b_d))
    code = X @ W_e.T + b_e
    residual = X + code @ W_d.T + b_d  # bounds |x − x̂| and the rounding made forming it
    grad_output = (2.0 / X.shape[0]) * residual
    grad_code = grad_output @ W_d
    return {
        "W_e": grad_code.T @ X,
        "b_e": grad_code.sum(axis=0),
        "W_d": grad_output.T @ code,
        "b_d": grad_output.sum(axis=0),
    }


def _paper_view(grads: dict[str, np.ndarray]) -> dict[str, float]:
    """Matrix-form gradients of the 2-1-2 network, renamed to w1 … b3."""
    return {
        "w1": grads["W_e"][0, 0],
        "w2": grads["W_e"][0, 1],
        "b1": grads["b_e"][0],
        "w3": grads["W_d"][0, 0],
        "w4": grads["W_d"][1, 0],
        "b2": grads["b_d"][0],
        "b3": grads["b_d"][1],
    }


def _central_difference(loss: Callable[[], float], array: np.ndarray, index: tuple) -> float:
    """(L(θ + h e) − L(θ − h e)) / 2h for one entry of `array`, restored afterwards."""
    original = array[index]
    array[index] = original + FD_STEP
    loss_plus = loss()
    array[index] = original - FD_STEP
    loss_minus = loss()
    array[index] = original
    return (loss_plus - loss_minus) / (2 * FD_STEP)


def _relative_error(printed: float, correct: float) -> float:
    return abs(printed - correct) / max(abs(printed), abs(correct), 1e-300)


# --- the closed forms against central differences (P2) ------------------------------------------


@given(params=paper_params, X=paper_data)
def test_paper_partials_match_central_differences(params, X):
    grads = paper_partials(params, X)
    assert list(grads) == list(PARAM_NAMES)
    values = np.array([params[name] for name in PARAM_NAMES])

    def loss() -> float:
        return paper_loss(dict(zip(PARAM_NAMES, values, strict=True)), X)

    for position, name in enumerate(PARAM_NAMES):
        numeric = _central_difference(loss, values, (position,))
        assert abs(grads[name] - numeric) <= FD_RTOL * max(1.0, abs(grads[name])), name


@given(case=linear_ae_cases())
def test_linear_ae_grads_match_central_differences(case):
    grads = linear_ae_grads(*case)
    names = ("W_e", "b_e", "W_d", "b_d")
    for name, param in zip(names, case[:4], strict=True):
        assert grads[name].shape == param.shape
        for index in np.ndindex(param.shape):
            numeric = _central_difference(lambda: linear_ae_loss(*case), param, index)
            analytic = grads[name][index]
            assert abs(analytic - numeric) <= FD_RTOL * max(1.0, abs(analytic)), (name, index)


# --- two exact forms agree (P1) and the gauge identities hold (P3) ------------------------------


@given(params=paper_params, X=paper_data)
def test_matrix_form_reproduces_paper_partials(params, X):
    matrices = _matrices(params)
    from_matrices = _paper_view(linear_ae_grads(*matrices, X))
    scale = _paper_view(_absolute_grads(*matrices, X))
    for name, value in paper_partials(params, X).items():
        assert abs(value - from_matrices[name]) <= EXACT_RTOL * (1 + scale[name]), name
    loss = paper_loss(params, X)
    assert abs(loss - linear_ae_loss(*matrices, X)) <= EXACT_RTOL * (1 + loss)


@given(params=paper_params, X=paper_data)
def test_paper_partials_satisfy_gauge_identities(params, X):
    g = paper_partials(params, X)
    scale = _paper_view(_absolute_grads(*_matrices(params), X))
    p = {name: abs(value) for name, value in params.items()}
    # ∂L/∂b1 = w3 ∂L/∂b2 + w4 ∂L/∂b3
    bias_gap = g["b1"] - (params["w3"] * g["b2"] + params["w4"] * g["b3"])
    bias_scale = scale["b1"] + p["w3"] * scale["b2"] + p["w4"] * scale["b3"]
    assert abs(bias_gap) <= IDENTITY_RTOL * (1 + bias_scale)
    # w1 ∂L/∂w1 + w2 ∂L/∂w2 + b1 ∂L/∂b1 = w3 ∂L/∂w3 + w4 ∂L/∂w4
    encoder = sum(params[name] * g[name] for name in ("w1", "w2", "b1"))
    decoder = sum(params[name] * g[name] for name in ("w3", "w4"))
    gauge_scale = sum(p[name] * scale[name] for name in ("w1", "w2", "b1", "w3", "w4"))
    assert abs(encoder - decoder) <= IDENTITY_RTOL * (1 + gauge_scale)


@given(case=linear_ae_cases())
def test_linear_ae_grads_satisfy_gauge_identities(case):
    W_e, b_e, W_d, b_d, _ = case
    g = linear_ae_grads(*case)
    s = _absolute_grads(*case)
    # ∂L/∂b_e = W_dᵀ ∂L/∂b_d
    bias_scale = s["b_e"] + np.abs(W_d).T @ s["b_d"]
    assert np.all(np.abs(g["b_e"] - W_d.T @ g["b_d"]) <= IDENTITY_RTOL * (1 + bias_scale))
    # (∂L/∂W_e) W_eᵀ + (∂L/∂b_e) b_eᵀ = W_dᵀ (∂L/∂W_d), a k × k identity
    left = g["W_e"] @ W_e.T + np.outer(g["b_e"], b_e)
    right = W_d.T @ g["W_d"]
    gauge_scale = (
        s["W_e"] @ np.abs(W_e).T + np.outer(s["b_e"], np.abs(b_e)) + np.abs(W_d).T @ s["W_d"]
    )
    assert np.all(np.abs(left - right) <= IDENTITY_RTOL * (1 + gauge_scale))


def test_linear_ae_grads_follow_input_dtype():
    case = [np.asarray(a, dtype=np.float32) for a in _matrices(EXAMPLE_1_PARAMS)]
    grads = linear_ae_grads(*case, EXAMPLE_1_X.astype(np.float32))
    assert {grad.dtype for grad in grads.values()} == {np.dtype(np.float32)}


# --- the paper's printed formulas are wrong (P12) ------------------------------------------------

# Each printed formula next to the true quantity it claims to be. The paper's ∂L/∂x̂_1 is a sum
# over samples, so its true counterpart is Σ_i ∂L/∂x̂_i1 = ∂L/∂b2.
PRINTED_COUNTERPART = {"w1": "w1", "b1": "b1", "w3": "w3", "dL_dxhat1": "b2", "w1_final": "w1"}

# docs/theory.md#where-the-paper-went-wrong, table, last column: an independent source of the
# numbers.
EXAMPLE_1_PRINTED_VS_CORRECT = {
    "w1": (1.9110, 2.0400),
    "b1": (-3.8220, 2.0400),
    "w3": (0.9555, -0.3840),
    "dL_dxhat1": (-4.7774, -0.9600),
    "w1_final": (6.6884, 2.0400),
}


@pytest.mark.parametrize("printed_name", list(EXAMPLE_1_PRINTED_VS_CORRECT))
def test_printed_and_correct_partials_on_theory_example_1(printed_name):
    printed_value, correct_value = EXAMPLE_1_PRINTED_VS_CORRECT[printed_name]
    printed = paper_printed_partials(EXAMPLE_1_PARAMS, EXAMPLE_1_X)
    correct = paper_partials(EXAMPLE_1_PARAMS, EXAMPLE_1_X)
    # docs/theory.md#where-the-paper-went-wrong prints 4 decimals
    assert printed[printed_name] == pytest.approx(printed_value, abs=5e-5)
    assert correct[PRINTED_COUNTERPART[printed_name]] == pytest.approx(correct_value, abs=5e-5)


def test_example_1_loss_and_residual_norm():
    # docs/theory.md#corrected-partials: h = 0.4, r = (0.48, 2.34), ‖ℓ‖ = 2.3887 and L = 5.706
    assert paper_loss(EXAMPLE_1_PARAMS, EXAMPLE_1_X) == pytest.approx(5.706, abs=1e-12)
    dL_dxhat1 = paper_printed_partials(EXAMPLE_1_PARAMS, EXAMPLE_1_X)["dL_dxhat1"]
    assert -dL_dxhat1 / 2 == pytest.approx(2.3887, abs=5e-5)


@given(seed=st.integers(0, 2**32 - 1), n_samples=st.integers(2, 50))
def test_printed_partials_disagree_with_truth_on_generic_data(seed, n_samples):
    # Generic (continuous random) draws: hypothesis-chosen floats can hit exact coincidences
    # such as w3 = w4 = 0, where a wrong formula happens to give the right 0.
    rng = np.random.default_rng(seed)
    params = dict(zip(PARAM_NAMES, rng.standard_normal(7), strict=True))
    X = rng.standard_normal((n_samples, 2)) @ rng.standard_normal((2, 2)) + rng.standard_normal(2)
    printed = paper_printed_partials(params, X)
    correct = paper_partials(params, X)
    printed_vector = np.array([printed[name] for name in PRINTED_COUNTERPART])
    correct_vector = np.array([correct[name] for name in PRINTED_COUNTERPART.values()])
    gap = np.linalg.norm(printed_vector - correct_vector)
    assert gap > ERRATA_MIN_RELATIVE_ERROR * np.linalg.norm(correct_vector)


@pytest.mark.parametrize("printed_name", list(PRINTED_COUNTERPART))
def test_each_printed_formula_is_wrong_almost_always(printed_name):
    # One printed formula can match the truth by coincidence on a particular draw (probability
    # about 1e-3 per draw), so this is a frequency over 1000 fixed draws;
    # docs/theory.md#where-the-paper-went-wrong reports 100% wrong, median relative error 1.2–3.
    rng = np.random.default_rng(20250101)
    errors = []
    for _ in range(1000):
        params = dict(zip(PARAM_NAMES, rng.standard_normal(7), strict=True))
        X = rng.standard_normal((int(rng.integers(2, 30)), 2)) @ rng.standard_normal((2, 2))
        printed = paper_printed_partials(params, X)[printed_name]
        correct = paper_partials(params, X)[PRINTED_COUNTERPART[printed_name]]
        errors.append(_relative_error(printed, correct))
    errors = np.array(errors)
    assert np.mean(errors > ERRATA_MIN_RELATIVE_ERROR) >= 0.99
    assert np.median(errors) > 0.1


def test_the_two_printed_w1_results_differ():
    # The paper calls them "obviously the same"; they differ by (2/N) Σ √α_i (w3 x_i2 + w4 x_i1).
    printed = paper_printed_partials(EXAMPLE_1_PARAMS, EXAMPLE_1_X)
    norm = 2.3887  # ‖ℓ‖ on Example 1, docs/theory.md#corrected-partials
    difference = 2 * norm * (0.8 * 2.0 - 0.6 * 1.0)
    assert printed["w1_final"] - printed["w1"] == pytest.approx(difference, abs=1e-3)


# --- errors in the user's terms ------------------------------------------------------------------

GOOD_W = _matrices(EXAMPLE_1_PARAMS)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paper_partials({"w1": 1.0}, EXAMPLE_1_X), r"missing \['w2'.*unknown none"),
        (lambda: paper_loss({**EXAMPLE_1_PARAMS, "w5": 0.0}, EXAMPLE_1_X), r"unknown \['w5'\]"),
        (lambda: paper_partials({**EXAMPLE_1_PARAMS, "w3": "a"}, EXAMPLE_1_X), "w3.*real number"),
        (lambda: paper_partials({**EXAMPLE_1_PARAMS, "b2": np.nan}, EXAMPLE_1_X), "b2.*finite"),
        (
            lambda: paper_partials(EXAMPLE_1_PARAMS, [[1.0, 2.0, 3.0]]),
            r"\(n_samples, 2\).*\(1, 3\)",
        ),
        (lambda: paper_partials(EXAMPLE_1_PARAMS, [1.0, 2.0]), r"shape \(n_samples, 2\)"),
        (lambda: paper_partials(EXAMPLE_1_PARAMS, np.zeros((0, 2))), "at least one sample"),
        (lambda: paper_printed_partials(EXAMPLE_1_PARAMS, [[np.inf, 0.0]]), "NaN or infinity"),
        (lambda: linear_ae_grads(*GOOD_W, np.ones((3, 4))), r"W_e \(k, 4\).*got W_e \(1, 2\)"),
        (lambda: linear_ae_loss(GOOD_W[0], [0.0, 1.0], *GOOD_W[2:], EXAMPLE_1_X), r"b_e \(2,\)"),
        (lambda: linear_ae_grads(*GOOD_W[:3], [np.nan, 0.0], EXAMPLE_1_X), "NaN or infinity"),
        (lambda: linear_ae_grads(*GOOD_W, [["a", "b"]]), "real numbers"),
    ],
    ids=[
        "missing-key",
        "unknown-key",
        "non-number",
        "nan-param",
        "three-features",
        "one-dimensional",
        "no-samples",
        "infinite-data",
        "wrong-n-features",
        "wrong-bias-shape",
        "nan-bias",
        "string-data",
    ],
)
def test_errors_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
