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
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MultipleLocator, PercentFormatter
from matplotlib.transforms import ScaledTranslation
from PIL import Image

from core.io import plain, write_text_atomic
from core.text import Lang, finite, number, percent
from fairness.audit import HEADLINE, TAU, AuditResult, Failure
from fairness.suppression import suppression_mask
from features.catalogue import BY_ID

_Built = TypeVar("_Built")
LANGS: tuple[Lang, ...] = ("nl", "en")
FILES: dict[str, str] = {"nl": "fairness_nl.html", "en": "fairness_en.html", "json": "fairness.json"}
#: Columns holding exact counts: the ones small-cell suppression hides.
COUNT_COLUMNS: tuple[str, ...] = ("group_size", "pp", "pn", "tp", "fp", "tn", "fn")
#: Cross-validated AUC from which an attribute counts as carried by the indicators.
AUC_CARRIED = 0.6
TOP_CONTRIBUTIONS = 8
#: Disparities are drawn on this range of the log axis; anything further out sits at the edge.
PLOT_RANGE = (0.05, 20.0)

_LABELS_COLOUR = "#1f4e79"
_TRUTH_COLOUR = "#a34700"
_BAND_COLOUR = "#2e7d32"
_UP_COLOUR = "#8b1a1a"
_DOWN_COLOUR = "#1f4e79"

# --------------------------------------------------------------------------------------------------------------------
# Words. One table per kind of text, (Dutch, English), so a missing translation is a KeyError in the tests.
# --------------------------------------------------------------------------------------------------------------------

_T: dict[str, tuple[str, str]] = {
    "title": ("Biasaudit van de risicoshortlist", "Bias audit of the risk shortlist"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "contents": ("Inhoud", "Contents"),
    "other_lang": ("English", "Nederlands"),
    "context": ("Gegevens van deze audit", "About this audit"),
    "h_summary": ("1. Samenvatting", "1. Summary"),
    "h_measures": ("2. De vier hoofdmaten", "2. The four headline measures"),
    "h_attributes": ("3. Per kenmerk", "3. Per attribute"),
    "h_distributions": ("4. Verdeling van de scores per groep", "4. Score distributions by group"),
    "h_proxies": ("5. Kenmerken via omwegen (proxies)", "5. Attributes by the back door (proxies)"),
    "h_table": ("6. De volledige groepentabel", "6. The full group table"),
    "h_method": ("7. Methode", "7. Method"),
    "passed": ("GESLAAGD", "PASSED"),
    "failed": ("NIET GESLAAGD", "FAILED"),
    "verdict_passed": (
        "Geen groep van een gevoelig kenmerk wordt op een hoofdmaat oneerlijk behandeld: bij geen enkele groep ligt "
        "het hele {conf}-betrouwbaarheidsinterval buiten de marge {band}.",
        "No group of a sensitive attribute is treated unfairly on a headline measure: for no group does the whole "
        "{conf} confidence interval lie outside the band {band}.",
    ),
    "verdict_failed": (
        "Op {n} punt(en) wordt een groep van een gevoelig kenmerk oneerlijk behandeld: het hele "
        "{conf}-betrouwbaarheidsinterval ligt buiten de marge {band}.",
        "On {n} point(s) a group of a sensitive attribute is treated unfairly: the whole {conf} confidence interval "
        "lies outside the band {band}.",
    ),
    "truth_verdict": (
        "Tegen de werkelijke uitkomst (alleen bij synthetische gegevens bekend): {verdict}.",
        "Against the ground truth (known for synthetic data only): {verdict}.",
    ),
    "truth_differs": (
        "De twee oordelen verschillen. De labels komen uit eerdere handhaving, die zelf bepaalde wie er werd "
        "onderzocht; wat de labels laten zien is dus niet vanzelf wat er werkelijk gebeurt.",
        "The two verdicts differ. The labels come from past enforcement, which itself chose whom to investigate; what "
        "the labels show is therefore not by itself what really happens.",
    ),
    "decision": (
        "Beoordeelde beslissing: op de shortlist komen, dat wil zeggen {rule}.",
        "Decision audited: being placed on the shortlist, that is {rule}.",
    ),
    "rule_top_within": ("de {k} hoogste scores per {within}", "the {k} highest scores per {within}"),
    "rule_top": ("de {k} hoogste scores", "the {k} highest scores"),
    "rule_threshold": ("een score van {t} of hoger", "a score of {t} or higher"),
    "signal": (
        "Een score is een signaal voor menselijke beoordeling, geen bevinding. Een bedrijf op de shortlist heeft niets "
        "misdaan zolang een mens dat niet heeft vastgesteld.",
        "A score is a signal for human review, not a finding. A company on the shortlist has done nothing wrong until "
        "a person has established otherwise.",
    ),
    "counts": (
        "{rows} bedrijven kregen een score; {selected} staan op de shortlist; van {labelled} is de uitkomst bekend "
        "(een label).",
        "{rows} companies were scored; {selected} are on the shortlist; {labelled} have a known outcome (a label).",
    ),
    "failures_intro": ("Deze groepen vielen af:", "These groups failed:"),
    "failure": (
        "{attribute} = {group}, {measure}: {ratio} keer de referentiegroep ({reference}), {conf}-interval {lo} tot "
        "{hi}",
        "{attribute} = {group}, {measure}: {ratio} times the reference group ({reference}), {conf} interval {lo} to "
        "{hi}",
    ),
    "against_labels": ("tegen de labels", "against labels"),
    "against_truth": ("tegen de werkelijke uitkomst", "against ground truth"),
    "what": ("Wat is het?", "What is it?"),
    "when": ("Wanneer doet het ertoe?", "When does it matter?"),
    "which": ("Welke groepen vielen af?", "Which groups failed?"),
    "none_failed": ("Geen.", "None."),
    "inconclusive_intro": (
        "Onzeker (buiten de marge, maar het interval reikt tot in de marge; meer gegevens nodig):",
        "Inconclusive (outside the band, but the interval reaches into it; more data needed):",
    ),
    "disparity_explained": (
        "Een verhouding (disparity) is de waarde van een groep gedeeld door die van de referentiegroep: 1 is gelijk. "
        "Tussen {lo} en {hi} geldt als eerlijk. Een groep valt af als het hele {conf}-interval buiten die marge ligt.",
        "A disparity is a group's value divided by the reference group's: 1 means equal. Between {lo} and {hi} counts "
        "as fair. A group fails when its whole {conf} interval lies outside that band.",
    ),
    "labels_explained": (
        "'Tegen de labels' meet tegen wat handhaving tot nu toe vond; 'tegen de werkelijke uitkomst' meet tegen wat er "
        "in de synthetische wereld echt aan de hand is.",
        "'Against labels' measures against what enforcement has found so far; 'against ground truth' measures against "
        "what is really the case in the synthetic world.",
    ),
    "gating": ("gevoelig kenmerk: kan de audit laten zakken", "sensitive attribute: can fail the audit"),
    "stratum": (
        "indeling (regio of sector): ter informatie, laat de audit niet zakken",
        "stratum (region or sector): shown for context, does not fail the audit",
    ),
    "reference_is": ("Referentiegroep: {group}.", "Reference group: {group}."),
    "group": ("Groep", "Group"),
    "attribute": ("Kenmerk", "Attribute"),
    "companies": ("Bedrijven", "Companies"),
    "selected": ("Geselecteerd", "Selected"),
    "not_selected": ("Niet geselecteerd", "Not selected"),
    "group_status": ("Groepsstatus", "Group status"),
    "ok": ("voldoende gegevens", "enough data"),
    "caption_disparities": (
        "{attribute}: de vier hoofdmaten per groep, met verhouding tot de referentiegroep, {conf}-interval en oordeel.",
        "{attribute}: the four headline measures per group, with the disparity against the reference group, the {conf} "
        "interval and the verdict.",
    ),
    "caption_calibration": (
        "{attribute}: kalibratie (voorspelde kans tegenover het waargenomen aandeel) en het extra aandeel in het "
        "hoogste risicodeciel.",
        "{attribute}: calibration (predicted probability against the observed rate) and the excess share in the top "
        "risk decile.",
    ),
    "mean_probability": ("Gemiddelde voorspelde kans", "Mean predicted probability"),
    "observed_rate": ("Waargenomen aandeel (labels)", "Observed rate (labels)"),
    "truth_rate": ("Aandeel in werkelijkheid", "Rate in ground truth"),
    "gap": ("Verschil", "Gap"),
    "gap_truth": ("Verschil met werkelijkheid", "Gap to ground truth"),
    "top_share": ("Aandeel in hoogste deciel", "Share in top decile"),
    "top_excess": ("Extra aandeel (boven 10%)", "Excess share (above 10%)"),
    "calibration_explained": (
        "Kalibratie: als het model goed gekalibreerd is, ligt de gemiddelde voorspelde kans dicht bij het waargenomen "
        "aandeel. Het extra aandeel in het hoogste deciel (Lighthouse Reports) is het deel van de groep bij de 10% "
        "hoogste scores min 10%: bij een gelijke verdeling is het 0.",
        "Calibration: for a well-calibrated model the mean predicted probability is close to the observed rate. The "
        "excess share in the top decile (after Lighthouse Reports) is the group's share among the 10% highest scores "
        "minus 10%: it is 0 when the scores are spread evenly.",
    ),
    "suppressed": ("< {n}", "< {n}"),
    "suppressed_complement": ("verborgen", "hidden"),
    "per_thousand": ("{v} per 1.000", "{v} per 1,000"),
    "disparity_cell": ("verhouding {ratio} ({lo} tot {hi})", "disparity {ratio} ({lo} to {hi})"),
    "reference_cell": ("referentie", "reference"),
    "distribution_intro": (
        "Alle bedrijven zijn op score gerangschikt en in klassen van ongeveer een twintigste verdeeld, van de laagste "
        "naar de hoogste score. Elke lijn met symbolen is een groep: het deel van die groep dat in elke klasse valt. "
        "De brede grijze lijn is het aandeel dat een groep bij een gelijke verdeling zou hebben; de stippellijn is de "
        "laagste score op de shortlist. Een groep die rechts boven de grijze lijn uitkomt, staat vaker bovenaan. "
        "Groepen kleiner dan {n} zijn weggelaten.",
        "All companies are ranked by score and split into bins of about one twentieth each, from the lowest to the "
        "highest score. Each line with markers is a group: the share of that group that falls in each bin. The wide "
        "grey line is the share a group would have if its scores were spread like everyone's; the dashed line is the "
        "lowest score on the shortlist. A group that rises above the grey line on the right is more often at the top. "
        "Groups smaller than {n} are left out.",
    ),
    "caption_distribution": ("{attribute}: scoreverdeling per groep.", "{attribute}: score distribution by group."),
    "points": ("procentpunt", "pp"),
    "no_distributions": (
        "Voor deze audit zijn geen scoreverdelingen beschikbaar.",
        "There are no score distributions for this audit.",
    ),
    "even_spread": ("gelijke verdeling", "even spread"),
    "shortlist_cut": ("laagste score op shortlist", "lowest score on shortlist"),
    "score_axis": (
        "alle bedrijven op score gerangschikt (laag → hoog)",
        "all companies ranked by score (low → high)",
    ),
    "share_axis": ("aandeel van de groep", "share of the group"),
    "alt_distribution": (
        "Lijndiagram van de scoreverdeling per groep van {attribute} ({groups}): per groep het aandeel in elk van {n} "
        "scoreklassen van laag naar hoog, vergeleken met een gelijke verdeling{cut}. Groepen met het grootste aandeel "
        "in de hoogste klasse: {top}.",
        "Line chart of the score distribution for each group of {attribute} ({groups}): each group's share in each of "
        "{n} score bins from low to high, against an even spread{cut}. Groups with the largest share in the highest "
        "bin: {top}.",
    ),
    "alt_cut": (
        ", met de laagste score op de shortlist gemarkeerd (hoger dan ongeveer {p} van alle bedrijven)",
        ", with the lowest score on the shortlist marked (above about {p} of all companies)",
    ),
    "alt_disparity": (
        "Staafdiagram, logaritmische schaal: verhouding van {measure} per groep tot de referentiegroep, met "
        "{conf}-intervallen en de marge {band} gearceerd{series}. Buiten de marge met het hele interval: {failed}.",
        "Bar chart, log scale: {measure} disparity of each group against its reference group, with {conf} intervals "
        "and the band {band} shaded{series}. Wholly outside the band: {failed}.",
    ),
    "alt_series": (", tegen de labels en tegen de werkelijke uitkomst", ", against labels and against ground truth"),
    "alt_none": ("geen groep", "no group"),
    "band": ("marge {band}", "band {band}"),
    "reference_marker": ("referentiegroep", "reference group"),
    "disparity_axis": (
        "verhouding tot de referentiegroep (log-schaal)",
        "disparity against reference group (log scale)",
    ),
    "caption_disparity_figure": (
        "{measure}: verhouding per groep tot de referentiegroep. De strepen zijn {conf}-intervallen; de groene band is "
        "de marge {band}. Waarden buiten {lo} tot {hi} staan aan de rand.",
        "{measure}: disparity of each group against its reference group. Whiskers are {conf} intervals; the green band "
        "is {band}. Values beyond {lo} to {hi} are drawn at the edge.",
    ),
    "no_rows": ("Geen groepen om te tonen.", "No groups to show."),
    "proxies_intro": (
        "Een model dat geen gevoelig kenmerk leest, kan het toch via andere indicatoren benaderen. Deze toetsen laten "
        "zien hoe sterk dat gebeurt.",
        "A model that reads no sensitive attribute can still approximate one through other indicators. These checks "
        "show how strongly that happens.",
    ),
    "h_predictability": (
        "Hoe goed de indicatoren een kenmerk voorspellen",
        "How well the indicators predict an attribute",
    ),
    "predictability_intro": (
        "Per groep: hoe goed een model de groep kan herkennen uit alleen de indicatoren (AUC, kruisgevalideerd; 0,5 is "
        "gokken). Vanaf {auc} lezen we dat als 'het kenmerk zit in de indicatoren'.",
        "Per group: how well a model recognises the group from the indicators alone (AUC, cross-validated; 0.5 is a "
        "coin toss). From {auc} on we read it as 'the attribute is carried by the indicators'.",
    ),
    "auc": ("AUC", "AUC"),
    "reading": ("Lezing", "Reading"),
    "carried": ("zit in de indicatoren", "carried by the indicators"),
    "not_carried": ("nauwelijks te herkennen", "hardly recognisable"),
    "top_indicators": ("Sterkste proxy-indicatoren (AUC)", "Strongest proxy indicators (AUC)"),
    "caption_predictability": (
        "Voorspelbaarheid van elk kenmerk uit de indicatoren.",
        "Predictability of each attribute from the indicators.",
    ),
    "alt_predictability": (
        "Staafdiagram van de AUC per groep ({n} groepen) met 0,5 (gokken) en {auc} gemarkeerd. Boven {auc}: {carried}.",
        "Bar chart of the AUC per group ({n} groups) with 0.5 (chance) and {auc} marked. Above {auc}: {carried}.",
    ),
    "chance": ("gokken", "chance"),
    "h_score_gap": ("Waar het scoreverschil vandaan komt", "Where the score gap comes from"),
    "score_gap_intro": (
        "Het gemiddelde verschil in ruwe score (log-odds) tussen een groep en de referentiegroep, exact opgesplitst in "
        "de bijdrage van elke indicator (SHAP-waarden tellen op tot de score). Een positieve bijdrage duwt de score "
        "van de groep omhoog.",
        "The mean raw-score gap (log-odds) between a group and the reference group, split exactly into each "
        "indicator's contribution (SHAP values add up to the score). A positive contribution pushes the group's "
        "score up.",
    ),
    "h_gap_pair": ("{attribute} = {group} tegenover {reference}", "{attribute} = {group} against {reference}"),
    "gap_total": ("Totaal verschil: {gap}.", "Total gap: {gap}."),
    "indicator": ("Indicator", "Indicator"),
    "contribution": ("Bijdrage", "Contribution"),
    "share_of_gap": ("Deel van het verschil", "Share of the gap"),
    "others": ("overige {n} indicatoren", "other {n} indicators"),
    "total": ("totaal", "total"),
    "raises": ("verhoogt", "raises"),
    "lowers": ("verlaagt", "lowers"),
    "contribution_axis": ("bijdrage aan het scoreverschil (log-odds)", "contribution to the score gap (log-odds)"),
    "caption_gap": (
        "De {k} grootste bijdragen aan het scoreverschil; de rest samen in één staaf.",
        "The {k} largest contributions to the score gap; the rest together in one bar.",
    ),
    "alt_gap": (
        "Liggend staafdiagram van de bijdragen aan het scoreverschil {gap} tussen {group} en {reference}. Grootste "
        "bijdrage: {top}.",
        "Horizontal bar chart of the contributions to the score gap {gap} between {group} and {reference}. Largest "
        "contribution: {top}.",
    ),
    "h_counterfactual": ("Wat als een indicator wegvalt", "What if an indicator is taken away"),
    "counterfactual_intro": (
        "Per indicator: de selectiekans en de verhouding tot de referentiegroep vóór en na het neutraliseren van die "
        "indicator (onmogelijke combinaties uitgesloten).",
        "Per indicator: the selection rate and the disparity against the reference group before and after "
        "neutralising that indicator (impossible combinations excluded).",
    ),
    "rate_before": ("Selectiekans vóór", "Selection rate before"),
    "rate_after": ("Selectiekans na", "Selection rate after"),
    "disparity_before": ("Verhouding vóór", "Disparity before"),
    "disparity_after": ("Verhouding na", "Disparity after"),
    "after_status": ("Oordeel na", "Verdict after"),
    "in_band": ("binnen de marge", "within the band"),
    "out_band": ("buiten de marge", "outside the band"),
    "caption_counterfactual": (
        "Verhouding vóór (open cirkel) en na (gevulde cirkel) het neutraliseren van een indicator.",
        "Disparity before (open circle) and after (filled circle) neutralising an indicator.",
    ),
    "alt_counterfactual": (
        "Diagram van de verhouding vóór en na het neutraliseren van {n} indicator(en), logaritmische schaal, marge "
        "{band} gearceerd. Grootste verschuiving: {top}.",
        "Chart of the disparity before and after neutralising {n} indicator(s), log scale, band {band} shaded. Largest "
        "shift: {top}.",
    ),
    "before": ("vóór", "before"),
    "after": ("na", "after"),
    "h_notes": ("Opmerkingen", "Notes"),
    "caption_full": ("Alle groepen, {which}.", "All groups, {which}."),
    "full_intro": (
        "Aantallen van groepen kleiner dan {n} staan er als '< {n}'; is zo'n groep de enige kleine van haar kenmerk, "
        "dan is ook de volgende kleinste groep 'verborgen', zodat niemand het aantal kan terugrekenen.",
        "Counts of groups smaller than {n} read '< {n}'; when such a group is the only small one of its attribute, the "
        "next smallest group is 'hidden' too, so that no one can work the count out by subtraction.",
    ),
    "mean_score": ("Gemiddelde score", "Mean score"),
    "m_tau": (
        "Marge: een groep is eerlijk behandeld als de verhouding tot de referentiegroep tussen {lo} en {hi} ligt "
        "(tau = {tau}, de vuistregel van vier vijfde).",
        "Band: a group is treated fairly when its disparity against the reference group lies between {lo} and {hi} "
        "(tau = {tau}, the four-fifths rule).",
    ),
    "m_reference": (
        "Referentiegroep: de grootste groep van elk kenmerk, tenzij een andere is genoemd ({reference}).",
        "Reference group: the largest group of each attribute unless another is named ({reference}).",
    ),
    "m_bootstrap": (
        "Onzekerheid: {conf}-intervallen uit {n} bootstrap-trekkingen per groep. 'Oneerlijk' alleen als het hele "
        "interval buiten de marge ligt; anders 'onzeker'.",
        "Uncertainty: {conf} intervals from {n} bootstrap draws within each group. 'Unfair' only when the whole "
        "interval lies outside the band; otherwise 'inconclusive'.",
    ),
    "m_min_size": (
        "Minimale groepsgrootte: {n}. Kleinere groepen krijgen 'onvoldoende gegevens' en geen cijfers, nooit een 0 die "
        "als uitkomst leest; hun aantallen worden niet getoond.",
        "Minimum group size: {n}. Smaller groups get 'insufficient data' and no figures, never a 0 that reads like a "
        "finding; their counts are not shown.",
    ),
    "m_min_expected": (
        "Minimaal verwacht aantal: {n}. Een maat waarvan de teller zowel waargenomen als verwacht onder {n} blijft, "
        "kan niet worden beoordeeld ('onvoldoende gegevens').",
        "Minimum expected count: {n}. A measure whose numerator stays under {n} both as observed and as expected "
        "cannot be judged ('insufficient data').",
    ),
    "m_labels": (
        "Labels: een onbekende uitkomst telt mee in groepsgrootte en selectie, maar niet in de maten die labels nodig "
        "hebben. Labels komen uit eerdere handhaving en kunnen zelf scheef zijn.",
        "Labels: an unknown outcome counts in group size and selection but not in the measures that need labels. "
        "Labels come from past enforcement and may themselves be skewed.",
    ),
    "m_gating": (
        "Alleen gevoelige kenmerken en hun combinaties kunnen de audit laten zakken; regio en sector worden getoond "
        "om verschillen te kunnen verklaren.",
        "Only sensitive attributes and their intersections can fail the audit; region and sector are shown to help "
        "explain differences.",
    ),
    "m_layout": (
        "Opzet naar het Aequitas-biasrapport (fairness tree voor bestraffende interventies).",
        "Layout after the Aequitas bias report (fairness tree for punitive interventions).",
    ),
}

#: (name, what is it, when does it matter) per headline measure.
_MEASURES: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    "pprev": (
        ("Selectiekans", "Selection rate"),
        (
            "Het deel van de bedrijven van een groep dat op de shortlist komt.",
            "The share of a group's companies that lands on the shortlist.",
        ),
        (
            "Altijd. Elk bedrijf op de shortlist wordt door een onderzoeker bekeken, of er nu iets mis is of niet. Een "
            "groep die vaker wordt geselecteerd, draagt meer van die inbreuk. Deze maat heeft geen labels nodig.",
            "Always. Every company on the shortlist is looked into by an investigator, whether or not anything is "
            "wrong. A group that is selected more often bears more of that intrusion. This measure needs no labels.",
        ),
    ),
    "fdr": (
        ("Aandeel onterecht geselecteerd (FDR)", "False discovery rate (FDR)"),
        (
            "Van de geselecteerde bedrijven van een groep: het deel zonder bekende misstand.",
            "Of a group's companies on the shortlist: the share with no known wrongdoing.",
        ),
        (
            "Als de shortlist tot een ingreep leidt. Onterecht geselecteerd worden is dan de schade. Een hogere FDR "
            "betekent dat een geselecteerd bedrijf uit deze groep vaker onschuldig is.",
            "When the shortlist leads to an intervention. Being wrongly selected is then the harm. A higher FDR means "
            "that a selected company from this group is more often innocent.",
        ),
    ),
    "fpr": (
        ("Kans op onterechte selectie (FPR)", "False positive rate (FPR)"),
        (
            "Van de bedrijven van een groep zonder bekende misstand: het deel dat toch geselecteerd wordt.",
            "Of a group's companies with no known wrongdoing: the share that is selected nonetheless.",
        ),
        (
            "Als de kans van een bedrijf dat niets misdoet om toch doelwit te worden niet van zijn groep mag afhangen.",
            "When the chance of a company that does nothing wrong to be targeted anyway must not depend on its group.",
        ),
    ),
    "fp_per_size": (
        ("Onterecht geselecteerd per groepsgrootte", "False positives per group size"),
        (
            "Het aantal onterecht geselecteerde bedrijven gedeeld door de grootte van de groep.",
            "The number of wrongly selected companies divided by the size of the group.",
        ),
        (
            "Als de last van onterechte selecties voor een gemeenschap als geheel telt, bijvoorbeeld een kleine groep "
            "die keer op keer onterecht wordt uitgekozen.",
            "When the burden of wrong selections on a community as a whole counts, for example a small group that is "
            "wrongly picked out again and again.",
        ),
    ),
}

#: Short column names for every rate in the group table.
_METRIC_NAMES: dict[str, tuple[str, str]] = {
    "pprev": ("Selectiekans", "Selection rate"),
    "prev": ("Prevalentie", "Prevalence"),
    "precision": ("Precisie", "Precision"),
    "fdr": ("FDR", "FDR"),
    "fpr": ("FPR", "FPR"),
    "fnr": ("FNR", "FNR"),
    "for": ("FOR", "FOR"),
    "fp_per_size": ("Onterecht per 1.000", "False positives per 1,000"),
    "top_decile_share": ("Aandeel hoogste deciel", "Top-decile share"),
}

_STATUS: dict[str, tuple[str, str, str]] = {  # symbol, Dutch, English
    "reference": ("=", "referentie", "reference"),
    "fair": ("✓", "eerlijk", "fair"),
    "inconclusive": ("?", "onzeker", "inconclusive"),
    "unfair": ("✗", "oneerlijk", "unfair"),
    "insufficient data": ("–", "onvoldoende gegevens", "insufficient data"),
    "no labels": ("–", "geen labels", "no labels"),
    "ok": ("", "voldoende gegevens", "enough data"),
}

_ATTRIBUTE_NAMES: dict[str, tuple[str, str]] = {
    # Each is the lead officer's (fairness.groups): the one longest in office, never "the youngest" or "any".
    "migration_background": ("Migratieachtergrond hoofdbestuurder", "Lead officer's migration background"),
    "gender": ("Geslacht hoofdbestuurder", "Lead officer's gender"),
    "age_group": ("Leeftijd hoofdbestuurder", "Lead officer's age"),
    "neighbourhood_ses": ("Sociaaleconomische status van de buurt", "Neighbourhood socio-economic status"),
    "riec_region": ("RIEC-regio", "RIEC region"),
    "sbi_section": ("Sector (SBI-sectie)", "Sector (SBI section)"),
}


def _t(key: str, lang: Lang, **values: object) -> str:
    """One text in one language, with its blanks filled."""
    nl, en = _T[key]
    text = nl if lang == "nl" else en
    return text.format(**values) if values else text


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "nl" else pair[1]


def _status_word(status: str, lang: Lang) -> str:
    _, nl, en = _STATUS.get(status, ("", status, status))
    return nl if lang == "nl" else en


def _attribute_name(name: str, lang: Lang) -> str:
    """A readable name; an intersection ``a+b`` reads "A × B". Unknown attributes keep their own name."""
    if "+" in name:
        return " × ".join(_attribute_name(part, lang) for part in name.split("+"))
    pair = _ATTRIBUTE_NAMES.get(name)
    return _pick(pair, lang) if pair else name


# --------------------------------------------------------------------------------------------------------------------
# Numbers. Dutch swaps the decimal comma and the thousands point; a missing value is a dash, never a 0.
# --------------------------------------------------------------------------------------------------------------------


def _num(value: Any, lang: Lang, digits: int = 2) -> str:
    return number(value, lang, digits)


def _pct(value: Any, lang: Lang, digits: int = 1) -> str:
    return percent(value, lang, digits)


def _points(value: Any, lang: Lang) -> str:
    """A difference of two rates in percentage points, signed, with a real minus sign."""
    f = finite(value)
    if f is None:
        return "–"
    sign = "+" if f > 0 else ("−" if f < 0 else "")
    return f"{sign}{_num(abs(100.0 * f), lang, 1)} {_t('points', lang)}"


def _ratio(value: Any, lang: Lang) -> str:
    """A disparity or a bound: two decimals, with the bootstrap's clipped extremes shown as bounds."""
    f = finite(value)
    if f is None:
        return "–"
    if f > 100:
        return "> 100"
    if 0 < f < 0.01:
        return f"< {_num(0.01, lang)}"
    return _num(f, lang)


def _rate(metric: str, value: Any, lang: Lang) -> str:
    """A metric's own value as a reader knows it: a percentage, or false positives per 1,000 companies."""
    if metric == "fp_per_size":
        f = finite(value)
        return "–" if f is None else _t("per_thousand", lang, v=_num(1000.0 * f, lang, 1))
    return _pct(value, lang)


def _band(lang: Lang) -> str:
    return f"{_num(TAU, lang)}–{_num(1.0 / TAU, lang)}"


def _conf(settings: Mapping[str, Any], lang: Lang) -> str:
    return _pct(settings.get("confidence", 0.95), lang, 0)


# --------------------------------------------------------------------------------------------------------------------
# Small-cell suppression.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """A group table as plain records, looked up by (attribute, group), with each row's suppression settled once."""

    records: list[dict[str, Any]]
    min_size: int
    settings: Mapping[str, Any]

    @classmethod
    def of(cls, result: AuditResult) -> _Rows:
        min_size = int(result.settings.get("min_group_size", 30))
        records = [{str(k): v for k, v in r.items()} for r in result.groups.to_dict(orient="records")]
        mask = suppression_mask(result.groups, min_size).to_numpy()
        for record, hidden in zip(records, mask, strict=True):
            record["_hidden"] = bool(hidden)
            record["_small"] = (finite(record["group_size"]) or 0.0) < min_size
        return cls(records, min_size, result.settings)

    def get(self, attribute: str, group: str) -> dict[str, Any] | None:
        for r in self.records:
            if r["attribute_name"] == attribute and str(r["attribute_value"]) == group:
                return r
        return None

    def attributes(self) -> list[str]:
        return list(dict.fromkeys(str(r["attribute_name"]) for r in self.records))

    def of_attribute(self, attribute: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["attribute_name"] == attribute]

    def gating(self) -> list[str]:
        """The attributes that can fail the audit; all of them when none is marked (nothing would be shown else)."""
        marked = [a for a in self.attributes() if any(bool(r["gating"]) for r in self.of_attribute(a))]
        return marked or self.attributes()


def _count(record: Mapping[str, Any], column: str, min_size: int, lang: Lang) -> str:
    """An exact count, unless the group's counts are suppressed."""
    if record["_small"]:
        return _t("suppressed", lang, n=min_size)
    if record["_hidden"]:
        return _t("suppressed_complement", lang)
    return _num(record[column], lang, 0)


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


def _status_cell(status: str, lang: Lang, text: str = "", note: str = "") -> Cell:
    symbol = _STATUS.get(status, ("",))[0]
    return Cell(
        text=text, note=note, status=status.replace(" ", "-"), status_text=_status_word(status, lang), symbol=symbol
    )


def _measure_cell(record: Mapping[str, Any] | None, metric: str, lang: Lang) -> Cell:
    """A headline measure for one group: its value, its disparity with interval, and the verdict in words."""
    if record is None:
        return Cell("–")
    status = str(record[f"{metric}_status"])
    if status == "reference":
        note = _t("reference_cell", lang)
    elif status not in _DRAWN or finite(record[f"{metric}_disparity"]) is None:
        note = ""  # a disparity the audit could not judge is not printed: a 0.00 would read like a finding
    else:
        note = _t(
            "disparity_cell",
            lang,
            ratio=_ratio(record[f"{metric}_disparity"], lang),
            lo=_ratio(record[f"{metric}_disparity_lower"], lang),
            hi=_ratio(record[f"{metric}_disparity_upper"], lang),
        )
    return _status_cell(status, lang, text=_rate(metric, record[metric], lang), note=note)


def _yardsticks(truth: _Rows | None, lang: Lang) -> list[tuple[str, bool]]:
    """The column suffixes: labels only, or labels and ground truth."""
    if truth is None:
        return [("", False)]
    return [(f" — {_t('against_labels', lang)}", False), (f" — {_t('against_truth', lang)}", True)]


def _disparity_table(attribute: str, obs: _Rows, truth: _Rows | None, headline: Sequence[str], lang: Lang) -> Table:
    head = [_t("group", lang), _t("companies", lang), _t("selected", lang), _t("group_status", lang)]
    for m in headline:
        head += [_pick(_MEASURES[m][0], lang) + suffix for suffix, _ in _yardsticks(truth, lang)]
    rows = []
    for r in obs.of_attribute(attribute):
        group = str(r["attribute_value"])
        row = [
            Cell(group),
            Cell(_count(r, "group_size", obs.min_size, lang)),
            Cell(_count(r, "pp", obs.min_size, lang)),
            _status_cell(str(r["status"]), lang),
        ]
        for m in headline:
            for _, is_truth in _yardsticks(truth, lang):
                source = truth.get(attribute, group) if is_truth and truth is not None else r
                row.append(_measure_cell(source, m, lang))
        rows.append(row)
    return Table(
        _t("caption_disparities", lang, attribute=_attribute_name(attribute, lang), conf=_conf(obs.settings, lang)),
        head,
        rows,
    )


def _calibration_table(attribute: str, obs: _Rows, truth: _Rows | None, lang: Lang) -> Table:
    head = [_t("group", lang), _t("mean_probability", lang), _t("observed_rate", lang), _t("gap", lang)]
    if truth is not None:
        head += [_t("truth_rate", lang), _t("gap_truth", lang)]
    head += [_t("top_share", lang), _t("top_excess", lang)]
    rows = []
    for r in obs.of_attribute(attribute):
        group = str(r["attribute_value"])
        row = [Cell(group), Cell(_pct(r["mean_probability"], lang)), Cell(_pct(r["prev"], lang))]
        row.append(Cell(_points(r["calibration_gap"], lang)))
        if truth is not None:
            t = truth.get(attribute, group) or {}
            row += [Cell(_pct(t.get("prev"), lang)), Cell(_points(t.get("calibration_gap"), lang))]
        row += [Cell(_pct(r["top_decile_share"], lang)), Cell(_points(r["top_decile_excess"], lang))]
        rows.append(row)
    return Table(_t("caption_calibration", lang, attribute=_attribute_name(attribute, lang)), head, rows)


def _full_table(rows: _Rows, which: str, lang: Lang) -> Table:
    """Every group with every count (suppressed where needed) and every rate, as in Aequitas' group table."""
    counts = ("group_size", "pp", "pn", "tp", "fp", "tn", "fn")
    names = [_t("companies", lang), _t("selected", lang), _t("not_selected", lang), "TP", "FP", "TN", "FN"]
    head = [_t("group", lang), *names, *(_pick(_METRIC_NAMES[m], lang) for m in _METRIC_NAMES)]
    head += [_t("mean_score", lang), _t("group_status", lang)]
    body = []
    for r in rows.records:
        label = f"{_attribute_name(str(r['attribute_name']), lang)} = {r['attribute_value']}"
        row = [Cell(label), *(Cell(_count(r, c, rows.min_size, lang)) for c in counts)]
        row += [Cell(_rate(m, r[m], lang)) for m in _METRIC_NAMES]
        row += [Cell(_num(r["mean_score"], lang)), _status_cell(str(r["status"]), lang)]
        body.append(row)
    return Table(_t("caption_full", lang, which=which), head, body)


# --------------------------------------------------------------------------------------------------------------------
# Figures. Drawn on a bare matplotlib Figure (the Agg canvas), never through pyplot's global state.
#
# Each figure is drawn once per report and embedded in both pages, so a figure's own text is bilingual ("Dutch /
# English", or one language per line where that does not fit) and its numbers avoid a decimal separator where the
# quantity allows: disparities as fractions (1⁄2, 2), shares and percentiles as whole percentages. The alt text
# and the caption, which hold the figure's findings, stay in the page's language. Margins are fixed from what is
# drawn (rows, the widest tick label, the legend) instead of a constrained layout, which cost most of the time.
# --------------------------------------------------------------------------------------------------------------------

DPI = 80
_WIDTH = 7.5  # inches, every figure
_FONT = 8.0  # tick labels, legends, axis labels
_HEAD_FONT = 7.5  # the attribute headings inside a figure
_LINE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00", "#000000")  # Okabe–Ito
_MARKERS = "osD^vPX*<>ph"


class _Figures:
    """The report's figures as base64 PNG, each drawn on first use and then shared by every language."""

    def __init__(self) -> None:
        self._png: dict[str, str] = {}
        self._shared: dict[str, Any] = {}

    def png(self, key: str, draw: Callable[[], Figure]) -> str:
        """The figure ``key`` of this report; ``draw`` is called only the first time."""
        if key not in self._png:
            self._png[key] = _png(draw())
        return self._png[key]

    def shared(self, key: str, build: Callable[[], _Built]) -> _Built:
        """Something several figures of this report are drawn from, built on first use."""
        if key not in self._shared:
            self._shared[key] = build()
        built: _Built = self._shared[key]
        return built


def _png(fig: Figure) -> str:
    """The figure as base64 PNG with a palette of 256 colours; no metadata, so the same audit gives the same bytes.

    A chart has a handful of colours and their anti-aliased blends, which a palette holds without visible loss; the
    file is a third of a full-colour one and much cheaper to compress, which for a tall chart took a third of the
    time of drawing it.
    """
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=DPI)
    width, height = fig.canvas.get_width_height(physical=True)
    pixels = raw.getvalue()
    if len(pixels) != 4 * width * height:  # pragma: no cover - the Agg canvas draws at the figure's size
        raise RuntimeError(f"unexpected raster size for a {width}x{height} figure")
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, format="png")
    return base64.b64encode(out.getvalue()).decode("ascii")


def _both(text: Callable[[Lang], str], width: int = 80) -> str:
    """A figure text in both languages: "Dutch / English" when that fits in ``width`` characters, else two lines."""
    nl, en = text("nl"), text("en")
    if nl == en:
        return nl
    one = f"{nl} / {en}"
    return one if len(one) <= width else f"{nl}\n{en}"


def _tt(key: str, width: int = 80) -> str:
    """A text from the table, in both languages, for a figure."""
    return _both(lambda lang: _t(key, lang), width)


def _fraction(value: float) -> str:
    """A ratio without a decimal separator, so that one figure reads the same in Dutch and English: 0.5 is 1⁄2."""
    f = Fraction(value).limit_denominator(20)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}⁄{f.denominator}"


def _text_width(texts: Sequence[str], size: float = _FONT) -> float:
    """The widest line of ``texts`` in inches, measured with the font matplotlib will draw it in."""
    return max((_line_width(line, size) for text in texts for line in text.split("\n") if line), default=0.0)


@functools.lru_cache(maxsize=4096)
def _line_width(line: str, size: float) -> float:
    """One line's width in inches; the same labels recur in every figure of a report."""
    width = text_to_path.get_text_width_height_descent(line, FontProperties(size=size), ismath=False)[0]
    return float(width) / 72.0


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _layout(fig: Figure, ax: Axes, axes_height: float, left: float, xlabel: str, legend: Legend | None) -> None:
    """Fixed margins, in inches, from what is known before drawing: no constrained layout, no second draw.

    The axes get ``axes_height``; the left margin fits the row labels; below the axes come the x tick labels,
    the x label and the legend, whose height is measured (a legend's size does not depend on the figure's).
    """
    legend_height = 0.0
    if legend is not None:
        legend_height = legend.get_window_extent().height / fig.dpi
    top, right = 0.12, 0.3
    bottom = 0.28 + 0.16 * _lines(xlabel) + 0.08 + legend_height + 0.06
    height = top + axes_height + bottom
    fig.set_size_inches(_WIDTH, height)
    fig.subplots_adjust(left=left / _WIDTH, right=1.0 - right / _WIDTH, top=1.0 - top / height, bottom=bottom / height)
    ax.set_xlabel(xlabel, fontsize=_FONT)
    ax.tick_params(labelsize=_FONT)


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(_WIDTH, 4.0), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _legend(fig: Figure, handles: Sequence[Artist], ncols: int) -> Legend:
    return fig.legend(
        handles=list(handles), loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=ncols, fontsize=_FONT, frameon=False
    )


def _tint(colour: str) -> str:
    """A pale version of ``colour``: the fill of an open bar."""
    r, g, b = (0.2 * c + 0.8 for c in to_rgb(colour))
    return to_hex((r, g, b))


def _solid(colour: str) -> dict[str, Any]:
    """The first kind of bar in a chart: filled. The second is open, so that colour is never the only cue."""
    return {"facecolor": colour, "edgecolor": colour, "linewidth": 0.8}


def _open(colour: str) -> dict[str, Any]:
    """The second kind of bar: pale with a dark outline (a hatch, the usual cue, took a third of a chart's drawing)."""
    return {"facecolor": _tint(colour), "edgecolor": colour, "linewidth": 1.3}


def _hbars(
    ax: Axes, y: np.ndarray, start: np.ndarray | float, end: np.ndarray, height: float, style: Mapping[str, Any]
) -> None:
    """Horizontal bars from ``start`` to ``end`` as one collection: one artist and one draw call, not one per bar."""
    y = np.asarray(y, dtype=float)
    end = np.asarray(end, dtype=float)
    begin = np.broadcast_to(np.asarray(start, dtype=float), y.shape)
    keep = np.isfinite(y) & np.isfinite(begin) & np.isfinite(end)
    y, begin, end = y[keep], begin[keep], end[keep]
    if not len(y):
        return
    low, high = y - height / 2.0, y + height / 2.0
    corners = [(begin, low), (end, low), (end, high), (begin, high)]
    verts = np.stack([np.column_stack(c) for c in corners], axis=1)
    ax.add_collection(PolyCollection(list(verts), closed=True, **style), autolim=True)


def _swatch(style: Mapping[str, Any], label: str) -> Patch:
    """A legend entry for bars of ``style``."""
    return Patch(label=label, **style)


def _rows(kinds: Sequence[str], row: float, head: float = 0.34, pad: float = 0.06) -> tuple[np.ndarray, float]:
    """Centre of each row, top to bottom, in inches below the top of the axes (a heading row has its own height)."""
    heights = np.array([head if k == "head" else row for k in kinds], dtype=float)
    edges = pad + np.concatenate([[0.0], np.cumsum(heights)])
    return edges[:-1] + heights / 2.0, float(edges[-1]) + pad


def _rows_axis(ax: Axes, rows: Sequence[tuple[str, str]], row: float) -> tuple[np.ndarray, float, float]:
    """Rows of a horizontal chart whose y unit is the inch: group rows get a label, heading rows a bold line.

    The labels are plain texts left of the axes rather than tick labels: a tick is five artists, and creating and
    drawing them took more time than the bars. Returns the centre of each group row, the axes height and the left
    margin that fits the labels.
    """
    centres, total = _rows([k for k, _ in rows], row)
    groups = [i for i, (k, _) in enumerate(rows) if k != "head"]
    labels = [rows[i][1] for i in groups]
    ax.set_yticks([])
    ax.set_ylim(total, 0.0)
    beside = ax.get_yaxis_transform() + ScaledTranslation(-4.0 / 72.0, 0.0, ax.figure.dpi_scale_trans)
    for y, (kind, text) in zip(centres, rows, strict=True):
        if kind != "head":
            ax.text(0.0, y, text, transform=beside, ha="right", va="center", fontsize=_FONT)
        else:
            ax.text(
                0.005,
                y,
                text,
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=_HEAD_FONT,
                fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )
    return centres[groups], total, max(_text_width(labels) + 0.3, 0.5)


def _headed(items: Sequence[tuple[str, str]], heading: Callable[[str], str]) -> list[tuple[str, str]]:
    """(kind, text) rows: a heading row before each run of items with the same key, then the items themselves."""
    rows: list[tuple[str, str]] = []
    last: str | None = None
    for key, label in items:
        if key != last:
            rows.append(("head", heading(key)))
            last = key
        rows.append(("item", label))
    return rows


@dataclass(frozen=True)
class _Bar:
    value: float | None
    lower: float | None
    upper: float | None
    status: str


#: Statuses that carry a judged disparity; the others get a marker, not a bar that would mean nothing.
_DRAWN = frozenset({"fair", "inconclusive", "unfair"})


def _bar(record: Mapping[str, Any] | None, metric: str) -> _Bar:
    if record is None:
        return _Bar(None, None, None, "insufficient data")
    return _Bar(
        finite(record[f"{metric}_disparity"]),
        finite(record[f"{metric}_disparity_lower"]),
        finite(record[f"{metric}_disparity_upper"]),
        str(record[f"{metric}_status"]),
    )


def _clip(value: float) -> float:
    return min(max(value, PLOT_RANGE[0]), PLOT_RANGE[1])


def _log_axis(ax: Axes) -> None:
    """A log disparity axis with the fairness band shaded and fractions as tick labels (no decimal separator)."""
    ax.set_xscale("log")
    ax.set_xlim(*PLOT_RANGE)
    ax.axvspan(TAU, 1.0 / TAU, color=_BAND_COLOUR, alpha=0.18)
    ax.axvline(1.0, color="#333333", linewidth=0.8)
    ticks = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0]
    ax.set_xticks(ticks, [_fraction(t) for t in ticks])
    ax.minorticks_off()


def _band_handle() -> Patch:
    label = f"{_both(lambda lang: _t('band', lang, band='').strip())} {_fraction(TAU)}–{_fraction(1.0 / TAU)}"
    return Patch(facecolor=_BAND_COLOUR, alpha=0.18, label=label)


#: How a group without a bar is marked on the parity line, (marker, face colour, size), in legend order.
_UNJUDGED: dict[str, tuple[str, str, float]] = {
    "reference": ("D", "#111111", 5.0),
    "insufficient data": ("o", "none", 5.5),
    "no labels": ("s", "none", 5.0),
}


def _status_both(status: str) -> str:
    return _both(lambda lang: _status_word(status, lang))


def _unjudged(bar: _Bar) -> bool:
    """No bar to draw: the reference group, or a status without a judged disparity."""
    return bar.status not in _DRAWN or bar.value is None


def _unjudged_handle(status: str) -> Line2D:
    marker, face, size = _UNJUDGED.get(status, ("X", "#555555", 5.5))
    label = _tt("reference_marker", 40) if status == "reference" else _status_both(status)
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=face,
        markeredgecolor="#111111",
        label=label,
    )


_PITCH = 0.16  # inches per bar in a disparity chart


class _DisparityChart:
    """The headline measures' disparity charts of one report: the same rows for every measure, different bars.

    Rows, headings, the log axis with its band and the legend are the same for every measure, and they are nearly
    all of the drawing (matplotlib renders text glyph by glyph), so they are drawn once, into a raster. Each
    measure's figure is that raster with the measure's bars, whiskers and markers laid over it on an axes in the
    same place: it looks drawn in one go and costs a fraction. The legend names every kind of marker any measure
    uses. A group without a judged disparity gets a marker on the parity line instead of a bar, and the legend says
    what it means (words beside every such group would cost a text each, in two languages).
    """

    def __init__(
        self, rows: Sequence[tuple[str, str]], series: Sequence[tuple[str, Mapping[str, Any]]], statuses: Set[str]
    ) -> None:
        self.styles = [style for _, style in series]
        fig, ax = _figure()
        _log_axis(ax)
        self.centres, total, left = _rows_axis(ax, rows, _PITCH * len(series) + 0.07)
        handles: list[Artist] = [_band_handle(), *(_swatch(style, name) for name, style in series)]
        handles += [_unjudged_handle(s) for s in sorted(statuses, key=_unjudged_order)]
        _layout(fig, ax, total, left, _tt("disparity_axis"), _legend(fig, handles, 2))
        canvas: Any = FigureCanvasAgg(fig)  # the Agg backend has no type stubs
        canvas.draw()
        self.raster = np.array(canvas.buffer_rgba())
        self.size = (float(fig.get_figwidth()), float(fig.get_figheight()))
        self.position = ax.get_position()
        self.ylim = ax.get_ylim()

    def figure(self, series: Sequence[Sequence[_Bar]]) -> Figure:
        """One measure's chart: the raster, and over it one bar per group for each yardstick in ``series``."""
        fig = Figure(figsize=self.size, dpi=DPI)
        FigureCanvasAgg(fig)
        fig.figimage(self.raster, origin="upper", interpolation="nearest", zorder=-1)
        ax = fig.add_axes(self.position.bounds)
        ax.set_axis_off()
        ax.set_xscale("log")
        ax.set_xlim(*PLOT_RANGE)
        ax.set_ylim(*self.ylim)
        k = len(series)
        unjudged: dict[str, list[float]] = {}
        for j, (bars, style) in enumerate(zip(series, self.styles, strict=True)):
            ys = self.centres + (j - (k - 1) / 2.0) * _PITCH
            at, value, wy, wv, lo, hi = [], [], [], [], [], []
            for y, b in zip(ys, bars, strict=True):
                if _unjudged(b) or b.value is None:  # (the second test only for the type checker)
                    unjudged.setdefault(b.status, []).append(float(y))
                    continue
                at.append(y)
                value.append(_clip(b.value))
                if b.lower is not None and b.upper is not None:
                    wy.append(y)
                    wv.append(value[-1])
                    lo.append(_clip(b.lower))
                    hi.append(_clip(b.upper))
            _hbars(ax, np.array(at), 1.0, np.array(value), _PITCH * 0.85, style)
            if wy:
                err = np.vstack([np.maximum(np.subtract(wv, lo), 0.0), np.maximum(np.subtract(hi, wv), 0.0)])
                ax.errorbar(wv, wy, xerr=err, fmt="none", ecolor="#111111", capsize=2, linewidth=0.9)
        for status, ys_ in unjudged.items():
            handle = _unjudged_handle(status)
            ax.plot(
                np.ones(len(ys_)),
                ys_,
                linestyle="none",
                marker=handle.get_marker(),
                markersize=handle.get_markersize(),
                markerfacecolor=handle.get_markerfacecolor(),
                markeredgecolor=handle.get_markeredgecolor(),
            )
        return fig


def _unjudged_order(status: str) -> tuple[int, str]:
    return (list(_UNJUDGED).index(status) if status in _UNJUDGED else len(_UNJUDGED), status)


def _measure_plot(
    metric: str, obs: _Rows, truth: _Rows | None, settings: Mapping[str, Any], lang: Lang, figures: _Figures
) -> Plot:
    keys = [(a, str(r["attribute_value"])) for a in obs.gating() for r in obs.of_attribute(a)]
    sources = [obs] if truth is None else [obs, truth]

    def bars(rows: _Rows, m: str) -> list[_Bar]:
        return [_bar(rows.get(a, g), m) for a, g in keys]

    def chart() -> _DisparityChart:
        rows = _headed(keys, lambda a: _both(lambda lang: _attribute_name(a, lang)))
        series = [(_tt("against_labels"), _solid(_LABELS_COLOUR))]
        if truth is not None:
            series.append((_tt("against_truth"), _open(_TRUTH_COLOUR)))
        statuses = {b.status for m in _headline(settings) for r in sources for b in bars(r, m) if _unjudged(b)}
        return _DisparityChart(rows, series, statuses)

    def draw() -> Figure:
        return figures.shared("disparity-chart", chart).figure([bars(r, metric) for r in sources])

    name = _pick(_MEASURES[metric][0], lang)
    failed = [
        f"{_attribute_name(a, lang)} = {g} ({_ratio(obs.get(a, g)[f'{metric}_disparity'], lang)})"  # type: ignore[index]
        for a, g in keys
        if _is_unfair(obs.get(a, g), metric)
    ]
    conf = _conf(settings, lang)
    alt = _t(
        "alt_disparity",
        lang,
        measure=name,
        conf=conf,
        band=_band(lang),
        series=_t("alt_series", lang) if truth is not None else "",
        failed="; ".join(failed) or _t("alt_none", lang),
    )
    caption = _t(
        "caption_disparity_figure",
        lang,
        measure=name,
        conf=conf,
        band=_band(lang),
        lo=_num(PLOT_RANGE[0], lang),
        hi=_num(PLOT_RANGE[1], lang, 0),
    )
    return Plot(figures.png(f"measure-{metric}", draw), alt, caption)


def _is_unfair(record: Mapping[str, Any] | None, metric: str) -> bool:
    return record is not None and record[f"{metric}_status"] == "unfair"


def _distribution_plot(distributions: Mapping[str, Any], attribute: str, lang: Lang, figures: _Figures) -> Plot | None:
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
    png = figures.png(f"distribution-{attribute}", lambda: _distribution_figure(names, shares, overall, below, cut_x))
    top = sorted(zip(shares[:, -1], names, strict=True), reverse=True)[:2]
    cut_text = (
        ""
        if cut_x is None
        else _t("alt_cut", lang, p=_pct(np.interp(cut_x + 0.5, np.arange(len(below)), below), lang, 0))
    )
    alt = _t(
        "alt_distribution",
        lang,
        attribute=_attribute_name(attribute, lang),
        groups=", ".join(names),
        n=len(edges) - 1,
        cut=cut_text,
        top=", ".join(f"{g} ({_pct(s, lang)})" for s, g in top),
    )
    return Plot(png, alt, _t("caption_distribution", lang, attribute=_attribute_name(attribute, lang)))


def _distribution_figure(
    names: Sequence[str], shares: np.ndarray, overall: np.ndarray, below: np.ndarray, cut_x: float | None
) -> Figure:
    fig, ax = _figure()
    x = np.arange(shares.shape[1])
    handles: list[Artist] = []
    (even,) = ax.plot(x, overall, color="#9a9a9a", linewidth=4.0, solid_capstyle="butt", label=_tt("even_spread", 36))
    handles.append(even)
    if cut_x is not None:
        handles.append(
            ax.axvline(cut_x, color="#111111", linestyle="--", linewidth=1.0, label=_tt("shortlist_cut", 36))
        )
    for i, name in enumerate(names):
        (line,) = ax.plot(
            x,
            shares[i],
            color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=4,
            linewidth=1.2,
            label=name,
        )
        handles.append(line)
    ax.set_xlim(-0.5, len(x) - 0.5)
    # ticks at the bin edges nearest to 0, 25, 50, 75 and 100% of all companies, labelled with their true share
    at = sorted({int(np.argmin(np.abs(below - q))) for q in (0.0, 0.25, 0.5, 0.75, 1.0)})
    ax.set_xticks([i - 0.5 for i in at], [f"{round(100.0 * below[i])}%" for i in at])
    peak = float(max(shares.max(), overall.max(), 0.01))
    step = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2) if peak / s <= 6), 0.25)
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0.0, peak * 1.08)
    ylabel = _tt("share_axis", 30)
    ax.set_ylabel(ylabel, fontsize=_FONT)
    left = _text_width([f"{round(100 * peak)}%"]) + 0.2 + 0.16 * _lines(ylabel) + 0.1
    _layout(fig, ax, 2.6, left, _tt("score_axis"), _legend(fig, handles, 3))
    return fig


# --------------------------------------------------------------------------------------------------------------------
# Sections.
# --------------------------------------------------------------------------------------------------------------------


def _rule(settings: Mapping[str, Any], lang: Lang) -> str:
    """The decision in words, rebuilt from the settings so that it reads in the report's language."""
    top_k, within, threshold = settings.get("top_k"), settings.get("within"), settings.get("threshold")
    if top_k and within:
        return _t("rule_top_within", lang, k=top_k, within=_attribute_name(str(within), lang))
    if top_k:
        return _t("rule_top", lang, k=top_k)
    if threshold is not None:
        return _t("rule_threshold", lang, t=_num(threshold, lang, 3))
    return str(settings.get("decision", "?"))


def _failure_text(f: Failure, settings: Mapping[str, Any], lang: Lang) -> str:
    return _t(
        "failure",
        lang,
        attribute=_attribute_name(f.attribute, lang),
        group=f.group,
        measure=_pick(_MEASURES[f.metric][0], lang) if f.metric in _MEASURES else f.metric,
        ratio=_ratio(f.disparity, lang),
        reference=f.reference,
        conf=_conf(settings, lang),
        lo=_ratio(f.lower, lang),
        hi=_ratio(f.upper, lang),
    )


def _verdict(settings: Mapping[str, Any], failures: Sequence[Failure], lang: Lang) -> str:
    conf, band = _conf(settings, lang), _band(lang)
    if not failures:
        return _t("verdict_passed", lang, conf=conf, band=band)
    return _t("verdict_failed", lang, n=len(failures), conf=conf, band=band)


def _summary(facts: _Facts, lang: Lang) -> Section:
    s = facts.observed.settings
    passed = not facts.failures
    section = Section("summary", _t("h_summary", lang))
    section.banner = _t("passed" if passed else "failed", lang)
    section.banner_class = "pass" if passed else "fail"
    section.paragraphs.append(_verdict(s, facts.failures, lang))
    if facts.truth is not None:
        truth_passed = not facts.truth_failures
        word = _t("passed" if truth_passed else "failed", lang).lower()
        section.paragraphs.append(_t("truth_verdict", lang, verdict=word))
        if truth_passed != passed:
            section.paragraphs.append(_t("truth_differs", lang))
    section.paragraphs.append(_t("decision", lang, rule=_rule(s, lang)))
    section.paragraphs.append(
        _t(
            "counts",
            lang,
            rows=_num(s.get("rows"), lang, 0),
            selected=_num(s.get("selected"), lang, 0),
            labelled=_num(s.get("labelled"), lang, 0),
        )
    )
    section.paragraphs.append(_t("signal", lang))
    failures = [_failure_text(f, s, lang) for f in facts.failures]
    if failures:
        section.items.append((_t("failures_intro", lang), failures))
    return section


def _inconclusive(rows: _Rows, metric: str, lang: Lang) -> list[str]:
    out = []
    for a in rows.gating():
        for r in rows.of_attribute(a):
            if r[f"{metric}_status"] == "inconclusive":
                out.append(
                    f"{_attribute_name(a, lang)} = {r['attribute_value']} ({_ratio(r[f'{metric}_disparity'], lang)})"
                )
    return out


def _measure_section(metric: str, facts: _Facts, lang: Lang) -> Section:
    observed, truth, obs, tru = facts.observed, facts.truth, facts.obs, facts.tru
    name, what, when = (_pick(p, lang) for p in _MEASURES[metric])
    section = Section(f"m-{metric}", name)
    section.items.append((_t("what", lang), [what]))
    section.items.append((_t("when", lang), [when]))
    verdicts = [("", observed.settings, facts.failures)]
    if truth is not None:
        verdicts.append((_t("against_truth", lang), truth.settings, facts.truth_failures))
    for label, settings, failures in verdicts:
        failed = [_failure_text(f, settings, lang) for f in failures if f.metric == metric]
        heading = _t("which", lang) + (
            f" ({label})" if label else (f" ({_t('against_labels', lang)})" if truth else "")
        )
        section.items.append((heading, failed or [_t("none_failed", lang)]))
    unsure = _inconclusive(obs, metric, lang)
    if unsure:
        section.items.append((_t("inconclusive_intro", lang), unsure))
    if obs.gating() and obs.records:
        section.plots.append(_measure_plot(metric, obs, tru, observed.settings, lang, facts.figures))
    return section


def _measures(facts: _Facts, lang: Lang) -> Section:
    s = facts.observed.settings
    section = Section("measures", _t("h_measures", lang))
    section.paragraphs.append(
        _t("disparity_explained", lang, lo=_num(TAU, lang), hi=_num(1.0 / TAU, lang), conf=_conf(s, lang))
    )
    if facts.truth is not None:
        section.paragraphs.append(_t("labels_explained", lang))
    for m in _headline(s):
        section.children.append(_measure_section(m, facts, lang))
    return section


def _headline(settings: Mapping[str, Any]) -> list[str]:
    return [m for m in settings.get("headline", HEADLINE) if m in _MEASURES]


def _attributes(observed: AuditResult, obs: _Rows, tru: _Rows | None, lang: Lang) -> Section:
    section = Section("attributes", _t("h_attributes", lang))
    section.paragraphs.append(_t("calibration_explained", lang))
    headline = _headline(observed.settings)
    for i, a in enumerate(obs.attributes()):
        records = obs.of_attribute(a)
        gating = any(bool(r["gating"]) for r in records)
        name = _attribute_name(a, lang)
        child = Section(f"a-{i}", name if name == a else f"{name} ({a})")
        child.paragraphs.append(_t("gating" if gating else "stratum", lang).capitalize() + ".")
        child.paragraphs.append(_t("reference_is", lang, group=records[0]["reference_group"]))
        child.tables.append(_disparity_table(a, obs, tru, headline, lang))
        child.tables.append(_calibration_table(a, obs, tru, lang))
        section.children.append(child)
    return section


def _distributions(observed: AuditResult, obs: _Rows, lang: Lang, figures: _Figures) -> Section:
    """One figure per gating attribute; an audit without score distributions (a 0/1 decision) just says so."""
    section = Section("distributions", _t("h_distributions", lang))
    for a in obs.gating():
        plot = _distribution_plot(observed.distributions or {}, a, lang, figures)
        if plot is not None:
            section.plots.append(plot)
    if section.plots:
        section.paragraphs.append(_t("distribution_intro", lang, n=obs.min_size))
    else:
        section.paragraphs.append(_t("no_distributions", lang))
    return section


def _full(obs: _Rows, tru: _Rows | None, lang: Lang) -> Section:
    section = Section("table", _t("h_table", lang))
    section.paragraphs.append(_t("full_intro", lang, n=obs.min_size))
    section.tables.append(_full_table(obs, _t("against_labels", lang), lang))
    if tru is not None:
        section.tables.append(_full_table(tru, _t("against_truth", lang), lang))
    return section


def _method(observed: AuditResult, lang: Lang) -> Section:
    s = observed.settings
    reference = s.get("reference", "largest")
    named = reference if isinstance(reference, str) else ", ".join(f"{k}: {v}" for k, v in reference.items())
    section = Section("method", _t("h_method", lang))
    notes = [
        _t("m_tau", lang, lo=_num(TAU, lang), hi=_num(1.0 / TAU, lang), tau=_num(s.get("tau", TAU), lang, 1)),
        _t("m_reference", lang, reference=named),
        _t("m_bootstrap", lang, conf=_conf(s, lang), n=_num(s.get("bootstrap"), lang, 0)),
        _t("m_min_size", lang, n=s.get("min_group_size", 30)),
        _t("m_min_expected", lang, n=_num(s.get("min_expected"), lang, 0)),
        _t("m_labels", lang),
        _t("m_gating", lang),
        _t("signal", lang),
        _t("m_layout", lang),
    ]
    section.items.append(("", notes))
    return section


# --- proxies --------------------------------------------------------------------------------------------------------


def _predictability(entries: Sequence[Mapping[str, Any]], lang: Lang, figures: _Figures) -> Section:
    section = Section("p-predictability", _t("h_predictability", lang))
    section.paragraphs.append(_t("predictability_intro", lang, auc=_num(AUC_CARRIED, lang, 1)))
    labels = [f"{_attribute_name(str(e.get('attribute')), lang)} = {e.get('group')}" for e in entries]
    aucs = [finite(e.get("auc")) for e in entries]
    if entries:
        section.plots.append(_predictability_plot(entries, labels, aucs, lang, figures))
    head = [_t("group", lang), _t("auc", lang), _t("reading", lang), _t("top_indicators", lang)]
    rows = []
    for label, e, auc in zip(labels, entries, aucs, strict=True):
        carried = auc is not None and auc >= AUC_CARRIED
        top = ", ".join(
            f"{_indicator(str(i.get('indicator')), lang)} ({_num(i.get('auc'), lang)})"
            for i in e.get("top_indicators") or []
        )
        auc_text = _num(auc, lang) + (f" ± {_num(e.get('auc_std'), lang)}" if finite(e.get("auc_std")) else "")
        reading = _t("carried" if carried else "not_carried", lang)
        rows.append(
            [
                Cell(label),
                Cell(auc_text),
                Cell(reading, status="unfair" if carried else "fair", status_text="", symbol="!" if carried else ""),
                Cell(top),
            ]
        )
    section.tables.append(Table(_t("caption_predictability", lang), head, rows))
    return section


def _predictability_plot(
    entries: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    aucs: Sequence[float | None],
    lang: Lang,
    figures: _Figures,
) -> Plot:
    values = np.array([a if a is not None else np.nan for a in aucs])
    carried = values >= AUC_CARRIED

    def draw() -> Figure:
        fig, ax = _figure()
        items = [(str(e.get("attribute")), str(e.get("group"))) for e in entries]
        rows = _headed(items, lambda a: _both(lambda lang: _attribute_name(a, lang)))
        y, total, left = _rows_axis(ax, rows, 0.3)
        height = 0.8 * 0.3
        _hbars(ax, y[carried], 0.5, values[carried], height, _solid(_UP_COLOUR))
        _hbars(ax, y[~carried], 0.5, values[~carried], height, _open(_DOWN_COLOUR))
        err = np.array([finite(e.get("auc_std")) or 0.0 for e in entries])
        ax.errorbar(values, y, xerr=err, fmt="none", ecolor="#111111", capsize=2, linewidth=0.9)
        ax.axvline(0.5, color="#333333", linewidth=0.8)
        ax.axvline(AUC_CARRIED, color="#111111", linestyle="--", linewidth=1.0)
        ax.set_xlim(0.4, 1.0)
        xlabel = _both(lambda lang: f"AUC ({_num(0.5, lang, 1)} = {_t('chance', lang)})")
        handles = [
            _swatch(_solid(_UP_COLOUR), _tt("carried", 40)),
            _swatch(_open(_DOWN_COLOUR), _tt("not_carried", 40)),
        ]
        _layout(fig, ax, total, left, xlabel, _legend(fig, handles, 2))
        return fig

    names = [lab for lab, c in zip(labels, carried, strict=True) if c]
    alt = _t(
        "alt_predictability",
        lang,
        n=len(labels),
        auc=_num(AUC_CARRIED, lang, 1),
        carried=", ".join(names) or _t("alt_none", lang),
    )
    return Plot(figures.png("predictability", draw), alt, _t("caption_predictability", lang))


def _indicator(indicator_id: str, lang: Lang) -> str:
    """The catalogue's label for an indicator, so a reader sees words; the id stays for a cross-check."""
    label = _indicator_label(indicator_id, lang)
    return indicator_id if label is None else f"{label} ({indicator_id})"


def _indicator_label(indicator_id: str, lang: Lang) -> str | None:
    ind = BY_ID.get(indicator_id)
    if ind is None:
        return None
    return str(ind.label_nl if lang == "nl" else ind.label_en)


def _indicator_both(indicator_id: str) -> str:
    """An indicator for a figure both pages share: its label in each language, one per line (the tables add the id)."""
    return _both(lambda lang: _indicator_label(indicator_id, lang) or indicator_id, width=0)


def _top_contributions(contributions: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, float]], float, int]:
    """The largest contributions by size, and the rest summed, so that the bars still add up to the gap."""
    pairs = [(str(c.get("indicator")), finite(c.get("contribution")) or 0.0) for c in contributions]
    pairs.sort(key=lambda p: abs(p[1]), reverse=True)
    top, rest = pairs[:TOP_CONTRIBUTIONS], pairs[TOP_CONTRIBUTIONS:]
    return top, float(sum(v for _, v in rest)), len(rest)


def _gap_section(i: int, entry: Mapping[str, Any], lang: Lang, figures: _Figures) -> Section:
    attribute = _attribute_name(str(entry.get("attribute")), lang)
    group, reference = str(entry.get("group")), str(entry.get("reference"))
    section = Section(f"p-gap-{i}", _t("h_gap_pair", lang, attribute=attribute, group=group, reference=reference))
    gap = finite(entry.get("gap"))
    section.paragraphs.append(_t("gap_total", lang, gap=_num(gap, lang, 3)))
    top, rest, n_rest = _top_contributions(entry.get("contributions") or [])
    rows_data = [(_indicator(k, lang), v) for k, v in top]
    if n_rest:
        rows_data.append((_t("others", lang, n=n_rest), rest))
    if rows_data:
        figure_rows = [(_indicator_both(k), v) for k, v in top]
        if n_rest:
            figure_rows.append((_both(lambda lang: _t("others", lang, n=n_rest), width=0), rest))
        png = figures.png(f"gap-{i}", lambda: _gap_figure(figure_rows))
        top_text = f"{rows_data[0][0]} ({_num(rows_data[0][1], lang, 3)})"
        alt = _t("alt_gap", lang, gap=_num(gap, lang, 3), group=group, reference=reference, top=top_text)
        section.plots.append(Plot(png, alt, _t("caption_gap", lang, k=TOP_CONTRIBUTIONS)))
    head = [_t("indicator", lang), _t("contribution", lang), _t("share_of_gap", lang)]
    rows = [[Cell(name), _direction_cell(v, lang), Cell(_pct(v / gap, lang) if gap else "–")] for name, v in rows_data]
    rows.append([Cell(_t("total", lang)), Cell(_num(gap, lang, 3)), Cell(_pct(1.0, lang) if gap else "–")])
    section.tables.append(Table(_t("caption_gap", lang, k=TOP_CONTRIBUTIONS), head, rows))
    return section


def _direction_cell(value: float, lang: Lang) -> Cell:
    word = _t("raises" if value > 0 else "lowers", lang)
    return Cell(f"{'+' if value > 0 else ''}{_num(value, lang, 3)}", note=word)


def _row_height(labels: Sequence[str]) -> float:
    """Room for the tallest tick label: two-line (bilingual) labels need more than one-line ones."""
    return 0.2 + 0.14 * max((_lines(label) for label in labels), default=1)


def _gap_figure(rows: Sequence[tuple[str, float]]) -> Figure:
    fig, ax = _figure()
    row = _row_height([name for name, _ in rows])
    y, total, left = _rows_axis(ax, [("item", name) for name, _ in rows], row)
    values = np.array([v for _, v in rows])
    up = values > 0
    height = 0.75 * row
    _hbars(ax, y[up], 0.0, values[up], height, _solid(_UP_COLOUR))
    _hbars(ax, y[~up], 0.0, values[~up], height, _open(_DOWN_COLOUR))
    handles = [_swatch(_solid(_UP_COLOUR), _tt("raises")), _swatch(_open(_DOWN_COLOUR), _tt("lowers"))]
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    _layout(fig, ax, total, left, _tt("contribution_axis"), _legend(fig, handles, 2))
    return fig


def _counterfactual(entries: Sequence[Mapping[str, Any]], lang: Lang, figures: _Figures) -> Section:
    section = Section("p-counterfactual", _t("h_counterfactual", lang))
    section.paragraphs.append(_t("counterfactual_intro", lang))
    labels = [
        f"{_indicator(str(e.get('indicator')), lang)}: {_attribute_name(str(e.get('attribute')), lang)} = "
        f"{e.get('group')} / {e.get('reference')}"
        for e in entries
    ]
    if entries:
        section.plots.append(_counterfactual_plot(labels, entries, lang, figures))
    head = [
        _t("indicator", lang),
        _t("rate_before", lang),
        _t("rate_after", lang),
        _t("disparity_before", lang),
        _t("disparity_after", lang),
        _t("after_status", lang),
    ]
    rows = []
    for label, e in zip(labels, entries, strict=True):
        after = finite(e.get("disparity_after"))
        inside = after is not None and TAU <= after <= 1.0 / TAU
        status = Cell(
            _t("in_band" if inside else "out_band", lang),
            status="fair" if inside else "unfair",
            symbol="✓" if inside else "✗",
        )
        rows.append(
            [
                Cell(label),
                Cell(_pct(e.get("selection_rate_before"), lang)),
                Cell(_pct(e.get("selection_rate_after"), lang)),
                Cell(_ratio(e.get("disparity_before"), lang)),
                Cell(_ratio(e.get("disparity_after"), lang)),
                status,
            ]
        )
    section.tables.append(Table(_t("caption_counterfactual", lang), head, rows))
    return section


def _clipped(value: Any) -> float:
    f = finite(value)
    return np.nan if f is None else _clip(f)


def _counterfactual_plot(
    labels: Sequence[str], entries: Sequence[Mapping[str, Any]], lang: Lang, figures: _Figures
) -> Plot:
    before = np.array([_clipped(e.get("disparity_before")) for e in entries])
    after = np.array([_clipped(e.get("disparity_after")) for e in entries])

    def heading(key: str) -> str:
        attribute, group, reference = key.split("\x1f")
        return _both(
            lambda lang: _t(
                "h_gap_pair", lang, attribute=_attribute_name(attribute, lang), group=group, reference=reference
            )
        )

    def draw() -> Figure:
        fig, ax = _figure()
        _log_axis(ax)
        items = [
            (
                "\x1f".join(str(e.get(k)) for k in ("attribute", "group", "reference")),
                _indicator_both(str(e.get("indicator"))),
            )
            for e in entries
        ]
        rows = _headed(items, heading)
        y, total, left = _rows_axis(ax, rows, _row_height([label for _, label in items]))
        ax.hlines(y, before, after, color="#555555", linewidth=1.0)
        (b,) = ax.plot(before, y, "o", markerfacecolor="white", markeredgecolor=_LABELS_COLOUR, label=_tt("before"))
        (a,) = ax.plot(after, y, "o", color=_LABELS_COLOUR, label=_tt("after"))
        _layout(fig, ax, total, left, _tt("disparity_axis"), _legend(fig, [_band_handle(), b, a], 3))
        return fig

    shift = np.abs(np.log(after) - np.log(before))
    top = labels[int(np.nanargmax(shift))] if np.isfinite(shift).any() else _t("alt_none", lang)
    alt = _t("alt_counterfactual", lang, n=len(labels), band=_band(lang), top=top)
    return Plot(figures.png("counterfactual", draw), alt, _t("caption_counterfactual", lang))


def _proxies(proxies: Mapping[str, Any], lang: Lang, figures: _Figures) -> Section:
    section = Section("proxies", _t("h_proxies", lang))
    section.paragraphs.append(_t("proxies_intro", lang))
    if proxies.get("predictability"):
        section.children.append(_predictability(proxies["predictability"], lang, figures))
    if proxies.get("score_gap"):
        gaps = Section("p-gaps", _t("h_score_gap", lang), paragraphs=[_t("score_gap_intro", lang)])
        gaps.children = [_gap_section(i, e, lang, figures) for i, e in enumerate(proxies["score_gap"])]
        section.children.append(gaps)
    if proxies.get("counterfactual"):
        section.children.append(_counterfactual(proxies["counterfactual"], lang, figures))
    if proxies.get("notes"):
        section.children.append(
            Section("p-notes", _t("h_notes", lang), items=[("", [str(n) for n in proxies["notes"]])])
        )
    return section


# --------------------------------------------------------------------------------------------------------------------
# The page.
# --------------------------------------------------------------------------------------------------------------------

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
  background: #ffffff; line-height: 1.5; margin: 0 auto; max-width: 78rem; padding: 1rem 2rem 4rem; }
a { color: #0b4a8b; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #ffffff; padding: .5rem; }
.lang { text-align: right; margin: 0; }
dl.context { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.context dt { font-weight: 600; }
dl.context dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.verdict { font-size: 2.6rem; font-weight: 800; letter-spacing: .05em; padding: .4rem 1rem; display: inline-block;
  border: 4px solid; border-radius: .3rem; }
.verdict.pass { color: #0b3d1f; background: #d9f2e3; border-color: #0b3d1f; }
.verdict.fail { color: #58151c; background: #f8d7da; border-color: #58151c; }
h2 { border-bottom: 2px solid #1a1a1a; margin-top: 3rem; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #333333; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: .88rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #8a8a8a; padding: .25rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #e8e8e8; }
tbody th { font-weight: 600; background: #f5f5f5; }
.note { font-size: .8rem; color: #333333; }
.status { font-weight: 600; }
.s-fair { background: #d9f2e3; color: #0b3d1f; }
.s-unfair { background: #f8d7da; color: #58151c; }
.s-inconclusive { background: #fff3cd; color: #4d3800; }
.s-reference { background: #e2e3e5; color: #1e2125; }
.s-insufficient-data, .s-no-labels { background: #eeeeee; color: #333333; }
.s-fair .note, .s-unfair .note, .s-inconclusive .note, .s-reference .note { color: inherit; }
</style>
</head>
<body>
<a class="skip" href="#main">{{ text.skip }}</a>
<header>
<p class="lang"><a href="{{ other.file }}" hreflang="{{ other.lang }}" lang="{{ other.lang }}">{{ other.name }}</a></p>
<h1>{{ title }}</h1>
{% if context %}
<h2 id="context">{{ text.context }}</h2>
<dl class="context">{% for key, value in context %}<dt>{{ key }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
{% endif %}
<nav aria-label="{{ text.contents }}"><ol>
{% for s in sections %}<li><a href="#{{ s.id }}">{{ s.heading }}</a></li>{% endfor %}
</ol></nav>
</header>
<main id="main">
{% macro cell(c) -%}
<td{% if c.status %} class="s-{{ c.status }}"{% endif %}>{{ c.text }}
{%- if c.note %}{% if c.text %}<br>{% endif %}<span class="note">{{ c.note }}</span>{% endif %}
{%- if c.status_text or (c.symbol and c.status) %}{% if c.text or c.note %}<br>{% endif %}<span class="status">
{%- if c.symbol %}<span aria-hidden="true">{{ c.symbol }} </span>{% endif %}{{ c.status_text }}</span>{% endif %}</td>
{%- endmacro %}
{% macro render(s, level) -%}
<section id="{{ s.id }}" aria-labelledby="h-{{ s.id }}">
<h{{ level }} id="h-{{ s.id }}">{{ s.heading }}</h{{ level }}>
{% if s.banner %}<p><strong class="verdict {{ s.banner_class }}">{{ s.banner }}</strong></p>{% endif %}
{% for p in s.paragraphs %}<p>{{ p }}</p>
{% endfor %}
{% for title, items in s.items %}{% if title %}<p><strong>{{ title }}</strong></p>{% endif %}
<ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>
{% endfor %}
{% for p in s.plots %}<figure><img src="data:image/png;base64,{{ p.data }}" alt="{{ p.alt }}">
<figcaption>{{ p.caption }}</figcaption></figure>
{% endfor %}
{% for t in s.tables %}<div class="scroll"><table>
<caption>{{ t.caption }}</caption>
<thead><tr>{% for h in t.head %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr><th scope="row">{{ row[0].text }}</th>{% for c in row[1:] %}{{ cell(c) }}{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
{% endfor %}
{% for child in s.children %}{{ render(child, level + 1) }}{% endfor %}
</section>
{%- endmacro %}
{% for s in sections %}{{ render(s, 2) }}
{% endfor %}
</main>
</body>
</html>
"""


def _environment() -> jinja2.Environment:
    """Autoescape on: group names, context values and proxy notes come from data, not from us."""
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)


@functools.cache
def _template() -> jinja2.Template:
    """The page template, compiled once per process (compiling costs more than rendering a page)."""
    return _environment().from_string(_TEMPLATE)


def render_html(
    observed: AuditResult,
    lang: Lang,
    *,
    truth: AuditResult | None = None,
    proxies: Mapping[str, Any] | None = None,
    title: str | None = None,
    context: Mapping[str, str] | None = None,
) -> str:
    """The report in one language as a self-contained HTML page."""
    return _page(_Facts.of(observed, truth), lang, proxies=proxies, title=title, context=context)


@dataclass(frozen=True)
class _Facts:
    """What every language of one report shows, worked out once: the group rows, the verdicts and the figures."""

    observed: AuditResult
    truth: AuditResult | None
    obs: _Rows
    tru: _Rows | None
    failures: list[Failure]
    truth_failures: list[Failure]
    figures: _Figures

    @classmethod
    def of(cls, observed: AuditResult, truth: AuditResult | None) -> _Facts:
        return cls(
            observed,
            truth,
            _Rows.of(observed),
            _Rows.of(truth) if truth is not None else None,
            observed.failures,
            truth.failures if truth is not None else [],
            _Figures(),
        )


def _page(
    facts: _Facts,
    lang: Lang,
    *,
    proxies: Mapping[str, Any] | None,
    title: str | None,
    context: Mapping[str, str] | None,
) -> str:
    """One language's page; ``facts`` is shared by the languages of one report, so each figure is drawn once."""
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
    other: Lang = "en" if lang == "nl" else "nl"
    return _template().render(
        lang=lang,
        title=title or _t("title", lang),
        text={k: _t(k, lang) for k in ("skip", "contents", "context")},
        other={"file": FILES[other], "lang": other, "name": _t("other_lang", lang)},
        context=list((context or {}).items()),
        sections=sections,
    )


# --------------------------------------------------------------------------------------------------------------------
# JSON and files.
# --------------------------------------------------------------------------------------------------------------------


def audit_blob(result: AuditResult) -> dict[str, Any]:
    """The audit as JSON-ready data with the same suppression as the HTML: hidden counts are null, never exact."""
    return _audit_blob(result, _Rows.of(result))


def _audit_blob(result: AuditResult, rows: _Rows) -> dict[str, Any]:
    blob = result.to_dict()
    for group, record in zip(blob["groups"], rows.records, strict=True):
        group["counts_suppressed"] = record["_hidden"]
        if record["_hidden"]:
            group["group_size_band"] = f"< {rows.min_size}" if record["_small"] else "suppressed (complementary)"
            for c in COUNT_COLUMNS:
                group[c] = None
    return plain(blob)


def _json_text(
    facts: _Facts, proxies: Mapping[str, Any] | None, title: str | None, context: Mapping[str, str] | None
) -> str:
    truth = facts.truth
    blob: dict[str, Any] = {
        "title": title or _t("title", "en"),
        "context": dict(context or {}),
        "passed": not facts.failures,
        "observed": _audit_blob(facts.observed, facts.obs),
        "truth": _audit_blob(truth, facts.tru) if truth is not None and facts.tru is not None else None,
        "truth_passed": not facts.truth_failures if truth is not None else None,
        "proxies": plain(dict(proxies)) if proxies else None,
    }
    return json.dumps(blob, allow_nan=False, indent=2, ensure_ascii=False) + "\n"


def write_report(
    observed: AuditResult,
    out_dir: Path,
    *,
    truth: AuditResult | None = None,
    proxies: Mapping[str, Any] | None = None,
    title: str | None = None,
    context: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``fairness_nl.html``, ``fairness_en.html`` and ``fairness.json`` to ``out_dir``; return their paths.

    ``truth`` is the same decision audited against ground truth (synthetic data only) and is shown beside every
    disparity; ``proxies`` holds the optional proxy checks (``predictability``, ``score_gap``, ``counterfactual``,
    ``notes``); ``title`` defaults to a title in each language; ``context`` is shown at the top as is.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = _Facts.of(observed, truth)  # rows, verdicts and figures: worked out once, shown in every language
    texts: dict[str, str] = {lang: _page(facts, lang, proxies=proxies, title=title, context=context) for lang in LANGS}
    texts["json"] = _json_text(facts, proxies, title, context)
    paths = {key: out_dir / FILES[key] for key in texts}
    for key, text in texts.items():
        write_text_atomic(paths[key], text)
    return paths


__all__ = ["FILES", "Cell", "Plot", "Section", "Table", "audit_blob", "render_html", "suppression_mask", "write_report"]


# --------------------------------------------------------------------------------------------------------------------
# The report's words for other readers (the service's pages), so that page and report can never say it differently.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureWords:
    """A headline measure as the report explains it."""

    name: str
    what: str
    when: str


def measure_words(metric: str, lang: Lang) -> MeasureWords:
    """Name, "what is it" and "when does it matter" of a headline measure; the bare name for any other."""
    found = _MEASURES.get(metric)
    if found is None:
        return MeasureWords(_pick(_METRIC_NAMES.get(metric, (metric, metric)), lang), "", "")
    name, what, when = found
    return MeasureWords(_pick(name, lang), _pick(what, lang), _pick(when, lang))


def status_word(status: str, lang: Lang) -> str:
    """A group's verdict in words (fair, inconclusive, unfair, insufficient data, ...)."""
    return _status_word(status, lang)


def status_symbol(status: str) -> str:
    """The symbol that repeats a verdict's word (never shown alone)."""
    return _STATUS.get(status, ("", "", ""))[0]


def attribute_name(name: str, lang: Lang) -> str:
    """A readable attribute name; an intersection reads "A × B"."""
    return _attribute_name(name, lang)


def decision_rule(settings: Mapping[str, Any], lang: Lang) -> str:
    """The audited decision in words ("the 100 highest scores per RIEC region")."""
    return _rule(settings, lang)
