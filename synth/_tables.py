"""Turn the generator's index arrays into the public record tables (Arrow), with string identifiers.

Internal indices never leave the generator: every table is keyed by the identifiers a real extract would
carry (KvK-like numbers, pseudonymous person ids), so real data drops in through the same schemas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synth._addresses import Addresses
from synth._arrays import NAT, IntArray, unique_ids
from synth._companies import Companies
from synth._events import Cases, Insolvencies
from synth._finance import CashFlows, Filings
from synth._ownership import Ownerships
from synth._people import People
from synth._places import Geography
from synth._property import Properties
from synth._reference import (
    ADDRESS_TYPES,
    CASE_OUTCOMES,
    CASE_SOURCES,
    FILING_SOURCES,
    GENDERS,
    INSOLVENCY_TYPES,
    JURISDICTIONS,
    LEGAL_FORMS,
    MECHANISMS,
    MIGRATION_BACKGROUNDS,
    MUNICIPALITIES,
    OFFICER_ROLES,
    OWNER_TYPES,
    SECTORS,
    SES_CLASSES,
)
from synth._sensitive import Sensitive


def _ids(rng: np.random.Generator, n: int, prefix: str, width: int) -> pa.Array:
    nums = unique_ids(rng, n, 10 ** (width - 1) if not prefix else 0, 10**width)
    text = pc.utf8_lpad(pa.array(nums).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def _dates(a: IntArray) -> pa.Array:
    return pa.array(a.astype(np.int32), type=pa.date32(), mask=a == NAT)


def _labels(values: tuple[str, ...] | list[str], idx: IntArray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[idx], type=pa.string())


@dataclass
class Ids:
    """String identifiers per internal index."""

    company: pa.Array
    person: pa.Array
    address: pa.Array
    foreign: pa.Array


def make_ids(rngs: dict[str, np.random.Generator], co: Companies, pp: People, ad: Addresses, ow: Ownerships) -> Ids:
    """Each kind of identifier from its own stream, so ids don't shift when another part of the world changes."""
    return Ids(
        company=_ids(rngs["ids"], co.n, "", 8),
        person=_ids(rngs["ids_person"], pp.n_persons, "P", 10),
        address=_ids(rngs["ids_address"], len(ad.pc4), "A", 9),
        foreign=_ids(rngs["ids_foreign"], max(ow.n_foreign, 1), "F", 7),
    )


#: Sort order of every written table: by public identifiers only. Rows come out of the generator grouped by
#: mechanism (phoenix predecessors last, straw men first); written in that order, row position alone would tell
#: a model who is involved.
SORT_KEYS: dict[str, list[str]] = {
    "companies": ["company_id"],
    "addresses": ["address_id"],
    "persons": ["person_id"],
    "officers": ["company_id", "start_on", "person_id", "role"],
    "ownerships": ["company_id", "start_on", "owner_type", "owner_id"],
    "filings": ["company_id", "fiscal_year", "source"],
    "cash_flows": ["company_id", "quarter_start"],
    "properties": ["property_id", "purchase_date", "owner_company_id"],
    "insolvencies": ["company_id", "declared_on"],
    "cases": ["case_id"],
    "jurisdictions": ["code"],
    "truth/companies": ["company_id"],
    "sensitive/persons": ["person_id"],
    "sensitive/neighbourhoods": ["pc4"],
}


def in_public_order(name: str, table: pa.Table) -> pa.Table:
    """The table sorted by its public identifiers (see ``SORT_KEYS``)."""
    return table.sort_by([(k, "ascending") for k in SORT_KEYS[name]])


_NAME_A = (
    "Noord",
    "Zuid",
    "Delta",
    "Polder",
    "Tulp",
    "Molen",
    "Haven",
    "Kade",
    "Dijk",
    "Linde",
    "Eik",
    "Oranje",
    "Zilver",
    "Goud",
    "Ster",
    "Vos",
    "Valk",
    "Meeuw",
    "Duin",
    "Kroon",
    "Brug",
    "Toren",
    "Gracht",
    "Vaart",
)
_NAME_B = (
    "Groep",
    "Partners",
    "Services",
    "Handel",
    "Werken",
    "Collectief",
    "Projecten",
    "Zaken",
    "Invest",
    "Studio",
    "Company",
    "& Zn.",
)


def companies_table(rng: np.random.Generator, co: Companies, ad: Addresses, ids: Ids) -> pa.Table:
    """The Handelsregister extract: one row per company."""
    a = _labels(_NAME_A, rng.integers(0, len(_NAME_A), co.n))
    b = _labels(_NAME_B, rng.integers(0, len(_NAME_B), co.n))
    name = pc.binary_join_element_wise(a, b, " ")
    return pa.table(
        {
            "company_id": ids.company,
            "name": name,
            "legal_form": _labels(LEGAL_FORMS, co.legal_form),
            "sbi_code": _labels([s.sbi for s in SECTORS], co.sector),
            "founded_on": _dates(co.founded),
            "dissolved_on": _dates(co.dissolved),
            "address_id": ids.address.take(pa.array(ad.of_company)),
            "employees": pa.array(co.employees, type=pa.int32()),
        }
    )


def addresses_table(geo: Geography, ad: Addresses, ids: Ids) -> pa.Table:
    """Addresses at PC4 precision with municipality and RIEC region."""
    muni = geo.pc4_muni[ad.pc4]
    return pa.table(
        {
            "address_id": ids.address,
            "pc4": pa.array(geo.pc4_code[ad.pc4].astype(np.int32)).cast(pa.string()),
            "municipality": _labels([m.name for m in MUNICIPALITIES], muni),
            "municipality_code": _labels([m.cbs_code for m in MUNICIPALITIES], muni),
            "riec_region": _labels([m.region for m in MUNICIPALITIES], muni),
            "address_type": _labels(ADDRESS_TYPES, ad.kind),
        }
    )


def referenced_persons(pp: People, ow: Ownerships) -> IntArray:
    """Persons who appear in the register (as officer or owner); unused pool entries are dropped."""
    as_owner = ow.owner[ow.owner_type == OWNER_TYPES.index("person")]
    return np.unique(np.concatenate([pp.off_person, as_owner]))


def persons_table(persons: IntArray, ids: Ids) -> pa.Table:
    """Pseudonymous persons. Birth year, gender and background live in ``sensitive/`` only."""
    return pa.table({"person_id": ids.person.take(pa.array(persons))})


def officers_table(pp: People, ids: Ids) -> pa.Table:
    """Officer spells: who held which role at which company, from when to when."""
    return pa.table(
        {
            "company_id": ids.company.take(pa.array(pp.off_company)),
            "person_id": ids.person.take(pa.array(pp.off_person)),
            "role": _labels(OFFICER_ROLES, pp.off_role),
            "start_on": _dates(pp.off_start),
            "end_on": _dates(pp.off_end),
        }
    )


def ownerships_table(ow: Ownerships, ids: Ids) -> pa.Table:
    """Ownership spells with the owner's kind and jurisdiction (NL for Dutch owners)."""
    owner_id = np.empty(len(ow.owner), dtype=object)
    for kind, table in (("person", ids.person), ("company", ids.company), ("foreign_entity", ids.foreign)):
        sel = np.flatnonzero(ow.owner_type == OWNER_TYPES.index(kind))
        owner_id[sel] = table.take(pa.array(ow.owner[sel])).to_numpy(zero_copy_only=False)
    codes = np.asarray(["NL"] + [j.code for j in JURISDICTIONS], dtype=object)
    return pa.table(
        {
            "owner_type": _labels(OWNER_TYPES, ow.owner_type),
            "owner_id": pa.array(owner_id, type=pa.string()),
            "owner_jurisdiction": pa.array(codes[ow.jurisdiction + 1], type=pa.string()),
            "company_id": ids.company.take(pa.array(ow.company)),
            "share": pa.array(ow.share),
            "start_on": _dates(ow.start),
            "end_on": _dates(ow.end),
        }
    )


def filings_table(fi: Filings, ids: Ids) -> pa.Table:
    """Annual accounts (jaarrekening) or tax-return figures (aangifte), in whole euros."""
    money = (
        "revenue",
        "costs",
        "profit",
        "cash",
        "total_assets",
        "equity",
        "liabilities",
        "related_party_loans",
    )
    cols: dict[str, pa.Array] = {
        "company_id": ids.company.take(pa.array(fi.company)),
        "fiscal_year": pa.array(fi.year.astype(np.int16)),
        "source": _labels(FILING_SOURCES, fi.source),
        "filed_on": _dates(fi.filed_on),
    }
    cols.update({m: pa.array(getattr(fi, m)) for m in money})
    cols["employees"] = pa.array(fi.employees.astype(np.int32))
    return pa.table(cols)


def cash_flows_table(cf: CashFlows, ids: Ids) -> pa.Table:
    """Quarterly bank aggregates per company, in whole euros."""
    cols: dict[str, pa.Array] = {
        "company_id": ids.company.take(pa.array(cf.company)),
        "quarter_start": _dates(cf.quarter_start),
    }
    for m in (
        "cash_deposits",
        "transfers_in",
        "transfers_out",
        "foreign_in_low_risk",
        "foreign_in_high_risk",
        "foreign_out_low_risk",
        "foreign_out_high_risk",
    ):
        cols[m] = pa.array(getattr(cf, m))
    return pa.table(cols)


def properties_table(rng: np.random.Generator, geo: Geography, pr: Properties, ids: Ids) -> pa.Table:
    """Kadaster-like ownership spells of properties held by companies."""
    n_prop = int(pr.property.max()) + 1 if len(pr.property) else 0
    prop_ids = _ids(rng, max(n_prop, 1), "K", 9)
    return pa.table(
        {
            "property_id": prop_ids.take(pa.array(pr.property)),
            "owner_company_id": ids.company.take(pa.array(pr.owner)),
            "pc4": pa.array(geo.pc4_code[pr.pc4].astype(np.int32)).cast(pa.string()),
            "purchase_date": _dates(pr.purchase_date),
            "purchase_price": pa.array(pr.purchase_price),
            "mortgage_amount": pa.array(pr.mortgage),
            "resale_date": _dates(pr.resale_date),
            "resale_price": pa.array(pr.resale_price, mask=pr.resale_price < 0),
        }
    )


def insolvencies_table(ins: Insolvencies, ids: Ids) -> pa.Table:
    """Insolvency register (Centraal Insolventieregister) entries."""
    return pa.table(
        {
            "company_id": ids.company.take(pa.array(ins.company)),
            "declared_on": _dates(ins.declared_on),
            "kind": _labels(INSOLVENCY_TYPES, ins.kind),
        }
    )


def cases_table(rng: np.random.Generator, cs: Cases, ids: Ids) -> pa.Table:
    """Investigations by partners; outcome ``pending`` while open."""
    return pa.table(
        {
            "case_id": _ids(rng, max(len(cs.company), 1), "C", 8)[: len(cs.company)],
            "company_id": ids.company.take(pa.array(cs.company)),
            "opened_on": _dates(cs.opened_on),
            "closed_on": _dates(cs.closed_on),
            "outcome": _labels(CASE_OUTCOMES, cs.outcome),
            "source": _labels(CASE_SOURCES, cs.source),
        }
    )


def jurisdictions_table() -> pa.Table:
    """Reference: foreign jurisdictions with their risk class and the source of that class."""
    return pa.table(
        {
            "code": [j.code for j in JURISDICTIONS],
            "name": [j.name for j in JURISDICTIONS],
            "risk": [j.risk for j in JURISDICTIONS],
            "source": [j.source for j in JURISDICTIONS],
        }
    )


def sensitive_tables(geo: Geography, sens: Sensitive, persons: IntArray, ids: Ids) -> dict[str, pa.Table]:
    """The only tables that carry sensitive attributes. Only the fairness audit may read them."""
    return {
        "persons": pa.table(
            {
                "person_id": ids.person.take(pa.array(persons)),
                "birth_year": pa.array(sens.birth_year[persons].astype(np.int16)),
                "gender": _labels(GENDERS, sens.gender[persons]),
                "migration_background": _labels(MIGRATION_BACKGROUNDS, sens.migration[persons]),
            }
        ),
        "neighbourhoods": pa.table(
            {
                "pc4": pa.array(geo.pc4_code.astype(np.int32)).cast(pa.string()),
                "ses_score": pa.array(np.round(geo.pc4_ses, 4)),
                "ses_class": _labels(SES_CLASSES, sens.ses_class),
            }
        ),
    }


def truth_table(co: Companies, ids: Ids) -> pa.Table:
    """Ground truth per company; never an input to indicators or models, only to evaluation."""
    net = np.asarray([f"N{i:06d}" for i in range(int(co.network.max()) + 2)], dtype=object)
    return pa.table(
        {
            "company_id": ids.company,
            "involved": pa.array(co.involved),
            "mechanism": _labels(MECHANISMS, np.where(co.targeted, co.mechanism, 0)),
            "network_id": pa.array(net[np.maximum(co.network, 0)], type=pa.string(), mask=co.network < 0),
            "targeted": pa.array(co.targeted),
            "intensity": pa.array(np.round(co.intensity, 6)),
            "control_start": _dates(co.control_start),
            "propensity": pa.array(np.round(co.propensity, 8)),
        }
    )
