"""The two languages and their number formats, shared by every page and document.

The pages, the fairness reports and the transparency documents print the same figures, so they must print them
alike: Dutch uses a decimal comma and a full stop between thousands (1.234,5), English the reverse, and a figure
that is missing or not finite reads as a dash, never as "nan".
"""

from __future__ import annotations

import math
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
