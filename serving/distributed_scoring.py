"""Batch scoring on Dask: each row group of the indicator table is scored, explained and written by a worker.

A score and its exact explanations depend on the company's own row and its peer point only, so scoring is
embarrassingly parallel once the client has found the peer groups and points (one column at a time, as the
single-machine path does): the model and the points go to every worker once (``scatter``), each task reads one
row group, runs the same ``serving.scoring.explained`` as the single-machine path and writes one part file. The
parts land in a hidden folder that replaces ``--out`` only when every part is written; a failed task leaves the
earlier output as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core.io import atomic_dir, atomic_file
from features import partitioned
from models.risk import RiskModel
from serving.scoring import (
    PeerPoints,
    ScoreRun,
    ScoringError,
    check_input,
    explained,
    footer,
    peer_points,
    reference_file,
    write_reference,
)

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def score_piece(
    piece: partitioned.Piece,
    index: int,
    model: RiskModel,
    points: PeerPoints,
    groups: np.ndarray,
    folder: str,
    footer_: dict[bytes, bytes],
    model_version: str,
) -> int:
    """Score one row group (its rows' peer ``groups`` given) into ``part-<index>.parquet``; returns its rows."""
    threads = _worker_threads()
    frame = pq.ParquetFile(piece.path).read_row_group(piece.row_group, ["company_id", *model.features]).to_pandas()
    scored = explained(model, frame, groups, points, model_version, threads)
    table = pa.Table.from_pandas(scored, preserve_index=False)
    pq.write_table(
        table.replace_schema_metadata(footer_), Path(folder) / f"part-{index:05d}.parquet", compression="zstd"
    )
    return len(frame)


def _worker_threads() -> int:
    """The worker's thread count, also for numba's exact SHAP: N workers on N cores must not run N² threads."""
    import numba
    from distributed import get_worker

    try:
        threads = int(get_worker().state.nthreads)
    except (ValueError, AttributeError):  # not on a worker (a direct call): leave numba as it is
        return 0
    numba.set_num_threads(max(1, min(threads, int(getattr(numba.config, "NUMBA_NUM_THREADS", threads)))))
    return threads


def score_dask(
    client: Client,
    model: RiskModel,
    features: Path,
    out: Path,
    model_version: str,
    progress: Progress | None = None,
) -> ScoreRun:
    """Score every row of ``features`` on the cluster into the folder ``out`` (see the module docstring)."""
    from distributed import as_completed, wait

    step = progress or (lambda _name: None)
    meta = check_input(model, features, out, folder_out=True)
    footer_ = footer(meta, model_version)
    try:
        pieces = [p for p in partitioned.pieces(features) if p.rows]
    except (OSError, pa.ArrowException) as exc:
        raise ScoringError(f"{features} has an unreadable part file: {exc}") from exc
    if not pieces:
        raise ScoringError(f"{features} holds no rows")
    ref_path = reference_file(out)
    rows = 0
    try:
        # the folder of scores is swapped in first and the reference last, as on one machine
        with atomic_file(ref_path) as tmp_ref, atomic_dir(out) as tmp:
            step("peer groups")
            points = peer_points(features, model)
            shared = client.scatter(model, broadcast=True)
            shared_points = client.scatter(points, broadcast=True)
            futures = [
                client.submit(
                    score_piece,
                    piece,
                    i,
                    shared,
                    shared_points,
                    points.groups[piece.offset : piece.offset + piece.rows],
                    str(tmp),
                    footer_,
                    model_version,
                    pure=False,
                )
                for i, piece in enumerate(pieces)
            ]
            try:
                for future in as_completed(futures):
                    rows += int(future.result())
                    step(f"{rows:,} rows")
            except BaseException:
                client.cancel(futures)
                wait(futures)  # no task may still be writing into the folder about to be removed
                raise
            write_reference(points, footer_, tmp_ref)
    except (OSError, pa.ArrowException) as exc:
        raise ScoringError(f"scoring {features} into {out} failed: {exc}") from exc
    log.info("scored %d companies with model version %s into %s (%d parts)", rows, model_version, out, len(pieces))
    return ScoreRun(out, ref_path, rows, model_version, meta.get("catalogue_hash", ""))
