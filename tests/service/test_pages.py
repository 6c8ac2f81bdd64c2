"""The pages under /ui through the app: sign-in and sessions, CSRF, roles and scope, purpose binding, what each page
shows against the API's own answer, errors as pages, and the audit trail behind every view.

The browser-level journeys (keyboard, accessibility, screenshots) are in ``test_browser.py``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from serving import auditlog
from serving.access import Role, add_user, revoke
from serving.store.tables import ApiKey, AuditRecord, Feedback, Signal, UiSession
from serving.ui import i18n
from serving.ui.pages.analyst import _cell
from serving.ui.pages.session import safe_next
from serving.ui.render import PAGE_CSP, TEMPLATES

from .conftest import BACKENDS, OTHER_REGION, PURPOSE, REGION, Reports, Served, new_store, serve
from .pages import confirmed, csrf_of, sign_in
from .world import Snapshot

CASE = PURPOSE["case_reference"]
OVERSIGHT_CASE = {"oversight_purpose": "use_review", "oversight_case": "TOEZICHT-2026-7"}


@pytest.fixture(scope="module", params=BACKENDS)
def paged(
    request: pytest.FixtureRequest, snapshot: Snapshot, reports: Reports, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A loaded store with the batch's fairness and drift reports, and the app over it.

    One test client signs in dozens of times a minute here, each time as a stranger first (the sign-in page):
    the strangers' limit has tests of its own (test_robustness.py), so here it is out of the way.
    """
    folder = tmp_path_factory.mktemp("paged")
    for store in new_store(request.param, folder):
        yield from serve(store, snapshot, folder, reports, stranger_rate_per_minute=1_000_000)


def browser(paged: Served, who: str, base_url: str = "http://testserver") -> tuple[TestClient, str]:
    """A client with its own cookies, signed in as ``who``; returns it with the session's CSRF token."""
    client = TestClient(paged.client.app, base_url=base_url, raise_server_exceptions=False)
    return client, sign_in(client, paged.keys[who])


def shortlist(paged: Served, client: TestClient, csrf: str, top_k: int = 10) -> str:
    """Make a shortlist through the form; returns the address of its page."""
    r = client.post("/ui/shortlists", data={"csrf_token": csrf, "region": REGION, "top_k": str(top_k), **PURPOSE},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def a_company(paged: Served, region: str = REGION) -> str:
    """The top-ranked company of ``region`` in the served batch."""
    with paged.store.session() as s:
        found = s.scalar(
            select(Signal.company_id).where(Signal.riec_region == region).order_by(Signal.region_rank).limit(1)
        )
    assert found is not None
    return str(found)


def last_records(paged: Served, n: int = 5) -> list[dict[str, object]]:
    return auditlog.page(paged.store, 1, n)[0]


# --------------------------------------------------------------------------------------------------------------------
# Sign-in, sessions, cookies, CSRF
# --------------------------------------------------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_never_records_the_key(paged: Served) -> None:
    client = TestClient(paged.client.app)
    form = client.get("/ui/sign-in")
    assert "tk_signin=" in form.headers["set-cookie"] and "HttpOnly" in form.headers["set-cookie"]
    r = client.post("/ui/sign-in", data={"api_key": paged.keys["analyst"], "csrf_token": csrf_of(form.text),
                                         "next": "/ui/regional-picture"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/ui/regional-picture"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tk_session="))
    for flag in ("HttpOnly", "SameSite=strict", "Path=/ui"):
        assert flag.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here; over TLS it is Secure (next test)
    token = cookie.split(";")[0].split("=", 1)[1]
    with paged.store.session() as s:
        stored = s.scalars(select(UiSession.token_hash)).all()
    assert token.encode() not in stored and all(len(h) == 32 for h in stored)  # only a SHA-256 is kept
    signed = last_records(paged, 1)[0]
    assert signed["endpoint"] == "/ui/sign-in" and signed["user"] == "analyst" and signed["status"] == 303
    key = paged.keys["analyst"]
    with paged.store.session() as s:
        texts = [f"{r.params}{r.case_reference}{r.entity_ids}" for r in s.scalars(select(AuditRecord)).all()]
    assert not any(key in text or key.split("_", 2)[2] in text for text in texts)


def test_over_tls_the_session_cookie_is_secure_host_only_and_hsts_is_sent(paged: Served) -> None:
    client = TestClient(paged.client.app, base_url="https://testserver")
    form = client.get("/ui/sign-in")
    assert form.headers["strict-transport-security"].startswith("max-age=")
    r = client.post("/ui/sign-in", data={"api_key": paged.keys["oversight"], "csrf_token": csrf_of(form.text)},
                    follow_redirects=False)  # fmt: skip
    cookie = next(c for c in r.headers.get_list("set-cookie") if "tk_session=" in c)
    assert cookie.startswith("__Host-tk_session=")
    for flag in ("secure", "httponly", "samesite=strict", "path=/;"):
        assert flag in cookie.lower() + ";"
    assert "domain=" not in cookie.lower()
    assert client.get("/ui/model").status_code == 200  # the browser's __Host- cookie opens the pages
    token = client.cookies["__Host-tk_session"]
    planted = TestClient(paged.client.app, base_url="https://testserver", cookies={"tk_session": token})
    assert planted.get("/ui/model", follow_redirects=False).status_code == 303  # under TLS the plain name is no key
    plain = TestClient(paged.client.app)
    assert "strict-transport-security" not in plain.get("/ui/sign-in").headers


def test_sign_in_refuses_a_form_without_its_double_submit_token(paged: Served) -> None:
    client = TestClient(paged.client.app)
    client.get("/ui/sign-in")
    r = client.post("/ui/sign-in", data={"api_key": paged.keys["analyst"], "csrf_token": "forged"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and "tk_session" not in r.headers.get("set-cookie", "")
    fresh = TestClient(paged.client.app)  # another site's form: no guard cookie at all
    r = fresh.post("/ui/sign-in", data={"api_key": paged.keys["analyst"], "csrf_token": ""}, follow_redirects=False)
    assert r.status_code == 403


def test_a_wrong_key_gets_the_form_again_with_one_message_for_every_failure(paged: Served) -> None:
    client = TestClient(paged.client.app)
    answers = []
    for key in ("tk_000000000000_nothing", "not-a-key", paged.keys["analyst"][:-2] + "xx"):
        form = client.get("/ui/sign-in")
        r = client.post("/ui/sign-in", data={"api_key": key, "csrf_token": csrf_of(form.text)})
        assert r.status_code == 401 and "tk_session" not in r.headers.get("set-cookie", "")
        answers.append(re.search(r'role="alert"><p>([^<]+)', r.text).group(1))  # type: ignore[union-attr]
    assert len(set(answers)) == 1 and answers[0] == i18n.t("signin_failed", "nl")


@pytest.mark.parametrize("target", ["https://evil.example/ui", "//evil.example/ui", "/v1/audit-log", "/ui\\@evil",
                                    "javascript:alert(1)", "/ui/shortlists/new\r\nSet-Cookie: x=y"])  # fmt: skip
def test_next_never_leaves_the_pages(target: str) -> None:
    assert safe_next(target) == "/ui"


def test_pages_without_a_session_send_the_browser_to_sign_in_and_back(paged: Served) -> None:
    client = TestClient(paged.client.app)
    r = client.get(f"/ui/companies/12345678?purpose=riec_case&case_reference={CASE}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/sign-in?next=%2Fui%2Fcompanies%2F12345678%3Fpurpose")
    assert last_records(paged, 1)[0]["status"] == 303  # refused views are audited too


def test_sign_out_needs_the_csrf_token_and_ends_the_session_in_the_store(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    stolen = dict(client.cookies)
    assert client.post("/ui/sign-out", data={"csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    assert client.get("/ui").status_code == 200
    r = client.post("/ui/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/sign-in?bye=1"
    replay = TestClient(paged.client.app, cookies=stolen)  # a copied cookie opens nothing after sign-out
    assert replay.get("/ui", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(tmp_path: Path, snapshot: Snapshot) -> None:
    for store in new_store("sqlite", tmp_path):
        for served in serve(store, snapshot, tmp_path):
            extra = add_user(store, "Revoked", Role.ANALYST, [REGION]).api_key
            client = TestClient(served.client.app)
            sign_in(client, extra)
            assert client.get("/ui/shortlists/new").status_code == 200
            revoke(store, "Revoked")
            r = client.get("/ui/shortlists/new", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].endswith("&ended=1")


def test_an_idle_session_and_an_old_one_end(paged: Served) -> None:
    from serving.access import now

    for column in (UiSession.seen_at, UiSession.expires_at):
        client, _ = browser(paged, "scientist")
        with paged.store.session() as s:  # age this browser's sessions only: the newest one
            newest = s.scalars(select(UiSession).order_by(UiSession.created_at.desc())).first()
            assert newest is not None
            moved = now() - timedelta(hours=9) if column is UiSession.seen_at else now() - timedelta(seconds=1)
            s.execute(update(UiSession).where(UiSession.token_hash == newest.token_hash).values({column: moved}))
        assert client.get("/ui/model", follow_redirects=False).status_code == 303


def test_a_session_never_outlives_its_key(paged: Served) -> None:
    from serving.access import now

    extra = add_user(paged.store, f"Short-{paged.store.engine.dialect.name}", Role.OVERSIGHT, []).api_key
    client = TestClient(paged.client.app)
    sign_in(client, extra)
    with paged.store.session() as s:
        s.execute(update(ApiKey).where(ApiKey.key_id == extra.split("_")[1]).values(expires_at=now()))
    assert client.get("/ui/model", follow_redirects=False).status_code == 303


def test_every_form_refuses_a_missing_or_foreign_csrf_token(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    _, other_csrf = browser(paged, "analyst")
    company = a_company(paged)
    forms = [("/ui/shortlists", {"region": REGION, "top_k": "5", **PURPOSE}),
             (f"/ui/companies/{company}/feedback", {"outcome": "dismissed", **PURPOSE}),
             ("/ui/sign-out", {})]  # fmt: skip
    before = _feedback_count(paged)
    for action, data in forms:
        for token in (None, other_csrf):
            sent = {**data, **({"csrf_token": token} if token else {})}
            r = client.post(action, data=sent, follow_redirects=False)
            assert r.status_code == 403 and i18n.t("csrf_failed", "nl") in r.text, action
    assert _feedback_count(paged) == before
    assert csrf != other_csrf


def _feedback_count(paged: Served) -> int:
    with paged.store.session() as s:
        return len(s.scalars(select(Feedback.id)).all())


# --------------------------------------------------------------------------------------------------------------------
# Roles, scope and purpose
# --------------------------------------------------------------------------------------------------------------------

PAGES_BY_ROLE = {
    "/ui/shortlists/new": {"analyst"},
    "/ui/regional-picture": {"analyst", "oversight"},
    "/ui/oversight/fairness": {"oversight", "scientist"},
    "/ui/oversight/drift": {"oversight", "scientist"},
    "/ui/oversight/audit": {"oversight"},
    "/ui/model": {"analyst", "oversight", "scientist", "admin"},
    "/ui/admin/users": {"admin"},
}


@pytest.mark.parametrize("who", ["analyst", "oversight", "scientist", "admin"])
def test_each_role_sees_its_pages_and_gets_403_elsewhere(paged: Served, who: str) -> None:
    client, _ = browser(paged, who)
    for path, allowed in PAGES_BY_ROLE.items():
        r = client.get(path)
        assert r.status_code == (200 if who in allowed else 403), (who, path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        nav = re.findall(r'<nav aria-label="[^"]+">(.*?)</nav>', r.text, re.S)
        assert (f'href="{path}"' in nav[0]) == (who in allowed), (who, path)  # the menu offers what is allowed


def test_a_company_elsewhere_reads_exactly_like_one_that_does_not_exist(paged: Served) -> None:
    client, _ = browser(paged, "analyst_elsewhere")
    elsewhere = a_company(paged, REGION)
    asked = client.get(f"/ui/companies/{elsewhere}", params=PURPOSE)  # the confirmation says nothing either way
    assert asked.text.replace(elsewhere, "X") == client.get("/ui/companies/99999999", params=PURPOSE).text.replace(
        "99999999", "X"
    )
    hidden = confirmed(client, f"/ui/companies/{elsewhere}", PURPOSE)
    missing = confirmed(client, "/ui/companies/99999999", PURPOSE)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(elsewhere, "X") == missing.text.replace("99999999", "X")
    own = confirmed(client, f"/ui/companies/{a_company(paged, OTHER_REGION)}", PURPOSE)
    assert own.status_code == 200


def test_company_data_needs_a_purpose_and_case_and_the_form_asks_for_them(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    company = a_company(paged)
    name = _name(paged, company)
    asked = client.get(f"/ui/companies/{company}")
    assert asked.status_code == 200 and name not in asked.text and 'name="case_reference"' in asked.text
    assert last_records(paged, 1)[0]["entity_ids"] == []
    bad = client.get(f"/ui/companies/{company}?purpose=curiosity&case_reference=Jan de Vries")
    assert bad.status_code == 422 and name not in bad.text
    assert 'id="purpose-error"' in bad.text and 'id="case_reference-error"' in bad.text
    shown = confirmed(client, f"/ui/companies/{company}", PURPOSE)
    assert shown.status_code == 200 and name in shown.text
    record = last_records(paged, 1)[0]
    assert record["endpoint"] == "/ui/companies/{company_id}" and record["entity_ids"] == [company]
    assert (record["purpose"], record["case_reference"], record["user"]) == ("riec_case", CASE, "analyst")
    assert record["model_version"] == "1"


def _name(paged: Served, company: str) -> str:
    import pandas as pd

    companies = pd.read_parquet(paged.snapshot.world / "companies.parquet", columns=["company_id", "name"])
    return str(companies.set_index("company_id").loc[company, "name"])


# --------------------------------------------------------------------------------------------------------------------
# What the analyst pages show
# --------------------------------------------------------------------------------------------------------------------


def test_the_shortlist_page_shows_the_apis_shortlist_in_order_with_bands_and_reasons(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    page = client.get(shortlist(paged, client, csrf, top_k=12))
    assert page.status_code == 200
    shortlist_id = page.url.path.rsplit("/", 1)[1]
    api = paged.client.get(f"/v1/shortlists/{shortlist_id}", params=PURPOSE, headers=paged.auth("analyst")).json()
    shown = re.findall(r'<a href="/ui/companies/(\d{8})\?', page.text)
    assert shown == [i["company_id"] for i in api["items"]] and len(shown) == 12
    first = api["items"][0]
    assert first["reasons"][0]["text_nl"] in page.text.replace("&#39;", "'")
    assert 'class="band band-' in page.text and "aria-sort" in page.text
    record = next(r for r in last_records(paged, 3) if r["endpoint"] == "/ui/shortlists/{shortlist_id}")
    assert record["entity_ids"] == shown and record["case_reference"] == CASE


def test_an_empty_shortlist_says_so(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    r = client.post("/ui/shortlists", data={"csrf_token": csrf, "region": REGION, "municipality": "Atlantis",
                                            "top_k": "5", **PURPOSE})  # fmt: skip
    assert r.status_code == 200 and i18n.t("empty_shortlist", "nl") in r.text


def test_the_shortlist_form_names_every_bad_field(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    r = client.post("/ui/shortlists", data={"csrf_token": csrf, "region": "Atlantis", "top_k": "0",
                                            "purpose": "nosiness", "case_reference": "x"})  # fmt: skip
    assert r.status_code == 422
    for field in ("region", "top_k", "purpose", "case_reference"):
        assert f'id="{field}-error"' in r.text and f'href="#{field}"' in r.text
    theirs = client.post("/ui/shortlists", data={"csrf_token": csrf, "region": OTHER_REGION, "top_k": "5",
                                                 **PURPOSE})  # fmt: skip
    assert theirs.status_code == 403 and 'id="region-error"' in theirs.text


def test_the_csv_export_holds_the_shortlist_and_defuses_formulas(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    page = client.get(shortlist(paged, client, csrf, top_k=7))
    link = re.search(r'href="(/ui/shortlists/[^"]+/csv\?[^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.get(link.replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="shortlist-rotterdam-')
    rows = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Rang", "KvK-nummer", "Bedrijf"] and len(rows) == 8
    assert [row[1] for row in rows[1:]] == re.findall(r'<a href="/ui/companies/(\d{8})\?', page.text)
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("-2") == "'-2" and _cell("Bakkerij") == "Bakkerij"
    assert last_records(paged, 1)[0]["endpoint"] == "/ui/shortlists/{shortlist_id}/csv"
    bare = client.get(link.split("?")[0])  # no case, no file: the form that asks for one
    assert (
        bare.status_code == 200 and 'action="/ui/case"' in bare.text and "text/csv" not in bare.headers["content-type"]
    )


def test_the_company_page_holds_the_apis_exact_explanation(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    company = a_company(paged)
    page = confirmed(client, f"/ui/companies/{company}", PURPOSE)
    api = paged.client.get(f"/v1/companies/{company}/signal", params=PURPOSE, headers=paged.auth("analyst")).json()
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and 'role="img"' in page.text
    labels = re.findall(r'<tr><th scope="row">([^<]+)</th>', page.text)
    assert labels == [i["label_nl"] for i in api["indicators"]]  # every indicator, largest contribution first
    base, total = i18n.number(api["peer_score"], "nl", 2), i18n.number(api["score"], "nl", 2)
    assert f">{base}</text>" in page.text and f">{total}</text>" in page.text  # the waterfall's ends
    assert f"{i18n.t('model_version', 'nl')}</dt><dd>1</dd>" in page.text
    for reason in api["reasons"]["raises"]:
        assert reason["text_nl"] in page.text.replace("&#39;", "'")


def test_feedback_from_the_page_is_stored_and_audited_without_its_note(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    page = client.get(shortlist(paged, client, csrf, top_k=3))
    shortlist_id = page.url.path.rsplit("/", 1)[1]
    company = re.findall(r'<a href="/ui/companies/(\d{8})\?', page.text)[0]
    note = "Pand bezocht, geen bijzonderheden"
    r = client.post(f"/ui/companies/{company}/feedback", data={"csrf_token": csrf, "outcome": "dismissed",
                    "note": note, "shortlist_id": shortlist_id, **PURPOSE}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].endswith("saved=1#feedback")
    with paged.store.session() as s:
        stored = s.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert stored is not None
    assert (stored.company_id, stored.outcome, stored.note, stored.shortlist_id, stored.case_reference) == (
        company,
        "dismissed",
        note,
        shortlist_id,
        CASE,
    )
    record = last_records(paged, 1)[0]
    assert record["endpoint"] == "/ui/companies/{company_id}/feedback" and record["entity_ids"] == [company]
    assert record["params"]["note_chars"] == len(note) and note not in str(record)
    shown = client.get(r.headers["location"])
    assert i18n.t("feedback_saved", "nl") in shown.text


def test_bad_feedback_is_refused_with_the_field_named_and_nothing_stored(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    company = a_company(paged)
    before = _feedback_count(paged)
    none = client.post(f"/ui/companies/{company}/feedback", data={"csrf_token": csrf, **PURPOSE})
    long = client.post(f"/ui/companies/{company}/feedback", data={"csrf_token": csrf, "outcome": "confirmed",
                       "note": "x" * 2001, **PURPOSE})  # fmt: skip
    assert none.status_code == long.status_code == 422
    assert 'id="outcome-error"' in none.text and 'id="note-error"' in long.text
    assert ("x" * 2001) in long.text  # what was typed is kept for correction, not lost
    assert _feedback_count(paged) == before


def test_the_regional_picture_matches_the_api_and_shows_suppression(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    page = client.get("/ui/regional-picture")
    api = paged.client.get("/v1/regional-picture", params={"region": REGION}, headers=paged.auth("analyst")).json()
    assert page.status_code == 200
    hidden = sum(c["suppressed"] for c in api["cells"])
    assert hidden > 0 and page.text.count('class="num suppressed"') == hidden
    withheld = [c for c in api["cells"] if c["signals_withheld"] and not c["suppressed"]]
    assert page.text.count('class="num withheld"') == len(withheld)
    shown = [c for c in api["cells"] if not c["signals_withheld"]]
    assert shown and page.text.count(" van ") >= len(shown)
    for c in shown[:10]:
        assert i18n.t("signals_of", "nl", k=c["signals"], n=i18n.number(c["companies"], "nl")) in page.text
    high = client.get("/ui/regional-picture", params={"band": "high"})
    api_high = paged.client.get("/v1/regional-picture", params={"region": REGION, "band": "high"},
                                headers=paged.auth("analyst")).json()  # fmt: skip
    assert high.status_code == 200 and api_high["band"] == "high"
    assert high.text.count('class="num withheld"') == sum(c["signals_withheld"] and not c["suppressed"]
                                                          for c in api_high["cells"])  # fmt: skip
    assert client.get("/ui/regional-picture", params={"band": "0.0123"}).status_code == 422
    assert client.get("/ui/regional-picture", params={"region": OTHER_REGION}).status_code == 403
    oversight, _ = browser(paged, "oversight")
    assert oversight.get("/ui/regional-picture", params={"region": OTHER_REGION}).status_code == 200


# --------------------------------------------------------------------------------------------------------------------
# Oversight pages
# --------------------------------------------------------------------------------------------------------------------


def test_the_fairness_page_states_the_verdict_and_draws_every_headline_measure(paged: Served, reports: Reports) -> None:
    from fairness.audit import AuditResult

    client, _ = browser(paged, "oversight")
    page = client.get("/ui/oversight/fairness")
    result = AuditResult.from_json((reports.fairness / "audit_observed.json").read_text())
    assert page.status_code == 200
    verdict = i18n.t("fairness_passed" if result.passed else "fairness_failed", "nl")
    assert f"<strong>{verdict}</strong>" in page.text
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(result.headline)
    for failure in result.failures:
        assert failure.group in page.text
    client.cookies.set("tk_lang", "en")
    english = client.get("/ui/oversight/fairness")
    assert "What is it?" in english.text and '<html lang="en">' in english.text
    full = client.get("/ui/oversight/fairness/report?lang=en")
    assert full.status_code == 200 and "Bias audit" in full.text
    assert "'unsafe-inline'" in full.headers["content-security-policy"]  # the report's own policy, not the pages'


def test_the_drift_page_flags_the_moved_indicator(paged: Served, reports: Reports) -> None:
    from features.catalogue import BY_ID

    client, _ = browser(paged, "scientist")
    page = client.get("/ui/oversight/drift")
    assert page.status_code == 200
    row = re.search(rf"{re.escape(BY_ID[reports.drifted].label_nl)}</th><td><span class=\"status ([^\"]+)\"",
                    page.text)  # fmt: skip
    assert row is not None and row.group(1) == "status-status_act"
    table = page.text[page.text.index("<tbody>") :]
    assert table.index(BY_ID[reports.drifted].label_nl) < table.index("status-status_stable")  # the worst first


def test_reports_missing_from_the_batch_give_an_empty_state(paged: Served, served: Served) -> None:
    client = TestClient(served.client.app, raise_server_exceptions=False)
    sign_in(client, served.keys["oversight"])
    assert i18n.t("fairness_missing", "nl") in client.get("/ui/oversight/fairness").text
    assert i18n.t("drift_missing", "nl") in client.get("/ui/oversight/drift").text
    assert client.get("/ui/oversight/fairness/report").status_code == 404


def test_the_audit_page_verifies_the_chain_filters_and_shows_a_break(tmp_path: Path, snapshot: Snapshot) -> None:
    for store in new_store("sqlite", tmp_path):
        for served in serve(store, snapshot, tmp_path):
            analyst = TestClient(served.client.app)
            sign_in(analyst, served.keys["analyst"])
            company = a_company(served)
            confirmed(analyst, f"/ui/companies/{company}", PURPOSE)
            client = TestClient(served.client.app)
            sign_in(client, served.keys["oversight"])
            page = client.get("/ui/oversight/audit")
            assert page.status_code == 200 and "✓" in page.text and company not in page.text
            unsaid = client.get("/ui/oversight/audit", params={"company_id": company})
            assert unsaid.status_code == 422 and 'id="oversight_case-error"' in unsaid.text
            narrowed = client.get("/ui/oversight/audit", params={"company_id": company, **OVERSIGHT_CASE})
            rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>", narrowed.text)
            table = narrowed.text[narrowed.text.index("<table") : narrowed.text.index("</table>")]
            assert len(rows) == 1 and company not in table  # in the filter the user typed; the rows show a count
            entities = client.get(f"/ui/oversight/audit/{rows[0]}/entities")
            assert entities.status_code == 200 and company not in entities.text
            shown = client.post(f"/ui/oversight/audit/{rows[0]}/entities",
                                data={"csrf_token": csrf_of(entities.text), **OVERSIGHT_CASE})  # fmt: skip
            assert shown.status_code == 200 and f"{i18n.t('kvk', 'nl')} {company}" in shown.text
            disclosed = last_records(served, 1)[0]
            assert disclosed["entity_ids"] == [company] and disclosed["case_reference"] == "TOEZICHT-2026-7"
            by_case = client.get("/ui/oversight/audit", params={"case_reference": CASE, "user": "analyst"})
            assert len(re.findall(r"<tr><td class=\"num\">", by_case.text)) == 2  # confirming the case, the view
            assert "POST /ui/case" in by_case.text
            nothing = client.get("/ui/oversight/audit", params={"user": "nobody"})
            assert i18n.t("audit_empty", "nl") in nothing.text
            with store.session() as s:
                s.execute(update(AuditRecord).where(AuditRecord.seq == int(rows[0])).values(case_reference="X-1"))
            cached = client.get("/ui/oversight/audit")  # the last full check, under a minute old, says when it ran
            assert "✓" in cached.text and "gecontroleerd om" in cached.text
            broken = client.get("/ui/oversight/audit", params={"verify": 1})
            assert "✗" in broken.text and f"record {rows[0]}" in broken.text
            assert "✗" in client.get("/ui/oversight/audit").text  # and the fresh result is what later views show


def test_the_model_card_and_users_pages(paged: Served) -> None:
    client, _ = browser(paged, "admin")
    card = client.get("/ui/model")
    assert card.status_code == 200 and "tegenkracht-risk" in card.text
    assert "<h2>1. Beoogd gebruik en gebruikers</h2>" in card.text and "style=" not in card.text
    saved = client.get("/ui/model/documents/algoritmeregister", params={"format": "json", "lang": "en"})
    assert saved.status_code == 200 and saved.json()["lang"] == "ENG"
    assert saved.headers["content-disposition"] == 'attachment; filename="algoritmeregister-v1.en.json"'
    assert client.get("/ui/model/documents/nothing").status_code == 422
    users = client.get("/ui/admin/users")
    assert users.status_code == 200 and "analyst_elsewhere" in users.text
    assert not any(key in users.text for key in paged.keys.values())


# --------------------------------------------------------------------------------------------------------------------
# Frame, language, errors, headers
# --------------------------------------------------------------------------------------------------------------------


def test_every_page_says_a_score_is_a_signal_in_the_chosen_language(paged: Served) -> None:
    client, _ = browser(paged, "oversight")
    nl = client.get("/ui/model")
    assert i18n.t("notice", "nl") in nl.text and '<html lang="nl">' in nl.text
    switch = client.get("/ui/language", params={"to": "en", "next": "/ui/model"}, follow_redirects=False)
    assert switch.status_code == 303 and switch.headers["location"] == "/ui/model"
    en = client.get("/ui/model")
    assert i18n.t("notice", "en") in en.text and '<html lang="en">' in en.text
    away = client.get("/ui/language", params={"to": "nl", "next": "https://evil.example"}, follow_redirects=False)
    assert away.headers["location"] == "/ui"


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script_or_style(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    company = a_company(paged)
    for path in ("/ui", "/ui/shortlists/new", f"/ui/companies/{company}", "/ui/regional-picture", "/ui/sign-in"):
        r = confirmed(client, path, PURPOSE) if "/companies/" in path else client.get(path)
        assert r.headers["content-security-policy"] == PAGE_CSP
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text) and " style=" not in r.text
        assert "http://" not in r.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    css = client.get("/ui/static/tegenkracht.css")
    assert css.status_code == 200 and css.headers["cache-control"] == "public, max-age=3600"


def test_errors_on_pages_are_pages_and_the_api_keeps_problem_json(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    page = client.get("/ui/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert i18n.t("error_404", "nl") in page.text
    oversight, _ = browser(paged, "oversight")
    bad = oversight.get("/ui/oversight/audit", params={"page": "zero", "company_id": "123"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert "<code>query.page</code>" in bad.text and "<code>query.company_id</code>" in bad.text
    api = client.get("/v1/no-such-endpoint")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_a_crashing_page_is_a_page_with_its_headers_and_logs_no_company(
    paged: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from serving.ui.pages import analyst

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    client, _ = browser(paged, "analyst")
    company = a_company(paged)
    monkeypatch.setattr(analyst, "_company_page", crash)
    caplog.set_level(logging.INFO)
    r = confirmed(client, f"/ui/companies/{company}", PURPOSE)
    assert r.status_code == 500 and i18n.t("error_500", "nl") in r.text
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"] == PAGE_CSP
    logged = "\n".join(x.getMessage() for x in caplog.records if not x.name.startswith("httpx"))
    assert "/ui/companies/{company_id}" in logged and company not in logged and CASE not in logged
    record = last_records(paged, 1)[0]
    assert record["status"] == 500 and record["entity_ids"] == []


def test_an_expired_session_on_a_form_comes_back_to_the_home_page(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    client.post("/ui/sign-out", data={"csrf_token": csrf})
    r = client.post(f"/ui/companies/{a_company(paged)}/feedback", data={"csrf_token": csrf, "outcome": "dismissed",
                    **PURPOSE}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/ui/sign-in?next=%2Fui"


def test_signing_in_again_ends_the_browsers_older_session(paged: Served) -> None:
    client, _ = browser(paged, "oversight")
    first = client.cookies["tk_session"]
    form = TestClient(paged.client.app).get("/ui/sign-in")  # a second tab's form (a signed-in one is sent on)
    guard = csrf_of(form.text)
    client.cookies.set("tk_signin", guard)
    r = client.post("/ui/sign-in", data={"api_key": paged.keys["oversight"], "csrf_token": guard},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and client.cookies["tk_session"] != first
    assert (
        TestClient(paged.client.app, cookies={"tk_session": first}).get("/ui", follow_redirects=False).status_code
        == 303
    )


def test_without_scores_the_pages_say_so(tmp_path: Path, snapshot: Snapshot) -> None:
    from serving.api.app import create_app

    for store in new_store("sqlite", tmp_path):
        key = add_user(store, "Early", Role.ANALYST, [REGION]).api_key
        with TestClient(create_app(store, loader=snapshot.serving), raise_server_exceptions=False) as client:
            sign_in(client, key)
            form = client.get("/ui/shortlists/new")
            assert form.status_code == 200 and i18n.t("no_batch", "nl") in form.text
            picture = client.get("/ui/regional-picture")
            assert picture.status_code == 503 and i18n.t("no_batch", "nl") in picture.text


def test_page_logs_hold_no_key_case_or_company(paged: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, csrf = browser(paged, "analyst")
    client.get(shortlist(paged, client, csrf, top_k=3))
    company = a_company(paged)
    confirmed(client, f"/ui/companies/{company}", PURPOSE)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # the client's
    assert "/ui/companies/{company_id}" in logged  # the view is logged, by its route...
    assert paged.keys["analyst"] not in logged and CASE not in logged and company not in logged


def test_the_catalogue_has_both_languages_for_every_text_the_templates_use() -> None:
    from serving.feedback import Outcome
    from serving.purposes import Purpose

    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", template.read_text()))
    assert len(used) > 100 and used - set(i18n.TEXT) == set()
    assert all(nl.strip() and en.strip() for nl, en in i18n.TEXT.values())
    from serving.purposes import OversightPurpose
    from serving.signals import SIGNAL_BANDS

    dynamic = [f"purpose_{p.value}" for p in Purpose] + [f"outcome_{o.value}" for o in Outcome]
    dynamic += [f"opurpose_{p.value}" for p in OversightPurpose] + [f"band_{b}" for b in SIGNAL_BANDS]
    dynamic += [f"role_{r.value}" for r in Role] + [f"home_{r.value}" for r in Role if r is not Role.ANALYST]
    dynamic += [f"status_{s}" for s in ("act", "watch", "stable", "insufficient")]
    assert set(dynamic) - set(i18n.TEXT) == set()


def test_the_statement_page_and_download_state_facts_without_a_score_and_are_audited(paged: Served) -> None:
    client, _ = browser(paged, "analyst")
    company = a_company(paged)
    page = confirmed(client, f"/ui/companies/{company}", PURPOSE)
    assert i18n.t("recourse_title", "nl") in page.text and i18n.t("statement_link", "nl") in page.text
    recourse = paged.client.get(f"/v1/companies/{company}/recourse", params=PURPOSE, headers=paged.auth("analyst"))
    to_recourse = re.search(r'href="(/ui/companies/\d{8}/recourse\?[^"]+)"', page.text)
    assert to_recourse is not None
    sets = client.get(to_recourse.group(1).replace("&amp;", "&"))
    assert sets.status_code == 200 and i18n.t("recourse_title", "nl") in sets.text
    assert recourse.json()["sets"], "the region's top company has a set to show"
    for found in recourse.json()["sets"]:
        for fact in found["facts"]:
            assert fact["text_nl"] in sets.text.replace("&#39;", "'")
    link = re.search(r'href="(/ui/companies/\d{8}/statement\?[^"]+)"', page.text)
    assert link is not None
    statement = client.get(link.group(1).replace("&amp;", "&"))
    assert statement.status_code == 200, statement.text[:300]
    api = paged.client.get(f"/v1/companies/{company}/statement", params=PURPOSE, headers=paged.auth("analyst"))
    for fact in api.json()["facts"]:
        assert fact["fact_nl"] in statement.text.replace("&#39;", "'")
    signal = paged.client.get(f"/v1/companies/{company}/signal", params=PURPOSE, headers=paged.auth("analyst"))
    assert i18n.number(signal.json()["score"], "nl", 2) not in statement.text.split("<main", 1)[-1]
    download = re.search(r'href="(/ui/companies/\d{8}/statement\.md\?[^"]+lang=en[^"]*)"', statement.text)
    assert download is not None
    md = client.get(download.group(1).replace("&amp;", "&"))
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "not a decision" in md.text and f"fact-statement-{company}.md" in md.headers["content-disposition"]
    assert last_records(paged, 1)[0]["entity_ids"] == [company]
    typed = client.get(f"/ui/companies/{company}/statement", params=PURPOSE)
    assert 'action="/ui/case"' in typed.text, "an address typed or sent in asks for the case first"


def test_a_rectification_from_the_page_is_listed_with_both_versions_and_a_colleague_decides(paged: Served) -> None:
    client, csrf = browser(paged, "analyst")
    company = a_company(paged)
    page = confirmed(client, f"/ui/companies/{company}", PURPOSE)
    assert 'action="/ui/companies/' + company + '/rectifications"' in page.text
    assert '<option value="companies_at_address">' in page.text and 'value="sector_cash_intensive"' not in page.text
    form = {"csrf_token": csrf, **PURPOSE, "fact_1": "companies_at_address", "value_1": "1", "evidence": "brief 12"}
    saved = client.post(f"/ui/companies/{company}/rectifications", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:300]
    shown = client.get(saved.headers["location"])
    assert i18n.t("rectify_saved", "nl") in shown.text and "brief 12" in shown.text
    assert i18n.t("rectify_state_pending", "nl") in shown.text
    assert last_records(paged, 2)[-1]["entity_ids"] == [company]
    bad = client.post(f"/ui/companies/{company}/rectifications", data={**form, "fact_1": "sector_cash_intensive"})
    assert bad.status_code == 422
    own = re.search(r'action="(/ui/rectifications/\d+/accept)"', shown.text)
    assert own is None, "no accept button on your own response"
    other = TestClient(paged.client.app, raise_server_exceptions=False)
    other_csrf = sign_in(other, add_user(paged.store, "page_third", Role.ANALYST, [REGION]).api_key)
    theirs = confirmed(other, f"/ui/companies/{company}", PURPOSE)
    accept = re.search(r'action="(/ui/rectifications/\d+/accept)"', theirs.text)
    assert accept is not None
    done = other.post(accept.group(1), data={"csrf_token": other_csrf, **PURPOSE}, follow_redirects=False)
    assert done.status_code == 303
    assert i18n.t("rectify_state_accepted", "nl") in other.get(done.headers["location"]).text
    again = other.post(accept.group(1), data={"csrf_token": other_csrf, **PURPOSE})
    assert again.status_code == 409
