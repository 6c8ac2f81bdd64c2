"""The audit trail: one record per request, each holding the hash of the one before and an HMAC under the audit key.

An edited record no longer matches its hash; an inserted or deleted one breaks the link to its neighbour; a cut
tail no longer reaches the head kept in ``audit_head``. The hashes alone do not stop someone who can write the
database: they can recompute every hash from an edit onwards, or delete the oldest records and append a prune
record that names the cut. So every record, the head row and every prune also carry an HMAC under the audit key
(:mod:`serving.auditkey`), which the database never holds: without it no record can be forged, and ``verify``
refuses any record, head or prune the key does not authenticate, and any prune that cut records younger than the
legal minimum. ``verify`` walks the chain once and names the first record where any of that shows.

What the key cannot show from inside the database: a writer who puts back an older head row, authenticated when it
was written, and deletes every record after it. A head exported with ``tegenkracht audit-log head`` (signed, so it
cannot be forged either) and kept outside by oversight catches that: ``verify --expect`` demands the chain still
holds it. Appends are serialised by writing the head row first, which takes the write lock on SQLite and a row
lock on PostgreSQL, so concurrent requests and processes extend one chain, never two.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from core import settings
from serving.auditkey import Keyring, export_message, head_message, keyring, record_message
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
# Layout 2 (migration 0003) adds the API key's public id; layout-1 records keep the hash they were written with.
HASHED_BY_LAYOUT = {1: HASHED, 2: (*HASHED, "key_id", "layout")}
LAYOUT = 2


class RetentionError(ValueError):
    """A prune that would cut records younger than the legal minimum, or cut a broken chain."""


class ChainError(ValueError):
    """The chain does not verify, so what was asked (a signed head) would vouch for a broken trail."""


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
    key_id: str = ""
    pending_seq: int = 0  # the pending record a changing request wrote before its handler ran; not hashed itself


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
    """SHA-256 over the hashed fields of the record's layout in a fixed order, as canonical JSON."""
    names = HASHED_BY_LAYOUT[int(fields.get("layout", 1))]
    return hashlib.sha256(_canonical([fields[k] for k in names]).encode()).hexdigest()


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in HASHED_BY_LAYOUT.get(record.layout, HASHED)}


def append(store: Store, entry: Entry, at: datetime | None = None) -> int:
    """Add one record at the end of the chain; returns its sequence number."""
    ring = keyring()  # before the lock: a missing or unreadable key fails here, with nothing written
    with store.write_lock(), store.engine.begin() as c:  # Core, not the ORM: this runs on every request
        return _append(c, entry, _stamp(at), ring)


def _append(c: Connection, entry: Entry, stamp: str, ring: Keyring) -> int:
    """Append inside the caller's transaction: the head row is written first, which is the lock."""
    c.execute(update(AuditHead).where(AuditHead.id == 1).values(touched_at=stamp))
    head_seq, head_hash, anchor_seq, anchor_hash = c.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.anchor_seq, AuditHead.anchor_hash).where(AuditHead.id == 1)
    ).one()
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
        "key_id": entry.key_id[:16],
        "layout": LAYOUT,
    }
    digest = record_hash(fields)
    signer, mac = ring.sign(record_message(digest))
    c.execute(insert(AuditRecord).values(**fields, hash=digest, signer=signer, mac=mac))
    _move_head(c, ring, fields["seq"], digest, int(anchor_seq), anchor_hash)
    return int(fields["seq"])


def _move_head(c: Connection, ring: Keyring, seq: int, digest: str, anchor_seq: int, anchor_hash: str) -> None:
    signer, mac = ring.sign(head_message(seq, digest, anchor_seq, anchor_hash))
    c.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=seq, hash=digest, anchor_seq=anchor_seq, anchor_hash=anchor_hash, signer=signer, mac=mac)
    )


@dataclass(frozen=True)
class Expected:
    """A head kept outside the database: ``seq`` and ``hash``, and when exported signed, its time and MAC."""

    seq: int
    hash: str
    at: str = ""
    signer: str = ""
    mac: str = ""

    @property
    def signed(self) -> bool:
        """Whether it came as an exported head (with a MAC), not as a bare ``SEQ:HASH``."""
        return bool(self.mac)


class ExpectError(ValueError):
    """A head kept outside that cannot be read: neither ``SEQ:HASH`` nor an exported head."""


def parse_expect(value: str) -> Expected:
    """``SEQ:HASH``, or the JSON of an exported head (``audit-log head``), or a file holding that JSON."""
    text = value.strip()
    if not text.startswith("{") and ":" not in text:
        path = Path(text)
        if not path.is_file():
            raise ExpectError(f"{value!r} is neither SEQ:HASH, an exported head's JSON, nor a file holding one")
        text = path.read_text().strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
            return Expected(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["signer"]),
                            str(data["mac"]))  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise ExpectError("an exported head has seq, hash, at, signer and mac") from exc
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ExpectError("expect SEQ:HASH, with the 64-character hash that verify printed")
    return Expected(int(seq), digest)


def signed_head(store: Store, at: datetime | None = None) -> dict[str, Any]:
    """The current head, signed with the audit key, for oversight to keep outside (after checking the chain)."""
    state = verify(store)
    if not state.ok:
        raise ChainError(f"the chain is broken ({state.reason}); no head is exported")
    stamp = _stamp(at)
    signer, mac = keyring().sign(export_message(state.head_seq, state.head_hash, stamp))
    return {"seq": state.head_seq, "hash": state.head_hash, "at": stamp, "signer": signer, "mac": mac}


def verify(store: Store, expect: Expected | tuple[int, str] | None = None, batch: int = 5_000) -> Verification:
    """Walk the chain from its anchor to the head as it stood when the walk began; stop at the first bad record.

    Records appended during the walk are left for the next run, so a live service never reads as tampered.
    ``expect`` is a head kept outside the database: the chain must still hold it, and an exported one must carry
    the audit key's signature.
    """
    ring = keyring()
    with store.session() as s:
        head = s.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        head_seq, head_hash, anchor_seq, anchor_hash = head.seq, head.hash, head.anchor_seq, head.anchor_hash
        head_signed = ring.checks(head.signer, head_message(head_seq, head_hash, anchor_seq, anchor_hash), head.mac)
    walk = _Walk(ring, anchor_seq, anchor_hash)

    def result(bad: int | None = None, reason: str = "") -> Verification:
        return Verification(bad is None, walk.checked, head_seq, head_hash, anchor_seq, bad, reason)

    if isinstance(expect, tuple):
        expect = Expected(*expect)
    if expect is not None and expect.signed and not _signed_export(ring, expect):
        return result(expect.seq, "the head kept outside is not signed by the audit key: it cannot vouch for anything")
    if anchor_seq > 0:
        moved = _anchor_moved(store, ring, anchor_seq, anchor_hash)
        if moved is not None:
            return result(
                moved + 1,
                f"records {moved + 1}..{anchor_seq} are missing: the chain starts after record {anchor_seq} "
                "but no prune record that the audit key authenticates moved it there",
            )
    for record in _records(store, batch, head_seq):
        bad = walk.step(record)
        if bad:
            return result(*bad)
    last = walk.expected_seq - 1
    if last < head_seq:
        return result(last + 1, f"record(s) {last + 1}..{head_seq} at the end of the chain are missing (deleted)")
    if walk.expected_prev != head_hash:
        return result(last, f"record {last} is not the recorded head: the head or the record was edited")
    if not head_signed:
        return result(head_seq + 1, f"the head row (record {head_seq}) is not authenticated by the audit key: "
                      f"it was set by hand, so records after {head_seq} may have been cut")  # fmt: skip
    past = _past_head(store)
    if past:
        return result(past[0], past[1])
    if expect is not None:
        missing = _holds(store, expect.seq, expect.hash, anchor_seq, head_seq)
        if missing:
            return result(*missing)
    return result()


def _anchor_moved(store: Store, ring: Keyring, anchor_seq: int, anchor_hash: str) -> int | None:
    """None if an authenticated prune record set the anchor; else the last anchor one did set (0: the start).

    Checked before the walk, so that deleted old records are named as such, not as the forged prune at the end.
    """
    with store.session() as s:
        prunes = list(s.scalars(select(AuditRecord).where(AuditRecord.endpoint == PRUNE, AuditRecord.role == "system")))
    earlier = 0
    for record in prunes:
        if record_hash(_fields(record)) != record.hash:
            continue
        if not ring.checks(record.signer, record_message(record.hash), record.mac):
            continue
        params = json.loads(record.params)
        if params.get("anchor_seq") == anchor_seq and params.get("anchor_hash") == anchor_hash:
            return None
        if isinstance(params.get("anchor_seq"), int) and params["anchor_seq"] < anchor_seq:
            earlier = max(earlier, int(params["anchor_seq"]))
    return earlier


def _signed_export(ring: Keyring, kept: Expected) -> bool:
    return ring.checks(kept.signer, export_message(kept.seq, kept.hash, kept.at), kept.mac)


@dataclass
class _Walk:
    """The walk's state: where the next record must be, and what the prunes along the way said."""

    ring: Keyring
    anchor_seq: int
    anchor_hash: str
    checked: int = 0
    expected_seq: int = 0
    expected_prev: str = ""

    def __post_init__(self) -> None:
        self.expected_seq, self.expected_prev = self.anchor_seq + 1, self.anchor_hash

    def step(self, record: AuditRecord) -> tuple[int, str] | None:
        """Check one record; the first bad record's number and why, or None."""
        seq = record.seq
        if seq < self.expected_seq:
            return seq, f"record {seq} lies before the anchor ({self.anchor_seq}) or repeats"
        if seq > self.expected_seq:
            return self.expected_seq, f"record(s) {self.expected_seq}..{seq - 1} are missing (deleted)"
        if record.prev_hash != self.expected_prev:
            return seq, (
                f"record {seq} does not link to record {seq - 1}: "
                "one of them was edited, or a record was inserted or deleted between them"
            )
        if record.layout not in HASHED_BY_LAYOUT or record_hash(_fields(record)) != record.hash:
            return seq, f"record {seq} was edited: its content no longer matches its hash"
        if not self.ring.checks(record.signer, record_message(record.hash), record.mac):
            return seq, (
                f"record {seq} is not authenticated by the audit key (signer {record.signer or 'none'}): "
                "it was written or rewritten without the key"
            )
        bad = self._prune(record)
        if bad:
            return bad
        self.expected_seq, self.expected_prev, self.checked = seq + 1, record.hash, self.checked + 1
        return None

    def _prune(self, record: AuditRecord) -> tuple[int, str] | None:
        """A prune record (authenticated by now) must not have cut records younger than the legal minimum."""
        if record.endpoint != PRUNE or record.role != "system":
            return None
        older_than = str(json.loads(record.params).get("older_than", ""))
        if _days_between(older_than, record.at) < settings.AUDIT_RETENTION_MIN_DAYS:
            return record.seq, (
                f"record {record.seq} pruned records younger than {settings.AUDIT_RETENTION_MIN_DAYS} days "
                f"(older than {older_than or '?'}, at {record.at}): below the legal minimum"
            )
        return None


def _days_between(earlier: str, later: str) -> float:
    try:
        start = datetime.strptime(earlier, "%Y-%m-%dT%H:%M:%S.%fZ")
        end = datetime.strptime(later, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return -1.0
    return (end - start) / timedelta(days=1)


def _past_head(store: Store) -> tuple[int, str] | None:
    """A record beyond the current head (inserted behind the chain's back), checked under the write lock."""
    with store.write_lock(), store.session() as s:
        seq, digest = s.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
        top = s.scalar(select(func.max(AuditRecord.seq)))
        at_head = s.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seq))
    if top is not None and top > seq:
        return int(seq) + 1, (
            f"record(s) {int(seq) + 1}..{top} lie past the recorded head {seq}: inserted, or an older head was put back"
        )
    if seq > 0 and at_head is not None and at_head != digest:
        return int(seq), f"record {seq} is not the recorded head: the head or the record was edited"
    return None


def _holds(store: Store, seq: int, digest: str, anchor_seq: int, head_seq: int) -> tuple[int, str] | None:
    """None if the chain still holds record ``seq`` with ``digest``; otherwise the first record affected and why."""
    if seq <= anchor_seq:
        return seq, f"record {seq} was pruned (the chain starts after {anchor_seq}); it cannot be checked any more"
    with store.session() as s:
        found = s.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seq))
    if found is None:
        return head_seq + 1, (
            f"the chain ends at record {head_seq} but a head kept outside names record {seq}: "
            f"records {head_seq + 1}..{seq} were cut and an older head put back"
        )
    if found != digest:
        return seq, f"record {seq} no longer has the hash kept outside: the chain was rewritten"
    return None


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
    out = {k: getattr(record, k) for k in (*HASHED, "key_id", "hash")}
    if record.layout == 1:  # not covered by a layout-1 hash, so not evidence: never shown as if it were
        out["key_id"] = ""
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
    ring = keyring()
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
            _append(c, Entry(user=by, role="system", method="CLI", endpoint=PRUNE, params=params), _stamp(), ring)
    return {"removed": removed, "older_than": cutoff, "kept_days": keep}
