"""Out-of-time metrics, computed the way analysts use the scores: a top-k shortlist per RIEC region.

Every ranking is evaluated against the observed labels (confirmed cases: what partners saw) and, when the records
come from ``synth``, against the ground truth (who was really involved), plus the *oracle ratio*: our precision
at k divided by that of the true propensity, the best any model could do on this world. Ties (the checklist's flag
counts tie a lot) are broken by a hash of the company id, so every ranking is reproducible and two rankings with
the same scores break ties the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from models.shortlist import rank_in_region, tiebreak, top_k_mask

CAPACITIES: tuple[int, ...] = (50, 100, 500)
__all__ = ["CAPACITIES", "Ranking", "at_k", "rank_in_region", "tiebreak", "top_k_mask"]


@dataclass(frozen=True)
class Ranking:
    """A scorer's output on one fold."""

    score: np.ndarray
    probability: np.ndarray | None = None


def at_k(score: np.ndarray, label: np.ndarray, region: np.ndarray, k: int, ties: np.ndarray) -> dict[str, float]:
    """Precision (mean over regions) and recall (over all positives) of the top-k-per-region shortlist."""
    chosen = top_k_mask(score, region, k, ties)
    per_region = pd.DataFrame({"region": region, "hit": label * chosen, "chosen": chosen})
    g = per_region.groupby("region").agg(hits=("hit", "sum"), chosen=("chosen", "sum"))
    positives = label.sum()
    return {
        f"precision_at_{k}": float((g.hits / g.chosen).mean()),
        f"recall_at_{k}": float(label[chosen].sum() / positives) if positives else float("nan"),
    }


def metrics(
    ranking: Ranking, label: np.ndarray, region: np.ndarray, ties: np.ndarray, ks: tuple[int, ...] = CAPACITIES
) -> dict[str, float]:
    """PR-AUC, ROC-AUC, Brier (when there is a probability) and precision/recall at every capacity."""
    y = label.astype(np.int64)
    both = 0 < y.sum() < len(y)
    out = {
        "rows": float(len(y)),
        "positives": float(y.sum()),
        "pr_auc": float(average_precision_score(y, ranking.score)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, ranking.score)) if both else float("nan"),
    }
    if ranking.probability is not None:
        out["brier"] = float(brier_score_loss(y, ranking.probability))
        out["mean_probability"] = float(np.mean(ranking.probability))
    for k in ks:
        out.update(at_k(ranking.score, y, region, k, ties))
    return out


def evaluate(
    rankings: dict[str, Ranking], frame: pd.DataFrame, ks: tuple[int, ...] = CAPACITIES
) -> dict[str, dict[str, float]]:
    """Metrics per scorer and target: ``{"model.observed": {...}, "model.truth": {...}, ...}``.

    ``frame`` holds ``company_id``, ``riec_region``, ``label`` and, for synthetic data, ``truth_involved`` and
    ``truth_propensity``; the propensity is then also ranked as the ``oracle``.
    """
    region = frame["riec_region"].astype(str).to_numpy()
    ties = tiebreak(frame["company_id"])
    targets = {"observed": frame["label"].to_numpy()}
    has_truth = "truth_involved" in frame.columns
    if has_truth:
        targets["truth"] = frame["truth_involved"].to_numpy().astype(np.int64)
        rankings = {**rankings, "oracle": Ranking(frame["truth_propensity"].to_numpy(np.float64))}
    out = {
        f"{name}.{target}": metrics(r, y, region, ties, ks)
        for name, r in rankings.items()
        for target, y in targets.items()
    }
    if has_truth:
        for name in rankings:
            out[f"{name}.truth"].update(
                {
                    f"oracle_ratio_at_{k}": _ratio(
                        out[f"{name}.truth"][f"precision_at_{k}"], out["oracle.truth"][f"precision_at_{k}"]
                    )
                    for k in ks
                }
            )
    return out


def per_region(rankings: dict[str, Ranking], frame: pd.DataFrame, ks: tuple[int, ...] = CAPACITIES) -> pd.DataFrame:
    """Precision and recall of every region's own top-k shortlist, per scorer, target and capacity.

    The headline metrics average these over regions; this table shows whether a region is served much worse.
    """
    region = frame["riec_region"].astype(str).to_numpy()
    ties = tiebreak(frame["company_id"])
    targets = {"observed": frame["label"].to_numpy().astype(np.int64)}
    if "truth_involved" in frame.columns:
        targets["truth"] = frame["truth_involved"].to_numpy().astype(np.int64)
        rankings = {**rankings, "oracle": Ranking(frame["truth_propensity"].to_numpy(np.float64))}
    parts = []
    for name, r in rankings.items():
        for k in ks:
            chosen = top_k_mask(r.score, region, k, ties)
            for target, y in targets.items():
                g = pd.DataFrame({"region": region, "hit": y * chosen, "chosen": chosen, "positive": y})
                t = g.groupby("region").agg(
                    selected=("chosen", "sum"), hits=("hit", "sum"), positives=("positive", "sum")
                )
                t["precision"] = t.hits / t.selected
                t["recall"] = (t.hits / t.positives.where(t.positives > 0)).astype(float)
                parts.append(t.reset_index().assign(scorer=name, target=target, k=k))
    cols = ["scorer", "target", "k", "region", "selected", "hits", "positives", "precision", "recall"]
    return pd.concat(parts, ignore_index=True)[cols]


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def calibration_table(probability: np.ndarray, label: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, in bins of equal size by probability."""
    frame = pd.DataFrame({"p": probability, "y": label})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    table = frame.groupby("bin").agg(n=("y", "size"), mean_probability=("p", "mean"), observed_rate=("y", "mean"))
    return table.reset_index()


def flatten(results: dict[str, dict[str, float]], prefix: str) -> dict[str, float]:
    """``{"test.model.observed.pr_auc": 0.12, ...}`` for MLflow; NaNs are left out (MLflow cannot chart them)."""
    return {
        f"{prefix}.{group}.{name}": value
        for group, values in results.items()
        for name, value in values.items()
        if not np.isnan(value)
    }
