"""The indicator pipeline: validated records in, one row per active company out.

Point-in-time by construction (:mod:`features._context`), catalogue-driven (every output column is a
catalogued indicator and every catalogued indicator is computed), and explicit about missing data: a value that
cannot be known is NaN, never an imputed number, and absence that *is* information (a missing filing) is its own
indicator.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_files
from features import partitioned
from features._address import address
from features._context import Context, build_context
from features._filing import filing
from features._financial import financial
from features._network import network
from features._officers import officers
from features._ownership import ownership
from features._profile import profile
from features._realestate import realestate
from features.catalogue import CATALOGUE, CATALOGUE_VERSION, IDENTIFIERS, catalogue_hash, check_catalogue
from features.peers import PeerStats
from features.schemas import SCHEMAS, is_sensitive_name

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


class IndicatorError(RuntimeError):
    """The computed table does not match the catalogue; nothing is written."""


@dataclass
class IndicatorTable:
    """Indicators with the metadata a run must record."""

    frame: pd.DataFrame
    peers: PeerStats
    as_of: pd.Timestamp
    fingerprint: str
    peers_source: str = "fitted"  # or "frozen:<sha256 of the peers file>"

    @property
    def metadata(self) -> dict[str, str]:
        """Stored in the Parquet footer and logged to MLflow."""
        return {
            "as_of": self.as_of.date().isoformat(),
            "catalogue_version": CATALOGUE_VERSION,
            "catalogue_hash": catalogue_hash(),
            "input_fingerprint": self.fingerprint,
            "rows": str(len(self.frame)),
            "peers": self.peers_source,
        }


def input_fingerprint(folder: Path) -> str:
    """SHA-256 over the record files' hashes, in table order: the exact input of a run."""
    h = hashlib.sha256()
    for schema in SCHEMAS:
        h.update(f"{schema.name}:{partitioned.sha256(folder / f'{schema.name}.parquet')}\n".encode())
    return h.hexdigest()


def compute_indicators(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    peers: PeerStats | None = None,
    progress: Progress | None = None,
    consume: bool = False,
) -> tuple[pd.DataFrame, PeerStats]:
    """Indicators for every company active on ``as_of``, keyed by company id, with identifying columns.

    ``consume=True`` lets the pipeline take the tables out of ``tables`` to save memory (see ``build_context``).
    """
    check_catalogue()
    step = progress or (lambda _name: None)
    for name, df in tables.items():
        bad = [c for c in df.columns if is_sensitive_name(str(c))]
        if bad:
            raise IndicatorError(f"input table {name} carries sensitive column(s) {bad}; refusing to compute")
    step("point-in-time view")
    ctx = build_context(tables, as_of, consume=consume)
    values, peers = family_values(ctx, [name for name, _ in FAMILIES], peers, step)
    return indicator_frame(ctx, values), peers


#: The indicator families in computing order. Each maps the point-in-time view to arrays over its companies.
FAMILIES: tuple[tuple[str, Callable[[Context], dict[str, np.ndarray]]], ...] = (
    ("profile", profile),
    ("address", address),
    ("officers", officers),
    ("ownership", ownership),
    ("filing", filing),
    ("real estate", realestate),
    ("network", network),
)
#: Families whose value for one company depends on the whole register, not on a bounded neighbourhood:
#: personalised PageRank runs over the whole graph. The Dask path computes them once, globally.
GLOBAL_FAMILIES = frozenset({"network"})


def family_values(
    ctx: Context, names: Collection[str], peers: PeerStats | None, step: Progress
) -> tuple[dict[str, np.ndarray], PeerStats]:
    """The named families' arrays (over ``ctx.companies``), then the financial ones against peers."""
    values: dict[str, np.ndarray] = {}
    for name, fn in FAMILIES:
        if name in names:
            step(name)
            values.update(fn(ctx))
    step("financial (peers)")
    fin, peers = financial(ctx, peers)
    values.update(fin)
    return values, peers


def indicator_frame(ctx: Context, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per active company, identifiers then every catalogued indicator, sorted by company id."""
    expected = [i.id for i in CATALOGUE]
    if set(values) != set(expected):
        raise IndicatorError(f"computed {sorted(set(values) ^ set(expected))} differ from the catalogue")
    act = ctx.active
    co = ctx.companies.iloc[act]
    frame = pd.DataFrame({c: co["section" if c == "sbi_section" else c].to_numpy() for c in IDENTIFIERS})
    for ind in expected:
        frame[ind] = np.asarray(values[ind], dtype=np.float64)[act]
    return frame.sort_values("company_id").reset_index(drop=True)


def write_indicators(table: IndicatorTable, out: Path) -> None:
    """Write the table and its frozen peer statistics atomically; metadata goes in the Parquet footer."""
    out.parent.mkdir(parents=True, exist_ok=True)
    arrow = pa.Table.from_pandas(table.frame, preserve_index=False)
    meta = {
        **(arrow.schema.metadata or {}),
        **{f"tegenkracht.{k}".encode(): v.encode() for k, v in table.metadata.items()},
    }
    peers = peers_file(out)
    # both staged and fsynced before either is renamed (a crash keeps the old pair); the peers first, then the table
    with atomic_files(out.parent, [peers.name, out.name]) as tmp:
        pq.write_table(arrow.replace_schema_metadata(meta), tmp[out.name], compression="zstd")
        table.peers.save(str(tmp[peers.name]))


def peers_file(out: Path) -> Path:
    """Where the peer statistics of an indicator table live."""
    return out.with_name(out.stem + ".peers.parquet")


def read_metadata(path: Path) -> dict[str, str]:
    """The run metadata stored with an indicator table."""
    meta = partitioned.read_schema(path).metadata or {}
    return {
        k.decode().removeprefix("tegenkracht."): v.decode() for k, v in meta.items() if k.startswith(b"tegenkracht.")
    }
