"""Markdown for people, rendered from the documents' data with one template per document and language switch.

Text that came from outside the code (an approver's justification, a deployer's field) is escaped for Markdown:
it can neither break a table nor turn into a link or raw HTML on a page that renders the Markdown.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

from core.text import Lang, number
from fairness import words

#: What can break a table or start emphasis, a link, code or raw HTML; "_" only where it can open or close emphasis.
MARKDOWN_SPECIALS = re.compile(r"([\\`*\[\]<>|])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md(value: Any) -> str:
    """One line of outside text, safe inside Markdown paragraphs and table cells."""
    flat = " ".join(str(value).split())
    return MARKDOWN_SPECIALS.sub(lambda m: "\\" + m.group(0), flat)


def md_text(value: Any) -> str:
    """Lines of text, each made safe like :func:`md` and kept as a paragraph of its own."""
    return "\n\n".join(md(line) for line in str(value).splitlines() if line.strip())


def num(value: Any, lang: Lang, digits: int = 3) -> str:
    """A figure rounded for reading, in each language's own separators (``core.text``, as on the pages)."""
    return number(value, lang, digits)


def pct(value: Any, lang: Lang, digits: int = 1) -> str:
    """A share as a percentage."""
    try:
        return f"{num(100 * float(value), lang, digits)}%" if value is not None else "–"
    except (TypeError, ValueError):
        return "–"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("training.transparency", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: outside text goes through the md filter instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md
    env.filters["md_text"] = md_text
    return env


def render(template: str, lang: Lang, **context: Any) -> str:
    """One document in one language."""

    def pick(pair: Any) -> str:
        return str(pair[lang]) if isinstance(pair, dict) else str(pair)

    def number(v: Any, digits: int = 3) -> str:
        return num(v, lang, digits)

    def percent(v: Any, digits: int = 1) -> str:
        return pct(v, lang, digits)

    def status(s: Any) -> str:
        return words.status_word(str(s), lang) if s else "–"

    helpers: dict[str, Any] = {
        "lang": lang,
        "pick": pick,
        "num": number,
        "pct": percent,
        "attribute": lambda a: words.attribute_name(a, lang),
        "status": status,
        "measure": lambda m: words.measure_words(m, lang).name,
    }
    text = _env().get_template(template).render(**helpers, **context)
    return re.sub(r"\n{3,}", "\n\n", text)
