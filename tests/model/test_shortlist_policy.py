"""Shortlist policies: every listed company carries the probability it had of being listed, and that is true."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.shortlist import Policy, draw, draw_in_regions, tiebreak, top_k_mask


def test_top_k_lists_the_top_with_certainty() -> None:
    policy = Policy()
    chosen = draw(50, 10, policy, np.random.default_rng(0))
    assert chosen.positions.tolist() == list(range(10))
    assert chosen.probability.tolist() == [1.0] * 10
    assert not chosen.explored.any()
    assert policy.inclusion(50, 10).sum() == 10


def test_explore_keeps_the_top_and_draws_the_rest_from_the_pool() -> None:
    policy = Policy("explore", 0.05, 4)
    pi = policy.inclusion(1000, 100)
    assert policy.explored(100) == 5
    assert (pi[:95] == 1.0).all()
    assert np.allclose(pi[95:400], 5 / 305)  # ranks 96 ... 400: the pool starts right after the fixed part
    assert (pi[400:] == 0.0).all()
    assert pi.sum() == pytest.approx(100)  # the probabilities add up to the capacity
    chosen = draw(1000, 100, policy, np.random.default_rng(1))
    assert len(chosen.positions) == 100 and len(set(chosen.positions)) == 100
    assert chosen.explored.sum() == 5
    assert ((chosen.positions[chosen.explored] >= 95) & (chosen.positions[chosen.explored] < 400)).all()


def test_stated_probabilities_are_the_frequencies_of_the_draw() -> None:
    """Over many draws each rank is listed as often as its π says (binomial bounds at five sigma)."""
    policy = Policy("explore", 0.2, 3)
    n, k, draws = 60, 10, 4000
    pi = policy.inclusion(n, k)
    rng = np.random.default_rng(2)
    counts = np.zeros(n)
    for _ in range(draws):
        counts[draw(n, k, policy, rng).positions] += 1
    freq = counts / draws
    sigma = np.sqrt(pi * (1 - pi) / draws)
    assert (np.abs(freq - pi) <= 5 * sigma + 1e-12).all()
    assert freq[pi == 0].sum() == 0


def test_a_list_shorter_than_the_pool_lists_what_there_is() -> None:
    policy = Policy("explore", 0.1, 4)
    assert policy.inclusion(5, 10).tolist() == [1.0] * 5
    assert len(draw(5, 10, policy, np.random.default_rng(0)).positions) == 5
    small = policy.inclusion(12, 10)  # 9 fixed, a pool of 3 for 1 place
    assert small[:9].tolist() == [1.0] * 9 and np.allclose(small[9:], 1 / 3)


def test_every_region_gets_its_own_list() -> None:
    rng = np.random.default_rng(3)
    region = np.repeat(np.array(["a", "b", "c"]), 500)
    score = rng.normal(size=len(region))
    ties = tiebreak(pd.Series([f"c{i}" for i in range(len(region))]))
    listed, pi, explored = draw_in_regions(score, region, 20, ties, Policy(), rng)
    assert (listed == top_k_mask(score, region, 20, ties)).all()
    assert (pi[listed] == 1).all() and not explored.any()
    listed, pi, explored = draw_in_regions(score, region, 20, ties, Policy("explore", 0.1), rng)
    for r in "abc":
        assert listed[region == r].sum() == 20 and explored[region == r].sum() == 2
        assert pi[region == r].sum() == pytest.approx(20)


@pytest.mark.parametrize(
    ("kind", "epsilon", "pool"), [("top_k", 0.1, 4), ("explore", 0.0, 4), ("explore", 1.0, 4), ("explore", 0.1, 1)]
)
def test_a_policy_that_cannot_be_drawn_is_refused(kind: str, epsilon: float, pool: int) -> None:
    with pytest.raises(ValueError):
        Policy.named(kind, epsilon, pool)


def test_an_unknown_policy_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="top_k or explore"):
        Policy.named("random")
