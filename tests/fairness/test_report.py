"""The oversight bias report: both languages, suppression of small cells, truth beside labels, proxies, accessibility.

Every report here comes from a real ``fairness.audit.audit`` on a small synthetic frame, so the tests exercise the
same columns, statuses and settings the CLI will hand to ``write_report``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import fairness.report as report
from fairness.audit import AuditResult, audit
from fairness.report import FILES, suppression_mask, write_report

TINY = 17  # a distinctive group size, below the minimum of 30
VOID = {"meta", "img", "br", "hr", "input", "link", "source", "wbr", "col", "area", "base", "embed", "track"}
PROXIES = {
    "predictability": [
        {
            "attribute": "a",
            "group": "y",
            "auc": 0.71,
            "auc_std": 0.02,
            "top_indicators": [{"indicator": "proxy_indicator_one", "auc": 0.66}],
        },
        {"attribute": "a", "group": "z", "auc": 0.52, "auc_std": 0.03, "top_indicators": []},
    ],
    "score_gap": [
        {
            "attribute": "a",
            "group": "y",
            "reference": "x",
            "gap": 1.0,
            "contributions": [
                {"indicator": f"gap_indicator_{i}", "contribution": c}
                for i, c in enumerate([0.5, 0.3, -0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01, 0.01])
            ],
        }
    ],
    "counterfactual": [
        {
            "indicator": "flip_indicator",
            "attribute": "a",
            "group": "y",
            "reference": "x",
            "selection_rate_before": 0.06,
            "selection_rate_after": 0.04,
            "disparity_before": 3.0,
            "disparity_after": 1.1,
        }
    ],
    "notes": ["Five-fold <b>cross-validation</b>."],
}


def _frame(shift: float, seed: int) -> pd.DataFrame:
    """3,000 companies: groups x (large), y (large, scores shifted by ``shift``), z (100) and tiny (17)."""
    rng = np.random.default_rng(seed)
    n = 3000
    a = np.array(["x"] * 1800 + ["y"] * (n - 1800 - 100 - TINY) + ["z"] * 100 + ["tiny"] * TINY, dtype=object)
    truth = (rng.random(n) < 0.10).astype(float)
    score = rng.normal(size=n) + shift * (a == "y") + 1.5 * truth
    label = truth.copy()
    label[(a == "x") & (rng.random(n) < 0.5)] = np.nan  # enforcement looked less at x
    return pd.DataFrame(
        {
            "score": score,
            "label": label,
            "truth": truth,
            "a": a,
            "b": rng.choice(np.array(["p", "q"], dtype=object), n),
            "region": rng.choice(np.array(["r1", "r2"], dtype=object), n),
            "probability": 1.0 / (1.0 + np.exp(-(score - 2.0))),
        }
    )


def _audit(frame: pd.DataFrame, label: str) -> AuditResult:
    return audit(
        frame,
        score="score",
        label=label,
        groups=["a", "b"],
        top_k=50,
        within="region",
        probability="probability",
        gating=["a"],
        n_boot=200,
    )


@pytest.fixture(scope="module")
def failing() -> tuple[AuditResult, AuditResult]:
    frame = _frame(shift=1.2, seed=1)
    return _audit(frame, "label"), _audit(frame, "truth")


@pytest.fixture(scope="module")
def passing() -> AuditResult:
    frame = _frame(shift=0.0, seed=2)
    frame["a"] = np.where(np.arange(len(frame)) % 2 == 0, "even", "odd").astype(object)
    frame["b"] = frame["a"]
    return _audit(frame, "label")


@pytest.fixture(scope="module")
def full(failing: tuple[AuditResult, AuditResult], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    observed, truth = failing
    context = {"model version": "v7", "scores file": "<scores>.parquet"}
    return write_report(observed, tmp_path_factory.mktemp("full"), truth=truth, proxies=PROXIES, context=context)


@pytest.fixture(scope="module")
def bare(failing: tuple[AuditResult, AuditResult], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_report(failing[0], tmp_path_factory.mktemp("bare"))


class Page(HTMLParser):
    """Collects what the tests look at and checks that every opened element is closed in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.lang: str | None = None
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.th_scopes: list[str | None] = []
        self.rows: list[list[str]] = []
        self.cells: list[tuple[str, str]] = []  # (class, text) of every td
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._cell_class = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(str(a[key]))
        if tag == "th":
            self.th_scopes.append(a.get("scope"))
        if tag == "tr":
            self._row = []
        if tag in {"td", "th"}:
            self._cell, self._cell_class = [], a.get("class") or ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag in {"td", "th"} and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append(text)
            if tag == "td":
                self.cells.append((self._cell_class, text))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def rows_of(self, group: str) -> list[list[str]]:
        return [r for r in self.rows if r and r[0] == group]


def _read(paths: dict[str, Path], lang: str) -> tuple[str, Page]:
    text = paths[lang].read_text(encoding="utf-8")
    return text, Page(text)


def test_both_languages_and_the_json_are_written(full: dict[str, Path]) -> None:
    assert set(full) == {"nl", "en", "json"}
    for key, path in full.items():
        assert path.name == FILES[key] and path.stat().st_size > 0
    for lang in ("nl", "en"):
        _, page = _read(full, lang)
        assert page.errors == [] and page.stack == [], "every element is closed, in order"
        assert page.lang == lang
    blob = json.loads(full["json"].read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(c))
    assert blob["passed"] is False and blob["truth"] is not None and blob["proxies"]["notes"]


def test_a_failing_audit_names_the_group_and_says_failed(full: dict[str, Path]) -> None:
    nl, _ = _read(full, "nl")
    en, _ = _read(full, "en")
    assert "NIET GESLAAGD" in nl and "a = y" in nl
    assert "FAILED" in en and "PASSED" not in en and "a = y" in en
    assert "not a finding" in en and "geen bevinding" in nl


def test_a_passing_audit_says_passed(passing: AuditResult, tmp_path: Path) -> None:
    assert passing.passed, "the fixture must pass"
    paths = write_report(passing, tmp_path)
    nl, _ = _read(paths, "nl")
    en, _ = _read(paths, "en")
    assert "GESLAAGD" in nl and "NIET GESLAAGD" not in nl
    assert "PASSED" in en and "FAILED" not in en
    assert json.loads(paths["json"].read_text())["passed"] is True


def test_small_groups_never_show_exact_counts(full: dict[str, Path], failing: tuple[AuditResult, AuditResult]) -> None:
    observed = failing[0]
    z_size = int(observed.groups.set_index("attribute_value").loc["z", "group_size"])
    for lang, hidden in (("nl", "verborgen"), ("en", "hidden")):
        _, page = _read(full, lang)
        tiny_rows = page.rows_of("tiny") + page.rows_of("a = tiny")
        assert len(tiny_rows) >= 3, "the tiny group appears in the attribute tables and the full tables"
        for row in tiny_rows:
            assert str(TINY) not in " ".join(row[1:]), row
        assert any("< 30" in cell for row in tiny_rows for cell in row)
        # the tiny group is the only small one of ``a``: z, the next smallest, is hidden too (complementary)
        z_rows = page.rows_of("z") + page.rows_of("a = z")
        assert z_rows and all(str(z_size) not in row[1:] for row in z_rows)
        assert any(hidden in cell for row in z_rows for cell in row)
    groups = json.loads(full["json"].read_text())["observed"]["groups"]
    tiny = next(g for g in groups if g["attribute_value"] == "tiny")
    assert tiny["counts_suppressed"] and all(tiny[c] is None for c in ("group_size", "pp", "tp", "fp", "tn", "fn"))


def test_suppression_mask_hides_a_complement_only_for_a_lone_small_group() -> None:
    groups = pd.DataFrame(
        {
            "attribute_name": ["a", "a", "a", "b", "b", "b", "c", "c"],
            "attribute_value": ["big", "mid", "small", "s1", "s2", "big", "one", "two"],
            "group_size": [500, 80, 10, 12, 9, 700, 300, 400],
        }
    )
    assert suppression_mask(groups, 30).tolist() == [False, True, True, True, True, False, False, False]


def test_truth_columns_only_when_truth_is_given(full: dict[str, Path], bare: dict[str, Path]) -> None:
    for lang, words in (("en", "against ground truth"), ("nl", "tegen de werkelijke uitkomst")):
        with_truth, _ = _read(full, lang)
        without, _ = _read(bare, lang)
        assert with_truth.count(words) > 4
        assert words not in without
    assert json.loads(bare["json"].read_text())["truth"] is None


def test_proxy_sections_render_only_when_given(full: dict[str, Path], bare: dict[str, Path]) -> None:
    for lang in ("nl", "en"):
        text, page = _read(full, lang)
        for anchor in ('id="proxies"', 'id="p-predictability"', 'id="p-gap-0"', 'id="p-counterfactual"'):
            assert anchor in text
        assert "proxy_indicator_one" in text and "flip_indicator" in text
        assert "&lt;b&gt;cross-validation&lt;/b&gt;" in text, "notes are escaped, not markup"
        # the top 8 contributions, one bar for the other 3, and the total
        assert sum(r[0].startswith("gap_indicator_") for r in page.rows if r) == 8
        assert any(r[0] in {"other 3 indicators", "overige 3 indicatoren"} for r in page.rows if r)
        bare_text, _ = _read(bare, lang)
        assert 'id="proxies"' not in bare_text and "proxy_indicator_one" not in bare_text


def test_every_image_is_an_embedded_png_with_alt_text(full: dict[str, Path]) -> None:
    for lang in ("nl", "en"):
        _, page = _read(full, lang)
        assert len(page.images) >= 8, "four measures, one distribution, three proxy figures"
        for img in page.images:
            assert (img.get("alt") or "").strip(), img.get("alt")
            src = str(img.get("src"))
            assert src.startswith("data:image/png;base64,")
            assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_network_references(full: dict[str, Path]) -> None:
    for lang in ("nl", "en"):
        text, page = _read(full, lang)
        assert "http://" not in text and "https://" not in text
        assert all(link.startswith(("data:", "#", "fairness_")) for link in page.links), page.links
        assert "<script" not in text and "<link" not in text


def test_accessible_structure(full: dict[str, Path]) -> None:
    for lang in ("nl", "en"):
        _, page = _read(full, lang)
        assert page.headings[0] == 1 and page.headings.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), page.headings
        assert page.th_scopes and all(s in {"col", "row"} for s in page.th_scopes)


def test_status_is_written_in_words_not_only_colour(full: dict[str, Path]) -> None:
    for lang, unfair in (("nl", "oneerlijk"), ("en", "unfair")):
        _, page = _read(full, lang)
        coloured = [text for cls, text in page.cells if cls.startswith("s-")]
        assert coloured and all(any(ch.isalpha() for ch in text) for text in coloured), "never a colour or symbol alone"
        verdicts = [text for cls, text in page.cells if cls == "s-unfair" and "%" in text]
        assert verdicts, "the failing group has unfair headline cells"
        assert all(unfair in text for text in verdicts)


def test_data_is_escaped(full: dict[str, Path]) -> None:
    text, _ = _read(full, "en")
    assert "&lt;scores&gt;.parquet" in text and "<scores>" not in text


def test_rewriting_leaves_no_temporary_files(passing: AuditResult, tmp_path: Path) -> None:
    write_report(passing, tmp_path)
    write_report(passing, tmp_path, title="Second run")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES.values())
    assert "Second run" in (tmp_path / FILES["en"]).read_text()


def _count_savefig(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = Figure.savefig

    def counting(self: Figure, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", counting)
    return calls


def test_each_figure_is_drawn_once_whatever_the_number_of_languages(
    failing: tuple[AuditResult, AuditResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing is the cost of a report: a figure is drawn once and embedded in every language, never per language."""
    observed, truth = failing
    calls = _count_savefig(monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(report.page, "LANGS", ("en",))  # write_report reads the languages there
        write_report(observed, tmp_path / "one", truth=truth, proxies=PROXIES)
    one = len(calls)
    calls.clear()
    paths = write_report(observed, tmp_path / "two", truth=truth, proxies=PROXIES)
    assert len(calls) == one, "adding a language must not add a single figure to draw"
    # four measures, one distribution (one gating attribute), predictability, one score gap, the counterfactuals
    assert one == 8
    images = {lang: [str(img.get("src")) for img in _read(paths, lang)[1].images] for lang in ("nl", "en")}
    assert images["nl"] == images["en"], "both languages embed the very same figures"
    assert len(set(images["en"])) == one, "and every figure drawn is shown"


def test_an_audit_without_score_distributions_says_so(
    failing: tuple[AuditResult, AuditResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An audit of a 0/1 decision has no score to spread: the section says so instead of drawing nothing."""
    observed = dataclasses.replace(failing[0], distributions={})
    calls = _count_savefig(monkeypatch)
    paths = write_report(observed, tmp_path)
    assert len(calls) == 4, "the four measures, no distribution"
    for lang, words, intro in (
        ("en", "There are no score distributions for this audit.", "ranked by score"),
        ("nl", "Voor deze audit zijn geen scoreverdelingen beschikbaar.", "op score gerangschikt"),
    ):
        text, page = _read(paths, lang)
        section = text.split('id="distributions"', 1)[1].split("</section>", 1)[0]
        assert words in section and intro not in section and "<img" not in section
        assert page.errors == []
    assert json.loads(paths["json"].read_text())["observed"]["distributions"] == {}


@pytest.fixture(scope="module")
def crossed() -> tuple[AuditResult, AuditResult]:
    """Two attributes, their intersection (up to 12 groups) and a stratum, as the CLI audits them."""
    rng = np.random.default_rng(3)
    frame = _frame(shift=0.8, seed=3)
    frame["c"] = rng.choice(np.array(["k", "l", "m"], dtype=object), len(frame))
    frame["a+c"] = frame["a"] + "+" + frame["c"]
    kwargs: dict[str, Any] = {
        "score": "score",
        "groups": ["a", "c", "a+c", "region"],
        "top_k": 50,
        "within": "region",
        "probability": "probability",
        "gating": ["a", "c", "a+c"],
        "n_boot": 100,
    }
    return audit(frame, label="label", **kwargs), audit(frame, label="truth", **kwargs)


def test_intersections_are_drawn_once_per_figure_with_alt_text_in_each_language(
    crossed: tuple[AuditResult, AuditResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    observed, truth = crossed
    calls = _count_savefig(monkeypatch)
    paths = write_report(observed, tmp_path, truth=truth)
    assert len(calls) == 4 + 3, "four measures and one distribution per gating attribute, strata excluded"
    en, nl = _read(paths, "en")[1], _read(paths, "nl")[1]
    for page, word in ((en, "Wholly outside the band"), (nl, "Buiten de marge")):
        alts = [str(img.get("alt")) for img in page.images]
        assert len(alts) == 7 and all(alts)
        assert sum(word in alt for alt in alts) == 4
        assert any("a × c" in alt and "y+k" in alt for alt in alts), "intersection groups are named in the alt text"
