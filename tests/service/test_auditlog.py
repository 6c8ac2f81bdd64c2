"""The hash chain: every kind of tampering is found and named; concurrent appends make one chain; retention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from serving import auditlog
from serving.auditlog import Entry, RetentionError, append, prune, record_hash, verify
from serving.store import Store
from serving.store.tables import AuditHead, AuditRecord


def _chain(store: Store, n: int = 6) -> None:
    for i in range(n):
        entry = Entry(user=f"u{i}", role="analyst", method="GET", endpoint="/v1/x", params={"i": i},
                      purpose="riec_case", case_reference="C-1", entity_ids=[f"{i:08d}"], status=200)  # fmt: skip
        append(store, entry)


def _edit(store: Store, seq: int, **values: object) -> None:
    with store.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == seq).values(**values))


def test_an_untouched_chain_verifies(store: Store) -> None:
    _chain(store)
    result = verify(store)
    assert result.ok and result.checked == 6 and result.head_seq == 6 and result.first_bad_seq is None


def test_an_edited_record_is_named(store: Store) -> None:
    _chain(store)
    _edit(store, 3, case_reference="C-2")
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 3 and "edited" in result.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        rec = s.get(AuditRecord, 3)
        assert rec is not None
        rec.entity_ids = '["00000000"]'
        rec.hash = record_hash({k: getattr(rec, k) for k in auditlog.HASHED})
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 4 and "does not link" in result.reason


def test_a_deleted_record_is_named(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 2))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 2 and "missing" in result.reason


def test_a_cut_tail_is_found_through_the_head(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= 5))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 5 and "end of the chain" in result.reason


def test_an_inserted_record_is_found(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        last = s.get(AuditRecord, 6)
        assert last is not None
        forged = {k: getattr(last, k) for k in auditlog.HASHED}
        forged.update(seq=7, prev_hash=last.hash, user="mallory")
        s.execute(insert(AuditRecord).values(**forged, hash=record_hash(forged)))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 7 and "past the recorded head" in result.reason


def test_concurrent_appends_extend_one_chain(store: Store) -> None:
    def work() -> None:
        for _ in range(15):
            append(store, Entry(user="t", role="analyst", method="GET", endpoint="/v1/x", status=200))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(store)
    assert result.ok and result.checked == 90
    with store.session() as s:
        assert list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq))) == list(range(1, 91))


def test_retention_never_below_six_months(store: Store) -> None:
    with pytest.raises(RetentionError, match="at least 183 days"):
        prune(store, days=90)


def test_pruning_moves_the_anchor_and_the_rest_still_verifies(store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    for i in range(3):
        append(store, Entry(user="old", status=200, params={"i": i}), at=old + timedelta(minutes=i))
    _chain(store, 2)
    summary = prune(store, days=365)
    assert summary["removed"] == 3
    result = verify(store)
    assert result.ok and result.anchor_seq == 3 and result.checked == 3  # two kept + the prune's own record
    assert auditlog.page(store, 1, 1)[0][0]["params"]["anchor_seq"] == 3
    with store.session() as s:
        assert s.get(AuditRecord, 1) is None and s.get(AuditRecord, 4) is not None


def test_a_broken_chain_is_never_pruned(store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    append(store, Entry(user="old", status=200), at=old)
    _chain(store, 2)
    _edit(store, 2, user="someone else")
    with pytest.raises(RetentionError, match="broken"):
        prune(store, days=365)
    with store.session() as s:
        assert s.get(AuditRecord, 1) is not None


def test_verify_while_requests_append_reads_no_tampering(store: Store) -> None:
    _chain(store, 50)
    stop = threading.Event()

    def keep_appending() -> None:
        while not stop.is_set():
            append(store, Entry(user="live", role="analyst", method="GET", endpoint="/v1/x", status=200))

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        results = [verify(store, batch=7) for _ in range(5)]
    finally:
        stop.set()
        writer.join()
    assert all(r.ok for r in results), [r.reason for r in results if not r.ok]


def test_deleting_old_records_and_moving_the_anchor_by_hand_is_found(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        third = s.get(AuditRecord, 3)
        assert third is not None
        s.execute(delete(AuditRecord).where(AuditRecord.seq <= 2))
        s.execute(update(AuditHead).values(anchor_seq=2, anchor_hash=third.prev_hash))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 2 and "no prune record" in result.reason


def test_a_cut_tail_with_the_head_set_back_needs_the_head_kept_outside(store: Store) -> None:
    _chain(store)
    kept = verify(store)
    with store.session() as s:
        fourth = s.get(AuditRecord, 4)
        assert fourth is not None
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= 5))
        s.execute(update(AuditHead).values(seq=4, hash=fourth.hash))
    assert verify(store).ok  # undetectable from inside the database, as docs/service.md says...
    result = verify(store, expect=(kept.head_seq, kept.head_hash))
    assert not result.ok and result.first_bad_seq == 6 and "tail was cut" in result.reason  # ...but not from outside
    assert verify(store, expect=(4, fourth.hash)).ok


def test_a_prune_in_chunks_records_every_anchor_move(store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    for i in range(7):
        append(store, Entry(user="old", status=200, params={"i": i}), at=old + timedelta(minutes=i))
    _chain(store, 1)
    assert prune(store, days=365, chunk=3)["removed"] == 7
    result = verify(store)
    assert result.ok and result.anchor_seq == 7
    prunes = [r for r in auditlog.page(store, 1, 50)[0] if r["endpoint"] == auditlog.PRUNE]
    assert [p["params"]["anchor_seq"] for p in prunes] == [7, 6, 3]  # newest first
