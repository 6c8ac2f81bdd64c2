"""The API end to end on both backends: access, scope, purpose binding, answers, errors, the audit trail."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from core import settings
from features.catalogue import FEATURES
from serving import auditlog
from serving.api.strangers import COUNTS
from training.transparency import NAMES

from .conftest import OTHER_REGION, PURPOSE, REGION, Served

PROBLEM = "application/problem+json"
OVERSIGHT = {"purpose": "use_review", "oversight_case": "TOEZICHT-2026-1"}


def _shortlist(served: Served, who: str = "analyst", **extra: object) -> object:
    body = {"region": REGION, "top_k": 20, **PURPOSE, **extra}
    return served.client.post("/v1/shortlists", json=body, headers=served.auth(who))


def _last(served: Served) -> dict[str, object]:
    records, _ = auditlog.page(served.store, 1, 1)
    return records[0]


def test_health_needs_no_key_and_ready_reports_model_and_batch(served: Served) -> None:
    assert served.client.get("/health").json() == {"status": "ok"}
    assert served.client.get("/ready").json() == {"ready": True, "model": True, "store": True, "batch": True}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer tk_000000000000_forged", "Basic abc"])
def test_missing_or_invalid_keys_get_401_problems(served: Served, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = served.client.get("/v1/model", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["status"] == 401


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("oversight", "post", "/v1/shortlists"),
        ("admin", "get", "/v1/companies/12345678/signal"),
        ("scientist", "post", "/v1/feedback"),
        ("analyst", "get", "/v1/audit-log"),
        ("analyst", "post", "/v1/score"),
        ("oversight", "post", "/v1/admin/reload"),
        ("admin", "get", "/v1/fairness/report"),
        ("scientist", "get", "/v1/regional-picture"),
    ],
)
def test_wrong_role_gets_403_before_anything_else(served: Served, who: str, method: str, path: str) -> None:
    r = served.client.request(method, path, headers=served.auth(who), params=PURPOSE, json={})
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == PROBLEM


def test_shortlist_is_the_regions_top_by_score_with_bilingual_reasons(served: Served) -> None:
    r = _shortlist(served)
    assert r.status_code == 201, r.text
    body = r.json()
    items = body["items"]
    assert len(items) == 20 and [i["rank"] for i in items] == list(range(1, 21))
    scores = pd.read_parquet(served.snapshot.scores)
    regions = pd.read_parquet(served.snapshot.indicators, columns=["company_id", "riec_region"])
    region = scores.merge(regions, on="company_id").query("riec_region == @REGION")
    expected = region.sort_values("score", ascending=False)["score"].head(20).to_numpy()
    assert np.allclose([i["score"] for i in items], expected)  # the top 20 scores, in order
    assert all(i["reasons"] and i["reasons"][0]["text_nl"] and i["reasons"][0]["text_en"] for i in items)
    assert all(r["direction"] == "raises" for i in items for r in i["reasons"])
    assert body["model_version"] == "1" and body["purpose"] == "riec_case"
    again = served.client.get(f"/v1/shortlists/{body['id']}", params=PURPOSE, headers=served.auth("analyst"))
    assert again.status_code == 200 and again.json()["items"] == items


def test_shortlist_filters_by_sector_and_municipality(served: Served) -> None:
    first = _shortlist(served).json()["items"][0]
    by_sector = _shortlist(served, sector=first["sector"]).json()["items"]
    assert by_sector and {i["sector"] for i in by_sector} == {first["sector"]}
    by_town = _shortlist(served, municipality=first["municipality"]).json()["items"]
    assert by_town and {i["municipality"] for i in by_town} == {first["municipality"]}


def test_another_regions_analyst_cannot_ask_for_or_read_the_shortlist(served: Served) -> None:
    mine = _shortlist(served).json()
    assert _shortlist(served, who="analyst_elsewhere").status_code == 403
    r = served.client.get(f"/v1/shortlists/{mine['id']}", params=PURPOSE, headers=served.auth("analyst_elsewhere"))
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": None}, "body.purpose"),
        ({"case_reference": None}, "body.case_reference"),
        ({"purpose": "curiosity"}, "body.purpose"),
        ({"case_reference": "Jan Jansen"}, "body.case_reference"),
        ({"top_k": settings.MAX_TOP_K + 1}, "body.top_k"),
        ({"region": "Atlantis"}, "body.region"),
        ({"colour": "red"}, "body.colour"),
    ],
)
def test_bad_shortlist_requests_get_422_naming_the_field(served: Served, change: dict, field: str) -> None:
    body = {"region": REGION, "top_k": 5, **PURPOSE, **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = served.client.post("/v1/shortlists", json=body, headers=served.auth("analyst"))
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in r.json()["errors"]]


def test_company_signal_carries_the_exact_explanation(served: Served) -> None:
    top = _shortlist(served).json()["items"][0]
    r = served.client.get(f"/v1/companies/{top['company_id']}/signal", params=PURPOSE, headers=served.auth("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert {i["id"] for i in body["indicators"]} == set(FEATURES)
    total = body["base_value"] + sum(i["contribution"] for i in body["indicators"])
    assert abs(total - body["score"]) <= 1e-9  # base value + contributions = score
    values = pd.read_parquet(served.snapshot.indicators).set_index("company_id").loc[top["company_id"]]
    for ind in body["indicators"]:
        expected = values[ind["id"]]
        assert (ind["value"] is None and pd.isna(expected)) or ind["value"] == pytest.approx(expected)
    assert body["reasons"]["raises"][0]["key"] == top["reasons"][0]["key"]
    assert "menselijke beoordeling" in body["notice"]


def test_a_company_outside_the_region_answers_like_one_that_does_not_exist(served: Served) -> None:
    top = _shortlist(served).json()["items"][0]["company_id"]
    foreign = served.client.get(f"/v1/companies/{top}/signal", params=PURPOSE,
                                headers=served.auth("analyst_elsewhere"))  # fmt: skip
    missing = served.client.get("/v1/companies/99999999/signal", params=PURPOSE, headers=served.auth("analyst"))
    assert foreign.status_code == missing.status_code == 404

    def strip(r: object) -> dict[str, object]:
        return {k: v for k, v in r.json().items() if k not in ("detail", "instance")}

    assert strip(foreign) == strip(missing)
    assert foreign.json()["detail"].replace(top, "X") == missing.json()["detail"].replace("99999999", "X")


def test_entity_reads_without_purpose_are_refused(served: Served) -> None:
    r = served.client.get("/v1/companies/12345678/signal", headers=served.auth("analyst"))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"query.purpose", "query.case_reference"}


def test_every_request_is_in_the_audit_trail_with_purpose_case_and_entities(served: Served) -> None:
    served.client.app.state.tegenkracht.strangers.flush()  # earlier tests' counts
    before = auditlog.verify(served.store).head_seq
    items = _shortlist(served).json()["items"]
    record = _last(served)
    assert record["endpoint"] == "/v1/shortlists" and record["status"] == 201
    assert record["user"] == "analyst" and record["role"] == "analyst"
    assert record["purpose"] == "riec_case" and record["case_reference"] == PURPOSE["case_reference"]
    assert record["entity_ids"] == [i["company_id"] for i in items]
    assert record["model_version"] == "1"
    pending = auditlog.page(served.store, 2, 1)[0][0]  # written before the handler ran, and pointed back to
    assert pending["status"] == 0 and pending["params"] == {"phase": "pending"} and pending["user"] == "analyst"
    assert record["params"]["pending_seq"] == pending["seq"] and record["key_id"] == pending["key_id"] != ""
    served.client.get("/v1/model", headers={"Authorization": "Bearer nope"})
    assert _last(served)["seq"] == record["seq"]  # a stranger's request to a route naming no company: counted
    served.client.get("/v1/companies/1/signal", headers=served.auth("analyst"))
    assert _last(served)["endpoint"] == "/v1/companies/{company_id}/signal" and _last(served)["status"] == 422
    assert auditlog.verify(served.store).head_seq == before + 3
    assert served.client.app.state.tegenkracht.strangers.flush() == 1
    counts = _last(served)
    assert counts["endpoint"] == COUNTS and [r[1:] for r in counts["params"]["counts"]] == [
        ["/v1/model", 401, "testclient", 1]
    ]
    verified = served.client.get("/v1/audit-log/verify", headers=served.auth("oversight")).json()
    assert verified["ok"] and verified["first_bad_seq"] is None
    listed = served.client.get("/v1/audit-log", params={"size": 2}, headers=served.auth("oversight")).json()
    assert listed["total"] >= before + 4 and len(listed["records"]) == 2
    company = items[0]["company_id"]
    narrowed = served.client.get("/v1/audit-log", params={"company_id": company, "user": "analyst", **OVERSIGHT},
                                 headers=served.auth("oversight")).json()  # fmt: skip
    assert narrowed["total"] >= 1 and all(r["entity_count"] >= 1 for r in narrowed["records"])
    assert all(r["user"] == "analyst" for r in narrowed["records"])
    served.client.get("/v1/model", headers=served.auth("scientist"))
    by_route = served.client.get("/v1/audit-log", params={"endpoint": "/v1/model", "size": 500},
                                 headers=served.auth("oversight")).json()  # fmt: skip
    assert by_route["records"] and {r["endpoint"] for r in by_route["records"]} == {"/v1/model"}
    nobody = served.client.get("/v1/audit-log", params={"company_id": "00000001", **OVERSIGHT},
                               headers=served.auth("oversight"))  # fmt: skip
    assert nobody.json()["total"] == 0
    part = auditlog.Filter(company_id=company[:7])  # the API takes whole ids; the filter matches whole ids too
    assert auditlog.page(served.store, 1, 10, part)[1] == 0


def test_no_key_and_no_entity_data_in_application_logs(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    items = _shortlist(served).json()["items"]
    served.client.get(f"/v1/companies/{items[0]['company_id']}/signal", params=PURPOSE,
                      headers=served.auth("analyst"))  # fmt: skip
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # the client's
    assert "/v1/shortlists" in logged  # the request is logged...
    for secret in (served.keys["analyst"], served.keys["analyst"].split("_", 2)[2], PURPOSE["case_reference"]):
        assert secret not in logged  # ...but not the key, nor the case
    for item in items:
        assert item["company_id"] not in logged and item["name"] not in logged


def test_score_rows_match_the_model_and_bad_rows_are_named(served: Served) -> None:
    frame = pd.read_parquet(served.snapshot.indicators).head(3)
    rows = [
        {f: (None if pd.isna(v) else float(v)) for f, v in r.items()} for r in frame[list(FEATURES)].to_dict("records")
    ]
    r = served.client.post("/v1/score", json={"rows": rows}, headers=served.auth("scientist"))
    assert r.status_code == 200, r.text
    got = [i["score"] for i in r.json()["items"]]
    assert np.allclose(got, served.snapshot.model.score(frame), atol=1e-12)
    item = r.json()["items"][0]
    assert abs(item["base_value"] + sum(item["contributions"].values()) - item["score"]) <= 1e-9
    broken = [dict(rows[0]), {k: v for k, v in rows[1].items() if k != FEATURES[0]}]
    broken[0]["postcode"] = 1.0
    r = served.client.post("/v1/score", json={"rows": broken}, headers=served.auth("scientist"))
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert "body.rows.0.postcode" in fields and "body.rows.1" in fields
    too_many = served.client.post("/v1/score", json={"rows": [rows[0]] * (settings.MAX_SCORE_ROWS + 1)},
                                  headers=served.auth("scientist"))  # fmt: skip
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "body.rows"


def test_oversized_bodies_get_413_with_or_without_a_length(served: Served) -> None:
    blob = json.dumps({"rows": [{"x": 1.0}], "pad": "x" * (settings.MAX_BODY_BYTES + 10)}).encode()
    headers = {**served.auth("scientist"), "content-type": "application/json"}
    strangers = served.client.app.state.tegenkracht.strangers
    strangers.flush()  # earlier tests' counts, so that the next flush holds this request's alone
    r = served.client.post("/v1/score", content=blob, headers=headers)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert r.headers["x-content-type-options"] == "nosniff"  # problems carry the security headers too
    assert strangers.flush() == 1 and _last(served)["params"]["counts"][0][1:3] == ["/v1/score", 413]  # key unread

    def chunked() -> object:  # no Content-Length: the body arrives in pieces
        for start in range(0, len(blob), 1 << 20):
            yield blob[start : start + (1 << 20)]

    r = served.client.post("/v1/score", content=chunked(), headers=headers)
    assert r.status_code == 413 and r.json()["status"] == 413
    small = json.dumps({"rows": [{"x": 1.0}]}).encode()
    r = served.client.post("/v1/score", content=iter([small[:5], small[5:]]), headers=headers)
    assert r.status_code == 422  # a small chunked body still reaches the handler whole


def test_regional_picture_suppresses_small_cells(served: Served) -> None:
    r = served.client.get("/v1/regional-picture", params={"region": REGION, "band": "high"},
                          headers=served.auth("oversight"))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["band"] == "high" and body["band_floor"] == 0.05
    cells = body["cells"]
    shown = [c for c in cells if not c["suppressed"]]
    hidden = [c for c in cells if c["suppressed"]]
    assert shown and hidden
    assert all(c["companies"] is None or c["companies"] >= 10 for c in cells)
    assert all(c["companies"] is None and c["signals"] is None and c["mean_probability"] is None for c in hidden)
    scores = pd.read_parquet(served.snapshot.scores).merge(
        pd.read_parquet(
            served.snapshot.indicators, columns=["company_id", "riec_region", "municipality", "sbi_section"]
        )
    )
    for cell in shown:
        truth = scores.query("riec_region == @REGION and municipality == @cell['municipality'] "
                             "and sbi_section == @cell['sector']")  # fmt: skip
        assert cell["companies"] == len(truth)
        if not cell["signals_withheld"]:
            k = int((truth.probability >= 0.05).sum())
            assert abs(cell["signals"] - k) <= 2 and cell["signals"] % 5 == 0  # rounded to five
    own = served.client.get("/v1/regional-picture", params={"region": REGION}, headers=served.auth("analyst"))
    other = served.client.get("/v1/regional-picture", params={"region": OTHER_REGION}, headers=served.auth("analyst"))
    assert own.status_code == 200 and own.json()["band"] == "raised" and other.status_code == 403


def test_feedback_is_stored_with_provenance_and_checked_against_the_shortlist(served: Served) -> None:
    shortlist = _shortlist(served).json()
    company = shortlist["items"][0]["company_id"]
    ok = served.client.post("/v1/feedback", json={"company_id": company, "shortlist_id": shortlist["id"],
                            "outcome": "confirmed", "note": "zie dossier", **PURPOSE},
                            headers=served.auth("analyst"))  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert ok.json()["model_version"] == "1"
    record = _last(served)
    assert record["params"]["note_chars"] == len("zie dossier") and "zie dossier" not in json.dumps(record)
    elsewhere = served.client.post("/v1/feedback", json={"company_id": company, "outcome": "dismissed", **PURPOSE},
                                   headers=served.auth("analyst_elsewhere"))  # fmt: skip
    assert elsewhere.status_code == 404
    not_on_list = served.client.post("/v1/feedback", json={"company_id": shortlist["items"][0]["company_id"],
                                     "shortlist_id": "00000000-0000-0000-0000-000000000000",
                                     "outcome": "dismissed", **PURPOSE}, headers=served.auth("analyst"))  # fmt: skip
    assert not_on_list.status_code == 404
    assert not_on_list.json()["errors"][0]["field"] == "body.shortlist_id"


def test_model_card_and_missing_reports(served: Served) -> None:
    card = served.client.get("/v1/model", headers=served.auth("oversight")).json()
    assert card["version"] == "1" and card["features"] == list(FEATURES)
    assert card["intended_use"] and card["limitations"] and card["batch"]["rows"] == served.batch.rows
    for path in ("/v1/fairness/report", "/v1/drift/report"):
        r = served.client.get(path, headers=served.auth("oversight"))
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_the_models_transparency_documents_for_every_role(served: Served) -> None:
    card = served.client.get("/v1/model", headers=served.auth("analyst")).json()
    assert card["documents"] == {n: f"/v1/model/documents/{n}" for n in NAMES}  # every document training writes
    assert "organization" in card["to_complete"]["algoritmeregister"]
    for who in ("analyst", "scientist", "oversight", "admin"):
        r = served.client.get("/v1/model/documents/model-card", params={"lang": "en"}, headers=served.auth(who))
        assert r.status_code == 200 and r.headers["content-type"] == "text/markdown; charset=utf-8"
        assert r.text.startswith("# Model card: tegenkracht-risk version 1")
    record = _last(served)
    assert record["endpoint"] == "/v1/model/documents/{name}" and record["model_version"] == "1"
    assert record["params"] == {"name": "model-card", "format": "markdown", "lang": "en"}
    entry = served.client.get("/v1/model/documents/algoritmeregister", params={"format": "json", "lang": "nl"},
                              headers=served.auth("oversight")).json()  # fmt: skip
    assert entry["lang"] == "NLD" and entry["publication_category"] == "Hoog-risico AI-systeem"
    annex = served.client.get("/v1/model/documents/technical-documentation", headers=served.auth("oversight"))
    assert "## 7. Harmonised standards applied" in annex.text  # English whatever lang says
    wrong = served.client.get("/v1/model/documents/secret-indicators", headers=served.auth("oversight"))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "path.name"
    assert served.client.get("/v1/model/documents/model-card").status_code == 401


def test_the_store_never_puts_statement_parameters_into_error_messages(served: Served) -> None:
    assert served.store.engine.hide_parameters


def test_a_verify_against_a_head_kept_outside(served: Served) -> None:
    first = served.client.get("/v1/audit-log/verify", headers=served.auth("oversight")).json()
    same = served.client.get("/v1/audit-log/verify", params={"expect_seq": first["head_seq"],
                             "expect_hash": first["head_hash"]}, headers=served.auth("oversight"))  # fmt: skip
    assert same.status_code == 200 and same.json()["ok"]
    forged = served.client.get("/v1/audit-log/verify", params={"expect_seq": first["head_seq"],
                               "expect_hash": "0" * 64}, headers=served.auth("oversight"))  # fmt: skip
    assert forged.json()["ok"] is False and "rewritten" in forged.json()["reason"]
    half = served.client.get("/v1/audit-log/verify", params={"expect_seq": 1}, headers=served.auth("oversight"))
    assert half.status_code == 422 and half.json()["errors"][0]["field"] == "query.expect_hash"


def test_security_headers_and_no_cors(served: Served) -> None:
    r = served.client.get("/health", headers={"Origin": "https://evil.example"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "access-control-allow-origin" not in r.headers


def test_openapi_documents_every_operation_with_problems(served: Served) -> None:
    spec = served.client.get("/openapi.json").json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    for path, ops in spec["paths"].items():
        for op in ops.values():
            if path.startswith("/v1/"):
                assert "401" in op["responses"] and "403" in op["responses"], path


def test_shortlist_ids_are_time_ordered_uuids(served: Served) -> None:
    import uuid

    first, second = _shortlist(served).json()["id"], _shortlist(served).json()["id"]
    assert uuid.UUID(first).version == uuid.UUID(second).version == 7
    assert first[:13] <= second[:13]  # the 48-bit millisecond prefix: new rows land at the end of the index
