"""Signing a test client in to the pages, and reading what a page holds, as a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in through the form (with its double-submit token) and return the session's CSRF token."""
    form = client.get("/ui/sign-in")
    assert form.status_code == 200
    r = client.post("/ui/sign-in", data={"api_key": key, "csrf_token": csrf_of(form.text), "next": "/ui"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/ui", r.text
    home = client.get("/ui")
    assert home.status_code == 200
    return csrf_of(home.text)


def confirmed(client: TestClient, path: str, case: dict[str, str], **keep: str) -> Response:
    """Open an entity page as an analyst following a link: confirm the link's purpose and case, then see the page.

    Only the pages' own links carry the session's confirmation; an address typed or sent in asks first.
    """
    asked = client.get(path, params={**case, **keep})
    assert asked.status_code == 200 and 'action="/ui/case"' in asked.text, asked.text[:500]
    return client.post("/ui/case", data={"csrf_token": csrf_of(asked.text), **case, "then": path, **keep})
