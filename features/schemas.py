"""The record schemas: the data contract every extract, synthetic or real, must satisfy.

Schemas are data (after nomenklatura's self-documenting features): each column states its meaning, unit and
the Dutch register it comes from, and ``docs/data.md`` is generated from these objects. Validation
(:mod:`features.validation`) turns them into pandera checks plus key and foreign-key checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from core.reference import (
    ADDRESS_TYPES,
    CASE_OUTCOMES,
    CASE_SOURCES,
    FILING_SOURCES,
    INSOLVENCY_TYPES,
    LEGAL_FORMS,
    OFFICER_ROLES,
    OWNER_TYPES,
    RIEC_REGIONS,
)

Kind = Literal["string", "int", "float", "date", "bool"]
RowRule = Callable[[pd.DataFrame], "pd.Series[bool]"]

HR = "Handelsregister (KvK)"
JR = "Jaarrekening (KvK deponering) / aangifte (Belastingdienst)"
BANK = "Bank transaction aggregates (FIU-Nederland / Belastingdienst)"
KAD = "Kadaster (Basisregistratie Kadaster)"
CIR = "Centraal Insolventieregister"
BAG = "BAG / CBS Gemeentelijke indeling"
CASES = "Partner case systems (RIEC, Bibob bureaus, FIOD)"

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


@dataclass(frozen=True)
class Column:
    """One column: type, constraints, and what it means for the people who read the data dictionary."""

    name: str
    kind: Kind
    description: str
    unit: str = ""
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns; ``bad`` returns True for rows that break it."""

    name: str
    description: str
    columns: tuple[str, ...]
    bad: RowRule


@dataclass(frozen=True)
class ForeignKey:
    """``column`` must name an existing row of ``ref_table``; ``when`` limits the rule to some rows."""

    column: str
    ref_table: str
    ref_column: str
    when: Callable[[pd.DataFrame], pd.Series[bool]] | None = None
    when_text: str = ""
    #: For references to companies: the date in this row that cannot precede the company's founding.
    not_before_founding: Callable[[pd.DataFrame], pd.Series] | None = None
    not_before_text: str = ""


@dataclass(frozen=True)
class TableSchema:
    """A record table: its columns, key, cross-column rules and references to other tables."""

    name: str
    description: str
    register: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_checks: tuple[RowCheck, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))


def _ends_before_start(start: str, end: str) -> RowRule:
    return lambda df: df[end].notna() & (df[end] < df[start])


def _order_rule(name: str, start: str, end: str) -> RowCheck:
    """An optional end date may not precede its start date."""
    return RowCheck(name, f"{end} must not precede {start}", (start, end), _ends_before_start(start, end))


def _of_company(dated: Callable[[pd.DataFrame], pd.Series], text: str, column: str = "company_id") -> ForeignKey:
    """A reference to a company whose founding the row's own date (``dated``) may not precede."""
    return ForeignKey(column, "companies", "company_id", not_before_founding=dated, not_before_text=text)


def _money(name: str, description: str, *, signed: bool = False, nullable: bool = False) -> Column:
    return Column(name, "int", description, unit="EUR", min=None if signed else 0, nullable=nullable)


_COMPANY_ID = Column("company_id", "string", "KvK number of the company (8 digits).", pattern=r"^\d{8}$")


SCHEMAS: tuple[TableSchema, ...] = (
    TableSchema(
        "addresses",
        "Addresses at postcode-area (PC4) precision with municipality and RIEC region.",
        BAG,
        (
            Column(
                "address_id",
                "string",
                "Address identifier (BAG nummeraanduiding in real data).",
                pattern=ID_PATTERN,
            ),
            Column("pc4", "string", "Four-digit postcode area.", pattern=r"^[1-9]\d{3}$"),
            Column("municipality", "string", "Municipality name."),
            Column("municipality_code", "string", "CBS municipality code.", pattern=r"^GM\d{4}$"),
            Column("riec_region", "string", "RIEC region responsible for the municipality.", allowed=RIEC_REGIONS),
            Column(
                "address_type",
                "string",
                "Use of the address: residential, commercial unit, or "
                "domicile/flex office (a provider hosting registrations); unknown when the source does not say "
                "(an import from FollowTheMoney, say).",
                allowed=(*ADDRESS_TYPES, "unknown"),
            ),
        ),
        key=("address_id",),
    ),
    TableSchema(
        "companies",
        "One row per registered company (legal entity or sole proprietorship).",
        HR,
        (
            _COMPANY_ID,
            Column("name", "string", "Trade name as registered."),
            Column("legal_form", "string", "Rechtsvorm.", allowed=LEGAL_FORMS),
            Column("sbi_code", "string", "Main activity, SBI 2008 code (4 or 5 digits).", pattern=r"^\d{4,5}$"),
            Column("founded_on", "date", "Date of registration (datum oprichting/inschrijving)."),
            Column(
                "dissolved_on",
                "date",
                "Date of dissolution or deregistration; empty while active.",
                nullable=True,
            ),
            Column("address_id", "string", "Registered (vestigings)address.", pattern=ID_PATTERN),
            Column(
                "employees",
                "int",
                "Employees (werkzame personen) as last registered; empty when the source does not say. No indicator "
                "reads it (employees_latest comes from the filings).",
                unit="persons",
                min=0,
                max=1_000_000,
                nullable=True,
            ),
        ),
        key=("company_id",),
        row_checks=(_order_rule("dissolved_before_founded", "founded_on", "dissolved_on"),),
        foreign_keys=(ForeignKey("address_id", "addresses", "address_id"),),
    ),
    TableSchema(
        "persons",
        "Pseudonymous natural persons who appear as officer or owner. No sensitive attribute "
        "lives here: birth year, gender and migration background are in sensitive/ only.",
        HR,
        (
            Column(
                "person_id",
                "string",
                "Pseudonym (keyed hash of the BSN/register number in real data).",
                pattern=ID_PATTERN,
            ),
        ),
        key=("person_id",),
    ),
    TableSchema(
        "officers",
        "Officer spells: who held which role at which company, from when to when.",
        HR,
        (
            _COMPANY_ID,
            Column("person_id", "string", "Pseudonym of the officer.", pattern=ID_PATTERN),
            Column(
                "role",
                "string",
                "bestuurder (director), aandeelhouder (registered sole shareholder), gevolmachtigde (proxy holder).",
                allowed=OFFICER_ROLES,
            ),
            Column("start_on", "date", "Start of the role (datum in functie)."),
            Column("end_on", "date", "End of the role; empty while in office.", nullable=True),
        ),
        key=("company_id", "person_id", "role", "start_on"),
        row_checks=(_order_rule("ends_before_start", "start_on", "end_on"),),
        foreign_keys=(
            _of_company(lambda df: df.start_on, "start_on"),
            ForeignKey("person_id", "persons", "person_id"),
        ),
    ),
    TableSchema(
        "ownerships",
        "Shareholding spells; owners are persons, Dutch companies or foreign entities.",
        "Handelsregister / UBO-register",
        (
            Column("owner_type", "string", "person, company or foreign_entity.", allowed=OWNER_TYPES),
            Column("owner_id", "string", "Pseudonym, KvK number, or foreign entity id.", pattern=ID_PATTERN),
            Column(
                "owner_jurisdiction",
                "string",
                "ISO 3166 code of the owner's seat; NL for Dutch owners.",
                pattern=r"^[A-Z]{2}$",
            ),
            _COMPANY_ID,
            Column("share", "float", "Fraction of shares held.", unit="fraction", min=1e-9, max=1.0),
            Column("start_on", "date", "Start of the holding."),
            Column("end_on", "date", "End of the holding; empty while held.", nullable=True),
        ),
        key=("owner_type", "owner_id", "company_id", "start_on"),
        row_checks=(
            _order_rule("ends_before_start", "start_on", "end_on"),
            RowCheck(
                "foreign_entity_in_nl",
                "a foreign entity cannot have jurisdiction NL",
                ("owner_type", "owner_jurisdiction"),
                lambda df: (df.owner_type == "foreign_entity") & (df.owner_jurisdiction == "NL"),
            ),
            RowCheck(
                "owns_itself",
                "a company cannot own itself",
                ("owner_id", "company_id"),
                lambda df: (df.owner_type == "company") & (df.owner_id == df.company_id),
            ),
        ),
        foreign_keys=(
            _of_company(lambda df: df.start_on, "start_on"),
            ForeignKey(
                "owner_id",
                "persons",
                "person_id",
                lambda df: df.owner_type == "person",
                "when owner_type is person",
            ),
            ForeignKey(
                "owner_id",
                "companies",
                "company_id",
                lambda df: df.owner_type == "company",
                "when owner_type is company",
            ),
        ),
    ),
    TableSchema(
        "filings",
        "Annual accounts per company and fiscal year, as filed (absent when never filed).",
        JR,
        (
            _COMPANY_ID,
            Column("fiscal_year", "int", "Fiscal year (calendar year).", min=1900, max=2100),
            Column(
                "source",
                "string",
                "jaarrekening (deposited accounts) or aangifte (tax return).",
                allowed=FILING_SOURCES,
            ),
            Column("filed_on", "date", "Date the filing was received; due by the end of the following year."),
            _money("revenue", "Netto-omzet."),
            _money("costs", "Total costs."),
            _money("profit", "Result before tax: revenue minus costs.", signed=True),
            _money("cash", "Liquide middelen at year end."),
            _money("total_assets", "Balance-sheet total."),
            _money("equity", "Eigen vermogen (may be negative).", signed=True),
            _money("liabilities", "Vreemd vermogen (debts)."),
            _money(
                "related_party_loans",
                "Loans from shareholders, directors or group companies (part of liabilities).",
            ),
            Column("employees", "int", "Average employees in the year.", unit="persons", min=0, max=1_000_000),
        ),
        key=("company_id", "fiscal_year", "source"),
        row_checks=(
            RowCheck(
                "balance_sheet",
                "total_assets must equal equity + liabilities (within 1 euro)",
                ("total_assets", "equity", "liabilities"),
                lambda df: (df.total_assets - df.equity - df.liabilities).abs() > 1,
            ),
            RowCheck(
                "profit_identity",
                "profit must equal revenue - costs (within 1 euro)",
                ("profit", "revenue", "costs"),
                lambda df: (df.revenue - df.costs - df.profit).abs() > 1,
            ),
            RowCheck(
                "cash_exceeds_assets",
                "cash cannot exceed total_assets",
                ("cash", "total_assets"),
                lambda df: df.cash > df.total_assets,
            ),
            RowCheck(
                "loans_exceed_liabilities",
                "related_party_loans cannot exceed liabilities",
                ("related_party_loans", "liabilities"),
                lambda df: df.related_party_loans > df.liabilities,
            ),
            RowCheck(
                "filed_before_year_end",
                "filed_on must be after the fiscal year ends",
                ("filed_on", "fiscal_year"),
                lambda df: df.filed_on.dt.year <= df.fiscal_year,
            ),
        ),
        foreign_keys=(
            _of_company(lambda df: pd.to_datetime(df.fiscal_year.astype(str) + "-12-31"), "the end of fiscal_year"),
        ),
    ),
    TableSchema(
        "cash_flows",
        "Quarterly bank aggregates per company.",
        BANK,
        (
            _COMPANY_ID,
            Column("quarter_start", "date", "First day of the quarter."),
            _money("cash_deposits", "Cash deposited."),
            _money("transfers_in", "Incoming non-cash transfers."),
            _money("transfers_out", "Outgoing transfers."),
            _money("foreign_in_low_risk", "Incoming from low-risk foreign jurisdictions (part of transfers_in)."),
            _money("foreign_in_high_risk", "Incoming from high-risk jurisdictions (part of transfers_in)."),
            _money("foreign_out_low_risk", "Outgoing to low-risk foreign jurisdictions (part of transfers_out)."),
            _money("foreign_out_high_risk", "Outgoing to high-risk jurisdictions (part of transfers_out)."),
        ),
        key=("company_id", "quarter_start"),
        row_checks=(
            RowCheck(
                "not_quarter_start",
                "quarter_start must be 1 January, April, July or October",
                ("quarter_start",),
                lambda df: (df.quarter_start.dt.day != 1) | ~df.quarter_start.dt.month.isin([1, 4, 7, 10]),
            ),
            RowCheck(
                "foreign_in_exceeds_total",
                "foreign incoming cannot exceed transfers_in",
                ("foreign_in_low_risk", "foreign_in_high_risk", "transfers_in"),
                lambda df: df.foreign_in_low_risk + df.foreign_in_high_risk > df.transfers_in + 2,
            ),
            RowCheck(
                "foreign_out_exceeds_total",
                "foreign outgoing cannot exceed transfers_out",
                ("foreign_out_low_risk", "foreign_out_high_risk", "transfers_out"),
                lambda df: df.foreign_out_low_risk + df.foreign_out_high_risk > df.transfers_out + 2,
            ),
        ),
        foreign_keys=(
            _of_company(
                lambda df: df.quarter_start + pd.DateOffset(months=3) - pd.Timedelta(days=1), "the end of the quarter"
            ),
        ),
    ),
    TableSchema(
        "properties",
        "Ownership spells of real estate held by companies.",
        KAD,
        (
            Column("property_id", "string", "Kadastral object id.", pattern=ID_PATTERN),
            Column("owner_company_id", "string", "KvK number of the owning company.", pattern=r"^\d{8}$"),
            Column("pc4", "string", "Postcode area of the property.", pattern=r"^[1-9]\d{3}$"),
            Column("purchase_date", "date", "Date of transfer to the owner."),
            _money("purchase_price", "Koopsom."),
            _money("mortgage_amount", "Hypotheek registered at purchase; 0 when none."),
            Column("resale_date", "date", "Date of onward transfer; empty while held.", nullable=True),
            _money("resale_price", "Koopsom of the onward transfer; empty while held.", nullable=True),
        ),
        key=("property_id", "owner_company_id", "purchase_date"),
        row_checks=(
            _order_rule("resold_before_bought", "purchase_date", "resale_date"),
            RowCheck(
                "resale_incomplete",
                "resale_date and resale_price are both present or both empty",
                ("resale_date", "resale_price"),
                lambda df: df.resale_date.isna() != df.resale_price.isna(),
            ),
            RowCheck(
                "zero_price",
                "purchase_price must be positive",
                ("purchase_price",),
                lambda df: df.purchase_price <= 0,
            ),
        ),
        foreign_keys=(_of_company(lambda df: df.purchase_date, "purchase_date", column="owner_company_id"),),
    ),
    TableSchema(
        "insolvencies",
        "Insolvency proceedings.",
        CIR,
        (
            _COMPANY_ID,
            Column("declared_on", "date", "Date of the court's declaration."),
            Column(
                "kind",
                "string",
                "faillissement, surseance (van betaling) or schuldsanering (WSNP).",
                allowed=INSOLVENCY_TYPES,
            ),
        ),
        key=("company_id", "declared_on"),
        foreign_keys=(_of_company(lambda df: df.declared_on, "declared_on"),),
    ),
    TableSchema(
        "cases",
        "Investigations by partners. Their outcomes are the (biased) labels, never the truth.",
        CASES,
        (
            Column("case_id", "string", "Case reference.", pattern=ID_PATTERN),
            _COMPANY_ID,
            Column("opened_on", "date", "Date the investigation was opened."),
            Column("closed_on", "date", "Date it was closed; empty while pending.", nullable=True),
            Column("outcome", "string", "confirmed, dismissed, or pending while open.", allowed=CASE_OUTCOMES),
            Column("source", "string", "Partner that ran the case.", allowed=CASE_SOURCES),
        ),
        key=("case_id",),
        row_checks=(
            _order_rule("closed_before_opened", "opened_on", "closed_on"),
            RowCheck(
                "pending_mismatch",
                "outcome is pending exactly when closed_on is empty",
                ("outcome", "closed_on"),
                lambda df: (df.outcome == "pending") != df.closed_on.isna(),
            ),
        ),
        foreign_keys=(_of_company(lambda df: df.opened_on, "opened_on"),),
    ),
    TableSchema(
        "jurisdictions",
        "Reference list of foreign jurisdictions with a risk class and its source.",
        "EU Annex I list / FATF / IMF",
        (
            Column("code", "string", "ISO 3166 alpha-2 code.", pattern=r"^[A-Z]{2}$"),
            Column("name", "string", "Name."),
            Column("risk", "string", "low or high.", allowed=("low", "high")),
            Column("source", "string", "Why the jurisdiction has this risk class."),
        ),
        key=("code",),
    ),
)

SCHEMA_BY_NAME: dict[str, TableSchema] = {s.name: s for s in SCHEMAS}

#: Word parts that mark a sensitive attribute (nationality, migration background, gender, age, religion) or a
#: direct encoding of one, in Dutch and English; matched anywhere in a name, so each is long enough to mean only that.
SENSITIVE_STEMS: tuple[str, ...] = (
    "nationalit",
    "citizenship",
    "burgerschap",
    "migra",
    "allochto",
    "autochto",
    "ethnic",
    "etnic",
    "herkomst",
    "afkomst",
    "gender",
    "geslacht",
    "sekse",
    "birth",
    "geboorte",
    "gebjaar",
    "gebdat",
    "leeftijd",
    "religi",
    "geloofsovertuig",
    "levensbeschouw",
    "socio",
    "ses_score",
    "ses_class",
)
#: Short words that mark one only as a whole token (``age`` is sensitive, ``agency`` and ``mortgage`` are not).
SENSITIVE_TOKENS: frozenset[str] = frozenset({"age", "sex", "ses", "race", "dob", "male", "female", "geloof"})
#: Encodings glued to a short word with no separator: ``agegroup``, ``sexcode``, ``AGECATEGORY``.
_GLUED = re.compile(
    r"^(?:age|sex|ses|race|dob)(?:group|groep|band|bracket|bucket|bin|class|klasse|cat|categor|cohort|range|code|"
    r"score|year|jaar|years|jaren)"
)


def _words(name: str) -> str:
    """Lower case, one underscore between words, camelCase split: ``ageGroup`` and ``AGE-GROUP`` read the same."""
    split = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    split = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", split)
    return re.sub(r"[^a-z0-9]+", "_", split.lower()).strip("_")


def is_sensitive_name(name: str) -> bool:
    """True when a column name is a sensitive attribute or a direct encoding of one.

    Every guard (validation, the importers, the pipeline, the catalogue, the model) asks this one function, so a
    name it misses would pass them all; both the name as written and its camelCase-split form are checked.
    """
    for norm in {re.sub(r"[^a-z0-9]+", "_", name.lower()), _words(name)}:
        tokens = norm.split("_")
        if any(stem in norm for stem in SENSITIVE_STEMS) or SENSITIVE_TOKENS.intersection(tokens):
            return True
        if any(_GLUED.match(token) for token in tokens):
            return True
    return False
