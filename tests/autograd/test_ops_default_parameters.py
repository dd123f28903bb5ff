"""An op called without its parameters (``ops.elu(x)``, as a user's own vjp or a custom op
would call it) uses PyTorch's defaults, in its forward and in its vjp alike: values and
gradients against ``torch.nn.functional`` called without parameters.

The Tensor methods always pass their parameters, so only these calls reach the defaults
written in ``def elu(x, *, alpha=1.0)`` and in its vjp."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import TORCH_ATOL, TORCH_RTOL

from tinygrad_ae import Tensor
from tinygrad_ae.autograd import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

# Both sides of every kink and the kink itself (PyTorch takes the slope of the left side
# at 0: negative_slope for leaky_relu, α for elu), and softplus's linear part
# (β·x > 20) and its edge.
X = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 19.5, 20.0, 20.5, 30.0])

CASES = [
    ("leaky_relu", ops.leaky_relu, F.leaky_relu),
    ("elu", ops.elu, F.elu),
    ("gelu", ops.gelu, F.gelu),
    ("softplus", ops.softplus, F.softplus),
]


@pytest.mark.parametrize("name, op, reference", CASES, ids=[c[0] for c in CASES])
def test_an_op_without_parameters_uses_pytorchs_defaults(name, op, reference):
    x = Tensor(X, requires_grad=True)
    out = op(x)
    x_torch = torch.tensor(X, requires_grad=True)
    expected = reference(x_torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=TORCH_RTOL,
                               atol=TORCH_ATOL)
    cotangent = np.linspace(0.5, 2.0, X.size)
    out.backward(cotangent)
    expected.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy(), rtol=TORCH_RTOL, atol=TORCH_ATOL)
