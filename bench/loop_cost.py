"""What one round of the simulated learning loop costs, at three register sizes, against its own retraining.

A round scores the register, draws every region's list, investigates, and retrains with its gates (the fairness
audit included). The anchor is the round's own retraining (``fit_risk_model`` on its folds), timed inside the same
round: the ratio says how much the loop's bookkeeping adds to the fit it cannot do without. The budget is two
minutes a round at 200,000 companies, so that ten rounds fit in twenty minutes. Round 0 also computes the
indicators of every historical fold (once per world); round 1 is the steady state and the figure reported.

    python bench/loop_cost.py --worlds /tmp/sim/w50,/tmp/sim/w100,/tmp/sim/w200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.io import atomic_file
from tegenkracht.simulation import LoopConfig, simulate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "loop_cost.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", required=True)
    args = parser.parse_args()
    os.environ.setdefault("TEGENKRACHT_PROGRESS", "0")
    out = []
    for world in [Path(w) for w in args.worlds.split(",")]:
        companies = json.loads((world / "manifest.json").read_text())["config"]["n_companies"]
        # few labels in a small world: the cost is what is measured here, not the quality
        reports = simulate(world, LoopConfig(policy="explore-ipw", rounds=2, min_validation_positives=5))
        steady = reports[1]
        row = {
            "companies": companies,
            "round0_seconds": round(reports[0].seconds, 1),
            "round1_seconds": round(steady.seconds, 1),
            "fit_seconds": round(steady.fit_seconds, 1),
            "ratio_to_fit": round(steady.seconds / steady.fit_seconds, 2),
            "budget_share_at_120s": round(steady.seconds / 120.0, 2),
        }
        print(json.dumps(row), flush=True)
        out.append(row)
    with atomic_file(RESULTS) as tmp:  # an interrupted run leaves the last complete results
        tmp.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
