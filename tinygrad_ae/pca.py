"""``tinygrad_ae.pca``: PCA, the Eckart–Young bound and principal angles.

The code lives in :mod:`tinygrad_ae.theory.pca`; this name is kept so that
``from tinygrad_ae.pca import PCA`` works as it always has.
"""

from tinygrad_ae.theory.pca import *  # noqa: F403
from tinygrad_ae.theory.pca import __all__  # noqa: F401
