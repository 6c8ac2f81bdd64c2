"""ASGI middleware: the audit trail around every request, security headers, and a cap on body size.

The audit record is written when the response starts, before any byte of it leaves: if the trail cannot be
written, the caller gets 503 instead of the data. Nothing is served that the trail does not record. A request
that changes something has written a pending record before its handler ran (``serving.api.security.pend``), so
a change never happens without a record even when the final one then fails. A record is bounded: the route
template, never the raw path, and the number of query keys, never the keys. Strangers (no valid key or
session) meet their own rate limit before anything is written, and their requests to routes that name no
company are counted, not recorded one by one (``serving.api.strangers``). The write runs on the event loop (an
indexed insert and one commit, under a millisecond on the embedded store).
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.headers import SECURITY_HEADERS, SESSION_COOKIES
from serving.api.problems import MEDIA_TYPE, TITLES
from serving.api.strangers import Strangers
from serving.auditlog import Entry, append
from serving.store import Store

NO_ROUTE = "(no route)"
# A load balancer's probes: never limited (a probe every second would reach the strangers' limit), still counted.
PROBES = frozenset({"/health", "/ready"})

log = logging.getLogger("tegenkracht.api")


def _problem(status: int, detail: str) -> tuple[Message, Message]:
    body = json.dumps(
        {"type": f"https://tegenkracht.nl/problems/{status}", "title": TITLES.get(status, "Error"),
         "status": status, "detail": detail}
    ).encode()  # fmt: skip
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *SECURITY_HEADERS,
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class AuditTrail:
    """Appends one hash-chained record per HTTP request, whatever its outcome; strangers' are counted instead."""

    def __init__(self, app: ASGIApp, store: Store, strangers: Strangers) -> None:
        self.app, self.store, self.strangers = app, store, strangers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "-"
        limited = not _credentials(scope)  # a key or cookie, even a bad one, is judged later: see write()
        if limited and scope["path"] not in PROBES:
            wait = self.strangers.allow(address)
            if wait > 0:
                self.strangers.count(_template(scope), 429, address)
                start, body = _problem(429, "too many requests from this address without a key")
                start["headers"].append((b"retry-after", str(int(wait) + 1).encode()))
                await send(start)
                await send(body)
                return
        entry = Entry(method=scope["method"], endpoint=NO_ROUTE)  # the router sets the route; matched only if not
        scope.setdefault("state", {})["audit"] = entry
        began = time.perf_counter()
        written = False
        refused = False

        async def write(status: int) -> bool:
            nonlocal written
            written = True
            entry.status = status
            route = scope.get("route")
            entry.endpoint = getattr(route, "path", None) or _template(scope)
            if entry.user == "-" and (
                status == 429 or not _names_entities(route) or (not limited and self.strangers.allow(address) > 0)
            ):  # a stranger's request: counted, unless it names a company within the address's limit
                self.strangers.count(entry.endpoint, status, address)
                return True
            if not entry.params:  # the handler never ran (refused earlier): what was asked for, without values
                entry.params = _asked(scope)
            if entry.pending_seq:
                entry.params = {**entry.params, "pending_seq": entry.pending_seq}
            try:
                append(self.store, entry)
            except Exception as exc:  # logged by class only: the entry holds user, case and entity ids
                log.error("audit trail write failed for %s %s: %s", entry.method, entry.endpoint, type(exc).__name__)
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
        except BaseException as exc:  # a crash (500) or a client gone mid-request (499): recorded all the same
            if not written:
                await write(500 if isinstance(exc, Exception) else 499)
            raise


def _credentials(scope: Scope) -> bool:
    """Whether the request carries a key or a session cookie at all; whether it is valid is for later."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return True
        if name == b"cookie" and any(f"{c}=".encode() in value for c in SESSION_COOKIES):
            return True
    return False


def _template(scope: Scope) -> str:
    """The route template the path matches (``/v1/companies/{company_id}/signal``), never the raw path."""
    for route in _leaves(scope.get("app")):
        try:
            match, _ = route.matches(scope)
        except Exception:  # a route that cannot judge this scope: not this one
            continue
        if match is Match.FULL:
            return str(getattr(route, "path", "") or NO_ROUTE)
    return NO_ROUTE


_LEAVES: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def _leaves(app: Any) -> list[Any]:
    """The app's own routes, with included routers opened (FastAPI keeps them nested, without a prefix here)."""
    if app is None:
        return []
    found = _LEAVES.get(app)
    if found is None:
        found = []
        pending = list(getattr(app, "routes", ()))
        while pending:
            route = pending.pop(0)
            inner = getattr(route, "original_router", None)
            if inner is not None and not getattr(getattr(route, "include_context", None), "prefix", ""):
                pending[:0] = list(inner.routes)
            else:
                found.append(route)
        _LEAVES[app] = found
    return found


def _names_entities(route: object) -> bool:
    """Routes that name a company or a shortlist: a stranger's request to one keeps a record of its own."""
    path = str(getattr(route, "path", "") or "")
    return "entities" in (getattr(route, "tags", None) or ()) or "{company_id}" in path or "{shortlist_id}" in path


def _asked(scope: Scope) -> dict[str, Any]:
    """What a refused request asked for, bounded: its path parameters cut short, and how many query keys."""
    asked: dict[str, Any] = {k: str(v)[:32] for k, v in list((scope.get("path_params") or {}).items())[:8]}
    if scope.get("query_string"):
        asked["query_keys"] = len({p.split("=")[0] for p in _query(scope)})
    return asked


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
    """Refuse bodies over ``limit`` bytes with 413: by Content-Length up front, by counting when it is absent.

    A body sent without a length (chunked) is read here, up to the limit, and handed on whole: an error raised
    while FastAPI reads it would come out as 400, not 413.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return whole
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        start, body = _problem(413, f"request bodies are limited to {self.limit} bytes")
        await send(start)
        await send(body)
