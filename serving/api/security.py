"""Authentication, role checks and rate limiting, as FastAPI dependencies.

Every failure is a problem with the same wording whatever went wrong with a key, so probing learns nothing.
The principal and role are written onto the request's audit entry as soon as they are known. Both run on the
event loop: the key lookup is one indexed query, cheaper than a hop to the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.access import Principal, Role, authenticate
from serving.api.problems import ProblemError
from serving.api.state import entry_of, state_of

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
        address = f"address:{request.client.host if request.client else '-'}"
        if state.limiter.allow(address) > 0:
            raise ProblemError(429, "too many failed attempts from this address", headers={"Retry-After": "60"})
        if not bearer_key:
            raise ProblemError(401, "send an API key as 'Authorization: Bearer <key>'", headers=_challenge())
        raise ProblemError(401, "the API key is unknown, expired or revoked", headers=_challenge())
    entry = entry_of(request)
    entry.user, entry.role = who.name, who.role.value
    wait = state.limiter.allow(str(who.user_id))
    if wait > 0:
        raise ProblemError(429, "too many requests for this key", headers={"Retry-After": str(int(wait) + 1)})
    return who


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
