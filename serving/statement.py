"""A company's fact statement: the verifiable facts behind its signal, for hoor en wederhoor.

This is the document a municipality hands a company so that it can answer (its zienswijze). It states facts
only: each with its source register, its date and the indicator it feeds, beside what comparable companies have.
It holds no score, no probability and no model internals, because a company answers facts, not a number, and
the signal is for human review, not a finding. Dutch at B1 level and English; the wording lives in the
templates (``serving/ui/templates/statement.*``), the facts in ``models/templates/facts.toml``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from features.catalogue import BY_ID
from models import facts
from models.facts import Lang
from serving.explanations import BatchExplanations

TOP = 8
# Markdown, not HTML: no escaping, but every placeholder must exist
DOCUMENTS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "ui" / "templates"),
    autoescape=False,  # a Markdown download, never rendered as HTML by the service
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def company_statement(loaded: BatchExplanations, company_id: str, name: str) -> dict[str, Any] | None:
    """The facts behind the signal, strongest first, in both languages; None when the company is not here."""
    explained = loaded.explain(company_id, top=TOP)
    if explained is None:
        return None
    at = loaded.position(company_id)
    context = loaded.facts_of(at)
    lines = [_line(r, loaded, at, context) for r in explained["reasons"]["raises"]]
    return {"company_id": company_id, "name": name, "as_of": loaded.as_of, "facts": lines}


def _line(reason: dict[str, Any], loaded: BatchExplanations, at: int, context: dict[str, float]) -> dict[str, Any]:
    """One fact: what it says, where it comes from and which indicators it feeds (no contribution)."""
    members = reason["members"] or [reason["key"]]
    out: dict[str, Any] = {"indicators": members, "record": reason["record"]}
    for lang in facts.LANGS:
        out[f"fact_{lang}"] = _fact_text(members, reason, loaded, at, context, lang)
        out[f"source_{lang}"] = ", ".join(dict.fromkeys(facts.source(m, lang) for m in members))
        out[f"date_{lang}"] = facts.date_text(loaded.as_of, lang) if loaded.as_of else ""
        out[f"indicators_{lang}"] = [getattr(BY_ID[m], f"label_{lang}") for m in members]
        out[f"peers_{lang}"] = _peers(members, reason, lang)
    return out


def _fact_text(
    members: list[str],
    reason: dict[str, Any],
    loaded: BatchExplanations,
    at: int,
    context: dict[str, float],
    lang: Lang,
) -> str:
    if reason["value"] is None:  # a group of missing values: the cause is the fact
        cause = facts.cause(members[0], context)
        text = facts.cause_text(cause, context, lang)
    else:
        j = loaded.features.index(members[0])
        text = facts.fact(members[0], float(loaded.values[at, j]), lang)
    return text[:1].upper() + text[1:]


def _peers(members: list[str], reason: dict[str, Any], lang: Lang) -> str:
    if reason["value"] is None:
        return "hebben deze gegevens wel" if lang == "nl" else "have these data"
    ref = reason["reference"]
    return facts.short(members[0], math.nan if ref is None else float(ref), lang)


def markdown(statement: dict[str, Any], lang: Lang) -> str:
    """The statement as a Markdown document (the download), from its template."""
    return DOCUMENTS.get_template("statement.md.j2").render(s=statement, lang=lang)
