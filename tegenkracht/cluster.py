"""Where the Dask work runs: ``--scheduler ADDRESS`` joins a running cluster, ``local:N`` starts N worker processes.

One function for the three verbs that scale out (``features``, ``score``, ``monitor``), so they accept the same
spellings and give the same errors. A local cluster lives exactly as long as the verb and has no dashboard: a
command must not leave processes or open ports behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from core import settings

if TYPE_CHECKING:
    from distributed import Client

SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Run on Dask: a scheduler address (tcp://host:8786) or local:N for N local worker processes."),
]
PartitionsOption = Annotated[
    int | None, typer.Option(min=1, help="With --scheduler: partitions (default: 2 per worker, ≤250k companies each).")
]
log = logging.getLogger(__name__)
LOCAL = re.compile(r"^local:(\d+)$")


class SchedulerError(ValueError):
    """The ``--scheduler`` value names no cluster this command can use."""


def parse(spec: str) -> int | str:
    """The number of local workers for ``local:N``, else the scheduler address as given."""
    m = LOCAL.match(spec.strip())
    if m:
        workers = int(m.group(1))
        if not 1 <= workers <= 256:
            raise SchedulerError(f"--scheduler {spec!r}: a local cluster needs 1 to 256 workers")
        return workers
    if "://" not in spec and not re.match(r"^[\w.-]+:\d+$", spec.strip()):
        raise SchedulerError(
            f"--scheduler {spec!r} is neither local:N nor a scheduler address such as tcp://10.0.0.5:8786"
        )
    return spec.strip()


@contextmanager
def connect(spec: str, memory_limit: str = "auto") -> Iterator[Client]:
    """A client for the cluster ``spec`` names; a local cluster is closed again on the way out."""
    from distributed import Client, LocalCluster

    target = parse(spec)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # a local cluster logs every start and stop
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # p2p shuffles warn at each start
    if isinstance(target, int):
        with (
            LocalCluster(
                n_workers=target,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=memory_limit,
                security=settings.DASK_LOCAL_TLS or None,  # temporary TLS: no other account can join or read
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    if target.startswith("tcp://"):
        log.warning("--scheduler %s: records travel unencrypted; use tls:// with Dask's TLS settings", target)
    try:
        client = Client(target, timeout="20s")
    except (OSError, ValueError, TimeoutError) as exc:
        raise SchedulerError(f"--scheduler {spec!r}: no Dask scheduler answered ({exc})") from exc
    with client:
        yield client
