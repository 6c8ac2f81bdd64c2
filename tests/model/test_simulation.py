"""`tegenkracht simulate`: the loop runs round after round on a world with truth, and refuses one without."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tegenkracht.cli import app
from tegenkracht.console import EXIT_BAD_INPUT
from tests.shared import point_at


def test_a_world_without_truth_is_refused_with_a_clear_error(small_world: Path, tmp_path: Path) -> None:
    real = tmp_path / "records"
    shutil.copytree(small_world, real, ignore=shutil.ignore_patterns("truth"))
    result = CliRunner().invoke(app, ["simulate", "--data", str(real), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "truth" in result.output and "synthetic world" in result.output
    assert not (tmp_path / "out").exists()


def test_two_rounds_list_investigate_and_learn_from_their_findings(
    labelled_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, tmp_path / "var", tmp_path / "mlflow.db")
    out = tmp_path / "sim"
    args = ["simulate", "--data", str(labelled_world), "--rounds", "2", "--k", "20", "--horizon-months", "24",
            "--min-validation-positives", "5", "--out", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rounds = json.loads((out / "rounds.json").read_text())["explore-ipw"]
    first, second = rounds
    regions = 10
    assert first["listed"] == 20 * regions and first["explored"] == regions  # one random place per region (5%)
    assert first["labels_feedback"] == 0 and second["labels_feedback"] > 0  # round 0's findings came back
    assert 0 < first["true_positives"] <= first["listed"]
    assert set(second["gates"]) == {"quality", "fairness"}
    assert all(0.0 < r["oracle_ratio"] < 2.0 for r in rounds)
    assert any(k.startswith("migration") or k.startswith("gender") for k in first["groups"])
    table = pd.read_csv(out / "rounds.csv")
    assert table["round"].tolist() == [0, 1] and (out / "learning_loop.png").stat().st_size > 1000

    import mlflow

    runs = mlflow.search_runs(experiment_names=["tegenkracht-simulation"])
    assert len(runs) == 1 and runs["params.policy"].iloc[0] == "explore-ipw"
    history = mlflow.MlflowClient().get_metric_history(runs["run_id"].iloc[0], "true_positives")
    assert [m.step for m in history] == [0, 1]
