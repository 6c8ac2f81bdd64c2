"""Atomic files and folders (``core.io``): a reader sees the old version or the new one, even after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import io


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_folder_is_replaced_whole_and_a_failure_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with io.atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("one")
    with pytest.raises(RuntimeError), io.atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("crash half-way")
    assert (target / "a.txt").read_text() == "one" and _visible(tmp_path) == ["out"]
    assert list(tmp_path.iterdir()) == [target], "no temporary folder left behind"
    with io.atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("three")
    assert _visible(target) == ["b.txt"], "the old folder's files are gone with it"


def test_a_folder_can_replace_a_file(tmp_path: Path) -> None:
    target = tmp_path / "scores"
    target.write_text("a file, as one machine wrote it")
    with io.atomic_dir(target) as tmp:
        (tmp / "part-0.parquet").write_text("x")
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


POLLING_READER = """
import os, sys, time
target, stop = sys.argv[1], sys.argv[2]
polls = missing = torn = retired = 0
while not os.path.exists(stop):
    polls += 1
    try:
        fd = os.open(target, os.O_RDONLY)  # one version, whatever is renamed meanwhile
    except FileNotFoundError:
        missing += 1
        continue
    try:
        seen = []
        for name in ("a", "b"):
            f = os.open(name, os.O_RDONLY, dir_fd=fd)
            seen.append(os.read(f, 64))
            os.close(f)
        torn += seen[0] != seen[1]
    except FileNotFoundError:  # the version this poll opened was replaced and removed meanwhile: no mix
        retired += 1
    finally:
        os.close(fd)
print(polls, missing, torn, retired)
"""


def test_a_reader_polling_the_folder_never_finds_it_missing_or_torn(tmp_path: Path) -> None:
    """Where the kernel swaps two paths in one step (here), another process never finds the folder absent or mixed.

    The reader runs in its own process, so it really runs between the writer's steps (a thread would wait on the
    writer's interpreter lock); it opens the folder once per poll and reads both files through that handle, so it
    sees one version whole or a mix of two. A reader still inside a version when the next write removes it finds
    its files gone (counted, not a failure): a folder replaced by path is consistent per lookup, not per reader.
    """
    target = tmp_path / "world"
    with io.atomic_dir(target) as tmp:
        for name in ("a", "b"):
            (tmp / name).write_text("0")
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    if not io._exchange(tmp_path / "p", tmp_path / "q"):
        pytest.skip("this file system cannot swap two paths in one step")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", POLLING_READER, str(target), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        for i in range(300):
            with io.atomic_dir(target) as tmp:
                for name in ("a", "b"):
                    (tmp / name).write_text(str(i))
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    polls, missing, torn, _retired = map(int, out.split())
    assert polls > 300, "the reader polled throughout"
    assert (missing, torn) == (0, 0)
    assert (target / "a").read_text() == "299"


def test_without_the_exchange_two_renames_still_leave_a_whole_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(io, "_RENAMEAT2", None)
    target = tmp_path / "out"
    for text in ("one", "two"):
        with io.atomic_dir(target) as tmp:
            (tmp / "a.txt").write_text(text)
    assert (target / "a.txt").read_text() == "two" and list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fsynced descriptor through /proc")
def test_files_folders_and_the_parent_are_fsynced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durability is a property of calls nobody sees fail, so the test watches them: what is fsynced, and when."""
    target = tmp_path / "new" / "out"
    synced: list[tuple[str, bool]] = []  # (path, whether the target held the new version at that moment)
    real = os.fsync

    def spy(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        synced.append((path, (target / "sub" / "b").exists()))
        real(fd)

    monkeypatch.setattr(io.os, "fsync", spy)
    with io.atomic_dir(target) as tmp:
        (tmp / "a").write_text("a")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b").write_text("b")
    staged = [p for p, _ in synced if ".out.tmp-" in p]
    names = {Path(p).name for p in staged}
    assert {"a", "b", "sub"} <= names and any(Path(p).name.startswith(".out.tmp-") for p in staged)
    assert (str(tmp_path / "new"), True) in synced, "the parent, after the swap"
    assert (str(tmp_path), False) in synced, "the folder that had to be made, in its own parent"
    synced.clear()
    io.write_text_atomic(tmp_path / "new" / "f.txt", "x")
    assert [Path(p).name.startswith(".f.txt.") for p, _ in synced] == [True, False]
    assert synced[-1][0] == str(tmp_path / "new"), "the folder, after the rename"


def test_files_that_belong_together_are_renamed_in_order_and_an_optional_one_can_drop_out(tmp_path: Path) -> None:
    names = ["evidently.html", "monitor.html", "monitor.json"]
    with io.atomic_files(tmp_path, names) as tmp:
        for name in names:
            tmp[name].write_text(name)
        names.remove("evidently.html")  # could not be made: it is neither renamed nor left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.html", "monitor.json"]
    assert (tmp_path / "monitor.json").stat().st_mtime_ns >= (tmp_path / "monitor.html").stat().st_mtime_ns
    assert oct((tmp_path / "monitor.json").stat().st_mode & 0o777) == "0o644"


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from core import io
target = Path(sys.argv[1])
with io.atomic_{kind}(target) as tmp:
    path = tmp / "table.parquet" if "{kind}" == "dir" else tmp
    with open(path, "w") as handle:
        handle.write("half of the new ")
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_sigkill_while_writing_leaves_the_previous_output(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("out.txt" if kind == "file" else "out")
    if kind == "file":
        io.write_text_atomic(target, "the previous output")
    else:
        with io.atomic_dir(target) as tmp:
            (tmp / "table.parquet").write_text("the previous output")
    code = textwrap.dedent(KILLED_WRITER.replace("{kind}", kind))
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False, cwd=Path(__file__).parents[2])
    assert done.returncode == -signal.SIGKILL
    written = target if kind == "file" else target / "table.parquet"
    assert written.read_text() == "the previous output"
    assert _visible(tmp_path) == [target.name], "only hidden temporary siblings may remain, which no reader opens"
    assert all(p.name.startswith(".") for p in tmp_path.iterdir() if p != target)


CRASHING_WRITER = """
import sys
from pathlib import Path
from core import io
if sys.argv[3] == "no-exchange":
    io._RENAMEAT2 = None
target = Path(sys.argv[1])
if sys.argv[2] == "file":
    io.write_text_atomic(target, "the new output")
else:
    with io.atomic_dir(target) as tmp:
        (tmp / "table.parquet").write_text("the new output")
"""


@pytest.mark.parametrize(
    ("kind", "point", "exchange", "after"),
    [
        ("file", "files.staged", "exchange", "the previous output"),
        ("dir", "dir.staged", "exchange", "the previous output"),
        ("dir", "dir.swapped", "exchange", "the new output"),
        ("dir", "dir.half-swapped", "no-exchange", None),  # the target is missing: the two renames' instant
        ("dir", "dir.swapped", "no-exchange", "the new output"),
    ],
)
def test_a_writer_killed_at_each_point_leaves_a_whole_version_and_the_next_write_clears_up(
    tmp_path: Path, kind: str, point: str, exchange: str, after: str | None
) -> None:
    """``TEGENKRACHT_CRASH_AT`` kills a real writer at each named point; the next writer removes what it left.

    A writer killed between the fallback's two renames leaves the target missing and its old version parked; the
    next writer puts it back before it starts, so even a next write that fails leaves the previous output.
    """
    target = tmp_path / ("out.txt" if kind == "file" else "out")
    written = target if kind == "file" else target / "table.parquet"
    if kind == "file":
        io.write_text_atomic(target, "the previous output")
    else:
        with io.atomic_dir(target) as tmp:
            (tmp / "table.parquet").write_text("the previous output")
    env = {**os.environ, io.CRASH_AT: f"{point}:{target.name}"}
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(target), kind, exchange],
        check=False,
        cwd=Path(__file__).parents[2],
        env=env,
    )
    assert done.returncode == -signal.SIGKILL
    if after is None:
        assert not target.exists(), "killed between the two renames: the instant the fallback cannot avoid"
    else:
        assert written.read_text() == after
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")], "the dead writer left its staging behind"
    if kind == "file":
        io.write_text_atomic(target, "the next output")
    else:
        with pytest.raises(RuntimeError), io.atomic_dir(target):
            raise RuntimeError("the next write fails too")
        assert written.read_text() == (after or "the previous output")
        with io.atomic_dir(target) as tmp:
            (tmp / "table.parquet").write_text("the next output")
    assert written.read_text() == "the next output"
    assert list(tmp_path.iterdir()) == [target], "nothing of the dead writer is left"


def test_a_live_writers_staging_is_never_swept_and_a_dead_ones_is(tmp_path: Path) -> None:
    """Staging is removed only when its lock can be taken, which a living writer never allows."""
    target = tmp_path / "out"
    with io.atomic_dir(target) as tmp, io.atomic_file(tmp_path / "f.txt") as staged:
        staged.write_text("in progress")
        (tmp / "a").write_text("in progress")
        assert io.clear_stale(target) == [] and io.clear_stale(tmp_path / "f.txt") == []
        assert tmp.is_dir() and staged.exists()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / ".out.tmp-dead")],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert io.clear_stale(target) == [], "held by a living process"
    holder.kill()
    holder.wait()
    assert io.clear_stale(target) == [tmp_path / ".out.tmp-dead"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "out"]


HOLDER = """
import sys
from pathlib import Path
from core import io
with io.held(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_the_crash_hook_is_inert_unless_it_names_this_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(io.CRASH_AT, raising=False)
    io.crash_point("dir.staged", "out")
    monkeypatch.setenv(io.CRASH_AT, "dir.staged:other")
    io.crash_point("dir.staged", "out")
    io.crash_point("files.staged", "other")
