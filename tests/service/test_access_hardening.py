"""Keys and roles: one key revoked alone, the key id (never the secret) in the trail, four eyes on analysts' access,
proxy headers only from the configured proxy, and a link's case confirmed before a company is shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core import settings
from serving import auditlog
from serving.access import Role, add_user, authenticate, issue_key, list_users
from serving.store import open_store
from tegenkracht.cli import app as cli

from .conftest import OTHER_REGION, PURPOSE, REGION, Served
from .pages import csrf_of, sign_in

runner = CliRunner()


def _name(served: Served, stem: str) -> str:
    """A user name of its own per backend: the served store is shared by the module's tests."""
    return f"{stem}-{served.store.engine.dialect.name}"


def _audit_texts(served: Served) -> list[str]:
    """Every audit record, every column, as text."""
    with served.store.engine.connect() as c:
        return [" ".join(str(v) for v in row) for row in c.execute(text("SELECT * FROM audit_log"))]


# --------------------------------------------------------------------------------------------------------------------
# One key, not the user
# --------------------------------------------------------------------------------------------------------------------


def test_one_key_is_revoked_and_its_user_keeps_the_others(served: Served) -> None:
    name = _name(served, "Rotating")
    old = add_user(served.store, name, Role.ANALYST, [REGION]).api_key
    new = issue_key(served.store, name).api_key
    old_id = old.split("_")[1]
    keys = served.client.get(f"/v1/admin/users/{name}/keys", headers=served.auth("admin"))
    assert keys.status_code == 200 and [k["key_id"] for k in keys.json()] == [old_id, new.split("_")[1]]
    assert all(k["live"] for k in keys.json()) and old not in keys.text and old.split("_", 2)[2] not in keys.text
    r = served.client.post(f"/v1/admin/keys/{old_id}/revoke", headers=served.auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["key_id"] == old_id and r.json()["live"] is False and r.json()["already_revoked"] is False
    assert authenticate(served.store, old) is None and authenticate(served.store, new) is not None
    assert next(u for u in list_users(served.store) if u["name"] == name)["enabled"] is True
    again = served.client.post(f"/v1/admin/keys/{old_id}/revoke", headers=served.auth("admin"))
    assert again.status_code == 200 and again.json()["already_revoked"] is True
    assert served.client.post("/v1/admin/keys/000000000000/revoke", headers=served.auth("admin")).status_code == 404
    bad = served.client.post("/v1/admin/keys/nope/revoke", headers=served.auth("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "path.key_id"
    assert served.client.post(f"/v1/admin/keys/{old_id}/revoke", headers=served.auth("oversight")).status_code == 403
    record = next(r for r in auditlog.page(served.store, 1, 10)[0] if r["status"] == 200 and r["user"] == "admin")
    assert record["endpoint"] == "/v1/admin/keys/{key_id}/revoke" and record["params"]["key_id"] == old_id
    assert record["params"]["name"] == name


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    monkeypatch.setattr(settings, "STORE_DIR", tmp_path / "store")
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    return url


def _cli_json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(cli, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_cli_revokes_one_key_by_its_id(store_url: str) -> None:
    first = _cli_json("users", "add", "Lotte", "--role", "oversight")
    second = _cli_json("users", "key", "Lotte")
    listed = _cli_json("users", "keys", "Lotte")["keys"]
    assert [k["key_id"] for k in listed] == [first["key_id"], second["key_id"]]
    done = _cli_json("users", "revoke-key", first["key_id"])
    assert done["key_id"] == first["key_id"] and done["name"] == "Lotte"
    store = open_store(store_url)
    assert authenticate(store, first["api_key"]) is None and authenticate(store, second["api_key"]) is not None
    records, _ = auditlog.page(store, 1, 1)
    assert records[0]["endpoint"] == "users revoke-key" and records[0]["params"]["key_id"] == first["key_id"]
    store.dispose()
    unknown = runner.invoke(cli, ["users", "revoke-key", "ffffffffffff"])
    assert unknown.exit_code == 2 and "no key" in unknown.output


def test_the_trail_records_the_key_id_and_never_the_secret(served: Served) -> None:
    name = _name(served, "Traced")
    key = add_user(served.store, name, Role.ANALYST, [REGION]).api_key
    _, key_id, secret = key.split("_", 2)  # the secret may hold "_" itself
    headers = {"Authorization": f"Bearer {key}"}
    served.client.post("/v1/shortlists", json={"region": REGION, "top_k": 2, **PURPOSE}, headers=headers)
    served.client.get("/v1/companies/00000000/signal", params=PURPOSE, headers=headers)
    served.client.get("/v1/companies/00000000/signal", params=PURPOSE,
                      headers={"Authorization": f"Bearer {key[:-3]}xyz"})  # fmt: skip
    browser = TestClient(served.client.app, raise_server_exceptions=False)
    sign_in(browser, key)
    browser.get("/ui/shortlists/new")
    served.client.post(f"/v1/admin/keys/{key_id}/revoke", headers=served.auth("admin"))
    mine = [r for r in auditlog.page(served.store, 1, 200)[0] if r["user"] == name]
    assert len(mine) >= 6 and {r["key_id"] for r in mine} == {key_id}  # API, pages and the pending records
    assert all(secret not in t and key not in t for t in _audit_texts(served))


# --------------------------------------------------------------------------------------------------------------------
# Four eyes on analysts' access
# --------------------------------------------------------------------------------------------------------------------


def test_a_new_analyst_needs_a_second_persons_approval(served: Served) -> None:
    name = _name(served, "Nieuw")
    second_admin = _name(served, "Admin-2")
    other = {"Authorization": f"Bearer {add_user(served.store, second_admin, Role.ADMIN, []).api_key}"}
    asked = served.client.post("/v1/admin/users", json={"name": name, "role": "analyst", "regions": [REGION]},
                               headers=served.auth("admin"))  # fmt: skip
    assert asked.status_code == 202, asked.text
    grant = asked.json()
    assert grant["state"] == "pending" and grant["requested_by"] == "admin" and "api_key" not in grant
    assert name not in [u["name"] for u in list_users(served.store)]  # nothing exists yet
    again = served.client.post("/v1/admin/users", json={"name": name, "role": "analyst", "regions": [REGION]},
                               headers=served.auth("admin"))  # fmt: skip
    assert again.status_code == 409
    approve = f"/v1/admin/grants/{grant['id']}/approve"
    assert served.client.post(approve, headers=served.auth("admin")).status_code == 403  # not by the requester
    assert served.client.post(approve, headers=served.auth("analyst")).status_code == 403
    early = served.client.post(f"/v1/admin/grants/{grant['id']}/key", headers=served.auth("admin"))
    assert early.status_code == 409
    pending = served.client.get("/v1/admin/grants", params={"pending": True}, headers=served.auth("oversight"))
    assert grant["id"] in [g["id"] for g in pending.json()]
    approved = served.client.post(approve, headers=other)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved" and approved.json()["decided_by"] == second_admin
    assert "api_key" not in approved.text  # the approver never holds the analyst's key
    assert served.client.post(approve, headers=served.auth("oversight")).status_code == 409  # decided already
    assert served.client.post(f"/v1/admin/grants/{grant['id']}/key", headers=other).status_code == 403
    collected = served.client.post(f"/v1/admin/grants/{grant['id']}/key", headers=served.auth("admin"))
    assert collected.status_code == 201
    who = authenticate(served.store, collected.json()["api_key"])
    assert who is not None and who.role is Role.ANALYST and who.regions == (REGION,)
    assert served.client.post(f"/v1/admin/grants/{grant['id']}/key", headers=served.auth("admin")).status_code == 409
    steps = [r for r in auditlog.page(served.store, 1, 60)[0] if r["endpoint"].startswith("/v1/admin/")]
    by_route = {(r["endpoint"], r["status"]): r for r in steps}
    assert by_route[("/v1/admin/users", 202)]["params"]["grant_id"] == grant["id"]
    decided = by_route[("/v1/admin/grants/{grant_id}/approve", 200)]
    assert decided["user"] == second_admin and decided["params"]["requested_by"] == "admin"
    oversight = served.client.post("/v1/admin/users", json={"name": _name(served, "Toezicht-2"),
                                   "role": "oversight"}, headers=served.auth("admin"))  # fmt: skip
    assert oversight.status_code == 201 and oversight.json()["api_key"]  # no entity data: one step


def test_wider_regions_wait_for_approval_and_fewer_apply_at_once(served: Served) -> None:
    name = _name(served, "Breder")
    key = {"Authorization": f"Bearer {add_user(served.store, name, Role.ANALYST, [REGION]).api_key}"}

    def picture(region: str) -> int:
        return served.client.get("/v1/regional-picture", params={"region": region}, headers=key).status_code

    url = f"/v1/admin/users/{name}/regions"
    wider = served.client.post(url, json={"regions": [REGION, OTHER_REGION]}, headers=served.auth("admin"))
    assert wider.status_code == 202 and wider.json()["state"] == "pending"
    assert picture(OTHER_REGION) == 403  # not yet
    approved = served.client.post(f"/v1/admin/grants/{wider.json()['id']}/approve", headers=served.auth("oversight"))
    assert approved.status_code == 200 and approved.json()["decided_by"] == "oversight"
    assert picture(OTHER_REGION) == 200
    fewer = served.client.post(url, json={"regions": [OTHER_REGION]}, headers=served.auth("admin"))
    assert fewer.status_code == 200 and fewer.json()["state"] == "applied"
    assert picture(REGION) == 403
    nobody = served.client.post("/v1/admin/users/nobody/regions", json={"regions": [REGION]},
                                headers=served.auth("admin"))  # fmt: skip
    assert nobody.status_code == 404


def test_the_cli_approves_with_the_approvers_own_key(store_url: str) -> None:
    from serving.access import request_analyst

    admin = _cli_json("users", "add", "Beheer", "--role", "admin")
    toezicht = _cli_json("users", "add", "Toezicht", "--role", "oversight")
    store = open_store(store_url)
    requester = authenticate(store, admin["api_key"])
    assert requester is not None
    grant = request_analyst(store, requester, "Analist", [REGION])
    store.dispose()
    listed = _cli_json("users", "grants", "--pending")["grants"]
    assert [g["id"] for g in listed] == [grant["id"]]
    own = runner.invoke(cli, ["users", "approve", str(grant["id"])], env={"TEGENKRACHT_APPROVER_KEY": admin["api_key"]})
    assert own.exit_code == 2 and "second person" in own.output
    done = _cli_json("users", "approve", str(grant["id"]), env={"TEGENKRACHT_APPROVER_KEY": toezicht["api_key"]})
    assert done["state"] == "approved" and done["decided_by"] == "Toezicht"
    assert "Analist" in [u["name"] for u in _cli_json("users", "list")["users"]]
    store = open_store(store_url)
    records, _ = auditlog.page(store, 1, 2)
    assert records[0]["endpoint"] == "users approve" and records[0]["user"] == "Toezicht"
    assert records[0]["key_id"] == toezicht["key_id"] and records[0]["status"] == 200
    assert records[1]["endpoint"] == "users approve" and records[1]["status"] == 403  # the refused one, too
    store.dispose()


# --------------------------------------------------------------------------------------------------------------------
# TLS, proxies and cookies
# --------------------------------------------------------------------------------------------------------------------


def test_serve_trusts_proxy_headers_only_from_the_configured_addresses(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from tegenkracht.service_verbs import run_serve

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(k))
    run_serve("127.0.0.1", 8000)
    monkeypatch.setattr(settings, "FORWARDED_ALLOW_IPS", "", raising=False)
    run_serve("127.0.0.1", 8000)
    assert (seen[0]["proxy_headers"], seen[0]["forwarded_allow_ips"]) == (True, "127.0.0.1")
    assert seen[1]["proxy_headers"] is False


def test_a_forwarded_tls_claim_counts_only_from_the_trusted_proxy(served: Served) -> None:
    proxied = ProxyHeadersMiddleware(served.client.app, trusted_hosts="127.0.0.1")  # what serve installs
    claim = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    cookies = []
    for address in ("127.0.0.1", "198.51.100.9"):
        client = TestClient(proxied, client=(address, 50000), headers=claim)
        form = client.get("/ui/sign-in")
        client.cookies.set("tk_signin", csrf_of(form.text))  # the test client keeps Secure cookies off http://
        r = client.post("/ui/sign-in", data={"api_key": served.keys["oversight"], "csrf_token": csrf_of(form.text)},
                        follow_redirects=False)  # fmt: skip
        cookies.append(next(c for c in r.headers.get_list("set-cookie") if "tk_session=" in c))
        cookies.append(form.headers.get("strict-transport-security", ""))
    trusted, trusted_hsts, stranger, stranger_hsts = cookies
    assert trusted.startswith("__Host-tk_session=") and "secure" in trusted.lower() and trusted_hsts
    assert stranger.startswith("tk_session=") and "secure" not in stranger.lower() and not stranger_hsts


# --------------------------------------------------------------------------------------------------------------------
# A link's purpose and case are confirmed before the first company is shown
# --------------------------------------------------------------------------------------------------------------------


def _company(served: Served) -> tuple[str, str]:
    made = served.client.post("/v1/shortlists", json={"region": REGION, "top_k": 1, **PURPOSE},
                              headers=served.auth("analyst")).json()  # fmt: skip
    return made["items"][0]["company_id"], made["items"][0]["name"]


def test_a_link_with_a_case_is_confirmed_before_the_company_is_shown(served: Served) -> None:
    company, name = _company(served)
    client = TestClient(served.client.app, raise_server_exceptions=False)
    sign_in(client, served.keys["analyst"])
    link = f"/ui/companies/{company}"
    sent = {"purpose": "fiod_investigation", "case_reference": "FIOD-2026-99"}  # someone else's case
    asked = client.get(link, params=sent)
    assert asked.status_code == 200 and name not in asked.text  # the address held the id; nothing else is shown
    assert 'action="/ui/case"' in asked.text and 'value="FIOD-2026-99"' in asked.text
    record = auditlog.page(served.store, 1, 1)[0][0]
    assert record["endpoint"] == "/ui/companies/{company_id}" and record["entity_ids"] == []
    assert record["case_reference"] == ""  # nothing was looked up under the link's case
    forged = client.get(link, params={**sent, "confirmed": "0" * 32})
    assert name not in forged.text
    elsewhere = client.post("/ui/case", data={"csrf_token": csrf_of(asked.text), **PURPOSE, "then": "/ui/admin/users"})
    assert elsewhere.status_code == 422
    mine = client.post("/ui/case", data={"csrf_token": csrf_of(asked.text), **PURPOSE, "then": link},
                       follow_redirects=False)  # fmt: skip
    assert mine.status_code == 303 and "confirmed=" in mine.headers["location"]
    assert "case_reference=" + PURPOSE["case_reference"] in mine.headers["location"]
    shown = client.get(mine.headers["location"])
    assert shown.status_code == 200 and name in shown.text
    viewed = auditlog.page(served.store, 1, 1)[0][0]
    assert viewed["entity_ids"] == [company] and viewed["case_reference"] == PURPOSE["case_reference"]
    other = TestClient(served.client.app, raise_server_exceptions=False)
    sign_in(other, served.keys["analyst"])
    replay = other.get(mine.headers["location"])  # the token is this session's: another one asks again
    assert replay.status_code == 200 and name not in replay.text and 'action="/ui/case"' in replay.text
    bad = client.post("/ui/case", data={"csrf_token": "forged", **PURPOSE, "then": link}, follow_redirects=False)
    assert bad.status_code == 403


def test_the_pages_own_links_carry_the_confirmation(served: Served) -> None:
    client = TestClient(served.client.app, raise_server_exceptions=False)
    csrf = sign_in(client, served.keys["analyst"])
    made = client.post("/ui/shortlists", data={"csrf_token": csrf, "region": REGION, "top_k": "2", **PURPOSE},
                       follow_redirects=False)  # fmt: skip
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "table" in page.text
    link = re.search(r'<a href="(/ui/companies/\d{8}\?[^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    company = client.get(link.replace("&amp;", "&"))
    assert company.status_code == 200 and 'action="/ui/case"' not in company.text and "<svg" in company.text
