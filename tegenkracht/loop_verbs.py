"""The ``simulate`` verb: the learning loop on a synthetic world, one or several policies side by side.

The verb parses and checks its options and calls ``tegenkracht.simulation``; the MLproject entry point calls this
verb. Imports of the product sit inside the verb, so ``tegenkracht --help`` stays quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from core import settings
from tegenkracht.console import EXIT_BAD_INPUT, emit, setup_logging, stderr, steps

WORLD = settings.DATA_DIR / "world"


def simulate(
    data: Annotated[Path, typer.Option(help="A synthetic world (with truth/): `tegenkracht synth`.")] = WORLD,
    policy: Annotated[
        list[str] | None,
        typer.Option(help="greedy-naive, greedy-ipw, explore-ipw or explore10-ipw (repeat to compare)."),
    ] = None,
    rounds: Annotated[int, typer.Option(min=1, max=40, help="Rounds, six months apart.")] = 10,
    start: Annotated[str, typer.Option(help="As-of day of the first round.")] = "2019-06-30",
    k: Annotated[int, typer.Option(min=1, max=2000, help="Shortlist capacity per RIEC region.")] = 100,
    world_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of the world's own investigations kept after the start.")
    ] = 0.5,
    urn_keep: Annotated[
        float | None,
        typer.Option(min=0.01, max=1.0, help="The urn test: keep this share of half the municipalities' past cases."),
    ] = None,
    horizon_months: Annotated[int, typer.Option(min=3, max=36, help="Label horizon of the loop's folds.")] = 12,
    min_validation_positives: Annotated[
        int, typer.Option(min=1, help="Known positives a validation fold needs to calibrate on.")
    ] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the draws, the partners and the models.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for rounds.json, rounds.csv and the plot.")] = settings.VAR_DIR
    / "simulation",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run the learning loop round after round: score, list, investigate, learn, gate. Logs to MLflow."""
    setup_logging()
    from synth.partners import NoTruthError
    from tegenkracht.simulation import LoopConfig
    from training.labels import LabelError

    names = policy or ["explore-ipw"]
    try:
        configs = [
            LoopConfig(
                policy=p,
                rounds=rounds,
                start=start,
                k=k,
                world_share=world_share,
                urn_keep=urn_keep,
                seed=seed,
                horizon_months=horizon_months,
                min_validation_positives=min_validation_positives,
            )
            for p in names
        ]
        runs = _run(data, configs)
    except (NoTruthError, LabelError, ValueError, FileNotFoundError) as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    summary = _write(runs, out)
    emit(summary, as_json, "simulation")


def _run(data: Path, configs: list[Any]) -> dict[str, Any]:
    """Each policy in its own MLflow run, one step per round, with a progress bar over all rounds."""
    import mlflow

    from core.tracking import start_run
    from tegenkracht.simulation import EXPERIMENT, rounds_table, simulate

    if not (data / "cases.parquet").exists():
        raise FileNotFoundError(f"{data} holds no cases.parquet: run `tegenkracht synth` first")
    runs: dict[str, Any] = {}
    with steps(sum(c.rounds for c in configs), "simulate") as step:
        for cfg in configs:
            with start_run(EXPERIMENT, f"simulate {cfg.policy} seed {cfg.seed}"):
                mlflow.log_params({**cfg.params(), "records_dir": str(data.resolve())})
                reports = simulate(data, cfg, step)
                table = rounds_table({cfg.policy: reports})
                for _, row in table.iterrows():
                    metrics = {c: float(row[c]) for c in METRICS if row[c] is not None and row[c] == row[c]}
                    mlflow.log_metrics(metrics, step=int(row["round"]))
                runs[cfg.policy] = reports
    return runs


METRICS = ("oracle_ratio", "precision_truth", "true_positives", "confirmed", "explored", "labels_feedback",
           "feedback_share", "urn_share", "seconds")  # fmt: skip


def _write(runs: dict[str, Any], out: Path) -> dict[str, Any]:
    """rounds.json (with the groups' shares), rounds.csv and learning_loop.png, written together or not at all."""
    from dataclasses import asdict

    from core.io import atomic_files
    from tegenkracht.simulation import plot, rounds_table

    table = rounds_table(runs)
    with atomic_files(out, ["rounds.csv", "learning_loop.png", "rounds.json"]) as tmp:  # rounds.json marks the set
        table.to_csv(tmp["rounds.csv"], index=False)
        plot(table, tmp["learning_loop.png"])
        payload = {p: [asdict(r) for r in rs] for p, rs in runs.items()}
        tmp["rounds.json"].write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    last = table.sort_values("round").groupby("policy").tail(1).set_index("policy")
    return {
        "out": str(out),
        "policies": {
            p: {
                "oracle_ratio_last_round": round(float(last.loc[p, "oracle_ratio"]), 3),
                "true_positives_total": int(table.loc[table["policy"] == p, "true_positives"].sum()),
            }
            for p in last.index
        },
    }
