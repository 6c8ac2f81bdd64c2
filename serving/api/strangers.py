"""Strangers: callers without a valid key or session, limited before anything is written and counted, not recorded.

The trail must keep every record for 183 days, and a full disk stops every request. So a stranger's request to a
route that names no company leaves no record of its own: it adds one to a count per route template, status,
client address and minute, and the counts are sealed into the chain as one record per few hundred of them every
``STRANGER_FLUSH_S`` seconds (and when the app stops). A stranger's request to a route that names a company (a
probe for an id) keeps a record of its own, as every authenticated request does. Before any of that, each
address has a token bucket (``STRANGER_RATE_PER_MINUTE``): past it the answer is 429, counted like the rest.

What the counts cost: a crash loses the counts of the last few seconds (the requests they count were refused
or named nothing), and an address is kept as the client address the server saw (a proxy's, unless uvicorn is
told to trust its forwarding headers).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from core import settings
from serving.api.ratelimit import RateLimiter
from serving.auditlog import Entry, append
from serving.store import Store

log = logging.getLogger(__name__)
COUNTS = "(strangers' requests)"
PER_RECORD = 200
MAX_KEYS = 20_000  # counts held between flushes; past this, new addresses are folded into one
MANY = "(more addresses)"


class Strangers:
    """The strangers' rate limit and their counts, for one app (one worker process)."""

    def __init__(self, store: Store, per_minute: int | None = None, flush_s: float | None = None) -> None:
        self.store = store
        self.limiter = RateLimiter(per_minute or settings.STRANGER_RATE_PER_MINUTE)
        self.flush_s = settings.STRANGER_FLUSH_S if flush_s is None else flush_s
        self._counts: dict[tuple[str, str, int, str], int] = {}
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def allow(self, address: str) -> float:
        """0 if a stranger's request from ``address`` may go ahead, else the seconds until it may."""
        return self.limiter.allow(f"address:{address}")

    def count(self, route: str, status: int, address: str) -> None:
        """Add one request to its minute's count; seal the counts into the chain when they are due."""
        minute = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        with self._lock:
            key = (minute, route[:200], int(status), address[:64])
            if key not in self._counts and len(self._counts) >= MAX_KEYS:
                key = (minute, route[:200], int(status), MANY)
            self._counts[key] = self._counts.get(key, 0) + 1
            due = time.monotonic() - self._flushed >= self.flush_s
        if due:
            self.flush()

    def pending(self) -> int:
        """Requests counted and not yet sealed into the chain."""
        with self._lock:
            return sum(self._counts.values())

    def flush(self) -> int:
        """Seal the counts held into the chain; returns the records written. Counts stay held if the write fails."""
        with self._lock:
            taken, self._counts = self._counts, {}
            self._flushed = time.monotonic()
        if not taken:
            return 0
        items = sorted(taken.items())
        written = 0
        try:
            for start in range(0, len(items), PER_RECORD):
                part = [[*key, n] for key, n in items[start : start + PER_RECORD]]
                params = {"fields": ["minute", "route", "status", "address", "count"], "counts": part}
                append(self.store, Entry(role="system", method="*", endpoint=COUNTS, params=params, status=0))
                written += 1
        except Exception as exc:  # the store is unwell: keep what was not written, for the next flush
            log.error("strangers' counts could not be sealed into the audit trail: %s", type(exc).__name__)
            with self._lock:
                for key, n in items[written * PER_RECORD :]:
                    self._counts[key] = self._counts.get(key, 0) + n
        return written
