"""The service's verbs: ``serve``, ``users``, ``audit-log`` and ``feedback``, plus loading scores into the store.

Each verb is a thin shell over :mod:`serving`; the MLproject entry points and ``demo`` call the same functions.
Every change to users, every export and every prune is itself written to the audit trail.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core import settings
from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, emit, setup_logging, stderr, steps

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
users_app = typer.Typer(help="Users, roles, regions and API keys of the service.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail: verify, list, prune.", no_args_is_help=True)
feedback_app = typer.Typer(help="Analysts' outcomes: export them as labelled cases for retraining.",
                           no_args_is_help=True)  # fmt: skip


def _store() -> Any:
    from serving.store.db import StoreError, open_store, safe_url

    try:
        return open_store()
    except StoreError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except Exception as exc:  # a bad URL or driver: say which store, never its password
        stderr.print(f"[red]error:[/red] cannot open the store at {safe_url(settings.DATABASE_URL)}: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def _operator() -> str:
    """Who ran a command, for the trail: the operating-system user."""
    import getpass

    return f"cli:{getpass.getuser()}"


def audit_cli(store: Any, action: str, params: dict[str, Any]) -> None:
    """CLI actions go into the trail too, as role ``system`` with the operating-system user."""
    from serving.auditlog import Entry, append

    append(store, Entry(user=_operator(), role="system", method="CLI", endpoint=action, params=params))


def run_load(
    scores: Path,
    features: Path,
    records: Path | None,
    fairness_dir: Path | None = None,
    drift_dir: Path | None = None,
) -> dict[str, Any]:
    """Load a score file into the store; reports default to where `audit` and `monitor` write them."""
    from serving.batches import LoadError, load_batch
    from serving.scoring import ScoringError

    store = _store()
    try:
        with steps(3, "load into the store") as step:
            loaded = load_batch(
                store,
                scores,
                features,
                records,
                fairness_dir or settings.VAR_DIR / "fairness" / scores.stem,
                drift_dir or settings.VAR_DIR / "monitoring" / features.stem,
                step,
            )
        audit_cli(store, "score --load", {"batch_id": loaded.batch_id, "rows": loaded.rows})
    except (LoadError, ScoringError, OSError) as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    finally:
        store.dispose()
    if loaded.unnamed:
        stderr.print(f"[yellow]{loaded.unnamed} companies have no name in the records[/yellow]")
    return loaded.as_dict()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = settings.API_HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = settings.API_PORT,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one per core).")] = (
        settings.API_WORKERS
    ),
) -> None:
    """Serve the API: shortlists, company signals, the regional picture, reports and the audit trail.

    Starts with the registry's @champion and the last loaded batch (`tegenkracht score --load`). Application
    logs carry method, route template, status and time, never keys, parameters or company data.
    """
    setup_logging()
    run_serve(host, port, workers)


def run_serve(host: str, port: int, workers: int = 1) -> None:
    """Shared by ``serve`` and ``demo``: check the store once here, then let each worker open its own."""
    import uvicorn

    _store().dispose()
    stderr.print(f"serving on http://{host}:{port} with {workers} worker(s)  (health: /health, API: /openapi.json)")
    uvicorn.run(
        "serving.api.asgi:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        server_header=False,
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[str, typer.Option(help="analyst, data_scientist, oversight or admin.")],
    region: Annotated[list[str] | None, typer.Option(help="RIEC region (analysts; repeat for several).")] = None,
    days: Annotated[int | None, typer.Option(min=1, max=366, help="Key lifetime in days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user and print their API key, once: it is stored only as a hash."""
    from serving.access import AccessError, Role, add_user

    setup_logging()
    try:
        chosen = Role(role)
    except ValueError as exc:
        stderr.print(f"[red]error:[/red] --role {role!r}: choose one of {[r.value for r in Role]}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    store = _store()
    try:
        made = add_user(store, name, chosen, region or [], days)
    except AccessError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    audit_cli(store, "users add", {"name": made.name, "role": made.role.value, "regions": list(made.regions)})
    if as_json:
        emit(made.as_dict(), True, "user")
        return
    stderr.print("[bold]Store this key now; it is not shown again.[/bold]")
    emit(made.as_dict(), False, "user")


@users_app.command("key")
def users_key(
    name: Annotated[str, typer.Argument(help="An existing, enabled user.")],
    days: Annotated[int | None, typer.Option(min=1, max=366, help="Key lifetime in days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a further key for a user (rotation: hand it over, then revoke the old ones with `users revoke`)."""
    from serving.access import AccessError, issue_key

    setup_logging()
    store = _store()
    try:
        made = issue_key(store, name, days)
    except AccessError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    audit_cli(store, "users key", {"name": name})
    emit(made.as_dict(), as_json, "key")


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    as_json: JsonOption = False,
) -> None:
    """Disable a user and revoke every key they hold, effective on their next request."""
    from serving.access import AccessError, revoke

    setup_logging()
    store = _store()
    try:
        count = revoke(store, name)
    except AccessError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    audit_cli(store, "users revoke", {"name": name, "keys": count})
    emit({"name": name, "revoked_keys": count}, as_json, "revoked")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """Every user with role, regions, state and number of live keys (never a key)."""
    from serving.access import list_users

    setup_logging()
    found = list_users(_store())
    if as_json:
        emit({"users": found}, True, "users")
        return
    for u in found:
        regions = ", ".join(u["regions"]) or "-"  # type: ignore[arg-type]
        state = "enabled" if u["enabled"] else "disabled"
        typer.echo(f"{u['name']:<24} {u['role']:<15} {state:<9} keys={u['live_keys']}  {regions}")


@audit_app.command("verify")
def audit_verify(
    expect: Annotated[
        str | None, typer.Option(help="A head kept elsewhere, SEQ:HASH (as printed before): the chain must hold it.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Walk the hash chain; exit 1 and name the first bad record if any was edited, inserted or deleted.

    Prints the head (head_seq, head_hash): keep it elsewhere (a ticket, a letter to oversight) and pass it back
    with --expect later, which also catches a cut tail or a chain rewritten from an edit onwards.
    """
    from serving.auditlog import verify

    setup_logging()
    kept = None
    if expect is not None:
        seq, _, digest = expect.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            stderr.print(f"[red]error:[/red] --expect {expect!r} is not SEQ:HASH (a number, a colon, 64 hex digits)")
            raise typer.Exit(EXIT_BAD_INPUT)
        kept = (int(seq), digest)
    result = verify(_store(), kept)
    emit(result.as_dict(), as_json, "audit trail")
    if not result.ok:
        stderr.print(f"[red]audit trail broken at record {result.first_bad_seq}:[/red] {result.reason}")
        raise typer.Exit(EXIT_PROBLEMS)


@audit_app.command("list")
def audit_list(
    page: Annotated[int, typer.Option(min=1, help="Page, newest first.")] = 1,
    size: Annotated[int, typer.Option(min=1, max=500, help="Records per page.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show the audit trail, newest first."""
    from serving.auditlog import page as audit_page

    setup_logging()
    records, total = audit_page(_store(), page, size)
    if as_json:
        emit({"page": page, "size": size, "total": total, "records": records}, True, "audit trail")
        return
    for r in records:
        typer.echo(
            f"{r['seq']:>7} {r['at']} {r['user']:<16} {r['role']:<14} {r['method']:<4} {r['endpoint']:<36} "
            f"{r['status']:>3} {r['purpose']} {r['case_reference']} {len(r['entity_ids'])} entities"
        )
    typer.echo(f"page {page} of {max(1, -(-total // size))} ({total} records)")


@audit_app.command("prune")
def audit_prune(
    days: Annotated[
        int | None, typer.Option(help="Keep this many days (default TEGENKRACHT_AUDIT_RETENTION_DAYS).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Drop records past the retention period, after verifying the chain; never below six months."""
    from serving.auditlog import RetentionError, prune

    setup_logging()
    try:
        summary = prune(_store(), days, by=_operator())
    except RetentionError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    emit(summary, as_json, "pruned")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option(help="Parquet file of labelled cases to write (atomically).")],
    include_exported: Annotated[bool, typer.Option("--all", help="Also feedback exported before.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Turn analysts' outcomes into labelled cases: confirmed → 1, dismissed → 0.

    Inconclusive outcomes and companies with conflicting outcomes are left out and counted, never guessed.
    """
    from serving.feedback import export

    setup_logging()
    store = _store()
    if out.is_dir():
        stderr.print(f"[red]error:[/red] --out {out} is a folder; give a file name")
        raise typer.Exit(EXIT_BAD_INPUT)
    summary = export(store, out, include_exported)
    audit_cli(store, "feedback export", {k: v for k, v in summary.items() if k != "conflicting_companies_left_out"})
    emit(summary, as_json, "feedback")
    if summary["inconclusive_left_out"] or summary["conflicting_companies_left_out"]:
        stderr.print(
            f"[yellow]left out: {summary['inconclusive_left_out']} inconclusive, "
            f"{len(summary['conflicting_companies_left_out'])} companies with conflicting outcomes[/yellow]"
        )
