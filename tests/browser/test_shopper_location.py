"""The shopper's phone shares its location at start and refuses it at submit: the visit goes on, and the server
keeps the position with its accuracy, and the refusal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Store, Visit
from tests.browser.pages import axe_violations, no_sideways_scroll, sign_in
from tests.factories import World, make_assignment, make_published_checklist
from tests.services.test_fraud import FRAUD_CHECKLIST, STORE_LAT, STORE_LON


def test_location_is_captured_at_start_and_a_refusal_at_submit_never_blocks(
        live_server: str, world: World, context: Any, page: Any, axe_source: str) -> None:
    store = db.session.get(Store, world.store.id)
    store.latitude, store.longitude = STORE_LAT, STORE_LON
    db.session.commit()
    version = make_published_checklist(FRAUD_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation({"latitude": STORE_LAT + 0.0003, "longitude": STORE_LON, "accuracy": 18})

    sign_in(page, live_server, world.shopper.email)
    page.get_by_role("heading", name="My visits").wait_for()
    assert page.get_by_text("You can say no; the visit goes on either way.").is_visible()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Start visit").click()
    page.get_by_text("Did you pay?").wait_for()
    assert no_sideways_scroll(page)

    db.session.rollback()
    visit = db.session.scalar(select(Visit).where(Visit.assignment_id == assignment.id))
    assert visit.start_location_status == "shared"
    assert abs(visit.latitude - (STORE_LAT + 0.0003)) < 1e-6 and abs(visit.longitude - STORE_LON) < 1e-6
    assert visit.location_accuracy_m == 18

    page.locator(".question[data-key='paid'] .toggle span").first.click()
    context.clear_permissions()  # the shopper says no the second time
    page.get_by_role("button", name="Save and review").click()
    page.get_by_role("heading", name="Review and submit").wait_for()
    page.get_by_role("button", name="Submit visit").click()
    page.get_by_text("Visit submitted. Thank you!").wait_for()

    db.session.rollback()
    stored = db.session.get(Visit, visit.id)
    assert stored.status == "submitted"
    assert stored.submit_location_status == "refused" and stored.submit_latitude is None
