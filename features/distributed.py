"""The indicator pipeline on Dask: the same indicators, partition by partition, equal to the single-machine path.

Most indicators of a company read only its own records; three families read its neighbours' too. Each partition
therefore gets its *sub-register*: its own companies with every record they own, plus the neighbours' rows those
three families read (a halo, as in distributed graph and stencil codes). The halo is found with explicit joins:

- **address** — the companies registered at the same address (a join on ``address_id``);
- **officers** — every company any of its officers ever served (a join on ``person_id``): mandates, sector
  spread, insolvency history and phoenix patterns read those companies' rows and insolvencies;
- **ownership** — the owners up the chain, five layers and the owners of the fifth (six joins on ``owner_id``),
  with their ownership rows.

Every table is then joined to the halo and shuffled on the partition number, and each partition runs the
single-machine code (:func:`features.pipeline.family_values`) on its sub-register and keeps its own companies.
Rows keep their single-machine order (``_row``), so sums over a company's records add in the same order and the
values are identical to the bit, not just close.

Two things are global and computed once: the peer statistics (medians over every active company; gathered as
eight numbers per company unless frozen ones are given), and the **network** family, whose personalised
PageRank runs over the whole graph. It runs as one task on the graph's narrow columns, and its values are split
back to the partitions. Its memory sets the largest register one worker can take; ``docs/scaling.md`` measures it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_file
from features import partitioned
from features._context import build_context
from features._financial import raw_measures
from features._network import network
from features._ownership import MAX_LAYERS
from features.catalogue import CATALOGUE, check_catalogue
from features.peers import PeerStats
from features.pipeline import FAMILIES, GLOBAL_FAMILIES, IndicatorError, family_values, indicator_frame, peers_file
from features.schemas import SCHEMA_BY_NAME, SCHEMAS, TableSchema
from features.validation import RecordsError, check_table, validate_table

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

PART = "_part"
#: Companies per partition at most: with their halo and records, about 1.5 GB of a worker's memory
#: (docs/scaling.md measures it).
PARTITION_ROWS = 250_000
LOCAL_FAMILIES = tuple(name for name, _ in FAMILIES if name not in GLOBAL_FAMILIES)
GLOBAL_INDICATORS = tuple(i.id for i in CATALOGUE if i.family in GLOBAL_FAMILIES)
#: Tables whose rows a partition needs for its halo companies too.
HALO_TABLES = ("companies", "officers", "ownerships", "insolvencies")
#: Tables only the partition's own companies' rows are read of, by their company column.
OWN_TABLES = {"filings": "company_id", "cash_flows": "company_id", "properties": "owner_company_id"}
#: The columns ``build_context`` and the network family read, per table: the graph gathered to one task.
GRAPH_COLUMNS = {
    "companies": ["company_id", "founded_on", "dissolved_on", "address_id", "sbi_code"],
    "addresses": ["address_id", "address_type", "riec_region", "municipality", "municipality_code"],
    "officers": ["company_id", "person_id", "start_on", "end_on"],
    "ownerships": ["company_id", "owner_type", "owner_id", "start_on", "end_on"],
    "cases": ["company_id", "outcome", "closed_on"],
    "insolvencies": ["company_id", "declared_on"],  # the circle counts linked companies' recent insolvencies
}
_DTYPES = {"date": "datetime64[ns]", "int": "int64", "float": "float64", "bool": "boolean"}


def empty_table(schema: TableSchema) -> pd.DataFrame:
    """A typed table with no rows: what a family that does not read the table is given."""
    return pd.DataFrame(
        {c.name: pd.Series(dtype=_DTYPES.get(c.kind, pd.StringDtype("pyarrow"))) for c in schema.columns}
    )


def _load(piece: partitioned.Piece, schema_name: str, keep: Sequence[str] | None) -> pd.DataFrame:
    """One row group, typed as validation types it; a row validation would quarantine stops the run.

    The Dask path takes records that ``tegenkracht validate`` passed (cross-table keys are checked there, once);
    this per-row check guards against a folder that changed since, at the cost of one pass over the rows.
    """
    schema = SCHEMA_BY_NAME[schema_name]
    try:
        raw = partitioned.read_piece(piece, list(schema.column_names))
    except (OSError, pa.ArrowException) as exc:
        raise RecordsError(f"{schema_name}: {piece.path} row group {piece.row_group} is unreadable: {exc}") from exc
    typed, quarantine = validate_table(raw.drop(columns=partitioned.ROW), schema)
    if len(quarantine):
        first = quarantine.iloc[0]
        raise RecordsError(
            f"{schema_name}: {len(quarantine)} row(s) in {piece.path} fail validation (first: {first['column']}: "
            f"{first['reason']}); run `tegenkracht validate` and use the valid rows it writes (--out)"
        )
    typed[partitioned.ROW] = raw[partitioned.ROW].to_numpy()
    return typed if keep is None else typed[[*keep, partitioned.ROW]]


def read_records(folder: Path, name: str, columns: Sequence[str] | None = None) -> dd.DataFrame:
    """A record table as a Dask frame of row groups, with ``_row``; a file and a folder of parts alike."""
    import dask.dataframe as dd

    pieces = partitioned.pieces(folder / f"{name}.parquet")
    if not pieces:  # a table with no rows (no insolvencies in an extract, say) has no row group either
        empty = empty_table(SCHEMA_BY_NAME[name]).assign(**{partitioned.ROW: pd.Series(dtype="int64")})
        return dd.from_pandas(empty if columns is None else empty[[*columns, partitioned.ROW]], npartitions=1)
    meta = _load(pieces[0], name, columns).iloc[:0]
    return dd.from_map(_load, pieces, schema_name=name, keep=columns, meta=meta, enforce_metadata=False)


def _tag(frame: pd.DataFrame, key: str, partitions: int) -> pd.DataFrame:
    return frame.assign(**{PART: partitioned.bucket(frame[key], partitions)})


def halo(companies: dd.DataFrame, officers: dd.DataFrame, ownerships: dd.DataFrame, partitions: int) -> dd.DataFrame:
    """(partition, company_id) for every company a partition's indicators read: its own and their neighbours."""
    import dask.dataframe as dd

    own = companies[["company_id"]].map_partitions(_tag, "company_id", partitions)
    at = companies[["company_id", "address_id"]].map_partitions(_tag, "company_id", partitions)
    neighbours = at[[PART, "address_id"]].drop_duplicates().merge(companies[["address_id", "company_id"]])
    people = officers[["company_id", "person_id"]]
    served = own.merge(people, on="company_id")[[PART, "person_id"]].drop_duplicates()
    colleagues = served.merge(people, on="person_id")
    edges = ownerships[ownerships.owner_type == "company"][["company_id", "owner_id"]]
    found = [own, neighbours[[PART, "company_id"]], colleagues[[PART, "company_id"]]]
    frontier = own
    # One layer beyond the walk's five: whether a fifth-layer owner is itself owned by a foundation reads the
    # legal form of its own owner.
    for _ in range(MAX_LAYERS + 1):
        frontier = (
            frontier.merge(edges, on="company_id")[[PART, "owner_id"]]
            .rename(columns={"owner_id": "company_id"})
            .drop_duplicates()
        )
        found.append(frontier)
    return dd.concat(found).drop_duplicates()


def _by_part(frame: dd.DataFrame, partitions: int) -> list[Any]:
    """Shuffle on the partition number, so partition ``p`` of every table lines up; one delayed frame each."""
    aligned = frame.set_index(PART, divisions=tuple(range(partitions + 1)))
    parts = aligned.to_delayed()
    if len(parts) != partitions:
        raise IndicatorError(f"expected {partitions} partitions after the shuffle, got {len(parts)}")
    return list(parts)


def _sub_register(tables: dict[str, pd.DataFrame], extra: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The partition's tables in single-machine row order, plus empty ones for what it does not read."""
    out = {name: frame.sort_values(partitioned.ROW, kind="stable") for name, frame in tables.items()}
    out = {name: frame.drop(columns=partitioned.ROW).reset_index(drop=True) for name, frame in out.items()}
    out.update(extra)
    for schema in SCHEMAS:
        out.setdefault(schema.name, empty_table(schema))
    return out


def _own(frame: pd.DataFrame, key: str, part: int, partitions: int) -> pd.DataFrame:
    return frame[partitioned.bucket(frame[key], partitions) == part]


def partition_measures(
    part: int, partitions: int, tables: dict[str, pd.DataFrame], jurisdictions: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Raw financial measures of the partition's active companies, with ``_row``, for fitting peers globally."""
    tables = {**tables, "companies": _own(tables["companies"], "company_id", part, partitions)}
    ctx = build_context(_sub_register(tables, {"jurisdictions": jurisdictions}), as_of)
    values, section, size, _ = raw_measures(ctx)
    act = ctx.active
    rows = tables["companies"].sort_values(partitioned.ROW, kind="stable")
    known = rows[rows.founded_on <= as_of][partitioned.ROW].to_numpy()
    frame = pd.DataFrame({k: v[act] for k, v in values.items() if not k.startswith("_extra_")})
    return frame.assign(section=section[act], size=size[act], **{partitioned.ROW: known[act]})


def fit_peers(measures: list[pd.DataFrame]) -> PeerStats:
    """Peer statistics over every active company, in single-machine order (the medians are then identical)."""
    frame = pd.concat(measures, ignore_index=True).sort_values(partitioned.ROW, kind="stable")
    names = [c for c in frame.columns if c not in ("section", "size", partitioned.ROW)]
    section = frame["section"].to_numpy(dtype=object)
    size = frame["size"].to_numpy(dtype=object)
    return PeerStats.fit({k: frame[k].to_numpy(dtype=np.float64) for k in names}, section, size)


def global_values(graph: dict[str, pd.DataFrame], jurisdictions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The global families over the whole register's graph columns, per company id."""
    ctx = build_context(_sub_register(graph, {"jurisdictions": jurisdictions}), as_of)
    values = network(ctx)
    out = pd.DataFrame({ind: values[ind] for ind in GLOBAL_INDICATORS})
    out.insert(0, "company_id", ctx.companies["company_id"].to_numpy())
    return out


def split_global(values: pd.DataFrame, partitions: int) -> list[pd.DataFrame]:
    """The global values cut into the partitions' shares."""
    codes = partitioned.bucket(values["company_id"], partitions)
    return [values[codes == p].set_index("company_id") for p in range(partitions)]


def partition_indicators(
    part: int,
    partitions: int,
    tables: dict[str, pd.DataFrame],
    jurisdictions: pd.DataFrame,
    as_of: pd.Timestamp,
    peers: PeerStats,
    global_part: pd.DataFrame,
) -> pd.DataFrame:
    """Indicators of the partition's own active companies: the single-machine code on its sub-register."""
    ctx = build_context(_sub_register(tables, {"jurisdictions": jurisdictions}), as_of)
    values, _ = family_values(ctx, LOCAL_FAMILIES, peers, lambda _name: None)
    for ind in GLOBAL_INDICATORS:
        values[ind] = np.full(ctx.n, np.nan)
    frame = indicator_frame(ctx, values)
    frame = _own(frame, "company_id", part, partitions).reset_index(drop=True)
    for ind in GLOBAL_INDICATORS:
        frame[ind] = global_part[ind].reindex(frame["company_id"]).to_numpy(dtype=np.float64)
    return frame


def write_part(frame: pd.DataFrame, folder: Path, part: int, metadata: dict[str, str]) -> int:
    """One part file of the indicator table, with the run's metadata in its footer; returns its rows.

    A partition without active companies writes nothing: an empty frame has no column types to write.
    """
    if frame.empty:
        return 0
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {
        **(arrow.schema.metadata or {}),
        **{f"tegenkracht.{k}".encode(): v.encode() for k, v in metadata.items()},
    }
    pq.write_table(arrow.replace_schema_metadata(meta), folder / f"part-{part:05d}.parquet", compression="zstd")
    return len(frame)


def _check_unique(frame: dd.DataFrame, name: str, key: str) -> None:
    """A key that two row groups share would be one company twice: refused, as validation would."""
    rows, distinct = frame[key].count(), frame[key].nunique()
    import dask

    rows, distinct = dask.compute(rows, distinct)
    if rows != distinct:
        raise RecordsError(
            f"{name}: {rows - distinct} duplicate {key}(s) across part files; run `tegenkracht validate` and use the "
            "valid rows it writes (--out)"
        )


def check_records(folder: Path) -> None:
    """Every table present, readable, complete and free of sensitive columns, from the footers alone."""
    for schema in SCHEMAS:
        check_table(folder, schema)  # refuses a sensitive column, as validation does


def compute_indicators_dask(
    client: Client,
    folder: Path,
    as_of: pd.Timestamp,
    out_folder: Path,
    metadata: dict[str, str],
    peers: PeerStats | None = None,
    partitions: int | None = None,
    progress: Progress | None = None,
    stats: dict[str, int] | None = None,
) -> tuple[int, PeerStats]:
    """Write the indicator table into ``out_folder`` as one part file per partition; returns (rows, peers).

    ``stats``, when given, receives the partition count and the halo's size: (partition, company) pairs, of which
    the companies' own are one per company. Their ratio is how often a company's rows are read, the figure that
    sizes a cluster (docs/scaling.md).
    """
    import dask

    check_catalogue()
    check_records(folder)
    step = progress or (lambda _name: None)
    n = partitions or default_partitions(client, partitioned.num_rows(folder / "companies.parquet"))
    step("halo joins")
    # Read and checked once, held in the workers' memory: the joins below read most tables twice.
    read = {name: read_records(folder, name).persist() for name in (*HALO_TABLES, *OWN_TABLES, "addresses")}
    _check_unique(read["companies"], "companies", "company_id")
    _check_unique(read["addresses"], "addresses", "address_id")
    jurisdictions = read_records(folder, "jurisdictions").compute().drop(columns=partitioned.ROW)
    reach = halo(read["companies"], read["officers"], read["ownerships"], n).persist()
    if stats is not None:
        stats.update(partitions=n, halo_pairs=len(reach), companies=len(read["companies"]))
    own = read["companies"][["company_id"]].map_partitions(_tag, "company_id", n)
    tagged: dict[str, dd.DataFrame] = {name: read[name].merge(reach, on="company_id") for name in HALO_TABLES}
    for name, key in OWN_TABLES.items():
        tagged[name] = read[name].merge(own.rename(columns={"company_id": key}), on=key)
    places = tagged["companies"][[PART, "address_id"]].drop_duplicates()
    tagged["addresses"] = read["addresses"].merge(places, on="address_id")
    step("shuffle to partitions")
    by_part = {name: _by_part(frame, n) for name, frame in tagged.items()}
    parts = [{name: by_part[name][p] for name in tagged} for p in range(n)]
    step("peers and network")
    if peers is None:
        measures = [dask.delayed(partition_measures)(p, n, parts[p], jurisdictions, as_of) for p in range(n)]
        peers_d: Any = dask.delayed(fit_peers)(measures)
    else:
        peers_d = peers
    # The graph's tables are already in the workers' memory, read and checked; only the cases are not.
    graph = {
        name: (read[name][[*cols, partitioned.ROW]] if name in read else read_records(folder, name, cols)).to_delayed()
        for name, cols in GRAPH_COLUMNS.items()
    }
    graph_d = {name: dask.delayed(pd.concat)(pieces, ignore_index=True) for name, pieces in graph.items()}
    global_d = dask.delayed(global_values)(graph_d, jurisdictions, as_of)
    shares = dask.delayed(split_global, nout=n)(global_d, n)
    step("partitions")
    writes = []
    for p in range(n):
        frame = dask.delayed(partition_indicators)(p, n, parts[p], jurisdictions, as_of, peers_d, shares[p])
        writes.append(dask.delayed(write_part)(frame, out_folder, p, metadata))
    rows, fitted = dask.compute(writes, peers_d)
    return int(sum(rows)), fitted


def default_partitions(client: Client, companies: int) -> int:
    """Two partitions per worker, so a slow one can be balanced, and at most ``PARTITION_ROWS`` companies each."""
    workers = len(client.scheduler_info().get("workers", {}))
    return max(2 * max(workers, 1), -(-companies // PARTITION_ROWS))


def write_peers(peers: PeerStats, out: Path) -> None:
    """The peer statistics beside the table, as the single-machine path writes them."""
    with atomic_file(peers_file(out)) as tmp:
        peers.save(str(tmp))
