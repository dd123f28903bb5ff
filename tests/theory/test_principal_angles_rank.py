"""principal_angles counts the columns of A and B by numerical rank, with numpy's rule: a
singular value is kept when it exceeds σ_max · max(m, n) · eps of the matrix's own dtype
(numpy.linalg.matrix_rank, the independent truth here). It returns min(rank A, rank B) angles.

The matrices sit on the edges of that rule: a singular value exactly at the cut-off, one far
below it only relative to a large σ_max, and float32 columns that are independent in float64
but not in float32.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_ae.pca import principal_angles

EPS = np.finfo(np.float64).eps

MATRICES = {
    # σ = (1, 3 eps, 0): the second sits exactly on the cut-off 3 · eps · 1, so it is noise.
    "at-the-cut-off": np.diag([1.0, 3 * EPS, 0.0]),
    "just-above": np.diag([1.0, 4 * EPS, 0.0]),
    # 1e-9 is far above eps, but not above 3 · eps · 1e8.
    "relative-to-the-largest": np.diag([1e8, 1e-9, 0.0]),
    "order-one": np.diag([1.0, 1e-9, 0.0]),
    # Columns e1 and e1 + 1e-9 e2: one direction in float32 (eps 1.2e-7), two in float64.
    "float32-dependent": np.array([[1.0, 1.0], [0.0, 1e-9], [0.0, 0.0]], dtype=np.float32),
    "float32-independent": np.array([[1.0, 1.0], [0.0, 1e-3], [0.0, 0.0]], dtype=np.float32),
    "float64-same-columns": np.array([[1.0, 1.0], [0.0, 1e-9], [0.0, 0.0]]),
}


@pytest.mark.parametrize("A", MATRICES.values(), ids=MATRICES.keys())
def test_the_number_of_angles_is_numpys_numerical_rank(A):
    rank = np.linalg.matrix_rank(A)
    full = np.eye(3, dtype=A.dtype)
    assert len(principal_angles(A, full)) == rank
    assert len(principal_angles(full, A)) == rank


def test_the_rule_is_the_one_numpy_uses():
    # The cases above only pin numpy's rule if they land on both sides of it.
    ranks = {name: int(np.linalg.matrix_rank(A)) for name, A in MATRICES.items()}
    assert ranks == {"at-the-cut-off": 1, "just-above": 2, "relative-to-the-largest": 1,
                     "order-one": 2, "float32-dependent": 1, "float32-independent": 2,
                     "float64-same-columns": 2}
