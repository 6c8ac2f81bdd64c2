"""The page routes, one module per audience: signing in, analysts, oversight and reports."""

from __future__ import annotations

from fastapi import Request

from serving.api.state import entry_of, state_of
from serving.store.tables import Batch
from serving.ui.guard import PageError


def served_batch(request: Request) -> Batch:
    """The batch being served, its model version on the audit entry; without one, the page that says so (503)."""
    found = state_of(request).current_batch()
    if found is None:
        raise PageError(503, "no_batch")
    entry_of(request).model_version = found.model_version
    return found
