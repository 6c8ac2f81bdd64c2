"""Schemathesis over the whole OpenAPI document, with a valid key of the role each operation is for.

Bounded (a few dozen examples per operation) so it fits in `make test`; it looks for any 5xx and for any answer
that breaks the document's own promises (status codes, content types, response schemas).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from serving.api.app import create_app
from serving.store import open_store

from .conftest import Served, serve
from .world import Snapshot

# What the issue asks: no 5xx, and every answer as the document promises it (status, content type, body).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
ROLE_OF = {
    "/v1/shortlists": "analyst",
    "/v1/shortlists/{shortlist_id}": "analyst",
    "/v1/companies/{company_id}/signal": "analyst",
    "/v1/feedback": "analyst",
    "/v1/regional-picture": "analyst",
    "/v1/score": "scientist",
    "/v1/fairness/report": "oversight",
    "/v1/drift/report": "oversight",
    "/v1/audit-log": "oversight",
    "/v1/audit-log/verify": "oversight",
    "/v1/model": "oversight",
    "/v1/model/documents/{name}": "oversight",
    "/v1/purposes": "oversight",
    "/v1/admin/reload": "admin",
    "/v1/admin/users": "admin",
}


@pytest.fixture(scope="module")
def fuzzed(snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("fuzz")
    store = open_store(f"sqlite:///{folder / 'store.db'}")
    yield from serve(store, snapshot, folder, rate_per_minute=1_000_000)
    store.dispose()


def _document() -> dict[str, object]:
    """The OpenAPI document of the app, built without serving anything (the store is never touched)."""
    store = open_store("sqlite://")
    try:
        return create_app(store).openapi()
    finally:
        store.dispose()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_no_schema_violations(case: schemathesis.Case, fuzzed: Served) -> None:
    who = ROLE_OF.get(case.path)
    headers = fuzzed.auth(who) if who else {}
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    kwargs.pop("cookies", None)
    response = fuzzed.client.request(**kwargs)
    case.validate_response(response, checks=CHECKS)
