"""Experiment: each known cause of unfairness switched on alone, and one mitigation, measured end to end.

Usage: ``python bench/fairness_channels.py [--companies 200000] [--seed 11]``. For each world (no channel, the
label channel, the proxy channel; same seed) it runs synth -> indicators -> train (which audits its test fold)
and prints the headline disparities of the non-western and low-SES groups against labels and against ground
truth, the audit of the investigations behind the labels, the proxy that carries the group and its share of the
score gap. Then it retrains on the proxy world without that proxy (the mitigation) and reports the disparity and
the precision against ground truth before and after. Results go to ``bench/results/fairness_channels.json``.
Not a speed benchmark: it is the measurement behind the claims in ``docs/fairness.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import RESULTS, WORLDS

WORLDS_CONFIG = {"no channel": (0.0, 1.0), "label channel": (0.0, 3.0), "proxy channel": (1.0, 1.0)}
GROUPS = (("migration_background", "non_western"), ("neighbourhood_ses", "low"))


def _row(table: Any, attribute: str, group: str) -> dict[str, Any]:
    t = table[(table.attribute_name == attribute) & (table.attribute_value == group)]
    return t.iloc[0].to_dict()


def summarise(result: Any) -> dict[str, Any]:
    """The figures a reader of docs/fairness.md needs from one training run's audit."""
    rep = result.fairness
    out: dict[str, Any] = {
        "audit_passed": rep.passed,
        "labels_passed": rep.labels_passed,
        "summary": rep.summary(),
        "pr_auc_truth": result.results["model.truth"]["pr_auc"],
        "precision_at_100_truth": result.results["model.truth"]["precision_at_100"],
        "groups": {},
    }
    for attribute, group in GROUPS:
        obs, tru = _row(rep.observed.groups, attribute, group), _row(rep.truth.groups, attribute, group)
        inv = _row(rep.investigations.groups, attribute, group)
        gap = next(g for g in rep.proxies["score_gap"] if g["attribute"] == attribute and g["group"] == group)
        pred = next(p for p in rep.proxies["predictability"] if p["attribute"] == attribute and p["group"] == group)
        out["groups"][f"{attribute}={group}"] = {
            "selection_disparity": [obs["pprev_disparity"], obs["pprev_disparity_lower"], obs["pprev_disparity_upper"]],
            "selection_status": obs["pprev_status"],
            "fpr_disparity_truth": tru["fpr_disparity"],
            "precision_disparity_labels": obs["precision_disparity"],
            "precision_disparity_truth": tru["precision_disparity"],
            "prevalence_disparity_labels": obs["prev_disparity"],
            "prevalence_disparity_truth": tru["prev_disparity"],
            "investigation_fpr_disparity": [
                inv["fpr_disparity"],
                inv["fpr_disparity_lower"],
                inv["fpr_disparity_upper"],
            ],
            "investigation_status": inv["fpr_status"],
            "predictability_auc": pred["auc"],
            "top_carrier": pred["top_indicators"][0]["indicator"],
            "score_gap": gap["gap"],
            "score_gap_explained": gap["explained"],
            "top_gap_indicator": gap["contributions"][0],
        }
    return out


def main() -> None:
    """Run the three worlds and the mitigation; print and store the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    from core import settings
    from synth import WorldConfig, generate_world
    from training.fit import Hyperparameters
    from training.run import train

    results: dict[str, Any] = {"companies": args.companies, "seed": args.seed, "worlds": {}}
    for name, (segregation, bias) in WORLDS_CONFIG.items():
        world = WORLDS / f"channel-{args.companies}-{args.seed}-{segregation}-{bias}"
        if not (world / "manifest.json").exists():
            cfg = WorldConfig(n_companies=args.companies, seed=args.seed, segregation=segregation, label_bias=bias)
            generate_world(cfg, world)
        settings.VAR_DIR = (WORLDS / f"var-{world.name}").resolve()
        settings.MLFLOW_TRACKING_URI = f"sqlite:///{settings.VAR_DIR / 'mlflow.db'}"
        results["worlds"][name] = summarise(train(world, register=False))
        if name == "proxy channel":
            proxy = results["worlds"][name]["groups"]["migration_background=non_western"]["top_carrier"]
            mitigated = train(world, hp=Hyperparameters(exclude=(proxy,)), register=False)
            results["worlds"][f"proxy channel without {proxy}"] = summarise(mitigated)
        print(json.dumps({name: results["worlds"][name]}, indent=1, default=str), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fairness_channels.json").write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
