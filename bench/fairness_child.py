"""One measurement of the fairness audit and the drift monitor at one size (run by bench_fairness.py).

The frames have the shapes of production: one row per company with score, probability, base value, 38 SHAP
columns and 38 indicators, labels, truth and the investigation flag, and group membership with the synthetic
world's group mix (4 sensitive attributes, 2 intersections, region and sector). Values are random: the cost of
the audit and the monitor depends on rows, columns and groups, not on what the scores mean.

Timed: the audit (shortlist against labels and against truth, the investigations behind the labels, 1,000
bootstrap draws each, and the exact score-gap decomposition) and the monitor (indicator PSI and KS, score and
explanation drift, shortlist composition by group with intervals, the label-free estimate, its JSON and HTML)
against a 100,000-row reference. Evidently's report and the proxy checks run on fixed-size samples, so they are
timed apart. Anchor: reading the same rows from Parquet in the same process.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fairness.groups import INTERSECTIONS, intersection_name
from fairness.monitor import run_monitor
from fairness.run import Decision, _proxies, audit_frame
from features.catalogue import FEATURES

REGIONS = [f"RIEC {i}" for i in range(10)]
SECTIONS = list("ABCDEFGHIJKLMNQRS")
MIX = {
    "migration_background": (["none", "western", "non_western"], [0.74, 0.10, 0.16]),
    "gender": (["male", "female"], [0.64, 0.36]),
    "age_group": (["<30", "30-44", "45-59", "60+"], [0.07, 0.38, 0.44, 0.11]),
    "neighbourhood_ses": (["low", "middle", "high"], [0.25, 0.5, 0.25]),
}


def frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scores, indicators and groups for ``n`` companies."""
    rng = np.random.default_rng(seed)
    ids = pd.Series([f"{i:08d}" for i in range(n)])
    contrib = rng.normal(0.0, 0.3, (n, len(FEATURES))).astype(np.float64)
    score = contrib.sum(axis=1) - 6.5
    scores = pd.DataFrame({"company_id": ids, "score": score, "probability": 1 / (1 + np.exp(-score))})
    scores = pd.concat([scores, pd.DataFrame(contrib, columns=[f"shap__{f}" for f in FEATURES])], axis=1)
    scores["label"] = (rng.random(n) < 0.0015).astype(np.float64)
    scores["truth"] = (rng.random(n) < 0.012).astype(np.float64)
    scores["investigated"] = (rng.random(n) < 0.01).astype(np.float64)
    x = rng.normal(0.0, 1.0, (n, len(FEATURES)))
    x[rng.random((n, len(FEATURES))) < 0.05] = np.nan
    features = pd.DataFrame(x, columns=list(FEATURES))
    groups = pd.DataFrame({"company_id": ids})
    for name, (values, p) in MIX.items():
        groups[name] = rng.choice(values, n, p=p)
    for a, b in INTERSECTIONS:
        groups[intersection_name(a, b)] = groups[a] + "+" + groups[b]
    groups["riec_region"] = rng.choice(REGIONS, n)
    groups["sbi_section"] = rng.choice(SECTIONS, n)
    features.insert(0, "company_id", ids)
    features.insert(1, "riec_region", groups["riec_region"])
    features.insert(2, "sbi_section", groups["sbi_section"])
    return scores, features, groups


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    """argv: number of companies."""
    n = int(sys.argv[1])
    tmp = Path(tempfile.mkdtemp())
    scores, features, groups = frames(n, 1)
    ref_scores, ref_features, ref_groups = frames(100_000, 2)
    reference = ref_features.merge(ref_scores.drop(columns=["label", "truth", "investigated"]), on="company_id")
    current = features.merge(scores.drop(columns=["label", "truth", "investigated"]), on="company_id")
    t0 = time.perf_counter()
    report = audit_frame(scores, groups, Decision(top_k=100))
    t1 = time.perf_counter()
    result = run_monitor(
        reference,
        current,
        groups_reference=ref_groups,
        groups_current=groups,
        top_k=100,
        out_dir=tmp / "monitor",
        evidently=False,
        log_to_mlflow=False,
    )
    t2 = time.perf_counter()
    peak = _peak()
    run_monitor(reference, current, top_k=100, out_dir=tmp / "evidently", evidently=True, log_to_mlflow=False)
    t3 = time.perf_counter()
    data = pd.concat([scores, groups.drop(columns=["company_id"])], axis=1)
    proxy = _proxies(data, features, lambda f: f[list(FEATURES)].to_numpy().sum(axis=1), Decision(100), 30)
    t4 = time.perf_counter()
    scores.to_parquet(tmp / "scores.parquet")
    features.to_parquet(tmp / "features.parquet")
    t5 = time.perf_counter()
    pd.read_parquet(tmp / "scores.parquet")
    pd.read_parquet(tmp / "features.parquet")
    anchor = time.perf_counter() - t5
    print(
        json.dumps(
            {
                "rows": n,
                "audit_s": t1 - t0,
                "monitor_s": t2 - t1,
                "total_s": t2 - t0,
                "monitor_with_evidently_s": t3 - t2,
                "proxies_s": t4 - t3,
                "anchor_read_s": anchor,
                "peak_gib": peak,
                "groups_audited": len(report.observed.groups),
                "monitor_alert": bool(result.alert),
                "counterfactuals": len(proxy.get("counterfactual", [])),
            }
        )
    )


if __name__ == "__main__":
    main()
