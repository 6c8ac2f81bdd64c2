"""Analysts' outcomes: stored with who, why and on which score they acted; turned into labels only on request.

Export never decides silently: an inconclusive outcome is no label and is counted as such; a company with
conflicting outcomes is left out and listed; each exported row keeps its provenance, and every export is itself
written to the audit trail.

Labels steer retraining, so one account must not be able to write them: each user may give only
``FEEDBACK_PER_DAY`` outcomes a day, and an outcome becomes a label only once a second user who may see the
company (another analyst of its region) has confirmed it (``FEEDBACK_REVIEW``, on by default).
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core import settings
from core.io import atomic_file
from serving.access import Principal, aware
from serving.inclusion import batch_inclusion
from serving.store import Store
from serving.store.tables import Batch, Feedback, FeedbackReview, Shortlist, ShortlistItem, Signal, User

DAY = timedelta(days=1)


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


class FeedbackLimitError(ValueError):
    """The user has given ``FEEDBACK_PER_DAY`` outcomes in the last 24 hours; ``retry_after`` seconds until one more."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"at most {settings.FEEDBACK_PER_DAY} feedback records per user in 24 hours")
        self.retry_after = retry_after


class ReviewError(ValueError):
    """A confirmation that cannot be given: ``status`` 404 (no such outcome you may see), 403 (your own) or 409."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def record(
    store: Store,
    who: Principal,
    batch: Batch,
    company_id: str,
    probability: float,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """Store one outcome; a shortlist it cites must exist, be visible to the caller and hold the company.

    Refused with :class:`FeedbackLimitError` past the user's daily allowance. The user's row is locked first
    (PostgreSQL; SQLite writes one at a time anyway), so parallel requests cannot both pass the count.
    """
    shortlist_id = fields.get("shortlist_id")
    moment = datetime.now(UTC)
    with store.session() as s:
        s.execute(select(User.id).where(User.id == who.user_id).with_for_update())
        _check_allowance(s, who.user_id, moment)
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
            created_at=moment,
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


def _check_allowance(session: Any, user_id: int, moment: datetime) -> None:
    since = moment - DAY
    given = session.scalars(
        select(Feedback.created_at)
        .where(Feedback.user_id == user_id, Feedback.created_at > since)
        .order_by(Feedback.created_at.desc())
        .limit(settings.FEEDBACK_PER_DAY)
    ).all()
    if len(given) >= settings.FEEDBACK_PER_DAY:
        frees = aware(given[-1]) + DAY  # the oldest of the allowance leaves the window then
        raise FeedbackLimitError(max(1, math.ceil((frees - moment).total_seconds())))


def confirm(store: Store, who: Principal, feedback_id: int, purpose: str, case_reference: str) -> dict[str, Any]:
    """A second user's confirmation of an outcome, which the export demands before the outcome becomes a label.

    The confirmer must see the company (an analyst of the region it was scored in when the outcome was given) and
    must not be the one who gave it; an outcome they may not see answers exactly like one that does not exist.
    Confirming twice is refused (409): one person's word counts once.
    """
    with store.session() as s:
        found = s.execute(
            select(Feedback, Signal.riec_region)
            .join(Signal, (Signal.batch_id == Feedback.batch_id) & (Signal.company_id == Feedback.company_id))
            .where(Feedback.id == feedback_id)
        ).first()
        if found is None or not who.sees_region(found[1]):
            raise ReviewError(404, f"no feedback {feedback_id} is visible to you")
        given = found[0]
        if given.user_id == who.user_id:
            raise ReviewError(403, "an outcome needs a second person: you gave this one")
        moment = datetime.now(UTC)
        review = FeedbackReview(feedback_id=given.id, user_id=who.user_id, purpose=purpose,
                                case_reference=case_reference, created_at=moment)  # fmt: skip
        s.add(review)
        try:
            s.flush()
        except IntegrityError as exc:
            raise ReviewError(409, f"you have confirmed feedback {feedback_id} already") from exc
        return {
            "feedback_id": given.id,
            "company_id": given.company_id,
            "outcome": given.outcome,
            "confirmed_by": who.name,
            "confirmed_at": moment.isoformat(),
        }


def for_company(store: Store, who: Principal, company_id: str) -> list[dict[str, Any]]:
    """The outcomes given on a company in the caller's regions, newest first, with who confirmed each.

    The caller has been shown the company already (the route checks its scope); outcomes from batches in which
    the company lay in another region are left out, so a move between regions hands over no colleague's notes.
    """
    with store.session() as s:
        rows = s.execute(
            select(Feedback, User.name, Signal.riec_region)
            .join(User, User.id == Feedback.user_id)
            .join(Signal, (Signal.batch_id == Feedback.batch_id) & (Signal.company_id == Feedback.company_id))
            .where(Feedback.company_id == company_id)
            .order_by(Feedback.id.desc())
            .limit(200)
        ).all()
        visible = [(f, name) for f, name, region in rows if who.sees_region(region)]
        reviews = s.execute(
            select(FeedbackReview.feedback_id, User.name, FeedbackReview.user_id)
            .join(User, User.id == FeedbackReview.user_id)
            .where(FeedbackReview.feedback_id.in_([f.id for f, _ in visible]))
            .order_by(FeedbackReview.id)
        ).all()
    confirmed: dict[int, list[str]] = {}
    mine: set[int] = set()
    for feedback_id, name, user_id in reviews:
        confirmed.setdefault(feedback_id, []).append(name)
        if user_id == who.user_id:
            mine.add(feedback_id)
    return [
        {
            "id": f.id,
            "company_id": f.company_id,
            "outcome": f.outcome,
            "note": f.note,
            "given_by": name,
            "given_at": aware(f.created_at).isoformat(),
            "model_version": f.model_version,
            "confirmed_by": confirmed.get(f.id, []),
            "yours": f.user_id == who.user_id,
            "confirmable": f.user_id != who.user_id and f.id not in mine,
        }
        for f, name in visible
    ]


def export(store: Store, out: Path, include_exported: bool = False) -> dict[str, Any]:
    """Write labelled cases (confirmed → 1, dismissed → 0) to Parquet atomically and report what was left out.

    Conflicts are judged over all feedback ever given, exported or not, confirmed by a second user or not: a
    company confirmed in one export and dismissed later is left out and listed, not exported with the opposite
    label. With ``FEEDBACK_REVIEW`` (the default) an outcome no second user has confirmed is left out and counted.
    Only rows that were exported are marked so; the others stay for the next export to report again.
    """
    frame = _all_feedback(store)
    conflicting = _conflicting(frame)
    fresh = frame if include_exported else frame[frame["exported_at"].isna()]
    labelled = _labelled(fresh, conflicting)
    unconfirmed = fresh["confirmed_by"].isna()
    with atomic_file(out) as tmp:
        labelled.drop(columns=["exported_at"]).to_parquet(tmp, index=False)
    ids = [int(i) for i in labelled["feedback_id"]]
    with store.session() as s:
        for start in range(0, len(ids), 500):
            s.execute(
                update(Feedback).where(Feedback.id.in_(ids[start : start + 500])).values(exported_at=datetime.now(UTC))
            )
    waiting = (fresh["outcome"] != Outcome.INCONCLUSIVE.value) & ~fresh["company_id"].isin(conflicting) & unconfirmed
    return {
        "out": str(out),
        "read": len(fresh),
        "labelled": len(labelled),
        "confirmed": int(labelled["label"].sum()),
        "dismissed": int((labelled["label"] == 0).sum()),
        "inconclusive_left_out": int((fresh["outcome"] == Outcome.INCONCLUSIVE.value).sum()),
        "unconfirmed_left_out": int(waiting.sum()) if settings.FEEDBACK_REVIEW else 0,
        "conflicting_companies_left_out": sorted(set(conflicting) & set(fresh["company_id"])),
    }


def labelled_outcomes(store: Store) -> pd.DataFrame:
    """Every outcome that would be exported as a label, exported before or not, without marking any: for ``train``.

    The same rules as :func:`export` (no inconclusive, no conflicting company, a second user's confirmation when
    ``FEEDBACK_REVIEW``), so reading the store and reading an export teach a model the same thing.
    """
    frame = _all_feedback(store)
    return _labelled(frame, _conflicting(frame)).drop(columns=["exported_at"]).reset_index(drop=True)


def _conflicting(frame: pd.DataFrame) -> list[str]:
    decided = frame[frame["outcome"] != Outcome.INCONCLUSIVE.value]
    per_company = decided.groupby("company_id")["outcome"].nunique()
    return sorted(per_company[per_company > 1].index)


def _labelled(frame: pd.DataFrame, conflicting: list[str]) -> pd.DataFrame:
    usable = (frame["outcome"] != Outcome.INCONCLUSIVE.value) & ~frame["company_id"].isin(conflicting)
    if settings.FEEDBACK_REVIEW:
        usable &= frame["confirmed_by"].notna()
    labelled = frame[usable].copy()
    labelled["label"] = (labelled["outcome"] == Outcome.CONFIRMED.value).astype("int8")
    return labelled


COLUMNS = [
    "feedback_id", "company_id", "outcome", "given_by", "role", "purpose", "case_reference", "model_version",
    "batch_id", "probability_then", "decided_at", "confirmed_by", "confirmed_at", "exported_at",
    "as_of", "shortlist_id", "policy", "inclusion_probability", "explored",
]  # fmt: skip


def _all_feedback(store: Store) -> pd.DataFrame:
    """Every outcome with its giver, its first confirmation by another user (None: not confirmed) and its provenance.

    The provenance is what training needs to learn from the outcome without the runaway loop: the as-of date of
    the batch its list was drawn from (the served batch when it cites no list), and, when it came from a
    shortlist, that list's policy and the company's inclusion probability over all the lists of that batch.
    Outcomes given outside any shortlist have no known probability (NaN); training counts them and uses a
    documented default (``training.outcomes``).
    """
    with store.session() as s:
        rows = s.execute(
            select(Feedback, User.name, User.role, Batch.as_of, Batch.id, Shortlist.policy, ShortlistItem)
            .join(User, User.id == Feedback.user_id)
            .outerjoin(Shortlist, Shortlist.id == Feedback.shortlist_id)
            # the batch the cited list was drawn from, not the one served when the outcome was given
            .join(Batch, Batch.id == func.coalesce(Shortlist.batch_id, Feedback.batch_id))
            .outerjoin(
                ShortlistItem,
                (ShortlistItem.shortlist_id == Feedback.shortlist_id)
                & (ShortlistItem.company_id == Feedback.company_id),
            )
            .order_by(Feedback.id)
        ).all()
        first = (
            select(FeedbackReview.feedback_id, func.min(FeedbackReview.id).label("review_id"))
            .join(Feedback, Feedback.id == FeedbackReview.feedback_id)
            .where(FeedbackReview.user_id != Feedback.user_id)
            .group_by(FeedbackReview.feedback_id)
            .subquery()
        )
        reviews = {
            feedback_id: (name, at)
            for feedback_id, name, at in s.execute(
                select(first.c.feedback_id, User.name, FeedbackReview.created_at)
                .join(FeedbackReview, FeedbackReview.id == first.c.review_id)
                .join(User, User.id == FeedbackReview.user_id)
            ).all()
        }
    frame = pd.DataFrame(
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
                reviews[f.id][0] if f.id in reviews else None,
                _naive_utc(reviews[f.id][1]) if f.id in reviews else None,
                _naive_utc(f.exported_at) if f.exported_at else None,
                batch_as_of,
                f.shortlist_id,
                policy,
                item.inclusion_probability if item is not None else math.nan,  # no shortlist: not known
                bool(item.explored) if item is not None else False,
                listed_from if item is not None else None,
            ]
            for f, name, role, batch_as_of, listed_from, policy, item in rows
        ],
        columns=[*COLUMNS, "_list_batch"],
    )
    return _combined_inclusion(store, frame)


def _combined_inclusion(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """Each listed outcome's π over *all* lists of its batch, not only the one it cites (``serving.inclusion``)."""
    for batch_id in frame["_list_batch"].dropna().unique():
        rows = frame["_list_batch"] == batch_id
        pi = batch_inclusion(store, int(batch_id))
        combined = pi.reindex(frame.loc[rows, "company_id"].to_numpy()).to_numpy(np.float64)
        frame.loc[rows, "inclusion_probability"] = np.fmax(combined, frame.loc[rows, "inclusion_probability"])
    return frame.drop(columns=["_list_batch"])


def _naive_utc(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert(None) if stamp.tzinfo else stamp
