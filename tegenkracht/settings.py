"""Settings, read once from ``TEGENKRACHT_*`` environment variables.

Flat module-level constants (after yente): every default is documented here and in
``docs/settings.md``, so an operator can see the whole configuration surface in one place.
"""

from __future__ import annotations

import os
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TEGENKRACHT_{name}", default)


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


# Root folder for everything the service writes (data, models, stores). Git-ignores it.
VAR_DIR: Path = Path(_env("VAR_DIR", "var")).resolve()

# Where `tegenkracht synth` writes the synthetic world unless --out is given.
DATA_DIR: Path = Path(_env("DATA_DIR", str(VAR_DIR / "data"))).resolve()

# MLflow tracking store. MLflow >= 3.13 refuses the plain file store, so SQLite is the embedded default.
# MLflow's own MLFLOW_TRACKING_URI is honoured too (``mlflow run`` sets it for the runs it starts).
MLFLOW_TRACKING_URI: str = _env(
    "MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{VAR_DIR / 'mlflow.db'}"
)

# Log level for stderr logging (data goes to stdout, logs and progress to stderr).
LOG_LEVEL: str = _env("LOG_LEVEL", "INFO").upper()

# Show rich progress bars on stderr. Off by default in CI (CI=true) to keep logs readable.
PROGRESS: bool = _flag("PROGRESS", os.environ.get("CI", "").lower() not in {"1", "true"})

# MLflow and Evidently phone home by default. We never do unless an operator turns this on.
TELEMETRY: bool = _flag("TELEMETRY", False)

# Default size and seed of the demo world, small enough for `make demo` to stay well under ten minutes.
DEMO_COMPANIES: int = int(_env("DEMO_COMPANIES", "50000"))
DEMO_SEED: int = int(_env("DEMO_SEED", "20261128"))


def disable_telemetry() -> None:
    """Switch off third-party telemetry before MLflow or Evidently are imported.

    Both libraries read these variables lazily, so setting them at package import is enough.
    ``setdefault`` leaves an operator's explicit choice alone.
    """
    if TELEMETRY:
        return
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")  # honoured by Evidently and by MLflow
    os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
