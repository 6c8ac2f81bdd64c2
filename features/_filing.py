"""Filing behaviour: the last due year missing or late, and the habit over five years.

Deadline: the end of the year after the fiscal year (12 months), for deposited accounts and tax figures alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._context import Context


def last_due_year(as_of: pd.Timestamp) -> int:
    """The latest fiscal year whose deadline (31 December of the next year) had passed on ``as_of``."""
    return as_of.year - 1 if (as_of.month, as_of.day) == (12, 31) else as_of.year - 2


def filing(ctx: Context) -> dict[str, np.ndarray]:
    """Missing and late filings, counted only for years in which the company existed at year end."""
    y = last_due_year(ctx.as_of)
    years = np.arange(y - 4, y + 1)
    founded_year = ctx.companies.founded_on.dt.year.to_numpy()
    due_matrix = founded_year[:, None] <= years[None, :]
    fil = ctx.filings[ctx.filings.fiscal_year.between(y - 4, y)]
    filed = np.zeros((ctx.n, len(years)), dtype=bool)
    filed[fil.cid.to_numpy(), (fil.fiscal_year - (y - 4)).to_numpy()] = True
    n_due = due_matrix.sum(axis=1)
    missing_share = np.where(n_due > 0, (due_matrix & ~filed).sum(axis=1) / np.maximum(n_due, 1), np.nan)
    last_due = due_matrix[:, -1]
    last_filed = filed[:, -1]
    # Lateness of the most recent filing that had arrived: on the deadline day itself a late filing for the
    # last due year is not yet visible, so the latest one known is the informative one.
    latest = ctx.latest_filing
    deadlines = pd.to_datetime((latest.fiscal_year + 1).astype(str) + "-12-31")
    late = np.full(ctx.n, np.nan)
    late[latest.index.to_numpy()] = np.maximum((latest.filed_on - deadlines).dt.days.to_numpy(), 0)
    return {
        "last_filing_missing": np.where(last_due, (~last_filed).astype(float), np.nan),
        "last_filing_days_late": late,
        "filings_missing_share_5y": missing_share,
    }
