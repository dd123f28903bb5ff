"""Atomic file writes, shared by every module that saves something.

Layer: a utility below everything; imports only the standard library.

A file is written under a temporary name in its own folder, flushed to disk, then renamed
over the target: a crash or an error mid-write leaves the previous file intact and no
temporary file behind, and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_file", "write_atomically"]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(target: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target`` for writing; on a clean exit it replaces
    ``target`` (keeping the permissions of the file it replaces, or those a plain write
    would give), on an error it is removed.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_file(path, "w") as handle:
    ...     _ = handle.write("hello")
    >>> path.read_text()
    'hello'
    """
    target = Path(target)
    descriptor, temporary = tempfile.mkstemp(dir=target.resolve().parent,
                                             prefix=f".{target.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(descriptor, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes it private (0600): keep the mode of the file it replaces, or give
        # the one a plain write would.
        permissions = (stat.S_IMODE(target.stat().st_mode) if target.exists()
                       else _default_mode())
        with contextlib.suppress(OSError):  # some file systems have no modes
            os.chmod(temporary, permissions)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_atomically(target: str | os.PathLike[str], content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8, or bytes) to ``target`` atomically."""
    with atomic_file(target, "wb" if isinstance(content, bytes) else "w") as handle:
        handle.write(content)
