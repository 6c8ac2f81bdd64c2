"""The model card as data: every section the issue names, each figure exactly as the run logged it.

The card is plain JSON (both languages side by side as ``{"nl": …, "en": …}``) so that machines read the same
figures people read; the Markdown in either language is rendered from it (:mod:`training.transparency.render`).
Figures are never rounded here; rounding happens when a figure is put before a person.
"""

from __future__ import annotations

from typing import Any

from core.io import plain
from features.catalogue import BY_ID, CATALOGUE_VERSION, SOURCES, catalogue_hash
from training.evaluation import CAPACITIES
from training.transparency import catalogue_nl, text
from training.transparency.benchmark import across_worlds
from training.transparency.deployer import Deployer
from training.transparency.facts import Facts

SCHEMA = "tegenkracht/model-card/1"
SCORERS = ("model", "logistic", "checklist", "oracle")
EVALUATION_METRICS = ("rows", "positives", "pr_auc", "roc_auc", "brier", "mean_probability",
                      *(f"{m}_at_{k}" for k in CAPACITIES for m in ("precision", "recall")),
                      *(f"oracle_ratio_at_{k}" for k in CAPACITIES))  # fmt: skip
HEADLINE_FALLBACK = ("pprev", "fdr", "fpr", "fp_per_size")


def build(facts: Facts, deployer: Deployer) -> dict[str, Any]:
    """The model card of one version."""
    return {
        "schema": SCHEMA,
        "model": _model(facts),
        "intended_use": {
            "purpose": text.PURPOSE,
            "impact": text.IMPACT,
            "shortlists": text.shortlist_method(facts.tags),
            "users": [{"role": role, "text": words} for role, words in text.USERS],
            "deployer": deployer.text("organisation", text.bi("naam van de organisatie", "name of the organisation")),
        },
        "score": {"means": text.SCORE_MEANS, "does_not_mean": text.SCORE_DOES_NOT_MEAN},
        "indicators": indicators(facts),
        "training_data": training_data(facts),
        "labels": labels(facts),
        "evaluation": evaluation(facts),
        "fairness": fairness(facts),
        "drift_baseline": facts.drift,
        "limitations": text.LIMITATIONS,
        "human_oversight": {
            "interpret": text.OVERSIGHT_INTERPRET,
            "override": text.OVERSIGHT_OVERRIDE,
            "feedback": text.OVERSIGHT_FEEDBACK,
        },
        "history": [plain(_event(e)) for e in facts.history],
    }


def _model(facts: Facts) -> dict[str, Any]:
    return {
        "name": facts.name,
        "version": facts.version,
        "registered_at": facts.registered_at,
        "run_id": facts.run_id,
        "source_commit": facts.source_commit,
        "algorithm": "LightGBM gradient-boosted trees with "
        f"{facts.params.get('calibration_fitted', 'unknown')} calibration",
        "hyperparameters": {
            k: facts.params[k]
            for k in (
                "max_depth",
                "num_leaves",
                "learning_rate",
                "best_iteration",
                "min_child_samples",
                "seed",
                "ensemble",
                "early_stopping_metric",
                "label_dates",
                "monotone",
            )
            if k in facts.params
        },
        "features": len(facts.features),
    }


def indicators(facts: Facts) -> list[dict[str, Any]]:
    """The catalogue entries of the model's indicators, with their weight in the drift reference."""
    weight = facts.drift.get("mean_abs_contribution", {})
    out = []
    for fid in facts.features:
        entry = BY_ID.get(fid)
        row: dict[str, Any] = {"id": fid, "mean_abs_contribution": weight.get(fid)}
        if entry is None:  # trained with an indicator this catalogue no longer has: say so, do not guess
            row.update({"label": text.bi(fid, fid), "missing_from_catalogue": True})
        else:
            row.update(
                {
                    "label": text.bi(entry.label_nl, entry.label_en),
                    "description": text.bi(catalogue_nl.INDICATORS[fid][0], entry.description),
                    "unit": entry.unit,
                    "direction": entry.direction,
                    "family": entry.family,
                    "rationale": text.bi(catalogue_nl.INDICATORS[fid][1], entry.rationale),
                    "source": entry.source,
                    "source_text": text.bi(catalogue_nl.SOURCES[entry.source], SOURCES[entry.source]),
                    "proxy_risk": entry.proxy_risk,
                    "inputs": list(entry.inputs),
                }
            )
        out.append(row)
    return out


def training_data(facts: Facts) -> dict[str, Any]:
    """Folds, window, fingerprint; a catalogue changed since training is flagged, not hidden."""
    folds: dict[str, dict[str, float]] = {}
    for key, value in facts.metrics.items():
        if key.startswith("fold."):
            _, name, day, what = key.split(".", 3)
            folds.setdefault(f"{name} {day}", {})[what] = value
    trained_with = facts.tags.get("catalogue_hash", "")
    return {
        "train_as_of": [d for d in facts.tags.get("train_as_of", "").split(",") if d],
        "validation_as_of": facts.tags.get("validation_as_of", ""),
        "test_as_of": facts.tags.get("test_as_of", ""),
        "horizon_months": facts.tags.get("horizon_months", ""),
        "input_fingerprint": facts.tags.get("input_fingerprint", ""),
        "catalogue_version": facts.tags.get("catalogue_version", ""),
        "catalogue_hash": trained_with,
        "catalogue_matches_code": trained_with == catalogue_hash()
        and facts.tags.get("catalogue_version") == (CATALOGUE_VERSION),
        "truth_available": facts.has_truth,
        "folds": dict(sorted(folds.items(), key=lambda kv: (kv[0].split(" ")[1], kv[0]))),
    }


def labels(facts: Facts) -> dict[str, Any]:
    """Where labels come from, how they are biased, and what the audit of the investigations behind them found."""
    inv = facts.fairness.get("investigations")
    measured: dict[str, Any] = {"audited": inv is not None}
    if inv is not None:
        measured.update({"passed": bool(inv.get("passed")), "failures": inv.get("failures", [])})
    return {"source": text.LABEL_SOURCE, "known_biases": text.LABEL_BIASES, "investigations_audit": measured}


def evaluation(facts: Facts) -> dict[str, Any]:
    """Test-fold metrics per scorer and target, as logged; calibration; precision at k by region."""
    targets = ("observed", "truth") if facts.has_truth else ("observed",)
    metrics = {
        target: {
            scorer: {m: v for m in EVALUATION_METRICS if (v := facts.metric(scorer, target, m)) is not None}
            for scorer in SCORERS
            if facts.metric(scorer, target, "rows") is not None
        }
        for target in targets
    }
    return {
        "test_as_of": facts.tags.get("test_as_of", ""),
        "metrics": metrics,
        "calibration": facts.calibration,
        "by_region": facts.per_region,
        "capacities": list(CAPACITIES),
        "across_worlds": across_worlds(facts.params),
    }


def fairness(facts: Facts) -> dict[str, Any]:
    """The verdict and headline disparities of the shortlist audit against labels (and truth where known)."""
    observed = facts.fairness.get("observed")
    if observed is None:
        return {"audited": False, "tag": facts.tags.get("fairness.audit", "missing"),
                "summary": facts.tags.get("fairness.summary", "")}  # fmt: skip
    out = {"audited": True, "tag": facts.tags.get("fairness.audit", ""),
           "summary": facts.tags.get("fairness.summary", "")}  # fmt: skip
    out["observed"] = _audit_summary(observed)
    if "truth" in facts.fairness:
        out["truth"] = _audit_summary(facts.fairness["truth"])
    proxies = facts.fairness.get("proxies", {})
    out["proxies"] = [
        {"attribute": p["attribute"], "group": p["group"], "auc": p["auc"],
         "top_indicators": [t["indicator"] for t in p.get("top_indicators", [])[:3]]}
        for p in proxies.get("predictability", [])
    ]  # fmt: skip
    return out


def _audit_summary(audit: dict[str, Any]) -> dict[str, Any]:
    settings = audit.get("settings", {})
    headline = tuple(settings.get("headline", HEADLINE_FALLBACK))
    rows = []
    for g in audit.get("groups", []):
        if not g.get("gating"):
            continue
        row = {"attribute": g["attribute_name"], "group": g["attribute_value"], "reference": g["reference_group"]}
        for m in headline:
            row[m] = {k: g.get(f"{m}_{k}") for k in ("disparity", "disparity_lower", "disparity_upper", "status")}
        rows.append(row)
    return {
        "passed": bool(audit.get("passed")),
        "decision": settings.get("decision", ""),
        "tau": settings.get("tau"),
        "confidence": settings.get("confidence"),
        "headline": list(headline),
        "failures": audit.get("failures", []),
        "groups": rows,
    }


def _event(e: Any) -> dict[str, Any]:
    """An event for a public document: the named approver stays (the issue asks for it), the OS account does not."""
    return {
        "at": e.at,
        "kind": e.kind,
        "run_id": e.run_id,
        "approver": e.approver,
        "justification": e.justification,
        "previous_champion": e.previous_champion,
        "other_version": e.other_version,
        "detail": e.detail,
        "gates": list(e.gates),
        "figures": e.figures,
    }
