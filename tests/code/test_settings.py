"""Settings come from TEGENKRACHT_* variables; telemetry of MLflow and Evidently is off by default."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(code: str, **env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEGENKRACHT_", "MLFLOW_")) and k != "DO_NOT_TRACK"
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env}, check=True
    )
    return proc.stdout.strip()


def test_telemetry_off_after_import() -> None:
    out = _run("import os, tegenkracht; print(os.environ['MLFLOW_DISABLE_TELEMETRY'], os.environ['DO_NOT_TRACK'])")
    assert out == "true true"


def test_mlflow_sees_telemetry_disabled() -> None:
    out = _run(
        "import tegenkracht\nfrom mlflow.telemetry.utils import is_telemetry_disabled\nprint(is_telemetry_disabled())"
    )
    assert out == "True"


def test_operator_can_opt_in() -> None:
    out = _run("import os, tegenkracht; print(os.environ.get('MLFLOW_DISABLE_TELEMETRY'))", TEGENKRACHT_TELEMETRY="1")
    assert out == "None"


def test_defaults_live_under_var_and_env_overrides(tmp_path: object) -> None:
    out = _run("from tegenkracht import settings as s; print(s.DATA_DIR.name, s.VAR_DIR.name, s.MLFLOW_TRACKING_URI)")
    data, var, uri = out.split()
    assert (data, var) == ("data", "var") and uri.startswith("sqlite:///") and uri.endswith("var/mlflow.db")
    out = _run("from tegenkracht import settings as s; print(s.DATA_DIR)", TEGENKRACHT_DATA_DIR="/tmp/elsewhere")
    assert out == "/tmp/elsewhere"
