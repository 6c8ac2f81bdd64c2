"""Known causes of unfairness, switched on one at a time in the synthetic world, must be detected (and a world
with none switched on must not raise an alarm). Each world runs the whole pipeline with the same seed:
synth → indicators → train (which audits its test fold) → score → audit.

The label channel is asserted for what it is in this world: with ``--segregation 0`` no indicator can carry a
company's group, so a model trained on the biased labels cannot select by group, and the shortlist audit rightly
passes. The bias sits in the labels, and the audit of the investigations behind them names the groups, while
ground truth shows those groups are no more often involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import settings
from synth import WorldConfig, generate_world
from training.fit import Hyperparameters
from training.run import TrainResult, train

SEED = 11
COMPANIES = 40_000


@dataclass
class Case:
    """A world, its folder and the model trained on it (with the audit of its test fold)."""

    result: TrainResult
    tmp: Path

    @property
    def world(self) -> Path:
        return self.tmp / "world"


def _point_at(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    mp.setattr(settings, "VAR_DIR", tmp / "var")
    mp.setattr(settings, "MLFLOW_TRACKING_URI", f"sqlite:///{tmp / 'mlflow.db'}")


def _case(factory: pytest.TempPathFactory, name: str, segregation: float, label_bias: float) -> Iterator[Case]:
    tmp = factory.mktemp(name)
    config = WorldConfig(n_companies=COMPANIES, seed=SEED, segregation=segregation, label_bias=label_bias)
    generate_world(config, tmp / "world")
    with pytest.MonkeyPatch.context() as mp:
        _point_at(mp, tmp)
        yield Case(train(tmp / "world"), tmp)


@pytest.fixture(scope="module")
def no_channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    yield from _case(tmp_path_factory, "no_channel", 0.0, 1.0)


@pytest.fixture(scope="module")
def label_channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    yield from _case(tmp_path_factory, "label_channel", 0.0, 3.0)


@pytest.fixture(scope="module")
def proxy_channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    yield from _case(tmp_path_factory, "proxy_channel", 1.0, 1.0)


def _row(table: pd.DataFrame, attribute: str, group: str) -> pd.Series:
    t = table[(table.attribute_name == attribute) & (table.attribute_value == group)]
    assert len(t) == 1, (attribute, group)
    return t.iloc[0]


def test_no_channel_no_alarm(no_channel: Case) -> None:
    report = no_channel.result.fairness
    assert report is not None
    assert report.passed, report.summary()
    assert report.truth is not None and report.truth.passed
    assert report.labels_passed, report.summary()


def test_label_channel_labels_are_named_as_the_cause(label_channel: Case) -> None:
    report = label_channel.result.fairness
    assert report is not None and report.investigations is not None and report.truth is not None
    # the shortlist does not select by group: nothing in the indicators carries it (segregation 0)
    assert report.passed, report.summary()
    # the investigations behind the labels do, and the audit names exactly the groups the world biased
    named = {(f.attribute, f.group) for f in report.investigations.failures}
    assert {("migration_background", "non_western"), ("neighbourhood_ses", "low")} <= named
    assert not report.labels_passed and "labels biased" in report.summary()
    assert not {a for a, _ in named} & {"gender", "age_group"}, named
    for attribute, group in (("migration_background", "non_western"), ("neighbourhood_ses", "low")):
        inv = _row(report.investigations.groups, attribute, group)
        assert inv["fpr_disparity_lower"] > 1.25  # innocent companies of the group investigated more often...
        truth = _row(report.truth.groups, attribute, group)
        assert 0.8 <= truth["prev_disparity"] <= 1.25  # ...while the group is no more often involved
        observed = _row(report.observed.groups, attribute, group)
        assert observed["prev_disparity"] > truth["prev_disparity"]  # so the labels over-represent it


def test_proxy_channel_names_the_carrier_and_decomposes_the_gap(proxy_channel: Case) -> None:
    report = proxy_channel.result.fairness
    assert report is not None
    pred = {(p["attribute"], p["group"]): p for p in report.proxies["predictability"]}
    nw = pred[("migration_background", "non_western")]
    assert nw["auc"] > 0.58
    assert nw["top_indicators"][0]["indicator"] == "sector_cash_intensive"
    gaps = {(g["attribute"], g["group"]): g for g in report.proxies["score_gap"]}
    gap = gaps[("migration_background", "non_western")]
    assert gap["gap"] > 0.05
    assert gap["explained"] == pytest.approx(gap["gap"], abs=1e-9)  # exact by additivity
    assert gap["contributions"][0]["indicator"] == "sector_cash_intensive"
    assert gap["contributions"][0]["contribution"] > 0.5 * gap["gap"]
    cf = next(
        c
        for c in report.proxies["counterfactual"]
        if c["indicator"] == "sector_cash_intensive" and c["group"] == "non_western"
    )
    # against the placebo (its own group's values re-drawn the same way), the reference group's values lower it
    assert cf["disparity_after"] < cf["disparity_placebo"]


def test_mitigation_dropping_the_proxy(proxy_channel: Case) -> None:
    result = proxy_channel.result
    with pytest.MonkeyPatch.context() as mp:
        _point_at(mp, proxy_channel.tmp)
        mitigated = train(proxy_channel.world, hp=Hyperparameters(exclude=("sector_cash_intensive",)))
    assert mitigated.fairness is not None and result.fairness is not None
    before = _row(result.fairness.observed.groups, "migration_background", "non_western")["pprev_disparity"]
    after = _row(mitigated.fairness.observed.groups, "migration_background", "non_western")["pprev_disparity"]
    assert abs(after - 1.0) < abs(before - 1.0)
    gaps = {(g["attribute"], g["group"]): g for g in mitigated.fairness.proxies["score_gap"]}
    parts = {c["indicator"]: c["contribution"] for c in gaps[("migration_background", "non_western")]["contributions"]}
    assert parts["sector_cash_intensive"] == 0.0  # the model never splits on it
    assert mitigated.results["model.truth"]["pr_auc"] > 0.5 * result.results["model.truth"]["pr_auc"]


def test_score_then_audit_from_the_cli_path(no_channel: Case, tmp_path: Path) -> None:
    """The production path: indicators on a date whose outcomes are not known yet, `score`, then `audit`."""
    from fairness.run import Decision, audit_scores_file
    from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
    from features.validation import validate_records
    from serving.scoring import score_file
    from training.labels import audit_labels

    data = no_channel.world
    as_of = pd.Timestamp("2024-12-31")
    frame, peers = compute_indicators(validate_records(data).tables, as_of)
    features = tmp_path / "features.parquet"
    write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(data)), features)
    scores = tmp_path / "scores.parquet"
    score_file(no_channel.result.model, features, scores, "1")
    report = audit_scores_file(scores, data, Decision(top_k=50), labels=audit_labels(data), features=features)
    assert report.context["labels"].startswith("no observed labels")  # 2024 + 24 months runs past the records
    assert report.observed.settings["labelled"] == 0
    assert report.truth is not None and report.truth.settings["labelled"] == len(frame)
    assert report.passed  # selection measures only; label measures say "no labels"
    statuses = set(report.observed.groups["fdr_status"])
    assert statuses <= {"no labels", "insufficient data"}
    files = report.write(tmp_path / "report")
    blob = json.loads(files["observed"].read_text())
    assert blob["settings"]["decision"] == "top 50 per riec_region"
    assert {"nl", "en", "json"} <= set(files)
    assert np.isfinite(report.observed.groups["pprev"]).any()
