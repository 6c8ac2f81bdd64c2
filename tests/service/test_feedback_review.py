"""Feedback cannot poison retraining: a per-user daily limit, and no label without a second analyst's confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from core import settings
from serving import auditlog, feedback
from serving.access import Role, add_user
from serving.store.tables import Signal

from .conftest import OTHER_REGION, PURPOSE, REGION, Served
from .pages import sign_in


def _analyst(served: Served, stem: str, region: str = REGION) -> dict[str, str]:
    key = add_user(served.store, f"{stem}-{served.store.engine.dialect.name}", Role.ANALYST, [region]).api_key
    return {"Authorization": f"Bearer {key}"}


def _companies(served: Served, n: int, skip: int = 0) -> list[str]:
    with served.store.session() as s:
        found = s.scalars(select(Signal.company_id).where(Signal.riec_region == REGION)
                          .order_by(Signal.region_rank.desc()).offset(skip).limit(n)).all()  # fmt: skip
    return list(found)


def _recorded(served: Served, endpoint: str, status: int) -> dict[str, Any]:
    """The newest final record of ``endpoint`` with ``status`` (pending records come before each change)."""
    return next(r for r in auditlog.page(served.store, 1, 20)[0] if r["endpoint"] == endpoint and r["status"] == status)


def _give(served: Served, headers: dict[str, str], company: str, outcome: str = "confirmed") -> Response:
    return served.client.post("/v1/feedback", json={"company_id": company, "outcome": outcome, **PURPOSE},
                              headers=headers)  # fmt: skip


def test_feedback_past_the_per_user_limit_gets_429(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FEEDBACK_PER_DAY", 3, raising=False)
    flooder, colleague = _analyst(served, "Vloed"), _analyst(served, "Collega")
    companies = _companies(served, 5)
    assert [_give(served, flooder, c).status_code for c in companies[:3]] == [201, 201, 201]
    over = _give(served, flooder, companies[3])
    assert over.status_code == 429, over.text
    assert 0 < int(over.headers["retry-after"]) <= 86_400
    assert _give(served, colleague, companies[3]).status_code == 201  # per user
    assert _recorded(served, "/v1/feedback", 429)["params"]["company_id"] == companies[3]  # refused, and recorded


def test_the_feedback_page_keeps_to_the_limit_too(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FEEDBACK_PER_DAY", 1, raising=False)
    name = f"Pagina-{served.store.engine.dialect.name}"
    client = TestClient(served.client.app, raise_server_exceptions=False)
    csrf = sign_in(client, add_user(served.store, name, Role.ANALYST, [REGION]).api_key)
    company = _companies(served, 1, skip=10)[0]
    form = {"csrf_token": csrf, "outcome": "dismissed", **PURPOSE}
    first = client.post(f"/ui/companies/{company}/feedback", data=form, follow_redirects=False)
    assert first.status_code == 303
    second = client.post(f"/ui/companies/{company}/feedback", data=form, follow_redirects=False)
    assert second.status_code == 429 and "24" in second.text and second.headers["retry-after"]


def test_an_outcome_is_a_label_only_once_a_second_analyst_confirms_it(served: Served, tmp_path: Path) -> None:
    second, elsewhere = _analyst(served, "Tweede"), _analyst(served, "Elders", OTHER_REGION)
    confirmed, dismissed = _companies(served, 2, skip=20)
    ids = [_give(served, served.auth("analyst"), c, o).json()["id"]
           for c, o in ((confirmed, "confirmed"), (dismissed, "dismissed"))]  # fmt: skip
    first = feedback.export(served.store, tmp_path / "first.parquet")
    labels = pd.read_parquet(tmp_path / "first.parquet")
    assert not set(ids) & set(labels["feedback_id"])  # one analyst's word is no label
    assert first["unconfirmed_left_out"] >= 2

    def confirm(feedback_id: int, headers: dict[str, str]) -> Response:
        return served.client.post(f"/v1/feedback/{feedback_id}/confirm", json=PURPOSE, headers=headers)

    own = confirm(ids[0], served.auth("analyst"))
    assert own.status_code == 403
    hidden, missing = confirm(ids[0], elsewhere), confirm(999_999_999, second)
    assert hidden.status_code == missing.status_code == 404
    assert confirm(ids[0], served.auth("scientist")).status_code == 403
    done = confirm(ids[0], second)
    assert done.status_code == 201, done.text
    assert done.json()["confirmed_by"].startswith("Tweede")
    assert confirm(ids[0], second).status_code == 409  # once per person
    record = _recorded(served, "/v1/feedback/{feedback_id}/confirm", 201)
    assert record["entity_ids"] == [confirmed] and record["params"]["feedback_id"] == ids[0]
    assert record["case_reference"] == PURPOSE["case_reference"]
    listed = served.client.get(f"/v1/companies/{confirmed}/feedback", params=PURPOSE, headers=second).json()
    mine = next(f for f in listed if f["id"] == ids[0])
    assert mine["confirmed_by"] == [done.json()["confirmed_by"]] and not mine["confirmable"]
    out = tmp_path / "second.parquet"
    summary = feedback.export(served.store, out)
    labels = pd.read_parquet(out)
    assert ids[0] in set(labels["feedback_id"]) and ids[1] not in set(labels["feedback_id"])
    row = labels.set_index("feedback_id").loc[ids[0]]
    assert row["label"] == 1 and row["confirmed_by"] == done.json()["confirmed_by"]
    assert summary["unconfirmed_left_out"] >= 1


def test_a_second_analyst_confirms_on_the_company_page(served: Served) -> None:
    company = _companies(served, 1, skip=30)[0]
    given = _give(served, served.auth("analyst"), company, "dismissed").json()
    name = f"Pagina-2-{served.store.engine.dialect.name}"
    client = TestClient(served.client.app, raise_server_exceptions=False)
    csrf = sign_in(client, add_user(served.store, name, Role.ANALYST, [REGION]).api_key)
    asked = client.get(f"/ui/companies/{company}", params=PURPOSE)
    link = client.post("/ui/case", data={"csrf_token": csrf, **PURPOSE, "then": f"/ui/companies/{company}"})
    action = f"/ui/companies/{company}/feedback/{given['id']}/confirm"
    assert asked.status_code == 200 and f'action="{action}"' in link.text
    r = client.post(action, data={"csrf_token": csrf, **PURPOSE}, follow_redirects=False)
    assert r.status_code == 303 and "reviewed=1" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert name in page.text and f'action="{action}"' not in page.text  # confirmed, and not twice
    assert client.post(action, data={"csrf_token": csrf, **PURPOSE}).status_code == 409
    own = TestClient(served.client.app, raise_server_exceptions=False)
    own_csrf = sign_in(own, served.keys["analyst"])
    assert own.post(action, data={"csrf_token": own_csrf, **PURPOSE}).status_code == 403
