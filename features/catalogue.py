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

CATALOGUE_VERSION = "1.2.0"  # 1.1.0: domicile_address missing when the address type is unknown; 1.2.0: network circle

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


@dataclass(frozen=True, kw_only=True)
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


CATALOGUE: tuple[Indicator, ...] = (
    # --- company profile -------------------------------------------------------------------------------------
    Indicator(
        id="years_since_registration",
        label_nl="Jaren sinds inschrijving",
        label_en="Years since registration",
        description="Years since registration.",
        unit="years",
        direction="lower",
        family="profile",
        design_family="1,11",
        rationale="Shells and phoenix vehicles are young; most honest firms are too, so it is context more than "
        "evidence.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("companies.founded_on",),
    ),
    Indicator(
        id="legal_entity",
        label_nl="Rechtspersoon",
        label_en="Legal entity",
        description="1 for BV, NV or coöperatie (limited liability), else 0.",
        unit="flag",
        direction="context",
        family="profile",
        design_family="12",
        rationale="Limited liability allows layering and straw-man directors.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("companies.legal_form",),
    ),
    Indicator(
        id="sector_cash_intensive",
        label_nl="Kasintensieve sector",
        label_en="Cash-intensive sector",
        description="1 when the main SBI activity is one of the RIEC cash-intensive, low-entry sectors.",
        unit="flag",
        direction="higher",
        family="profile",
        design_family="5",
        rationale="Cash-intensive, low-entry trades are used to mix criminal cash with turnover.",
        source="RIEC2021",
        proxy_risk=True,
        inputs=("companies.sbi_code",),
    ),
    Indicator(
        id="employees_latest",
        label_nl="Werkzame personen",
        label_en="Employees",
        description="Employees in the latest filing known at the as-of date; missing when nothing was filed.",
        unit="persons",
        direction="context",
        family="profile",
        design_family="6",
        rationale="Context for turnover per employee; front businesses show turnover without staff.",
        source="FIOD2017",
        proxy_risk=False,
        inputs=("filings.employees", "filings.filed_on"),
    ),
    # --- address ---------------------------------------------------------------------------------------------
    Indicator(
        id="companies_at_address",
        label_nl="Bedrijven op adres",
        label_en="Companies at address",
        description="Active companies registered at the same address on the as-of date, this one included.",
        unit="companies",
        direction="higher",
        family="address",
        design_family="1",
        rationale="Shell companies cluster at domicile providers.",
        source="NSOC2024",
        proxy_risk=True,
        inputs=("companies.address_id", "companies.founded_on", "companies.dissolved_on"),
    ),
    Indicator(
        id="domicile_address",
        label_nl="Domicilie- of flexadres",
        label_en="Domicile or flex address",
        description="1 when the registered address is a domicile/flex office; missing when the source does not say.",
        unit="flag",
        direction="higher",
        family="address",
        design_family="1",
        rationale="Domicile addresses host most shells; also many honest start-ups and foreign subsidiaries.",
        source="NSOC2024",
        proxy_risk=False,
        inputs=("addresses.address_type",),
    ),
    Indicator(
        id="address_turnover_3y",
        label_nl="Verloop op adres (3 jaar)",
        label_en="Address turnover (3 years)",
        description="Other companies that registered at or left the address in the three years before the as-of date.",
        unit="events",
        direction="higher",
        family="address",
        design_family="1",
        rationale="Fast turnover of companies at an address marks a shell factory.",
        source="NSOC2024",
        proxy_risk=False,
        inputs=("companies.address_id", "companies.founded_on", "companies.dissolved_on"),
    ),
    # --- officers --------------------------------------------------------------------------------------------
    Indicator(
        id="director_changes_3y",
        label_nl="Bestuurderswisselingen (3 jaar)",
        label_en="Director changes (3 years)",
        description="Director appointments in the three years before the as-of date, the founding director excluded.",
        unit="changes",
        direction="higher",
        family="officers",
        design_family="3",
        rationale="Frequent director turnover conceals who controls a company.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "companies.founded_on"),
    ),
    Indicator(
        id="max_concurrent_mandates",
        label_nl="Gelijktijdige bestuursfuncties",
        label_en="Concurrent directorships",
        description="Largest number of directorships held at the as-of date by any current director.",
        unit="mandates",
        direction="higher",
        family="officers",
        design_family="4",
        rationale="Straw men (katvangers) hold many directorships at once.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "officers.end_on"),
    ),
    Indicator(
        id="officer_sector_spread",
        label_nl="Sectorspreiding bestuurders",
        label_en="Officer sector spread",
        description="Largest number of distinct SBI sections among the current mandates of any current director.",
        unit="sections",
        direction="higher",
        family="officers",
        design_family="4",
        rationale="Straw men serve unrelated trades; honest serial entrepreneurs mostly stay in one.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "officers.end_on", "companies.sbi_code"),
    ),
    Indicator(
        id="officer_prior_insolvencies",
        label_nl="Faillissementsverleden bestuurders",
        label_en="Officers' prior insolvencies",
        description="Other companies declared insolvent before the as-of date while a current director of this "
        "company was "
        "their director (or left less than a year before).",
        unit="companies",
        direction="higher",
        family="officers",
        design_family="2",
        rationale="What Justis RADAR checks on every registry change.",
        source="RADAR",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "officers.end_on", "insolvencies.declared_on"),
    ),
    Indicator(
        id="new_officer_with_insolvency_1y",
        label_nl="Nieuwe bestuurder met faillissementsverleden",
        label_en="New director with insolvency history",
        description="1 when a director appointed in the year before the as-of date "
        "was director of a company declared insolvent before the appointment.",
        unit="flag",
        direction="higher",
        family="officers",
        design_family="2",
        rationale="RADAR's core check on a registry change.",
        source="RADAR",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "officers.end_on", "insolvencies.declared_on"),
    ),
    Indicator(
        id="phoenix_same_sector",
        label_nl="Doorstart in dezelfde branche",
        label_en="Phoenix in the same trade",
        description="1 when a current "
        "director led a company with the same SBI code that was declared insolvent between two years before "
        "and one year after this company's founding.",
        unit="flag",
        direction="higher",
        family="officers",
        design_family="11",
        rationale="Phoenix: debts left behind, business continued by the same people.",
        source="RADAR",
        proxy_risk=False,
        inputs=("officers.person_id", "insolvencies.declared_on", "companies.sbi_code", "companies.founded_on"),
    ),
    Indicator(
        id="phoenix_same_address",
        label_nl="Doorstart op hetzelfde adres",
        label_en="Phoenix at the same address",
        description="1 when another "
        "company at this address was declared insolvent between two years before and one year after this "
        "company's founding.",
        unit="flag",
        direction="higher",
        family="officers",
        design_family="11",
        rationale="A phoenix often keeps the premises.",
        source="RADAR",
        proxy_risk=False,
        inputs=("companies.address_id", "insolvencies.declared_on", "companies.founded_on"),
    ),
    Indicator(
        id="proxy_holder_present",
        label_nl="Gevolmachtigde aanwezig",
        label_en="Proxy holder present",
        description="1 when a gevolmachtigde (proxy holder) is registered at the as-of date.",
        unit="flag",
        direction="higher",
        family="officers",
        design_family="4,12",
        rationale="Hidden principals act through proxies while a straw man is director.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("officers.role", "officers.start_on", "officers.end_on"),
    ),
    # --- ownership -------------------------------------------------------------------------------------------
    Indicator(
        id="foreign_owner",
        label_nl="Buitenlandse aandeelhouder",
        label_en="Foreign owner",
        description="1 when a direct owner at the as-of date sits abroad (a foreign entity, or a person resident "
        "abroad).",
        unit="flag",
        direction="higher",
        family="ownership",
        design_family="9",
        rationale="Foreign owners and financiers hide the origin of money; most are honest parent companies.",
        source="AMLC",
        proxy_risk=False,
        inputs=("ownerships.owner_jurisdiction", "ownerships.start_on", "ownerships.end_on"),
    ),
    Indicator(
        id="high_risk_jurisdiction_owner",
        label_nl="Eigenaar in risicoland",
        label_en="Owner in high-risk jurisdiction",
        description="1 when any owner up the ownership chain (up to five layers) sits in a high-risk jurisdiction.",
        unit="flag",
        direction="higher",
        family="ownership",
        design_family="9",
        rationale="Offshore owners obscure beneficial ownership.",
        source="AMLC",
        proxy_risk=False,
        inputs=("ownerships.owner_jurisdiction", "jurisdictions.risk"),
    ),
    Indicator(
        id="ownership_layers",
        label_nl="Eigendomslagen",
        label_en="Ownership layers",
        description="Number of company layers above this one in the "
        "ownership chain at the as-of date (capped at five); missing for forms without shares.",
        unit="layers",
        direction="higher",
        family="ownership",
        design_family="12",
        rationale="Opaque layering hides the beneficial owner.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("ownerships.owner_type", "ownerships.owner_id", "companies.legal_form"),
    ),
    Indicator(
        id="stichting_in_chain",
        label_nl="Stichting in eigendomsketen",
        label_en="Foundation in ownership chain",
        description="1 when a stichting owns this company directly or higher up the chain.",
        unit="flag",
        direction="higher",
        family="ownership",
        design_family="9",
        rationale="A stichting has no shareholders, which breaks the chain to a beneficial owner.",
        source="AMLC",
        proxy_risk=False,
        inputs=("ownerships.owner_id", "companies.legal_form"),
    ),
    Indicator(
        id="owner_changes_3y",
        label_nl="Eigenaarswisselingen (3 jaar)",
        label_en="Owner changes (3 years)",
        description="Ownership spells that started in the three years before the as-of date, after the founding month.",
        unit="changes",
        direction="higher",
        family="ownership",
        design_family="3",
        rationale="Frequent shareholder turnover conceals control.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("ownerships.start_on", "companies.founded_on"),
    ),
    # --- financial, against sector peers ---------------------------------------------------------------------
    Indicator(
        id="revenue_per_employee_z",
        label_nl="Omzet per werknemer t.o.v. branche",
        label_en="Revenue per employee vs peers",
        description="Robust z-score of log revenue per employee against peers (SBI section × size class).",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="6",
        rationale="Turnover out of line with staff and peers is how fronts launder.",
        source="AMS",
        proxy_risk=True,
        inputs=("filings.revenue", "filings.employees", "companies.sbi_code"),
        peer_relative=True,
    ),
    Indicator(
        id="revenue_growth_z",
        label_nl="Omzetsprong t.o.v. branche",
        label_en="Revenue jump vs peers",
        description="Robust z-score of the log change in revenue between the two latest known fiscal years, against "
        "peers.",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="6",
        rationale="Unexplained turnover rises triggered Amsterdam's shop screening.",
        source="AMS",
        proxy_risk=False,
        inputs=("filings.revenue", "filings.fiscal_year"),
        peer_relative=True,
    ),
    Indicator(
        id="margin_z",
        label_nl="Marge t.o.v. branche",
        label_en="Margin vs peers",
        description="Robust z-score of profit over revenue in the latest known filing, against peers.",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="6,13",
        rationale="Laundered turnover arrives without matching costs.",
        source="AMS",
        proxy_risk=False,
        inputs=("filings.profit", "filings.revenue"),
        peer_relative=True,
    ),
    Indicator(
        id="related_party_loans_z",
        label_nl="Leningen verbonden partijen t.o.v. branche",
        label_en="Related-party loans vs peers",
        description="Robust z-score of related-party loans as a share of liabilities, against peers.",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="7",
        rationale="Capital from unknown or related financiers is what Bibob asks about.",
        source="BIBOB",
        proxy_risk=False,
        inputs=("filings.related_party_loans", "filings.liabilities"),
        peer_relative=True,
    ),
    Indicator(
        id="cash_to_assets",
        label_nl="Kas als deel van de activa",
        label_en="Cash as a share of assets",
        description="Cash in the latest filed balance sheet divided by total assets.",
        unit="share",
        direction="higher",
        family="financial",
        design_family="7",
        rationale="Cash-intensive fronts hold cash their trade does not explain; the annual accounts show it years "
        "before bank data is requested.",
        source="RIEC2021",
        proxy_risk=False,
        inputs=("filings.cash", "filings.total_assets"),
    ),
    Indicator(
        id="revenue_shift_3y",
        label_nl="Omzetniveau tegenover de jaren ervoor",
        label_en="Revenue level against the years before",
        description="Natural log of mean revenue over the latest two filed fiscal years against the mean over the "
        "three fiscal years before them; missing when either period has no filing.",
        unit="log ratio",
        direction="higher",
        family="financial",
        design_family="7",
        rationale="A shop that is taken over and used to launder keeps a higher turnover; a one-year growth "
        "figure sees the jump once, a comparison of periods keeps seeing it.",
        source="AMS",
        proxy_risk=False,
        inputs=("filings.revenue", "filings.fiscal_year"),
    ),
    Indicator(
        id="negative_equity_active",
        label_nl="Negatief eigen vermogen",
        label_en="Negative equity while active",
        description="1 when the latest known filing shows negative equity; missing when nothing was filed.",
        unit="flag",
        direction="higher",
        family="financial",
        design_family="11",
        rationale="Trading on with negative equity precedes the bankruptcies phoenix schemes leave behind.",
        source="RADAR",
        proxy_risk=False,
        inputs=("filings.equity",),
    ),
    Indicator(
        id="cash_deposit_share_z",
        label_nl="Contante stortingen t.o.v. branche",
        label_en="Cash deposits vs peers",
        description="Robust z-score of cash deposits as a share of money received over the last four full quarters, "
        "against peers.",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="5,13",
        rationale="Cash deposits above what the trade normally takes in.",
        source="FIOD2017",
        proxy_risk=True,
        inputs=("cash_flows.cash_deposits", "cash_flows.transfers_in"),
        peer_relative=True,
    ),
    Indicator(
        id="transfers_to_revenue_z",
        label_nl="Doorstroom t.o.v. omzet",
        label_en="Pass-through vs revenue",
        description="Robust z-score of log "
        "(transfers in + out over the last four full quarters) over the latest revenue, against peers.",
        unit="robust z",
        direction="higher",
        family="financial",
        design_family="13",
        rationale="Money moving through a company with little registered activity.",
        source="FATF2018",
        proxy_risk=False,
        inputs=("cash_flows.transfers_in", "cash_flows.transfers_out", "filings.revenue"),
        peer_relative=True,
    ),
    Indicator(
        id="foreign_high_risk_share",
        label_nl="Aandeel risicolanden in betalingen",
        label_en="High-risk foreign share",
        description="High-risk foreign transfers as a share of all transfers over the last four full quarters.",
        unit="fraction",
        direction="higher",
        family="financial",
        design_family="9",
        rationale="Payments to and from high-risk jurisdictions.",
        source="AMLC",
        proxy_risk=True,
        inputs=("cash_flows.foreign_in_high_risk", "cash_flows.foreign_out_high_risk"),
    ),
    # --- filing behaviour ------------------------------------------------------------------------------------
    Indicator(
        id="last_filing_missing",
        label_nl="Laatste jaarstukken ontbreken",
        label_en="Last filing missing",
        description="1 when the last fiscal "
        "year whose deadline passed before the as-of date was not filed; missing when none was due yet.",
        unit="flag",
        direction="higher",
        family="filing",
        design_family="14",
        rationale="Late or missing accounts; weak evidence.",
        source="NONE",
        proxy_risk=False,
        inputs=("filings.fiscal_year", "filings.filed_on"),
    ),
    Indicator(
        id="last_filing_days_late",
        label_nl="Dagen te laat",
        label_en="Days late",
        description="Days between the deadline and the filing of the "
        "most recent fiscal year filed by the as-of date (0 when on time); missing when nothing was filed.",
        unit="days",
        direction="higher",
        family="filing",
        design_family="14",
        rationale="Late filing; weak evidence.",
        source="NONE",
        proxy_risk=False,
        inputs=("filings.filed_on", "filings.fiscal_year"),
    ),
    Indicator(
        id="filings_missing_share_5y",
        label_nl="Ontbrekende jaarstukken (5 jaar)",
        label_en="Missing filings (5 years)",
        description="Share of the last five due fiscal years, while the company existed, without a filing.",
        unit="fraction",
        direction="higher",
        family="filing",
        design_family="14",
        rationale="A habit of not filing; weak evidence.",
        source="NONE",
        proxy_risk=False,
        inputs=("filings.fiscal_year", "filings.filed_on"),
    ),
    # --- real estate -----------------------------------------------------------------------------------------
    Indicator(
        id="properties_held",
        label_nl="Vastgoed in bezit",
        label_en="Properties held",
        description="Properties owned at the as-of date.",
        unit="properties",
        direction="context",
        family="real_estate",
        design_family="8",
        rationale="Context for the purchase indicators.",
        source="AMLC",
        proxy_risk=False,
        inputs=("properties.purchase_date", "properties.resale_date"),
    ),
    Indicator(
        id="purchases_without_mortgage_5y",
        label_nl="Aankopen zonder hypotheek (5 jaar)",
        label_en="Purchases without mortgage (5 years)",
        description="Purchases in the five years before the as-of date with no mortgage registered.",
        unit="purchases",
        direction="higher",
        family="real_estate",
        design_family="8",
        rationale="Buying property without a mortgage can place criminal money.",
        source="CBS2015",
        proxy_risk=False,
        inputs=("properties.purchase_date", "properties.mortgage_amount"),
    ),
    Indicator(
        id="unmortgaged_purchases_to_assets",
        label_nl="Ongefinancierde aankopen t.o.v. balans",
        label_en="Unmortgaged purchases vs balance sheet",
        description="Price of purchases without mortgage in the last five years "
        "over total assets in the latest filing; missing without a filing.",
        unit="ratio",
        direction="higher",
        family="real_estate",
        design_family="8",
        rationale="Buying above what the buyer's balance sheet can explain.",
        source="CBS2015",
        proxy_risk=False,
        inputs=("properties.purchase_price", "properties.mortgage_amount", "filings.total_assets"),
    ),
    Indicator(
        id="quick_resales_5y",
        label_nl="Snelle doorverkopen (5 jaar)",
        label_en="Quick resales (5 years)",
        description="Resales in the last five years within a year of purchase at more than 20% above the purchase "
        "price.",
        unit="resales",
        direction="higher",
        family="real_estate",
        design_family="10",
        rationale="ABC transactions pump property values to launder money.",
        source="AMLC",
        proxy_risk=False,
        inputs=("properties.resale_date", "properties.resale_price", "properties.purchase_price"),
    ),
    # --- network ---------------------------------------------------------------------------------------------
    Indicator(
        id="linked_confirmed_1hop",
        label_nl="Directe banden met bevestigde zaken",
        label_en="Direct links to confirmed cases",
        description="Other companies with a confirmed case closed before the as-of date that share a current or recent "
        "officer, address or owner with this company.",
        unit="companies",
        direction="higher",
        family="network",
        design_family="15",
        rationale="Criminal networks reuse people, addresses and owners.",
        source="QUANTEXA",
        proxy_risk=True,
        inputs=(
            "officers.person_id",
            "companies.address_id",
            "ownerships.owner_id",
            "cases.outcome",
            "cases.closed_on",
        ),
    ),
    Indicator(
        id="linked_confirmed_2hop",
        label_nl="Indirecte banden met bevestigde zaken",
        label_en="Indirect links to confirmed cases",
        description="Companies with a confirmed case reached in exactly two company hops; hubs with more than 50 "
        "companies "
        "(large domicile providers) are not passed through.",
        unit="companies",
        direction="higher",
        family="network",
        design_family="15",
        rationale="Network drawings reach beyond direct links.",
        source="QUANTEXA",
        proxy_risk=True,
        inputs=(
            "officers.person_id",
            "companies.address_id",
            "ownerships.owner_id",
            "cases.outcome",
            "cases.closed_on",
        ),
    ),
    Indicator(
        id="ppr_confirmed",
        label_nl="Netwerknabijheid (PageRank)",
        label_en="Network proximity (PageRank)",
        description="Personalised PageRank "
        "from companies with a confirmed case over the company–person–address–owner graph, times the number of "
        "companies (1 = average); a company with a confirmed case of its own scores 0, so its own case never counts.",
        unit="relative",
        direction="higher",
        family="network",
        design_family="15",
        rationale="Proximity to confirmed cases through every path, weighted by how exclusive the links are.",
        source="QUANTEXA",
        proxy_risk=True,
        inputs=("officers.person_id", "companies.address_id", "ownerships.owner_id", "cases.outcome"),
    ),
    Indicator(
        id="linked_confirmed_people",
        label_nl="Banden via personen en eigenaren met bevestigde zaken",
        label_en="Links through people and owners to confirmed cases",
        description="Other companies with a confirmed case closed before the as-of date that share a current or recent "
        "officer or owner with this company (the registered address does not count here).",
        unit="companies",
        direction="higher",
        family="network",
        design_family="15",
        rationale="A shared director or owner is a choice; a shared address is often just a building. Networks "
        "reuse straw men and holding companies.",
        source="QUANTEXA",
        proxy_risk=True,
        inputs=("officers.person_id", "ownerships.owner_id", "cases.outcome", "cases.closed_on"),
    ),
    Indicator(
        id="linked_companies",
        label_nl="Verbonden bedrijven",
        label_en="Linked companies",
        description="Other companies that share a current or recent officer or owner with this company, through "
        "people and owners with at most 50 companies.",
        unit="companies",
        direction="context",
        family="network",
        design_family="15",
        rationale="Straw men, hidden principals and holding shells tie a network's companies together whether or "
        "not any of them was ever investigated.",
        source="QUANTEXA",
        proxy_risk=False,
        inputs=("officers.person_id", "officers.end_on", "ownerships.owner_id", "ownerships.end_on"),
    ),
    Indicator(
        id="linked_domicile_companies",
        label_nl="Verbonden bedrijven op een domicilieadres",
        label_en="Linked companies at a domicile address",
        description="Of the linked companies, those registered at a domicile or flex-office address.",
        unit="companies",
        direction="higher",
        family="network",
        design_family="2,15",
        rationale="Shell companies of a network cluster at domicile providers; a company tied to several of them "
        "by its people or owners is part of such a structure.",
        source="NSOC2024",
        proxy_risk=False,
        inputs=("officers.person_id", "ownerships.owner_id", "addresses.address_type"),
    ),
    Indicator(
        id="linked_insolvent_3y",
        label_nl="Verbonden bedrijven recent failliet",
        label_en="Linked companies insolvent in the last 3 years",
        description="Of the linked companies, those with an insolvency declared in the three years before the "
        "as-of date.",
        unit="companies",
        direction="higher",
        family="network",
        design_family="4,15",
        rationale="Shells and phoenix vehicles are used up and left to fail; RADAR checks officers' bankruptcies "
        "for the same reason.",
        source="RADAR",
        proxy_risk=False,
        inputs=("officers.person_id", "ownerships.owner_id", "insolvencies.declared_on"),
    ),
    Indicator(
        id="linked_young_companies",
        label_nl="Verbonden jonge bedrijven",
        label_en="Linked young companies",
        description="Of the linked companies, those founded in the three years before the as-of date.",
        unit="companies",
        direction="higher",
        family="network",
        design_family="1,15",
        rationale="A person or owner who keeps founding new companies is how fronts and shells are supplied.",
        source="RADAR",
        proxy_risk=False,
        inputs=("officers.person_id", "ownerships.owner_id", "companies.founded_on"),
    ),
)

# Identifying columns of an indicator table, never model inputs. The SBI section names a company's sector peers
# (reason codes compare with them; shortlists filter on them).
IDENTIFIERS: tuple[str, ...] = ("company_id", "riec_region", "municipality", "municipality_code", "sbi_section")
BY_ID: dict[str, Indicator] = {ind.id: ind for ind in CATALOGUE}
#: The model inputs, in catalogue order: every model is trained on, and scores, exactly these columns.
FEATURES: tuple[str, ...] = tuple(ind.id for ind in CATALOGUE)


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
