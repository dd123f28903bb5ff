"""principal_angles at the two ends, 0 and π/2, where rounding puts a computed cosine or sine
just above 1: the angle is still exact to rounding, and no NaN is made on the way (numpy
would warn "invalid value encountered in arccos/arcsin")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_ae.pca import principal_angles

# Angles from orthonormal bases in float64: ~1e-15 absolute at either end (see test_pca.py).
ANGLE_ATOL = 1e-13
SEEDS = range(12)


def _rotation(seed: int, size: int = 6) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((size, size)))
    return q


@pytest.mark.parametrize("seed", SEEDS)
def test_a_subspace_with_itself_is_at_angle_zero_without_warnings(seed):
    A = np.random.default_rng(seed).standard_normal((6, 3))
    mixed = A @ np.random.default_rng(seed + 100).standard_normal((3, 3))   # same span
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        angles = principal_angles(A, mixed)
    np.testing.assert_allclose(angles, np.zeros(3), atol=ANGLE_ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_complementary_subspaces_are_at_right_angles_without_warnings(seed):
    q = _rotation(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        angles = principal_angles(q[:, :3], q[:, 3:])
    np.testing.assert_allclose(angles, np.full(3, np.pi / 2), atol=ANGLE_ATOL)
