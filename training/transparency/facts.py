"""Everything the transparency documents state about a model version, read from the registry and its runs.

The documents must say only what the system recorded, so this module is their single source: version tags, the
training run's parameters and metrics, the artifacts the run stored (evaluation by region, calibration, fairness
audits, the drift reference) and the promotion runs that decided about the version. It reads; it never writes.

Facts are plain, sorted data. Two reads of the same registry give equal facts, which is what makes the documents
byte-for-byte reproducible for a version: nothing here looks at the clock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.io import plain
from features.catalogue import FEATURES
from training.evaluation import calibration_table
from training.registry import DRIFT_ARTIFACT, EVALUATION_ARTIFACT, client, load, run_artifact

log = logging.getLogger(__name__)
PER_REGION_ARTIFACT = "evaluation/per_region.csv"
CALIBRATION_ARTIFACT = "evaluation/calibration.csv"
FAIRNESS_ARTIFACTS = {
    "observed": "fairness/audit_observed.json",
    "truth": "fairness/audit_truth.json",
    "investigations": "fairness/audit_investigations.json",
    "proxies": "fairness/proxies.json",
}
SCORE_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
PROMOTIONS = "tegenkracht-promotions"
EVALUATIONS = "tegenkracht-evaluation"


@dataclass(frozen=True)
class Event:
    """One entry of a version's change history: registered, a promotion decision about it, or its replacement."""

    at: str
    kind: str  # registered | gates | override | rollback | refused | interrupted | replaced | evaluated
    run_id: str
    requested_by: str = ""
    approver: str = ""
    justification: str = ""
    previous_champion: str = ""
    other_version: str = ""
    detail: str = ""
    gates: tuple[dict[str, Any], ...] = ()
    figures: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """What is recorded about one registered version; every document is a function of this (and the deployer's)."""

    name: str
    version: str
    registered_at: str
    run_id: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]
    features: tuple[str, ...]
    source_commit: str = ""
    per_region: list[dict[str, Any]] = field(default_factory=list)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    fairness: dict[str, Any] = field(default_factory=dict)  # observed, truth, investigations, proxies (as stored)
    drift: dict[str, Any] = field(default_factory=dict)
    history: tuple[Event, ...] = ()

    @property
    def has_truth(self) -> bool:
        """Whether the run was evaluated against ground truth (synthetic records only)."""
        return self.params.get("truth_available") == "True"

    def metric(self, scorer: str, target: str, name: str) -> float | None:
        """A logged test metric, or None when the run did not log it (NaNs are never logged)."""
        return self.metrics.get(f"test.{scorer}.{target}.{name}")


class FactsError(LookupError):
    """The version's run cannot be read: there is nothing honest to document."""


def gather(version: Any, model: Any | None = None) -> Facts:
    """Read the facts of a registered ``ModelVersion``; ``model`` (loaded already) saves a reload for calibration."""
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a bar per small file is noise
    c = client()
    try:
        run = c.get_run(version.run_id)
    except Exception as exc:  # a version whose run is gone cannot be documented from its run
        raise FactsError(
            f"the training run {version.run_id} of version {version.version} is unreadable: {exc}"
        ) from exc
    tags = {k: str(v) for k, v in sorted((version.tags or {}).items())}
    drift, features = _drift_baseline(version)
    return Facts(
        name=str(version.name),
        version=str(version.version),
        registered_at=_iso(int(version.creation_timestamp)),
        run_id=str(version.run_id),
        tags=tags,
        params=dict(sorted(run.data.params.items())),
        metrics={k: float(v) for k, v in sorted(run.data.metrics.items())},
        features=features,
        source_commit=str(run.data.tags.get("mlflow.source.git.commit", "")),
        per_region=_per_region(version),
        calibration=_calibration(version, model),
        fairness=_fairness(version),
        drift=drift,
        history=tuple(history(version, _iso(int(version.creation_timestamp)))),
    )


def _iso(millis: int) -> str:
    """UTC to the millisecond: two decisions in one second still keep their order."""
    return pd.Timestamp(millis, unit="ms", tz="UTC").isoformat(timespec="milliseconds")


def _artifact(version: Any, path: str) -> Path | None:

    return run_artifact(version, path)


def _per_region(version: Any) -> list[dict[str, Any]]:
    """The model's own rows of the per-region table (the baselines' rows stay in the run)."""
    path = _artifact(version, PER_REGION_ARTIFACT)
    if path is None:
        return []
    table = pd.read_csv(path)
    table = table[table["scorer"] == "model"].drop(columns="scorer")
    table = table.sort_values(["target", "k", "region"], kind="stable")
    return [plain(r) for r in table.to_dict(orient="records")]


def _calibration(version: Any, model: Any | None) -> list[dict[str, Any]]:
    """The stored calibration table; for runs from before it was stored, recomputed from the evaluation set."""
    path = _artifact(version, CALIBRATION_ARTIFACT)
    if path is not None:
        table = pd.read_csv(path)
    else:
        stored = _artifact(version, EVALUATION_ARTIFACT)
        if stored is None:
            return []
        frame = pd.read_parquet(stored)
        scorer = model if model is not None else load(version)
        table = calibration_table(scorer.probability(frame), frame["label"].to_numpy())
    return [plain(r) for r in table.to_dict(orient="records")]


def _fairness(version: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, path in FAIRNESS_ARTIFACTS.items():
        found = _artifact(version, path)
        if found is not None:
            out[key] = json.loads(found.read_text(encoding="utf-8"))
    return out


def _drift_baseline(version: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What drift monitors compare production to: its size, score distribution and mean |contribution| per indicator.

    The features are read off the reference's contribution columns, which the run wrote from the model itself.
    """
    path = _artifact(version, DRIFT_ARTIFACT)
    if path is None:
        return {}, tuple(FEATURES)
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    shap = [c for c in names if c.startswith("shap__")]
    frame = pd.read_parquet(path, columns=["score", "probability", "label", *shap])
    score = frame["score"].to_numpy(np.float64)
    importance = {c.removeprefix("shap__"): float(np.abs(frame[c].to_numpy(np.float64)).mean()) for c in shap}
    ranked = sorted(importance.items(), key=lambda kv: (-kv[1], kv[0]))
    baseline = {
        "artifact": DRIFT_ARTIFACT,
        "rows": len(frame),
        "as_of": str(version.tags.get("test_as_of", "")),
        "score_quantiles": {f"p{round(q * 100)}": float(np.quantile(score, q)) for q in SCORE_QUANTILES},
        "mean_probability": float(frame["probability"].mean()),
        "label_rate": float(frame["label"].mean()),
        "mean_abs_contribution": dict(ranked),
    }
    return baseline, tuple(c.removeprefix("shap__") for c in shap)


def history(version: Any, registered_at: str) -> list[Event]:
    """Registration, every promotion decision about the version, its replacement as champion, later evaluations."""
    c = client()
    v = str(version.version)
    events = [Event(registered_at, "registered", str(version.run_id))]
    for run in _runs(c, PROMOTIONS, f"params.candidate_version = '{v}'"):
        events.append(_decision_event(c, run))
    for run in _runs(c, PROMOTIONS, f"params.previous_champion = '{v}'"):
        p = run.data.params
        if p.get("decision") in ("gates", "override", "rollback") and run.info.status == "FINISHED":
            by = p.get("requested_by", "")
            events.append(Event(_iso(run.info.start_time), "replaced", run.info.run_id, by,
                                other_version=p.get("candidate_version", "")))  # fmt: skip
    for run in _runs(c, EVALUATIONS, f"params.model_version = '{v}'"):
        prefix = "evaluation.model.observed."
        logged = sorted(run.data.metrics.items())
        figures = {k.removeprefix(prefix): float(x) for k, x in logged if k.startswith(prefix)}
        p = run.data.params
        detail = f"as_of={p.get('as_of', '')} in_sample={p.get('in_sample', '')}"
        events.append(Event(_iso(run.info.start_time), "evaluated", run.info.run_id, detail=detail, figures=figures))
    return sorted(events, key=lambda e: (e.at, e.kind != "registered", e.run_id))


def _runs(c: Any, experiment: str, where: str) -> list[Any]:
    found = c.get_experiment_by_name(experiment)
    if found is None:
        return []
    runs: list[Any] = c.search_runs([found.experiment_id], filter_string=where, max_results=1000)
    return runs


def _decision_event(c: Any, run: Any) -> Event:
    """A promotion run as an event; approver and justification come from its ``decision.json``."""
    p = run.data.params
    decision: dict[str, Any] = {}
    try:
        path = c.download_artifacts(run.info.run_id, "decision.json")
        decision = json.loads(Path(path).read_text(encoding="utf-8"))
    except Exception as exc:  # a decision without its file is still an event; say what is missing
        log.warning("promotion run %s has no readable decision.json: %s", run.info.run_id, exc)
    gates = tuple(
        {"name": g["name"], "passed": bool(g["passed"]), "detail": str(g["detail"])} for g in decision.get("gates", [])
    )
    finished = run.info.status == "FINISHED"  # a run that failed mid-way may not have moved the alias
    return Event(
        at=_iso(run.info.start_time),
        kind=p.get("decision", "unknown") if finished else "interrupted",
        detail="" if finished else f"{p.get('decision', 'unknown')}, run {run.info.status}",
        run_id=run.info.run_id,
        requested_by=p.get("requested_by", ""),
        approver=str(decision.get("approver") or ""),
        justification=str(decision.get("justification") or ""),
        previous_champion="" if p.get("previous_champion") in (None, "None") else str(p["previous_champion"]),
        gates=gates,
    )
