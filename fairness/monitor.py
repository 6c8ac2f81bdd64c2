"""The drift monitor: two snapshots in, a ``MonitorResult`` out, and a report a person can read and MLflow keeps.

A *snapshot* is an indicator table, a score file, or both joined on ``company_id`` (the training run's drift
reference holds both in one file). Every check runs on what the snapshots hold and the result names each check it
skipped and why, so a missing input never reads as "no drift".

The report files (``monitor.json``, ``monitor.html`` and optionally ``evidently.html``) are all written under
temporary names in ``out_dir`` first and renamed only when every one is complete, ``monitor.json`` last: a crash
leaves no half-written report, and an earlier report stays as it was. No row-level data is logged or written,
only aggregates and group names.

What ``monitor.html`` shows (its plots, and the page from ``templates/monitor.html.j2``) is ``fairness.monitor_page``;
the files are staged and renamed by ``core.io.atomic_files``.
"""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import settings as app_settings
from core import tracking
from core.io import atomic_files
from fairness.drift import (
    ACT,
    INDICATOR_COLUMNS,
    SHAP_PREFIX,
    WATCH,
    DriftSettings,
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
from fairness.monitor_page import plots, render_html
from fairness.monitor_result import MonitorResult
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
    with atomic_files(out_dir, names) as tmp:  # monitor.json last: it names the other files
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
