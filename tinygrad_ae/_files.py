"""Writing files without losing anything a user owns, shared by every module that saves.

Layer: a utility below everything; imports only the standard library.

Three promises are kept here:

- **Atomic files.** A file is written under a temporary name in its own folder, flushed
  to disk, then renamed over the target: a crash or an error mid-write leaves the
  previous file intact, and a reader never sees half a file (:func:`atomic_file`).
- **Files written together.** :func:`write_together` installs several files (a model's
  ``.npz`` and ``.json``) as one unit: a journal written after every file is complete
  marks the commit point; a run killed before it leaves the old files, one killed after
  it is finished by the next run that writes or reads there (:func:`clean_leftovers`).
- **Output folders that keep the user's files.** :func:`output_folder` writes a run's
  files into a folder one by one, each atomically, and replaces a file only when the
  folder's marker lists it with the content this tool wrote (so a user's ``notes.md``,
  or a report the user edited, is never overwritten). Every check runs before the work
  (:func:`check_output_folder`) and again, under a lock, at the end.

Temporary names carry the writer's process id (``.NAME.tinygrad-ae-PID-RANDOM.tmp``), so a
later run can tell a killed writer's leftovers from a live one's and remove only those.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = ["atomic_file", "write_atomically", "write_together", "clean_leftovers",
           "OutputConflict", "check_output_folder", "output_folder", "check_output_file",
           "sha256_of", "finite_json", "OUTPUT_MARKER", "describe_special_file",
           "memory_bytes", "folder_lock", "staging_folder", "sign_picture",
           "is_signed_picture", "environment_message", "SIGNATURE"]

OUTPUT_MARKER = ".tinygrad-ae-output"
"""The marker of a folder this tool wrote into: JSON listing each file it wrote and the
SHA-256 of the content it wrote."""

_TAG = "tinygrad-ae"
# .NAME.tinygrad-ae-PID-RANDOM.KIND: a temporary file, a staging folder or a commit journal.
_LEFTOVER = re.compile(r"^\..*\." + _TAG + r"-(\d+)-[0-9a-f]+\.(tmp|staging|commit)$")
_NAME_ROOM = 60  # characters of the target's name kept in a temporary name (NAME_MAX is 255)


class OutputConflict(ValueError):
    """An output location that cannot be written without losing something: a file or
    folder the user owns, the run's own input, a missing or read-only folder. The message
    says what and how to fix it; several problems are listed one per line."""


# --- temporary names and the leftovers of killed runs ----------------------------------------

def _temporary_name(target: Path, kind: str) -> str:
    return f".{target.name[:_NAME_ROOM]}.{_TAG}-{os.getpid()}-{secrets.token_hex(4)}.{kind}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OverflowError:
        return False
    return True


def clean_leftovers(folder: str | os.PathLike[str]) -> list[Path]:
    """Finish or remove what killed runs of this tool left in ``folder``; return what was
    removed.

    A commit journal of a dead writer is rolled forward (its files were complete when it
    was written), then the dead writers' temporary files and staging folders are removed.
    Leftovers of live processes are kept: they may still be writing.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".m.npz.tinygrad-ae-999999999-00ff.tmp").write_bytes(b"half")
    >>> [p.name for p in clean_leftovers(folder)]
    ['.m.npz.tinygrad-ae-999999999-00ff.tmp']
    """
    folder = Path(folder)
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    dead = []
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match and not _alive(int(match.group(1))):
            dead.append((entry, match.group(2)))
    for entry, kind in dead:  # journals first: their files must be installed, not removed
        if kind == "commit":
            _roll_forward(entry)
    removed = []
    for entry, kind in dead:
        with contextlib.suppress(OSError):
            if kind == "staging" and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()
            removed.append(entry)
    return removed


def _roll_forward(journal: Path) -> None:
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # written atomically, so unreadable means not ours: leave it to the caller
    if not isinstance(moves, dict):
        return
    for temporary, final in moves.items():
        if not (isinstance(temporary, str) and isinstance(final, str)) or "/" in temporary \
                or "/" in final or not _LEFTOVER.match(temporary):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.replace(journal.parent / temporary, journal.parent / final)


def describe_special_file(path: str | os.PathLike[str]) -> str:
    """What a path that is not a regular file is, in words ("a named pipe (FIFO)", ...).

    >>> describe_special_file("/dev/null")
    'a character device (such as /dev/zero)'
    """
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device (such as /dev/zero)"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes, or None where it cannot be asked."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


# --- atomic files -----------------------------------------------------------------------------

def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _named(err: OSError, target: Path) -> OSError:
    """The same error, naming the file the user asked for instead of its temporary name."""
    return type(err)(err.errno, err.strerror or str(err), str(target))


def _check_name_length(target: Path) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    try:
        limit = os.pathconf(folder if folder.exists() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(target.name)) > limit:
        raise OSError(errno.ENAMETOOLONG, f"the name is {len(os.fsencode(target.name))} bytes "
                      f"long, more than the {limit} this file system allows", str(target))


@contextmanager
def atomic_file(target: str | os.PathLike[str], mode: str = "wb",
                may_replace: Callable[[Path], bool] | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target`` for writing; on a clean exit it replaces
    ``target`` (keeping the permissions of the file it replaces, or those a plain write
    would give), on an error it is removed. With ``may_replace``, an existing ``target`` is
    replaced only if ``may_replace(target)`` says so at that moment (else
    :class:`OutputConflict`): a file that appeared during a long run is kept. Leftovers
    of killed earlier writers in the same
    folder are removed first (see :func:`clean_leftovers`). An ``OSError`` names
    ``target``, not the temporary file.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_file(path, "w") as handle:
    ...     _ = handle.write("hello")
    >>> path.read_text(), sorted(p.name for p in path.parent.iterdir())
    ('hello', ['note.txt'])
    """
    target = Path(target)
    _check_name_length(target)
    folder = target.resolve().parent
    clean_leftovers(folder)
    temporary = folder / _temporary_name(target, "tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise _named(err, target) from None
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(descriptor, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _refuse_unless_replaceable(target, may_replace)
        _install(temporary, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(err, OSError) and err.filename in (None, str(temporary)):
            raise _named(err, target) from None
        raise


def _install(temporary: Path, target: Path) -> None:
    # The temporary file is private (0600): give it the mode of the file it replaces, or
    # the one a plain write would.
    permissions = (stat.S_IMODE(target.stat().st_mode) if target.exists()
                   else _default_mode())
    with contextlib.suppress(OSError):  # some file systems have no modes
        os.chmod(temporary, permissions)
    os.replace(temporary, target)


@contextmanager
def staging_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A private folder beside ``target`` (in the same file system, so its files can be
    renamed onto ``target``), removed at the end; a killed run's is removed by the next
    (see :func:`clean_leftovers`)."""
    target = Path(target)
    folder = target.resolve().parent
    clean_leftovers(folder)
    staging = folder / _temporary_name(target, "staging")
    try:
        staging.mkdir()
    except OSError as err:
        raise _named(err, target) from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_unless_replaceable(target: Path, may_replace: Callable[[Path], bool] | None
                               ) -> None:
    if may_replace is not None and os.path.lexists(target) and not may_replace(target):
        raise OutputConflict(f"{target} appeared while this run worked and was not written "
                             f"by tinygrad-ae; it is kept, and nothing was written there")


def write_atomically(target: str | os.PathLike[str], content: str | bytes,
                     may_replace: Callable[[Path], bool] | None = None) -> None:
    """Write ``content`` (text as UTF-8, or bytes) to ``target`` atomically (see
    :func:`atomic_file` for ``may_replace``)."""
    with atomic_file(target, "wb" if isinstance(content, bytes) else "w",
                     may_replace) as handle:
        handle.write(content)


def write_together(files: Mapping[str | os.PathLike[str], bytes],
                   may_replace: Callable[[Path], bool] | None = None) -> None:
    """Write several files of one folder as one unit: afterwards all hold the new content,
    or (if this process dies or fails before the commit point) all hold what they held
    before.

    Every file is first written completely under a temporary name; then a journal naming
    them is written atomically (the commit point); then each is renamed into place and the
    journal removed. A run killed between the journal and the last rename is finished by
    :func:`clean_leftovers`, which every later write or load in that folder calls. With
    ``may_replace``, every existing file is checked at the commit, under the folder's lock,
    as in :func:`atomic_file`.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_together({folder / "m.npz": b"weights", folder / "m.json": b"{}"})
    >>> sorted(p.name for p in folder.iterdir())
    ['m.json', 'm.npz']
    """
    targets = [Path(path) for path in files]
    if not targets:
        return
    folders = {target.resolve().parent for target in targets}
    if len(folders) != 1:
        raise ValueError("write_together: every file must be in the same folder")
    folder = folders.pop()
    for target in targets:
        _check_name_length(target)
    clean_leftovers(folder)
    staged: dict[Path, Path] = {}
    journal = folder / _temporary_name(targets[0], "commit")
    try:
        for target, content in zip(targets, files.values()):
            temporary = folder / _temporary_name(target, "tmp")
            staged[target] = temporary
            try:
                with open(temporary, "xb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as err:
                raise _named(err, target) from None
        moves = {temporary.name: target.name for target, temporary in staged.items()}
        with _locked(folder):  # two writers of one pair install one after the other
            for target in staged:
                _refuse_unless_replaceable(target, may_replace)
            write_atomically(journal, json.dumps(moves))  # NOTE: the commit point
            for target, temporary in staged.items():
                _install(temporary, target)
            journal.unlink()
    except BaseException:
        if not journal.exists():  # before the commit point: the old files stay
            for temporary in staged.values():
                with contextlib.suppress(OSError):
                    os.remove(temporary)
        raise


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's content, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_hash(path: Path) -> str:
    """The SHA-256 of a file, or of a folder's whole content (every file's relative path and
    hash, in order): what an output marker records."""
    if not path.is_dir() or path.is_symlink():
        return sha256_of(path)
    digest = hashlib.sha256(b"folder\0")
    for entry in sorted(path.rglob("*")):
        if entry.is_file() or entry.is_symlink():
            digest.update(entry.relative_to(path).as_posix().encode() + b"\0")
            digest.update(sha256_of(entry).encode() if entry.is_file() else b"link")
    return digest.hexdigest()


def finite_json(value: Any, **dumps: Any) -> str:
    """``json.dumps`` that never writes ``NaN`` or ``Infinity`` (which are not JSON): every
    non-finite float becomes ``null``.

    >>> finite_json({"loss": float("inf"), "history": [1.0, float("nan")]})
    '{"loss": null, "history": [1.0, null]}'
    """
    return json.dumps(_finite(value), allow_nan=False, **dumps)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


# --- checking an output location before the work ---------------------------------------------

def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path):
        path = path.parent
    return path


def _writable_folder_problem(folder: Path) -> str | None:
    """Why files cannot be made in ``folder`` (which may not exist yet), or None."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        return f"cannot write to {existing}, which is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write to the folder {existing}: it is not writable (permission denied)"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_file(path: str | os.PathLike[str], flag: str, *,
                      owned: Callable[[Path], bool] = lambda _: False,
                      inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Fail, before any work, when writing ``path`` (named by the option ``flag``) could
    lose something or cannot succeed: it is a folder, one of ``inputs``, an existing file
    that ``owned`` does not recognise as written by this tool, a name too long, or in a
    folder that is missing or read-only. Raises :class:`OutputConflict`."""
    target = Path(path)
    try:
        _check_name_length(target)
    except OSError as err:
        raise OutputConflict(f"{flag} {target}: {err.strerror}; choose a shorter name") from None
    for source in inputs:
        if _same_file(target, Path(source)) or target.resolve() == Path(source).resolve():
            raise OutputConflict(f"{flag} {target} is this run's input; writing it would "
                                 f"destroy the data; choose another name")
    if target.is_dir():
        raise OutputConflict(f"{flag} {target} is a folder; name a file instead")
    if os.path.lexists(target) and not owned(target):
        raise OutputConflict(f"{flag} {target} already exists and was not written by "
                             f"tinygrad-ae; choose another name, or move that file away first")
    folder = target.resolve().parent
    if not folder.is_dir():
        raise OutputConflict(f"{flag} {target}: the folder {folder} does not exist; "
                             f"create it first or choose another {flag}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputConflict(f"{flag} {target}: the folder {folder} is not writable "
                             f"(permission denied); choose another {flag}")


def _read_marker(folder: Path) -> dict[str, list[str]] | None:
    """The files the marker lists (name -> accepted SHA-256s; an empty list accepts any
    content: the marker of version 0.1, which listed no files), or None without one."""
    marker = folder / OUTPUT_MARKER
    if not marker.is_file():
        return None
    try:
        text = marker.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    try:
        content = json.loads(text)
    except (ValueError, RecursionError):
        return {"*": []}  # 0.1's plain-text marker: its whole folder was written by us
    files = content.get("files") if isinstance(content, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(name): [h for h in hashes if isinstance(h, str)]
            for name, hashes in files.items() if isinstance(hashes, list)}


def _owned(folder: Path, name: str, marker: dict[str, list[str]] | None) -> bool:
    if marker is None:
        return False
    if "*" in marker:
        return True
    if name not in marker:
        return False
    try:
        return _content_hash(folder / name) in marker[name]
    except OSError:
        return False


def _folder_problems(target: Path, names: Iterable[str], flag: str) -> list[str]:
    try:
        _check_name_length(target)
    except OSError as err:
        return [f"{flag} {target}: {err.strerror}; choose a shorter name"]
    if target.exists() and not target.is_dir():
        return [f"{flag} {target} is an existing file, not a folder; choose a new folder name"]
    here = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == here or resolved in here.parents:
        return [f"{flag} {target} is the current folder or contains it; choose a new "
                f"folder, such as ./tinygrad_ae_out"]
    problem = _writable_folder_problem(target)
    if problem:
        return [f"cannot write the output folder {target}: {problem}; choose another with "
                f"{flag}"]
    if not target.is_dir():
        return []
    clean_leftovers(target)
    marker = _read_marker(target)
    if marker is None:
        if any(not _LEFTOVER.match(entry.name) for entry in target.iterdir()):
            return [f"{flag} {target} already holds files that tinygrad-ae did not write; "
                    f"choose a new folder or empty this one"]
        return []
    problems = []
    for name in names:
        path = target / name
        if os.path.lexists(path) and not _owned(target, name, marker):
            what = " is a folder that" if path.is_dir() else ""
            problems.append(f"{path}{what} was not written by tinygrad-ae, or was changed "
                            f"since")
    if problems:
        head = ("1 file would be overwritten" if len(problems) == 1
                else f"{len(problems)} files would be overwritten")
        return [f"{flag} {target}: {head}; move them away or choose another folder"
                + "".join(f"\n  - {p}" for p in problems)]
    return []


def check_output_folder(target: str | os.PathLike[str], names: Iterable[str],
                        flag: str = "--out") -> None:
    """Fail, before any work, when the files ``names`` cannot be written into the folder
    ``target`` without losing something: it is a file, the current folder or one of its
    parents, read-only, a folder of the user's (one with files and no marker), or it holds
    a file of one of those names that this tool did not write (or that was changed since).
    Leftovers of killed runs in it are removed. Raises :class:`OutputConflict`."""
    target = Path(target)
    # NOTE: the marker and the files are read under a shared lock, so a run committing
    # into the folder at this moment is seen before or after, never half way.
    try:
        exists = target.is_dir()
    except OSError:  # a name too long, say: reported by the checks below
        exists = False
    with folder_lock(target, shared=True) if exists else contextlib.nullcontext():
        problems = _folder_problems(target, list(names), flag)
    if problems:
        raise OutputConflict(problems[0])


@contextmanager
def folder_lock(folder: str | os.PathLike[str], shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on ``folder`` (exclusive for writers, ``shared`` for readers),
    so a reader of files written together never sees one new and one old. Without
    ``fcntl`` (Windows) it does nothing."""
    try:
        descriptor = os.open(folder, os.O_RDONLY) if fcntl is not None else -1
    except OSError:  # a folder that cannot be opened for reading cannot be locked either
        descriptor = -1
    if descriptor < 0:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


_locked = folder_lock


def _write_marker(folder: Path, files: Mapping[str, list[str]]) -> None:
    write_atomically(folder / OUTPUT_MARKER, json.dumps(
        {"format": "tinygrad-ae output", "note": "files tinygrad-ae wrote here, with the "
         "SHA-256 of what it wrote; it replaces only these, and only unchanged",
         "files": dict(sorted(files.items()))}, indent=1) + "\n")


@contextmanager
def output_folder(target: str | os.PathLike[str], names: Iterable[str],
                  flag: str = "--out") -> Iterator[Path]:
    """Yield a private staging folder inside ``target`` to write a run's files into; on a
    clean exit each file is moved into ``target`` (replacing only files the marker lists
    unchanged) and listed in the marker; on an error the staging folder is removed and
    ``target``, if this call made it, too.

    ``names`` are the files the run means to write; they are checked first, so nothing is
    computed in vain. The end is checked again under a lock on the folder, so two runs
    racing on one folder each install whole files, one after the other.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> with output_folder(out, ["a.txt"]) as staging:
    ...     _ = (staging / "a.txt").write_text("hello")
    >>> sorted(p.name for p in out.iterdir())
    ['.tinygrad-ae-output', 'a.txt']
    """
    target = Path(target)
    check_output_folder(target, names, flag)
    made = [] if target.is_dir() else [p for p in [target, *target.parents]
                                       if not os.path.lexists(p)]
    try:
        target.mkdir(parents=True, exist_ok=True)
        folder = target.resolve()
        staging = folder / _temporary_name(Path("output"), "staging")
        staging.mkdir()
    except OSError as err:
        _remove_made(made)
        raise OutputConflict(f"cannot write the output folder {target}: "
                             f"{err.strerror or err}; choose another with {flag}") from None
    try:
        yield staging
        _commit(folder, staging, target, flag)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_made(made)
        raise


def _replace(source: Path, target: Path) -> None:
    """Rename ``source`` onto ``target``; a folder it replaces is first moved aside (under a
    leftover's name, so a run killed here is cleaned up by the next) and then removed."""
    if target.is_dir() and not target.is_symlink():
        aside = target.parent / _temporary_name(target, "staging")
        os.replace(target, aside)
        os.replace(source, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(source, target)


def _remove_made(made: list[Path]) -> None:
    for path in made:  # deepest first; only while still empty
        with contextlib.suppress(OSError):
            path.rmdir()


def _commit(folder: Path, staging: Path, target: Path, flag: str) -> None:
    new = {entry.name: _content_hash(entry) for entry in sorted(staging.iterdir())}
    with _locked(folder):
        problems = _folder_problems(target, list(new), flag)
        if problems:
            raise OutputConflict(problems[0])
        listed = {name: hashes for name, hashes in (_read_marker(folder) or {}).items()
                  if name != "*" and os.path.lexists(folder / name)}
        current = {name: _content_hash(folder / name) for name in new
                   if os.path.lexists(folder / name)}
        # Listed with both contents while the files move, so a run killed half way
        # still recognises every file as its own.
        pending = dict(listed)
        for name, digest in new.items():
            pending[name] = sorted({digest, *([current[name]] if name in current else [])})
        _write_marker(folder, pending)
        for name in new:
            _replace(staging / name, folder / name)
        staging.rmdir()
        _write_marker(folder, {**listed, **{name: [digest] for name, digest in new.items()}})


# --- pictures signed as the tool's, and failures of the machine in words ---------------

SIGNATURE = b"written by tinygrad-ae"


def sign_picture(path: Path) -> None:
    """Mark a picture as written by this tool, so a later run may replace it (and only
    then): an XML comment in SVG, a tEXt chunk in PNG, a comment line in PDF and DOT.
    The file is rewritten atomically."""
    import struct
    import zlib

    content = path.read_bytes()
    if path.suffix == ".svg":
        head, _, rest = content.partition(b"?>")
        signed = (head + b"?>\n<!-- " + SIGNATURE + b" -->" + rest if rest
                  else b"<!-- " + SIGNATURE + b" -->\n" + content)
    elif path.suffix == ".png" and content[12:16] == b"IHDR":
        chunk = b"tEXt" + b"Software\0" + SIGNATURE
        end = 8 + 12 + struct.unpack(">I", content[8:12])[0]  # after the IHDR chunk
        signed = (content[:end] + struct.pack(">I", len(chunk) - 4) + chunk
                  + struct.pack(">I", zlib.crc32(chunk)) + content[end:])
    elif path.suffix == ".pdf":
        signed = content + b"\n% " + SIGNATURE + b"\n"
    else:
        signed = content + b"\n// " + SIGNATURE + b"\n"
    write_atomically(path, signed)


def is_signed_picture(path: Path) -> bool:
    """Whether ``path`` carries the mark of :func:`sign_picture`."""
    try:
        return (path.is_file() and path.stat().st_size < 1 << 28
                and SIGNATURE in path.read_bytes())
    except OSError:
        return False


_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space or write somewhere else",
    errno.EDQUOT: "the disk quota is used up; free some space or write somewhere else",
    errno.EFBIG: "the file would be larger than this system allows (see 'ulimit -f'); "
                 "write somewhere else or raise the limit",
    errno.ENAMETOOLONG: "the name is too long for this file system; choose a shorter one",
    errno.EACCES: "permission denied; choose a file or folder you may write",
    errno.EPERM: "operation not permitted; choose a file or folder you may write",
    errno.EROFS: "the file system is read-only; write somewhere else",
    errno.EMFILE: "too many open files; close some programs or raise 'ulimit -n'",
    errno.EIO: "an input/output error from the disk; check the device",
}


def environment_message(err: OSError) -> str:
    """One line for a failure of the machine rather than of the input: what, where, and
    what to do.

    >>> environment_message(OSError(errno.ENOSPC, "No space left on device", "out/m.npz"))
    'cannot use out/m.npz: the disk is full; free some space or write somewhere else'
    """
    where = f" {err.filename}" if err.filename else ""
    advice = _ADVICE.get(err.errno or 0) or (err.strerror or str(err)).lower()
    return f"cannot use{where}: {advice}"
