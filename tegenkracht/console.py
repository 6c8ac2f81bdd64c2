"""Logging and progress on stderr, so stdout stays clean for data and ``--json`` output."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from core import settings

stderr = Console(stderr=True)
stdout = Console(soft_wrap=True)

# Exit codes of every verb: 0 success, 1 the job ran but found problems (quarantined rows, a refused promotion),
# 2 bad input or usage.
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2


def emit(payload: dict[str, Any], as_json: bool, title: str) -> None:
    """Print a verb's result: JSON for machines, a two-column table (one level of nesting flattened) for people."""
    if as_json:
        stdout.print_json(json.dumps(payload, default=str))
        return
    from rich.table import Table

    table = Table(title=title, show_header=True)
    table.add_column("item")
    table.add_column("value", justify="right")
    for key, value in payload.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}.{sub}", str(v))
        else:
            table.add_row(key, str(value))
    stdout.print(table)


def setup_logging(level: str | None = None) -> None:
    """Route all logging to stderr; idempotent so tests and the CLI can both call it."""
    root = logging.getLogger()
    if any(isinstance(h, RichHandler) for h in root.handlers):
        return
    handler = RichHandler(console=stderr, show_path=False, rich_tracebacks=False)
    logging.basicConfig(level=level or settings.LOG_LEVEL, format="%(message)s", handlers=[handler])


@contextmanager
def steps(total: int, title: str) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps; yields a callback that marks the next step as started."""
    if not settings.PROGRESS:
        yield lambda name: logging.getLogger("tegenkracht").info("%s: %s", title, name)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr, transient=False) as progress:
        task = progress.add_task(title, total=total)
        started = [False]

        def advance(name: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=f"{title}: {name}")

        yield advance
        progress.update(task, completed=total, description=f"{title}: done")
