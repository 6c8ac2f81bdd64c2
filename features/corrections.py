"""Accepted corrections of disputed facts, applied to an indicator run (rectification's last step).

A company that shows a fact wrong (and a second analyst who accepts its evidence) changes the indicator value the
next run uses, until the source register itself is corrected. The corrections file comes from
``tegenkracht rectifications export``; a correction applies to runs at or after the date of the batch it
disputed, never before, so no run sees a correction from its future. Every applied correction is listed beside
the output with its rectification id, and the corrections change the run's input fingerprint, so scores from
corrected indicators never pass for the uncorrected snapshot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.io import file_sha256
from features.catalogue import BY_ID

COLUMNS = ("rectification_id", "company_id", "indicator", "value", "as_of", "accepted_at")


class CorrectionsError(ValueError):
    """A corrections file that cannot be applied: it names the column or indicator at fault."""


def read(path: Path) -> pd.DataFrame:
    """The corrections file, checked: its columns and catalogued indicators."""
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise CorrectionsError(f"{path} is not a readable corrections file: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise CorrectionsError(f"{path} lacks column(s) {missing}")
    if not pd.api.types.is_numeric_dtype(frame["value"]):
        raise CorrectionsError(f"{path}: column value must hold numbers (NaN: the record does not exist)")
    unknown = sorted(set(frame["indicator"]) - set(BY_ID))
    if unknown:
        raise CorrectionsError(f"{path} corrects indicator(s) not in the catalogue: {unknown}")
    return frame


def apply(frame: pd.DataFrame, corrections: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` with the corrections dated at or before ``as_of`` applied (the latest per fact), and those applied.

    A correction for a company the run does not hold (dissolved since) is skipped and not listed.
    """
    due = corrections[pd.to_datetime(corrections["as_of"]) <= as_of]
    due = due.sort_values(["accepted_at", "rectification_id"]).drop_duplicates(["company_id", "indicator"], keep="last")
    index = pd.Index(frame["company_id"].astype(str))
    rows = index.get_indexer(pd.Index(due["company_id"].astype(str)))
    due = due[rows >= 0]
    rows = rows[rows >= 0]
    out = frame.copy()
    for indicator in due["indicator"].unique():
        chosen = (due["indicator"] == indicator).to_numpy()
        column = out[str(indicator)].to_numpy(dtype=np.float64, copy=True)
        column[rows[chosen]] = due.loc[chosen, "value"].to_numpy(dtype=np.float64)
        out[str(indicator)] = column
    return out, due.reset_index(drop=True)


def fingerprint(records: str, corrections: Path) -> str:
    """The run's input fingerprint: the records' and the corrections file's together."""
    return hashlib.sha256(f"{records}\ncorrections:{file_sha256(corrections)}\n".encode()).hexdigest()
