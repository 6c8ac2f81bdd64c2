"""Analysts' outcomes as labels beside the case records, each weighed by how likely its company was to be looked at.

Once the service is in use, most new labels come from its own shortlists. A deterministic top-k list only ever
looks where the model already points, so a model retrained on what it found learns to point there harder: the urn
of Ensign et al. (2018). Every shortlist item carries its inclusion probability π under the shortlist's policy
(``models.shortlist.Policy``), and an outcome the system's own selection produced is weighed 1/π: a company found
through a random exploration place with π = 0.02 stands for the fifty like it that were not drawn.

The rules, one per line of the issue that asked for them:

* An outcome counts only for folds whose horizon contains the investigation: the shortlist's as-of date ``A``
  lies in ``[t, t + horizon)`` of the fold's as-of ``t`` (the investigation starts after the day it was scored,
  exactly as a case opened in ``(t, t + horizon]``). The fold ``t = A`` holds the very indicators that were scored.
* A company with both a case and an outcome in one horizon counts once: confirmed beats pending beats dismissed,
  as between cases. Its weight is 1, because the partners' own selection found it too, independently of the list.
* An outcome whose probability is unknown (given outside a shortlist, or exported before probabilities were
  logged) weighs ``DEFAULT_INCLUSION`` = 1, the deterministic top-k's π, and is counted, so the run says how much
  of its feedback it could not correct.

Rows that cannot be used (no company, an unknown outcome, an as-of that is no date, π outside (0, 1]) go to a
quarantine file with their reason; the run goes on without them and says how many.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.io import atomic_file

log = logging.getLogger(__name__)

#: π assumed for an outcome whose shortlist probability is not known: the deterministic top-k's, weight 1.
DEFAULT_INCLUSION = 1.0
REQUIRED = ("company_id", "as_of")
COLUMNS = ("company_id", "label", "as_of", "inclusion_probability", "probability_known", "provenance")
STATUS_RANK = {"confirmed": 0, "pending": 1, "dismissed": 2}


class OutcomeError(ValueError):
    """An outcomes table that cannot be read as one: ``column`` names what is missing or wrong."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass
class Outcomes:
    """Usable outcomes (``COLUMNS``) and what was set aside on the way."""

    frame: pd.DataFrame
    quarantined: int = 0
    default_probability: int = 0
    quarantine_path: Path | None = None

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class FoldSources:
    """Where one fold's labels came from: the counts the MLflow run records."""

    cases: int = 0
    feedback: int = 0
    both: int = 0
    feedback_default_probability: int = 0
    positives_by_source: dict[str, int] = field(default_factory=dict)

    def as_metrics(self, prefix: str) -> dict[str, float]:
        """``{prefix}.cases`` … for ``mlflow.log_metrics``."""
        out = {
            f"{prefix}.cases": float(self.cases),
            f"{prefix}.feedback": float(self.feedback),
            f"{prefix}.both": float(self.both),
            f"{prefix}.feedback_default_probability": float(self.feedback_default_probability),
        }
        out.update({f"{prefix}.positives.{k}": float(v) for k, v in self.positives_by_source.items()})
        return out


def normalise(raw: pd.DataFrame, quarantine: Path | None = None) -> Outcomes:
    """The outcomes of a ``feedback export`` (or a simulation) in the one shape training reads.

    The label comes from ``label`` (0/1) or, failing that, ``outcome`` (confirmed/dismissed; an inconclusive
    outcome is no label). Missing required columns are an error naming the column; bad rows are quarantined.
    """
    for column in REQUIRED:
        if column not in raw.columns:
            raise OutcomeError(column, f"the outcomes table has no {column!r} column")
    if "label" not in raw.columns and "outcome" not in raw.columns:
        raise OutcomeError("label", "the outcomes table needs a 'label' (0/1) or an 'outcome' column")
    label = _labels(raw)
    as_of = pd.to_datetime(raw["as_of"], errors="coerce")
    stated = (
        raw["inclusion_probability"] if "inclusion_probability" in raw.columns else pd.Series(np.nan, index=raw.index)
    )
    pi = pd.to_numeric(stated, errors="coerce")
    unreadable = stated.notna() & pi.isna()
    reason = pd.Series("", index=raw.index, dtype=object)
    reason[raw["company_id"].isna() | (raw["company_id"].astype(str).str.strip() == "")] = "no company_id"
    reason[(reason == "") & label.isna()] = "outcome is neither confirmed nor dismissed"
    reason[(reason == "") & as_of.isna()] = "as_of is not a date"
    reason[(reason == "") & unreadable] = "inclusion_probability is not a number"
    reason[(reason == "") & pi.notna() & ((pi <= 0.0) | (pi > 1.0))] = "inclusion_probability outside (0, 1]"
    bad = reason != ""
    path = _quarantine(raw[bad].assign(reason=reason[bad]), quarantine) if bad.any() else None
    default = int((~bad & pi.isna()).sum())
    if default:
        log.warning("%d outcomes have no known inclusion probability: weighed as π = %s", default, DEFAULT_INCLUSION)
    provenance = _provenance(raw)
    frame = pd.DataFrame(
        {
            "company_id": raw["company_id"].astype(str),
            "label": label,
            "as_of": as_of,
            "inclusion_probability": pi.fillna(DEFAULT_INCLUSION),
            "probability_known": pi.notna(),
            "provenance": provenance,
        }
    )[~bad.to_numpy()]
    frame["label"] = frame["label"].astype("int8")
    return Outcomes(frame.reset_index(drop=True), int(bad.sum()), default, path)


def read_outcomes(path: Path, quarantine: Path | None = None) -> Outcomes:
    """Outcomes from a ``feedback export`` Parquet file (or CSV)."""
    if not path.exists():
        raise OutcomeError("path", f"no outcomes file at {path}")
    raw = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    return normalise(raw, quarantine)


def _labels(raw: pd.DataFrame) -> pd.Series:
    if "label" in raw.columns:
        value = pd.to_numeric(raw["label"], errors="coerce")
        return value.where(value.isin([0, 1]))
    outcome = raw["outcome"].astype(str)
    return outcome.map({"confirmed": 1.0, "dismissed": 0.0})


def _provenance(raw: pd.DataFrame) -> pd.Series:
    """Where each outcome came from, as one readable string: feedback id, shortlist, and whether it was explored."""
    parts = []
    for column in ("feedback_id", "shortlist_id", "explored", "source"):
        if column in raw.columns:
            parts.append(column + "=" + raw[column].astype(str))
    if not parts:
        return pd.Series("unknown", index=raw.index)
    out = parts[0]
    for p in parts[1:]:
        out = out + ";" + p
    return out


def _quarantine(rows: pd.DataFrame, path: Path | None) -> Path | None:
    log.warning("%d outcome rows quarantined%s", len(rows), f" to {path}" if path else "")
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        rows.astype(str).to_parquet(tmp, index=False)
    return path


def in_horizon(outcomes: Outcomes, as_of: pd.Timestamp, months: int) -> pd.DataFrame:
    """The outcomes of investigations that started in the horizon after ``as_of``, one row per company.

    An investigation scored on day ``A`` starts after it, so it lies in the horizon of the fold ``t`` when
    ``t <= A < t + months``. Several outcomes on one company: confirmed beats dismissed, and its chance of having
    been looked at is one minus the chance that no batch of the horizon listed it, each batch's π being already
    the one over all its lists (``serving.inclusion``); two outcomes of one batch count that batch once.
    """
    frame = outcomes.frame
    end = as_of + pd.DateOffset(months=months)
    hit = frame[(frame["as_of"] >= as_of) & (frame["as_of"] < end)]
    per_batch = hit.groupby(["company_id", "as_of"], as_index=False).agg(
        label=("label", "max"),
        inclusion_probability=("inclusion_probability", "max"),
        probability_known=("probability_known", "all"),
        provenance=("provenance", "first"),
    )
    per_batch["missed"] = 1.0 - per_batch["inclusion_probability"]
    out = per_batch.groupby("company_id", as_index=False).agg(
        label=("label", "max"),
        missed=("missed", "prod"),
        probability_known=("probability_known", "all"),
        provenance=("provenance", "first"),
    )
    out["inclusion_probability"] = 1.0 - out["missed"]
    return out.drop(columns=["missed"])


def merge(labels: pd.DataFrame, found: pd.DataFrame) -> tuple[pd.DataFrame, FoldSources]:
    """Case labels (``training.labels.observed_labels``) joined with one fold's outcomes (:func:`in_horizon`).

    Returns the labels with ``label``, ``label_status``, ``label_source`` (cases, feedback, both, none) and
    ``label_weight`` (1/π for a label only the system's own selection produced, 1 otherwise).
    """
    out = labels.copy()
    case_status = out["label_status"].astype(str).to_numpy()
    has_case = case_status != "none"
    fb = found.set_index("company_id").reindex(out["company_id"].to_numpy())
    has = fb["label"].notna().to_numpy()
    fb_status = np.where(fb["label"].to_numpy() == 1, "confirmed", "dismissed")
    both, only = has & has_case, has & ~has_case
    rank = pd.Series(STATUS_RANK)
    fb_wins = both & (rank.reindex(fb_status).to_numpy() < rank.reindex(case_status).fillna(9).to_numpy())
    status = np.where(only | fb_wins, fb_status, case_status)
    source = np.where(both, "both", np.where(only, "feedback", np.where(has_case, "cases", "none")))
    pi = fb["inclusion_probability"].fillna(DEFAULT_INCLUSION).to_numpy(dtype=np.float64)
    out["label_status"] = status
    out["label"] = np.where(status == "confirmed", 1.0, np.where(status == "pending", np.nan, 0.0))
    out["label_source"] = source
    out["label_weight"] = np.where(only, 1.0 / pi, 1.0)
    positive = out["label"].to_numpy() == 1
    known = np.not_equal(fb["probability_known"].to_numpy(dtype=object), False)  # no outcome: nothing defaulted
    sources = FoldSources(
        cases=int((has_case & ~has).sum()),
        feedback=int(only.sum()),
        both=int(both.sum()),
        feedback_default_probability=int((has & ~known).sum()),
        positives_by_source={s: int((positive & (source == s)).sum()) for s in ("cases", "feedback", "both")},
    )
    return out, sources


__all__ = [
    "DEFAULT_INCLUSION",
    "FoldSources",
    "OutcomeError",
    "Outcomes",
    "in_horizon",
    "merge",
    "normalise",
    "read_outcomes",
]
