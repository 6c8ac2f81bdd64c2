"""Reason codes: what raises and what lowers a company's score, as facts an analyst can check in the register.

Each reason states one fact (from ``templates/facts.toml``): the company's value, the register it comes from and
its date, beside what comparable companies have (the peer point of :mod:`models.peerpoint`). Its contribution is
the exact contrastive Shapley value of :mod:`models.contrastive`: how much that fact lifts the company's score
above its peers' point. That pairing is the documented decision of ``docs/explanations.md``: the number and the
sentence answer the same question, so an indicator on which the company equals its peers contributes exactly zero
and is never given as a reason. Missing values that share a cause (no accounts due yet, none filed, no shares)
are one reason, stated as that cause, with the exact sum of their contributions.

A reason is never a conclusion: it says why the model ranks a company above its peers, so that a person can verify
the facts before anything is done.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.text import finite
from features.catalogue import BY_ID
from models import facts
from models.risk import CONTRAST_PREFIX, SHAP_PREFIX

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
MISSING = "missing:"
MAX_DIGITS = 6


@dataclass(frozen=True)
class Reason:
    """One reason: a fact (or a shared cause of missing facts), the peers' value and its contribution.

    ``key`` is the indicator, or ``missing:<cause>`` for missing values grouped by cause (``members`` then lists
    the indicators); ``record`` is the kind of record the company can dispute ('' when none).
    """

    key: str
    direction: Literal["raises", "lowers"]
    contribution: float
    value: float | None
    reference: float | None
    text_nl: str
    text_en: str
    source: str = ""
    record: str = ""
    members: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None, members a list)."""
        out = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}
        out["members"] = list(self.members)
        return out


def reasons(
    values: pd.Series,
    contributions: pd.Series,
    reference: pd.Series,
    as_of: str = "",
    top: int = 3,
    group: bool = False,
) -> dict[str, list[Reason]]:
    """The ``top`` contributions that raise the score and the ``top`` that lower it, strongest first.

    ``values`` holds one company's indicators, ``contributions`` its ``contrast__<indicator>`` values (or plain
    indicator ids) and ``reference`` its peer point. With ``group`` the families are ranked instead.
    """
    contrib = contributions.rename(lambda c: str(c).removeprefix(CONTRAST_PREFIX).removeprefix(SHAP_PREFIX))
    contrib = contrib[[c for c in contrib.index if c in BY_ID]]
    if group:
        items = [_family_reason(fam, contrib, values) for fam in sorted({BY_ID[c].family for c in contrib.index})]
        ups = sorted((r for r in items if r.contribution > 0), key=lambda r: -r.contribution)[:top]
        downs = sorted((r for r in items if r.contribution < 0), key=lambda r: r.contribution)[:top]
        return {"raises": ups, "lowers": downs}
    features = tuple(str(c) for c in contrib.index)
    return row_reasons(
        features,
        np.array([_float(values.get(c)) for c in features]),
        contrib.to_numpy(dtype=np.float64),
        np.array([_float(reference.get(c)) for c in features]),
        top=top,
        as_of=as_of,
        context={k: _float(values.get(k)) for k in facts.CONTEXT},
    )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def row_reasons(
    features: tuple[str, ...],
    values: np.ndarray,
    contributions: np.ndarray,
    peers: np.ndarray,
    top: int = 3,
    as_of: str = "",
    context: Mapping[str, float] | None = None,
) -> dict[str, list[Reason]]:
    """One company's reasons from arrays in ``features`` order, rendering only the ``2 * top`` it returns.

    The service answers many of these a second, so sentences are written for the chosen reasons only.
    """
    ctx = dict(context or {})
    items: list[tuple[float, tuple[int, ...], str]] = []  # (contribution, members, cause or '')
    by_cause: dict[str, list[int]] = {}
    for j, name in enumerate(features):
        c = float(contributions[j])
        if c == 0.0 or name not in BY_ID:
            continue
        if math.isnan(values[j]):
            by_cause.setdefault(facts.cause(name, ctx), []).append(j)
        else:
            items.append((c, (j,), ""))
    for why, members in by_cause.items():
        items.append((float(sum(contributions[j] for j in members)), tuple(members), why))
    ups = sorted((i for i in items if i[0] > 0), key=lambda i: -i[0])[:top]
    downs = sorted((i for i in items if i[0] < 0), key=lambda i: i[0])[:top]
    render = _Renderer(features, values, peers, as_of, ctx)
    return {"raises": [render(i) for i in ups], "lowers": [render(i) for i in downs]}


@dataclass(frozen=True)
class _Renderer:
    features: tuple[str, ...]
    values: np.ndarray
    peers: np.ndarray
    as_of: str
    context: dict[str, float]

    def __call__(self, item: tuple[float, tuple[int, ...], str]) -> Reason:
        contribution, members, why = item
        direction: Literal["raises", "lowers"] = "raises" if contribution > 0 else "lowers"
        if why:
            return self._missing(contribution, direction, members, why)
        (j,) = members
        name = self.features[j]
        value, ref = float(self.values[j]), finite(self.peers[j])
        d = _digits(name, value, ref)
        nl, en = (facts.statement(name, value, ref, self.as_of, lang, self.context, d) for lang in facts.LANGS)
        kind = facts.template(name)
        return Reason(name, direction, contribution, value, ref, nl, en, kind["source"], kind.get("record", ""))

    def _missing(
        self, contribution: float, direction: Literal["raises", "lowers"], members: tuple[int, ...], why: str
    ) -> Reason:
        names = tuple(self.features[j] for j in members)
        texts = []
        for lang in facts.LANGS:
            labels = ", ".join(getattr(BY_ID[n], f"label_{lang}").lower() for n in names)
            where = ", ".join(dict.fromkeys(facts.source(n, lang) for n in names))
            when = f", {facts.date_text(self.as_of, lang)}" if self.as_of else ""
            cause = facts.cause_text(why, self.context, lang)
            tail = (
                f"daardoor geen gegevens over {labels}; vergelijkbare bedrijven hebben die wel"
                if lang == "nl"
                else f"so no data on {labels}; comparable companies have them"
            )
            texts.append(f"{cause[:1].upper()}{cause[1:]} ({where}{when}); {tail}")
        first = facts.template(names[0])
        ref = finite(self.peers[members[0]]) if len(members) == 1 else None
        return Reason(
            MISSING + why, direction, contribution, None, ref, texts[0], texts[1], first["source"],
            first.get("record", ""), names,
        )  # fmt: skip


def _digits(name: str, value: float, reference: float | None) -> int:
    """The fewest decimals (from the indicator's default) at which the value does not read as its reference."""
    d = facts.default_digits(name)
    if reference is None or facts.template(name)["form"] == "flag":
        return d
    while d < MAX_DIGITS and facts.short(name, value, "en", d) == facts.short(name, reference, "en", d):
        d += 1
    return d


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


def top_raises(
    values: pd.DataFrame,
    contributions: np.ndarray,
    features: tuple[str, ...],
    peers: np.ndarray,
    as_of: str = "",
    top: int = 3,
) -> list[list[dict[str, Any]]]:
    """The ``top`` raising reasons of every row (for loading a batch); ``peers`` holds each row's peer point."""
    vals = values[list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    context = {k: values[k].to_numpy(dtype=np.float64, na_value=np.nan) for k in facts.CONTEXT if k in values}
    out = []
    for i in range(len(vals)):
        row = row_reasons(
            features, vals[i], contributions[i], peers[i], top, as_of, {k: float(v[i]) for k, v in context.items()}
        )
        out.append([r.as_dict() for r in row["raises"]])
    return out
