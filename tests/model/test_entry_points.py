"""`mlflow run -e train` and `-e promote` run the CLI verbs and log to the entry point's own run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared import APPROVER, Trained

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _mlflow_run(entry: str, params: dict[str, str], env: dict[str, str], cwd: Path) -> None:
    cmd = [sys.executable, "-m", "mlflow", "run", str(ROOT), "-e", entry, "--env-manager", "local"]
    for key, value in params.items():
        cmd += ["-P", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_train_then_promote_through_mlflow_run(trained: Trained, tmp_path: Path) -> None:
    labelled_world = trained.world
    # the indicator tables the base run cached, so the entry points spend their time on what they are tested for
    shutil.copytree(trained.var / "indicators" / "cache", tmp_path / "var" / "indicators" / "cache")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TEGENKRACHT_"))}
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {
        **inherited,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": uri,
        "TEGENKRACHT_VAR_DIR": str(tmp_path / "var"),
        "TEGENKRACHT_PROGRESS": "0",
        "TEGENKRACHT_OVERSIGHT_APPROVERS": APPROVER,
    }
    _mlflow_run("train", {"data": str(labelled_world)}, env, tmp_path)
    why = "named, but not needed: this model passes every gate"
    _mlflow_run("promote", {"approver": APPROVER, "justification": why}, env, tmp_path)

    from mlflow import MlflowClient

    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = c.get_model_version_by_alias("tegenkracht-risk", "champion")
    assert str(champion.version) == "1"
    assert "override.approver" not in champion.tags  # the gates passed, so no override was used or recorded
    runs = c.search_runs([e.experiment_id for e in c.search_experiments()])
    entries = {r.data.params.get("candidate_version") or "train": r for r in runs}
    assert entries["1"].data.params["decision"] == "gates", "the promotion logged into the entry point's run"
    # the entry point's own parameters are there too (MLflow records the shell-quoted value)
    assert entries["1"].data.params["approver"].strip("'") == APPROVER
