"""Every tolerance the tests use, each with its reason, in one place."""

import numpy as np

# Central differences with h = 1e-6 in float64: truncation ~h² = 1e-12, rounding
# ~1e-16/h = 1e-10 relative to the function's scale; inputs are of order one.
FD_EPS = 1e-6
FD_ATOL = 1e-6
FD_RTOL = 1e-5

# Second derivatives: the finite difference of a gradient that was itself built by
# reverse mode; same step, one more rounding layer.
FD2_ATOL = 1e-5
FD2_RTOL = 1e-4

# Closed forms against the engine: both exact up to float64 rounding of sums over
# N ≤ 64 samples of order-one terms.
CLOSED_FORM_RTOL = 1e-9

# The engine against PyTorch in float64: the same formulas evaluated in different orders
# (and erfc in different libraries), a few roundings apart for order-one values.
TORCH_RTOL = 1e-10
TORCH_ATOL = 1e-12

# The Tensor surface against PyTorch (tests/autograd/test_oracle.py), per dtype: float64
# as above; float32 keeps ~7 digits, and a sum of up to 27 order-one terms (or a
# difference of such sums) loses up to ~27·2·6e-8 ≈ 3e-6 in absolute terms.
ORACLE_RTOL = {np.dtype(np.float64): TORCH_RTOL, np.dtype(np.float32): 1e-4}
ORACLE_ATOL = {np.dtype(np.float64): TORCH_ATOL, np.dtype(np.float32): 1e-5}

# A drawn partial against the vjp's Jacobian (tests/autograd/test_partials.py): the same
# function written two ways (1 − out² against 1 − out·out, σ through tanh), in float64.
PARTIAL_RTOL = 1e-9
PARTIAL_ATOL = 1e-12

# The same convolution computed by PyTorch and by us in float64: sums of at most a few
# hundred order-one products, in different orders, agree to ~1e-13; 1e-10 leaves room.
CONV_TORCH_ATOL = 1e-10
