"""Ops evaluated outside their domain give what PyTorch gives (−inf, NaN), silently:
numpy would warn, and the op docstrings promise it does not (``detect_anomaly`` is how a
user asks to hear about them). The expected values are the limits, written by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_ae import Tensor

INF, NAN = np.inf, np.nan

CASES = [
    ("log", lambda t: t.log(), [0.0, -1.0, 1.0], [-INF, NAN, 0.0]),
    ("log1p", lambda t: t.log1p(), [-1.0, -2.0, 0.0], [-INF, NAN, 0.0]),
    ("sqrt", lambda t: t.sqrt(), [-1.0, 0.0, 4.0], [NAN, 0.0, 2.0]),
    ("logsumexp", lambda t: t.logsumexp(axis=0), [-INF, -INF], -INF),
]


@pytest.mark.parametrize("name, function, x, expected", CASES, ids=[c[0] for c in CASES])
def test_outside_its_domain_an_op_is_silent_and_gives_the_limit(name, function, x, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning fails the test
        out = function(Tensor(x))
    np.testing.assert_array_equal(out.data, expected)
