"""Analysts' outcomes: stored with who, why and on which score they acted; turned into labels only on request.

Export never decides silently: an inconclusive outcome is no label and is counted as such; a company with
conflicting outcomes is left out and listed; each exported row keeps its provenance, and every export is itself
written to the audit trail.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, update

from core.io import atomic_file
from serving.access import Principal
from serving.store import Store
from serving.store.tables import Batch, Feedback, Shortlist, ShortlistItem, User


class Outcome(enum.StrEnum):
    """What the analyst found."""

    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    INCONCLUSIVE = "inconclusive"


class FeedbackError(ValueError):
    """Feedback that cannot be stored as given; ``field`` names the part of the request at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def record(
    store: Store,
    who: Principal,
    batch: Batch,
    company_id: str,
    probability: float,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """Store one outcome; a shortlist it cites must exist, be visible to the caller and hold the company."""
    shortlist_id = fields.get("shortlist_id")
    with store.session() as s:
        if shortlist_id is not None:
            found = s.get(Shortlist, shortlist_id)
            if found is None or not who.sees_shortlist(found.user_id, found.region):
                raise FeedbackError("shortlist_id", f"no shortlist {shortlist_id} is visible to you")
            held = s.scalar(
                select(ShortlistItem.rank).where(
                    ShortlistItem.shortlist_id == shortlist_id, ShortlistItem.company_id == company_id
                )
            )
            if held is None:
                raise FeedbackError("company_id", f"company {company_id} is not on shortlist {shortlist_id}")
        row = Feedback(
            company_id=company_id,
            shortlist_id=shortlist_id,
            outcome=str(fields["outcome"]),
            note=fields.get("note"),
            user_id=who.user_id,
            purpose=str(fields["purpose"]),
            case_reference=str(fields["case_reference"]),
            batch_id=batch.id,
            model_version=batch.model_version,
            probability=probability,
            created_at=datetime.now(UTC),
        )
        s.add(row)
        s.flush()
        return {
            "id": row.id,
            "company_id": company_id,
            "shortlist_id": shortlist_id,
            "outcome": row.outcome,
            "model_version": row.model_version,
            "created_at": row.created_at.isoformat(),
        }


def export(store: Store, out: Path, include_exported: bool = False) -> dict[str, Any]:
    """Write labelled cases (confirmed → 1, dismissed → 0) to Parquet atomically and report what was left out.

    Conflicts are judged over all feedback ever given, exported or not: a company confirmed in one export and
    dismissed later is left out and listed, not exported with the opposite label. Only rows that were exported
    are marked so; inconclusive and conflicting ones stay for the next export to report again.
    """
    frame = _all_feedback(store)
    decided = frame[frame["outcome"] != Outcome.INCONCLUSIVE.value]
    per_company = decided.groupby("company_id")["outcome"].nunique()
    conflicting = sorted(per_company[per_company > 1].index)
    fresh = frame if include_exported else frame[frame["exported_at"].isna()]
    labelled = fresh[(fresh["outcome"] != Outcome.INCONCLUSIVE.value) & ~fresh["company_id"].isin(conflicting)].copy()
    labelled["label"] = (labelled["outcome"] == Outcome.CONFIRMED.value).astype("int8")
    with atomic_file(out) as tmp:
        labelled.drop(columns=["exported_at"]).to_parquet(tmp, index=False)
    ids = [int(i) for i in labelled["feedback_id"]]
    with store.session() as s:
        for start in range(0, len(ids), 500):
            s.execute(
                update(Feedback).where(Feedback.id.in_(ids[start : start + 500])).values(exported_at=datetime.now(UTC))
            )
    return {
        "out": str(out),
        "read": len(fresh),
        "labelled": len(labelled),
        "confirmed": int(labelled["label"].sum()),
        "dismissed": int((labelled["label"] == 0).sum()),
        "inconclusive_left_out": int((fresh["outcome"] == Outcome.INCONCLUSIVE.value).sum()),
        "conflicting_companies_left_out": sorted(set(conflicting) & set(fresh["company_id"])),
    }


COLUMNS = [
    "feedback_id", "company_id", "outcome", "given_by", "role", "purpose", "case_reference", "model_version",
    "batch_id", "probability_then", "decided_at", "exported_at",
]  # fmt: skip


def _all_feedback(store: Store) -> pd.DataFrame:
    with store.session() as s:
        rows = s.execute(
            select(Feedback, User.name, User.role).join(User, User.id == Feedback.user_id).order_by(Feedback.id)
        ).all()
    return pd.DataFrame(
        [
            [
                f.id,
                f.company_id,
                f.outcome,
                name,
                role,
                f.purpose,
                f.case_reference,
                f.model_version,
                f.batch_id,
                f.probability,
                _naive_utc(f.created_at),
                _naive_utc(f.exported_at) if f.exported_at else None,
            ]
            for f, name, role in rows
        ],
        columns=COLUMNS,
    )


def _naive_utc(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert(None) if stamp.tzinfo else stamp
