"""Record an indicator run in MLflow: catalogue version, input fingerprint, as-of date, and the catalogue.

Imported lazily: MLflow is heavy, and a run that is asked not to track must not pay for it. Under
``mlflow run`` the active run (``MLFLOW_RUN_ID``) is reused, so the CLI and the MLproject entry point log to
the same place through the same code.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

from core.tracking import start_run
from features.catalogue import CATALOGUE

EXPERIMENT = "tegenkracht-features"


def log_indicator_run(metadata: dict[str, str], out: Path, quarantined: int) -> str:
    """Log parameters and the catalogue as an artifact; return the run id."""
    import mlflow

    with start_run(EXPERIMENT, f"features {metadata['as_of']}") as run:
        mlflow.log_params({**metadata, "out": str(out)})
        mlflow.log_metric("quarantined_rows", quarantined)
        mlflow.log_metric("rows", float(metadata["rows"]))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "catalogue.json"
            path.write_text(json.dumps([asdict(i) for i in CATALOGUE], indent=2, ensure_ascii=False))
            mlflow.log_artifact(str(path))
        return str(run.info.run_id)
