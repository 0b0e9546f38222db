"""A shopper completes a whole in-store visit on a phone, losing the connection part way, with every page, style
sheet and script coming compressed, as Chromium asks for them."""

from __future__ import annotations

import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, Visit, VisitScore
from audit_app.services import checklists, visits
from tests.browser.pages import axe_violations, wait_for_offline_copies
from tests.factories import NOW, PASSWORD, World, make_assignment

OFFLINE_SECTIONS = range(3, 7)  # signage .. assistance, which includes the greeting stopwatch


@pytest.fixture
def in_store(world: World) -> Any:
    checklist = checklists.load_library()["in_store_visit"]
    version = checklists.publish_checklist(db.session, checklist, now=NOW)
    return make_assignment(world.shopper, world.store, version.checklist_id)


@pytest.fixture
def receipt(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.jpg"
    Image.new("RGB", (600, 900), "white").save(path, "JPEG")
    return path


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My visits").wait_for()


def _answer_visible_questions(page: Any, receipt: Path, stopwatch_used: list[bool]) -> None:
    """Answer every visible, unanswered question of the section on screen, like a thumb would."""
    done: set[str] = set()
    for _ in range(4):  # answers may reveal more questions
        blocks = page.locator(".question:not([hidden])")
        fresh = [blocks.nth(i) for i in range(blocks.count()) if blocks.nth(i).get_attribute("data-key") not in done]
        if not fresh:
            return
        for block in fresh:
            key, kind = block.get_attribute("data-key"), block.get_attribute("data-type")
            done.add(key)
            if kind in ("yes_no", "scale", "nps", "choice", "multi"):
                labels = block.locator(".toggle span, .option span")
                (labels.first if kind in ("yes_no", "choice", "multi") else labels.nth(labels.count() - 1)).click()
            elif kind == "duration":
                if not stopwatch_used:
                    block.get_by_role("button", name="Start").click()
                    page.wait_for_timeout(1300)
                    block.get_by_role("button", name="Stop").click()
                    stopwatch_used.append(True)
                else:
                    block.locator("input[name^='q-']").fill("95")
            elif kind == "number":
                block.locator("input[name^='q-']").fill("2")
            elif kind == "text":
                block.locator("textarea[name^='q-']").fill("Staff member with a name badge")
            elif kind == "date":
                block.locator("input[type=date]").fill("2026-11-20")
            elif kind == "time":
                block.locator("input[type=time]").fill("14:30")
            elif kind == "photo":
                block.locator("input[type=file]").set_input_files(str(receipt))



def test_a_shopper_completes_a_visit_through_a_lost_connection(page: Any, context: Any, live_server: str,
                                                             world: World, in_store: Any, receipt: Path,
                                                             axe_source: str) -> None:
    checklist = checklists.load_library()["in_store_visit"]
    sections = len(checklist.sections)
    encodings: dict[str, str | None] = {}
    page.on("response", lambda response: encodings.setdefault(response.url.split("?")[0].replace(live_server, ""),
                                                              response.headers.get("content-encoding")))
    _sign_in(page, live_server, world.shopper.email)
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Start visit").click()
    page.get_by_text("Section 1 of").wait_for()
    assert axe_violations(page, axe_source) == []
    page.reload()  # the service worker now controls the page and keeps every section for offline use
    wait_for_offline_copies(page, sections + 1)
    section_page = next(path for path in encodings if path.endswith("/sections/0"))
    for path in (section_page, "/static/css/app.css", "/static/js/visit.js", "/static/js/visit/section-form.js"):
        assert encodings.get(path) == "br", (path, encodings)

    stopwatch_used: list[bool] = []
    for index in range(sections):
        page.get_by_text(f"Section {index + 1} of {sections}").wait_for()
        if index == OFFLINE_SECTIONS.start:
            context.set_offline(True)
        if index == OFFLINE_SECTIONS.stop:
            context.set_offline(False)
            page.locator("[data-sync-banner]", has_text="All sent").wait_for(timeout=15000)
        _answer_visible_questions(page, receipt, stopwatch_used)
        if index in OFFLINE_SECTIONS:
            page.get_by_text("Saved on this phone").wait_for()  # kept locally, not sent
        if index == 5:
            assert axe_violations(page, axe_source) == []  # the stopwatch section, offline copy
        page.get_by_role("button", name="Save and review" if index == sections - 1 else "Save and continue").click()

    page.get_by_role("heading", name="Review and submit").wait_for()
    assert "Every required question is answered" in page.content()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Submit visit").dblclick()
    page.get_by_role("heading", name="Visit submitted").wait_for()
    assert axe_violations(page, axe_source) == []

    db.session.rollback()
    visit = db.session.scalar(select(Visit))
    assert visit.status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    scores = db.session.scalars(select(VisitScore).where(VisitScore.visit_id == visit.id)).all()
    assert len(scores) == 1
    expected = scoring.score(checklist, visits.visit_answers(db.session, visit.id))
    assert expected.is_complete
    assert Fraction(scores[0].percent_exact) == expected.percent
    offline_keys = [q.key for s in checklist.sections[3:7] for q in s.questions if q.type != "note"]
    stored = set(db.session.scalars(select(Answer.question_key).where(Answer.visit_id == visit.id)))
    assert {k for k in offline_keys if expected.question(k).excluded != "hidden"} <= stored
    greeting = next(q for q in checklist.sections[5].questions if q.type == "duration")
    assert 1 <= int(db.session.scalar(select(Answer.value).where(Answer.question_key == greeting.key))) <= 3


def test_a_double_tapped_submit_creates_one_submitted_visit(page: Any, live_server: str, world: World) -> None:
    from tests.factories import make_visit

    visit = make_visit(world.shopper, world.store, client_uuid=str(uuid.uuid4()))
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 4, "queue_wait": 100, "self_checkout": "no"}, NOW)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/review")
    button = page.get_by_role("button", name="Submit visit")
    button.dblclick()
    page.get_by_role("heading", name="Visit submitted").wait_for()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
    assert db.session.get(Visit, visit.id).status == "submitted"
