"""Rendering a page: one Jinja2 environment, autoescaped, strict about undefined names, in the visitor's language.

Every page gets the same frame (language, user, navigation, the notice that a score is a signal for review, the
CSRF token for its forms) and the same headers: a Content-Security-Policy that admits only this site's own style
sheet and script, and nothing framed, so a page injected with markup still cannot load or send anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from core import __version__
from serving.access import Principal, Role
from serving.ui.i18n import Lang, lang_of, number, percent, signed, t
from serving.ui.present import band, role_name, sector_name

TEMPLATES = Path(__file__).parent / "templates"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Link:
    """A navigation entry."""

    href: str
    key: str


#: What each role finds in the navigation; the routes enforce the same rules on their own.
NAVIGATION: dict[Role, tuple[Link, ...]] = {
    Role.ANALYST: (Link("/ui/shortlists/new", "nav_shortlist"), Link("/ui/alerts", "nav_alerts"),
                   Link("/ui/watches", "nav_watches"), Link("/ui/regional-picture", "nav_region"),
                   Link("/ui/model", "nav_model")),
    Role.OVERSIGHT: (Link("/ui/oversight/fairness", "nav_fairness"), Link("/ui/oversight/drift", "nav_drift"),
                     Link("/ui/oversight/audit", "nav_audit"), Link("/ui/oversight/watches", "nav_oversight_watches"),
                     Link("/ui/regional-picture", "nav_region"),
                     Link("/ui/model", "nav_model")),
    Role.DATA_SCIENTIST: (Link("/ui/oversight/fairness", "nav_fairness"), Link("/ui/oversight/drift", "nav_drift"),
                          Link("/ui/model", "nav_model")),
    Role.ADMIN: (Link("/ui/admin/users", "nav_users"), Link("/ui/model", "nav_model")),
}  # fmt: skip


def here(request: Request) -> str:
    """The path and query of the page asked for, for the language switch to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    who: Principal | None = None,
    csrf: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` in the visitor's language, inside the common frame."""
    lang: Lang = lang_of(request)
    frame = {
        "lang": lang,
        "t": lambda key, **values: t(key, lang, **values),
        "num": lambda value, digits=0: number(value, lang, digits),
        "pct": lambda value, digits=1: percent(value, lang, digits),
        "signed": lambda value, digits=2: signed(value, lang, digits),
        "band": lambda probability: band(probability, lang),
        "sector": lambda section: sector_name(section, lang),
        "role": lambda name: role_name(name, lang),
        "who": who,
        "csrf": csrf,
        "nav": NAVIGATION.get(who.role, ()) if who else (),
        "path": request.url.path,
        "switch": f"/ui/language?to={'en' if lang == 'nl' else 'nl'}&next={quote(here(request), safe='')}",
        "version": __version__,
    }
    html = ENV.get_template(template).render(**frame, **(context or {}))
    extra = {k: v for k, v in (headers or {}).items() if k.lower() != "content-security-policy"}
    return HTMLResponse(html, status_code=status, headers={**extra, "Content-Security-Policy": PAGE_CSP})
