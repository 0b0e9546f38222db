"""The shopper's phone, asserting on what the server stored: photos that survive the next autosave, a visit half
done offline (photo kept on the phone, banner, review page, reconnect), two tabs on one visit, a stopwatch that
survives a reload, and one visit for a double-tapped start."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, Photo, Visit, VisitScore
from audit_app.services import checklists, visits
from tests.browser.pages import axe_violations, shot, wait_for_offline_copies
from tests.factories import NOW, PASSWORD, World, make_assignment, make_visit

# Two sections: the second holds a required photo and a negatively worded question.
JOURNEY = {
    "key": "journey", "title": {"en": "Journey", "ja": "ジャーニー"}, "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [
        {"key": "staff", "title": "Staff", "questions": [
            {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 2},
            {"key": "helpful", "type": "scale", "min": 1, "max": 5, "text": "How helpful?"},
        ]},
        {"key": "evidence", "title": "Evidence", "questions": [
            {"key": "litter", "type": "yes_no", "good": "no", "text": "Did you see litter?"},
            {"key": "receipt", "type": "photo", "text": "Photo of the receipt"},
        ]},
    ],
}


@pytest.fixture
def receipt(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.jpg"
    Image.new("RGB", (300, 400), "white").save(path, "JPEG")
    return path


@pytest.fixture
def journey(world: World) -> Any:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(JOURNEY), now=NOW)
    return make_assignment(world.shopper, world.store, version.checklist_id)


def _started(world: World, assignment: Any) -> Visit:
    return visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My visits").wait_for()


def _answers(visit_id: int) -> dict[str, Answer]:
    db.session.rollback()
    return {a.question_key: a for a in db.session.scalars(select(Answer).where(Answer.visit_id == visit_id))}


def _wait_for_answers(page: Any, visit_id: int, keys: set[str], timeout: float = 30) -> None:
    """Until the server holds answers to `keys`. Each look ends its read at once (on SQLite a read left open
    would hold back the very write it waits for), and the wait lets the page's routes run meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        stored = set(db.session.scalars(select(Answer.question_key).where(Answer.visit_id == visit_id)))
        db.session.rollback()
        if keys <= stored or time.monotonic() > deadline:
            return
        page.wait_for_timeout(200)


def _on_section(page: Any, base: str, world: World, visit: Visit, kept_pages: int = 0) -> None:
    """Signed in as the shopper, on the visit's first section with its scripts wired; with `kept_pages`, once the
    service worker controls the page and keeps that many pages for offline use."""
    _sign_in(page, base, world.shopper.email)
    page.goto(f"{base}/shopper/visits/{visit.id}/sections/0")
    if kept_pages:
        page.reload()
        wait_for_offline_copies(page, kept_pages)
    page.locator("html[data-scripts-ready]").wait_for(state="attached")


def _choose(page: Any, key: str, label: str) -> None:
    page.locator(f"#q-{key} .toggle", has_text=label).click()


def _wait_saved(page: Any) -> None:
    page.locator("[data-save-status]", has_text="Saved").wait_for()


def test_a_photo_stays_stored_when_a_comment_is_typed_after_it(page: Any, live_server: str, world: World,
                                                               journey: Any, receipt: Path) -> None:
    visit = _started(world, journey)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    # On a 390 px phone the Take photo button sits inside its card and nothing scrolls sideways.
    button = page.locator("#q-receipt .photo-button").bounding_box()
    card = page.locator("#q-receipt .question-box").bounding_box()
    assert button["x"] + button["width"] <= card["x"] + card["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.locator("#q-receipt input[type=file]").set_input_files(str(receipt))
    _wait_saved(page)
    # The preview is the server's stored photo, not the phone's copy.
    page.wait_for_function("() => /\\/photos\\//.test(document.querySelector('#q-receipt img').src)")
    page.locator("#q-litter summary").click()
    page.locator("#c-litter").fill("Clean floor")
    _wait_saved(page)

    stored = _answers(visit.id)
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert photo is not None and stored["receipt"].value == photo.sha256
    assert stored["litter"].comment == "Clean floor"
    assert not page.locator("[data-sync-banner]").is_visible()  # online, nothing ever waited
    page.reload()
    assert page.locator("#q-receipt img.photo-preview").is_visible()


# A photo question that appears only when a hazard is seen.
HAZARD = {
    "key": "hazard_walk", "title": "Hazard walk", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "floor", "title": "Floor", "questions": [
        {"key": "hazard", "type": "yes_no", "good": "no", "text": "Did you see a hazard?"},
        {"key": "hazard_photo", "type": "photo", "text": "Photo of the hazard",
         "show_if": {"question": "hazard", "equals": "yes"}},
    ]}],
}


def test_a_photo_picked_the_moment_its_question_appears_is_stored(page: Any, live_server: str, world: World,
                                                                  receipt: Path) -> None:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(HAZARD), now=NOW)
    visit = _started(world, make_assignment(world.shopper, world.store, version.checklist_id))
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/0")
    assert not page.locator("#q-hazard_photo").is_visible()
    _choose(page, "hazard", "Yes")
    page.locator("#q-hazard_photo input[type=file]").set_input_files(str(receipt))  # at once, before any save
    page.wait_for_function("() => /\\/photos\\//.test(document.querySelector('#q-hazard_photo img').src)")

    stored = _answers(visit.id)
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert photo is not None and stored["hazard_photo"].value == photo.sha256
    assert stored["hazard"].value == "yes"



def test_a_visit_half_done_offline_is_sent_whole_on_reconnect(page: Any, context: Any, live_server: str,
                                                              world: World, journey: Any, receipt: Path,
                                                              axe_source: str) -> None:
    _sign_in(page, live_server, world.shopper.email)
    page.get_by_role("button", name="Start visit").click()
    page.get_by_text("Section 1 of 2").wait_for()
    page.reload()  # the service worker now controls the page and keeps both sections and the review
    wait_for_offline_copies(page, 3)
    _choose(page, "greeted", "Yes")
    _choose(page, "helpful", "4")
    _wait_saved(page)
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Section 2 of 2").wait_for()

    context.set_offline(True)
    _choose(page, "litter", "No")
    page.locator("#q-receipt input[type=file]").set_input_files(str(receipt))
    page.locator("#q-receipt [data-photo-state]", has_text="Photo kept on this phone").wait_for()
    banner = page.locator("[data-sync-banner]")
    banner.filter(has_text="2 changes waiting to be sent").wait_for()
    # The progress bar and the section list count what is answered on this phone.
    assert page.locator("[data-progress-text]").inner_text() == "4 of 4 answered"
    assert page.locator('[data-section-count="1"]').inner_text() == "2/2 ✓"
    assert "when you are back online" in banner.inner_text()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Save and review").click()

    page.get_by_role("heading", name="Review and submit").wait_for()  # the copy kept on the phone
    page.locator("[data-sync-banner]", has_text="2 changes waiting").wait_for()
    marked = page.locator(".is-answered-here")
    marked.first.wait_for()
    assert sorted(marked.evaluate_all("els => els.map(e => e.dataset.missingKey)")) == ["litter", "receipt"]
    assert "Every required question is answered on this phone" in page.locator("#missing-h").inner_text()
    assert not page.locator('[data-missing-badge="1"]').is_visible()  # "2 missing" no longer
    assert axe_violations(page, axe_source) == []
    db.session.rollback()
    visit = db.session.scalar(select(Visit))
    assert "receipt" not in _answers(visit.id)  # nothing has reached the server yet

    context.set_offline(False)
    page.locator("[data-sync-banner]", has_text="All sent").wait_for(timeout=15000)
    assert "Every required question is answered." in page.content()  # the server's own review now
    page.get_by_role("button", name="Submit visit").click()
    page.get_by_role("heading", name="Visit submitted").wait_for()
    assert axe_violations(page, axe_source) == []

    stored = _answers(visit.id)
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert {k: stored[k].value for k in ("greeted", "helpful", "litter")} == {"greeted": "yes", "helpful": 4,
                                                                              "litter": "no"}
    assert photo is not None and stored["receipt"].value == photo.sha256
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
    assert db.session.get(Visit, visit.id).status == "submitted"


def test_a_stale_second_tab_keeps_what_the_first_tab_saved(page: Any, context: Any, live_server: str,
                                                           world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    section = f"{live_server}/shopper/visits/{visit.id}/sections/0"
    page.goto(section)
    other = context.new_page()
    other.goto(section)  # tab B: greeted unanswered, no comment

    _choose(page, "greeted", "Yes")
    page.locator("#q-greeted summary").click()
    page.locator("#c-greeted").fill("Smiled at the door")
    _wait_saved(page)

    _choose(other, "helpful", "4")  # tab B saves its section with greeted still unselected
    _wait_saved(other)
    stored = _answers(visit.id)
    assert stored["greeted"].value == "yes" and stored["greeted"].comment == "Smiled at the door"
    assert stored["helpful"].value == 4

    _choose(other, "greeted", "No")  # tab B changes what tab A changed after B was opened: a conflict
    conflict = other.locator("#q-greeted .conflict")
    conflict.wait_for()
    assert "another screen" in conflict.inner_text()
    assert other.locator("#q-greeted input[value=yes]").is_checked()  # the stored answer is shown
    assert _answers(visit.id)["greeted"].value == "yes"
    _choose(other, "greeted", "No")  # choosing again replaces it
    other.wait_for_function("() => !document.querySelector('#q-greeted .conflict')")
    _wait_saved(other)
    assert _answers(visit.id)["greeted"].value == "no"


def test_a_running_stopwatch_survives_a_reload(page: Any, live_server: str, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    page.locator("#q-queue_wait").get_by_role("button", name="Start").click()
    page.wait_for_timeout(1100)
    page.reload()
    watch = page.locator("#q-queue_wait")
    watch.get_by_role("button", name="Stop").wait_for()  # still running
    page.wait_for_function("() => document.querySelector('#q-queue_wait output').textContent !== '0:00'")
    watch.get_by_role("button", name="Stop").click()
    _wait_saved(page)
    assert 1 <= _answers(visit.id)["queue_wait"].value <= 5
    page.reload()
    watch.get_by_role("button", name="Start").wait_for()  # stopped stays stopped


def test_a_double_tapped_start_makes_one_visit(page: Any, live_server: str, world: World, journey: Any) -> None:
    _sign_in(page, live_server, world.shopper.email)
    page.get_by_role("button", name="Start visit").dblclick()
    page.get_by_text("Section 1 of 2").wait_for()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    page.goto(f"{live_server}/shopper/")
    assert page.get_by_text("Journey").count() == 1  # once, under In progress


def test_a_photo_this_phone_cannot_keep_offline_is_said_beside_it(page: Any, context: Any, live_server: str,
                                                                  world: World, journey: Any,
                                                                  receipt: Path) -> None:
    visit = _started(world, journey)
    page.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")  # no IndexedDB here
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    context.set_offline(True)
    page.locator("#q-receipt input[type=file]").set_input_files(str(receipt))
    state = page.locator("#q-receipt [data-photo-state].is-error")
    state.wait_for()
    assert "could not keep the photo" in state.inner_text()
    assert not page.locator("#q-receipt img.photo-preview").is_visible()
    _choose(page, "litter", "No")  # answers without a photo are still kept on the phone
    page.locator("[data-save-status]", has_text="Saved on this phone").wait_for()
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('storecheck:outbox:'))")
    stored = _answers(visit.id)
    assert stored["litter"].value == "no" and "receipt" not in stored


def test_the_offline_page_speaks_the_shoppers_language(page: Any, context: Any, live_server: str,
                                                      world: World) -> None:
    from tests.factories import make_user

    shopper = make_user("hanako@test.example", locale="ja")
    visit = make_visit(shopper, world.store)
    _sign_in_ja(page, live_server, shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/0")
    wait_for_offline_copies(page, 0)
    context.set_offline(True)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/never-kept")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "オフライン" in page.locator("h1").inner_text()


def _sign_in_ja(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.locator("h1").wait_for()


def test_without_indexeddb_a_photo_taken_online_is_still_stored(page: Any, live_server: str, world: World,
                                                                journey: Any, receipt: Path) -> None:
    visit = _started(world, journey)
    page.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    page.locator("#q-receipt input[type=file]").set_input_files(str(receipt))
    _wait_saved(page)
    stored = _answers(visit.id)
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert photo is not None and stored["receipt"].value == photo.sha256


def test_a_change_queued_offline_that_another_screen_overtook_comes_back_as_a_conflict(
        page: Any, context: Any, live_server: str, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": "yes"}, NOW)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/0")
    context.set_offline(True)
    _choose(page, "greeted", "No")
    page.locator("[data-save-status]", has_text="Saved on this phone").wait_for()
    # Meanwhile another phone changes the same answer.
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": "yes", "helpful": 2}, NOW)
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": None}, NOW)
    context.set_offline(False)
    conflict = page.locator("#q-greeted .conflict")
    conflict.wait_for(timeout=15000)
    assert "another screen" in conflict.inner_text()
    assert not page.locator("#q-greeted input[value=no]").is_checked()  # the stored answer (none) is shown
    assert "greeted" not in {k for k, a in _answers(visit.id).items() if a.value is not None}
    page.locator("[data-sync-banner]", has_text="All sent").wait_for()


def test_a_comment_typed_just_before_tapping_another_section_is_stored(page: Any, live_server: str,
                                                                      world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/0")
    page.locator("#q-greeted summary").click()
    page.locator("#c-greeted").fill("Greeted by the manager")
    page.locator(".section-nav a", has_text="Checkout").click()  # before the typing pause is over
    page.get_by_text("Section 2 of 2").wait_for()
    assert _answers(visit.id)["greeted"].comment == "Greeted by the manager"


SLOW_INDEXEDDB = """
(() => {
  const real = window.indexedDB;
  Object.defineProperty(window, 'indexedDB', {value: {open(name, version) {
    const late = {};
    setTimeout(() => {
      const request = real.open(name, version);
      request.onupgradeneeded = () => { late.result = request.result; if (late.onupgradeneeded) late.onupgradeneeded(); };
      request.onsuccess = () => { late.result = request.result; if (late.onsuccess) late.onsuccess(); };
      request.onerror = () => { if (late.onerror) late.onerror(); };
    }, 1500);
    return late;
  }}});
})();
"""


def test_a_tap_made_before_the_phones_storage_opens_is_kept_with_what_was_waiting(
        page: Any, context: Any, live_server: str, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    page.add_init_script(SLOW_INDEXEDDB)  # a slow phone: the outbox opens a while after the page
    _sign_in(page, live_server, world.shopper.email)
    section = f"{live_server}/shopper/visits/{visit.id}/sections/0"
    page.goto(section)
    page.reload()
    wait_for_offline_copies(page, 3)
    context.set_offline(True)
    _choose(page, "greeted", "Yes")
    page.locator("[data-save-status]", has_text="Saved on this phone").wait_for()
    page.goto(section)  # the copy kept on the phone, with the greeting waiting in the outbox
    _choose(page, "helpful", "4")  # tapped before the outbox has opened
    page.locator("[data-save-status]", has_text="Saved on this phone").wait_for()
    assert page.locator("#q-helpful input[value='4']").is_checked()
    assert page.locator("#q-greeted input[value=yes]").is_checked()
    context.set_offline(False)
    page.locator("[data-sync-banner]", has_text="All sent").wait_for(timeout=15000)
    stored = _answers(visit.id)
    assert stored["greeted"].value == "yes" and stored["helpful"].value == 4


def test_an_answer_tapped_just_before_switching_language_is_stored(page: Any, live_server: str,
                                                                   world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/0")
    _choose(page, "greeted", "Yes")
    page.locator("button[name=locale][value=ja]").click()  # before the autosave's pause is over
    page.locator("html[lang=ja]").wait_for()
    assert page.locator("#q-greeted input[value=yes]").is_checked()
    page.locator("#q-greeted summary").click()
    page.locator("#c-greeted").fill("店長が挨拶")
    page.locator("button[name=locale][value=en]").click()
    page.locator("html[lang=en]").wait_for()
    stored = _answers(visit.id)
    assert stored["greeted"].value == "yes" and stored["greeted"].comment == "店長が挨拶"


def test_save_and_continue_stays_on_an_answer_the_server_refused(page: Any, live_server: str, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    section = f"{live_server}/shopper/visits/{visit.id}/sections/1"
    page.goto(section)
    page.locator("input[name=q-queue_wait]").fill("ninety seconds")
    problem = page.locator("#q-queue_wait", has_text="Enter the time in seconds")
    problem.wait_for()  # the autosave's answer
    page.locator("button[name=go][value=next]").click()
    # The section is posted as without scripts, and the page that comes back lists the answer to fix.
    page.locator("#problems", has_text="1 answer needs a fix").wait_for()
    problem.wait_for()
    assert "/review" not in page.url and f"/visits/{visit.id}/sections/1" in page.url
    assert page.locator("input[name=q-queue_wait]").input_value() == "ninety seconds"
    assert "queue_wait" not in _answers(visit.id) or _answers(visit.id)["queue_wait"].value is None


def test_a_file_that_is_not_a_photo_is_refused_once_beside_its_question(page: Any, live_server: str, world: World,
                                                                        journey: Any, tmp_path: Path) -> None:
    visit = _started(world, journey)
    fake = tmp_path / "receipt.jpg"
    fake.write_bytes(b"this is not an image at all")
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    page.locator("#q-receipt input[type=file]").set_input_files(str(fake))
    message = "This file is not a photo we can read"
    page.locator("#q-receipt [data-live-error]", has_text=message).wait_for()
    assert page.locator("#q-receipt").inner_text().count(message) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id)).where(Photo.visit_id == visit.id)) == 0


def test_leaving_by_a_link_or_the_language_switch_stops_at_an_answer_the_server_refused(
        page: Any, live_server: str, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    section = f"{live_server}/shopper/visits/{visit.id}/sections/1"
    page.goto(section)
    # Until its scripts are wired a page is the plain form, whose links simply leave (as on a loaded machine).
    page.locator("html[data-scripts-ready]").wait_for(state="attached")
    for typed, leave in (("ninety seconds", lambda: page.locator(".section-nav a", has_text="Staff").click()),
                         ("two minutes", lambda: page.locator("button[name=locale][value=ja]").click())):
        page.locator("input[name=q-queue_wait]").fill(typed)
        leave()  # before the autosave's pause is over
        page.locator("#q-queue_wait [data-live-error]", has_text="Enter the time in seconds").wait_for()
        page.locator("[data-save-status]", has_text="Some answers need a fix.").wait_for()
        assert page.url == section and page.locator("html[lang=en]").count() == 1
        assert page.locator("input[name=q-queue_wait]").input_value() == typed
    assert "queue_wait" not in _answers(visit.id) or _answers(visit.id)["queue_wait"].value is None
    # Told once, a second tap leaves.
    page.locator("input[name=q-queue_wait]").fill("1:35")
    page.locator(".section-nav a", has_text="Staff").click()
    page.get_by_text("Section 1 of 2").wait_for()
    assert _answers(visit.id)["queue_wait"].value == 95


def test_a_typed_time_shows_on_the_stopwatch_and_start_carries_on_from_it(page: Any, live_server: str,
                                                                         world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{visit.id}/sections/1")
    watch = page.locator("#q-queue_wait")
    page.locator("#in-queue_wait").fill("1:35")
    assert watch.locator("output").inner_text() == "1:35"  # at once, before any save
    _wait_saved(page)
    assert _answers(visit.id)["queue_wait"].value == 95
    watch.get_by_role("button", name="Start").click()
    page.wait_for_timeout(1100)
    watch.get_by_role("button", name="Stop").click()
    page.wait_for_function("() => document.querySelector('#in-queue_wait').value !== '1:35'")
    _wait_saved(page)
    assert 96 <= _answers(visit.id)["queue_wait"].value <= 100  # carried on from 1:35, not restarted at 0:00
    stored = _answers(visit.id)["queue_wait"].value
    page.reload()
    assert watch.locator("output").inner_text() == f"{stored // 60}:{stored % 60:02d}"


def _wait_kept(page: Any, path: str, timeout: float = 15.0) -> None:
    """Waits until this phone keeps `path` for offline use (asked through evaluate, which awaits the Cache API)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("async (p) => !!(await (await caches.open('storecheck-pages-v1')).match(p))", path):
        if time.monotonic() > deadline:
            raise AssertionError(f"the phone never kept {path} for offline use")
        page.wait_for_timeout(100)


def test_a_stored_photo_opened_offline_shows_its_last_copy_or_says_it_is_on_the_server(
        page: Any, context: Any, live_server: str, world: World, journey: Any, receipt: Path) -> None:
    from audit_app.services import photos

    seen = _started(world, journey)
    # A photo this phone never shows before going offline: sent from another screen.
    unseen = visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()), now=NOW,
                                assignment_id=make_assignment(world.shopper, world.store, journey.checklist_id).id)
    photo = photos.add_photo(db.session, world.shopper, unseen.id, "receipt", receipt.read_bytes(),
                             upload_dir=world.upload_dir, now=NOW)
    visits.save_answers(db.session, world.shopper, unseen.id, {"receipt": photo.sha256}, NOW)
    unseen_id = unseen.id
    db.session.rollback()
    _sign_in(page, live_server, world.shopper.email)
    page.goto(f"{live_server}/shopper/visits/{seen.id}/sections/1")
    wait_for_offline_copies(page, 0)  # the service worker is active: from the next load on it sees every fetch
    page.reload()
    page.locator("#q-receipt input[type=file]").set_input_files(str(receipt))
    page.wait_for_function("() => /\\/photos\\/\\d+\\/thumb/.test(document.querySelector('#q-receipt img').src)")
    _wait_saved(page)
    thumb = page.evaluate("() => new URL(document.querySelector('#q-receipt img').src).pathname")
    _wait_kept(page, thumb)

    # The other visit's pages are kept for offline use; its photo's thumbnail is not.
    page.goto(f"{live_server}/shopper/visits/{unseen_id}/sections/0")
    _wait_kept(page, f"/shopper/visits/{unseen_id}/sections/1")
    context.set_offline(True)
    page.goto(f"{live_server}/shopper/visits/{unseen_id}/sections/1")
    state = page.locator("#q-receipt [data-photo-state]")
    state.filter(has_text="saved on the server").wait_for()
    assert not page.locator("#q-receipt img.photo-preview").is_visible()  # no broken image
    assert page.locator("[data-progress-text]").inner_text().startswith("1 of")  # still answered
    shot(page, "offline-stored-photo")

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.querySelector('#q-receipt img').naturalWidth > 0")
    assert state.inner_text() == ""


def test_a_save_the_server_did_not_answer_is_sent_again_by_itself_while_online(page: Any, live_server: str,
                                                                              world: World, journey: Any) -> None:
    visit = _started(world, journey)
    _on_section(page, live_server, world, visit)
    failed: list[str] = []

    def gateway_down(route: Any) -> None:
        if route.request.method == "POST" and not failed:  # the first save meets a proxy whose app is restarting
            failed.append(route.request.url)
            route.fulfill(status=502, body="Bad gateway", content_type="text/plain")
        else:
            route.continue_()

    page.route(f"**/shopper/visits/{visit.id}/sections/0", gateway_down)
    _choose(page, "greeted", "Yes")
    banner = page.locator("[data-sync-banner]")
    banner.filter(has_text="the server did not answer").wait_for()
    assert "back online" not in banner.inner_text()  # the phone is online: it says what is really happening
    assert "tried again in a moment" in page.locator("[data-save-status]").inner_text()
    assert "greeted" not in _answers(visit.id)

    # Nobody taps anything: the phone tries again by itself and the server stores the answer.
    banner.filter(has_text="All sent").wait_for(timeout=15000)
    _wait_saved(page)
    assert failed and _answers(visit.id)["greeted"].value == "yes"


def test_a_slow_save_online_never_says_it_waits_for_the_phone_to_be_back_online(page: Any, live_server: str,
                                                                             world: World, journey: Any) -> None:
    visit = _started(world, journey)
    _on_section(page, live_server, world, visit)
    seen: list[str] = []

    def slow(route: Any) -> None:
        if route.request.method == "POST":
            seen.append(page.evaluate("document.querySelector('[data-sync-banner]').textContent"))
            time.sleep(1.5)  # a poor connection: the answers are on their way for a while
        route.continue_()

    page.route(f"**/shopper/visits/{visit.id}/sections/0", slow)
    _choose(page, "greeted", "Yes")
    _choose(page, "helpful", "4")
    page.locator("[data-save-status]", has_text="Saving").wait_for()
    assert "back online" not in page.locator("[data-sync-banner]").inner_text()
    _wait_saved(page)
    stored = _answers(visit.id)
    assert {k: stored[k].value for k in ("greeted", "helpful")} == {"greeted": "yes", "helpful": 4}
    assert seen and not any("back online" in text for text in seen)
    assert not page.locator("[data-sync-banner]").is_visible()


def test_an_answer_made_after_the_session_ended_asks_to_sign_in_and_is_sent_after(page: Any, context: Any,
                                                                                   live_server: str, world: World,
                                                                                   journey: Any) -> None:
    visit = _started(world, journey)
    _on_section(page, live_server, world, visit)
    context.clear_cookies()  # signed out elsewhere, or the session ran out
    _choose(page, "greeted", "No")
    page.locator("[data-sync-banner]", has_text="sign in again to send it").wait_for()
    assert "Sign in again" in page.locator("[data-save-status]").inner_text()
    assert "greeted" not in _answers(visit.id)

    # The banner's own link signs in and comes back to this section, which then sends what waited.
    page.locator("[data-sync-banner] a", has_text="Sign in again").click()
    page.get_by_label("E-mail").fill(world.shopper.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/shopper/visits/{visit.id}/sections/0")
    _wait_for_answers(page, visit.id, {"greeted"})
    assert _answers(visit.id)["greeted"].value == "no"
    assert page.locator("#q-greeted input[value=no]").is_checked()


# One section with two photos: a phone's camera makes photos of several megabytes each.
TWO_PHOTOS = {
    "key": "two_photos", "title": "Two photos", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "evidence", "title": "Evidence", "questions": [
        {"key": "clean", "type": "yes_no", "text": "Was the entrance clean?"},
        {"key": "front", "type": "photo", "text": "Photo of the shop front"},
        {"key": "till", "type": "photo", "text": "Photo of the till"},
    ]}],
}


def _camera_photo(path: Path, side: int = 2900) -> Path:
    """Detailed enough to stay about 10 MB as a JPEG, like a phone camera's photo."""
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, "JPEG", quality=95)
    return path


def test_a_section_answered_offline_with_two_large_photos_is_stored_whole_on_reconnect(
        page: Any, context: Any, live_server: str, app: Any, world: World, tmp_path: Path) -> None:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(TWO_PHOTOS), now=NOW)
    visit = _started(world, make_assignment(world.shopper, world.store, version.checklist_id))
    front, till = _camera_photo(tmp_path / "front.jpg"), _camera_photo(tmp_path / "till.jpg")
    # Together they are more than one save may carry (the app's limit, and the proxy's in the README).
    assert front.stat().st_size + till.stat().st_size > app.config["MAX_CONTENT_LENGTH"]
    _on_section(page, live_server, world, visit, kept_pages=2)  # the service worker keeps it for offline use
    saves = _count_saves(page, f"**/shopper/visits/{visit.id}/sections/0")

    context.set_offline(True)
    _choose(page, "clean", "Yes")
    page.locator("#q-front input[type=file]").set_input_files(str(front))
    page.locator("#q-front [data-photo-state]", has_text="Photo kept on this phone").wait_for()
    page.locator("#q-till input[type=file]").set_input_files(str(till))
    page.locator("#q-till [data-photo-state]", has_text="Photo kept on this phone").wait_for()
    page.locator("[data-sync-banner]", has_text="3 changes waiting to be sent").wait_for()

    context.set_offline(False)
    page.locator("[data-sync-banner]", has_text="All sent").wait_for(timeout=30000)
    stored = _answers(visit.id)
    photos = {p.question_key: p.sha256 for p in db.session.scalars(select(Photo).where(Photo.visit_id == visit.id))}
    assert stored["clean"].value == "yes"
    assert set(photos) == {"front", "till"}
    assert stored["front"].value == photos["front"] and stored["till"].value == photos["till"]
    photo_saves = [size for size in saves if size > 1_000_000]
    assert len(photo_saves) == 2 and max(photo_saves) < app.config["MAX_CONTENT_LENGTH"]  # one photo a request
    page.reload()
    assert page.locator("#q-front img.photo-preview").is_visible()
    assert page.locator("#q-till img.photo-preview").is_visible()


def test_a_photo_larger_than_the_server_takes_is_said_and_the_answers_kept_offline_still_arrive(
        page: Any, context: Any, live_server: str, app: Any, world: World, tmp_path: Path) -> None:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(TWO_PHOTOS), now=NOW)
    visit = _started(world, make_assignment(world.shopper, world.store, version.checklist_id))
    huge = _camera_photo(tmp_path / "huge.jpg", side=4000)
    assert huge.stat().st_size > app.config["MAX_CONTENT_LENGTH"]
    _on_section(page, live_server, world, visit, kept_pages=2)

    context.set_offline(True)
    _choose(page, "clean", "No")
    page.locator("#q-front input[type=file]").set_input_files(str(huge))
    page.locator("#q-front [data-photo-state]", has_text="Photo kept on this phone").wait_for()
    context.set_offline(False)
    page.locator("[data-sync-banner]", has_text="choose a smaller photo").wait_for(timeout=30000)
    assert _answers(visit.id)["clean"].value == "no"  # the answer typed offline was not lost with the photo
    assert "front" not in _answers(visit.id)


def _carries_a_file(request: Any) -> bool:
    """A save (as a route is handed it) with a body of a photo's size."""
    return request.method == "POST" and len(request.post_data_buffer or b"") > 50_000


def _count_saves(page: Any, url: str) -> list[int]:
    """The body size of every save the page sends to `url`, from here on."""
    sizes: list[int] = []

    def count(route: Any) -> None:
        if route.request.method == "POST":
            sizes.append(len(route.request.post_data_buffer or b""))
        route.continue_()

    page.route(url, count)
    return sizes


def test_answers_arrive_while_a_photo_sent_with_them_cannot_get_through(
        page: Any, context: Any, live_server: str, world: World, tmp_path: Path) -> None:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(TWO_PHOTOS), now=NOW)
    visit = _started(world, make_assignment(world.shopper, world.store, version.checklist_id))
    _on_section(page, live_server, world, visit, kept_pages=2)
    context.set_offline(True)
    _choose(page, "clean", "Yes")
    page.locator("#q-front input[type=file]").set_input_files(str(_camera_photo(tmp_path / "front.jpg", side=900)))
    page.locator("#q-front [data-photo-state]", has_text="Photo kept on this phone").wait_for()

    refused: list[str] = []

    def photos_time_out(route: Any) -> None:  # a proxy giving up on a slow upload, every time for now
        if _carries_a_file(route.request):
            refused.append(route.request.url)
            route.fulfill(status=504, body="Gateway timeout", content_type="text/plain")
        else:
            route.continue_()

    page.route(f"**/shopper/visits/{visit.id}/sections/0", photos_time_out)
    context.set_offline(False)
    page.locator("[data-sync-banner]", has_text="the server did not answer").wait_for(timeout=15000)
    assert refused and _answers(visit.id)["clean"].value == "yes"  # the answer is not held back by its photo
    assert "front" not in _answers(visit.id)
    assert page.locator("#q-front img.photo-preview").is_visible()  # the phone's copy, still waiting

    page.unroute(f"**/shopper/visits/{visit.id}/sections/0")
    page.locator("[data-sync-banner]", has_text="All sent").wait_for(timeout=30000)
    db.session.rollback()
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert photo is not None and _answers(visit.id)["front"].value == photo.sha256
    page.locator("[data-sync-banner]").wait_for(state="hidden", timeout=15000)  # "All sent" makes way


def test_a_photo_on_its_way_is_sent_once_when_another_answer_is_tapped_meanwhile(
        page: Any, context: Any, live_server: str, world: World, tmp_path: Path) -> None:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(TWO_PHOTOS), now=NOW)
    visit = _started(world, make_assignment(world.shopper, world.store, version.checklist_id))
    _on_section(page, live_server, world, visit)
    saves = _count_saves(page, f"**/shopper/visits/{visit.id}/sections/0")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    # A poor connection: the photo takes a few seconds to go up.
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 200, "downloadThroughput": 200_000,
                                                  "uploadThroughput": 150_000})
    page.locator("#q-front input[type=file]").set_input_files(str(_camera_photo(tmp_path / "front.jpg", side=700)))
    page.locator("#q-front [data-photo-state]", has_text="Sending the photo").wait_for()
    _choose(page, "clean", "No")  # while the photo is still going up
    _wait_for_answers(page, visit.id, {"clean", "front"})
    _wait_saved(page)
    stored = _answers(visit.id)
    assert stored["clean"].value == "no" and stored["front"].value
    uploads = [size for size in saves if size > 50_000]
    assert len(uploads) == 1, saves  # the photo went up once, not again with the next answer
