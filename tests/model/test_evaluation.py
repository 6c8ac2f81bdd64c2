"""Shortlist metrics, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.evaluation import Ranking, at_k, calibration_table, evaluate, tiebreak, top_k_mask


def test_top_k_is_per_region() -> None:
    score = np.array([0.9, 0.8, 0.1, 0.5, 0.4, 0.3])
    region = np.array(["A", "A", "A", "B", "B", "B"])
    mask = top_k_mask(score, region, 2, np.arange(6))
    assert mask.tolist() == [True, True, False, True, True, False]
    assert top_k_mask(score, region, 10, np.arange(6)).all()  # k beyond a region's size takes all of it


def test_precision_and_recall_at_k_by_hand() -> None:
    # region A: top 2 = rows 0, 1 (one positive); region B: top 2 = rows 3, 4 (two positives); a missed one in A
    score = np.array([0.9, 0.8, 0.1, 0.5, 0.4, 0.3])
    label = np.array([1, 0, 1, 1, 1, 0])
    region = np.array(["A", "A", "A", "B", "B", "B"])
    out = at_k(score, label, region, 2, np.arange(6))
    assert out["precision_at_2"] == (0.5 + 1.0) / 2  # mean over regions
    assert out["recall_at_2"] == 3 / 4  # over all positives


def test_ties_break_the_same_way_for_every_scorer() -> None:
    ids = pd.Series([f"c{i}" for i in range(100)])
    ties = tiebreak(ids)
    flat = np.zeros(100)
    region = np.array(["A"] * 100)
    first = top_k_mask(flat, region, 10, ties)
    assert first.sum() == 10
    assert (top_k_mask(flat, region, 10, tiebreak(ids)) == first).all()
    assert not (first == (np.arange(100) < 10)).all(), "ties are not broken by row order"


def test_oracle_ratio_and_truth_metrics() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    propensity = rng.beta(0.5, 20, n)
    involved = rng.random(n) < propensity
    frame = pd.DataFrame(
        {
            "company_id": [f"c{i}" for i in range(n)],
            "riec_region": rng.choice(["A", "B", "C"], n),
            "label": (involved & (rng.random(n) < 0.3)).astype(int),
            "truth_involved": involved,
            "truth_propensity": propensity,
        }
    )
    noisy = propensity + rng.normal(0, 0.05, n)
    out = evaluate({"model": Ranking(noisy, np.clip(noisy, 0, 1))}, frame)
    assert out["oracle.truth"]["oracle_ratio_at_50"] == 1.0
    assert 0 < out["model.truth"]["oracle_ratio_at_50"] < 1.0  # noise costs precision
    assert set(out) == {"model.observed", "model.truth", "oracle.observed", "oracle.truth"}
    assert out["model.observed"]["positives"] == frame.label.sum()


def test_calibration_table_bins_hold_equal_counts() -> None:
    p = np.linspace(0, 1, 100_000)
    y = (np.random.default_rng(1).random(len(p)) < p).astype(int)
    table = calibration_table(p, y, bins=10)
    assert table.n.tolist() == [10_000] * 10
    assert np.allclose(table.mean_probability, table.observed_rate, atol=0.02)  # 4 standard errors
