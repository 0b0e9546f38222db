"""Head office's chain-wide ranking and shopper calibration in Chromium at phone and laptop widths: reached in two
clicks from the overview, no console errors, no serious or critical axe-core violations, no sideways scrolling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.pages import axe_violations
from tests.factories import PASSWORD, World, make_scorecard_world

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_best_and_worst_stores_are_two_clicks_from_the_overview_and_pass_the_audit(
        browser: Any, live_server: str, world: World, axe_source: str, size: str) -> None:
    scored = make_scorecard_world(world)
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(world.head.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/head-office/")
    page.get_by_role("heading", name="Overview").wait_for()

    page.get_by_role("link", name="Best and worst stores").click()  # first click: the last 90 days
    page.get_by_role("heading", name="Best stores").wait_for()
    page.get_by_label("From").fill((scored.now.date() - timedelta(days=45)).isoformat())
    page.get_by_role("button", name="Show").click()  # second click: the dates chosen
    page.wait_for_url("**start=*")
    page.get_by_role("heading", name="Stores needing attention").wait_for()
    assert page.get_by_role("row", name="Ginza").first.is_visible()
    assert axe_violations(page, axe_source) == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

    page.get_by_role("link", name="Shopper calibration").click()
    page.get_by_role("heading", name="How lenient or harsh each shopper scores").wait_for()
    assert axe_violations(page, axe_source) == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    assert problems == []
    context.close()
