"""Logged shortlists: the policy is recorded with the list, each item with its inclusion probability, and the
feedback export hands both on to training (docs/learning-loop.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core import settings
from serving import feedback
from serving.access import Role, add_user
from serving.inclusion import batch_inclusion
from serving.logged import NoLogError, logged_batch
from serving.loop_monitor import loop_by_batch
from serving.store.tables import Shortlist, ShortlistItem
from training.outcomes import read_outcomes

from .conftest import PURPOSE, REGION, Served
from .pages import sign_in


def _explore(monkeypatch: pytest.MonkeyPatch, epsilon: float = 0.1) -> None:
    monkeypatch.setattr(settings, "SHORTLIST_POLICY", "explore", raising=False)
    monkeypatch.setattr(settings, "SHORTLIST_EPSILON", epsilon, raising=False)
    monkeypatch.setattr(settings, "SHORTLIST_POOL", 4, raising=False)


def _ask(served: Served, top_k: int = 20) -> dict[str, object]:
    made = served.client.post("/v1/shortlists", json={"region": REGION, "top_k": top_k, **PURPOSE},
                              headers=served.auth("analyst"))  # fmt: skip
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def _confirmed_finding(served: Served, body: dict[str, object], company: str, stem: str) -> int:
    """A confirmed outcome on a listed company, confirmed by a second analyst: a label; its feedback id."""
    given = served.client.post(
        "/v1/feedback",
        json={"company_id": company, "outcome": "confirmed", "shortlist_id": body["id"], **PURPOSE},
        headers=served.auth("analyst"),
    )
    assert given.status_code == 201, given.text
    second = add_user(served.store, f"{stem}-{served.store.engine.dialect.name}", Role.ANALYST, [REGION]).api_key
    confirmed = served.client.post(f"/v1/feedback/{given.json()['id']}/confirm", json=PURPOSE,
                                   headers={"Authorization": f"Bearer {second}"})  # fmt: skip
    assert confirmed.status_code == 201, confirmed.text
    return int(given.json()["id"])


def test_a_deterministic_list_says_so(served: Served) -> None:
    body = _ask(served)
    assert body["policy"] == "top_k" and body["epsilon"] == 0 and body["explored"] == 0
    items = body["items"]
    assert isinstance(items, list)
    assert all(i["inclusion_probability"] == 1.0 and not i["explored"] for i in items)


def test_an_exploring_list_records_its_draw_and_every_items_chance(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    _explore(monkeypatch)
    body = _ask(served)
    items = body["items"]
    assert isinstance(items, list) and len(items) == 20
    explored = [i for i in items if i["explored"]]
    assert body["policy"] == "explore" and body["explored"] == len(explored) == 2
    fixed = [i for i in items if not i["explored"]]
    assert [i["region_rank"] for i in fixed] == list(range(1, 19))  # the top 18 with certainty
    assert all(i["inclusion_probability"] == 1.0 for i in fixed)
    pool = 4 * 20 - 18  # ranks 19 ... 80
    assert all(i["inclusion_probability"] == pytest.approx(2 / pool) for i in explored)
    assert all(19 <= i["region_rank"] <= 80 for i in explored)
    with served.store.session() as s:
        stored = s.get(Shortlist, body["id"])
        assert stored is not None and stored.policy == "explore" and stored.epsilon == 0.1 and stored.draw_seed
        rows = s.scalars(select(ShortlistItem).where(ShortlistItem.shortlist_id == body["id"])).all()
    assert sum(r.explored for r in rows) == 2
    again = served.client.get(f"/v1/shortlists/{body['id']}", params=PURPOSE, headers=served.auth("analyst")).json()
    assert [(i["company_id"], i["inclusion_probability"], i["explored"]) for i in again["items"]] == [
        (i["company_id"], i["inclusion_probability"], i["explored"]) for i in items
    ]


def test_the_export_carries_as_of_policy_and_probability_into_training(
    served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _explore(monkeypatch, 0.2)
    body = _ask(served, 10)
    items = body["items"]
    assert isinstance(items, list)
    explored = next(i for i in items if i["explored"])
    feedback_id = _confirmed_finding(served, body, str(explored["company_id"]), "Tweede-log")
    out = tmp_path / "fb.parquet"
    feedback.export(served.store, out, include_exported=True)
    row = pd.read_parquet(out).set_index("feedback_id").loc[feedback_id]
    assert row["shortlist_id"] == body["id"] and row["policy"] == "explore" and bool(row["explored"])
    # its chance over every list of the batch (other lists of the region may hold it too), at least this list's
    combined = batch_inclusion(served.store, int(row["batch_id"]))[explored["company_id"]]
    assert row["inclusion_probability"] == pytest.approx(combined)
    assert combined >= explored["inclusion_probability"] - 1e-12
    assert row["as_of"] == body["as_of"]
    found = read_outcomes(out).frame.set_index("provenance")
    mine = found[found.index.str.contains(f"feedback_id={feedback_id};")]
    assert len(mine) == 1 and mine["inclusion_probability"].iloc[0] == pytest.approx(combined)
    assert feedback.labelled_outcomes(served.store)["feedback_id"].isin([feedback_id]).any()


def test_a_batchs_logs_give_every_company_its_chance_and_the_findings(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    _explore(monkeypatch, 0.2)
    body = _ask(served, 10)
    items = body["items"]
    assert isinstance(items, list)
    drawn = next(i for i in items if i["explored"])
    _confirmed_finding(served, body, str(drawn["company_id"]), "Derde-log")
    signals, logged, version = logged_batch(served.store, str(body["as_of"]))
    assert version == body["model_version"]
    pi = pd.Series(pi_of(served, signals), index=signals["company_id"].to_numpy())
    for item in items:  # over all the batch's lists a company had at least the chance this list gave it
        assert pi[item["company_id"]] >= item["inclusion_probability"] - 1e-12
    in_region = (signals["riec_region"] == REGION).to_numpy()
    assert pi[in_region].max() == 1.0 and (pi >= 0).all() and (pi <= 1).all()
    observed = pd.Series(logged.outcome, index=signals["company_id"].to_numpy()).dropna()
    assert observed[drawn["company_id"]] == 1.0  # the confirmed finding on the drawn place
    # π is scaled by the share of such places that got a label, so the answered stand for the unanswered
    shares = signals.set_index("company_id")["answered_share"]
    assert 0 < shares[drawn["company_id"]] <= 1
    assert logged.pi[signals["company_id"] == drawn["company_id"]][0] == pytest.approx(
        pi[drawn["company_id"]] * shares[drawn["company_id"]]
    )


def pi_of(served: Served, signals: pd.DataFrame) -> np.ndarray:
    """π over all the lists of the served batch, as the export and the logs compute it."""
    from serving.batches import current_batch

    batch = current_batch(served.store)
    assert batch is not None
    return batch_inclusion(served.store, batch.id).reindex(signals["company_id"].to_numpy()).to_numpy()


def test_a_day_without_a_batch_is_refused(served: Served) -> None:
    with pytest.raises(NoLogError, match="no batch"):
        logged_batch(served.store, "1999-12-31")


def test_oversight_sees_the_loops_bookkeeping_per_batch(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    _explore(monkeypatch, 0.2)
    body = _ask(served, 20)
    rows = loop_by_batch(served.store)
    mine = next(r for r in rows if r["as_of"] == body["as_of"])
    assert mine["lists"] >= 1 and 0.0 < mine["explored_share"] < 1.0
    assert all(isinstance(mine[k], int) and mine[k] % 5 == 0 for k in ("listed", "outcomes_fixed", "outcomes_explored"))
    client = TestClient(served.client.app, raise_server_exceptions=False)
    sign_in(client, served.keys["oversight"])
    page = client.get("/ui/oversight/drift")
    assert page.status_code == 200 and 'id="learning-loop"' in page.text
