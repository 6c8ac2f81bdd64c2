"""The disclosure rule every fairness output obeys: small groups, and the cell that would reveal them, lose counts.

Both the audit's JSON and its reports apply it, so the JSON logged to MLflow reveals no more than the HTML beside
it. It sits apart from both so that each can use it without importing the other.
"""

from __future__ import annotations

import pandas as pd


def suppression_mask(groups: pd.DataFrame, min_group_size: int) -> pd.Series:
    """Which rows of a group table may not show exact counts.

    Primary: every group smaller than ``min_group_size``. Complementary: when an attribute has exactly one such group,
    also its smallest other group, because the group sizes of an attribute add up to the number of companies, which
    the report prints: with one hidden cell, subtraction would reveal it.
    """
    primary = groups["group_size"].astype(float) < min_group_size
    mask = primary.copy()
    for _, idx in groups.groupby("attribute_name", sort=False).groups.items():
        small = primary.loc[idx]
        if int(small.sum()) == 1 and len(idx) > 1:
            others = groups.loc[idx][~small.to_numpy()]
            mask[others["group_size"].astype(float).idxmin()] = True
    return mask
