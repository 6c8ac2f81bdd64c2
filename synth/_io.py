"""Writing a world's tables deterministically, with a manifest of content hashes.

The world is written through ``core.io.atomic_dir``: into a temporary sibling folder that replaces the target
only when every table is complete, so a crash never leaves a half-written world where a reader could mistake it
for a whole one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_dir, file_sha256

__all__ = ["atomic_dir", "file_sha256", "write_manifest", "write_table"]


def write_table(table: pa.Table, path: Path) -> str:
    """Write one Parquet file deterministically and return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=True, row_group_size=1_000_000)
    return file_sha256(path)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """The manifest names the config, every file, its row count and hash."""
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
