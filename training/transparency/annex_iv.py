"""Technical documentation under the headings of Annex IV of the EU AI Act (Regulation (EU) 2024/1689).

Each point is either generated from what the system recorded, or marked as the deployer's (or provider's) to
complete: the system cannot know its own conformity declaration, the hardware it is deployed on, or the
harmonised standards an organisation chose. A point is never left empty. The headings are Annex IV's; the text is
English, the working language of the Act's technical documentation.
"""

from __future__ import annotations

from typing import Any

from training.transparency import text
from training.transparency.deployer import Deployer
from training.transparency.facts import Facts
from training.transparency.register import performance_line
from training.transparency.text import bi, todo

SCHEMA = "tegenkracht/annex-iv/1"


def _mine(what: str) -> str:
    return todo(bi(what, what))["en"]


def sections(facts: Facts, card: dict[str, Any], deployer: Deployer) -> list[dict[str, Any]]:
    """Annex IV points 1–9 with their sub-points, each with its content and whether it was generated."""
    td = card["training_data"]
    fair = card["fairness"]
    gates = "quality (PR-AUC and precision at 100 per region against the champion), fairness (the stored audit "
    gates += "re-judged from its numbers) and drift baseline (the reference is stored)"
    proxies = ", ".join(sorted({i["id"] for i in card["indicators"] if i.get("proxy_risk")})) or "none"
    history = "; ".join(f"{e['at']} {e['kind']}" + (f" (approver {e['approver']})" if e["approver"] else "")
                        for e in card["history"])  # fmt: skip
    hyper = ", ".join(f"{k}={v}" for k, v in card["model"]["hyperparameters"].items())
    folds = "; ".join(f"{k}: {int(v.get('rows', 0))} rows, {int(v.get('positives', 0))} positives"
                      for k, v in td["folds"].items())  # fmt: skip
    rows: list[tuple[str, str, str]] = [
        ("1", "A general description of the AI system", ""),
        ("1(a)", "Intended purpose, provider, version",
         f"{text.PURPOSE['en']} Model {facts.name} version {facts.version}, registered {facts.registered_at}. "
         f"Provider: {deployer.provider or 'Tegenkracht (open source)'}."),
        ("1(b)", "Interaction with hardware or software, including other AI systems",
         "Reads record tables (Parquet) in the project's schemas; writes scores to a SQL store (SQLite or "
         "PostgreSQL) served by a FastAPI service and web pages; models live in an MLflow registry. It interacts "
         "with no other AI system."),
        ("1(c)", "Versions of relevant software and requirement to update",
         f"Source commit {facts.source_commit or 'not recorded'}; catalogue {td['catalogue_version']} "
         f"(hash {td['catalogue_hash']}); pinned dependencies in requirements.lock and with the logged model."),
        ("1(d)", "Forms in which the system is placed on the market or put into service",
         _mine("how the system is made available (on premises, hosted, by whom)")),
        ("1(e)", "Hardware on which the system is intended to run",
         _mine("the deployment's hardware; the system was measured on 2-core machines (BENCHMARKS.md)")),
        ("1(f)", "Photographs or illustrations of products of which the system is a component",
         "Not applicable: the system is software and not a component of a product."),
        ("1(g)", "Basic description of the user interface provided to the deployer",
         "An HTTP API (OpenAPI document at /openapi.json) and web pages under /ui: shortlist, company page with "
         "reason codes and waterfall, regional picture, fairness and drift reports, audit trail, model card."),
        ("1(h)", "Instructions for use for the deployer",
         "The model card's sections 'What a score means', 'Human oversight' and 'Limitations', and docs/service.md "
         "and docs/pages.md."),
        ("2", "A detailed description of the elements of the AI system and of the process for its development", ""),
        ("2(a)", "Methods and steps performed for development",
         "Indicators from a versioned catalogue, computed point-in-time; LightGBM trained on yearly folds, early "
         "stopping and calibration on a later validation fold, evaluation on a still later test fold; baselines "
         "(red-flag checklist, logistic regression) on the same folds. No pre-trained model or third-party tool "
         "makes predictions."),
        ("2(b)", "Design specifications, general logic, key design choices, what the system optimises",
         f"{text.TECHNICAL_OPERATION['en']} The model optimises binary log-loss; hyperparameters {hyper}. Depth is "
         f"capped because explanation cost grows with depth. {text.TRADE_OFFS['en']}"),
        ("2(c)", "System architecture and computational resources",
         "Batch pipeline (features, training, scoring, audits) and a service reading a store; MLflow for runs and "
         "the registry. Computational figures are in BENCHMARKS.md."),
        ("2(d)", "Data requirements: datasheets, provenance, scope, labelling, cleaning",
         f"{text.DATA_SOURCES['en']} {text.LABEL_SOURCE['en']} Training as-of dates {', '.join(td['train_as_of'])}; "
         f"validation {td['validation_as_of']}; test {td['test_as_of']}; horizon {td['horizon_months']} months; "
         f"input fingerprint {td['input_fingerprint']}. Folds: {folds}. Rows that fail their schema are "
         "quarantined with their reason (docs/data.md)."),
        ("2(e)", "Assessment of human oversight measures (Article 14)", text.HUMAN_INTERVENTION["en"]),
        ("2(f)", "Pre-determined changes to the system and its performance",
         f"Retraining produces a new version that replaces the champion only through the gates: {gates}; or "
         "through a recorded override by a named oversight officer."),
        ("2(g)", "Validation and testing procedures, metrics, test logs",
         f"{performance_line(card, 'en')} All metrics, plots and the evaluation set are logged with training run "
         f"{facts.run_id}; the automated test suite (make test) checks the pipeline end to end."),
        ("2(h)", "Cybersecurity measures",
         "API keys hashed at rest, role checks, region scopes, purpose binding, rate limits, a strict content "
         "security policy, a hash-chained audit trail (docs/service.md)."),
        ("3", "Monitoring, functioning and control", ""),
        ("3a", "Capabilities and limitations in performance, accuracy for specific groups",
         " ".join(x["en"] for x in text.LIMITATIONS) + f" Fairness audit: {fair.get('summary') or 'none stored'}."),
        ("3b", "Foreseeable unintended outcomes and sources of risk to fundamental rights and discrimination",
         f"{' '.join(x['en'] for x in text.LABEL_BIASES)} Indicators flagged as possible proxies: {proxies}."),
        ("3c", "Human oversight measures and technical measures to ease interpretation",
         "Exact SHAP contributions with every score, reason codes in Dutch and English, peer medians on the "
         "company page; see 2(e)."),
        ("3d", "Specifications on input data", "The record schemas in features/schemas.py (docs/data.md)."),
        ("4", "Appropriateness of the performance metrics",
         "Analysts work a fixed number of companies per region, so precision and recall of each region's top k "
         "are the headline metrics, beside PR-AUC (the positive class is rare) and the Brier score for "
         "calibration; measured against labels and, on synthetic data, against ground truth, because labels are "
         "biased."),
        ("5", "Risk management system (Article 9)", text.RISK_MANAGEMENT["en"]),
        ("6", "Relevant changes through the lifecycle", history or "none recorded"),
        ("7", "Harmonised standards applied, or other solutions adopted",
         _mine("the harmonised standards or common specifications applied, or the solutions adopted instead")),
        ("8", "Copy of the EU declaration of conformity (Article 47)",
         _mine("the EU declaration of conformity, drawn up by the provider")),
        ("9", "Post-market monitoring plan (Article 72)",
         "The drift monitor (tegenkracht monitor) compares production with this version's drift baseline "
         f"({card['drift_baseline'].get('rows', 0)} rows at {card['drift_baseline'].get('as_of', '')}), including "
         "the shortlist's make-up by group and a label-free performance estimate; `tegenkracht audit` repeats the "
         "fairness audit on production scores. " + _mine("who runs these checks, how often, and who acts on them")),
    ]  # fmt: skip
    return [
        {"point": p, "title": t, "content": c, "generated": bool(c) and not text.is_todo(c), "heading": not c}
        for p, t, c in rows
    ]


def build(facts: Facts, card: dict[str, Any], deployer: Deployer) -> dict[str, Any]:
    """The technical documentation as data."""
    return {"schema": SCHEMA, "model": card["model"], "sections": sections(facts, card, deployer)}
