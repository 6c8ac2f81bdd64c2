"""The store's tables, one class each; Alembic's migrations create exactly these (a test compares them).

Person identifiers never enter the store: signals are about companies, and the audit trail records the staff
user who asked, which is its purpose. Free-text feedback notes live only in ``feedback``, never in the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; its metadata is what the migrations must reproduce."""


class User(Base):
    """A named member of staff with one role and, for analysts, the RIEC regions they work in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    regions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of RIEC region names
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKey(Base):
    """An API key: a public id to find it and a SHA-256 of the whole key to check it; the key itself is never kept."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Batch(Base):
    """One loaded score file: which model scored which snapshot, and where its explanations lie."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model_version: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[str] = mapped_column(String(10))
    catalogue_hash: Mapped[str] = mapped_column(String(32))
    input_fingerprint: Mapped[str] = mapped_column(String(80))
    rows: Mapped[int] = mapped_column(Integer)
    folder: Mapped[str] = mapped_column(Text)
    scores_sha256: Mapped[str] = mapped_column(String(64))
    fairness_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    drift_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    # Since migration 0007: the batch it was compared with on loading (history, change attribution, alerts), what
    # became of the change split ("split", or why not), and when retention removed its signals and folder.
    previous_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change: Mapped[str] = mapped_column(Text, server_default="")
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Signal(Base):
    """A company's score in a batch, with what shortlists filter, sort and show; contributions stay in Parquet."""

    __tablename__ = "signals"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    riec_region: Mapped[str] = mapped_column(String(40))
    municipality: Mapped[str] = mapped_column(String(80))
    municipality_code: Mapped[str] = mapped_column(String(8))
    sbi_section: Mapped[str] = mapped_column(String(4))
    score: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    base_value: Mapped[float] = mapped_column(Float)
    region_rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text)  # JSON: the top raising reasons, Dutch and English

    __table_args__ = (
        Index("ix_signals_region_rank", "batch_id", "riec_region", "region_rank"),
        Index("ix_signals_region_sector", "batch_id", "riec_region", "sbi_section", "region_rank"),
        Index("ix_signals_region_municipality", "batch_id", "riec_region", "municipality", "region_rank"),
        Index("ix_signals_company", "company_id", "batch_id"),  # a company's history across batches
    )


class Shortlist(Base):
    """A shortlist as it was handed out: who asked, for what purpose and case, from which batch."""

    __tablename__ = "shortlists"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    region: Mapped[str] = mapped_column(String(40), index=True)
    sector: Mapped[str | None] = mapped_column(String(4), nullable=True)
    municipality: Mapped[str | None] = mapped_column(String(80), nullable=True)
    top_k: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the policy it was drawn under (models.shortlist.Policy) and the seed of its random draw, so it can be redrawn
    policy: Mapped[str] = mapped_column(String(16), server_default="top_k")
    epsilon: Mapped[float] = mapped_column(Float, server_default="0")
    pool: Mapped[int] = mapped_column(Integer, server_default="4")
    draw_seed: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ShortlistItem(Base):
    """One listed company of a shortlist, with its chance of having been listed under the shortlist's policy."""

    __tablename__ = "shortlist_items"
    shortlist_id: Mapped[str] = mapped_column(ForeignKey("shortlists.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(16))
    inclusion_probability: Mapped[float] = mapped_column(Float, server_default="1")
    explored: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Feedback(Base):
    """An analyst's outcome for a signal, with its provenance; exported for retraining only on request."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(16), index=True)
    shortlist_id: Mapped[str | None] = mapped_column(ForeignKey("shortlists.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    model_version: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    exported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditRecord(Base):
    """One request in the hash-chained audit trail; ``hash`` covers every other column and the previous hash."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32), index=True)  # ISO 8601 UTC, microseconds: hashed as text
    user: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    entity_ids: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Since migration 0003: the API key the request came with (its public id), the record's layout (1: before
    # key ids were hashed), and an HMAC of the hash under the audit key ``signer``, a key the database never holds.
    key_id: Mapped[str] = mapped_column(String(16), default="")
    layout: Mapped[int] = mapped_column(Integer, default=2)
    signer: Mapped[str] = mapped_column(String(16), default="")
    mac: Mapped[str] = mapped_column(String(64), default="")


class AuditHead(Base):
    """The chain's last record and its anchor (the last pruned record), so that cutting the tail is detected too.

    ``mac`` authenticates the row (head and anchor) under the audit key ``signer``.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    touched_at: Mapped[str] = mapped_column(String(32))
    signer: Mapped[str] = mapped_column(String(16), default="")
    mac: Mapped[str] = mapped_column(String(64), default="")


class UiSession(Base):
    """A browser signed in to the pages: the cookie holds a random token, the store only its SHA-256.

    The session remembers which API key it was opened with, so revoking that key (or disabling the user) ends
    it at the next page view; a stolen session therefore lives no longer than the key it came from.
    """

    __tablename__ = "ui_sessions"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class UserGrant(Base):
    """A change of analysts' access that waits for a second person: a new analyst, or wider regions.

    An admin's request is stored here and takes effect only when somebody else (oversight or another admin)
    approves it, so no single account can hand itself, or a colleague, entity data. Both people and both moments
    are kept; ``key_collected_at`` marks the new analyst's first key, which only the requester can collect, once.
    """

    __tablename__ = "user_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "create" (a new analyst) or "regions" (wider regions)
    name: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(20))
    regions: Mapped[str] = mapped_column(Text)  # JSON list: the regions the user will have once approved
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # "pending", "approved"
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    key_collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FeedbackReview(Base):
    """A second user's confirmation of an analyst's outcome: without one, the outcome is no label for retraining."""

    __tablename__ = "feedback_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ux_feedback_reviews_feedback_user", "feedback_id", "user_id", unique=True),)


class Rectification(Base):
    """A company's answer to its signal: facts it disputes, their corrected values and a reference to its evidence.

    Both versions stay: the values and probability as signalled, and as re-scored with the corrections. The
    corrections reach the next indicator run only once a second analyst has accepted them (``state``).
    """

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(16), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    model_version: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[str] = mapped_column(String(10))
    facts: Mapped[str] = mapped_column(Text)  # JSON: indicator -> corrected value (null: the record does not exist)
    recorded: Mapped[str] = mapped_column(Text)  # JSON: indicator -> the value as signalled
    evidence: Mapped[str] = mapped_column(String(200))
    probability: Mapped[float] = mapped_column(Float)
    rescored_probability: Mapped[float] = mapped_column(Float)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending, accepted or rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    exported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Watch(Base):
    """An analyst follows a company: for a purpose and a case, until an expiry that is renewed, never open-ended."""

    __tablename__ = "watches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    renewals: Mapped[int] = mapped_column(Integer, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Alert(Base):
    """A material change of a followed company, found when a batch was loaded, waiting in its analyst's inbox.

    ``level`` is what the rule measured (a band's rank, an indicator's new value); a rule fires again on the same
    watch only above the highest level it already fired at, so a refresh alone never alerts twice.
    """

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id"), index=True)
    company_id: Mapped[str] = mapped_column(String(16))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    previous_batch_id: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(40))
    level: Mapped[float] = mapped_column(Float)
    facts: Mapped[str] = mapped_column(Text)  # JSON: what changed, old and new
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)


# The per-user feedback limit counts a user's outcomes of the last day on every feedback request.
Index("ix_feedback_user_created", Feedback.user_id, Feedback.created_at)
