"""Third-party telemetry off, called where a process starts (the CLI, the ASGI app, the tests).

MLflow, Evidently and FastAPI's OpenTelemetry instrumentation phone home unless told not to. Each reads its
variable lazily, so setting them once at a process's entry point, before any of them is used, is enough. It used to
be a side effect of importing the CLI package, which hid from readers where it happened and left library users of
``fairness`` or ``training`` to rely on an import they never wrote.
"""

from __future__ import annotations

import os

from core import settings

#: What each library reads; ``setdefault`` leaves an operator's explicit choice alone.
TELEMETRY_OFF: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",  # honoured by Evidently and by MLflow
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "OTEL_SDK_DISABLED": "true",  # OpenTelemetry's SDK, should an instrumentation be installed beside FastAPI
}


def disable_telemetry() -> None:
    """Switch off third-party telemetry unless ``TEGENKRACHT_TELEMETRY`` turns it on."""
    if settings.TELEMETRY:
        return
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
