"""What the README promises about writing to a parameter between forward and backward:
through the Tensor the engine notices; straight into its numpy array it cannot."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ae as tg


def test_a_write_through_the_tensor_stops_a_stale_backward():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with tg.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize("write", ["data", "numpy"])
def test_a_write_into_the_array_is_invisible_to_the_engine(write):
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    array = w.data if write == "data" else w.numpy()
    array -= 1.0
    loss.backward()
    # d/dw Σ w² = 2w, evaluated at the new values [0, 1], not the recorded [1, 2]
    np.testing.assert_array_equal(w.grad, [0.0, 2.0])
