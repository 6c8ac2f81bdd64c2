"""The FastAPI application: one factory, so tests, the benchmark and `tegenkracht serve` build the same app.

On start it opens (and migrates) the store, loads the ``@champion`` and reads the served batch's explanations,
so the first request is as fast as the rest. A missing champion does not stop it: `/ready` says so and the model
endpoints answer 503 until an admin reloads.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import __version__, settings
from models.shortlist import configured_policy
from serving import ui
from serving.api import following, problems
from serving.api.middleware import AuditTrail, BodyLimit, SecurityHeaders
from serving.api.ratelimit import RateLimiter
from serving.api.routes import router
from serving.api.state import AppState
from serving.api.strangers import Strangers
from serving.batches import current_batch
from serving.champion import Champion, ReloadError, Serving
from serving.purposes import describe
from serving.store import Store, open_store

log = logging.getLogger(__name__)

DESCRIPTION = """
Risk signals against *ondermijning* for RIEC/LIEC partners. **A score is a signal for human review, never a
finding or a decision.** Every request is written to a hash-chained audit trail.

Authenticate with `Authorization: Bearer <key>` (keys come from `tegenkracht users add`). Entity-level data is for
analysts, only inside their RIEC regions, and every such request names a purpose and a case reference:

""" + "\n".join(f"* `{p['purpose']}`: {p['legal_basis']}" for p in describe())


_NO_TELEMETRY: Any = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                      "auto_configure": False}  # fmt: skip


def create_app(
    store: Store | None = None,
    loader: Callable[[], Serving] | None = None,
    rate_per_minute: int | None = None,
    max_body_bytes: int | None = None,
    follow_s: float = 0.0,
    stranger_rate_per_minute: int | None = None,
) -> FastAPI:
    """The app; ``store`` and ``loader`` default to the configured store and the registry's champion.

    ``follow_s`` > 0 (``serve`` passes ``TEGENKRACHT_CHAMPION_CHECK_S``) makes the app follow ``@champion``:
    with several workers a reload request reaches only one of them, and the others catch up this way.
    """
    configured_policy()  # a shortlist policy that cannot be drawn fails the start, not every later shortlist
    the_store = store or open_store()
    strangers = Strangers(the_store, stranger_rate_per_minute)
    limiter = RateLimiter(rate_per_minute or settings.RATE_LIMIT_PER_MINUTE)
    state = AppState(the_store, Champion(loader), limiter, strangers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warm(state)
        stop = threading.Event()
        if follow_s > 0:
            threading.Thread(target=state.champion.follow, args=(follow_s, stop), daemon=True).start()
        threading.Thread(target=_seal_counts, args=(strangers, stop), daemon=True).start()
        yield
        stop.set()
        strangers.flush()  # the counts of the last seconds, before the process goes

    app = FastAPI(
        title="Tegenkracht",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads from a CDN; the pages issue serves docs locally
        redoc_url=None,
        # FastAPI's own OpenTelemetry spans carry request URLs (purposes, case references, company ids) to any
        # exporter the environment configures; off unless the operator turns telemetry on deliberately.
        telemetry=None if settings.TELEMETRY else _NO_TELEMETRY,
    )
    app.state.tegenkracht = state
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document_problems(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(router)
    app.include_router(following.router)
    app.add_exception_handler(RequestValidationError, problems.on_validation)
    app.add_exception_handler(problems.ProblemError, problems.on_problem)
    app.add_exception_handler(StarletteHTTPException, problems.on_http)
    app.add_exception_handler(Exception, problems.on_crash)
    ui.install(app)  # the pages under /ui; its handlers answer pages with pages and pass the API's on
    app.add_middleware(BodyLimit, limit=max_body_bytes or settings.MAX_BODY_BYTES)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.CORS_ORIGINS), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )  # fmt: skip
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AuditTrail, store=the_store, strangers=strangers)
    return app


def _seal_counts(strangers: Strangers, stop: threading.Event) -> None:
    """Seal the strangers' counts into the chain every few seconds, also when no request comes to trigger it."""
    while not stop.wait(max(strangers.flush_s, 0.5)):
        strangers.flush()


def _warm(state: AppState) -> None:
    try:
        state.champion.reload()
    except ReloadError as exc:
        log.warning("serving without a model until an admin reloads: %s", exc)
    batch = current_batch(state.store)
    if batch is not None:
        state.explanations.get(batch.id, batch.folder)
    gc.collect()
    gc.freeze()  # the model, the store's and the batch's objects live as long as the app: spare them every GC pass
