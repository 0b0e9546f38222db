"""Many requests at once for one visit or one assignment, each on its own thread with its own database session:
no 500s, nothing lost, one visit per assignment, one score. Runs on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from audit_app.extensions import db
from audit_app.models import Answer, Assignment, Visit, VisitScore
from audit_app.services import visits
from tests.factories import NOW, World, csrf_token_from, make_assignment, make_visit, publish_mini, sign_in


def _signed_in_clients(app: Flask, email: str, count: int) -> tuple[list[FlaskClient], str]:
    """`count` test clients sharing one signed-in session (cookie and CSRF token), one per thread."""
    first = app.test_client()
    sign_in(first, email)
    token = csrf_token_from(first, "/shopper/")
    cookie = first.get_cookie("session")
    clients = [first]
    for _ in range(count - 1):
        client = app.test_client()
        client.set_cookie(cookie.key, cookie.value)
        clients.append(client)
    return clients, token


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call on its own thread, released together; exceptions come back as results."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _fresh_look() -> None:
    db.session.rollback()  # end this test's own read snapshot before looking


def test_forty_parallel_first_saves_of_one_section_all_answer_it(app: Flask, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    clients, token = _signed_in_clients(app, world.shopper.email, 40)
    path = f"/shopper/visits/{visit.id}/sections/0"

    def save(client: FlaskClient, n: int) -> Callable[[], Any]:
        data = {"csrf_token": token, "q-greeted": "yes", "q-helpful": str(1 + n % 5), "q-notes": f"Note {n}",
                "c-greeted": f"Comment {n}"}
        return lambda: client.post(path, data=data, headers={"Accept": "application/json"})

    responses = _all_at_once([save(client, n) for n, client in enumerate(clients)])
    failures = [r for r in responses if isinstance(r, BaseException) or r.status_code != 200]
    assert failures == []
    assert all(r.get_json()["ok"] for r in responses)
    _fresh_look()
    rows = db.session.scalars(select(Answer).where(Answer.visit_id == visit.id)).all()
    assert sorted(a.question_key for a in rows) == ["greeted", "helpful", "notes"]
    by_key = {a.question_key: a for a in rows}
    assert by_key["greeted"].value == "yes" and by_key["helpful"].value in range(1, 6)
    assert by_key["notes"].value.startswith("Note ") and by_key["greeted"].comment.startswith("Comment ")


def test_twenty_parallel_starts_of_one_assignment_make_one_visit(app: Flask, world: World) -> None:
    version = publish_mini()
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    clients, token = _signed_in_clients(app, world.shopper.email, 20)
    path = f"/shopper/assignments/{assignment.id}/start"

    def start(client: FlaskClient) -> Callable[[], Any]:
        data = {"csrf_token": token, "client_uuid": str(uuid.uuid4())}  # twenty phones or tabs
        return lambda: client.post(path, data=data)

    responses = _all_at_once([start(client) for client in clients])
    assert [r for r in responses if isinstance(r, BaseException) or r.status_code != 302] == []
    _fresh_look()
    stored = db.session.scalars(select(Visit).where(Visit.assignment_id == assignment.id)).all()
    assert len(stored) == 1
    assert {r.headers["Location"] for r in responses} == {f"/shopper/visits/{stored[0].id}"}


def test_parallel_service_starts_with_different_client_ids_return_the_one_open_visit(
        app: Flask, world: World) -> None:
    version = publish_mini()
    assignment_id = make_assignment(world.shopper, world.store, version.checklist_id).id
    user_type, shopper_id = type(world.shopper), world.shopper.id

    def start() -> int:
        with app.app_context():
            try:
                shopper = db.session.get(user_type, shopper_id)
                return visits.start_visit(db.session, shopper, client_uuid=str(uuid.uuid4()), now=NOW,
                                          assignment_id=assignment_id).id
            finally:
                db.session.remove()

    ids = _all_at_once([start] * 20)
    assert [i for i in ids if isinstance(i, BaseException)] == []
    assert len(set(ids)) == 1
    _fresh_look()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_two_phones_submitting_one_assignment_store_one_visit_and_one_score(app: Flask, world: World) -> None:
    version = publish_mini()
    assignment_id = make_assignment(world.shopper, world.store, version.checklist_id).id
    user_type, shopper_id = type(world.shopper), world.shopper.id
    answers = {"greeted": "yes", "helpful": 5, "queue_wait": 30, "self_checkout": "no"}

    def phone() -> str:
        # Each phone starts with its own client id, answers, and submits with the visit's id it was given.
        with app.app_context():
            try:
                shopper = db.session.get(user_type, shopper_id)
                visit = visits.start_visit(db.session, shopper, client_uuid=str(uuid.uuid4()), now=NOW,
                                           assignment_id=assignment_id)
                visit_id, client_uuid = visit.id, visit.client_uuid
                visits.save_answers(db.session, shopper, visit_id, answers, NOW)
                return visits.submit_visit(db.session, shopper, visit_id, client_uuid, NOW).status
            except visits.VisitError as error:  # the other phone submitted first: this one may not change it
                return type(error).__name__
            finally:
                db.session.remove()

    outcomes = _all_at_once([phone, phone])
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert "submitted" in outcomes
    _fresh_look()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
    assert db.session.get(Assignment, assignment_id).status == "done"


def test_a_start_after_the_visit_was_submitted_is_refused_with_a_message(app: Flask, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visits.save_answers(db.session, world.shopper, visit.id,
                        {"greeted": "yes", "helpful": 5, "queue_wait": 30, "self_checkout": "no"}, NOW)
    visits.submit_visit(db.session, world.shopper, visit.id, visit.client_uuid, NOW)
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    response = client.post(f"/shopper/assignments/{visit.assignment_id}/start",
                           data={"csrf_token": token, "client_uuid": str(uuid.uuid4())}, follow_redirects=True)
    assert "The visit of this assignment has already been submitted." in response.get_data(as_text=True)
    _fresh_look()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_a_second_phone_starting_an_open_assignment_continues_its_visit(app: Flask, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    client = app.test_client()
    sign_in(client, world.shopper.email)
    token = csrf_token_from(client, "/shopper/")
    response = client.post(f"/shopper/assignments/{visit.assignment_id}/start",
                           data={"csrf_token": token, "client_uuid": str(uuid.uuid4())})
    assert response.status_code == 302 and response.headers["Location"] == f"/shopper/visits/{visit.id}"
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "already started on another screen" in page
    assert visit.client_uuid in page  # the page submits with the visit's own id


@pytest.mark.parametrize("status", ["draft", "returned"])
def test_the_database_allows_one_open_visit_per_assignment(app: Flask, world: World, status: str) -> None:
    from sqlalchemy.exc import IntegrityError

    visit = make_visit(world.shopper, world.store)
    visit.status = status
    db.session.commit()
    db.session.add(Visit(client_uuid=str(uuid.uuid4()), store_id=visit.store_id, shopper_id=visit.shopper_id,
                         checklist_version_id=visit.checklist_version_id, assignment_id=visit.assignment_id,
                         status="draft", started_at=NOW, updated_at=NOW))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
