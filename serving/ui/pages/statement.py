"""The fact statement page and its download, and the page of facts that change the outcome (recourse).

The statement is what a municipality hands a company for hoor en wederhoor: facts with their source and date, no
score (:mod:`serving.statement`). Like every view of company data it needs the analyst's confirmed case, and it
lands in the audit trail with the company it showed.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from serving.api.state import state_of
from serving.recourse import ModelUnavailableError, company_recourse
from serving.statement import company_statement, markdown
from serving.ui.guard import ANALYST_PAGE, PageError
from serving.ui.pages.analyst import Case, OptionalText, _bind, _checked_case, _shown, _visible_signal
from serving.ui.render import render
from serving.ui.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
log = logging.getLogger(__name__)


def _statement(request: Request, session: Session, company_id: str, case: Case) -> dict[str, Any]:
    _bind(request, case, {"company_id": company_id})
    state = state_of(request)
    batch, sig = _visible_signal(request, session, company_id)
    found = company_statement(state.explanations.get(batch.id, batch.folder), company_id, sig.name)
    if found is None:
        raise PageError(503, "error_503")
    _shown(request, batch, company_id)
    return found


@router.get("/companies/{company_id}/statement")
def statement_page(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> HTMLResponse:
    """The facts behind a company's signal, as the company will read them, with the downloads."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    found = _statement(request, session, company_id, case)
    download = {lang: f"/ui/companies/{company_id}/statement.md?{case.query(lang=lang)}" for lang in ("nl", "en")}
    return render(
        request,
        "statement.html",
        {"s": found, "case": case, "back": f"/ui/companies/{company_id}?{case.query()}", "download": download},
        who=session.principal,
        csrf=session.csrf_token,
    )


@router.get("/companies/{company_id}/statement.md")
def statement_download(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
    lang: Annotated[Literal["nl", "en"], Query()] = "nl",
) -> Response:
    """The statement as a Markdown file, in the language asked for."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    found = _statement(request, session, company_id, case)
    name = f"{'feitenoverzicht' if lang == 'nl' else 'fact-statement'}-{company_id}.md"
    return Response(
        markdown(found, lang),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/companies/{company_id}/recourse")
def recourse_page(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> HTMLResponse:
    """Which contestable facts, shown wrong, bring the signal below the threshold.

    A page of its own, because the exact search re-scores up to thousands of sets and a company page should not
    wait for it.
    """
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    _bind(request, case, {"company_id": company_id})
    state = state_of(request)
    batch, sig = _visible_signal(request, session, company_id)
    _shown(request, batch, company_id)
    try:
        model = state.models.get(state.champion, batch.model_version)
    except ModelUnavailableError as exc:  # the page says so, nothing else changes
        log.warning("no recourse for company %s: %s", company_id, exc)
        found = None
    else:
        found = company_recourse(model, state.explanations.get(batch.id, batch.folder), company_id)
    return render(
        request,
        "recourse.html",
        {"sig": sig, "case": case, "recourse": found, "back": f"/ui/companies/{company_id}?{case.query()}"},
        who=session.principal,
        csrf=session.csrf_token,
    )
