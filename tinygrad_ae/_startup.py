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

__all__ = ["quiet_interrupt", "leaving_the_command_line"]


def quiet_interrupt(signum: int, frame: Any) -> None:
    """The SIGINT handler while the command line starts: one line, status 130."""
    sys.stderr.write("tinygrad-ae: interrupted\n")
    os._exit(130)


def _starting_the_command_line() -> bool:
    argv = list(getattr(sys, "orig_argv", []))
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else None
    return module == "tinygrad_ae" or os.path.basename(sys.argv[0]) == "tinygrad-ae"


def leaving_the_command_line() -> None:
    """Called by ``cli.main`` as the command line's work ends: write out what is still
    buffered, then let a Ctrl-C end the process by the system's action (a shell shows
    status 130). Python still waits for other threads and flushes files before it exits,
    and a KeyboardInterrupt there could only be printed as an ignored exception with its
    traceback. A SIGINT the parent told us to ignore stays ignored; a program that merely
    calls ``cli.main()`` keeps its own handler."""
    if not _starting_the_command_line():
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or replaced by None
            pass
    try:
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread
        pass


# NOTE: cli.main puts Python's own handler back as soon as it runs. SIGINT ignored by the
# parent (a background job) stays ignored.
if _starting_the_command_line() and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
    try:
        signal.signal(signal.SIGINT, quiet_interrupt)
    except ValueError:  # not the main thread
        pass
