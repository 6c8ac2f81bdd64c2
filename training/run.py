"""One training run end to end: folds, fit, baselines, evaluation, plots, MLflow, registration.

Order matters for safety: everything is computed and logged inside the MLflow run first, and the model is
registered and given ``@challenger`` only as the very last steps. A run that fails or is interrupted anywhere
before that leaves the registry exactly as it was (the run itself is kept, marked FAILED or KILLED); ``@champion``
is never touched here at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core import settings
from core.tracking import start_run
from fairness.groups import GroupDataError
from fairness.run import Decision, audit_frame, groups_for
from features.catalogue import CATALOGUE_VERSION, FEATURES, catalogue_hash
from features.checklist import FLAGS, red_flags
from models.risk import RiskModel
from models.shortlist import configured_policy
from training import plots
from training.dataset import TRUTH_COLUMNS, Fold, TemporalSplit, build_folds, default_split
from training.evaluation import CAPACITIES, Ranking, calibration_table, evaluate, flatten, per_region
from training.fit import Hyperparameters, fit_logistic, fit_risk_model
from training.labels import records_window
from training.outcomes import DEFAULT_INCLUSION, Outcomes
from training.registry import CHALLENGER, DRIFT_ARTIFACT, EVALUATION_ARTIFACT, client, labels_seen_until, load, resolve
from training.transparency import deployer as deployer_file
from training.transparency import generate, write
from training.transparency.benchmark import across_worlds
from training.transparency.facts import CALIBRATION_ARTIFACT

if TYPE_CHECKING:
    from fairness.run import FairnessReport

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
EXPERIMENT = "tegenkracht-training"
EVALUATION_EXPERIMENT = "tegenkracht-evaluation"
RUNTIME_PACKAGES = ("lightgbm", "numpy", "pandas", "pyarrow", "scikit-learn", "pandera", "mlflow")
# What the pyfunc imports, and nothing more: a registered model must load where the simulator and the CLI are absent
# (tests/model/test_training.py loads one in a process that cannot import them).
PROJECT_PACKAGES = ("core", "features", "models")
DRIFT_SAMPLE_ROWS = 100_000
TRAIN_STEPS = 6  # plus one per fold
FAIRNESS_DIR = "fairness"
TRANSPARENCY_DIR = "transparency"


@dataclass
class TrainResult:
    """What a run produced; ``version`` is None when registration was not asked for."""

    run_id: str
    version: str | None
    split: TemporalSplit
    results: dict[str, dict[str, float]]
    model: RiskModel
    folds: dict[str, dict[str, int]] = field(default_factory=dict)
    fairness: FairnessReport | None = None
    params: dict[str, str] = field(default_factory=dict)

    def headline(self) -> dict[str, Any]:
        """The figures a person reads first."""
        out: dict[str, Any] = {"run_id": self.run_id, "model_version": self.version, **self.split.as_dict()}
        groups = (
            "model.observed",
            "logistic.observed",
            "checklist.observed",
            "model.truth",
            "logistic.truth",
            "checklist.truth",
        )
        for group in groups:
            if group in self.results:
                r = self.results[group]
                out[group] = {k: round(r[k], 4) for k in ("pr_auc", "roc_auc", "precision_at_100", "recall_at_100")}
        out["trees"] = self.model.booster.num_trees()
        out["calibration"] = self.model.calibrator.method
        if "model.truth" in self.results:
            out["oracle_ratio_at_100"] = round(self.results["model.truth"]["oracle_ratio_at_100"], 3)
            scorers = [s for s in ("model", "logistic", "checklist") if f"{s}.truth" in self.results]
            truth = {s: self.results[f"{s}.truth"] for s in scorers}
            out["oracle_ratio"] = {
                s: {f"k={k}": round(r[f"oracle_ratio_at_{k}"], 3) for k in CAPACITIES} for s, r in truth.items()
            }
        out["brier"] = round(self.results["model.observed"]["brier"], 6)
        out["across_worlds"] = self._across_worlds()
        return out

    def _across_worlds(self) -> dict[str, Any]:
        """The benchmark's mean ± sd beside this one run, because one run's ratio is noise of about ±0.1."""
        bench = across_worlds(self.params)
        if not bench["available"]:
            return {"available": False, "differs": bench["differs"]}
        scorers = bench["scorers"]
        return {
            "worlds": bench["worlds"],
            "command": bench["command"],
            "oracle_ratio_at_100": {
                name: f"{scorers[name]['ratio_100']['mean']:.3f} ± {scorers[name]['ratio_100']['sd']:.3f}"
                for name in ("model", "logistic", "checklist", "ceiling")
                if name in scorers
            },
        }


def resolve_split(
    data: Path, split: TemporalSplit | None, horizon_months: int, label_dates: str = "yearly"
) -> TemporalSplit:
    """The split asked for, or the default one for these records (quarterly training dates if asked)."""
    if split is not None:
        return split
    cases = pd.read_parquet(data / "cases.parquet", columns=["opened_on", "closed_on"])
    every = {"yearly": 12, "quarterly": 3}[label_dates]
    return default_split(records_window(data, cases), horizon_months, every)


def train(
    data: Path,
    split: TemporalSplit | None = None,
    hp: Hyperparameters | None = None,
    horizon_months: int = 24,
    register: bool = True,
    progress: Progress | None = None,
    outcomes: Outcomes | None = None,
) -> TrainResult:
    """Train, evaluate out of time, log everything, and register the model as ``@challenger``.

    ``outcomes`` (``training.outcomes.read_outcomes`` of a ``feedback export``) join the case records' labels;
    the run records how many labels came from each source.
    """
    import mlflow

    step = progress or (lambda _name: None)
    hp = hp or Hyperparameters()
    split = resolve_split(data, split, horizon_months, hp.label_dates)
    with start_run(EXPERIMENT, f"train test {split.test.date()}") as run:
        # "records_dir", not "data": under `mlflow run` the entry point has logged its own `data` parameter already
        mlflow.log_params({**split.as_dict(), **hp.as_params(), "records_dir": str(data.resolve())})
        mlflow.log_params(_outcome_params(outcomes))
        folds = build_folds(data, split.folds(), split.horizon_months, progress, outcomes)
        _log_folds(folds)
        train_folds, validation, test = folds[:-2], folds[-2], folds[-1]
        step("LightGBM and calibration")
        meta = _model_metadata(split, test)
        model, info = fit_risk_model(train_folds, validation, hp, meta)
        mlflow.log_params({"best_iteration": info["best_iteration"], "calibration_fitted": info["calibration"]})
        step("baselines")
        rankings = _rankings(model, train_folds, validation, test, data, hp.seed)
        step("evaluation")
        results = evaluate(rankings, test.frame)
        mlflow.log_metrics(flatten(results, "test"))
        step("plots and artifacts")
        _log_artifacts(model, rankings, test)
        step("fairness audit")
        fairness, verdict = fairness_audit(model, test, data)
        step("model and registry")
        model_uri = _log_model(model, test)
        version = _register(model_uri, run.info.run_id, {**meta, **verdict}) if register else None
    counts = {f.name + " " + f.as_of.date().isoformat(): _fold_counts(f) for f in folds}
    return TrainResult(run.info.run_id, version, split, results, model, counts, fairness, hp.as_params())


def _fold_counts(fold: Fold) -> dict[str, int]:
    return {"rows": len(fold.frame), "positives": fold.positives, "pending_excluded": fold.pending_excluded}


def _outcome_params(outcomes: Outcomes | None) -> dict[str, str]:
    """What came in beside the case records: rows used, quarantined, and weighed with the default π."""
    # not "outcomes": under `mlflow run` the entry point has logged its own `outcomes` parameter already
    if outcomes is None:
        return {"outcomes_rows": "0"}
    return {
        "outcomes_rows": str(len(outcomes)),
        "outcomes_quarantined": str(outcomes.quarantined),
        "outcomes_default_probability": str(outcomes.default_probability),
        "outcomes_default_inclusion": str(DEFAULT_INCLUSION),
    }


def _log_folds(folds: list[Fold]) -> None:
    import mlflow

    for f in folds:
        prefix = f"fold.{f.name}.{f.as_of.date()}"
        mlflow.log_metrics({f"{prefix}.{k}": float(v) for k, v in _fold_counts(f).items()})
        mlflow.log_metrics(f.sources.as_metrics(f"{prefix}.labels"))
    totals = {
        f"labels.{source}": float(sum(getattr(f.sources, source) for f in folds))
        for source in ("cases", "feedback", "both", "feedback_default_probability")
    }
    mlflow.log_metrics(totals)
    mlflow.log_params(
        {
            "input_fingerprint": folds[0].metadata["input_fingerprint"],
            "catalogue_version": CATALOGUE_VERSION,
            "catalogue_hash": catalogue_hash(),
            "truth_available": str(folds[-1].has_truth),
        }
    )


def _model_metadata(split: TemporalSplit, test: Fold) -> dict[str, str]:
    return {
        **{f"shortlist.{k}": v for k, v in configured_policy().as_params().items()},
        **split.as_dict(),
        "catalogue_version": CATALOGUE_VERSION,
        "catalogue_hash": catalogue_hash(),
        "input_fingerprint": test.metadata["input_fingerprint"],
    }


def _rankings(
    model: RiskModel, train: list[Fold], validation: Fold, test: Fold, data: Path, seed: int
) -> dict[str, Ranking]:
    """The model and both baselines on the test fold."""
    logistic = fit_logistic(train, validation, seed)
    return {
        "model": Ranking(model.score(test.frame), model.probability(test.frame)),
        "logistic": Ranking(logistic.score(test.frame), logistic.probability(test.frame)),
        "checklist": Ranking(checklist_count(data, test)),
    }


def checklist_count(data: Path, fold: Fold) -> np.ndarray:
    """The analysts' baseline: how many of the twelve red flags a company raises on the fold's as-of date."""
    flags = red_flags(data, fold.as_of.date().isoformat()).set_index("company_id")
    count = flags[list(FLAGS)].sum(axis=1).astype(float)
    return count.reindex(fold.frame["company_id"].to_numpy()).fillna(0.0).to_numpy()


def _log_artifacts(model: RiskModel, rankings: dict[str, Ranking], test: Fold) -> None:
    """Plots, the evaluation set and the drift reference."""
    import mlflow

    label = test.frame["label"].to_numpy()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        plots.pr_curves(rankings, label, "Test fold, observed labels", d / "plots" / "pr_observed.png")
        if test.has_truth:
            truth = test.frame["truth_involved"].to_numpy().astype(int)
            oracle = {**rankings, "oracle": Ranking(test.frame["truth_propensity"].to_numpy())}
            plots.pr_curves(oracle, truth, "Test fold, ground truth", d / "plots" / "pr_truth.png")
        regions = per_region(rankings, test.frame)
        (d / "evaluation").mkdir(parents=True, exist_ok=True)
        regions.to_csv(d / "evaluation" / "per_region.csv", index=False)
        target = "truth" if test.has_truth else "observed"
        plots.precision_by_region(regions, 100, target, d / "plots" / f"precision_by_region_{target}.png")
        prob = rankings["model"].probability
        assert prob is not None
        plots.calibration(prob, label, "Calibration on the test fold", d / "plots" / "calibration.png")
        calibration_table(prob, label).to_csv(d / CALIBRATION_ARTIFACT, index=False)
        sample = test.frame.sample(n=min(len(test.frame), 5000), random_state=0)
        contrib = model.contributions(sample)
        plots.shap_summary(contrib, model.features, d / "plots" / "shap_summary.png")
        plots.beeswarm(contrib, sample, model.features, d / "plots" / "shap_beeswarm.png")
        _write_parquet(_evaluation_set(test), d / EVALUATION_ARTIFACT)
        _write_parquet(_drift_reference(model, test), d / DRIFT_ARTIFACT)
        mlflow.log_artifacts(str(d))


def fairness_audit(model: RiskModel, test: Fold, data: Path) -> tuple[FairnessReport | None, dict[str, str]]:
    """Audit the test fold's shortlist, log the reports under ``fairness/``, and return the verdict tags.

    The tags (``fairness.audit`` passed/failed/missing, ``fairness.summary``) go on the registered version; the
    promotion gate re-reads the stored audit itself rather than trusting them. Records without the sensitive
    tables (an extract that lacks them) get "missing", which the gate refuses like a failure.
    """
    import mlflow

    try:
        groups = groups_for(data, test.frame["company_id"], test.as_of)
    except GroupDataError as exc:
        log.warning("fairness audit not possible: %s", exc)
        tags = {"fairness.audit": "missing", "fairness.summary": f"no audit: {exc}"}
        mlflow.set_tags(tags)
        return None, tags
    frame = _scored(model, test)
    context = {"model": "this run", "as_of": test.as_of.date().isoformat(), **_fold_counts_text(test)}
    report = audit_frame(
        frame, groups, Decision(top_k=settings.FAIRNESS_TOP_K), features=test.frame, scorer=model.score, context=context
    )
    with tempfile.TemporaryDirectory() as tmp:
        report.write(Path(tmp))
        mlflow.log_artifacts(tmp, FAIRNESS_DIR)
    mlflow.log_metrics(
        {"fairness.failures": float(len(report.observed.failures)), "fairness.passed": float(report.passed)}
    )
    tags = {"fairness.audit": "passed" if report.passed else "failed", "fairness.summary": report.summary()}
    mlflow.set_tags(tags)
    log.info("fairness audit %s", tags["fairness.summary"])
    return report, tags


def _scored(model: RiskModel, test: Fold) -> pd.DataFrame:
    """Scores, exact contributions, labels and (synthetic data) truth of the test fold, for the audit."""
    contrib = model.contributions(test.frame)
    out = pd.DataFrame({"company_id": test.frame["company_id"].to_numpy()})
    out["score"] = contrib.sum(axis=1)
    out["probability"] = model.probability(test.frame)
    shap = pd.DataFrame(contrib[:, :-1], columns=[f"shap__{f}" for f in model.features])
    out = pd.concat([out, shap], axis=1)
    out["label"] = test.frame["label"].to_numpy(dtype=np.float64)
    out["investigated"] = (test.frame["label_status"] != "none").to_numpy(dtype=np.float64)
    if test.has_truth:
        out["truth"] = test.frame["truth_involved"].to_numpy(dtype=np.float64)
    return out


def _fold_counts_text(test: Fold) -> dict[str, str]:
    return {k: str(v) for k, v in _fold_counts(test).items()}


def _evaluation_set(test: Fold) -> pd.DataFrame:
    """What the quality gate re-scores champion and challenger on: identifiers, indicators, labels, truth."""
    keep = ["company_id", "riec_region", "label", *[c for c in TRUTH_COLUMNS if c in test.frame], *FEATURES]
    return test.frame[keep]


def _drift_reference(model: RiskModel, test: Fold) -> pd.DataFrame:
    """Indicators, scores and exact contributions of (a sample of) the latest labelled fold.

    The baseline drift monitors compare production to: indicator, score and explanation drift, and the
    shortlist's make-up by group.
    """
    sample = test.frame.sample(n=min(len(test.frame), DRIFT_SAMPLE_ROWS), random_state=0).sort_values("company_id")
    out = sample[["company_id", "riec_region", *FEATURES]].reset_index(drop=True)
    contrib = model.contributions(sample)
    out["score"] = contrib.sum(axis=1)
    out["probability"] = model.probability(sample)
    out["label"] = sample["label"].to_numpy()
    shap = pd.DataFrame(contrib[:, :-1], columns=[f"shap__{f}" for f in model.features])
    return pd.concat([out, shap], axis=1)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False, compression="zstd")


def _log_model(model: RiskModel, test: Fold) -> str:
    """Log the pyfunc with its signature, an input example and the project's packages as code paths."""
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    from models.pyfunc import ARTIFACT  # imports mlflow.pyfunc, as the two lines above do

    example = test.frame[list(FEATURES)].head(5).reset_index(drop=True)
    signature = infer_signature(example, model.predict_frame(example))
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / ARTIFACT
        model.save(folder)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(root / "models" / "pyfunc_model.py"),
            artifacts={ARTIFACT: str(folder)},
            code_paths=[str(root / p) for p in PROJECT_PACKAGES],
            signature=signature,
            input_example=example,
            pip_requirements=[f"{p}=={package_version(p)}" for p in RUNTIME_PACKAGES],
        )
    return str(info.model_uri)


def _register(model_uri: str, run_id: str, meta: dict[str, str]) -> str:
    """New version of the registered model, its transparency documents, then ``@challenger``: the last steps.

    The documents name the version, so they can only be written once it exists; a version whose documents cannot
    be written is deleted again before it gets an alias, so no version is ever served without its model card.
    """
    import mlflow

    deployer = deployer_file.load(settings.DEPLOYER_FILE)  # a bad file fails the run before anything is registered
    mv = mlflow.register_model(model_uri, settings.MODEL_NAME, tags={**meta, "run_id": run_id})
    try:
        _log_documents(str(mv.version), deployer)
    except BaseException:
        client().delete_model_version(settings.MODEL_NAME, str(mv.version))
        raise
    client().set_registered_model_alias(settings.MODEL_NAME, CHALLENGER, str(mv.version))
    log.info("registered %s version %s as @%s", settings.MODEL_NAME, mv.version, CHALLENGER)
    return str(mv.version)


def _log_documents(version: str, deployer: Any) -> None:
    """The version's model card, register entry and Annex IV documentation, logged under ``transparency/``."""
    import mlflow

    documents = generate(version, deployer)
    with tempfile.TemporaryDirectory() as tmp:
        written = write(documents, Path(tmp) / "transparency")
        digest = hashlib.sha256(written["model_card.json"].read_bytes()).hexdigest()
        mlflow.log_artifacts(str(Path(tmp) / "transparency"), TRANSPARENCY_DIR)
    client().set_model_version_tag(settings.MODEL_NAME, version, "transparency.card_sha256", digest)


def summary_json(result: TrainResult) -> str:
    """For ``--json``."""
    return json.dumps({**result.headline(), "folds": result.folds}, default=str)


def evaluate_registered(
    ref: str, data: Path, as_of: pd.Timestamp, horizon_months: int = 24, progress: Progress | None = None
) -> dict[str, dict[str, float]]:
    """Metrics of a registered version on the records' labels after ``as_of``, logged as a run of its own."""
    version = resolve(ref)
    model = load(version)
    (fold,) = build_folds(data, [("evaluation", as_of)], horizon_months, progress)
    rankings = {
        "model": Ranking(model.score(fold.frame), model.probability(fold.frame)),
        "checklist": Ranking(checklist_count(data, fold)),
    }
    results = evaluate(rankings, fold.frame)
    note = in_sample_note(version.tags, as_of)
    if note:
        log.warning("%s", note)
    import mlflow

    with start_run(EVALUATION_EXPERIMENT, f"evaluate v{version.version} at {as_of.date()}"):
        mlflow.log_params(
            {
                "model_version": str(version.version),
                "as_of": as_of.date().isoformat(),
                "horizon_months": horizon_months,
                "records_dir": str(data.resolve()),
                "input_fingerprint": fold.metadata["input_fingerprint"],
                "in_sample": str(bool(note)),
            }
        )
        mlflow.log_metrics(flatten(results, "evaluation"))
        mlflow.log_dict(_fold_counts(fold), "fold.json")
    return results


def in_sample_note(tags: dict[str, str], as_of: pd.Timestamp) -> str | None:
    """A warning when the model learned from labels that lie after ``as_of`` (its metrics there are flattered)."""
    seen_until = labels_seen_until(tags)
    if seen_until is None:
        return "the model's training window is unknown: this evaluation may be in-sample"
    if as_of >= seen_until:
        return None
    return (
        f"in-sample: the model learned from labels up to {seen_until.date()}, after this as-of ({as_of.date()}); "
        "these metrics flatter it"
    )
