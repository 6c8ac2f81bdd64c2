"""The app as uvicorn's workers import it: ``serving.api.asgi:app``, a factory.

Each worker gets the configured store and the registry's champion, followed every
``TEGENKRACHT_CHAMPION_CHECK_S`` seconds, because a reload request reaches only one worker.
"""

from __future__ import annotations

from fastapi import FastAPI

from core import settings
from core.telemetry import disable_telemetry
from serving.api.app import create_app


def app() -> FastAPI:
    """One worker's app; a worker is a process of its own, so it switches telemetry off itself."""
    disable_telemetry()
    return create_app(follow_s=settings.CHAMPION_CHECK_S)
