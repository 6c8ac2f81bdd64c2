"""The queries behind the entity endpoints: shortlists, one company's signal, and the regional picture.

Scope is enforced here as well as in the routes: a company outside the caller's regions is treated exactly like
one that does not exist, so the answer never reveals which companies are scored elsewhere.

The regional picture is for oversight too, who may see no company at all, so it is built to resist being
queried into one: signals are counted only at a few fixed bands (a free threshold lets a binary search recover
each cell's sorted probabilities), counts are rounded and small ones withheld, and withholding is complementary
per row and per column, so that a total from elsewhere minus the cells shown never reveals a withheld cell.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import case, func, insert, select

from core import settings
from fairness.suppression import suppression_mask  # the fairness report's own disclosure rule, not a second one
from models.shortlist import Policy, configured_policy, draw
from serving.access import Principal, aware
from serving.store import Store
from serving.store.tables import Batch, Shortlist, ShortlistItem, Signal

SUPPRESS_BELOW = 10
#: Shown signal counts are multiples of this, so that bands and cells cannot be subtracted into exact small counts.
ROUND_TO = 5
#: The only probabilities the regional picture counts signals at, by name (lowest first); clients choose a name.
#: The pages' probability bands are the same ones (``serving.ui.present``), so "high" means one thing everywhere.
BandName = Literal["raised", "high", "very_high"]
SIGNAL_BANDS: dict[BandName, float] = {"raised": settings.SIGNAL_THRESHOLD, "high": 0.05, "very_high": 0.20}
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


def _item(sig: Any, rank: int, probability: float = 1.0, explored: bool = False) -> dict[str, Any]:
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
        "inclusion_probability": probability,
        "explored": explored,
    }


def create_shortlist(store: Store, who: Principal, batch: Batch, ask: ShortlistRequest) -> dict[str, Any]:
    """Up to ``top_k`` companies of a region (optionally one sector or municipality), drawn under the policy, stored.

    The policy is the operator's setting, not the analyst's choice: one who could switch exploration off for a
    list would take exactly the outcomes away that keep the model honest. Explored items are marked, because
    their inclusion probability and region rank show it anyway, and an analyst who wonders why a lower-ranked
    company is listed deserves the answer (docs/learning-loop.md).
    """
    policy = configured_policy()
    query = select(*SHOWN).where(Signal.batch_id == batch.id, Signal.riec_region == ask.region)
    if ask.sector:
        query = query.where(Signal.sbi_section == ask.sector)
    if ask.municipality:
        query = query.where(Signal.municipality == ask.municipality)
    shortlist_id = uuid7()
    created = datetime.now(UTC)
    seed = secrets.randbits(64)
    reach = ask.top_k if policy.kind == "top_k" else policy.pool * ask.top_k
    with store.write_lock(), store.engine.begin() as c:  # Core, not the ORM: a hundred items per request
        candidates = c.execute(query.order_by(Signal.region_rank).limit(reach)).all()
        chosen = draw(len(candidates), ask.top_k, policy, np.random.default_rng(seed))
        listed = [
            (candidates[int(p)], float(pi), bool(e))
            for p, pi, e in zip(chosen.positions, chosen.probability, chosen.explored, strict=True)
        ]
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
                policy=policy.kind,
                epsilon=policy.epsilon,
                pool=policy.pool,
                draw_seed=f"{seed:016x}",
            )
        )
        if listed:
            rows = [
                {"shortlist_id": shortlist_id, "rank": i, "company_id": x.company_id,
                 "inclusion_probability": pi, "explored": e}
                for i, (x, pi, e) in enumerate(listed, 1)
            ]  # fmt: skip
            c.execute(insert(ShortlistItem), rows)
    items = [_item(x, i, pi, e) for i, (x, pi, e) in enumerate(listed, 1)]
    return _shortlist(shortlist_id, ask, batch, created, items, policy)


def _shortlist(
    shortlist_id: str,
    ask: ShortlistRequest,
    batch: Batch,
    created: datetime,
    items: list[dict[str, Any]],
    policy: Policy,
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
        "policy": policy.kind,
        "epsilon": policy.epsilon,
        "explored": sum(1 for i in items if i["explored"]),
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
            select(ShortlistItem.rank, ShortlistItem.inclusion_probability, ShortlistItem.explored, Signal)
            .join(Signal, (Signal.company_id == ShortlistItem.company_id) & (Signal.batch_id == found.batch_id))
            .where(ShortlistItem.shortlist_id == shortlist_id)
            .order_by(ShortlistItem.rank)
        ).all()
    assert batch is not None
    ask = ShortlistRequest(
        found.region, found.sector, found.municipality, found.top_k, found.purpose, found.case_reference
    )
    created = aware(found.created_at)
    items = [_item(sig, rank, pi, bool(e)) for rank, pi, e, sig in rows]
    return _shortlist(found.id, ask, batch, created, items, Policy.named(found.policy, found.epsilon, found.pool))


def company_signal(store: Store, who: Principal, batch: Batch, company_id: str) -> Any:
    """The company's row in the batch if the caller may see it; None both when absent and when out of scope."""
    with store.engine.connect() as c:
        sig = c.execute(select(Signal).where(Signal.batch_id == batch.id, Signal.company_id == company_id)).first()
    if sig is None or not who.sees_region(sig.riec_region):
        return None
    return sig


def regional_picture(store: Store, batch: Batch, region: str, band: BandName = "raised") -> dict[str, Any]:
    """Companies, signals in ``band`` or above and mean probability per municipality × SBI section, protected.

    A cell of fewer than ten companies is withheld whole; so is, per municipality and per sector, a second cell
    wherever exactly one is withheld (complementary), because the municipality's and the sector's company counts
    are public. Signal counts follow the same rule on their own: a count of 1-9 signals, or of 1-9 companies that
    are not signals, is withheld (either would point at a few named businesses), with its complement; the counts
    shown are rounded to a multiple of five.

    Each cell also shows its change since the batch loaded before this one (``batch.previous_id``): the previous
    rounded signal count and the change in mean probability, only where the cell is shown in both batches, so
    the change reveals nothing either picture withholds.
    """
    floor = SIGNAL_BANDS[band]
    cells = _protected_cells(store, batch.id, region, floor)
    before = _protected_cells(store, batch.previous_id, region, floor) if batch.previous_id else {}
    for key, cell in cells.items():
        old = before.get(key)
        shown = old is not None and not cell["signals_withheld"] and not old["signals_withheld"]
        cell["signals_before"] = old["signals"] if shown and old is not None else None
        same = old is not None and not cell["suppressed"] and not old["suppressed"]
        cell["mean_probability_change"] = (
            cell["mean_probability"] - old["mean_probability"] if same and old is not None else None
        )
    return {
        "region": region,
        "model_version": batch.model_version,
        "as_of": batch.as_of,
        "previous_batch_id": batch.previous_id if before else None,
        "band": band,
        "band_floor": floor,
        "suppress_below": SUPPRESS_BELOW,
        "rounded_to": ROUND_TO,
        "cells": list(cells.values()),
    }


def _protected_cells(store: Store, batch_id: int, region: str, floor: float) -> dict[tuple[str, str], dict[str, Any]]:
    """One batch's protected cells of the region, by (municipality, sector)."""
    above = func.sum(case((Signal.probability >= floor, 1), else_=0))
    query = (
        select(
            Signal.municipality,
            Signal.sbi_section,
            func.count().label("companies"),
            above.label("signals"),
            func.avg(Signal.probability).label("mean_probability"),
        )
        .where(Signal.batch_id == batch_id, Signal.riec_region == region)
        .group_by(Signal.municipality, Signal.sbi_section)
        .order_by(Signal.municipality, Signal.sbi_section)
    )
    with store.session() as s:
        rows = [(m, sector, int(n), int(k or 0), float(mean)) for m, sector, n, k, mean in s.execute(query).all()]
    frame = pd.DataFrame(rows, columns=["municipality", "sector", "companies", "signals", "mean"])
    hidden = protect(frame, frame["companies"] < SUPPRESS_BELOW)
    few = frame["signals"].between(1, SUPPRESS_BELOW - 1)
    few_others = (frame["companies"] - frame["signals"]).between(1, SUPPRESS_BELOW - 1)
    withheld = protect(frame, pd.Series(hidden) | few | few_others, frame["signals"])
    return {
        (m, sector): {
            "municipality": m,
            "sector": sector,
            "suppressed": cell_hidden,
            "companies": None if cell_hidden else n,
            "signals_withheld": signals_hidden,
            "signals": None if signals_hidden else rounded(k),
            "mean_probability": None if cell_hidden else mean,
        }
        for (m, sector, n, k, mean), cell_hidden, signals_hidden in zip(rows, hidden, withheld, strict=True)
    }


def rounded(count: int) -> int:
    """To the nearest multiple of :data:`ROUND_TO` (halves up); zero stays zero."""
    return int((count + ROUND_TO // 2) // ROUND_TO * ROUND_TO)


def protect(frame: pd.DataFrame, primary: pd.Series, sizes: pd.Series | None = None) -> list[bool]:
    """``primary`` widened until no municipality and no sector has exactly one withheld cell.

    Each pass hands one dimension to :func:`fairness.suppression.suppression_mask`, which withholds, where an
    attribute (here: a row, or a column) has exactly one small group, its smallest other group as well. Cells
    already withheld are passed as size 0, so they count as the small ones; the others as their ``sizes`` (company
    counts unless given) lifted past the limit, so that their order decides which one goes. Withholding in a row
    can leave a column with one, so the passes repeat until nothing changes.
    """
    mask = primary.to_numpy(dtype=bool).copy()
    weight = (frame["companies"] if sizes is None else sizes).to_numpy(dtype=float) + SUPPRESS_BELOW
    while True:
        before = mask.copy()
        for dimension in ("municipality", "sector"):
            sized = [0.0 if m else w for m, w in zip(mask, weight, strict=True)]
            groups = pd.DataFrame({"attribute_name": frame[dimension].to_numpy(), "group_size": sized})
            mask |= suppression_mask(groups, SUPPRESS_BELOW).to_numpy(dtype=bool)
        if (mask == before).all():
            return [bool(m) for m in mask]


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
