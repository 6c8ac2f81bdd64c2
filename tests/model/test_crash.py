"""Real crashes: `score`, `score --load` and `promote` SIGKILLed mid-write, and loads that outlive the cleanup window.

The CLI runs in a fresh process and is killed with SIGKILL at a named point: the fault-injection points of
``core.io`` (``TEGENKRACHT_CRASH_AT``) for what goes through it, and for ``promote``, whose writes are MLflow's,
a wrapper that makes the registry's alias call kill the process instead. The previous output must survive byte
for byte (the champion, for ``promote``), what the dead run left must show that it was killed mid-write, and the
next run must succeed and leave nothing of the dead one behind. The next run is the same verb through Typer's
runner in this process: it only has to find the dead run's leftovers, and a second process start with MLflow
would cost the suite seconds per test for nothing.

A batch load holds a lock for as long as it runs (``serving.batches``): a load paused past the cleanup window
in another process is not cleared, and a killed one is cleared by the next load at once, whatever its age.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from core import settings
from core.io import CRASH_AT, file_sha256
from serving.batches import ABANDONED_AFTER, _clear_abandoned, current_batch, load_batch
from serving.scoring import reference_file
from serving.store import Store, open_store
from serving.store.tables import Batch, Signal
from tegenkracht.cli import app
from tests.service.world import Snapshot, build
from tests.shared import APPROVER, Trained
from training import registry as reg
from training.promotion import RUN_MARK, former_champion_run, promote

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WHY = "the crash test overrides: v2 has no fairness audit of its own"


@pytest.fixture(scope="module")
def snapshot(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The small world's indicators and scores from a quick model (no MLflow): what a batch load needs."""
    return build(small_world, tmp_path_factory.mktemp("snapshot"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.dispose()


def checksums(*paths: Path) -> dict[str, str]:
    """Every file of ``paths`` (files or folders) with its SHA-256."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): file_sha256(f) for f in files}


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def run(
    args: list[str], env: dict[str, str], crash_at: str | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI (or ``code`` that runs it) in a fresh process; killed at ``crash_at`` when given."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_") and k != CRASH_AT}
    environment |= {"TEGENKRACHT_PROGRESS": "0", **env}
    if crash_at:
        environment[CRASH_AT] = crash_at
    cmd = [sys.executable, *(["-c", code] if code else ["-m", "tegenkracht"]), *args]
    return subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False)


def killed(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]


def registry_env(tmp_path: Path) -> dict[str, str]:
    """The private registry copy the ``registry`` fixture points this process at, for a child process."""
    return {
        "TEGENKRACHT_MLFLOW_TRACKING_URI": settings.MLFLOW_TRACKING_URI,
        "TEGENKRACHT_VAR_DIR": str(settings.VAR_DIR),
        "TEGENKRACHT_OVERSIGHT_APPROVERS": APPROVER,
        "TEGENKRACHT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "TEGENKRACHT_STORE_DIR": str(tmp_path / "store"),
    }


def next_run(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verb again, in this process, with the settings :func:`registry_env` gives a child; it must succeed."""
    monkeypatch.delenv(CRASH_AT, raising=False)
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output[-3000:]


def test_score_killed_mid_write_leaves_the_previous_scores_and_reference(
    registry: Trained, snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scores.parquet"
    shutil.copy(snapshot.scores, out)
    shutil.copy(reference_file(snapshot.scores), reference_file(out))
    before = checksums(out, reference_file(out))
    args = ["score", "--features", str(snapshot.indicators), "--out", str(out), "--model", "2", "--json"]

    killed(run(args, registry_env(tmp_path), crash_at="files.staged:scores.parquet"))
    assert checksums(out, reference_file(out)) == before, "the scores and their reference, both unchanged"
    assert len(hidden(tmp_path)) == 2, "the new scores and reference were staged"

    next_run(args, tmp_path, monkeypatch)
    assert hidden(tmp_path) == []
    assert set(pd.read_parquet(out, columns=["model_version"]).model_version) == {"2"}


def _signals(store: Store, batch_id: int) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Signal).where(Signal.batch_id == batch_id)) or 0)


def _batches(store: Store) -> dict[int, str]:
    with store.session() as s:
        return {b.id: b.folder for b in s.scalars(select(Batch))}


def test_score_load_killed_mid_load_leaves_the_served_batch(
    registry: Trained, snapshot: Snapshot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed with its signals in the store but the batch not yet current (a load killed while its explanations
    were staged is the dead load of ``test_a_dead_load_is_cleared_at_once...``)."""
    root = tmp_path / "store"
    first = load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=root)
    before = checksums(first.folder)
    out = tmp_path / "rescored.parquet"
    args = ["score", "--features", str(snapshot.indicators), "--out", str(out), "--model", "2", "--load"]
    args += ["--records", str(snapshot.world), "--json"]

    killed(run(args, registry_env(tmp_path), crash_at="load.signals"))
    current = current_batch(store)
    assert current is not None and current.id == first.batch_id
    assert checksums(first.folder) == before and _signals(store, first.batch_id) == first.rows
    [dead] = [i for i, folder in _batches(store).items() if folder == ""]
    assert (root / f".batch-{dead}.loading").exists(), "the dead load's lock file, no longer held"
    assert (root / f"batch-{dead}").is_dir() and _signals(store, dead) == first.rows, "its signals were in"

    next_run(args, tmp_path, monkeypatch)
    loaded = current_batch(store)
    assert loaded is not None and loaded.id != first.batch_id
    assert _batches(store) == {first.batch_id: str(first.folder), loaded.id: loaded.folder}
    assert _signals(store, loaded.id) == first.rows
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Signal)) == 2 * first.rows, "no signal of the dead load"
    assert sorted(p.name for p in root.iterdir()) == sorted([first.folder.name, Path(loaded.folder).name])


KILLED_AT_THE_ALIAS = """
import os, signal, sys
from mlflow import MlflowClient

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

MlflowClient.set_registered_model_alias = killed  # the promotion's one write that moves the champion
from tegenkracht.cli import main
sys.argv = ["tegenkracht", *sys.argv[1:]]
main()
"""


def _champion() -> str | None:
    holder = reg.alias_version("champion")
    return None if holder is None else str(holder.version)


def test_promote_killed_before_the_alias_moves_leaves_the_champion(
    registry: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after its decision run and the version's marks, before the alias: the champion stays, and the marks
    it left grant nothing (their run never finished), until the next promotion replaces them with its own."""
    assert promote(version="1").via == "gates"
    champion_tags = dict(reg.resolve("1").tags)
    args = ["promote", "--version", "2", "--approver", APPROVER, "--justification", WHY, "--json"]

    killed(run(args, registry_env(tmp_path), code=KILLED_AT_THE_ALIAS))
    assert _champion() == "1"
    assert dict(reg.resolve("1").tags) == champion_tags, "a promotion never writes to the previous champion"
    dead_run = reg.resolve("2").tags[RUN_MARK]  # the marks were written: the kill came mid-promotion
    assert reg.client().get_run(dead_run).info.status == "RUNNING", "killed, so it never finished"
    assert former_champion_run(reg.resolve("2")) is None, "an unfinished run is no evidence of a champion"

    next_run(args, tmp_path, monkeypatch)
    assert _champion() == "2"
    v2 = reg.resolve("2")
    assert v2.tags[RUN_MARK] != dead_run and former_champion_run(v2) == v2.tags[RUN_MARK]


PAUSED_LOAD = """
import sys
from pathlib import Path
from serving import batches
from serving.store import open_store

url, scores, features, root = sys.argv[1:5]
insert = batches._insert_signals

def paused(*args, **kwargs):
    print("loading", flush=True)
    sys.stdin.readline()
    return insert(*args, **kwargs)

batches._insert_signals = paused  # a load as slow as the test likes: it goes on when told
loaded = batches.load_batch(open_store(url, migrate=False), Path(scores), Path(features), None, root=Path(root))
print("loaded", loaded.batch_id, flush=True)
"""


def _loader(store: Store, snapshot: Snapshot, root: Path, **env: str) -> subprocess.Popen[str]:
    """A real load in another process, which stops with its row written and its explanations on disk."""
    url = store.engine.url.render_as_string(hide_password=False)
    cmd = [sys.executable, "-c", PAUSED_LOAD, url, str(snapshot.scores), str(snapshot.indicators), str(root)]
    environment = {**os.environ, "TEGENKRACHT_PROGRESS": "0", **env}
    return subprocess.Popen(cmd, cwd=ROOT, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


@contextmanager
def paused_load(store: Store, snapshot: Snapshot, root: Path) -> Iterator[subprocess.Popen[str]]:
    loader = _loader(store, snapshot, root)
    try:
        assert loader.stdout is not None and loader.stdout.readline().strip() == "loading"
        yield loader
    finally:
        if loader.poll() is None:
            loader.kill()
        loader.communicate(timeout=60)


def _age(store: Store, batch_id: int, by: timedelta) -> None:
    with store.session() as s:
        started = pd.Timestamp.now(tz="UTC").to_pydatetime() - by
        s.execute(update(Batch).where(Batch.id == batch_id).values(loaded_at=started))


def test_a_load_running_past_the_cleanup_window_is_not_cleared(
    snapshot: Snapshot, store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    with paused_load(store, snapshot, root) as loader:
        [batch_id] = _batches(store)
        _age(store, batch_id, ABANDONED_AFTER + timedelta(hours=1))  # as if it had run for seven hours
        _clear_abandoned(store, root)  # what the next load, in this other process, does first
        assert _batches(store) == {batch_id: ""}, "still loading, so still there"
        assert (root / f"batch-{batch_id}").is_dir() and (root / f".batch-{batch_id}.loading").exists()
        assert loader.stdin is not None
        loader.stdin.write("\n")
        loader.stdin.flush()
        assert loader.wait(timeout=120) == 0
    current = current_batch(store)
    assert current is not None and current.id == batch_id and _signals(store, batch_id) > 0
    assert sorted(p.name for p in root.iterdir()) == [f"batch-{batch_id}"], "its lock file went with it"


def test_a_dead_load_is_cleared_at_once_and_an_unlocked_one_only_past_the_window(
    snapshot: Snapshot, store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    loader = _loader(store, snapshot, root, **{CRASH_AT: "dir.staged"})  # killed with its explanations staged
    loader.communicate(timeout=120)
    assert loader.returncode == -signal.SIGKILL
    [dead] = _batches(store)
    assert [n.split(".tmp-")[0] for n in hidden(root)] == [f".batch-{dead}.loading", f".batch-{dead}"]
    # Two unfinished rows without a lock file, as a load killed between its row and its lock leaves: only age
    # tells whether they are dead.
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    row = {"model_version": "1", "as_of": "2023-12-31", "catalogue_hash": "", "input_fingerprint": "", "rows": 0,
           "folder": "", "scores_sha256": "", "current": False}  # fmt: skip
    with store.session() as s:
        s.execute(insert(Batch), [{**row, "loaded_at": now - ABANDONED_AFTER * 2}, {**row, "loaded_at": now}])
    young = max(_batches(store))

    _clear_abandoned(store, root)  # the dead load is young: its free lock, not its age, says it is dead
    assert _batches(store) == {young: ""}, "the dead load and the old unlocked row are gone, the young one stays"
    assert list(root.iterdir()) == [], "its staged folder and its lock file went with it"
