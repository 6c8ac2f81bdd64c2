"""`train` with analysts' outcomes: they join the folds whose horizon holds them, and the run says how many."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tegenkracht.cli import app
from tegenkracht.console import EXIT_BAD_INPUT
from tests.shared import STUMP, Trained, point_at
from training.fit import label_weights
from training.outcomes import normalise
from training.run import train


def test_outcomes_enter_training_weighted_and_counted(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(trained.var / "mlflow.db", tmp_path / "mlflow.db")
    point_at(monkeypatch, tmp_path, tmp_path / "mlflow.db")
    companies = pd.read_parquet(trained.world / "companies.parquet", columns=["company_id", "founded_on"])
    old = companies[pd.to_datetime(companies["founded_on"]) < "2014-01-01"]["company_id"].head(300)
    raw = pd.DataFrame(
        {
            "company_id": old.to_numpy(),
            "outcome": np.where(np.arange(len(old)) % 3 == 0, "confirmed", "dismissed"),
            "as_of": "2016-12-31",  # inside the horizon of the training folds of 2015-12-31 and 2016-12-31
            "inclusion_probability": np.where(np.arange(len(old)) % 2 == 0, 0.05, np.nan),
            "feedback_id": np.arange(len(old)),
        }
    )
    result = train(trained.world, hp=STUMP, register=False, outcomes=normalise(raw))
    run = mlflow.get_run(result.run_id)
    assert run.data.params["outcomes_rows"] == "300" and run.data.params["outcomes_default_probability"] == "150"
    metrics = run.data.metrics
    assert metrics["labels.feedback"] + metrics["labels.both"] > 0
    per_fold = {k: v for k, v in metrics.items() if k.startswith("fold.train.") and k.endswith(".labels.feedback")}
    assert any(v > 0 for v in per_fold.values())
    assert all(v == 0 for k, v in metrics.items() if k.startswith("fold.test.") and k.endswith(".labels.feedback"))


def test_an_outcome_weighs_its_inverse_probability_in_the_fit() -> None:
    from training.dataset import Fold
    from training.fit import Hyperparameters

    frame = pd.DataFrame({"company_id": ["a", "b", "c", "d"], "label": [1, 0, 1, 0],
                          "label_status": ["confirmed", "none", "confirmed", "none"],
                          "label_weight": [1.0, 1.0, 20.0, 1.0]})  # fmt: skip
    keep, weight = label_weights([Fold("train", pd.Timestamp("2020-12-31"), frame)], Hyperparameters())
    assert keep.all() and weight[2] / weight[0] == pytest.approx(20.0) and weight.mean() == pytest.approx(1.0)


def test_an_outcomes_file_without_a_required_column_is_refused(trained: Trained, tmp_path: Path) -> None:
    bad = tmp_path / "fb.parquet"
    pd.DataFrame({"company_id": ["a"], "outcome": ["confirmed"]}).to_parquet(bad)
    result = CliRunner().invoke(app, ["train", "--data", str(trained.world), "--outcomes", str(bad)])
    assert result.exit_code == EXIT_BAD_INPUT and "as_of" in result.output
