"""Retention: each kind of record goes after its period, never the served batch, never below the trail's needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core import settings
from serving import retention, signals, watches
from serving.access import Principal, Role, add_user
from serving.batches import load_batch
from serving.scoring import score_file
from serving.store import Store
from serving.store.tables import Alert, Batch, Feedback, Shortlist, ShortlistItem, Signal, User, Watch

from .conftest import PURPOSE, REGION
from .world import Snapshot

OLD = datetime.now(UTC) - timedelta(days=3 * 365)  # past every period but feedback's five years
OLDER = datetime.now(UTC) - timedelta(days=6 * 365)


def _principal(store: Store, name: str) -> Principal:
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        assert user is not None
        return Principal(user.id, user.name, Role(user.role), tuple(json.loads(user.regions)))


def _count(store: Store, table: type, *where: object) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_prune_removes_only_what_outlived_its_period(store: Store, snapshot: Snapshot, tmp_path: Path) -> None:
    root = tmp_path / "store"
    loaded = [load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=root)]
    for version in ("2", "3"):  # same facts, another version: other scores, so each is a batch of its own
        rescored = score_file(snapshot.model, snapshot.indicators, tmp_path / f"scores-{version}.parquet", version)
        loaded.append(load_batch(store, rescored.out, snapshot.indicators, snapshot.world, root=root))
    add_user(store, "keeper", Role.ANALYST, [REGION])
    who = _principal(store, "keeper")
    with store.session() as s:
        batch = s.get(Batch, loaded[-1].batch_id)
        assert batch is not None
        s.expunge(batch)
    listed = signals.create_shortlist(store, who, batch, signals.ShortlistRequest(REGION, None, None, 5, **PURPOSE))
    kept_list = signals.create_shortlist(store, who, batch, signals.ShortlistRequest(REGION, None, None, 5, **PURPOSE))
    company = listed["items"][0]["company_id"]
    old_watch = watches.follow(store, who, company, PURPOSE["purpose"], PURPOSE["case_reference"])
    other = listed["items"][1]["company_id"]
    open_watch = watches.follow(store, who, other, PURPOSE["purpose"], PURPOSE["case_reference"])
    with store.session() as s:
        for b in loaded:  # every batch loaded long ago: the served one and its predecessor must stay anyway
            s.execute(update(Batch).where(Batch.id == b.batch_id).values(loaded_at=OLD))
        s.execute(update(Shortlist).values(created_at=OLD))
        s.execute(update(Watch).where(Watch.id == old_watch["watch_id"]).values(expires_at=OLD, created_at=OLD))
        s.add(Alert(watch_id=old_watch["watch_id"], company_id=company, batch_id=batch.id, previous_batch_id=1,
                    rule="band_up", level=2.0, facts="{}", created_at=OLD))  # fmt: skip
        base = {"company_id": company, "outcome": "confirmed", "user_id": who.user_id, "batch_id": batch.id,
                "model_version": "3", "probability": 0.1, **PURPOSE}  # fmt: skip
        s.add(Feedback(**base, created_at=OLDER))
        s.add(Feedback(**base, created_at=OLD))  # three years old: kept
        s.add(Feedback(**base, shortlist_id=kept_list["id"], created_at=datetime.now(UTC)))
    planned = retention.prune(store, root=root, dry_run=True)
    assert planned["removed"] == {"batches": 1, "watches": 1, "alerts": 1, "feedback": 1, "shortlists": 1}
    assert _count(store, Signal, Signal.batch_id == loaded[0].batch_id) > 0  # a dry run removes nothing
    done = retention.prune(store, root=root)
    assert done["removed"] == planned["removed"]
    assert _count(store, Signal, Signal.batch_id == loaded[0].batch_id) == 0
    assert not loaded[0].folder.exists() and loaded[1].folder.exists() and loaded[2].folder.exists()
    assert all(_count(store, Signal, Signal.batch_id == b.batch_id) > 0 for b in loaded[1:])
    assert _count(store, Batch) == 3  # a pruned batch keeps its row: shortlists and outcomes name it
    assert _count(store, Watch) == 1 and _count(store, Watch, Watch.id == open_watch["watch_id"]) == 1
    assert _count(store, Alert) == 0 and _count(store, Feedback) == 2
    assert _count(store, Shortlist, Shortlist.id == kept_list["id"]) == 1  # an outcome came from it
    assert _count(store, ShortlistItem, ShortlistItem.shortlist_id == listed["id"]) == 0
    again = retention.prune(store, root=root)
    assert set(again["removed"].values()) == {0}


def test_no_period_is_shorter_than_the_trail_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {p.what for p in retention.check()} == {"batches", "shortlists", "watches", "alerts", "feedback"}
    assert all(p.reason and p.days >= settings.AUDIT_RETENTION_MIN_DAYS for p in retention.periods())
    monkeypatch.setattr(settings, "RETAIN_ALERT_DAYS", 30)
    with pytest.raises(retention.RetentionError, match="RETAIN_ALERT_DAYS=30"):
        retention.check()
