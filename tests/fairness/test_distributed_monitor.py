"""The Dask monitor's reductions: per-partition counts added up give the single-machine figures.

No cluster here: the partitions are slices of one frame, summarised and added as the workers do. Both KS
branches are covered: counts against the reference's distinct values (large sides) and the gathered values
behind scipy's exact p-value (small sides).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fairness.distributed_monitor import column_figures, make_plan, summarise
from fairness.drift import DriftSettings, as_float, shortlist_of, sort_column, sorted_drift
from features.catalogue import FEATURES

from .test_monitor import snapshot


@pytest.mark.parametrize(("n_ref", "n_cur"), [(400, 600), (3_000, 20_000)])
def test_partition_counts_give_the_single_machine_drift(n_ref: int, n_cur: int) -> None:
    cfg = DriftSettings()
    reference, current = snapshot(n_ref, 1), snapshot(n_cur, 2, shift=0.3)
    plan = make_plan(reference, list(current.columns), 10, 0.1, cfg)
    cuts = np.array_split(np.arange(n_cur), 3)
    parts = [summarise(current.iloc[c], plan, i) for i, c in enumerate(cuts)]
    total = parts[0] + parts[1] + parts[2]
    assert total.rows == n_cur
    for col in [*FEATURES[:9], "score"]:
        want = sorted_drift(sort_column(as_float(reference[col])), sort_column(as_float(current[col])), cfg)
        got = column_figures(reference[col], col, total, cfg)
        for key, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key]), (col, key)
            else:
                assert got[key] == value, (col, key, got[key], value)  # counts: exactly, not approximately
    small = n_ref * n_cur <= 1_000_000
    assert bool(total.values) == small  # the exact branch gathers values only when scipy's exact p-value applies


def test_the_union_of_partition_shortlists_holds_the_register_shortlist() -> None:
    reference, current = snapshot(500, 1), snapshot(12_000, 3)
    plan = make_plan(reference, list(current.columns), 25, 0.0, DriftSettings())
    parts = [summarise(current.iloc[c], plan, i) for i, c in enumerate(np.array_split(np.arange(12_000), 4))]
    candidates = (parts[0] + parts[1] + parts[2] + parts[3]).candidates
    union = pd.concat(candidates, ignore_index=True)
    chosen = set(union.loc[shortlist_of(union, 25), "company_id"])
    assert chosen == set(current.loc[shortlist_of(current, 25), "company_id"])
    assert len(chosen) == 25 * current["riec_region"].nunique()
