"""Markdown documents (the model card) shown inside a page, under the pages' strict content security policy.

The generated Markdown already escapes every text that came from outside the code; here raw HTML is switched off
as a second guard, the document's own title gives way to the page's ``h1`` (every other heading keeps its level),
and the table alignment that markdown-it writes as inline ``style`` (which the CSP forbids) becomes a class.
"""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

TITLE = re.compile(r"<h1>.*?</h1>\n?", re.S)
ALIGN = re.compile(r' style="text-align:(left|right|center)"')


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str) -> Markup:
    """Safe HTML for a generated Markdown document."""
    html = _parser().render(text)
    html = TITLE.sub("", html, count=1)
    html = ALIGN.sub(lambda m: ' class="num"' if m.group(1) == "right" else "", html)
    return Markup(html)  # markdown-it escapes text and raw HTML is off: this is already-escaped output
