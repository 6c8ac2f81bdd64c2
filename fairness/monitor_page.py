"""The drift monitor's report page (``monitor.html``): its pictures, and a view model for ``monitor.html.j2``.

``fairness.monitor`` computes and writes; this module only turns a result into what a person reads, so the page can
change without touching the checks. It sees the result through the ``MonitorResult`` protocol because
``fairness.monitor`` imports this module, and an import back would be a cycle.

Everything the template shows is formatted here, as plain strings: numbers keep the precision the report has
always had, and the template decides only where each string goes. The template escapes text with the ``h``
filter (Python's ``html.escape``, which writes quotes as ``&quot;`` and ``&#x27;``) so the page stays byte for byte
what earlier versions wrote; autoescape stays on beneath it, so a value the template forgets is still escaped.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fairness.drift import ACT, CBPE_ASSUMPTION, DriftSettings, as_float
from fairness.monitor_result import MonitorResult

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "monitor.html.j2"


# --------------------------------------------------------------------------------------------------- plots

STATUS_COLOURS = {
    "act": "#c0392b",
    "watch": "#e6a700",
    "stable": "#2e8b57",
    "fair": "#2e8b57",
    "reference": "#4a78a8",
    "insufficient data": "#9e9e9e",
}


def _png(fig: Figure) -> str:
    """The figure as a base64 PNG, rendered with Agg so no display or global pyplot state is needed."""
    FigureCanvasAgg(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def psi_plot(indicators: pd.DataFrame, cfg: DriftSettings) -> str:
    """PSI per indicator, coloured by status, with the watch and act thresholds drawn in.

    Bars are cut at twice the act threshold and labelled with their value: one indicator that appeared from
    nothing (PSI near 20) would otherwise flatten every other bar to nothing.
    """
    table = indicators.sort_values("psi", na_position="first")
    cap = 2 * cfg.psi_act
    psi = table["psi"].fillna(0.0).to_numpy()
    fig = Figure(figsize=(7, 0.22 * len(table) + 1.3))
    ax = fig.subplots()
    colours = [STATUS_COLOURS.get(s, "#9e9e9e") for s in table["status"]]
    ax.barh(table["indicator"], np.minimum(psi, cap), color=colours)
    for y, value in enumerate(psi):
        if value > cap:
            ax.annotate(f"{value:.2f} →", (cap, y), ha="right", va="center", fontsize=7, color="white")
    ax.axvline(cfg.psi_watch, color=STATUS_COLOURS["watch"], linestyle="--", label=f"watch {cfg.psi_watch}")
    ax.axvline(cfg.psi_act, color=STATUS_COLOURS["act"], linestyle="--", label=f"act {cfg.psi_act}")
    ax.set(xlabel="PSI (reference deciles)", title="Indicator drift / Verschuiving per indicator", xlim=(0, cap))
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def score_plot(reference: np.ndarray, current: np.ndarray) -> str:
    """Density of the raw score then and now, on shared bins spanning the bulk of both."""
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    thin = np.concatenate([ref[:: max(1, len(ref) // 100_000)], cur[:: max(1, len(cur) // 100_000)]])
    lo, hi = (float(q) for q in np.quantile(thin, [0.001, 0.999])) if len(thin) else (0.0, 1.0)
    bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 60).tolist()
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    ax.hist(ref, bins=bins, density=True, histtype="step", linewidth=1.5, label=f"reference (n={len(ref):,})")
    ax.hist(cur, bins=bins, density=True, histtype="step", linewidth=1.5, label=f"current (n={len(cur):,})")
    ax.set(xlabel="raw score (log-odds)", ylabel="density", title="Score distribution / Scoreverdeling")
    ax.legend(fontsize=8)
    return _png(fig)


def explanation_plot(table: pd.DataFrame, top: int = 15) -> str:
    """Share of mean |SHAP| per indicator then and now, for the indicators that carry most of it."""
    sub = table.assign(peak=table[["share_ref", "share_cur"]].max(axis=1)).nlargest(top, "peak")[::-1]
    y = np.arange(len(sub))
    fig = Figure(figsize=(7, 0.3 * len(sub) + 1.3))
    ax = fig.subplots()
    ax.barh(y - 0.2, sub["share_ref"], height=0.4, label="reference")
    ax.barh(y + 0.2, sub["share_cur"], height=0.4, label="current")
    ax.set_yticks(y, sub["indicator"], fontsize=7)
    ax.set(xlabel="share of total mean |SHAP|", title="What the scores rest on / Waar de scores op steunen")
    ax.legend(fontsize=8)
    return _png(fig)


def composition_plot(table: pd.DataFrame, cfg: DriftSettings) -> str:
    """Selection-rate disparity of every group then and now against the fairness band, current coloured by status.

    Grey current markers are groups too small to judge: their position is shown but says little.
    """
    sub = table[table["status"] != "reference"].dropna(subset=["disparity_ref", "disparity_cur"], how="all")
    labels = (sub["attribute"] + "=" + sub["group"].astype(str)).to_list()
    y = np.arange(len(sub))
    fig = Figure(figsize=(7.5, 0.25 * len(sub) + 1.5))
    ax = fig.subplots()
    ax.axvspan(cfg.disparity_low, cfg.disparity_high, color="#2e8b57", alpha=0.12, label="fair band")
    ax.scatter(sub["disparity_ref"], y, marker="o", facecolors="none", edgecolors="#333333", label="reference")
    colours = [STATUS_COLOURS.get(s, "#9e9e9e") for s in sub["status"]]
    ax.scatter(sub["disparity_cur"], y, marker="D", c=colours, label="current (colour = status)", zorder=3)
    ax.set_yticks(y, labels, fontsize=6)
    ax.set(xlabel="selection-rate disparity vs reference group", title="Shortlist by group / Shortlist per groep")
    ax.legend(fontsize=8)
    return _png(fig)


def plots(result: MonitorResult, reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, str]:
    """Every picture the page shows, as base64 PNG, for the checks that ran."""
    cfg = DriftSettings(**{k: v for k, v in result.settings.items() if k in DriftSettings.__dataclass_fields__})
    out: dict[str, str] = {}
    if not result.indicators.empty:
        out["indicators"] = psi_plot(result.indicators, cfg)
    if result.score is not None:
        out["score"] = score_plot(as_float(reference["score"]), as_float(current["score"]))
    if result.explanations is not None:
        out["explanations"] = explanation_plot(result.explanations)
    if result.composition is not None and not result.composition.empty:
        out["composition"] = composition_plot(result.composition, cfg)
    return out


# --------------------------------------------------------------------------------------------------- view model

STATUS_TEXT = {
    "act": "act / ingrijpen",
    "watch": "watch / in de gaten houden",
    "stable": "stable / stabiel",
    "fair": "fair / eerlijk",
    "reference": "reference / referentie",
    "insufficient data": "insufficient data / te weinig gegevens",
}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, formatted, and its class (empty for a number, which the style sheet right-aligns)."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    """Column names and rows of cells; the template draws every table of the page the same way."""

    head: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class AlertLine:
    """One alert as the summary lists it: its level (the colour), the level in words, and the message."""

    level: str
    status: str
    message: str


@dataclass(frozen=True)
class Performance:
    """The label-free performance estimate: its figures, the change in precision, the verdict and its assumption."""

    table: Table
    change: str
    status: Cell
    assumption: str


@dataclass(frozen=True)
class Page:
    """Everything ``monitor.html.j2`` shows; ``None`` marks a check that was skipped."""

    meta: Table
    alert: bool
    acts: int
    alerts: list[AlertLine]
    skipped: list[tuple[str, str]]
    images: Mapping[str, str]
    indicators: Table | None
    score: Table | None
    explanations: Table | None
    composition: Table | None
    performance: Performance | None
    assumption: str  # shown in place of the estimate, so a skipped CBPE still says what it would have assumed
    settings: Table


def _finite(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and math.isfinite(float(value))


def _number(value: Any) -> str:
    return f"{float(value):.4g}" if _finite(value) else "–"


def status_cell(status: Any) -> Cell:
    """A verdict in both languages, coloured by the class its status names."""
    s = str(status)
    return Cell(STATUS_TEXT.get(s, s), f"text s-{s.replace(' ', '-')}")


def cell(value: Any) -> Cell:
    """Floats to four significant figures, integers with thousands separators, anything else as text."""
    if isinstance(value, float | np.floating):
        return Cell(_number(value))
    if isinstance(value, int | np.integer):
        return Cell(f"{int(value):,}")
    return Cell(str(value), "text")


def table(frame: pd.DataFrame) -> Table:
    """A plain table; any column named like ``status`` is coloured and spelled out in both languages."""
    rows = [
        [status_cell(v) if str(k).startswith("status") else cell(v) for k, v in record.items()]
        for record in frame.to_dict(orient="records")
    ]
    return Table([str(c) for c in frame.columns], rows)


def _meta(metadata: Mapping[str, Mapping[str, Any]]) -> Table:
    rows = [
        [Cell(side, "text"), Cell(", ".join(f"{k}={v}" for k, v in meta.items()), "text")]
        for side, meta in metadata.items()
    ]
    return Table(["snapshot", "metadata"], rows)


def _performance(performance: Mapping[str, Any]) -> Performance:
    figures = pd.DataFrame({"reference": performance["reference"], "current": performance["current"]})
    return Performance(
        table=table(figures.rename_axis("figure").reset_index()),
        change=_number(performance["relative_precision_change"]),
        status=status_cell(performance["status"]),
        assumption=str(performance["assumption"]),
    )


def page(result: MonitorResult, plots_: Mapping[str, str]) -> Page:
    """The view model of one report: every figure formatted, every skipped check ``None``."""
    settings = pd.DataFrame({"setting": list(result.settings), "value": [str(v) for v in result.settings.values()]})
    return Page(
        meta=_meta(result.metadata),
        alert=result.alert,
        acts=sum(a.level == ACT for a in result.alerts),
        alerts=[
            AlertLine(a.level, STATUS_TEXT[a.level], a.message)
            for a in sorted(result.alerts, key=lambda a: a.level != ACT)
        ],
        skipped=list(result.skipped.items()),
        images=plots_,
        indicators=table(result.indicators) if not result.indicators.empty else None,
        score=table(pd.DataFrame([result.score])) if result.score is not None else None,
        explanations=table(result.explanations) if result.explanations is not None else None,
        composition=table(result.composition) if result.composition is not None else None,
        performance=_performance(result.performance) if result.performance is not None else None,
        assumption=CBPE_ASSUMPTION,
        settings=table(settings),
    )


# --------------------------------------------------------------------------------------------------- HTML


def _escape(value: Any) -> Markup:
    """``html.escape``, not markupsafe's: the report has always spelled quotes ``&quot;`` and ``&#x27;``."""
    return Markup(html.escape(str(value)))


@functools.cache
def _template() -> jinja2.Template:
    """Compiled once per process; autoescape on, and strict, so a misspelt field fails instead of printing nothing."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["h"] = _escape
    return env.get_template(TEMPLATE)


def render_html(result: MonitorResult, plots_: Mapping[str, str]) -> str:
    """The self-contained report page: alerts first, then one section per check, plots embedded."""
    return _template().render(page=page(result, plots_))
