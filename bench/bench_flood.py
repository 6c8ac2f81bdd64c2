"""Benchmark: a stranger's flood against the audit trail, at three sizes, beside the same number of keyed requests.

Usage: ``python bench/bench_flood.py [--sizes 1000,3000,10000] [--clients 4]``.

Issue 21: 2,000 keyless requests to unknown paths with long query strings used to add 2,001 records and 17 MB
to the store. For each size N, the real app is served by uvicorn in its own process on a fresh SQLite store
(the embedded default, one worker, so the flood and everybody else share it), and measured side by side:

* the flood: N keyless ``GET /wp-admin/<i>?<40 keys of 40 characters>`` from 127.0.0.1, ``--clients`` threads;
  what it adds to the store (the database file after a WAL checkpoint, the server stopped so that its last
  counts are sealed), and how many audit records;
* the anchor: N requests of the same shape with a valid key (``GET /v1/purposes?<the same query>``), each of
  which keeps its own record, as every authenticated request must;
* ``GET /health`` from another address (127.0.0.2), one request at a time: alone, and while each flood runs.

Target (issue 21): 10,000 keyless requests add at most 1 MB to the store, with no slower ``/health`` for others.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import RESULTS, machine

QUERY = "&".join(f"k{i}={'x' * 40}" for i in range(40))
HEALTH_SAMPLES = 400


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(folder: Path) -> tuple[str, str]:
    """A migrated store with one oversight user; returns its URL and the user's key."""
    from serving.access import Role, add_user
    from serving.store import open_store

    url = f"sqlite:///{folder / 'store.db'}"
    store = open_store(url)
    key = add_user(store, "bench", Role.OVERSIGHT, []).api_key
    store.dispose()
    return url, key


def _serve(url: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TEGENKRACHT_DATABASE_URL": url, "TEGENKRACHT_VAR_DIR": str(folder),
           "TEGENKRACHT_RATE_LIMIT_PER_MINUTE": str(10**9), "TEGENKRACHT_PROGRESS": "0",
           "TEGENKRACHT_CHAMPION_CHECK_S": "0"}  # fmt: skip
    env.setdefault("TEGENKRACHT_AUDIT_KEY", "bench:" + "3c" * 32)
    code = (
        "import uvicorn\n"
        "from core.telemetry import disable_telemetry\n"
        "disable_telemetry()\n"
        "from serving.api.app import create_app\n"
        "from serving.champion import ReloadError\n"
        "def nothing():\n"
        "    raise ReloadError('no model in this benchmark')\n"
        f"uvicorn.run(create_app(loader=nothing), host='0.0.0.0', port={port}, log_level='warning')\n"
    )
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[1])
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _health(port: int, samples: int, stop: threading.Event | None = None) -> list[float]:
    """Latencies (ms) of /health from 127.0.0.2, one at a time, until ``samples`` or ``stop``."""
    import httpx

    taken: list[float] = []
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10) as client:
        while len(taken) < samples and not (stop is not None and stop.is_set() and len(taken) >= 20):
            began = time.perf_counter()
            client.get(f"http://127.0.0.2:{port}/health").raise_for_status()
            taken.append(1000 * (time.perf_counter() - began))
    return taken


def _flood(port: int, n: int, clients: int, key: str | None) -> tuple[float, dict[int, int]]:
    """Send ``n`` requests from ``clients`` threads; the seconds it took and the count of each status."""
    import httpx

    statuses: dict[int, int] = {}
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    def work(part: range) -> None:
        seen: dict[int, int] = {}
        with httpx.Client(timeout=30) as client:
            for i in part:
                path = f"/v1/purposes?{QUERY}" if key else f"/wp-admin/{i}?{QUERY}"
                code = client.get(f"http://127.0.0.1:{port}{path}", headers=headers).status_code
                seen[code] = seen.get(code, 0) + 1
        with lock:
            for code, count in seen.items():
                statuses[code] = statuses.get(code, 0) + count

    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(range(c, n, clients),)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, statuses


def _stored(url: str) -> tuple[int, int]:
    """The store's size in bytes after a WAL checkpoint, and its number of audit records."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        records = int(c.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    return Path(path).stat().st_size, records


def _one(n: int, clients: int, keyed: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        folder = Path(tmp)
        url, key = _prepare(folder)
        port = _port()
        server = _serve(url, folder, port)
        try:
            alone = _health(port, HEALTH_SAMPLES)
            size_before, records_before = _stored(url)
            stop = threading.Event()
            during: list[float] = []
            watcher = threading.Thread(target=lambda: during.extend(_health(port, 10**9, stop)))
            watcher.start()
            seconds, statuses = _flood(port, n, clients, key if keyed else None)
            stop.set()
            watcher.join()
        finally:
            server.terminate()
            server.wait(60)
        size_after, records_after = _stored(url)
    return {
        "n": n,
        "keyed": keyed,
        "seconds": round(seconds, 2),
        "statuses": statuses,
        "bytes_added": size_after - size_before,
        "records_added": records_after - records_before,
        "health_alone_p50_ms": round(statistics.median(alone), 2),
        "health_during_p50_ms": round(statistics.median(during), 2),
        "health_during_p95_ms": round(statistics.quantiles(during, n=20)[-1], 2),
    }


def main() -> None:
    """Run every size, the flood beside its keyed anchor, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        flood, anchor = _one(n, args.clients, keyed=False), _one(n, args.clients, keyed=True)
        rows.append((flood, anchor))
        print(f"{n}: flood {flood} | keyed {anchor}", flush=True)
    print(f"\nmachine: {machine()}")
    print(
        "| requests | flood adds | keyed anchor adds | ratio | flood records | /health p50 alone → during flood "
        "(ratio) | during keyed |"
    )
    print("|---:|---:|---:|---:|---:|---|---|")
    for flood, anchor in rows:
        ratio = flood["bytes_added"] / max(anchor["bytes_added"], 1)
        slow = flood["health_during_p50_ms"] / flood["health_alone_p50_ms"]
        slow_keyed = anchor["health_during_p50_ms"] / anchor["health_alone_p50_ms"]
        print(
            f"| {flood['n']:,} | {flood['bytes_added'] / 1e3:,.0f} kB | {anchor['bytes_added'] / 1e6:,.2f} MB | "
            f"{ratio:.4f} | {flood['records_added']} | {flood['health_alone_p50_ms']} → "
            f"{flood['health_during_p50_ms']} ms ({slow:.2f}) | {anchor['health_during_p50_ms']} ms "
            f"({slow_keyed:.2f}) |"
        )
    (RESULTS / "flood.txt").parent.mkdir(parents=True, exist_ok=True)
    (RESULTS / "flood.txt").write_text("\n".join(f"{f}\n{a}" for f, a in rows) + "\n")


if __name__ == "__main__":
    main()
