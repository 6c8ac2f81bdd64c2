"""A batch's logged shortlists as counterfactual evaluation reads them: every company's π and the findings.

Every company of the batch gets the probability it had of being listed at all, listed or not, over all the
batch's lists (``serving.inclusion``). Findings are the outcomes that would be exported as labels
(``serving.feedback.labelled_outcomes``), given on one of the batch's shortlists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from serving.feedback import labelled_outcomes
from serving.inclusion import batch_lists, batch_signals, inclusion
from serving.store import Store
from serving.store.tables import Batch, Shortlist, ShortlistItem
from training.counterfactual import Logged


class NoLogError(ValueError):
    """No batch of that day, or no shortlist drawn from it."""


def logged_batch(store: Store, as_of: str) -> tuple[pd.DataFrame, Logged, str]:
    """The batch of ``as_of`` (its signals, by company), its logged lists as :class:`Logged`, and its model version.

    A listed company whose outcome is not (yet) a label is missing, not a 0: within each region and each kind of
    place (fixed or drawn) the companies answered are taken to stand for those listed, so π is multiplied by the
    share answered there (missing at random within the stratum). The shares are returned with the signals.
    """
    with store.session() as s:
        batch = s.scalars(select(Batch).where(Batch.as_of == as_of).order_by(Batch.id.desc())).first()
        if batch is None:
            raise NoLogError(f"no batch of {as_of} in the store")
        batch_id, version = batch.id, batch.model_version
        items = pd.read_sql(
            select(ShortlistItem.company_id, ShortlistItem.explored, Shortlist.id.label("shortlist_id"))
            .join(Shortlist, Shortlist.id == ShortlistItem.shortlist_id)
            .where(Shortlist.batch_id == batch_id),
            s.connection(),
        )
    lists = batch_lists(store, batch_id)
    if not lists:
        raise NoLogError(f"no shortlist was drawn from the batch of {as_of}: nothing was logged")
    signals = batch_signals(store, batch_id)
    pi = inclusion(signals, lists)
    outcome = _findings(store, signals, {x.id for x in lists})
    answered = _answered_share(signals, items, outcome)
    signals["answered_share"] = answered
    logged = Logged(signals["company_id"], signals["riec_region"].to_numpy(), pi * answered, outcome,
                    signals["score"].to_numpy(np.float64))  # fmt: skip
    return signals, logged, version


def _answered_share(signals: pd.DataFrame, items: pd.DataFrame, outcome: np.ndarray) -> np.ndarray:
    """Per company, the share of listed places of its region and kind (fixed / drawn) that got a label."""
    listed = items.groupby("company_id")["explored"].min()  # fixed on any list counts as fixed
    kind = listed.reindex(signals["company_id"].to_numpy())
    frame = pd.DataFrame(
        {
            "region": signals["riec_region"].to_numpy(),
            "listed": kind.notna().to_numpy(),
            "explored": kind.fillna(True).astype(bool).to_numpy(),
            "seen": ~np.isnan(outcome),
        }
    )
    on_list = frame[frame["listed"]]
    share = on_list.groupby(["region", "explored"])["seen"].mean()
    keys = pd.MultiIndex.from_arrays([frame["region"], frame["explored"]])
    out = share.reindex(keys).to_numpy(np.float64)
    return np.where(np.isnan(out), 1.0, out)


def _findings(store: Store, signals: pd.DataFrame, shortlist_ids: set[str]) -> np.ndarray:
    """1/0 per company where an outcome on one of these shortlists became a label, NaN elsewhere."""
    outcomes = labelled_outcomes(store)
    outcomes = outcomes[outcomes["shortlist_id"].isin(shortlist_ids)]
    best = outcomes.groupby("company_id")["label"].max()  # confirmed on any list counts as confirmed
    return best.reindex(signals["company_id"].to_numpy()).to_numpy(np.float64)


__all__ = ["NoLogError", "logged_batch"]
