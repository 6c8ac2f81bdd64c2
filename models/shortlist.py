"""The shortlist rule: the top k companies of every RIEC region, ties broken by a fixed hash of the company id.

Analysts work per region with a fixed capacity, so every shortlist Tegenkracht shows, audits or evaluates is cut by
this one rule: the service's shortlists, the fairness audit of a shortlist, the drift monitor's composition check
and the out-of-time evaluation. It lives beside the model so that all of them can use it without importing each
other. The tie-break makes every ranking reproducible, and two rankings with the same scores break ties alike.

A shortlist may also *explore* (:class:`Policy`): a share ε of its k places is drawn at random, with known
probabilities, from the candidates just below the deterministic part. Every listed company then carries its
inclusion probability π, and that is what lets outcomes be learned from and models be evaluated without the
runaway loop of only ever learning about what the model already ranks high (``training.outcomes``,
``training.counterfactual``, ``docs/learning-loop.md``). Exploration never draws from the whole register: at a
prevalence of a few per thousand random picks find almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from core import settings

PolicyKind = Literal["top_k", "explore"]


def tiebreak(company_id: pd.Series) -> np.ndarray:
    """A fixed pseudo-random order of companies, used only to break ties."""
    return pd.util.hash_pandas_object(company_id.reset_index(drop=True), index=False).to_numpy()


def rank_in_region(score: np.ndarray, region: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """0-based rank of every company within its region: score descending, then the tie-break."""
    order = np.lexsort((ties, -score, region))  # by region, then score descending, then tie-break
    reg_sorted = region[order]
    starts = np.r_[0, np.flatnonzero(reg_sorted[1:] != reg_sorted[:-1]) + 1]
    ranked = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = ranked
    return rank


def top_k_mask(score: np.ndarray, region: np.ndarray, k: int, ties: np.ndarray) -> np.ndarray:
    """True for the k highest-scoring companies of every region (all of a region smaller than k)."""
    return rank_in_region(score, region, ties) < k


@dataclass(frozen=True)
class Policy:
    """How a shortlist of capacity k is drawn; recorded with every shortlist and described in the model card.

    ``top_k``: the k highest-ranked companies, each with π = 1. ``explore``: the ``k - m`` highest-ranked with
    π = 1, where ``m = max(1, round(epsilon * k))``, and ``m`` more drawn uniformly without replacement from the
    ranks after them up to ``pool * k`` (ranks ``k - m + 1 … pool * k``, 1-based), each of those with π = m / (size
    of that pool). The pool starts right after the deterministic part, so no rank between the two has π = 0.
    """

    kind: PolicyKind = "top_k"
    epsilon: float = 0.0
    pool: int = 4

    def __post_init__(self) -> None:
        if self.kind not in ("top_k", "explore"):
            raise ValueError(f"policy must be top_k or explore, not {self.kind!r}")
        if self.kind == "top_k" and self.epsilon != 0.0:
            raise ValueError("a top_k policy does not explore: its epsilon must be 0")
        if self.kind == "explore" and not 0.0 < self.epsilon < 1.0:
            raise ValueError(f"an explore policy needs 0 < epsilon < 1, not {self.epsilon}")
        if self.pool < 2:
            raise ValueError(f"the exploration pool must reach at least rank 2k, not {self.pool}k")

    @classmethod
    def named(cls, kind: str, epsilon: float = 0.0, pool: int = 4) -> Policy:
        """A policy from a setting, a stored row or a command line, where the kind is a plain string."""
        if kind not in ("top_k", "explore"):
            raise ValueError(f"policy must be top_k or explore, not {kind!r}")
        return cls(cast(PolicyKind, kind), float(epsilon), int(pool))

    def explored(self, k: int) -> int:
        """How many of k places are drawn at random."""
        if self.kind == "top_k" or k < 2:
            return 0
        return min(k - 1, max(1, round(self.epsilon * k)))

    def inclusion(self, n: int, k: int) -> np.ndarray:
        """π of each rank 0 … n-1 of a list of n candidates: 1, then m / pool size, then 0."""
        pi = np.zeros(n)
        m = self.explored(k)
        fixed = min(n, k - m)
        pi[:fixed] = 1.0
        if m:
            pool = np.arange(fixed, min(n, self.pool * k))
            if len(pool) <= m:  # fewer candidates than places: every one of them is listed
                pi[pool] = 1.0
            else:
                pi[pool] = m / len(pool)
        return pi

    def as_params(self) -> dict[str, str]:
        """For MLflow, the store and the documents."""
        return {"policy": self.kind, "epsilon": str(self.epsilon), "pool": str(self.pool)}


def configured_policy() -> Policy:
    """The operator's policy (``TEGENKRACHT_SHORTLIST_*``): one reading for the service, training and documents."""
    return Policy.named(settings.SHORTLIST_POLICY, settings.SHORTLIST_EPSILON, settings.SHORTLIST_POOL)


@dataclass(frozen=True)
class Draw:
    """Positions (0-based ranks) of one ranked list that were listed, with π and whether each was explored."""

    positions: np.ndarray
    probability: np.ndarray
    explored: np.ndarray


def draw(n: int, k: int, policy: Policy, rng: np.random.Generator) -> Draw:
    """List up to k of n candidates ranked best first, as the policy says; listed in rank order."""
    pi = policy.inclusion(n, k)
    fixed = np.flatnonzero(pi == 1.0)
    pool = np.flatnonzero((pi > 0.0) & (pi < 1.0))
    m = policy.explored(k)
    drawn = np.sort(rng.choice(pool, size=m, replace=False)) if len(pool) else np.array([], dtype=np.int64)
    positions = np.concatenate([fixed, drawn]).astype(np.int64)
    explored = np.r_[np.zeros(len(fixed), dtype=bool), np.ones(len(drawn), dtype=bool)]
    return Draw(positions=positions, probability=pi[positions], explored=explored)


def draw_in_regions(
    score: np.ndarray, region: np.ndarray, k: int, ties: np.ndarray, policy: Policy, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every region's shortlist under the policy: (listed, π of every company, explored), each per company.

    π is given for every company, listed or not (0 beyond the pool), because the counterfactual estimators need
    the probability a company *would* have had as well as the ones that were drawn.
    """
    rank = rank_in_region(score, region, ties)
    listed = np.zeros(len(score), dtype=bool)
    explored = np.zeros(len(score), dtype=bool)
    pi = np.zeros(len(score))
    for value in np.unique(region):
        members = np.flatnonzero(region == value)
        ordered = members[np.argsort(rank[members], kind="stable")]
        pi[ordered] = policy.inclusion(len(ordered), k)
        chosen = draw(len(ordered), k, policy, rng)
        listed[ordered[chosen.positions]] = True
        explored[ordered[chosen.positions[chosen.explored]]] = True
    return listed, pi, explored
