"""Labels for a temporal design: what partners confirmed about a company in the horizon after an as-of date.

A label is 1 when a case opened in (as-of, as-of + horizon] ended *confirmed*. A case opened in the horizon that
is still pending when the data ends has no known outcome, so its company is left out of fitting and evaluation
(and counted) rather than guessed as 0. A horizon that runs past the end of the data is refused: its labels would
be silently incomplete.

Labels are the (biased) record of who was investigated, never the truth; ``truth/`` from ``synth`` is read only
for evaluation, never for fitting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from fairness.run import AuditLabels, LabelSource

log = logging.getLogger(__name__)


class LabelError(ValueError):
    """A horizon or date that cannot yield complete labels."""


@dataclass(frozen=True)
class Horizon:
    """The window after an as-of date in which a case must be opened."""

    as_of: pd.Timestamp
    months: int

    @property
    def end(self) -> pd.Timestamp:
        """Last day of the horizon (inclusive)."""
        return self.as_of + pd.DateOffset(months=self.months)


def records_window(data: Path, cases: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day the case records cover.

    The manifest's observation window when there is one (``synth`` writes it; an import states its extract
    dates the same way); otherwise the earliest opening and the latest opening or closing in the cases, which
    can only understate the window.
    """
    manifest = data / "manifest.json"
    if manifest.exists():
        cfg = json.loads(manifest.read_text()).get("config", {})
        if "start_year" in cfg and "end_year" in cfg:
            return pd.Timestamp(f"{cfg['start_year']}-01-01"), pd.Timestamp(f"{cfg['end_year']}-12-31")
    opened = pd.to_datetime(cases["opened_on"]).dropna()
    if opened.empty:
        raise LabelError("the cases table is empty: there are no labels to learn from")
    closed = pd.to_datetime(cases["closed_on"]).dropna()
    return pd.Timestamp(opened.min()), pd.Timestamp(max(opened.max(), closed.max() if len(closed) else opened.max()))


def observed_labels(
    cases: pd.DataFrame, company_ids: pd.Series, horizon: Horizon, window: tuple[pd.Timestamp, pd.Timestamp]
) -> pd.DataFrame:
    """Per company: ``label`` (1 confirmed, 0 otherwise, NaN unknown) and ``label_status``.

    ``label_status`` is ``confirmed``, ``dismissed``, ``pending`` (unknown: excluded) or ``none`` (no case opened).
    """
    start, end = window
    if horizon.as_of + pd.Timedelta(days=1) < start:
        raise LabelError(
            f"as-of {horizon.as_of.date()} lies before the case records start ({start.date()}): "
            "cases opened in its horizon would be missing"
        )
    if horizon.end > end:
        raise LabelError(
            f"horizon {horizon.as_of.date()} + {horizon.months} months ends {horizon.end.date()}, "
            f"after the data ends ({end.date()}): labels would be incomplete"
        )
    opened = pd.to_datetime(cases["opened_on"])
    in_horizon = cases[(opened > horizon.as_of) & (opened <= horizon.end)]
    # a company with several cases in the horizon: confirmed beats pending beats dismissed
    rank = in_horizon["outcome"].map({"confirmed": 0, "pending": 1, "dismissed": 2})
    best = in_horizon.assign(_rank=rank).sort_values("_rank").drop_duplicates("company_id")
    status = pd.Series(best["outcome"].to_numpy(), index=best["company_id"].to_numpy()).reindex(company_ids.to_numpy())
    status = status.fillna("none").astype(str)
    label = np.where(status == "confirmed", 1.0, np.where(status == "pending", np.nan, 0.0))
    return pd.DataFrame({"company_id": company_ids.to_numpy(), "label": label, "label_status": status.to_numpy()})


def read_truth(data: Path) -> pd.DataFrame | None:
    """Ground truth from ``synth`` (``truth/companies.parquet``), or None for real data; evaluation only."""
    path = data / "truth" / "companies.parquet"
    if not path.exists():
        return None
    return pq.read_table(path, columns=["company_id", "involved", "propensity"]).to_pandas()


def audit_labels(data: Path, horizon_months: int = 24) -> LabelSource:
    """The fairness audit's label source: cases opened in the horizon after the scores' as-of date.

    When that horizon runs past the records (a production batch: outcomes are not known yet) every label is NaN
    and the note says why, so the audit judges the selection measures only. The ground truth is attached where the
    records carry one (the synthetic world).
    """

    def labels(company_ids: pd.Series, as_of: pd.Timestamp) -> AuditLabels:
        cases = pd.read_parquet(data / "cases.parquet", columns=["company_id", "opened_on", "closed_on", "outcome"])
        truth_table = read_truth(data)
        truth = None
        if truth_table is not None:
            t = truth_table.set_index("company_id")["involved"].reindex(company_ids.to_numpy())
            truth = t.fillna(False).astype(np.float64).to_numpy()
        try:
            found = observed_labels(cases, company_ids, Horizon(as_of, horizon_months), records_window(data, cases))
        except LabelError as exc:
            note = f"no observed labels: {exc}"
            log.warning("%s", note)
            return AuditLabels(label=np.full(len(company_ids), np.nan), truth=truth, note=note)
        return AuditLabels(
            label=found["label"].to_numpy(dtype=np.float64),
            investigated=(found["label_status"] != "none").to_numpy(dtype=np.float64),
            truth=truth,
        )

    return labels
