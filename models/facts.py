"""Indicator values as facts: a sentence that names the fact, its source register and its date, in Dutch and English.

The sentences live in ``templates/facts.toml``, not in code, so a reviewer (or a language editor) changes the
wording without touching the reasoning, and a missing or malformed template fails when loaded, not in front of a
company. A missing value is stated as what it stands for (no accounts due yet, no shares, ...), because
"unknown" gives a company nothing to answer.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from core.text import finite
from core.text import number as text_number
from features.catalogue import BY_ID

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")
FORMS: dict[str, tuple[str, ...]] = {
    "count": ("one_nl", "other_nl", "one_en", "other_en"),
    "flag": ("yes_nl", "no_nl", "yes_en", "no_en"),
    "age": ("nl", "en"),
    "z": ("pos_nl", "neg_nl", "zero_nl", "pos_en", "neg_en", "zero_en"),
    "share": ("nl", "en"),
    "number": ("nl", "en"),
}
# The company facts a missing value's cause is read from (indicators every indicator table carries).
CONTEXT = ("years_since_registration", "last_filing_missing", "employees_latest")
FILING_CAUSES = ("no_filing", "short_history", "not_due")
MONTHS = {"nl": ("maand", "maanden"), "en": ("month", "months")}
YEARS = {"nl": ("jaar", "jaar"), "en": ("year", "years")}
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class TemplateError(ValueError):
    """The template file misses an indicator, a register, a cause or a sentence its form needs."""


@cache
def templates() -> dict[str, Any]:
    """The parsed and checked template file (read once)."""
    text = resources.files("models").joinpath("templates/facts.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    _check(data)
    return data


def _check(data: dict[str, Any]) -> None:
    entries, registers, causes = data.get("indicators", {}), data.get("registers", {}), data.get("causes", {})
    absent = sorted(set(BY_ID) - set(entries))
    if absent:
        raise TemplateError(f"no sentence template for indicator(s) {absent}")
    for key, entry in entries.items():
        needs = FORMS.get(entry.get("form", ""))
        if needs is None:
            raise TemplateError(f"{key}: unknown form {entry.get('form')!r}")
        lacking = [k for k in needs if k not in entry]
        if lacking or entry.get("source") not in registers or entry.get("missing", "unknown") not in causes:
            raise TemplateError(f"{key}: lacks {lacking or 'a known source register or missing cause'}")
    if "unknown" not in causes or any(set(LANGS) - set(v) for v in (*registers.values(), *causes.values())):
        raise TemplateError("every register and cause needs Dutch and English, and the cause 'unknown' must exist")


def template(indicator: str) -> dict[str, Any]:
    """One indicator's entry."""
    entry: dict[str, Any] = templates()["indicators"][indicator]
    return entry


def contestable(indicator: str) -> str:
    """The kind of record the company can show to be wrong ('' when it cannot: its sector, others' cases)."""
    return str(template(indicator).get("record", ""))


def source(indicator: str, lang: Lang) -> str:
    """The register the fact is read from."""
    return str(templates()["registers"][template(indicator)["source"]][lang])


def cause(indicator: str, context: Mapping[str, float]) -> str:
    """Why the indicator is missing for this company, from its other facts.

    Anything read from annual accounts is missing because none is due yet when the last due year is itself
    missing (the company is too young), or because none was filed when the company has no filed figures at all.
    """
    default = str(template(indicator).get("missing", "unknown"))
    if default not in FILING_CAUSES:
        return default
    if finite(context.get("last_filing_missing")) is None:
        return "not_due"
    if finite(context.get("employees_latest")) is None:
        return "no_filing"
    return default


def cause_text(name: str, context: Mapping[str, float], lang: Lang) -> str:
    """The sentence for a cause, its company facts filled in."""
    text = str(templates()["causes"][name][lang])
    return text.format(age=age(context.get("years_since_registration"), lang))


def number(value: float, lang: Lang, digits: int = 0) -> str:
    """:func:`core.text.number`, except that a value rounding to zero reads 0, never -0."""
    return text_number(0.0 if round(value, digits) == 0 else value, lang, digits)


def age(years: float | None, lang: Lang, digits: int = 0) -> str:
    """A span in months below a year, in whole years from there ("4 maanden", "3 years").

    ``digits`` > 0 gives decimal years, for when whole years would read the same as the peers'.
    """
    if years is None or math.isnan(years):
        return "?"
    months = max(round(12 * years), 0)
    if months < 12 and digits == 0:
        return f"{months} {MONTHS[lang][0 if months == 1 else 1]}"
    if digits > 0:
        return f"{number(years, lang, digits)} {YEARS[lang][1]}"
    whole = int(years)
    return f"{whole} {YEARS[lang][0 if whole == 1 else 1]}"


def date_text(as_of: str, lang: Lang) -> str:
    """An ISO date as the reader writes it: 31-12-2023, or 31 December 2023."""
    year, month, day = (int(p) for p in as_of[:10].split("-"))
    return f"{day:02d}-{month:02d}-{year}" if lang == "nl" else f"{day} {MONTH_NAMES[month - 1]} {year}"


def default_digits(indicator: str) -> int:
    """Decimals a value is shown with unless more are needed to tell it from its reference."""
    form = template(indicator)["form"]
    return {"z": 1, "number": 2, "share": 0}.get(form, 0)


def fact(indicator: str, value: float, lang: Lang, digits: int | None = None) -> str:
    """The sentence for a known value (no source, no date)."""
    entry = template(indicator)
    form = entry["form"]
    d = default_digits(indicator) if digits is None else digits
    if form == "count":
        n = number(value, lang, d)
        return str(entry[f"{'one' if n == '1' else 'other'}_{lang}"]).format(n=n)
    if form == "flag":
        return str(entry[f"{'yes' if value >= 0.5 else 'no'}_{lang}"])
    if form == "age":
        return str(entry[lang]).format(age=age(value, lang, d))
    if form == "z":
        sign = "zero" if round(value, d) == 0 else ("pos" if value > 0 else "neg")
        return str(entry[f"{sign}_{lang}"]).format(z=number(value, lang, d))
    if form == "share":
        return str(entry[lang]).format(pct=number(100 * value, lang, d) + "%")
    return str(entry[lang]).format(v=number(value, lang, d))


def short(indicator: str, value: float | None, lang: Lang, digits: int | None = None) -> str:
    """The value alone, as quoted for the peers ("1", "nee", "12%", "z = 0,3", "3 jaar", "geen gegevens")."""
    if value is None or math.isnan(value):
        return "geen gegevens" if lang == "nl" else "no data"
    form = template(indicator)["form"]
    d = default_digits(indicator) if digits is None else digits
    if form == "flag":
        yes = value >= 0.5
        return ("ja" if yes else "nee") if lang == "nl" else ("yes" if yes else "no")
    if form == "age":
        return age(value, lang, d)
    if form == "z":
        return f"z = {number(value, lang, d)}"
    if form == "share":
        return number(100 * value, lang, d) + "%"
    return number(value, lang, d)


def statement(
    indicator: str,
    value: float | None,
    reference: float | None,
    as_of: str,
    lang: Lang,
    context: Mapping[str, float] | None = None,
    digits: int | None = None,
) -> str:
    """The full reason sentence: the fact (or what its absence stands for), register and date, and the peers'.

    "19 bedrijven ingeschreven op dit adres (Handelsregister, adressen, 31-12-2023); bij vergelijkbare bedrijven 1"
    """
    peers = "bij vergelijkbare bedrijven" if lang == "nl" else "comparable companies:"
    fact_text = sourced(indicator, value, as_of, lang, context, digits)
    return f"{fact_text}; {peers} {short(indicator, reference, lang, digits)}"


def sourced(
    indicator: str,
    value: float | None,
    as_of: str,
    lang: Lang,
    context: Mapping[str, float] | None = None,
    digits: int | None = None,
) -> str:
    """The fact (or what its absence stands for) with its register and date, the part every sentence shares."""
    if value is not None and not math.isnan(value):
        text = fact(indicator, value, lang, digits)
    else:
        facts = context or {}
        text = cause_text(cause(indicator, facts), facts, lang)
    where = f"{source(indicator, lang)}, {date_text(as_of, lang)}" if as_of else source(indicator, lang)
    return f"{_capital(text)} ({where})"


def change_statement(
    indicator: str,
    old: float | None,
    new: float | None,
    old_as_of: str,
    new_as_of: str,
    lang: Lang,
    context: Mapping[str, float] | None = None,
) -> str:
    """A change in one fact, as the reason sentences word it, with both dates so each side can be checked.

    "3 bedrijven ingeschreven op dit adres (Handelsregister, adressen, 31-12-2023); op 30-06-2023: 1"
    """
    now = sourced(indicator, new, new_as_of, lang, context)
    before = "op" if lang == "nl" else "on"
    return f"{now}; {before} {date_text(old_as_of, lang)}: {short(indicator, old, lang)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
