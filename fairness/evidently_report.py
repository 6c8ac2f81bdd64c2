"""Evidently's data-drift report, for people to browse, on a stratified sample of both snapshots.

Evidently needs about 350 s and 2.3 GB for a million rows on two cores, so it only draws the picture: the figures the
monitor judges by are computed on every row in ``fairness.drift``. Its per-column drift tests (KS p-values,
Wasserstein, and its own Sturges-binned PSI) are not the credit-risk PSI and are not read by the monitor.

The sample is stratified by RIEC region with proportional allocation and a fixed seed, so a small region keeps its
share and the same inputs always give the same report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core.io import atomic_file
from core.telemetry import disable_telemetry

log = logging.getLogger(__name__)
STRATUM = "riec_region"
SAMPLE_ROWS = 5_000
SEED = 20_261_128


def quotas(sizes: pd.Series, n: int) -> pd.Series:
    """Rows to draw per stratum: proportional, summing to exactly ``n`` (largest remainders), capped by size."""
    total = int(sizes.sum())
    if n >= total:
        return sizes.astype(np.int64)
    exact = sizes.to_numpy(np.float64) * n / total
    base = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return pd.Series(np.minimum(base, sizes.to_numpy(np.int64)), index=sizes.index)


def stratified_sample(frame: pd.DataFrame, n: int = SAMPLE_ROWS, seed: int = SEED, by: str = STRATUM) -> pd.DataFrame:
    """At most ``n`` rows, each stratum in proportion to its size; a frame without ``by`` is sampled uniformly.

    Rows are ranked within their stratum by one random key per row, so the draw is vectorised and deterministic.
    """
    if len(frame) <= n:
        return frame
    rng = np.random.default_rng(seed)
    if by not in frame.columns:
        return frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]
    strata = frame[by].astype(str)
    keys = pd.Series(rng.random(len(frame)), index=frame.index)
    rank = keys.groupby(strata.to_numpy()).rank(method="first") - 1
    take = quotas(strata.value_counts(), n)
    return frame[rank.to_numpy() < strata.map(take).to_numpy()]


def drift_columns(reference: pd.DataFrame, current: pd.DataFrame, indicators: Sequence[str]) -> list[str]:
    """The numeric columns to show: the indicators both snapshots hold, and the raw score when both have it."""
    common = [c for c in indicators if c in reference.columns and c in current.columns]
    if "score" in reference.columns and "score" in current.columns:
        common.append("score")
    return common


def write_evidently_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    out: Path,
    *,
    indicators: Sequence[str],
    sample_rows: int = SAMPLE_ROWS,
    seed: int = SEED,
) -> Path:
    """Run ``DataDriftPreset`` on stratified samples and save its HTML at ``out`` (atomically); returns ``out``."""
    disable_telemetry()  # idempotent; must precede the first evidently import, whoever calls this function
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = drift_columns(reference, current, indicators)
    ref_sample = _sample(reference, columns, sample_rows, seed)
    cur_sample = _sample(current, columns, sample_rows, seed + 1)
    columns = _non_empty(columns, ref_sample, cur_sample)
    if not columns:
        raise ValueError("no numeric column with values in both snapshots; nothing for Evidently to compare")
    definition = DataDefinition(numerical_columns=columns)
    ref = Dataset.from_pandas(ref_sample[columns], data_definition=definition)
    cur = Dataset.from_pandas(cur_sample[columns], data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(cur, ref)  # Evidently 0.7 takes the CURRENT dataset first
    with atomic_file(out) as tmp:
        snapshot.save_html(str(tmp))  # save_html takes a string path only
    return out


def _non_empty(columns: list[str], *samples: pd.DataFrame) -> list[str]:
    """Columns with a value on both sides: Evidently refuses a column that is all missing in either dataset.

    An indicator can be missing for a whole snapshot (cash deposit data that did not exist yet); the monitor's own
    figures still show it, through the missing-value bin of its PSI.
    """
    keep = [c for c in columns if all(s[c].notna().any() for s in samples)]
    dropped = sorted(set(columns) - set(keep))
    if dropped:
        log.warning("Evidently report leaves out %d all-missing column(s): %s", len(dropped), ", ".join(dropped))
    return keep


def _sample(frame: pd.DataFrame, columns: list[str], n: int, seed: int) -> pd.DataFrame:
    """Only the compared columns, as float64, reset to a plain index (Evidently keys nothing on it)."""
    keep = [*columns, STRATUM] if STRATUM in frame.columns else columns
    sample = stratified_sample(frame[keep], n, seed)
    return sample[columns].astype(np.float64).reset_index(drop=True)
