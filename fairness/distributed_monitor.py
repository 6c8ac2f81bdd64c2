"""The drift monitor on Dask: the current snapshot is reduced partition by partition to what the checks count.

The reference (the training run's 100,000-row sample) stays on the client; the current snapshot, the whole
register, never does. Each partition of ``indicators ⋈ scores`` (a hash join on ``company_id``) is reduced to:

- per indicator and for the score: counts in the reference's PSI bins, and for every distinct reference value
  the number of current values at or below it and strictly below it. The PSI and the KS statistic follow
  exactly, because the KS gap between two reference values is largest at one of them or just before the next
  (``drift.ks_statistic``). Where both sides are small enough for scipy's exact p-value, the values themselves
  are gathered and the single-machine function runs on them;
- sums of |SHAP| per indicator, of the score and of the probability, with their counts;
- each region's top ``k`` (the register-wide top ``k`` per region lies within the union of these).

A second pass counts, per group, the companies and the shortlisted ones, and the expected confusion sums of the
shortlist. Counts are exact; sums of floats agree with the single-machine figures to about 1e-12 relative (they
add in another order). The report's score plot and Evidently's page are drawn from a sample of the current
snapshot gathered partition by partition: they are pictures, and the figures in them come from the counts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairness.drift import (
    INDICATOR_COLUMNS,
    KS_EXACT_CELLS,
    DriftSettings,
    SortedColumn,
    _distinct_with_cdf,
    as_float,
    bin_counts,
    composition_table,
    confusion_from_sums,
    decile_edges,
    expected_confusion,
    explanation_table,
    group_counts,
    ks_pvalue,
    ks_sorted,
    matched_k,
    mean_abs_shap,
    performance_table,
    psi_from_counts,
    psi_status,
    realised_precision,
    shap_columns,
    shortlist_of,
    sort_column,
)
from fairness.groups import company_groups, gating_attributes
from fairness.monitor import REGION, Checks, MonitorInputError, _group_columns, assemble, note_absent
from fairness.monitor_result import MonitorResult
from features import partitioned
from features.catalogue import FEATURES
from features.pipeline import read_metadata
from models.risk import SHAP_PREFIX

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
SAMPLE_SEED = 20261129


@dataclass
class Plan:
    """What every partition needs from the reference: columns, bin edges, distinct values."""

    columns: list[str]  # indicators in both snapshots, then "score"
    edges: dict[str, np.ndarray]
    distinct: dict[str, np.ndarray]
    exact_below: dict[str, int]  # gather current values when fewer than this (scipy's exact p-value)
    shap: list[str]
    top_k: int
    sample_share: float


@dataclass
class Summary:
    """One partition's (or several partitions') counts and sums; ``+`` merges two."""

    rows: int = 0
    bins: dict[str, np.ndarray] = field(default_factory=dict)
    right: dict[str, np.ndarray] = field(default_factory=dict)
    left: dict[str, np.ndarray] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    candidates: list[pd.DataFrame] = field(default_factory=list)
    sample: list[pd.DataFrame] = field(default_factory=list)

    def __add__(self, other: Summary) -> Summary:
        out = Summary(rows=self.rows + other.rows)
        for name in ("bins", "right", "left"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(out, name, {k: a[k] + b[k] if k in a else b[k] for k in {*a, *b}})
        for name in ("present", "sums", "counts"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(out, name, {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b}})
        out.values = {k: self.values.get(k, []) + other.values.get(k, []) for k in {*self.values, *other.values}}
        out.candidates = self.candidates + other.candidates
        out.sample = self.sample + other.sample
        return out


def make_plan(
    reference: pd.DataFrame, current_columns: Sequence[str], top_k: int, share: float, cfg: DriftSettings
) -> Plan:
    """The reference side of every check, computed once on the client."""
    columns = [c for c in FEATURES if c in reference.columns and c in current_columns]
    if "score" in reference.columns and "score" in current_columns:
        columns.append("score")
    edges, distinct, exact = {}, {}, {}
    for col in columns:
        ref = sort_column(as_float(reference[col]))
        edges[col] = decile_edges(ref, cfg.bins)
        distinct[col] = _distinct_with_cdf(ref.values)[0] if len(ref.values) else np.empty(0)
        exact[col] = KS_EXACT_CELLS // max(len(ref.values), 1)
    cur_shap = {c.removeprefix(SHAP_PREFIX) for c in current_columns if c.startswith(SHAP_PREFIX)}
    shap = [i for i in shap_columns(reference) if i in cur_shap]
    return Plan(columns, edges, distinct, exact, shap, top_k, share)


def summarise(frame: pd.DataFrame, plan: Plan, part: int) -> Summary:
    """The counts and sums of one partition of the current snapshot."""
    out = Summary(rows=len(frame))
    for col in plan.columns:
        column = sort_column(as_float(frame[col]))
        out.bins[col] = bin_counts(column, plan.edges[col])
        out.right[col] = np.searchsorted(column.values, plan.distinct[col], side="right").astype(np.int64)
        out.left[col] = np.searchsorted(column.values, plan.distinct[col], side="left").astype(np.int64)
        out.present[col] = len(column.values)
        if len(column.values) <= plan.exact_below[col]:
            out.values[col] = [column.values]
    for name in ("score", "probability"):
        if name in frame.columns:
            x = as_float(frame[name])
            out.sums[name], out.counts[name] = float(np.nansum(x)), int(np.sum(~np.isnan(x)))
    for ind in plan.shap:
        x = np.abs(as_float(frame[SHAP_PREFIX + ind]))
        out.sums[SHAP_PREFIX + ind], out.counts[SHAP_PREFIX + ind] = float(np.nansum(x)), int(np.sum(~np.isnan(x)))
    if {"score", REGION, "company_id"} <= set(frame.columns):
        keep = ["company_id", REGION, "score", *(["probability"] if "probability" in frame.columns else [])]
        out.candidates = [frame.loc[shortlist_of(frame, plan.top_k), keep]]
    rng = np.random.default_rng([SAMPLE_SEED, part])
    out.sample = [frame[rng.random(len(frame)) < plan.sample_share]]
    return out


def column_figures(reference: pd.Series, col: str, total: Summary, cfg: DriftSettings) -> dict[str, Any]:
    """``drift.column_drift`` from the counts: the same PSI, KS, p-value and missing shares."""
    ref = sort_column(as_float(reference))
    psi = psi_from_counts(bin_counts(ref, decile_edges(ref, cfg.bins)), total.bins[col], cfg.psi_floor)
    n_cur = total.present[col]
    missing_cur = total.rows - n_cur
    if len(ref.values) == 0 or n_cur == 0:
        ks, pvalue = math.nan, math.nan
    elif len(ref.values) * n_cur <= KS_EXACT_CELLS:
        gathered = np.sort(np.concatenate(total.values[col]))
        ks, pvalue = ks_sorted(ref, SortedColumn(gathered, missing_cur))
    else:
        _, fa = _distinct_with_cdf(ref.values)
        at_values = np.abs(fa - total.right[col] / n_cur)
        below_next = total.left[col] / n_cur - np.r_[0.0, fa[:-1]]
        ks = float(max(at_values.max(), below_next.max()))
        pvalue = ks_pvalue(ks, len(ref.values), n_cur)
    miss_r = ref.missing / ref.total if ref.total else math.nan
    miss_c = missing_cur / total.rows if total.rows else math.nan
    return {
        "psi": psi,
        "ks": ks,
        "ks_pvalue": pvalue,
        "missing_ref": miss_r,
        "missing_cur": miss_c,
        "missing_change": miss_c - miss_r,
        "status": psi_status(psi, cfg),
    }


def _tree_sum(parts: list[Any]) -> Any:
    """Pairwise merging on the workers, so the client receives one summary, not one per partition."""
    return _tree_sum_with(parts, _add)


def _add(a: Summary, b: Summary) -> Summary:
    return a + b


def read_snapshot(indicators: Path, scores: Path) -> Any:
    """``indicators ⋈ scores`` as a Dask frame (a hash join on company_id), after the same checks as on one machine."""
    import dask.dataframe as dd

    for path in (indicators, scores):
        if not partitioned.exists(path):
            raise MonitorInputError(f"{path} does not exist")
    a, b = read_metadata(indicators).get("as_of"), read_metadata(scores).get("as_of")
    if a and b and a != b:
        raise MonitorInputError(f"{indicators} is as of {a} but {scores} is as of {b}")
    ind = dd.from_map(_read_part, partitioned.parts(indicators))
    sc = dd.from_map(_read_part, partitioned.parts(scores))
    extra = [c for c in sc.columns if c == "company_id" or c not in ind.columns]
    return ind.merge(sc[extra], on="company_id", how="inner")


def _read_part(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def groups_for(frame: pd.DataFrame, data: Path, as_of: pd.Timestamp, attributes: list[str]) -> pd.DataFrame:
    """The partition's companies' groups (each partition reads the sensitive tables for its own companies)."""
    groups = company_groups(data, frame["company_id"], as_of)
    return _group_columns(frame, groups, attributes)


def second_pass(
    frame: pd.DataFrame, selected_ids: pd.Index, data: Path | None, as_of: pd.Timestamp | None, attributes: list[str]
) -> dict[str, Any]:
    """Per-group counts and the confusion sums, once the register-wide shortlist is known."""
    chosen = frame["company_id"].isin(selected_ids).to_numpy()
    out: dict[str, Any] = {}
    if "probability" in frame.columns:
        p = np.nan_to_num(as_float(frame["probability"]), nan=0.0)
        out["fn"] = float(p[~chosen].sum())
    if data is not None and as_of is not None and attributes:
        groups = groups_for(frame, data, as_of, attributes)
        out["groups"] = {a: group_counts(groups[a].to_numpy(), chosen) for a in attributes}
    return out


def _merge_second(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "fn" in a or "fn" in b:
        out["fn"] = a.get("fn", 0.0) + b.get("fn", 0.0)
    if "groups" in a or "groups" in b:
        ga, gb = a.get("groups", {}), b.get("groups", {})
        out["groups"] = {k: _add_counts(ga.get(k), gb.get(k)) for k in {*ga, *gb}}
    return out


def _add_counts(a: pd.DataFrame | None, b: pd.DataFrame | None) -> pd.DataFrame:
    if a is None or b is None:
        return a if b is None else b  # type: ignore[return-value]
    return a.add(b, fill_value=0).astype(np.int64).sort_index()


def compare_dask(
    client: Client,
    reference: pd.DataFrame,
    indicators: Path,
    scores: Path,
    *,
    groups_reference: pd.DataFrame | None,
    data: Path | None,
    top_k: int,
    settings: DriftSettings,
    sample_rows: int,
    progress: Progress,
) -> tuple[MonitorResult, pd.DataFrame]:
    """``monitor.compare`` over a partitioned current snapshot; also returns the sample the pictures are drawn from."""
    import dask

    joined = read_snapshot(indicators, scores).persist()
    rows, distinct = (int(x) for x in dask.compute(joined.map_partitions(len).sum(), joined["company_id"].nunique()))
    if rows == 0:
        raise MonitorInputError("the indicator table and the score file share no company")
    if rows != distinct:
        raise MonitorInputError(f"company_id is not unique: {rows - distinct} companies appear more than once")
    plan = make_plan(reference, list(joined.columns), top_k, min(1.0, sample_rows / rows), settings)
    progress("indicators")
    parts = joined.to_delayed()
    total: Summary = _tree_sum([dask.delayed(summarise)(p, plan, i) for i, p in enumerate(parts)]).compute()
    skipped: dict[str, str] = {}
    indicators_table = _indicator_table(reference, plan, total, settings, skipped)
    progress("score")
    score = _score_figures(reference, total, settings, skipped)
    progress("explanations")
    explanations = _explanations(reference, plan, total, settings, skipped)
    progress("shortlists")
    k_ref = matched_k(top_k, len(reference), rows)
    candidates = pd.concat(total.candidates, ignore_index=True) if total.candidates else pd.DataFrame()
    has_region = REGION in reference.columns and not candidates.empty
    chosen = candidates[shortlist_of(candidates, top_k)] if has_region else candidates.iloc[:0]
    sel_ref = shortlist_of(reference, k_ref) if has_region else np.zeros(len(reference), dtype=bool)
    as_of = pd.Timestamp(read_metadata(indicators)["as_of"]) if data is not None else None
    attributes = _attributes(groups_reference)
    second = _tree_sum_with(
        [dask.delayed(second_pass)(p, pd.Index(chosen["company_id"]), data, as_of, attributes) for p in parts],
        _merge_second,
    ).compute()
    progress("composition")
    composition = _composition(reference, groups_reference, sel_ref, second, attributes, settings, skipped, has_region)
    progress("performance")
    performance = _performance(reference, sel_ref, chosen, second, settings, skipped, has_region)
    result = assemble(
        Checks(indicators_table, score, explanations, composition, performance),
        skipped,
        settings,
        (top_k, k_ref),
        (len(reference), rows),
    )
    sample = pd.concat(total.sample, ignore_index=True) if total.sample else joined.head(0)
    return result, sample


def _tree_sum_with(parts: list[Any], merge: Callable[[Any, Any], Any]) -> Any:
    import dask

    while len(parts) > 1:
        parts = [
            dask.delayed(merge)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]


def _attributes(groups_reference: pd.DataFrame | None) -> list[str]:
    if groups_reference is None:
        return []

    return [a for a in gating_attributes() if a in groups_reference.columns]


def _indicator_table(
    reference: pd.DataFrame, plan: Plan, total: Summary, cfg: DriftSettings, skipped: dict[str, str]
) -> pd.DataFrame:
    columns = [c for c in plan.columns if c != "score"]
    if not columns:
        skipped["indicators"] = "no catalogued indicator column in both snapshots"
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
    note_absent(columns, skipped)
    rows = [{"indicator": c, **column_figures(reference[c], c, total, cfg)} for c in columns]
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def _mean(reference: pd.DataFrame, name: str) -> float:
    return float(np.nanmean(as_float(reference[name])))


def _score_figures(
    reference: pd.DataFrame, total: Summary, cfg: DriftSettings, skipped: dict[str, str]
) -> dict[str, Any] | None:
    if "score" not in total.bins:
        skipped["score"] = "the reference or the current snapshot has no score"
        return None
    out: dict[str, Any] = column_figures(reference["score"], "score", total, cfg)
    out["mean_score_ref"] = _mean(reference, "score")
    out["mean_score_cur"] = total.sums["score"] / total.counts["score"] if total.counts["score"] else math.nan
    if "probability" in reference and "probability" in total.sums:
        p_ref = _mean(reference, "probability")
        p_cur = total.sums["probability"] / total.counts["probability"] if total.counts["probability"] else math.nan
        out.update(mean_probability_ref=p_ref, mean_probability_cur=p_cur, probability_shift=p_cur - p_ref)
    return out


def _explanations(
    reference: pd.DataFrame, plan: Plan, total: Summary, cfg: DriftSettings, skipped: dict[str, str]
) -> pd.DataFrame | None:
    if not plan.shap:
        skipped["explanations"] = "the two snapshots' SHAP columns share no indicator"
        return None

    ref = mean_abs_shap(reference, plan.shap)
    counts = [total.counts[SHAP_PREFIX + i] for i in plan.shap]
    cur = np.array([total.sums[SHAP_PREFIX + i] / c if c else math.nan for i, c in zip(plan.shap, counts, strict=True)])
    return explanation_table(plan.shap, ref, cur, cfg)


def _composition(
    reference: pd.DataFrame,
    groups_reference: pd.DataFrame | None,
    sel_ref: np.ndarray,
    second: dict[str, Any],
    attributes: list[str],
    cfg: DriftSettings,
    skipped: dict[str, str],
    has_region: bool,
) -> pd.DataFrame | None:

    if groups_reference is None or "groups" not in second:
        skipped["composition"] = "no group membership given for both snapshots (fairness.groups.company_groups)"
        return None
    if not has_region or not attributes:
        skipped["composition"] = "no per-region shortlist or none of the gating attributes"
        return None
    ref_groups = _group_columns(reference, groups_reference, attributes)
    tables = []
    for attribute in attributes:
        table = composition_table(
            group_counts(ref_groups[attribute].to_numpy(), sel_ref), second["groups"][attribute], cfg
        )
        table.insert(0, "attribute", attribute)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _performance(
    reference: pd.DataFrame,
    sel_ref: np.ndarray,
    chosen: pd.DataFrame,
    second: dict[str, Any],
    cfg: DriftSettings,
    skipped: dict[str, str],
    has_region: bool,
) -> dict[str, Any] | None:

    if not has_region or "probability" not in reference or "fn" not in second:
        skipped["performance"] = "no probability or no per-region shortlist in both snapshots"
        return None
    ref = expected_confusion(as_float(reference["probability"]), sel_ref)
    p = np.nan_to_num(as_float(chosen["probability"]), nan=0.0)
    cur = confusion_from_sums(float(p.sum()), float((1.0 - p).sum()), second["fn"], len(chosen))
    if "label" in reference:
        ref["realised_precision"] = realised_precision(as_float(reference["label"]), sel_ref)
    return performance_table(ref, cur, cfg)
