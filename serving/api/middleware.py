"""ASGI middleware: the audit trail around every request, security headers, and a cap on body size.

The audit record is written when the response starts, before any byte of it leaves: if the trail cannot be
written, the caller gets 503 instead of the data. Nothing is served that the trail does not record. The write
runs on the event loop (an indexed insert and one commit, under a millisecond on the embedded store).
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.problems import MEDIA_TYPE, TITLES
from serving.auditlog import Entry, append
from serving.store import Store

log = logging.getLogger("tegenkracht.api")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
    (b"cache-control", b"no-store"),
]


def _problem(status: int, detail: str) -> tuple[Message, Message]:
    body = json.dumps(
        {"type": f"https://tegenkracht.nl/problems/{status}", "title": TITLES.get(status, "Error"),
         "status": status, "detail": detail}
    ).encode()  # fmt: skip
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class AuditTrail:
    """Appends one hash-chained record per HTTP request, whatever its outcome."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app, self.store = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry = Entry(method=scope["method"], endpoint=scope["path"])
        scope.setdefault("state", {})["audit"] = entry
        began = time.perf_counter()
        written = False
        refused = False

        async def write(status: int) -> bool:
            nonlocal written
            written = True
            entry.status = status
            route = scope.get("route")
            entry.endpoint = getattr(route, "path", None) or scope["path"]
            if not entry.params and scope.get("query_string"):
                entry.params = {"query_keys": sorted({p.split("=")[0] for p in _query(scope)})}
            try:
                append(self.store, entry)
            except Exception:
                log.exception("audit trail write failed for %s %s", entry.method, entry.endpoint)
                return False
            log.info("%s %s %d %.1f ms", entry.method, entry.endpoint, status, 1000 * (time.perf_counter() - began))
            return True

        async def guarded(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and not written and not await write(message["status"]):
                refused = True
                start, body = _problem(503, "the audit trail cannot be written; nothing is served without it")
                await send(start)
                await send(body)
                return
            if refused:
                return
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        except Exception:
            if not written:
                await write(500)
            raise


def _query(scope: Scope) -> list[str]:
    return [p for p in scope.get("query_string", b"").decode("latin-1").split("&") if p]


class SecurityHeaders:
    """Headers every response carries: no sniffing, no framing, no referrer, no caching of entity data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in SECURITY_HEADERS if h[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413: by Content-Length up front, by counting when it is absent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLargeError
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLargeError:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        start, body = _problem(413, f"request bodies are limited to {self.limit} bytes")
        await send(start)
        await send(body)


class _TooLargeError(Exception):
    """Internal signal: the body passed the limit while being read."""
