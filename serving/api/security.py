"""Authentication, role checks and rate limiting, as FastAPI dependencies.

Every failure is a problem with the same wording whatever went wrong with a key, so probing learns nothing;
failures count against the address's strangers' bucket (``serving.api.strangers``).
The principal and role are written onto the request's audit entry as soon as they are known. Both run on the
event loop: the key lookup is one indexed query, cheaper than a hop to the thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.access import Principal, Role, authenticate
from serving.api.problems import ProblemError
from serving.api.state import entry_of, state_of
from serving.auditlog import Entry, append

log = logging.getLogger("tegenkracht.api")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="An API key from `tegenkracht users add`.")


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from ``Authorization: Bearer <key>``; 401 for any missing or unusable key, 429 when over rate.

    Failed attempts count against the client address's own bucket: past the limit they get 429, so a script
    guessing keys is slowed, while a valid key from the same address (a shared proxy) still gets through.
    Each attempt is still in the audit trail, by design.
    """
    state = state_of(request)
    bearer_key = credentials is not None and credentials.scheme.lower() == "bearer"
    who = authenticate(state.store, credentials.credentials) if credentials is not None and bearer_key else None
    if who is None:
        if state.strangers.allow(request.client.host if request.client else "-") > 0:
            raise ProblemError(429, "too many failed attempts from this address", headers={"Retry-After": "60"})
        if not bearer_key:
            raise ProblemError(401, "send an API key as 'Authorization: Bearer <key>'", headers=_challenge())
        raise ProblemError(401, "the API key is unknown, expired or revoked", headers=_challenge())
    entry = entry_of(request)
    entry.user, entry.role, entry.key_id = who.name, who.role.value, who.key_id
    wait = state.limiter.allow(str(who.user_id))
    if wait > 0:
        raise ProblemError(429, "too many requests for this key", headers={"Retry-After": str(int(wait) + 1)})
    pend(request)
    return who


def pend(request: Request) -> None:
    """Before a request that may change something runs its handler, write its pending record (503 if that fails).

    The record names who, with which key, on which route; the final record, written when the response starts,
    adds the outcome and points back to it (``pending_seq``). So a change never happens without a record: when
    the trail cannot be written, the handler never runs; when only the final record fails, the pending one
    stands, and the caller gets 503 rather than a success nobody recorded.
    """
    if request.method in SAFE_METHODS:
        return
    entry = entry_of(request)
    route = request.scope.get("route")
    pending = Entry(user=entry.user, role=entry.role, key_id=entry.key_id, method=entry.method,
                    endpoint=getattr(route, "path", None) or entry.endpoint, params={"phase": "pending"})  # fmt: skip
    try:
        entry.pending_seq = append(state_of(request).store, pending)
    except Exception as exc:
        log.error("audit trail write failed before %s %s: %s", entry.method, pending.endpoint, type(exc).__name__)
        raise ProblemError(503, "the audit trail cannot be written; nothing is changed without it") from exc


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="tegenkracht"'}


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; anyone else authenticated gets 403."""
    allowed = ", ".join(r.value for r in roles)

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise ProblemError(403, f"this needs the role {allowed}; you are {who.role.value}")
        return who

    return check
