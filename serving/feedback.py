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
            if found is None or not (found.user_id == who.user_id or who.sees_region(found.region)):
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
    """Write labelled cases (confirmed → 1, dismissed → 0) to Parquet atomically and report what was left out."""
    with store.session() as s:
        query = select(Feedback, User.name, User.role).join(User, User.id == Feedback.user_id)
        if not include_exported:
            query = query.where(Feedback.exported_at.is_(None))
        rows = s.execute(query.order_by(Feedback.id)).all()
    frame = pd.DataFrame(
        [
            {
                "feedback_id": f.id,
                "company_id": f.company_id,
                "outcome": f.outcome,
                "given_by": name,
                "role": role,
                "purpose": f.purpose,
                "case_reference": f.case_reference,
                "model_version": f.model_version,
                "batch_id": f.batch_id,
                "probability_then": f.probability,
                "decided_at": pd.Timestamp(f.created_at).tz_localize(None) if f.created_at.tzinfo is None
                else pd.Timestamp(f.created_at).tz_convert(None),
            }
            for f, name, role in rows
        ],
        columns=[
            "feedback_id", "company_id", "outcome", "given_by", "role", "purpose", "case_reference",
            "model_version", "batch_id", "probability_then", "decided_at",
        ],
    )  # fmt: skip
    decided = frame[frame["outcome"] != Outcome.INCONCLUSIVE.value]
    per_company = decided.groupby("company_id")["outcome"].nunique()
    conflicting = sorted(per_company[per_company > 1].index)
    labelled = decided[~decided["company_id"].isin(conflicting)].copy()
    labelled["label"] = (labelled["outcome"] == Outcome.CONFIRMED.value).astype("int8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    labelled.to_parquet(tmp, index=False)
    tmp.replace(out)
    with store.session() as s:
        ids = [int(i) for i in frame["feedback_id"]]
        if ids:
            s.execute(update(Feedback).where(Feedback.id.in_(ids)).values(exported_at=datetime.now(UTC)))
    return {
        "out": str(out),
        "read": len(frame),
        "labelled": len(labelled),
        "confirmed": int(labelled["label"].sum()),
        "dismissed": int((labelled["label"] == 0).sum()),
        "inconclusive_left_out": int((frame["outcome"] == Outcome.INCONCLUSIVE.value).sum()),
        "conflicting_companies_left_out": conflicting,
    }
