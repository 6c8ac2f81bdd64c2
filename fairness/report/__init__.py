"""The oversight bias report: the audit written out for people who did not compute it.

The readers are oversight bodies (the Autoriteit Persoonsgegevens, an audit committee, a works council), not data
scientists, so the layout follows the Aequitas bias report, which such readers already know: a verdict first, then
each headline measure with "what is it / when does it matter / which groups failed", then every attribute, then the
full group table and the method. It is written twice, in Dutch and in English, from one set of facts, so that the two
versions cannot disagree; ``fairness.json`` carries the same facts for machines.

Choices made for the reader, each on purpose:

- **Both yardsticks side by side.** On synthetic data the same decision can also be audited against the ground
  truth. Labels come from past enforcement, which itself chose whom to look at, so a disparity can hide in the
  labels; showing "against labels" next to "against ground truth" makes that visible instead of asserting it.
- **Small-cell suppression.** A group smaller than the minimum size gets no exact counts anywhere in the report or
  in the JSON ("< N"). When it is the only such group of its attribute, the next smallest group's counts are
  hidden too (complementary suppression), otherwise "all companies minus the other groups" would give them away.
- **Never colour alone.** Every status is written in words; colour and a symbol only repeat it. In a figure, bars
  differ by fill as well as colour, lines by marker, and a group without a judged disparity gets a marker the
  legend names. Every figure has an alt text, in the page's language, that states what the figure shows, including
  which groups fall outside the band.
- **One figure, both languages.** Each figure is drawn once per report and embedded in both pages, so its own text
  is bilingual and its numbers avoid a decimal separator where they can (disparities as fractions, shares as
  percentages; only the AUC and log-odds axes of the proxy charts keep a decimal point). Drawing is nearly all of a
  report's cost, and a training run writes two reports.
- **Self-contained.** Figures are embedded PNGs drawn with matplotlib's Agg canvas (no pyplot state, so the report
  can be written from a server thread); there is no script, font or style sheet from elsewhere, because a report
  filed with a regulator must read the same in ten years and on a machine without network access.
- **Written atomically.** Each file goes to a temporary file in the same folder and is then renamed, so a reader
  never sees half a report.

The package is cut by job, so that the wording, the numbers, the drawing and the layout can each be read and
changed alone: :mod:`~fairness.words` holds every text in both languages (and the words the service's pages share),
:mod:`~fairness.report.formats` the numbers,
:mod:`~fairness.report.view` the view model the template lays out, :mod:`~fairness.report.figures` all matplotlib,
:mod:`~fairness.report.sections` the report's content, and :mod:`~fairness.report.page` the template
(``fairness/templates/report.html.j2``), the JSON and the files. Each imports only the ones before it. Everything
another module uses is importable from ``fairness.report`` itself.
"""

from __future__ import annotations

from core.text import LANGS
from fairness.report.figures import DPI, PLOT_RANGE
from fairness.report.page import FILES, audit_blob, render_html, write_report
from fairness.report.sections import TOP_CONTRIBUTIONS
from fairness.report.view import AUC_CARRIED, COUNT_COLUMNS, Cell, Plot, Section, Table
from fairness.suppression import suppression_mask
from fairness.words import (
    MeasureWords,
    attribute_name,
    decision_rule,
    measure_words,
    status_symbol,
    status_word,
)

__all__ = [
    "AUC_CARRIED",
    "COUNT_COLUMNS",
    "DPI",
    "FILES",
    "LANGS",
    "PLOT_RANGE",
    "TOP_CONTRIBUTIONS",
    "Cell",
    "MeasureWords",
    "Plot",
    "Section",
    "Table",
    "attribute_name",
    "audit_blob",
    "decision_rule",
    "measure_words",
    "render_html",
    "status_symbol",
    "status_word",
    "suppression_mask",
    "write_report",
]
