"""Rectification through the API: contestable facts only, both versions kept, four eyes, export and the next run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import corrections
from serving import rectification
from serving.access import Role, add_user

from .conftest import PURPOSE, REGION, Served
from .test_reasons_recourse import _signalled


@pytest.fixture(scope="module")
def second(served: Served) -> dict[str, str]:
    """A second analyst of the region, who may accept a colleague's rectification."""
    key = add_user(served.store, "analyst_second", Role.ANALYST, [REGION]).api_key
    return {"Authorization": f"Bearer {key}"}


def _record(served: Served, company: str, facts: dict[str, float | None], who: str = "analyst") -> object:
    body = {"facts": facts, "evidence": "KvK-uittreksel 2024-01-15", **PURPOSE}
    return served.client.post(f"/v1/companies/{company}/rectifications", json=body, headers=served.auth(who))


def test_a_rectification_is_rescored_and_kept_beside_the_signal(served: Served) -> None:
    company = _signalled(served)
    r = _record(served, company, {"companies_at_address": 1.0, "last_filing_days_late": None})
    assert r.status_code == 201, r.text
    body = r.json()
    signal = served.client.get(f"/v1/companies/{company}/signal", params=PURPOSE, headers=served.auth("analyst"))
    assert body["state"] == "pending" and body["probability"] == pytest.approx(signal.json()["probability"])
    model = served.client.app.state.tegenkracht.champion.current.model
    row = pd.read_parquet(served.snapshot.indicators).set_index("company_id").loc[[company], list(model.features)]
    recorded = {f["id"]: f["recorded"] for f in body["facts"]}
    assert recorded["companies_at_address"] == row["companies_at_address"].iloc[0]
    row["companies_at_address"], row["last_filing_days_late"] = 1.0, np.nan
    assert body["rescored_probability"] == pytest.approx(float(model.probability(row)[0]), abs=1e-12)
    history = served.client.get(
        f"/v1/companies/{company}/rectifications", params=PURPOSE, headers=served.auth("analyst")
    ).json()
    assert history[0]["id"] == body["id"] and history[0]["rescored_probability"] == body["rescored_probability"]
    away = served.client.get(
        f"/v1/companies/{company}/rectifications", params=PURPOSE, headers=served.auth("analyst_elsewhere")
    )
    assert away.status_code == 404


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"sector_cash_intensive": 0.0}, "body.facts.sector_cash_intensive"),  # its sector is no record to dispute
        ({"not_an_indicator": 1.0}, "body.facts.not_an_indicator"),
        ({}, "body.facts"),
    ],
)
def test_only_contestable_facts_of_the_model_can_be_disputed(
    served: Served, facts: dict[str, float | None], field: str
) -> None:
    r = _record(served, _signalled(served), facts)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert field in r.text


def test_a_second_analyst_decides_once_and_only_accepted_corrections_are_exported(
    served: Served, second: dict[str, str], tmp_path: Path
) -> None:
    company = _signalled(served)
    accepted = _record(served, company, {"director_changes_3y": 0.0}).json()
    pending = _record(served, company, {"owner_changes_3y": 0.0}).json()
    path = f"/v1/rectifications/{accepted['id']}/accept"
    assert served.client.post(path, json=PURPOSE, headers=served.auth("analyst")).status_code == 403, "not your own"
    assert served.client.post(path, json=PURPOSE, headers=served.auth("analyst_elsewhere")).status_code == 404
    done = served.client.post(path, json=PURPOSE, headers=second)
    assert done.status_code == 200 and done.json()["state"] == "accepted" and done.json()["decided_by"]
    assert served.client.post(path, json=PURPOSE, headers=second).status_code == 409, "decided once"
    summary = rectification.export(served.store, tmp_path / "corrections.parquet")
    exported = pd.read_parquet(tmp_path / "corrections.parquet")
    assert accepted["id"] in set(exported.rectification_id) and pending["id"] not in set(exported.rectification_id)
    assert summary["facts"] == len(exported)
    again = rectification.export(served.store, tmp_path / "again.parquet")
    assert again["rectifications"] == 0, "exported once"

    indicators = pd.read_parquet(served.snapshot.indicators)
    fixed, applied = corrections.apply(indicators, corrections.read(tmp_path / "corrections.parquet"),
                                       pd.Timestamp(served.batch.as_of))  # fmt: skip
    assert fixed.set_index("company_id").loc[company, "director_changes_3y"] == 0.0
    assert list(applied.rectification_id).count(accepted["id"]) == 1
    untouched = fixed.company_id != company
    pd.testing.assert_frame_equal(fixed[untouched], indicators[untouched])
    earlier, none = corrections.apply(indicators, exported, pd.Timestamp(served.batch.as_of) - pd.Timedelta(days=1))
    assert none.empty and earlier.equals(indicators), "no run sees a correction from its future"
