"""Proxy checks: can the indicators stand in for a sensitive attribute, and which ones make a score gap.

Sensitive attributes never enter the model, but an indicator can carry one (the SyRI and DUO failure mode). Three
checks, each answering a question an oversight body asks:

- **predictability**: how well each sensitive group can be told apart from the rest using the indicators alone
  (cross-validated ROC-AUC of a small LightGBM; 0.5 = not at all), and the indicators that carry it most (each
  indicator's own AUC, direction-free);
- **score gap**: the difference in mean raw score between a group and its reference group, split exactly into
  per-indicator parts. TreeSHAP contributions add up to the raw score and the base value is the same for
  everybody, so ``mean(score | g) - mean(score | ref) = sum_j [mean(phi_j | g) - mean(phi_j | ref)]`` holds to
  rounding: a disparity comes with the indicators that cause it;
- **counterfactual**: for each indicator flagged ``proxy_risk``, give the group's companies the values of
  reference-group companies *of the same SBI section* (so no impossible combination such as a cash-intensive
  holding appears), re-score against the same cut-offs, and compare the disparity with a *placebo* in which every
  company draws from its own group's values: re-drawing alone breaks the indicator's link with the company's other
  indicators and moves scores, so only placebo against counterfactual isolates what the difference in
  distribution does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from features.catalogue import CATALOGUE

PROXY_RISK: tuple[str, ...] = tuple(i.id for i in CATALOGUE if i.proxy_risk)
Scorer = Callable[[pd.DataFrame], np.ndarray]


def target_groups(groups: pd.DataFrame, attributes: Sequence[str], min_size: int = 30) -> list[tuple[str, str, str]]:
    """(attribute, group, reference) for every group but the largest (the reference) and ``unknown``."""
    out = []
    for a in attributes:
        sizes = groups[a].value_counts()
        ref = str(sizes.index[0])
        out += [(a, str(g), ref) for g, n in sizes.items() if str(g) not in (ref, "unknown") and n >= min_size]
    return out


def predictability(
    features: pd.DataFrame,
    groups: pd.DataFrame,
    targets: list[tuple[str, str, str]],
    *,
    max_rows: int = 20_000,
    folds: int = 3,
    seed: int = 0,
    top: int = 5,
) -> list[dict[str, Any]]:
    """Cross-validated AUC of "group vs the rest" from the indicators, and the indicators that carry the group.

    On a random sample of at most ``max_rows`` companies: an AUC's standard error there is under 0.01, well
    below the 0.6 that reads as "carried".
    """
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(features), size=min(max_rows, len(features)), replace=False))
    x = features.iloc[idx].reset_index(drop=True)
    ranks = _ranks(x)
    out = []
    for attribute, group, _ref in targets:
        y = (groups[attribute].to_numpy()[idx] == group).astype(np.int8)
        if y.sum() < folds * 5 or (1 - y).sum() < folds * 5:
            continue
        auc, std = _cv_auc(x, y, folds, seed)
        out.append(
            {
                "attribute": attribute,
                "group": group,
                "auc": auc,
                "auc_std": std,
                "top_indicators": _carriers(ranks, list(x.columns), y, top),
            }
        )
    return out


def _cv_auc(x: pd.DataFrame, y: np.ndarray, folds: int, seed: int) -> tuple[float, float]:
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    params = {"objective": "binary", "num_leaves": 15, "min_child_samples": 50, "learning_rate": 0.1}
    params |= {"verbose": -1, "seed": seed, "deterministic": True, "num_threads": 1, "max_bin": 63}
    matrix = x.to_numpy(dtype=np.float64)
    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(matrix, y):
        booster = lgb.train(params, lgb.Dataset(matrix[train], y[train]), num_boost_round=40)
        scores.append(roc_auc_score(y[test], booster.predict(matrix[test])))
    return float(np.mean(scores)), float(np.std(scores))


def _ranks(x: pd.DataFrame) -> np.ndarray:
    """Average ranks per indicator, unknown values ranked lowest: computed once, reused for every group."""
    from scipy.stats import rankdata

    v = x.to_numpy(dtype=np.float64)
    v = np.where(np.isnan(v), -np.inf, v)
    return np.asarray(rankdata(v, axis=0), dtype=np.float64)


def _carriers(ranks: np.ndarray, names: list[str], y: np.ndarray, top: int) -> list[dict[str, Any]]:
    """Each indicator's own AUC for the group, direction-free (max(AUC, 1 - AUC)), by the Mann-Whitney identity."""
    n1 = float(y.sum())
    n0 = float(len(y) - n1)
    auc = (y.astype(np.float64) @ ranks - n1 * (n1 + 1) / 2) / (n1 * n0)
    auc = np.maximum(auc, 1.0 - auc)
    order = np.argsort(-auc, kind="stable")[:top]
    return [{"indicator": names[i], "auc": float(auc[i])} for i in order]


def score_gap(
    contributions: pd.DataFrame, score: np.ndarray, groups: pd.DataFrame, targets: list[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """The mean raw-score gap of each group against its reference, decomposed per indicator (exact).

    ``contributions`` holds one column per indicator (TreeSHAP values, no base value).
    """
    out = []
    for attribute, group, ref in targets:
        values = groups[attribute].to_numpy()
        g, r = values == group, values == ref
        parts = contributions[g].mean() - contributions[r].mean()
        gap = float(score[g].mean() - score[r].mean())
        order = parts.abs().sort_values(ascending=False).index
        out.append(
            {
                "attribute": attribute,
                "group": group,
                "reference": ref,
                "gap": gap,
                "explained": float(parts.sum()),
                "contributions": [{"indicator": str(k), "contribution": float(parts[k])} for k in order],
            }
        )
    return out


def counterfactual(
    features: pd.DataFrame,
    groups: pd.DataFrame,
    scorer: Scorer,
    cut: np.ndarray,
    targets: list[tuple[str, str, str]],
    indicators: Sequence[str] = PROXY_RISK,
    *,
    sections: np.ndarray,
    score: np.ndarray,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Each group's selection rate and disparity as audited, in a placebo, and with the reference group's values.

    ``score`` is the audited score and ``cut`` each row's cut-off (the lowest shortlisted score of its region, or
    the threshold), so "before" is exactly the audited shortlist. Re-drawing an indicator breaks its link with the
    company's other indicators and moves scores by itself, so the comparison that isolates the *difference in
    distribution* is placebo against counterfactual: in the placebo both the group and the reference group draw
    from their own group's values, in the counterfactual the group draws from the reference group's; in both,
    from companies of the same SBI section. ``features`` holds the model's indicator columns only.
    """
    chosen = score >= cut
    codes, _ = pd.factorize(pd.Series(sections))
    rng = np.random.default_rng(seed)
    out = []
    for attribute, group, ref in targets:
        values = groups[attribute].to_numpy()
        g, r = values == group, values == ref
        both = g | r
        rows = features.loc[both]
        unchanged = scorer(rows)  # what every row scores as long as its re-drawn value equals its own
        own = _draw_plan(codes, both, g, r, counterfactual=False)
        swapped = _draw_plan(codes, both, g, r, counterfactual=True)
        for ind in indicators:
            column = features[ind].to_numpy(dtype=np.float64)
            placebo, after = chosen.copy(), chosen.copy()
            placebo[both] = _rescored(scorer, rows, unchanged, _redrawn(rows, column, ind, own, rng), ind) >= cut[both]
            after[both] = (
                _rescored(scorer, rows, unchanged, _redrawn(rows, column, ind, swapped, rng), ind) >= cut[both]
            )
            out.append(
                {
                    "indicator": ind,
                    "attribute": attribute,
                    "group": group,
                    "reference": ref,
                    "selection_rate_before": float(chosen[g].mean()),
                    "selection_rate_placebo": float(placebo[g].mean()),
                    "selection_rate_after": float(after[g].mean()),
                    "disparity_before": _ratio(chosen[g].mean(), chosen[r].mean()),
                    "disparity_placebo": _ratio(placebo[g].mean(), placebo[r].mean()),
                    "disparity_after": _ratio(after[g].mean(), after[r].mean()),
                }
            )
    return out


def _draw_plan(
    codes: np.ndarray, rows: np.ndarray, g: np.ndarray, r: np.ndarray, *, counterfactual: bool
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per section and side: the positions (within ``rows``) to re-draw, and the rows to draw them from.

    The reference group always draws from itself; the group from itself (placebo) or from the reference group
    (counterfactual). A section without companies to draw from leaves its companies' values as they are, so no
    value crosses sections.
    """
    row_codes, in_g = codes[rows], g[rows]
    plan = []
    for s in np.unique(row_codes):
        here = row_codes == s
        for side, source in ((in_g, r if counterfactual else g), (~in_g, r)):
            pool = np.flatnonzero(source & (codes == s))
            target = np.flatnonzero(here & side)
            if len(pool) and len(target):
                plan.append((target, pool))
    return plan


def _redrawn(
    rows: pd.DataFrame,
    column: np.ndarray,
    indicator: str,
    plan: list[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``rows`` with one indicator replaced by random draws from the planned pools."""
    new = rows[indicator].to_numpy(dtype=np.float64).copy()
    for target, pool in plan:
        new[target] = column[rng.choice(pool, size=len(target))]
    return rows.assign(**{indicator: new})


def _rescored(
    scorer: Scorer, rows: pd.DataFrame, unchanged: np.ndarray, redrawn: pd.DataFrame, indicator: str
) -> np.ndarray:
    """The scores of ``redrawn``, computed only for the rows whose value of ``indicator`` the draw changed.

    A tree model scores each row on its own, so a row that drew its own value again scores exactly as before;
    flags and counts often do (a 0 drawn for a 0), and skipping them roughly halves the audit's re-scoring. A
    missing value counts as changed (NaN never equals itself), so it is always re-scored.
    """
    changed = redrawn[indicator].to_numpy(dtype=np.float64) != rows[indicator].to_numpy(dtype=np.float64)
    out = unchanged.copy()
    if changed.any():
        out[changed] = scorer(redrawn.loc[changed])
    return out


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")
