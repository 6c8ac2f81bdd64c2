"""Watchlists and the alert inbox: an analyst follows a company for a purpose and a case, for a limited time.

Following is entity data kept over time, so it is bound like every look-up: a company in the analyst's regions, a
legal purpose, a case reference, and an expiry of at most ``settings.WATCH_MAX_DAYS`` (six months) that is renewed
on purpose rather than left to run. Every change goes through the audited API. Oversight sees every watch and how
many companies each user follows, with company ids only under its own purpose and case.

The inbox shows alerts of the analyst's own watches on companies in their regions now; an analyst whose regions
shrank no longer sees alerts about companies outside them. Each alert is acknowledged once, with an outcome.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core import settings
from serving.access import Principal
from serving.alerts import load_rules
from serving.store import Store
from serving.store.tables import Alert, Batch, Signal, User, Watch

Outcome = Literal["not_material", "reviewed", "case_opened"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
INBOX_LIMIT = 200


class WatchError(ValueError):
    """A watch or alert request that cannot be carried out: ``field`` names the part at fault, ``status`` the code."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def follow(
    store: Store, who: Principal, company_id: str, purpose: str, case_reference: str, days: int | None = None
) -> dict[str, Any]:
    """Open a watch on a company the caller sees; one open watch per analyst and company (409 for a second)."""
    length = _days(days)
    now = datetime.now(UTC)
    with store.write_lock(), store.session() as s:
        open_one = s.scalar(
            select(Watch.id).where(Watch.user_id == who.user_id, Watch.company_id == company_id, _is_open(now))
        )
        if open_one is not None:
            raise WatchError("body.company_id", f"you already follow {company_id} (watch {open_one}); renew it", 409)
        row = Watch(
            user_id=who.user_id, company_id=company_id, purpose=purpose, case_reference=case_reference,
            created_at=now, expires_at=now + timedelta(days=length), renewals=0,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _out(row, now)


def renew(store: Store, who: Principal, watch_id: int, days: int | None = None) -> dict[str, Any]:
    """Extend an open watch of the caller's to ``days`` from now; an ended or expired one is followed anew."""
    length = _days(days)
    now = datetime.now(UTC)
    with store.session() as s:
        row = _own(s, who, watch_id)
        if not _open(row, now):
            raise WatchError("path.watch_id", f"watch {watch_id} has ended or expired: follow the company again", 409)
        row.expires_at, row.renewals = now + timedelta(days=length), row.renewals + 1
        s.flush()
        return _out(row, now)


def end(store: Store, who: Principal, watch_id: int) -> dict[str, Any]:
    """Stop following: the watch stays on record (retention removes it later) but receives no alerts."""
    now = datetime.now(UTC)
    with store.session() as s:
        row = _own(s, who, watch_id)
        if row.ended_at is None:
            row.ended_at = now
        s.flush()
        return _out(row, now)


def watches_of(store: Store, who: Principal, include_closed: bool = False) -> list[dict[str, Any]]:
    """The caller's watches, newest first, on companies in their regions in the served batch."""
    now = datetime.now(UTC)
    with store.session() as s:
        query = select(Watch).where(Watch.user_id == who.user_id).order_by(Watch.created_at.desc(), Watch.id.desc())
        if not include_closed:
            query = query.where(_is_open(now))
        rows = list(s.scalars(query))
        visible = _visible_companies(s, who, {r.company_id for r in rows})
        return [_out(r, now) | {"name": visible[r.company_id]} for r in rows if r.company_id in visible]


def watching(store: Store, who: Principal, company_id: str) -> dict[str, Any] | None:
    """The caller's open watch on the company, if any (the company page's follow button)."""
    now = datetime.now(UTC)
    with store.session() as s:
        row = s.scalar(select(Watch).where(Watch.user_id == who.user_id, Watch.company_id == company_id, _is_open(now)))
        return None if row is None else _out(row, now)


def oversight_view(store: Store, with_companies: bool) -> dict[str, Any]:
    """Every watch, and per user how many companies they follow now; company ids only when asked with a case."""
    now = datetime.now(UTC)
    with store.session() as s:
        rows = s.execute(select(Watch, User.name).join(User, User.id == Watch.user_id).order_by(Watch.id)).all()
    per_user: dict[str, set[str]] = {}
    listed = []
    for row, name in rows:
        if _open(row, now):
            per_user.setdefault(str(name), set()).add(row.company_id)
        out = _out(row, now) | {"user": str(name)}
        if not with_companies:
            out.pop("company_id")
        listed.append(out)
    return {
        "users": [{"user": u, "following": len(c)} for u, c in sorted(per_user.items())],
        "watches": listed,
        "max_days": settings.WATCH_MAX_DAYS,
    }


def inbox(store: Store, who: Principal, include_acknowledged: bool = False) -> list[dict[str, Any]]:
    """Alerts of the caller's watches on companies in their regions, newest first (at most ``INBOX_LIMIT``)."""
    labels = {r.id: {"nl": r.label_nl, "en": r.label_en} for r in load_rules()}
    with store.session() as s:
        query = (
            select(Alert, Signal.riec_region, Signal.name, Batch.as_of)
            .join(Watch, Watch.id == Alert.watch_id)
            .join(Signal, and_(Signal.batch_id == Alert.batch_id, Signal.company_id == Alert.company_id))
            .join(Batch, Batch.id == Alert.batch_id)
            .where(Watch.user_id == who.user_id)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(INBOX_LIMIT)
        )
        if not include_acknowledged:
            query = query.where(Alert.acknowledged_at.is_(None))
        rows = s.execute(query).all()
    return [_alert(a, name, as_of, labels) for a, region, name, as_of in rows if who.sees_region(region)]


def acknowledge(store: Store, who: Principal, alert_id: int, outcome: str) -> dict[str, Any]:
    """Record the analyst's outcome for one of their alerts, once (409 for a second time)."""
    if outcome not in OUTCOMES:
        raise WatchError("body.outcome", f"outcome must be one of {OUTCOMES}")
    labels = {r.id: {"nl": r.label_nl, "en": r.label_en} for r in load_rules()}
    with store.session() as s:
        found = s.execute(
            select(Alert, Signal.riec_region, Signal.name, Batch.as_of)
            .join(Watch, Watch.id == Alert.watch_id)
            .join(Signal, and_(Signal.batch_id == Alert.batch_id, Signal.company_id == Alert.company_id))
            .join(Batch, Batch.id == Alert.batch_id)
            .where(Alert.id == alert_id, Watch.user_id == who.user_id)
            .with_for_update(of=Alert)
        ).first()
        if found is None or not who.sees_region(found[1]):
            raise WatchError("path.alert_id", f"no alert {alert_id} is yours to see", 404)
        alert = found[0]
        if alert.acknowledged_at is not None:
            raise WatchError("path.alert_id", f"alert {alert_id} was acknowledged already ({alert.outcome})", 409)
        alert.acknowledged_at, alert.outcome = datetime.now(UTC), outcome
        s.flush()
        return _alert(alert, found[2], found[3], labels)


def _days(days: int | None) -> int:
    length = settings.WATCH_MAX_DAYS if days is None else days
    if not 1 <= length <= settings.WATCH_MAX_DAYS:
        raise WatchError("body.days", f"a watch lasts 1 to {settings.WATCH_MAX_DAYS} days")
    return length


def _is_open(now: datetime) -> Any:
    return and_(Watch.ended_at.is_(None), Watch.expires_at > now)


def _open(row: Watch, now: datetime) -> bool:
    return row.ended_at is None and _aware(row.expires_at) > now


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the store writes UTC only."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _own(s: Session, who: Principal, watch_id: int) -> Watch:
    row = s.scalar(select(Watch).where(Watch.id == watch_id).with_for_update())
    if row is None or row.user_id != who.user_id:
        raise WatchError("path.watch_id", f"no watch {watch_id} is yours", 404)
    return row


def _visible_companies(s: Session, who: Principal, company_ids: set[str]) -> dict[str, str]:
    """Of ``company_ids``, those in the caller's regions in the served batch, with their names."""
    if not company_ids:
        return {}
    current = select(Batch.id).where(Batch.current.is_(True)).scalar_subquery()
    rows = s.execute(
        select(Signal.company_id, Signal.name, Signal.riec_region).where(
            Signal.batch_id == current, Signal.company_id.in_(sorted(company_ids))
        )
    ).all()
    return {str(c): str(n) for c, n, r in rows if who.sees_region(r)}


def _out(row: Watch, now: datetime) -> dict[str, Any]:
    state = "ended" if row.ended_at is not None else ("open" if _aware(row.expires_at) > now else "expired")
    return {
        "watch_id": row.id,
        "company_id": row.company_id,
        "purpose": row.purpose,
        "case_reference": row.case_reference,
        "created_at": _aware(row.created_at).isoformat(),
        "expires_at": _aware(row.expires_at).isoformat(),
        "renewals": row.renewals,
        "state": state,
    }


def _alert(row: Alert, name: Any, as_of: Any, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "alert_id": row.id,
        "watch_id": row.watch_id,
        "company_id": row.company_id,
        "name": str(name),
        "batch_id": row.batch_id,
        "previous_batch_id": row.previous_batch_id,
        "as_of": str(as_of),
        "rule": row.rule,
        "label": labels.get(row.rule, {"nl": row.rule, "en": row.rule}),
        "level": row.level,
        "facts": json.loads(row.facts),
        "created_at": _aware(row.created_at).isoformat(),
        "acknowledged_at": _aware(row.acknowledged_at).isoformat() if row.acknowledged_at else None,
        "outcome": row.outcome,
    }
