"""The report's numbers, in each language: rates, disparities, percentage points and the fairness band.

Built on :mod:`core.text`, which already swaps the decimal comma and the thousands point for Dutch and turns a
missing figure into a dash, never a 0. What is added here is what an audit's figures need on top: two decimals for
a disparity by default, the bootstrap's clipped extremes shown as bounds rather than as numbers, and a difference
of two rates signed with a real minus sign, so that a reader can tell a small gap from a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from core.text import Lang, finite, number, percent
from fairness.audit import TAU
from fairness.words import t


def num(value: Any, lang: Lang, digits: int = 2) -> str:
    """A number with two decimals unless told otherwise: the precision of the audit's disparities."""
    return number(value, lang, digits)


def points(value: Any, lang: Lang) -> str:
    """A difference of two rates in percentage points, signed, with a real minus sign."""
    f = finite(value)
    if f is None:
        return "–"
    sign = "+" if f > 0 else ("−" if f < 0 else "")
    return f"{sign}{num(abs(100.0 * f), lang, 1)} {t('points', lang)}"


def ratio(value: Any, lang: Lang) -> str:
    """A disparity or a bound: two decimals, with the bootstrap's clipped extremes shown as bounds."""
    f = finite(value)
    if f is None:
        return "–"
    if f > 100:
        return "> 100"
    if 0 < f < 0.01:
        return f"< {num(0.01, lang)}"
    return num(f, lang)


def rate(metric: str, value: Any, lang: Lang) -> str:
    """A metric's own value as a reader knows it: a percentage, or false positives per 1,000 companies."""
    if metric == "fp_per_size":
        f = finite(value)
        return "–" if f is None else t("per_thousand", lang, v=num(1000.0 * f, lang, 1))
    return percent(value, lang)


def band(lang: Lang) -> str:
    """The fairness band, e.g. 0,80–1,25, as every verdict and caption names it."""
    return f"{num(TAU, lang)}–{num(1.0 / TAU, lang)}"


def conf(settings: Mapping[str, Any], lang: Lang) -> str:
    """The confidence level the audit ran with, as a whole percentage ("95%")."""
    return percent(settings.get("confidence", 0.95), lang, 0)


def fraction(value: float) -> str:
    """A ratio without a decimal separator, so that one figure reads the same in Dutch and English: 0.5 is 1⁄2."""
    f = Fraction(value).limit_denominator(20)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}⁄{f.denominator}"
