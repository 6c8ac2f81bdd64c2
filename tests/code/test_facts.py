"""The fact templates: complete for the catalogue, refused when incomplete, and read the way the brief writes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from features.catalogue import BY_ID
from models import facts


def test_every_indicator_has_a_template_a_register_and_both_languages() -> None:
    data = facts.templates()
    assert set(data["indicators"]) == set(BY_ID)
    for key in BY_ID:
        for lang in facts.LANGS:
            assert facts.source(key, lang)
    assert not facts.contestable("sector_cash_intensive") and facts.contestable("last_filing_days_late") == "filing"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["indicators"].pop("margin_z"), "no sentence template"),
        (lambda d: d["indicators"]["margin_z"].pop("pos_en"), "margin_z: lacks"),
        (lambda d: d["indicators"]["margin_z"].update(source="nowhere"), "margin_z: lacks"),
        (lambda d: d["indicators"]["margin_z"].update(form="poem"), "unknown form"),
        (lambda d: d["causes"]["not_due"].pop("en"), "Dutch and English"),
    ],
)
def test_an_incomplete_template_file_is_refused_when_loaded(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    broken = copy.deepcopy(facts.templates())
    change(broken)
    with pytest.raises(facts.TemplateError, match=message):
        facts._check(broken)


@pytest.mark.parametrize(
    ("key", "value", "nl", "en"),
    [
        (
            "companies_at_address",
            19.0,
            "19 bedrijven ingeschreven op dit adres",
            "19 companies registered at this address",
        ),
        ("companies_at_address", 1.0, "1 bedrijf ingeschreven op dit adres", "1 company registered at this address"),
        ("years_since_registration", 0.34, "ingeschreven 4 maanden geleden", "registered 4 months ago"),
        ("years_since_registration", 1 / 12, "ingeschreven 1 maand geleden", "registered 1 month ago"),
        ("years_since_registration", 3.7, "ingeschreven 3 jaar geleden", "registered 3 years ago"),
        ("cash_to_assets", 0.125, "kas is 12% van de activa", "cash is 12% of assets"),
        (
            "margin_z",
            -0.04,
            "winstmarge gelijk aan de branche (z = 0,0)",
            "profit margin level with the trade's (z = 0.0)",
        ),
        (
            "revenue_growth_z",
            2.44,
            "omzet groeide sterker dan in de branche (z = 2,4)",
            "revenue grew more than the trade's (z = 2.4)",
        ),
        ("proxy_holder_present", 1.0, "er staat een gevolmachtigde ingeschreven", "a proxy holder is registered"),
    ],
)
def test_facts_read_with_plural_units_and_decimal_signs(key: str, value: float, nl: str, en: str) -> None:
    assert facts.fact(key, value, "nl") == nl
    assert facts.fact(key, value, "en") == en


def test_dates_and_missing_values_are_stated_as_facts() -> None:
    assert (
        facts.date_text("2023-12-31", "nl") == "31-12-2023"
        and facts.date_text("2023-12-31", "en") == "31 December 2023"
    )
    young = {"years_since_registration": 0.33, "last_filing_missing": float("nan")}
    assert facts.cause("margin_z", young) == "not_due"
    assert facts.cause_text("not_due", young, "nl") == "nog geen jaarrekening verplicht; ingeschreven 4 maanden geleden"
    unfiled = {"years_since_registration": 5.0, "last_filing_missing": 1.0, "employees_latest": float("nan")}
    assert facts.cause("revenue_growth_z", unfiled) == "no_filing"
    filed = {**unfiled, "employees_latest": 3.0}
    assert facts.cause("revenue_growth_z", filed) == "short_history"
    assert facts.cause("ownership_layers", filed) == "no_shares"
    assert facts.short("margin_z", None, "nl") == "geen gegevens"
