"""Area manager scorecard pages in Chromium at phone and laptop widths: no console errors, no serious or
critical axe-core violations, no sideways scrolling of the page on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import axe_violations
from tests.factories import PASSWORD, World, make_scorecard_world

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_store_and_visit_pages_pass_the_audit(browser: Any, live_server: str, world: World,
                                                        axe_source: str, size: str) -> None:
    scored = make_scorecard_world(world)
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(world.manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Stores", exact=True).wait_for()

    page.get_by_role("link", name="Tokyo Central").click()
    page.get_by_role("heading", name="Tokyo Central").wait_for()
    assert page.get_by_role("table").first.is_visible()
    assert axe_violations(page, axe_source) == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

    page.get_by_role("link", name="Ginza").first.click()
    page.get_by_role("heading", name="Ginza").wait_for()
    page.wait_for_load_state("load")  # the style sheet that shows one drawing of each chart (wide or narrow)
    assert page.locator("figure.chart svg:visible").count() == 2
    page.get_by_text("Chart data as a table").first.click()
    assert axe_violations(page, axe_source) == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

    worst = next(v for store, days, q, v in scored.visits if store.id == world.store.id and q == 0)
    page.goto(f"{live_server}/manager/visits/{worst.id}")
    page.get_by_role("heading", name="Critical failures").wait_for()
    assert axe_violations(page, axe_source) == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

    page.goto(f"{live_server}/manager/compare?stores={world.store.id}&stores={scored.extra_store.id}")
    page.get_by_role("heading", name="Sections side by side").wait_for()
    assert axe_violations(page, axe_source) == []
    assert problems == []
    context.close()
