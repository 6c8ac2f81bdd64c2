"""Every company's chance of being listed from one batch, over all the shortlists drawn from it.

A company can be a candidate on several lists of one batch (a region's list and a sector's, two analysts' lists),
each drawn independently under its own policy. Its chance of being looked at is one minus the chance that no list
took it, ``1 - prod(1 - pi_i)``, and that, not the π of the one list an outcome happens to cite, is what an
outcome's weight and a counterfactual estimate need. The lists' candidates are rebuilt from the batch's stored
ranks and each list's filters, exactly as ``serving.signals.create_shortlist`` drew them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from models.shortlist import Policy
from serving.store import Store
from serving.store.tables import Shortlist, Signal


def batch_signals(store: Store, batch_id: int) -> pd.DataFrame:
    """The batch's companies in region-rank order, with what the lists filter on and the score that ranked them."""
    with store.session() as s:
        frame = pd.read_sql(
            select(Signal.company_id, Signal.riec_region, Signal.sbi_section, Signal.municipality, Signal.score,
                   Signal.region_rank).where(Signal.batch_id == batch_id),
            s.connection(),
        )  # fmt: skip
    return frame.sort_values(["riec_region", "region_rank"]).reset_index(drop=True)


def batch_lists(store: Store, batch_id: int) -> list[Shortlist]:
    """The shortlists drawn from the batch."""
    with store.session() as s:
        found = list(s.scalars(select(Shortlist).where(Shortlist.batch_id == batch_id)).all())
        s.expunge_all()
    return found


def inclusion(signals: pd.DataFrame, lists: list[Shortlist]) -> np.ndarray:
    """π of every company of ``signals`` (as :func:`batch_signals` orders them) over all ``lists``."""
    missed = np.ones(len(signals))
    for x in lists:
        candidates = signals["riec_region"] == x.region
        if x.sector:
            candidates &= signals["sbi_section"] == x.sector
        if x.municipality:
            candidates &= signals["municipality"] == x.municipality
        at = np.flatnonzero(candidates.to_numpy())  # in rank order within the region
        missed[at] *= 1.0 - Policy.named(x.policy, x.epsilon, x.pool).inclusion(len(at), x.top_k)
    return 1.0 - missed


def batch_inclusion(store: Store, batch_id: int) -> pd.Series:
    """π per company id of one batch, over all its lists (0 for a company no list could take)."""
    signals = batch_signals(store, batch_id)
    return pd.Series(inclusion(signals, batch_lists(store, batch_id)), index=signals["company_id"].to_numpy())
