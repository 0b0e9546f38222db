"""The shopper's visit through the web pages, without JavaScript: start, answer, fix, review, submit."""

from __future__ import annotations

import io
import re
import threading
import uuid
from fractions import Fraction

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import EnvironBuilder
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, Photo, Visit, VisitScore
from audit_app.services import visits
from tests.factories import (NOW, PHOTO_CHECKLIST, World, csrf_token_from, make_assignment, make_visit, publish_mini,
                             sign_in)


def _post(client: FlaskClient, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    token = csrf_token_from(client, "/shopper/")
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def _answers(visit_id: int) -> dict[str, object]:
    return {a.question_key: (scoring.NA if a.is_na else a.value)
            for a in db.session.scalars(select(Answer).where(Answer.visit_id == visit_id))}


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "JPEG")
    return out.getvalue()


def test_starting_an_assignment_twice_with_one_uuid_creates_one_visit(shopper: FlaskClient, world: World) -> None:
    version = publish_mini()
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    html = shopper.get("/shopper/").get_data(as_text=True)
    assert "Start visit" in html and "Ginza" in html
    client_uuid = re.search(r'name="client_uuid" value="([^"]+)"', html).group(1)
    first = _post(shopper, f"/shopper/assignments/{assignment.id}/start",
                  {"client_uuid": client_uuid, "latitude": "35.67", "longitude": "139.76", "accuracy": "12"})
    second = _post(shopper, f"/shopper/assignments/{assignment.id}/start", {"client_uuid": client_uuid})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    stored = db.session.scalars(select(Visit)).all()
    assert len(stored) == 1
    assert stored[0].started_at is not None and stored[0].latitude == pytest.approx(35.67)


def test_a_section_shows_its_questions_in_the_shoppers_language(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    world.shopper.locale = "ja"
    db.session.commit()
    html = shopper.get(f"/shopper/visits/{visit.id}/sections/0").get_data(as_text=True)
    assert "挨拶されましたか？" in html and "スタッフ" in html


def test_the_home_page_names_checklists_in_the_shoppers_language(shopper: FlaskClient, world: World) -> None:
    make_visit(world.shopper, world.store)  # a draft in progress
    make_assignment(world.shopper, world.other_store, publish_mini().checklist_id)  # and an open assignment
    world.shopper.locale = "ja"
    db.session.commit()
    html = shopper.get("/shopper/").get_data(as_text=True)
    assert html.count("ミニ訪問") >= 2 and "Mini visit" not in html
    world.shopper.locale = "en"
    db.session.commit()
    assert "ミニ訪問" not in shopper.get("/shopper/").get_data(as_text=True)


def test_saving_a_section_stores_the_answers_and_moves_on(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    response = _post(shopper, f"/shopper/visits/{visit.id}/sections/0",
                     {"q-greeted": "yes", "q-helpful": "4", "c-helpful": "Found the size for me", "go": "next"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/shopper/visits/{visit.id}/sections/1")
    assert _answers(visit.id) == {"greeted": "yes", "helpful": 4, "notes": None}
    comment = db.session.scalar(select(Answer.comment).where(Answer.question_key == "helpful"))
    assert comment == "Found the size for me"


def test_a_wrong_answer_is_explained_and_everything_typed_is_kept(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    response = _post(shopper, f"/shopper/visits/{visit.id}/sections/1",
                     {"q-queue_wait": "about two minutes", "q-self_checkout": "no", "c-queue_wait": "long queue"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the time in seconds (95) or minutes:seconds (1:35)." in html
    assert 'value="about two minutes"' in html and "long queue" in html
    assert _answers(visit.id)["self_checkout"] == "no"  # the valid answer was saved
    assert "queue_wait" not in _answers(visit.id) or _answers(visit.id)["queue_wait"] is None


def test_minutes_and_seconds_are_stored_as_seconds(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _post(shopper, f"/shopper/visits/{visit.id}/sections/1", {"q-queue_wait": "2:05", "q-self_checkout": "no"})
    assert _answers(visit.id)["queue_wait"] == 125


def test_a_question_revealed_by_an_answer_is_asked_before_moving_on(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    html = shopper.get(f"/shopper/visits/{visit.id}/sections/1").get_data(as_text=True)
    assert re.search(r'id="q-sco_help"[^>]*hidden', html)
    response = _post(shopper, f"/shopper/visits/{visit.id}/sections/1",
                     {"q-queue_wait": "60", "q-self_checkout": "yes"})
    assert response.headers["Location"].endswith(f"/sections/1#q-sco_help")
    html = shopper.get(f"/shopper/visits/{visit.id}/sections/1").get_data(as_text=True)
    assert not re.search(r'id="q-sco_help"[^>]*hidden', html)


def test_review_lists_unanswered_required_questions_with_links(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _post(shopper, f"/shopper/visits/{visit.id}/sections/0", {"q-greeted": "yes"})
    html = shopper.get(f"/shopper/visits/{visit.id}/review").get_data(as_text=True)
    assert "3 required questions are not answered yet" in html
    assert f"/shopper/visits/{visit.id}/sections/0#q-helpful" in html
    assert f"/shopper/visits/{visit.id}/sections/1#q-queue_wait" in html


def test_an_incomplete_visit_is_not_submitted_and_says_what_is_missing(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    response = _post(shopper, f"/shopper/visits/{visit.id}/submit", {"client_uuid": visit.client_uuid})
    assert response.status_code == 422
    assert "required questions are not answered yet" in response.get_data(as_text=True)
    assert db.session.get(Visit, visit.id).status == "draft"


def _complete(shopper: FlaskClient, visit_id: int) -> None:
    _post(shopper, f"/shopper/visits/{visit_id}/sections/0", {"q-greeted": "yes", "q-helpful": "3"})
    _post(shopper, f"/shopper/visits/{visit_id}/sections/1", {"q-queue_wait": "200", "q-self_checkout": "no"})


def test_submitting_scores_the_visit_with_the_engine_and_a_double_tap_counts_once(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _complete(shopper, visit.id)
    first = _post(shopper, f"/shopper/visits/{visit.id}/submit", {"client_uuid": visit.client_uuid})
    second = _post(shopper, f"/shopper/visits/{visit.id}/submit", {"client_uuid": visit.client_uuid})
    assert first.status_code == second.status_code == 302
    # staff: (3 + 0.5) / 4 = 87.5 %; checkout: 200 s -> 0.5 -> 50 %; overall (2 × 87.5 + 50) / 3 = 75 %
    expected = scoring.score(scoring.parse_checklist(publish_mini().definition),
                             {"greeted": "yes", "helpful": 3, "queue_wait": 200, "self_checkout": "no"})
    assert expected.percent == 75
    scores = db.session.scalars(select(VisitScore).where(VisitScore.visit_id == visit.id)).all()
    assert len(scores) == 1 and Fraction(scores[0].percent_exact) == expected.percent
    page = shopper.get(f"/shopper/visits/{visit.id}").get_data(as_text=True)
    assert "Visit submitted" in page
    assert db.session.get(Visit, visit.id).submitted_at is not None


def test_two_simultaneous_submits_store_one_score(app: Flask, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 5, "queue_wait": 30, "self_checkout": "no"}, NOW)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=20)
    # Plain values only: the test's session and its objects must not be touched from the threads.
    user_type, shopper_id, visit_id, client_uuid = type(world.shopper), world.shopper.id, visit.id, visit.client_uuid

    def submit() -> None:
        with app.app_context():
            try:
                shopper = db.session.get(user_type, shopper_id)
                barrier.wait()
                visits.submit_visit(db.session, shopper, visit_id, client_uuid, NOW)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.rollback()  # end this test's own read snapshot before looking
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
    assert db.session.scalar(select(Visit.status).where(Visit.id == visit_id)) == "submitted"


def test_a_submit_with_another_visits_uuid_is_refused(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _complete(shopper, visit.id)
    response = _post(shopper, f"/shopper/visits/{visit.id}/submit", {"client_uuid": str(uuid.uuid4())},
                     follow_redirects=True)
    assert "belongs to a different visit" in response.get_data(as_text=True)
    assert db.session.get(Visit, visit.id).status == "draft"


def test_a_submitted_visit_can_no_longer_be_changed(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    _complete(shopper, visit.id)
    _post(shopper, f"/shopper/visits/{visit.id}/submit", {"client_uuid": visit.client_uuid})
    response = _post(shopper, f"/shopper/visits/{visit.id}/sections/0", {"q-greeted": "no"})
    assert response.status_code == 302
    assert _answers(visit.id)["greeted"] == "yes"


# --- photos ------------------------------------------------------------------------------------------

@pytest.fixture
def photo_visit(world: World) -> Visit:
    version = publish_mini(PHOTO_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    return visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def _upload(shopper: FlaskClient, visit: Visit, data: bytes, name: str = "receipt.jpg"):  # type: ignore[no-untyped-def]
    return _post(shopper, f"/shopper/visits/{visit.id}/sections/0",
                 {"q-paid": "yes", "f-receipt": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_photo_is_stored_re_encoded_and_shown_again(shopper: FlaskClient, world: World, photo_visit: Visit) -> None:
    response = _upload(shopper, photo_visit, _jpeg())
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    assert photo is not None and _answers(photo_visit.id)["receipt"] == photo.sha256
    html = shopper.get(f"/shopper/visits/{photo_visit.id}/sections/0").get_data(as_text=True)
    assert f"/photos/{photo.id}/thumb.jpg" in html
    image = shopper.get(f"/photos/{photo.id}/full.jpg")
    assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"
    assert "private" in image.headers["Cache-Control"]
    image.close()


def test_a_text_file_renamed_to_jpg_is_refused_and_the_other_answers_kept(
        shopper: FlaskClient, world: World, photo_visit: Visit) -> None:
    response = _upload(shopper, photo_visit, b"this is not a picture at all")
    assert response.status_code == 422
    assert "not a photo we can read" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert _answers(photo_visit.id) == {"paid": "yes"}


def test_a_photo_over_15_mb_is_refused(shopper: FlaskClient, world: World, photo_visit: Visit) -> None:
    token = csrf_token_from(shopper, "/shopper/")
    builder = EnvironBuilder(path=f"/shopper/visits/{photo_visit.id}/sections/0", method="POST", data={
        "csrf_token": token, "q-paid": "yes",
        "f-receipt": (io.BytesIO(_jpeg() + b"\0" * (15 * 1024 * 1024)), "huge.jpg")})
    environ = builder.get_environ()
    try:
        response = shopper.open(environ)
    finally:
        environ["wsgi.input"].close()  # the test client spools a large body to a file it does not close
        builder.close()
    assert response.status_code == 422
    assert "larger than 15 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert _answers(photo_visit.id) == {"paid": "yes"}


def test_a_decompression_bomb_is_refused(shopper: FlaskClient, world: World, photo_visit: Visit) -> None:
    # A 20000 × 20000 PNG of one colour compresses to a few hundred kilobytes but would need 1.2 GB to decode.
    out = io.BytesIO()
    Image.new("1", (20000, 20000), 0).save(out, "PNG")
    response = _upload(shopper, photo_visit, out.getvalue(), "bomb.png")
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_location_metadata_is_removed_from_the_stored_photo(shopper: FlaskClient, world: World,
                                                           photo_visit: Visit) -> None:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 40.0, 0.0), 3: "E", 4: (139.0, 45.0, 0.0)}  # GPS IFD
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 10:15:00"
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "blue").save(out, "JPEG", exif=exif)
    assert _upload(shopper, photo_visit, out.getvalue()).status_code == 302
    photo = db.session.scalar(select(Photo))
    with Image.open(world.upload_dir / photo.sha256[:2] / f"{photo.sha256}.jpg") as stored:
        assert 0x8825 not in stored.getexif()
    assert photo.taken_at is not None and photo.taken_at.hour == 10


def test_a_shopper_starts_an_unassigned_visit_only_where_head_office_allows_it(
        shopper: FlaskClient, world: World) -> None:
    from audit_app.models import Checklist

    version = publish_mini()
    assert shopper.get("/shopper/visits/new").status_code == 404
    assert "Start an unassigned visit" not in shopper.get("/shopper/").get_data(as_text=True)
    db.session.get(Checklist, version.checklist_id).allow_unassigned = True
    db.session.commit()
    assert "Start an unassigned visit" in shopper.get("/shopper/").get_data(as_text=True)
    html = shopper.get("/shopper/visits/new").get_data(as_text=True)
    client_uuid = re.search(r'name="client_uuid" type="hidden" value="([^"]+)"', html).group(1)
    response = _post(shopper, "/shopper/visits/new", {"client_uuid": client_uuid, "store_id": world.other_store.id,
                                                       "checklist_id": version.checklist_id})
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.store_id == world.other_store.id and visit.assignment_id is None
    bad = _post(shopper, "/shopper/visits/new", {"client_uuid": str(uuid.uuid4()), "store_id": 999999,
                                                  "checklist_id": version.checklist_id})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)


def test_another_shopper_cannot_see_a_visits_photo_or_pages(app: Flask, world: World, photo_visit: Visit) -> None:
    owner = app.test_client()
    sign_in(owner, world.shopper.email)
    _upload(owner, photo_visit, _jpeg())
    photo = db.session.scalar(select(Photo))
    intruder = app.test_client()
    sign_in(intruder, world.other_shopper.email)
    for path in (f"/photos/{photo.id}/full.jpg", f"/photos/{photo.id}/thumb.jpg",
                 f"/shopper/visits/{photo_visit.id}", f"/shopper/visits/{photo_visit.id}/sections/0",
                 f"/shopper/visits/{photo_visit.id}/review"):
        response = intruder.get(path)
        assert response.status_code == 403, path
        assert b"\xff\xd8" not in response.data[:4]
        response.close()


def test_area_managers_get_404_for_a_drafts_photo_until_it_is_submitted(app: Flask, world: World,
                                                                       photo_visit: Visit) -> None:
    owner = app.test_client()
    sign_in(owner, world.shopper.email)
    _upload(owner, photo_visit, _jpeg())
    photo = db.session.scalar(select(Photo))
    paths = (f"/photos/{photo.id}/full.jpg", f"/photos/{photo.id}/thumb.jpg")
    for email in (world.manager.email, world.other_manager.email):
        manager = app.test_client()
        sign_in(manager, email)
        assert manager.get(f"/manager/visits/{photo_visit.id}").status_code == 404
        for path in paths:
            response = manager.get(path)
            assert response.status_code == 404, (email, path)
            assert b"\xff\xd8" not in response.data[:4]
            response.close()
    visits.submit_visit(db.session, world.shopper, photo_visit.id, photo_visit.client_uuid, NOW)
    manager = app.test_client()
    sign_in(manager, world.manager.email)
    for path in paths:
        response = manager.get(path)
        assert response.status_code == 200 and response.data[:3] == b"\xff\xd8\xff", path
        response.close()


def test_photos_beyond_twenty_a_minute_are_refused_and_the_answers_kept(
        shopper: FlaskClient, world: World, photo_visit: Visit) -> None:
    statuses = [_upload(shopper, photo_visit, _jpeg((64 + i, 48))).status_code for i in range(21)]
    assert statuses == [302] * 20 + [422]
    refused = _upload(shopper, photo_visit, _jpeg((99, 99)))
    assert "You have added many photos in a short time" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 20
    assert _answers(photo_visit.id)["paid"] == "yes"
