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
    page.locator("html[data-scripts-ready]").wait_for(state="attached")
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
    page.locator("html[data-scripts-ready]").wait_for(state="attached")  # a tap before is the plain form's
    page.get_by_role("button", name="Submit visit").click()
    page.get_by_text("Visit submitted. Thank you!").wait_for()

    db.session.rollback()
    stored = db.session.get(Visit, visit.id)
    assert stored.status == "submitted"
    assert stored.submit_location_status == "refused" and stored.submit_latitude is None


def test_an_unassigned_phone_visit_never_asks_where_the_phone_is_and_an_in_store_one_does(
        live_server: str, world: World, context: Any, page: Any) -> None:
    from audit_app.models import Checklist

    phone = make_published_checklist({**FRAUD_CHECKLIST, "key": "fraud_phone", "title": "Phone enquiry",
                                      "channel": "phone"})
    in_store = make_published_checklist({**FRAUD_CHECKLIST, "key": "fraud_walk_in", "title": "Walk-in visit"})
    for version in (phone, in_store):
        db.session.get(Checklist, version.checklist_id).allow_unassigned = True
    db.session.commit()
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation({"latitude": STORE_LAT, "longitude": STORE_LON, "accuracy": 12})
    # Count the phone's location requests across page loads (the start navigates away).
    page.add_init_script("""(() => { const geo = navigator.geolocation; const ask = geo.getCurrentPosition.bind(geo);
        geo.getCurrentPosition = (...args) => { sessionStorage.asked = Number(sessionStorage.asked || 0) + 1;
                                                return ask(...args); }; })()""")
    sign_in(page, live_server, world.shopper.email)

    def start(title: str) -> Visit:
        page.goto(f"{live_server}/shopper/visits/new")
        page.get_by_label("Checklist").select_option(label=title)
        page.get_by_label("Store").select_option(index=0)
        page.locator("html[data-scripts-ready]").wait_for(state="attached")
        page.get_by_role("button", name="Start visit").click()
        page.get_by_text("Did you pay?").wait_for()
        db.session.rollback()
        return db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()

    called = start("Phone enquiry")
    assert page.evaluate("Number(sessionStorage.asked || 0)") == 0  # never asked
    assert called.checklist_version_id == phone.id
    assert called.latitude is None and called.start_location_status == ""
    walked_in = start("Walk-in visit")
    assert page.evaluate("Number(sessionStorage.asked || 0)") == 1
    assert walked_in.checklist_version_id == in_store.id
    assert walked_in.start_location_status == "shared" and walked_in.latitude is not None
