"""Concurrency that a database race would break, tried with processes (each its own engine), on both backends.

A lock inside one process cannot show a race between processes: the server's workers, a `score --load` and a
`users add` each open the store on their own. So these tests start processes and check the outcome afterwards.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from serving import auditlog
from serving.auditlog import Entry, append
from serving.batches import load_batch
from serving.store import Store, open_store
from serving.store.tables import Batch

from .world import Snapshot


def _load(url: str, scores: str, indicators: str, world: str, root: str, worker: int) -> None:
    store = open_store(url, migrate=False)
    loaded = load_batch(store, Path(scores), Path(indicators), Path(world), root=Path(root))
    append(store, Entry(user=f"loader{worker}", role="system", method="CLI", endpoint="score --load",
                        params={"batch": loaded.batch_id}, status=0))  # fmt: skip
    store.dispose()


def test_concurrent_batch_loads_leave_exactly_one_current_and_a_chain_that_verifies(
    store: Store, snapshot: Snapshot, tmp_path: Path
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    args = (str(snapshot.scores), str(snapshot.indicators), str(snapshot.world), str(tmp_path / "batches"))
    context = multiprocessing.get_context("fork")
    loaders = [context.Process(target=_load, args=(url, *args, w)) for w in range(3)]
    for p in loaders:
        p.start()
    for p in loaders:
        p.join(240)
        assert p.exitcode == 0
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 3
        current = list(s.scalars(select(Batch).where(Batch.current.is_(True))))
    assert len(current) == 1 and Path(current[0].folder).is_dir()
    result = auditlog.verify(store)
    assert result.ok and result.checked == 3, result
