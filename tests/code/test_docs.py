"""Generated documentation must match the code it documents."""

from __future__ import annotations

from pathlib import Path

from docs.generate import alert_rules, data_dictionary, indicator_catalogue, retention_periods

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_dictionary_is_current() -> None:
    current = (DOCS / "data.md").read_text()
    assert current == data_dictionary(), "run `make docs` after changing features/schemas.py"


def test_indicator_catalogue_doc_is_current() -> None:
    current = (DOCS / "indicators.md").read_text()
    assert current == indicator_catalogue(), "run `make docs` after changing features/catalogue.py"


def test_alert_rules_doc_is_current() -> None:
    current = (DOCS / "alerts.md").read_text()
    assert current == alert_rules(), "run `make docs` after changing serving/templates/alert_rules.toml"


def test_retention_doc_is_current() -> None:
    assert retention_periods() in (DOCS / "retention.md").read_text(), "run `make docs` after changing retention"


def test_synthetic_world_doc_has_measured_figures() -> None:
    text = (DOCS / "synthetic-world.md").read_text()
    for key in ("difficulty", "label-bias", "segregation", "indicator-signal"):
        start = text.index(f"<!-- generated:{key}:start -->")
        end = text.index(f"<!-- generated:{key}:end -->")
        assert end - start > 200, f"section {key} is empty: run `make docs`"
    for img in ("difficulty.png", "label-bias.png", "segregation.png", "indicator-signal.png"):
        assert (DOCS / "img" / img).stat().st_size > 10_000
