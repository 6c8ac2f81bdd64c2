"""One way to open an MLflow run, shared by every verb that logs one.

Under ``mlflow run`` the entry point's run (``MLFLOW_RUN_ID``) is reused rather than a second one opened, so the
CLI verb and the MLproject entry point log to the same place through the same code. Elsewhere the verb's own
experiment is used. MLflow is imported lazily: a verb that does not track must not pay for it.
"""

from __future__ import annotations

import os
from contextlib import suppress
from typing import Any

from core import settings


def start_run(experiment: str, run_name: str) -> Any:
    """An active-run context manager on the configured tracking store."""
    import mlflow

    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    if mlflow.active_run() is None and not os.environ.get("MLFLOW_RUN_ID"):
        _ensure_experiment(experiment)
    return mlflow.start_run(run_name=run_name)


def _ensure_experiment(name: str) -> None:
    """Select the experiment, creating it with its artifacts under ``VAR_DIR`` for the embedded SQLite store.

    MLflow would otherwise put a SQLite store's artifacts in ``./mlruns`` of whatever folder the command ran in.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    if mlflow.get_experiment_by_name(name) is None and settings.MLFLOW_TRACKING_URI.startswith("sqlite:"):
        location = (settings.VAR_DIR / "mlartifacts" / name).as_uri()
        with suppress(MlflowException):  # created meanwhile by a concurrent run
            mlflow.create_experiment(name, artifact_location=location)
    mlflow.set_experiment(name)
