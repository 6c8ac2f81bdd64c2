"""The audit trail: one record per request, each holding the hash of the one before.

An edited record no longer matches its hash; an inserted or deleted one breaks the link to its neighbour; a cut
tail no longer reaches the head kept in ``audit_head``. ``verify`` walks the chain once and names the first record
where any of that shows. Appends are serialised by writing the head row first, which takes the write lock on
SQLite and a row lock on PostgreSQL, so concurrent requests and processes extend one chain, never two (the
store's write lock in front of it only makes waiting writers wake sooner on SQLite).

What the chain cannot catch from inside the database: someone with write access who cuts the tail and sets the
head back to the last record kept, or who rewrites every hash from an edit onwards and the head. A head kept
outside (``tegenkracht audit-log verify`` prints it; ``--expect SEQ:HASH`` checks it later) catches both.
Moving the anchor, the start of the chain after pruning, needs the prune record that names it, inside the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from core import settings
from serving.store import Store
from serving.store.tables import AuditHead, AuditRecord

GENESIS = "0" * 64
PRUNE = "audit-log prune"
HASHED = (
    "seq",
    "at",
    "user",
    "role",
    "method",
    "endpoint",
    "params",
    "purpose",
    "case_reference",
    "entity_ids",
    "model_version",
    "status",
    "prev_hash",
)


class RetentionError(ValueError):
    """A prune that would cut records younger than the legal minimum, or cut a broken chain."""


@dataclass
class Entry:
    """What one request leaves behind; filled in as the request is handled."""

    user: str = "-"
    role: str = "-"
    method: str = ""
    endpoint: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    purpose: str = ""
    case_reference: str = ""
    entity_ids: list[str] = field(default_factory=list)
    model_version: str = ""
    status: int = 0


@dataclass(frozen=True)
class Verification:
    """The chain's state: ok, how many records were checked, and the first bad one with the reason."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    anchor_seq: int
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the hashed fields in a fixed order, as canonical JSON."""
    return hashlib.sha256(_canonical([fields[k] for k in HASHED]).encode()).hexdigest()


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in HASHED}


def append(store: Store, entry: Entry, at: datetime | None = None) -> int:
    """Add one record at the end of the chain; returns its sequence number."""
    with store.write_lock(), store.engine.begin() as c:  # Core, not the ORM: this runs on every request
        return _append(c, entry, _stamp(at))


def _append(c: Connection, entry: Entry, stamp: str) -> int:
    """Append inside the caller's transaction: the head row is written first, which is the lock."""
    c.execute(update(AuditHead).where(AuditHead.id == 1).values(touched_at=stamp))
    head_seq, head_hash = c.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    fields: dict[str, Any] = {
        "seq": int(head_seq) + 1,
        "at": stamp,
        "user": entry.user[:100],
        "role": entry.role[:20],
        "method": entry.method[:10],
        "endpoint": entry.endpoint[:200],
        "params": _canonical(entry.params),
        "purpose": entry.purpose[:40],
        "case_reference": entry.case_reference[:64],
        "entity_ids": _canonical(entry.entity_ids),
        "model_version": entry.model_version[:20],
        "status": int(entry.status),
        "prev_hash": head_hash,
    }
    digest = record_hash(fields)
    c.execute(insert(AuditRecord).values(**fields, hash=digest))
    c.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=fields["seq"], hash=digest))
    return int(fields["seq"])


def verify(store: Store, expect: tuple[int, str] | None = None, batch: int = 5_000) -> Verification:
    """Walk the chain from its anchor to the head as it stood when the walk began; stop at the first bad record.

    Records appended during the walk are left for the next run, so a live service never reads as tampered.
    ``expect`` is a head kept outside the database (``seq``, ``hash``): the chain must still hold it.
    """
    with store.session() as s:
        head = s.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        head_seq, head_hash, anchor_seq, anchor_hash = head.seq, head.hash, head.anchor_seq, head.anchor_hash
    expected_seq, expected_prev, checked = anchor_seq + 1, anchor_hash, 0
    anchor_recorded = anchor_seq == 0

    def result(bad: int | None = None, reason: str = "") -> Verification:
        return Verification(bad is None, checked, head_seq, head_hash, anchor_seq, bad, reason)

    for record in _records(store, batch, head_seq):
        if record.seq < expected_seq:
            return result(record.seq, f"record {record.seq} lies before the anchor ({anchor_seq}) or repeats")
        if record.seq > expected_seq:
            return result(expected_seq, f"record(s) {expected_seq}..{record.seq - 1} are missing (deleted)")
        if record.prev_hash != expected_prev:
            return result(
                record.seq,
                f"record {record.seq} does not link to record {record.seq - 1}: "
                "one of them was edited, or a record was inserted or deleted between them",
            )
        if record_hash(_fields(record)) != record.hash:
            return result(record.seq, f"record {record.seq} was edited: its content no longer matches its hash")
        anchor_recorded = anchor_recorded or _moves_anchor_to(record, anchor_seq, anchor_hash)
        expected_seq, expected_prev, checked = record.seq + 1, record.hash, checked + 1
    last = expected_seq - 1
    if last < head_seq:
        return result(last + 1, f"record(s) {last + 1}..{head_seq} at the end of the chain are missing (deleted)")
    if expected_prev != head_hash:
        return result(last, f"record {last} is not the recorded head: the head or the record was edited")
    if not anchor_recorded:
        return result(
            anchor_seq, f"the chain starts after record {anchor_seq} but no prune record moved it there: deleted"
        )
    past = _past_head(store)
    if past:
        return result(past[0], past[1])
    if expect is not None:
        missing = _holds(store, *expect, anchor_seq)
        if missing:
            return result(expect[0], missing)
    return result()


def _moves_anchor_to(record: AuditRecord, anchor_seq: int, anchor_hash: str) -> bool:
    """Whether ``record`` is the prune that cut the chain at the current anchor."""
    if record.endpoint != PRUNE or record.role != "system":
        return False
    params = json.loads(record.params)
    return bool(params.get("anchor_seq") == anchor_seq and params.get("anchor_hash") == anchor_hash)


def _past_head(store: Store) -> tuple[int, str] | None:
    """A record beyond the current head (inserted behind the chain's back), checked under the write lock."""
    with store.write_lock(), store.session() as s:
        seq, digest = s.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
        top = s.scalar(select(func.max(AuditRecord.seq)))
        at_head = s.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seq))
    if top is not None and top > seq:
        return int(top), f"record {top} is past the recorded head {seq}: inserted, or the head was edited"
    if seq > 0 and at_head is not None and at_head != digest:
        return int(seq), f"record {seq} is not the recorded head: the head or the record was edited"
    return None


def _holds(store: Store, seq: int, digest: str, anchor_seq: int) -> str:
    """Empty if the chain still holds record ``seq`` with ``digest``; otherwise why not."""
    if seq <= anchor_seq:
        return f"record {seq} was pruned (the chain starts after {anchor_seq}); it cannot be checked any more"
    with store.session() as s:
        found = s.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seq))
    if found is None:
        return f"the chain no longer holds record {seq}, a head kept outside: its tail was cut"
    if found != digest:
        return f"record {seq} no longer has the hash kept outside: the chain was rewritten"
    return ""


def _records(store: Store, batch: int, upto: int) -> Iterator[AuditRecord]:
    """Records up to ``upto`` in sequence order, read in pages so memory stays flat however long the chain is."""
    after = -1
    while True:
        with store.session() as s:
            query = select(AuditRecord).where(AuditRecord.seq > after, AuditRecord.seq <= upto)
            rows = list(s.scalars(query.order_by(AuditRecord.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


@dataclass(frozen=True)
class Filter:
    """What an oversight reader narrows the trail to.

    Every given field must match: exactly, or for the company, as one of the record's entity ids.
    """

    user: str | None = None
    case_reference: str | None = None
    company_id: str | None = None
    endpoint: str | None = None

    def where(self) -> list[Any]:
        """The conditions, for a query on :class:`AuditRecord`."""
        found: list[Any] = []
        if self.user:
            found.append(AuditRecord.user == self.user)
        if self.case_reference:
            found.append(AuditRecord.case_reference == self.case_reference)
        if self.endpoint:
            found.append(AuditRecord.endpoint == self.endpoint)
        if self.company_id:  # entity ids are a JSON list of quoted ids; the quotes make the match exact
            found.append(AuditRecord.entity_ids.contains(f'"{self.company_id}"', autoescape=True))
        return found


def page(store: Store, number: int, size: int, narrow: Filter | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of records, newest first, and the total count (of the records ``narrow`` keeps)."""
    conditions = narrow.where() if narrow else []
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(AuditRecord).where(*conditions)) or 0)
        rows = s.scalars(
            select(AuditRecord)
            .where(*conditions)
            .order_by(AuditRecord.seq.desc())
            .offset((number - 1) * size)
            .limit(size)
        ).all()
    return [as_dict(r) for r in rows], total


def as_dict(record: AuditRecord) -> dict[str, Any]:
    """A record for the API and the CLI, JSON fields decoded."""
    out = {k: getattr(record, k) for k in (*HASHED, "hash")}
    out["params"] = json.loads(record.params)
    out["entity_ids"] = json.loads(record.entity_ids)
    return out


def prune(store: Store, days: int | None = None, by: str = "cli", chunk: int = 20_000) -> dict[str, Any]:
    """Drop records older than the retention period, after checking the chain; each cut becomes the new anchor.

    Refuses below the legal minimum and refuses to cut a broken chain (pruning would destroy the evidence).
    Cuts ``chunk`` records per transaction, so appends (every request) wait a moment, not the whole prune; each
    cut appends its own prune record naming the new anchor, which ``verify`` demands.
    """
    keep = settings.AUDIT_RETENTION_DAYS if days is None else days
    if keep < settings.AUDIT_RETENTION_MIN_DAYS:
        raise RetentionError(
            f"the audit trail is kept at least {settings.AUDIT_RETENTION_MIN_DAYS} days (AI Act art. 26(6)); "
            f"{keep} is too short"
        )
    state = verify(store)
    if not state.ok:
        raise RetentionError(f"the chain is broken ({state.reason}); nothing is pruned")
    cutoff = _stamp(datetime.now(UTC) - timedelta(days=keep))
    removed = 0
    while True:
        with store.write_lock(), store.engine.begin() as c:
            c.execute(update(AuditHead).where(AuditHead.id == 1).values(touched_at=_stamp()))
            anchor = int(c.scalar(select(AuditHead.anchor_seq).where(AuditHead.id == 1)) or 0)
            cut = c.execute(
                select(AuditRecord.seq, AuditRecord.hash)
                .where(AuditRecord.at < cutoff, AuditRecord.seq <= anchor + chunk)
                .order_by(AuditRecord.seq.desc())
                .limit(1)
            ).first()
            if cut is None:
                break
            gone = c.execute(delete(AuditRecord).where(AuditRecord.seq <= cut.seq))
            removed += int(getattr(gone, "rowcount", 0) or 0)
            c.execute(update(AuditHead).where(AuditHead.id == 1).values(anchor_seq=cut.seq, anchor_hash=cut.hash))
            params = {"anchor_seq": cut.seq, "anchor_hash": cut.hash, "older_than": cutoff, "kept_days": keep}
            _append(c, Entry(user=by, role="system", method="CLI", endpoint=PRUNE, params=params), _stamp())
    return {"removed": removed, "older_than": cutoff, "kept_days": keep}
