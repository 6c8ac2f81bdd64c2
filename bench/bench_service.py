"""Benchmark: the API under bounded load on loopback, 16 concurrent clients, at three region sizes.

Usage: ``python bench/bench_service.py [--sizes 25000,100000,250000] [--seconds 20] [--soak 600]``.

For each size a store is built whose one region holds that many companies (a real 25,000-company world's
indicators and scores, repeated under new company ids), the real app is served by uvicorn in its own process
(SQLite store, the embedded default; two workers, one per core; every request writes its audit record), and
wrk keeps 16 requests in flight (``apt-get install wrk``). Measured side by side in one run, per size:

* anchor: ``GET /health`` (authentication-free, but audited: the floor of any request here);
* company signal with its full SHAP explanation (``GET /v1/companies/{id}/signal``), random companies;
* shortlist top 100 of the region (``POST /v1/shortlists``), stored and audited;
* the company page (``GET /ui/companies/{id}``) of a signed-in browser: the session looked up, the explanation,
  the rendered template with its waterfall SVG and indicator table, and its audit record. No target (issue 8
  names none); measured so that a regression shows;
* a company's history (``GET /v1/companies/{id}/history``) across the store's BATCHES batches.

Targets (issue 7): signal p99 <= 50 ms, shortlist p99 <= 100 ms; (issue 25) history p99 <= 100 ms. ``--soak S``
then runs the mixed load for S seconds on the largest size and reports errors and the server's RSS growth after
warm-up (target < 10%). wrk shares the machine's cores with the server (lightly: it is C), so figures are slightly
conservative.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench._harness import RESULTS, WORLDS, bench_world, growth_exponent, machine

CLIENTS = 16
REGION = "Rotterdam"
PURPOSE = {"purpose": "riec_case", "case_reference": "BENCH-0001"}
TARGETS_MS = {"signal": 50.0, "shortlist": 100.0, "history": 100.0}
KINDS = ("signal", "shortlist", "page", "history")
BATCHES = 3  # the store keeps this many batches, so a company's history has that many points


def _source(base: int) -> tuple[Path, Path]:
    """Indicators of a real world and a small model of them (saved once, not timed)."""
    import pandas as pd

    from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
    from features.validation import validate_records
    from tests.service.world import quick_model

    out = WORLDS / f"service-{base}"
    indicators, model = out / "indicators.parquet", out / "model"
    if not (model / "model.json").exists():
        world = bench_world(base)
        as_of = pd.Timestamp("2024-12-31")
        frame, peers = compute_indicators(validate_records(world).tables, as_of)
        write_indicators(IndicatorTable(frame, peers, as_of, input_fingerprint(world)), indicators)
        quick_model(frame).save(model)
    return indicators, model


def _store(n: int, indicators: Path, model_dir: Path) -> tuple[str, list[str]]:
    """A store whose region REGION holds ``n`` companies; returns its URL and the company ids."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from features.pipeline import read_metadata
    from models.risk import RiskModel
    from serving.batches import load_batch
    from serving.scoring import score_file
    from serving.store import open_store

    folder = WORLDS / f"service-store-{BATCHES}x-{n}"
    url = f"sqlite:///{(folder / 'store.db').resolve()}"
    ids_file = folder / "ids.json"
    if ids_file.exists():
        return url, json.loads(ids_file.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    base = pd.read_parquet(indicators)
    reps = -(-n // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).head(n)
    frame["company_id"] = [f"{10_000_000 + i:08d}" for i in range(n)]
    frame["riec_region"] = REGION
    meta = {f"tegenkracht.{k}".encode(): v.encode() for k, v in read_metadata(indicators).items()}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **meta}), folder / "ind.parquet")
    model = RiskModel.load(model_dir)
    for b in range(1, BATCHES + 1):  # the same facts under another version each time: other scores, another batch
        run = score_file(model, folder / "ind.parquet", folder / f"scores-{b}.parquet", f"bench-{b}")
        load_batch(open_store(url), run.out, folder / "ind.parquet", None, root=folder)
    ids_file.write_text(json.dumps(frame["company_id"].tolist()))
    return url, frame["company_id"].tolist()


def _key(url: str) -> str:
    from serving.access import Role, add_user, issue_key
    from serving.store import open_store

    store = open_store(url)
    try:
        return add_user(store, "bench", Role.ANALYST, [REGION]).api_key
    except ValueError:
        return issue_key(store, "bench").api_key


def _session(url: str, key: str) -> str:
    """A signed-in browser's session token for the page requests (as the sign-in form would set it)."""
    from serving.store import open_store
    from serving.ui.sessions import open_session

    opened = open_session(open_store(url), key)
    assert opened is not None
    return opened.token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    """Resident memory of the server: the uvicorn parent and its worker processes together."""
    pids = [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0.0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                total += int(line.split()[1]) / 1024
    return total


LUA = """
local ids = {%(ids)s}
local key = "%(key)s"
local cookie = "tk_session=%(session)s"
local kind = "%(kind)s"
math.randomseed(7)
local shortlist = '{"region": "%(region)s", "top_k": 100, "purpose": "riec_case", "case_reference": "BENCH-0001"}'
request = function()
  local what = kind
  if kind == "mixed" then
    if math.random() < 0.2 then what = "shortlist" else what = "signal" end
  end
  local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
  if what == "health" then
    return wrk.format("GET", "/health")
  elseif what == "signal" then
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/v1/companies/" .. id .. "/signal?purpose=riec_case&case_reference=BENCH-0001", headers)
  elseif what == "history" then
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/v1/companies/" .. id .. "/history?purpose=riec_case&case_reference=BENCH-0001", headers)
  elseif what == "page" then
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/ui/companies/" .. id .. "?purpose=riec_case&case_reference=BENCH-0001",
                      {["Cookie"] = cookie})
  end
  return wrk.format("POST", "/v1/shortlists", headers, shortlist)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration, 0, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def _load(base: str, key: tuple[str, str], kind: str, ids: list[str], seconds: float) -> dict[str, Any]:
    """Keep CLIENTS requests of ``kind`` in flight for ``seconds`` with wrk; latencies in ms, errors counted.

    ``mixed`` (the soak) sends four company signals for every shortlist. wrk (C, Debian package ``wrk``) keeps
    the load generator's own CPU small, so the two cores go to the server.
    """
    sample = random.Random(7).sample(ids, min(len(ids), 5000))
    script = WORLDS / f"wrk-{kind}.lua"
    script.write_text(LUA % {"ids": ",".join(f'"{i}"' for i in sample), "key": key[0], "session": key[1],
                             "kind": kind, "region": REGION})  # fmt: skip
    cmd = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script), base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, socket_errors, status_errors, duration_us, _, p50, p95, p99, worst = line.split()[1:]
    return {
        "requests": int(requests),
        "errors": int(socket_errors) + int(status_errors),
        "throughput_rps": round(int(requests) / (int(duration_us) / 1e6), 1),
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
        "max_ms": round(float(worst), 2),
    }


def _serve(url: str, model: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "TEGENKRACHT_PROGRESS": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.service_child", url, str(model), str(port), str(workers)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not become ready")


def measure(n: int, seconds: float, soak: float, indicators: Path, model: Path, workers: int) -> dict[str, Any]:
    """One size: anchor, signal and shortlist side by side; optionally the soak."""
    url, ids = _store(n, indicators, model)
    api_key = _key(url)
    key = (api_key, _session(url, api_key))
    proc, base = _serve(url, model, workers)
    try:
        _load(base, key, "signal", ids, 3)  # warm-up, not reported
        row: dict[str, Any] = {"companies_in_region": n}
        for kind in ("health", *KINDS):
            row[kind] = _load(base, key, kind, ids, seconds)
        for kind in KINDS:
            row[f"{kind}_p99_vs_anchor"] = round(row[kind]["p99_ms"] / row["health"]["p99_ms"], 2)
        if soak:
            row["soak"] = _soak(proc.pid, base, key, ids, soak)
        return row
    finally:
        proc.terminate()
        proc.wait(10)


def _soak(pid: int, base: str, key: tuple[str, str], ids: list[str], seconds: float) -> dict[str, Any]:
    _load(base, key, "mixed", ids, min(60.0, seconds / 10))  # warm-up
    start = _rss_mib(pid)
    result = _load(base, key, "mixed", ids, seconds)
    end = _rss_mib(pid)
    return {**result, "rss_start_mib": round(start, 1), "rss_end_mib": round(end, 1),
            "rss_growth_pct": round(100 * (end - start) / start, 2), "seconds": seconds}  # fmt: skip


def main() -> None:
    """Measure each size in turn; print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25000,100000,250000")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--soak", type=float, default=0.0, help="Seconds of mixed load on the largest size.")
    parser.add_argument("--base-world", type=int, default=25_000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (one per core).")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    indicators, model = _source(args.base_world)
    if shutil.which("wrk") is None:
        sys.exit("this benchmark drives the server with wrk: apt-get install wrk")
    soak = {n: args.soak if n == sizes[-1] else 0.0 for n in sizes}
    rows = [measure(n, args.seconds, soak[n], indicators, model, args.workers) for n in sizes]
    for r in rows:
        errors = sum(r[k]["errors"] for k in ("health", *KINDS))
        print(
            f"{r['companies_in_region']:>8,} companies | anchor p99 {r['health']['p99_ms']:6.1f} ms | "
            f"signal p99 {r['signal']['p99_ms']:6.1f} ms ({r['signal_p99_vs_anchor']}x, "
            f"{r['signal']['throughput_rps']} rps) | shortlist p99 {r['shortlist']['p99_ms']:6.1f} ms "
            f"({r['shortlist_p99_vs_anchor']}x, {r['shortlist']['throughput_rps']} rps) | company page p99 "
            f"{r['page']['p99_ms']:6.1f} ms ({r['page_p99_vs_anchor']}x, {r['page']['throughput_rps']} rps) | "
            f"history p99 {r['history']['p99_ms']:6.1f} ms ({r['history_p99_vs_anchor']}x) | errors {errors}"
        )
    growth = {k: round(growth_exponent(sizes, [r[k]["p99_ms"] for r in rows]), 2) for k in KINDS}
    print(f"p99 growth with region size (log-log slope): {growth}; targets p99: {TARGETS_MS}")
    if rows[-1].get("soak"):
        print(f"soak: {rows[-1]['soak']}")
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": machine(), "clients": CLIENTS, "workers": args.workers, "rows": rows, "growth": growth,
           "targets_ms": TARGETS_MS}  # fmt: skip
    (RESULTS / "service.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
