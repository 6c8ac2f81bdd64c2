"""Out-of-time folds: indicators at each as-of date joined with the labels of the horizon after it.

The split is *purged*: every fold's horizon ends on or before the next fold's as-of date, so nothing a model is
fitted on happened after the day it is validated or tested on, just as in production, where the labels of the last
two years are not known yet. Indicator tables are cached by input fingerprint, catalogue hash and as-of date, so
retraining on the same records does not recompute them, and a cached table is only reused when its metadata
matches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pandas as pd

from core import settings
from features import validate_records, write_quarantine
from features.catalogue import FEATURES, catalogue_hash
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, read_metadata, write_indicators
from training.labels import Horizon, LabelError, observed_labels, read_truth, records_window
from training.outcomes import FoldSources, Outcomes, in_horizon, merge

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
TRUTH_COLUMNS = ("truth_involved", "truth_propensity")


@dataclass(frozen=True)
class TemporalSplit:
    """As-of dates of the training folds, the validation fold (early stopping, calibration) and the test fold."""

    train: tuple[pd.Timestamp, ...]
    validation: pd.Timestamp
    test: pd.Timestamp
    horizon_months: int = 24

    def __post_init__(self) -> None:
        if not self.train:
            raise LabelError("at least one training as-of date is needed")
        order = [*sorted(self.train), self.validation, self.test]
        for earlier, later in pairwise(order):
            if later <= earlier:
                raise LabelError(f"as-of dates must increase train < validation < test, got {later.date()}")
        for before, after in ((max(self.train), self.validation), (self.validation, self.test)):
            end = Horizon(before, self.horizon_months).end
            if end > after:
                raise LabelError(
                    f"the horizon of {before.date()} ends {end.date()}, after the next fold's as-of {after.date()}: "
                    "its labels would leak the future into that fold"
                )

    def folds(self) -> list[tuple[str, pd.Timestamp]]:
        """(name, as-of) in time order."""
        return [*(("train", t) for t in sorted(self.train)), ("validation", self.validation), ("test", self.test)]

    def as_dict(self) -> dict[str, str]:
        """For MLflow parameters."""
        return {
            "train_as_of": ",".join(t.date().isoformat() for t in sorted(self.train)),
            "validation_as_of": self.validation.date().isoformat(),
            "test_as_of": self.test.date().isoformat(),
            "horizon_months": str(self.horizon_months),
        }


def default_split(
    window: tuple[pd.Timestamp, pd.Timestamp], horizon_months: int = 24, every_months: int = 12
) -> TemporalSplit:
    """The latest purged split whose test labels had two years to resolve, training on every year-end before.

    Cases run for up to three years, so a test horizon that ends right at the data's end would have most of its
    cases still pending; two years of slack leaves few. Training uses every year-end (or every quarter- or
    half-year-end: ``every_months``) from the day before the case records start (its horizon is then fully
    observed) up to the last one the purge allows.
    """
    start, end = window
    step = pd.DateOffset(months=horizon_months)
    test = _year_end_before(end - step - pd.DateOffset(years=2))
    validation = _year_end_before(test - step)
    last_train = _year_end_before(validation - step)
    first_year = (start - pd.Timedelta(days=1)).year  # its Dec 31 is the first as-of with a fully recorded horizon
    if every_months not in (3, 6, 12):
        raise LabelError(f"training as-of dates come every 3, 6 or 12 months, not {every_months}")
    train = tuple(pd.date_range(pd.Timestamp(f"{first_year}-12-31"), last_train, freq=f"{every_months}ME"))
    return TemporalSplit(train=train, validation=validation, test=test, horizon_months=horizon_months)


def _year_end_before(day: pd.Timestamp) -> pd.Timestamp:
    year_end = pd.Timestamp(f"{day.year}-12-31")
    return year_end if year_end <= day else pd.Timestamp(f"{day.year - 1}-12-31")


@dataclass
class Fold:
    """One as-of date: identifiers, indicators, the label and (for synthetic data) the truth."""

    name: str
    as_of: pd.Timestamp
    frame: pd.DataFrame
    pending_excluded: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    sources: FoldSources = field(default_factory=FoldSources)

    @property
    def positives(self) -> int:
        """Confirmed cases in the horizon."""
        return int(self.frame["label"].sum())

    @property
    def has_truth(self) -> bool:
        """Whether ground truth came with the records (synthetic worlds only)."""
        return "truth_involved" in self.frame.columns


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The catalogue's indicators and nothing else: never a label, truth, identifier or sensitive column.

    Selecting by the catalogue's names is the guarantee; the catalogue itself refuses sensitive inputs and names
    (``features.catalogue.check_catalogue``), and :class:`models.risk.RiskModel` refuses sensitive feature names.
    """
    return frame.loc[:, list(FEATURES)]


def build_folds(
    data: Path,
    dates: list[tuple[str, pd.Timestamp]],
    horizon_months: int,
    progress: Progress | None = None,
    outcomes: Outcomes | None = None,
) -> list[Fold]:
    """Indicators (cached), labels and truth for every named as-of date (``TemporalSplit.folds()``).

    ``outcomes`` (analysts' or simulated partners' findings, ``training.outcomes``) join the case records'
    labels in the folds whose horizon holds them, each fold's rows then carrying a ``label_weight``.
    """
    step = progress or (lambda _name: None)
    fingerprint = input_fingerprint(data)
    cases = pd.read_parquet(data / "cases.parquet", columns=["company_id", "opened_on", "closed_on", "outcome"])
    window = records_window(data, cases)
    truth = read_truth(data)
    tables: dict[str, pd.DataFrame] | None = None
    folds = []
    for name, as_of in dates:
        step(f"{name} {as_of.date()}")
        path = _cache_path(fingerprint, as_of)
        frame = _cached(path, fingerprint)
        if frame is None:
            if tables is None:
                tables = _validated_tables(data, fingerprint)
            frame, peers = compute_indicators(tables, as_of)
            write_indicators(IndicatorTable(frame, peers, as_of, fingerprint), path)
        folds.append(_fold(name, as_of, frame, cases, truth, horizon_months, window, fingerprint, outcomes))
    return folds


def _fold(
    name: str,
    as_of: pd.Timestamp,
    frame: pd.DataFrame,
    cases: pd.DataFrame,
    truth: pd.DataFrame | None,
    months: int,
    window: tuple[pd.Timestamp, pd.Timestamp],
    fingerprint: str,
    outcomes: Outcomes | None = None,
) -> Fold:
    labels = observed_labels(cases, frame["company_id"], Horizon(as_of, months), window)
    if outcomes is None:
        sources = FoldSources(cases=int((labels["label_status"] != "none").sum()))
        frame = frame.assign(label=labels["label"].to_numpy(), label_status=labels["label_status"].to_numpy())
    else:
        labels, sources = merge(labels, in_horizon(outcomes, as_of, months))
        frame = frame.assign(
            label=labels["label"].to_numpy(),
            label_status=labels["label_status"].to_numpy(),
            label_source=labels["label_source"].to_numpy(),
            label_weight=labels["label_weight"].to_numpy(),
        )
    if truth is not None:
        missing = int((~frame["company_id"].isin(truth["company_id"])).sum())
        if missing:
            raise LabelError(f"truth/companies.parquet lacks {missing} companies of the {as_of.date()} fold")
        t = truth.set_index("company_id").reindex(frame["company_id"])
        frame["truth_involved"] = t["involved"].fillna(False).astype(bool).to_numpy()
        frame["truth_propensity"] = t["propensity"].to_numpy()
    pending = int(frame["label"].isna().sum())
    frame = frame[frame["label"].notna()].reset_index(drop=True)
    frame["label"] = frame["label"].astype("int8")
    meta = {"as_of": as_of.date().isoformat(), "input_fingerprint": fingerprint, "rows": str(len(frame))}
    log.info(
        "fold %s %s: %d rows, %d positives, %d pending excluded",
        name,
        as_of.date(),
        len(frame),
        int(frame["label"].sum()),
        pending,
    )
    return Fold(name=name, as_of=as_of, frame=frame, pending_excluded=pending, metadata=meta, sources=sources)


def _cache_path(fingerprint: str, as_of: pd.Timestamp) -> Path:
    return (
        settings.VAR_DIR / "indicators" / "cache" / f"{fingerprint[:16]}-{catalogue_hash()[:8]}-{as_of.date()}.parquet"
    )


def _cached(path: Path, fingerprint: str) -> pd.DataFrame | None:
    """A cached indicator table, only if it was computed from these records with this catalogue."""
    if not path.exists():
        return None
    meta = read_metadata(path)
    if meta.get("input_fingerprint") != fingerprint or meta.get("catalogue_hash") != catalogue_hash():
        return None
    return pd.read_parquet(path)


def _validated_tables(data: Path, fingerprint: str) -> dict[str, pd.DataFrame]:
    """Valid rows only; rejected rows are kept in a quarantine file with their reasons, never dropped silently."""
    report = validate_records(data)
    quarantined = sum(report.quarantined_rows().values())
    if quarantined:
        path = settings.VAR_DIR / "quarantine" / f"training-{fingerprint[:16]}.parquet"
        write_quarantine(report, path)
        log.warning("%d record rows quarantined to %s; training goes on without them", quarantined, path)
    return report.tables
