"""The report's words: every text it prints, in Dutch and English, and the word functions other readers share.

One table per kind of text, (Dutch, English), so a missing translation is a KeyError in the tests. The service's
oversight pages and the transparency documents use the public functions here (``status_word``, ``attribute_name``,
``measure_words``, ``decision_rule``), so that a page and the report can never say the same thing differently.
Nothing here draws or reads an audit, so this is the one place to read and correct the wording.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.text import Lang, Pair, Words, number, pick
from features.catalogue import BY_ID

TEXTS: dict[str, Pair] = {
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
MEASURES: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
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
METRIC_NAMES: dict[str, tuple[str, str]] = {
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


#: One text of the report in one language, with its blanks filled (the pages use the same mechanism).
t = Words(TEXTS)


def status_word(status: str, lang: Lang) -> str:
    """A group's verdict in words (fair, inconclusive, unfair, insufficient data, ...)."""
    _, nl, en = _STATUS.get(status, ("", status, status))
    return nl if lang == "nl" else en


def status_symbol(status: str) -> str:
    """The symbol that repeats a verdict's word (never shown alone)."""
    return _STATUS.get(status, ("", "", ""))[0]


def attribute_name(name: str, lang: Lang) -> str:
    """A readable name; an intersection ``a+b`` reads "A × B". Unknown attributes keep their own name."""
    if "+" in name:
        return " × ".join(attribute_name(part, lang) for part in name.split("+"))
    pair = _ATTRIBUTE_NAMES.get(name)
    return pick(pair, lang) if pair else name


@dataclass(frozen=True)
class MeasureWords:
    """A headline measure as the report explains it."""

    name: str
    what: str
    when: str


def measure_words(metric: str, lang: Lang) -> MeasureWords:
    """Name, "what is it" and "when does it matter" of a headline measure; the bare name for any other."""
    found = MEASURES.get(metric)
    if found is None:
        return MeasureWords(pick(METRIC_NAMES.get(metric, (metric, metric)), lang), "", "")
    name, what, when = found
    return MeasureWords(pick(name, lang), pick(what, lang), pick(when, lang))


def decision_rule(settings: Mapping[str, Any], lang: Lang) -> str:
    """The audited decision in words ("the 100 highest scores per RIEC region").

    Rebuilt from the settings rather than taken from the audit's own description, so that it reads in the
    report's language.
    """
    top_k, within, threshold = settings.get("top_k"), settings.get("within"), settings.get("threshold")
    if top_k and within:
        return t("rule_top_within", lang, k=top_k, within=attribute_name(str(within), lang))
    if top_k:
        return t("rule_top", lang, k=top_k)
    if threshold is not None:
        return t("rule_threshold", lang, t=number(threshold, lang, 3))
    return str(settings.get("decision", "?"))


# --------------------------------------------------------------------------------------------------------------------
# Indicators: the catalogue's labels, so that a reader sees words; the tables keep the id for a cross-check.
# --------------------------------------------------------------------------------------------------------------------


def indicator(indicator_id: str, lang: Lang) -> str:
    """The catalogue's label for an indicator, so a reader sees words; the id stays for a cross-check."""
    label = _indicator_label(indicator_id, lang)
    return indicator_id if label is None else f"{label} ({indicator_id})"


def _indicator_label(indicator_id: str, lang: Lang) -> str | None:
    ind = BY_ID.get(indicator_id)
    if ind is None:
        return None
    return str(ind.label_nl if lang == "nl" else ind.label_en)


def indicator_both(indicator_id: str) -> str:
    """An indicator for a figure both pages share: its label in each language, one per line (the tables add the id)."""
    return both(lambda lang: _indicator_label(indicator_id, lang) or indicator_id, width=0)


# --------------------------------------------------------------------------------------------------------------------
# Both languages at once, for the figures: each is drawn once per report and embedded in both pages.
# --------------------------------------------------------------------------------------------------------------------


def both(text: Callable[[Lang], str], width: int = 80) -> str:
    """A figure text in both languages: "Dutch / English" when that fits in ``width`` characters, else two lines."""
    nl, en = text("nl"), text("en")
    if nl == en:
        return nl
    one = f"{nl} / {en}"
    return one if len(one) <= width else f"{nl}\n{en}"


def tt(key: str, width: int = 80) -> str:
    """A text from the table, in both languages, for a figure."""
    return both(lambda lang: t(key, lang), width)
