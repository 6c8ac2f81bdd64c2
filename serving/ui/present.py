"""How figures are put before people: probability bands, sector and role names, values with their units.

A calibrated probability to three decimals invites false precision, and a shortlist is read by people deciding
where to look first; so the pages lead with a band and show the probability beside it. The bands start at the
service's signal threshold, and are the regional picture's own bands (:data:`serving.signals.SIGNAL_BANDS`), so
"raised" or "high" on a page means the same as in the regional picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.reference import SECTION_NAMES
from features.catalogue import BY_ID
from models.reasons import format_value
from serving.signals import SIGNAL_BANDS
from serving.ui.i18n import Lang, pick, t

#: Lower bounds of the bands above "low", highest first (the last is the signal threshold).
BAND_FLOORS: tuple[tuple[str, float], ...] = tuple(sorted(SIGNAL_BANDS.items(), key=lambda b: -b[1]))


@dataclass(frozen=True)
class Band:
    """A probability band: a key for styling, a word for people."""

    key: str
    word: str


def band(probability: float, lang: Lang) -> Band:
    """The band a calibrated probability falls in."""
    for key, floor in BAND_FLOORS:
        if probability >= floor:
            return Band(key, t(f"band_{key}", lang))
    return Band("low", t("band_low", lang))


def band_floors() -> dict[str, float]:
    """Every band's lower bound, for the legend."""
    return dict(BAND_FLOORS)


def sector_name(section: str | None, lang: Lang) -> str:
    """``G — Groot- en detailhandel``; the bare code for one the CBS list does not have."""
    if not section:
        return "–"
    found = SECTION_NAMES.get(section)
    return f"{section} — {pick(found, lang)}" if found else section


def role_name(role: str, lang: Lang) -> str:
    """A role in words."""
    return t(f"role_{role}", lang)


def indicator_label(feature: str, lang: Lang) -> str:
    """An indicator's name in ``lang``; its id when the catalogue does not know it."""
    ind = BY_ID.get(feature)
    return (ind.label_nl if lang == "nl" else ind.label_en) if ind else feature


def indicator_value(feature: str, value: float | None, lang: Lang) -> str:
    """A value as the reason codes write it: yes/no for flags, percentages for fractions, units for counts."""
    ind = BY_ID.get(feature)
    return format_value(value, ind.unit if ind else "", lang)
