"""Who may ask what: users, their role and regions, and API keys that are shown once and kept only as a hash.

A key is ``tk_<key id>_<secret>``. The key id finds the row; the SHA-256 of the whole key is compared in constant
time. SHA-256 suffices because the secret is 256 random bits, not a password: there is nothing to guess.

Entity data is what analysts see, so who becomes an analyst, and for which regions, takes two people: an admin's
request is a pending grant (:class:`serving.store.tables.UserGrant`) until oversight or another admin approves
it. Other roles see no companies and are made in one step.
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
from serving.store.tables import ApiKey, User, UserGrant

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


class NotFoundError(AccessError):
    """No such user, key or grant (HTTP 404)."""


class ApprovalError(AccessError):
    """A grant this person may not decide, or not now (HTTP 403 or 409): ``status`` says which."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    name: str
    role: Role
    regions: tuple[str, ...]
    key_id: str = ""  # the public id of the API key this request came with; the audit trail records it

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

    @property
    def key_id(self) -> str:
        """The key's public id: what the trail records, and what revoking this one key takes."""
        return self.api_key.split("_", 2)[1]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape the issue fixes: name, role, regions, api_key (and when it expires, and its id)."""
        return {
            "name": self.name,
            "role": self.role.value,
            "regions": list(self.regions),
            "api_key": self.api_key,
            "key_id": self.key_id,
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


def revoke_key(store: Store, key_id: str) -> dict[str, object]:
    """Revoke one key by its public id and leave its user, and their other keys, as they are.

    Rotation: issue a new key, hand it over, then revoke the old one. Revoking a revoked key changes nothing
    and says when it was revoked. Sessions of the pages opened with the key end at their next view.
    """
    moment = now()
    with store.session() as s:
        row = s.execute(
            select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_id == key_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no key {key_id!r}")
        key, user = row
        already = key.revoked_at is not None
        key.revoked_at = key.revoked_at or moment
        return _key_dict(key, user.name, moment) | {"already_revoked": already}


def list_keys(store: Store, name: str) -> list[dict[str, object]]:
    """A user's keys by public id, with when each was made, expires and was revoked (never a secret)."""
    moment = now()
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFoundError(f"no user named {name!r}")
        keys = s.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)).all()
        return [_key_dict(k, user.name, moment) for k in keys]


def _key_dict(key: ApiKey, name: str, moment: datetime) -> dict[str, object]:
    revoked = aware(key.revoked_at) if key.revoked_at else None
    return {
        "key_id": key.key_id,
        "name": name,
        "created_at": aware(key.created_at).isoformat(),
        "expires_at": aware(key.expires_at).isoformat(),
        "revoked_at": revoked.isoformat() if revoked else None,
        "live": revoked is None and aware(key.expires_at) > moment,
    }


# --------------------------------------------------------------------------------------------------------------------
# Four eyes on analysts' access
# --------------------------------------------------------------------------------------------------------------------

PENDING, APPROVED = "pending", "approved"
CREATE, REGIONS = "create", "regions"


def request_analyst(
    store: Store, requester: Principal, name: str, regions: list[str], days: int | None = None
) -> dict[str, object]:
    """An admin's request for a new analyst: stored as a pending grant; nobody exists, and no key, until approved."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccessError("a user name is 1 to 100 characters")
    scope = check_regions(Role.ANALYST, regions)
    if days is not None and not 1 <= days <= 366:
        raise AccessError("a key lives 1 to 366 days")
    with store.session() as s:
        if s.scalar(select(User.id).where(User.name == name)) is not None:
            raise DuplicateUserError(f"a user named {name!r} exists already")
        if s.scalar(select(UserGrant.id).where(UserGrant.name == name, UserGrant.state == PENDING)) is not None:
            raise DuplicateUserError(f"a grant for {name!r} is pending already")
        grant = UserGrant(kind=CREATE, name=name, role=Role.ANALYST.value, regions=json.dumps(list(scope)), days=days,
                          state=PENDING, requested_by=requester.user_id, requested_at=now())  # fmt: skip
        s.add(grant)
        s.flush()
        return _grant_dict(s, grant)


def set_regions(store: Store, requester: Principal, name: str, regions: list[str]) -> dict[str, object]:
    """Give an analyst ``regions``: at once when they lose regions only, as a pending grant when they gain any.

    Narrowing takes access away, which one person may do (as revoking does); widening gives entity data, which
    takes a second person. The answer says which happened (``state``).
    """
    scope = check_regions(Role.ANALYST, regions)
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name, User.disabled_at.is_(None)))
        if user is None or user.role != Role.ANALYST.value:
            raise NotFoundError(f"no enabled analyst named {name!r}")
        current = set(json.loads(user.regions))
        if set(scope) <= current:
            user.regions = json.dumps(list(scope))
            return {"id": None, "kind": REGIONS, "name": name, "role": user.role, "regions": list(scope),
                    "state": "applied", "requested_by": requester.name, "requested_at": now().isoformat(),
                    "decided_by": None, "decided_at": None}  # fmt: skip
        if s.scalar(select(UserGrant.id).where(UserGrant.name == name, UserGrant.state == PENDING)) is not None:
            raise DuplicateUserError(f"a grant for {name!r} is pending already")
        grant = UserGrant(kind=REGIONS, name=name, role=user.role, regions=json.dumps(list(scope)), state=PENDING,
                          requested_by=requester.user_id, requested_at=now())  # fmt: skip
        s.add(grant)
        s.flush()
        return _grant_dict(s, grant)


def approve(store: Store, grant_id: int, approver: Principal) -> dict[str, object]:
    """Approve a pending grant as a second person: oversight or an admin who did not ask for it; then it applies.

    A new analyst is created without a key (the requester collects the first one, :func:`collect_key`), so the
    approver never holds the analyst's key; wider regions apply at once, to the analyst's next request.
    """
    if approver.role not in (Role.OVERSIGHT, Role.ADMIN):
        raise ApprovalError(f"approving needs the role oversight or admin; you are {approver.role.value}")
    moment = now()
    with store.session() as s:
        grant = s.get(UserGrant, grant_id, with_for_update=True)
        if grant is None:
            raise NotFoundError(f"no grant {grant_id}")
        if grant.requested_by == approver.user_id:
            raise ApprovalError("a grant needs a second person: you asked for this one")
        if grant.state != PENDING:
            raise ApprovalError(f"grant {grant_id} is {grant.state} already", status=409)
        scope = json.loads(grant.regions)
        if grant.kind == CREATE:
            if s.scalar(select(User.id).where(User.name == grant.name)) is not None:
                raise ApprovalError(f"a user named {grant.name!r} exists already", status=409)
            s.add(User(name=grant.name, role=grant.role, regions=json.dumps(scope), created_at=moment))
        else:
            user = s.scalar(select(User).where(User.name == grant.name, User.disabled_at.is_(None)))
            if user is None or user.role != Role.ANALYST.value:
                raise ApprovalError(f"{grant.name!r} is no enabled analyst any more", status=409)
            user.regions = json.dumps(scope)
        grant.state, grant.decided_by, grant.decided_at = APPROVED, approver.user_id, moment
        s.flush()
        return _grant_dict(s, grant)


def collect_key(store: Store, grant_id: int, requester: Principal) -> NewKey:
    """The first key of an analyst whose creation was approved: for the admin who asked for it, once."""
    with store.session() as s:
        grant = s.get(UserGrant, grant_id, with_for_update=True)
        if grant is None or grant.kind != CREATE:
            raise NotFoundError(f"no grant {grant_id} for a new analyst")
        if grant.requested_by != requester.user_id:
            raise ApprovalError("only the admin who asked for this analyst collects their first key")
        if grant.state != APPROVED:
            raise ApprovalError(f"grant {grant_id} is not approved yet", status=409)
        if grant.key_collected_at is not None:
            raise ApprovalError(f"the first key of grant {grant_id} was collected already; issue a further one "
                                "with `tegenkracht users key`", status=409)  # fmt: skip
        user = s.scalar(select(User).where(User.name == grant.name, User.disabled_at.is_(None)))
        if user is None:
            raise ApprovalError(f"{grant.name!r} is disabled", status=409)
        key, expires = _new_key(s, user.id, grant.days)
        grant.key_collected_at = now()
        return NewKey(user.name, Role(user.role), tuple(json.loads(user.regions)), key, expires)


def list_grants(store: Store, pending_only: bool = False) -> list[dict[str, object]]:
    """Grants, newest first: who asked for what, who approved it and when."""
    with store.session() as s:
        query = select(UserGrant).order_by(UserGrant.id.desc())
        if pending_only:
            query = query.where(UserGrant.state == PENDING)
        return [_grant_dict(s, g) for g in s.scalars(query.limit(500)).all()]


def _grant_dict(session: Session, grant: UserGrant) -> dict[str, object]:
    def name_of(user_id: int | None) -> str | None:
        return None if user_id is None else session.scalar(select(User.name).where(User.id == user_id))

    return {
        "id": grant.id,
        "kind": grant.kind,
        "name": grant.name,
        "role": grant.role,
        "regions": json.loads(grant.regions),
        "state": grant.state,
        "requested_by": name_of(grant.requested_by),
        "requested_at": aware(grant.requested_at).isoformat(),
        "decided_by": name_of(grant.decided_by),
        "decided_at": aware(grant.decided_at).isoformat() if grant.decided_at else None,
    }


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
    return principal_of(user, api_key.key_id)


def principal_of(user: User, key_id: str = "") -> Principal:
    """The principal a user row stands for (an API key's, or a signed-in browser's, with the key it came with)."""
    return Principal(user.id, user.name, Role(user.role), tuple(json.loads(user.regions)), key_id)


def principal_named(store: Store, name: str) -> Principal:
    """The principal of an enabled user, by name (for the CLI acting as a named user); AccessError when none."""
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name, User.disabled_at.is_(None)))
        if user is None:
            raise AccessError(f"no enabled user {name!r}")
        return principal_of(user)


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
