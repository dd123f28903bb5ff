"""The engine's only global state: grad mode, anomaly mode, the module scope, and the
count of in-place changes (see :mod:`tinygrad_ae.autograd.inplace`).

Layer: the very bottom; imports nothing of tinygrad_ae.
"""

from __future__ import annotations

__all__ = ["STATE"]


class _State:
    """Grad mode, anomaly mode, the module scope and the in-place change counter.

    ``scope`` is the dotted name of the module whose ``forward`` is running (``encoder``,
    ``decoder.0``); ops record it so that drawings can group them. ``mutations`` counts
    the in-place changes made so far: each recorded node stores its value at creation, so
    a backward pass knows in one comparison whether anything changed since.
    """

    __slots__ = ("grad_enabled", "anomaly", "scope", "mutations")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.scope = ""
        self.mutations = 0


STATE = _State()
