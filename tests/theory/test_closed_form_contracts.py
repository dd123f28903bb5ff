"""The closed forms' contracts: every error names the function the user called, the
2-1-2 functions refuse data that is not (N, 2), and the paper's printed (wrong) partials are
exactly the formulas their docstring transcribes, over several samples (with one sample a
mean and a sum cannot be told apart)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_ae.closed_form import (
    linear_ae_grads,
    linear_ae_loss,
    paper_loss,
    paper_partials,
    paper_printed_partials,
)

PARAMS = dict(w1=0.5, w2=-0.2, b1=0.3, w3=0.8, w4=-0.6, b2=0.2, b3=-0.1)
X = np.array([[1.0, 2.0], [-0.5, 0.7], [0.3, -1.1]])
PAPER_FUNCTIONS = [paper_loss, paper_partials, paper_printed_partials]


@pytest.mark.parametrize("function", PAPER_FUNCTIONS, ids=lambda f: f.__name__)
def test_the_paper_functions_name_themselves_in_their_errors(function: Callable) -> None:
    name = function.__name__
    with pytest.raises(ValueError, match=f"^{name}: params must have exactly the keys"):
        function({k: v for k, v in PARAMS.items() if k != "w4"}, X)
    with pytest.raises(ValueError, match=rf"^{name}: X must have shape \(n_samples, 2\)"):
        function(PARAMS, np.ones((3, 3)))
    with pytest.raises(ValueError, match=f"^{name}: X contains NaN"):
        function(PARAMS, [[1.0, np.nan]])


@pytest.mark.parametrize("function", [linear_ae_loss, linear_ae_grads],
                         ids=lambda f: f.__name__)
def test_the_linear_functions_name_themselves_in_their_errors(function: Callable) -> None:
    W_e, b_e, W_d, b_d = np.ones((1, 2)), np.zeros(1), np.ones((2, 1)), np.zeros(2)
    with pytest.raises(ValueError, match=f"^{function.__name__}: "):
        function(W_e, b_e, W_d, b_d, np.ones((3, 5)))


def _printed(params: dict[str, Any], data: np.ndarray) -> dict[str, float]:
    """The docstring's formulas, written out again: α_i = r_i1² + r_i2²."""
    x1, x2 = data[:, 0], data[:, 1]
    p = params
    h = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
    r1 = x1 - (p["w3"] * h + p["b2"])
    r2 = x2 - (p["w4"] * h + p["b3"])
    root_alpha = np.sqrt(r1 ** 2 + r2 ** 2)
    w1 = np.mean(-2 * root_alpha * (p["w3"] * x1 + p["w4"] * x2))
    return {
        "w1": w1,
        "b1": np.mean(-2 * root_alpha * p["w3"]),
        "w3": np.mean(-2 * root_alpha * (p["w1"] * x1 + p["w2"] * x2 - p["b1"])),
        "dL_dxhat1": np.mean(-2 * root_alpha),
        "w1_final": w1 - np.mean(-2 * np.abs(root_alpha) * (p["w3"] * x2 + p["w4"] * x1)),
    }


def test_the_printed_partials_are_the_transcribed_formulas() -> None:
    rng = np.random.default_rng(19)
    for _ in range(5):
        params = dict(zip(PARAMS, rng.normal(size=7)))
        data = rng.normal(size=(4, 2))
        printed = paper_printed_partials(params, data)
        expected = _printed(params, data)
        assert set(printed) == set(expected)
        for key, value in expected.items():
            assert printed[key] == pytest.approx(value, rel=1e-12, abs=1e-14), key


def test_the_params_error_lists_the_keys_and_what_is_missing_or_unknown() -> None:
    bad = {k: v for k, v in PARAMS.items() if k != "w4"} | {"w5": 1.0}
    with pytest.raises(ValueError, match=r"exactly the keys w1, w2, b1, w3, w4, b2, b3; "
                                         r"missing \['w4'\], unknown \['w5'\]$"):
        paper_loss(bad, X)
    with pytest.raises(ValueError, match=r"missing none, unknown \['w5'\]$"):
        paper_loss(PARAMS | {"w5": 1.0}, X)


def test_data_must_be_real_and_integers_count_as_floats() -> None:
    with pytest.raises(ValueError, match="paper_loss: X must hold real numbers, got dtype "
                                         "complex128"):
        paper_loss(PARAMS, X + 0j)
    with pytest.raises(ValueError, match=r"linear_ae_loss: X must have shape "
                                         r"\(n_samples, n_features\) with at least one"):
        linear_ae_loss(np.ones((1, 2)), np.zeros(1), np.ones((2, 1)), np.zeros(2), np.ones(2))
    integers = np.array([[1, 2], [0, -1]])
    assert paper_loss(PARAMS, integers) == paper_loss(PARAMS, integers.astype(float))


@pytest.mark.parametrize("name", ["W_e", "b_e", "W_d", "b_d"])
def test_each_linear_parameter_must_be_real_and_is_named(name: str) -> None:
    arrays = dict(W_e=np.ones((1, 2)), b_e=np.zeros(1), W_d=np.ones((2, 1)), b_d=np.zeros(2))
    arrays[name] = arrays[name] + 0j
    with pytest.raises(ValueError, match=f"linear_ae_grads: {name} must hold real numbers"):
        linear_ae_grads(**arrays, X=X)


@pytest.mark.parametrize("W_e", [np.float64(1.0), np.ones(2)], ids=["0-d", "1-d"])
def test_an_encoder_that_is_not_a_matrix_is_refused(W_e: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"linear_ae_loss: shapes do not fit .* with k ≥ 1"):
        linear_ae_loss(W_e, np.zeros(1), np.ones((2, 1)), np.zeros(2), X)


def test_the_linear_closed_forms_keep_float32_and_promote_mixed_dtypes() -> None:
    f32 = [np.ones((1, 2), np.float32), np.zeros(1, np.float32), np.ones((2, 1), np.float32),
           np.zeros(2, np.float32)]
    grads = linear_ae_grads(*f32, X.astype(np.float32))
    assert all(np.asarray(g).dtype == np.float32 for g in grads.values())
    grads = linear_ae_grads(*f32, X)                      # float64 data: float64 gradients
    assert all(np.asarray(g).dtype == np.float64 for g in grads.values())
    grads = linear_ae_grads(f32[0].astype(np.float64), *f32[1:], X.astype(np.float32))
    assert all(np.asarray(g).dtype == np.float64 for g in grads.values())


def test_integer_parameters_take_the_float_dtype_of_the_rest() -> None:
    # Integers carry no precision of their own: float32 data keeps the result float32.
    grads = linear_ae_grads(np.ones((1, 2), int), np.zeros(1, np.float32),
                            np.ones((2, 1), np.float32), np.zeros(2, np.float32),
                            X.astype(np.float32))
    assert all(np.asarray(g).dtype == np.float32 for g in grads.values())
    loss = linear_ae_loss(np.ones((1, 2), int), np.zeros(1, int), np.ones((2, 1), int),
                          np.zeros(2, int), np.array([[1, 2], [0, -1]]))
    assert loss == pytest.approx(linear_ae_loss(np.ones((1, 2)), np.zeros(1), np.ones((2, 1)),
                                                np.zeros(2), np.array([[1.0, 2.0],
                                                                       [0.0, -1.0]])))
