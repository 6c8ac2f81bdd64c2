"""A served snapshot for the service tests: the shared small world, its indicators, a quick model, its scores.

The model is a small LightGBM fit on the indicators (no MLflow), because these tests are about the service, not
the model; the registry path of a reload is tested in ``tests/model/test_service_reload.py`` on the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalogue import FEATURES
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from features.validation import validate_records
from models.risk import Calibrator, RiskModel
from serving.champion import Serving
from serving.scoring import score_file
from training.transparency import Documents
from training.transparency import build as build_documents
from training.transparency.facts import Facts

AS_OF = pd.Timestamp("2023-12-31")


@dataclass(frozen=True)
class Snapshot:
    world: Path
    indicators: Path
    scores: Path
    model: RiskModel

    def serving(self, version: str = "1") -> Serving:
        card = {
            "name": "tegenkracht-risk",
            "version": version,
            "registered_at": "2026-11-29T00:00:00+00:00",
            "training_window": {"test_as_of": "2021-12-31"},
            "catalogue": {},
            "metrics": {"test.model.observed.pr_auc": 0.02},
            "fairness": {"audit": "passed", "summary": "passed"},
            "intended_use": "tests",
            "limitations": ["a test model"],
        }
        return Serving(self.model, version, card, documents(version))


def documents(version: str) -> Documents:
    """Transparency documents from hand-written facts: what a version without stored artifacts would get."""
    facts = Facts(
        name="tegenkracht-risk",
        version=version,
        registered_at="2026-11-29T00:00:00+00:00",
        run_id="0" * 32,
        tags={"test_as_of": "2021-12-31", "fairness.audit": "passed", "fairness.summary": "passed"},
        params={},
        metrics={"test.model.observed.rows": 1000.0, "test.model.observed.pr_auc": 0.02},
        features=tuple(FEATURES),
    )
    return build_documents(facts)


def quick_model(frame: pd.DataFrame, seed: int = 0) -> RiskModel:
    """A 30-tree model of a made-up target driven by a few indicators: real trees, real SHAP, no MLflow."""
    x = frame[list(FEATURES)].to_numpy(dtype=np.float64, na_value=np.nan)
    rng = np.random.default_rng(seed)
    signal = np.nan_to_num(x[:, :5]).sum(axis=1)
    y = (signal + rng.normal(0, signal.std() + 1e-9, len(x)) > np.quantile(signal, 0.9)).astype(int)
    params = {"objective": "binary", "num_leaves": 7, "max_depth": 3, "verbose": -1, "seed": seed,
              "deterministic": True, "num_threads": 1}  # fmt: skip
    booster = lgb.train(params, lgb.Dataset(x, y, feature_name=list(FEATURES)), num_boost_round=30)
    return RiskModel(booster, Calibrator("platt", 1.0, -3.0), tuple(FEATURES), {})


def build(world: Path, out: Path) -> Snapshot:
    out.mkdir(parents=True, exist_ok=True)
    frame, peers = compute_indicators(validate_records(world).tables, AS_OF)
    indicators = out / "indicators.parquet"
    write_indicators(IndicatorTable(frame, peers, AS_OF, input_fingerprint(world)), indicators)
    model = quick_model(frame)
    run = score_file(model, indicators, out / "scores.parquet", "1")
    return Snapshot(world, indicators, run.out, model)
