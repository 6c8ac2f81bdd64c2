"""Settings come from TEGENKRACHT_* variables; telemetry of MLflow and Evidently is off where a process starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TELEMETRY_VARS = ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "EVIDENTLY_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED")
PRINT_VARS = f"import os, sys; print(*(os.environ.get(v) for v in {TELEMETRY_VARS!r}), file=sys.stderr)"
# Each way a process of ours starts: the console script (a --help run), uvicorn's worker factory, the tests.
STARTS = {
    "cli": "import sys\nfrom tegenkracht.cli import main\nsys.argv = ['tegenkracht', '--help']\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n",
    "asgi": "from serving.api.asgi import app\napp()\n",
    "library": "from core.telemetry import disable_telemetry\ndisable_telemetry()\n",
}


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEGENKRACHT_", "MLFLOW_")) and k not in TELEMETRY_VARS
    }
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env}, check=True
    )


def _stdout(code: str, **env: str) -> str:
    return _run(code, **env).stdout.strip()


@pytest.mark.parametrize("start", sorted(STARTS))
def test_telemetry_off_where_a_process_starts(start: str, tmp_path: object) -> None:
    done = _run(STARTS[start] + PRINT_VARS, TEGENKRACHT_VAR_DIR=str(tmp_path))
    assert done.stderr.strip().splitlines()[-1] == "true true 1 true"


def test_importing_a_package_switches_nothing() -> None:
    """No import side effect: a reader sees where telemetry is switched off, at the process's entry point."""
    done = _run("import tegenkracht, core, fairness, training, serving\n" + PRINT_VARS)
    assert done.stderr.strip().splitlines()[-1] == "None None None None"


def test_mlflow_sees_telemetry_disabled() -> None:
    out = _stdout(
        "from core.telemetry import disable_telemetry\ndisable_telemetry()\n"
        "from mlflow.telemetry.utils import is_telemetry_disabled\nprint(is_telemetry_disabled())"
    )
    assert out == "True"


def test_operator_can_opt_in() -> None:
    done = _run(STARTS["library"] + PRINT_VARS, TEGENKRACHT_TELEMETRY="1")
    assert done.stderr.strip().splitlines()[-1] == "None None None None"


def test_defaults_live_under_var_and_env_overrides(tmp_path: object) -> None:
    out = _stdout("from core import settings as s; print(s.DATA_DIR.name, s.VAR_DIR.name, s.MLFLOW_TRACKING_URI)")
    data, var, uri = out.split()
    assert (data, var) == ("data", "var") and uri.startswith("sqlite:///") and uri.endswith("var/mlflow.db")
    out = _stdout("from core import settings as s; print(s.DATA_DIR)", TEGENKRACHT_DATA_DIR="/tmp/elsewhere")
    assert out == "/tmp/elsewhere"
