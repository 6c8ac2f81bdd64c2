"""FollowTheMoney entity streams (as ``ftm`` and OCCRP Aleph export them) into the project's record tables.

Each line is one entity (or a fragment of one: fragments with the same id are merged, as FtM does). The
``followthemoney`` package reads and validates every line: an unknown schema or a line that is not JSON is
reported with its line number and the rest is imported. The mapping, kept as data in :data:`MAPPING` and
published in ``docs/data.md``:

- Company, Organization, LegalEntity (and their descendants) with one Dutch KvK number (8 digits in
  ``registrationNumber``, and no foreign ``jurisdiction``) → ``companies``; without one they can only be foreign
  owners.
- Person → ``persons``, under a keyed pseudonym; names and other personal data are not imported.
- Address → ``addresses`` (PC4 from ``postalCode``, the municipality from ``city``, code and RIEC region looked up).
- Directorship → ``officers``; Ownership → ``ownerships`` (``percentage`` / 100 as the share).

Every property with no place in the schemas is counted in the report by ``Schema.property``, and every schema
without a table (Payment, say) by name. A Person's nationality, ethnicity, religion, political views, gender and
birth data never leave ``sensitive/``, and reach it only when the caller asks (``--sensitive``, for an audit).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from features.importers.records import Imported, ImportReport, RecordsImportError
from features.importers.reference import Municipalities, Pseudonymiser, legal_form, role
from features.validation import DATE_MAX, DATE_MIN

TABLE = "ftm"
KVK = re.compile(r"^\d{8}$")
SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: A whole Dutch postcode or its area alone; a prefix match would read ``12345`` as ``1234``.
PC4 = re.compile(r"^\s*([1-9]\d{3})\s*(?:[A-Za-z]{2})?\s*$")
SBI = re.compile(r"^\d{4,5}$")
#: FtM properties that are sensitive attributes or direct encodings of them: only ever into sensitive/.
SENSITIVE = ("nationality", "citizenship", "ethnicity", "religion", "political", "gender", "birthDate",
             "birthPlace", "birthCountry")  # fmt: skip
#: Personal data of a Person that the record tables have no place for and that is never imported.
PERSONAL = ("name", "firstName", "lastName", "middleName", "secondName", "fatherName", "motherName", "alias",
            "weakAlias", "previousName", "title", "nameSuffix", "email", "phone", "address", "idNumber",
            "passportNumber", "socialSecurityNumber", "taxNumber", "innCode")  # fmt: skip
#: Relation properties that may name a person: a dangling one is reported by the person's pseudonym, not the id.
PERSON_REFERENCES = frozenset({"director", "owner"})
#: Schema → the properties the mapping reads; everything else a line carries is reported as unmapped.
MAPPING: dict[str, dict[str, str]] = {
    "LegalEntity": {
        "registrationNumber": "companies.company_id (one 8-digit KvK number)",
        "name": "companies.name",
        "legalForm": "companies.legal_form (register wording normalised: 'B.V.' → BV)",
        "classification": "companies.sbi_code (4–5 digits, dots removed)",
        "sector": "companies.sbi_code when classification has none",
        "incorporationDate": "companies.founded_on (a full date)",
        "dissolutionDate": "companies.dissolved_on (a full date)",
        "addressEntity": "companies.address_id (an Address entity)",
        "jurisdiction": "Dutch (nl or none) or foreign; ownerships.owner_jurisdiction of a foreign owner",
        "country": "ownerships.owner_jurisdiction when jurisdiction is empty",
    },
    "Person": {"country": "ownerships.owner_jurisdiction of a person owner (country of residence)"},
    "Address": {
        "postalCode": "addresses.pc4 (its first four digits)",
        "city": "addresses.municipality; municipality_code and riec_region looked up",
        "country": "must be NL (or empty)",
    },
    "Directorship": {
        "director": "officers.person_id (a Person)",
        "organization": "officers.company_id (a Dutch company)",
        "role": "officers.role (bestuurder, aandeelhouder, gevolmachtigde; empty = bestuurder)",
        "startDate": "officers.start_on (a full date)",
        "endDate": "officers.end_on",
    },
    "Ownership": {
        "owner": "ownerships.owner_type and owner_id (Person, Dutch company or foreign entity)",
        "asset": "ownerships.company_id (a Dutch company)",
        "percentage": "ownerships.share (percentage / 100)",
        "startDate": "ownerships.start_on (a full date)",
        "endDate": "ownerships.end_on",
    },
}


class _UnusableError(Exception):
    """A value that keeps its entity out of the tables: which property, why, and the value."""

    def __init__(self, prop: str, reason: str, value: Any = "") -> None:
        super().__init__(reason)
        self.prop, self.reason, self.value = prop, reason, value


@dataclass
class Entities:
    """The merged entities of a stream and where each was first seen."""

    by_id: dict[str, Any] = field(default_factory=dict)
    line_of: dict[str, int] = field(default_factory=dict)

    def get(self, entity_id: str) -> Any | None:
        """An entity by id, or None."""
        return self.by_id.get(entity_id)


@dataclass(frozen=True)
class Options:
    """What the caller decides: sensitive properties wanted, the jurisdiction of owners that give none."""

    sensitive: bool = False
    default_owner_jurisdiction: str | None = None


def read_ftm(path: Path, pseudonyms: Pseudonymiser, places: Municipalities, options: Options) -> Imported:
    """Read, validate and map one entity stream."""
    report = ImportReport(source=str(path))
    entities = _parse(path, report)
    mapper = _Mapper(entities, pseudonyms, places, options, report)
    tables = mapper.tables()
    sensitive = {"ftm_person_properties": mapper.sensitive_table()} if options.sensitive else {}
    if options.default_owner_jurisdiction:
        report.notes.append(f"owners without a country or jurisdiction were given "
                            f"{options.default_owner_jurisdiction} (--default-owner-jurisdiction)")  # fmt: skip
    return Imported(tables, report, sensitive)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordsImportError(f"{path} cannot be read as UTF-8 text: {exc}") from exc


def _parse(path: Path, report: ImportReport) -> Entities:
    """Every line through followthemoney; bad lines reported by number, fragments merged by id."""
    from followthemoney import model
    from followthemoney.exc import InvalidData

    entities = Entities()
    for number, line in _lines(path):
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("a line must hold one JSON object")
            proxy = model.get_proxy(data, cleaned=False)  # FtM checks and cleans every value by its type
        except (ValueError, InvalidData, TypeError) as exc:
            # the line's content is not copied: a broken Person line may hold a name
            report.problem(TABLE, f"line {number}", "", f"not a FollowTheMoney entity: {exc}")
            continue
        if not proxy.id:
            report.problem(TABLE, f"line {number}", "id", "an entity without an id")
            continue
        _count_dropped(data, proxy, report)
        if proxy.id in entities.by_id:
            try:
                entities.by_id[proxy.id].merge(proxy)
            except InvalidData as exc:
                report.problem(TABLE, f"line {number}", "", f"cannot merge with entity {proxy.id}: {exc}")
            continue
        entities.by_id[proxy.id] = proxy
        entities.line_of[proxy.id] = number
    return entities


def _count_dropped(data: dict[str, Any], proxy: Any, report: ImportReport) -> None:
    """Properties the schema does not have, and values FtM refused as invalid for their type, are reported."""
    raw = data.get("properties") or {}
    for prop, values in raw.items():
        values = values if isinstance(values, list) else [values]
        if prop not in proxy.schema.properties:
            report.unmapped[f"{proxy.schema.name}.{prop} (not a property of the schema)"] += len(values)
            continue
        dropped = len([v for v in values if v not in (None, "")]) - len(proxy.get(prop))
        if dropped > 0:
            report.unmapped[f"{proxy.schema.name}.{prop} (invalid for its type, dropped by FtM)"] += dropped


class _Mapper:
    """Entities onto record rows; everything it cannot place goes to the report."""

    def __init__(self, entities: Entities, pseudonyms: Pseudonymiser, places: Municipalities, options: Options,
                 report: ImportReport) -> None:  # fmt: skip
        self.entities, self.pseudonyms, self.places, self.options, self.report = (
            entities, pseudonyms, places, options, report)  # fmt: skip
        self.kvk: dict[str, str | None] = {}
        self.multi: set[tuple[str, str]] = set()
        self.handlers = self._handlers()

    def tables(self) -> dict[str, pd.DataFrame]:
        rows: dict[str, list[dict[str, Any]]] = {"companies": [], "persons": [], "addresses": [], "officers": [],
                                                  "ownerships": []}  # fmt: skip
        schemata: Counter[str] = Counter()
        for entity in self.entities.by_id.values():
            schema = entity.schema
            schemata[schema.name] += 1
            found = next(((kind, table, make) for kind, table, make in self.handlers if schema.is_a(kind)), None)
            if found is None:
                self.report.skipped[f"{schema.name} (no place in the schemas)"] += 1
                continue
            kind, table, make = found
            self._unmapped(entity, kind)
            try:
                row = make(entity)
            except _UnusableError as bad:
                self.report.problem(table, entity.id, bad.prop, bad.reason, bad.value)
                continue
            if row is not None:
                rows[table].append(row)
        self.report.notes.append("entities read: " + ", ".join(f"{k} {v}" for k, v in sorted(schemata.items())))
        return {name: pd.DataFrame(r) for name, r in rows.items()}

    def _handlers(self) -> tuple[tuple[str, str, Any], ...]:
        """(FtM schema, table, row maker), most specific first: a Person is a LegalEntity too."""
        return (
            ("Person", "persons", lambda e: {"person_id": self.pseudonyms.person(e.id)}),
            ("LegalEntity", "companies", self._company),
            ("Address", "addresses", self._address),
            ("Directorship", "officers", self._officer),
            ("Ownership", "ownerships", self._ownership),
        )

    # --- single values ---------------------------------------------------------------------------------------

    def _one(self, entity: Any, prop: str) -> str | None:
        """The property's value; with several, the first in sorted order, and the report says so."""
        values = sorted(set(entity.get(prop, quiet=True)))
        if len(values) > 1 and (entity.id, prop) not in self.multi:
            self.multi.add((entity.id, prop))  # counted once per entity, however often the value is read
            self.report.unmapped[f"{entity.schema.name}.{prop} (several values: the first in sorted order used)"] += 1
        return values[0] if values else None

    def _date(self, entity: Any, prop: str) -> str | None:
        """A full date; a year or a month alone is unusable (its row would start or end on a guessed day)."""
        value = self._one(entity, prop)
        if value is None:
            return None
        if not (len(value) >= 10 and re.match(r"^\d{4}-\d{2}-\d{2}", value)):
            raise _UnusableError(prop, "date without a day: the schemas need one", value)
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            raise _UnusableError(prop, "not a valid date", value) from None
        if not DATE_MIN.date() <= day <= DATE_MAX.date():  # the tables could not hold it: it would be written empty
            raise _UnusableError(prop, f"date outside {DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d}", value)
        return value[:10]

    def _unmapped(self, entity: Any, kind: str) -> None:
        mapped = MAPPING[kind]
        for prop, values in entity.properties.items():
            if prop in mapped:
                continue
            if kind == "Person" and prop in SENSITIVE:
                what = "sensitive: written to sensitive/ only" if self.options.sensitive else "sensitive: not imported"
            elif kind == "Person" and prop in PERSONAL:
                what = "personal data: not imported"
            else:
                what = "no place in the schemas"
            self.report.unmapped[f"{entity.schema.name}.{prop} ({what})"] += len(values)

    # --- entities ----------------------------------------------------------------------------------------------

    def company_id(self, entity: Any) -> str | None:
        """The entity's KvK number when it is a Dutch registered company, else None (memoised)."""
        if entity.id not in self.kvk:
            numbers = {n.strip() for n in entity.get("registrationNumber", quiet=True) if KVK.match(n.strip())}
            jurisdiction = self._jurisdiction(entity)
            dutch = jurisdiction in (None, "NL")
            self.kvk[entity.id] = numbers.pop() if dutch and len(numbers) == 1 else None
            if dutch and len(numbers) > 1:
                self.report.problem("companies", entity.id, "registrationNumber", "several KvK numbers",
                                    ", ".join(sorted(numbers)))  # fmt: skip
        return self.kvk[entity.id]

    def _jurisdiction(self, entity: Any) -> str | None:
        value = self._one(entity, "jurisdiction") or self._one(entity, "country")
        return value.upper() if value else None

    def _company(self, entity: Any) -> dict[str, Any] | None:
        kvk = self.company_id(entity)
        if kvk is None:
            if self._jurisdiction(entity) in (None, "NL"):
                self.report.skipped[f"{entity.schema.name} without a KvK number (used only as an owner)"] += 1
            return None
        given = [(prop, c) for prop in ("classification", "sector") for c in entity.get(prop, quiet=True)]
        codes = [(prop, c, c.replace(".", "").strip()) for prop, c in given]
        sbi = next((code for _, _, code in codes if SBI.match(code)), None)
        if given and sbi is None:  # a code the schemas cannot hold is reported, not left out unseen
            raise _UnusableError(codes[0][0], "not an SBI code (4 or 5 digits)", ", ".join(c for _, c, _ in codes))
        for prop, _, code in codes:
            if code != sbi and not SBI.match(code):
                self.report.unmapped[f"{entity.schema.name}.{prop} (not an SBI code: another value used)"] += 1
        address = self._one(entity, "addressEntity")
        if address is not None and self.entities.get(address) is None:
            raise _UnusableError("addressEntity", "refers to an entity not in the file", address)
        form = self._one(entity, "legalForm")
        return {
            "company_id": kvk,
            "name": self._one(entity, "name"),
            "legal_form": legal_form(form) if form else None,
            "sbi_code": sbi,
            "founded_on": self._date(entity, "incorporationDate"),
            "dissolved_on": self._date(entity, "dissolutionDate"),
            "address_id": record_key(address) if address else None,
        }

    def _address(self, entity: Any) -> dict[str, Any]:
        key = record_key(entity.id)
        country = self._one(entity, "country")
        if country and country.upper() != "NL":
            raise _UnusableError("country", "address outside the Netherlands", country)
        postcode = self._one(entity, "postalCode") or ""
        match = PC4.match(postcode)
        if postcode.strip() and match is None:
            raise _UnusableError("postalCode", "not a Dutch postcode", postcode)
        city = self._one(entity, "city")
        found = self.places.find(city) if city else None
        if city and found is None:
            raise _UnusableError("city", f"municipality not in the reference list ({len(self.places)} names)", city)
        return {
            "address_id": key,
            "pc4": match.group(1) if match else None,
            "municipality": city,
            "municipality_code": found[0] if found else None,
            "riec_region": found[1] if found else None,
            "address_type": "unknown",
        }

    def _endpoint(self, entity: Any, prop: str) -> Any:
        target = self._one(entity, prop)
        if target is None:
            raise _UnusableError(prop, "missing")
        found = self.entities.get(target)
        if found is None:  # the target may be a person: its raw id is never written, only its pseudonym
            shown = self.pseudonyms.person(target) if prop in PERSON_REFERENCES else target
            raise _UnusableError(prop, "refers to an entity not in the file", shown)
        return found

    def _officer(self, entity: Any) -> dict[str, Any] | None:
        org = self._endpoint(entity, "organization")
        director = self._endpoint(entity, "director")
        kvk = self.company_id(org) if org.schema.is_a("LegalEntity") else None
        if kvk is None:
            raise _UnusableError("organization", "not a Dutch registered company", org.id)
        if not director.schema.is_a("Person"):
            raise _UnusableError("director", "a corporate director: the officers table holds persons only", director.id)
        return {
            "company_id": kvk,
            "person_id": self.pseudonyms.person(director.id),
            "role": role(self._one(entity, "role") or ""),
            "start_on": self._date(entity, "startDate"),
            "end_on": self._date(entity, "endDate"),
        }

    def _ownership(self, entity: Any) -> dict[str, Any] | None:
        asset = self._endpoint(entity, "asset")
        owner = self._endpoint(entity, "owner")
        kvk = self.company_id(asset) if asset.schema.is_a("LegalEntity") else None
        if kvk is None:
            raise _UnusableError("asset", "not a Dutch registered company", asset.id)
        owner_type, owner_id, seat = self._owner(owner)
        percentage = self._one(entity, "percentage")
        share = _share(percentage)
        if percentage is not None and share is None:
            raise _UnusableError("percentage", "not a number", percentage)
        return {
            "owner_type": owner_type,
            "owner_id": owner_id,
            "owner_jurisdiction": seat or self.options.default_owner_jurisdiction,
            "company_id": kvk,
            "share": share,
            "start_on": self._date(entity, "startDate"),
            "end_on": self._date(entity, "endDate"),
        }

    def _owner(self, owner: Any) -> tuple[str, str, str | None]:
        if owner.schema.is_a("Person"):
            return "person", self.pseudonyms.person(owner.id), self._jurisdiction(owner)
        kvk = self.company_id(owner) if owner.schema.is_a("LegalEntity") else None
        if kvk is not None:
            return "company", kvk, "NL"
        return "foreign_entity", record_key(owner.id), self._jurisdiction(owner)

    def sensitive_table(self) -> pd.DataFrame:
        """Every sensitive Person property as (pseudonym, property, value) rows, for ``sensitive/`` only."""
        rows = [
            {"person_id": self.pseudonyms.person(e.id), "property": prop, "value": value}
            for e in self.entities.by_id.values()
            if e.schema.is_a("Person")
            for prop in SENSITIVE
            for value in sorted(e.get(prop, quiet=True))
        ]
        return pd.DataFrame(rows, columns=["person_id", "property", "value"])


def record_key(entity_id: str) -> str:
    """An FtM id as a record key: kept when the schemas' id pattern allows it, else a stable digest of it."""
    if SAFE_ID.match(entity_id):
        return entity_id
    import hashlib

    return "ftm-" + hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:40]


def _share(percentage: str | None) -> float | None:
    if percentage is None:
        return None
    try:
        value = float(percentage.strip().rstrip("%").replace(",", "."))
    except ValueError:
        return None
    return value / 100.0 if math.isfinite(value) else None  # NaN or inf is no share: the caller reports it
