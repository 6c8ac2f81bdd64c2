"""The bias audit: who lands on the shortlist, and how often wrongly, group by group.

Being placed on a shortlist is a *punitive* intervention, so the headline parities are those of Aequitas' fairness
tree for punitive interventions: selection rate (``pprev``), false discovery rate, false positive rate and false
positives per group size. A disparity is ``metric(group) / metric(reference group)``; it is fair within
[0.8, 1.25] (tau = 0.8). Metric names follow Aequitas (``pp``, ``ppr``, ``pprev``, ``fdr``…), so a table from here
can be read beside one from Aequitas, and the values agree with Aequitas and Fairlearn on the same inputs
(``tests/fairness/test_audit.py``).

Two departures, both on purpose (and tested in ``tests/fairness/test_audit.py``):

- a group smaller than ``min_group_size`` gets NaN and the status "insufficient data", never a 0.0 that reads like
  a finding (Fairlearn returns 0.0 for the FPR of a group without negatives);
- a disparity counts as *unfair* only when its bootstrap confidence interval lies wholly outside [0.8, 1.25]; one
  outside the band whose interval reaches into it is "inconclusive". A metric whose numerator is under
  ``min_expected`` both as observed and as expected at the reference rate cannot be judged ("insufficient data"):
  with a 1 % selection rate a group of 40 companies expects 0.4 selections, and its 0 or 1 says nothing.

Every metric is a ratio of counts, so the bootstrap resamples the counts: each group's cells (selected × label ×
top decile) are drawn from a multinomial with the group's own size and cell shares. That is exactly a
group-stratified bootstrap of the rows, at the cost of a few thousand draws whatever the number of rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.io import plain
from fairness.suppression import suppression_mask
from models.shortlist import tiebreak, top_k_mask

TAU = 0.8
HEADLINE: tuple[str, ...] = ("pprev", "fdr", "fpr", "fp_per_size")
#: Metrics given a disparity, with (numerator, denominator) in terms of the count columns.
RATIOS: dict[str, tuple[str, str]] = {
    "ppr": ("pp", "total_pp"),
    "pprev": ("pp", "group_size"),
    "prev": ("pos", "labelled"),
    "precision": ("tp", "pp_labelled"),
    "fdr": ("fp", "pp_labelled"),
    "fpr": ("fp", "neg"),
    "fnr": ("fn", "pos"),
    "for": ("fn", "pn_labelled"),
    "tpr": ("tp", "pos"),
    "tnr": ("tn", "neg"),
    "npv": ("tn", "pn_labelled"),
    "fp_per_size": ("fp", "group_size"),
    "top_decile_share": ("top", "group_size"),
}
DISPARITY_METRICS: tuple[str, ...] = tuple(RATIOS)
#: Ratios of two rare rates, judged by an exact conditional test rather than the bootstrap (``_exact_ratio``).
EXACT_METRICS = frozenset({"pprev", "fpr", "fp_per_size"})
LABEL_METRICS = frozenset(m for m, (num, den) in RATIOS.items() if {"pos", "neg", "fp", "tp", "fn", "tn"} & {num, den})
# cell index = selected * 6 + label_state * 2 + in_top_decile; label_state 0 negative, 1 positive, 2 unknown
N_CELLS = 12
UNKNOWN_GROUP = "unknown"  # never the reference group: "the largest group" means the largest known one
COUNT_COLUMNS = ("group_size", "pp", "pn", "tp", "fp", "tn", "fn")


class AuditError(ValueError):
    """The audit was asked something it cannot answer (bad decision rule, missing column, empty frame)."""


@dataclass(frozen=True)
class Failure:
    """One headline disparity outside the band with its whole confidence interval."""

    attribute: str
    group: str
    metric: str
    disparity: float
    lower: float
    upper: float
    reference: str

    def sentence(self) -> str:
        """Plain English for logs and refusals."""
        return (
            f"{self.attribute}={self.group}: {self.metric} disparity {self.disparity:.2f} "
            f"(95% CI {self.lower:.2f}–{self.upper:.2f}) against {self.reference}"
        )


@dataclass
class AuditResult:
    """The group table plus the settings it was computed with; ``to_json`` round-trips through ``from_json``."""

    groups: pd.DataFrame
    settings: dict[str, Any]
    distributions: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> tuple[str, ...]:
        """The measures that decide this audit (the punitive set unless the caller named others)."""
        return tuple(self.settings.get("headline", HEADLINE))

    @property
    def failures(self) -> list[Failure]:
        """Headline disparities judged unfair, for the attributes that gate."""
        out = []
        gating = self.groups[self.groups["gating"].astype(bool)]
        for r in gating.to_dict(orient="records"):
            for m in self.headline:
                if r[f"{m}_status"] == "unfair":
                    out.append(
                        Failure(
                            r["attribute_name"],
                            r["attribute_value"],
                            m,
                            r[f"{m}_disparity"],
                            r[f"{m}_disparity_lower"],
                            r[f"{m}_disparity_upper"],
                            r["reference_group"],
                        )
                    )
        return out

    @property
    def passed(self) -> bool:
        """No headline disparity of a gating attribute is unfair."""
        return not self.failures

    def rejudged(self) -> list[Failure]:
        """The failures re-derived from the stored disparities, intervals and p-values, not the stored words.

        For a reader of a stored audit (the promotion gate): a status edited by hand changes nothing. A pair
        counts when its disparity lies outside the band with the interval clear of the bound and Holm's
        procedure over the judged headline pairs rejects it; "insufficient data" and "no labels" stay unjudged.
        """
        table = self.groups.copy()
        for m in self.headline:
            d = table[f"{m}_disparity"].to_numpy(dtype=np.float64)
            lo = table[f"{m}_disparity_lower"].to_numpy(dtype=np.float64)
            hi = table[f"{m}_disparity_upper"].to_numpy(dtype=np.float64)
            unjudged = table[f"{m}_status"].isin(["insufficient data", "no labels", "reference"]).to_numpy()
            status = judge(np.where(np.isnan(d) & (lo > 1.0 / TAU), np.inf, d), lo, hi, unjudged)
            table[f"{m}_status"] = np.where(table[f"{m}_status"] == "reference", "reference", status)
        alpha = 1.0 - float(self.settings.get("confidence", 0.95))
        return AuditResult(_holm(table, alpha, self.headline), self.settings).failures

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; NaN becomes null; counts of groups too small to show are left out (null).

        The same suppression as the reports: a group under the minimum size, and the one other group that would
        give it away by subtraction, keep their rates' NaN and lose their counts, so the JSON logged to MLflow
        reveals no more than the HTML beside it.
        """
        table = self.groups.copy()
        hidden = suppression_mask(table, int(self.settings.get("min_group_size", 30))).to_numpy(dtype=bool)
        counts = [c for c in COUNT_COLUMNS if c in table]
        table[counts] = table[counts].astype(np.float64)
        table.loc[hidden, counts] = np.nan
        table["counts_suppressed"] = hidden
        rows = table.to_dict(orient="records")
        return {
            "settings": self.settings,
            "passed": self.passed,
            "failures": [f.__dict__ for f in self.failures],
            "groups": [{k: plain(v) for k, v in r.items()} for r in rows],
            "distributions": self.distributions,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The serialised audit (``allow_nan`` off: JSON has no NaN)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> AuditResult:
        """Read back what ``to_json`` wrote."""
        blob = json.loads(text)
        groups = pd.DataFrame(blob["groups"])
        words = {"attribute_name", "attribute_value", "reference_group", "status", "gating", "counts_suppressed"}
        for c in groups.columns:
            if c not in words and not c.endswith("_status"):
                groups[c] = pd.to_numeric(groups[c], errors="coerce").astype(np.float64)
        return cls(groups=groups, settings=blob["settings"], distributions=blob.get("distributions", {}))


def audit(
    frame: pd.DataFrame,
    *,
    score: str,
    label: str,
    groups: Collection[str] | Mapping[str, pd.Series],
    top_k: int | None = None,
    threshold: float | None = None,
    reference: str | Mapping[str, str] = "largest",
    min_group_size: int = 30,
    within: str | None = None,
    probability: str | None = None,
    gating: Collection[str] | None = None,
    min_expected: float = 5.0,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    headline: tuple[str, ...] = HEADLINE,
) -> AuditResult:
    """Audit the decision "on the shortlist" for every attribute in ``groups``.

    The shortlist is the ``top_k`` highest scores (per value of ``within``, e.g. per RIEC region) or every score
    at or above ``threshold``; exactly one of the two. ``label`` holds 1, 0 or NaN (unknown: counted in group
    size and selection, left out of every label metric). ``gating`` names the attributes whose failures fail
    the audit (default: all); strata such as region or sector are reported without gating.
    """
    columns = _group_columns(frame, groups)
    _check(frame, score, label, top_k, threshold, within, probability)
    selected = _selection(frame, score, top_k, threshold, within)
    top = _top_decile(frame[score].to_numpy(dtype=np.float64), _ties(frame))
    cells = _cells(selected, frame[label].to_numpy(dtype=np.float64), top)
    rng = np.random.default_rng(seed)
    gate = set(columns) if gating is None else set(gating)
    unknown_headline = [m for m in headline if m not in RATIOS]
    if unknown_headline:
        raise AuditError(f"unknown headline measure(s) {unknown_headline}; choose from {list(RATIOS)}")
    family = len(headline) * sum(len(u) - 1 for k, (_, u) in columns.items() if k in gate)
    n_boot = max(n_boot, math.ceil(2 * max(family, 1) / (1.0 - confidence)))  # p-values fine enough for Holm
    by_score = np.argsort(frame[score].to_numpy(dtype=np.float64), kind="stable")  # one sort for every summary
    tables = []
    for name, (codes, uniques) in columns.items():
        ref = reference if isinstance(reference, str) else reference.get(name, "largest")
        tables.append(
            _attribute_table(
                name,
                codes,
                uniques,
                cells,
                frame,
                score,
                probability,
                ref,
                min_group_size,
                min_expected,
                n_boot,
                confidence,
                rng,
                by_score,
            ).assign(gating=name in gate)
        )
    table = _holm(pd.concat(tables, ignore_index=True), 1.0 - confidence, headline)
    settings = {
        "decision": f"top {top_k} per {within}"
        if top_k and within
        else (f"top {top_k}" if top_k else f"score >= {threshold}"),
        "top_k": top_k,
        "threshold": threshold,
        "within": within,
        "label": label,
        "reference": reference if isinstance(reference, str) else dict(reference),
        "min_group_size": min_group_size,
        "min_expected": min_expected,
        "tau": TAU,
        "bootstrap": n_boot,
        "confidence": confidence,
        "family": "Holm over the headline parities of the gating attributes",
        "rows": len(frame),
        "selected": int(selected.sum()),
        "labelled": int(np.isfinite(frame[label].to_numpy(dtype=np.float64)).sum()),
        "headline": list(headline),
    }
    return AuditResult(table, settings, _distributions(frame, score, columns, selected, min_group_size))


def _group_columns(
    frame: pd.DataFrame, groups: Collection[str] | Mapping[str, pd.Series]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every attribute as integer codes plus its sorted group names, factorised once for the whole audit."""
    if isinstance(groups, Mapping):
        raw = {k: pd.Series(v).astype(str).to_numpy() for k, v in groups.items()}
    else:
        missing = [g for g in groups if g not in frame.columns]
        if missing:
            raise AuditError(f"group column(s) {missing} are not in the frame")
        raw = {g: frame[g].astype(str).to_numpy() for g in groups}
    if not raw:
        raise AuditError("no group attribute given")
    out = {}
    for k, v in raw.items():
        if len(v) != len(frame):
            raise AuditError(f"group '{k}' has {len(v)} values for {len(frame)} rows")
        codes, uniques = pd.factorize(v, sort=True)
        out[k] = (np.asarray(codes, dtype=np.int64), np.asarray(uniques).astype(str))
    return out


def _check(
    frame: pd.DataFrame,
    score: str,
    label: str,
    top_k: int | None,
    threshold: float | None,
    within: str | None,
    probability: str | None,
) -> None:
    if (top_k is None) == (threshold is None):
        raise AuditError("give exactly one decision rule: top_k or threshold")
    if top_k is not None and top_k < 1:
        raise AuditError(f"top_k must be at least 1, got {top_k}")
    for col in (score, label, within, probability):
        if col is not None and col not in frame.columns:
            raise AuditError(f"column '{col}' is not in the frame")
    if frame.empty:
        raise AuditError("the frame is empty")
    lab = frame[label].to_numpy(dtype=np.float64)
    bad = np.isfinite(lab) & (lab != 0) & (lab != 1)
    if bad.any():
        raise AuditError(f"'{label}' must hold 0, 1 or NaN; {int(bad.sum())} rows hold something else")


def _ties(frame: pd.DataFrame) -> np.ndarray:
    if "company_id" in frame.columns:
        return tiebreak(frame["company_id"])
    return np.arange(len(frame))


def _selection(
    frame: pd.DataFrame, score: str, top_k: int | None, threshold: float | None, within: str | None
) -> np.ndarray:
    s = frame[score].to_numpy(dtype=np.float64)
    if threshold is not None:
        return np.asarray(s >= threshold)
    assert top_k is not None
    strata = frame[within].astype(str).to_numpy() if within else np.zeros(len(frame), dtype=np.int8)
    return top_k_mask(s, strata, top_k, _ties(frame))


def _top_decile(score: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """Exactly the top tenth of all rows by score (ties broken by the fixed order)."""
    order = np.lexsort((ties, -score))
    top = np.zeros(len(score), dtype=bool)
    top[order[: math.ceil(len(score) / 10)]] = True
    return top


def _cells(selected: np.ndarray, label: np.ndarray, top: np.ndarray) -> np.ndarray:
    state = np.where(np.isfinite(label), np.nan_to_num(label), 2).astype(np.int64)
    return selected.astype(np.int64) * 6 + state * 2 + top.astype(np.int64)


def counts_to_columns(counts: np.ndarray, total_pp: np.ndarray) -> dict[str, np.ndarray]:
    """The confusion counts of each group (last axis: the 12 cells) as named arrays."""
    c = counts.reshape(*counts.shape[:-1], 2, 3, 2)
    tp, fp = c[..., 1, 1, :].sum(-1), c[..., 1, 0, :].sum(-1)
    fn, tn = c[..., 0, 1, :].sum(-1), c[..., 0, 0, :].sum(-1)
    return {
        "group_size": counts.sum(-1),
        "pp": c[..., 1, :, :].sum((-1, -2)),
        "pn": c[..., 0, :, :].sum((-1, -2)),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "pos": tp + fn,
        "neg": fp + tn,
        "labelled": tp + fp + fn + tn,
        "pp_labelled": tp + fp,
        "pn_labelled": fn + tn,
        "top": c[..., :, :, 1].sum((-1, -2)),
        "total_pp": np.broadcast_to(total_pp, tp.shape),
    }


def rates(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every ratio metric; a zero denominator gives NaN, as in Aequitas."""
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for m, (num, den) in RATIOS.items():
            d = cols[den].astype(np.float64)
            out[m] = np.where(d > 0, cols[num] / np.where(d > 0, d, 1.0), np.nan)
    return out


def _attribute_table(
    name: str,
    codes: np.ndarray,
    uniques: np.ndarray,
    cells: np.ndarray,
    frame: pd.DataFrame,
    score: str,
    probability: str | None,
    reference: str,
    min_group_size: int,
    min_expected: float,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    by_score: np.ndarray,
) -> pd.DataFrame:
    counts = np.bincount(codes * N_CELLS + cells, minlength=len(uniques) * N_CELLS).reshape(len(uniques), N_CELLS)
    cols = counts_to_columns(counts, counts[:, 6:].sum())
    point = rates(cols)
    ref = _reference_index(uniques, cols["group_size"], reference, name)
    table = pd.DataFrame({"attribute_name": name, "attribute_value": uniques.astype(str)})
    for c in ("group_size", "pp", "pn", "tp", "fp", "tn", "fn"):
        table[c] = cols[c]
    for m in DISPARITY_METRICS:
        table[m] = point[m]
    table["top_decile_excess"] = point["top_decile_share"] - 0.10
    labelled = (cells // 2) % 3 != 2
    table = table.join(_score_summary(frame, score, probability, codes, len(uniques), by_score, labelled))
    table["calibration_gap"] = table["mean_probability_labelled"] - table["prev"]
    table["reference_group"] = str(uniques[ref])
    small = cols["group_size"] < min_group_size
    table["status"] = np.where(small, "insufficient data", "ok")
    draws = _bootstrap(counts, n_boot, rng)
    alpha = (1.0 - confidence) / 2.0
    labelled = cols["labelled"].sum() > 0
    for m in DISPARITY_METRICS:
        num, den = RATIOS[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            disparity = point[m] / point[m][ref]
            boot = draws[m] / draws[m][:, ref : ref + 1]
        boot = np.where(np.isnan(boot), np.nan, np.clip(boot, 0.0, 1e6))
        if m in EXACT_METRICS:
            lower, upper, p_value = _exact_ratio(cols[num], cols[den], ref, confidence)
        else:
            lower, upper = _quantiles(boot, alpha)
            p_value = _p_values(disparity, boot)
        expected = cols[den] * point[m][ref]
        thin = (cols[num] < min_expected) & ~(expected >= min_expected)
        status = judge(disparity, lower, upper, thin)
        status[ref] = "reference"
        if m in LABEL_METRICS and not labelled:
            status[:] = "no labels"
        table[f"{m}_disparity"] = np.where(small, np.nan, disparity)
        table[f"{m}_disparity_lower"] = np.where(small, np.nan, lower)
        table[f"{m}_disparity_upper"] = np.where(small, np.nan, upper)
        table[f"{m}_p"] = np.where(small, np.nan, p_value)
        table[f"{m}_status"] = np.where(small, "insufficient data", status)
    metric_cols = [*DISPARITY_METRICS, "top_decile_excess", "mean_score", "score_p10", "score_p50", "score_p90"]
    metric_cols += ["mean_probability", "mean_probability_labelled", "calibration_gap"]
    table.loc[small, [c for c in metric_cols if c in table]] = np.nan
    return table


def _exact_ratio(
    x: np.ndarray, n: np.ndarray, ref: int, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval and p-value of a ratio of two rare rates (x / n against the reference's), exactly.

    Given the m = x + x_ref events of the group and the reference together, the group's share of them is
    binomial with chance ρn / (ρn + n_ref) for a true ratio ρ. The null "inside the band" is tested at the bound
    the observed ratio crossed, with the spread the null implies. The percentile bootstrap this replaces resampled
    around the *observed* count: a small group with 0–3 events against 8–25 expected drew an interval far too
    narrow (with 0 events, every draw is 0 and p hits its floor), so it raised false alarms of
    under-investigation in about one world in fifteen at label bias 1 (docs/fairness.md). The interval is
    Clopper–Pearson on that share, mapped back to ρ.
    """
    from scipy.stats import beta, binom  # scipy comes with scikit-learn; only the audit needs these two

    x, n = x.astype(np.float64), n.astype(np.float64)
    xr, nr = x[ref], n[ref]
    m = x + xr
    with np.errstate(divide="ignore", invalid="ignore"):
        disparity = (x / n) / (xr / nr)

        def share(rho: float) -> np.ndarray:
            return np.asarray(rho * n / (rho * n + nr))

        p = np.where(
            disparity < TAU,
            binom.cdf(x, m, share(TAU)),
            np.where(disparity > 1.0 / TAU, binom.sf(x - 1, m, share(1.0 / TAU)), 1.0),
        )
        a = (1.0 - confidence) / 2.0
        low = np.where(x > 0, beta.ppf(a, np.maximum(x, 1e-12), m - x + 1), 0.0)
        high = np.where(x < m, beta.ppf(1 - a, x + 1, np.maximum(m - x, 1e-12)), 1.0)
        lower = low * nr / ((1 - low) * n)
        upper = np.where(high < 1, high * nr / ((1 - high) * n), np.inf)
    bad = np.isnan(disparity) | (m == 0)  # 0 / 0; an infinite ratio (no reference events) is judged
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper), np.where(bad, np.nan, p)


def _p_values(disparity: np.ndarray, boot: np.ndarray) -> np.ndarray:
    """Bootstrap p-value of "the disparity lies inside the band" for each group outside it (1.0 inside).

    The share of draws on the band's side of the bound it crossed, with the usual +1 so it is never zero.
    """
    b = len(boot)
    with np.errstate(invalid="ignore"):
        above = (1 + np.sum(~(boot > 1.0 / TAU), axis=0)) / (b + 1)
        below = (1 + np.sum(~(boot < TAU), axis=0)) / (b + 1)
    return np.where(disparity > 1.0 / TAU, above, np.where(disparity < TAU, below, 1.0))


def _holm(table: pd.DataFrame, alpha: float, headline: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """Judge the headline parities of the gating attributes as one family (Holm's step-down procedure).

    Testing many groups must not raise false alarms: with some forty groups and four measures, a 95% interval
    per disparity would clear the bound somewhere by chance in most audits.

    Every judged pair (not the reference, not "insufficient data" or "no labels") is a hypothesis; an outside
    disparity stays *unfair* only when Holm's step-down procedure rejects "inside the band" at ``alpha``,
    otherwise it becomes *inconclusive*. Other measures and the strata keep the per-measure interval rule.
    """
    out = table.copy()
    gating = out["gating"].to_numpy(dtype=bool)
    pairs = [
        (i, m)
        for m in headline
        for i in np.flatnonzero(gating)
        if out.at[i, f"{m}_status"] in ("fair", "inconclusive", "unfair")
    ]
    if not pairs:
        return out
    p = {(i, m): float(out[f"{m}_p"].to_numpy(dtype=np.float64)[i]) for i, m in pairs}
    order = sorted(pairs, key=lambda im: p[im])
    rejected = set()
    for rank, pair in enumerate(order):
        if p[pair] > alpha / (len(order) - rank):
            break
        rejected.add(pair)
    for i, m in pairs:
        if out.at[i, f"{m}_status"] == "unfair" and (i, m) not in rejected:
            out.at[i, f"{m}_status"] = "inconclusive"
    return out


def _reference_index(uniques: np.ndarray, size: np.ndarray, reference: str, name: str) -> int:
    if reference == "largest":
        known = np.where(np.asarray(uniques).astype(str) == UNKNOWN_GROUP, -1, size)
        return int(np.argmax(known))
    hits = np.flatnonzero(np.asarray(uniques).astype(str) == reference)
    if not len(hits):
        raise AuditError(f"reference group '{reference}' does not occur in attribute '{name}'")
    return int(hits[0])


def _bootstrap(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Rates of ``n_boot`` group-stratified resamples; shape (n_boot, groups) per metric."""
    size = counts.sum(axis=1)
    shares = counts / np.maximum(size, 1)[:, None]
    reps = rng.multinomial(size, shares, size=(n_boot, len(size)))
    total_pp = reps[..., 6:].sum(axis=(-1, -2))[:, None]
    return rates(counts_to_columns(reps, total_pp))


def selection_interval(
    size: np.ndarray, selected: np.ndarray, ref: int, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval of every group's selection-rate disparity against group ``ref``, from counts alone.

    The same group-stratified resampling as the audit (each group's selections drawn binomially at its own
    rate), for callers such as the drift monitor that hold only counts.
    """
    rng = np.random.default_rng(seed)
    n = np.asarray(size, dtype=np.int64)
    rate = np.asarray(selected, dtype=np.float64) / np.maximum(n, 1)
    reps = rng.binomial(n, rate, size=(n_boot, len(n))) / np.maximum(n, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = reps / reps[:, ref : ref + 1]
    boot = np.where(np.isnan(boot), np.nan, np.clip(boot, 0.0, 1e6))
    return _quantiles(boot, (1.0 - confidence) / 2.0)


def _quantiles(boot: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(boot).mean(axis=0) >= 0.5
    with np.errstate(all="ignore"):
        lo = np.nanquantile(np.where(ok, boot, 0.0), alpha, axis=0)
        hi = np.nanquantile(np.where(ok, boot, 0.0), 1.0 - alpha, axis=0)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def judge(disparity: np.ndarray, lower: np.ndarray, upper: np.ndarray, thin: np.ndarray) -> np.ndarray:
    """Fair, inconclusive, unfair or insufficient data per disparity with its interval (see the module doc).

    An infinite disparity (the reference group's rate is 0, this group's is not) is judged by its interval like
    any other: it is not "insufficient data" when the group's own count is large. Thin counts are never judged,
    not even as fair.
    """
    inside = (disparity >= TAU) & (disparity <= 1.0 / TAU)
    certain = (upper < TAU) | (lower > 1.0 / TAU)
    status = np.where(inside, "fair", np.where(certain, "unfair", "inconclusive")).astype(object)
    status[np.isnan(disparity)] = "insufficient data"
    status[thin] = "insufficient data"
    return status


def _score_summary(
    frame: pd.DataFrame,
    score: str,
    probability: str | None,
    codes: np.ndarray,
    n_groups: int,
    by_score: np.ndarray,
    labelled: np.ndarray,
) -> pd.DataFrame:
    """Mean score and its p10/p50/p90 per group (linear interpolation, as pandas), with one sort for all groups."""
    s = frame[score].to_numpy(dtype=np.float64)
    n = np.bincount(codes, minlength=n_groups)
    out = pd.DataFrame(index=range(n_groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_score"] = np.bincount(codes, weights=s, minlength=n_groups) / n
    small = codes.astype(np.int16) if n_groups < 2**15 else codes
    order = by_score[np.argsort(small[by_score], kind="stable")]  # radix sort on small codes
    ordered = s[order]
    starts = np.r_[0, np.cumsum(n)[:-1]]
    for q in (10, 50, 90):
        pos = starts + q / 100 * np.maximum(n - 1, 0)
        lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
        lo, hi = np.minimum(lo, len(s) - 1), np.minimum(hi, len(s) - 1)
        value = ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - np.floor(pos))
        out[f"score_p{q}"] = np.where(n > 0, value, np.nan)
    if probability is not None:
        p = frame[probability].to_numpy(dtype=np.float64)
        known = np.bincount(codes[labelled], minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mean_probability"] = np.bincount(codes, weights=p, minlength=n_groups) / n
            # calibration compares like with like: the probability of the companies whose outcome is known
            out["mean_probability_labelled"] = (
                np.bincount(codes[labelled], weights=p[labelled], minlength=n_groups) / known
            )
    else:
        out["mean_probability"] = np.nan
        out["mean_probability_labelled"] = np.nan
    return out


def _distributions(
    frame: pd.DataFrame,
    score: str,
    columns: dict[str, tuple[np.ndarray, np.ndarray]],
    selected: np.ndarray,
    min_group_size: int,
) -> dict[str, Any]:
    """Score histograms per group on shared bins, for the report's plots; small groups are left out."""
    s = frame[score].to_numpy(dtype=np.float64)
    edges = np.unique(np.quantile(s, np.linspace(0.0, 1.0, 21)))
    cut = float(s[selected].min()) if selected.any() else None
    out: dict[str, Any] = {"score": score, "edges": [float(e) for e in edges], "shortlist_cut": cut, "groups": {}}
    nb = max(len(edges) - 1, 1)
    bins = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, nb - 1)  # last bin closed, as np.histogram
    for name, (codes, uniques) in columns.items():
        hist = np.bincount(codes * nb + bins, minlength=len(uniques) * nb).reshape(len(uniques), nb)
        out["groups"][name] = {
            str(g): [int(x) for x in hist[i]] for i, g in enumerate(uniques) if hist[i].sum() >= min_group_size
        }
    return out
