"""The service's verbs: ``serve``, ``users``, ``audit-log`` and ``feedback``, plus loading scores into the store.

Each verb is a thin shell over :mod:`serving`; the MLproject entry points and ``demo`` call the same functions.
Every change to users, every export and every prune is itself written to the audit trail.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core import settings
from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, emit, setup_logging, stderr, steps

if TYPE_CHECKING:
    from models.risk import RiskModel

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
users_app = typer.Typer(help="Users, roles, regions and API keys of the service.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail: verify, list, prune.", no_args_is_help=True)
feedback_app = typer.Typer(help="Analysts' outcomes: export them as labelled cases for retraining.",
                           no_args_is_help=True)  # fmt: skip
retention_app = typer.Typer(help="What the store keeps and for how long: show the periods, prune.",
                             no_args_is_help=True)  # fmt: skip
rectifications_app = typer.Typer(help="Companies' corrections of disputed facts: export the accepted ones.",
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


def registry_models() -> Callable[[str], RiskModel]:
    """Models by version from the registry, each loaded once: what a load needs to split changes exactly."""
    found: dict[str, RiskModel] = {}

    def model_for(version: str) -> RiskModel:
        if version not in found:
            from training.registry import load, resolve  # MLflow: only a load that compares batches pays

            found[version] = load(resolve(version))
        return found[version]

    return model_for


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
                model_for=registry_models(),
            )
        done = {"batch_id": loaded.batch_id, "rows": loaded.rows, "previous_batch_id": loaded.previous_id}
        audit_cli(store, "score --load", {**done, "alerts": loaded.alerts})
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
    trusted = settings.FORWARDED_ALLOW_IPS.strip()
    uvicorn.run(
        "serving.api.asgi:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        server_header=False,
        # X-Forwarded-Proto/-For only from the configured proxy: anyone else claiming TLS would get Secure
        # cookies and HSTS decided on their word, and could pose as another address to the rate limits
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[str, typer.Option(help="analyst, data_scientist, oversight or admin.")],
    region: Annotated[list[str] | None, typer.Option(help="RIEC region (analysts; repeat for several).")] = None,
    days: Annotated[int | None, typer.Option(min=1, max=366, help="Key lifetime in days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user and print their API key, once: it is stored only as a hash.

    An operator with the store at hand makes any role in one step (recorded as role ``system``); through the API
    an admin's new analyst waits for a second person (`users approve`).
    """
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
    """Issue a further key for a user (rotation: hand it over, then revoke the old one with `users revoke-key`)."""
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


@users_app.command("revoke-key")
def users_revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's public id (the part after tk_; `users keys NAME`).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke one key and leave its user enabled with their other keys: the last step of a rotation."""
    from serving.access import AccessError, revoke_key

    setup_logging()
    store = _store()
    try:
        done = revoke_key(store, key_id.strip())
    except AccessError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    audit_cli(store, "users revoke-key", {"key_id": done["key_id"], "name": done["name"]})
    emit(done, as_json, "revoked key")


@users_app.command("keys")
def users_keys(
    name: Annotated[str, typer.Argument(help="The user whose keys to list.")],
    as_json: JsonOption = False,
) -> None:
    """A user's keys by public id, with when each expires and whether it was revoked (never a secret)."""
    from serving.access import AccessError, list_keys

    setup_logging()
    try:
        found = list_keys(_store(), name)
    except AccessError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    if as_json:
        emit({"keys": found}, True, "keys")
        return
    for k in found:
        state = "live" if k["live"] else ("revoked" if k["revoked_at"] else "expired")
        typer.echo(f"{k['key_id']}  {state:<8} expires {str(k['expires_at'])[:10]}")


@users_app.command("grants")
def users_grants(
    pending: Annotated[bool, typer.Option("--pending", help="Only those waiting for approval.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Requests for new analysts and wider regions, with who asked and who approved them."""
    from serving.access import list_grants

    setup_logging()
    found = list_grants(_store(), pending)
    if as_json:
        emit({"grants": found}, True, "grants")
        return
    for g in found:
        regions = ", ".join(g["regions"])  # type: ignore[arg-type]
        decided = f"by {g['decided_by']}" if g["decided_by"] else ""
        typer.echo(f"{g['id']:>5} {g['kind']:<8} {g['name']:<24} {g['state']:<9} asked by {g['requested_by']} "
                   f"{decided}  {regions}")  # fmt: skip


@users_app.command("approve")
def users_approve(
    grant_id: Annotated[int, typer.Argument(min=1, help="The grant to approve (`users grants --pending`).")],
    key_env: Annotated[
        str, typer.Option(help="Environment variable holding your own API key (else you are asked for it).")
    ] = "TEGENKRACHT_APPROVER_KEY",
    as_json: JsonOption = False,
) -> None:
    """Approve an admin's request for a new analyst or wider regions, as the second person.

    You prove who you are with your own key (oversight or admin, not the requester's): a shell on the server
    alone is no second person. The approval is written to the audit trail under your name and key id.
    """
    import os

    from serving.access import AccessError, ApprovalError, approve, authenticate
    from serving.auditlog import Entry, append

    setup_logging()
    key = os.environ.get(key_env, "").strip() or typer.prompt("your API key", hide_input=True).strip()
    store = _store()
    who = authenticate(store, key)
    if who is None:
        stderr.print("[red]error:[/red] that API key is unknown, expired or revoked")
        raise typer.Exit(EXIT_BAD_INPUT)
    entry = Entry(user=who.name, role=who.role.value, key_id=who.key_id, method="CLI", endpoint="users approve",
                  params={"grant_id": grant_id, "operator": _operator()})  # fmt: skip
    try:
        done = approve(store, grant_id, who)
    except AccessError as exc:
        entry.status = exc.status if isinstance(exc, ApprovalError) else 404
        append(store, entry)
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    entry.status = 200
    entry.params.update({"name": done["name"], "kind": done["kind"], "regions": done["regions"],
                         "requested_by": done["requested_by"]})  # fmt: skip
    append(store, entry)
    emit(done, as_json, "approved")


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
        str | None,
        typer.Option(
            help="A head kept elsewhere: the file (or JSON) that `audit-log head` wrote, or SEQ:HASH as printed "
            "before. The chain must still hold it; an exported head must carry the audit key's signature."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Walk the chain and check every record's MAC; exit 1 and name the first bad record.

    Finds records edited, inserted, deleted or written without the audit key, forged prunes and prunes below the
    legal minimum. An older head put back with the tail cut needs --expect: export heads with `audit-log head`.
    """
    from serving.auditlog import ExpectError, parse_expect, verify

    setup_logging()
    try:
        kept = parse_expect(expect) if expect is not None else None
    except ExpectError as exc:
        stderr.print(f"[red]error:[/red] --expect: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    result = verify(_store(), kept)
    emit(result.as_dict(), as_json, "audit trail")
    if not result.ok:
        stderr.print(f"[red]audit trail broken at record {result.first_bad_seq}:[/red] {result.reason}")
        raise typer.Exit(EXIT_PROBLEMS)


@audit_app.command("head")
def audit_head(
    out: Annotated[Path | None, typer.Option(help="Also write the signed head to this file (atomically).")] = None,
) -> None:
    """Export the chain's head, signed with the audit key, for oversight to keep outside the service.

    Kept elsewhere (a ticket, a letter, another system) and passed back with `verify --expect FILE`, it shows
    whether anyone cut the trail back to an older state since: the one change the key cannot reveal by itself.
    """
    from core.io import atomic_file
    from serving.auditlog import ChainError, signed_head

    setup_logging()
    store = _store()
    try:
        head = signed_head(store)
    except ChainError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_PROBLEMS) from exc
    audit_cli(store, "audit-log head", {"seq": head["seq"]})
    text = json.dumps(head, indent=2)
    if out is not None:
        with atomic_file(out) as tmp:
            tmp.write_text(text + "\n")
    typer.echo(text)


@audit_app.command("rotate-key")
def audit_rotate_key() -> None:
    """Add a new audit key to the key file; it signs from now on, and the old keys stay to verify what they signed."""
    from serving.auditkey import AuditKeyError, rotate

    setup_logging()
    store = _store()
    try:
        key_id = rotate()
    except AuditKeyError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    audit_cli(store, "audit-log rotate-key", {"signer": key_id})
    typer.echo(f"audit key {key_id} signs from now on; keep the file's older keys to verify older records")


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


@retention_app.command("show")
def retention_show(as_json: JsonOption = False) -> None:
    """Each kind of record's retention period, from when it counts and its legal reason (docs/retention.md)."""
    from serving.retention import RetentionError, check

    try:
        found = check()
    except RetentionError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    emit({"periods": [vars(p) for p in found]}, as_json, "retention")


@retention_app.command("prune")
def retention_prune(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be removed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove batches, shortlists, watches, alerts and feedback past their periods; never the served batch.

    The audit record naming what will go is written before anything is removed, so no prune goes unrecorded.
    """
    from serving.retention import RetentionError, prune

    setup_logging()
    store = _store()
    try:
        planned = prune(store, dry_run=True)
        if dry_run:
            emit(planned, as_json, "retention")
            return
        audit_cli(store, "retention prune", {"planned": planned["removed"], "cut_off": planned["cut_off"]})
        done = prune(store)
        audit_cli(store, "retention pruned", {"removed": done["removed"]})
    except RetentionError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    finally:
        store.dispose()
    emit(done, as_json, "retention")


@rectifications_app.command("export")
def rectifications_export(
    out: Annotated[Path, typer.Option(help="Parquet file of accepted corrections to write (atomically).")],
    include_exported: Annotated[bool, typer.Option("--all", help="Also corrections exported before.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Accepted corrections of disputed facts, for the next indicator run (`tegenkracht features --corrections`).

    Only rectifications a second analyst accepted are exported; pending and rejected ones never are.
    """
    from serving.rectification import export

    setup_logging()
    store = _store()
    if out.is_dir():
        stderr.print(f"[red]error:[/red] --out {out} is a folder; give a file name")
        raise typer.Exit(EXIT_BAD_INPUT)
    summary = export(store, out, include_exported)
    audit_cli(store, "rectifications export", summary)
    emit(summary, as_json, "rectifications")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option(help="Parquet file of labelled cases to write (atomically).")],
    include_exported: Annotated[bool, typer.Option("--all", help="Also feedback exported before.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Turn analysts' outcomes into labelled cases: confirmed → 1, dismissed → 0.

    Inconclusive outcomes, outcomes no second analyst has confirmed (TEGENKRACHT_FEEDBACK_REVIEW) and companies
    with conflicting outcomes are left out and counted, never guessed.
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
    if summary["inconclusive_left_out"] or summary["conflicting_companies_left_out"] or summary["unconfirmed_left_out"]:
        stderr.print(
            f"[yellow]left out: {summary['inconclusive_left_out']} inconclusive, "
            f"{summary['unconfirmed_left_out']} not confirmed by a second analyst, "
            f"{len(summary['conflicting_companies_left_out'])} companies with conflicting outcomes[/yellow]"
        )
