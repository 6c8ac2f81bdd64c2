"""Who may see a page: the session behind the cookie, the role a page needs, and the CSRF token of every form.

The same rules as the API, on the same principal: a page checks the role, the queries check the region. A page
without a live session sends the browser to sign in and back; a page for another role answers 403; a company or
shortlist outside an analyst's regions answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from serving.access import Role
from serving.api.security import pend
from serving.api.state import entry_of, state_of
from serving.ui.render import here
from serving.ui.sessions import Session, csrf_matches, resolve, token_of


class NotSignedInError(Exception):
    """No live session: the browser goes to the sign-in page, and back to ``then`` afterwards."""

    def __init__(self, then: str, ended: bool) -> None:
        super().__init__(then)
        self.then, self.ended = then, ended


class PageError(Exception):
    """A page that cannot be shown: rendered as the error page with ``status`` and the text ``key``."""

    def __init__(self, status: int, key: str, headers: dict[str, str] | None = None, **values: object) -> None:
        super().__init__(key)
        self.status, self.key, self.headers, self.values = status, key, headers, values


def signed_in(request: Request) -> Session:
    """The live session of this browser; the audit entry learns who it is, and the rate limit counts the view."""
    state = state_of(request)
    token = token_of(request)
    session = resolve(state.store, token) if token else None
    if session is None:
        # after sign-in the browser comes back with a GET: a form's own address would not answer one
        then = here(request) if request.method == "GET" else "/ui"
        raise NotSignedInError(then, ended=bool(token))
    entry = entry_of(request)
    entry.user, entry.role = session.principal.name, session.principal.role.value
    entry.key_id = session.principal.key_id
    request.state.ui_session = session
    wait = state.limiter.allow(str(session.principal.user_id))
    if wait > 0:
        raise PageError(429, "error_429", headers={"Retry-After": str(int(wait) + 1)})
    pend(request)  # a form that changes something: its pending record first
    return session


def page_for(*roles: Role) -> Callable[[Session], Session]:
    """A dependency admitting sessions of ``roles``; anyone else signed in gets the 403 page."""

    def check(session: Annotated[Session, Depends(signed_in)]) -> Session:
        if session.principal.role not in roles:
            raise PageError(403, "error_403")
        return session

    return check


def check_csrf(session: Session, sent: object) -> None:
    """Refuse a form whose token is not this session's (403): it came from elsewhere, or from an old session."""
    if not isinstance(sent, str) or not csrf_matches(session, sent):
        raise PageError(403, "csrf_failed")


ANALYST_PAGE = page_for(Role.ANALYST)
OVERSIGHT_PAGE = page_for(Role.OVERSIGHT)
REPORT_PAGE = page_for(Role.OVERSIGHT, Role.DATA_SCIENTIST)
PICTURE_PAGE = page_for(Role.ANALYST, Role.OVERSIGHT)
ADMIN_PAGE = page_for(Role.ADMIN)
ANY_PAGE = page_for(*Role)
