"""Rectification on the pages: record a company's disputed facts from its company page; a colleague decides.

The same rules as the API's (:mod:`serving.rectification`): contestable facts of the batch's model only, both
versions kept, and a second analyst of the region accepts or rejects, once. Every form carries the session's CSRF
token and the confirmed case, and every change lands in the audit trail.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from serving import rectification
from serving.api.schemas import RectificationIn
from serving.api.state import entry_of, state_of
from serving.recourse import ModelUnavailableError
from serving.ui.guard import ANALYST_PAGE, PageError
from serving.ui.pages.analyst import FormText, _bind, _form_case, _shown, _visible_signal
from serving.ui.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
ROWS = 3
ROW_ID_MAX = 2**31 - 1


def _facts(form: dict[str, str]) -> dict[str, float | None]:
    """The rows of the form that name a fact: an empty value means the record does not exist."""
    out: dict[str, float | None] = {}
    for i in range(1, ROWS + 1):
        name, value = form.get(f"fact_{i}", "").strip(), form.get(f"value_{i}", "").strip().replace(",", ".")
        if not name:
            continue
        try:
            out[name] = float(value) if value else None
        except ValueError as exc:
            raise PageError(422, "rectify_invalid") from exc
        if out[name] is not None and not math.isfinite(out[name] or 0.0):
            raise PageError(422, "rectify_invalid")
    return out


@router.post("/companies/{company_id}/rectifications")
def record(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
    evidence: FormText = "",
    fact_1: FormText = "",
    value_1: FormText = "",
    fact_2: FormText = "",
    value_2: FormText = "",
    fact_3: FormText = "",
    value_3: FormText = "",
) -> Response:
    """Record the company's disputed facts and show the company again (303), with both versions listed."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    rows = {"fact_1": fact_1, "value_1": value_1, "fact_2": fact_2, "value_2": value_2, "fact_3": fact_3,
            "value_3": value_3}  # fmt: skip
    try:
        body = RectificationIn.model_validate({"facts": _facts(rows), "evidence": evidence, "purpose": case.purpose,
                                               "case_reference": case.reference})  # fmt: skip
    except ValidationError as exc:
        raise PageError(422, "rectify_invalid") from exc
    _bind(request, case, {"company_id": company_id, "facts": sorted(body.facts), "evidence_chars": len(body.evidence)})
    state = state_of(request)
    batch, _sig = _visible_signal(request, session, company_id)
    try:
        model = state.models.get(state.champion, batch.model_version)
    except ModelUnavailableError as exc:  # nothing is recorded, and the page says why
        raise PageError(503, "recourse_unavailable") from exc
    loaded = state.explanations.get(batch.id, batch.folder)
    try:
        rectification.record(state.store, session.principal, batch, loaded, model, company_id, body.model_dump())
    except rectification.RectificationError as exc:
        raise PageError(422, "rectify_invalid") from exc
    _shown(request, batch, company_id)
    return RedirectResponse(f"/ui/companies/{company_id}?{case.query(rectified='1')}#rectifications", status_code=303)


@router.post("/rectifications/{rectification_id}/{decision}")
def decide(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    rectification_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
    decision: Annotated[Literal["accept", "reject"], PathParam()],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
) -> Response:
    """A colleague accepts or rejects a pending rectification; back to the company (303)."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    _bind(request, case, {"rectification_id": rectification_id, "decision": decision})
    try:
        out = rectification.decide(state_of(request).store, session.principal, rectification_id, decision == "accept")
    except rectification.RectificationError as exc:
        raise PageError(exc.status, "rectify_decided" if exc.status in (403, 409) else "error_404") from exc
    entry_of(request).entity_ids = [out["company_id"]]
    return RedirectResponse(f"/ui/companies/{out['company_id']}?{case.query(rectified='1')}#rectifications",
                            status_code=303)  # fmt: skip
