"""The indicator catalogue: every indicator Tegenkracht may compute, documented as data in one place.

SyRI fell for secret indicators. Here each indicator states what it measures, its unit, which direction raises
concern, why it is a red flag and who says so, which family of ``../shared/DESIGN.md`` §3 it belongs to, and
whether it may stand in for a sensitive attribute or a poor neighbourhood (``proxy_risk``), so the fairness audit
knows what to test. ``docs/indicators.md`` is generated from this module and the pipeline refuses to emit a
column that is not catalogued here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

from features.schemas import is_sensitive_name

Direction = Literal["higher", "lower", "context"]

CATALOGUE_VERSION = "1.1.0"  # 1.1.0: domicile_address is missing when the address type is unknown

# Sources, cited by short key in the catalogue and in full in docs/indicators.md.
SOURCES: dict[str, str] = {
    "NSOC2024": "NSOC (2024), risky addresses: ~220 addresses, ~1,300 companies, ~€9.8bn suspicious transactions",
    "FATF2018": "FATF/Egmont Group (2018), Concealment of Beneficial Ownership",
    "RADAR": "Justis RADAR (since 2011): automatic check of new officers for bankruptcies and antecedents",
    "RIEC2021": "RIEC Rotterdam (2021), sector criteria for cash-intensive, low-entry sectors",
    "FIOD2017": "FIOD (2017) on barbers and phone shops without customers",
    "AMS": "Gemeente Amsterdam, screening of ~200 shops on unexplained turnover rises",
    "BIBOB": "Wet Bibob questionnaires: who supplies capital and who controls",
    "CBS2015": "CBS / Zicht op Ondermijning: ~10,600 property purchases without mortgage in 2015",
    "AMLC": "AMLC typologies: laundering via real estate, offshore owners, ABC transactions",
    "NONE": "No Dutch source found; listed by FATF. Treat as weak evidence",
    "QUANTEXA": "Network context scoring (Quantexa/Palantir practice); RADAR network drawings",
}


@dataclass(frozen=True)
class Indicator:
    """One catalogued indicator.

    ``inputs`` lists the record columns it reads (``table.column``); a sensitive-looking input is refused when
    the catalogue loads, so no definition can smuggle a sensitive attribute into a model.
    """

    id: str
    label_nl: str
    label_en: str
    description: str
    unit: str
    direction: Direction
    family: str
    design_family: str  # family number(s) in DESIGN.md §3
    rationale: str
    source: str  # key into SOURCES
    proxy_risk: bool
    inputs: tuple[str, ...]
    peer_relative: bool = False


def _i(*args: object, **kwargs: object) -> Indicator:
    return Indicator(*args, **kwargs)  # type: ignore[arg-type]


CATALOGUE: tuple[Indicator, ...] = (
    # --- company profile -------------------------------------------------------------------------------------
    _i(
        "years_since_registration",
        "Jaren sinds inschrijving",
        "Years since registration",
        "Years since registration.",
        "years",
        "lower",
        "profile",
        "1,11",
        "Shells and phoenix vehicles are young; most honest firms are too, so it is context more than evidence.",
        "FATF2018",
        False,
        ("companies.founded_on",),
    ),
    _i(
        "legal_entity",
        "Rechtspersoon",
        "Legal entity",
        "1 for BV, NV or coöperatie (limited liability), else 0.",
        "flag",
        "context",
        "profile",
        "12",
        "Limited liability allows layering and straw-man directors.",
        "FATF2018",
        False,
        ("companies.legal_form",),
    ),
    _i(
        "sector_cash_intensive",
        "Kasintensieve sector",
        "Cash-intensive sector",
        "1 when the main SBI activity is one of the RIEC cash-intensive, low-entry sectors.",
        "flag",
        "higher",
        "profile",
        "5",
        "Cash-intensive, low-entry trades are used to mix criminal cash with turnover.",
        "RIEC2021",
        True,
        ("companies.sbi_code",),
    ),
    _i(
        "employees_latest",
        "Werkzame personen",
        "Employees",
        "Employees in the latest filing known at the as-of date; missing when nothing was filed.",
        "persons",
        "context",
        "profile",
        "6",
        "Context for turnover per employee; front businesses show turnover without staff.",
        "FIOD2017",
        False,
        ("filings.employees", "filings.filed_on"),
    ),
    # --- address ---------------------------------------------------------------------------------------------
    _i(
        "companies_at_address",
        "Bedrijven op adres",
        "Companies at address",
        "Active companies registered at the same address on the as-of date, this one included.",
        "companies",
        "higher",
        "address",
        "1",
        "Shell companies cluster at domicile providers.",
        "NSOC2024",
        True,
        ("companies.address_id", "companies.founded_on", "companies.dissolved_on"),
    ),
    _i(
        "domicile_address",
        "Domicilie- of flexadres",
        "Domicile or flex address",
        "1 when the registered address is a domicile/flex office; missing when the source does not say.",
        "flag",
        "higher",
        "address",
        "1",
        "Domicile addresses host most shells; also many honest start-ups and foreign subsidiaries.",
        "NSOC2024",
        False,
        ("addresses.address_type",),
    ),
    _i(
        "address_turnover_3y",
        "Verloop op adres (3 jaar)",
        "Address turnover (3 years)",
        "Other companies that registered at or left the address in the three years before the as-of date.",
        "events",
        "higher",
        "address",
        "1",
        "Fast turnover of companies at an address marks a shell factory.",
        "NSOC2024",
        False,
        ("companies.address_id", "companies.founded_on", "companies.dissolved_on"),
    ),
    # --- officers --------------------------------------------------------------------------------------------
    _i(
        "director_changes_3y",
        "Bestuurderswisselingen (3 jaar)",
        "Director changes (3 years)",
        "Director appointments in the three years before the as-of date, the founding director excluded.",
        "changes",
        "higher",
        "officers",
        "3",
        "Frequent director turnover conceals who controls a company.",
        "FATF2018",
        False,
        ("officers.role", "officers.start_on", "companies.founded_on"),
    ),
    _i(
        "max_concurrent_mandates",
        "Gelijktijdige bestuursfuncties",
        "Concurrent directorships",
        "Largest number of directorships held at the as-of date by any current director.",
        "mandates",
        "higher",
        "officers",
        "4",
        "Straw men (katvangers) hold many directorships at once.",
        "FATF2018",
        False,
        ("officers.role", "officers.start_on", "officers.end_on"),
    ),
    _i(
        "officer_sector_spread",
        "Sectorspreiding bestuurders",
        "Officer sector spread",
        "Largest number of distinct SBI sections among the current mandates of any current director.",
        "sections",
        "higher",
        "officers",
        "4",
        "Straw men serve unrelated trades; honest serial entrepreneurs mostly stay in one.",
        "FATF2018",
        False,
        ("officers.role", "officers.start_on", "officers.end_on", "companies.sbi_code"),
    ),
    _i(
        "officer_prior_insolvencies",
        "Faillissementsverleden bestuurders",
        "Officers' prior insolvencies",
        "Other companies declared insolvent before the as-of date while a current director of this company was "
        "their director (or left less than a year before).",
        "companies",
        "higher",
        "officers",
        "2",
        "What Justis RADAR checks on every registry change.",
        "RADAR",
        False,
        ("officers.role", "officers.start_on", "officers.end_on", "insolvencies.declared_on"),
    ),
    _i(
        "new_officer_with_insolvency_1y",
        "Nieuwe bestuurder met faillissementsverleden",
        "New director with insolvency history",
        "1 when a director appointed in the year before the as-of date "
        "was director of a company declared insolvent before the appointment.",
        "flag",
        "higher",
        "officers",
        "2",
        "RADAR's core check on a registry change.",
        "RADAR",
        False,
        ("officers.role", "officers.start_on", "officers.end_on", "insolvencies.declared_on"),
    ),
    _i(
        "phoenix_same_sector",
        "Doorstart in dezelfde branche",
        "Phoenix in the same trade",
        "1 when a current "
        "director led a company with the same SBI code that was declared insolvent between two years before "
        "and one year after this company's founding.",
        "flag",
        "higher",
        "officers",
        "11",
        "Phoenix: debts left behind, business continued by the same people.",
        "RADAR",
        False,
        ("officers.person_id", "insolvencies.declared_on", "companies.sbi_code", "companies.founded_on"),
    ),
    _i(
        "phoenix_same_address",
        "Doorstart op hetzelfde adres",
        "Phoenix at the same address",
        "1 when another "
        "company at this address was declared insolvent between two years before and one year after this "
        "company's founding.",
        "flag",
        "higher",
        "officers",
        "11",
        "A phoenix often keeps the premises.",
        "RADAR",
        False,
        ("companies.address_id", "insolvencies.declared_on", "companies.founded_on"),
    ),
    _i(
        "proxy_holder_present",
        "Gevolmachtigde aanwezig",
        "Proxy holder present",
        "1 when a gevolmachtigde (proxy holder) is registered at the as-of date.",
        "flag",
        "higher",
        "officers",
        "4,12",
        "Hidden principals act through proxies while a straw man is director.",
        "FATF2018",
        False,
        ("officers.role", "officers.start_on", "officers.end_on"),
    ),
    # --- ownership -------------------------------------------------------------------------------------------
    _i(
        "foreign_owner",
        "Buitenlandse aandeelhouder",
        "Foreign owner",
        "1 when a direct owner at the as-of date sits abroad (a foreign entity, or a person resident abroad).",
        "flag",
        "higher",
        "ownership",
        "9",
        "Foreign owners and financiers hide the origin of money; most are honest parent companies.",
        "AMLC",
        False,
        ("ownerships.owner_jurisdiction", "ownerships.start_on", "ownerships.end_on"),
    ),
    _i(
        "high_risk_jurisdiction_owner",
        "Eigenaar in risicoland",
        "Owner in high-risk jurisdiction",
        "1 when any owner up the ownership chain (up to five layers) sits in a high-risk jurisdiction.",
        "flag",
        "higher",
        "ownership",
        "9",
        "Offshore owners obscure beneficial ownership.",
        "AMLC",
        False,
        ("ownerships.owner_jurisdiction", "jurisdictions.risk"),
    ),
    _i(
        "ownership_layers",
        "Eigendomslagen",
        "Ownership layers",
        "Number of company layers above this one in the "
        "ownership chain at the as-of date (capped at five); missing for forms without shares.",
        "layers",
        "higher",
        "ownership",
        "12",
        "Opaque layering hides the beneficial owner.",
        "FATF2018",
        False,
        ("ownerships.owner_type", "ownerships.owner_id", "companies.legal_form"),
    ),
    _i(
        "stichting_in_chain",
        "Stichting in eigendomsketen",
        "Foundation in ownership chain",
        "1 when a stichting owns this company directly or higher up the chain.",
        "flag",
        "higher",
        "ownership",
        "9",
        "A stichting has no shareholders, which breaks the chain to a beneficial owner.",
        "AMLC",
        False,
        ("ownerships.owner_id", "companies.legal_form"),
    ),
    _i(
        "owner_changes_3y",
        "Eigenaarswisselingen (3 jaar)",
        "Owner changes (3 years)",
        "Ownership spells that started in the three years before the as-of date, after the founding month.",
        "changes",
        "higher",
        "ownership",
        "3",
        "Frequent shareholder turnover conceals control.",
        "FATF2018",
        False,
        ("ownerships.start_on", "companies.founded_on"),
    ),
    # --- financial, against sector peers ---------------------------------------------------------------------
    _i(
        "revenue_per_employee_z",
        "Omzet per werknemer t.o.v. branche",
        "Revenue per employee vs peers",
        "Robust z-score of log revenue per employee against peers (SBI section × size class).",
        "robust z",
        "higher",
        "financial",
        "6",
        "Turnover out of line with staff and peers is how fronts launder.",
        "AMS",
        True,
        ("filings.revenue", "filings.employees", "companies.sbi_code"),
        True,
    ),
    _i(
        "revenue_growth_z",
        "Omzetsprong t.o.v. branche",
        "Revenue jump vs peers",
        "Robust z-score of the log change in revenue between the two latest known fiscal years, against peers.",
        "robust z",
        "higher",
        "financial",
        "6",
        "Unexplained turnover rises triggered Amsterdam's shop screening.",
        "AMS",
        False,
        ("filings.revenue", "filings.fiscal_year"),
        True,
    ),
    _i(
        "margin_z",
        "Marge t.o.v. branche",
        "Margin vs peers",
        "Robust z-score of profit over revenue in the latest known filing, against peers.",
        "robust z",
        "higher",
        "financial",
        "6,13",
        "Laundered turnover arrives without matching costs.",
        "AMS",
        False,
        ("filings.profit", "filings.revenue"),
        True,
    ),
    _i(
        "related_party_loans_z",
        "Leningen verbonden partijen t.o.v. branche",
        "Related-party loans vs peers",
        "Robust z-score of related-party loans as a share of liabilities, against peers.",
        "robust z",
        "higher",
        "financial",
        "7",
        "Capital from unknown or related financiers is what Bibob asks about.",
        "BIBOB",
        False,
        ("filings.related_party_loans", "filings.liabilities"),
        True,
    ),
    _i(
        "negative_equity_active",
        "Negatief eigen vermogen",
        "Negative equity while active",
        "1 when the latest known filing shows negative equity; missing when nothing was filed.",
        "flag",
        "higher",
        "financial",
        "11",
        "Trading on with negative equity precedes the bankruptcies phoenix schemes leave behind.",
        "RADAR",
        False,
        ("filings.equity",),
    ),
    _i(
        "cash_deposit_share_z",
        "Contante stortingen t.o.v. branche",
        "Cash deposits vs peers",
        "Robust z-score of cash deposits as a share of money received over the last four full quarters, against peers.",
        "robust z",
        "higher",
        "financial",
        "5,13",
        "Cash deposits above what the trade normally takes in.",
        "FIOD2017",
        True,
        ("cash_flows.cash_deposits", "cash_flows.transfers_in"),
        True,
    ),
    _i(
        "transfers_to_revenue_z",
        "Doorstroom t.o.v. omzet",
        "Pass-through vs revenue",
        "Robust z-score of log "
        "(transfers in + out over the last four full quarters) over the latest revenue, against peers.",
        "robust z",
        "higher",
        "financial",
        "13",
        "Money moving through a company with little registered activity.",
        "FATF2018",
        False,
        ("cash_flows.transfers_in", "cash_flows.transfers_out", "filings.revenue"),
        True,
    ),
    _i(
        "foreign_high_risk_share",
        "Aandeel risicolanden in betalingen",
        "High-risk foreign share",
        "High-risk foreign transfers as a share of all transfers over the last four full quarters.",
        "fraction",
        "higher",
        "financial",
        "9",
        "Payments to and from high-risk jurisdictions.",
        "AMLC",
        True,
        ("cash_flows.foreign_in_high_risk", "cash_flows.foreign_out_high_risk"),
    ),
    # --- filing behaviour ------------------------------------------------------------------------------------
    _i(
        "last_filing_missing",
        "Laatste jaarstukken ontbreken",
        "Last filing missing",
        "1 when the last fiscal "
        "year whose deadline passed before the as-of date was not filed; missing when none was due yet.",
        "flag",
        "higher",
        "filing",
        "14",
        "Late or missing accounts; weak evidence.",
        "NONE",
        False,
        ("filings.fiscal_year", "filings.filed_on"),
    ),
    _i(
        "last_filing_days_late",
        "Dagen te laat",
        "Days late",
        "Days between the deadline and the filing of the "
        "most recent fiscal year filed by the as-of date (0 when on time); missing when nothing was filed.",
        "days",
        "higher",
        "filing",
        "14",
        "Late filing; weak evidence.",
        "NONE",
        False,
        ("filings.filed_on", "filings.fiscal_year"),
    ),
    _i(
        "filings_missing_share_5y",
        "Ontbrekende jaarstukken (5 jaar)",
        "Missing filings (5 years)",
        "Share of the last five due fiscal years, while the company existed, without a filing.",
        "fraction",
        "higher",
        "filing",
        "14",
        "A habit of not filing; weak evidence.",
        "NONE",
        False,
        ("filings.fiscal_year", "filings.filed_on"),
    ),
    # --- real estate -----------------------------------------------------------------------------------------
    _i(
        "properties_held",
        "Vastgoed in bezit",
        "Properties held",
        "Properties owned at the as-of date.",
        "properties",
        "context",
        "real_estate",
        "8",
        "Context for the purchase indicators.",
        "AMLC",
        False,
        ("properties.purchase_date", "properties.resale_date"),
    ),
    _i(
        "purchases_without_mortgage_5y",
        "Aankopen zonder hypotheek (5 jaar)",
        "Purchases without mortgage (5 years)",
        "Purchases in the five years before the as-of date with no mortgage registered.",
        "purchases",
        "higher",
        "real_estate",
        "8",
        "Buying property without a mortgage can place criminal money.",
        "CBS2015",
        False,
        ("properties.purchase_date", "properties.mortgage_amount"),
    ),
    _i(
        "unmortgaged_purchases_to_assets",
        "Ongefinancierde aankopen t.o.v. balans",
        "Unmortgaged purchases vs balance sheet",
        "Price of purchases without mortgage in the last five years "
        "over total assets in the latest filing; missing without a filing.",
        "ratio",
        "higher",
        "real_estate",
        "8",
        "Buying above what the buyer's balance sheet can explain.",
        "CBS2015",
        False,
        ("properties.purchase_price", "properties.mortgage_amount", "filings.total_assets"),
    ),
    _i(
        "quick_resales_5y",
        "Snelle doorverkopen (5 jaar)",
        "Quick resales (5 years)",
        "Resales in the last five years within a year of purchase at more than 20% above the purchase price.",
        "resales",
        "higher",
        "real_estate",
        "10",
        "ABC transactions pump property values to launder money.",
        "AMLC",
        False,
        ("properties.resale_date", "properties.resale_price", "properties.purchase_price"),
    ),
    # --- network ---------------------------------------------------------------------------------------------
    _i(
        "linked_confirmed_1hop",
        "Directe banden met bevestigde zaken",
        "Direct links to confirmed cases",
        "Other companies with a confirmed case closed before the as-of date that share a current or recent "
        "officer, address or owner with this company.",
        "companies",
        "higher",
        "network",
        "15",
        "Criminal networks reuse people, addresses and owners.",
        "QUANTEXA",
        True,
        (
            "officers.person_id",
            "companies.address_id",
            "ownerships.owner_id",
            "cases.outcome",
            "cases.closed_on",
        ),
    ),
    _i(
        "linked_confirmed_2hop",
        "Indirecte banden met bevestigde zaken",
        "Indirect links to confirmed cases",
        "Companies with a confirmed case reached in exactly two company hops; hubs with more than 50 companies "
        "(large domicile providers) are not passed through.",
        "companies",
        "higher",
        "network",
        "15",
        "Network drawings reach beyond direct links.",
        "QUANTEXA",
        True,
        (
            "officers.person_id",
            "companies.address_id",
            "ownerships.owner_id",
            "cases.outcome",
            "cases.closed_on",
        ),
    ),
    _i(
        "ppr_confirmed",
        "Netwerknabijheid (PageRank)",
        "Network proximity (PageRank)",
        "Personalised PageRank "
        "from companies with a confirmed case over the company–person–address–owner graph, times the number of "
        "companies (1 = average); a company with a confirmed case of its own scores 0, so its own case never counts.",
        "relative",
        "higher",
        "network",
        "15",
        "Proximity to confirmed cases through every path, weighted by how exclusive the links are.",
        "QUANTEXA",
        True,
        ("officers.person_id", "companies.address_id", "ownerships.owner_id", "cases.outcome"),
    ),
)

# Identifying columns of an indicator table, never model inputs. The SBI section names a company's sector peers
# (reason codes compare with them; shortlists filter on them).
IDENTIFIERS: tuple[str, ...] = ("company_id", "riec_region", "municipality", "municipality_code", "sbi_section")
BY_ID: dict[str, Indicator] = {ind.id: ind for ind in CATALOGUE}


class CatalogueError(ValueError):
    """The catalogue breaks a rule every indicator must keep."""


def check_catalogue(catalogue: tuple[Indicator, ...] = CATALOGUE) -> None:
    """Refuse duplicate ids, unknown sources, and any indicator that is or reads a sensitive attribute."""
    ids = [i.id for i in catalogue]
    if len(set(ids)) != len(ids):
        raise CatalogueError("duplicate indicator ids")
    for ind in catalogue:
        if ind.source not in SOURCES:
            raise CatalogueError(f"{ind.id}: unknown source {ind.source!r}")
        bad = [c for c in (ind.id, *ind.inputs) if is_sensitive_name(c.split(".")[-1]) or c.startswith("sensitive")]
        if bad:
            raise CatalogueError(f"{ind.id}: refers to sensitive attribute(s) {bad}; indicators may never do so")


def catalogue_hash(catalogue: tuple[Indicator, ...] = CATALOGUE) -> str:
    """Content hash of the catalogue, so a run records exactly which definitions it used."""
    blob = json.dumps({"identifiers": IDENTIFIERS, "indicators": [asdict(i) for i in catalogue]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


check_catalogue()
