"""What every endpoint module shares: roles, the purpose and case parameters, the served batch, the audit entry.

Also finding a company the caller may see. Kept apart from the endpoints so that each group of endpoints
(``routes``, ``following``) is its own module and none imports another's.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Query, Request, Response

from serving import signals
from serving.access import Principal, Role
from serving.api.problems import FieldError, ProblemError
from serving.api.schemas import CaseReference
from serving.api.security import require
from serving.api.state import AppState, entry_of, state_of
from serving.purposes import OversightPurpose, Purpose
from serving.store.tables import Batch

NOTICE = (
    "Een score is een signaal voor menselijke beoordeling, geen bevinding. "
    "A score is a signal for human review, not a finding."
)
ANALYST = require(Role.ANALYST)
SCIENTIST = require(Role.DATA_SCIENTIST)
OVERSIGHT = require(Role.OVERSIGHT)
ADMIN = require(Role.ADMIN)
REPORT_READERS = require(Role.OVERSIGHT, Role.DATA_SCIENTIST)
APPROVERS = require(Role.OVERSIGHT, Role.ADMIN)
PICTURE_READERS = require(Role.ANALYST, Role.OVERSIGHT)
ANYONE = require(*Role)
AUTH = (401, 403, 429)
PurposeQ = Annotated[Purpose, Query(description="Legal purpose of the look-up (GET /v1/purposes).")]
CaseQ = Annotated[CaseReference, Query(description="Case file number the look-up is for.")]
OversightPurposeQ = Annotated[
    OversightPurpose | None, Query(description="Why oversight asks which companies records name (see docs).")
]
OversightCaseQ = Annotated[CaseReference | None, Query(description="Oversight's own case file number.")]
ROW_ID_MAX = 2**31 - 1  # grants and feedback have 32-bit keys: a larger id is a 422, not a database error


def served_batch(state: AppState) -> Batch:
    """The batch being served; 503 before the first load (an operator's step, not the caller's fault)."""
    found = state.current_batch()
    if found is None:
        raise ProblemError(503, "no scores are loaded yet: run `tegenkracht score --load` first")
    return found


def fast(body: dict[str, Any], status: int = 200) -> Response:
    """Answer with orjson, without re-validating ``body`` against the response model.

    A millisecond or two on the hottest routes. The body is built here to that model, and the Schemathesis
    test checks every answer against the document.
    """
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def bind(request: Request, purpose: str, case_reference: str, params: dict[str, Any]) -> None:
    """Put the request's purpose, case and parameters on its audit entry before anything can fail."""
    entry = entry_of(request)
    entry.purpose, entry.case_reference, entry.params = purpose, case_reference, params


def visible(request: Request, who: Principal, company_id: str) -> tuple[Batch, Any]:
    """The served batch and the company's signal, or the 404 a company outside the caller's regions also gets."""
    state = state_of(request)
    batch = served_batch(state)
    sig = signals.company_signal(state.store, who, batch, company_id)
    if sig is None:
        raise ProblemError(404, f"no signal for company {company_id} is visible to you")
    entry = entry_of(request)
    entry.entity_ids, entry.model_version = [company_id], batch.model_version
    return batch, sig


def require_oversight_case(request: Request, purpose: OversightPurpose | None, case: str | None) -> None:
    """Oversight's purpose and case for a look at companies, on the audit entry; 422 naming what is missing."""
    missing = [name for name, value in (("purpose", purpose), ("oversight_case", case)) if value is None]
    if missing:
        errors = [FieldError(field=f"query.{m}", message="required for company ids") for m in missing]
        raise ProblemError(422, "naming companies in the trail needs a purpose and a case reference", errors)
    assert purpose is not None and case is not None
    entry = entry_of(request)
    entry.purpose, entry.case_reference = purpose.value, case
