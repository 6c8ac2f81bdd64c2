"""Oversight cannot tie probabilities to named companies: not through the regional picture, not through the trail.

The picture counts signals at fixed bands only (a free threshold let a binary search recover each cell's sorted
probabilities), withholds counts of 1-9 and rounds the rest, and withholds complementary cells per row and column,
so that a public total minus the cells shown reveals nothing. The trail's list shows how many companies a record
names; which ones takes a request of its own, with a purpose and a case, recorded with what it disclosed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest

from serving import auditlog
from serving.signals import SIGNAL_BANDS, SUPPRESS_BELOW, protect

from .conftest import OTHER_REGION, PURPOSE, REGION, Served

OVERSIGHT_CASE = {"purpose": "use_review", "case_reference": "TOEZICHT-2026-0007"}


def _picture(served: Served, region: str, **params: object) -> Any:
    return served.client.get("/v1/regional-picture", params={"region": region, **params},
                             headers=served.auth("oversight"))  # fmt: skip


def _truth(served: Served) -> pd.DataFrame:
    """Every company's cell and probability, as only the store knows them."""
    places = pd.read_parquet(served.snapshot.indicators, columns=["company_id", "riec_region", "municipality",
                                                                  "sbi_section"])  # fmt: skip
    return pd.read_parquet(served.snapshot.scores, columns=["company_id", "probability"]).merge(places)


def test_the_picture_counts_signals_at_fixed_bands_only(served: Served) -> None:
    free = _picture(served, REGION, threshold=0.5)
    assert free.status_code == 422, free.text
    assert [e["field"] for e in free.json()["errors"]] == ["query.threshold"]
    for name, floor in SIGNAL_BANDS.items():
        body = _picture(served, REGION, band=name).json()
        assert body["band"] == name and body["band_floor"] == floor and "threshold" not in body
    made_up = _picture(served, REGION, band="0.0371")
    assert made_up.status_code == 422 and made_up.json()["errors"][0]["field"] == "query.band"


@pytest.mark.parametrize("band", list(SIGNAL_BANDS))
def test_small_signal_counts_are_withheld_and_the_rest_rounded(served: Served, band: str) -> None:
    truth = _truth(served).query("riec_region == @REGION")
    floor = SIGNAL_BANDS[band]
    exact = (
        truth.assign(signal=truth.probability >= floor)
        .groupby(["municipality", "sbi_section"])["signal"]
        .agg(["sum", "size"])
    )
    cells = _picture(served, REGION, band=band).json()["cells"]
    small = 0
    for c in cells:
        k, n = (int(v) for v in exact.loc[(c["municipality"], c["sector"])])
        if 1 <= k < SUPPRESS_BELOW or 1 <= n - k < SUPPRESS_BELOW:
            small += 1
            assert c["signals"] is None, (c, k, n)  # a few named businesses: never shown
        if c["signals"] is not None:
            assert c["signals"] % 5 == 0 and abs(c["signals"] - k) <= 2  # rounded, so bands cannot be subtracted
            assert c["signals"] == 0 or c["signals"] >= SUPPRESS_BELOW
    assert small > 0  # the data do hold such cells, so the rule was put to the test


@pytest.mark.parametrize("region", [REGION, OTHER_REGION])
def test_withholding_is_complementary_per_row_and_column(served: Served, region: str) -> None:
    truth = _truth(served).query("riec_region == @region")
    for band in SIGNAL_BANDS:
        cells = _picture(served, region, band=band).json()["cells"]
        for dimension in ("municipality", "sector"):
            size = Counter(c[dimension] for c in cells)
            for flag in ("suppressed", "signals_withheld"):
                alone = Counter(c[dimension] for c in cells if c[flag])
                lone = [group for group, count in alone.items() if count == 1 and size[group] > 1]
                assert lone == [], (band, dimension, flag, lone)  # a total minus the rest would reveal it
        for municipality, rows in pd.DataFrame(cells).groupby("municipality"):
            hidden = rows[rows["suppressed"]]
            if len(hidden):  # the municipality's public company count minus those shown: only a sum of several
                public = int((truth.municipality == municipality).sum())
                shown = int(rows["companies"].dropna().sum())
                sizes = truth[truth.municipality == municipality].groupby("sbi_section").size()
                assert public - shown == int(sizes[list(hidden["sector"])].sum()) and len(hidden) >= 2


def test_the_protection_repeats_until_rows_and_columns_hold_no_lone_cell() -> None:
    frame = pd.DataFrame(
        [("A", "G", 3, 0), ("A", "I", 40, 0), ("A", "K", 50, 0), ("B", "G", 60, 0), ("B", "I", 11, 0),
         ("B", "K", 70, 0)],
        columns=["municipality", "sector", "companies", "signals"],
    )  # fmt: skip
    hidden = protect(frame, frame["companies"] < SUPPRESS_BELOW)
    # A·G is small; row A gives up A·I (smaller than A·K) and column G gives up B·G; then column I, left with
    # A·I alone, gives up B·I: four cells, two in each row and column touched, none alone
    assert hidden == [True, True, False, True, True, False]


def test_the_audit_list_shows_counts_and_names_companies_only_on_an_audited_request(served: Served) -> None:
    made = served.client.post("/v1/shortlists", json={"region": REGION, "top_k": 6, **PURPOSE},
                              headers=served.auth("analyst")).json()  # fmt: skip
    ids = [i["company_id"] for i in made["items"]]
    refused = served.client.get(f"/v1/companies/{ids[0]}/signal", params=PURPOSE,
                                headers=served.auth("analyst_elsewhere"))  # fmt: skip
    assert refused.status_code == 404
    listing = served.client.get("/v1/audit-log", params={"size": 20}, headers=served.auth("oversight"))
    assert listing.status_code == 200
    records = listing.json()["records"]
    assert all("entity_ids" not in r for r in records)
    assert not any(c in listing.text for c in ids)  # not in entity ids, not in parameters
    shortlist = next(r for r in records if r["endpoint"] == "/v1/shortlists" and r["status"] == 201)
    probe = next(r for r in records if r["endpoint"] == "/v1/companies/{company_id}/signal" and r["status"] == 404)
    assert shortlist["entity_count"] == 6 and probe["entity_count"] == 1 and "company_id" not in probe["params"]
    assert probe["key_id"] == served.keys["analyst_elsewhere"].split("_")[1]

    url = f"/v1/audit-log/{shortlist['seq']}/entities"
    bare = served.client.get(url, headers=served.auth("oversight"))
    assert bare.status_code == 422
    assert {e["field"] for e in bare.json()["errors"]} == {"query.purpose", "query.case_reference"}
    analysts = served.client.get(url, params=PURPOSE, headers=served.auth("oversight"))  # an analyst's purpose
    assert analysts.status_code == 422 and analysts.json()["errors"][0]["field"] == "query.purpose"
    assert served.client.get(url, params=OVERSIGHT_CASE, headers=served.auth("analyst")).status_code == 403
    shown = served.client.get(url, params=OVERSIGHT_CASE, headers=served.auth("oversight"))
    assert shown.status_code == 200 and shown.json() == {"seq": shortlist["seq"], "entity_ids": ids,
                                                         "requested_ids": []}  # fmt: skip
    record = auditlog.page(served.store, 1, 1)[0][0]
    assert record["endpoint"] == "/v1/audit-log/{seq}/entities" and record["user"] == "oversight"
    assert (record["purpose"], record["case_reference"]) == ("use_review", OVERSIGHT_CASE["case_reference"])
    assert record["entity_ids"] == ids and record["params"] == {"seq": shortlist["seq"]}
    asked = served.client.get(f"/v1/audit-log/{probe['seq']}/entities", params=OVERSIGHT_CASE,
                              headers=served.auth("oversight")).json()  # fmt: skip
    assert asked == {"seq": probe["seq"], "entity_ids": [], "requested_ids": [ids[0]]}
    missing = served.client.get("/v1/audit-log/999999999/entities", params=OVERSIGHT_CASE,
                                headers=served.auth("oversight"))  # fmt: skip
    assert missing.status_code == 404


def test_the_company_filter_needs_a_purpose_and_case_and_is_recorded(served: Served) -> None:
    made = served.client.post("/v1/shortlists", json={"region": REGION, "top_k": 3, **PURPOSE},
                              headers=served.auth("analyst")).json()  # fmt: skip
    company = made["items"][0]["company_id"]
    bare = served.client.get("/v1/audit-log", params={"company_id": company}, headers=served.auth("oversight"))
    assert bare.status_code == 422
    assert {e["field"] for e in bare.json()["errors"]} == {"query.purpose", "query.oversight_case"}
    given = {"company_id": company, "purpose": "complaint", "oversight_case": "KLACHT-2026-12"}
    found = served.client.get("/v1/audit-log", params=given, headers=served.auth("oversight"))
    assert found.status_code == 200 and found.json()["total"] >= 1 and company not in found.text
    record = auditlog.page(served.store, 1, 1)[0][0]
    assert record["endpoint"] == "/v1/audit-log" and record["entity_ids"] == [company]
    assert (record["purpose"], record["case_reference"]) == ("complaint", "KLACHT-2026-12")
