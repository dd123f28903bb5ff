"""``tinygrad_ae.closed_form``: the hand-derived gradients that judge the engine.

The code lives in :mod:`tinygrad_ae.theory.closed_form`; this name is kept so that
``from tinygrad_ae.closed_form import paper_partials`` works as it always has.
"""

from tinygrad_ae.theory.closed_form import *  # noqa: F403
from tinygrad_ae.theory.closed_form import __all__  # noqa: F401
