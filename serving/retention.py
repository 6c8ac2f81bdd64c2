"""Retention: what the store keeps, for how long and why, and pruning what has outlived its period.

Storage limitation (AVG art. 5(1)(e)) asks that data about companies and the people behind them be kept no
longer than its purpose needs; the FSV affair showed what a list kept too long does. Each kind of record has its
own period, set in ``core.settings`` and given with its reason here (and in ``docs/retention.md``). None may be
shorter than the audit trail's retention (``AUDIT_RETENTION_DAYS``, at least 183 days): while a trail record is
kept, what it points at (a batch, a shortlist, a watch) must still be there to show what the record was about.

Pruning never touches the served batch or the batch it is compared with; a shortlist an analyst's outcome came
from is kept as long as that outcome, because its inclusion probabilities are the outcome's provenance for
learning. A pruned batch keeps its row (other records name it) and loses its signals and its folder. Every prune
is audited by the verb that runs it, with what it removed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update

from core import settings
from serving.store import Store
from serving.store.tables import Alert, Batch, Feedback, FeedbackReview, Shortlist, ShortlistItem, Signal, Watch


class RetentionError(ValueError):
    """A configured period is shorter than the audit trail needs."""


@dataclass(frozen=True)
class Period:
    """One kind of record, how long it is kept, from when, and why."""

    what: str
    setting: str
    days: int
    counted_from: str
    reason: str


def periods() -> tuple[Period, ...]:
    """The configured periods, each with its legal reason."""
    return (
        Period("batches", "RETAIN_BATCH_DAYS", settings.RETAIN_BATCH_DAYS, "loading",
               "Following a company over time needs its earlier signals; older ones have no purpose left "
               "(AVG art. 5(1)(e)). Two years covers a Bibob procedure and its objection period."),
        Period("shortlists", "RETAIN_SHORTLIST_DAYS", settings.RETAIN_SHORTLIST_DAYS, "creation",
               "A shortlist documents what an analyst was shown, for review and complaints; kept while its "
               "trail record is, and longer where an outcome came from it (its provenance)."),
        Period("watches", "RETAIN_WATCH_DAYS", settings.RETAIN_WATCH_DAYS, "expiry or end",
               "A watch shows who followed which company for which case; oversight reviews it after it ends."),
        Period("alerts", "RETAIN_ALERT_DAYS", settings.RETAIN_ALERT_DAYS, "creation",
               "An alert and its acknowledgement show how a change was handled; kept as long as its watch's "
               "review needs."),
        Period("feedback", "RETAIN_FEEDBACK_DAYS", settings.RETAIN_FEEDBACK_DAYS, "creation",
               "Outcomes are the labels models learn from and are evaluated on; five years covers the "
               "model's training windows and the fiscal retention period (AWR art. 52)."),
    )  # fmt: skip


def check() -> tuple[Period, ...]:
    """The periods, refused when one is shorter than the audit trail's retention."""
    floor = max(settings.AUDIT_RETENTION_DAYS, settings.AUDIT_RETENTION_MIN_DAYS)
    short = [f"{p.setting}={p.days}" for p in periods() if p.days < floor]
    if short:
        raise RetentionError(f"{', '.join(short)}: no period may be shorter than the audit trail's {floor} days")
    return periods()


def prune(store: Store, root: Path | None = None, now: datetime | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Remove what has outlived its period; with ``dry_run``, only count it. Returns the counts per kind."""
    check()
    moment = now or datetime.now(UTC)
    cut = {p.what: moment - timedelta(days=p.days) for p in periods()}
    with store.write_lock(), store.session() as s:
        current = s.scalar(select(Batch).where(Batch.current.is_(True)).order_by(Batch.id.desc()).limit(1))
        keep = {current.id, current.previous_id} - {None} if current is not None else set()
        stale = select(Batch.id).where(Batch.pruned_at.is_(None), Batch.folder != "", Batch.loaded_at < cut["batches"])
        batches = list(s.scalars(stale.where(Batch.id.not_in(keep))))
        ended = or_(Watch.ended_at < cut["watches"], Watch.expires_at < cut["watches"])
        old_watches = list(s.scalars(select(Watch.id).where(ended)))
        alerts = select(Alert.id).where(or_(Alert.created_at < cut["alerts"], Alert.watch_id.in_(old_watches)))
        old_alerts = list(s.scalars(alerts))
        feedback = list(s.scalars(select(Feedback.id).where(Feedback.created_at < cut["feedback"])))
        cited = select(Feedback.shortlist_id).where(Feedback.shortlist_id.is_not(None), Feedback.id.not_in(feedback))
        aged = select(Shortlist.id).where(Shortlist.created_at < cut["shortlists"], Shortlist.id.not_in(cited))
        shortlists = list(s.scalars(aged))
        folders = [str(f) for f in s.scalars(select(Batch.folder).where(Batch.id.in_(batches)))]
        counts = {"batches": len(batches), "watches": len(old_watches), "alerts": len(old_alerts),
                  "feedback": len(feedback), "shortlists": len(shortlists)}  # fmt: skip
        if dry_run:
            return {"dry_run": True, "removed": counts, "cut_off": {k: v.isoformat() for k, v in cut.items()}}
        s.execute(delete(Alert).where(Alert.id.in_(old_alerts)))
        s.execute(delete(Watch).where(Watch.id.in_(old_watches)))
        s.execute(delete(FeedbackReview).where(FeedbackReview.feedback_id.in_(feedback)))
        s.execute(delete(Feedback).where(Feedback.id.in_(feedback)))
        s.execute(delete(ShortlistItem).where(ShortlistItem.shortlist_id.in_(shortlists)))
        s.execute(delete(Shortlist).where(Shortlist.id.in_(shortlists)))
        s.execute(delete(Signal).where(Signal.batch_id.in_(batches)))
        s.execute(update(Batch).where(Batch.id.in_(batches)).values(pruned_at=moment))
    for folder in folders:  # after the commit: a failed commit leaves every folder in place
        _remove(Path(folder), root)
    return {"dry_run": False, "removed": counts, "cut_off": {k: v.isoformat() for k, v in cut.items()}}


def _remove(folder: Path, root: Path | None) -> None:
    """A pruned batch's folder, only where it lies in the store's folder (never a path the row was edited to)."""
    base = (root or settings.STORE_DIR).resolve()
    if folder.resolve().is_relative_to(base) and folder.name.startswith("batch-"):
        shutil.rmtree(folder, ignore_errors=True)
