"""A per-key token bucket: enough to stop a runaway script, not a substitute for a proxy's limits."""

from __future__ import annotations

import threading
import time

MAX_BUCKETS = 10_000


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if len(self._buckets) > MAX_BUCKETS:  # forget buckets that have refilled: they hold nothing
                self._buckets = {
                    k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * self.rate < self.capacity
                }
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
