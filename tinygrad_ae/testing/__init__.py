"""Property tests for your own ops and layers: :func:`check_op` and :func:`check_module`.

Layer: a leaf for test code, beside :mod:`tinygrad_ae.strategies`; imports hypothesis,
numpy, ``autograd`` and ``strategies`` (``viz`` only to draw a failure).

Use them from pytest like any assertion; a failure is an ``AssertionError``
(:class:`OpCheckError`) whose message is the shrunk counterexample:

>>> import tinygrad_ae as tg
>>> with tg.registry.scope():
...     @tg.op("my_square", partial="2·{x}")
...     def square(x):
...         return x * x
...     @square.vjp
...     def _(g, out, x):
...         return (g * x,)                     # forgot the factor 2
...     try:
...         check_op(square, max_examples=20)
...     except OpCheckError as error:
...         print(error.counterexample.check, error.counterexample.size)
first derivative 1
"""

from __future__ import annotations

from ._check_module import check_module
from ._check_op import CheckReport, Counterexample, OpCheckError, check_op
from ._partials import evaluate_partial

__all__ = ["check_op", "check_module", "OpCheckError", "Counterexample", "CheckReport",
           "evaluate_partial"]
