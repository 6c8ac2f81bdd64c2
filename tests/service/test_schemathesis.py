"""Schemathesis over the whole OpenAPI document, with valid keys of the roles and regions each operation is for.

Thirty examples per operation on each backend (SQLite, and PostgreSQL where ``.ci/run`` provides it), over 1,000
cases in all, so it fits in `make test`; it looks for any 5xx and for any answer that breaks the document's own
promises (status codes, content types, response schemas). Keys of several roles and both analysts' regions take
turns, so that cases get past authentication into the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from serving.api.app import create_app
from serving.store import open_store

from .conftest import Served, new_store, serve
from .world import Snapshot

# What the issue asks: no 5xx, and every answer as the document promises it (status, content type, body).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
# Who asks, by the operation's tag: the role it is for, in turns with keys it is not for (both analysts' regions,
# and one other role), so that generated cases reach the handlers and their region scope, not only refusals.
KEYS_BY_TAG = {
    "entities": ("analyst", "analyst", "analyst_elsewhere", "oversight"),
    "aggregates": ("analyst", "oversight", "analyst_elsewhere", "scientist"),
    "models": ("scientist", "oversight", "scientist", "analyst"),
    "reports": ("oversight", "scientist", "oversight", "analyst"),
    "oversight": ("oversight", "oversight", "oversight", "admin"),
    "admin": ("admin", "admin", "admin", "oversight"),
    "service": ("oversight", "analyst", "scientist", "admin"),
}
EXAMPLES = 22  # per operation and backend: over 1,000 cases on the two backends (the fixture counts them)
ran: dict[str, list[str]] = {}  # operations fuzzed, by backend


def fuzz(backend: str, snapshot: Snapshot, folder: Path) -> Iterator[Served]:
    """A loaded store on ``backend`` and the app over it, with rate limits out of the way.

    Afterwards, where every operation was fuzzed (not a ``-k`` selection), 500 cases or more must have run on the
    backend: over 1,000 on the two.
    """
    for store in new_store(backend, folder):
        yield from serve(store, snapshot, folder, rate_per_minute=1_000_000, stranger_rate_per_minute=1_000_000)
    done = ran.get(backend, [])
    if set(done) == {p for p, _ in OPERATIONS}:
        assert len(done) >= 500, f"only {len(done)} cases ran on {backend}"


@pytest.fixture(scope="module")
def fuzzed(snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """SQLite here; test_schemathesis_postgres.py runs the same cases on PostgreSQL, on the other worker."""
    yield from fuzz("sqlite", snapshot, tmp_path_factory.mktemp("fuzz"))


def _document() -> dict[str, object]:
    """The OpenAPI document of the app, built without serving anything (the store is never touched)."""
    store = open_store("sqlite://")
    try:
        return create_app(store).openapi()
    finally:
        store.dispose()


schema = schemathesis.openapi.from_dict(_document())


# The operations, as plain pytest parameters: schemathesis's own parametrize collects under pytest-xdist as one
# item that runs only the first operation, so ``make test`` (two workers) would fuzz /health alone.
OPERATIONS = sorted((op.ok().path, op.ok().method.upper()) for op in schema.get_all_operations())  # type: ignore[union-attr]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors_and_no_schema_violations(path: str, method: str, fuzzed: Served) -> None:
    operation = schema[path][method]
    keys = KEYS_BY_TAG.get((operation.tags or ["service"])[0], KEYS_BY_TAG["service"])
    done = ran.setdefault(fuzzed.store.engine.dialect.name, [])

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)  # fmt: skip
    def one(case: schemathesis.Case) -> None:
        who = keys[len(done) % len(keys)]
        done.append(path)
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=fuzzed.auth(who))
        if "data" in kwargs:
            kwargs["content"] = kwargs.pop("data")
        kwargs.pop("cookies", None)
        case.validate_response(fuzzed.client.request(**kwargs), checks=CHECKS)

    one()
