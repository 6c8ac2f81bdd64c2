"""Loading a score file into the store, so shortlists are an indexed query rather than a scan of Parquet.

The store gets one row per company (what a shortlist filters, sorts and shows, with its top reasons already
rendered); the per-indicator values and contributions go to one Parquet file in the batch's own folder under
``STORE_DIR``, copied rather than referenced, so re-scoring to the same path never changes a served batch.
A batch becomes the one served only after every row is written: a failed load removes its rows and folder and
leaves the previous batch serving.

A load killed outright (SIGKILL, a power cut) cannot undo itself, so the next load does it (:func:`_clear_abandoned`).
To tell a dead load from a slow one without guessing from its age, every load holds an ``flock`` on
``STORE_DIR/.batch-N.loading`` from just after its row is written until it is current or undone
(``core.io.held``); the kernel releases it the moment the process dies. A running load is therefore never removed
however long it takes, and a dead one is removed by the very next load.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from core import settings
from core.io import atomic_dir, claimed, clear_stale, crash_point, held
from features import partitioned
from features.pipeline import read_metadata
from models.facts import CONTEXT
from models.peerpoint import PEER_GROUP
from models.reasons import top_raises
from models.risk import CONTRAST_PREFIX, SHAP_PREFIX
from models.shortlist import rank_in_region, tiebreak
from serving.alerts import deliver, load_rules, needed_indicators
from serving.changes import Comparison, ModelFor, compare, previous_batch
from serving.scoring import ScoringError, read_reference, reference_file, same_snapshot
from serving.store import Store
from serving.store.tables import AuditHead, Batch, Signal

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
EXPLANATIONS = "explanations.parquet"
REFERENCE = "reference.parquet"
LOCATION = ("riec_region", "municipality", "municipality_code", "sbi_section")
CHUNK = 20_000
ABANDONED_AFTER = timedelta(hours=6)


class LoadError(ValueError):
    """Score files that cannot be loaded (not one snapshot, missing columns, no rows)."""


@dataclass(frozen=True)
class LoadedBatch:
    """What was loaded and where it lies."""

    batch_id: int
    rows: int
    model_version: str
    as_of: str
    folder: Path
    unnamed: int
    previous_id: int | None = None
    change: str = ""
    events: dict[str, int] | None = None
    alerts: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "batch_id": self.batch_id,
            "rows": self.rows,
            "model_version": self.model_version,
            "as_of": self.as_of,
            "folder": str(self.folder),
            "companies_without_name": self.unnamed,
            "previous_batch_id": self.previous_id,
            "change": self.change,
            "events": self.events or {},
            "alerts": self.alerts,
        }


def load_batch(
    store: Store,
    scores: Path,
    features: Path,
    records: Path | None = None,
    fairness_dir: Path | None = None,
    drift_dir: Path | None = None,
    progress: Progress | None = None,
    root: Path | None = None,
    model_for: ModelFor | None = None,
) -> LoadedBatch:
    """Load ``scores`` (from ``tegenkracht score``) with the indicator table it was scored from.

    The batch is compared with the one before it (``serving.changes``): its changes split exactly with the models
    ``model_for`` gives by version (none given: not split), and alerts delivered to open watches.
    """
    step = progress or (lambda _n: None)
    _clear_abandoned(store, root or settings.STORE_DIR)
    frame, meta = _joined(scores, features)
    shap_cols = [c for c in frame.columns if c.startswith(SHAP_PREFIX)]
    model_features = tuple(c.removeprefix(SHAP_PREFIX) for c in shap_cols)
    names, unnamed = _names(records, frame["company_id"])
    step("ranks and reasons")
    ranks = rank_in_region(
        frame["score"].to_numpy(), frame["riec_region"].astype(str).to_numpy(), tiebreak(frame["company_id"])
    )
    contrast = frame[[CONTRAST_PREFIX + f for f in model_features]].to_numpy(dtype=np.float64)
    reasons = top_raises(
        frame, contrast, model_features, peer_positions(frame, model_features, scores), meta_as_of(meta)
    )
    step("changes since the previous batch")
    scores_sha = partitioned.sha256(scores)
    comparison = _compare(store, meta_as_of(meta), scores_sha, frame, ranks, model_features, model_for)
    with store.session() as s:
        batch = Batch(
            loaded_at=pd.Timestamp.now(tz="UTC").to_pydatetime(),
            model_version=str(frame["model_version"].iloc[0]),
            as_of=meta.get("as_of", "")[:10],
            catalogue_hash=meta.get("catalogue_hash", ""),
            input_fingerprint=meta.get("input_fingerprint", "")[:80],
            rows=len(frame),
            folder="",
            scores_sha256=scores_sha,
            fairness_dir=str(fairness_dir) if fairness_dir else None,
            drift_dir=str(drift_dir) if drift_dir else None,
            current=False,
            previous_id=comparison.previous_id,
            change=comparison.change,
        )
        s.add(batch)
        s.flush()
        batch_id = batch.id
    base = root or settings.STORE_DIR
    folder = base / f"batch-{batch_id}"
    with ExitStack() as loading:
        try:
            base.mkdir(parents=True, exist_ok=True)
            # Held until the batch is current or undone, so a cleaner in another process sees this load alive
            # however long it runs; taken just after the row exists, too young meanwhile for the cleaner's age rule.
            loading.enter_context(held(_loading_file(base, batch_id)))
            _write_folder(folder, frame, model_features, shap_cols, reference_file(scores), comparison.write)
            _insert_signals(store, batch_id, frame, names, ranks, reasons, step)
            with store.write_lock(), store.session() as s:
                # Writing the audit head first queues concurrent loads (a row lock on PostgreSQL, the write lock on
                # SQLite), so two loads finishing together cannot both leave their batch current.
                s.execute(update(AuditHead).where(AuditHead.id == 1).values(touched_at=AuditHead.touched_at))
                s.execute(update(Batch).where(Batch.id == batch_id).values(folder=str(folder)))
                s.execute(update(Batch).where(Batch.current.is_(True)).values(current=False))
                s.execute(update(Batch).where(Batch.id == batch_id).values(current=True))
                alerts = _deliver(s, comparison, batch_id)
        except BaseException:
            _discard(store, batch_id, folder)
            raise
    log.info("loaded batch %d: %d companies scored by model version %s", batch_id, len(frame), batch.model_version)
    counts = comparison.events["rule"].value_counts().to_dict() if len(comparison.events) else {}
    return LoadedBatch(
        batch_id, len(frame), batch.model_version, batch.as_of, folder, unnamed,
        comparison.previous_id, comparison.change, {str(k): int(v) for k, v in counts.items()}, alerts,
    )  # fmt: skip


def _compare(
    store: Store,
    as_of: str,
    scores_sha: str,
    frame: pd.DataFrame,
    ranks: np.ndarray,
    features: tuple[str, ...],
    model_for: ModelFor | None,
) -> Comparison:
    """The new batch against the latest finished one before it (see ``serving.changes``)."""
    with store.session() as s:
        previous = previous_batch(s, as_of, scores_sha)
        rules = load_rules()
        if previous is None:
            return compare(s, None, pd.DataFrame(), (), frame, ranks, features, rules, model_for)
        path = Path(previous.folder) / EXPLANATIONS
        names = pq.read_schema(path).names
        old_features = tuple(c.removeprefix(SHAP_PREFIX) for c in names if c.startswith(SHAP_PREFIX))
        wanted = {"company_id", "score", "probability", *old_features, *needed_indicators(rules)}
        old = pd.read_parquet(path, columns=[c for c in names if c in wanted])
        return compare(s, previous, old, old_features, frame, ranks, features, rules, model_for)


def _deliver(s: Session, comparison: Comparison, batch_id: int) -> int:
    if comparison.previous_id is None:
        return 0
    return deliver(s, comparison.events, comparison.company_ids, comparison.regions, batch_id, comparison.previous_id)


def meta_as_of(meta: dict[str, str]) -> str:
    """The snapshot date a score file's footer names (ISO, or '' when it names none)."""
    return meta.get("as_of", "")[:10]


def peer_positions(frame: pd.DataFrame, features: tuple[str, ...], scores: Path) -> np.ndarray:
    """Each row's peer point, in ``features`` order, from the reference file beside ``scores``."""
    try:
        reference = read_reference(reference_file(scores))
    except (OSError, ScoringError) as exc:
        raise LoadError(str(exc)) from exc
    rows = reference.index.get_indexer(pd.Index(frame[PEER_GROUP].astype(str)))
    if (rows < 0).any():
        raise LoadError(f"{reference_file(scores)} lacks peer groups the scores name")
    return reference[list(features)].to_numpy(dtype=np.float64)[rows]


def _joined(scores: Path, features: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Scores beside the indicator values they came from; refuses files from different snapshots."""
    try:
        same_snapshot(scores, features)
        scored = pq.read_table(scores).to_pandas()
        shap_cols = [c for c in scored.columns if c.startswith(SHAP_PREFIX)]
        model_features = [c.removeprefix(SHAP_PREFIX) for c in shap_cols]
        context = [c for c in CONTEXT if c not in model_features]
        wanted = ["company_id", *LOCATION, *model_features, *context]
        values = pq.read_table(features, columns=wanted).to_pandas()
    except (OSError, KeyError, ValueError) as exc:
        raise LoadError(f"cannot load {scores} with {features}: {exc}") from exc
    if scored.empty:
        raise LoadError(f"{scores} holds no rows")
    lacking = [c for c in (PEER_GROUP, *(CONTRAST_PREFIX + f for f in model_features)) if c not in scored.columns]
    if lacking:
        raise LoadError(f"{scores} predates contrastive explanations (lacks {lacking[:3]}): score it again")
    if scored["model_version"].nunique() != 1:
        raise LoadError(f"{scores} mixes model versions {sorted(scored['model_version'].unique())}")
    frame = scored.merge(values, on="company_id", how="inner", validate="one_to_one")
    if len(frame) != len(scored):
        raise LoadError(f"{len(scored) - len(frame)} scored companies are missing from {features}")
    for col in LOCATION:
        frame[col] = frame[col].fillna("?").astype(str)
    return frame, read_metadata(scores)


def _names(records: Path | None, company_ids: pd.Series) -> tuple[np.ndarray, int]:
    """Trade names from the register's companies table; an empty name where the register lacks one."""
    if records is None:
        log.warning("no records folder given: shortlists will show company ids without names")
        return np.full(len(company_ids), "", dtype=object), len(company_ids)
    path = records / "companies.parquet"
    if not partitioned.exists(path):
        raise LoadError(f"{path} does not exist; give the records folder the scores came from")
    table = pd.read_parquet(path, columns=["company_id", "name"]).drop_duplicates("company_id")
    names = table.set_index("company_id")["name"].reindex(company_ids.to_numpy())
    return names.fillna("").astype(str).to_numpy(), int(names.isna().sum())


def _write_folder(
    folder: Path,
    frame: pd.DataFrame,
    features: tuple[str, ...],
    shap_cols: list[str],
    reference: Path,
    change: Callable[[Path], None] | None = None,
) -> None:
    """The batch's explanations, peer points and change split, replaced whole (``core.io.atomic_dir``)."""
    context = [c for c in CONTEXT if c not in features]
    contrast = [CONTRAST_PREFIX + f for f in features]
    head = ["company_id", "sbi_section", "score", "probability", "base_value", PEER_GROUP, "peer_score"]
    cols = [*head, *features, *context, *shap_cols, *contrast]
    with atomic_dir(folder) as tmp:
        frame[cols].to_parquet(tmp / EXPLANATIONS, index=False, compression="zstd")
        shutil.copyfile(reference, tmp / REFERENCE)
        if change is not None:
            change(tmp)


def _insert_signals(
    store: Store,
    batch_id: int,
    frame: pd.DataFrame,
    names: np.ndarray,
    ranks: np.ndarray,
    reasons: list[list[dict[str, Any]]],
    step: Progress,
) -> None:
    rows = pd.DataFrame(
        {
            "batch_id": batch_id,
            "company_id": frame["company_id"].astype(str).to_numpy(),
            "name": names,
            "riec_region": frame["riec_region"].to_numpy(),
            "municipality": frame["municipality"].to_numpy(),
            "municipality_code": frame["municipality_code"].to_numpy(),
            "sbi_section": frame["sbi_section"].to_numpy(),
            "score": frame["score"].to_numpy(dtype=float),
            "probability": frame["probability"].to_numpy(dtype=float),
            "base_value": frame["base_value"].to_numpy(dtype=float),
            "region_rank": ranks + 1,
            "reasons": [json.dumps(r, ensure_ascii=False) for r in reasons],
        }
    )
    for start in range(0, len(rows), CHUNK):
        chunk = [{str(k): v for k, v in r.items()} for r in rows.iloc[start : start + CHUNK].to_dict("records")]
        with store.session() as s:
            s.execute(insert(Signal), chunk)
        crash_point("load.signals")
        step(f"{min(start + CHUNK, len(rows)):,} signals")


def _discard(store: Store, batch_id: int, folder: Path, unfinished_only: bool = False) -> bool:
    """Undo a load that failed part-way (or, ``unfinished_only``, died part-way); the previous batch keeps serving.

    The cleaner passes ``unfinished_only`` and re-reads the row in the same transaction, so a load that finished
    between the cleaner's query and its lock is left alone; False when nothing was removed for that reason.
    """
    try:
        with store.session() as s:
            if unfinished_only and s.scalar(select(Batch.folder).where(Batch.id == batch_id)) != "":
                return False
            s.execute(delete(Signal).where(Signal.batch_id == batch_id))
            s.execute(delete(Batch).where(Batch.id == batch_id))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    clear_stale(folder)  # a dead load's staging folder (a failed one's atomic_dir removed its own)
    return True


def current_batch(store: Store) -> Batch | None:
    """The batch being served, or None before the first load."""
    with store.session() as s:
        return s.scalar(select(Batch).where(Batch.current.is_(True)).order_by(Batch.id.desc()).limit(1))


def _loading_file(root: Path, batch_id: int) -> Path:
    """The lock file a running load of ``batch_id`` holds (see the module docstring)."""
    return root / f".batch-{batch_id}.loading"


def _clear_abandoned(store: Store, root: Path) -> None:
    """Remove what a load killed outright (no chance to clean up) left: its rows, its folders and its lock file.

    A load that has not finished is recognised by its empty folder column. Its lock file says whether it runs: held,
    it is left alone however old; free, its process is dead and it goes now, however young. Without a lock file
    (killed in the instant between its row and its lock, or started by a version without locks) only age can tell:
    older than ABANDONED_AFTER is taken to be dead. A lock file left by a load killed after it finished goes too.
    """
    before = pd.Timestamp.now(tz="UTC").to_pydatetime() - ABANDONED_AFTER
    with store.session() as s:
        unfinished = list(s.scalars(select(Batch.id).where(Batch.folder == "")))
        old = set(s.scalars(select(Batch.id).where(Batch.folder == "", Batch.loaded_at < before)))
    for batch_id in unfinished:
        with claimed(_loading_file(root, batch_id)) as dead:
            if not (dead or (dead is None and batch_id in old)):
                continue
            if _discard(store, batch_id, root / f"batch-{batch_id}", unfinished_only=True):
                log.warning("removed batch %d, a load that died before it finished", batch_id)
            _loading_file(root, batch_id).unlink(missing_ok=True)
    for leftover in root.glob(".batch-*.loading") if root.is_dir() else ():
        with claimed(leftover) as dead:
            if dead:
                leftover.unlink(missing_ok=True)
