"""Writing a world to disk atomically, with a manifest of content hashes.

A world is written into a temporary sibling folder and renamed into place only when every table is
complete, so a crash never leaves a half-written world where a reader could mistake it for a whole one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; on success replace ``target`` with it."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:  # a folder replacing a file (a Dask run's output where one machine's was)
        old.unlink(missing_ok=True)


def write_table(table: pa.Table, path: Path) -> str:
    """Write one Parquet file deterministically and return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=True, row_group_size=1_000_000)
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """The manifest names the config, every file, its row count and hash."""
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
