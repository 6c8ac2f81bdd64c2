"""What must hold when things go wrong: no unaudited answer, no failed request during a reload, rate limits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from features.catalogue import FEATURES
from models.risk import Calibrator
from serving import auditlog
from serving.api import middleware, security
from serving.api.strangers import COUNTS
from serving.champion import Serving
from serving.store import Store
from serving.store.tables import Batch, Feedback, Shortlist, UiSession, User

from .conftest import PURPOSE, REGION, Served, serve
from .world import Snapshot, quick_model


def _store_gone(*_a: object, **_k: object) -> int:
    """An audit write that fails, as when the store goes away."""
    raise ConnectionError("store went away")


@pytest.fixture
def fresh(store: Store, snapshot: Snapshot, tmp_path: Path) -> Iterator[Served]:
    yield from serve(store, snapshot, tmp_path)


def _rows(snapshot: Snapshot, n: int = 2) -> list[dict[str, float | None]]:
    frame = pd.read_parquet(snapshot.indicators).head(n)[list(FEATURES)]
    return [{str(k): (None if pd.isna(v) else float(v)) for k, v in r.items()} for r in frame.to_dict("records")]


def test_nothing_is_served_when_the_audit_trail_cannot_be_written(
    fresh: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "append", _store_gone)
    r = fresh.client.post("/v1/shortlists", json={"region": REGION, "top_k": 5, **PURPOSE},
                          headers=fresh.auth("analyst"))  # fmt: skip
    assert r.status_code == 503 and "audit trail" in r.json()["detail"]
    assert "items" not in r.text


def _rows_of(store: Store) -> dict[str, int]:
    with store.session() as s:
        return {t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in (Shortlist, Feedback, User, UiSession)}  # fmt: skip


def test_no_change_remains_when_the_audit_trail_cannot_be_written(
    fresh: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kind of change (shortlist, feedback, new user, reload, sign-in) is refused before it is made."""
    shortlist = fresh.client.post("/v1/shortlists", json={"region": REGION, "top_k": 5, **PURPOSE},
                                  headers=fresh.auth("analyst")).json()  # fmt: skip
    guard = fresh.client.get("/ui/sign-in").cookies  # the sign-in form's CSRF cookie, while the trail still works
    before, champion = _rows_of(fresh.store), fresh.client.app.state.tegenkracht.champion
    serving_before = champion.current

    monkeypatch.setattr(middleware, "append", _store_gone)
    monkeypatch.setattr(security, "append", _store_gone)
    company = shortlist["items"][0]["company_id"]
    changes = [
        ("/v1/shortlists", {"region": REGION, "top_k": 5, **PURPOSE}, "analyst"),
        ("/v1/feedback", {"company_id": company, "outcome": "confirmed", **PURPOSE}, "analyst"),
        ("/v1/admin/users", {"name": "Nieuw", "role": "data_scientist"}, "admin"),
        ("/v1/admin/reload", None, "admin"),
    ]
    for path, body, who in changes:
        r = fresh.client.post(path, json=body, headers=fresh.auth(who))
        assert r.status_code == 503 and "audit trail" in r.json()["detail"], (path, r.text)
    token = next(iter(guard.values()), "")
    signed = fresh.client.post("/ui/sign-in", data={"api_key": fresh.keys["analyst"], "csrf_token": token},
                               cookies=dict(guard), follow_redirects=False)  # fmt: skip
    assert signed.status_code == 503
    assert _rows_of(fresh.store) == before
    assert champion.current is serving_before  # the reload never ran


def test_a_change_whose_final_record_fails_keeps_its_pending_record(
    fresh: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "append", _store_gone)
    r = fresh.client.post("/v1/shortlists", json={"region": REGION, "top_k": 5, **PURPOSE},
                          headers=fresh.auth("analyst"))  # fmt: skip
    assert r.status_code == 503 and "items" not in r.text
    pending = auditlog.page(fresh.store, 1, 1)[0][0]
    assert pending["endpoint"] == "/v1/shortlists" and pending["user"] == "analyst" and pending["status"] == 0
    assert pending["params"] == {"phase": "pending"} and pending["key_id"] == fresh.keys["analyst"].split("_")[1]


def test_rate_limit_answers_429_with_retry_after(store: Store, snapshot: Snapshot, tmp_path: Path) -> None:
    for served in serve(store, snapshot, tmp_path, rate_per_minute=3):
        codes = [served.client.get("/v1/purposes", headers=served.auth("oversight")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = served.client.get("/v1/purposes", headers=served.auth("oversight"))
        assert int(r.headers["retry-after"]) >= 1
        assert served.client.get("/v1/purposes", headers=served.auth("admin")).status_code == 200  # per key


def test_failed_keys_from_one_address_are_slowed(store: Store, snapshot: Snapshot, tmp_path: Path) -> None:
    for served in serve(store, snapshot, tmp_path, stranger_rate_per_minute=3):
        codes = [served.client.get("/v1/model", headers={"Authorization": "Bearer wrong"}).status_code
                 for _ in range(5)]  # fmt: skip
        assert codes == [401, 401, 401, 429, 429]
        assert served.client.app.state.tegenkracht.strangers.flush() == 1
        records, _ = auditlog.page(store, 1, 1)
        counted = {(r[1], r[2]): r[4] for r in records[0]["params"]["counts"]}
        assert counted == {("/v1/model", 401): 3, ("/v1/model", 429): 2}  # every attempt is still in the trail
        assert served.client.get("/v1/purposes", headers=served.auth("oversight")).status_code == 200


def test_a_failed_reload_keeps_the_serving_model_and_says_why(fresh: Served) -> None:
    champion = fresh.client.app.state.tegenkracht.champion

    def missing() -> Serving:
        raise LookupError("no @champion in the registry")

    champion.loader = missing
    r = fresh.client.post("/v1/admin/reload", headers=fresh.auth("admin"))
    assert r.status_code == 503
    assert r.json()["serving"] == "1" and "no @champion" in r.json()["reason"]
    assert fresh.client.get("/v1/model", headers=fresh.auth("oversight")).json()["version"] == "1"


def test_a_model_that_cannot_score_the_probe_is_refused(fresh: Served) -> None:
    champion = fresh.client.app.state.tegenkracht.champion

    class Broken:
        features = tuple(FEATURES)

        def score(self, rows: pd.DataFrame, num_threads: int = 0) -> np.ndarray:
            return np.full(len(rows), np.nan)

        def contributions(self, rows: pd.DataFrame, num_threads: int = 0) -> np.ndarray:
            return np.zeros((len(rows), len(FEATURES) + 1))

        def predict_frame(self, rows: pd.DataFrame, num_threads: int = 0) -> pd.DataFrame:
            return pd.DataFrame({"score": self.score(rows), "probability": 0.5, "base_value": 0.0}, index=rows.index)

    champion.loader = lambda: Serving(Broken(), "2", {})
    r = fresh.client.post("/v1/admin/reload", headers=fresh.auth("admin"))
    assert r.status_code == 503 and "non-finite" in r.json()["reason"]
    assert champion.version == "1"


def test_a_model_whose_calibration_fails_is_refused(fresh: Served) -> None:
    champion = fresh.client.app.state.tegenkracht.champion
    model = quick_model(pd.read_parquet(fresh.snapshot.indicators), seed=2)
    model.calibrator = Calibrator("platt", slope=float("nan"))  # scores fine, probabilities NaN
    champion.loader = lambda: Serving(model, "3", {})
    r = fresh.client.post("/v1/admin/reload", headers=fresh.auth("admin"))
    assert r.status_code == 503 and champion.version == "1"


def test_no_request_fails_while_models_are_swapped(fresh: Served) -> None:
    champion = fresh.client.app.state.tegenkracht.champion
    other = quick_model(pd.read_parquet(fresh.snapshot.indicators), seed=1)
    versions = iter(range(2, 1000))
    champion.loader = lambda: Serving(other, str(next(versions)), fresh.snapshot.serving().card)
    rows = _rows(fresh.snapshot)
    codes: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            codes.append(
                fresh.client.post("/v1/score", json={"rows": rows}, headers=fresh.auth("scientist")).status_code
            )

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for w in workers:
        w.start()
    reloads = [fresh.client.post("/v1/admin/reload", headers=fresh.auth("admin")).status_code for _ in range(5)]
    stop.set()
    for w in workers:
        w.join()
    assert reloads == [200] * 5 and champion.version == "6"
    assert codes and set(codes) == {200}


def test_reports_are_served_as_json_and_html(fresh: Served, tmp_path: Path) -> None:
    folder = tmp_path / "fairness"
    folder.mkdir()
    (folder / "audit_observed.json").write_text('{"passed": true}')
    (folder / "fairness_nl.html").write_text("<html><body>Eerlijkheid</body></html>")
    with fresh.store.session() as s:
        s.execute(update(Batch).where(Batch.id == fresh.batch.batch_id).values(fairness_dir=str(folder)))
    r = fresh.client.get("/v1/fairness/report", headers=fresh.auth("oversight"))
    assert r.status_code == 200 and r.json()["audit"] == {"passed": True} and r.json()["model_version"] == "1"
    html = fresh.client.get("/v1/fairness/report", params={"format": "html"}, headers=fresh.auth("scientist"))
    assert html.status_code == 200 and "Eerlijkheid" in html.text
    assert "img-src data:" in html.headers["content-security-policy"]
    missing = fresh.client.get("/v1/fairness/report", params={"format": "html", "lang": "en"},
                               headers=fresh.auth("oversight"))  # fmt: skip
    assert missing.status_code == 404


def test_a_strangers_flood_is_limited_and_counted_not_recorded(
    store: Store, snapshot: Snapshot, tmp_path: Path
) -> None:
    """The review's flood (2,000 there, 400 here; bench/bench_flood.py sends 10,000): keyless, long queries."""
    for served in serve(store, snapshot, tmp_path):
        before = auditlog.verify(store).head_seq
        query = "&".join(f"k{i}={'x' * 40}" for i in range(40))
        codes = [served.client.get(f"/wp-admin/{i}?{query}").status_code for i in range(400)]
        assert codes[:60] == [404] * 60 and codes.count(429) >= 330  # the bucket acts before anything is written
        assert served.client.get("/v1/purposes", headers=served.auth("oversight")).status_code == 200  # others pass
        strangers = served.client.app.state.tegenkracht.strangers
        strangers.flush()
        records, _ = auditlog.page(store, 1, 10)
        new = [r for r in records if r["seq"] > before]
        assert [r["endpoint"] for r in new] == [COUNTS, "/v1/purposes"]  # one record of counts, one of the key's
        counted = {(c[1], c[2], c[3]): c[4] for c in new[0]["params"]["counts"]}
        assert counted == {
            ("(no route)", 404, "testclient"): codes.count(404),
            ("(no route)", 429, "testclient"): codes.count(429),
        }
        assert len(json.dumps(new[0])) < 1_000 and "wp-admin" not in json.dumps(new)  # templates, not raw paths
        assert auditlog.verify(store).ok


def test_records_are_bounded_to_the_route_template_and_a_count_of_query_keys(served: Served) -> None:
    long_id = "9" * 500
    served.client.get(f"/v1/companies/{long_id}/signal?{'&'.join(f'q{i}=v' for i in range(30))}")
    probe = auditlog.page(served.store, 1, 1)[0][0]  # a stranger naming a company keeps a record of its own
    assert probe["endpoint"] == "/v1/companies/{company_id}/signal" and probe["status"] == 401
    assert probe["params"] == {"company_id": "9" * 32, "query_keys": 30}
    asked = served.client.get(f"/v1/companies/{long_id}/signal?{'&'.join(f'q{i}=v' for i in range(30))}",
                              headers=served.auth("analyst"))  # fmt: skip
    assert asked.status_code == 422
    refused = auditlog.page(served.store, 1, 1)[0][0]  # an authenticated request keeps its own record, bounded
    assert refused["user"] == "analyst" and refused["endpoint"] == "/v1/companies/{company_id}/signal"
    assert refused["params"] == {"company_id": "9" * 32, "query_keys": 30} and refused["status"] == 422


def test_a_false_key_or_cookie_buys_no_records_past_the_strangers_limit(
    store: Store, snapshot: Snapshot, tmp_path: Path
) -> None:
    """A made-up cookie or key skips the check before routing; past the limit its requests are only counted."""
    for served in serve(store, snapshot, tmp_path, stranger_rate_per_minute=5):
        before = auditlog.verify(store).head_seq
        for i in range(30):
            served.client.get(f"/ui/companies/{i:08d}", cookies={"tk_session": "made-up"}, follow_redirects=False)
            served.client.get(f"/v1/companies/{i:08d}/signal", headers={"Authorization": "Bearer tk_x_y"})
        assert auditlog.verify(store).head_seq - before <= 10  # at most the bucket's five, twice over: not sixty
        assert served.client.app.state.tegenkracht.strangers.pending() >= 50
