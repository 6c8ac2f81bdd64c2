"""The two languages and their number formats, shared by every page and document.

The pages, the fairness reports and the transparency documents print the same figures, so they must print them
alike: Dutch uses a decimal comma and a full stop between thousands (1.234,5), English the reverse, and a figure
that is missing or not finite reads as a dash, never as "nan".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Literal

Lang = Literal["nl", "en"]
LANGS: Final[tuple[Lang, ...]] = ("nl", "en")
DASH: Final[str] = "–"


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is missing, not a number, NaN or infinite."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def number(value: Any, lang: Lang, digits: int = 0) -> str:
    """A number with the language's separators; a dash for a missing one."""
    f = finite(value)
    if f is None:
        return DASH
    text = f"{f:,.{digits}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "nl" else text


def percent(value: Any, lang: Lang, digits: int = 1) -> str:
    """A fraction as a percentage, e.g. 0.034 → 3,4% (nl) or 3.4% (en); a dash for a missing one."""
    f = finite(value)
    return DASH if f is None else f"{number(100.0 * f, lang, digits)}%"


#: A text in both languages: (Dutch, English).
Pair = tuple[str, str]


def pick(pair: Pair, lang: Lang) -> str:
    """The half of a (Dutch, English) pair for ``lang``."""
    return pair[0] if lang == "nl" else pair[1]


class Words:
    """A table of (Dutch, English) pairs looked up by key: the pages' words and the fairness report's.

    One table per document, so a text missing in one language is a KeyError in the tests rather than a blank on a
    page, and ``{name}`` blanks are filled the same way everywhere.
    """

    def __init__(self, table: Mapping[str, Pair]) -> None:
        self.table = table

    def __call__(self, key: str, lang: Lang, **values: object) -> str:
        """One text in one language, with its blanks filled."""
        text = pick(self.table[key], lang)
        return text.format(**values) if values else text

    def incomplete(self) -> list[str]:
        """Keys whose Dutch or English half is empty (tests keep this list empty)."""
        return sorted(k for k, (nl, en) in self.table.items() if not nl.strip() or not en.strip())
