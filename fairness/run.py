"""One fairness audit end to end: scores + groups + labels in, audits, proxy checks and reports out.

Used by ``tegenkracht audit`` (a scores file on a snapshot) and by every training run (the test fold), so the
audit that gates promotion is the same code an oversight body can re-run on any batch of scores.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.io import plain, write_text_atomic
from core.tracking import start_run
from fairness.audit import AuditResult, audit
from fairness.groups import STRATA, company_groups, gating_attributes
from fairness.proxies import Scorer, counterfactual, predictability, score_gap, target_groups
from fairness.report import write_report
from features.catalogue import FEATURES
from features.pipeline import read_metadata
from models.shortlist import tiebreak, top_k_mask

log = logging.getLogger(__name__)
OBSERVED_JSON = "audit_observed.json"
TRUTH_JSON = "audit_truth.json"
PROXIES_JSON = "proxies.json"
INVESTIGATIONS_JSON = "audit_investigations.json"
SUMMARY_CHARS = 500
COUNTERFACTUAL_ROWS = 100_000  # re-scoring every proxy for every group: sampled beyond this many companies
INVESTIGATIONS_DIR = "investigations"
INVESTIGATIONS_DECISION = "a case opened in the horizon (the investigations behind the labels)"


@dataclass(frozen=True)
class Decision:
    """The shortlist rule audited: the top ``top_k`` per RIEC region, or every score at or above ``threshold``."""

    top_k: int | None = 100
    threshold: float | None = None

    def kwargs(self) -> dict[str, Any]:
        """For :func:`fairness.audit.audit`."""
        if self.threshold is not None:
            return {"threshold": self.threshold}
        return {"top_k": self.top_k, "within": "riec_region"}

    def cut(self, frame: pd.DataFrame, score: np.ndarray) -> np.ndarray:
        """Each row's cut-off under this rule: the threshold, or the lowest shortlisted score of its region."""
        if self.threshold is not None:
            return np.full(len(frame), self.threshold)
        region = frame["riec_region"].astype(str).to_numpy()
        chosen = top_k_mask(score, region, int(self.top_k or 0), tiebreak(frame["company_id"]))
        lowest = pd.Series(score[chosen]).groupby(region[chosen]).min()
        return pd.Series(region).map(lowest).fillna(np.inf).to_numpy(dtype=np.float64)


class FairnessInputError(ValueError):
    """A scores or indicator file the audit cannot use: another snapshot, missing columns, missing companies."""


@dataclass
class FairnessReport:
    """The shortlist audited against labels (what gates) and ground truth, the investigations, the proxies.

    Ground truth exists for synthetic data only; the investigations behind the labels are audited the same way.

    The investigations audit treats "a case was opened" as the decision: labels come from those cases, so a
    disparity there is bias in the labels themselves. It never gates promotion (the model did not open the
    cases), but it fails the audit verdict an oversight body reads, because every figure measured against such
    labels (precision by group, above all) inherits it.
    """

    observed: AuditResult
    truth: AuditResult | None
    proxies: dict[str, Any] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)
    investigations: AuditResult | None = None

    @property
    def passed(self) -> bool:
        """The verdict that gates promotion: the shortlist audited against observed labels."""
        return self.observed.passed

    @property
    def labels_passed(self) -> bool:
        """No group is investigated disproportionately (True when the cases are not known)."""
        return self.investigations is None or self.investigations.passed

    def _biased_groups(self) -> list[str]:
        failures = self.investigations.failures if self.investigations is not None else []
        return sorted({f"{f.attribute}={f.group}" for f in failures})

    def summary(self) -> str:
        """One line for a tag, a log line or a refusal: the verdict and the failing disparities."""
        if self.passed:
            text = f"passed ({self.observed.settings['decision']}, no headline disparity outside 0.8-1.25)"
        else:
            text = "failed: " + "; ".join(f.sentence() for f in self.observed.failures)
        if not self.labels_passed:
            text += f"; labels biased: investigated disproportionately: {', '.join(self._biased_groups())}"
        return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"

    def write(self, out: Path) -> dict[str, Path]:
        """JSON for machines, HTML in Dutch and English for people; each file replaced atomically."""
        out.mkdir(parents=True, exist_ok=True)
        files = {"observed": write_text_atomic(out / OBSERVED_JSON, self.observed.to_json(indent=1))}
        if self.truth is not None:
            files["truth"] = write_text_atomic(out / TRUTH_JSON, self.truth.to_json(indent=1))
        files["proxies"] = write_text_atomic(out / PROXIES_JSON, json.dumps(plain(self.proxies), indent=1))
        context = dict(self.context)
        if self.investigations is not None:
            verdict = "passed" if self.labels_passed else "FAILED: " + ", ".join(self._biased_groups())
            context["investigations behind the labels / onderzoeken achter de labels"] = (
                f"{verdict} (see {INVESTIGATIONS_DIR}/fairness_nl.html, {INVESTIGATIONS_DIR}/fairness_en.html)"
            )
        files.update(write_report(self.observed, out, truth=self.truth, proxies=self.proxies, context=context))
        if self.investigations is not None:
            files["investigations"] = write_text_atomic(
                out / INVESTIGATIONS_JSON, self.investigations.to_json(indent=1)
            )
            sub = write_report(
                self.investigations,
                out / INVESTIGATIONS_DIR,
                title="Audit of the investigations behind the labels / Audit van de onderzoeken achter de labels",
                context={**self.context, "decision": INVESTIGATIONS_DECISION},
            )
            files.update({f"investigations_{k}": v for k, v in sub.items()})
        return files


def audit_frame(
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    decision: Decision,
    *,
    features: pd.DataFrame | None = None,
    scorer: Scorer | None = None,
    context: dict[str, str] | None = None,
    min_group_size: int = 30,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> FairnessReport:
    """Audit a scored frame (``company_id, score, probability[, shap__*][, label][, truth]``).

    ``groups`` comes from :func:`fairness.groups.company_groups` for the same companies in the same order.
    Proxy predictability and the counterfactual need the indicator table (``features``, same order) and, for
    the counterfactual, a ``scorer``; the score-gap decomposition needs the ``shap__`` columns.
    """
    step = progress or (lambda _name: None)
    data = _joined(frame, groups)
    attrs = [*gating_attributes(), *STRATA]
    kw: dict[str, Any] = {"score": "score", "groups": attrs, "gating": gating_attributes()}
    kw |= {"probability": "probability", "min_group_size": min_group_size, "n_boot": n_boot, **decision.kwargs()}
    step("audit against observed labels")
    observed = audit(data, label="label", **kw)
    truth = None
    if "truth" in data:
        step("audit against ground truth")
        truth = audit(data, label="truth", **kw)
    investigations = None
    if "investigated" in data and data["investigated"].notna().any():
        step("audit of the investigations behind the labels")
        yardstick = "truth" if "truth" in data else "label"
        # Against ground truth: are uninvolved companies of a group investigated more often (FPR)? Against the
        # labels alone (real data) only the outcome test is sound: a lower hit rate (higher FDR) means the group
        # was investigated on weaker suspicion; its investigation rate may reflect real differences.
        measure = ("fpr",) if yardstick == "truth" else ("fdr",)
        kw_inv = {**kw, "score": "investigated", "threshold": 0.5, "top_k": None, "within": None, "probability": None}
        kw_inv["headline"] = measure
        investigations = audit(data, label=yardstick, **kw_inv)
        investigations.settings["decision"] = INVESTIGATIONS_DECISION
        investigations.distributions = {}  # its "score" is 0 or 1: no distribution to show
    step("proxy checks")
    proxies = _proxies(data, features, scorer, decision, min_group_size)
    return FairnessReport(observed, truth, proxies, dict(context or {}), investigations)


def _joined(frame: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("company_id", "score") if c not in frame.columns]
    if missing:
        raise FairnessInputError(f"the scores lack column(s) {missing}: is this a file from `tegenkracht score`?")
    if len(frame) != len(groups) or not np.array_equal(
        frame["company_id"].to_numpy(dtype=object), groups["company_id"].to_numpy(dtype=object)
    ):
        raise FairnessInputError("groups must hold the scored companies in the same order")
    if "probability" not in frame:
        frame = frame.assign(probability=np.nan)
    data = pd.concat([frame.reset_index(drop=True), groups.drop(columns=["company_id"]).reset_index(drop=True)], axis=1)
    if "label" not in data:
        data["label"] = np.nan
    return data.loc[:, ~data.columns.duplicated()]


def _proxies(
    data: pd.DataFrame, features: pd.DataFrame | None, scorer: Scorer | None, decision: Decision, min_size: int
) -> dict[str, Any]:
    sensitive = ["migration_background", "gender", "age_group", "neighbourhood_ses"]
    targets = target_groups(data, sensitive, min_size)
    out: dict[str, Any] = {"notes": []}
    shap_cols = [c for c in data.columns if c.startswith("shap__")]
    if shap_cols:
        contrib = data[shap_cols].rename(columns=lambda c: c.removeprefix("shap__"))
        out["score_gap"] = score_gap(contrib, data["score"].to_numpy(dtype=np.float64), data, targets)
    else:
        out["notes"].append("no SHAP contributions given: the score gap is not decomposed")
    if features is None:
        out["notes"].append("no indicator table given: proxy predictability and counterfactuals not computed")
        return out
    x = features[list(FEATURES)].reset_index(drop=True)
    out["predictability"] = predictability(x, data, targets)
    if scorer is not None:
        cut = decision.cut(data, data["score"].to_numpy(dtype=np.float64))
        rows = _sample(len(data), COUNTERFACTUAL_ROWS)
        if len(rows) < len(data):
            out["notes"].append(f"counterfactuals on a random sample of {len(rows):,} companies, same cut-offs")
        sample = data.iloc[rows].reset_index(drop=True)
        out["counterfactual"] = counterfactual(
            x.iloc[rows].reset_index(drop=True),
            sample,
            scorer,
            cut[rows],
            target_groups(sample, sensitive, min_size),
            sections=data["sbi_section"].astype(str).to_numpy()[rows],
            score=sample["score"].to_numpy(dtype=np.float64),
        )
    else:
        out["notes"].append("no model given: counterfactuals not computed")
    return out


def _sample(n: int, at_most: int, seed: int = 0) -> np.ndarray:
    if n <= at_most:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=at_most, replace=False))


def groups_for(data_dir: Path, company_ids: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    """Group membership for the audit (reads ``sensitive/``, which nothing outside ``fairness`` may)."""
    return company_groups(data_dir, company_ids, as_of)


@dataclass(frozen=True)
class AuditLabels:
    """What the caller knows of each scored company's outcome, in the order of the scores it was asked about.

    ``label`` is 1 or 0 where an outcome is known and NaN where it is not (a production batch whose horizon has not
    passed); ``investigated`` marks the companies an investigation looked at (the audit of the labels' selection);
    ``truth`` is the ground truth where the records come with one (the synthetic world); ``note`` says why labels
    are missing. The fairness package never derives labels itself: that is training's definition to make.
    """

    label: np.ndarray
    investigated: np.ndarray | None = None
    truth: np.ndarray | None = None
    note: str | None = None


#: Labels for the scored companies at the scores' as-of date (``training.labels.audit_labels`` builds one).
LabelSource = Callable[[pd.Series, pd.Timestamp], AuditLabels]
#: The scorer of a model version, or None when it cannot be had (``training.registry.version_scorer``).
ScorerSource = Callable[[str], Scorer | None]


def audit_scores_file(
    scores: Path,
    data: Path,
    decision: Decision,
    *,
    labels: LabelSource | None = None,
    scorer_for: ScorerSource | None = None,
    features: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> FairnessReport:
    """Audit a scores file from ``tegenkracht score`` on the records it was computed from.

    ``labels`` gives the outcomes (the CLI passes the cases opened in the horizon after the scores' as-of date);
    without labels, or when the source has none yet, only the selection measures can be judged and the report says
    so. With ``features`` (the same snapshot) the proxy checks run too, and with ``scorer_for`` the counterfactual
    re-scores with the model version named in the scores file. Both are handed in by the caller, so this package
    needs neither the label definition nor the model registry.
    """
    meta = read_metadata(scores)
    if "as_of" not in meta:
        raise FairnessInputError(f"{scores} has no as-of date in its metadata: is it a file from `tegenkracht score`?")
    as_of = pd.Timestamp(meta["as_of"])
    frame = pd.read_parquet(scores)
    if "company_id" not in frame:
        raise FairnessInputError(f"{scores} has no company_id column: is it a file from `tegenkracht score`?")
    frame = frame.sort_values("company_id").reset_index(drop=True)
    context = {"scores": str(scores), "as_of": meta["as_of"], "model_version": meta.get("model_version", "?")}
    context["input_fingerprint"] = meta.get("input_fingerprint", "?")
    label_note = _attach_labels(frame, labels, as_of)
    if label_note:
        context["labels"] = label_note
    groups = groups_for(data, frame["company_id"], as_of)
    table = _features_for(features, frame, meta) if features is not None else None
    version = meta.get("model_version")
    scorer = scorer_for(version) if (table is not None and scorer_for is not None and version) else None
    return audit_frame(frame, groups, decision, features=table, scorer=scorer, context=context, progress=progress)


def _attach_labels(frame: pd.DataFrame, labels: LabelSource | None, as_of: pd.Timestamp) -> str | None:
    if labels is None:
        frame["label"] = np.nan
        return "no observed labels: none were given"
    got = labels(frame["company_id"], as_of)
    frame["label"] = np.asarray(got.label, dtype=np.float64)
    if got.investigated is not None:
        frame["investigated"] = np.asarray(got.investigated, dtype=np.float64)
    if got.truth is not None:
        frame["truth"] = np.asarray(got.truth, dtype=np.float64)
    return got.note


def _features_for(path: Path, frame: pd.DataFrame, meta: dict[str, str]) -> pd.DataFrame:
    fmeta = read_metadata(path)
    for key in ("as_of", "input_fingerprint"):
        if fmeta.get(key) != meta.get(key):
            raise FairnessInputError(
                f"{path} is another snapshot than the scores ({key} {fmeta.get(key)} vs {meta.get(key)})"
            )
    table = pd.read_parquet(path)
    lacking = [c for c in ("company_id", "sbi_section", *FEATURES) if c not in table.columns]
    if lacking:
        raise FairnessInputError(f"{path} lacks column(s) {lacking[:5]}: is it a file from `tegenkracht features`?")
    missing = int((~frame["company_id"].isin(table["company_id"])).sum())
    if missing:
        raise FairnessInputError(f"{path} lacks {missing} of the scored companies")
    return table.set_index("company_id").reindex(frame["company_id"].to_numpy()).reset_index()


def log_report(report: FairnessReport, run_name: str) -> str:
    """Write the report into a fresh MLflow run of ``tegenkracht-fairness``; returns the run id."""
    import mlflow  # seconds to import; only a logged audit needs it

    with start_run("tegenkracht-fairness", run_name) as run, tempfile.TemporaryDirectory() as tmp:
        report.write(Path(tmp))
        mlflow.log_artifacts(tmp, "fairness")
        mlflow.log_params({k: v[:250] for k, v in report.context.items()})
        mlflow.log_metrics({"fairness.failures": float(len(report.observed.failures))})
        mlflow.set_tags(
            {
                "fairness.audit": "passed" if report.passed else "failed",
                "fairness.labels": "passed" if report.labels_passed else "biased",
            }
        )
        return str(run.info.run_id)
