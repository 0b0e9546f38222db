"""The review page of one visit: photos as images, critical failures in words, a decision chosen on purpose, and
which version a re-scored visit's score comes from."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from audit_app.extensions import db
from audit_app.models import Visit
from audit_app.services import photos, rubrics, visits
from audit_app.services.scores import rescoring
from tests.factories import (
    NOW, World, csrf_token_from, make_published_checklist, make_submitted_visit, sign_in,
    visit_with_photo_and_hazard,
)


def test_the_review_page_shows_photos_and_critical_failures_in_words(world: World, login: Any) -> None:
    visit, photo_id = visit_with_photo_and_hazard(world)
    client = login(world.head)
    page = client.get(f"/head-office/visits/{visit.id}").get_data(as_text=True)

    assert re.search(rf'<a href="/photos/{photo_id}/full.jpg"><img src="/photos/{photo_id}/thumb.jpg"', page)
    assert not re.search(r"\b[0-9a-f]{64}\b", page)  # no SHA-256 in place of the photo
    assert "Safety hazard seen — the section scores 0" in page
    assert "hazard:" not in page and "zero_section" not in page
    thumb = client.get(f"/photos/{photo_id}/thumb.jpg")
    assert thumb.status_code == 200
    thumb.close()


def test_the_review_page_speaks_japanese_to_a_japanese_reader(world: World, login: Any) -> None:
    visit, _ = visit_with_photo_and_hazard(world)
    world.head.locale = "ja"
    db.session.commit()
    client = login(world.head)
    page = client.get(f"/head-office/visits/{visit.id}").get_data(as_text=True)
    assert "危険を見つけた" in page and "売場" in page


def test_no_decision_is_chosen_beforehand_and_posting_none_is_an_error_beside_it(world: World, login: Any) -> None:
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90})
    client = login(world.head)
    path = f"/head-office/visits/{visit.id}"
    page = client.get(path).get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="decision"[^>]*>', page)
    assert len(radios) == 3 and not any("checked" in r for r in radios)

    response = client.post(path, data={"note": "Receipt looks edited", "csrf_token": csrf_token_from(client, path)})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="decision-error">Choose a decision.<', html)
    assert "Receipt looks edited</textarea>" in html
    assert db.session.get(Visit, visit.id).status == "submitted"


def test_a_re_scored_visit_names_the_version_that_scored_it(app: Flask, world: World, login: Any) -> None:
    v1 = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, v1.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 400})
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW)
    heavy = {"key": "greeted", "type": "yes_no", "text": "Were you greeted?", "weight": 10}
    rubrics.edit_draft(db.session, world.head, draft.id, rubrics.question_edit(0, 0, heavy), now=NOW)
    rubrics.publish_draft(db.session, world.head, draft.id, now=NOW)
    rescoring.rescore_history(db.session, world.head, draft.id, now=NOW)
    client = login(world.head)

    note = "Scored under version 2 (re-scored on Nov 20, 2026 by Head)."
    original = "When submitted it scored 45.8% under version 1."  # service (2 + 0.75)/3, checkout 0
    review_page = client.get(f"/head-office/visits/{visit.id}").get_data(as_text=True)
    assert note in review_page and original in review_page
    assert "48.9%" in review_page  # the current score: service (10 + 0.75)/11, checkout 0
    assert "Store check v1" in review_page  # the version it was filled in with, beside it
    visit_page = client.get(f"/manager/visits/{visit.id}").get_data(as_text=True)
    assert note in visit_page and original in visit_page
    manager = app.test_client()
    sign_in(manager, world.manager.email)
    assert note in manager.get(f"/manager/visits/{visit.id}").get_data(as_text=True)


def test_a_visit_scored_at_submission_says_nothing_about_re_scoring(world: World, login: Any) -> None:
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90})
    client = login(world.head)
    assert "re-scored" not in client.get(f"/head-office/visits/{visit.id}").get_data(as_text=True)
    assert "re-scored" not in client.get(f"/manager/visits/{visit.id}").get_data(as_text=True)
