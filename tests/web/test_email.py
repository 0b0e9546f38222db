"""E-mail end to end: events write the outbox, a real SMTP server (tests/smtp_server.py) receives what is sent."""

from __future__ import annotations

import hashlib
import os
import re
import signal
from datetime import date, datetime, timedelta, timezone
from email.header import decode_header
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.mail import parse_smtp_url, send_due, stop_sender
from audit_app.mail.sender import BACKOFF, MAX_ATTEMPTS
from audit_app.mail.transport import SmtpUrlError
from audit_app.models import Assignment, EmailPreference, OutboxMessage, PasswordResetToken, User
from audit_app.services import actions, assignments, jobs, notifications, review
from tests import workers
from tests.factories import (NOW, PASSWORD, World, client_for, csrf_token_from, make_published_checklist,
                             make_submitted_visit, make_user, running_app, sign_in)
from tests.smtp_server import SmtpServer

REDIS_URL = workers.redis_url()
PUBLIC = "https://audits.example.com"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[Flask]:
    """The app sending through the test's SMTP server; outbox sent by the test (`send`) unless parametrised."""
    overrides: dict[str, Any] = {"smtp_url": smtp.url, "public_url": PUBLIC, "mail_delivery": "manual",
                                 "mail_from": "Storecheck <audits@example.com>"}
    overrides.update(getattr(request, "param", {}))
    for built in running_app(database_url, tmp_path, **overrides):
        yield built
        stop_sender(built)


def send(app: Flask, now=None) -> Any:  # type: ignore[no-untyped-def]
    summary = send_due(app, db.session, app.config["STORECHECK_CONFIG"], now=now or datetime.now(timezone.utc))
    db.session.rollback()
    return summary


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def subject_of(message: Any) -> str:
    return str(message["Subject"])


def text_of(message: Any) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: Any) -> str:
    return message.get_body(("html",)).get_content()


def assign(world: World, *, shopper: User | None = None, start: date = NOW.date(), days: int = 7) -> Assignment:
    version = make_published_checklist()
    return assignments.create_assignment(db.session, world.head, shopper_id=(shopper or world.shopper).id,
                                         store_id=world.store.id, checklist_id=version.checklist_id,
                                         window_start=start, window_end=start + timedelta(days=days), now=NOW)


# --- events, rendering, languages ----------------------------------------------------------------------------


def test_a_new_assignment_reaches_the_shopper_after_commit_in_text_and_html(app: Flask, world: World,
                                                                             smtp: SmtpServer) -> None:
    assign(world)
    [row] = outbox()
    assert (row.kind, row.to_address, row.status) == ("assignment_new", world.shopper.email, "pending")
    assert smtp.messages == []  # written with the assignment, sent afterwards

    summary = send(app)
    assert (summary.sent, summary.retrying, summary.failed) == (1, 0, 0)
    [mail] = smtp.messages
    assert smtp.envelopes == [[world.shopper.email]]
    assert mail["To"] == world.shopper.email and mail["From"] == "Storecheck <audits@example.com>"
    assert subject_of(mail) == "New visits assigned to you"
    assert "You have 1 new visit to make:" in text_of(mail) and "Ginza" in text_of(mail)
    assert "Store check" in text_of(mail) and "Nov 20, 2026 to Nov 27, 2026" in text_of(mail)
    assert f"{PUBLIC}/shopper/" in text_of(mail)
    assert f'href="{PUBLIC}/shopper/"' in html_of(mail) and "<strong>Ginza</strong>" in html_of(mail)
    [sent] = outbox()
    assert sent.status == "sent" and sent.attempts == 1 and sent.subject == "New visits assigned to you"
    assert send(app).sent == 0  # sent once


def test_a_japanese_shopper_gets_a_japanese_subject_and_body_encoded_for_any_mail_server(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    world.shopper.locale = "ja"
    db.session.commit()
    visit = make_submitted_visit(world.shopper, world.store, make_published_checklist().checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 60})
    review.decide(db.session, world.head, visit.id, "return", now=NOW, note="レシートの写真を追加してください。")
    send(app)
    # The store's manager hears of the new visit too; the shopper gets the returned visit.
    [at] = [i for i, m in enumerate(smtp.messages) if m["To"] == world.shopper.email]
    mail, raw = smtp.messages[at], smtp.raw[at]
    raw_subject = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", raw, re.M).group(1)  # type: ignore[union-attr]
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject.lower()  # RFC 2047 encoded words
    decoded = "".join(part.decode(charset) if charset else part
                      for part, charset in decode_header(raw_subject.decode("ascii")))
    assert decoded == subject_of(mail) == "訪問が差し戻されました：Ginza"
    assert all(line.isascii() for line in raw.splitlines())  # the body travels encoded too
    assert "レシートの写真を追加してください。" in text_of(mail) and "レビュー担当者のメモ" in text_of(mail)
    assert '<html lang="ja">' in html_of(mail)


def test_every_optional_mail_carries_one_click_unsubscribe_headers_and_a_reset_mail_none(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    assign(world)
    client = app.test_client()
    client.post("/password/forgot", data={"email": world.manager.email,
                                          "csrf_token": csrf_token_from(client, "/password/forgot")})
    send(app)
    assignment_mail, reset_mail = smtp.wait_for(2)
    link = re.fullmatch(r"<(.+)>", assignment_mail["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
    assert link.startswith(f"{PUBLIC}/email/unsubscribe/")
    assert assignment_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text_of(assignment_mail) and f"{PUBLIC}/account/email" in text_of(assignment_mail)
    assert reset_mail["List-Unsubscribe"] is None and "/email/unsubscribe/" not in text_of(reset_mail)


# --- sent reliably ---------------------------------------------------------------------------------------------


def _closed_port_url(scheme: str) -> str:
    """An address on loopback nothing listens on: connecting is refused at once."""
    with SmtpServer() as closed:
        port = closed.url.rsplit(":", 1)[1]
    return f"{scheme}://127.0.0.1:{port}"


def test_a_mail_server_that_is_down_delays_the_mail_and_never_the_request(database_url: str,
                                                                         tmp_path: Path) -> None:
    for app in running_app(database_url, tmp_path, smtp_url=_closed_port_url("smtp"), mail_delivery="manual",
                           public_url=PUBLIC):
        shopper = make_user("shopper@test.example")
        client = app.test_client()
        response = _ask_reset(client, shopper.email)
        assert response.status_code == 200 and "a link to choose a new password is on its way" in \
            response.get_data(as_text=True)
        now = datetime.now(timezone.utc)
        summary = send(app, now)
        assert (summary.sent, summary.retrying) == (0, 1)
        [row] = outbox()
        assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
        assert row.next_attempt_at == now + BACKOFF[0]


def test_a_task_queue_that_is_down_never_fails_the_request_and_the_mail_waits(database_url: str,
                                                                              tmp_path: Path) -> None:
    for app in running_app(database_url, tmp_path, smtp_url="smtp://127.0.0.1:25",
                           redis_url=_closed_port_url("redis"), public_url=PUBLIC):
        shopper = make_user("shopper@test.example")
        response = _ask_reset(app.test_client(), shopper.email)
        assert response.status_code == 200
        [row] = outbox()
        assert row.status == "pending" and row.attempts == 0  # `flask mail send` or the next job sends it


def test_a_refused_mail_is_retried_with_backoff_and_given_up_after_the_last_attempt(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    assign(world)
    smtp.refuse_always = True
    now = NOW
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        summary = send(app, now)
        [row] = outbox()
        assert row.attempts == attempt and "451" in row.last_error
        if attempt < MAX_ATTEMPTS:
            assert row.status == "pending" and summary.retrying == 1
            waits.append(row.next_attempt_at - now)
            assert send(app, now).sent == 0 and outbox()[0].attempts == attempt  # not before its time
            now = row.next_attempt_at
        else:
            assert row.status == "failed" and summary.failed == 1
    assert waits == list(BACKOFF)
    assert smtp.messages == []


def test_a_mail_refused_for_a_while_arrives_on_a_later_attempt(app: Flask, world: World, smtp: SmtpServer) -> None:
    assign(world)
    smtp.refuse_next = 1
    first = datetime.now(timezone.utc)
    assert send(app, first).retrying == 1 and smtp.messages == []
    assert send(app, first + BACKOFF[0]).sent == 1
    [mail] = smtp.messages
    assert subject_of(mail) == "New visits assigned to you"
    [row] = outbox()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_mailbox_the_server_refuses_for_good_is_not_tried_again(app: Flask, world: World, smtp: SmtpServer) -> None:
    assign(world)
    smtp.refuse_always, smtp.refuse_code = True, 550
    assert send(app).failed == 1
    [row] = outbox()
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error


@pytest.mark.parametrize("app", [{"mail_delivery": "thread"}], indirect=True)
def test_without_a_queue_a_sender_thread_sends_what_a_request_wrote(app: Flask, world: World,
                                                                    smtp: SmtpServer) -> None:
    client = app.test_client()
    response = client.post("/password/forgot", data={"email": world.shopper.email,
                                                     "csrf_token": csrf_token_from(client, "/password/forgot")})
    assert response.status_code == 302
    [mail] = smtp.wait_for(1)
    assert subject_of(mail) == "Choose a new password" and mail["To"] == world.shopper.email


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        connection.close()
        if os.environ.get("STORECHECK_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379 (these tests of the RQ queue are skipped)")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def test_with_redis_a_commit_queues_a_job_that_an_rq_worker_runs_to_send_the_mail(
        database_url: str, tmp_path: Path, smtp: SmtpServer, redis_db: redis.Redis) -> None:
    for app in running_app(database_url, tmp_path, smtp_url=smtp.url, redis_url=REDIS_URL, public_url=PUBLIC):
        shopper = make_user("shopper@test.example")
        client = app.test_client()
        client.post("/password/forgot", data={"email": shopper.email,
                                              "csrf_token": csrf_token_from(client, "/password/forgot")})
        queue = Queue(jobs.QUEUE_NAME, connection=redis_db)
        assert queue.count == 1 and smtp.messages == []
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            SimpleWorker([queue], connection=redis_db).work(burst=True)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        [mail] = smtp.messages
        assert subject_of(mail) == "Choose a new password"
        assert outbox()[0].status == "sent"


# --- choices and unsubscribing -----------------------------------------------------------------------------------


def test_a_person_chooses_their_mails_on_their_own_page_and_gets_only_those(app: Flask, world: World,
                                                                            smtp: SmtpServer) -> None:
    client = client_for(app, world.shopper.email)
    page = client.get("/account/email").get_data(as_text=True)
    assert "New visits assigned to me" in page and "Visits returned to me" in page
    assert "Weekly digest" not in page  # not for shoppers
    assert page.count("checked") == 4
    token = csrf_token_from(client, "/account/email")
    response = client.post("/account/email", data={"csrf_token": token, "kind": ["visit_returned", "bogus"]})
    assert response.status_code == 302
    page = client.get("/account/email").get_data(as_text=True)
    assert page.count("checked") == 1 and "Your e-mail choices have been saved." in page
    db.session.rollback()
    stored = dict(db.session.execute(select(EmailPreference.kind, EmailPreference.is_enabled)
                                     .where(EmailPreference.user_id == world.shopper.id)).all())
    assert stored == {"assignment_new": False, "assignment_due_soon": False, "assignment_overdue": False,
                      "visit_returned": True}
    assign(world)
    assert outbox() == []


def test_the_one_click_unsubscribe_link_stops_that_kind_only_and_signs_nobody_in(app: Flask, world: World,
                                                                                smtp: SmtpServer) -> None:
    assign(world)
    send(app)
    link = smtp.messages[0]["List-Unsubscribe"].strip("<>")
    path = link[len(PUBLIC):]
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop sending “New visits assigned to me” e-mails to shopper@test.example?" in page.get_data(as_text=True)
    assert client.get("/shopper/").status_code == 302  # still signed out
    # What a mail program sends (RFC 8058): no CSRF token, no cookie.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not notifications.wants(db.session, world.shopper.id, "assignment_new")
    assert notifications.wants(db.session, world.shopper.id, "visit_returned")
    db.session.rollback()
    assign(world)
    assert [m.kind for m in outbox()] == ["assignment_new"]  # only the first, already sent


def test_the_unsubscribe_page_button_needs_its_form_token(app: Flask, world: World) -> None:
    from audit_app.mail.links import unsubscribe_token

    path = "/email/unsubscribe/" + unsubscribe_token(app.config["SECRET_KEY"], world.manager.id, "weekly_digest")
    client = app.test_client()
    assert client.post(path, data={}).status_code == 400
    done = client.post(path, data={"csrf_token": csrf_token_from(client, path)})
    assert done.status_code == 200 and "no longer gets “Weekly digest” e-mails" in done.get_data(as_text=True)
    assert not notifications.wants(db.session, world.manager.id, "weekly_digest")
    other_key = unsubscribe_token("another-key", world.manager.id, "weekly_digest")
    assert client.get(f"/email/unsubscribe/{other_key}").status_code == 404
    reset = unsubscribe_token(app.config["SECRET_KEY"], world.manager.id, "password_reset")
    assert client.get(f"/email/unsubscribe/{reset}").status_code == 404  # cannot be refused


def test_a_mail_written_before_its_kind_was_turned_off_or_its_person_deactivated_is_not_sent(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    assign(world)
    assign(world, shopper=world.other_shopper)
    notifications.unsubscribe(db.session, world.shopper.id, "assignment_new", now=NOW)
    world.other_shopper.is_active_user = False
    db.session.commit()
    assert send(app).sent == 0 and smtp.messages == []
    assert [(m.status, m.last_error) for m in outbox()] == [
        ("cancelled", "the recipient turned this kind of e-mail off"),
        ("cancelled", "the recipient's account has been deactivated")]


# --- password reset ------------------------------------------------------------------------------------------------


def _ask_reset(client: Any, email: str) -> Any:
    return client.post("/password/forgot", data={"email": email,
                                                 "csrf_token": csrf_token_from(client, "/password/forgot")},
                       follow_redirects=True)


def test_asking_for_a_reset_answers_the_same_whether_or_not_the_address_exists(app: Flask, world: World) -> None:
    known = _ask_reset(app.test_client(), world.shopper.email.upper())
    unknown = _ask_reset(app.test_client(), "nobody@test.example")
    assert known.status_code == unknown.status_code == 200
    csrf = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
    assert csrf.sub("", known.get_data(as_text=True)) == csrf.sub("", unknown.get_data(as_text=True))
    assert "If that address belongs to an account, a link to choose a new password is on its way." in \
        known.get_data(as_text=True)
    assert [m.to_address for m in outbox()] == [world.shopper.email]
    empty = app.test_client().post("/password/forgot", data={"email": "",
                                                             "csrf_token": csrf_token_from(app.test_client(),
                                                                                           "/password/forgot")})
    assert empty.status_code in (400, 422)


def test_a_reset_link_works_once_ends_every_session_and_its_secret_is_kept_only_hashed(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    elsewhere = client_for(app, world.shopper.email)
    assert elsewhere.get("/shopper/").status_code == 200
    _ask_reset(app.test_client(), world.shopper.email)
    send(app)
    [mail] = smtp.messages
    assert "This link works once, for 60 minutes:" in text_of(mail)
    link = re.search(rf"{re.escape(PUBLIC)}(/password/reset/[\w-]+)", text_of(mail)).group(1)  # type: ignore[union-attr]
    secret = link.rsplit("/", 1)[1]
    db.session.rollback()
    [token] = db.session.scalars(select(PasswordResetToken)).all()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.token_hash
    assert notifications.SECRET not in outbox()[0].context  # gone from the outbox once sent

    client = app.test_client()
    form = client.get(link)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/shopper/").status_code == 302  # the link signs nobody in
    csrf = csrf_token_from(client, link)
    weak = client.post(link, data={"csrf_token": csrf, "new": "password123", "confirm": "password123"})
    assert weak.status_code == 422 and "one of the first an attacker would try" in weak.get_data(as_text=True)
    done = client.post(link, data={"csrf_token": csrf, "new": "blue kettle on the stair",
                                   "confirm": "blue kettle on the stair"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert elsewhere.get("/shopper/").status_code == 302  # the other session has ended
    assert sign_in(app.test_client(), world.shopper.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), world.shopper.email, "blue kettle on the stair").status_code == 302
    again = client.post(link, data={"csrf_token": csrf, "new": "another long phrase here",
                                    "confirm": "another long phrase here"})
    assert again.status_code == 410 and "has expired or has been used" in again.get_data(as_text=True)


def test_a_reset_link_expires_and_a_newer_one_replaces_it(app: Flask, world: World) -> None:
    from audit_app.services import password_reset

    password_reset.request_password_reset(db.session, world.shopper.email, now=NOW, valid_for=timedelta(hours=1))
    first = outbox()[0].context[notifications.SECRET]
    # Asked again at once: nothing more is sent (a mailbox is not flooded), and the first link still works.
    password_reset.request_password_reset(db.session, world.shopper.email, now=NOW + timedelta(seconds=30),
                                          valid_for=timedelta(hours=1))
    assert len(outbox()) == 1
    password_reset.check_reset_link(db.session, first, now=NOW + timedelta(seconds=30))
    later = NOW + timedelta(minutes=2)
    password_reset.request_password_reset(db.session, world.shopper.email, now=later, valid_for=timedelta(hours=1))
    second = outbox()[1].context[notifications.SECRET]
    with pytest.raises(password_reset.ResetLinkError):
        password_reset.check_reset_link(db.session, first, now=later)
    password_reset.check_reset_link(db.session, second, now=later + timedelta(minutes=59))
    with pytest.raises(password_reset.ResetLinkError):
        password_reset.check_reset_link(db.session, second, now=later + timedelta(hours=1))


@pytest.mark.parametrize("app", [{"smtp_url": None}], indirect=True)
def test_an_unsent_reset_link_leaves_the_outbox_once_its_time_is_up(app: Flask, world: World) -> None:
    from audit_app.services import password_reset

    long_ago = datetime.now(timezone.utc) - timedelta(minutes=61)
    password_reset.request_password_reset(db.session, world.shopper.email, now=long_ago,
                                          valid_for=timedelta(minutes=60))
    _ask_reset(app.test_client(), world.manager.email)  # a link still valid
    result = app.test_cli_runner().invoke(args=["mail", "scheduled"])
    assert "E-mail is off (SMTP_URL is not set)" in result.output
    old, fresh = outbox()
    assert notifications.SECRET not in old.context and notifications.SECRET in fresh.context


# --- head office, scheduled mails, configuration ---------------------------------------------------------------------


@pytest.mark.parametrize("app", [{"smtp_url": None}], indirect=True)
def test_without_smtp_the_settings_say_e_mail_is_off_and_show_what_would_have_been_sent(
        app: Flask, world: World) -> None:
    assign(world)
    _ask_reset(app.test_client(), world.manager.email)
    assert send(app).is_off
    head = client_for(app, world.head.email)
    page = head.get("/head-office/settings").get_data(as_text=True)
    assert "E-mail is off: SMTP_URL is not set" in page
    assert "New visits assigned to me" in page and world.shopper.email in page and "Waiting" in page
    ids = re.findall(r"/head-office/outbox/(\d+)", page)
    assert len(ids) == 2
    reset_page = head.get(f"/head-office/outbox/{ids[0]}").get_data(as_text=True)
    assert "Choose a new password" in reset_page and "(The link is left out here.)" in reset_page
    assert "/password/reset/" not in reset_page  # head office never sees someone's reset link
    assignment_page = head.get(f"/head-office/outbox/{ids[1]}").get_data(as_text=True)
    assert "You have 1 new visit to make:" in assignment_page and "Ginza" in assignment_page


def test_the_settings_name_the_mail_server_without_its_password(database_url: str, tmp_path: Path) -> None:
    for app in running_app(database_url, tmp_path, smtp_url="smtp+starttls://mailer:s3cr%40t@mail.example.com",
                           mail_from="Audits <audits@example.com>"):
        head = make_user("head@test.example", "head_office")
        page = client_for(app, head.email).get("/head-office/settings").get_data(as_text=True)
        assert "E-mail is on: sent through mailer@mail.example.com:587 (starttls)" in page
        assert "s3cr" not in page


def test_scheduled_reminders_and_digests_are_written_once_from_the_command(app: Flask, world: World,
                                                                           smtp: SmtpServer) -> None:
    today = date.today()
    due_soon = assign(world, start=today - timedelta(days=5), days=6)  # ends tomorrow
    overdue = assign(world, start=today - timedelta(days=9), days=7)  # ended two days ago
    assign(world, start=today - timedelta(days=60), days=7)  # long past: no reminder
    assign(world, start=today, days=10)  # not due soon yet
    version = make_published_checklist()
    at = datetime.now(timezone.utc) - timedelta(days=3)
    make_submitted_visit(world.other_shopper, world.store, version.checklist_id,
                         {"greeted": "yes", "helpful": 5, "queue_wait": 60}, at=at - timedelta(days=30))
    make_submitted_visit(world.other_shopper, world.store, version.checklist_id,
                         {"greeted": "no", "helpful": 2, "queue_wait": 400}, at=at)
    db.session.execute(OutboxMessage.__table__.delete())  # the new-assignment mails
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "scheduled"])
    assert result.exit_code == 0, result.output
    assert ("Wrote 1 due-soon and 1 overdue reminder(s), 1 digest(s); 0 corrective action(s) became overdue; "
            "0 visit plan(s) run.") in result.output
    assert "Sent 3" in result.output
    again = runner.invoke(args=["mail", "scheduled"])
    assert "Wrote 0 due-soon and 0 overdue reminder(s), 0 digest(s);" in again.output
    kinds = {(m.kind, m.to_address) for m in outbox()}
    assert kinds == {("assignment_due_soon", world.shopper.email), ("assignment_overdue", world.shopper.email),
                     ("weekly_digest", world.manager.email)}  # a quiet week in Osaka sends nothing
    by_subject = {subject_of(m): m for m in smtp.messages}
    assert f"Visit due soon: Ginza" in by_subject and "Visit overdue: Ginza" in by_subject
    digest = by_subject["Your week in Tokyo Central"]
    assert "1 new visit in Tokyo Central in the last 7 days." in text_of(digest)
    assert "Biggest changes since the store's previous visit:" in text_of(digest)
    assert re.search(r"Ginza: \d+\.\d% \(-\d+\.\d\)", text_of(digest))
    assert due_soon.id != overdue.id


def test_smtp_urls_name_the_server_its_security_and_who_signs_in() -> None:
    assert parse_smtp_url("smtp://mail.example.com").display == "mail.example.com:25 (plain)"
    secure = parse_smtp_url("smtps://a%40b:p%2Fw@mail.example.com:2465")
    assert (secure.host, secure.port, secure.security, secure.username, secure.password) == \
        ("mail.example.com", 2465, "tls", "a@b", "p/w")
    assert parse_smtp_url("smtp+starttls://mail.example.com").port == 587
    assert parse_smtp_url("smtp://mail.example.com:2525?starttls=true").security == "starttls"
    for bad in ("http://mail.example.com", "smtp://", "mail.example.com", "smtp://h:port"):
        with pytest.raises(SmtpUrlError):
            parse_smtp_url(bad)


def test_corrective_actions_mail_their_assignee_given_due_soon_overdue_and_reopened_once_each(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    from audit_app.services import actions

    world.store_manager.locale = "ja"
    db.session.commit()
    now = datetime.now(timezone.utc)
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high", due_on=(now + timedelta(days=2)).date(),
                                   assignee_id=world.store_manager.id, now=now)
    actions.mark_overdue(db.session, now=now)  # due in two days: a reminder
    actions.mark_overdue(db.session, now=now + timedelta(hours=1))  # the same reminder is not written twice
    actions.mark_overdue(db.session, now=now + timedelta(days=4))  # past its day: overdue
    actions.mark_overdue(db.session, now=now + timedelta(days=5))
    actions.resolve_action(db.session, world.store_manager, action.id, comment="New hinge", photo=None,
                           upload_dir=app.config["UPLOAD_DIR"], now=now + timedelta(days=5))
    actions.reopen_action(db.session, world.manager, action.id, reason="Still squeaks", now=now + timedelta(days=6))
    send(app, now + timedelta(days=6))
    got = [(m["To"], subject_of(m)) for m in smtp.messages]
    assert got == [(world.store_manager.email, "是正措置：Ginza"),
                   (world.store_manager.email, "是正措置の期限が近づいています：Ginza"),
                   (world.store_manager.email, "是正措置の期限が過ぎています：Ginza"),
                   (world.store_manager.email, "是正措置が再開されました：Ginza")]
    reopened = text_of(smtp.messages[-1])
    assert "Still squeaks" in reopened and "Fix the door" in reopened and f"/actions/{action.id}" in reopened


def test_a_store_manager_hears_of_each_visit_that_counts_with_links_to_the_page_and_the_pdf(
        app: Flask, world: World, smtp: SmtpServer) -> None:
    visit = make_submitted_visit(world.shopper, world.store, make_published_checklist().checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 60})
    make_submitted_visit(world.other_shopper, world.other_store, make_published_checklist().checklist_id,
                         {"greeted": "yes", "helpful": 4, "queue_wait": 60})
    send(app)
    [mail] = [m for m in smtp.messages if m["To"] == world.store_manager.email]
    assert subject_of(mail) == "New visit scored: Ginza"
    body = text_of(mail)
    assert f"/manager/stores/{world.store.id}/scorecard.pdf" in body and "%" in body
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key
                                                             == f"scorecard_ready:{visit.id}:{world.store_manager.id}"))


def test_a_japanese_store_manager_hears_of_a_scored_visit_in_japanese(app: Flask, world: World,
                                                                      smtp: SmtpServer) -> None:
    world.store_manager.locale = "ja"
    db.session.commit()
    make_submitted_visit(world.shopper, world.store, make_published_checklist().checklist_id,
                         {"greeted": "yes", "helpful": 4, "queue_wait": 60})
    send(app)
    [mail] = [m for m in smtp.messages if m["To"] == world.store_manager.email]
    assert subject_of(mail) == "新しい調査が採点されました：Ginza"
    body = text_of(mail)
    assert "Ginzaへの新しい調査が採点されました：" in body and "店舗のPDFスコアカード（先にサインインしてください）：" in body
    assert f"/manager/stores/{world.store.id}/scorecard.pdf" in body and "has been scored" not in body
    assert '<html lang="ja">' in html_of(mail)


def test_the_weekly_digest_lists_the_areas_overdue_corrective_actions(app: Flask, world: World,
                                                                      smtp: SmtpServer) -> None:
    from audit_app.models import Action

    now = datetime.now(timezone.utc)
    make_submitted_visit(world.shopper, world.store, make_published_checklist().checklist_id,
                         {"greeted": "yes", "helpful": 4, "queue_wait": 60}, at=now - timedelta(days=1))
    for title, due, status in (("Fix the door", -3, "open"), ("Restock", 5, "open"), ("Old mat", -9, "closed")):
        db.session.add(Action(store_id=world.store.id, title=title, priority="high", status=status, source="manual",
                              due_on=(now + timedelta(days=due)).date(), created_at=now, updated_at=now))
    db.session.commit()
    notifications.write_scheduled(db.session, now=now)
    send(app, now)
    [digest] = [m for m in smtp.messages if m["To"] == world.manager.email]
    body = text_of(digest)
    assert "1 corrective action is overdue:" in body and "Fix the door" in body
    assert "Restock" not in body and "Old mat" not in body and "/actions/" in body


def test_the_digest_judges_overdue_by_the_stores_own_day_as_the_hourly_notes_do(app: Flask, world: World,
                                                                                  smtp: SmtpServer) -> None:
    from audit_app.models import Action

    # 20:00 UTC on the 2nd is 05:00 on the 3rd in Tokyo: an action due on the 2nd is overdue there already.
    now = datetime.now(timezone.utc).replace(hour=20, minute=0, second=0, microsecond=0)
    utc_today = now.date()
    assert world.store.timezone == "Asia/Tokyo"
    make_submitted_visit(world.shopper, world.store, make_published_checklist().checklist_id,
                         {"greeted": "yes", "helpful": 4, "queue_wait": 60}, at=now - timedelta(days=1))
    for title, due in (("Fix the door", utc_today), ("Restock", utc_today + timedelta(days=1))):
        db.session.add(Action(store_id=world.store.id, title=title, priority="high", status="open",
                              source="manual", due_on=due, created_at=now - timedelta(days=5), updated_at=now))
    db.session.commit()
    assert actions.mark_overdue(db.session, now=now) == 1
    notifications.write_scheduled(db.session, now=now)
    send(app, now)
    [digest] = [m for m in smtp.messages if m["To"] == world.manager.email]
    body = text_of(digest)
    assert "1 corrective action is overdue:" in body and "Fix the door" in body and "Restock" not in body
