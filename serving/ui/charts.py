"""Charts drawn as inline SVG on the server: no script, no plotting library in the browser, nothing from elsewhere.

Each chart carries a title and a description for screen readers, and the page beside it holds the same numbers
as a table, so no reader depends on the picture. Colour never carries meaning alone: bars that raise and lower a
score differ in direction and sign, and a fairness verdict is written in words next to its bar. Everything is an
SVG presentation attribute, because the pages' Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from serving.ui.i18n import Lang, number, signed

RAISE, LOWER, NEUTRAL, INK, GRID = "#b3261e", "#1f5f99", "#4d4d4d", "#1a1a1a", "#8c8c8c"
BAND_FILL, BAND_EDGE = "#dcefdc", "#2e7d32"
STATUS_FILL = {"unfair": RAISE, "inconclusive": "#8a5a00", "fair": "#2e7d32"}
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: a label and how much it moves the total."""

    label: str
    delta: float


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    chart_id = re.sub(r"[^a-z0-9-]", "-", chart_id.lower())  # it becomes an attribute: only safe characters
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" {FONT}>'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-weight="{weight}" '
        f'dominant-baseline="middle">{escape(text)}</text>'
    )


def _short(label: str, limit: int = 44) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def waterfall(base: float, steps: Sequence[Step], lang: Lang, labels: tuple[str, str], title: str, desc: str) -> Markup:
    """From the base value, each step's bar starts where the last ended; the last row marks the total.

    ``labels`` names the first and last rows (the starting value and the score). Values are log-odds, the scale
    on which contributions add up exactly.
    """
    row, left, plot, right = 26, 330, 330, 80
    rows = len(steps) + 2
    width, height = left + plot + right, row * rows + 36
    ends = [base]
    for s in steps:
        ends.append(ends[-1] + s.delta)
    lo, hi = min(0.0, *ends), max(0.0, *ends)
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return left + plot * (v - lo) / (hi - lo)

    body = [f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{row * rows + 4}" stroke="{GRID}" '
            'stroke-dasharray="3 3"/>']  # fmt: skip
    y = 4.0
    body.append(_text(left - 8, y + row / 2, labels[0], "end"))
    body.append(f'<rect x="{min(x(0), x(base)):.1f}" y="{y + 6}" width="{abs(x(base) - x(0)):.1f}" '
                f'height="{row - 12}" fill="{NEUTRAL}"/>')  # fmt: skip
    body.append(_text(left + plot + 8, y + row / 2, number(base, lang, 2)))
    for i, s in enumerate(steps):
        y = 4.0 + row * (i + 1)
        start, end = ends[i], ends[i + 1]
        colour = RAISE if s.delta > 0 else LOWER
        body.append(_text(left - 8, y + row / 2, _short(s.label), "end"))
        body.append(f'<rect x="{min(x(start), x(end)):.1f}" y="{y + 5}" width="{max(abs(x(end) - x(start)), 1):.1f}" '
                    f'height="{row - 10}" fill="{colour}"/>')  # fmt: skip
        body.append(f'<line x1="{x(start):.1f}" y1="{y - row + 5}" x2="{x(start):.1f}" y2="{y + row - 5}" '
                    f'stroke="{GRID}" stroke-width="0.8"/>')  # fmt: skip
        body.append(_text(left + plot + 8, y + row / 2, signed(s.delta, lang, 2)))
    y = 4.0 + row * (rows - 1)
    total = ends[-1]
    body.append(_text(left - 8, y + row / 2, labels[1], "end", weight="bold"))
    body.append(f'<rect x="{min(x(0), x(total)):.1f}" y="{y + 4}" width="{abs(x(total) - x(0)):.1f}" '
                f'height="{row - 8}" fill="{INK}"/>')  # fmt: skip
    body.append(_text(left + plot + 8, y + row / 2, number(total, lang, 2), weight="bold"))
    axis_y = row * rows + 16
    for v in _ticks(lo, hi):
        body.append(f'<line x1="{x(v):.1f}" y1="{axis_y - 8}" x2="{x(v):.1f}" y2="{axis_y - 4}" stroke="{INK}"/>')
        body.append(_text(x(v), axis_y + 6, number(v, lang, 0 if float(v).is_integer() else 1), "middle"))
    return _svg("waterfall", width, height, title, desc, body)


def _ticks(lo: float, hi: float, wanted: int = 6) -> list[float]:
    raw = (hi - lo) / wanted
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step) + 1)]


@dataclass(frozen=True)
class Bar:
    """One group's disparity with its interval and verdict, as the fairness page draws it."""

    group: str
    disparity: float | None
    lower: float | None
    upper: float | None
    status: str
    verdict: str  # the status in words, with its symbol


def disparity_bars(
    sections: Sequence[tuple[str, Sequence[Bar]]], tau: float, lang: Lang, chart_id: str, title: str, desc: str
) -> Markup:
    """Per attribute (a heading) and group a bar from parity (1) to its disparity on a log scale, with its interval.

    The fair band is shaded; values beyond the axis are drawn to its edge and marked with an arrow.
    """
    row, left, plot, right = 26, 250, 330, 190
    lo, hi = 0.25, 4.0
    lines: list[str | Bar] = []
    for heading, bars in sections:
        lines += [heading, *bars]
    width, height = left + plot + right, row * len(lines) + 40

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return left + plot * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))

    body = [
        f'<rect x="{x(tau):.1f}" y="4" width="{x(1 / tau) - x(tau):.1f}" height="{row * len(lines)}" '
        f'fill="{BAND_FILL}" stroke="{BAND_EDGE}" stroke-width="0.8"/>',
        f'<line x1="{x(1):.1f}" y1="4" x2="{x(1):.1f}" y2="{row * len(lines) + 4}" stroke="{INK}"/>',
    ]
    for i, item in enumerate(lines):
        y = 4.0 + row * i
        if isinstance(item, str):  # a heading breaks the band, so each attribute reads as its own panel
            body.append(f'<rect x="0" y="{y:.1f}" width="{width}" height="{row}" fill="#ffffff"/>')
            body.append(_text(4, y + row / 2, _short(item, 90), weight="bold"))
            continue
        body.extend(_bar(item, x, y, row, (lo, hi), left, plot, lang))
    axis_y = row * len(lines) + 20
    for v in (0.25, 0.5, tau, 1.0, 1 / tau, 2.0, 4.0):
        body.append(f'<line x1="{x(v):.1f}" y1="{axis_y - 10}" x2="{x(v):.1f}" y2="{axis_y - 5}" stroke="{INK}"/>')
        body.append(_text(x(v), axis_y + 6, number(v, lang, 2).rstrip("0").rstrip(",."), "middle"))
    return _svg(chart_id, width, height, title, desc, body)


def _bar(
    b: Bar, x: Callable[[float], float], y: float, row: int, limits: tuple[float, float], left: int, plot: int,
    lang: Lang,
) -> list[str]:  # fmt: skip
    lo, hi = limits
    body = [_text(left - 8, y + row / 2, _short(b.group, 34), "end")]
    shown = "–"
    if b.disparity is not None and math.isfinite(b.disparity):
        d = b.disparity
        fill = STATUS_FILL.get(b.status, NEUTRAL)
        body.append(f'<rect x="{min(x(1), x(d)):.1f}" y="{y + 7}" width="{max(abs(x(d) - x(1)), 1.5):.1f}" '
                    f'height="{row - 14}" fill="{fill}" fill-opacity="0.85"/>')  # fmt: skip
        if b.lower is not None and b.upper is not None:
            a, z = x(b.lower), x(b.upper)
            body.append(f'<line x1="{a:.1f}" y1="{y + row / 2}" x2="{z:.1f}" y2="{y + row / 2}" stroke="{INK}" '
                        'stroke-width="1.5"/>')  # fmt: skip
            body.extend(f'<line x1="{end:.1f}" y1="{y + 8}" x2="{end:.1f}" y2="{y + row - 8}" stroke="{INK}" '
                        'stroke-width="1.5"/>' for end in (a, z))  # fmt: skip
        if d > hi or d < lo:
            body.append(_text(x(d) + (6 if d > hi else -6), y + row / 2, "→" if d > hi else "←",
                              "start" if d > hi else "end"))  # fmt: skip
        shown = number(d, lang, 2)
    body.append(_text(left + plot + 10, y + row / 2, f"{shown}  {b.verdict}"))
    return body


def heat_class(signals: int | None, companies: int | None) -> str:
    """The colour class of a regional-picture cell, from its share of signals (five steps; see the legend)."""
    if signals is None or not companies:
        return "heat-none"
    share = signals / companies
    for i, floor in enumerate(HEAT_FLOORS[::-1]):
        if share >= floor:
            return f"heat-{len(HEAT_FLOORS) - i}"
    return "heat-0"


#: Lower bounds of the shares of signals for heat classes 1..4 (class 0 is no signal at all).
HEAT_FLOORS: tuple[float, ...] = (1e-12, 0.02, 0.05, 0.10)
