"""The hash chain and its audit key: every kind of tampering is found and named, on SQLite and PostgreSQL.

Concurrent appends, from threads and from processes, make one chain; retention holds in prune and in verify.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update

from core import settings
from serving import auditlog
from serving.auditkey import AuditKeyError, keyring, rotate
from serving.auditlog import Entry, RetentionError, append, prune, record_hash, signed_head, verify
from serving.store import Store, open_store
from serving.store.db import alembic_config
from serving.store.tables import AuditHead, AuditRecord


def _chain(store: Store, n: int = 6) -> None:
    for i in range(n):
        entry = Entry(user=f"u{i}", role="analyst", method="GET", endpoint="/v1/x", params={"i": i},
                      purpose="riec_case", case_reference="C-1", entity_ids=[f"{i:08d}"], status=200)  # fmt: skip
        append(store, entry)


def _hashed(record: AuditRecord) -> dict[str, object]:
    """What the record's hash covers, as an attacker who read the code would recompute it."""
    return {k: getattr(record, k) for k in auditlog.HASHED_BY_LAYOUT[record.layout]}


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


def test_an_edit_with_a_recomputed_hash_is_named_by_its_mac(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        rec = s.get(AuditRecord, 3)
        assert rec is not None
        rec.entity_ids = '["00000000"]'
        rec.hash = record_hash(_hashed(rec))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 3 and "not authenticated by the audit key" in result.reason


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
        forged = _hashed(last)
        forged.update(seq=7, prev_hash=last.hash, user="mallory")
        s.execute(insert(AuditRecord).values(**forged, hash=record_hash(forged), signer=last.signer, mac=last.mac))
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
    assert not result.ok and result.first_bad_seq == 1 and "no prune record" in result.reason


def test_a_cut_tail_with_the_head_set_back_by_hand_is_found_by_the_heads_mac(store: Store) -> None:
    _chain(store)
    with store.session() as s:
        fourth = s.get(AuditRecord, 4)
        assert fourth is not None
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= 5))
        s.execute(update(AuditHead).values(seq=4, hash=fourth.hash))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 5 and "head row" in result.reason


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


# --- issue 21: what a database writer without the audit key can no longer do ----------------------------------


def _rewrite_from(store: Store, seq: int, **values: object) -> None:
    """Edit record ``seq`` and recompute every hash after it and the head: a consistent rewrite without the key."""
    with store.session() as s:
        records = list(s.scalars(select(AuditRecord).where(AuditRecord.seq >= seq).order_by(AuditRecord.seq)))
        for name, value in values.items():
            setattr(records[0], name, value)
        previous = records[0].prev_hash
        for record in records:
            record.prev_hash = previous
            record.hash = previous = record_hash(_hashed(record))
        s.execute(update(AuditHead).values(seq=records[-1].seq, hash=previous))


def test_a_consistent_rewrite_of_every_hash_is_found_at_the_first_rewritten_record(store: Store) -> None:
    _chain(store)
    _rewrite_from(store, 3, case_reference="C-other")
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 3 and "not authenticated" in result.reason


def test_a_forged_prune_is_refused_even_with_a_newer_head_expected(store: Store) -> None:
    """The review's attack: delete 1..S, set the anchor to S, append a correctly chained prune naming S."""
    _chain(store)
    kept = auditlog.Expected(**{k: v for k, v in signed_head(store).items()})
    with store.session() as s:
        third = s.get(AuditRecord, 3)
        head = s.get(AuditHead, 1)
        assert third is not None and head is not None
        old = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        params = {"anchor_seq": 3, "anchor_hash": third.hash, "older_than": old, "kept_days": 365}
        forged = {k: getattr(third, k) for k in auditlog.HASHED_BY_LAYOUT[2]}
        forged.update(seq=7, user="cli", role="system", method="CLI", endpoint=auditlog.PRUNE,
                      params=auditlog._canonical(params), entity_ids="[]", prev_hash=head.hash)  # fmt: skip
        digest = record_hash(forged)
        s.execute(delete(AuditRecord).where(AuditRecord.seq <= 3))
        s.execute(insert(AuditRecord).values(**forged, hash=digest, signer="test", mac="0" * 64))
        s.execute(update(AuditHead).values(seq=7, hash=digest, anchor_seq=3, anchor_hash=third.hash))
    for expect in (None, kept):
        result = verify(store, expect=expect)
        assert not result.ok and result.first_bad_seq == 1, result
    assert "not authenticated" in verify(store).reason or "no prune record" in verify(store).reason


def test_a_prune_below_the_legal_minimum_is_refused_even_when_signed(store: Store) -> None:
    """Someone with the key but not the code (a hand-made prune of 30 days) is caught by verify, not only prune."""
    _chain(store, 3)
    young = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.write_lock(), store.engine.begin() as c:
        params = {"anchor_seq": 0, "anchor_hash": auditlog.GENESIS, "older_than": young, "kept_days": 30}
        auditlog._append(c, Entry(user="cli", role="system", method="CLI", endpoint=auditlog.PRUNE, params=params),
                         auditlog._stamp(), keyring())  # fmt: skip
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 4 and "legal minimum" in result.reason


def _head_row(store: Store) -> dict[str, object]:
    with store.session() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        return {k: getattr(head, k) for k in ("seq", "hash", "anchor_seq", "anchor_hash", "signer", "mac")}


def test_a_replayed_older_head_is_found_by_the_records_past_it(store: Store) -> None:
    _chain(store, 4)
    older = _head_row(store)
    _chain(store, 2)
    with store.session() as s:
        s.execute(update(AuditHead).values(**older))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 5 and "past the recorded head" in result.reason


def test_a_replayed_older_head_with_the_tail_cut_needs_the_signed_head_kept_outside(store: Store) -> None:
    _chain(store, 4)
    older = _head_row(store)
    _chain(store, 2)
    kept = auditlog.parse_expect(json.dumps(signed_head(store)))
    with store.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= 5))
        s.execute(update(AuditHead).values(**older))
    assert verify(store).ok  # an authentic older state: undetectable from inside the database (docs/security.md)
    result = verify(store, expect=kept)
    assert not result.ok and result.first_bad_seq == 5 and "were cut" in result.reason
    assert verify(store, expect=(4, str(older["hash"]))).ok


def test_an_exported_head_is_signed_and_a_forged_one_is_refused(store: Store, tmp_path: Path) -> None:
    _chain(store, 3)
    head = signed_head(store)
    assert head["seq"] == 3 and len(head["mac"]) == 64
    kept = tmp_path / "head.json"
    kept.write_text(json.dumps(head))
    assert verify(store, expect=auditlog.parse_expect(str(kept))).ok
    forged = auditlog.parse_expect(json.dumps({**head, "seq": 2}))
    result = verify(store, expect=forged)
    assert not result.ok and "not signed by the audit key" in result.reason
    with pytest.raises(auditlog.ExpectError):
        auditlog.parse_expect("3:abc")


def test_records_signed_by_a_key_the_ring_lacks_are_named(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _chain(store, 2)
    monkeypatch.setattr(settings, "AUDIT_KEY", "other:" + "77" * 32)
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 1 and "signer test" in result.reason


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "audit.keys"
    monkeypatch.setattr(settings, "AUDIT_KEY", "")
    monkeypatch.setattr(settings, "AUDIT_KEY_FILE", path)
    return path


def test_the_key_file_is_made_owner_only_and_refused_when_others_can_read_it(key_file: Path) -> None:
    ring = keyring()
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(ring.keys) == 1
    key_file.chmod(0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        keyring()


def test_a_rotated_key_signs_new_records_and_the_old_one_still_verifies(key_file: Path, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'rotated.db'}")
    first = keyring().current
    _chain(store, 2)
    second = rotate()
    _chain(store, 2)
    assert second != first and keyring().current == second
    with store.session() as s:
        assert [r.signer for r in s.scalars(select(AuditRecord).order_by(AuditRecord.seq))] == [first] * 2 + [
            second
        ] * 2
    assert verify(store).ok
    store.dispose()


def test_migration_seals_the_records_written_before_the_audit_key(tmp_path: Path) -> None:
    """A store from before revision 0003 keeps its hashes and verifies after the upgrade, every record signed."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as c:
        command.upgrade(alembic_config(c), "0002")
    previous = auditlog.GENESIS
    with engine.begin() as c:
        for seq in (1, 2, 3):
            fields = {"seq": seq, "at": auditlog._stamp(), "user": "old", "role": "analyst", "method": "GET",
                      "endpoint": "/v1/x", "params": "{}", "purpose": "", "case_reference": "", "entity_ids": "[]",
                      "model_version": "", "status": 200, "prev_hash": previous}  # fmt: skip
            previous = record_hash(fields)
            columns, values = ", ".join(fields), ", ".join(f":{k}" for k in fields)
            c.execute(
                text(f"INSERT INTO audit_log ({columns}, hash) VALUES ({values}, :hash)"), {**fields, "hash": previous}
            )
        c.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": previous})
    engine.dispose()
    store = open_store(url)
    _chain(store, 1)
    result = verify(store)
    assert result.ok and result.checked == 4, result
    store.dispose()


def _append_many(url: str, worker: int, n: int) -> None:
    store = open_store(url, migrate=False)
    for i in range(n):
        append(store, Entry(user=f"p{worker}", role="analyst", method="GET", endpoint="/v1/x", params={"i": i},
                            status=200))  # fmt: skip
    store.dispose()


def test_processes_appending_at_once_extend_one_chain(store: Store) -> None:
    """Four processes, each with its own engine: a database race (not a lock in this process) would fork the chain.

    Forked (the modules are loaded already), and each child opens its own engine, never the parent's connections.
    """
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(url, w, 40)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    result = verify(store)
    assert result.ok and result.checked == 160, result
    with store.session() as s:
        assert list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq))) == list(range(1, 161))


def test_a_mac_that_is_not_hex_is_named_not_a_crash(store: Store) -> None:
    _chain(store, 3)
    _edit(store, 2, mac="é" * 64)
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 2 and "not authenticated" in result.reason
