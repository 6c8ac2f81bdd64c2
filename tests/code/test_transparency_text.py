"""The transparency documents' fixed text and its rendering: both languages, and outside text kept inert."""

from __future__ import annotations

from typing import Any

from serving.ui.markdown import markdown_html
from training.transparency import text
from training.transparency.render import md, md_text, num


def _pairs(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict) and set(value) == {"nl", "en"}:
        return [value]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _pairs(v)]
    return []


def test_every_fixed_text_exists_in_both_languages_and_differs_between_them() -> None:
    found = [p for name in dir(text) if name.isupper() for p in _pairs(getattr(text, name))]
    assert len(found) > 30
    for pair in found:
        assert pair["nl"].strip() and pair["en"].strip()
        assert pair["nl"] != pair["en"] or len(pair["nl"]) < 12, pair["en"]  # names may agree, sentences not


def test_a_placeholder_is_recognised_wherever_it_stands() -> None:
    todo = text.todo(text.bi("naam", "name"))
    assert todo["nl"].startswith(text.MARKER["nl"]) and text.is_todo(todo["en"])
    assert text.is_todo("Point 9: " + todo["en"]) and not text.is_todo("filled in")


def test_outside_text_cannot_break_a_table_or_become_markup() -> None:
    hostile = "a | b\n*bold* [link](javascript:alert(1)) <img src=x onerror=alert(1)> `code` _x_ max_depth"
    line = md(hostile)
    assert "\n" not in line and "\\|" in line and "\\<img" in line and "\\[link\\]" in line
    assert "max_depth" in line and "\\_x\\_" in line
    html = markdown_html(f"# Title\n\n| a | b |\n|---|---:|\n| {line} | 1 |\n\n## Part\n\n<script>alert(1)</script>\n")
    assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
    assert '<td class="num">1</td>' in html and "style=" not in html and "Title" not in html and "<h2>Part</h2>" in html
    assert md_text("one\n\ntwo <b>\nthree") == "one\n\ntwo \\<b\\>\n\nthree"


def test_figures_are_rounded_for_reading_in_each_languages_own_way() -> None:
    assert num(1234.5678, "nl") == "1.234,568" and num(1234.5678, "en") == "1,234.568"
    assert num(None, "nl") == "–" and num(float("nan"), "en") == "–"


def test_every_indicator_and_source_has_its_dutch_wording() -> None:
    from features.catalogue import CATALOGUE, SOURCES
    from training.transparency import catalogue_nl

    assert set(catalogue_nl.INDICATORS) == {i.id for i in CATALOGUE}
    assert set(catalogue_nl.SOURCES) == set(SOURCES)
    assert all(description.strip() and rationale.strip() for description, rationale in catalogue_nl.INDICATORS.values())
