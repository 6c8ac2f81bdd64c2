"""The fixed prose of the transparency documents, in Dutch and English, kept apart from the facts.

Everything a document states about *this* model comes from :mod:`training.transparency.facts`; what is written
here holds for every Tegenkracht model: what a score is, who may use it, how labels are biased, how to oversee it.
It is one table of (Dutch, English) pairs so a test can check that no text exists in one language only.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.text import LANGS
from models.shortlist import Policy, configured_policy

Bi = dict[str, str]

#: Every placeholder starts with one of these; tests and ``to_complete`` lists find them by it.
MARKER: dict[str, str] = {
    "nl": "[IN TE VULLEN DOOR DE GEBRUIKENDE ORGANISATIE]",
    "en": "[TO BE COMPLETED BY THE DEPLOYER]",
}


def bi(nl: str, en: str) -> Bi:
    """A text in both languages."""
    return {"nl": nl, "en": en}


def todo(what: Bi) -> Bi:
    """A placeholder that says what the deployer must fill in."""
    return {lang: f"{MARKER[lang]} {what[lang]}" for lang in LANGS}


def is_todo(text: str) -> bool:
    """Whether a field holds a placeholder (in whole or in part) for the deployer to replace."""
    return any(m in text for m in MARKER.values())


SYSTEM_NAME = bi(
    "Tegenkracht: risicosignalen voor ondermijning in het Handelsregister",
    "Tegenkracht: risk signals for organised crime in the company register",
)
SHORT_DESCRIPTION = bi(
    "Tegenkracht zet bedrijven in een RIEC-regio op volgorde van de kans dat partners binnen twee jaar een zaak "
    "tegen hen bevestigen, op grond van openbare registerfeiten. Een analist beoordeelt elk signaal; de score is "
    "nooit een besluit.",
    "Tegenkracht ranks companies in a RIEC region by the chance that partners confirm a case against them within "
    "two years, from verifiable register facts. An analyst reviews every signal; the score is never a decision.",
)
PURPOSE = bi(
    "Analisten van RIEC's, gemeenten (Bibob), Belastingdienst, FIOD en politie helpen bepalen welke bedrijven in "
    "hun regio een nadere, menselijke blik verdienen, voor een vastgelegd doel en zaaknummer. Het systeem geeft "
    "een gekalibreerde kans met de exacte bijdrage van elke indicator, zodat de analist ziet waarom een bedrijf "
    "hoog staat en dat kan toetsen aan de registerfeiten.",
    "To help analysts at RIEC centres, municipalities (Bibob screening), the tax administration, FIOD and police "
    "decide which companies in their region deserve a closer human look, for a recorded purpose and case. It "
    "gives a calibrated probability with the exact contribution of every indicator, so the analyst sees why a "
    "company ranks high and can check that against the register facts.",
)
IMPACT = bi(
    "Bedrijven op een shortlist kunnen nader worden onderzocht. Dat is een ingrijpende stap voor een ondernemer, "
    "ook als er niets aan de hand blijkt. Daarom bepaalt de score niets zelf: een analist beoordeelt elk signaal "
    "aan de hand van de feiten, en elke opvraging van bedrijfsgegevens vraagt een doel en zaaknummer en komt in "
    "het audit-logboek. Personen worden niet gescoord; gevoelige kenmerken (nationaliteit, migratieachtergrond, "
    "geslacht, leeftijd) komen niet in de indicatoren of het model en worden alleen gebruikt om te toetsen of "
    "groepen ongelijk worden behandeld.",
    "Companies on a shortlist may be looked into further. That is a serious step for a business owner even when "
    "nothing turns out to be wrong. So the score decides nothing by itself: an analyst reviews every signal "
    "against the facts, and every request for company data needs a purpose and case reference and is written to "
    "the audit trail. People are not scored; sensitive attributes (nationality, migration background, gender, "
    "age) never enter indicators or the model and are used only to test whether groups are treated unequally.",
)
USERS: list[tuple[str, Bi]] = [
    (
        "analyst",
        bi(
            "Analist: vraagt shortlists en signalen op voor de eigen regio's, met doel en zaaknummer, en "
            "legt de uitkomst van de beoordeling vast.",
            "Analyst: requests shortlists and signals for their own regions, with purpose and case "
            "reference, and records the outcome of the review.",
        ),
    ),
    (
        "data_scientist",
        bi(
            "Datawetenschapper: traint, evalueert en stelt nieuwe modelversies voor; kan zelf geen "
            "model in gebruik nemen dat een poort niet haalt.",
            "Data scientist: trains, evaluates and proposes new model versions; cannot put a model "
            "into use that fails a gate.",
        ),
    ),
    (
        "oversight",
        bi(
            "Toezicht: leest eerlijkheidsrapporten, driftrapporten, de modelkaart en het audit-logboek; "
            "alleen toezicht kan een geweigerde promotie met schriftelijke motivering toch toestaan.",
            "Oversight: reads fairness and drift reports, the model card and the audit trail; only "
            "oversight can allow a refused promotion, with a written justification.",
        ),
    ),
    (
        "admin",
        bi(
            "Beheerder: beheert gebruikers, rollen, regio's en sleutels; ziet geen bedrijfsgegevens.",
            "Administrator: manages users, roles, regions and keys; sees no company data.",
        ),
    ),
]
SCORE_MEANS: list[Bi] = [
    bi(
        "De gekalibreerde kans dat partners binnen de horizon een zaak tegen dit bedrijf openen en bevestigen, "
        "zoals dat in het verleden gebeurde.",
        "The calibrated probability that partners open and confirm a case against this company within the "
        "horizon, as happened in the past.",
    ),
    bi(
        "Een reden om de registerfeiten van het bedrijf te bekijken: de redencodes noemen welke feiten de score "
        "verhogen en welke hem verlagen.",
        "A reason to look at the company's register facts: the reason codes name which facts raise the score and "
        "which lower it.",
    ),
    bi(
        "Een rangorde binnen een regio: de shortlist is de top-k van de regio, omdat analisten een vaste capaciteit "
        "hebben.",
        "A ranking within a region: the shortlist is the region's top k, because analysts have a fixed capacity.",
    ),
]
SCORE_DOES_NOT_MEAN: list[Bi] = [
    bi(
        "Geen bewijs, geen verdenking in strafrechtelijke zin en geen besluit. Art. 5(1)(d) van de AI-verordening "
        "verbiedt het voorspellen van criminaliteit van personen enkel op basis van profilering; Tegenkracht "
        "ondersteunt een menselijke beoordeling van controleerbare feiten.",
        "Not evidence, not a suspicion in the criminal-law sense and not a decision. Art. 5(1)(d) of the AI Act "
        "bans predicting a person's criminal risk solely from profiling; Tegenkracht supports a human assessment "
        "of verifiable facts.",
    ),
    bi(
        "Geen uitspraak over personen: het model scoort bedrijven, niet hun bestuurders of eigenaren.",
        "No statement about people: the model scores companies, not their officers or owners.",
    ),
    bi(
        "Geen waarheid: de labels zijn bevestigde zaken, dus het model leert ook waar eerder gekeken werd. De "
        "meeste hoge scores zijn geen zaak.",
        "Not the truth: labels are confirmed cases, so the model also learns where people looked before. Most high "
        "scores are not cases.",
    ),
]
LABEL_SOURCE = bi(
    "Een bedrijf heeft label 1 als een zaak die in de horizon na de peildatum werd geopend (RIEC-casus, negatief "
    "Bibob-advies, FIOD-veroordeling) is bevestigd. Zaken die nog lopen als de gegevens eindigen, tellen niet mee "
    "(ze worden niet als 0 geraden).",
    "A company has label 1 when a case opened in the horizon after the as-of date (a RIEC case, a negative Bibob "
    "advice, a FIOD conviction) was confirmed. Cases still pending when the records end are left out (never "
    "guessed as 0).",
)
LABEL_BIASES: list[Bi] = [
    bi(
        "Selectie: alleen wie werd onderzocht kan een label 1 krijgen. Onderzoek hangt af van zichtbaarheid, buurt "
        "en eerdere verdenking, niet alleen van betrokkenheid.",
        "Selection: only who was investigated can get label 1. Investigation depends on visibility, neighbourhood "
        "and prior suspicion, not only on involvement.",
    ),
    bi(
        "Terugkoppeling: een model dat leert waar gekeken werd, stuurt analisten daar weer heen. De feedback die "
        "analisten vastleggen, en de audit van de onderzoeken achter de labels, maken dat zichtbaar.",
        "Feedback loop: a model that learns where people looked sends analysts there again. The feedback analysts "
        "record, and the audit of the investigations behind the labels, make that visible.",
    ),
    bi(
        "Vertraging: zaken worden pas jaren later bevestigd, dus de nieuwste jaren zijn onvolledig gelabeld.",
        "Delay: cases are confirmed years later, so the latest years are incompletely labelled.",
    ),
    bi(
        "Zeldzaamheid: ongeveer één bevestigde zaak per duizend bedrijven per horizon; maten als precisie bij k "
        "hebben daardoor brede onzekerheid.",
        "Rarity: about one confirmed case per thousand companies per horizon, so measures such as precision at k "
        "are uncertain.",
    ),
]
LIMITATIONS: list[Bi] = [
    bi(
        "Getraind en gemeten op een synthetisch register; cijfers op echte gegevens zijn onbekend tot ze daar zijn "
        "gemeten.",
        "Trained and measured on a synthetic register; figures on real data are unknown until measured there.",
    ),
    bi(
        "Labels zijn bevestigde onderzoeken, dus het model leert ook waar onderzoekers keken, niet alleen wat zij "
        "vonden.",
        "Labels are confirmed investigations, so the model learns where investigators looked as well as what they "
        "found.",
    ),
    bi(
        "De kansen zijn die van een bevestigde zaak binnen de horizon; de meeste hoge scores zijn geen zaak.",
        "Calibrated probabilities are of a confirmed case within the horizon; most high scores are not cases.",
    ),
    bi(
        "Indicatoren die pas in latere jaren bestaan (bankstromen) ontbreken voor oudere peildata.",
        "Indicators that first appear in later years (bank cash flows) are missing for older snapshots.",
    ),
    bi(
        "De eerlijkheidsaudit dekt de groepen in docs/fairness.md; schade aan groepen die zij niet kent, sluit zij "
        "niet uit.",
        "The fairness audit covers the groups in docs/fairness.md; it cannot rule out harms to groups it does not "
        "know.",
    ),
    bi(
        "Een ontbrekende waarde is zelf informatie voor het model en kan een score verhogen; de redencode zegt dan "
        "'onbekend'. Controleer of het gegeven echt ontbreekt.",
        "A missing value is itself information to the model and can raise a score; the reason code then says "
        "'unknown'. Check whether the fact is really missing.",
    ),
]
OVERSIGHT_INTERPRET: list[Bi] = [
    bi(
        "Lees eerst de redencodes en controleer elk genoemd feit in het register zelf.",
        "Read the reason codes first and check every fact they name in the register itself.",
    ),
    bi(
        "Vergelijk de waarde met de mediaan van de branche (bedrijfspagina) voordat u een afwijking zwaar laat wegen.",
        "Compare the value with the sector median (company page) before giving a deviation weight.",
    ),
    bi(
        "De band (zeer hoog, hoog, verhoogd) zegt iets over volgorde, niet over schuld.",
        "The band (very high, high, raised) is about order, not guilt.",
    ),
]
OVERSIGHT_OVERRIDE: list[Bi] = [
    bi(
        "Leg een signaal naast u neer als de feiten een onschuldige verklaring hebben, als een gegeven fout of "
        "verouderd is, of als de score vooral op 'onbekend' rust.",
        "Set a signal aside when the facts have an innocent explanation, when a fact is wrong or out of date, or "
        "when the score rests mainly on 'unknown'.",
    ),
    bi(
        "Neem nooit een maatregel tegen een bedrijf op grond van de score alleen.",
        "Never take a measure against a company on the score alone.",
    ),
    bi(
        "Een model dat een poort niet haalt, komt alleen in gebruik als een toezichthouder op de lijst dat "
        "schriftelijk motiveert; die motivering staat in de wijzigingsgeschiedenis hieronder.",
        "A model that fails a gate is used only when an oversight officer on the roster justifies it in writing; "
        "that justification appears in the change history below.",
    ),
]
OVERSIGHT_FEEDBACK: list[Bi] = [
    bi(
        "Leg na elke beoordeling de uitkomst vast: bevestigd, afgewezen of onbeslist (pagina van het bedrijf, of "
        "POST /v1/feedback, of `tegenkracht feedback`). Een toelichting wordt bewaard, maar niet gelogd.",
        "After every review record the outcome: confirmed, dismissed or inconclusive (the company page, POST "
        "/v1/feedback or `tegenkracht feedback`). A note is stored, never logged.",
    ),
    bi(
        "Afgewezen signalen zijn even waardevol als bevestigde: ze laten zien waar het model mis zit.",
        "Dismissed signals are as valuable as confirmed ones: they show where the model is wrong.",
    ),
]
TRADE_OFFS = bi(
    "Een gradient-boosted model (LightGBM) is minder eenvoudig dan een checklist van rode vlaggen of een "
    "logistische regressie. Het is gekozen omdat het combinaties van zeldzame signalen kan rangschikken; of deze "
    "versie dat beter doet, staat in de evaluatie, waar beide alternatieven op dezelfde gegevens worden gemeten. "
    "Willekeurig kiezen zou een precisie geven gelijk aan het aandeel bevestigde zaken. De complexiteit wordt "
    "gecompenseerd door bij elke score de exacte bijdrage van elke indicator te tonen (TreeSHAP), door alleen "
    "gedocumenteerde indicatoren met bron toe te laten, en door een eerlijkheidspoort die een oneerlijk model "
    "tegenhoudt. Indicatoren die een buurt of herkomst kunnen benaderen (proxy-risico) blijven in het model omdat "
    "ze een erkende bron hebben, maar worden apart getoetst.",
    "A gradient-boosted model (LightGBM) is less simple than a checklist of red flags or a logistic regression. It "
    "was chosen because it can rank combinations of rare signals; whether this version does so better is in the "
    "evaluation, where both alternatives are measured on the same data. Choosing at random would give a "
    "precision equal to the share of confirmed cases. The complexity is offset by showing the exact contribution "
    "of every indicator with every score (TreeSHAP), by admitting only documented indicators with a source, and "
    "by a fairness gate that stops an unfair model. Indicators that may stand in for a neighbourhood or origin "
    "(proxy risk) stay in the model because they have a recognised source, but are tested separately.",
)
HUMAN_INTERVENTION = bi(
    "Elk signaal wordt door een analist beoordeeld voordat er iets gebeurt; de score zelf leidt nooit tot een "
    "maatregel. Analisten zien alleen hun eigen regio's, moeten per opvraging een doel en zaaknummer geven en "
    "leggen de uitkomst van hun beoordeling vast. Een nieuw model komt alleen in gebruik als het de kwaliteits-, "
    "eerlijkheids- en driftpoort haalt, of als een toezichthouder een weigering schriftelijk gemotiveerd "
    "overrulet. Elke opvraging staat in een audit-logboek met hash-keten.",
    "An analyst reviews every signal before anything happens; the score itself never leads to a measure. "
    "Analysts see only their own regions, must give a purpose and case reference with every request, and record "
    "the outcome of their review. A new model is used only when it passes the quality, fairness and drift gates, "
    "or when an oversight officer overrules a refusal with a written justification. Every request is in a "
    "hash-chained audit trail.",
)
RISK_MANAGEMENT = bi(
    "Risico's en maatregelen: (1) discriminatie via proxy's: eerlijkheidsaudit per groep (selectie, onterechte "
    "selectie, FDR, FPR) met betrouwbaarheidsintervallen, proxy-toets en score-verschilontleding; een model dat "
    "faalt wordt niet gepromoveerd; (2) vertekende labels: audit van de onderzoeken achter de labels, evaluatie "
    "tegen de werkelijkheid op synthetische data; (3) drift: maandelijkse monitor op indicatoren, scores, "
    "verklaringen en samenstelling van de shortlist; (4) misbruik: rollen, regioafbakening, doelbinding en een "
    "controleerbaar audit-logboek; (5) fouten in gegevens: schemacontrole met quarantaine van foute rijen.",
    "Risks and measures: (1) discrimination through proxies: fairness audit per group (selection, wrongful "
    "selection, FDR, FPR) with confidence intervals, a proxy test and a score-gap decomposition; a model that "
    "fails is not promoted; (2) biased labels: an audit of the investigations behind the labels, evaluation "
    "against ground truth on synthetic data; (3) drift: a monitor of indicators, scores, explanations and the "
    "shortlist's make-up; (4) misuse: roles, region scopes, purpose binding and a verifiable audit trail; (5) data "
    "errors: schema checks with bad rows quarantined.",
)
DATA_SOURCES = bi(
    "Handelsregister-gegevens (bedrijven, vestigingsadressen, functionarissen, aandeelhouders, faillissementen), "
    "jaarrekeningen en omzetgegevens, vastgoedtransacties, leningen van verbonden partijen en (vanaf latere jaren) "
    "geaggregeerde kasstromen. Labels: bevestigde zaken van partners. Gevoelige kenmerken staan in een aparte "
    "tabel die alleen de eerlijkheidsaudit leest. Persoonsnummers zijn gepseudonimiseerd.",
    "Company register data (companies, addresses, officers, shareholders, bankruptcies), annual accounts and "
    "turnover, property transactions, related-party loans and (in later years) aggregated cash flows. Labels: "
    "partners' confirmed cases. Sensitive attributes are in a separate table only the fairness audit reads. "
    "Person identifiers are pseudonymised.",
)
TECHNICAL_OPERATION = bi(
    "Indicatoren worden per bedrijf per peildatum berekend uit wat op die datum bekend was. Een LightGBM-model van "
    "beperkte diepte geeft een score; Platt- of isotone kalibratie maakt daar een kans van. Bij elke score berekent "
    "Tegenkracht de exacte SHAP-bijdragen (TreeSHAP), die optellen tot de score, en maakt daar redencodes van in "
    "het Nederlands en Engels. Training gebeurt buiten de tijd (train, validatie, test op latere jaren), wordt "
    "gelogd in MLflow en vergeleken met een checklist en een logistische regressie.",
    "Indicators are computed per company per as-of date from what was known on that date. A LightGBM model of "
    "limited depth gives a score; Platt or isotonic calibration turns it into a probability. With every score "
    "Tegenkracht computes the exact SHAP contributions (TreeSHAP), which add up to the score, and turns them into "
    "reason codes in Dutch and English. Training is out of time (train, validation and test on later years), "
    "logged in MLflow and compared with a checklist and a logistic regression.",
)


def shortlist_method(tags: Mapping[str, str]) -> Bi:
    """How analysts' shortlists are drawn: part of the method, so stated in the card and the register entry.

    Read from the version's tags (``shortlist.policy`` …, recorded at registration), so a document generated again
    later says the same; a version registered before the tags existed states the current setting.
    """
    policy = (
        Policy.named(tags["shortlist.policy"], float(tags["shortlist.epsilon"]), int(tags["shortlist.pool"]))
        if "shortlist.policy" in tags
        else configured_policy()
    )
    common_nl = (
        "Analisten krijgen per RIEC-regio een lijst van k bedrijven. Elk bedrijf op een lijst wordt opgeslagen met "
        "de kans die het had om op die lijst te komen; uitkomsten van analisten leren het model bij met gewicht 1/kans "
        "(docs/learning-loop.md)."
    )
    common_en = (
        "Analysts get a list of k companies per RIEC region. Every listed company is stored with the chance it had of "
        "being listed; analysts' outcomes teach the model with weight 1/chance (docs/learning-loop.md)."
    )
    if policy.kind == "top_k":
        return bi(
            common_nl + " Beleid: de k hoogst gerangschikte bedrijven (kans 1 elk), zonder verkenning.",
            common_en + " Policy: the k highest-ranked companies (chance 1 each), without exploration.",
        )
    share = f"{policy.epsilon:.0%}"
    return bi(
        common_nl + f" Beleid: verkenning. {share} van de plaatsen wordt met bekende kans willekeurig getrokken uit de "
        f"bedrijven direct onder de vaste plaatsen, tot rang {policy.pool}k; de rest zijn de hoogst gerangschikte. "
        "Getrokken plaatsen zijn voor de analist gemarkeerd.",
        common_en + f" Policy: exploration. {share} of the places are drawn at random, with known chances, from the "
        f"companies just below the fixed places, down to rank {policy.pool}k; the rest are the highest-ranked. "
        "Drawn places are marked for the analyst.",
    )


#: The change history's events in words; a detail (the run's state, an evaluation's date) follows in brackets.
EVENTS: dict[str, Bi] = {
    "registered": bi("geregistreerd als nieuwe versie", "registered as a new version"),
    "gates": bi("champion: alle poorten gehaald", "champion: every gate passed"),
    "override": bi(
        "champion: poort niet gehaald, toezicht heeft overruled", "champion: a gate failed, overruled by oversight"
    ),
    "rollback": bi("opnieuw champion (terugzetting)", "champion again (roll-back)"),
    "refused": bi("promotie geweigerd", "promotion refused"),
    "interrupted": bi(
        "promotie afgebroken; champion niet zeker verplaatst", "promotion interrupted; champion not known to have moved"
    ),
    "replaced": bi("als champion vervangen door versie", "replaced as champion by version"),
    "evaluated": bi("later geëvalueerd", "evaluated later"),
}
