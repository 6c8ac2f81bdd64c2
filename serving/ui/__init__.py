"""The web pages under ``/ui``: server-rendered, for analysts and oversight, on the same app, rules and audit trail.

``install`` adds them to an app built by :func:`serving.api.app.create_app`: the page routes, the local static
files, and error handlers that answer the pages with pages while the API keeps its problem+json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api import problems
from serving.api.headers import HSTS
from serving.ui.errors import for_pages, on_page_error, on_sign_in_needed
from serving.ui.guard import NotSignedInError, PageError
from serving.ui.pages import analyst, following, oversight, rectify, session, statement

STATIC = Path(__file__).parent / "static"


class Static(StaticFiles):
    """The pages' style sheet and script, cacheable for an hour (everything else the service sends is no-store)."""

    async def get_response(self, path: str, scope: Scope) -> Response:  # noqa: D102 - StaticFiles
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response


class StrictTransport:
    """``Strict-Transport-Security`` on every answer that came over TLS, so browsers keep to HTTPS afterwards.

    Installed with the pages because their session cookie is what it protects; it wraps the whole app, API
    included, but sits inside the audit and header middleware, so the few answers those give themselves (503, 413,
    a stranger's 429) go without it, which browsers do not need: one answer with it is enough.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), HSTS]
            await send(message)

        await self.app(scope, receive, with_hsts)


def install(app: FastAPI) -> None:
    """Add the pages to ``app``."""
    app.add_middleware(StrictTransport)
    for module in (session, analyst, statement, rectify, following, oversight):
        app.include_router(module.router)
    app.mount("/ui/static", Static(directory=STATIC), name="static")
    handlers: list[tuple[Any, Any]] = [
        (NotSignedInError, on_sign_in_needed),
        (PageError, on_page_error),
        (RequestValidationError, for_pages(problems.on_validation, "validation")),
        (StarletteHTTPException, for_pages(problems.on_http, "http")),
        (Exception, for_pages(problems.on_crash, "crash")),
    ]
    for kind, handler in handlers:
        app.add_exception_handler(kind, handler)
