"""The CLI is public interface: verbs, exit codes, stdout for data and stderr for logs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tegenkracht.cli import app

runner = CliRunner()


def test_synth_writes_a_world_and_reports_json(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = runner.invoke(app, ["synth", "--companies", "1000", "--seed", "3", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["rows"]["companies.parquet"] >= 1000
    assert (out / "manifest.json").exists()
    assert not list(tmp_path.glob(".w.tmp-*")), "no temporary folder may be left behind"


def test_synth_rejects_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--companies", "1000", "--label-bias", "0.5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "label-bias" in result.output


def test_validate_exit_codes(small_world: Path, tmp_path: Path) -> None:
    clean = runner.invoke(app, ["validate", str(small_world), "--quarantine", str(tmp_path / "q.parquet"), "--json"])
    assert clean.exit_code == 0, clean.output
    assert sum(json.loads(clean.stdout)["quarantined"].values()) == 0

    broken = tmp_path / "broken"
    broken.mkdir()
    for p in small_world.glob("*.parquet"):
        (broken / p.name).write_bytes(p.read_bytes())
    f = pd.read_parquet(broken / "filings.parquet")
    f.loc[0, "revenue"] = -1
    f.to_parquet(broken / "filings.parquet", index=False)
    bad = runner.invoke(app, ["validate", str(broken), "--out", str(tmp_path / "clean"), "--json"])
    assert bad.exit_code == 1
    q = pd.read_parquet(broken / "quarantine.parquet")
    assert set(q.table) == {"filings"} and q.row_key.nunique() == 1  # one row, two broken rules
    assert "revenue" in set(q.column) and q.reason.str.contains("profit must equal").any()
    assert len(pd.read_parquet(tmp_path / "clean" / "filings.parquet")) == len(f) - 1

    (broken / "cases.parquet").unlink()
    missing = runner.invoke(app, ["validate", str(broken)])
    assert missing.exit_code == 2
    assert "cases" in missing.output and "missing" in missing.output


def test_python_dash_m_works(tmp_path: Path) -> None:
    env = {**os.environ, "TEGENKRACHT_PROGRESS": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "tegenkracht", "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0
    for verb in ("synth", "validate", "demo"):
        assert verb in proc.stdout


def test_data_on_stdout_logs_on_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "TEGENKRACHT_PROGRESS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tegenkracht",
            "synth",
            "--companies",
            "800",
            "--out",
            str(tmp_path / "w"),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)  # stdout is pure JSON: the progress bar went to stderr
    assert "synth" in proc.stderr


def test_features_writes_table_metadata_and_peers(
    small_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import settings
    from features.pipeline import read_metadata

    monkeypatch.setattr(settings, "MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    out = tmp_path / "ind" / "x.parquet"
    args = ["features", "--data", str(small_world), "--as-of", "2024-12-31", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out)
    assert meta["as_of"] == "2024-12-31" and meta["catalogue_version"] and len(meta["input_fingerprint"]) == 64
    frame = pd.read_parquet(out)
    assert frame.company_id.is_unique and len(frame) == int(meta["rows"])
    peers = out.with_name("x.peers.parquet")
    assert peers.exists()

    import mlflow

    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    run = mlflow.get_run(json.loads(result.stdout)["mlflow_run_id"])
    assert run.data.params["input_fingerprint"] == meta["input_fingerprint"]
    assert run.data.params["catalogue_hash"] == meta["catalogue_hash"]

    # scoring later against the training run's frozen peers reproduces the same z-scores at the same date
    again = tmp_path / "ind" / "y.parquet"
    result = runner.invoke(app, [*args[:5], "--out", str(again), "--peers", str(peers), "--no-track"])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(frame, pd.read_parquet(again))
    assert meta["peers"] == "fitted" and read_metadata(again)["peers"].startswith("frozen:")


def test_features_bad_input(small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    bad_date = runner.invoke(
        app, ["features", "--data", str(small_world), "--as-of", "31-12-2024", "--out", str(out), "--no-track"]
    )
    assert bad_date.exit_code == 2 and "as-of" in bad_date.output
    world = tmp_path / "w"
    shutil.copytree(small_world, world)
    f = pd.read_parquet(world / "filings.parquet")
    f.loc[3, "source"] = "napkin"
    f.to_parquet(world / "filings.parquet", index=False)
    ok = runner.invoke(
        app, ["features", "--data", str(world), "--as-of", "2024-12-31", "--out", str(out), "--no-track"]
    )
    assert ok.exit_code == 0, ok.output
    q = pd.read_parquet(tmp_path / "x.quarantine.parquet")
    assert set(q.table) == {"filings"} and out.exists()
    (world / "officers.parquet").unlink()
    missing = runner.invoke(
        app,
        ["features", "--data", str(world), "--as-of", "2024-12-31", "--out", str(tmp_path / "z.parquet"), "--no-track"],
    )
    assert missing.exit_code == 2 and not (tmp_path / "z.parquet").exists()


def test_the_public_verbs_are_all_there() -> None:
    import typer.main

    group = typer.main.get_group(app)
    public = {"synth", "validate", "features", "train", "evaluate", "promote", "score", "audit", "monitor", "serve",
              "users", "audit-log", "feedback", "model-card", "import", "demo"}  # fmt: skip
    assert public <= set(group.commands), public - set(group.commands)


def test_train_defaults_are_the_shipped_configuration() -> None:
    """`tegenkracht train` without options trains what the benchmark measured (training.fit.Hyperparameters)."""
    import inspect
    from dataclasses import fields

    from tegenkracht.model_verbs import train
    from training.fit import Hyperparameters

    defaults = {name: p.default for name, p in inspect.signature(train).parameters.items()}
    shipped = Hyperparameters()
    shared = [f.name for f in fields(Hyperparameters) if f.name in defaults]
    assert {"ensemble", "early_stopping_metric", "label_dates", "selection", "monotone", "max_depth"} <= set(shared)
    for name in shared:
        assert defaults[name] == getattr(shipped, name), name
