"""The view model: what the page template shows, already in words and in one language.

The template only lays out cells, tables, figures and sections; every decision about what a reader may see is
taken here, in Python, where it is typed and tested. In particular small-cell suppression is settled once per
group table (:class:`Rows`), and every count a table prints goes through :func:`count`, which knows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.text import Lang, finite, percent, pick
from fairness.audit import HEADLINE, AuditResult
from fairness.report.formats import conf, num, points, rate, ratio
from fairness.suppression import suppression_mask
from fairness.words import MEASURES, METRIC_NAMES, attribute_name, status_symbol, status_word, t

#: Columns holding exact counts: the ones small-cell suppression hides.
COUNT_COLUMNS: tuple[str, ...] = ("group_size", "pp", "pn", "tp", "fp", "tn", "fn")
#: Cross-validated AUC from which an attribute counts as carried by the indicators.
AUC_CARRIED = 0.6
#: Statuses that carry a judged disparity; the others get a marker, not a bar that would mean nothing.
DRAWN = frozenset({"fair", "inconclusive", "unfair"})


def headline(settings: Mapping[str, Any]) -> list[str]:
    """The audit's headline measures that the report can explain; one without words would be a bare id."""
    return [m for m in settings.get("headline", HEADLINE) if m in MEASURES]


# --------------------------------------------------------------------------------------------------------------------
# Small-cell suppression.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """A group table as plain records, looked up by (attribute, group), with each row's suppression settled once."""

    records: list[dict[str, Any]]
    min_size: int
    settings: Mapping[str, Any]

    @classmethod
    def of(cls, result: AuditResult) -> Rows:
        """The audit's group table with suppression decided here, once, for every table and the JSON."""
        min_size = int(result.settings.get("min_group_size", 30))
        records = [{str(k): v for k, v in r.items()} for r in result.groups.to_dict(orient="records")]
        mask = suppression_mask(result.groups, min_size).to_numpy()
        for record, hidden in zip(records, mask, strict=True):
            record["_hidden"] = bool(hidden)
            record["_small"] = (finite(record["group_size"]) or 0.0) < min_size
        return cls(records, min_size, result.settings)

    def get(self, attribute: str, group: str) -> dict[str, Any] | None:
        """One group's row, or None, which the tables show as a dash rather than fail on."""
        for r in self.records:
            if r["attribute_name"] == attribute and str(r["attribute_value"]) == group:
                return r
        return None

    def attributes(self) -> list[str]:
        """The attributes in the audit's order, which is the order the report shows them in."""
        return list(dict.fromkeys(str(r["attribute_name"]) for r in self.records))

    def of_attribute(self, attribute: str) -> list[dict[str, Any]]:
        """One attribute's rows, in the audit's order."""
        return [r for r in self.records if r["attribute_name"] == attribute]

    def gating(self) -> list[str]:
        """The attributes that can fail the audit; all of them when none is marked (nothing would be shown else)."""
        marked = [a for a in self.attributes() if any(bool(r["gating"]) for r in self.of_attribute(a))]
        return marked or self.attributes()


def count(record: Mapping[str, Any], column: str, min_size: int, lang: Lang) -> str:
    """An exact count, unless the group's counts are suppressed."""
    if record["_small"]:
        return t("suppressed", lang, n=min_size)
    if record["_hidden"]:
        return t("suppressed_complement", lang)
    return num(record[column], lang, 0)


# --------------------------------------------------------------------------------------------------------------------
# The view: everything the template shows, already in words and in one language.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One table cell: a value, an optional second line and an optional status (in words and as a style)."""

    text: str
    note: str = ""
    status: str = ""
    status_text: str = ""
    symbol: str = ""


@dataclass(frozen=True)
class Table:
    """A table whose first column holds the row headers."""

    caption: str
    head: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Plot:
    """An embedded PNG with the alt text that stands in for it."""

    data: str
    alt: str
    caption: str


@dataclass
class Section:
    """A titled part of a section: paragraphs, lists, figures and tables, shown in that order."""

    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[tuple[str, list[str]]] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    banner: str = ""
    banner_class: str = ""


def status_cell(status: str, lang: Lang, text: str = "", note: str = "") -> Cell:
    """A cell whose status is written in words, with colour (the style) and symbol only repeating it."""
    return Cell(
        text=text,
        note=note,
        status=status.replace(" ", "-"),
        status_text=status_word(status, lang),
        symbol=status_symbol(status),
    )


def _measure_cell(record: Mapping[str, Any] | None, metric: str, lang: Lang) -> Cell:
    """A headline measure for one group: its value, its disparity with interval, and the verdict in words."""
    if record is None:
        return Cell("–")
    status = str(record[f"{metric}_status"])
    if status == "reference":
        note = t("reference_cell", lang)
    elif status not in DRAWN or finite(record[f"{metric}_disparity"]) is None:
        note = ""  # a disparity the audit could not judge is not printed: a 0.00 would read like a finding
    else:
        note = t(
            "disparity_cell",
            lang,
            ratio=ratio(record[f"{metric}_disparity"], lang),
            lo=ratio(record[f"{metric}_disparity_lower"], lang),
            hi=ratio(record[f"{metric}_disparity_upper"], lang),
        )
    return status_cell(status, lang, text=rate(metric, record[metric], lang), note=note)


def _yardsticks(truth: Rows | None, lang: Lang) -> list[tuple[str, bool]]:
    """The column suffixes: labels only, or labels and ground truth."""
    if truth is None:
        return [("", False)]
    return [(f" — {t('against_labels', lang)}", False), (f" — {t('against_truth', lang)}", True)]


def disparity_table(attribute: str, obs: Rows, truth: Rows | None, measures: Sequence[str], lang: Lang) -> Table:
    """One attribute's groups with every headline measure, against labels and, where known, ground truth."""
    head = [t("group", lang), t("companies", lang), t("selected", lang), t("group_status", lang)]
    for m in measures:
        head += [pick(MEASURES[m][0], lang) + suffix for suffix, _ in _yardsticks(truth, lang)]
    rows = []
    for r in obs.of_attribute(attribute):
        group = str(r["attribute_value"])
        row = [
            Cell(group),
            Cell(count(r, "group_size", obs.min_size, lang)),
            Cell(count(r, "pp", obs.min_size, lang)),
            status_cell(str(r["status"]), lang),
        ]
        for m in measures:
            for _, is_truth in _yardsticks(truth, lang):
                source = truth.get(attribute, group) if is_truth and truth is not None else r
                row.append(_measure_cell(source, m, lang))
        rows.append(row)
    return Table(
        t("caption_disparities", lang, attribute=attribute_name(attribute, lang), conf=conf(obs.settings, lang)),
        head,
        rows,
    )


def calibration_table(attribute: str, obs: Rows, truth: Rows | None, lang: Lang) -> Table:
    """One attribute's calibration and top-decile excess: what the selection's disparities do not show."""
    head = [t("group", lang), t("mean_probability", lang), t("observed_rate", lang), t("gap", lang)]
    if truth is not None:
        head += [t("truth_rate", lang), t("gap_truth", lang)]
    head += [t("top_share", lang), t("top_excess", lang)]
    rows = []
    for r in obs.of_attribute(attribute):
        group = str(r["attribute_value"])
        row = [Cell(group), Cell(percent(r["mean_probability"], lang)), Cell(percent(r["prev"], lang))]
        row.append(Cell(points(r["calibration_gap"], lang)))
        if truth is not None:
            found = truth.get(attribute, group) or {}
            row += [Cell(percent(found.get("prev"), lang)), Cell(points(found.get("calibration_gap"), lang))]
        row += [Cell(percent(r["top_decile_share"], lang)), Cell(points(r["top_decile_excess"], lang))]
        rows.append(row)
    return Table(t("caption_calibration", lang, attribute=attribute_name(attribute, lang)), head, rows)


def full_table(rows: Rows, which: str, lang: Lang) -> Table:
    """Every group with every count (suppressed where needed) and every rate, as in Aequitas' group table."""
    counts = ("group_size", "pp", "pn", "tp", "fp", "tn", "fn")
    names = [t("companies", lang), t("selected", lang), t("not_selected", lang), "TP", "FP", "TN", "FN"]
    head = [t("group", lang), *names, *(pick(METRIC_NAMES[m], lang) for m in METRIC_NAMES)]
    head += [t("mean_score", lang), t("group_status", lang)]
    body = []
    for r in rows.records:
        label = f"{attribute_name(str(r['attribute_name']), lang)} = {r['attribute_value']}"
        row = [Cell(label), *(Cell(count(r, c, rows.min_size, lang)) for c in counts)]
        row += [Cell(rate(m, r[m], lang)) for m in METRIC_NAMES]
        row += [Cell(num(r["mean_score"], lang)), status_cell(str(r["status"]), lang)]
        body.append(row)
    return Table(t("caption_full", lang, which=which), head, body)
