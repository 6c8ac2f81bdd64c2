"""Atomic files and folders, fsynced: a reader sees the old version or the new one, never half of one.

Every output of Tegenkracht (a world, an indicator table, scores, a report, a model card) is read by somebody
deciding about a company or a model, and a crash (SIGKILL included) must not leave a half-written one where they
could mistake it for a whole one. Both writers stage beside the target, in the same file system, fsync what they
wrote, then swap it into place with one rename and fsync the folder so the swap itself survives a power cut.

A folder that already exists is exchanged with its replacement in one ``renameat2(RENAME_EXCHANGE)`` where the
kernel and file system offer it (Linux 3.15+, ext4, xfs, btrfs, tmpfs), so there is no moment at which the
target is missing. Elsewhere it falls back to two renames, and a reader may then find the target absent for
the instant between them (never half-written).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


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


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; when the block succeeds, it replaces ``target`` whole.

    When the block raises (or the process dies), ``target`` is untouched and the temporary folder is removed (or,
    after SIGKILL, left as a hidden ``.NAME.tmp-*`` sibling that no reader looks at).
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_tree(tmp)
    if target.exists() or target.is_symlink():
        if _exchange(tmp, target):
            old = tmp  # after the exchange the temporary name holds what the target was
        else:
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
    else:
        tmp.rename(target)
        old = None
    fsync_dir(target.parent)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:  # a folder replacing a file (a Dask run's output where one machine's was)
            old.unlink(missing_ok=True)


@contextmanager
def atomic_files(folder: Path, names: list[str], mode: int = 0o644) -> Iterator[dict[str, Path]]:
    """Temporary paths in ``folder`` for files that belong together; when the block succeeds, they are renamed.

    Only the names still in ``names`` when the block ends are renamed, in that order, so a writer can drop an
    optional file it could not make, and put last the one that marks the set complete (a reader that finds it finds
    the others). When the block raises, nothing in ``folder`` changes and every temporary file is removed. ``mode``
    is set before the rename (``mkstemp`` makes files private; most outputs here are meant to be read).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tmp: dict[str, Path] = {}
    try:
        for name in names:
            fd, staged = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            os.close(fd)
            tmp[name] = Path(staged)
        yield tmp
        for name in names:
            with open(tmp[name], "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(tmp[name], mode)
        for name in names:
            os.replace(tmp[name], folder / name)
        fsync_dir(folder)
    finally:
        for leftover in tmp.values():
            leftover.unlink(missing_ok=True)


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
