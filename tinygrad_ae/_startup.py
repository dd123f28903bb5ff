"""Ctrl-C while the command line is still starting (importing numpy) ends it with one line
and status 130, as ``cli.main`` does later, instead of a traceback from inside an import.

Layer: imported first by the package; the standard library only. It acts only when the
process is the command line (``tinygrad-ae`` or ``python -m tinygrad_ae``); an ordinary
``import tinygrad_ae`` changes nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

__all__ = ["quiet_interrupt"]


def quiet_interrupt(signum: int, frame: Any) -> None:
    """The SIGINT handler while the command line starts: one line, status 130."""
    sys.stderr.write("tinygrad-ae: interrupted\n")
    os._exit(130)


def _starting_the_command_line() -> bool:
    argv = list(getattr(sys, "orig_argv", []))
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else None
    return module == "tinygrad_ae" or os.path.basename(sys.argv[0]) == "tinygrad-ae"


if _starting_the_command_line():
    # NOTE: cli.main puts Python's own handler back as soon as it runs.
    try:
        signal.signal(signal.SIGINT, quiet_interrupt)
    except ValueError:  # not the main thread
        pass
