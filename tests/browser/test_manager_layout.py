"""Scorecard layout in Chromium with the shipped in-store checklist (long section names): headings never run
into each other at 1280 px, and chart text on a phone is as large as the page's small print."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import scoring
from audit_app.config import PROJECT_ROOT
from audit_app.services import checklists
from audit_app.services.seed import answers_at
from tests.factories import PASSWORD, World, make_published_checklist, make_store, make_submitted_visit

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def shipped(world: World) -> dict[str, Any]:
    data = checklists.read_checklist_data(PROJECT_ROOT / "checklists" / "in_store_visit.yaml")
    for section in data["sections"]:
        for question in section["questions"]:
            if question["type"] == "photo":
                question["required"] = False  # no upload in this test
    version = make_published_checklist(data)
    definition = scoring.parse_checklist(data)
    stores = [world.store, make_store(world.area, "S7", "Shibuya Dogenzaka"),
              make_store(world.area, "S8", "Ikebukuro Sunshine City")]
    rng = random.Random(7)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for n, store in enumerate(stores):
        for days in (40, 10):
            when = now - timedelta(days=days + n)
            answers, _ = answers_at(definition, 0.55 + 0.15 * n, rng, when)
            make_submitted_visit(world.shopper, store, version.checklist_id, answers, at=when)
    return {"stores": stores}


def _sign_in(browser: Any, live_server: str, world: World, size: str) -> Any:
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(world.manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Stores", exact=True).wait_for()
    return context, page


OVERFLOWING = """(selector) => [...document.querySelectorAll(selector)]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent.trim())"""

SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('figure.chart svg text')]
    .filter(t => t.getClientRects().length && t.textContent.trim())
    .map(t => { const m = t.getScreenCTM();
                return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); }))"""

LEGEND_OUTSIDE = """() => [...document.querySelectorAll('figure.chart svg')].filter(s => s.getClientRects().length)
    .flatMap(svg => { const box = svg.getBoundingClientRect();
      return [...svg.querySelectorAll('text')].filter(t => { const r = t.getBoundingClientRect();
        return r.width && (r.left < box.left - 1 || r.right > box.right + 1); }).map(t => t.textContent); })"""


def test_the_area_pages_tables_fit_a_laptop_and_no_heading_runs_into_the_next(
        browser: Any, live_server: str, world: World, shipped: dict[str, Any]) -> None:
    context, page = _sign_in(browser, live_server, world, "laptop")
    page.goto(f"{live_server}/manager/areas/{world.area.id}")
    page.get_by_role("heading", name="Sections by store").wait_for()
    assert page.evaluate(OVERFLOWING, ".heatmap thead th") == []
    assert page.evaluate(OVERFLOWING, ".table-dashboard thead th") == []
    for table in (".table-dashboard", ".heatmap"):
        wrap = page.locator(f".table-wrap:has({table})")
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), table
    # The evidence section scores nothing, so it has no column of dashes.
    assert "Evidence" not in page.locator(".heatmap thead").inner_text()
    context.close()


def test_chart_text_on_a_phone_is_legible_and_the_compare_legend_is_whole(
        browser: Any, live_server: str, world: World, shipped: dict[str, Any]) -> None:
    context, page = _sign_in(browser, live_server, world, "phone")
    page.goto(f"{live_server}/manager/stores/{world.store.id}")
    page.get_by_role("heading", name="Sections against the area average").wait_for()
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 10
    assert page.evaluate(LEGEND_OUTSIDE) == []
    ids = "&".join(f"stores={s.id}" for s in shipped["stores"])
    page.goto(f"{live_server}/manager/compare?{ids}")
    page.get_by_role("heading", name="Sections side by side").wait_for()
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 10
    assert page.evaluate(LEGEND_OUTSIDE) == []
    context.close()
