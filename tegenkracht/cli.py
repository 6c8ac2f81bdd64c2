"""The ``tegenkracht`` command line: one verb per job, shared with the MLproject entry points.

Data goes to stdout (``--json`` for machines), logs and progress to stderr, and failures exit non-zero:
0 success, 1 the job ran but found problems (such as quarantined rows), 2 bad input or usage.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from core import settings
from core.telemetry import disable_telemetry
from tegenkracht import fairness_verbs, import_verbs, loop_verbs, model_verbs, service_verbs
from tegenkracht.cluster import PartitionsOption, SchedulerOption
from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, setup_logging, stderr
from tegenkracht.console import emit as _emit
from tegenkracht.jobs import run_features, run_features_dask, run_synth, run_validate

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Explainable risk signals against ondermijning. Every score is a signal for human review.",
)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the world to (replaced atomically).")] = settings.DATA_DIR
    / "world",
    companies: Annotated[int, typer.Option(min=500, help="Companies in the register.")] = settings.DEMO_COMPANIES,
    seed: Annotated[int, typer.Option(help="Root seed; same seed and options give the same bytes.")] = (
        settings.DEMO_SEED
    ),
    label_bias: Annotated[
        float,
        typer.Option(min=1.0, help="Investigation odds factor per unit of visibility (1.0 = unbiased labels)."),
    ] = 1.0,
    segregation: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="How strongly sensitive attributes cluster by neighbourhood and sector."),
    ] = 0.5,
    start: Annotated[int, typer.Option(help="First year of the observation window.")] = 2015,
    end: Annotated[int, typer.Option(help="Last year of the observation window.")] = 2025,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Generate a synthetic Dutch company register with ground truth (see docs/synthetic-world.md)."""
    setup_logging()
    from synth import WorldConfig

    try:
        cfg = WorldConfig(
            n_companies=companies,
            seed=seed,
            label_bias=label_bias,
            segregation=segregation,
            start_year=start,
            end_year=end,
        )
    except ValueError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    manifest = run_synth(cfg, out)
    rows = {name: meta["rows"] for name, meta in manifest["files"].items()}
    _emit({"out": str(out), "rows": rows}, as_json, "synthetic world")


@app.command()
def validate(
    data: Annotated[Path, typer.Argument(help="Folder with the record tables (Parquet).")],
    quarantine: Annotated[
        Path | None,
        typer.Option(help="Where to write rejected rows (.parquet or .csv). Default: DATA/quarantine.parquet."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the valid rows of every table here.")] = None,
    partitions: Annotated[
        int | None,
        typer.Option(min=1, help="With --out: write each table as this many part files, bucketed by company (Dask)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check every record table against its schema; bad rows go to quarantine with their reason.

    Exits 0 when every row is valid, 1 when rows were quarantined, 2 when a table is missing or unusable.
    """
    setup_logging()
    if partitions is not None and out is None:
        stderr.print("[red]error:[/red] --partitions needs --out: the valid rows are what gets partitioned")
        raise typer.Exit(EXIT_BAD_INPUT)
    report = run_validate(data, quarantine, out, partitions)
    counts = report.quarantined_rows()
    _emit(
        {
            "rows_in": report.rows_in,
            "quarantined": counts,
            "quarantine_file": str(quarantine or data / "quarantine.parquet"),
        },
        as_json,
        "validation",
    )
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def features(
    data: Annotated[Path, typer.Option(help="Folder with the record tables (Parquet).")],
    as_of: Annotated[str, typer.Option(help="Point in time, YYYY-MM-DD: only what was known then is used.")],
    out: Annotated[Path, typer.Option(help="Indicator table to write (Parquet); peers go next to it.")],
    peers: Annotated[
        Path | None,
        typer.Option(help="Frozen peer statistics to compare against (e.g. the training run's *.peers.parquet)."),
    ] = None,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow (catalogue version, input fingerprint).")] = True,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    corrections: Annotated[
        Path | None,
        typer.Option(help="Accepted corrections of disputed facts (`tegenkracht rectifications export`)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Build the indicator table: one row per company active on the as-of date (see docs/indicators.md).

    Bad record rows are quarantined next to the output and the rest go on; a missing table exits 2. With
    --scheduler the work runs on Dask (docs/scaling.md) and --out becomes a folder of part files; the records
    must then be valid already (`tegenkracht validate --out`), and a bad row exits 2.
    """
    setup_logging()
    if scheduler and corrections is not None:
        stderr.print("[red]error:[/red] --corrections applies on one machine only, not with --scheduler")
        raise typer.Exit(EXIT_BAD_INPUT)
    if scheduler:
        meta = run_features_dask(data, as_of, out, peers, track, scheduler, partitions)
    elif partitions is not None:
        stderr.print("[red]error:[/red] --partitions only applies with --scheduler")
        raise typer.Exit(EXIT_BAD_INPUT)
    else:
        meta = run_features(data, as_of, out, peers, track, corrections)
    _emit(meta, as_json, "indicators")


@app.command()
def demo(
    companies: Annotated[int, typer.Option(min=500, help="Size of the demo world.")] = settings.DEMO_COMPANIES,
    serve: Annotated[bool, typer.Option(help="End by serving the API (stop it with Ctrl-C).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run the main job end to end on embedded defaults, ending by serving the API.

    World, validation, indicators, training with its fairness audit, promotion through every gate (never an
    override), the champion's transparency documents, scoring with the champion, a production fairness audit,
    drift monitoring, loading the scores into the store, one demo key per role (printed), then the API on
    127.0.0.1:8000.
    """
    setup_logging()
    from synth import WorldConfig
    from synth.checklist import difficulty

    world = settings.DATA_DIR / "demo"
    cfg = WorldConfig(n_companies=companies, seed=settings.DEMO_SEED)
    run_synth(cfg, world)
    report = run_validate(world, None, None)
    diff = difficulty(world, f"{cfg.end_year}-12-31")
    as_of, earlier = f"{cfg.end_year - 2}-12-31", f"{cfg.end_year - 2}-06-30"
    indicators = run_features(world, as_of, settings.VAR_DIR / "indicators" / f"demo-{as_of}.parquet", None, True)
    before = run_features(world, earlier, settings.VAR_DIR / "indicators" / f"demo-{earlier}.parquet", None, True)
    trained = model_verbs.run_train(world, None, None, None, 24, {"seed": cfg.seed})
    decision = _promote_honestly(str(trained.version))
    documents = model_verbs.run_model_card("champion", None, settings.DEPLOYER_FILE, None, "nl")
    scores = model_verbs.run_score(
        Path(indicators["out"]), settings.VAR_DIR / "scores" / f"demo-{as_of}.parquet", "champion", 100_000, []
    )
    scores_before = model_verbs.run_score(
        Path(before["out"]), settings.VAR_DIR / "scores" / f"demo-{earlier}.parquet", "champion", 100_000, []
    )
    fairness = fairness_verbs.run_audit(
        Path(scores["out"]), world, None, None, Path(indicators["out"]), 24, None, log_mlflow=True
    )
    drift = fairness_verbs.run_monitor_verb(
        "champion", Path(indicators["out"]), Path(scores["out"]), None, world, settings.FAIRNESS_TOP_K, None, True, True
    )
    payload = {
        "world": str(world),
        "rows": report.rows_in,
        "quarantined_rows": sum(report.quarantined_rows().values()),
        "prevalence_active": round(diff.prevalence, 4),
        "checklist_precision_top_0.5pct": round(diff.checklist, 3),
        "oracle_precision_top_0.5pct": round(diff.oracle, 3),
        "indicators": indicators["out"],
        "indicator_rows": indicators["rows"],
        "catalogue_version": indicators["catalogue_version"],
        **trained.headline(),
        "champion": f"v{decision.version} via {decision.via}",
        "fairness_gate": next(g.detail for g in decision.gates if g.name == "fairness"),
        "transparency_documents": documents["out"],
        "scores": scores["out"],
        "scored_rows": scores["rows"],
        "production_audit": fairness["summary"],
        "fairness_report": fairness["reports"].get("nl", ""),
        "drift_alerts": len(drift["alerts"]),
        "drift_report": drift["report"],
        "loaded_before": service_verbs.run_load(Path(scores_before["out"]), Path(before["out"]), world),
    }
    keys = _demo_keys()
    payload["followed"] = _demo_follow(Path(scores_before["out"]), Path(scores["out"]), Path(indicators["out"]))
    payload["loaded"] = service_verbs.run_load(Path(scores["out"]), Path(indicators["out"]), world)
    _emit({**payload, "demo_keys": keys} if as_json else payload, as_json, "demo")
    if not as_json:
        _print_keys(keys)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)
    if serve:
        service_verbs.run_serve(settings.API_HOST, settings.API_PORT, settings.API_WORKERS)


def _print_keys(keys: dict[str, str]) -> None:
    """The demo's keys in full, one per line, with a first request to try (a table would cut them short)."""
    typer.echo("\nDemo API keys (valid 30 days; analysts see Noord-Nederland, Oost-Nederland, Midden-Nederland):")
    for role, key in keys.items():
        typer.echo(f"  {role:<15} {key}")
    typer.echo(
        f"\nTry: curl -s -X POST http://{settings.API_HOST}:{settings.API_PORT}/v1/shortlists "
        f"-H 'Authorization: Bearer {keys['analyst']}' -H 'Content-Type: application/json' "
        """-d '{"region": "Noord-Nederland", "top_k": 10, "purpose": "riec_case", "case_reference": "DEMO-0001"}'"""
    )
    typer.echo(
        f"Or open http://{settings.API_HOST}:{settings.API_PORT}/ui in a browser and sign in with a key "
        "(the analyst's for shortlists, oversight's for fairness, drift and the audit trail).\n"
    )


def _demo_keys() -> dict[str, str]:
    """One key per role for the demo's users (a new key on every demo run; the users are kept)."""
    from core.reference import RIEC_REGIONS
    from serving.access import AccessError, Role, add_user, issue_key
    from serving.store import open_store

    store = open_store()
    keys = {}
    for role in Role:
        name = f"demo-{role.value}"
        regions = list(RIEC_REGIONS[:3]) if role is Role.ANALYST else []
        try:
            keys[role.value] = add_user(store, name, role, regions, 30).api_key
            service_verbs.audit_cli(store, "users add", {"name": name, "role": role.value, "regions": regions})
        except AccessError:
            keys[role.value] = issue_key(store, name, 30).api_key
            service_verbs.audit_cli(store, "users key", {"name": name})
    store.dispose()
    return keys


app.command()(model_verbs.train)
app.command()(model_verbs.evaluate)
app.command()(model_verbs.promote)
app.command("model-card")(model_verbs.model_card)
app.command()(model_verbs.score)
app.command()(fairness_verbs.audit)
app.command()(loop_verbs.simulate)
app.command()(fairness_verbs.monitor)
app.command()(service_verbs.serve)
app.add_typer(service_verbs.users_app, name="users")
app.add_typer(service_verbs.audit_app, name="audit-log")
app.add_typer(service_verbs.feedback_app, name="feedback")
app.add_typer(service_verbs.rectifications_app, name="rectifications")
app.add_typer(service_verbs.retention_app, name="retention")
app.add_typer(import_verbs.import_app, name="import")


def _demo_follow(before: Path, now: Path, indicators: Path, per_region: int = 10) -> int:
    """The demo analyst follows, in each of their regions, the companies whose signal rose most between the dates.

    Chosen from the two score files before the second is loaded, so that the demo's inbox shows alerts as soon as
    it starts; a real analyst follows companies for a case. Audited like every change.
    """
    import pandas as pd

    from core.reference import RIEC_REGIONS
    from serving import watches
    from serving.access import principal_named
    from serving.store import open_store

    rose = (
        pd.read_parquet(now, columns=["company_id", "probability"])
        .merge(
            pd.read_parquet(before, columns=["company_id", "probability"]), on="company_id", suffixes=("", "_before")
        )
        .merge(pd.read_parquet(indicators, columns=["company_id", "riec_region"]), on="company_id")
    )
    rose["rise"] = rose["probability"] - rose["probability_before"]
    chosen = rose[rose["riec_region"].isin(RIEC_REGIONS[:3])].sort_values(
        ["rise", "company_id"], ascending=[False, True]
    )
    picked = chosen.groupby("riec_region", observed=True).head(per_region)["company_id"].astype(str).tolist()
    store = open_store()
    try:
        who = principal_named(store, "demo-analyst")
        made = 0
        for company in picked:
            try:
                watches.follow(store, who, company, "riec_case", "DEMO-0001")
                made += 1
            except watches.WatchError:
                continue  # followed already, by an earlier demo run
        service_verbs.audit_cli(store, "demo follow", {"watches": made, "case_reference": "DEMO-0001"})
    finally:
        store.dispose()
    return made


def _promote_honestly(version: str) -> Any:
    """Promote the demo's model through the gates, never by override; a refusal ends the demo with its reasons."""
    from training.promotion import promote

    decision = promote("@challenger")
    if not decision.promoted:
        for g in decision.failed():
            stderr.print(f"[red]gate {g.name} failed:[/red] {g.detail}")
        stderr.print(f"[red]the demo's model v{version} was refused; no champion, nothing is scored[/red]")
        raise typer.Exit(EXIT_PROBLEMS)
    return decision


def main() -> None:
    """Console-script entry point: telemetry off before any verb can load MLflow or Evidently."""
    disable_telemetry()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
