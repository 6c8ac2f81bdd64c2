"""Charts drawn as inline SVG on the server: no script, no plotting library in the browser, nothing from elsewhere.

Each chart carries a title and a description for screen readers, and the page beside it holds the same numbers
as a table, so no reader depends on the picture. Colour never carries meaning alone: bars that raise and lower a
score differ in direction and sign, and a fairness verdict is written in words next to its bar. Everything is an
SVG presentation attribute, because the pages' Content-Security-Policy allows no inline style.

The geometry is worked out here, into a small view model per chart; the elements are written by the templates
``waterfall.svg.j2`` and ``disparity_bars.svg.j2`` (with ``chart.svg.j2``), through the pages' own Jinja2
environment, so text in a chart is escaped exactly as on the page around it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from markupsafe import Markup

from serving.ui.i18n import Lang, number, signed
from serving.ui.render import ENV

RAISE, LOWER, NEUTRAL, INK, GRID = "#b3261e", "#1f5f99", "#4d4d4d", "#1a1a1a", "#8c8c8c"
BAND_FILL, BAND_EDGE = "#dcefdc", "#2e7d32"
STATUS_FILL = {"unfair": RAISE, "inconclusive": "#8a5a00", "fair": "#2e7d32"}


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: a label and how much it moves the total."""

    label: str
    delta: float


# --------------------------------------------------------------------------------------------------- view model
# The templates print x positions and widths to one decimal and every other number as it is given: an int such as
# a height stays "14", a y position such as 10.0 prints "10.0". That is how the charts have always been written.


@dataclass(frozen=True)
class Frame:
    """The ``<svg>`` element: the id its title and description are named by, its size, title and description."""

    id: str
    width: int
    height: int
    title: str
    desc: str


@dataclass(frozen=True)
class Label:
    """A text element, centred vertically on ``y`` so a row's name and value line up whatever the font."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    weight: str = "normal"
    fill: str = INK


@dataclass(frozen=True)
class Rect:
    """A bar; ``y`` and ``height`` print as given, which is why a height is an int."""

    x: float
    y: float
    width: float
    height: int
    fill: str


@dataclass(frozen=True)
class Segment:
    """A line; ``width`` and ``dash`` only where it differs from a plain one-pixel stroke."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float | None = None
    dash: str | None = None


@dataclass(frozen=True)
class Tick:
    """An axis tick and the value under it."""

    mark: Segment
    label: Label


def _frame(chart_id: str, width: int, height: int, title: str, desc: str) -> Frame:
    chart_id = re.sub(r"[^a-z0-9-]", "-", chart_id.lower())  # it becomes an attribute: only safe characters
    return Frame(chart_id, width, height, title, desc)


def _render(template: str, chart: object) -> Markup:
    """The chart's SVG, ready to embed: the template has escaped every text in it."""
    return Markup(ENV.get_template(template).render(chart=chart))


def _short(label: str, limit: int = 44) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------- waterfall


@dataclass(frozen=True)
class WaterfallRow:
    """One row: its name, its bar, its value, and (for a step) the thin line up from where the last bar ended."""

    label: Label
    bar: Rect
    value: Label
    link: Segment | None = None


@dataclass(frozen=True)
class WaterfallChart:
    """What ``waterfall.svg.j2`` draws: every position worked out, every label in the visitor's language."""

    frame: Frame
    zero: Segment
    rows: list[WaterfallRow]
    ticks: list[Tick]


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

    def name(y: float, text: str, weight: str = "normal") -> Label:
        return Label(left - 8, y + row / 2, text, "end", weight)

    def value(y: float, text: str, weight: str = "normal") -> Label:
        return Label(left + plot + 8, y + row / 2, text, weight=weight)

    y = 4.0
    bar = Rect(min(x(0), x(base)), y + 6, abs(x(base) - x(0)), row - 12, NEUTRAL)
    lines = [WaterfallRow(name(y, labels[0]), bar, value(y, number(base, lang, 2)))]
    for i, s in enumerate(steps):
        y = 4.0 + row * (i + 1)
        start, end = ends[i], ends[i + 1]
        bar = Rect(
            min(x(start), x(end)), y + 5, max(abs(x(end) - x(start)), 1), row - 10, RAISE if s.delta > 0 else LOWER
        )
        link = Segment(x(start), y - row + 5, x(start), y + row - 5, GRID, width=0.8)
        lines.append(WaterfallRow(name(y, _short(s.label)), bar, value(y, signed(s.delta, lang, 2)), link))
    y = 4.0 + row * (rows - 1)
    total = ends[-1]
    bar = Rect(min(x(0), x(total)), y + 4, abs(x(total) - x(0)), row - 8, INK)
    lines.append(WaterfallRow(name(y, labels[1], "bold"), bar, value(y, number(total, lang, 2), "bold")))
    axis_y = row * rows + 16
    ticks = [
        Tick(
            Segment(x(v), axis_y - 8, x(v), axis_y - 4, INK),
            Label(x(v), axis_y + 6, number(v, lang, 0 if float(v).is_integer() else 1), "middle"),
        )
        for v in _ticks(lo, hi)
    ]
    zero = Segment(x(0), 4, x(0), row * rows + 4, GRID, dash="3 3")
    return _render(
        "waterfall.svg.j2", WaterfallChart(_frame("waterfall", width, height, title, desc), zero, lines, ticks)
    )


def _ticks(lo: float, hi: float, wanted: int = 6) -> list[float]:
    raw = (hi - lo) / wanted
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step) + 1)]


# --------------------------------------------------------------------------------------------------- disparity bars


@dataclass(frozen=True)
class Bar:
    """One group's disparity with its interval and verdict, as the fairness page draws it."""

    group: str
    disparity: float | None
    lower: float | None
    upper: float | None
    status: str
    verdict: str  # the status in words, with its symbol


@dataclass(frozen=True)
class Heading:
    """An attribute's name on a white strip: it breaks the band, so each attribute reads as its own panel."""

    kind: ClassVar[str] = "heading"
    y: float
    label: Label


@dataclass(frozen=True)
class BarRow:
    """One group: its name, its bar and interval where it has a disparity, an arrow when off the axis, its verdict."""

    kind: ClassVar[str] = "bar"
    label: Label
    value: Label
    bar: Rect | None = None
    interval: tuple[Segment, ...] = ()  # the interval, then its two end marks
    arrow: Label | None = None


@dataclass(frozen=True)
class DisparityChart:
    """What ``disparity_bars.svg.j2`` draws: every position worked out, every label in the visitor's language."""

    frame: Frame
    row: int
    band: Rect
    parity: Segment
    lines: list[Heading | BarRow]
    ticks: list[Tick]
    band_edge: str = BAND_EDGE


def disparity_bars(
    sections: Sequence[tuple[str, Sequence[Bar]]], tau: float, lang: Lang, chart_id: str, title: str, desc: str
) -> Markup:
    """Per attribute (a heading) and group a bar from parity (1) to its disparity on a log scale, with its interval.

    The fair band is shaded; values beyond the axis are drawn to its edge and marked with an arrow.
    """
    row, left, plot, right = 26, 250, 330, 190
    lo, hi = 0.25, 4.0
    items: list[str | Bar] = []
    for heading, bars in sections:
        items += [heading, *bars]
    width, height = left + plot + right, row * len(items) + 40

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return left + plot * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))

    lines: list[Heading | BarRow] = []
    for i, item in enumerate(items):
        y = 4.0 + row * i
        if isinstance(item, str):
            lines.append(Heading(y, Label(4, y + row / 2, _short(item, 90), weight="bold")))
        else:
            lines.append(_bar(item, x, y, row, (lo, hi), left, plot, lang))
    axis_y = row * len(items) + 20
    ticks = [
        Tick(
            Segment(x(v), axis_y - 10, x(v), axis_y - 5, INK),
            Label(x(v), axis_y + 6, number(v, lang, 2).rstrip("0").rstrip(",."), "middle"),
        )
        for v in (0.25, 0.5, tau, 1.0, 1 / tau, 2.0, 4.0)
    ]
    chart = DisparityChart(
        frame=_frame(chart_id, width, height, title, desc),
        row=row,
        band=Rect(x(tau), 4, x(1 / tau) - x(tau), row * len(items), BAND_FILL),
        parity=Segment(x(1), 4, x(1), row * len(items) + 4, INK),
        lines=lines,
        ticks=ticks,
    )
    return _render("disparity_bars.svg.j2", chart)


def _bar(
    b: Bar, x: Callable[[float], float], y: float, row: int, limits: tuple[float, float], left: int, plot: int,
    lang: Lang,
) -> BarRow:  # fmt: skip
    lo, hi = limits
    label = Label(left - 8, y + row / 2, _short(b.group, 34), "end")
    if b.disparity is None or not math.isfinite(b.disparity):
        return BarRow(label, Label(left + plot + 10, y + row / 2, f"–  {b.verdict}"))
    d = b.disparity
    fill = STATUS_FILL.get(b.status, NEUTRAL)
    bar = Rect(min(x(1), x(d)), y + 7, max(abs(x(d) - x(1)), 1.5), row - 14, fill)
    interval: tuple[Segment, ...] = ()
    if b.lower is not None and b.upper is not None:
        a, z = x(b.lower), x(b.upper)
        interval = (
            Segment(a, y + row / 2, z, y + row / 2, INK, width=1.5),
            *(Segment(end, y + 8, end, y + row - 8, INK, width=1.5) for end in (a, z)),
        )
    arrow = None
    if d > hi or d < lo:
        arrow = Label(x(d) + (6 if d > hi else -6), y + row / 2, "→" if d > hi else "←", "start" if d > hi else "end")
    value = Label(left + plot + 10, y + row / 2, f"{number(d, lang, 2)}  {b.verdict}")
    return BarRow(label, value, bar, interval, arrow)


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


# --------------------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryPoint:
    """One batch's point: its as-of date, the probability and the model version that gave it."""

    as_of: str
    probability: float
    model_version: str


@dataclass(frozen=True)
class HistoryChart:
    """What ``history.svg.j2`` draws: band floors as dashed lines, the path through the points, each labelled."""

    frame: Frame
    floors: list[Tick]
    path: list[Segment]
    dots: list[Rect]
    labels: list[Label]


LOG_FLOOR = 1e-4  # the chart's lowest probability; smaller ones are drawn on it


def history_chart(
    points: Sequence[HistoryPoint], floors: Sequence[tuple[str, float]], lang: Lang, title: str, desc: str
) -> Markup:
    """Probability over as-of dates on a log scale (the bands' floors are far apart in ratio, not in difference).

    Points stand at their dates' distances from each other; under each one its date and the model version.
    """
    width, height, left, right, top, bottom = 640, 240, 150, 60, 20, 54
    days = [_ordinal(p.as_of) for p in points]
    span = max(days) - min(days) if len(days) > 1 else 1

    def x(day: int) -> float:
        return left + (width - left - right) * ((day - min(days)) / span if len(days) > 1 else 0.5)

    def y(p: float) -> float:
        lo, hi = math.log10(LOG_FLOOR), 0.0
        return top + (height - top - bottom) * (hi - math.log10(max(p, LOG_FLOOR))) / (hi - lo)

    ticks = [
        Tick(Segment(left, y(floor), width - right, y(floor), GRID, dash="4 3"),
             Label(left - 6, y(floor), f"{word} ≥ {number(100 * floor, lang, 0)}%", anchor="end", fill=NEUTRAL))
        for word, floor in floors
    ]  # fmt: skip
    xy = [(x(d), y(p.probability)) for d, p in zip(days, points, strict=True)]
    path = [Segment(a[0], a[1], b[0], b[1], INK, width=2) for a, b in itertools.pairwise(xy)]
    dots = [Rect(px - 4, py - 4, 8, 8, RAISE) for px, py in xy]
    labels = []
    for (px, py), p in zip(xy, points, strict=True):
        labels.append(Label(px, py - 12, signed_pct(p.probability, lang), anchor="middle", weight="bold"))
        labels.append(Label(px, height - bottom + 16, _date(p.as_of, lang), anchor="middle"))
        labels.append(Label(px, height - bottom + 32, f"v{p.model_version}", anchor="middle", fill=NEUTRAL))
    frame = _frame("history", width, height, title, desc)
    return _render("history.svg.j2", HistoryChart(frame, ticks, path, dots, labels))


def signed_pct(probability: float, lang: Lang) -> str:
    """A probability as the pages write it: two decimals of a percent."""
    return number(100 * probability, lang, 2) + "%"


def _ordinal(as_of: str) -> int:
    year, month, day = (int(p) for p in as_of[:10].split("-"))
    return date(year, month, day).toordinal()


def _date(as_of: str, lang: Lang) -> str:
    year, month, day = (int(p) for p in as_of[:10].split("-"))
    return f"{day:02d}-{month:02d}-{year}" if lang == "nl" else f"{year}-{month:02d}-{day:02d}"
