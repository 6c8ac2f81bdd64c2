"""How well a candidate model would have done, judged only by the outcomes of lists another policy drew.

Logged shortlists say, for every company, its inclusion probability π under the policy that drew them, and for
the listed ones, what partners found. That is enough to estimate a candidate's precision at k without ever
investigating its list:

* **Horvitz–Thompson (inverse propensity):** each finding on the candidate's list counts 1/π. Unbiased where
  every company on the candidate's list had π > 0; a company the logging policy could never list (π = 0)
  counts as nothing, so the estimate falls short by exactly the part of the list outside the logged *support*,
  which is reported beside it.
* **Doubly robust:** an outcome model m(x) (a weighted logistic regression of the findings on the logging and
  the candidate's score) predicts every listed company, and the logged findings correct it by (y − m)/π. Unbiased when
  either π or m is right; outside the support it rests on m alone.

Intervals come from a bootstrap stratified by region and by π (the deterministic places and each exploration
pool resampled within themselves), which carries both the chance of the draw and the chance of the outcomes.
``tests/model/test_counterfactual.py`` checks bias, coverage and the ranking of candidates in simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.shortlist import tiebreak, top_k_mask

Z95 = 1.959963984540054
BOOTSTRAP = 400


@dataclass(frozen=True)
class Logged:
    """One register as scored on a logging date: every company's π, and the outcome of the listed ones.

    ``outcome`` is 1/0 where the company was investigated through a logged list and NaN elsewhere; ``pi`` is
    its probability of being listed (0 where the policy could not have listed it).
    """

    company_id: pd.Series
    region: np.ndarray
    pi: np.ndarray
    outcome: np.ndarray
    logging_score: np.ndarray

    def __post_init__(self) -> None:
        observed = ~np.isnan(self.outcome)
        if np.any(observed & (self.pi <= 0)):
            raise ValueError("an observed outcome with inclusion probability 0: the logged π are wrong")
        if np.any((self.pi < 0) | (self.pi > 1)):
            raise ValueError("inclusion probabilities must lie in [0, 1]")

    @property
    def observed(self) -> np.ndarray:
        """Whether each company's outcome is known."""
        return ~np.isnan(self.outcome)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """For JSON and MLflow."""
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Evaluation:
    """A candidate's estimated precision and recall at k from logged outcomes."""

    k: int
    listed: int
    support: float
    precision_ht: Estimate
    precision_dr: Estimate
    recall_ht: Estimate

    def as_dict(self) -> dict[str, object]:
        """For ``evaluate --logged --json`` and MLflow."""
        return {
            "k": self.k,
            "listed": self.listed,
            "support": self.support,
            "precision_at_k.ht": self.precision_ht.as_dict(),
            "precision_at_k.dr": self.precision_dr.as_dict(),
            "recall_in_support.ht": self.recall_ht.as_dict(),
        }


def outcome_model(score: np.ndarray, logged: Logged, counts: np.ndarray | None = None) -> np.ndarray:
    """m(x): the chance a listed company's investigation confirms, from the logging and the candidate's score.

    A logistic regression on the two scores, fitted on the logged findings weighted by 1/π so that they stand for
    the whole pool. The logging score is known for every company and is what decided who was looked at, so it
    carries the extrapolation beyond the support; the candidate's score adds what it knows besides. With one
    outcome class logged, the logged rate itself. ``counts`` re-weights the observed rows (a bootstrap draw).
    """
    seen = logged.observed
    weight = 1.0 / np.where(seen, logged.pi, 1.0) * (1.0 if counts is None else counts)
    use = seen & (weight > 0)
    y = logged.outcome[use]
    if len(np.unique(y)) < 2:
        return np.full(len(score), float(y.mean()) if len(y) else 0.0)
    x = np.column_stack([np.ones(len(score)), _standard(logged.logging_score), _standard(score)])
    beta = _weighted_logistic(x[use], y, weight[use])
    return np.asarray(1.0 / (1.0 + np.exp(-(x @ beta))))


def _standard(v: np.ndarray) -> np.ndarray:
    sd = float(np.std(v))
    return (v - float(np.mean(v))) / (sd if sd > 0 else 1.0)


def _weighted_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Newton's method on a weighted, lightly ridged log-likelihood: three coefficients, a few hundred rows.

    scikit-learn's solver costs tens of milliseconds a fit, and the bootstrap refits this model hundreds of times
    per candidate; Newton converges in a handful of steps of a 3 x 3 solve.
    """
    w = w / w.mean()
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        grad = x.T @ (w * (y - p)) - ridge * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def evaluate_logged(score: np.ndarray, logged: Logged, k: int, seed: int = 0, bootstrap: int = BOOTSTRAP) -> Evaluation:
    """Precision at k per region (HT and DR) and recall within the logged support (HT) of a candidate's scores.

    Each bootstrap replicate refits the outcome model, so the interval carries its uncertainty too; what no
    interval can carry is a wrong outcome model beyond the support, which is why ``support`` is reported.
    """
    listed = top_k_mask(score, logged.region, k, tiebreak(logged.company_id))
    point = _statistics(listed, logged, outcome_model(score, logged))
    replicates = []
    for idx in _strata(logged, seed, bootstrap):
        counts = np.bincount(idx, minlength=len(score)).astype(float)
        replicates.append(_statistics(listed, logged, outcome_model(score, logged, counts), counts))
    spread = np.array(replicates, dtype=float).reshape(-1, 3)
    estimates = [_interval(point[i], spread[:, i]) for i in range(3)]
    support = float((logged.pi[listed] > 0).mean()) if listed.any() else 0.0
    return Evaluation(k, int(listed.sum()), support, *estimates)


def _statistics(
    listed: np.ndarray, logged: Logged, m: np.ndarray, counts: np.ndarray | None = None
) -> tuple[float, float, float]:
    """HT precision, DR precision, HT recall in support; ``counts`` re-weights observed rows (a bootstrap draw)."""
    seen = logged.observed
    y = np.where(seen, logged.outcome, 0.0)
    w = np.where(seen, (1.0 if counts is None else counts) / np.where(seen, logged.pi, 1.0), 0.0)
    n = max(int(listed.sum()), 1)
    ht_found = float((w * y)[listed].sum())
    dr = float(m[listed].sum() + (w * (y - m))[listed].sum())
    total = float((w * y).sum())
    return ht_found / n, dr / n, ht_found / total if total > 0 else float("nan")


def _strata(logged: Logged, seed: int, replicates: int) -> list[np.ndarray]:
    """Bootstrap draws of the observed rows, resampled within each (region, π) stratum."""
    rng = np.random.default_rng(seed)
    seen = np.flatnonzero(logged.observed)
    keys = pd.Series(list(zip(logged.region[seen], np.round(logged.pi[seen], 12), strict=True)))
    groups = [seen[g] for g in keys.groupby(keys).indices.values()]
    return [np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups]) for _ in range(replicates)]


def _interval(point: float, replicates: np.ndarray) -> Estimate:
    """Normal interval from the bootstrap's spread (percentiles of a few hundred draws are ragged at the ends)."""
    spread = float(np.nanstd(replicates, ddof=1)) if np.isfinite(replicates).sum() > 1 else float("nan")
    return Estimate(point, point - Z95 * spread, point + Z95 * spread)


__all__ = ["Estimate", "Evaluation", "Logged", "evaluate_logged", "outcome_model"]
