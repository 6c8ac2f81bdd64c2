"""Shared benchmark plumbing: machine facts, isolated child runs, a table and a JSON line.

Machines here are shared and noisy, so every figure is reported as a ratio against an anchor measured side
by side in the same child process, and every benchmark runs at three or more sizes to show how cost grows.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
WORLDS = Path("var/bench")


def bench_world(n: int) -> Path:
    """A world of ``n`` companies under ``var/bench/``, generated once (not timed) and reused by every benchmark."""
    out = WORLDS / f"world-{n}"
    if not (out / "manifest.json").exists():
        from synth import WorldConfig, generate_world

        generate_world(WorldConfig(n_companies=n), out)
    return out


def machine() -> dict[str, Any]:
    """Cores, memory and versions of the machine the figures were measured on."""
    mem_kb = 0
    model = platform.processor()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import pandas
    import pyarrow

    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "cpu": model,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
    }


def run_child(module: str, args: Sequence[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter so peak memory belongs to that size alone."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TEGENKRACHT_PROGRESS": "0"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {args} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def growth_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """Least-squares slope of log(time) on log(size): 1.0 is linear."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-9)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den if den else float("nan")


def growth_summary(
    sizes: Sequence[int], rows: Sequence[dict[str, Any]], target_s: float, target_gib: float, anchor: str
) -> dict[str, Any]:
    """Growth exponents and whether the largest size met the 2.5M-company target."""
    largest = rows[-1]
    return {
        "anchor": anchor,
        "time_growth_exponent": growth_exponent(sizes, [r["total_s"] for r in rows]),
        "memory_growth_exponent": growth_exponent(sizes, [r["peak_gib"] for r in rows]),
        "target": {"companies": 2_500_000, "seconds": target_s, "gib": target_gib},
        "largest_within_target": bool(
            largest["companies"] >= 2_500_000 and largest["total_s"] <= target_s and largest["peak_gib"] <= target_gib
        ),
    }


def report(name: str, columns: Sequence[str], rows: Sequence[dict[str, Any]], extra: dict[str, Any]) -> None:
    """Print a table for people and one JSON line for machines; keep the JSON in bench/results/."""
    table = Table(title=name)
    for c in columns:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*[_fmt(r[c]) for c in columns])
    console = Console(width=200)
    console.print(table)
    payload = {"benchmark": name, "machine": machine(), "rows": list(rows), **extra}
    line = json.dumps(payload, sort_keys=True)
    print(line)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
