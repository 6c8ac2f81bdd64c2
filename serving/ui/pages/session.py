"""Signing in and out, the language switch and the home page.

Sign-in exchanges an API key for a session once; the key is posted over the form, checked like an API key and
then forgotten: not in the cookie, not in the audit trail, not in a log. The sign-in form has no session to bind
its CSRF token to, so it uses a double-submit token (a cookie and a field that must match), which stops another
site from signing a browser in under someone else's key.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core import settings
from serving.access import authenticate
from serving.api.security import pend
from serving.api.state import entry_of, state_of
from serving.ui.guard import PageError, check_csrf, signed_in
from serving.ui.i18n import COOKIE as LANG_COOKIE
from serving.ui.render import render
from serving.ui.sessions import Session, close, cookie_of, open_session, resolve, secure, token_of

router = APIRouter(prefix="/ui", include_in_schema=False)
SIGNIN_COOKIE = "tk_signin"
HOME = "/ui"


def safe_next(target: str | None) -> str:
    """Only a path of this site's pages: a ``next`` pointing elsewhere would make sign-in an open redirect."""
    if not target or not target.startswith("/ui") or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(c) < 0x20 for c in target):
        return HOME
    return target


def _secure(request: Request) -> bool:
    return secure(request)


@router.get("")
def home(request: Request, session: Annotated[Session, Depends(signed_in)]) -> HTMLResponse:
    """What this role can do here, in a sentence and a list of links."""
    return render(request, "home.html", who=session.principal, csrf=session.csrf_token)


@router.get("/sign-in")
def sign_in_form(
    request: Request,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    ended: Annotated[int, Query(ge=0, le=1)] = 0,
    bye: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """The sign-in form; a browser already signed in goes straight on."""
    token = token_of(request)
    if token and resolve(state_of(request).store, token) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "session_ended" if ended else ("signed_out" if bye else "")
    return _form(request, safe_next(next), notice=notice)


def _form(request: Request, then: str, notice: str = "", error: str = "", status: int = 200) -> Response:
    guard = secrets.token_urlsafe(32)
    response = render(
        request,
        "signin.html",
        {"next": then, "guard": guard, "notice": notice, "error": error,
         "idle": settings.UI_IDLE_MINUTES, "hours": settings.UI_SESSION_HOURS},
        status=status,
    )  # fmt: skip
    response.set_cookie(SIGNIN_COOKIE, guard, max_age=1800, path="/ui/sign-in", secure=_secure(request),
                        httponly=True, samesite="strict")  # fmt: skip
    return response


@router.post("/sign-in")
def sign_in(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Exchange the key for a session cookie (HttpOnly, SameSite=Strict; over TLS Secure and ``__Host-``)."""
    state = state_of(request)
    then = safe_next(next)
    guard = request.cookies.get(SIGNIN_COOKIE, "")
    if not guard or not hmac.compare_digest(guard.encode(), csrf_token.encode()):
        return _form(request, then, error="csrf_failed", status=403)
    if not api_key.strip():
        return _form(request, then, error="signin_missing", status=422)
    known = authenticate(state.store, api_key.strip())
    if known is None:
        if state.strangers.allow(request.client.host if request.client else "-") > 0:
            raise PageError(429, "error_429", headers={"Retry-After": "60"})
        return _form(request, then, error="signin_failed", status=401)
    entry = entry_of(request)
    entry.user, entry.role, entry.key_id = known.name, known.role.value, known.key_id
    pend(request)  # the session row is a change: its pending record first
    opened = open_session(state.store, api_key.strip())
    if opened is None:  # revoked in the moment between
        return _form(request, then, error="signin_failed", status=401)
    older = token_of(request)
    if older:  # a browser signing in again leaves no second live session behind
        close(state.store, older)
    response = RedirectResponse(then, status_code=303)
    name, path = cookie_of(request)
    response.set_cookie(name, opened.token, max_age=3600 * settings.UI_SESSION_HOURS, path=path,
                        secure=_secure(request), httponly=True, samesite="strict")  # fmt: skip
    response.delete_cookie(SIGNIN_COOKIE, path="/ui/sign-in")
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    session: Annotated[Session, Depends(signed_in)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """End the session here and in the store, so the cookie opens nothing even if it was copied."""
    check_csrf(session, csrf_token)
    close(state_of(request).store, token_of(request))
    response = RedirectResponse("/ui/sign-in?bye=1", status_code=303)
    name, path = cookie_of(request)
    response.delete_cookie(name, path=path, secure=_secure(request), httponly=True, samesite="strict")
    return response


@router.get("/language")
def language(
    request: Request,
    to: Annotated[str, Query(pattern="^(nl|en)$")],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Remember the visitor's language and go back to where they were."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/ui", secure=_secure(request), httponly=True,
                        samesite="lax")  # fmt: skip
    return response
