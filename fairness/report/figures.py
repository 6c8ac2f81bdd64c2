"""The report's figures: drawn on a bare matplotlib Figure (the Agg canvas), never through pyplot's global state.

No pyplot, so that a report can be written from a server thread. Each figure is drawn once per report and embedded
in both pages, so a figure's own text is bilingual ("Dutch / English", or one language per line where that does
not fit) and its numbers avoid a decimal separator where the quantity allows: disparities as fractions (1⁄2, 2),
shares and percentiles as whole percentages. The alt text and the caption, which hold the figure's findings, stay
in the page's language and are written by :mod:`fairness.report.sections`; this module only draws. Margins are
fixed from what is drawn (rows, the widest tick label, the legend) instead of a constrained layout, which cost most
of the time.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MultipleLocator, PercentFormatter
from matplotlib.transforms import ScaledTranslation
from PIL import Image

from core.text import finite
from fairness.audit import TAU
from fairness.report.formats import fraction, num
from fairness.report.view import AUC_CARRIED, DRAWN, Rows
from fairness.words import attribute_name, both, indicator_both, status_word, t, tt

_Built = TypeVar("_Built")
#: Disparities are drawn on this range of the log axis; anything further out sits at the edge.
PLOT_RANGE = (0.05, 20.0)

_LABELS_COLOUR = "#1f4e79"
_TRUTH_COLOUR = "#a34700"
_BAND_COLOUR = "#2e7d32"
_UP_COLOUR = "#8b1a1a"
_DOWN_COLOUR = "#1f4e79"
DPI = 80
_WIDTH = 7.5  # inches, every figure
_FONT = 8.0  # tick labels, legends, axis labels
_HEAD_FONT = 7.5  # the attribute headings inside a figure
_LINE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00", "#000000")  # Okabe–Ito
_MARKERS = "osD^vPX*<>ph"


class Figures:
    """The report's figures as base64 PNG, each drawn on first use and then shared by every language."""

    def __init__(self) -> None:
        self._png: dict[str, str] = {}
        self._shared: dict[str, Any] = {}

    def png(self, key: str, draw: Callable[[], Figure]) -> str:
        """The figure ``key`` of this report; ``draw`` is called only the first time."""
        if key not in self._png:
            self._png[key] = _png(draw())
        return self._png[key]

    def shared(self, key: str, build: Callable[[], _Built]) -> _Built:
        """Something several figures of this report are drawn from, built on first use."""
        if key not in self._shared:
            self._shared[key] = build()
        built: _Built = self._shared[key]
        return built


def _png(fig: Figure) -> str:
    """The figure as base64 PNG with a palette of 256 colours; no metadata, so the same audit gives the same bytes.

    A chart has a handful of colours and their anti-aliased blends, which a palette holds without visible loss; the
    file is a third of a full-colour one and much cheaper to compress, which for a tall chart took a third of the
    time of drawing it.
    """
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=DPI)
    width, height = fig.canvas.get_width_height(physical=True)
    pixels = raw.getvalue()
    if len(pixels) != 4 * width * height:  # pragma: no cover - the Agg canvas draws at the figure's size
        raise RuntimeError(f"unexpected raster size for a {width}x{height} figure")
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, format="png")
    return base64.b64encode(out.getvalue()).decode("ascii")


def _text_width(texts: Sequence[str], size: float = _FONT) -> float:
    """The widest line of ``texts`` in inches, measured with the font matplotlib will draw it in."""
    return max((_line_width(line, size) for text in texts for line in text.split("\n") if line), default=0.0)


@functools.lru_cache(maxsize=4096)
def _line_width(line: str, size: float) -> float:
    """One line's width in inches; the same labels recur in every figure of a report."""
    width = text_to_path.get_text_width_height_descent(line, FontProperties(size=size), ismath=False)[0]
    return float(width) / 72.0


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _layout(fig: Figure, ax: Axes, axes_height: float, left: float, xlabel: str, legend: Legend | None) -> None:
    """Fixed margins, in inches, from what is known before drawing: no constrained layout, no second draw.

    The axes get ``axes_height``; the left margin fits the row labels; below the axes come the x tick labels,
    the x label and the legend, whose height is measured (a legend's size does not depend on the figure's).
    """
    legend_height = 0.0
    if legend is not None:
        legend_height = legend.get_window_extent().height / fig.dpi
    top, right = 0.12, 0.3
    bottom = 0.28 + 0.16 * _lines(xlabel) + 0.08 + legend_height + 0.06
    height = top + axes_height + bottom
    fig.set_size_inches(_WIDTH, height)
    fig.subplots_adjust(left=left / _WIDTH, right=1.0 - right / _WIDTH, top=1.0 - top / height, bottom=bottom / height)
    ax.set_xlabel(xlabel, fontsize=_FONT)
    ax.tick_params(labelsize=_FONT)


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(_WIDTH, 4.0), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _legend(fig: Figure, handles: Sequence[Artist], ncols: int) -> Legend:
    return fig.legend(
        handles=list(handles), loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=ncols, fontsize=_FONT, frameon=False
    )


def _tint(colour: str) -> str:
    """A pale version of ``colour``: the fill of an open bar."""
    r, g, b = (0.2 * c + 0.8 for c in to_rgb(colour))
    return to_hex((r, g, b))


def _solid(colour: str) -> dict[str, Any]:
    """The first kind of bar in a chart: filled. The second is open, so that colour is never the only cue."""
    return {"facecolor": colour, "edgecolor": colour, "linewidth": 0.8}


def _open(colour: str) -> dict[str, Any]:
    """The second kind of bar: pale with a dark outline (a hatch, the usual cue, took a third of a chart's drawing)."""
    return {"facecolor": _tint(colour), "edgecolor": colour, "linewidth": 1.3}


def _hbars(
    ax: Axes, y: np.ndarray, start: np.ndarray | float, end: np.ndarray, height: float, style: Mapping[str, Any]
) -> None:
    """Horizontal bars from ``start`` to ``end`` as one collection: one artist and one draw call, not one per bar."""
    y = np.asarray(y, dtype=float)
    end = np.asarray(end, dtype=float)
    begin = np.broadcast_to(np.asarray(start, dtype=float), y.shape)
    keep = np.isfinite(y) & np.isfinite(begin) & np.isfinite(end)
    y, begin, end = y[keep], begin[keep], end[keep]
    if not len(y):
        return
    low, high = y - height / 2.0, y + height / 2.0
    corners = [(begin, low), (end, low), (end, high), (begin, high)]
    verts = np.stack([np.column_stack(c) for c in corners], axis=1)
    ax.add_collection(PolyCollection(list(verts), closed=True, **style), autolim=True)


def _swatch(style: Mapping[str, Any], label: str) -> Patch:
    """A legend entry for bars of ``style``."""
    return Patch(label=label, **style)


def _rows(kinds: Sequence[str], row: float, head: float = 0.34, pad: float = 0.06) -> tuple[np.ndarray, float]:
    """Centre of each row, top to bottom, in inches below the top of the axes (a heading row has its own height)."""
    heights = np.array([head if k == "head" else row for k in kinds], dtype=float)
    edges = pad + np.concatenate([[0.0], np.cumsum(heights)])
    return edges[:-1] + heights / 2.0, float(edges[-1]) + pad


def _rows_axis(ax: Axes, rows: Sequence[tuple[str, str]], row: float) -> tuple[np.ndarray, float, float]:
    """Rows of a horizontal chart whose y unit is the inch: group rows get a label, heading rows a bold line.

    The labels are plain texts left of the axes rather than tick labels: a tick is five artists, and creating and
    drawing them took more time than the bars. Returns the centre of each group row, the axes height and the left
    margin that fits the labels.
    """
    centres, total = _rows([k for k, _ in rows], row)
    groups = [i for i, (k, _) in enumerate(rows) if k != "head"]
    labels = [rows[i][1] for i in groups]
    ax.set_yticks([])
    ax.set_ylim(total, 0.0)
    beside = ax.get_yaxis_transform() + ScaledTranslation(-4.0 / 72.0, 0.0, ax.figure.dpi_scale_trans)
    for y, (kind, text) in zip(centres, rows, strict=True):
        if kind != "head":
            ax.text(0.0, y, text, transform=beside, ha="right", va="center", fontsize=_FONT)
        else:
            ax.text(
                0.005,
                y,
                text,
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=_HEAD_FONT,
                fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )
    return centres[groups], total, max(_text_width(labels) + 0.3, 0.5)


def _headed(items: Sequence[tuple[str, str]], heading: Callable[[str], str]) -> list[tuple[str, str]]:
    """(kind, text) rows: a heading row before each run of items with the same key, then the items themselves."""
    rows: list[tuple[str, str]] = []
    last: str | None = None
    for key, label in items:
        if key != last:
            rows.append(("head", heading(key)))
            last = key
        rows.append(("item", label))
    return rows


@dataclass(frozen=True)
class _Bar:
    value: float | None
    lower: float | None
    upper: float | None
    status: str


def _bar(record: Mapping[str, Any] | None, metric: str) -> _Bar:
    if record is None:
        return _Bar(None, None, None, "insufficient data")
    return _Bar(
        finite(record[f"{metric}_disparity"]),
        finite(record[f"{metric}_disparity_lower"]),
        finite(record[f"{metric}_disparity_upper"]),
        str(record[f"{metric}_status"]),
    )


def clip(value: float) -> float:
    """A disparity pulled into the plotted range, so that an extreme one sits at the edge instead of vanishing."""
    return min(max(value, PLOT_RANGE[0]), PLOT_RANGE[1])


def _log_axis(ax: Axes) -> None:
    """A log disparity axis with the fairness band shaded and fractions as tick labels (no decimal separator)."""
    ax.set_xscale("log")
    ax.set_xlim(*PLOT_RANGE)
    ax.axvspan(TAU, 1.0 / TAU, color=_BAND_COLOUR, alpha=0.18)
    ax.axvline(1.0, color="#333333", linewidth=0.8)
    ticks = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0]
    ax.set_xticks(ticks, [fraction(t) for t in ticks])
    ax.minorticks_off()


def _band_handle() -> Patch:
    label = f"{both(lambda lang: t('band', lang, band='').strip())} {fraction(TAU)}–{fraction(1.0 / TAU)}"
    return Patch(facecolor=_BAND_COLOUR, alpha=0.18, label=label)


#: How a group without a bar is marked on the parity line, (marker, face colour, size), in legend order.
_UNJUDGED: dict[str, tuple[str, str, float]] = {
    "reference": ("D", "#111111", 5.0),
    "insufficient data": ("o", "none", 5.5),
    "no labels": ("s", "none", 5.0),
}


def _status_both(status: str) -> str:
    return both(lambda lang: status_word(status, lang))


def _unjudged(bar: _Bar) -> bool:
    """No bar to draw: the reference group, or a status without a judged disparity."""
    return bar.status not in DRAWN or bar.value is None


def _unjudged_handle(status: str) -> Line2D:
    marker, face, size = _UNJUDGED.get(status, ("X", "#555555", 5.5))
    label = tt("reference_marker", 40) if status == "reference" else _status_both(status)
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=face,
        markeredgecolor="#111111",
        label=label,
    )


_PITCH = 0.16  # inches per bar in a disparity chart


class _DisparityChart:
    """The headline measures' disparity charts of one report: the same rows for every measure, different bars.

    Rows, headings, the log axis with its band and the legend are the same for every measure, and they are nearly
    all of the drawing (matplotlib renders text glyph by glyph), so they are drawn once, into a raster. Each
    measure's figure is that raster with the measure's bars, whiskers and markers laid over it on an axes in the
    same place: it looks drawn in one go and costs a fraction. The legend names every kind of marker any measure
    uses. A group without a judged disparity gets a marker on the parity line instead of a bar, and the legend says
    what it means (words beside every such group would cost a text each, in two languages).
    """

    def __init__(
        self, rows: Sequence[tuple[str, str]], series: Sequence[tuple[str, Mapping[str, Any]]], statuses: Set[str]
    ) -> None:
        self.styles = [style for _, style in series]
        fig, ax = _figure()
        _log_axis(ax)
        self.centres, total, left = _rows_axis(ax, rows, _PITCH * len(series) + 0.07)
        handles: list[Artist] = [_band_handle(), *(_swatch(style, name) for name, style in series)]
        handles += [_unjudged_handle(s) for s in sorted(statuses, key=_unjudged_order)]
        _layout(fig, ax, total, left, tt("disparity_axis"), _legend(fig, handles, 2))
        canvas: Any = FigureCanvasAgg(fig)  # the Agg backend has no type stubs
        canvas.draw()
        self.raster = np.array(canvas.buffer_rgba())
        self.size = (float(fig.get_figwidth()), float(fig.get_figheight()))
        self.position = ax.get_position()
        self.ylim = ax.get_ylim()

    def figure(self, series: Sequence[Sequence[_Bar]]) -> Figure:
        """One measure's chart: the raster, and over it one bar per group for each yardstick in ``series``."""
        fig = Figure(figsize=self.size, dpi=DPI)
        FigureCanvasAgg(fig)
        fig.figimage(self.raster, origin="upper", interpolation="nearest", zorder=-1)
        ax = fig.add_axes(self.position.bounds)
        ax.set_axis_off()
        ax.set_xscale("log")
        ax.set_xlim(*PLOT_RANGE)
        ax.set_ylim(*self.ylim)
        k = len(series)
        unjudged: dict[str, list[float]] = {}
        for j, (bars, style) in enumerate(zip(series, self.styles, strict=True)):
            ys = self.centres + (j - (k - 1) / 2.0) * _PITCH
            at, value, wy, wv, lo, hi = [], [], [], [], [], []
            for y, b in zip(ys, bars, strict=True):
                if _unjudged(b) or b.value is None:  # (the second test only for the type checker)
                    unjudged.setdefault(b.status, []).append(float(y))
                    continue
                at.append(y)
                value.append(clip(b.value))
                if b.lower is not None and b.upper is not None:
                    wy.append(y)
                    wv.append(value[-1])
                    lo.append(clip(b.lower))
                    hi.append(clip(b.upper))
            _hbars(ax, np.array(at), 1.0, np.array(value), _PITCH * 0.85, style)
            if wy:
                err = np.vstack([np.maximum(np.subtract(wv, lo), 0.0), np.maximum(np.subtract(hi, wv), 0.0)])
                ax.errorbar(wv, wy, xerr=err, fmt="none", ecolor="#111111", capsize=2, linewidth=0.9)
        for status, ys_ in unjudged.items():
            handle = _unjudged_handle(status)
            ax.plot(
                np.ones(len(ys_)),
                ys_,
                linestyle="none",
                marker=handle.get_marker(),
                markersize=handle.get_markersize(),
                markerfacecolor=handle.get_markerfacecolor(),
                markeredgecolor=handle.get_markeredgecolor(),
            )
        return fig


def _unjudged_order(status: str) -> tuple[int, str]:
    return (list(_UNJUDGED).index(status) if status in _UNJUDGED else len(_UNJUDGED), status)


def measure_figure(
    metric: str, keys: Sequence[tuple[str, str]], sources: Sequence[Rows], measures: Sequence[str], figures: Figures
) -> Figure:
    """One headline measure's disparity chart: a bar per group in ``keys`` for each yardstick in ``sources``.

    ``sources`` is the labels' group table, then the ground truth's where known; ``measures`` are all headline
    measures of the report, so that the shared rows and legend name every marker any of them uses.
    """

    def bars(rows: Rows, m: str) -> list[_Bar]:
        return [_bar(rows.get(a, g), m) for a, g in keys]

    def chart() -> _DisparityChart:
        rows = _headed(keys, lambda a: both(lambda lang: attribute_name(a, lang)))
        series = [(tt("against_labels"), _solid(_LABELS_COLOUR))]
        if len(sources) > 1:
            series.append((tt("against_truth"), _open(_TRUTH_COLOUR)))
        statuses = {b.status for m in measures for r in sources for b in bars(r, m) if _unjudged(b)}
        return _DisparityChart(rows, series, statuses)

    return figures.shared("disparity-chart", chart).figure([bars(r, metric) for r in sources])


def distribution_figure(
    names: Sequence[str], shares: np.ndarray, overall: np.ndarray, below: np.ndarray, cut_x: float | None
) -> Figure:
    """One line per group over the audit's quantile bins, all groups on one axes to be compared on one scale.

    On quantile bins a group spread like everyone's runs along the even-spread line, so a pile-up at the top
    stands out.
    """
    fig, ax = _figure()
    x = np.arange(shares.shape[1])
    handles: list[Artist] = []
    (even,) = ax.plot(x, overall, color="#9a9a9a", linewidth=4.0, solid_capstyle="butt", label=tt("even_spread", 36))
    handles.append(even)
    if cut_x is not None:
        handles.append(ax.axvline(cut_x, color="#111111", linestyle="--", linewidth=1.0, label=tt("shortlist_cut", 36)))
    for i, name in enumerate(names):
        (line,) = ax.plot(
            x,
            shares[i],
            color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=4,
            linewidth=1.2,
            label=name,
        )
        handles.append(line)
    ax.set_xlim(-0.5, len(x) - 0.5)
    # ticks at the bin edges nearest to 0, 25, 50, 75 and 100% of all companies, labelled with their true share
    at = sorted({int(np.argmin(np.abs(below - q))) for q in (0.0, 0.25, 0.5, 0.75, 1.0)})
    ax.set_xticks([i - 0.5 for i in at], [f"{round(100.0 * below[i])}%" for i in at])
    peak = float(max(shares.max(), overall.max(), 0.01))
    step = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2) if peak / s <= 6), 0.25)
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0.0, peak * 1.08)
    ylabel = tt("share_axis", 30)
    ax.set_ylabel(ylabel, fontsize=_FONT)
    left = _text_width([f"{round(100 * peak)}%"]) + 0.2 + 0.16 * _lines(ylabel) + 0.1
    _layout(fig, ax, 2.6, left, tt("score_axis"), _legend(fig, handles, 3))
    return fig


def _row_height(labels: Sequence[str]) -> float:
    """Room for the tallest tick label: two-line (bilingual) labels need more than one-line ones."""
    return 0.2 + 0.14 * max((_lines(label) for label in labels), default=1)


def gap_figure(rows: Sequence[tuple[str, float]]) -> Figure:
    """Bars filled where a contribution raises the group's score and open where it lowers it, not by colour alone."""
    fig, ax = _figure()
    row = _row_height([name for name, _ in rows])
    y, total, left = _rows_axis(ax, [("item", name) for name, _ in rows], row)
    values = np.array([v for _, v in rows])
    up = values > 0
    height = 0.75 * row
    _hbars(ax, y[up], 0.0, values[up], height, _solid(_UP_COLOUR))
    _hbars(ax, y[~up], 0.0, values[~up], height, _open(_DOWN_COLOUR))
    handles = [_swatch(_solid(_UP_COLOUR), tt("raises")), _swatch(_open(_DOWN_COLOUR), tt("lowers"))]
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    _layout(fig, ax, total, left, tt("contribution_axis"), _legend(fig, handles, 2))
    return fig


def predictability_figure(entries: Sequence[Mapping[str, Any]], values: np.ndarray, carried: np.ndarray) -> Figure:
    """Bars filled where the indicators carry the attribute and open where not, so the reading is not colour alone."""
    fig, ax = _figure()
    items = [(str(e.get("attribute")), str(e.get("group"))) for e in entries]
    rows = _headed(items, lambda a: both(lambda lang: attribute_name(a, lang)))
    y, total, left = _rows_axis(ax, rows, 0.3)
    height = 0.8 * 0.3
    _hbars(ax, y[carried], 0.5, values[carried], height, _solid(_UP_COLOUR))
    _hbars(ax, y[~carried], 0.5, values[~carried], height, _open(_DOWN_COLOUR))
    err = np.array([finite(e.get("auc_std")) or 0.0 for e in entries])
    ax.errorbar(values, y, xerr=err, fmt="none", ecolor="#111111", capsize=2, linewidth=0.9)
    ax.axvline(0.5, color="#333333", linewidth=0.8)
    ax.axvline(AUC_CARRIED, color="#111111", linestyle="--", linewidth=1.0)
    ax.set_xlim(0.4, 1.0)
    xlabel = both(lambda lang: f"AUC ({num(0.5, lang, 1)} = {t('chance', lang)})")
    handles = [
        _swatch(_solid(_UP_COLOUR), tt("carried", 40)),
        _swatch(_open(_DOWN_COLOUR), tt("not_carried", 40)),
    ]
    _layout(fig, ax, total, left, xlabel, _legend(fig, handles, 2))
    return fig


def clipped(value: Any) -> float:
    """A disparity as drawn: clipped like a bar, and NaN when missing, so that matplotlib draws nothing, not a 0."""
    f = finite(value)
    return np.nan if f is None else clip(f)


def _pair_heading(key: str) -> str:
    attribute, group, reference = key.split("\x1f")
    return both(
        lambda lang: t("h_gap_pair", lang, attribute=attribute_name(attribute, lang), group=group, reference=reference)
    )


def counterfactual_figure(entries: Sequence[Mapping[str, Any]], before: np.ndarray, after: np.ndarray) -> Figure:
    """Before (open) and after (filled) on the disparity charts' log axis and band, so a shift reads as a distance."""
    fig, ax = _figure()
    _log_axis(ax)
    items = [
        (
            "\x1f".join(str(e.get(k)) for k in ("attribute", "group", "reference")),
            indicator_both(str(e.get("indicator"))),
        )
        for e in entries
    ]
    rows = _headed(items, _pair_heading)
    y, total, left = _rows_axis(ax, rows, _row_height([label for _, label in items]))
    ax.hlines(y, before, after, color="#555555", linewidth=1.0)
    (b,) = ax.plot(before, y, "o", markerfacecolor="white", markeredgecolor=_LABELS_COLOUR, label=tt("before"))
    (a,) = ax.plot(after, y, "o", color=_LABELS_COLOUR, label=tt("after"))
    _layout(fig, ax, total, left, tt("disparity_axis"), _legend(fig, [_band_handle(), b, a], 3))
    return fig
