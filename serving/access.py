"""Who may ask what: users, their role and regions, and API keys that are shown once and kept only as a hash.

A key is ``tk_<key id>_<secret>``. The key id finds the row; the SHA-256 of the whole key is compared in constant
time. SHA-256 suffices because the secret is 256 random bits, not a password: there is nothing to guess.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import settings
from core.reference import RIEC_REGIONS
from serving.store import Store
from serving.store.db import StoreError, open_store, sqlite_missing
from serving.store.tables import ApiKey, User

KEY_PREFIX = "tk"


class Role(enum.StrEnum):
    """The four roles; what each may see is in ``serving.api.routes`` and ``docs/service.md``."""

    ANALYST = "analyst"
    DATA_SCIENTIST = "data_scientist"
    OVERSIGHT = "oversight"
    ADMIN = "admin"


class AccessError(ValueError):
    """A user or key request that cannot be honoured (unknown region, duplicate name, ...)."""


class DuplicateUserError(AccessError):
    """The name is taken (HTTP 409, not 422)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    name: str
    role: Role
    regions: tuple[str, ...]

    def sees_region(self, region: str) -> bool:
        """Analysts see their own regions' companies; nobody else sees companies at all."""
        return self.role is Role.ANALYST and region in self.regions

    def sees_shortlist(self, owner_id: int, region: str) -> bool:
        """A stored shortlist is for the analyst who asked for it and for analysts of its region."""
        return owner_id == self.user_id or self.sees_region(region)


@dataclass(frozen=True)
class NewKey:
    """What `users add` prints once: the only time the key exists outside the caller's hands."""

    name: str
    role: Role
    regions: tuple[str, ...]
    api_key: str
    expires_at: datetime

    def as_dict(self) -> dict[str, object]:
        """The JSON shape the issue fixes: name, role, regions, api_key (and when it expires)."""
        return {
            "name": self.name,
            "role": self.role.value,
            "regions": list(self.regions),
            "api_key": self.api_key,
            "expires_at": self.expires_at.isoformat(),
        }


def now() -> datetime:
    """Aware UTC now; one place so that tests can reason about expiry."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were written as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def check_regions(role: Role, regions: list[str]) -> tuple[str, ...]:
    """Analysts need at least one known RIEC region; other roles see no entities and take none."""
    unknown = [r for r in regions if r not in RIEC_REGIONS]
    if unknown:
        raise AccessError(f"unknown RIEC region(s) {unknown}; known: {list(RIEC_REGIONS)}")
    if role is Role.ANALYST and not regions:
        raise AccessError("an analyst needs at least one --region")
    if role is not Role.ANALYST and regions:
        raise AccessError(f"role {role.value} sees no entity data and takes no --region")
    return tuple(dict.fromkeys(regions))


def add_user(store: Store, name: str, role: Role, regions: list[str], days: int | None = None) -> NewKey:
    """Create a user and their first key; the key is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccessError("a user name is 1 to 100 characters")
    scope = check_regions(role, regions)
    try:
        with store.session() as s:
            user = User(name=name, role=role.value, regions=json.dumps(list(scope)), created_at=now())
            s.add(user)
            s.flush()
            key, expires = _new_key(s, user.id, days)
    except IntegrityError as exc:
        raise DuplicateUserError(f"a user named {name!r} exists already") from exc
    return NewKey(name, role, scope, key, expires)


def issue_key(store: Store, name: str, days: int | None = None) -> NewKey:
    """A further key for an existing, enabled user (rotation: issue, switch, then revoke the old one)."""
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name, User.disabled_at.is_(None)))
        if user is None:
            raise AccessError(f"no enabled user named {name!r}")
        key, expires = _new_key(s, user.id, days)
        return NewKey(user.name, Role(user.role), tuple(json.loads(user.regions)), key, expires)


def _new_key(session: Session, user_id: int, days: int | None) -> tuple[str, datetime]:
    ttl = settings.KEY_TTL_DAYS if days is None else days
    if not 1 <= ttl <= 366:
        raise AccessError("a key lives 1 to 366 days")
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    created = now()
    expires = created + timedelta(days=ttl)
    session.add(
        ApiKey(user_id=user_id, key_id=key_id, secret_hash=_digest(key), created_at=created, expires_at=expires)
    )
    return key, expires


def revoke(store: Store, name: str) -> int:
    """Revoke every live key of a user and disable them; returns how many keys were revoked."""
    moment = now()
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise AccessError(f"no user named {name!r}")
        user.disabled_at = user.disabled_at or moment
        result = s.execute(
            update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)).values(revoked_at=moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def list_users(store: Store) -> list[dict[str, object]]:
    """Every user with role, regions, state and live key count (never a key)."""
    moment = now()
    with store.session() as s:
        users = s.scalars(select(User).order_by(User.name)).all()
        keys = s.scalars(select(ApiKey)).all()
    live: dict[int, int] = {}
    for k in keys:
        if k.revoked_at is None and aware(k.expires_at) > moment:
            live[k.user_id] = live.get(k.user_id, 0) + 1
    return [
        {
            "name": u.name,
            "role": u.role,
            "regions": json.loads(u.regions),
            "enabled": u.disabled_at is None,
            "live_keys": live.get(u.id, 0),
            "created_at": aware(u.created_at).isoformat(),
        }
        for u in users
    ]


def authenticate(store: Store, key: str) -> Principal | None:
    """The principal a key belongs to, or None for any unknown, malformed, revoked, expired or disabled key.

    The same None for every failure, so that a caller learns nothing about which part was wrong.
    """
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        hmac.compare_digest(_digest(key), _digest(key))  # similar work on every path
        return None
    with store.session() as s:
        row = s.execute(
            select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_id == parts[1])
        ).first()
    stored = row[0].secret_hash if row else b"\0" * 32
    matches = hmac.compare_digest(_digest(key), bytes(stored))
    if row is None or not matches:
        return None
    api_key, user = row
    if api_key.revoked_at is not None or user.disabled_at is not None or aware(api_key.expires_at) <= now():
        return None
    return principal_of(user)


def principal_of(user: User) -> Principal:
    """The principal a user row stands for (an API key's, or a signed-in browser's)."""
    return Principal(user.id, user.name, Role(user.role), tuple(json.loads(user.regions)))


def is_oversight_user(name: str) -> bool:
    """Whether ``name`` is an enabled oversight user in the service's store (false when there is no store yet).

    The approver check a promotion override is handed (``tegenkracht promote --approver``).
    """
    if sqlite_missing():
        return False
    try:
        store = open_store()
    except StoreError:
        return False
    try:
        return any(u["name"] == name and u["role"] == Role.OVERSIGHT.value and u["enabled"] for u in list_users(store))
    finally:
        store.dispose()
