"""Following companies: history, the exact change split, watches and alerts between two loaded batches.

The second batch is the first one's indicators with record changes planted on a handful of companies (a move to a
domicile address, a new insolvent officer, ...), written as the next as-of date and scored by the same model, so
the test knows exactly which alerts must fire and that every other company is unchanged.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from core import settings
from features.pipeline import IndicatorTable, compute_indicators, input_fingerprint, write_indicators
from features.validation import validate_records
from models.change import attribute
from models.risk import RiskModel
from serving import auditlog, signals, watches
from serving.access import Principal, Role, add_user
from serving.alerts import band_rank, load_rules
from serving.api.app import create_app
from serving.batches import LoadedBatch, load_batch
from serving.changes import BEFORE_PREFIX, CHANGE, DATA_PREFIX
from serving.explanations import BatchExplanations
from serving.history import company_change, company_history
from serving.scoring import score_file
from serving.store import Store
from serving.store.tables import Alert, Batch, Signal, User, Watch

from .conftest import BACKENDS, OTHER_REGION, PURPOSE, REGION, new_store
from .pages import confirmed, sign_in
from .world import AS_OF, Snapshot

NEXT_AS_OF = pd.Timestamp("2024-06-30")
PLANTS = {  # rule -> the change planted on one company
    "domicile_move": {"domicile_address": 1.0},
    "insolvent_officer": {"new_officer_with_insolvency_1y": 1.0},
    "many_mandates": {"max_concurrent_mandates": 7.0},
    "foreign_owner": {"foreign_owner": 1.0},
    "layered_owner": {"ownership_layers": 3.0},
    "case_nearby": {"linked_confirmed_2hop": 2.0},
}


@dataclass
class Followed:
    store: Store
    first: LoadedBatch
    second: LoadedBatch
    again: LoadedBatch
    planted: dict[str, str]  # rule -> company
    unchanged: str
    analyst: Principal
    scores: tuple[pd.DataFrame, pd.DataFrame]
    folder: Path
    keys: dict[str, str]
    snapshot: Snapshot

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def _principal(store: Store, name: str) -> Principal:
    with store.session() as s:
        user = s.scalar(select(User).where(User.name == name))
        assert user is not None
        return Principal(user.id, user.name, Role(user.role), tuple(json.loads(user.regions)))


def _quiet(frame: pd.DataFrame, region_of: pd.Series) -> pd.DataFrame:
    """Companies of REGION on which no rule holds yet, so a planted change is the only one."""
    calm = (
        (frame["domicile_address"] == 0)
        & (frame["new_officer_with_insolvency_1y"] == 0)
        & (frame["max_concurrent_mandates"] < 5)
        & (frame["foreign_owner"] == 0)
        & (frame["high_risk_jurisdiction_owner"] == 0)
        & (frame["ownership_layers"] < 2)
        & (frame["linked_confirmed_1hop"] == 0)
        & (frame["linked_confirmed_2hop"] == 0)
    )
    return frame[calm & (region_of == REGION)]


@pytest.fixture(scope="module", params=BACKENDS)
def followed(request: pytest.FixtureRequest, snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Followed]:  # fmt: skip
    folder = tmp_path_factory.mktemp("following")
    gen = new_store(request.param, folder)
    store = next(gen)
    try:
        yield _build(store, snapshot, folder)
    finally:
        next(gen, None)


def _build(store: Store, snapshot: Snapshot, folder: Path) -> Followed:
    def model_for(_version: str) -> RiskModel:
        return snapshot.model

    root = folder / "store"
    first = load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=root, model_for=model_for)
    people: list[tuple[str, Role, list[str]]] = [
        ("follower", Role.ANALYST, [REGION]),
        ("late", Role.ANALYST, [REGION]),
        ("mover", Role.ANALYST, [REGION]),
        ("elsewhere", Role.ANALYST, [OTHER_REGION]),
        ("oversight", Role.OVERSIGHT, []),
    ]
    keys = {name: add_user(store, name, role, regions).api_key for name, role, regions in people}
    analyst = _principal(store, "follower")
    frame, peers = compute_indicators(validate_records(snapshot.world).tables, AS_OF)
    located = pd.read_parquet(snapshot.scores, columns=["company_id"]).merge(
        pd.read_parquet(snapshot.indicators, columns=["company_id", "riec_region"]), on="company_id"
    )
    scored = frame[frame["company_id"].isin(located["company_id"])]
    region_of = scored["company_id"].map(located.set_index("company_id")["riec_region"])
    quiet: list[str] = _quiet(scored, region_of)["company_id"].tolist()
    assert len(quiet) > len(PLANTS) + 1, "the small world has too few quiet companies to plant changes on"
    planted = dict(zip(PLANTS, quiet, strict=False))
    unchanged = quiet[len(PLANTS)]
    changed = frame.set_index("company_id")
    for rule, company in planted.items():
        for column, value in PLANTS[rule].items():
            changed.loc[company, column] = value
    riser = quiet[len(PLANTS) + 1]  # the quick model's target grows with its first five indicators
    for column in ("years_since_registration", "employees_latest", "companies_at_address"):
        changed.loc[riser, column] = float(frame[column].max()) * 2
    planted["band_up"] = riser
    later = folder / "later.parquet"
    write_indicators(IndicatorTable(changed.reset_index(), peers, NEXT_AS_OF, input_fingerprint(snapshot.world)), later)
    scores2 = score_file(snapshot.model, later, folder / "later-scores.parquet", "1").out
    for company in [*planted.values(), unchanged]:
        watches.follow(store, analyst, company, PURPOSE["purpose"], PURPOSE["case_reference"])
    late = _principal(store, "late")
    expired = watches.follow(store, late, planted["domicile_move"], PURPOSE["purpose"], PURPOSE["case_reference"])
    mover = _principal(store, "mover")
    watches.follow(store, mover, planted["insolvent_officer"], PURPOSE["purpose"], PURPOSE["case_reference"])
    with store.session() as s:
        past = datetime.now(UTC) - timedelta(days=1)
        s.execute(update(Watch).where(Watch.id == expired["watch_id"]).values(expires_at=past))
        s.execute(update(User).where(User.name == "mover").values(regions=json.dumps([OTHER_REGION])))
    second = load_batch(store, scores2, later, snapshot.world, root=root, model_for=model_for)
    again = load_batch(store, scores2, later, snapshot.world, root=root, model_for=model_for)
    both = (pd.read_parquet(snapshot.scores), pd.read_parquet(scores2))
    rose = (
        both[1].set_index("company_id").loc[riser, "probability"]
        > both[0].set_index("company_id").loc[riser, "probability"]
    )
    assert rose and band_rank(both[1].set_index("company_id").loc[[riser], "probability"].to_numpy())[0] > 0
    return Followed(store, first, second, again, planted, unchanged, analyst, both, folder, keys, snapshot)


def _alerts(store: Store) -> pd.DataFrame:
    with store.session() as s:
        query = select(Alert.watch_id, Alert.company_id, Alert.rule, Alert.batch_id, User.name)
        rows = s.execute(query.join(Watch, Watch.id == Alert.watch_id).join(User, User.id == Watch.user_id)).all()
    return pd.DataFrame(rows, columns=["watch_id", "company_id", "rule", "batch_id", "user"])


def test_planted_changes_fire_exactly_the_expected_alerts(followed: Followed) -> None:
    alerts = _alerts(followed.store)
    old, new = (f.set_index("company_id") for f in followed.scores)
    ranks = {b: _ranks(followed.store, b) for b in (followed.first.batch_id, followed.second.batch_id)}
    expected = {(company, rule) for rule, company in followed.planted.items() if rule != "band_up"}
    for company in [*followed.planted.values(), followed.unchanged]:
        before, after = (band_rank(f.loc[[company], "probability"].to_numpy())[0] for f in (old, new))
        if after > before:
            expected.add((company, "band_up"))
        if ranks[followed.second.batch_id][company] <= settings.ALERT_TOP_K < ranks[followed.first.batch_id][company]:
            expected.add((company, "top_k_entry"))
    assert (followed.planted["band_up"], "band_up") in expected
    mine = alerts[alerts["user"] == "follower"]
    assert set(zip(mine["company_id"], mine["rule"], strict=True)) == expected
    assert len(mine) == len(expected)
    assert set(alerts["batch_id"]) == {followed.second.batch_id}


def _ranks(store: Store, batch_id: int) -> dict[str, int]:
    with store.session() as s:
        return dict(s.execute(select(Signal.company_id, Signal.region_rank).where(Signal.batch_id == batch_id)).all())


def test_unchanged_companies_fire_nothing(followed: Followed) -> None:
    alerts = _alerts(followed.store)
    assert followed.unchanged not in set(alerts["company_id"])
    changed_ids = set(followed.planted.values())
    events = followed.second.events or {}
    assert sum(events.values()) >= len(changed_ids)
    assert followed.second.previous_id == followed.first.batch_id


def test_loading_the_same_batch_again_fires_nothing_new(followed: Followed) -> None:
    alerts = _alerts(followed.store)
    assert followed.again.alerts == 0
    assert followed.again.batch_id not in set(alerts["batch_id"])
    assert followed.again.previous_id == followed.first.batch_id  # identical scores are not a predecessor


def test_an_expired_watch_fires_nothing_and_nothing_names_a_company_outside_the_regions(followed: Followed) -> None:
    alerts = _alerts(followed.store)
    assert "late" not in set(alerts["user"])
    assert "mover" not in set(alerts["user"])
    mover = _principal(followed.store, "mover")
    assert watches.inbox(followed.store, mover) == []


def test_the_change_split_adds_up_exactly(followed: Followed) -> None:
    with followed.store.session() as s:
        batch = s.get(Batch, followed.second.batch_id)
        assert batch is not None and batch.change == "split"
    change = pd.read_parquet(followed.second.folder / CHANGE)
    data = change[[c for c in change if c.startswith(DATA_PREFIX)]].to_numpy()
    residual = change["old_on_new"] - change["old_score"] - data.sum(axis=1)  # the data part, the old model's
    assert np.abs(residual).max() < 1e-9
    assert (change["old_on_new"] == change["new_score"]).all()  # one model version: no model part
    assert change["company_id"].is_monotonic_increasing
    unchanged = change.set_index("company_id").loc[followed.unchanged]
    assert (unchanged[[c for c in change if c.startswith(DATA_PREFIX)]] == 0).all()
    planted = change.set_index("company_id").loc[followed.planted["domicile_move"]]
    moved = [c.removeprefix(DATA_PREFIX) for c in change if c.startswith(DATA_PREFIX) and planted[c] != 0]
    assert set(moved) <= {"domicile_address"}  # only the changed fact gets credit
    assert planted[BEFORE_PREFIX + "domicile_address"] == 0


def test_a_model_change_is_split_from_a_data_change(snapshot: Snapshot) -> None:
    from .world import quick_model

    frame = pd.read_parquet(snapshot.indicators)
    other = quick_model(frame, seed=7)
    x_old = snapshot.model.matrix(frame.iloc[:300])
    x_new = x_old.copy()
    x_new[::3, 0] += 1.0
    split = attribute(snapshot.model, other, x_old, x_new)
    assert np.abs(split.residual()).max() < 1e-9
    assert np.abs(split.model).sum() > 0
    data_only = attribute(snapshot.model, snapshot.model, x_old, x_new)
    assert (data_only.data[1::3] == 0).all() and (data_only.model == 0).all()
    f_old = snapshot.model.booster.predict(x_old, raw_score=True)
    f_new = other.booster.predict(x_new, raw_score=True)
    assert np.abs(split.new_score - split.old_score - (f_new - f_old)).max() < 1e-9


def test_history_and_change_of_a_followed_company(followed: Followed) -> None:
    company = followed.planted["domicile_move"]
    points = company_history(followed.store, followed.analyst, company)
    assert [p["batch_id"] for p in points] == [followed.first.batch_id, followed.second.batch_id,
                                               followed.again.batch_id]  # fmt: skip
    assert [p["as_of"] for p in points] == ["2023-12-31", "2024-06-30", "2024-06-30"]
    elsewhere = Principal(99, "x", Role.ANALYST, (OTHER_REGION,))
    assert company_history(followed.store, elsewhere, company) == []
    with followed.store.session() as s:
        batch = s.get(Batch, followed.second.batch_id)
        assert batch is not None
        s.expunge(batch)
    loaded = BatchExplanations.read(followed.second.folder)
    change = company_change(followed.store, batch, loaded, company, points[1]["probability"])
    assert abs(change["residual"]) < 1e-9
    assert [d["id"] for d in change["data"]] == ["domicile_address"]
    assert "30-06-2024" in change["data"][0]["nl"] and "31-12-2023" in change["data"][0]["nl"]
    assert change["headline"]["nl"].startswith("Waarom")


def test_acknowledging_an_alert_once(followed: Followed) -> None:
    inbox = watches.inbox(followed.store, followed.analyst)
    assert inbox and all(a["company_id"] in set(followed.planted.values()) for a in inbox)
    first = inbox[0]
    done = watches.acknowledge(followed.store, followed.analyst, first["alert_id"], "reviewed")
    assert done["outcome"] == "reviewed"
    with pytest.raises(watches.WatchError) as again:
        watches.acknowledge(followed.store, followed.analyst, first["alert_id"], "reviewed")
    assert again.value.status == 409
    other = _principal(followed.store, "late")
    with pytest.raises(watches.WatchError) as theirs:
        watches.acknowledge(followed.store, other, inbox[1]["alert_id"], "reviewed")
    assert theirs.value.status == 404


def test_the_rules_are_data_and_checked(tmp_path: Path) -> None:
    rules = load_rules()
    assert {r.id for r in rules} >= set(PLANTS) | {"band_up", "top_k_entry"}
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nid = "x"\nkind = "rises"\nlabel_nl = "a"\nlabel_en = "a"\nwhy = "a"\nsource = "RADAR"\n'
                   'indicators = ["no_such_indicator"]\n')  # fmt: skip
    from serving.alerts import RuleError

    with pytest.raises(RuleError, match="no_such_indicator"):
        load_rules(bad)


@pytest.fixture(scope="module")
def client(followed: Followed) -> Iterator[TestClient]:
    app = create_app(followed.store, loader=followed.snapshot.serving)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_history_and_change_through_the_api(followed: Followed, client: TestClient) -> None:
    company = followed.planted["domicile_move"]
    r = client.get(f"/v1/companies/{company}/history", params=PURPOSE, headers=followed.auth("follower"))
    assert r.status_code == 200, r.text
    assert [p["as_of"] for p in r.json()["points"]] == ["2023-12-31", "2024-06-30", "2024-06-30"]
    assert all(p["model_version"] == "1" for p in r.json()["points"])
    away = client.get(f"/v1/companies/{company}/history", params=PURPOSE, headers=followed.auth("elsewhere"))
    assert away.status_code == 404
    bare = client.get(f"/v1/companies/{company}/history", headers=followed.auth("follower"))
    assert bare.status_code == 422 and "query.purpose" in bare.text
    r = client.get(f"/v1/companies/{company}/change", params=PURPOSE, headers=followed.auth("follower"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["split"] == "split" and body["previous"]["batch_id"] == followed.first.batch_id
    assert abs(body["residual"]) < 1e-9 and [d["id"] for d in body["data"]] == ["domicile_address"]
    assert body["score"]["change"] == pytest.approx(body["data_part"] + body["model_part"], abs=1e-9)
    oversight = client.get(f"/v1/companies/{company}/change", params=PURPOSE, headers=followed.auth("oversight"))
    assert oversight.status_code == 403


def test_watches_through_the_api(followed: Followed, client: TestClient) -> None:
    company = followed.unchanged
    mine = client.get("/v1/watches", params=PURPOSE, headers=followed.auth("late"))
    assert mine.status_code == 200 and mine.json() == []  # its only watch expired
    body = {"company_id": company, "days": 30, **PURPOSE}
    made = client.post("/v1/watches", json=body, headers=followed.auth("late"))
    assert made.status_code == 201, made.text
    watch = made.json()
    assert watch["state"] == "open" and watch["renewals"] == 0
    assert client.post("/v1/watches", json=body, headers=followed.auth("late")).status_code == 409
    too_long = client.post("/v1/watches", json={**body, "days": 400}, headers=followed.auth("late"))
    assert too_long.status_code == 422 and "body.days" in too_long.text
    away = client.post("/v1/watches", json=body, headers=followed.auth("elsewhere"))
    assert away.status_code == 404
    renewed = client.post(f"/v1/watches/{watch['watch_id']}/renew", json={"days": 90, **PURPOSE},
                          headers=followed.auth("late"))  # fmt: skip
    assert renewed.status_code == 200 and renewed.json()["renewals"] == 1
    assert renewed.json()["expires_at"] > watch["expires_at"]
    theirs = client.post(f"/v1/watches/{watch['watch_id']}/renew", json=PURPOSE, headers=followed.auth("follower"))
    assert theirs.status_code == 404
    ended = client.post(f"/v1/watches/{watch['watch_id']}/end", json=PURPOSE, headers=followed.auth("late"))
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    again = client.post(f"/v1/watches/{watch['watch_id']}/renew", json=PURPOSE, headers=followed.auth("late"))
    assert again.status_code == 409
    records, _ = auditlog.page(followed.store, 1, 50, auditlog.Filter(user="late"))
    assert {"/v1/watches", "/v1/watches/{watch_id}/renew", "/v1/watches/{watch_id}/end"} <= {
        r["endpoint"] for r in records
    }


def test_the_inbox_and_oversight_through_the_api(followed: Followed, client: TestClient) -> None:
    inbox = client.get("/v1/alerts", params=PURPOSE, headers=followed.auth("follower"))
    assert inbox.status_code == 200, inbox.text
    alerts = inbox.json()
    assert alerts and {a["company_id"] for a in alerts} <= set(followed.planted.values())
    assert client.get("/v1/alerts", params=PURPOSE, headers=followed.auth("mover")).json() == []
    target = alerts[-1]
    ack = {"outcome": "case_opened", **PURPOSE}
    done = client.post(f"/v1/alerts/{target['alert_id']}/acknowledge", json=ack, headers=followed.auth("follower"))
    assert done.status_code == 200 and done.json()["outcome"] == "case_opened"
    twice = client.post(f"/v1/alerts/{target['alert_id']}/acknowledge", json=ack, headers=followed.auth("follower"))
    assert twice.status_code == 409
    bad = client.post(f"/v1/alerts/{target['alert_id']}/acknowledge", json={**ack, "outcome": "meh"},
                      headers=followed.auth("follower"))  # fmt: skip
    assert bad.status_code == 422 and "body.outcome" in bad.text
    seen = client.get("/v1/oversight/watches", headers=followed.auth("oversight"))
    assert seen.status_code == 200, seen.text
    counts = {u["user"]: u["following"] for u in seen.json()["users"]}
    assert counts["follower"] == len(followed.planted) + 1
    assert all("company_id" not in w or w["company_id"] is None for w in seen.json()["watches"])
    unnamed = client.get("/v1/oversight/watches", params={"companies": True}, headers=followed.auth("oversight"))
    assert unnamed.status_code == 422
    named = client.get("/v1/oversight/watches", params={"companies": True, "purpose": "use_review",
                       "oversight_case": "TOEZ-2026-7"}, headers=followed.auth("oversight"))  # fmt: skip
    assert named.status_code == 200 and {w["company_id"] for w in named.json()["watches"]} >= set(
        followed.planted.values()
    )
    assert client.get("/v1/oversight/watches", headers=followed.auth("follower")).status_code == 403


def test_the_pages_show_history_change_alerts_and_follow(followed: Followed) -> None:
    app = create_app(followed.store, loader=followed.snapshot.serving)
    with TestClient(app, raise_server_exceptions=False) as browser:
        csrf = sign_in(browser, followed.keys["follower"])
        company = followed.planted["domicile_move"]
        page = confirmed(browser, f"/ui/companies/{company}", PURPOSE)
        assert page.status_code == 200, page.text[:300]
        assert 'id="history"' in page.text and "<svg" in page.text and "30-06-2024" in page.text
        assert "Verlengen" in page.text  # followed already: renew and end, no follow button
        change = confirmed(browser, f"/ui/companies/{company}/change", PURPOSE)
        assert change.status_code == 200 and "Waarom" in change.text and "31-12-2023" in change.text
        inbox = confirmed(browser, "/ui/alerts", PURPOSE)
        assert inbox.status_code == 200 and company in inbox.text
        alert_id = re.search(r'action="/ui/alerts/(\d+)/acknowledge"', inbox.text)
        assert alert_id is not None
        form = {"csrf_token": csrf, **PURPOSE, "outcome": "reviewed"}
        done = browser.post(f"/ui/alerts/{alert_id.group(1)}/acknowledge", data=form, follow_redirects=False)
        assert done.status_code == 303
        forged = browser.post(f"/ui/alerts/{alert_id.group(1)}/acknowledge", data={**form, "csrf_token": "x"})
        assert forged.status_code in (400, 403)
        other = followed.planted["many_mandates"]
        listed = confirmed(browser, "/ui/watches", PURPOSE)
        assert listed.status_code == 200 and other in listed.text
        watch = re.search(r'action="/ui/watches/(\d+)/end"', listed.text)
        assert watch is not None
        ended = browser.post(f"/ui/watches/{watch.group(1)}/end", data={"csrf_token": csrf, **PURPOSE},
                             follow_redirects=False)  # fmt: skip
        assert ended.status_code == 303


def test_the_regional_picture_shows_change_only_where_both_batches_show_the_cell(
    followed: Followed, client: TestClient
) -> None:
    r = client.get("/v1/regional-picture", params={"region": REGION}, headers=followed.auth("follower"))
    assert r.status_code == 200, r.text
    picture = r.json()
    assert picture["previous_batch_id"] == followed.first.batch_id
    before = {
        (c["municipality"], c["sector"]): c
        for c in signals.regional_picture(followed.store, _batch(followed.store, followed.first.batch_id), REGION)[
            "cells"
        ]
    }
    shown = 0
    for cell in picture["cells"]:
        old = before.get((cell["municipality"], cell["sector"]))
        if cell["signals_before"] is not None:
            shown += 1
            assert old is not None and not old["signals_withheld"] and not cell["signals_withheld"]
            assert cell["signals_before"] == old["signals"] and cell["signals_before"] % 5 == 0
        else:
            assert cell["signals_withheld"] or old is None or old["signals_withheld"]
        if cell["mean_probability_change"] is not None:
            assert old is not None and not old["suppressed"] and not cell["suppressed"]
    assert shown > 0


def _batch(store: Store, batch_id: int) -> Batch:
    with store.session() as s:
        found = s.get(Batch, batch_id)
        assert found is not None
        s.expunge(found)
        return found


def test_a_move_planted_in_the_records_fires_its_alert(store: Store, snapshot: Snapshot, tmp_path: Path) -> None:
    """The whole path: a company moved to a domicile address in the register, indicators, scores, alerts."""
    world = tmp_path / "world"
    shutil.copytree(snapshot.world, world)
    indicators = pd.read_parquet(snapshot.indicators)
    addresses = pd.read_parquet(world / "addresses.parquet")
    flex = addresses[(addresses["address_type"] == "domicile_flex") & (addresses["riec_region"] == REGION)]
    scored = set(pd.read_parquet(snapshot.scores, columns=["company_id"])["company_id"])
    calm = indicators[(indicators["domicile_address"] == 0) & (indicators["riec_region"] == REGION)]
    mover = next(c for c in calm["company_id"] if c in scored)
    companies = pq.read_table(world / "companies.parquet")
    frame = companies.to_pandas()
    frame.loc[frame["company_id"] == mover, "address_id"] = flex["address_id"].iloc[0]
    pq.write_table(pa.Table.from_pandas(frame, schema=companies.schema, preserve_index=False),
                   world / "companies.parquet")  # fmt: skip
    moved, peers = compute_indicators(validate_records(world).tables, AS_OF)
    later = tmp_path / "later.parquet"
    write_indicators(IndicatorTable(moved, peers, NEXT_AS_OF, input_fingerprint(world)), later)
    scores = score_file(snapshot.model, later, tmp_path / "later-scores.parquet", "1").out
    root = tmp_path / "store"

    def model_for(_version: str) -> RiskModel:
        return snapshot.model

    load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=root, model_for=model_for)
    add_user(store, "follower", Role.ANALYST, [REGION])
    watches.follow(store, _principal(store, "follower"), mover, PURPOSE["purpose"], PURPOSE["case_reference"])
    second = load_batch(store, scores, later, world, root=root, model_for=model_for)
    rules = set(_alerts(store)["rule"])
    assert "domicile_move" in rules and second.alerts == len(rules)
    assert rules <= {"domicile_move", "band_up", "top_k_entry"}  # the move changed nothing else a rule reads


def test_a_new_model_version_splits_the_model_part_per_indicator(
    store: Store, snapshot: Snapshot, tmp_path: Path
) -> None:
    from .world import quick_model

    other = quick_model(pd.read_parquet(snapshot.indicators), seed=11)
    models = {"1": snapshot.model, "2": other}
    root = tmp_path / "store"
    load_batch(store, snapshot.scores, snapshot.indicators, snapshot.world, root=root, model_for=models.__getitem__)
    rescored = score_file(other, snapshot.indicators, tmp_path / "v2.parquet", "2").out
    second = load_batch(store, rescored, snapshot.indicators, snapshot.world, root=root, model_for=models.__getitem__)
    batch = _batch(store, second.batch_id)
    assert batch.change == "split"
    loaded = BatchExplanations.read(second.folder)
    company = str(loaded.index[0])
    probability = float(pd.read_parquet(rescored).set_index("company_id").loc[company, "probability"])
    found = company_change(store, batch, loaded, company, probability, models.__getitem__)
    assert found["model_split"] == "split" and found["data"] == [] and found["model"]
    assert abs(found["residual"]) < 1e-9
    assert found["score"]["change"] == pytest.approx(found["model_part"], abs=1e-9)
    alone = company_change(store, batch, loaded, company, probability)  # no registry: the exact total only
    assert alone["model_split"].startswith("total only") and alone["model"] == []
    assert alone["model_part"] == pytest.approx(found["model_part"], abs=1e-9) and abs(alone["residual"]) < 1e-9


def test_oversight_sees_every_watch_on_its_page_and_no_company(followed: Followed) -> None:
    app = create_app(followed.store, loader=followed.snapshot.serving)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, followed.keys["oversight"])
        page = browser.get("/ui/oversight/watches")
        assert page.status_code == 200, page.text[:300]
        assert "follower" in page.text and "late" in page.text
        followed_ids = {*followed.planted.values(), followed.unchanged}
        assert not any(company in page.text for company in followed_ids)
    with TestClient(app, raise_server_exceptions=False) as analyst:
        sign_in(analyst, followed.keys["follower"])
        assert analyst.get("/ui/oversight/watches").status_code == 403
