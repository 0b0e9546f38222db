"""What the shopper's pages show: a started visit once on the home page, the submitted visit with its answers and
the time it was sent, and which answer is the good one on negatively worded questions."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

import scoring
from audit_app.extensions import db
from audit_app.services import checklists, visits
from tests.factories import NOW, World, make_assignment, make_visit, sign_in

HAZARD = {
    "key": "hazards", "title": "Hazard walk", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "floor", "title": "Sales floor", "questions": [
        {"key": "hazard", "type": "yes_no", "good": "no", "text": "Did you see any hazard?"},
        {"key": "greeted", "type": "yes_no", "text": "Were you greeted?"},
    ]}],
}


def _hazard_visit(world: World):  # type: ignore[no-untyped-def]
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(HAZARD), now=NOW)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    return visits.start_visit(db.session, world.shopper, client_uuid="c0ffee00-0000-4000-8000-000000000001",
                              assignment_id=assignment.id, now=NOW)


def test_a_started_visit_shows_once_on_the_home_page(shopper: FlaskClient, world: World) -> None:
    make_visit(world.shopper, world.store)
    page = shopper.get("/shopper/").get_data(as_text=True)
    assert page.count("Mini visit") == 1
    assert "Continue" in page and "Start visit" not in page


def test_the_submitted_visit_shows_its_answers_and_when_it_was_sent_in_the_stores_time(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 4, "queue_wait": 95, "self_checkout": "no"}, NOW,
                        comments={"greeted": "At the door, with a smile"})
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW + timedelta(minutes=20))
    page = shopper.get(f"/shopper/visits/{visit.id}").get_data(as_text=True)
    assert "Visit submitted" in page
    # 09:50 UTC is 18:50 in Tokyo, the store's time zone
    assert "18:50" in page and "Asia/Tokyo" in page
    assert "Your answers" in page
    assert "Were you greeted?" in page and "At the door, with a smile" in page
    assert "1:35" in page  # the queue wait, as minutes and seconds
    assert "Help at self-checkout?" not in page  # hidden by show_if, so not asked


def test_a_negatively_worded_question_says_which_answer_is_good(shopper: FlaskClient, world: World) -> None:
    visit = _hazard_visit(world)
    section = shopper.get(f"/shopper/visits/{visit.id}/sections/0").get_data(as_text=True)
    assert section.count("the good answer") == 1  # on the hazard question only
    assert section.index("Did you see any hazard?") < section.index("the good answer") < section.index(
        "Were you greeted?")
    visits.save_answers(db.session, world.shopper, visit.id, {"hazard": "no", "greeted": "no"}, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    page = shopper.get(f"/shopper/visits/{visit.id}").get_data(as_text=True)
    hazard = page[page.index("Did you see any hazard?"):page.index("Were you greeted?")]
    greeted = page[page.index("Were you greeted?"):]
    assert "✓ good answer" in hazard and "“No” is the good answer here." in hazard
    assert "✗ not the good answer" in greeted


def test_the_managers_visit_page_says_no_is_the_good_answer_on_a_negatively_worded_question(
        client: FlaskClient, world: World) -> None:
    visit = _hazard_visit(world)
    visits.save_answers(db.session, world.shopper, visit.id, {"hazard": "no", "greeted": "yes"}, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    sign_in(client, world.manager.email)
    page = client.get(f"/manager/visits/{visit.id}").get_data(as_text=True)
    hazard = page[page.index("Did you see any hazard?"):page.index("Were you greeted?")]
    assert "“No” is the good answer here." in hazard
    assert "“No” is the good answer here." not in page[page.index("Were you greeted?"):]


def test_a_section_page_names_every_section_and_the_review_for_the_phone_to_keep(shopper: FlaskClient,
                                                                                 world: World) -> None:
    import json
    import re

    from tests.factories import make_published_checklist

    many = {"key": "many_sections", "title": "Twelve sections", "channel": "in_store",
            "grades": [{"min": 0, "label": "Any"}],
            "sections": [{"key": f"s{i}", "title": f"Part {i}", "questions": [
                {"key": f"q{i}", "type": "yes_no", "text": f"Question {i}?"}]} for i in range(12)]}
    version = make_published_checklist(many)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    visit = visits.start_visit(db.session, world.shopper, client_uuid="12121212-3434-5656-7878-909090909090",
                               assignment_id=assignment.id, now=NOW)
    page = shopper.get(f"/shopper/visits/{visit.id}/sections/10").get_data(as_text=True)
    kept = json.loads(re.search(r"data-precache='([^']*)'", page).group(1))
    assert kept == [f"/shopper/visits/{visit.id}/sections/{i}" for i in range(12)] + [
        f"/shopper/visits/{visit.id}/review"]
    assert all(shopper.get(url).status_code == 200 for url in kept)
    assert f'data-next="/shopper/visits/{visit.id}/sections/11"' in page
