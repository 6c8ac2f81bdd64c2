"""Reasons as checkable facts on a generated world, exact recourse and the fact statement, through the API."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from core import settings
from models import facts
from models.reasons import MISSING
from serving import auditlog
from serving.store.tables import Signal

from .conftest import PURPOSE, REGION, Served

TOP = 100


def _shown_digits(key: str, value: float, head: str) -> int:
    """The decimals the sentence shows the value with (the one rendering that gives the sentence back)."""
    for d in range(7):
        if facts.fact(key, value, "nl", d)[:1].upper() + facts.fact(key, value, "nl", d)[1:] == head:
            return d
    raise AssertionError(f"{head!r} is not the template's sentence for {key} = {value}")


def test_no_top_three_raising_reason_of_a_regions_top_100_is_a_bare_unknown_or_its_reference(served: Served) -> None:
    with served.store.engine.connect() as c:
        rows = c.execute(
            select(Signal.riec_region, Signal.reasons).where(
                Signal.batch_id == served.batch.batch_id, Signal.region_rank <= TOP
            )
        ).all()
    regions = {r.riec_region for r in rows}
    assert len(regions) > 3 and len(rows) > 300, "the acceptance covers several regions' top 100"
    checked = 0
    for row in rows:
        for reason in json.loads(row.reasons)[:3]:
            assert reason["direction"] == "raises" and reason["contribution"] > 0
            assert "onbekend" not in reason["text_nl"] and "unknown" not in reason["text_en"]
            if reason["value"] is None:
                cause = reason["key"].removeprefix(MISSING)
                assert reason["key"].startswith(MISSING) and cause != "unknown", reason
                assert reason["members"], "a missing-value reason names the indicators it stands for"
            else:
                key, value, ref = reason["key"], reason["value"], reason["reference"]
                assert ref is None or value != ref, reason
                head, _, tail = reason["text_nl"].rpartition("; bij vergelijkbare bedrijven ")
                d = _shown_digits(key, value, head.rsplit(" (", 1)[0])
                if ref is not None:
                    assert tail == facts.short(key, ref, "nl", d)
                    assert facts.short(key, value, "nl", d) != tail, f"reads as its reference: {reason['text_nl']}"
            checked += 1
    assert checked > 600


def _signalled(served: Served) -> str:
    with served.store.engine.connect() as c:
        return str(
            c.execute(
                select(Signal.company_id)
                .where(Signal.batch_id == served.batch.batch_id, Signal.riec_region == REGION)
                .order_by(Signal.region_rank)
                .limit(1)
            ).scalar_one()
        )


def test_recourse_sets_are_sufficient_minimal_and_contestable(served: Served) -> None:
    company = _signalled(served)
    r = served.client.get(f"/v1/companies/{company}/recourse", params=PURPOSE, headers=served.auth("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["threshold"] == settings.SIGNAL_THRESHOLD and body["signalled"]
    assert "geen advies" in body["wording_nl"] and "not advice" in body["wording_en"]
    model = served.client.app.state.tegenkracht.champion.current.model
    assert body["model_version"] == served.batch.model_version
    values = pd.read_parquet(served.snapshot.indicators).set_index("company_id").loc[[company], list(model.features)]
    assert model.probability(values)[0] == pytest.approx(body["probability"], abs=1e-12)

    def corrected(chosen: list[dict[str, object]]) -> float:
        row = values.copy()
        for f in chosen:
            row[f["id"]] = np.nan if f["corrected"] is None else f["corrected"]
        return float(model.probability(row)[0])

    for found in body["sets"]:
        assert all(f["record"] for f in found["facts"]), "only facts the company can dispute"
        assert set(f["id"] for f in found["facts"]) <= set(body["candidates"])
        assert corrected(found["facts"]) == pytest.approx(found["probability"], abs=1e-12)
        assert found["probability"] < body["threshold"]
        for k in range(1, len(found["facts"])):
            for sub in itertools.combinations(found["facts"], k):
                assert corrected(list(sub)) >= body["threshold"], "a proper subset suffices: not minimal"
    if not body["sets"]:
        assert body["tried"] > 0 or not body["candidates"], "an empty answer says what was searched"
    assert auditlog.page(served.store, 1, 1)[0][0]["entity_ids"] == [company]
    away = served.client.get(
        f"/v1/companies/{company}/recourse", params=PURPOSE, headers=served.auth("analyst_elsewhere")
    )
    assert away.status_code == 404
    bare = served.client.get(f"/v1/companies/{company}/recourse", headers=served.auth("analyst"))
    assert bare.status_code == 422 and "purpose" in bare.text


def test_the_fact_statement_states_facts_with_source_and_date_and_no_score(served: Served) -> None:
    company = _signalled(served)
    r = served.client.get(f"/v1/companies/{company}/statement", params=PURPOSE, headers=served.auth("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["facts"], "a signalled company has facts behind its signal"
    date_nl = facts.date_text(served.batch.as_of, "nl")
    for f in body["facts"]:
        assert f["source_nl"] and f["source_en"] and f["date_nl"] == date_nl and f["indicators_nl"]
    signal = served.client.get(f"/v1/companies/{company}/signal", params=PURPOSE, headers=served.auth("analyst"))
    score = signal.json()["score"]
    text = json.dumps(body)
    assert "score" not in body and "probability" not in text and f"{score:.3f}" not in text
    md = served.client.get(
        f"/v1/companies/{company}/statement", params={**PURPOSE, "format": "markdown", "lang": "nl"},
        headers=served.auth("analyst"),
    )  # fmt: skip
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert f'filename="feitenoverzicht-{company}.md"' in md.headers["content-disposition"]
    assert body["facts"][0]["fact_nl"] in md.text and "geen besluit" in md.text and date_nl in md.text
    record = auditlog.page(served.store, 1, 1)[0][0]
    assert record["entity_ids"] == [company] and record["params"]["format"] == "markdown"
    away = served.client.get(
        f"/v1/companies/{company}/statement", params=PURPOSE, headers=served.auth("analyst_elsewhere")
    )
    assert away.status_code == 404
