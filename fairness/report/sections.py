"""The report's content: its sections, in one language, from the facts every language shares.

The order follows the Aequitas bias report, which oversight readers already know: the verdict first, then each
headline measure ("what is it / when does it matter / which groups failed"), every attribute, the score
distributions, the proxy checks, the full group table and the method. The alt text and caption of every figure
are written here, in the page's language, because they hold the figure's findings; the figures themselves come
from :mod:`fairness.report.figures`, drawn once per report through the shared :class:`Facts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.text import Lang, finite, percent, pick
from fairness.audit import TAU, AuditResult, Failure
from fairness.report.figures import (
    PLOT_RANGE,
    Figures,
    clipped,
    counterfactual_figure,
    distribution_figure,
    gap_figure,
    measure_figure,
    predictability_figure,
)
from fairness.report.formats import band, conf, num, ratio
from fairness.report.view import (
    AUC_CARRIED,
    Cell,
    Plot,
    Rows,
    Section,
    Table,
    calibration_table,
    disparity_table,
    full_table,
    headline,
)
from fairness.words import MEASURES, attribute_name, both, decision_rule, indicator, indicator_both, t

#: Contributions to a score gap shown one by one; the rest share one bar, so that the bars still add up to the gap.
TOP_CONTRIBUTIONS = 8


@dataclass(frozen=True)
class Facts:
    """What every language of one report shows, worked out once: the group rows, the verdicts and the figures."""

    observed: AuditResult
    truth: AuditResult | None
    obs: Rows
    tru: Rows | None
    failures: list[Failure]
    truth_failures: list[Failure]
    figures: Figures

    @classmethod
    def of(cls, observed: AuditResult, truth: AuditResult | None) -> Facts:
        """The facts of a report against labels and, where known, ground truth; no figure is drawn yet."""
        return cls(
            observed,
            truth,
            Rows.of(observed),
            Rows.of(truth) if truth is not None else None,
            observed.failures,
            truth.failures if truth is not None else [],
            Figures(),
        )


def page_sections(facts: Facts, lang: Lang, proxies: Mapping[str, Any] | None) -> list[Section]:
    """The sections of one language's page, in the report's order; the proxy section only when there is one."""
    observed, obs, tru, figures = facts.observed, facts.obs, facts.tru, facts.figures
    sections = [
        _summary(facts, lang),
        _measures(facts, lang),
        _attributes(observed, obs, tru, lang),
        _distributions(observed, obs, lang, figures),
    ]
    if proxies and any(proxies.get(k) for k in ("predictability", "score_gap", "counterfactual", "notes")):
        sections.append(_proxies(proxies, lang, figures))
    sections += [_full(obs, tru, lang), _method(observed, lang)]
    return sections


# --------------------------------------------------------------------------------------------------------------------
# The audit's sections.
# --------------------------------------------------------------------------------------------------------------------


def _failure_text(f: Failure, settings: Mapping[str, Any], lang: Lang) -> str:
    return t(
        "failure",
        lang,
        attribute=attribute_name(f.attribute, lang),
        group=f.group,
        measure=pick(MEASURES[f.metric][0], lang) if f.metric in MEASURES else f.metric,
        ratio=ratio(f.disparity, lang),
        reference=f.reference,
        conf=conf(settings, lang),
        lo=ratio(f.lower, lang),
        hi=ratio(f.upper, lang),
    )


def _verdict(settings: Mapping[str, Any], failures: Sequence[Failure], lang: Lang) -> str:
    level, margin = conf(settings, lang), band(lang)
    if not failures:
        return t("verdict_passed", lang, conf=level, band=margin)
    return t("verdict_failed", lang, n=len(failures), conf=level, band=margin)


def _summary(facts: Facts, lang: Lang) -> Section:
    s = facts.observed.settings
    passed = not facts.failures
    section = Section("summary", t("h_summary", lang))
    section.banner = t("passed" if passed else "failed", lang)
    section.banner_class = "pass" if passed else "fail"
    section.paragraphs.append(_verdict(s, facts.failures, lang))
    if facts.truth is not None:
        truth_passed = not facts.truth_failures
        word = t("passed" if truth_passed else "failed", lang).lower()
        section.paragraphs.append(t("truth_verdict", lang, verdict=word))
        if truth_passed != passed:
            section.paragraphs.append(t("truth_differs", lang))
    section.paragraphs.append(t("decision", lang, rule=decision_rule(s, lang)))
    section.paragraphs.append(
        t(
            "counts",
            lang,
            rows=num(s.get("rows"), lang, 0),
            selected=num(s.get("selected"), lang, 0),
            labelled=num(s.get("labelled"), lang, 0),
        )
    )
    section.paragraphs.append(t("signal", lang))
    failures = [_failure_text(f, s, lang) for f in facts.failures]
    if failures:
        section.items.append((t("failures_intro", lang), failures))
    return section


def _inconclusive(rows: Rows, metric: str, lang: Lang) -> list[str]:
    out = []
    for a in rows.gating():
        for r in rows.of_attribute(a):
            if r[f"{metric}_status"] == "inconclusive":
                out.append(
                    f"{attribute_name(a, lang)} = {r['attribute_value']} ({ratio(r[f'{metric}_disparity'], lang)})"
                )
    return out


def _measure_section(metric: str, facts: Facts, lang: Lang) -> Section:
    observed, truth, obs, tru = facts.observed, facts.truth, facts.obs, facts.tru
    name, what, when = (pick(p, lang) for p in MEASURES[metric])
    section = Section(f"m-{metric}", name)
    section.items.append((t("what", lang), [what]))
    section.items.append((t("when", lang), [when]))
    verdicts = [("", observed.settings, facts.failures)]
    if truth is not None:
        verdicts.append((t("against_truth", lang), truth.settings, facts.truth_failures))
    for label, settings, failures in verdicts:
        failed = [_failure_text(f, settings, lang) for f in failures if f.metric == metric]
        heading = t("which", lang) + (f" ({label})" if label else (f" ({t('against_labels', lang)})" if truth else ""))
        section.items.append((heading, failed or [t("none_failed", lang)]))
    unsure = _inconclusive(obs, metric, lang)
    if unsure:
        section.items.append((t("inconclusive_intro", lang), unsure))
    if obs.gating() and obs.records:
        section.plots.append(_measure_plot(metric, obs, tru, observed.settings, lang, facts.figures))
    return section


def _measures(facts: Facts, lang: Lang) -> Section:
    s = facts.observed.settings
    section = Section("measures", t("h_measures", lang))
    section.paragraphs.append(
        t("disparity_explained", lang, lo=num(TAU, lang), hi=num(1.0 / TAU, lang), conf=conf(s, lang))
    )
    if facts.truth is not None:
        section.paragraphs.append(t("labels_explained", lang))
    for m in headline(s):
        section.children.append(_measure_section(m, facts, lang))
    return section


def _attributes(observed: AuditResult, obs: Rows, tru: Rows | None, lang: Lang) -> Section:
    section = Section("attributes", t("h_attributes", lang))
    section.paragraphs.append(t("calibration_explained", lang))
    measures = headline(observed.settings)
    for i, a in enumerate(obs.attributes()):
        records = obs.of_attribute(a)
        gating = any(bool(r["gating"]) for r in records)
        name = attribute_name(a, lang)
        child = Section(f"a-{i}", name if name == a else f"{name} ({a})")
        child.paragraphs.append(t("gating" if gating else "stratum", lang).capitalize() + ".")
        child.paragraphs.append(t("reference_is", lang, group=records[0]["reference_group"]))
        child.tables.append(disparity_table(a, obs, tru, measures, lang))
        child.tables.append(calibration_table(a, obs, tru, lang))
        section.children.append(child)
    return section


def _distributions(observed: AuditResult, obs: Rows, lang: Lang, figures: Figures) -> Section:
    """One figure per gating attribute; an audit without score distributions (a 0/1 decision) just says so."""
    section = Section("distributions", t("h_distributions", lang))
    for a in obs.gating():
        plot = _distribution_plot(observed.distributions or {}, a, lang, figures)
        if plot is not None:
            section.plots.append(plot)
    if section.plots:
        section.paragraphs.append(t("distribution_intro", lang, n=obs.min_size))
    else:
        section.paragraphs.append(t("no_distributions", lang))
    return section


def _full(obs: Rows, tru: Rows | None, lang: Lang) -> Section:
    section = Section("table", t("h_table", lang))
    section.paragraphs.append(t("full_intro", lang, n=obs.min_size))
    section.tables.append(full_table(obs, t("against_labels", lang), lang))
    if tru is not None:
        section.tables.append(full_table(tru, t("against_truth", lang), lang))
    return section


def _method(observed: AuditResult, lang: Lang) -> Section:
    s = observed.settings
    reference = s.get("reference", "largest")
    named = reference if isinstance(reference, str) else ", ".join(f"{k}: {v}" for k, v in reference.items())
    section = Section("method", t("h_method", lang))
    notes = [
        t("m_tau", lang, lo=num(TAU, lang), hi=num(1.0 / TAU, lang), tau=num(s.get("tau", TAU), lang, 1)),
        t("m_reference", lang, reference=named),
        t("m_bootstrap", lang, conf=conf(s, lang), n=num(s.get("bootstrap"), lang, 0)),
        t("m_min_size", lang, n=s.get("min_group_size", 30)),
        t("m_min_expected", lang, n=num(s.get("min_expected"), lang, 0)),
        t("m_labels", lang),
        t("m_gating", lang),
        t("signal", lang),
        t("m_layout", lang),
    ]
    section.items.append(("", notes))
    return section


# --- proxies --------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------------------
# Figures with their alt text and caption, in the page's language.
# --------------------------------------------------------------------------------------------------------------------


def _measure_plot(
    metric: str, obs: Rows, truth: Rows | None, settings: Mapping[str, Any], lang: Lang, figures: Figures
) -> Plot:
    keys = [(a, str(r["attribute_value"])) for a in obs.gating() for r in obs.of_attribute(a)]
    sources = [obs] if truth is None else [obs, truth]
    name = pick(MEASURES[metric][0], lang)
    failed = [
        f"{attribute_name(a, lang)} = {g} ({ratio(obs.get(a, g)[f'{metric}_disparity'], lang)})"  # type: ignore[index]
        for a, g in keys
        if _is_unfair(obs.get(a, g), metric)
    ]
    level = conf(settings, lang)
    alt = t(
        "alt_disparity",
        lang,
        measure=name,
        conf=level,
        band=band(lang),
        series=t("alt_series", lang) if truth is not None else "",
        failed="; ".join(failed) or t("alt_none", lang),
    )
    caption = t(
        "caption_disparity_figure",
        lang,
        measure=name,
        conf=level,
        band=band(lang),
        lo=num(PLOT_RANGE[0], lang),
        hi=num(PLOT_RANGE[1], lang, 0),
    )
    return Plot(
        figures.png(f"measure-{metric}", lambda: measure_figure(metric, keys, sources, headline(settings), figures)),
        alt,
        caption,
    )


def _is_unfair(record: Mapping[str, Any] | None, metric: str) -> bool:
    return record is not None and record[f"{metric}_status"] == "unfair"


def _distribution_plot(distributions: Mapping[str, Any], attribute: str, lang: Lang, figures: Figures) -> Plot | None:
    """One line per group: its share of companies in each score bin, against an even spread, with the shortlist cut.

    The audit's bins are quantiles of all scores, so each bin holds about one twentieth of all companies: a group
    whose scores are spread like everyone's runs along the even-spread line, and a pile-up at the right is visible
    at once, whereas a density on the raw score axis would squeeze the shortlist into a sliver. One axes for all
    groups of an attribute, so that they are compared on one scale.
    """
    per = (distributions.get("groups") or {}).get(attribute) or {}
    edges = np.asarray(distributions.get("edges") or [], dtype=float)
    if not per or len(edges) < 2:
        return None
    names = list(per)
    counts = np.asarray(list(per.values()), dtype=float)
    if counts.ndim != 2 or counts.shape[1] != len(edges) - 1:
        return None
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
    below = np.concatenate([[0.0], np.cumsum(overall)])  # share of all companies below each bin edge
    cut = finite(distributions.get("shortlist_cut"))
    cut_x = None if cut is None else float(np.interp(cut, edges, np.arange(len(edges)))) - 0.5
    png = figures.png(f"distribution-{attribute}", lambda: distribution_figure(names, shares, overall, below, cut_x))
    top = sorted(zip(shares[:, -1], names, strict=True), reverse=True)[:2]
    cut_text = (
        ""
        if cut_x is None
        else t("alt_cut", lang, p=percent(np.interp(cut_x + 0.5, np.arange(len(below)), below), lang, 0))
    )
    alt = t(
        "alt_distribution",
        lang,
        attribute=attribute_name(attribute, lang),
        groups=", ".join(names),
        n=len(edges) - 1,
        cut=cut_text,
        top=", ".join(f"{g} ({percent(s, lang)})" for s, g in top),
    )
    return Plot(png, alt, t("caption_distribution", lang, attribute=attribute_name(attribute, lang)))


# --------------------------------------------------------------------------------------------------------------------
# The proxy checks.
# --------------------------------------------------------------------------------------------------------------------


def _predictability(entries: Sequence[Mapping[str, Any]], lang: Lang, figures: Figures) -> Section:
    section = Section("p-predictability", t("h_predictability", lang))
    section.paragraphs.append(t("predictability_intro", lang, auc=num(AUC_CARRIED, lang, 1)))
    labels = [f"{attribute_name(str(e.get('attribute')), lang)} = {e.get('group')}" for e in entries]
    aucs = [finite(e.get("auc")) for e in entries]
    if entries:
        section.plots.append(_predictability_plot(entries, labels, aucs, lang, figures))
    head = [t("group", lang), t("auc", lang), t("reading", lang), t("top_indicators", lang)]
    rows = []
    for label, e, auc in zip(labels, entries, aucs, strict=True):
        carried = auc is not None and auc >= AUC_CARRIED
        top = ", ".join(
            f"{indicator(str(i.get('indicator')), lang)} ({num(i.get('auc'), lang)})"
            for i in e.get("top_indicators") or []
        )
        auc_text = num(auc, lang) + (f" ± {num(e.get('auc_std'), lang)}" if finite(e.get("auc_std")) else "")
        reading = t("carried" if carried else "not_carried", lang)
        rows.append(
            [
                Cell(label),
                Cell(auc_text),
                Cell(reading, status="unfair" if carried else "fair", status_text="", symbol="!" if carried else ""),
                Cell(top),
            ]
        )
    section.tables.append(Table(t("caption_predictability", lang), head, rows))
    return section


def _predictability_plot(
    entries: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    aucs: Sequence[float | None],
    lang: Lang,
    figures: Figures,
) -> Plot:
    values = np.array([a if a is not None else np.nan for a in aucs])
    carried = values >= AUC_CARRIED
    names = [lab for lab, c in zip(labels, carried, strict=True) if c]
    alt = t(
        "alt_predictability",
        lang,
        n=len(labels),
        auc=num(AUC_CARRIED, lang, 1),
        carried=", ".join(names) or t("alt_none", lang),
    )
    return Plot(
        figures.png("predictability", lambda: predictability_figure(entries, values, carried)),
        alt,
        t("caption_predictability", lang),
    )


def _top_contributions(contributions: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, float]], float, int]:
    """The largest contributions by size, and the rest summed, so that the bars still add up to the gap."""
    pairs = [(str(c.get("indicator")), finite(c.get("contribution")) or 0.0) for c in contributions]
    pairs.sort(key=lambda p: abs(p[1]), reverse=True)
    top, rest = pairs[:TOP_CONTRIBUTIONS], pairs[TOP_CONTRIBUTIONS:]
    return top, float(sum(v for _, v in rest)), len(rest)


def _gap_section(i: int, entry: Mapping[str, Any], lang: Lang, figures: Figures) -> Section:
    attribute = attribute_name(str(entry.get("attribute")), lang)
    group, reference = str(entry.get("group")), str(entry.get("reference"))
    section = Section(f"p-gap-{i}", t("h_gap_pair", lang, attribute=attribute, group=group, reference=reference))
    gap = finite(entry.get("gap"))
    section.paragraphs.append(t("gap_total", lang, gap=num(gap, lang, 3)))
    top, rest, n_rest = _top_contributions(entry.get("contributions") or [])
    rows_data = [(indicator(k, lang), v) for k, v in top]
    if n_rest:
        rows_data.append((t("others", lang, n=n_rest), rest))
    if rows_data:
        figure_rows = [(indicator_both(k), v) for k, v in top]
        if n_rest:
            figure_rows.append((both(lambda lang: t("others", lang, n=n_rest), width=0), rest))
        png = figures.png(f"gap-{i}", lambda: gap_figure(figure_rows))
        top_text = f"{rows_data[0][0]} ({num(rows_data[0][1], lang, 3)})"
        alt = t("alt_gap", lang, gap=num(gap, lang, 3), group=group, reference=reference, top=top_text)
        section.plots.append(Plot(png, alt, t("caption_gap", lang, k=TOP_CONTRIBUTIONS)))
    head = [t("indicator", lang), t("contribution", lang), t("share_of_gap", lang)]
    rows = [
        [Cell(name), _direction_cell(v, lang), Cell(percent(v / gap, lang) if gap else "–")] for name, v in rows_data
    ]
    rows.append([Cell(t("total", lang)), Cell(num(gap, lang, 3)), Cell(percent(1.0, lang) if gap else "–")])
    section.tables.append(Table(t("caption_gap", lang, k=TOP_CONTRIBUTIONS), head, rows))
    return section


def _direction_cell(value: float, lang: Lang) -> Cell:
    word = t("raises" if value > 0 else "lowers", lang)
    return Cell(f"{'+' if value > 0 else ''}{num(value, lang, 3)}", note=word)


def _counterfactual(entries: Sequence[Mapping[str, Any]], lang: Lang, figures: Figures) -> Section:
    section = Section("p-counterfactual", t("h_counterfactual", lang))
    section.paragraphs.append(t("counterfactual_intro", lang))
    labels = [
        f"{indicator(str(e.get('indicator')), lang)}: {attribute_name(str(e.get('attribute')), lang)} = "
        f"{e.get('group')} / {e.get('reference')}"
        for e in entries
    ]
    if entries:
        section.plots.append(_counterfactual_plot(labels, entries, lang, figures))
    head = [
        t("indicator", lang),
        t("rate_before", lang),
        t("rate_after", lang),
        t("disparity_before", lang),
        t("disparity_after", lang),
        t("after_status", lang),
    ]
    rows = []
    for label, e in zip(labels, entries, strict=True):
        after = finite(e.get("disparity_after"))
        inside = after is not None and TAU <= after <= 1.0 / TAU
        status = Cell(
            t("in_band" if inside else "out_band", lang),
            status="fair" if inside else "unfair",
            symbol="✓" if inside else "✗",
        )
        rows.append(
            [
                Cell(label),
                Cell(percent(e.get("selection_rate_before"), lang)),
                Cell(percent(e.get("selection_rate_after"), lang)),
                Cell(ratio(e.get("disparity_before"), lang)),
                Cell(ratio(e.get("disparity_after"), lang)),
                status,
            ]
        )
    section.tables.append(Table(t("caption_counterfactual", lang), head, rows))
    return section


def _counterfactual_plot(
    labels: Sequence[str], entries: Sequence[Mapping[str, Any]], lang: Lang, figures: Figures
) -> Plot:
    before = np.array([clipped(e.get("disparity_before")) for e in entries])
    after = np.array([clipped(e.get("disparity_after")) for e in entries])
    shift = np.abs(np.log(after) - np.log(before))
    top = labels[int(np.nanargmax(shift))] if np.isfinite(shift).any() else t("alt_none", lang)
    alt = t("alt_counterfactual", lang, n=len(labels), band=band(lang), top=top)
    return Plot(
        figures.png("counterfactual", lambda: counterfactual_figure(entries, before, after)),
        alt,
        t("caption_counterfactual", lang),
    )


def _proxies(proxies: Mapping[str, Any], lang: Lang, figures: Figures) -> Section:
    section = Section("proxies", t("h_proxies", lang))
    section.paragraphs.append(t("proxies_intro", lang))
    if proxies.get("predictability"):
        section.children.append(_predictability(proxies["predictability"], lang, figures))
    if proxies.get("score_gap"):
        gaps = Section("p-gaps", t("h_score_gap", lang), paragraphs=[t("score_gap_intro", lang)])
        gaps.children = [_gap_section(i, e, lang, figures) for i, e in enumerate(proxies["score_gap"])]
        section.children.append(gaps)
    if proxies.get("counterfactual"):
        section.children.append(_counterfactual(proxies["counterfactual"], lang, figures))
    if proxies.get("notes"):
        section.children.append(
            Section("p-notes", t("h_notes", lang), items=[("", [str(n) for n in proxies["notes"]])])
        )
    return section
