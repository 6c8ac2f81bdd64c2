"""The MLproject entry points run the same CLI code path and log to the same MLflow store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from features.pipeline import read_metadata

ROOT = Path(__file__).resolve().parents[2]


def test_every_entry_point_calls_its_cli_verb() -> None:
    spec = yaml.safe_load((ROOT / "MLproject").read_text())
    for name, entry in spec["entry_points"].items():
        verb = "demo" if name == "main" else name
        assert entry["command"].startswith(f"python -m tegenkracht {verb}"), name


def test_mlflow_run_features(small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "ind.parquet"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TEGENKRACHT_"))}
    env = {
        **inherited,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "TEGENKRACHT_PROGRESS": "0",
    }
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "run",
        str(ROOT),
        "-e",
        "features",
        "--env-manager",
        "local",
        "-P",
        f"data={small_world}",
        "-P",
        "as_of=2024-12-31",
        "-P",
        f"out={out}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_metadata(out)["as_of"] == "2024-12-31"

    import mlflow

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    runs = mlflow.search_runs(search_all_experiments=True)
    assert len(runs) == 1, "the entry point's run and the CLI's logging are one and the same run"
    assert runs["params.input_fingerprint"].iloc[0] == read_metadata(out)["input_fingerprint"]
