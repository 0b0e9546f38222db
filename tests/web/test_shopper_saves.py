"""What a section save may change: photo answers only by the shopper's own act, a photo answer always names a
stored photo, and a stale page (a second tab or phone) never clears or overwrites what another screen saved."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, Photo, Visit, VisitScore
from audit_app.services import photos, visit_pages, visits
from tests.factories import NOW, PHOTO_CHECKLIST, World, csrf_token_from, make_assignment, make_visit, publish_mini

JSON = {"Accept": "application/json"}
BASE_RE = re.compile(r'name="(bc?-[a-z0-9_]+)" value="([0-9a-f]{16})"')


@pytest.fixture
def photo_visit(world: World) -> Visit:
    version = publish_mini(PHOTO_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    return visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def _jpeg(colour: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _post(client: FlaskClient, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    token = csrf_token_from(client, "/shopper/")
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def _page_bases(client: FlaskClient, path: str) -> dict[str, str]:
    """The b-/bc- fields a section page carries, as its form would post them back."""
    return dict(BASE_RE.findall(client.get(path).get_data(as_text=True)))


def _stored(visit_id: int) -> dict[str, Answer]:
    db.session.rollback()
    return {a.question_key: a for a in db.session.scalars(select(Answer).where(Answer.visit_id == visit_id))}


# --- 1. a photo answer changes only by an upload, a remove or N/A ---------------------------------------------

def test_typing_a_comment_after_a_photo_keeps_the_photo_answer(shopper: FlaskClient, photo_visit: Visit) -> None:
    path = f"/shopper/visits/{photo_visit.id}/sections/0"
    first = _post(shopper, path, {"q-paid": "yes", "f-receipt": (io.BytesIO(_jpeg()), "r.jpg")},
                  content_type="multipart/form-data", headers=JSON)
    assert first.status_code == 200 and first.get_json()["ok"] is True
    photo = db.session.scalar(select(Photo))
    assert first.get_json()["photos"]["receipt"]["id"] == photo.id
    html = shopper.get(path).get_data(as_text=True)
    assert 'name="q-receipt"' not in html  # no hidden answer field for a photo any more
    assert 'name="remove-receipt"' in html and "Remove photo" in html
    # The page's next autosave (a comment typed), as older pages sent it: an empty photo field and no file.
    second = _post(shopper, path, {"q-paid": "yes", "q-receipt": "", "c-receipt": "Receipt was crumpled"},
                   headers=JSON)
    assert second.status_code == 200 and second.get_json()["ok"] is True
    stored = _stored(photo_visit.id)
    assert stored["receipt"].value == photo.sha256 and stored["receipt"].comment == "Receipt was crumpled"
    assert second.get_json()["photos"]["receipt"]["thumb_url"].endswith(f"/photos/{photo.id}/thumb.jpg")


SHOWN_PHOTO_CHECKLIST = {
    "key": "hazard_check", "title": "Hazard check", "channel": "in_store",
    "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "s", "title": "Floor", "questions": [
        {"key": "hazard", "type": "yes_no", "text": "Did you see a hazard?"},
        {"key": "hazard_photo", "type": "photo", "text": "Photo of the hazard",
         "show_if": {"question": "hazard", "equals": "yes"}},
    ]}],
}


def test_a_photo_picked_as_its_question_appears_is_stored_with_the_answer_that_shows_it(
        shopper: FlaskClient, world: World) -> None:
    """The phone reveals the photo question on "yes" and the shopper picks a photo at once: one save carries the
    answer and the file, although the question was hidden when the page was drawn."""
    version = publish_mini(SHOWN_PHOTO_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    visit = visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                               assignment_id=assignment.id, now=NOW)
    path = f"/shopper/visits/{visit.id}/sections/0"
    assert 'id="q-hazard_photo"' in shopper.get(path).get_data(as_text=True)
    saved = _post(shopper, path, {**_page_bases(shopper, path), "q-hazard": "yes",
                                  "f-hazard_photo": (io.BytesIO(_jpeg()), "hazard.jpg")},
                  content_type="multipart/form-data", headers=JSON)
    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    photo = db.session.scalar(select(Photo).where(Photo.visit_id == visit.id))
    assert photo is not None
    stored = _stored(visit.id)
    assert stored["hazard"].value == "yes" and stored["hazard_photo"].value == photo.sha256


def test_remove_photo_clears_the_answer_and_the_photo(shopper: FlaskClient, world: World,
                                                      photo_visit: Visit) -> None:
    path = f"/shopper/visits/{photo_visit.id}/sections/0"
    _post(shopper, path, {"q-paid": "yes", "f-receipt": (io.BytesIO(_jpeg()), "r.jpg")},
          content_type="multipart/form-data")
    photo = db.session.scalar(select(Photo))
    stored_file = world.upload_dir / photo.sha256[:2] / f"{photo.sha256}.jpg"
    assert stored_file.exists()
    response = _post(shopper, path, {**_page_bases(shopper, path), "q-paid": "yes", "remove-receipt": "1"},
                     headers=JSON)
    assert response.get_json()["photos"] == {"receipt": None}
    assert _stored(photo_visit.id)["receipt"].value is None
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert not stored_file.exists()
    html = shopper.get(path).get_data(as_text=True)
    assert "/thumb.jpg" not in html and "Remove photo" not in html


# --- 2. a photo answer names a stored photo of that visit and question ------------------------------------------

def test_a_photo_answer_posted_without_a_file_is_not_taken(shopper: FlaskClient, photo_visit: Visit) -> None:
    path = f"/shopper/visits/{photo_visit.id}/sections/0"
    _post(shopper, path, {"q-paid": "yes", "q-receipt": "not-a-photo"})
    assert _stored(photo_visit.id).get("receipt") is None or _stored(photo_visit.id)["receipt"].value is None
    response = _post(shopper, f"/shopper/visits/{photo_visit.id}/submit", {"client_uuid": photo_visit.client_uuid})
    assert response.status_code == 422  # the required photo is still missing
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 0


def test_the_services_refuse_a_photo_answer_that_names_no_stored_photo(world: World, photo_visit: Visit) -> None:
    other = make_visit(world.shopper, world.other_store)
    elsewhere = photos.add_photo(db.session, world.shopper, other.id, "notes", _jpeg("blue"),
                                 upload_dir=world.upload_dir, now=NOW)
    for bogus in ("not-a-photo", elsewhere.sha256):
        with pytest.raises(visits.InvalidAnswerError) as refused:
            visits.save_answers(db.session, world.shopper, photo_visit.id, {"paid": "yes", "receipt": bogus}, NOW)
        assert refused.value.question_key == "receipt"
        saved = visits.save_section(db.session, world.shopper, photo_visit.id, 0, {"paid": "yes", "receipt": bogus},
                                    {}, NOW)
        assert "receipt" in saved.problems
    # An answer stored some other way (older code, an import) is refused at submit: no score for a missing photo.
    db.session.add(Answer(visit_id=photo_visit.id, question_key="receipt", value="not-a-photo", is_na=False,
                          comment=""))
    db.session.commit()
    with pytest.raises(visits.InvalidAnswerError) as refused:
        visits.submit_visit(db.session, world.shopper, photo_visit.id, photo_visit.client_uuid, NOW)
    assert refused.value.question_key == "receipt"
    db.session.rollback()
    assert db.session.get(Visit, photo_visit.id).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 0


def test_a_photo_of_the_visit_is_a_valid_answer(world: World, photo_visit: Visit) -> None:
    photo = photos.add_photo(db.session, world.shopper, photo_visit.id, "receipt", _jpeg(),
                             upload_dir=world.upload_dir, now=NOW)
    visits.save_answers(db.session, world.shopper, photo_visit.id, {"paid": "yes", "receipt": photo.sha256}, NOW)
    submitted = visits.submit_visit(db.session, world.shopper, photo_visit.id, photo_visit.client_uuid, NOW)
    assert submitted.status == "submitted"


# --- 3. two tabs: a stale page changes only what it changed, and says so when it cannot ----------------------

def test_a_stale_tab_with_a_radio_unselected_keeps_the_other_tabs_answer_and_comment(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    path = f"/shopper/visits/{visit.id}/sections/0"
    tab_a, tab_b = _page_bases(shopper, path), _page_bases(shopper, path)  # both opened before any answer
    saved_a = _post(shopper, path, {**tab_a, "q-greeted": "yes", "c-greeted": "Warm hello at the door"},
                    headers=JSON)
    assert saved_a.get_json()["ok"] is True
    # Tab B saves its section: greeted left unselected, its comment box still empty, helpful answered.
    saved_b = _post(shopper, path, {**tab_b, "q-helpful": "4", "c-greeted": ""}, headers=JSON)
    body = saved_b.get_json()
    assert body["ok"] is True and body["conflicts"] == {}
    stored = _stored(visit.id)
    assert stored["greeted"].value == "yes" and stored["greeted"].comment == "Warm hello at the door"
    assert stored["helpful"].value == 4
    # The answer's new bases are what is stored now, for every question of the section.
    assert body["bases"] == {"greeted": visit_pages.answer_token("yes"), "helpful": visit_pages.answer_token(4),
                             "notes": visit_pages.answer_token(None)}
    assert body["comment_bases"]["greeted"] == visit_pages.comment_token("Warm hello at the door")
    assert body["sections"][0] == {"index": 0, "answered": 2, "total": 3, "is_done": False}
    assert body["answered"] == 2 and body["total"] == 5


def test_a_stale_tab_changing_an_answer_saved_elsewhere_gets_a_conflict_not_an_overwrite(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    path = f"/shopper/visits/{visit.id}/sections/0"
    tab_a, tab_b = _page_bases(shopper, path), _page_bases(shopper, path)
    _post(shopper, path, {**tab_a, "q-greeted": "yes", "c-greeted": "At the door"}, headers=JSON)
    response = _post(shopper, path, {**tab_b, "q-greeted": "no", "c-greeted": "Nobody said hello",
                                     "q-helpful": "2"}, headers=JSON)
    body = response.get_json()
    assert response.status_code == 200 and body["ok"] is False
    assert body["conflicts"]["greeted"].startswith("Changed on another screen since you opened this page")
    assert body["stored"] == {"greeted": "yes"} and body["stored_comments"] == {"greeted": "At the door"}
    stored = _stored(visit.id)
    assert stored["greeted"].value == "yes" and stored["greeted"].comment == "At the door"
    assert stored["helpful"].value == 2  # the rest of the page was saved
    # Choosing again on the page (now based on the stored answer) replaces it.
    again = _post(shopper, path, {"b-greeted": body["bases"]["greeted"], "q-greeted": "no"}, headers=JSON)
    assert again.get_json()["ok"] is True and _stored(visit.id)["greeted"].value == "no"


def test_without_javascript_a_conflict_is_shown_beside_the_question_with_the_stored_answer(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    path = f"/shopper/visits/{visit.id}/sections/0"
    stale = _page_bases(shopper, path)
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": "yes"}, NOW)  # the other phone
    response = _post(shopper, path, {**stale, "q-greeted": "no", "q-helpful": "5", "q-notes": "Busy Saturday"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Changed on another screen since you opened this page: the saved answer is shown." in html
    assert re.search(r'name="q-greeted" value="yes" checked', html)
    assert re.search(r'name="q-helpful" value="5" checked', html) and "Busy Saturday" in html
    assert _stored(visit.id)["greeted"].value == "yes" and _stored(visit.id)["notes"].value == "Busy Saturday"


def test_a_page_that_changed_nothing_leaves_answers_saved_elsewhere_alone(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    path = f"/shopper/visits/{visit.id}/sections/1"
    stale = _page_bases(shopper, path)
    visits.save_answers(db.session, world.shopper, visit.id, {"queue_wait": 95, "self_checkout": "no"}, NOW,
                        comments={"queue_wait": "Two tills open"})
    # The stale page posts its empty fields back (Save and continue without touching anything).
    response = _post(shopper, path, {**stale, "q-queue_wait": "", "c-queue_wait": "", "c-self_checkout": ""})
    assert response.status_code == 302
    stored = _stored(visit.id)
    assert stored["queue_wait"].value == 95 and stored["queue_wait"].comment == "Two tills open"
    assert stored["self_checkout"].value == "no"


def test_a_multi_line_comment_posted_back_unchanged_is_not_a_change(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id, {"notes": "Line one\nLine two"}, NOW,
                        comments={"notes": "First\nSecond"})
    path = f"/shopper/visits/{visit.id}/sections/0"
    page = _page_bases(shopper, path)
    visits.save_answers(db.session, world.shopper, visit.id, {"greeted": "yes"}, NOW)
    # Browsers send a textarea's line breaks as CR LF.
    response = _post(shopper, path, {**page, "q-notes": "Line one\r\nLine two", "c-notes": "First\r\nSecond"},
                     headers=JSON)
    assert response.get_json()["conflicts"] == {}
    assert _stored(visit.id)["notes"].value == "Line one\nLine two"
    assert _stored(visit.id)["greeted"].value == "yes"


def test_na_is_a_change_like_any_other_answer(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id, {"self_checkout": "yes"}, NOW)
    path = f"/shopper/visits/{visit.id}/sections/1"
    page = _page_bases(shopper, path)
    response = _post(shopper, path, {**page, "q-self_checkout": "yes", "q-sco_help": "__na__"}, headers=JSON)
    assert response.get_json()["ok"] is True
    assert _stored(visit.id)["sco_help"].is_na is True
    assert response.get_json()["bases"]["sco_help"] == visit_pages.answer_token(scoring.NA)


# --- 6. one section save is one transaction ------------------------------------------------------------------

def test_a_save_that_fails_half_way_stores_neither_the_photo_nor_the_answers(
        shopper: FlaskClient, photo_visit: Visit, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def database_gone(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO answers ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(visits, "_write_answers", database_gone)
    response = _post(shopper, f"/shopper/visits/{photo_visit.id}/sections/0",
                     {"q-paid": "yes", "f-receipt": (io.BytesIO(_jpeg()), "r.jpg")},
                     content_type="multipart/form-data", headers=JSON)
    assert response.status_code == 503
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert _stored(photo_visit.id) == {}


def test_a_comment_or_text_answer_over_the_limit_is_refused_in_words_never_cut(shopper: FlaskClient,
                                                                                world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    path = f"/shopper/visits/{visit.id}/sections/0"
    bases = _page_bases(shopper, path)
    long = "x" * 4001
    saved = _post(shopper, path, {**bases, "q-greeted": "yes", "c-helpful": long, "q-helpful": "4",
                                  "q-notes": long}, headers=JSON).get_json()
    assert "4,000" in saved["problems"]["helpful"] and "4,001" in saved["problems"]["helpful"]
    assert "4,000" in saved["problems"]["notes"]
    stored = _stored(visit.id)
    assert stored["greeted"].value == "yes"
    assert "notes" not in stored and ("helpful" not in stored or stored["helpful"].comment in ("", None))
    # Within the limit, the same comment is kept whole.
    fine = "y" * 4000
    _post(shopper, path, {**_page_bases(shopper, path), "q-helpful": "4", "c-helpful": fine}, headers=JSON)
    assert _stored(visit.id)["helpful"].comment == fine
