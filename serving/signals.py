"""The queries behind the entity endpoints: shortlists, one company's signal, and the regional picture.

Scope is enforced here as well as in the routes: a company outside the caller's regions is treated exactly like
one that does not exist, so the answer never reveals which companies are scored elsewhere.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import case, func, insert, select

from serving.access import Principal, aware
from serving.store import Store
from serving.store.tables import Batch, Shortlist, ShortlistItem, Signal

SUPPRESS_BELOW = 10
SHOWN = (
    Signal.company_id,
    Signal.name,
    Signal.municipality,
    Signal.sbi_section,
    Signal.score,
    Signal.probability,
    Signal.region_rank,
    Signal.reasons,
)


@dataclass(frozen=True)
class ShortlistRequest:
    """What an analyst asks for."""

    region: str
    sector: str | None
    municipality: str | None
    top_k: int
    purpose: str
    case_reference: str


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7): new shortlists land at the end of their indexes.

    Random (version 4) keys scatter a hundred item rows per shortlist across the index; measured, shortlist
    creation slowed by half once a store held a few hundred thousand items. Python 3.11 has no uuid7 yet.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | secrets.randbits(12) << 64 | 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _item(sig: Any, rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "company_id": sig.company_id,
        "name": sig.name,
        "municipality": sig.municipality,
        "sector": sig.sbi_section,
        "score": sig.score,
        "probability": sig.probability,
        "region_rank": sig.region_rank,
        "reasons": orjson.loads(sig.reasons),
    }


def create_shortlist(store: Store, who: Principal, batch: Batch, ask: ShortlistRequest) -> dict[str, Any]:
    """The ``top_k`` highest-ranked companies of a region (optionally one sector or municipality), stored as given."""
    query = select(*SHOWN).where(Signal.batch_id == batch.id, Signal.riec_region == ask.region)
    if ask.sector:
        query = query.where(Signal.sbi_section == ask.sector)
    if ask.municipality:
        query = query.where(Signal.municipality == ask.municipality)
    shortlist_id = uuid7()
    created = datetime.now(UTC)
    with store.write_lock(), store.engine.begin() as c:  # Core, not the ORM: a hundred items per request
        found = c.execute(query.order_by(Signal.region_rank).limit(ask.top_k)).all()
        c.execute(
            insert(Shortlist).values(
                id=shortlist_id,
                user_id=who.user_id,
                batch_id=batch.id,
                region=ask.region,
                sector=ask.sector,
                municipality=ask.municipality,
                top_k=ask.top_k,
                purpose=ask.purpose,
                case_reference=ask.case_reference,
                model_version=batch.model_version,
                created_at=created,
            )
        )
        if found:
            rows = [
                {"shortlist_id": shortlist_id, "rank": i, "company_id": x.company_id} for i, x in enumerate(found, 1)
            ]
            c.execute(insert(ShortlistItem), rows)
    return _shortlist(shortlist_id, ask, batch, created, [_item(x, i) for i, x in enumerate(found, 1)])


def _shortlist(
    shortlist_id: str, ask: ShortlistRequest, batch: Batch, created: datetime, items: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": shortlist_id,
        "region": ask.region,
        "sector": ask.sector,
        "municipality": ask.municipality,
        "top_k": ask.top_k,
        "purpose": ask.purpose,
        "case_reference": ask.case_reference,
        "model_version": batch.model_version,
        "as_of": batch.as_of,
        "created_at": created.isoformat(),
        "items": items,
    }


def read_shortlist(store: Store, who: Principal, shortlist_id: str) -> dict[str, Any] | None:
    """A stored shortlist, for its requester or an analyst of its region; None otherwise (as if it did not exist)."""
    with store.session() as s:
        found = s.get(Shortlist, shortlist_id)
        if found is None or not who.sees_shortlist(found.user_id, found.region):
            return None
        batch = s.get(Batch, found.batch_id)
        rows = s.execute(
            select(ShortlistItem.rank, Signal)
            .join(Signal, (Signal.company_id == ShortlistItem.company_id) & (Signal.batch_id == found.batch_id))
            .where(ShortlistItem.shortlist_id == shortlist_id)
            .order_by(ShortlistItem.rank)
        ).all()
    assert batch is not None
    ask = ShortlistRequest(
        found.region, found.sector, found.municipality, found.top_k, found.purpose, found.case_reference
    )
    created = aware(found.created_at)
    return _shortlist(found.id, ask, batch, created, [_item(sig, rank) for rank, sig in rows])


def company_signal(store: Store, who: Principal, batch: Batch, company_id: str) -> Any:
    """The company's row in the batch if the caller may see it; None both when absent and when out of scope."""
    with store.engine.connect() as c:
        sig = c.execute(select(Signal).where(Signal.batch_id == batch.id, Signal.company_id == company_id)).first()
    if sig is None or not who.sees_region(sig.riec_region):
        return None
    return sig


def regional_picture(store: Store, batch: Batch, region: str, threshold: float) -> dict[str, Any]:
    """Companies, signals at or above ``threshold`` and mean probability per municipality × SBI section.

    Cells of fewer than ten companies are suppressed (counts and mean withheld, marked as such), so the picture
    can be shared without pointing at single businesses.
    """
    above = func.sum(case((Signal.probability >= threshold, 1), else_=0))
    query = (
        select(
            Signal.municipality,
            Signal.sbi_section,
            func.count().label("companies"),
            above.label("signals"),
            func.avg(Signal.probability).label("mean_probability"),
        )
        .where(Signal.batch_id == batch.id, Signal.riec_region == region)
        .group_by(Signal.municipality, Signal.sbi_section)
        .order_by(Signal.municipality, Signal.sbi_section)
    )
    with store.session() as s:
        rows = s.execute(query).all()
    cells = []
    for m, sector, n, k, mean in rows:
        hidden = int(n) < SUPPRESS_BELOW
        cells.append(
            {
                "municipality": m,
                "sector": sector,
                "suppressed": hidden,
                "companies": None if hidden else int(n),
                "signals": None if hidden else int(k or 0),
                "mean_probability": None if hidden else float(mean),
            }
        )
    return {
        "region": region,
        "model_version": batch.model_version,
        "as_of": batch.as_of,
        "threshold": threshold,
        "suppress_below": SUPPRESS_BELOW,
        "cells": cells,
    }


def recent_shortlists(store: Store, who: Principal, limit: int = 10) -> list[dict[str, Any]]:
    """The caller's own latest shortlists: what was asked, for which case, when; no companies."""
    with store.session() as s:
        rows = s.scalars(
            select(Shortlist).where(Shortlist.user_id == who.user_id).order_by(Shortlist.id.desc()).limit(limit)
        ).all()
    return [
        {
            "id": r.id,
            "region": r.region,
            "sector": r.sector,
            "municipality": r.municipality,
            "top_k": r.top_k,
            "purpose": r.purpose,
            "case_reference": r.case_reference,
            "created_at": aware(r.created_at),
        }
        for r in rows
    ]


def municipalities(store: Store, batch: Batch, regions: tuple[str, ...]) -> list[str]:
    """The municipalities with scored companies in ``regions``, for a shortlist form to offer."""
    with store.session() as s:
        found = s.scalars(
            select(Signal.municipality)
            .where(Signal.batch_id == batch.id, Signal.riec_region.in_(regions))
            .distinct()
            .order_by(Signal.municipality)
        ).all()
    return list(found)
