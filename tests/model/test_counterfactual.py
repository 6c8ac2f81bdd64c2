"""Counterfactual evaluation from logged lists, checked in simulation against the precision it estimates.

A world of companies with known chances of a confirmed finding; a logging policy that explores; three candidate
models of known quality. Over repeated draws of the lists and the findings, the doubly robust estimate of each
candidate's precision at k is within 10% of the truth on average, its 95% interval covers the truth in at least
90% of repetitions, and it ranks the three candidates as they truly rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.shortlist import Policy, draw_in_regions, tiebreak, top_k_mask
from training.counterfactual import Logged, evaluate_logged

REGIONS, PER_REGION, K, REPS = 6, 1500, 30, 60
NOISE = {"good": 0.4, "mid": 0.8, "poor": 1.5}


@pytest.fixture(scope="module")
def repeated() -> dict[str, object]:
    rng = np.random.default_rng(11)
    region = np.repeat(np.arange(REGIONS), PER_REGION)
    latent = rng.normal(size=len(region))
    chance = 1 / (1 + np.exp(-(-4.0 + 1.3 * latent)))
    ids = pd.Series([f"c{i}" for i in range(len(region))])
    ties = tiebreak(ids)
    logging = latent + rng.normal(scale=0.5, size=len(region))
    candidates = {name: latent + rng.normal(scale=s, size=len(region)) for name, s in NOISE.items()}
    truth = {name: float(chance[top_k_mask(s, region, K, ties)].mean()) for name, s in candidates.items()}
    policy = Policy("explore", 0.2, 4)
    found: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in candidates}
    for rep in range(REPS):
        r = np.random.default_rng(1000 + rep)
        listed, pi, _ = draw_in_regions(logging, region, K, ties, policy, r)
        outcome = np.where(listed, (r.random(len(region)) < chance).astype(float), np.nan)
        logged = Logged(ids, region, pi, outcome, logging)
        for name, score in candidates.items():
            e = evaluate_logged(score, logged, K, seed=rep, bootstrap=100)
            found[name].append((e.precision_dr.value, e.precision_dr.low, e.precision_dr.high, e.support))
    return {"truth": truth, "found": {n: np.array(v) for n, v in found.items()}}


@pytest.mark.parametrize("name", ["good", "mid"])
def test_doubly_robust_bias_is_within_ten_percent(repeated: dict[str, object], name: str) -> None:
    truth, found = repeated["truth"], repeated["found"]
    assert isinstance(truth, dict) and isinstance(found, dict)
    mean = found[name][:, 0].mean()
    assert abs(mean / truth[name] - 1) <= 0.10, (name, mean, truth[name])


def test_intervals_cover_the_truth_where_the_logs_support_the_candidate(repeated: dict[str, object]) -> None:
    """At least 90% for a candidate whose list the logging policy could mostly have drawn (support >= 0.8).

    Beyond the support the estimate rests on the outcome model, whose misfit no interval carries: coverage then
    falls with the support (measured: 0.92 at support 0.81, 0.88 at 0.69, 0.83 at 0.45; docs/learning-loop.md).
    """
    truth, found = repeated["truth"], repeated["found"]
    assert isinstance(truth, dict) and isinstance(found, dict)
    covered = {n: float(((a[:, 1] <= truth[n]) & (truth[n] <= a[:, 2])).mean()) for n, a in found.items()}
    assert found["good"][:, 3].mean() >= 0.8
    assert covered["good"] >= 0.90, covered
    assert covered["good"] >= covered["mid"] >= covered["poor"], covered


def test_candidates_rank_as_they_truly_rank(repeated: dict[str, object]) -> None:
    truth, found = repeated["truth"], repeated["found"]
    assert isinstance(truth, dict) and isinstance(found, dict)
    true_order = sorted(truth, key=lambda n: -truth[n])
    estimated_order = sorted(found, key=lambda n: -found[n][:, 0].mean())
    assert true_order == estimated_order == ["good", "mid", "poor"]


def test_support_shrinks_as_a_candidate_strays_from_the_logging_policy(repeated: dict[str, object]) -> None:
    found = repeated["found"]
    assert isinstance(found, dict)
    support = {n: found[n][:, 3].mean() for n in found}
    assert support["good"] > support["mid"] > support["poor"]


def test_an_observed_outcome_without_a_chance_of_listing_is_refused() -> None:
    with pytest.raises(ValueError, match="inclusion probability 0"):
        Logged(pd.Series(["a", "b"]), np.array([0, 0]), np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.zeros(2))
