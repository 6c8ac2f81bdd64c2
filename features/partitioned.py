"""Partitioned Parquet: a table is one file or a folder of part files, and both paths read it the same way.

A register that outgrows one machine arrives as folders of part files (``companies.parquet/part-00000.parquet``
…), the layout Spark, Dask and DuckDB write. The single-machine pipeline reads such a folder part by part in
name order, and the Dask pipeline reads it one row group at a time with each row's position in that same order
(``_row``), so both see every table in one and the same row order. That is what lets the two paths agree to
the bit: float sums over a company's records add in the same order.

:func:`write_partitioned` buckets the record tables by company (hash of the company key), so a company's filings,
cash flows and officers sit in the same part as the company itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_dir, file_sha256

ROW = "_row"
_STRINGS = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}

#: The column each record table is bucketed on: a company's records share its bucket.
BUCKET_KEY: dict[str, str | None] = {
    "addresses": "address_id",
    "companies": "company_id",
    "persons": "person_id",
    "officers": "company_id",
    "ownerships": "company_id",
    "filings": "company_id",
    "cash_flows": "company_id",
    "properties": "owner_company_id",
    "insolvencies": "company_id",
    "cases": "company_id",
    "jurisdictions": None,  # a reference list: one part
}


def parts(path: Path) -> list[Path]:
    """The part files of a table, in name order (a plain file is its own single part)."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.parquet") if p.is_file() and not p.name.startswith((".", "_")))
    return [path]


def exists(path: Path) -> bool:
    """A file, or a folder holding at least one part file."""
    return path.is_file() or (path.is_dir() and bool(parts(path)))


def read_schema(path: Path) -> pa.Schema:
    """The schema (with footer metadata) of a table: its first part's."""
    found = parts(path)
    if not found or not found[0].exists():
        raise FileNotFoundError(f"{path} holds no Parquet part file")
    return pq.read_schema(found[0])


def num_rows(path: Path) -> int:
    """Rows over all parts, from the footers alone."""
    return sum(pq.read_metadata(p).num_rows for p in parts(path))


def sha256(path: Path) -> str:
    """A file's SHA-256; for a folder, the SHA-256 over its parts' names and hashes."""
    if path.is_file():
        return file_sha256(path)
    h = hashlib.sha256()
    for p in parts(path):
        h.update(f"{p.name}:{file_sha256(p)}\n".encode())
    return h.hexdigest()


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """All parts, concatenated in name order."""
    tables = [pq.read_table(p, columns=columns) for p in parts(path)]
    if not tables:
        raise FileNotFoundError(f"{path} holds no Parquet part file")
    return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


def read_frame(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """:func:`read_table` as pandas, with Arrow-backed strings as validation reads them."""
    return read_table(path, columns).to_pandas(date_as_object=False, types_mapper=_STRINGS.get)


@dataclass(frozen=True)
class Piece:
    """One row group of one part: the unit a Dask task reads. ``offset`` is its first row's position."""

    path: str
    row_group: int
    offset: int
    rows: int


def pieces(path: Path) -> list[Piece]:
    """Every row group of a table that holds rows, with its rows' positions in the single-machine reading order."""
    out: list[Piece] = []
    offset = 0
    for p in parts(path):
        meta = pq.read_metadata(p)
        for rg in range(meta.num_row_groups):
            rows = meta.row_group(rg).num_rows
            if rows:
                out.append(Piece(str(p), rg, offset, rows))
            offset += rows
    return out


def read_piece(piece: Piece, columns: list[str] | None = None) -> pd.DataFrame:
    """One row group as pandas, with ``_row``, its rows' positions in the whole table."""
    table = pq.ParquetFile(piece.path).read_row_group(piece.row_group, columns=columns)
    frame = table.to_pandas(date_as_object=False, types_mapper=_STRINGS.get)
    frame[ROW] = np.arange(piece.offset, piece.offset + len(frame), dtype=np.int64)
    return frame


def bucket(values: pd.Series, buckets: int) -> np.ndarray:
    """A stable bucket per key (pandas' documented, seeded hash), the same on every machine and run."""
    hashed = pd.util.hash_pandas_object(values.astype("string"), index=False).to_numpy()
    return np.asarray(hashed % np.uint64(buckets), dtype=np.int64)


def write_partitioned(tables: dict[str, pd.DataFrame], out: Path, buckets: int, row_group_rows: int = 250_000) -> None:
    """Write record tables as folders of ``buckets`` part files each, bucketed by company; atomically.

    Within a part the rows keep their order, so reading the parts in name order is a fixed, documented order.
    """
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    with atomic_dir(out) as tmp:
        for name, frame in tables.items():
            folder = tmp / f"{name}.parquet"
            folder.mkdir()
            key = BUCKET_KEY.get(name)
            codes = np.zeros(len(frame), dtype=np.int64) if key is None else bucket(frame[key], buckets)
            for b in range(1 if key is None else buckets):
                part = frame[codes == b]
                pq.write_table(
                    pa.Table.from_pandas(part, preserve_index=False),
                    folder / f"part-{b:05d}.parquet",
                    row_group_size=row_group_rows,
                    compression="zstd",
                )
