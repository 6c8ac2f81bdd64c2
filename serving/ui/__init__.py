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
from starlette.types import Scope

from serving.api import problems
from serving.ui.errors import for_pages, on_page_error, on_sign_in_needed
from serving.ui.guard import NotSignedInError, PageError
from serving.ui.pages import analyst, oversight, session

STATIC = Path(__file__).parent / "static"


class Static(StaticFiles):
    """The pages' style sheet and script, cacheable for an hour (everything else the service sends is no-store)."""

    async def get_response(self, path: str, scope: Scope) -> Response:  # noqa: D102 - StaticFiles
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def install(app: FastAPI) -> None:
    """Add the pages to ``app``."""
    for module in (session, analyst, oversight):
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
