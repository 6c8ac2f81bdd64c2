"""The learning loop over several worlds: which shortlist policy keeps finding, and which one runs away.

Every policy runs on the same worlds (200,000 companies, seeds 1, 2, 3) with the same seed of its draws, ten
rounds six months apart from 2019-06-30 (``tegenkracht.simulation``). The urn test runs the greedy and the
exploring policy once more on worlds whose past cases were thinned to a quarter in every other municipality:
equal true rates, unequal initial labels. Results go to ``bench/results/learning_loop.json`` (one line per run
as it finishes, so ``--resume`` picks up where an interrupted run stopped) and ``docs/img/learning-loop*.png``;
``--tables`` prints the Markdown tables of ``docs/learning-loop.md`` from the results.

    python bench/learning_loop.py --worlds /tmp/sim/w200,/tmp/sim/w200s2,/tmp/sim/w200s3   # about 80 minutes
    python bench/learning_loop.py --tables
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tegenkracht.simulation import LoopConfig, plot, simulate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "learning_loop.jsonl"
MAIN = ("greedy-naive", "greedy-ipw", "explore-ipw")
URN = ("greedy-naive", "explore-ipw")
URN_KEEP = 0.25


def runs(
    worlds: list[Path], rounds: int, urn_worlds: int, biased: Path | None = None
) -> list[tuple[str, Path, LoopConfig]]:
    """(kind, world, config) of every run, main comparison first, then the urn test, then the biased world."""
    out = [("main", w, LoopConfig(policy=p, rounds=rounds, seed=0)) for w in worlds for p in MAIN]
    out += [
        ("urn", w, LoopConfig(policy=p, rounds=rounds, seed=0, urn_keep=URN_KEEP))
        for w in worlds[:urn_worlds]
        for p in URN
    ]
    if biased is not None:
        out += [("bias3", biased, LoopConfig(policy=p, rounds=rounds, seed=0)) for p in URN]
    return out


def key(kind: str, world: Path, cfg: LoopConfig) -> str:
    return f"{kind}|{world.name}|{cfg.policy}|{cfg.rounds}"


def measure(worlds: list[Path], rounds: int, urn_worlds: int, resume: bool, biased: Path | None = None) -> None:
    done = set()
    if resume and RESULTS.exists():
        done = {json.loads(line)["key"] for line in RESULTS.read_text().splitlines() if line.strip()}
    elif RESULTS.exists():
        RESULTS.unlink()
    for kind, world, cfg in runs(worlds, rounds, urn_worlds, biased):
        k = key(kind, world, cfg)
        if k in done:
            continue
        began = time.perf_counter()
        reports = simulate(world, cfg)
        line = {"key": k, "kind": kind, "world": world.name, "policy": cfg.policy, "config": cfg.params(),
                "seconds": time.perf_counter() - began, "rounds": [asdict(r) for r in reports]}  # fmt: skip
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, default=str) + "\n")
        print(f"{k}: {line['seconds']:.0f} s, last oracle ratio {reports[-1].oracle_ratio:.3f}", flush=True)


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def table(lines: list[dict[str, Any]], kind: str) -> pd.DataFrame:
    frames = []
    for line in lines:
        if line["kind"] != kind:
            continue
        rows = pd.DataFrame(line["rounds"]).drop(columns=["groups", "gates"])
        frames.append(rows.assign(policy=line["policy"], world=line["world"]))
    return pd.concat(frames, ignore_index=True)


def tables() -> None:
    lines = load()
    disparity(lines, "main")
    disparity(lines, "bias3")
    main = table(lines, "main")
    last = main[main["round"] == main["round"].max()]
    tp = main.groupby(["policy", "world"])["true_positives"].sum().groupby("policy")
    ratio = last.groupby("policy")["oracle_ratio"]
    print("| policy | oracle ratio at k = 100, last round | true positives over all rounds | worlds |")
    print("|---|---|---|---|")
    for p in MAIN:
        if p in ratio.groups:
            r, t = ratio.get_group(p), tp.get_group(p)
            print(f"| {p} | {r.mean():.3f} ± {r.std():.3f} | {t.mean():.0f} ± {t.std():.0f} | {len(r)} |")
    print()
    per_round = main.groupby(["policy", "round"])["oracle_ratio"].mean().unstack(0)
    print("| round | " + " | ".join(per_round.columns) + " |")
    print("|---|" + "---|" * len(per_round.columns))
    for r, row in per_round.iterrows():
        print(f"| {r} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    seconds = main.groupby("policy")["seconds"].mean()
    print("\nseconds per round:", {p: round(float(s), 1) for p, s in seconds.items()})
    if any(line["kind"] == "urn" for line in lines):
        urn = table(lines, "urn")
        shares = urn.groupby(["policy", "round"])[["urn_share", "urn_truth_share"]].mean().unstack(0)
        print(
            "\n| round | "
            + " | ".join(f"{p} share of lists" for p in shares["urn_share"].columns)
            + " | share of truth |"
        )
        print("|---|" + "---|" * (len(shares["urn_share"].columns) + 1))
        truth_share = urn.groupby("round")["urn_truth_share"].mean()
        for r in shares.index:
            cells = [f"{shares['urn_share'][p][r]:.3f}" for p in shares["urn_share"].columns]
            print(f"| {r} | " + " | ".join(cells) + f" | {truth_share[r]:.3f} |")
        disparity(lines, "urn")
        trend = urn.groupby(["policy", "world"])[["round", "urn_share"]].apply(
            lambda g: np.polyfit(g["round"], g["urn_share"], 1)[0]
        )
        print("\nurn share slope per round:", trend.groupby("policy").mean().round(4).to_dict())


def disparity(lines: list[dict[str, Any]], kind: str, group: str = "migration_background=non_western") -> None:
    """The group's share of the lists over its share of the truly involved, per round and policy, and its trend."""
    rows = []
    for line in lines:
        if line["kind"] != kind:
            continue
        for r in line["rounds"]:
            g = r["groups"].get(group)
            if g and g["truth"]:
                rows.append({"policy": line["policy"], "world": line["world"], "round": r["round"],
                             "ratio": g["listed"] / g["truth"]})  # fmt: skip
    if not rows:
        return
    frame = pd.DataFrame(rows)
    per_round = frame.groupby(["policy", "round"])["ratio"].mean().unstack(0)
    print(f"\n{kind}: {group} share of lists / share of truth")
    print("| round | " + " | ".join(per_round.columns) + " |")
    print("|---|" + "---|" * len(per_round.columns))
    for r, row in per_round.iterrows():
        print(f"| {r} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    slope = frame.groupby(["policy", "world"])[["round", "ratio"]].apply(
        lambda g: np.polyfit(g["round"], g["ratio"], 1)[0]
    )
    print("slope per round:", slope.groupby("policy").mean().round(4).to_dict())


def plots() -> None:
    lines = load()
    for kind, name in (("main", "learning-loop.png"), ("urn", "learning-loop-urn.png")):
        if any(line["kind"] == kind for line in lines):
            plot(table(lines, kind), ROOT / "docs" / "img" / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", default="")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--urn-worlds", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--biased", default="", help="a world made with --label-bias 3: does disparity grow?")
    parser.add_argument("--tables", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TEGENKRACHT_PROGRESS", "0")
    if not args.tables:
        worlds = [Path(w) for w in args.worlds.split(",") if w]
        if not worlds:
            parser.error("--worlds is needed to measure")
        measure(worlds, args.rounds, args.urn_worlds, args.resume, Path(args.biased) if args.biased else None)
    plots()
    tables()


if __name__ == "__main__":
    main()
