"""Atomic files and folders, fsynced: a reader sees the old version or the new one, never half of one.

Every output of Tegenkracht (a world, an indicator table, scores, a report, a model card) is read by somebody
deciding about a company or a model, and a crash (SIGKILL included) must not leave a half-written one where they
could mistake it for a whole one. Both writers stage beside the target, in the same file system, fsync what they
wrote (every file, and every folder of a staged tree), then swap it into place with one rename and fsync the
parent folder so the swap itself survives a power cut; a parent folder they had to create is made durable too.

A folder that already exists is exchanged with its replacement in one ``renameat2(RENAME_EXCHANGE)`` where the
kernel and file system offer it (Linux 3.15+, ext4, xfs, btrfs, tmpfs), so there is no moment at which the
target is missing. Elsewhere it falls back to two renames, and a reader may then find the target absent for
the instant between them (never half-written); a writer killed in that instant leaves the old version under a
hidden ``.NAME.old-*`` name, and the next writer of the target puts it back before it starts.

**What a killed writer leaves.** Staged files and folders carry hidden names (``.NAME.*.tmp``, ``.NAME.tmp-*``)
that no reader opens, and each holds an ``flock`` for as long as its writer lives; the kernel drops the locks of
a dead process, however it died. Every writer first removes the leftovers of its target whose lock it can take
(:func:`clear_stale`): their writer is dead. A live writer's staging is locked, so two writers of one target never
remove each other's work. :func:`held` and :func:`claimed` offer the same liveness test to other long jobs (a
batch load in ``serving.batches``).

**Fault injection, used only by tests.** ``TEGENKRACHT_CRASH_AT=POINT`` or ``POINT:NAME`` makes this process
SIGKILL itself at a named point of a write (:func:`crash_point`), so the crash tests (``tests/*/test_crash.py``)
kill a real CLI run at a known moment instead of racing it. The points are ``files.staged`` (every staged file
written and fsynced, nothing renamed), ``dir.staged`` (the staged folder complete and fsynced, not yet swapped),
``dir.half-swapped`` (two-rename fallback only: the target renamed away, the new one not yet in place),
``dir.swapped`` (the new folder in place, the old one not yet removed) and ``load.signals`` (``serving.batches``:
a batch's signals inserted, the batch not yet current); ``NAME`` is the output's file or folder name. Unset, a
point costs one environment lookup.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import math
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

if sys.platform != "win32":
    import fcntl

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
CRASH_AT = "TEGENKRACHT_CRASH_AT"
_ATTEMPTS = 100


def crash_point(point: str, *names: str) -> None:
    """SIGKILL this process here if ``TEGENKRACHT_CRASH_AT`` names ``point`` (and one of ``names``); tests only.

    A kill from outside lands wherever the process happens to be, so a test could not say what state it checks;
    a kill from inside, at a named point, makes every crash test exact and repeatable.
    """
    wanted = os.environ.get(CRASH_AT)
    if not wanted:
        return
    at, _, name = wanted.partition(":")
    if at == point and (not name or name in names):
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def _renameat2() -> Any:
    """Libc's ``renameat2``, or None where the C library has none (macOS, Windows, old glibc)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load (Windows)
        return None
    return getattr(libc, "renameat2", None)


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False where the platform cannot, so the caller falls back."""
    if _RENAMEAT2 is None:
        return False
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable; a no-op where folders cannot be opened (Windows)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            with suppress(OSError), open(os.path.join(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
        fsync_dir(Path(folder))


def _make_dirs(folder: Path) -> None:
    """``mkdir -p``, and fsync the parent of each folder it made: a new output in a new folder survives a power cut."""
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(made.parent)


# Liveness locks ------------------------------------------------------------------------------------------------


def _lock(fd: int, wait: bool) -> bool:
    """An exclusive flock on ``fd``; False when another open file holds it (only when not waiting)."""
    if sys.platform == "win32":  # pragma: no cover - no flock: nothing is ever known dead, so nothing is removed
        return wait
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(path))
    except FileNotFoundError:
        return False


def _open_held(path: Path, flags: int) -> int | None:
    """Open ``path`` and hold its lock, or None if a sweeper removed or replaced it before the lock was ours.

    A sweeper takes the lock of what it removes, so waiting for the lock and then finding the same file still at
    ``path`` proves that nobody will remove it while this process lives.
    """
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:
        return None
    try:
        _lock(fd, wait=True)
    except OSError:  # a file system without locks: go on unlocked, as before liveness existed
        return fd
    if _same_file(fd, path):
        return fd
    os.close(fd)
    return None


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Create ``path`` and hold an flock on it for the block, then remove it: this process is alive and busy.

    Another process asks with :func:`claimed`; when this one dies, the kernel releases the lock and the answer
    changes at once, without a timeout to guess.
    """
    for _ in range(_ATTEMPTS):
        fd = _open_held(path, os.O_RDWR | os.O_CREAT)
        if fd is not None:
            break
    else:  # pragma: no cover - a sweeper removing the file a hundred times in a row
        raise OSError(errno.EAGAIN, "could not hold the lock file", str(path))
    try:
        yield
    finally:
        with suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


@contextmanager
def claimed(path: Path) -> Iterator[bool | None]:
    """Whether the holder of ``path`` (see :func:`held`) is dead, so that what it left may be removed.

    True with the dead holder's lock held for the block (a new holder then waits, and checks the file is still
    there before it trusts it); False while the holder lives; None when there is no such file (it finished, or
    never got as far as creating it).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # never through a planted link
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            free = _lock(fd, wait=False)
        except OSError:  # no locks here: liveness is unknown, so it counts as alive
            free = False
        yield free and _same_file(fd, path)
    finally:
        os.close(fd)


def _stale(entry: str, name: str) -> bool:
    """Whether ``entry`` is a name this module stages or parks ``name`` under."""
    return entry.startswith((f".{name}.tmp-", f".{name}.old-")) or (
        entry.startswith(f".{name}.") and entry.endswith(".tmp")
    )


def clear_stale(target: Path) -> list[Path]:
    """Remove what killed writers of ``target`` left beside it (a live writer's staging is locked, and kept).

    A parked old version (the two-rename fallback, killed between its renames) goes back to ``target`` when the
    target is missing, so a crash there loses nothing; everything else of a dead writer is removed.
    """
    parent = target.parent
    try:
        with os.scandir(parent) as entries:
            leftovers = sorted(Path(e.path) for e in entries if _stale(e.name, target.name))
    except FileNotFoundError:
        return []
    removed = []
    for path in leftovers:
        with suppress(OSError), claimed(path) as dead:
            if not dead:
                continue
            if path.name.startswith(f".{target.name}.old-") and not (target.exists() or target.is_symlink()):
                path.rename(target)
                fsync_dir(parent)
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _staged_dir(target: Path) -> tuple[Path, int]:
    for _ in range(_ATTEMPTS):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        fd = _open_held(tmp, os.O_RDONLY)
        if fd is not None:
            return tmp, fd
    raise OSError(errno.EAGAIN, "could not stage a folder", str(target))  # pragma: no cover


def _staged_file(folder: Path, name: str) -> tuple[Path, int]:
    for _ in range(_ATTEMPTS):
        fd, staged = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        held_fd = _open_held(Path(staged), os.O_RDONLY)
        if held_fd is not None:
            return Path(staged), held_fd
    raise OSError(errno.EAGAIN, "could not stage a file", str(folder / name))  # pragma: no cover


# The writers ---------------------------------------------------------------------------------------------------


def _swap(tmp: Path, target: Path) -> Callable[[], None]:
    """Put ``tmp`` in ``target``'s place; return what removes the old version (nothing to remove: a no-op)."""
    if not (target.exists() or target.is_symlink()):
        tmp.rename(target)
        return lambda: None
    if _exchange(tmp, target):
        return lambda: _remove(tmp)  # after the exchange the temporary name holds what the target was
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    try:  # held while parked, so no other writer's sweep puts it back meanwhile
        fd = _open_held(target, os.O_RDONLY)
    except OSError:  # unreadable: parked unlocked, as before liveness existed
        fd = None
    try:
        target.rename(old)
        crash_point("dir.half-swapped", target.name)
        tmp.rename(target)
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise

    def remove() -> None:
        try:
            _remove(old)
        finally:
            if fd is not None:
                os.close(fd)

    return remove


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:  # a folder replacing a file (a Dask run's output where one machine's was)
        path.unlink(missing_ok=True)


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; when the block succeeds, it replaces ``target`` whole.

    When the block raises, ``target`` is untouched and the temporary folder is removed; after SIGKILL it is left
    as a hidden ``.NAME.tmp-*`` sibling that no reader looks at, and the next write of ``target`` removes it.
    """
    target = target.resolve()
    _make_dirs(target.parent)
    clear_stale(target)
    tmp, fd = _staged_dir(target)
    try:
        try:
            yield tmp
            _fsync_tree(tmp)
            crash_point("dir.staged", target.name)
            remove_old = _swap(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(target.parent)
        crash_point("dir.swapped", target.name)
        remove_old()
    finally:
        os.close(fd)


@contextmanager
def atomic_files(folder: Path, names: list[str], mode: int = 0o644) -> Iterator[dict[str, Path]]:
    """Temporary paths in ``folder`` for files that belong together; when the block succeeds, they are renamed.

    Only the names still in ``names`` when the block ends are renamed, in that order, so a writer can drop an
    optional file it could not make, and put last the one that marks the set complete (a reader that finds it finds
    the others). Every file is written and fsynced before the first rename, so a crash leaves the old set, or the
    renames' few microseconds apart. When the block raises, nothing in ``folder`` changes and every temporary file
    is removed. ``mode`` is set before the rename (``mkstemp`` makes files private; most outputs are meant to be
    read).
    """
    _make_dirs(folder)
    tmp: dict[str, Path] = {}
    locks: list[int] = []
    try:
        for name in names:
            clear_stale(folder / name)
            tmp[name], fd = _staged_file(folder, name)
            locks.append(fd)
        yield tmp
        for name in names:
            with open(tmp[name], "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(tmp[name], mode)
        crash_point("files.staged", *names)
        for name in names:
            os.replace(tmp[name], folder / name)
        fsync_dir(folder)
    finally:
        for leftover in tmp.values():
            leftover.unlink(missing_ok=True)
        for fd in locks:
            os.close(fd)


@contextmanager
def atomic_file(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path next to ``target`` to write to; when the block succeeds it replaces ``target``."""
    target = Path(target)
    with atomic_files(target.parent, [target.name], mode) as tmp:
        yield tmp[target.name]


def write_text_atomic(path: Path, text: str, mode: int = 0o644) -> Path:
    """``text`` as UTF-8 into ``path`` through :func:`atomic_file`."""
    with atomic_file(path, mode) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def plain(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and infinity to null, containers recursively.

    Strict JSON readers refuse ``NaN``, and every JSON file written here is read by somebody else's tool.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
