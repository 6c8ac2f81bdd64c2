"""The point of reference a company is contrasted with: the typical values of comparable companies.

Comparable means the same SBI section and the same size class (employees in the latest filing, as
:mod:`features.peers` defines it), falling back to the section and then to all companies when a group has fewer
than ``MIN_PEERS`` members: a handful of companies, or the company itself, is no peer group.

Per indicator the point is the *lower median* of the peers that know the value: a value some peer actually has,
so a flag reads yes or no, never one half, and a count is a whole number. When fewer than half of the peers know an
indicator the point is missing, because missing is what is typical there (most young companies have filed no
accounts yet), and a contrast with a filed value would blame the company for being normal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from features.peers import size_class

PEER_GROUP = "peer_group"
SECTION = "sbi_section"
SIZE_FROM = "employees_latest"
ALL = "*"
UNKNOWN_SECTION = "?"
MIN_PEERS = 30
MIN_KNOWN = 0.5


def keys(frame: pd.DataFrame) -> np.ndarray:
    """Each row's peer group: ``"<section>|<size class>"``, ``"<section>|*"`` or ``"*"``."""
    section = frame[SECTION].astype(str).to_numpy(dtype=object)
    if SIZE_FROM in frame.columns:
        size = size_class(frame[SIZE_FROM].to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        size = np.full(len(frame), "unknown", dtype=object)
    fine = pd.Series(section + "|" + size.astype(object))
    known_section = section != UNKNOWN_SECTION
    fine_n = fine.map(fine.value_counts()).to_numpy()
    sections = pd.Series(section)
    section_n = sections.map(sections.value_counts()).to_numpy()
    coarse = np.where(known_section & (section_n >= MIN_PEERS), section + "|*", ALL)
    return np.asarray(np.where(known_section & (fine_n >= MIN_PEERS), fine.to_numpy(), coarse), dtype=object)


def reference(frame: pd.DataFrame, columns: list[str], groups: np.ndarray | None = None) -> pd.DataFrame:
    """The reference point of every peer group in ``groups`` (or :func:`keys` of ``frame``), plus ``"*"``.

    Indexed by peer group, one column per indicator in ``columns``.
    """
    group = keys(frame) if groups is None else groups
    section = frame[SECTION].astype(str).to_numpy(dtype=object)
    used = pd.unique(group)
    points: dict[str, pd.Series] = {ALL: _point(frame[columns])}
    sections = {str(k).split("|")[0] for k in used if str(k).endswith("|*")}
    for s in sorted(sections):
        points[f"{s}|*"] = _point(frame.loc[section == s, columns])
    fine = [str(k) for k in used if str(k) != ALL and not str(k).endswith("|*")]
    if fine:
        table = frame[columns].copy()
        table[PEER_GROUP] = group
        grouped = table[table[PEER_GROUP].isin(fine)].groupby(PEER_GROUP)
        with warnings.catch_warnings():  # as in _point
            warnings.simplefilter("ignore", RuntimeWarning)
            lower = grouped[columns].quantile(0.5, interpolation="lower")
        share = grouped[columns].count().div(grouped.size(), axis=0)
        for k, row in lower.where(share >= MIN_KNOWN).iterrows():
            points[str(k)] = row
    out = pd.DataFrame(points).T[columns].astype(np.float64)
    out.index.name = PEER_GROUP
    return out


def _point(values: pd.DataFrame) -> pd.Series:
    with warnings.catch_warnings():  # a column nobody knows has no median: NaN is the answer, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        lower = values.quantile(0.5, interpolation="lower", numeric_only=False)
    share = values.count() / max(len(values), 1)
    return lower.where(share >= MIN_KNOWN)


def rows_of(reference_: pd.DataFrame, groups: np.ndarray) -> np.ndarray:
    """Each row's position in ``reference_`` (its group's, ``"*"`` for a group the reference lacks)."""
    rows = reference_.index.get_indexer(pd.Index(groups.astype(str)))
    overall = int(reference_.index.get_indexer(pd.Index([ALL]))[0])
    return np.where(rows >= 0, rows, overall).astype(np.int64)
