"""Faults a production server meets: a worker killed mid-request, PostgreSQL restarting during submissions, a
full upload disk. In each, no submitted data is lost or half-written, the client gets a clear error or its retry
succeeds, and a replayed submission is stored exactly once."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import flask_migrate
import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import Photo, Visit, VisitScore
from audit_app.services import visits
from tests.factories import (NOW, PASSWORD, PHOTO_CHECKLIST, World, csrf_token_from, make_area, make_assignment,
                             make_config, make_region, make_store, make_user, make_visit, publish_mini, sign_in)
from tests.faults.harness import (TRANSPORT_ERRORS, Browser, Gunicorn, Reply, ThrowawayPostgres, fill_disk,
                                  mount_small_disk, unmount, wait_for)

COMPLETE = {"greeted": "yes", "helpful": 3, "queue_wait": 200, "self_checkout": "no"}


@dataclass(frozen=True)
class Draft:
    id: int
    client_uuid: str


def complete_draft(shopper: Any, store: Any) -> Draft:
    """A draft visit with every required answer, ready to submit (plain values: the test's own database
    connection may die with the server)."""
    visit = make_visit(shopper, store)
    visits.save_answers(db.session, shopper, visit.id, COMPLETE, NOW)
    db.session.commit()
    return Draft(visit.id, visit.client_uuid)


def submit(browser: Browser, visit: Draft, token: str, timeout: float = 30) -> Reply:
    """The review page's submit form, as the phone sends it (and replays it from its queue)."""
    return browser.request("POST", f"/shopper/visits/{visit.id}/submit",
                           {"csrf_token": token, "client_uuid": visit.client_uuid}, timeout=timeout)


def stored_once(visit_id: int) -> bool:
    """Submitted, with exactly one score row."""
    db.session.rollback()
    status = db.session.scalar(select(Visit.status).where(Visit.id == visit_id))
    scores = db.session.scalar(select(func.count()).select_from(VisitScore).where(VisitScore.visit_id == visit_id))
    return status == "submitted" and scores == 1


def untouched(visit_id: int) -> bool:
    """Still a draft, with no score: nothing of the interrupted submission was written."""
    db.session.rollback()
    status = db.session.scalar(select(Visit.status).where(Visit.id == visit_id))
    scores = db.session.scalar(select(func.count()).select_from(VisitScore).where(VisitScore.visit_id == visit_id))
    return status == "draft" and scores == 0


@contextmanager
def visit_row_locked(database_url: str, visit_id: int) -> Iterator[None]:
    """Hold the lock a submission needs, so the request waits inside the database until released."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        conn = psycopg.connect(database_url.replace("+psycopg", ""))
        conn.execute("SELECT id FROM visits WHERE id = %s FOR UPDATE", (visit_id,))
        try:
            yield
        finally:
            try:
                conn.rollback()
            except psycopg.OperationalError:
                pass  # the server went away with the lock, as the test meant it to
            conn.close()


def requests_waiting_on_a_lock(database_url: str) -> int:
    if database_url.startswith("sqlite"):
        return -1  # SQLite cannot tell; the caller waits a moment instead
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()").fetchone()
        return int(row[0]) if row else 0


def in_background(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["reply"] = fn()
        except TRANSPORT_ERRORS as error:
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


# --- a gunicorn worker killed in the middle of a submission --------------------------------------


@pytest.fixture
def served(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Any]:
    """gunicorn serving the test database; stopped before the tables are emptied."""
    servers: list[Gunicorn] = []

    def start(workers: int = 1) -> Gunicorn:
        servers.append(Gunicorn(database_url, tmp_path / f"server{len(servers)}", workers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_a_worker_killed_mid_submission_loses_nothing_and_the_retry_is_stored_once(
        world: World, database_url: str, served: Any) -> None:
    visit = complete_draft(world.shopper, world.store)
    server = served(workers=1)
    browser = Browser(server.url)
    browser.sign_in(world.shopper.email, PASSWORD)
    [worker] = server.workers()
    token = browser.csrf_token(f"/shopper/visits/{visit.id}/review")

    with visit_row_locked(database_url, visit.id):
        thread, result = in_background(lambda: submit(browser, visit, token, timeout=60))
        if database_url.startswith("sqlite"):
            time.sleep(1.5)
        else:
            wait_for(lambda: requests_waiting_on_a_lock(database_url) == 1, 15, "the submission to wait on the lock")
        assert thread.is_alive(), "the submission finished before the worker could be killed"
        os.kill(worker, signal.SIGKILL)
        thread.join(30)

    # The phone sees a dropped connection (its page keeps the answers and retries); nothing was half-written.
    assert "error" in result, result
    wait_for(lambda: untouched(visit.id), 10, "the killed request's transaction to be rolled back")
    server.wait_ready()
    assert server.workers() != [worker]

    assert submit(browser, visit, token).status == 302
    assert submit(browser, visit, token).status == 302  # a replay of the same submission
    assert stored_once(visit.id)
    assert "Visit submitted" in browser.request("GET", f"/shopper/visits/{visit.id}").text


# --- PostgreSQL restarting while shoppers submit --------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    yield server
    server.destroy()


@contextmanager
def app_on(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(make_config(tmp_path, database_url))
    with app.app_context():
        flask_migrate.upgrade()
        try:
            yield app
        finally:
            db.session().invalidate()
            db.engine.dispose()


def test_a_postgresql_restart_during_submissions_loses_nothing_and_retries_are_stored_once(
        own_postgres: ThrowawayPostgres, tmp_path: Path) -> None:
    with app_on(own_postgres.url, tmp_path):
        store = make_store(make_area(make_region()))
        shopper = make_user("shopper@test.example")
        shopper_id = shopper.id
        interrupted, during_outage, after = (complete_draft(shopper, store) for _ in range(3))
        db.session.commit()
        server = Gunicorn(own_postgres.url, tmp_path / "server", workers=2)
        try:
            browser = Browser(server.url)
            browser.sign_in(shopper.email, PASSWORD)
            token = browser.csrf_token(f"/shopper/visits/{interrupted.id}/review")

            # 1. A submission is inside the database when PostgreSQL shuts down.
            with visit_row_locked(own_postgres.url, interrupted.id):
                thread, result = in_background(lambda: submit(browser, interrupted, token))
                wait_for(lambda: requests_waiting_on_a_lock(own_postgres.url) == 1, 15,
                         "the submission to wait on the lock")
                own_postgres.stop("fast")
            thread.join(30)
            reply = result["reply"]
            assert reply.status == 503 and "briefly unavailable" in reply.text
            assert reply.headers["Retry-After"] == "5"

            # 2. While it is down, a submission gets the same clear answer.
            down = submit(browser, during_outage, token)
            assert down.status == 503 and "briefly unavailable" in down.text

            # 3. Back up: the retries succeed on the first try, and replays change nothing.
            own_postgres.start()
            for visit in (interrupted, during_outage, after, interrupted, during_outage):
                assert submit(browser, visit, token).status == 302
        finally:
            server.stop()
        db.session().invalidate()  # the test's own connections died with the restart
        db.engine.dispose()
        assert all(stored_once(v.id) for v in (interrupted, during_outage, after))
        logged = [line for line in server.log().splitlines() if '"status":503' in line]
        assert len(logged) == 2 and all(f'"user":"{shopper_id}"' in line for line in logged)


# --- a full upload disk ---------------------------------------------------------------------------


@pytest.fixture
def full_disk(world: World) -> Iterator[Path]:
    """The upload directory on a 256 KB file system, filled up; yields the filler file (delete it to free space)."""
    mount_small_disk(world.upload_dir, 256)
    try:
        yield fill_disk(world.upload_dir)
    finally:
        unmount(world.upload_dir)


def _noisy_jpeg() -> bytes:
    """A photo whose re-encoded copy is far larger than the few bytes left on the disk."""
    image = Image.effect_noise((600, 400), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_photo_on_a_full_disk_is_refused_clearly_and_the_other_answers_are_kept(
        client: FlaskClient, world: World, full_disk: Path) -> None:
    version = publish_mini(PHOTO_CHECKLIST)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    visit = visits.start_visit(db.session, world.shopper, client_uuid="4b8c3c52-6d0e-4c43-9d25-5d7a8f0c2a11",
                               assignment_id=assignment.id, now=NOW)
    assert sign_in(client, world.shopper.email).status_code == 302
    photo = _noisy_jpeg()

    def upload() -> Any:
        path = f"/shopper/visits/{visit.id}/sections/0"
        return client.post(path, data={"csrf_token": csrf_token_from(client, path), "q-paid": "yes",
                                       "f-receipt": (io.BytesIO(photo), "receipt.jpg")},
                           content_type="multipart/form-data")

    refused = upload()
    assert refused.status_code == 422
    assert "The photo could not be saved on the server" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert visits.visit_answers(db.session, visit.id) == {"paid": "yes"}
    assert sorted(p.name for p in world.upload_dir.rglob("*") if p.is_file()) == ["filler.bin"]

    full_disk.unlink()  # the administrator frees some space; the shopper adds the photo again
    assert upload().status_code == 302
    stored = db.session.scalar(select(Photo))
    assert stored is not None and visits.visit_answers(db.session, visit.id)["receipt"] == stored.sha256
    with Image.open(world.upload_dir / stored.sha256[:2] / f"{stored.sha256}.jpg") as image:
        image.load()  # the whole file is there
        assert image.size == (600, 400)


def test_a_visit_is_submitted_even_when_the_upload_disk_is_full(
        client: FlaskClient, world: World, full_disk: Path) -> None:
    visit = complete_draft(world.shopper, world.store)
    assert sign_in(client, world.shopper.email).status_code == 302
    path = f"/shopper/visits/{visit.id}/review"
    form = {"csrf_token": csrf_token_from(client, path), "client_uuid": visit.client_uuid}
    assert client.post(f"/shopper/visits/{visit.id}/submit", data=form).status_code == 302
    assert client.post(f"/shopper/visits/{visit.id}/submit", data=form).status_code == 302
    assert stored_once(visit.id)
