"""The oversight verbs of the CLI: ``audit`` (bias audit of a batch of scores) and ``monitor`` (drift).

Both are thin: parse and check options, call one function in ``fairness/``, print a summary, exit 1 when the audit
fails or a monitor alert fires (so a scheduler can act on it), 2 on bad input. The MLproject entry points call
these verbs.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core import settings
from tegenkracht.cluster import SchedulerOption
from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, emit, setup_logging, stderr, steps

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


SAMPLE_ROWS = 5000  # rows of the current snapshot behind the report's pictures and Evidently's page


def _errors(*extra: type[Exception]) -> tuple[type[Exception], ...]:
    """Bad input, never a bug: the verb's own refusals plus a missing or unreadable file or an MLflow refusal."""
    import pyarrow as pa
    from mlflow.exceptions import MlflowException

    return (*extra, FileNotFoundError, OSError, pa.ArrowException, MlflowException)


def _fail(message: object) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {message}")
    return typer.Exit(EXIT_BAD_INPUT)


def audit(
    scores: Annotated[Path, typer.Option(help="Scores file (Parquet) from `tegenkracht score`.")],
    data: Annotated[Path, typer.Option(help="Records folder with sensitive/ (the only reader is this audit).")],
    top_k: Annotated[int | None, typer.Option(min=1, help="Shortlist: the top K per RIEC region (default).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Shortlist: every raw score at or above T instead.")] = None,
    features: Annotated[
        Path | None, typer.Option(help="Indicator table of the same snapshot: enables the proxy checks.")
    ] = None,
    horizon_months: Annotated[int, typer.Option(min=1, max=120, help="Months after as-of for labels.")] = 24,
    out: Annotated[Path | None, typer.Option(help="Report folder (default var/fairness/<scores stem>).")] = None,
    log_mlflow: Annotated[bool, typer.Option(help="Also log the report as a run in tegenkracht-fairness.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Audit who lands on the shortlist, per sensitive group, against labels and (synthetic data) ground truth.

    Writes fairness_nl.html, fairness_en.html and the JSON audits. Exit 1 when a headline disparity (selection
    rate, FDR, FPR, false positives per group size) lies outside 0.8-1.25 with its confidence interval clear of
    the bound (after Holm's correction), or when the investigations behind the labels single out a group.
    """
    setup_logging()
    payload = run_audit(scores, data, top_k, threshold, features, horizon_months, out, log_mlflow)
    emit(payload, as_json, "fairness audit")
    if not (payload["passed"] and payload["labels_passed"]):
        raise typer.Exit(EXIT_PROBLEMS)


def run_audit(
    scores: Path,
    data: Path,
    top_k: int | None,
    threshold: float | None,
    features: Path | None,
    horizon_months: int,
    out: Path | None,
    log_mlflow: bool,
) -> dict[str, Any]:
    """Shared by ``audit`` and ``demo``."""
    from fairness.audit import AuditError
    from fairness.groups import GroupDataError
    from fairness.run import Decision, FairnessInputError, audit_scores_file, log_report
    from training.labels import audit_labels
    from training.registry import version_scorer

    if top_k is not None and threshold is not None:
        raise _fail("give --top-k or --threshold, not both")
    decision = (
        Decision(top_k=None, threshold=threshold)
        if threshold is not None
        else Decision(top_k or settings.FAIRNESS_TOP_K)
    )
    folder = out or settings.VAR_DIR / "fairness" / scores.stem
    try:
        with steps(4, "fairness audit") as step:
            report = audit_scores_file(
                scores,
                data,
                decision,
                labels=audit_labels(data, horizon_months),
                scorer_for=version_scorer,
                features=features,
                progress=step,
            )
        files = report.write(folder)
        run_id = log_report(report, f"audit {scores.stem}") if log_mlflow else None
    except _errors(AuditError, GroupDataError, FairnessInputError) as exc:
        raise _fail(exc) from exc
    return {
        "passed": report.passed,
        "labels_passed": report.labels_passed,
        "summary": report.summary(),
        "decision": report.observed.settings["decision"],
        "selected": report.observed.settings["selected"],
        "labelled": report.observed.settings["labelled"],
        "failures": [f.sentence() for f in report.observed.failures],
        "truth_failures": [f.sentence() for f in report.truth.failures] if report.truth is not None else None,
        "reports": {k: str(v) for k, v in files.items()},
        "mlflow_run": run_id,
    }


def monitor(
    reference: Annotated[
        str,
        typer.Option(help="Baseline: a Parquet file, or a model (champion, challenger, N) for its training reference."),
    ],
    current: Annotated[Path, typer.Option(help="Current snapshot: indicator table and/or scores file (Parquet).")],
    current_scores: Annotated[
        Path | None, typer.Option(help="Scores of the current snapshot, joined to --current on company_id.")
    ] = None,
    reference_scores: Annotated[Path | None, typer.Option(help="Scores of the reference, when it is a file.")] = None,
    data: Annotated[
        Path | None, typer.Option(help="Records with sensitive/: adds shortlist composition by group.")
    ] = None,
    top_k: Annotated[int, typer.Option(min=1, help="Shortlist size per RIEC region.")] = settings.FAIRNESS_TOP_K,
    out: Annotated[Path | None, typer.Option(help="Report folder (default var/monitoring/<current stem>).")] = None,
    evidently: Annotated[bool, typer.Option(help="Also write Evidently's data-drift HTML (on a sample).")] = True,
    log_mlflow: Annotated[
        bool, typer.Option(help="Log reports and metrics as a run in tegenkracht-monitoring.")
    ] = True,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare production with the training reference, and exit 1 when an alert at level "act" fires.

    Indicator, score and explanation drift, the shortlist's make-up by group, and a label-free performance
    estimate. With --scheduler the current snapshot (--current indicators and --current-scores, files or folders
    of part files) is reduced partition by partition on Dask (docs/scaling.md).
    """
    setup_logging()
    payload = run_monitor_verb(
        reference, current, current_scores, reference_scores, data, top_k, out, evidently, log_mlflow, scheduler
    )
    emit({k: v for k, v in payload.items() if k != "alerts"} | {"alerts": len(payload["alerts"])}, as_json, "monitor")
    for a in payload["alerts"]:
        stderr.print(f"[yellow]{a['level']}[/yellow] {a['message']}")
    if payload["alert"]:
        raise typer.Exit(EXIT_PROBLEMS)


def run_monitor_verb(
    reference: str,
    current: Path,
    current_scores: Path | None,
    reference_scores: Path | None,
    data: Path | None,
    top_k: int,
    out: Path | None,
    evidently: bool,
    log_mlflow: bool,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Shared by ``monitor`` and ``demo``."""
    import pandas as pd

    from fairness.groups import GroupDataError, company_groups
    from fairness.monitor import STEPS, MonitorInputError, load_snapshot, run_monitor
    from tegenkracht.cluster import SchedulerError

    if scheduler:
        try:
            ref_frame, ref_meta = _reference(reference, reference_scores)
            result = _monitor_dask(
                ref_frame, ref_meta, current, current_scores, data, top_k, out, evidently, log_mlflow, scheduler
            )
        except _errors(GroupDataError, MonitorInputError, BaselineError, KeyError, SchedulerError) as exc:
            raise _fail(exc) from exc
        return _monitor_payload(result, out or settings.VAR_DIR / "monitoring" / current.stem)
    try:
        ref_frame, ref_meta = _reference(reference, reference_scores)
        cur_frame, cur_meta = load_snapshot(_indicator_part(current), current_scores or _score_part(current))
        groups_ref = groups_cur = None
        if data is not None and "company_id" in ref_frame and "company_id" in cur_frame:
            groups_ref = company_groups(data, ref_frame["company_id"], pd.Timestamp(ref_meta["as_of"]))
            groups_cur = company_groups(data, cur_frame["company_id"], pd.Timestamp(cur_meta["as_of"]))
        folder = out or settings.VAR_DIR / "monitoring" / current.stem
        with steps(STEPS, "monitor") as step:
            result = run_monitor(
                ref_frame,
                cur_frame,
                groups_reference=groups_ref,
                groups_current=groups_cur,
                top_k=top_k,
                out_dir=folder,
                evidently=evidently,
                log_to_mlflow=log_mlflow,
                reference_meta=ref_meta,
                current_meta=cur_meta,
                progress=step,
            )
    except _errors(GroupDataError, MonitorInputError, BaselineError, KeyError) as exc:
        raise _fail(exc) from exc
    return _monitor_payload(result, folder)


def _monitor_dask(
    ref_frame: Any,
    ref_meta: dict[str, str],
    current: Path,
    current_scores: Path | None,
    data: Path | None,
    top_k: int,
    out: Path | None,
    evidently: bool,
    log_mlflow: bool,
    scheduler: str,
) -> Any:
    """The monitor with the current snapshot reduced on Dask; the reference side as on one machine."""
    import pandas as pd

    from fairness.distributed_monitor import compare_dask
    from fairness.drift import DriftSettings
    from fairness.groups import company_groups
    from fairness.monitor import STEPS, MonitorInputError, _with_region, report_and_log
    from features.pipeline import read_metadata
    from tegenkracht.cluster import connect

    if current_scores is None or _indicator_part(current) is None:
        raise MonitorInputError(
            "with --scheduler, give the indicator table as --current and the scores as --current-scores"
        )
    groups_ref = None
    if data is not None and "company_id" in ref_frame:
        groups_ref = company_groups(data, ref_frame["company_id"], pd.Timestamp(ref_meta["as_of"]))
    ref_frame = _with_region(ref_frame, groups_ref)
    cur_meta = {**read_metadata(current_scores), **read_metadata(current)}
    current, current_scores = current.resolve(), current_scores.resolve()  # workers may start elsewhere
    data = data.resolve() if data is not None else None
    folder = out or settings.VAR_DIR / "monitoring" / current.stem
    with steps(STEPS, "monitor (dask)") as step:
        with connect(scheduler) as client:
            result, sample = compare_dask(
                client,
                ref_frame,
                current,
                current_scores,
                groups_reference=groups_ref,
                data=data,
                top_k=top_k,
                settings=DriftSettings(),
                sample_rows=SAMPLE_ROWS,
                progress=step,
            )
        return report_and_log(
            result,
            ref_frame,
            sample,
            out_dir=folder,
            evidently=evidently,
            sample_rows=SAMPLE_ROWS,
            log_to_mlflow=log_mlflow,
            metadata=(ref_meta, cur_meta),
            run_name=None,
            progress=step,
        )


def _monitor_payload(result: Any, folder: Path) -> dict[str, Any]:
    return {
        "alert": result.alert,
        "alerts": result.alerts,
        "indicators_act": int((result.indicators["status"] == "act").sum()),
        "indicators_watch": int((result.indicators["status"] == "watch").sum()),
        "skipped": result.skipped,
        "report": str(folder / "monitor.html"),
    }


class BaselineError(ValueError):
    """``--reference`` names neither a readable file nor a registered model with a stored baseline."""


def _is_scores(path: Path) -> bool:
    from features import partitioned

    return "score" in partitioned.read_schema(path).names


def _indicator_part(path: Path) -> Path | None:
    from features import partitioned
    from features.catalogue import FEATURES

    return path if FEATURES[0] in partitioned.read_schema(path).names else None


def _score_part(path: Path) -> Path | None:
    return path if _is_scores(path) else None


def _reference(reference: str, reference_scores: Path | None) -> tuple[Any, dict[str, str]]:
    """A file, or a registered version's training reference (with its test as-of date as the snapshot date)."""
    from fairness.monitor import load_snapshot
    from training.registry import DRIFT_ARTIFACT, RegistryError, resolve, run_artifact

    path = Path(reference)
    if path.exists():
        return load_snapshot(_indicator_part(path), reference_scores or _score_part(path))
    try:
        version = resolve(reference)
    except RegistryError as exc:
        raise BaselineError(f"--reference {reference!r} is neither a file nor a registered model: {exc}") from exc
    artifact = run_artifact(version, DRIFT_ARTIFACT)
    if artifact is None:
        raise BaselineError(f"version {version.version} has no stored drift reference")
    frame, meta = load_snapshot(artifact, None)
    meta.setdefault("as_of", version.tags.get("test_as_of", ""))
    return frame, meta
