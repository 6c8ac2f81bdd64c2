"""Atomic files and folders (``core.io``): a reader sees the old version or the new one, even after SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
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


def test_the_folder_is_never_missing_while_it_is_replaced(tmp_path: Path) -> None:
    """Where the kernel swaps two paths in one step (here), a reader polling the target never finds it absent."""
    target = tmp_path / "world"
    with io.atomic_dir(target) as tmp:
        (tmp / "v").write_text("0")
    probe = tmp_path / "probe"
    probe.mkdir()
    (tmp_path / "other").mkdir()
    if not io._exchange(probe, tmp_path / "other"):
        pytest.skip("this file system cannot swap two paths in one step")
    missing: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            if not target.exists():
                missing.append(1)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(200):
            with io.atomic_dir(target) as tmp:
                (tmp / "v").write_text(str(i))
    finally:
        stop.set()
        thread.join()
    assert missing == [] and (target / "v").read_text() == "199"


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
