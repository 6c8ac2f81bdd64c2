"""The drift monitor: two snapshots in, a ``MonitorResult`` out, and a report a person can read and MLflow keeps.

A *snapshot* is an indicator table, a score file, or both joined on ``company_id`` (the training run's drift
reference holds both in one file). Every check runs on what the snapshots hold and the result names each check it
skipped and why, so a missing input never reads as "no drift".

The report files (``monitor.json``, ``monitor.html`` and optionally ``evidently.html``) are all written under
temporary names in ``out_dir`` first and renamed only when every one is complete, ``monitor.json`` last: a crash
leaves no half-written report, and an earlier report stays as it was. No row-level data is logged or written,
only aggregates and group names.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import logging
import math
import os
import string
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core import settings as app_settings
from core import tracking
from core.io import plain
from fairness.drift import (
    ACT,
    CBPE_ASSUMPTION,
    INDICATOR_COLUMNS,
    SHAP_PREFIX,
    WATCH,
    Alert,
    DriftSettings,
    as_float,
    composition_alerts,
    composition_drift,
    explanation_alerts,
    explanation_drift,
    indicator_alerts,
    indicator_drift,
    matched_k,
    performance_alerts,
    performance_estimate,
    score_alerts,
    score_drift,
    shap_columns,
    shortlist_of,
)
from fairness.evidently_report import write_evidently_report
from fairness.groups import gating_attributes
from features import partitioned
from features.catalogue import FEATURES
from features.pipeline import read_metadata

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
EXPERIMENT = "tegenkracht-monitoring"
JSON_NAME, HTML_NAME, EVIDENTLY_NAME = "monitor.json", "monitor.html", "evidently.html"
ARTIFACT_DIR = "monitor"
STEPS = 8  # progress steps of run_monitor, for tegenkracht.console.steps
REGION = "riec_region"


class MonitorInputError(ValueError):
    """Snapshots the monitor cannot compare: unreadable files, no common key, conflicting dates."""


@dataclass
class MonitorResult:
    """Every check's figures, the alerts they raised, what was skipped, and the settings used."""

    indicators: pd.DataFrame
    score: dict[str, Any] | None
    explanations: pd.DataFrame | None
    composition: pd.DataFrame | None
    performance: dict[str, Any] | None
    alerts: list[Alert]
    skipped: dict[str, str]
    settings: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None

    @property
    def alert(self) -> bool:
        """True when any *act* alert fired: the signal that someone must look before the scores are used."""
        return any(a.level == ACT for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types throughout; NaN and infinities become null."""
        return {
            "alert": self.alert,
            "alerts": [asdict(a) for a in self.alerts],
            "skipped": dict(self.skipped),
            "settings": plain(self.settings),
            "metadata": plain(self.metadata),
            "indicators": _records(self.indicators),
            "score": plain(self.score),
            "explanations": _records(self.explanations),
            "composition": _records(self.composition),
            "performance": plain(self.performance),
            "files": dict(self.files),
            "run_id": self.run_id,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The serialised result; ``allow_nan`` is off because JSON has no NaN."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    return None if frame is None else [plain(r) for r in frame.to_dict(orient="records")]


# --------------------------------------------------------------------------------------------------- loading


def load_snapshot(indicators: Path | None, scores: Path | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """One snapshot from an indicator table and/or a score file, joined on ``company_id``, with their metadata.

    A file that already holds both (the drift reference) can be given alone, in either position.
    """
    paths = [p for p in (indicators, scores) if p is not None]
    if not paths:
        raise MonitorInputError("a snapshot needs an indicator table, a score file, or both")
    frames, metas = zip(*(_read(p) for p in paths), strict=True)
    meta = _merge_metadata(list(metas), [str(p) for p in paths])
    frame = frames[0] if len(frames) == 1 else _join(frames[0], frames[1])
    return frame, meta


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    if not partitioned.exists(path):
        raise MonitorInputError(f"{path} does not exist")
    try:
        return pd.read_parquet(path), read_metadata(path)
    except (OSError, ValueError) as exc:
        raise MonitorInputError(f"{path} is not a readable parquet file: {exc}") from exc


def _merge_metadata(metas: list[dict[str, str]], names: list[str]) -> dict[str, str]:
    """Both files must describe the same day; otherwise the join would mix two registers."""
    if len(metas) == 2:
        a, b = metas[0].get("as_of"), metas[1].get("as_of")
        if a and b and a != b:
            raise MonitorInputError(f"{names[0]} is as of {a} but {names[1]} is as of {b}")
    merged: dict[str, str] = {}
    for m in metas:
        merged.update(m)
    return merged


def _join(indicators: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Columns side by side when the rows already line up (``score`` keeps the order), else an inner merge."""
    if "company_id" not in indicators.columns or "company_id" not in scores.columns:
        raise MonitorInputError("both files need a company_id column to be joined")
    extra = scores[[c for c in scores.columns if c == "company_id" or c not in indicators.columns]]
    if len(indicators) == len(extra) and indicators["company_id"].equals(extra["company_id"]):
        return pd.concat([indicators, extra.drop(columns="company_id")], axis=1)
    try:
        joined = indicators.merge(extra, on="company_id", how="inner", validate="one_to_one")
    except pd.errors.MergeError as exc:
        raise MonitorInputError(f"company_id is not unique: {exc}") from exc
    if joined.empty:
        raise MonitorInputError("the indicator table and the score file share no company")
    lost = len(indicators) + len(scores) - 2 * len(joined)
    if lost:
        log.warning("%d rows of the indicator table or the score file had no match and were left out", lost)
    return joined


# --------------------------------------------------------------------------------------------------- checks


def run_monitor(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    groups_reference: pd.DataFrame | None = None,
    groups_current: pd.DataFrame | None = None,
    top_k: int = 100,
    out_dir: Path,
    evidently: bool = True,
    sample_rows: int = 5000,
    log_to_mlflow: bool = True,
    settings: DriftSettings | None = None,
    reference_meta: Mapping[str, str] | None = None,
    current_meta: Mapping[str, str] | None = None,
    run_name: str | None = None,
    progress: Progress | None = None,
) -> MonitorResult:
    """Compare ``current`` with ``reference``, write the report into ``out_dir`` and (optionally) log to MLflow.

    ``groups_*`` come from ``fairness.groups.company_groups`` for the same companies; ``top_k`` is the shortlist
    capacity per RIEC region now (see ``compare``). ``progress`` is called with the name of each of ``STEPS``
    steps, as ``tegenkracht.console.steps`` expects.
    """
    step = progress or (lambda _name: None)
    result = compare(
        reference,
        current,
        groups=(groups_reference, groups_current),
        top_k=top_k,
        settings=settings or DriftSettings(),
        progress=step,
    )
    return report_and_log(
        result,
        reference,
        current,
        out_dir=out_dir,
        evidently=evidently,
        sample_rows=sample_rows,
        log_to_mlflow=log_to_mlflow,
        metadata=(reference_meta or {}, current_meta or {}),
        run_name=run_name,
        progress=step,
    )


def report_and_log(
    result: MonitorResult,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    out_dir: Path,
    evidently: bool,
    sample_rows: int,
    log_to_mlflow: bool,
    metadata: tuple[Mapping[str, str], Mapping[str, str]],
    run_name: str | None,
    progress: Progress,
) -> MonitorResult:
    """Write the report and log the run; ``current`` may be a sample (the Dask path), its row count is kept."""
    result.settings["sample_rows"] = sample_rows
    result.metadata["reference"].update({**metadata[0], "rows": len(reference)})
    result.metadata["current"].update({**metadata[1], "rows": result.metadata["current"]["rows"]})
    progress("report")
    if not evidently:
        result.skipped["evidently"] = "not asked for (evidently=False)"
    write_report(result, reference, current, out_dir, evidently=evidently, sample_rows=sample_rows)
    progress("mlflow")
    if log_to_mlflow:
        result.run_id = log_run(result, out_dir, run_name or _run_name(result))
    acts = sum(a.level == ACT for a in result.alerts)
    log.info("drift monitor: %d alerts (%d act); report in %s", len(result.alerts), acts, out_dir)
    return result


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    groups: tuple[pd.DataFrame | None, pd.DataFrame | None] = (None, None),
    top_k: int = 100,
    settings: DriftSettings,
    progress: Progress,
) -> MonitorResult:
    """Every check on what the snapshots hold, without writing anything.

    The reference shortlist is scaled to select the same share of companies as the top ``top_k`` per region of
    the current snapshot (``drift.matched_k``), because the training run's drift reference is a sample.
    """
    skipped: dict[str, str] = {}
    k_ref = matched_k(top_k, len(reference), len(current))
    progress("indicators")
    indicators = _indicator_check(reference, current, settings, skipped)
    progress("score")
    score = _score_check(reference, current, settings, skipped)
    progress("explanations")
    explanations = _explanation_check(reference, current, settings, skipped)
    progress("shortlists")
    reference, current = _with_region(reference, groups[0]), _with_region(current, groups[1])
    selected = _shortlists(reference, current, (k_ref, top_k))
    progress("composition")
    composition = _composition_check(reference, current, groups, selected, settings, skipped)
    progress("performance")
    performance = _performance_check(reference, current, selected, settings, skipped)
    return assemble(
        Checks(indicators, score, explanations, composition, performance),
        skipped,
        settings,
        (top_k, k_ref),
        (len(reference), len(current)),
    )


@dataclass
class Checks:
    """Each check's figures, ``None`` where it was skipped."""

    indicators: pd.DataFrame
    score: dict[str, Any] | None
    explanations: pd.DataFrame | None
    composition: pd.DataFrame | None
    performance: dict[str, Any] | None


def assemble(
    checks: Checks,
    skipped: dict[str, str],
    settings: DriftSettings,
    ks: tuple[int, int],
    rows: tuple[int, int],
) -> MonitorResult:
    """The alerts and the result from the checks' figures; shared with the Dask path."""
    alerts = [
        *indicator_alerts(checks.indicators),
        *score_alerts(checks.score),
        *composition_alerts(checks.composition, settings),
        *explanation_alerts(checks.explanations, settings),
        *performance_alerts(checks.performance, settings),
    ]
    return MonitorResult(
        indicators=checks.indicators,
        score=checks.score,
        explanations=checks.explanations,
        composition=checks.composition,
        performance=checks.performance,
        alerts=alerts,
        skipped=skipped,
        settings={**settings.as_dict(), "top_k": ks[0], "top_k_reference": ks[1]},
        metadata={"reference": {"rows": rows[0]}, "current": {"rows": rows[1]}},
    )


def _indicator_check(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftSettings, skipped: dict[str, str]
) -> pd.DataFrame:
    columns = [c for c in FEATURES if c in reference.columns and c in current.columns]
    if not columns:
        skipped["indicators"] = (
            f"no catalogued indicator column in both snapshots (reference has "
            f"{sum(c in reference.columns for c in FEATURES)}, current {sum(c in current.columns for c in FEATURES)})"
        )
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
    note_absent(columns, skipped)
    return indicator_drift(reference, current, columns, cfg)


def note_absent(columns: Sequence[str], skipped: dict[str, str]) -> None:
    """Name the catalogued indicators that are not in both snapshots (shared with the Dask path)."""
    absent = [c for c in FEATURES if c not in columns]
    if absent:
        skipped["some indicators"] = (
            f"{len(absent)} catalogued indicators are not in both snapshots: {', '.join(absent)}"
        )


def _score_check(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftSettings, skipped: dict[str, str]
) -> dict[str, Any] | None:
    lacking = _lacking(reference, current, ("score",))
    if lacking:
        skipped["score"] = lacking
        return None
    return score_drift(reference, current, cfg)


def _explanation_check(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftSettings, skipped: dict[str, str]
) -> pd.DataFrame | None:
    ref, cur = shap_columns(reference), shap_columns(current)
    common = [i for i in ref if i in set(cur)]
    if not common:
        where = [name for name, cols in (("reference", ref), ("current snapshot", cur)) if not cols]
        skipped["explanations"] = (
            f"no {SHAP_PREFIX}* columns in the {' or the '.join(where)}"
            if where
            else "the two snapshots' SHAP columns share no indicator"
        )
        return None
    return explanation_drift(reference, current, common, cfg)


Selection = tuple[np.ndarray, np.ndarray] | str


def _shortlists(reference: pd.DataFrame, current: pd.DataFrame, ks: tuple[int, int]) -> Selection:
    """Both top-k-per-region masks, computed once for composition and performance; or why there are none."""
    lacking = _lacking(reference, current, ("score", REGION))
    if lacking:
        return f"{lacking}, so there is no per-region shortlist (give the indicator table or the group frame)"
    return shortlist_of(reference, ks[0]), shortlist_of(current, ks[1])


def _composition_check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    groups: tuple[pd.DataFrame | None, pd.DataFrame | None],
    selected: Selection,
    cfg: DriftSettings,
    skipped: dict[str, str],
) -> pd.DataFrame | None:
    groups_reference, groups_current = groups
    if groups_reference is None or groups_current is None:
        skipped["composition"] = "no group membership given for both snapshots (fairness.groups.company_groups)"
        return None
    lacking = _lacking(reference, current, ("company_id",))
    if lacking or isinstance(selected, str):
        skipped["composition"] = f"{lacking}; groups are joined on company_id" if lacking else str(selected)
        return None

    attributes = [a for a in gating_attributes() if a in groups_reference.columns and a in groups_current.columns]
    if not attributes:
        skipped["composition"] = "the group frames hold none of the gating attributes"
        return None
    ref = _group_columns(reference, groups_reference, attributes)
    cur = _group_columns(current, groups_current, attributes)
    return composition_drift(ref, cur, attributes, selected, cfg)


def _performance_check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    selected: Selection,
    cfg: DriftSettings,
    skipped: dict[str, str],
) -> dict[str, Any] | None:
    lacking = _lacking(reference, current, ("probability",))
    if lacking or isinstance(selected, str):
        skipped["performance"] = lacking or str(selected)
        return None
    return performance_estimate(reference, current, selected, cfg)


def _lacking(reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str]) -> str:
    """Empty when both snapshots hold every column, else a sentence naming what is missing where."""
    parts = [
        f"the {name} has no {', '.join(missing)}"
        for name, frame in (("reference", reference), ("current snapshot", current))
        if (missing := [c for c in columns if c not in frame.columns])
    ]
    return "; ".join(parts)


def _group_columns(frame: pd.DataFrame, groups: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    """The group of every snapshot row, row for row; a company missing from ``groups`` is 'unknown'.

    ``company_groups`` returns the companies in the order it was given them, so the usual case needs no join.
    """
    if len(groups) == len(frame) and groups["company_id"].reset_index(drop=True).equals(
        frame["company_id"].reset_index(drop=True)
    ):
        out = groups[attributes].reset_index(drop=True)
    else:
        try:
            out = frame[["company_id"]].merge(
                groups[["company_id", *attributes]], on="company_id", how="left", validate="many_to_one"
            )[attributes]
        except pd.errors.MergeError as exc:
            raise MonitorInputError(f"the group frame lists a company more than once: {exc}") from exc
    return out.fillna(dict.fromkeys(attributes, "unknown")) if out[attributes].isna().any().any() else out


def _with_region(frame: pd.DataFrame, groups: pd.DataFrame | None) -> pd.DataFrame:
    """The snapshot, with its RIEC region taken from the group frame when the snapshot (a score file) has none."""
    if REGION in frame.columns or groups is None or REGION not in groups.columns or "company_id" not in frame:
        return frame
    try:
        region = frame[["company_id"]].merge(
            groups[["company_id", REGION]], on="company_id", how="left", validate="many_to_one"
        )
    except pd.errors.MergeError as exc:
        raise MonitorInputError(f"the group frame lists a company more than once: {exc}") from exc
    return frame.assign(**{REGION: region[REGION].fillna("unknown").to_numpy()})


def _run_name(result: MonitorResult) -> str:
    ref, cur = result.metadata["reference"], result.metadata["current"]
    return f"monitor {cur.get('as_of', 'current')} vs {ref.get('as_of', 'reference')}"


# --------------------------------------------------------------------------------------------------- writing


def write_report(
    result: MonitorResult,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    out_dir: Path,
    *,
    evidently: bool,
    sample_rows: int,
) -> None:
    """Write every file under a temporary name, then rename them all, ``monitor.json`` last.

    Evidently runs first so that a refusal of its own (it rejects, for instance, a column that is empty on one
    side) is named in the report as a skipped check rather than losing the monitor's figures.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [*([EVIDENTLY_NAME] if evidently else []), HTML_NAME, JSON_NAME]
    with _staged(out_dir, names) as tmp:
        if evidently and not _evidently(result, reference, current, tmp[EVIDENTLY_NAME], sample_rows):
            names.remove(EVIDENTLY_NAME)
        result.files = {n: str(out_dir / n) for n in names}
        tmp[HTML_NAME].write_text(render_html(result, plots(result, reference, current)), encoding="utf-8")
        tmp[JSON_NAME].write_text(result.to_json(indent=1), encoding="utf-8")


def _evidently(
    result: MonitorResult, reference: pd.DataFrame, current: pd.DataFrame, out: Path, sample_rows: int
) -> bool:
    """Evidently's report at ``out``; False, with the reason in ``result.skipped``, when Evidently refuses the data."""
    try:
        write_evidently_report(reference, current, out, indicators=FEATURES, sample_rows=sample_rows)
    except ValueError as exc:  # Evidently's own data checks; anything else is a real failure and propagates
        log.warning("Evidently report not written: %s", exc)
        result.skipped["evidently"] = f"Evidently refused the data: {exc}"
        return False
    return True


@contextlib.contextmanager
def _staged(out_dir: Path, names: list[str]) -> Iterator[dict[str, Path]]:
    """Temporary paths in ``out_dir``; when the block succeeds, those still in ``names`` are renamed, in order.

    The temporary files are removed whatever happens, so a failure leaves ``out_dir`` as it was.
    """
    tag = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp = {n: out_dir / f".{n}.{tag}.tmp" for n in names}
    try:
        yield tmp
        for n in names:
            os.replace(tmp[n], out_dir / n)
    finally:
        for path in tmp.values():
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------- MLflow


def sanitise_metric_name(name: str) -> str:
    """A name MLflow accepts: ASCII letters, digits, ``_ - .`` only, no empty or ``..`` path parts.

    MLflow rejects ``(``, ``=`` and more, and treats names as paths; group names such as ``<30`` or ``60+`` and
    intersections like ``migration_background+gender`` must still give distinct, readable names.
    """
    words = {"<": "lt", ">": "gt", "=": "eq"}
    allowed = set(string.ascii_letters + string.digits + "_-.")
    out = "".join(words.get(ch, ch if ch in allowed else "_") for ch in name)
    while ".." in out:
        out = out.replace("..", ".")
    return out.strip(".") or "_"


def metrics(result: MonitorResult) -> dict[str, float]:
    """Every figure worth a time series in MLflow, named ``monitor.<check>.<subject>``; non-finite ones left out."""
    raw: dict[str, Any] = {
        "monitor.alerts.act": sum(a.level == ACT for a in result.alerts),
        "monitor.alerts.watch": sum(a.level == WATCH for a in result.alerts),
    }
    for r in result.indicators.to_dict(orient="records"):
        for key in ("psi", "ks", "missing_change"):
            raw[f"monitor.{key}.{r['indicator']}"] = r[key]
    for key, value in (result.score or {}).items():
        if key != "status":
            raw[f"monitor.score.{key}"] = value
    if result.explanations is not None:
        for r in result.explanations.to_dict(orient="records"):
            raw[f"monitor.shap_share_change.{r['indicator']}"] = r["share_change"]
    if result.composition is not None:
        for r in result.composition.to_dict(orient="records"):
            raw[f"monitor.disparity.{r['attribute']}.{r['group']}"] = r["disparity_cur"]
    if result.performance is not None:
        for side in ("reference", "current"):
            for key, value in result.performance[side].items():
                raw[f"monitor.performance.{side}.{key}"] = value
        raw["monitor.performance.relative_precision_change"] = result.performance["relative_precision_change"]
    return {sanitise_metric_name(k): float(v) for k, v in raw.items() if _finite(v)}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and math.isfinite(float(value))


def params(result: MonitorResult) -> dict[str, str]:
    """Settings and what was compared (dates, model versions, row counts), as MLflow params."""
    out = {f"settings.{k}": str(v) for k, v in result.settings.items()}
    for side in ("reference", "current"):
        for key, value in result.metadata[side].items():
            out[f"{side}.{key}"] = str(value)[:500]
    out.update({f"skipped.{k}": v[:500] for k, v in result.skipped.items()})
    return {sanitise_metric_name(k): v for k, v in out.items()}


def log_run(result: MonitorResult, out_dir: Path, run_name: str) -> str:
    """One run in ``tegenkracht-monitoring`` with the report files, metrics, params and an ``alert`` tag."""
    import mlflow

    log.info("logging the drift monitor to %s", app_settings.MLFLOW_TRACKING_URI)
    with tracking.start_run(EXPERIMENT, run_name) as run:
        mlflow.log_params(params(result))
        mlflow.log_metrics(metrics(result))
        mlflow.set_tags({"monitor.alert": str(result.alert).lower(), "monitor.alerts": str(len(result.alerts))})
        for name in result.files:
            mlflow.log_artifact(str(out_dir / name), artifact_path=ARTIFACT_DIR)
        return str(run.info.run_id)


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


# --------------------------------------------------------------------------------------------------- HTML

STATUS_TEXT = {
    "act": "act / ingrijpen",
    "watch": "watch / in de gaten houden",
    "stable": "stable / stabiel",
    "fair": "fair / eerlijk",
    "reference": "reference / referentie",
    "insufficient data": "insufficient data / te weinig gegevens",
}
CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f0f0f0}
td.text{text-align:left}
.s-act{background:#f8d7da;color:#721c24;font-weight:bold}
.s-watch{background:#fff3cd;color:#856404}
.s-stable,.s-fair{background:#d4edda;color:#155724}
.s-reference{background:#d6e4f0;color:#1b3a57}
.s-insufficient-data{background:#e2e3e5;color:#383d41}
.verdict{padding:.8em;border-radius:4px;font-size:1.1em}
.note{color:#555;font-size:.9em}
img{max-width:100%}
"""
PSI_TEXT = (
    "<p class='note'><b>PSI</b> (population stability index) compares each indicator's distribution over the "
    "reference deciles (missing values are a bin of their own): below 0.1 stable, 0.1–0.25 watch, 0.25 and above "
    "act. KS is the largest gap between the two cumulative distributions. Evidently's own PSI bins differently "
    "and is not comparable.<br><i>PSI vergelijkt de verdeling van elke indicator over de decielen van de "
    "referentie (ontbrekende waarden vormen een eigen klasse): onder 0,1 stabiel, 0,1–0,25 in de gaten houden, "
    "vanaf 0,25 ingrijpen.</i></p>"
)
COMPOSITION_TEXT = (
    "<p class='note'>The shortlist is the top k companies per RIEC region. A group's <b>disparity</b> is its "
    "selection rate divided by that of the reference group (the largest in the reference snapshot); within "
    "0.8–1.25 counts as fair. A group is judged only with at least the minimum size and enough expected or observed "
    "selections; the figures are point estimates, so a small shortlist moves them by chance.<br><i>De shortlist is "
    "de top k bedrijven per RIEC-regio. De <b>dispariteit</b> van een groep is haar selectiekans gedeeld door die "
    "van de referentiegroep; tussen 0,8 en 1,25 geldt als eerlijk.</i></p>"
)
CBPE_TEXT_NL = (
    "De schatting neemt aan dat het model op de huidige gegevens gekalibreerd blijft: de relatie tussen "
    "indicatoren en uitkomst is niet veranderd (geen concept drift), alleen de populatie verschoof."
)


def _status_cell(status: Any) -> str:
    s = str(status)
    return f"<td class='text s-{s.replace(' ', '-')}'>{html.escape(STATUS_TEXT.get(s, s))}</td>"


def _number(value: Any) -> str:
    return f"{float(value):.4g}" if _finite(value) else "–"


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"<td>{_number(value)}</td>"
    if isinstance(value, int | np.integer):
        return f"<td>{int(value):,}</td>"
    return f"<td class='text'>{html.escape(str(value))}</td>"


def html_table(frame: pd.DataFrame) -> str:
    """A plain table; any column named like ``status`` is coloured and spelled out in both languages."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict(orient="records"):
        cells = [_status_cell(v) if str(k).startswith("status") else _cell(v) for k, v in record.items()]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _img(plots_: Mapping[str, str], key: str) -> str:
    return f"<img alt='{key}' src='data:image/png;base64,{plots_[key]}'>" if key in plots_ else ""


def _summary(result: MonitorResult) -> str:
    acts = sum(a.level == ACT for a in result.alerts)
    if result.alert:
        verdict = (
            f"<div class='verdict s-act'>ACT / INGRIJPEN: {acts} alert(s) need a person before the scores are used."
            "</div>"
        )
    else:
        verdict = "<div class='verdict s-stable'>No act alerts / Geen signalen om in te grijpen.</div>"
    items = "".join(
        f"<li class='s-{a.level}'>{html.escape(STATUS_TEXT[a.level])} — {html.escape(a.message)}</li>"
        for a in sorted(result.alerts, key=lambda a: a.level != ACT)
    )
    skipped = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in result.skipped.items())
    return (
        f"<h2>Summary / Samenvatting</h2>{verdict}<ul>{items or '<li>no alerts / geen signalen</li>'}</ul>"
        f"<h3>Skipped checks / Overgeslagen controles</h3><ul>{skipped or '<li>none / geen</li>'}</ul>"
    )


def _meta(result: MonitorResult) -> str:
    rows = "".join(
        f"<tr><td class='text'>{html.escape(side)}</td><td class='text'>"
        f"{html.escape(', '.join(f'{k}={v}' for k, v in meta.items()))}</td></tr>"
        for side, meta in result.metadata.items()
    )
    return f"<table><tr><th>snapshot</th><th>metadata</th></tr>{rows}</table>"


def _performance_section(performance: Mapping[str, Any]) -> str:
    table = pd.DataFrame({"reference": performance["reference"], "current": performance["current"]})
    change = performance["relative_precision_change"]
    return (
        html_table(table.rename_axis("figure").reset_index())
        + "<p>relative change of expected precision / relatieve verandering van de verwachte precisie: "
        + f"{_number(change)}</p><table><tr>{_status_cell(performance['status'])}</tr></table>"
        + f"<p class='note'><b>Assumption.</b> {html.escape(str(performance['assumption']))}<br>"
        + f"<i>Aanname. {html.escape(CBPE_TEXT_NL)}</i></p>"
    )


def render_html(result: MonitorResult, plots_: Mapping[str, str]) -> str:
    """The self-contained report page: alerts first, then one section per check, plots embedded."""
    parts = [
        "<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'>",
        f"<title>Tegenkracht drift monitor</title><style>{CSS}</style></head><body>",
        "<h1>Drift monitor / Driftmonitor</h1>",
        _meta(result),
        _summary(result),
        "<h2>Indicators / Indicatoren</h2>",
        PSI_TEXT,
        _img(plots_, "indicators"),
        html_table(result.indicators) if not result.indicators.empty else "<p>skipped / overgeslagen</p>",
        "<h2>Score drift / Verschuiving van de score</h2>",
    ]
    if result.score is not None:
        parts += [_img(plots_, "score"), html_table(pd.DataFrame([result.score]))]
    else:
        parts.append("<p>skipped / overgeslagen</p>")
    parts.append("<h2>Explanation drift / Verschuiving in de uitleg</h2>")
    if result.explanations is not None:
        parts += [_img(plots_, "explanations"), html_table(result.explanations)]
    else:
        parts.append("<p>skipped / overgeslagen</p>")
    parts.append("<h2>Shortlist composition by group / Samenstelling van de shortlist per groep</h2>")
    if result.composition is not None:
        parts += [COMPOSITION_TEXT, _img(plots_, "composition"), html_table(result.composition)]
    else:
        parts.append("<p>skipped / overgeslagen</p>")
    parts.append("<h2>Estimated performance without labels / Geschatte prestaties zonder labels (CBPE)</h2>")
    parts.append(
        _performance_section(result.performance)
        if result.performance is not None
        else f"<p>skipped / overgeslagen</p><p class='note'>{html.escape(CBPE_ASSUMPTION)}</p>"
    )
    settings = pd.DataFrame({"setting": list(result.settings), "value": [str(v) for v in result.settings.values()]})
    parts += ["<h2>Settings / Instellingen</h2>", html_table(settings), "</body></html>"]
    return "".join(parts)
