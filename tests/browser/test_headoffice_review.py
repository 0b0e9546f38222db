"""Head office reviews on a phone: a queue of many pages, approving several at once, and one visit's review page
with its photo and critical failure; every page passes the accessibility audit and fits the screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Visit
from tests.browser.pages import axe_violations
from tests.browser.pages import no_sideways_scroll as _no_sideways_scroll
from tests.browser.pages import shot as _shot
from tests.browser.pages import sign_in as _sign_in
from tests.factories import add_submitted, make_published_checklist, visit_with_photo_and_hazard


def test_head_office_pages_through_the_queue_and_approves_two_visits(page: Any, live_server: str, world: Any,
                                                                    axe_source: str) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 120, critical=frozenset({90}))
    _sign_in(page, live_server, world.head.email)
    page.goto(f"{live_server}/head-office/review")
    assert page.get_by_text("120 visits").is_visible()
    assert page.locator("tbody th a").first.inner_text() == f"Ginza #{ids[90]}"  # the critical one first
    _shot(page, "review-queue")
    assert axe_violations(page, axe_source) == [] and _no_sideways_scroll(page)

    page.get_by_role("link", name="Last page, 3").click()
    page.get_by_text("page 3 of 3").wait_for()  # the click returns before the next page has loaded
    assert page.get_by_role("link", name=f"Ginza #{ids[-1]}").is_visible()  # the newest
    page.get_by_label(f"Choose Ginza #{ids[-1]}").check()
    page.get_by_label(f"Choose Ginza #{ids[-2]}").check()
    page.get_by_role("button", name="Approve the chosen visits").click()

    page.get_by_text(f"2 visits approved: Ginza #{ids[-2]}, Ginza #{ids[-1]}.").wait_for()
    assert page.get_by_text("118 visits").is_visible()
    db.session.rollback()
    approved = db.session.scalars(select(Visit.id).where(Visit.status == "approved")).all()
    assert sorted(approved) == [ids[-2], ids[-1]]


def test_the_review_page_of_a_visit_shows_its_photo_and_asks_for_a_decision(page: Any, live_server: str,
                                                                            world: Any, axe_source: str) -> None:
    visit, photo_id = visit_with_photo_and_hazard(world)
    _sign_in(page, live_server, world.head.email)
    page.goto(f"{live_server}/head-office/visits/{visit.id}")
    image = page.get_by_role("img", name="Photo for “Photo of the receipt” (1 of 1), full size")
    image.wait_for()
    # The photo is fetched after the page: wait until it has really arrived and decoded (a broken one never does).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.get_by_text("Safety hazard seen — the section scores 0").is_visible()
    _shot(page, "review-visit")
    assert axe_violations(page, axe_source) == [] and _no_sideways_scroll(page)

    page.get_by_label("Note to the shopper, or reason for voiding").fill("The receipt is blurred")
    page.get_by_role("button", name="Record decision").click()
    page.locator("#decision-error").wait_for()
    assert page.locator("#decision-error").inner_text() == "Choose a decision."
    assert page.get_by_label("Note to the shopper, or reason for voiding").input_value() == "The receipt is blurred"
    assert axe_violations(page, axe_source) == []

    page.get_by_label("Return to the shopper").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Visit returned to the shopper.").wait_for()
    db.session.rollback()
    assert db.session.get(Visit, visit.id).status == "returned"
