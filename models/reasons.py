"""Reason codes: what raises and what lowers a company's score, as facts an analyst can check in the register.

Each reason names one catalogued indicator, the company's value and what its sector peers have (the median of the
same indicator among companies in the same SBI section), in Dutch and in English, with its exact SHAP
contribution (log-odds) and direction. Contributions are additive, so related indicators can be grouped by family
and a group's contribution is the exact sum of its members'. A reason is never a conclusion: it says why the model
ranks a company high, so that a person can verify the facts before anything is done.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from features.catalogue import BY_ID, CATALOGUE
from models.risk import SHAP_PREFIX

FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "profile": ("Profiel", "Profile"),
    "address": ("Adres", "Address"),
    "officers": ("Bestuurders", "Officers"),
    "ownership": ("Eigendom", "Ownership"),
    "financial": ("Financiën", "Finances"),
    "filing": ("Jaarstukken", "Filings"),
    "real_estate": ("Vastgoed", "Real estate"),
    "network": ("Netwerk", "Network"),
}
ALL_PEERS = "*"
UNKNOWN_SECTION = "?"
MIN_PEERS = 30


@dataclass(frozen=True)
class Reason:
    """One reason: an indicator (or a family of them), its value, its peers' median and its contribution."""

    key: str
    direction: Literal["raises", "lowers"]
    contribution: float
    value: float | None
    reference: float | None
    text_nl: str
    text_en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def sector_reference(indicators: pd.DataFrame, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Median of every indicator per SBI section, plus a row ``*`` over all companies (the fallback).

    A section with fewer than ``MIN_PEERS`` companies knowing the value, or an unknown section (``?``), gets the
    overall median instead: a handful of companies, or the company itself, is no peer group.
    """
    cols = list(columns or [i.id for i in CATALOGUE])
    section = indicators["sbi_section"].astype(str)
    grouped = indicators[cols].groupby(section)
    medians = grouped.median()
    overall = indicators[cols].median()
    medians = medians.where(grouped.count() >= MIN_PEERS)  # too few peers: NaN here, the overall value below
    medians = medians.drop(index=[UNKNOWN_SECTION], errors="ignore").fillna(overall)
    return pd.concat([medians, overall.to_frame(ALL_PEERS).T])


def reasons(
    values: pd.Series, contributions: pd.Series, reference: pd.DataFrame, top: int = 3, group: bool = False
) -> dict[str, list[Reason]]:
    """The ``top`` contributions that raise the score and the ``top`` that lower it, strongest first.

    ``values`` holds one company's indicators and ``sbi_section``; ``contributions`` its ``shap__<indicator>``
    values (or plain indicator ids). With ``group`` the families are ranked instead of single indicators.
    """
    contrib = contributions.rename(lambda c: str(c).removeprefix(SHAP_PREFIX))
    contrib = contrib[[c for c in contrib.index if c in BY_ID]]
    section = str(values.get("sbi_section", ALL_PEERS))
    peers = reference.loc[section] if section in reference.index else reference.loc[ALL_PEERS]
    if group:
        items = [_family_reason(fam, contrib, values) for fam in sorted({BY_ID[c].family for c in contrib.index})]
    else:
        items = [_indicator_reason(c, float(contrib[c]), values.get(c), peers.get(c)) for c in contrib.index]
    ups = sorted((r for r in items if r.contribution > 0), key=lambda r: -r.contribution)[:top]
    downs = sorted((r for r in items if r.contribution < 0), key=lambda r: r.contribution)[:top]
    return {"raises": ups, "lowers": downs}


def _indicator_reason(key: str, contribution: float, value: Any, reference: Any) -> Reason:
    ind = BY_ID[key]
    v = _number(value)
    ref = _number(reference)
    nl = f"{ind.label_nl}: {format_value(v, ind.unit, 'nl')} (sectorgenoten: mediaan {format_value(ref, ind.unit, 'nl')})"  # noqa: E501
    en = f"{ind.label_en}: {format_value(v, ind.unit, 'en')} (sector peers: median {format_value(ref, ind.unit, 'en')})"
    direction: Literal["raises", "lowers"] = "raises" if contribution > 0 else "lowers"
    return Reason(key, direction, contribution, v, ref, nl, en)


def _family_reason(family: str, contrib: pd.Series, values: pd.Series) -> Reason:
    members = [c for c in contrib.index if BY_ID[c].family == family]
    total = float(contrib[members].sum())
    sign = np.sign(total)
    drivers = [c for c in sorted(members, key=lambda c: -abs(contrib[c])) if np.sign(contrib[c]) == sign][:3]
    nl_label, en_label = FAMILY_LABELS.get(family, (family, family))
    nl = f"{nl_label}: " + "; ".join(
        f"{BY_ID[c].label_nl} {format_value(_number(values.get(c)), BY_ID[c].unit, 'nl')}" for c in drivers
    )
    en = f"{en_label}: " + "; ".join(
        f"{BY_ID[c].label_en} {format_value(_number(values.get(c)), BY_ID[c].unit, 'en')}" for c in drivers
    )
    direction: Literal["raises", "lowers"] = "raises" if total > 0 else "lowers"
    return Reason(family, direction, total, None, None, nl, en)


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def format_value(value: float | None, unit: str, lang: Literal["nl", "en"]) -> str:
    """A value as an analyst reads it: yes/no for flags, percentages for fractions, the unit for counts."""
    if value is None:
        return "onbekend" if lang == "nl" else "unknown"
    if unit == "flag":
        on = value >= 0.5
        return ("ja" if on else "nee") if lang == "nl" else ("yes" if on else "no")
    if unit == "fraction":
        text = f"{100 * value:.0f}%"
    elif unit == "robust z":
        text = f"z = {value:.1f}"
    elif unit in ("relative", "ratio"):
        text = f"{value:.3g}"
    else:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        text = f"{text} {_UNITS.get(unit, (unit, unit))[0 if lang == 'nl' else 1]}"
    if "-0" in text:  # a value that rounds to zero reads 0, not -0 (the check spares the common case a regex)
        text = re.sub(r"-(0(?:\.0+)?)(?![\d.])", r"\1", text)
    return text.replace(".", ",") if lang == "nl" else text


_UNITS: dict[str, tuple[str, str]] = {
    "years": ("jaar", "years"),
    "persons": ("personen", "persons"),
    "companies": ("bedrijven", "companies"),
    "events": ("wisselingen", "events"),
    "changes": ("wisselingen", "changes"),
    "mandates": ("functies", "mandates"),
    "sections": ("sectoren", "sections"),
    "layers": ("lagen", "layers"),
    "days": ("dagen", "days"),
    "properties": ("panden", "properties"),
    "purchases": ("aankopen", "purchases"),
    "resales": ("doorverkopen", "resales"),
}


def row_reasons(
    features: tuple[str, ...], values: np.ndarray, contributions: np.ndarray, peers: np.ndarray, top: int = 3
) -> dict[str, list[Reason]]:
    """:func:`reasons` for one company given as arrays in ``features`` order, rendering only what it returns.

    The same answer as :func:`reasons`, but ``2 * top`` sentences instead of one per indicator: the service
    answers many of these a second.
    """
    known = np.array([f in BY_ID for f in features])
    masked = np.where(known, contributions, 0.0)
    ups = [j for j in np.argsort(-masked, kind="stable")[:top] if masked[j] > 0]
    downs = [j for j in np.argsort(masked, kind="stable")[:top] if masked[j] < 0]
    return {
        "raises": [_indicator_reason(features[j], float(masked[j]), values[j], peers[j]) for j in ups],
        "lowers": [_indicator_reason(features[j], float(masked[j]), values[j], peers[j]) for j in downs],
    }


def peer_rows(reference: pd.DataFrame, sections: pd.Series) -> np.ndarray:
    """Each company's row in ``reference``: its section's, or the overall one (unknown or too-small section)."""
    rows = reference.index.get_indexer(pd.Index(sections.astype(str)))
    overall = int(reference.index.get_indexer(pd.Index([ALL_PEERS]))[0])
    return np.where(rows >= 0, rows, overall).astype(np.int32)


def peer_matrix(reference: pd.DataFrame, sections: pd.Series, features: tuple[str, ...]) -> np.ndarray:
    """Each row's sector medians (the overall median for an unknown or too-small section), in ``features`` order."""
    return reference[list(features)].to_numpy(dtype=np.float64)[peer_rows(reference, sections)]


def top_raises(
    values: pd.DataFrame, contributions: np.ndarray, features: tuple[str, ...], reference: pd.DataFrame, top: int = 3
) -> list[list[dict[str, Any]]]:
    """The ``top`` raising reasons of every row, as :func:`reasons` gives them row by row (for loading a batch)."""
    peers = peer_matrix(reference, values["sbi_section"], features)
    vals = values[list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    return [
        [r.as_dict() for r in row_reasons(features, vals[i], contributions[i], peers[i], top)["raises"]]
        for i in range(len(vals))
    ]
