"""The two languages' number formats and word tables (``core.text``), which every page and document uses."""

from __future__ import annotations

import math

import pytest

from core.text import DASH, Words, finite, number, percent, pick


@pytest.mark.parametrize(
    ("value", "digits", "nl", "en"),
    [(1234.5, 1, "1.234,5", "1,234.5"), (-0.034, 3, "-0,034", "-0.034"), (1_000_000, 0, "1.000.000", "1,000,000")],
)
def test_numbers_take_each_languages_separators(value: float, digits: int, nl: str, en: str) -> None:
    assert (number(value, "nl", digits), number(value, "en", digits)) == (nl, en)


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, "n/a", object()])
def test_a_missing_figure_is_a_dash_never_nan_or_zero(missing: object) -> None:
    assert finite(missing) is None
    assert number(missing, "nl") == DASH and percent(missing, "en") == DASH


def test_percentages() -> None:
    assert (percent(0.034, "nl"), percent(0.034, "en"), percent(1, "en", 0)) == ("3,4%", "3.4%", "100%")


def test_words_fill_blanks_and_refuse_unknown_keys() -> None:
    words = Words({"hello": ("Hallo {name}", "Hello {name}"), "half": ("Alleen Nederlands", " ")})
    assert words("hello", "nl", name="Jet") == "Hallo Jet" and words("hello", "en", name="Jet") == "Hello Jet"
    assert pick(("ja", "yes"), "en") == "yes"
    assert words.incomplete() == ["half"]
    with pytest.raises(KeyError):
        words("missing", "nl")


def test_the_pages_words_are_complete_in_both_languages() -> None:
    from serving.ui import i18n

    assert i18n.t.table is i18n.TEXT and i18n.t.incomplete() == []
