"""Real crashes: `synth`, `features` and `import` SIGKILLed mid-write leave the previous output, and the next run
cleans up after them.

Each test makes an earlier output, runs the CLI verb in a fresh process with ``TEGENKRACHT_CRASH_AT`` (the
fault-injection point in ``core.io``), which kills it with SIGKILL once the new output is staged in full and
fsynced but not yet renamed into place: the last moment at which a crash could still lose the previous output,
with the most written to lose. The previous output must be byte for byte what it was, the dead run's staging
must be there (so the kill really came mid-write), and the next run must succeed and leave nothing of the dead
one behind. Earlier outputs are made in-process and the world is tiny: each test pays for two process starts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from core.io import CRASH_AT, file_sha256
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, read_metadata, write_indicators
from features.validation import validate_records
from synth import WorldConfig, generate_world
from tegenkracht.cli import app

pytestmark = pytest.mark.slow  # each starts the CLI twice: `make test` runs them, `make test-fast` does not
ROOT = Path(__file__).resolve().parents[2]
FTM = Path(__file__).parent / "fixtures" / "register.ijson"
TINY = WorldConfig(n_companies=500, seed=5)  # the smallest world the CLI accepts


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "world"
    generate_world(TINY, out)
    return out


def checksums(path: Path) -> dict[str, str]:
    """Every file under ``path`` (or ``path`` itself) with its SHA-256: "byte-identical", checked cheaply."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p.relative_to(path.parent)): file_sha256(p) for p in files}


def hidden(folder: Path) -> list[str]:
    """What a writer stages or parks (``core.io`` names them with a leading dot)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def tegenkracht(args: list[str], crash_at: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process, as an operator runs it; killed at ``crash_at`` when given."""
    environment = {**os.environ, "TEGENKRACHT_PROGRESS": "0", **env}
    environment.pop(CRASH_AT, None)
    if crash_at:
        environment[CRASH_AT] = crash_at
    cmd = [sys.executable, "-m", "tegenkracht", *args]
    return subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False)


def killed(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]


def test_synth_killed_mid_write_leaves_the_previous_world(tiny_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "world"
    shutil.copytree(tiny_world, out)
    before = checksums(out)
    args = ["synth", "--out", str(out), "--companies", "500", "--seed", "6", "--json"]

    killed(tegenkracht(args, crash_at="dir.staged:world"))
    assert checksums(out) == before
    [staging] = hidden(tmp_path)
    assert json.loads((tmp_path / staging / "manifest.json").read_text())["config"]["seed"] == 6, "staged in full"

    done = tegenkracht(args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert hidden(tmp_path) == [], "the dead run's staging is gone"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 6
    assert {name: meta["sha256"] for name, meta in manifest["files"].items()} == {
        name: file_sha256(out / name) for name in manifest["files"]
    }, "the new world is whole"


def test_features_killed_mid_write_leaves_the_previous_table_and_its_peers(tiny_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "indicators.parquet"
    when = pd.Timestamp("2022-12-31")
    frame, peers = compute_indicators(validate_records(tiny_world).tables, when)
    write_indicators(IndicatorTable(frame, peers, when, input_fingerprint(tiny_world)), out)
    before = checksums(out) | checksums(tmp_path / "indicators.peers.parquet")
    args = ["features", "--data", str(tiny_world), "--as-of", "2023-12-31", "--out", str(out), "--no-track"]

    killed(tegenkracht(args, crash_at="files.staged:indicators.parquet"))
    assert checksums(out) | checksums(tmp_path / "indicators.peers.parquet") == before, "the pair, both unchanged"
    assert len(hidden(tmp_path)) == 2, "the new table and its peers were staged"

    done = tegenkracht(args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert hidden(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indicators.parquet", "indicators.peers.parquet"]
    assert read_metadata(out)["as_of"] == "2023-12-31"


def test_an_import_killed_mid_write_leaves_the_previous_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = {"TEGENKRACHT_PSEUDONYM_KEY": "test-pseudonym-key"}
    for name, value in key.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "imported"
    first = CliRunner().invoke(app, ["import", "ftm", str(FTM), "--out", str(out), "--json"])
    assert first.exit_code == 1, first.output  # the fixture's bad lines are reported: exit 1, the rest imported
    before = checksums(out)
    assert "imported/quarantine.parquet" in before, "the validation of the import is part of what must survive"
    args = ["import", "ftm", str(FTM), "--out", str(out), "--sensitive", "--json"]

    killed(tegenkracht(args, crash_at="dir.staged:imported", **key))
    assert checksums(out) == before
    [staging] = hidden(tmp_path)
    assert (tmp_path / staging / "sensitive").is_dir(), "the new import was staged"

    done = tegenkracht(args, **key)
    assert done.returncode == 1, done.stderr[-3000:]
    assert hidden(tmp_path) == []
    assert (out / "sensitive").is_dir() and (out / "quarantine.parquet").is_file()
