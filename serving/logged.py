"""A batch's logged shortlists as counterfactual evaluation reads them: every company's π and the findings.

The store keeps, for every shortlist, its policy, its filters and the batch it was drawn from, and for every item
its inclusion probability; the batch keeps every company's rank. That is enough to give every company of the
batch the probability it had of being listed at all, listed or not: for each shortlist, the company's position
among that list's candidates under ``Policy.inclusion``, and over several shortlists (independent draws) one
minus the chance that none listed it. Findings are the outcomes that would be exported as labels
(``serving.feedback.labelled_outcomes``), given on one of the batch's shortlists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from models.shortlist import Policy
from serving.feedback import labelled_outcomes
from serving.store import Store
from serving.store.tables import Batch, Shortlist, Signal
from training.counterfactual import Logged


class NoLogError(ValueError):
    """No batch of that day, or no shortlist drawn from it."""


def logged_batch(store: Store, as_of: str) -> tuple[pd.DataFrame, Logged, str]:
    """The batch of ``as_of`` (its signals, by company), its logged lists as :class:`Logged`, and its model version."""
    with store.session() as s:
        batch = s.scalars(select(Batch).where(Batch.as_of == as_of).order_by(Batch.id.desc())).first()
        if batch is None:
            raise NoLogError(f"no batch of {as_of} in the store")
        lists = s.scalars(select(Shortlist).where(Shortlist.batch_id == batch.id)).all()
        signals = pd.read_sql(
            select(Signal.company_id, Signal.riec_region, Signal.sbi_section, Signal.municipality, Signal.score,
                   Signal.region_rank).where(Signal.batch_id == batch.id),
            s.connection(),
        )  # fmt: skip
        version = batch.model_version
        shortlists = [(x.id, x.region, x.sector, x.municipality, x.top_k, x.policy, x.epsilon, x.pool) for x in lists]
    if not shortlists:
        raise NoLogError(f"no shortlist was drawn from the batch of {as_of}: nothing was logged")
    signals = signals.sort_values(["riec_region", "region_rank"]).reset_index(drop=True)
    missed = np.ones(len(signals))
    for _id, region, sector, municipality, top_k, kind, epsilon, pool in shortlists:
        candidates = signals["riec_region"] == region
        if sector:
            candidates &= signals["sbi_section"] == sector
        if municipality:
            candidates &= signals["municipality"] == municipality
        at = np.flatnonzero(candidates.to_numpy())  # already in rank order within the region
        pi = Policy.named(kind, epsilon, pool).inclusion(len(at), top_k)
        missed[at] *= 1.0 - pi
    outcome = _findings(store, signals, {x[0] for x in shortlists})
    logged = Logged(signals["company_id"], signals["riec_region"].to_numpy(), 1.0 - missed, outcome,
                    signals["score"].to_numpy(np.float64))  # fmt: skip
    return signals, logged, version


def _findings(store: Store, signals: pd.DataFrame, shortlist_ids: set[str]) -> np.ndarray:
    """1/0 per company where an outcome on one of these shortlists became a label, NaN elsewhere."""
    outcomes = labelled_outcomes(store)
    outcomes = outcomes[outcomes["shortlist_id"].isin(shortlist_ids)]
    best = outcomes.groupby("company_id")["label"].max()  # confirmed on any list counts as confirmed
    return best.reindex(signals["company_id"].to_numpy()).to_numpy(np.float64)


__all__ = ["NoLogError", "logged_batch"]
