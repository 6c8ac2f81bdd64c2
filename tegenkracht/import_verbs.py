"""The ``import`` verbs: FollowTheMoney entity streams and mapped CSV register extracts into record tables.

Both write a folder the rest of the pipeline reads unchanged, then validate it exactly as ``tegenkracht validate``
does. Exit 0 when everything was imported and valid, 1 when lines or rows were reported or quarantined (the rest
is imported), 2 when the input cannot be imported at all.

Imports of the product and of heavy libraries sit inside the verbs, each verb loading only what it needs: start-up
time, so that ``tegenkracht --help`` and a quick verb answer in well under a second. ``tests/code/test_layers.py``
still reads them, so none of them can hide an upward import or a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tegenkracht.console import EXIT_BAD_INPUT, EXIT_PROBLEMS, emit, setup_logging, stderr, steps
from tegenkracht.jobs import run_validate

import_app = typer.Typer(no_args_is_help=True, help="Import real data into the record tables (docs/data.md).")
OutOption = Annotated[Path, typer.Option(help="Folder to write the record tables to (replaced atomically).")]
PlacesOption = Annotated[
    Path | None,
    typer.Option(help="CSV of municipalities (name,code,riec_region); default: the list the synthetic world uses."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@import_app.command("ftm")
def ftm(
    file: Annotated[Path, typer.Argument(help="FtM entity stream: one JSON entity per line (.ijson, .jsonl).")],
    out: OutOption,
    sensitive: Annotated[
        bool, typer.Option(help="Also write Person nationality, ethnicity, religion, … to OUT/sensitive/ (audits).")
    ] = False,
    default_owner_jurisdiction: Annotated[
        str | None, typer.Option(help="ISO code for owners that give no country (e.g. NL); default: none, reported.")
    ] = None,
    municipalities: PlacesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a FollowTheMoney entity stream: companies, persons (pseudonymised), officers, ownerships, addresses."""
    setup_logging()
    from features.importers.ftm import Options, read_ftm

    seat = default_owner_jurisdiction.upper() if default_owner_jurisdiction else None
    if seat is not None and (len(seat) != 2 or not seat.isalpha()):
        _refuse(f"--default-owner-jurisdiction must be a two-letter ISO code, not {default_owner_jurisdiction!r}")
    options = Options(sensitive=sensitive, default_owner_jurisdiction=seat)
    _finish(lambda p, m: read_ftm(file, p, m, options), out, municipalities, as_json, f"FtM import of {file.name}")


@import_app.command("csv")
def csv(
    files: Annotated[list[Path], typer.Argument(help="The extract's CSV files.")],
    mapping: Annotated[Path, typer.Option(help="YAML mapping of files and columns to the record tables.")],
    out: OutOption,
    municipalities: PlacesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import register extracts (CSV) through a column mapping; values that cannot be typed are quarantined."""
    setup_logging()
    from features.importers.csv_mapping import load_mapping, read_csv
    from features.importers.records import RecordsImportError

    try:
        parsed = load_mapping(mapping)
    except RecordsImportError as exc:
        _refuse(str(exc))
    _finish(lambda p, m: read_csv(files, parsed, p, m), out, municipalities, as_json, "CSV import")


def _refuse(message: str) -> None:
    stderr.print(f"[red]error:[/red] {message}")
    raise typer.Exit(EXIT_BAD_INPUT)


def _finish(read: Any, out: Path, places: Path | None, as_json: bool, title: str) -> None:
    """Read, write, validate, report; shared by both import verbs (and their MLproject entry point)."""
    payload = run_import(read, out, places)
    emit(payload, as_json, title)
    if payload["import_problems"] or any(payload["quarantined"].values()):
        raise typer.Exit(EXIT_PROBLEMS)


def run_import(read: Any, out: Path, places: Path | None) -> dict[str, Any]:
    """The importer, the atomic write, then the same validation as ``tegenkracht validate``."""
    from features.importers.records import RecordsImportError, default_jurisdictions, write
    from features.importers.reference import municipalities, pseudonymiser

    try:
        with steps(2, "import") as step:
            step("read and map")
            imported = read(pseudonymiser(), municipalities(places))
            step("write")
            rows = write(imported, out, default_jurisdictions())
    except (RecordsImportError, ValueError) as exc:
        _refuse(str(exc))
    report = run_validate(out, None, None)
    summary = imported.report.as_dict()
    return {
        "out": str(out),
        "rows": rows,
        "import_problems": summary["problems"],
        "problems_by_reason": summary["problems_by_reason"],
        "unmapped": summary["unmapped"],
        "skipped": summary["skipped"],
        "notes": summary["notes"],
        "quarantined": report.quarantined_rows(),
        "import_report": str(out / "import_report.json"),
        "import_quarantine": str(out / "import_quarantine.parquet"),
        "quarantine": str(out / "quarantine.parquet"),
    }
