"""A newly loaded batch against the one before it: the exact split of every company's change, and the alerts' events.

Done while the batch loads, before it becomes current, so history, "why did this rise" and alerts appear
together with the batch or not at all. The previous batch is the latest finished one before it in (as-of date,
load order) whose scores differ: loading the same score file again compares with the same predecessor, so it
finds the same changes and, through the alerts' levels, fires nothing new.

The split (``models.change``) needs both batches' models; the loader gets them from the registry through
``model_for``. Where it cannot (no registry, a lost version, a change of indicators) the batch still loads, its
alerts still fire, and the batch records why its changes were not split.

``change.parquet`` in the batch's folder holds one row per company present in both batches: both scores, the old
model's score of the new facts, the data part per indicator and the previous values, sorted by company id in small
row groups, so that one company's change is read through the file's statistics without a scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import settings
from models.change import attribute
from models.risk import RiskModel
from serving.alerts import Rule, Side, events, needed_indicators
from serving.store.tables import Batch, Signal

log = logging.getLogger(__name__)
CHANGE = "change.parquet"
DATA_PREFIX, BEFORE_PREFIX = "data__", "before__"
ROW_GROUP = 10_000
CHUNK = 100_000
SPLIT = "split"
ModelFor = Callable[[str], RiskModel]


@dataclass
class Comparison:
    """What loading found against the previous batch; ``write`` puts the change file into the staging folder."""

    previous_id: int | None
    change: str  # "split", or why there is no split
    events: pd.DataFrame
    company_ids: np.ndarray  # the compared rows' ids (``events.row`` indexes them)
    regions: np.ndarray  # their regions in the new batch
    write: Callable[[Path], None] | None = field(default=None, repr=False)


def previous_batch(s: Session, as_of: str, scores_sha256: str, before_id: int | None = None) -> Batch | None:
    """The finished, unpruned batch just before (``as_of``, ``before_id``) whose scores differ from these."""
    query = select(Batch).where(Batch.folder != "", Batch.pruned_at.is_(None), Batch.scores_sha256 != scores_sha256)
    if before_id is None:
        query = query.where(Batch.as_of <= as_of)
    else:
        query = query.where((Batch.as_of < as_of) | ((Batch.as_of == as_of) & (Batch.id < before_id)))
    return s.scalar(query.order_by(Batch.as_of.desc(), Batch.id.desc()).limit(1))


def compare(
    s: Session,
    previous: Batch | None,
    old: pd.DataFrame,
    old_features: tuple[str, ...],
    frame: pd.DataFrame,
    ranks: np.ndarray,
    features: tuple[str, ...],
    rules: tuple[Rule, ...],
    model_for: ModelFor | None,
) -> Comparison:
    """Compare the batch being loaded (``frame``, its region ``ranks`` from 0) with ``previous`` (its rows: ``old``)."""
    nothing = np.array([], dtype=object)
    if previous is None:
        return Comparison(None, "no previous batch", events(rules, _empty(), _empty()), nothing, nothing)
    ids = frame["company_id"].astype(str).to_numpy()
    at_old = pd.Index(old["company_id"].astype(str)).get_indexer(pd.Index(ids))
    common = np.flatnonzero(at_old >= 0)
    common = common[np.argsort(ids[common], kind="stable")]
    old_rows = at_old[common]
    wanted = needed_indicators(rules)
    old_side = Side(
        old["probability"].to_numpy(dtype=np.float64)[old_rows],
        _old_ranks(s, previous.id, ids[common]),
        {n: old[n].to_numpy(dtype=np.float64)[old_rows] for n in wanted if n in old.columns},
    )
    new_side = Side(
        frame["probability"].to_numpy(dtype=np.float64)[common],
        (ranks[common] + 1).astype(np.float64),
        {n: frame[n].to_numpy(dtype=np.float64)[common] for n in wanted if n in frame.columns},
    )
    found = events(rules, old_side, new_side)
    regions = frame["riec_region"].astype(str).to_numpy()[common]
    status, writer = _split(previous, old, old_features, old_rows, frame, common, features, model_for)
    return Comparison(previous.id, status, found, ids[common], regions, writer)


def _empty() -> Side:
    return Side(np.array([]), np.array([]), {})


def _old_ranks(s: Session, batch_id: int, ids: np.ndarray) -> np.ndarray:
    """Previous region ranks where they can alert (within the top k); inf for every other company."""
    top = dict(
        s.execute(
            select(Signal.company_id, Signal.region_rank).where(
                Signal.batch_id == batch_id, Signal.region_rank <= settings.ALERT_TOP_K
            )
        ).all()
    )
    return np.array([float(top.get(i, np.inf)) for i in ids]) if top else np.full(len(ids), np.inf)


def _split(
    previous: Batch,
    old: pd.DataFrame,
    old_features: tuple[str, ...],
    old_rows: np.ndarray,
    frame: pd.DataFrame,
    common: np.ndarray,
    features: tuple[str, ...],
    model_for: ModelFor | None,
) -> tuple[str, Callable[[Path], None] | None]:
    if model_for is None:
        return "not split: no registry to load the models from", None
    if old_features != features:
        return "not split: the two batches' models read different indicators", None
    version = str(frame["model_version"].iloc[0])
    try:
        old_model = model_for(previous.model_version)
        new_model = old_model if version == previous.model_version else model_for(version)
    except Exception as exc:  # whatever the registry raises: the batch loads, and says why it has no split
        log.warning("changes against batch %d not split: %s", previous.id, exc)
        return f"not split: a model could not be loaded ({type(exc).__name__})", None
    x_old = old[list(features)].to_numpy(dtype=np.float64, na_value=np.nan)[old_rows]
    x_new = frame[list(features)].to_numpy(dtype=np.float64, na_value=np.nan)[common]
    stored = (old["score"].to_numpy(dtype=np.float64)[old_rows], frame["score"].to_numpy(dtype=np.float64)[common])
    ids = frame["company_id"].astype(str).to_numpy()[common]

    def write(folder: Path) -> None:
        _write_change(folder / CHANGE, ids, old_model, new_model, x_old, x_new, stored)

    if tuple(old_model.features) != features or tuple(new_model.features) != features:
        return "not split: a registered model reads other indicators than its batch", None
    return SPLIT, write


def _write_change(
    path: Path,
    ids: np.ndarray,
    old_model: RiskModel,
    new_model: RiskModel,
    x_old: np.ndarray,
    x_new: np.ndarray,
    stored: tuple[np.ndarray, np.ndarray],
) -> None:
    """The change file, chunk by chunk, so its memory stays one chunk's whatever the register's size.

    Every company's data part is split here; of the model part only its total is kept (through ``old_on_new``,
    the old model's score of the new facts), because splitting it per indicator takes the old model's TreeSHAP
    of every company, as long as scoring the batch again. One company's split is computed when it is asked for
    (:func:`serving.history.company_change`), exactly, from the same two models.
    """
    features = old_model.features
    schema = pa.schema(
        [("company_id", pa.string()), ("old_score", pa.float64()), ("new_score", pa.float64()),
         ("old_on_new", pa.float64())]
        + [(DATA_PREFIX + f, pa.float64()) for f in features]
        + [(BEFORE_PREFIX + f, pa.float64()) for f in features]
    )  # fmt: skip
    with pq.ParquetWriter(path, schema, compression="zstd") as out:
        for start in range(0, len(ids), CHUNK):
            part = slice(start, start + CHUNK)
            old_score, new_score = stored[0][part], stored[1][part]
            on_new = new_score if new_model is old_model else old_model.booster.predict(x_new[part], raw_score=True)
            split = attribute(old_model, old_model, x_old[part], x_new[part], (old_score, np.asarray(on_new)))
            columns = {
                "company_id": ids[part],
                "old_score": old_score,
                "new_score": new_score,
                "old_on_new": on_new,
                **{DATA_PREFIX + f: split.data[:, j] for j, f in enumerate(features)},
                **{BEFORE_PREFIX + f: x_old[part, j] for j, f in enumerate(features)},
            }
            out.write_table(pa.table(columns, schema=schema), row_group_size=ROW_GROUP)
