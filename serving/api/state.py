"""What the app holds while it runs: the store, the serving model, the explanation cache, the rate limits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import Request

from serving.api.ratelimit import RateLimiter
from serving.api.strangers import Strangers
from serving.auditlog import Entry
from serving.batches import current_batch
from serving.champion import Champion
from serving.explanations import ExplanationCache
from serving.recourse import BatchModels
from serving.store import Store
from serving.store.tables import Batch

BATCH_TTL_S = 1.0


@dataclass
class AppState:
    """Shared by every request of one app."""

    store: Store
    champion: Champion
    limiter: RateLimiter
    strangers: Strangers
    explanations: ExplanationCache = field(default_factory=ExplanationCache)
    models: BatchModels = field(default_factory=BatchModels)
    _batch: tuple[float, Batch | None] = (-BATCH_TTL_S, None)

    def current_batch(self) -> Batch | None:
        """The batch being served, re-read at most once a second: a load in another process shows within that."""
        now = time.monotonic()
        at, found = self._batch
        if now - at >= BATCH_TTL_S:
            found = current_batch(self.store)
            self._batch = (now, found)
        return found


def state_of(request: Request) -> AppState:
    """The app's state."""
    found = request.app.state.tegenkracht
    assert isinstance(found, AppState)
    return found


def entry_of(request: Request) -> Entry:
    """The audit entry of this request (created by the audit middleware)."""
    found = request.scope.setdefault("state", {}).get("audit")
    if found is None:  # outside the middleware (never in the app): a throwaway entry
        found = Entry()
        request.scope["state"]["audit"] = found
    assert isinstance(found, Entry)
    return found
