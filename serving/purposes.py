"""The purposes for which entity-level data may be asked, each tied to the legal basis that allows it.

Purpose limitation is what SyRI lacked. Every request for entity data names one of these and a case reference,
and both go into the audit trail, so oversight can check each look-up against a case file.
"""

from __future__ import annotations

import enum


class Purpose(enum.StrEnum):
    """A documented purpose; the value is what requests send."""

    BIBOB_SCREENING = "bibob_screening"
    RIEC_CASE = "riec_case"
    FIOD_INVESTIGATION = "fiod_investigation"
    TAX_SUPERVISION = "tax_supervision"
    POLICE_INVESTIGATION = "police_investigation"
    MUNICIPAL_ENFORCEMENT = "municipal_enforcement"


LEGAL_BASIS: dict[Purpose, str] = {
    Purpose.BIBOB_SCREENING: "Wet Bibob, art. 7a and 27-28: integrity screening of a permit, subsidy or tender",
    Purpose.RIEC_CASE: "RIEC/LIEC-convenant and its privacy protocol: an integrated case (casus) of the RIEC",
    Purpose.FIOD_INVESTIGATION: "Wetboek van Strafvordering with the AWR: a FIOD criminal investigation",
    Purpose.TAX_SUPERVISION: "Algemene wet inzake rijksbelastingen: supervision by the Belastingdienst",
    Purpose.POLICE_INVESTIGATION: "Wet politiegegevens, art. 9-10: a police investigation",
    Purpose.MUNICIPAL_ENFORCEMENT: "Gemeentewet art. 174-174a and local bye-laws: administrative enforcement",
}

# A case reference identifies the case file (zaaknummer); letters, digits and - _ / . only, so it cannot carry a
# name or free text into the audit trail.
CASE_REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,63}$"


def describe() -> list[dict[str, str]]:
    """Every purpose with its legal basis, for the OpenAPI description and the docs."""
    return [{"purpose": p.value, "legal_basis": LEGAL_BASIS[p]} for p in Purpose]


class OversightPurpose(enum.StrEnum):
    """Why oversight asks which companies an audit record names: oversight sees no entities otherwise.

    The trail holds the companies every request returned, so it is entity data itself; oversight's list of it
    shows only counts, and each look at the companies behind a record names one of these and a case reference,
    and is recorded like any other look-up.
    """

    USE_REVIEW = "use_review"
    COMPLAINT = "complaint"
    DPO_INQUIRY = "dpo_inquiry"
    INCIDENT = "incident"


OVERSIGHT_BASIS: dict[OversightPurpose, str] = {
    OversightPurpose.USE_REVIEW: "AI Act art. 26(5) and AVG art. 5(2): reviewing how the system is used",
    OversightPurpose.COMPLAINT: "Awb chapter 9: handling a complaint about a look-up of a company",
    OversightPurpose.DPO_INQUIRY: "AVG art. 38-39: an inquiry by the data-protection officer",
    OversightPurpose.INCIDENT: "AVG art. 33-34: investigating a (suspected) data breach",
}


def describe_oversight() -> list[dict[str, str]]:
    """Every oversight purpose with its basis (the same caveat: a data-protection officer confirms them)."""
    return [{"purpose": p.value, "legal_basis": OVERSIGHT_BASIS[p]} for p in OversightPurpose]
