"""Signed webhooks, end to end: head office registers an endpoint, events raised by real use cases reach a real
HTTP receiver on loopback (allowed by WEBHOOK_ALLOWED_HOSTS) signed as docs/webhooks.md says, failures are retried
with backoff, repeated failures turn the endpoint off, and a delivery can be sent again."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from audit_app.config import PROJECT_ROOT
from audit_app.extensions import db
from audit_app.models import AuditLog, Visit, WebhookDelivery, WebhookEndpoint, WebhookEvent
from audit_app.services import review, webhooks
from tests.factories import (
    World, client_for, csrf_token_from, make_published_checklist, make_submitted_visit, running_app,
)

ANSWERS = {"greeted": "yes", "helpful": 4, "queue_wait": 90}


# --- a real receiver on loopback -------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (the last one repeats) and keeps what it got."""

    port: int = 0
    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b'{"ok": true}'
    delay: float = 0.0
    drip: bool = False  # answer one byte every tenth of a second, for four seconds
    got: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.got.append(Received(self.path, dict(self.headers.items()), body))
            if state.delay:
                release.wait(state.delay)
            if state.drip:
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    for _ in range(40):
                        if release.wait(0.1):
                            break
                        self.wfile.write(b"x")
                        self.wfile.flush()
                except OSError:
                    pass  # the sender gave up
                self.close_connection = True
                return
            status = state.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.url("/elsewhere"))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The receiver's loopback address is allowed; three failures in a row turn an endpoint off; API links start
    with PUBLIC_URL."""
    yield from running_app(database_url, tmp_path, public_url="https://audits.example.com",
                           webhook_allowed_hosts=("127.0.0.1",), webhook_disable_after=3,
                           webhook_timeout_seconds=2.0)


def documented_verifier() -> Any:
    """The receiver check of docs/webhooks.md, run as written."""
    text = (PROJECT_ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102  (our own documentation)
    return namespace


def add_endpoint(client: FlaskClient, url: str, events: tuple[str, ...] = ("visit.approved",)) -> tuple[int, str]:
    """Register an endpoint on the head-office page; returns its id and the secret shown once."""
    token = csrf_token_from(client, "/head-office/webhooks/new")
    response = client.post("/head-office/webhooks/new", data={"csrf_token": token, "url": url,
                                                              "event_types": list(events)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    secret = re.search(r'>(whsec_[^<]+)</textarea>', page).group(1)  # type: ignore[union-attr]
    endpoint_id = int(re.search(r"/head-office/webhooks/(\d+)\"", page).group(1))  # type: ignore[union-attr]
    return endpoint_id, secret


def post_action(client: FlaskClient, path: str, page: str, **data: str) -> Any:
    token = csrf_token_from(client, page)
    return client.post(path, data={"csrf_token": token, **data})


def approve_on_the_page(client: FlaskClient, visit_id: int) -> None:
    response = post_action(client, f"/head-office/visits/{visit_id}", f"/head-office/visits/{visit_id}",
                           decision="approve")
    assert response.status_code == 302, response.get_data(as_text=True)


def submitted_visit(world: World, by_other_shopper: bool = False) -> int:
    """A submitted visit (publishing the checklist the first time)."""
    checklist_id = make_published_checklist().checklist_id
    shopper = world.other_shopper if by_other_shopper else world.shopper
    return make_submitted_visit(shopper, world.store, checklist_id, ANSWERS).id


def settings(app: Flask) -> webhooks.DeliverySettings:
    return webhooks.DeliverySettings.from_config(app.config["STORECHECK_CONFIG"])


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def only_delivery() -> WebhookDelivery:
    db.session.rollback()
    return db.session.scalars(select(WebhookDelivery)).one()


# --- tests ---------------------------------------------------------------------------------------------------


def test_an_approval_on_the_review_page_reaches_the_receiver_signed_as_documented(
        app: Flask, world: World, receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    endpoint_id, secret = add_endpoint(head, receiver.url())
    visit_id = submitted_visit(world)
    approve_on_the_page(head, visit_id)

    assert len(receiver.got) == 1
    got = receiver.got[0]
    assert got.path == "/hook" and got.headers["Content-Type"] == "application/json"
    docs = documented_verifier()
    event = docs["verify_delivery"](secret, got.headers, got.body)
    assert event["type"] == "visit.approved" and event["id"].startswith("evt_")
    assert event["id"] == got.headers["Storecheck-Event-Id"]
    assert event["data"] == {"object": "visit", "id": visit_id, "status": "approved", "store_id": world.store.id,
                             "url": f"https://audits.example.com/api/v1/visits/{visit_id}"}
    assert set(event) == {"id", "type", "created_at", "data"}
    # The documented check refuses a replay five minutes later, another secret and a changed body.
    timestamp = int(got.headers["Storecheck-Timestamp"])
    for secret_used, body, now in ((secret, got.body, timestamp + 301), ("whsec_other", got.body, None),
                                   (secret, got.body.replace(b"approved", b"voided"), None)):
        with pytest.raises(docs["RejectedDelivery"]):
            docs["verify_delivery"](secret_used, got.headers, body, now=now)
    assert docs["verify_delivery"](secret, got.headers, got.body, now=timestamp + 299)["id"] == event["id"]

    page = head.get(f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "delivered" in page and "HTTP 200" in page and "{&#34;ok&#34;: true}" in page
    assert secret not in page  # shown once, when made


def test_an_event_is_stored_only_for_endpoints_that_chose_it_and_not_when_its_transaction_rolls_back(
        app: Flask, world: World, receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    add_endpoint(head, receiver.url("/approvals"), ("visit.approved",))
    add_endpoint(head, receiver.url("/submissions"), ("visit.submitted", "checklist.published"))
    visit_id = submitted_visit(world)  # publishes a checklist and submits a visit: two events for the second
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 2
    review.decide(db.session, world.head, visit_id, "approve", now=datetime.now(timezone.utc))
    assert sorted(db.session.scalars(select(WebhookEvent.type))) == [
        "checklist.published", "visit.approved", "visit.submitted"]
    # An event raised in a transaction that rolls back is gone with it and is never handed out for sending.
    webhooks.take_committed(db.session)
    webhooks.emit(db.session, "visit.voided", resource_id=visit_id, now=datetime.now(timezone.utc))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 3
    assert webhooks.take_committed(db.session) == []
    # What the services committed outside a request is sent by the sweep.
    assert len(webhooks.deliver_due(db.session, settings=settings(app), now_fn=lambda: datetime.now(timezone.utc))) == 3
    assert sorted(r.path for r in receiver.got) == ["/approvals", "/submissions", "/submissions"]


def test_a_bulk_approval_raises_one_event_per_visit_reading_the_endpoints_once(
        app: Flask, world: World, receiver: Receiver) -> None:
    from tests.factories import counting

    _endpoint_row(receiver.url())
    first, second = submitted_visit(world), submitted_visit(world, by_other_shopper=True)
    seen = {v.id: v.updated_at.isoformat() for v in db.session.scalars(select(Visit))}
    with counting() as statements:
        review.approve_visits(db.session, world.head, seen, now=datetime.now(timezone.utc))
    assert sum("FROM webhook_endpoints" in s for s in statements) == 1
    events = db.session.execute(select(WebhookEvent.type, WebhookEvent.data)).all()
    assert sorted((t, d["id"]) for t, d in events) == [("visit.approved", first), ("visit.approved", second)]
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2


def test_a_receiver_answering_500_is_tried_again_with_growing_waits_until_it_answers(
        app: Flask, world: World, receiver: Receiver) -> None:
    receiver.statuses = [500, 503, 200]
    receiver.answer = b"busy"
    head = client_for(app, world.head.email)
    endpoint_id, secret = add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))
    first = only_delivery()
    assert (first.status, first.attempts, first.response_code, first.response_excerpt) == ("retrying", 1, 500,
                                                                                            "busy")
    assert first.next_attempt_at - first.last_attempt_at == timedelta(minutes=1)
    page = head.get(f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "will be tried again" in page and "HTTP 500" in page

    clock = Clock(first.last_attempt_at + timedelta(seconds=30))
    assert webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock) == []  # not yet due
    clock.now = first.last_attempt_at + timedelta(minutes=1, seconds=1)
    [outcome] = webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock)
    second = only_delivery()
    assert (outcome.status, second.attempts, second.response_code) == ("retrying", 2, 503)
    assert second.next_attempt_at - clock.now == timedelta(minutes=2)
    clock.now = second.next_attempt_at
    [outcome] = webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock)
    third = only_delivery()
    assert (outcome.status, third.attempts, third.response_code, third.next_attempt_at) == ("succeeded", 3, 200,
                                                                                            None)
    assert len({r.headers["Storecheck-Event-Id"] for r in receiver.got}) == 1 and len(receiver.got) == 3
    assert len({r.body for r in receiver.got}) == 1
    verify = documented_verifier()["verify_delivery"]
    for got in receiver.got:  # each attempt signed afresh with its own timestamp
        verify(secret, got.headers, got.body, now=int(got.headers["Storecheck-Timestamp"]))
    assert db.session.get(WebhookEndpoint, endpoint_id).consecutive_failures == 0


def test_backoff_doubles_from_a_minute_to_at_most_six_hours_and_stops_after_a_day() -> None:
    waits = [webhooks.next_delay(n) for n in range(1, 13)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=6) and waits[-1] == timedelta(hours=6)
    assert sum(waits[:11], timedelta()) < webhooks.RETRY_FOR < sum(waits[:12], timedelta())


def test_a_delivery_that_keeps_failing_for_a_day_fails(app: Flask, world: World, receiver: Receiver) -> None:
    receiver.statuses = [500]
    endpoint = _endpoint_row(receiver.url())
    endpoint_id = endpoint.id
    start = datetime.now(timezone.utc)
    webhooks.emit(db.session, "visit.approved", resource_id=1, now=start)
    db.session.commit()
    big = webhooks.DeliverySettings(frozenset({"127.0.0.1"}), 2.0, disable_after=100)
    clock = Clock(start)
    while (delivery := only_delivery()).status == "retrying" or delivery.status == "pending":
        clock.now = delivery.next_attempt_at or start
        webhooks.deliver_due(db.session, settings=big, now_fn=clock)
    assert delivery.status == "failed" and delivery.attempts == 12
    assert delivery.last_attempt_at - start <= webhooks.RETRY_FOR
    assert db.session.get(WebhookEndpoint, endpoint_id).is_active  # 12 < 100 failures in a row


def _endpoint_row(url: str, events: tuple[str, ...] = ("visit.approved",)) -> WebhookEndpoint:
    now = datetime.now(timezone.utc)
    endpoint = WebhookEndpoint(url=url, description="", event_types=list(events), secret=webhooks.new_secret(),
                               is_active=True, consecutive_failures=0, created_at=now, updated_at=now)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def test_repeated_failures_turn_the_endpoint_off_with_a_note_for_head_office(
        app: Flask, world: World, receiver: Receiver) -> None:
    receiver.statuses = [500]
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))  # failure 1
    clock = Clock(only_delivery().next_attempt_at)
    webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock)  # failure 2
    clock.now = only_delivery().next_attempt_at
    webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock)  # failure 3: off
    db.session.rollback()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert (endpoint.is_active, endpoint.disabled_reason, endpoint.consecutive_failures) == (False, "failures", 3)
    assert only_delivery().status == "failed" and len(receiver.got) == 3
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_type == "webhook_endpoint")
                             .order_by(AuditLog.id.desc()).limit(1)) == "webhook.auto_disable"

    listing = head.get("/head-office/webhooks").get_data(as_text=True)
    assert "was turned off after repeated failed deliveries" in listing
    assert "1 webhook endpoint was turned off" in head.get("/head-office/").get_data(as_text=True)
    page = head.get(f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "after 3 failed deliveries in a row" in page
    # Nothing more is queued for it, and a test event can still check it before it is turned on again.
    other = submitted_visit(world, by_other_shopper=True)
    approve_on_the_page(head, other)
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    receiver.statuses = [200]
    assert post_action(head, f"/head-office/webhooks/{endpoint_id}/test",
                       f"/head-office/webhooks/{endpoint_id}").status_code == 302
    assert json.loads(receiver.got[-1].body)["type"] == "webhook.test"
    assert post_action(head, f"/head-office/webhooks/{endpoint_id}/active", f"/head-office/webhooks/{endpoint_id}",
                       active="1").status_code == 302
    db.session.rollback()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert (endpoint.is_active, endpoint.disabled_reason, endpoint.consecutive_failures) == (True, None, 0)
    assert "turned off" not in head.get("/head-office/").get_data(as_text=True)


def test_a_delivery_sent_again_carries_the_same_event_id_as_a_new_delivery(
        app: Flask, world: World, receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))
    first = only_delivery()
    response = post_action(head, f"/head-office/webhooks/{endpoint_id}/deliveries/{first.id}/redeliver",
                           f"/head-office/webhooks/{endpoint_id}")
    assert response.status_code == 302
    assert [r.headers["Storecheck-Event-Id"] for r in receiver.got] == [first.event_id] * 2
    assert receiver.got[0].headers["Storecheck-Delivery-Id"] != receiver.got[1].headers["Storecheck-Delivery-Id"]
    db.session.rollback()
    assert [d.status for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))] == [
        "succeeded", "succeeded"]


def test_the_test_event_button_sends_a_signed_test_event_and_logs_the_answer(
        app: Flask, world: World, receiver: Receiver) -> None:
    receiver.answer = "受け取りました".encode() + b"x" * 5000
    head = client_for(app, world.head.email)
    endpoint_id, secret = add_endpoint(head, receiver.url())
    response = post_action(head, f"/head-office/webhooks/{endpoint_id}/test", f"/head-office/webhooks/{endpoint_id}")
    assert response.status_code == 302
    event = documented_verifier()["verify_delivery"](secret, receiver.got[0].headers, receiver.got[0].body)
    assert event["type"] == "webhook.test" and event["data"]["id"] == endpoint_id
    delivery = only_delivery()
    assert delivery.status == "succeeded" and delivery.response_excerpt.startswith("受け取りました")
    assert len(delivery.response_excerpt.encode()) <= webhooks.EXCERPT_BYTES
    page = head.get(f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "Test event" in page and "受け取りました" in page


def test_a_new_secret_signs_what_follows(app: Flask, world: World, receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    endpoint_id, old = add_endpoint(head, receiver.url())
    page = post_action(head, f"/head-office/webhooks/{endpoint_id}/secret",
                       f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    new = re.search(r'>(whsec_[^<]+)</textarea>', page).group(1)  # type: ignore[union-attr]
    assert new != old
    post_action(head, f"/head-office/webhooks/{endpoint_id}/test", f"/head-office/webhooks/{endpoint_id}")
    docs = documented_verifier()
    docs["verify_delivery"](new, receiver.got[0].headers, receiver.got[0].body)
    with pytest.raises(docs["RejectedDelivery"]):
        docs["verify_delivery"](old, receiver.got[0].headers, receiver.got[0].body)


def test_redirects_are_not_followed_and_count_as_failures(app: Flask, world: World, receiver: Receiver) -> None:
    receiver.statuses = [302]
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    post_action(head, f"/head-office/webhooks/{endpoint_id}/test", f"/head-office/webhooks/{endpoint_id}")
    assert [r.path for r in receiver.got] == ["/hook"]
    delivery = only_delivery()
    assert (delivery.status, delivery.response_code) == ("failed", 302)  # a test event is tried once


def test_a_receiver_that_does_not_answer_in_time_is_a_time_out(app: Flask, world: World, receiver: Receiver) -> None:
    receiver.delay = 5.0  # longer than the app's 2 s; the fixture releases the handler at the end
    endpoint = _endpoint_row(receiver.url())
    delivery_id = webhooks.send_test_event(db.session, world.head, endpoint.id, now=datetime.now(timezone.utc))
    quick = webhooks.DeliverySettings(frozenset({"127.0.0.1"}), timeout_seconds=0.2)
    webhooks.attempt_delivery(db.session, delivery_id, settings=quick, now_fn=lambda: datetime.now(timezone.utc))
    delivery = only_delivery()
    assert (delivery.status, delivery.error, delivery.response_code) == ("failed", "timeout", None)
    head = client_for(app, world.head.email)
    assert "No answer in time" in head.get(f"/head-office/webhooks/{endpoint.id}").get_data(as_text=True)


def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_off_at_the_time_out(
        app: Flask, world: World, receiver: Receiver) -> None:
    receiver.drip = True  # each byte comes well within the time-out; the whole answer does not
    endpoint = _endpoint_row(receiver.url())
    delivery_id = webhooks.send_test_event(db.session, world.head, endpoint.id, now=datetime.now(timezone.utc))
    quick = webhooks.DeliverySettings(frozenset({"127.0.0.1"}), timeout_seconds=0.5)
    webhooks.attempt_delivery(db.session, delivery_id, settings=quick, now_fn=lambda: datetime.now(timezone.utc))
    delivery = only_delivery()
    assert (delivery.status, delivery.error, delivery.response_code) == ("failed", "timeout", None)


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:8080/hook", "resolves to a loopback, private or link-local address"),
    ("http://localhost/hook", "resolves to a loopback, private or link-local address"),
    ("http://10.1.2.3/hook", "resolves to a loopback, private or link-local address"),
    ("http://192.168.0.10/hook", "resolves to a loopback, private or link-local address"),
    ("http://169.254.169.254/latest/meta-data", "resolves to a loopback, private or link-local address"),
    ("http://[::1]/hook", "resolves to a loopback, private or link-local address"),
    ("http://[::ffff:127.0.0.1]/hook", "resolves to a loopback, private or link-local address"),
    ("http://0.0.0.0/hook", "resolves to a loopback, private or link-local address"),
    ("ftp://files.example.com/hook", "must start with https://"),
    ("https://user:pw@hooks.example.com/hook", "Leave the user name and password out"),
    ("https://no-such-host.invalid/hook", "could not be found"),
])
def test_an_endpoint_on_a_private_address_or_a_bad_url_is_refused_and_the_form_keeps_what_was_typed(
        database_url: str, tmp_path: Path, url: str, words: str) -> None:
    for app in running_app(database_url, tmp_path):  # production settings: no allowed hosts
        from tests.factories import make_user

        head_user = make_user("head@test.example", "head_office")
        head = client_for(app, head_user.email)
        token = csrf_token_from(head, "/head-office/webhooks/new")
        response = head.post("/head-office/webhooks/new", data={
            "csrf_token": token, "url": url, "description": "BI 連携", "event_types": ["visit.voided"]})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert words in page.replace("&#39;", "'") and 'id="url-error"' in page
        assert "BI 連携" in page and 'value="visit.voided" checked' in page
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_an_endpoint_without_events_is_refused_naming_the_field(app: Flask, world: World,
                                                                receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    token = csrf_token_from(head, "/head-office/webhooks/new")
    response = head.post("/head-office/webhooks/new", data={"csrf_token": token, "url": receiver.url()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="event_types-error"' in page and "Choose at least one event." in page
    assert receiver.url() in page


def test_the_address_is_checked_again_at_delivery_time(app: Flask, world: World, receiver: Receiver) -> None:
    """A host allowed when registered that now resolves to loopback (as after a DNS change) is not contacted."""
    endpoint = _endpoint_row(receiver.url())
    delivery_id = webhooks.send_test_event(db.session, world.head, endpoint.id, now=datetime.now(timezone.utc))
    strict = webhooks.DeliverySettings()  # nothing allowed
    webhooks.attempt_delivery(db.session, delivery_id, settings=strict, now_fn=lambda: datetime.now(timezone.utc))
    delivery = only_delivery()
    assert (delivery.error, delivery.response_code) == ("address", None) and receiver.got == []


def test_a_turned_off_endpoint_gets_nothing_and_what_waited_for_it_is_cancelled(
        app: Flask, world: World, receiver: Receiver) -> None:
    receiver.statuses = [500]
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))
    assert only_delivery().status == "retrying"
    post_action(head, f"/head-office/webhooks/{endpoint_id}/active", f"/head-office/webhooks/{endpoint_id}",
                active="0")
    assert only_delivery().status == "cancelled"
    clock = Clock(datetime.now(timezone.utc) + timedelta(hours=1))
    assert webhooks.deliver_due(db.session, settings=settings(app), now_fn=clock) == []
    assert len(receiver.got) == 1
    page = head.get(f"/head-office/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "not sent" in page and "Turn on" in page and "Send again" not in page


def test_editing_and_deleting_an_endpoint(app: Flask, world: World, receiver: Receiver) -> None:
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    response = post_action(head, f"/head-office/webhooks/{endpoint_id}/edit", f"/head-office/webhooks/{endpoint_id}/edit",
                           url=receiver.url("/v2"), description="Data warehouse", event_types="visit.voided")
    assert response.status_code == 302
    db.session.rollback()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert (endpoint.url, endpoint.event_types, endpoint.description) == (receiver.url("/v2"), ["visit.voided"],
                                                                         "Data warehouse")
    post_action(head, f"/head-office/webhooks/{endpoint_id}/test", f"/head-office/webhooks/{endpoint_id}")
    assert post_action(head, f"/head-office/webhooks/{endpoint_id}/delete",
                       "/head-office/webhooks").status_code == 302
    db.session.rollback()
    assert db.session.get(WebhookEndpoint, endpoint_id) is None
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "webhook_endpoint")
                                      .order_by(AuditLog.id)))
    assert actions == ["webhook.create", "webhook.update", "webhook.delete"]
    log = head.get("/head-office/audit-log?kind=webhook").get_data(as_text=True)
    assert "Added a webhook endpoint" in log and "Deleted a webhook endpoint" in log


def test_the_webhook_pages_in_japanese(app: Flask, world: World, receiver: Receiver) -> None:
    from audit_app.models import User

    db.session.get(User, world.head.id).locale = "ja"
    db.session.commit()
    head = client_for(app, world.head.email)
    endpoint_id, _ = add_endpoint(head, receiver.url())
    post_action(head, f"/head-office/webhooks/{endpoint_id}/test", f"/head-office/webhooks/{endpoint_id}")
    pages = [head.get(path).get_data(as_text=True) for path in (
        "/head-office/webhooks", "/head-office/webhooks/new", f"/head-office/webhooks/{endpoint_id}",
        f"/head-office/webhooks/{endpoint_id}/edit")]
    for page in pages:
        assert "Webhooks" not in re.sub(r"<[^>]+>", " ", page).replace("Storecheck", "")
    assert "テストイベント" in pages[2] and "配信済み" in pages[2]


def test_corrective_actions_raise_created_and_closed_events_linking_to_the_api(
        app: Flask, world: World, receiver: Receiver) -> None:
    from audit_app.services import actions

    head = client_for(app, world.head.email)
    add_endpoint(head, receiver.url("/actions"), ("action.created", "action.closed"))
    now = datetime.now(timezone.utc)
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high", due_on=(now + timedelta(days=3)).date(), assignee_id=None,
                                   now=now)
    actions.resolve_action(db.session, world.manager, action.id, comment="New hinge", photo=None,
                           upload_dir=app.config["UPLOAD_DIR"], now=now)
    actions.close_action(db.session, world.manager, action.id, now=now)
    db.session.rollback()
    stored = [(e.type, e.data["id"], e.data["status"], e.data["url"])
              for e in db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at, WebhookEvent.type))]
    url = f"https://audits.example.com/api/v1/actions/{action.id}"
    assert sorted(stored) == [("action.closed", action.id, "closed", url), ("action.created", action.id, "open", url)]


def test_an_action_past_its_due_date_is_noted_overdue_once_in_its_history_and_as_an_event(
        app: Flask, world: World, receiver: Receiver) -> None:
    from audit_app.models import ActionEvent
    from audit_app.services import actions

    head = client_for(app, world.head.email)
    add_endpoint(head, receiver.url("/actions"), ("action.overdue",))
    now = datetime.now(timezone.utc)
    late = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                 priority="high", due_on=(now + timedelta(days=1)).date(), assignee_id=None, now=now)
    actions.create_action(db.session, world.manager, store_id=world.store.id, title="Later", priority="low",
                          due_on=(now + timedelta(days=30)).date(), assignee_id=None, now=now)
    assert actions.mark_overdue(db.session, now=now) == 0
    three_days_on = now + timedelta(days=3)
    assert actions.mark_overdue(db.session, now=three_days_on) == 1
    assert actions.mark_overdue(db.session, now=three_days_on + timedelta(hours=1)) == 0  # once only
    db.session.rollback()
    assert [e.type for e in db.session.scalars(select(WebhookEvent))] == ["action.overdue"]
    assert db.session.scalars(select(ActionEvent.action_id).where(ActionEvent.kind == "overdue")).all() == [late.id]
    page = client_for(app, world.manager.email).get(f"/actions/{late.id}").get_data(as_text=True)
    assert "Became overdue" in page
