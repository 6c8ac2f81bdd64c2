"""The schemathesis cases of test_schemathesis.py again on PostgreSQL: a file of its own, so it runs beside them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import POSTGRES, Served
from .test_schemathesis import fuzz
from .test_schemathesis import test_no_server_errors_and_no_schema_violations as test_on_postgresql  # noqa: F401
from .world import Snapshot

pytestmark = pytest.mark.skipif(not POSTGRES, reason="TEGENKRACHT_TEST_POSTGRES_URL is not set")


@pytest.fixture(scope="module")
def fuzzed(snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from fuzz("postgresql", snapshot, tmp_path_factory.mktemp("fuzz"))
