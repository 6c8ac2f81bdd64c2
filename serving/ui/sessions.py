"""Signed-in browsers: an API key is exchanged once for a session, which the pages then carry in a cookie.

The cookie holds a random token; the store keeps only its SHA-256, as it does for keys, so a copy of the store
opens no browser. Each session has its own CSRF token, which every form sends back. A session ends when the user
signs out, after ``UI_IDLE_MINUTES`` without a page view, after ``UI_SESSION_HOURS`` in any case, and as soon as
the key it was opened with is revoked or expires or the user is disabled: it never outlives its key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete, select, update

from core import settings
from serving.access import Principal, authenticate, aware, now, principal_of
from serving.api.headers import SECURE_SESSION_COOKIE, SESSION_COOKIE
from serving.store import Store
from serving.store.tables import ApiKey, UiSession, User

#: How stale ``seen_at`` may get before a page view writes it again: spares the store a write per view.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Session:
    """One signed-in browser, as a page sees it."""

    principal: Principal
    csrf_token: str


@dataclass(frozen=True)
class Opened:
    """A new session: the token goes into the cookie and exists nowhere else."""

    token: str
    session: Session


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def secure(request: Request) -> bool:
    """Whether cookies are Secure here: the request came over TLS (as uvicorn saw it), or the operator says so."""
    return request.url.scheme == "https" or settings.COOKIE_SECURE


def cookie_of(request: Request) -> tuple[str, str]:
    """The session cookie's name and path for this request: ``__Host-`` and ``/`` when Secure, else ``/ui``.

    ``__Host-`` cookies must be Secure with path ``/`` and no domain, or browsers drop them; on plain HTTP (a
    developer's localhost) the plain name is the only one a browser keeps.
    """
    return (SECURE_SESSION_COOKIE, "/") if secure(request) else (SESSION_COOKIE, "/ui")


def token_of(request: Request) -> str:
    """The session token the browser sent, under the one name this request's scheme allows.

    Under TLS only the ``__Host-`` cookie counts: a plain one could have been planted over HTTP or by a sibling
    domain (session fixation), which is what the prefix exists to rule out.
    """
    return request.cookies.get(cookie_of(request)[0], "")


def open_session(store: Store, key: str) -> Opened | None:
    """A session for a valid API key; None for any key :func:`serving.access.authenticate` refuses."""
    who = authenticate(store, key)
    if who is None:
        return None
    token, csrf, moment = secrets.token_urlsafe(32), secrets.token_urlsafe(32), now()
    with store.write_lock(), store.session() as s:
        s.execute(delete(UiSession).where(UiSession.expires_at <= moment))
        s.add(
            UiSession(
                token_hash=_digest(token),
                user_id=who.user_id,
                key_id=key.split("_", 2)[1],
                csrf_token=csrf,
                created_at=moment,
                seen_at=moment,
                expires_at=moment + timedelta(hours=settings.UI_SESSION_HOURS),
            )
        )
    return Opened(token, Session(who, csrf))


def resolve(store: Store, token: str) -> Session | None:
    """The live session behind a cookie, or None (and the row is removed) when it has ended for any reason."""
    if not token or len(token) > 100:
        return None
    digest, moment = _digest(token), now()
    with store.session() as s:
        row = s.execute(
            select(UiSession, ApiKey, User)
            .join(User, User.id == UiSession.user_id)
            .join(ApiKey, ApiKey.key_id == UiSession.key_id)
            .where(UiSession.token_hash == digest)
        ).first()
    if row is None:
        return None
    found, key, user = row
    idle = timedelta(minutes=settings.UI_IDLE_MINUTES)
    ended = (
        aware(found.expires_at) <= moment
        or aware(found.seen_at) + idle <= moment
        or key.revoked_at is not None
        or aware(key.expires_at) <= moment
        or user.disabled_at is not None
        or key.user_id != user.id
    )
    if ended:
        close(store, token)
        return None
    if moment - aware(found.seen_at) >= TOUCH_EVERY:
        with store.write_lock(), store.session() as s:
            s.execute(update(UiSession).where(UiSession.token_hash == digest).values(seen_at=moment))
    return Session(principal_of(user, found.key_id), found.csrf_token)


def close(store: Store, token: str) -> None:
    """End a session (sign-out); ending one that is gone already is fine."""
    with store.write_lock(), store.session() as s:
        s.execute(delete(UiSession).where(UiSession.token_hash == _digest(token)))


def csrf_matches(session: Session, sent: str | None) -> bool:
    """Constant-time check of the token a form sent back."""
    return sent is not None and hmac.compare_digest(session.csrf_token.encode(), sent.encode())
