"""Analysts' pages: the shortlist form and table (with CSV), a company's explanation and feedback, the regional picture.

Every view of company data carries its purpose and case reference in the address, so a link, a bookmark or the
browser's history can never show entities without them, and every such view lands in the audit trail with the
companies it showed. A page asked for without them first asks which case it is for. The queries are the API's
own (:mod:`serving.signals`), so the pages cannot see more than the API would.

An address can be made by anyone, though: a link sent to an analyst could carry a purpose and case that are not
theirs, and the view would be recorded under it. So the case in an address counts only with a confirmation
token bound to the session (``confirmed``), which the pages add to their own links once the analyst has named
or confirmed the case in a form; a link without it, or from another session, first asks the analyst to confirm
the purpose and case it carries, before any company is shown.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from core import settings
from core.reference import RIEC_REGIONS, SECTION_NAMES
from features.catalogue import BY_ID
from models.facts import contestable
from serving import feedback, rectification, signals, watches
from serving.access import Role
from serving.api.schemas import CaseReference, FeedbackIn, ShortlistIn
from serving.api.state import entry_of, state_of
from serving.history import company_history
from serving.purposes import Purpose
from serving.ui.charts import HistoryPoint, Step, heat_class, history_chart, waterfall
from serving.ui.guard import ANALYST_PAGE, PICTURE_PAGE, PageError, check_csrf
from serving.ui.i18n import Lang, lang_of, number, percent, t
from serving.ui.pages import served_batch
from serving.ui.pages.session import safe_next
from serving.ui.present import band, band_floors, indicator_value, sector_name
from serving.ui.render import render
from serving.ui.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
SHORTLIST_ID = r"^[0-9a-f-]{36}$"
WATERFALL_STEPS = 10
NOTE_MAX = 2000
OptionalText = Annotated[str | None, Query(max_length=200)]
FormText = Annotated[str, Form(max_length=200)]


#: The pages a confirmed case may be sent on to: entity pages only, never elsewhere (no open redirect).
CASE_PAGES = re.compile(
    r"^/ui/(companies/\d{8}(/statement(\.md)?|/recourse|/change)?|shortlists/[0-9a-f-]{36}(/csv)?|alerts|watches)$"
)


@dataclass(frozen=True)
class Case:
    """The purpose and case reference a view of company data is for, with this session's token for them."""

    purpose: str
    reference: str
    token: str = ""

    def query(self, **more: str) -> str:
        """The address query that carries this case, confirmed (and ``more``), to the next page."""
        confirmed = {"confirmed": self.token} if self.token else {}
        return urlencode({"purpose": self.purpose, "case_reference": self.reference, **confirmed, **more})


def case_token(session: Session, purpose: str, reference: str) -> str:
    """The token that says this session's analyst named or confirmed this case: a MAC under the session's secret.

    Keyed by the session's CSRF secret, so another session, or whoever wrote a link, cannot make one.
    """
    message = f"case\n{purpose}\n{reference}".encode()
    return hmac.new(session.csrf_token.encode(), message, hashlib.sha256).hexdigest()[:32]


def _confirmed(session: Session, purpose: str, reference: str) -> Case:
    return Case(purpose, reference, case_token(session, purpose, reference))


class CaseIn(BaseModel):
    """The same rules for a purpose and a case reference as the API's."""

    purpose: Purpose
    case_reference: CaseReference


def _case(purpose: str | None, case_reference: str | None) -> tuple[Case | None, dict[str, str]]:
    """The case, or the fields at fault (none at all when neither was given: a first visit, not an error)."""
    if not purpose and not case_reference:
        return None, {}
    try:
        checked = CaseIn.model_validate({"purpose": purpose or "", "case_reference": case_reference or ""})
    except ValidationError as exc:
        return None, _field_errors(exc)
    return Case(checked.purpose.value, checked.case_reference), {}


def _field_errors(exc: ValidationError) -> dict[str, str]:
    """Field name → message key, for the form to show next to each field."""
    out: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else "form"
        out.setdefault(name, "required" if e.get("type") == "missing" else "invalid_value")
    return out


def _ask_case(
    request: Request,
    session: Session,
    errors: dict[str, str],
    keep: dict[str, str],
    values: dict[str, str] | None = None,
    *,
    confirm: bool = False,
    then: str | None = None,
    status: int | None = None,
) -> HTMLResponse:
    """The form that asks which case a view is for, or (``confirm``) whether the case a link carries is the user's.

    It posts to ``/ui/case`` with the session's CSRF token, which sends the browser on to the page with the
    case confirmed; the form itself shows no company.
    """
    given = (
        values if values is not None else {k: request.query_params.get(k, "") for k in ("purpose", "case_reference")}
    )
    return render(
        request,
        "case.html",
        {"errors": errors, "keep": keep, "purposes": list(Purpose), "action": "/ui/case",
         "then": then or request.url.path, "values": given, "confirm": confirm},
        who=session.principal,
        csrf=session.csrf_token,
        status=status or (422 if errors else 200),
    )  # fmt: skip


def _checked_case(
    request: Request, session: Session, purpose: str | None, case_reference: str | None, keep: dict[str, str]
) -> Case | HTMLResponse:
    """The case of a view from its address, confirmed; otherwise the form that asks for it or for confirmation."""
    case, errors = _case(purpose, case_reference)
    if case is None:
        return _ask_case(request, session, errors, keep)
    confirmed = _confirmed(session, case.purpose, case.reference)
    sent = request.query_params.get("confirmed", "")
    if not hmac.compare_digest(sent.encode(), confirmed.token.encode()):
        return _ask_case(request, session, {}, keep, confirm=True)
    return confirmed


@router.post("/case")
def confirm_case(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
    then: Annotated[str, Form(max_length=200)] = "",
    shortlist: FormText = "",
) -> Response:
    """The analyst names or confirms the case for a view: on to the page, with the case and its token (303)."""
    check_csrf(session, csrf_token)
    target = safe_next(then)
    if not CASE_PAGES.match(target):
        raise PageError(422, "error_422")
    keep = {"shortlist": shortlist} if re.fullmatch(SHORTLIST_ID[1:-1], shortlist) else {}
    values = {"purpose": purpose.strip(), "case_reference": case_reference.strip()}
    case, errors = _case(values["purpose"], values["case_reference"])
    if case is None:
        return _ask_case(request, session, errors or {"purpose": "required"}, keep, values, then=target)
    _bind(request, case, _case_params(target))
    confirmed = _confirmed(session, case.purpose, case.reference)
    return RedirectResponse(f"{target}?{confirmed.query(**keep)}", status_code=303)


def _case_params(target: str) -> dict[str, str]:
    """What a confirmed page names, for the audit entry of the confirmation."""
    parts = target.split("/")
    if parts[2] == "companies":
        return {"company_id": parts[3]}
    return {"shortlist_id": parts[3]} if parts[2] == "shortlists" else {"page": parts[2]}


def _bind(request: Request, case: Case, params: dict[str, Any]) -> None:
    entry = entry_of(request)
    entry.purpose, entry.case_reference, entry.params = case.purpose, case.reference, params


def _form_case(session: Session, csrf_token: str, purpose: str, case_reference: str) -> Case:
    """The case a form posts in its hidden fields, confirmed for this session (the CSRF token checked first)."""
    check_csrf(session, csrf_token)
    checked, _ = _case(purpose, case_reference)
    if checked is None:  # the form carries both in hidden fields: only a hand-made request gets here
        raise PageError(422, "error_422")
    return _confirmed(session, checked.purpose, checked.reference)  # sent with this session's CSRF token


def _visible_signal(request: Request, session: Session, company_id: str) -> tuple[Any, Any]:
    """The served batch and the company's signal: 404 alike for an unknown company and one outside your regions."""
    state = state_of(request)
    batch = served_batch(request)
    sig = signals.company_signal(state.store, session.principal, batch, company_id)
    if sig is None:
        raise PageError(404, "company_not_found", company=company_id)
    return batch, sig


def _shown(request: Request, batch: Any, company_id: str) -> None:
    """Name the company and the batch's model in this request's audit record."""
    entry = entry_of(request)
    entry.entity_ids, entry.model_version = [company_id], batch.model_version


# --------------------------------------------------------------------------------------------------------------------
# Shortlists
# --------------------------------------------------------------------------------------------------------------------


@router.get("/shortlists/new")
def shortlist_form(request: Request, session: Annotated[Session, Depends(ANALYST_PAGE)]) -> HTMLResponse:
    """The shortlist form, with the analyst's recent shortlists beside it."""
    return _shortlist_form(request, session, {}, {})


def _shortlist_form(
    request: Request, session: Session, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    state = state_of(request)
    who = session.principal
    batch = state.current_batch()
    return render(
        request,
        "shortlist_form.html",
        {
            "batch": batch,
            "regions": who.regions,
            "sectors": [s for s in SECTION_NAMES if s != "?"],
            "municipalities": signals.municipalities(state.store, batch, who.regions) if batch else [],
            "purposes": list(Purpose),
            "recent": signals.recent_shortlists(state.store, who),
            "values": {"top_k": "25", **values},
            "errors": errors,
            "max_top_k": settings.MAX_TOP_K,
            "case_query": lambda r: Case(r["purpose"], r["case_reference"]).query(),
        },
        who=who,
        csrf=session.csrf_token,
        status=status,
    )


@router.post("/shortlists")
def make_shortlist(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    csrf_token: FormText = "",
    region: FormText = "",
    sector: FormText = "",
    municipality: FormText = "",
    top_k: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
) -> Response:
    """Make and store a shortlist, then show it (303, so a reload does not make it again)."""
    check_csrf(session, csrf_token)
    values = {"region": region, "sector": sector, "municipality": municipality, "top_k": top_k, "purpose": purpose,
              "case_reference": case_reference}  # fmt: skip
    values = {k: v.strip() for k, v in values.items()}
    try:
        ask = ShortlistIn.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        return _shortlist_form(request, session, values, _field_errors(exc), 422)
    who = session.principal
    if not who.sees_region(ask.region):
        return _shortlist_form(request, session, values, {"region": "not_your_region"}, 403)
    case = _confirmed(session, ask.purpose.value, ask.case_reference)  # typed into this session's own form
    _bind(request, case, ask.model_dump(exclude={"purpose", "case_reference"}))
    state = state_of(request)
    batch = served_batch(request)
    made = signals.create_shortlist(
        state.store,
        who,
        batch,
        signals.ShortlistRequest(ask.region, ask.sector, ask.municipality, ask.top_k, case.purpose, case.reference),
    )
    entry = entry_of(request)
    entry.entity_ids = [i["company_id"] for i in made["items"]]
    entry.model_version = batch.model_version
    entry.params["shortlist_id"] = made["id"]
    return RedirectResponse(f"/ui/shortlists/{made['id']}?{case.query()}", status_code=303)


def _visible_shortlist(request: Request, session: Session, shortlist_id: str, case: Case) -> dict[str, Any]:
    _bind(request, case, {"shortlist_id": shortlist_id})
    found = signals.read_shortlist(state_of(request).store, session.principal, shortlist_id)
    if found is None:
        raise PageError(404, "shortlist_not_found")
    entry = entry_of(request)
    entry.entity_ids = [i["company_id"] for i in found["items"]]
    entry.model_version = found["model_version"]
    return found


@router.get("/shortlists/{shortlist_id}")
def shortlist(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    shortlist_id: Annotated[str, PathParam(pattern=SHORTLIST_ID)],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> HTMLResponse:
    """A stored shortlist as a sortable table: rank, company, municipality, sector, band and top reasons."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):
        return case
    found = _visible_shortlist(request, session, shortlist_id, case)
    lang = lang_of(request)
    rows = [
        {**item, "band": band(item["probability"], lang), "sector_name": sector_name(item["sector"], lang),
         "href": f"/ui/companies/{item['company_id']}?{case.query(shortlist=shortlist_id)}",
         "reasons_text": [r[f"text_{lang}"] for r in item["reasons"][:3]]}
        for item in found["items"]
    ]  # fmt: skip
    return render(
        request,
        "shortlist.html",
        {"shortlist": found, "rows": rows, "case": case, "floors": band_floors(),
         "csv": f"/ui/shortlists/{shortlist_id}/csv?{case.query()}"},
        who=session.principal,
        csrf=session.csrf_token,
    )  # fmt: skip


@router.get("/shortlists/{shortlist_id}/csv")
def shortlist_csv(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    shortlist_id: Annotated[str, PathParam(pattern=SHORTLIST_ID)],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
) -> Response:
    """The shortlist as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the accents)."""
    case = _checked_case(request, session, purpose, case_reference, {})
    if not isinstance(case, Case):  # the page's own link always carries a confirmed case
        return case
    found = _visible_shortlist(request, session, shortlist_id, case)
    lang = lang_of(request)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "nl" else ",")
    writer.writerow([t(k, lang) for k in ("rank", "kvk", "company", "municipality", "sector", "probability",
                                          "band")] + [f"{t('reasons', lang)} {i}" for i in (1, 2, 3)]
                    + [t("explored", lang), t("inclusion_probability", lang)])  # fmt: skip
    for item in found["items"]:
        reasons = [r[f"text_{lang}"] for r in item["reasons"][:3]]
        writer.writerow([_cell(v) for v in (
            item["rank"], item["company_id"], item["name"], item["municipality"], sector_name(item["sector"], lang),
            number(item["probability"], lang, 4), band(item["probability"], lang).word,
            *reasons, *[""] * (3 - len(reasons)), t("yes" if item["explored"] else "no", lang),
            number(item["inclusion_probability"], lang, 4))])  # fmt: skip
    filename = f"shortlist-{found['region'].lower().replace(' ', '-')}-{shortlist_id[:8]}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP's CSV-injection advice)."""
    text = str(value)
    return "'" + text if text.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --------------------------------------------------------------------------------------------------------------------
# A company
# --------------------------------------------------------------------------------------------------------------------


@router.get("/companies/{company_id}")
def company(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    purpose: OptionalText = None,
    case_reference: OptionalText = None,
    shortlist: Annotated[str | None, Query(pattern=SHORTLIST_ID)] = None,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
    reviewed: Annotated[int, Query(ge=0, le=1)] = 0,
    rectified: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    """A company's score with its full explanation, colleagues' outcomes to confirm, and the feedback form."""
    case = _checked_case(request, session, purpose, case_reference, {"shortlist": shortlist} if shortlist else {})
    if not isinstance(case, Case):
        return case
    return _company_page(request, session, company_id, case, shortlist, saved=bool(saved), reviewed=bool(reviewed),
                         rectified=bool(rectified))  # fmt: skip


def _company_page(
    request: Request,
    session: Session,
    company_id: str,
    case: Case,
    shortlist_id: str | None,
    *,
    saved: bool = False,
    reviewed: bool = False,
    rectified: bool = False,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    if not entry_of(request).purpose:
        _bind(request, case, {"company_id": company_id})
    state = state_of(request)
    batch, sig = _visible_signal(request, session, company_id)
    loaded = state.explanations.get(batch.id, batch.folder)
    explained = loaded.explain(company_id)
    if explained is None:
        raise PageError(503, "error_503")
    _shown(request, batch, company_id)
    lang = lang_of(request)
    return render(
        request,
        "company.html",
        {
            "sig": sig,
            "batch": batch,
            "case": case,
            "shortlist_id": shortlist_id,
            "back": f"/ui/shortlists/{shortlist_id}?{case.query()}" if shortlist_id else "",
            "prob_band": band(sig.probability, lang),
            "chart": _waterfall(explained, sig.score, lang),
            "indicators": _indicator_rows(explained["indicators"], lang),
            "reasons": explained["reasons"],
            "rectifications": rectification.for_company(state.store, session.principal, company_id),
            "contestable": [
                (f, BY_ID[f].label_nl if lang == "nl" else BY_ID[f].label_en) for f in loaded.features if contestable(f)
            ],
            "rectified": rectified,
            "history": (history := company_history(state.store, session.principal, company_id)),
            "history_chart": _history_chart(history, lang),
            "watch": watches.watching(state.store, session.principal, company_id),
            "watch_days": settings.WATCH_MAX_DAYS,
            "saved": saved,
            "reviewed": reviewed,
            "given": feedback.for_company(state.store, session.principal, company_id),
            "review_needed": settings.FEEDBACK_REVIEW,
            "form": form or {},
            "errors": errors or {},
            "note_max": NOTE_MAX,
            "action": f"/ui/companies/{company_id}/feedback",
        },
        who=session.principal,
        csrf=session.csrf_token,
        status=status,
    )


def _waterfall(explained: dict[str, Any], score: float, lang: Lang) -> Any:
    """From the peers' score to the company's, one bar per indicator's exact contrast (docs/explanations.md)."""
    indicators = explained["indicators"]  # sorted by |contrast|, largest first
    label = f"label_{lang}"
    steps = [Step(i[label], i["contrast"]) for i in indicators[:WATERFALL_STEPS]]
    rest = indicators[WATERFALL_STEPS:]
    if rest:
        steps.append(Step(t("other_indicators", lang, n=len(rest)), math.fsum(i["contrast"] for i in rest)))
    base = explained["peer_score"]
    raising = [i for i in indicators if i["contrast"] > 0]
    top = f"{raising[0][label]} (+{number(raising[0]['contrast'], lang, 2)})" if raising else "–"
    desc = t("waterfall_alt", lang, base=number(base, lang, 2), score=number(score, lang, 2), top=top)
    return waterfall(base, steps, lang, (t("base_value", lang), t("final_score", lang)),
                     t("waterfall_title", lang), desc)  # fmt: skip


def _history_chart(points: list[dict[str, Any]], lang: Lang) -> Any:
    """The company's probability over the kept batches; none for a single point (the table says it all)."""
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    desc = t("history_chart_desc", lang, first=percent(first["probability"], lang, 2), start=first["as_of"],
             last=percent(last["probability"], lang, 2), end=last["as_of"], n=len(points))  # fmt: skip
    floors = [(t(f"band_{k}", lang), v) for k, v in sorted(signals.SIGNAL_BANDS.items(), key=lambda b: b[1])]
    shown = [HistoryPoint(p["as_of"], p["probability"], p["model_version"]) for p in points]
    return history_chart(shown, floors, lang, t("history_chart_title", lang), desc)


def _indicator_rows(indicators: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    return [
        {
            "label": i[f"label_{lang}"],
            "value": indicator_value(i["id"], i["value"], lang),
            "peer": indicator_value(i["id"], i["peer_median"], lang),
            "contribution": i["contrast"],
        }
        for i in indicators
    ]


@router.post("/companies/{company_id}/feedback")
def give_feedback(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
    outcome: FormText = "",
    note: Annotated[str, Form(max_length=20_000)] = "",
    shortlist_id: FormText = "",
) -> Response:
    """Store the analyst's outcome and show the company again (303) with a confirmation."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    values = {"outcome": outcome.strip(), "note": note.strip(), "shortlist_id": shortlist_id.strip()}
    try:
        given = {k: v or None for k, v in values.items()}
        body = FeedbackIn.model_validate({"company_id": company_id, **given, "purpose": case.purpose,
                                          "case_reference": case.reference})  # fmt: skip
    except ValidationError as exc:
        found = _field_errors(exc)
        errors = {k: m for k, m in (("outcome", "choose_outcome"), ("note", "note_too_long")) if k in found}
        return _company_page(request, session, company_id, case, values["shortlist_id"] or None,
                             form=values, errors=errors or {"form": "invalid_value"}, status=422)  # fmt: skip
    _bind(request, case, {"company_id": company_id, "outcome": body.outcome.value, "shortlist_id": body.shortlist_id,
                          "note_chars": len(body.note or "")})  # fmt: skip
    return _record(request, session, company_id, case, body)


def _record(request: Request, session: Session, company_id: str, case: Case, body: FeedbackIn) -> Response:
    state = state_of(request)
    batch, sig = _visible_signal(request, session, company_id)
    try:
        feedback.record(state.store, session.principal, batch, company_id, sig.probability, body.model_dump())
    except feedback.FeedbackLimitError as exc:
        raise PageError(429, "feedback_limit", headers={"Retry-After": str(exc.retry_after)},
                        n=settings.FEEDBACK_PER_DAY) from exc  # fmt: skip
    except feedback.FeedbackError as exc:
        if exc.field == "shortlist_id":
            raise PageError(404, "shortlist_not_found") from exc
        raise PageError(422, "error_422") from exc
    _shown(request, batch, company_id)
    more = {"shortlist": body.shortlist_id} if body.shortlist_id else {}
    return RedirectResponse(f"/ui/companies/{company_id}?{case.query(**more, saved='1')}#feedback",
                            status_code=303)  # fmt: skip


@router.post("/companies/{company_id}/feedback/{feedback_id}/confirm")
def confirm_feedback(
    request: Request,
    session: Annotated[Session, Depends(ANALYST_PAGE)],
    company_id: Annotated[str, PathParam(pattern=r"^\d{8}$")],
    feedback_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    csrf_token: FormText = "",
    purpose: FormText = "",
    case_reference: FormText = "",
    shortlist_id: FormText = "",
) -> Response:
    """Confirm a colleague's outcome on this company, so that it may become a label; back to the company (303)."""
    case = _form_case(session, csrf_token, purpose, case_reference)
    _bind(request, case, {"company_id": company_id, "feedback_id": feedback_id})
    try:
        done = feedback.confirm(state_of(request).store, session.principal, feedback_id, case.purpose, case.reference)
    except feedback.ReviewError as exc:
        key = {403: "review_own", 409: "review_twice"}.get(exc.status, "feedback_not_found")
        raise PageError(exc.status, key) from exc
    if done["company_id"] != company_id:  # a hand-made form: the outcome belongs to another company
        raise PageError(404, "feedback_not_found")
    entry_of(request).entity_ids = [company_id]
    more = {"shortlist": shortlist_id} if re.fullmatch(SHORTLIST_ID[1:-1], shortlist_id) else {}
    return RedirectResponse(f"/ui/companies/{company_id}?{case.query(**more, reviewed='1')}#given",
                            status_code=303)  # fmt: skip


# --------------------------------------------------------------------------------------------------------------------
# The regional picture
# --------------------------------------------------------------------------------------------------------------------


@router.get("/regional-picture")
def regional_picture(
    request: Request,
    session: Annotated[Session, Depends(PICTURE_PAGE)],
    region: Annotated[str | None, Query(max_length=60)] = None,
    signal_band: Annotated[signals.BandName, Query(alias="band")] = "raised",
) -> HTMLResponse:
    """Signals per municipality × sector at a fixed band, protected cells shown as such; analysts: own regions."""
    who = session.principal
    choices = who.regions if who.role is Role.ANALYST else RIEC_REGIONS
    chosen = region or choices[0]
    entry_of(request).params = {"region": chosen, "band": signal_band}
    if chosen not in choices:
        raise PageError(403, "not_your_region") if chosen in RIEC_REGIONS else PageError(422, "error_422")
    state = state_of(request)
    batch = served_batch(request)
    entry_of(request).model_version = batch.model_version
    picture = signals.regional_picture(state.store, batch, chosen, signal_band)
    sectors = sorted({c["sector"] for c in picture["cells"]})
    grid: dict[str, dict[str, dict[str, Any]]] = {}
    for c in picture["cells"]:
        grid.setdefault(c["municipality"], {})[c["sector"]] = {**c, "css": heat_class(c["signals"], c["companies"])}
    return render(
        request,
        "region.html",
        {"picture": picture, "region": chosen, "choices": choices, "sectors": sectors, "grid": grid,
         "batch": batch, "bands": list(signals.SIGNAL_BANDS.items())},
        who=who,
        csrf=session.csrf_token,
    )  # fmt: skip
