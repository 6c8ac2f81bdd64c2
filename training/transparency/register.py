"""The Algoritmeregister entry: the Dutch publication standard's fields, filled from the system or marked.

Keys follow the register's publication API (standard version 1.0, the ``AlgorithmIn`` fields), so the JSON can be
uploaded as is once the deployer has filled the placeholders; the Markdown beside it follows the standard's own
headings (Algemene informatie, Verantwoord gebruik, Werking) for people. The register publishes one language per
entry (``lang`` NLD or ENG), so there is one entry per language.
"""

from __future__ import annotations

from typing import Any

from core.text import Lang
from training.transparency import text
from training.transparency.deployer import STATUS_EN, Deployer
from training.transparency.facts import Facts
from training.transparency.text import Bi, bi, todo

STANDARD_VERSION = "1.0"
CATEGORY = bi("Hoog-risico AI-systeem", "High-risk AI system")
THEME = bi("Openbare orde en veiligheid", "Public order and safety")
#: The standard's length limits (characters), checked by the tests.
LIMITS = {"name": 100, "organization": 100, "description_short": 350, "goal": 2500}
#: (field, Dutch heading, English heading, section); the order of the standard.
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("name", "Naam", "Name", "general"),
    ("description_short", "Korte omschrijving", "Short description", "general"),
    ("organization", "Organisatie", "Organisation", "general"),
    ("category", "Thema", "Theme", "general"),
    ("status", "Status", "Status", "general"),
    ("begin_date", "Begindatum", "Start date", "general"),
    ("contact_email", "Contactgegevens", "Contact", "general"),
    ("website", "Link naar publiekspagina", "Link to public page", "general"),
    ("publication_category", "Publicatiecategorie", "Publication category", "general"),
    ("goal", "Doel en impact", "Purpose and impact", "use"),
    ("proportionality", "Afwegingen", "Trade-offs", "use"),
    ("human_intervention", "Menselijke tussenkomst", "Human intervention", "use"),
    ("risks", "Risicobeheer", "Risk management", "use"),
    ("lawful_basis", "Wettelijke basis", "Legal basis", "use"),
    ("impacttoetsen", "Impacttoetsen", "Impact assessments", "use"),
    ("source_data", "Data", "Data sources", "operation"),
    ("methods_and_models", "Technische werking", "Technical operation", "operation"),
    ("provider", "Leverancier", "Provider", "operation"),
    ("publiccode", "Link naar broncode", "Link to source code", "operation"),
)
SECTIONS = {
    "general": bi("Algemene informatie", "General information"),
    "use": bi("Verantwoord gebruik", "Responsible use"),
    "operation": bi("Werking", "Operation"),
}
ASSESSMENTS = (
    ("DPIA", bi("Data Protection Impact Assessment (DPIA)", "Data Protection Impact Assessment (DPIA)")),
    ("IAMA", bi("Impact Assessment Mensenrechten en Algoritmes (IAMA)",
                "Fundamental Rights and Algorithms Impact Assessment (IAMA)")),
)  # fmt: skip


def entry(facts: Facts, card: dict[str, Any], deployer: Deployer, lang: Lang) -> dict[str, Any]:
    """One register entry in one language."""

    def pick(pair: Bi) -> str:
        return pair[lang]

    status = deployer.status if lang == "nl" else STATUS_EN[deployer.status]
    return {
        "name": pick(text.SYSTEM_NAME),
        "description_short": pick(text.SHORT_DESCRIPTION),
        "organization": pick(
            deployer.text("organisation", bi("volledige naam van de organisatie", "full name of the organisation"))
        ),
        "category": [pick(THEME)],
        "status": status,
        "begin_date": pick(
            deployer.text(
                "begin_date", bi("maand van ingebruikname (JJJJ-MM)", "month the system was taken into use (YYYY-MM)")
            )
        ),
        "end_date": None,
        "contact_email": pick(
            deployer.text(
                "contact", bi("e-mailadres of website voor vragen", "e-mail address or website for questions")
            )
        ),
        "website": pick(
            deployer.text("public_page", bi("URL van de eigen publiekspagina", "URL of the organisation's public page"))
        ),
        "publication_category": pick(CATEGORY),
        "goal": pick(text.PURPOSE) + "\n\n" + pick(text.IMPACT),
        "proportionality": pick(text.TRADE_OFFS),
        "human_intervention": pick(text.HUMAN_INTERVENTION),
        "risks": pick(text.RISK_MANAGEMENT) + "\n\n" + _fairness_line(card, lang),
        "lawful_basis": _legal_basis(deployer, lang),
        "lawful_basis_grouping": [{"title": b.title, "link": b.link or None} for b in deployer.legal_basis],
        "impacttoetsen": _assessments(deployer, lang),
        "impacttoetsen_grouping": _assessment_links(deployer, lang),
        "source_data": pick(text.DATA_SOURCES),
        "methods_and_models": pick(text.TECHNICAL_OPERATION)
        + "\n\n"
        + pick(text.shortlist_method(facts.tags))
        + "\n\n"
        + performance_line(card, lang),
        "provider": deployer.provider or "Tegenkracht (open source)",
        "publiccode": _source_code(facts, deployer, lang),
        "lang": "NLD" if lang == "nl" else "ENG",
        "standard_version": STANDARD_VERSION,
        "source_id": f"{facts.name}/{facts.version}",
    }


def performance_line(card: dict[str, Any], lang: Lang) -> str:
    """The headline test figures in one sentence; the numbers are the logged metrics, rounded for reading."""
    ev = card["evaluation"]
    model = ev["metrics"]["observed"].get("model", {})
    checklist = ev["metrics"]["observed"].get("checklist", {})
    pr, base, p100 = (model.get("pr_auc"), checklist.get("pr_auc"), model.get("precision_at_100"))
    if pr is None:
        return {"nl": "Er zijn geen testcijfers vastgelegd.", "en": "No test figures were recorded."}[lang]
    base_text = f"{base:.3f}" if base is not None else "–"
    p100_text = f"{p100:.3f}" if p100 is not None else "–"
    return {
        "nl": f"Versie {card['model']['version']}, getest op peildatum {ev['test_as_of']}: PR-AUC {pr:.3f} "
        f"(checklist {base_text}), precisie van de top 100 per regio {p100_text} tegen bevestigde zaken.",
        "en": f"Version {card['model']['version']}, tested at as-of {ev['test_as_of']}: PR-AUC {pr:.3f} "
        f"(checklist {base_text}), precision of the top 100 per region {p100_text} against confirmed cases.",
    }[lang]


def _fairness_line(card: dict[str, Any], lang: Lang) -> str:
    f = card["fairness"]
    if not f.get("audited"):
        return {"nl": "Er is geen eerlijkheidsaudit opgeslagen: dit model kan niet door de poort.",
                "en": "No fairness audit is stored: this model cannot pass the gate."}[lang]  # fmt: skip
    verdict = f["observed"]["passed"]
    words = {"nl": ("geslaagd", "niet geslaagd"), "en": ("passed", "failed")}[lang]
    return {
        "nl": f"Eerlijkheidsaudit van deze versie ({f['observed']['decision']}): {words[0 if verdict else 1]}.",
        "en": f"Fairness audit of this version ({f['observed']['decision']}): {words[0 if verdict else 1]}.",
    }[lang]


def _legal_basis(deployer: Deployer, lang: Lang) -> str:
    if deployer.legal_basis:
        return "\n".join(b.title + (f" ({b.link})" if b.link else "") for b in deployer.legal_basis)
    return todo(bi("de wettelijke grondslag van de verwerking en van de inzet (bijvoorbeeld Wet Bibob, AVG art. "
                   "6(1)(e), het RIEC-convenant), met links naar wetten.overheid.nl",
                   "the legal basis of the processing and of the use (for instance the Bibob Act, GDPR art. "
                   "6(1)(e), the RIEC covenant), with links to wetten.overheid.nl"))[lang]  # fmt: skip


def _assessments(deployer: Deployer, lang: Lang) -> str:
    lines = []
    for kind, title in ASSESSMENTS:
        found = deployer.assessment(kind)
        if found is not None:
            lines.append(f"{title[lang]}: {found.summary or found.link or found.title}")
        else:
            lines.append(
                f"{title[lang]}: "
                + todo(
                    bi(
                        f"uitgevoerd op (datum), uitkomst en link naar de {kind}",
                        f"date carried out, outcome and link to the {kind}",
                    )
                )[lang]
            )
    return "\n".join(lines)


def _assessment_links(deployer: Deployer, lang: Lang) -> list[dict[str, Any]]:
    out = []
    for kind, title in ASSESSMENTS:
        found = deployer.assessment(kind)
        out.append({"title": title[lang], "link": (found.link or None) if found else None})
    return out


def _source_code(facts: Facts, deployer: Deployer, lang: Lang) -> str:
    if deployer.source_code:
        return deployer.source_code + (f" (commit {facts.source_commit})" if facts.source_commit else "")
    commit = f" (commit {facts.source_commit})" if facts.source_commit else ""
    return todo(bi(f"openbare URL van de broncode{commit}", f"public URL of the source code{commit}"))[lang]


def to_complete(entry_: dict[str, Any]) -> list[str]:
    """The fields of an entry that still hold a placeholder."""
    out = []
    for key, value in entry_.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and text.is_todo(v) for v in values):
            out.append(key)
    return out
