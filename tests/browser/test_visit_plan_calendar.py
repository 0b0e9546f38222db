"""The visit plan calendar in Chromium at a phone and a laptop size: readable, no sideways scroll of the page
(the table scrolls in its own region), and no serious accessibility problems."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from audit_app.extensions import db
from audit_app.services import plans
from tests.browser.pages import axe_violations, no_sideways_scroll, shot, sign_in
from tests.factories import World, make_published_checklist, make_store

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_plan_calendar_fits_and_passes_axe(browser: Any, live_server: str, world: World, axe_source: str,
                                               size: str) -> None:
    now = datetime.now(timezone.utc)
    version = make_published_checklist()
    make_store(world.area, "S9", "Shibuya Dogenzaka")
    for person in (world.shopper, world.other_shopper):
        person.region_id = world.region.id
    db.session.commit()
    plan = plans.create_plan(db.session, world.head, plans.PlanSettings(
        name="Tokyo fortnightly", checklist_id=version.checklist_id, scope="all", region_id=None, area_id=None,
        frequency="weeks", every_weeks=2, waves=[], starts_on=now.date(), window_days=10, lead_days=42,
        lockout_days=0, no_repeat_shopper=True, home_region_only=True, reassign_missed=True), now=now)
    plans.generate_plan(db.session, world.head, plan.id, now=now)

    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, world.head.email)
        page.wait_for_url("**/head-office/**")
        page.goto(f"{live_server}/head-office/plans/{plan.id}")
        page.get_by_role("heading", name="Calendar").wait_for()
        assert page.locator("table.plan-calendar tbody tr").count() == 3
        assert page.locator("table.plan-calendar .badge-assigned").count() == 12
        assert no_sideways_scroll(page)
        shot(page, f"plan-calendar-{size}")
        assert axe_violations(page, axe_source) == []
    finally:
        context.close()
