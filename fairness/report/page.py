"""The report as files: the HTML page in each language, from one template, and ``fairness.json`` beside it.

The page template is a file (``fairness/templates/report.html.j2``) so that it can be read and reviewed as HTML;
it only lays out the view model (:mod:`fairness.report.view`) and decides nothing. The JSON carries the same
facts for machines, with the same small-cell suppression as the pages. Each file goes to a temporary file in the
same folder and is then renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from core.io import plain, write_text_atomic
from core.text import LANGS, Lang
from fairness.audit import AuditResult
from fairness.report.sections import Facts, page_sections
from fairness.report.view import COUNT_COLUMNS, Rows
from fairness.words import t

FILES: dict[str, str] = {"nl": "fairness_nl.html", "en": "fairness_en.html", "json": "fairness.json"}
TEMPLATE = "report.html.j2"


def _environment() -> jinja2.Environment:
    """Autoescape on: group names, context values and proxy notes come from data, not from us.

    ``keep_trailing_newline`` stays off, as it was when the template was a string in this module: the file ends in
    a newline, the page does not.
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fairness", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


@functools.cache
def _template() -> jinja2.Template:
    """The page template, compiled once per process (compiling costs more than rendering a page)."""
    return _environment().get_template(TEMPLATE)


def render_html(
    observed: AuditResult,
    lang: Lang,
    *,
    truth: AuditResult | None = None,
    proxies: Mapping[str, Any] | None = None,
    title: str | None = None,
    context: Mapping[str, str] | None = None,
) -> str:
    """The report in one language as a self-contained HTML page."""
    return _page(Facts.of(observed, truth), lang, proxies=proxies, title=title, context=context)


def _page(
    facts: Facts,
    lang: Lang,
    *,
    proxies: Mapping[str, Any] | None,
    title: str | None,
    context: Mapping[str, str] | None,
) -> str:
    """One language's page; ``facts`` is shared by the languages of one report, so each figure is drawn once."""
    sections = page_sections(facts, lang, proxies)
    other: Lang = "en" if lang == "nl" else "nl"
    return _template().render(
        lang=lang,
        title=title or t("title", lang),
        text={k: t(k, lang) for k in ("skip", "contents", "context")},
        other={"file": FILES[other], "lang": other, "name": t("other_lang", lang)},
        context=list((context or {}).items()),
        sections=sections,
    )


def audit_blob(result: AuditResult) -> dict[str, Any]:
    """The audit as JSON-ready data with the same suppression as the HTML: hidden counts are null, never exact."""
    return _audit_blob(result, Rows.of(result))


def _audit_blob(result: AuditResult, rows: Rows) -> dict[str, Any]:
    blob = result.to_dict()
    for group, record in zip(blob["groups"], rows.records, strict=True):
        group["counts_suppressed"] = record["_hidden"]
        if record["_hidden"]:
            group["group_size_band"] = f"< {rows.min_size}" if record["_small"] else "suppressed (complementary)"
            for c in COUNT_COLUMNS:
                group[c] = None
    return plain(blob)


def _json_text(
    facts: Facts, proxies: Mapping[str, Any] | None, title: str | None, context: Mapping[str, str] | None
) -> str:
    truth = facts.truth
    blob: dict[str, Any] = {
        "title": title or t("title", "en"),
        "context": dict(context or {}),
        "passed": not facts.failures,
        "observed": _audit_blob(facts.observed, facts.obs),
        "truth": _audit_blob(truth, facts.tru) if truth is not None and facts.tru is not None else None,
        "truth_passed": not facts.truth_failures if truth is not None else None,
        "proxies": plain(dict(proxies)) if proxies else None,
    }
    return json.dumps(blob, allow_nan=False, indent=2, ensure_ascii=False) + "\n"


def write_report(
    observed: AuditResult,
    out_dir: Path,
    *,
    truth: AuditResult | None = None,
    proxies: Mapping[str, Any] | None = None,
    title: str | None = None,
    context: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``fairness_nl.html``, ``fairness_en.html`` and ``fairness.json`` to ``out_dir``; return their paths.

    ``truth`` is the same decision audited against ground truth (synthetic data only) and is shown beside every
    disparity; ``proxies`` holds the optional proxy checks (``predictability``, ``score_gap``, ``counterfactual``,
    ``notes``); ``title`` defaults to a title in each language; ``context`` is shown at the top as is.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = Facts.of(observed, truth)  # rows, verdicts and figures: worked out once, shown in every language
    texts: dict[str, str] = {lang: _page(facts, lang, proxies=proxies, title=title, context=context) for lang in LANGS}
    texts["json"] = _json_text(facts, proxies, title, context)
    paths = {key: out_dir / FILES[key] for key in texts}
    for key, text in texts.items():
        write_text_atomic(paths[key], text)
    return paths
