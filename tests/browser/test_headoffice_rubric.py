"""Head office changes a rubric on a phone-sized screen and the next shopper visit uses the new version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import ChecklistVersion, Visit
from tests.browser.pages import axe_violations
from tests.browser.pages import no_sideways_scroll as _no_sideways_scroll
from tests.browser.pages import shot as _shot
from tests.browser.pages import sign_in as _sign_in
from tests.factories import World, make_assignment, make_published_checklist, make_submitted_visit


def test_head_office_adds_a_timed_question_previews_runs_what_if_publishes_and_the_next_visit_uses_it(
        page: Any, live_server: str, world: World, axe_source: str, browser: Any) -> None:
    v1 = make_published_checklist()
    make_submitted_visit(world.other_shopper, world.store, v1.checklist_id,
                         {"greeted": "yes", "helpful": 4, "queue_wait": 200})
    assignment = make_assignment(world.shopper, world.other_store, v1.checklist_id)
    page.on("dialog", lambda dialog: dialog.accept())

    _sign_in(page, live_server, world.head.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Checklists").click()
    page.get_by_role("link", name="Store check").click()
    page.get_by_role("button", name="New draft from this version").wait_for()  # the checklist's page has loaded
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="New draft from this version").click()
    page.get_by_role("heading", name="Store check · Version 2 draft").wait_for()
    _shot(page, "editor")
    assert axe_violations(page, axe_source) == []

    page.get_by_role("link", name="Add a question to Checkout").click()
    page.wait_for_load_state("load")  # the editor's script, which shows only the fields a type uses, has run
    page.get_by_label("Key", exact=True).fill("greeting_time")
    page.get_by_label("Question type").select_option("duration")
    page.get_by_label("Question (English)").fill("How long until someone greeted you?")
    page.get_by_label("Bands (number and duration questions)").fill("max 30: 1\nmax 90: 0.5\notherwise: 0")
    assert not page.get_by_label("Options (choice and multi questions)").is_visible()  # only what the type uses
    _shot(page, "question-form")
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Save question").click()
    page.get_by_text("Question saved.").wait_for()
    assert ("30 s or less: all the points; 90 s or less: 0.5 of the points; otherwise: no points"
            in page.locator("#q-greeting_time").inner_text())

    page.get_by_role("link", name="Preview as a shopper").click()
    page.wait_for_url("**/preview")
    assert _no_sideways_scroll(page)
    page.locator("#q-greeted").get_by_text("Yes").click()
    page.locator("#q-helpful").get_by_text("5", exact=True).click()
    page.locator("#in-queue_wait").fill("60")
    page.locator("#in-greeting_time").fill("45")
    page.get_by_role("button", name="Score this preview").click()
    page.get_by_role("heading", name="Score card").wait_for()
    # Service 100 %, checkout (1 + 0.5) / 2 = 75 %: 87.5 % overall.
    assert "87.5%" in page.locator("#card").inner_text()
    assert _no_sideways_scroll(page)
    _shot(page, "preview")
    assert axe_violations(page, axe_source) == []

    page.go_back()
    page.go_back()
    page.get_by_role("link", name="What if?").click()
    row = page.get_by_role("row").filter(has_text="Ginza")
    # Old visits never answered the new question, so it counts in neither earned nor possible: no change.
    assert row.inner_text().split("\t")[2:5] == ["70.8%", "70.8%", "±0.0"]
    _shot(page, "what-if")
    assert axe_violations(page, axe_source) == []

    page.get_by_role("link", name="Store check · Version 2").click()
    page.get_by_role("button", name="Publish this draft").click()
    page.get_by_text("Published.").wait_for()
    db.session.rollback()  # end the test's own read transaction: see what the server wrote
    version_2 = db.session.scalar(select(ChecklistVersion.id).where(ChecklistVersion.number == 2,
                                                                    ChecklistVersion.status == "published"))
    assert version_2 is not None

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    shopper = context.new_page()
    _sign_in(shopper, live_server, world.shopper.email)
    shopper.get_by_role("button", name="Start visit").click()
    shopper.wait_for_url("**/sections/0")
    db.session.rollback()
    visit = db.session.scalar(select(Visit).where(Visit.assignment_id == assignment.id))
    assert visit.checklist_version_id == version_2
    shopper.goto(shopper.url.replace("/sections/0", "/sections/1"))
    shopper.get_by_text("How long until someone greeted you?").wait_for()
    context.close()


def test_head_office_admin_pages_pass_the_audit_on_a_phone(page: Any, live_server: str, world: World,
                                                           axe_source: str) -> None:
    v1 = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 200})
    _sign_in(page, live_server, world.head.email)
    failures = {}
    for name, path in [("stores", "/head-office/stores"), ("store", f"/head-office/stores/{world.store.id}"),
                       ("places", "/head-office/places"), ("people", "/head-office/people"),
                       ("person", f"/head-office/people/{world.shopper.id}"),
                       ("import", "/head-office/people/import"), ("assignments", "/head-office/assignments"),
                       ("review", "/head-office/review"), ("visit", f"/head-office/visits/{visit.id}"),
                       ("settings", "/head-office/settings"), ("audit-log", "/head-office/audit-log"),
                       ("checklists", "/head-office/checklists"), ("overview", "/head-office/")]:
        page.goto(live_server + path)
        _shot(page, name)
        found = axe_violations(page, axe_source)
        if found or not _no_sideways_scroll(page):
            failures[name] = found or ["scrolls sideways"]
    assert failures == {}


def test_questions_reorder_by_keyboard_and_by_dragging(page: Any, live_server: str, world: World,
                                                       axe_source: str) -> None:
    from audit_app.services import rubrics
    from tests.factories import NOW

    v1 = make_published_checklist()
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id
    _sign_in(page, live_server, world.head.email)
    page.goto(f"{live_server}/head-office/versions/{draft}")

    def order() -> list[str]:
        return page.locator(".outline-question .q-meta > code:first-child").all_inner_texts()

    assert order() == ["greeted", "helpful", "queue_wait"]
    page.get_by_role("button", name="Down (question Were you greeted?)").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert order() == ["helpful", "greeted", "queue_wait"]

    with page.expect_navigation():  # the drop saves the new order and reloads the page
        page.locator("#q-greeted").drag_to(page.locator("#q-helpful"))
    assert order() == ["greeted", "helpful", "queue_wait"]
    assert axe_violations(page, axe_source) == []
