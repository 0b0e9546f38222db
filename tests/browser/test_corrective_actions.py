"""Corrective actions on a phone: a failed question's rule creates an action when the visit is submitted; the
store manager starts it and resolves it with a photo taken on the phone; the area manager verifies and closes it.
Every page passes the accessibility audit and fits the screen; the stored rows say what happened."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Action, ActionEvent
from tests.browser.pages import axe_violations, no_sideways_scroll, shot, sign_in
from tests.factories import World, jpeg, make_published_checklist, make_submitted_visit, small_checklist_data


def _rules_checklist() -> dict:
    data = copy.deepcopy(small_checklist_data())
    data["sections"][0]["questions"][0]["action"] = {
        "priority": "high", "due_in_days": 2, "evidence": True,
        "title": {"en": "Greet every customer within a minute", "ja": "1分以内にすべてのお客様に挨拶する"},
        "guidance": "Brief the morning shift and put a greeter at the door."}
    return data


def test_a_rule_made_action_is_resolved_on_a_phone_and_closed_by_the_area_manager(
        page: Any, browser: Any, live_server: str, world: World, axe_source: str, tmp_path: Any) -> None:
    version = make_published_checklist(_rules_checklist())
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "no", "helpful": 4, "queue_wait": 60},
                                 at=datetime.now(timezone.utc) - timedelta(hours=2))
    action = db.session.scalar(select(Action).where(Action.visit_id == visit.id))
    assert (action.question_key, action.source, action.assignee_id) == ("greeted", "rule", world.store_manager.id)
    action_id = action.id

    sign_in(page, live_server, world.store_manager.email)
    page.get_by_role("heading", name="Stores").wait_for()
    page.get_by_role("link", name="Corrective actions").first.click()
    page.get_by_role("link", name="Greet every customer within a minute").click()
    page.get_by_role("heading", name="Greet every customer within a minute").wait_for()
    assert page.get_by_text("Brief the morning shift").is_visible()
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    shot(page, "action-open")
    page.get_by_role("button", name="Mark as in progress").click()
    page.get_by_text("Marked as in progress.").wait_for()
    # A comment without the photo the rule asks for is refused, the comment kept.
    page.get_by_label("What was done").fill("Greeter at the door from 10:00; team briefed.")
    page.get_by_role("button", name="Mark as resolved").click()
    page.get_by_text("This action needs a photo as evidence.", exact=True).wait_for()
    assert page.get_by_label("What was done").input_value() == "Greeter at the door from 10:00; team briefed."
    photo = tmp_path / "door.jpg"
    photo.write_bytes(jpeg("teal", (400, 300)))
    page.get_by_label("Photo as evidence").set_input_files(str(photo))
    page.get_by_role("button", name="Mark as resolved").click()
    page.get_by_text("Marked as resolved.").wait_for()
    evidence = page.get_by_role("img", name="Photo as evidence")
    evidence.scroll_into_view_if_needed()
    evidence.wait_for()
    page.wait_for_function("() => document.querySelector('.evidence img').naturalWidth > 0")
    assert axe_violations(page, axe_source) == [] and no_sideways_scroll(page)
    shot(page, "action-resolved")

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    manager = context.new_page()
    try:
        sign_in(manager, live_server, world.manager.email)
        manager.get_by_role("heading", name="Stores").wait_for()
        manager.goto(f"{live_server}/actions/?status=resolved")
        manager.get_by_role("link", name="Greet every customer within a minute").click()
        manager.get_by_label("Note (optional)").fill("Seen on my visit on Friday.")
        manager.get_by_role("button", name="Verify and close").last.click()
        manager.get_by_text("Verified and closed.").wait_for()
        assert axe_violations(manager, axe_source) == [] and no_sideways_scroll(manager)
    finally:
        context.close()

    db.session.rollback()
    stored = db.session.get(Action, action_id)
    assert (stored.status, stored.closed_by_id, stored.resolution_comment) == (
        "closed", world.manager.id, "Greeter at the door from 10:00; team briefed.")
    assert stored.evidence_sha256 is not None and stored.evidence_width == 400
    kinds = list(db.session.scalars(select(ActionEvent.kind).where(ActionEvent.action_id == action_id)
                                    .order_by(ActionEvent.id)))
    assert kinds == ["created", "started", "resolved", "closed"]


def test_the_actions_list_reads_as_cards_on_a_phone_in_japanese(page: Any, live_server: str, world: World) -> None:
    from audit_app.services import actions

    now = datetime.now(timezone.utc)
    for title in ("床の段ボールを片付け、通路を常に空けておく", "Empty the bins and add them to the opening checklist"):
        actions.create_action(db.session, world.manager, store_id=world.store.id, title=title, priority="critical",
                              due_on=(now + timedelta(days=1)).date(), assignee_id=world.store_manager.id,
                              requires_evidence=False, now=now)
    world.manager.locale = "ja"
    db.session.commit()
    sign_in(page, live_server, world.manager.email)
    page.goto(f"{live_server}/actions/")
    title = page.get_by_role("link", name="床の段ボールを片付け、通路を常に空けておく")
    title.wait_for()
    assert no_sideways_scroll(page)
    assert title.bounding_box()["width"] >= 200  # the title runs across the card, not down a narrow column
    badge = page.locator(".badge-critical").first
    line = page.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight) || 20", badge.element_handle())
    assert badge.bounding_box()["height"] <= line * 1.6  # one line, not a character per line
    shot(page, "actions-list-ja")


def test_the_main_menu_never_breaks_a_word_on_a_phone_in_japanese(page: Any, live_server: str, world: World) -> None:
    world.head.locale = "ja"
    db.session.commit()
    sign_in(page, live_server, world.head.email)
    page.goto(f"{live_server}/head-office/")
    links = page.locator(".mainnav a")
    assert links.count() >= 4
    for i in range(links.count()):
        box = page.evaluate("(el) => { const r = document.createRange(); r.selectNodeContents(el);"
                            " const lines = new Set([...r.getClientRects()].map((c) => Math.round(c.top)));"
                            " return [lines.size, el.getBoundingClientRect().right]; }", links.nth(i).element_handle())
        assert box[0] == 1 and box[1] <= 390, (links.nth(i).inner_text(), box)  # one line each, on the screen
    assert no_sideways_scroll(page)
