"""The shortlist rule: the top k companies of every RIEC region, ties broken by a fixed hash of the company id.

Analysts work per region with a fixed capacity, so every shortlist Tegenkracht shows, audits or evaluates is cut by
this one rule: the service's shortlists, the fairness audit of a shortlist, the drift monitor's composition check
and the out-of-time evaluation. It lives beside the model so that all of them can use it without importing each
other. The tie-break makes every ranking reproducible, and two rankings with the same scores break ties alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
