"""Exact recourse: sets known by hand, minimality by brute force, and what is never offered."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from models.facts import contestable
from models.recourse import recourse
from models.risk import Calibrator, RiskModel
from tests.model.hand_trees import booster

# three contestable facts and one that is not (the sector); the score is their weighted sum, minus 8.5
FEATURES = ["companies_at_address", "director_changes_3y", "last_filing_days_late", "sector_cash_intensive"]
WEIGHTS = [4.0, 3.0, 2.0, 9.0]
THRESHOLD = 0.01  # logit(0.01) = -4.595


def _model() -> RiskModel:
    trees = [("split", j, 0.5, 0.0, w) for j, w in enumerate(WEIGHTS)]
    trees.append(-8.5 - 9.0)  # the sector is on for everyone below: its 9 is paid back here
    return RiskModel(booster(trees, FEATURES), Calibrator("platt"), tuple(FEATURES))


def test_the_minimal_sets_known_by_hand() -> None:
    # all on: 4 + 3 + 2 + 9 - 17.5 = 0.5 (p = 0.62). Without a: -3.5 (p = .029); a + b: -6.5 (p = .0015);
    # a + c: -5.5 (p = .0041); b + c: -4.5 (p = .011, not enough); a + b + c suffices but is not minimal.
    model = _model()
    result = recourse(model, np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0, 0.0]), THRESHOLD)
    assert result.probability == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert [s.facts for s in result.sets] == [
        ("companies_at_address", "director_changes_3y"),
        ("companies_at_address", "last_filing_days_late"),
    ]
    assert [s.probability for s in result.sets] == pytest.approx([1 / (1 + np.exp(6.5)), 1 / (1 + np.exp(5.5))])
    assert result.sets[0].corrected == (0.0, 0.0)
    assert "sector_cash_intensive" not in result.candidates and result.complete
    assert not contestable("sector_cash_intensive") and contestable("companies_at_address") == "address"


def test_a_fact_equal_to_its_peers_is_no_candidate_and_nothing_is_offered_below_the_threshold() -> None:
    model = _model()
    # a and c on: 4 + 2 + 9 - 17.5 = -2.5. Without a: -6.5 (p = .0015), without c: -4.5, without both: -8.5 (.0002)
    company, peers = np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0, 0.0])
    result = recourse(model, company, peers, 0.001)
    assert result.candidates == ("companies_at_address", "last_filing_days_late")
    assert [s.facts for s in result.sets] == [("companies_at_address", "last_filing_days_late")]
    none = recourse(model, company, peers, 0.0001)
    assert none.sets == [] and none.complete, "nothing suffices: said plainly, not approximated"
    low = recourse(model, np.array([0.0, 0.0, 0.0, 1.0]), np.array([0.0, 0.0, 0.0, 0.0]), THRESHOLD)
    assert low.sets == [] and low.tried == 0, "a company below the threshold needs no recourse"


def test_sets_are_sufficient_and_minimal_on_a_trained_model(trained_model_rows: tuple[RiskModel, pd.DataFrame]) -> None:
    model, rows = trained_model_rows
    x = rows.to_numpy(dtype=np.float64, na_value=np.nan)
    peers = np.nanmedian(x, axis=0)
    scores = model.probability(rows)
    checked = 0
    for i in np.argsort(-scores)[:5]:
        candidates = [j for j in range(3) if x[i, j] != peers[j]]
        everything = x[i].copy()
        everything[candidates] = peers[candidates]
        floor = model.probability(pd.DataFrame([everything], columns=list(model.features)))[0]
        threshold = (float(scores[i]) + float(floor)) / 2  # correcting every fact suffices, so a set exists
        result = recourse(model, x[i], peers, threshold, max_size=3)
        for found in result.sets:
            cols = [model.features.index(f) for f in found.facts]
            assert found.probability < threshold
            for k in range(1, len(cols)):
                for sub in itertools.combinations(cols, k):
                    row = x[i].copy()
                    row[list(sub)] = peers[list(sub)]
                    sub_p = model.probability(pd.DataFrame([row], columns=list(model.features)))[0]
                    assert sub_p >= threshold, f"{found.facts} is not minimal"
            row = x[i].copy()
            row[cols] = peers[cols]
            again = model.probability(pd.DataFrame([row], columns=list(model.features)))[0]
            assert again == pytest.approx(found.probability, abs=1e-12)
            checked += 1
    assert checked > 0, "some top company has a set to check"


@pytest.fixture(scope="module")
def trained_model_rows() -> tuple[RiskModel, pd.DataFrame]:
    import lightgbm as lgb

    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame(rng.poisson(1.0, size=(n, 3)).astype(float), columns=FEATURES[:3])
    frame[FEATURES[3]] = (rng.random(n) < 0.3).astype(float)
    logit = frame.sum(axis=1) - 4 + rng.normal(size=n)
    y = (logit > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "min_data_in_leaf": 10}
    b = lgb.train(params, lgb.Dataset(frame, y), 40)
    return RiskModel(b, Calibrator("platt"), tuple(FEATURES)), frame
