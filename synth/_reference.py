"""The simulator's tuning on top of the Dutch reference data: sector parameters, crime mechanisms, group labels.

The facts (regions, municipalities, SBI activities, legal forms, roles, jurisdictions, the RIEC cash-intensive
list) live in ``core.reference`` and are re-exported here for the generator's modules. What is here is the
simulator's own choice: how large each sector is, how much cash it takes, how owners' background and gender cluster
in it, and which sectors each criminal mechanism uses. None of it is a fact the product may rely on.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from core.reference import (
    ACTIVITIES,
    ADDRESS_TYPES,
    CASE_OUTCOMES,
    CASE_SOURCES,
    FILING_SOURCES,
    INSOLVENCY_TYPES,
    JURISDICTIONS,
    LEGAL_FORMS,
    MUNICIPALITIES,
    OFFICER_ROLES,
    OWNER_TYPES,
    RIEC_REGIONS,
    Jurisdiction,
    Municipality,
)

__all__ = [
    "ADDRESS_TYPES",
    "CASE_OUTCOMES",
    "CASE_SOURCES",
    "FILING_SOURCES",
    "GENDERS",
    "INSOLVENCY_TYPES",
    "JURISDICTIONS",
    "LEGAL_FORMS",
    "MECHANISMS",
    "MECHANISM_SECTORS",
    "MIGRATION_BACKGROUNDS",
    "MUNICIPALITIES",
    "OFFICER_ROLES",
    "OWNER_TYPES",
    "RIEC_REGIONS",
    "SECTORS",
    "SES_CLASSES",
    "Jurisdiction",
    "Municipality",
    "Sector",
]


class Sector(NamedTuple):
    """An SBI 2008 activity with the parameters the generator needs.

    ``cash`` is the share of turnover normally received in cash; ``risk`` is the activity's RIEC cash-intensive
    flag from ``core.reference``; ``migrant_tilt`` and ``female_tilt`` set how strongly owners' background and
    gender cluster in the sector when ``--segregation`` is above zero (they never touch truth).
    """

    sbi: str
    label_nl: str
    label_en: str
    share: float  # share of the register
    bv_share: float  # share of legal entities (BV/NV) among companies in the sector
    cash: float
    risk: bool
    revenue_per_fte_k: float  # median turnover per full-time employee, thousands of euro
    assets_ratio: float  # total assets / turnover
    migrant_tilt: float
    female_tilt: float


#: Per activity: share, BV share, cash share, turnover per FTE (k€), assets/turnover, migrant tilt, female tilt.
_TUNING: Final[dict[str, tuple[float, float, float, float, float, float, float]]] = {
    "7022": (0.11, 0.35, 0.0, 110, 0.5, -0.3, 0.1),
    "6201": (0.045, 0.45, 0.0, 130, 0.5, 0.0, -0.8),
    "6420": (0.07, 0.97, 0.0, 60, 6.0, -0.4, -0.5),
    "4120": (0.055, 0.3, 0.05, 160, 0.6, 0.3, -1.5),
    "4334": (0.035, 0.1, 0.1, 90, 0.3, 0.2, -1.3),
    "4941": (0.02, 0.45, 0.02, 140, 0.8, 0.5, -1.2),
    "4932": (0.02, 0.1, 0.45, 70, 0.6, 1.4, -1.6),
    "8121": (0.015, 0.25, 0.05, 55, 0.3, 1.0, 0.3),
    "7820": (0.008, 0.8, 0.0, 70, 0.3, 0.6, 0.0),
    "5610": (0.035, 0.35, 0.55, 75, 0.6, 1.0, -0.2),
    "5630": (0.01, 0.35, 0.7, 80, 0.7, 0.3, -0.4),
    "5510": (0.004, 0.6, 0.25, 110, 2.5, 0.2, 0.0),
    "9602": (0.04, 0.05, 0.6, 45, 0.3, 1.3, 1.6),
    "4742": (0.004, 0.3, 0.6, 160, 0.4, 1.8, -1.0),
    "4778": (0.012, 0.25, 0.6, 100, 0.5, 1.1, 0.2),
    "4511": (0.015, 0.4, 0.35, 350, 0.5, 0.9, -1.6),
    "4520": (0.012, 0.2, 0.35, 120, 0.5, 0.8, -1.7),
    "6619": (0.003, 0.7, 0.8, 120, 1.0, 1.2, -0.3),
    "6810": (0.012, 0.85, 0.02, 300, 8.0, -0.1, -0.4),
    "6820": (0.02, 0.7, 0.05, 200, 9.0, 0.0, -0.2),
    "6831": (0.006, 0.6, 0.02, 150, 0.6, -0.3, 0.0),
    "6920": (0.015, 0.55, 0.0, 100, 0.4, 0.1, 0.5),
    "8211": (0.006, 0.7, 0.0, 90, 0.6, 0.0, 0.2),
    "4690": (0.025, 0.7, 0.05, 450, 0.7, 0.4, -0.8),
    "4791": (0.03, 0.25, 0.0, 150, 0.4, 0.1, 0.4),
    "4711": (0.006, 0.55, 0.35, 250, 0.4, 0.7, -0.2),
    "1071": (0.004, 0.4, 0.4, 90, 0.5, 0.0, 0.2),
    "8690": (0.05, 0.15, 0.0, 80, 0.3, -0.1, 1.3),
    "8559": (0.03, 0.1, 0.05, 60, 0.2, -0.2, 0.9),
    "9001": (0.03, 0.05, 0.1, 40, 0.2, -0.3, 0.5),
    "7311": (0.02, 0.3, 0.0, 110, 0.4, -0.4, 0.4),
    "0113": (0.015, 0.5, 0.1, 180, 1.5, -0.6, -1.0),
    "9604": (0.005, 0.15, 0.6, 50, 0.5, 1.0, 1.0),
    "9499": (0.03, 0.0, 0.1, 30, 1.0, -0.2, 0.3),
    "7490": (0.07, 0.3, 0.0, 100, 0.4, 0.0, 0.2),
}

SECTORS: Final[tuple[Sector, ...]] = tuple(
    Sector(a.sbi, a.label_nl, a.label_en, *_TUNING[a.sbi][:3], a.cash_intensive, *_TUNING[a.sbi][3:])
    for a in ACTIVITIES
)


#: Sectors each criminal mechanism operates in, with relative weights.
MECHANISM_SECTORS: Final[dict[str, dict[str, float]]] = {
    "front": {
        "9602": 3,
        "4742": 2,
        "5610": 3,
        "5630": 2,
        "4778": 2,
        "4511": 2,
        "4520": 1,
        "9604": 1,
        "6619": 1,
        "4932": 1,
        "5510": 0.5,
    },
    "shell": {"6420": 5, "7022": 3, "4690": 2, "7490": 2, "8211": 0.5},
    "property": {"6810": 4, "6820": 4, "6831": 1, "4120": 1},
    "phoenix": {"4120": 3, "4334": 2, "4941": 2, "8121": 2, "7820": 3, "5610": 2, "4511": 1},
    "facilitator": {"6920": 3, "8211": 3, "6619": 2, "6831": 1},
}

MECHANISMS: Final[tuple[str, ...]] = ("none", "front", "shell", "property", "phoenix", "facilitator")
#: The labels of the ``sensitive/`` and ``truth/`` tables the simulator writes (only the fairness side reads them).
MIGRATION_BACKGROUNDS: Final[tuple[str, ...]] = ("none", "western", "non_western")
GENDERS: Final[tuple[str, ...]] = ("female", "male")
SES_CLASSES: Final[tuple[str, ...]] = ("low", "middle", "high")
