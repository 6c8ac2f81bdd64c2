"""Errors of the pages as pages: people get a readable page in their language, never problem+json.

The app's own handlers answer the API; these wrap them and take over for paths under ``/ui``, so an unknown page,
a bad query or a crash there reads like the rest of the site and still says what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.api.headers import as_text as security_headers
from serving.ui.guard import NotSignedInError, PageError
from serving.ui.render import render

PREFIX = "/ui"
Handler = Callable[[Request, Exception], Awaitable[Response]]
log = logging.getLogger("tegenkracht.ui")


def is_page(request: Request) -> bool:
    """Whether the request is for the pages (and should be answered with one)."""
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def error_page(
    request: Request,
    status: int,
    key: str,
    headers: Mapping[str, str] | None = None,
    fields: list[str] | None = None,
    values: Mapping[str, object] | None = None,
) -> Response:
    """The error page, inside the frame (with the navigation when the browser is signed in)."""
    session = getattr(request.state, "ui_session", None)
    return render(
        request,
        "error.html",
        {"status": status, "message_key": key, "values": dict(values or {}), "fields": fields or []},
        who=session.principal if session else None,
        csrf=session.csrf_token if session else "",
        status=status,
        headers=dict(headers or {}),
    )


async def on_sign_in_needed(request: Request, exc: Exception) -> Response:
    """To the sign-in page, which sends the browser back here afterwards."""
    assert isinstance(exc, NotSignedInError)
    target = f"{PREFIX}/sign-in?next={quote(exc.then, safe='')}" + ("&ended=1" if exc.ended else "")
    return RedirectResponse(target, status_code=303)


async def on_page_error(request: Request, exc: Exception) -> Response:
    """A refusal or failure raised by a page."""
    assert isinstance(exc, PageError)
    return error_page(request, exc.status, exc.key, exc.headers, values=exc.values)


def for_pages(api: Handler, kind: str) -> Handler:
    """``api`` for the API's paths, the error page for the pages' paths."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await api(request, exc)
        if kind == "validation" and isinstance(exc, RequestValidationError):
            fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
            return error_page(request, 422, "error_422", fields=fields)
        if kind == "http" and isinstance(exc, StarletteHTTPException):
            status = exc.status_code
            return error_page(request, status, f"error_{status}" if status in _KNOWN else "error_400", exc.headers)
        route = getattr(request.scope.get("route"), "path", "-")  # the template: a path can hold a company id
        log.error("page %s failed: %s", route, type(exc).__name__)
        # a crash is answered outside the header middleware, so the page brings the headers itself
        return error_page(request, 500, "error_500", headers=security_headers())

    return handle


_KNOWN = frozenset({400, 403, 404, 405, 413, 422, 429, 500, 503})
