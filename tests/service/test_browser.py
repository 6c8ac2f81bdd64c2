"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright, against a server the tests start.

The journeys the issue names: an analyst makes a shortlist, opens a company and gives feedback, which oversight
then finds in the audit trail; an analyst of another region cannot open that company; oversight reads the fairness
report; and the shortlist is worked with the keyboard alone. axe-core checks every page (labels, contrast, roles),
and every page is photographed into ``var/test-artifacts/pages/`` (``TEGENKRACHT_TEST_ARTIFACTS`` moves it).

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``apt-get install chromium``, which
``.ci/run`` does). Without it these tests skip, except in CI, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from core import settings
from serving.api.app import create_app
from serving.ui import i18n

from .conftest import PURPOSE, REGION, Reports, Served, free_port, new_store, serve
from .world import Snapshot

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEGENKRACHT_TEST_ARTIFACTS", Path(__file__).parents[2] / "var" / "test-artifacts"))
SHOTS = ARTIFACTS / "pages"

if not CHROMIUM.exists():
    if os.environ.get("CI", "").lower() in {"1", "true"}:
        pytest.fail("CI needs Debian's Chromium at /usr/bin/chromium for the browser tests (apt-get install chromium)",
                    pytrace=False)  # fmt: skip
    pytest.skip("no /usr/bin/chromium: apt-get install chromium to run the browser tests", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402 - only with a browser


@dataclass
class Live:
    """A served store behind a real HTTP server on loopback."""

    base: str
    served: Served

    def key(self, who: str) -> str:
        return self.served.keys[who]


@pytest.fixture(scope="module")
def live(snapshot: Snapshot, reports: Reports, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """uvicorn in a thread, serving the app over a loaded store with its fairness and drift reports."""
    folder = tmp_path_factory.mktemp("live")
    for store in new_store("sqlite", folder):
        for served in serve(store, snapshot, folder, reports):
            port = free_port()
            app = create_app(store, loader=snapshot.serving)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                   access_log=False))  # fmt: skip
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            for _ in range(200):
                if server.started:
                    break
                time.sleep(0.05)
            assert server.started, "the test server did not start"
            try:
                yield Live(f"http://127.0.0.1:{port}", served)
            finally:
                server.should_exit = True
                thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookies) per test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = watch(page)
    yield page
    context.close()
    clean(errors)


def watch(page: Page) -> list[str]:
    """Collect what Chromium reports as errors on this page's console (CSP violations, script errors)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def clean(errors: list[str]) -> None:
    """Nothing on any page visited broke the pages' own policy or threw."""
    blocked = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    assert blocked == [], blocked
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors


def shot(page: Page, name: str) -> None:
    """A full-page screenshot as a test artefact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.x A/AA violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                            "wcag21aa", "wcag22aa"]}})  # fmt: skip
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in results.response["violations"]]
    assert found == [], f"{page.url}: {found}"


def sign_in(page: Page, live: Live, who: str, then: str = "/ui") -> None:
    page.goto(f"{live.base}{then}")
    page.get_by_label(i18n.t("api_key", "nl")).fill(live.key(who))
    page.get_by_role("button", name=i18n.t("signin_button", "nl")).click()
    expect(page.get_by_role("button", name=i18n.t("sign_out", "nl"))).to_be_visible()


def nav(page: Page, key: str, lang: str = "nl") -> None:
    """Follow a link of the main menu."""
    page.get_by_role("navigation", name=i18n.t("nav", "nl" if lang == "nl" else "en")).get_by_role(
        "link", name=i18n.t(key, "nl" if lang == "nl" else "en"), exact=True
    ).click()


def make_shortlist(page: Page, top_k: int = 10) -> None:
    nav(page, "nav_shortlist", "nl")
    page.get_by_label(i18n.t("purpose", "nl")).select_option(PURPOSE["purpose"])
    page.get_by_label(i18n.t("case_reference", "nl")).fill(PURPOSE["case_reference"])
    page.get_by_label(i18n.t("top_k", "nl")).fill(str(top_k))
    page.get_by_role("button", name=i18n.t("make_shortlist", "nl")).click()
    expect(page.locator("table#shortlist tbody tr")).to_have_count(top_k)


def test_an_analysts_feedback_is_found_by_oversight_in_the_audit_trail(
    live: Live, page: Page, chromium: Browser
) -> None:
    page.goto(f"{live.base}/ui")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next=%2Fui"))
    accessible(page)
    shot(page, "01-sign-in")
    sign_in(page, live, "analyst")
    accessible(page)
    shot(page, "02-home-analyst")
    nav(page, "nav_shortlist", "nl")
    accessible(page)
    shot(page, "03-shortlist-form")
    make_shortlist(page)
    expect(page.get_by_text(i18n.t("notice", "nl"))).to_be_visible()
    accessible(page)
    shot(page, "04-shortlist")
    first = page.locator("table#shortlist tbody tr").first.get_by_role("link")
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    company = re.search(r"/ui/companies/(\d{8})", page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("svg[role=img]")).to_have_count(1)
    accessible(page)
    shot(page, "05-company")
    page.get_by_label(i18n.t("outcome_dismissed", "nl")).check()
    page.get_by_label(i18n.t("note", "nl")).fill("Pand bezocht, niets gevonden")
    page.get_by_role("button", name=i18n.t("send_feedback", "nl")).click()
    expect(page.get_by_role("status").filter(has_text=i18n.t("feedback_saved", "nl"))).to_be_visible()
    shot(page, "06-company-feedback-saved")
    nav(page, "nav_region", "nl")
    expect(page.locator("td.suppressed").first).to_be_visible()
    accessible(page)
    shot(page, "07-regional-picture")

    oversight = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = watch(oversight)
    sign_in(oversight, live, "oversight")
    nav(oversight, "nav_audit", "nl")
    oversight.get_by_label(i18n.t("kvk", "nl")).fill(company)
    oversight.get_by_label(i18n.t("oversight_purpose", "nl")).select_option("use_review")
    oversight.get_by_label(i18n.t("oversight_case", "nl")).fill("TOEZICHT-2026-1")
    oversight.get_by_role("button", name=i18n.t("apply_filter", "nl")).click()
    feedback = oversight.locator("table.audit tbody tr").filter(has_text="POST /ui/companies/{company_id}/feedback")
    expect(feedback).to_have_count(1)
    expect(feedback).to_contain_text("analyst")
    expect(feedback).to_contain_text(PURPOSE["case_reference"])
    expect(oversight.get_by_role("status").filter(has_text="✓")).to_be_visible()
    accessible(oversight)
    shot(oversight, "08-audit-trail")
    feedback.get_by_role("link").click()  # the record's companies: a form of its own, with purpose and case
    expect(oversight.get_by_role("heading", level=1)).to_contain_text(i18n.t("entities_title", "nl", seq="")[:-1])
    oversight.get_by_label(i18n.t("oversight_purpose", "nl")).select_option("complaint")
    oversight.get_by_label(i18n.t("oversight_case", "nl")).fill("KLACHT-2026-3")
    oversight.get_by_role("button", name=i18n.t("entities_show", "nl")).click()
    expect(oversight.get_by_text(f"{i18n.t('kvk', 'nl')} {company}")).to_be_visible()
    accessible(oversight)
    shot(oversight, "08b-audit-record-companies")
    oversight.context.close()
    clean(errors)


def test_an_analyst_of_another_region_cannot_open_that_company(live: Live, page: Page) -> None:
    from sqlalchemy import select

    from serving.store.tables import Signal

    with live.served.store.session() as s:
        company = s.scalar(select(Signal.company_id).where(Signal.riec_region == REGION).limit(1))
    sign_in(page, live, "analyst_elsewhere")
    page.goto(f"{live.base}/ui/companies/{company}?purpose=riec_case&case_reference=RIEC-X-1")
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("case_confirm_title", "nl"))  # a link: confirm
    accessible(page)
    shot(page, "09a-confirm-the-links-case")
    with page.expect_response(re.compile(r"/ui/companies/\d{8}\?")) as answer:
        page.get_by_role("button", name=i18n.t("case_confirm", "nl")).click()
    assert answer.value.status == 404
    expect(page.get_by_role("alert")).to_contain_text(i18n.t("company_not_found", "nl", company=company))
    accessible(page)
    shot(page, "09-company-elsewhere-404")


def test_oversight_reads_the_fairness_report_in_both_languages(live: Live, page: Page) -> None:
    sign_in(page, live, "oversight")
    nav(page, "nav_fairness", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("fairness_title", "nl"))
    expect(page.locator(".verdict")).to_contain_text(re.compile("GESLAAGD|NIET GESLAAGD"))
    expect(page.locator("svg[role=img]")).to_have_count(4)
    expect(page.get_by_text(i18n.t("what", "nl")).first).to_be_visible()
    accessible(page)
    shot(page, "10-fairness-nl")
    page.get_by_role("link", name=i18n.t("other_lang_label", "nl")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("fairness_title", "en"))
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "11-fairness-en")
    page.get_by_role("link", name=i18n.t("full_report", "en")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bias audit")
    page.go_back()
    nav(page, "nav_drift", "en")
    expect(page.locator("span.status-status_act").first).to_be_visible()
    accessible(page)
    shot(page, "12-drift")
    nav(page, "nav_model", "en")
    accessible(page)
    shot(page, "13-model-card")


def test_the_shortlist_works_with_the_keyboard_alone(live: Live, page: Page) -> None:
    page.goto(f"{live.base}/ui")
    expect(page.locator("#api_key")).to_be_focused()  # autofocus lands after load: typing sooner loses keys
    page.keyboard.type(live.key("analyst"))  # the key field has the focus on arrival
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=i18n.t("sign_out", "nl"))).to_be_visible()
    page.goto(f"{live.base}/ui/shortlists/new")
    _tab_to(page, lambda el: el.get("id") == "purpose")
    page.keyboard.press("ArrowDown")  # a native select takes arrow keys: the first purpose
    _tab_to(page, lambda el: el.get("id") == "case_reference")
    page.keyboard.type(PURPOSE["case_reference"])
    page.keyboard.press("Enter")
    expect(page.locator("table#shortlist tbody tr")).to_have_count(25)
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == i18n.t("skip", "nl")  # the skip link comes first
    page.keyboard.press("Enter")
    names_before = page.locator("table#shortlist tbody tr td:nth-child(2) a").all_inner_texts()
    button = _tab_to(page, lambda el: el["tag"] == "BUTTON" and el["text"] == i18n.t("company", "nl"))
    assert button["outline"] != "none"  # the focus is visible
    page.keyboard.press("Enter")
    heading = page.locator("table#shortlist thead th").nth(1)
    expect(heading).to_have_attribute("aria-sort", "ascending")
    names = page.locator("table#shortlist tbody tr td:nth-child(2) a").all_inner_texts()
    assert names == sorted(names_before, key=str.casefold) or names == sorted(names_before)
    shot(page, "14-shortlist-sorted-by-keyboard")
    _tab_to(page, lambda el: el["tag"] == "A" and el["text"] == names[0])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(names[0])


def _focused(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        """() => { const el = document.activeElement; const style = getComputedStyle(el);
                   return {tag: el.tagName, id: el.id, text: (el.innerText || '').trim(),
                           outline: style.outlineStyle}; }"""
    )
    return found


def _tab_to(page: Page, wanted: Any, limit: int = 200) -> dict[str, Any]:
    """Press Tab until the focused element is the one wanted; fail if it never comes."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = _focused(page)
        if wanted(el):
            return el
    raise AssertionError("Tab never reached the element")


def test_an_analyst_follows_a_company_and_reads_the_inbox(live: Live, page: Page) -> None:
    sign_in(page, live, "analyst")
    make_shortlist(page, 3)
    page.locator("table#shortlist tbody tr").first.get_by_role("link").click()
    days = str(settings.WATCH_MAX_DAYS)
    page.get_by_role("button", name=i18n.t("watch_follow", "nl", days=days)).click()
    expect(page.get_by_role("button", name=i18n.t("watch_renew", "nl"))).to_be_visible()
    accessible(page)
    shot(page, "17-company-followed")
    page.get_by_role("link", name=i18n.t("change_link", "nl")).click()
    expect(page.get_by_text(i18n.t("change_none", "nl"))).to_be_visible()  # one batch: nothing to compare with
    accessible(page)
    for key, number in (("nav_watches", "18-followed-companies"), ("nav_alerts", "19-alerts")):
        nav(page, key, "nl")
        page.get_by_label(i18n.t("purpose", "nl")).select_option(PURPOSE["purpose"])
        page.get_by_label(i18n.t("case_reference", "nl")).fill(PURPOSE["case_reference"])
        page.get_by_role("button", name=i18n.t("case_continue", "nl")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t(key.replace("nav_", "") + "_title", "nl"))
        accessible(page)
        shot(page, number)
    expect(page.get_by_text(i18n.t("alerts_none", "nl"))).to_be_visible()


def test_error_and_empty_pages_are_accessible_too(live: Live, page: Page) -> None:
    sign_in(page, live, "analyst")
    response = page.goto(f"{live.base}/ui/no-such-page")
    assert response is not None and response.status == 404
    accessible(page)
    shot(page, "15-not-found")
    page.goto(f"{live.base}/ui/companies/{'0' * 8}")
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("case_title", "nl"))
    accessible(page)
    shot(page, "16-which-case")
    before = page.url
    page.get_by_role("button", name=i18n.t("case_continue", "nl")).click()  # both fields required by the browser
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("case_title", "nl"))
    assert page.url == before  # the browser did not send the form
    assert page.locator("#purpose:invalid").count() == 1 and page.locator("#case_reference:invalid").count() == 1
