"""The learning loop as oversight watches it: per batch, how its lists were drawn and what came back from them.

A loop that runs away shows first in its own bookkeeping: exploration realised below the policy's share (lists
drawn while the setting was off), outcomes given only on the fixed places (analysts skipping the drawn ones), or
feedback labels that come almost all from the system's own lists. These are counts of lists and outcomes, never of
named companies; like every count oversight sees they are rounded to a multiple of five (``serving.signals``),
and a share over fewer than ``MIN_SHARE_BASE`` places or outcomes is not shown. A company with several outcomes
on one batch counts once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from serving.signals import rounded
from serving.store import Store
from serving.store.tables import Batch, Feedback, Shortlist, ShortlistItem


def loop_by_batch(store: Store, limit: int = 8) -> list[dict[str, Any]]:
    """The newest batches' lists, places drawn at random, and outcomes on fixed and drawn places."""
    with store.session() as s:
        batches = s.execute(
            select(Batch.id, Batch.as_of, Batch.model_version).order_by(Batch.id.desc()).limit(limit)
        ).all()
        out = []
        for batch_id, as_of, version in batches:
            lists = s.scalar(select(func.count()).select_from(Shortlist).where(Shortlist.batch_id == batch_id)) or 0
            items = s.execute(
                select(ShortlistItem.explored, func.count())
                .join(Shortlist, Shortlist.id == ShortlistItem.shortlist_id)
                .where(Shortlist.batch_id == batch_id)
                .group_by(ShortlistItem.explored)
            ).all()
            listed = {bool(e): int(n) for e, n in items}
            # outcomes on this batch's lists (whenever given), and outcomes given without a list while it was served
            outcomes = s.execute(
                select(ShortlistItem.explored, Feedback.outcome, func.count(func.distinct(Feedback.company_id)))
                .select_from(Feedback)
                .outerjoin(Shortlist, Shortlist.id == Feedback.shortlist_id)
                .outerjoin(
                    ShortlistItem,
                    (ShortlistItem.shortlist_id == Feedback.shortlist_id)
                    & (ShortlistItem.company_id == Feedback.company_id),
                )
                .where(func.coalesce(Shortlist.batch_id, Feedback.batch_id) == batch_id)
                .group_by(ShortlistItem.explored, Feedback.outcome)
            ).all()
            out.append(_row(as_of, version, int(lists), listed, list(outcomes)))
    return out


#: A share over fewer than this many places or outcomes is not shown: it would tell of a handful of companies.
MIN_SHARE_BASE = 10


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole >= MIN_SHARE_BASE else None


def _row(as_of: str, version: str, lists: int, listed: dict[bool, int], outcomes: list[Any]) -> dict[str, Any]:
    given = {"fixed": 0, "explored": 0, "outside": 0}
    confirmed = {"fixed": 0, "explored": 0}
    for explored, outcome, n in outcomes:
        where = "outside" if explored is None else ("explored" if explored else "fixed")
        given[where] += int(n)
        if outcome == "confirmed" and where in confirmed:
            confirmed[where] += int(n)
    total_listed = listed.get(True, 0) + listed.get(False, 0)
    on_lists = given["fixed"] + given["explored"]
    return {
        "as_of": as_of,
        "model_version": version,
        "lists": rounded(lists),
        "listed": rounded(total_listed),
        "explored_share": _share(listed.get(True, 0), total_listed),
        "outcomes_fixed": rounded(given["fixed"]),
        "outcomes_explored": rounded(given["explored"]),
        "outcomes_outside": rounded(given["outside"]),
        "from_lists_share": _share(on_lists, on_lists + given["outside"]),
        "answered_fixed": _share(given["fixed"], listed.get(False, 0)),
        "answered_explored": _share(given["explored"], listed.get(True, 0)),
        "confirmed_fixed": _share(confirmed["fixed"], given["fixed"]),
        "confirmed_explored": _share(confirmed["explored"], given["explored"]),
    }
