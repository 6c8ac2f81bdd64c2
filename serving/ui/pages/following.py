"""Following on the pages: why a signal moved, follow and stop following, the alert inbox and one's watches.

The same rules as the API's (:mod:`serving.watches`, :mod:`serving.history`): companies in the analyst's regions
only, under a confirmed case, every form with the session's CSRF token, every view and change in the audit trail.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core import settings
from features.catalogue import BY_ID
from serving import watches
from serving.api.state import entry_of, state_of
from serving.history import company_change
from serving.ui.guard import ANALYST_PAGE, PageError
from serving.ui.i18n import Lang, lang_of, number, percent, t
from serving.ui.pages.analyst import Case, FormText, OptionalText, _bind, _checked_case, _form_case, _shown
from serving.ui.pages.analyst import _visible_signal as visible_signal
from serving.ui.render import render
from serving.ui.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
ROW_ID_MAX = 2**31 - 1
CHANGE_ROWS = 12


@router.get("/companies/{company_id}/change")
def change_page(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> HTMLResponse:
    """Why the signal rose (or fell) since the previous as-of date: changed facts, and a changed model."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    _bind(request, case, {"company_id": company_id})
    state = state_of(request)
    batch, sig = visible_signal(request, session, company_id)
    found = company_change(state.store, batch, state.explanations.get(batch.id, batch.folder), company_id,
                           float(sig.probability), lambda v: state.models.get(state.champion, v))  # fmt: skip
    _shown(request, batch, company_id)
    return render(
        request,
        "change.html",
        {
            "sig": sig,
            "c": found,
            "case": case,
            "rows": CHANGE_ROWS,
            "back": f"/ui/companies/{company_id}?{case.query()}#history",
        },
        who=session.principal,
        csrf=session.csrf_token,
    )


@router.post("/companies/{company_id}/follow")
def follow(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
) -> Response:
    """Follow the company for the longest a watch may last; back to its history (303)."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    _bind(request, case, {"company_id": company_id})
    batch, _sig = visible_signal(request, session, company_id)
    try:
        watches.follow(state_of(request).store, session.principal, company_id, case.purpose, case.reference)
    except watches.WatchError as exc:
        raise PageError(exc.status, "watch_refused") from exc
    _shown(request, batch, company_id)
    return RedirectResponse(f"/ui/companies/{company_id}?{case.query()}#history", status_code=303)


@router.post("/watches/{watch_id}/{action}")
def change_watch(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    watch_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
    action: Annotated[str, PathParam(pattern=r"^(renew|end)$")],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
) -> Response:
    """Renew or end one of the analyst's watches; back to the company (303)."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    _bind(request, case, {"watch_id": watch_id, "action": action})
    store = state_of(request).store
    try:
        done = (watches.renew if action == "renew" else watches.end)(store, session.principal, watch_id)
    except watches.WatchError as exc:
        raise PageError(exc.status, "watch_refused") from exc
    entry_of(request).entity_ids = [done["company_id"]]
    return RedirectResponse(f"/ui/companies/{done['company_id']}?{case.query()}#history", status_code=303)


@router.get("/alerts")
def inbox(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
    done: OptionalText = None,
) -> HTMLResponse:
    """The analyst's alerts on the companies they follow, each to be acknowledged with an outcome."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    _bind(request, case, {})
    found = watches.inbox(state_of(request).store, session.principal)
    entry_of(request).entity_ids = sorted({a["company_id"] for a in found})
    lang = lang_of(request)
    for alert in found:
        alert["rows"] = fact_rows(alert["facts"], lang)
    return render(
        request,
        "alerts.html",
        {"alerts": found, "case": case, "outcomes": watches.OUTCOMES, "done": bool(done)},
        who=session.principal,
        csrf=session.csrf_token,
    )


def fact_rows(facts: dict[str, Any], lang: Lang) -> list[tuple[str, str, str]]:
    """An alert's facts as (what, before, now), in the visitor's words and number format."""
    rows = []
    for key, value in facts.items():
        if key == "k" or not isinstance(value, list) or len(value) != 2:
            continue
        found = BY_ID.get(key)
        label = (found.label_nl if lang == "nl" else found.label_en) if found else t(f"alert_fact_{key}", lang)
        rows.append((label, _shown_value(key, value[0], lang), _shown_value(key, value[1], lang)))
    return rows


def _shown_value(key: str, value: Any, lang: Lang) -> str:
    if value is None:
        return "–"
    if key == "band":
        return t(f"band_{value}", lang)
    if key == "probability":
        return percent(float(value), lang, 2)
    return number(float(value), lang, 0 if float(value).is_integer() else 2)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    alert_id: Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
    outcome: FormText = "",
) -> Response:
    """Acknowledge one alert with its outcome; back to the inbox (303)."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    _bind(request, case, {"alert_id": alert_id, "outcome": outcome})
    try:
        done = watches.acknowledge(state_of(request).store, session.principal, alert_id, outcome)
    except watches.WatchError as exc:
        raise PageError(exc.status, "alert_refused") from exc
    entry_of(request).entity_ids = [done["company_id"]]
    return RedirectResponse(f"/ui/alerts?{case.query(done='1')}", status_code=303)


@router.get("/watches")
def my_watches(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> HTMLResponse:
    """The companies the analyst follows, with each watch's case and expiry."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    _bind(request, case, {})
    found = watches.watches_of(state_of(request).store, session.principal, include_closed=True)
    entry_of(request).entity_ids = sorted({w["company_id"] for w in found})
    return render(
        request,
        "watches.html",
        {"watches": found, "case": case, "max_days": settings.WATCH_MAX_DAYS},
        who=session.principal,
        csrf=session.csrf_token,
    )
