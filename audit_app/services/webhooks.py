"""Signed webhooks: endpoints head office registers, events raised inside the transactions that cause them, and
their delivery by background jobs after commit (signed, retried with backoff for a day, logged per endpoint).

Flow: a use case calls `emit(...)` before it commits; that stores the event and one `WebhookDelivery` per
subscribed endpoint in the same transaction, and notes the deliveries' ids on the session. Once the transaction
commits they are handed to the web edge (`take_committed`), which queues them (RQ) or delivers them in-process
after the response (`audit_app.webhook_jobs`). `attempt_delivery` sends one delivery once and records the
outcome; `deliver_due` picks up whatever is due (retries, and deliveries whose queueing was lost).

Every body is `{"id", "type", "created_at", "data"}`; the headers carry the event id, a Unix timestamp and
`v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret>`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from audit_app.config import Config
from audit_app.models import User, WebhookDelivery, WebhookEndpoint, WebhookEvent
from audit_app.services import audit
from audit_app.services.errors import N_, Message, NotFoundError, ServiceError


@dataclass(frozen=True)
class EventType:
    label: str  # N_ message: what happened, in words
    resource: str  # the object the payload points at


# The events receivers may subscribe to: the one list (corrective actions add theirs here).
EVENT_TYPES: dict[str, EventType] = {
    "visit.submitted": EventType(N_("A shopper submits a visit"), "visit"),
    "visit.approved": EventType(N_("A reviewer approves a visit"), "visit"),
    "visit.returned": EventType(N_("A reviewer returns a visit to the shopper"), "visit"),
    "visit.voided": EventType(N_("A reviewer voids a visit"), "visit"),
    "checklist.published": EventType(N_("A checklist version is published"), "checklist"),
    "action.created": EventType(N_("A corrective action is created (by hand or by a checklist rule)"), "action"),
    "action.overdue": EventType(N_("A corrective action passes its due date unfinished"), "action"),
    "action.closed": EventType(N_("A corrective action is verified and closed (by a manager or a later visit)"),
                               "action"),
}
TEST_EVENT = "webhook.test"
# Where each kind of object is read over the API.
API_PATHS = {"visit": "/api/v1/visits/{id}", "checklist": "/api/v1/checklists/{id}",
             "action": "/api/v1/actions/{id}"}

HEADER_EVENT = "Storecheck-Event-Id"
HEADER_TYPE = "Storecheck-Event-Type"
HEADER_DELIVERY = "Storecheck-Delivery-Id"
HEADER_TIMESTAMP = "Storecheck-Timestamp"
HEADER_SIGNATURE = "Storecheck-Signature"
USER_AGENT = "Storecheck-Webhooks/1"

STATUSES = ("pending", "sending", "retrying", "succeeded", "failed", "cancelled")
OPEN_STATUSES = ("pending", "sending", "retrying")
RETRY_FOR = timedelta(days=1)
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=6)
# A delivery being sent is someone's for this long; after it, a sweep may take it again (its sender died).
SENDING_LEASE = timedelta(minutes=2)
CLOCK_SLACK = timedelta(seconds=5)
EXCERPT_BYTES = 1024
MAX_URL = 2000
LOG_LENGTH = 50

# Why an attempt failed without a usable answer; the pages word each.
ERRORS = {
    "timeout": N_("No answer in time"),
    "connection": N_("Could not connect"),
    "address": N_("The address is not allowed"),
    "dns": N_("The host name could not be resolved"),
    "tls": N_("The secure connection failed"),
    "protocol": N_("The answer could not be read"),
    "disabled": N_("Not sent: the endpoint is turned off"),
}

PENDING_KEY = "webhooks.pending"
COMMITTED_KEY = "webhooks.committed"
BASE_URL_KEY = "webhooks.base_url"
# The active endpoints and their events, read once per transaction (a bulk approval raises many events).
SUBSCRIBERS_KEY = "webhooks.subscribers"


class WebhookError(ServiceError):
    """A refused endpoint change; `field` names the form field it concerns."""

    def __init__(self, message: str, /, field: str = "", **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


@dataclass(frozen=True)
class DeliverySettings:
    allowed_hosts: frozenset[str] = frozenset()
    timeout_seconds: float = 5.0
    disable_after: int = 15

    @classmethod
    def from_config(cls, config: Config) -> DeliverySettings:
        return cls(frozenset(h.lower() for h in config.webhook_allowed_hosts), config.webhook_timeout_seconds,
                   max(1, config.webhook_disable_after))


# --- after commit -------------------------------------------------------------------------------------------


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(SUBSCRIBERS_KEY, None)
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        session.info.setdefault(COMMITTED_KEY, []).extend(pending)


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(SUBSCRIBERS_KEY, None)
    session.info.pop(PENDING_KEY, None)


def take_committed(session: Session) -> list[int]:
    """The ids of deliveries committed on this session since the last call, to be sent now."""
    return list(session.info.pop(COMMITTED_KEY, ()))


def set_base_url(session: Session, base_url: str) -> None:
    """The absolute address API links in payloads start with, for events raised on this session."""
    session.info[BASE_URL_KEY] = base_url.rstrip("/")


# --- events -------------------------------------------------------------------------------------------------


def _api_url(session: Session, resource: str, resource_id: int) -> str:
    return session.info.get(BASE_URL_KEY, "") + API_PATHS[resource].format(id=resource_id)


def _new_event(session: Session, event_type: str, data: dict[str, Any], now: datetime) -> WebhookEvent:
    record = WebhookEvent(id=f"evt_{uuid.uuid4().hex}", type=event_type, created_at=now, data=data)
    session.add(record)
    return record


def _queue(session: Session, endpoint_id: int, record: WebhookEvent, now: datetime) -> WebhookDelivery:
    delivery = WebhookDelivery(endpoint_id=endpoint_id, event_id=record.id, status="pending", attempts=0,
                               created_at=now, next_attempt_at=now, response_excerpt="", error="")
    session.add(delivery)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(delivery.id)
    return delivery


def emit(session: Session, event_type: str, *, resource_id: int, now: datetime, **fields: Any) -> str | None:
    """Raise an event inside the caller's transaction: stored with a delivery for each active endpoint that
    subscribed to it, sent once the caller commits. Returns the event id, or None when nobody subscribed.

    The payload's `data` is small: the object's kind and id, its API URL and the plain `fields` given."""
    kind = EVENT_TYPES[event_type]
    if SUBSCRIBERS_KEY not in session.info:
        session.info[SUBSCRIBERS_KEY] = [(endpoint_id, frozenset(types)) for endpoint_id, types in session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.is_active.is_(True))
            .order_by(WebhookEndpoint.id))]
    endpoints = [endpoint_id for endpoint_id, types in session.info[SUBSCRIBERS_KEY] if event_type in types]
    if not endpoints:
        return None
    data = {"object": kind.resource, "id": resource_id, "url": _api_url(session, kind.resource, resource_id),
            **fields}
    record = _new_event(session, event_type, data, now)
    session.flush()
    for endpoint_id in endpoints:
        _queue(session, endpoint_id, record, now)
    return record.id


def event_body(record: WebhookEvent) -> bytes:
    """The exact bytes sent for an event (the same for every attempt, so a signature covers them)."""
    created = record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"id": record.id, "type": record.type, "created_at": created, "data": record.data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of "<timestamp>.<body>" under the secret."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


# --- endpoints ----------------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to; raises socket.gaierror."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, shared, multicast, reserved and unspecified addresses (an IPv6
    address that maps or embeds an IPv4 one is judged by that)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, settings: DeliverySettings) -> str:
    """The URL, trimmed, when an endpoint may have it: http(s), a host, no password in it, and a host that
    resolves only to public addresses (unless it is one of the allowed hosts). Raises WebhookError (field url)."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise WebhookError(N_("The URL is longer than %(n)d characters."), field="url", n=MAX_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookError(N_("This is not a URL."), field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(N_("The URL must start with https:// (or http://) and name a host."), field="url")
    if parts.username is not None or parts.password is not None:
        raise WebhookError(N_("Leave the user name and password out of the URL; the signature proves the "
                              "sender."), field="url")
    host = parts.hostname.lower()
    if host in settings.allowed_hosts:
        return url
    try:
        addresses = _resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise WebhookError(N_("The host %(host)s could not be found."), field="url", host=host) from None
    if not all(is_public_address(address) for address in addresses):
        raise WebhookError(N_("The host %(host)s resolves to a loopback, private or link-local address, where "
                              "webhooks are not sent. A receiver inside your network is allowed once its host is "
                              "named in the WEBHOOK_ALLOWED_HOSTS setting."), field="url", host=host)
    return url


def _event_types(chosen: Iterable[str]) -> list[str]:
    chosen = [t for t in EVENT_TYPES if t in set(chosen)]
    if not chosen:
        raise WebhookError(N_("Choose at least one event."), field="event_types")
    return chosen


@dataclass(frozen=True)
class EndpointRow:
    id: int
    url: str
    description: str
    event_types: tuple[str, ...]
    is_active: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    secret_hint: str
    last_status: str | None
    last_attempt_at: datetime | None


def _row(endpoint: WebhookEndpoint, last: WebhookDelivery | None = None) -> EndpointRow:
    return EndpointRow(endpoint.id, endpoint.url, endpoint.description, tuple(endpoint.event_types),
                       endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at,
                       endpoint.consecutive_failures, endpoint.secret[:10] + "…",
                       last.status if last else None, last.last_attempt_at if last else None)


def _load(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError(N_("No such webhook endpoint."))
    return endpoint


def list_endpoints(session: Session) -> list[EndpointRow]:
    """Every endpoint, oldest first, with its latest delivery's status."""
    endpoints = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    latest = {}
    if endpoints:
        newest = (select(WebhookDelivery.endpoint_id, func.max(WebhookDelivery.id).label("id"))
                  .group_by(WebhookDelivery.endpoint_id).subquery())
        latest = {d.endpoint_id: d for d in session.scalars(
            select(WebhookDelivery).join(newest, WebhookDelivery.id == newest.c.id))}
    return [_row(e, latest.get(e.id)) for e in endpoints]


def count_turned_off(session: Session) -> int:
    """How many endpoints turned themselves off after repeated failures (head office should look)."""
    return session.scalar(select(func.count(WebhookEndpoint.id)).where(
        WebhookEndpoint.is_active.is_(False), WebhookEndpoint.disabled_reason == "failures")) or 0


def get_endpoint(session: Session, endpoint_id: int) -> EndpointRow:
    """One endpoint; raises NotFoundError."""
    return _row(_load(session, endpoint_id))


@dataclass(frozen=True)
class CreatedEndpoint:
    id: int
    secret: str  # shown to head office once


def create_endpoint(session: Session, actor: User, *, url: str, event_types: Iterable[str], description: str = "",
                    settings: DeliverySettings, now: datetime) -> CreatedEndpoint:
    """Register an endpoint with a new secret (returned once). Raises WebhookError naming the field."""
    url = check_url(url, settings)
    chosen = _event_types(event_types)
    endpoint = WebhookEndpoint(url=url, description=description.strip()[:200], event_types=chosen,
                               secret=new_secret(), is_active=True, consecutive_failures=0, created_at=now,
                               created_by_id=actor.id, updated_at=now)
    session.add(endpoint)
    session.flush()
    audit.record(session, actor=actor, action="webhook.create", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now, after={"url": url, "event_types": chosen})
    session.commit()
    return CreatedEndpoint(endpoint.id, endpoint.secret)


def update_endpoint(session: Session, actor: User, endpoint_id: int, *, url: str, event_types: Iterable[str],
                    description: str = "", settings: DeliverySettings, now: datetime) -> EndpointRow:
    """Change an endpoint's URL, events and description. Raises NotFoundError, WebhookError naming the field."""
    endpoint = _load(session, endpoint_id)
    url = check_url(url, settings)
    chosen = _event_types(event_types)
    before = {"url": endpoint.url, "event_types": list(endpoint.event_types)}
    endpoint.url, endpoint.event_types, endpoint.description = url, chosen, description.strip()[:200]
    endpoint.updated_at = now
    audit.record(session, actor=actor, action="webhook.update", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now, before=before, after={"url": url, "event_types": chosen})
    session.commit()
    return _row(endpoint)


def set_endpoint_active(session: Session, actor: User, endpoint_id: int, active: bool, *,
                        now: datetime) -> EndpointRow:
    """Turn an endpoint on (its failure count starts again) or off (what waits for it is cancelled).
    Raises NotFoundError."""
    endpoint = _load(session, endpoint_id)
    before = {"is_active": endpoint.is_active}
    endpoint.is_active = active
    endpoint.disabled_reason = None if active else "head_office"
    endpoint.disabled_at = None if active else now
    endpoint.consecutive_failures = 0 if active else endpoint.consecutive_failures
    endpoint.updated_at = now
    if not active:
        _cancel_open(session, endpoint.id, now)
    audit.record(session, actor=actor, action="webhook.enable" if active else "webhook.disable",
                 entity_type="webhook_endpoint", entity_id=endpoint.id, now=now, before=before,
                 after={"is_active": active})
    session.commit()
    return _row(endpoint)


def rotate_secret(session: Session, actor: User, endpoint_id: int, *, now: datetime) -> CreatedEndpoint:
    """Give an endpoint a new secret (returned once); deliveries from now on are signed with it.
    Raises NotFoundError."""
    endpoint = _load(session, endpoint_id)
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    audit.record(session, actor=actor, action="webhook.rotate_secret", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now)
    session.commit()
    return CreatedEndpoint(endpoint.id, endpoint.secret)


def delete_endpoint(session: Session, actor: User, endpoint_id: int, *, now: datetime) -> None:
    """Remove an endpoint and its delivery log. Raises NotFoundError."""
    endpoint = _load(session, endpoint_id)
    audit.record(session, actor=actor, action="webhook.delete", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now, before={"url": endpoint.url})
    session.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.commit()


def send_test_event(session: Session, actor: User, endpoint_id: int, *, now: datetime) -> int:
    """Queue a `webhook.test` event for one endpoint (sent after commit, even to an endpoint that is turned off,
    so it can be checked before it is turned on again). Returns the delivery's id. Raises NotFoundError."""
    endpoint = _load(session, endpoint_id)
    record = _new_event(session, TEST_EVENT, {"object": "webhook_endpoint", "id": endpoint.id,
                                              "sent_by": actor.name}, now)
    session.flush()
    delivery = _queue(session, endpoint.id, record, now)
    session.commit()
    return delivery.id


def redeliver(session: Session, actor: User, endpoint_id: int, delivery_id: int, *, now: datetime) -> int:
    """Send a delivery's event to its endpoint again, as a new delivery with the same event id (receivers
    de-duplicate by it). Returns the new delivery's id. Raises NotFoundError, WebhookError when the endpoint is
    turned off."""
    endpoint = _load(session, endpoint_id)
    old = session.get(WebhookDelivery, delivery_id)
    if old is None or old.endpoint_id != endpoint.id:
        raise NotFoundError(N_("No such delivery."))
    if not endpoint.is_active:
        raise WebhookError(N_("Turn the endpoint on before sending to it again."))
    record = session.get(WebhookEvent, old.event_id)
    delivery = _queue(session, endpoint.id, record, now)
    audit.record(session, actor=actor, action="webhook.redeliver", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now, detail=record.id)
    session.commit()
    return delivery.id


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    response_code: int | None
    response_excerpt: str
    error: str


def list_deliveries(session: Session, endpoint_id: int, *, limit: int = LOG_LENGTH) -> list[DeliveryRow]:
    """An endpoint's delivery log, newest first. Raises NotFoundError."""
    endpoint = _load(session, endpoint_id)
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent.type).join(WebhookEvent, WebhookDelivery.event_id == WebhookEvent.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit))
    return [DeliveryRow(d.id, d.event_id, event_type, d.status, d.attempts, d.created_at, d.last_attempt_at,
                        d.next_attempt_at if d.status in OPEN_STATUSES else None, d.response_code,
                        d.response_excerpt, d.error) for d, event_type in rows]


def _cancel_open(session: Session, endpoint_id: int, now: datetime) -> None:
    session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status.in_(OPEN_STATUSES))
        .values(status="cancelled", next_attempt_at=None, error="disabled"))


# --- delivering ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one HTTP attempt gave: an answer's status code and first bytes, or an error code of ERRORS."""

    status_code: int | None
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int
    status: str
    next_attempt_at: datetime | None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, while the Host header names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address checked beforehand; the certificate is checked against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], settings: DeliverySettings) -> Attempt:
    """POST `body` to `url` once: the host is resolved now and every address checked (an allowed host apart),
    the connection goes to the checked address, redirects are not followed, and the whole attempt is bounded by
    the time-out. Only the first EXCERPT_BYTES of the answer are read."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = _resolve(host, port)
    except (socket.gaierror, UnicodeError):
        return Attempt(None, "", "dns")
    if host not in settings.allowed_hosts and not all(is_public_address(a) for a in addresses):
        return Attempt(None, "", "address")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(host, port, addresses[0], settings.timeout_seconds)
    # Each socket operation has the time-out; this stops a receiver that answers a byte at a time.
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(settings.timeout_seconds, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        try:
            excerpt = response.read(EXCERPT_BYTES)
        finally:
            response.close()
        if expired.is_set():
            return Attempt(None, "", "timeout")
        return Attempt(response.status, excerpt.decode("utf-8", "replace"), "")
    except TimeoutError:
        return Attempt(None, "", "timeout")
    except ssl.SSLError:
        return Attempt(None, "", "timeout" if expired.is_set() else "tls")
    except (http.client.HTTPException, OSError) as error:
        if expired.is_set():
            return Attempt(None, "", "timeout")
        return Attempt(None, "", "protocol" if isinstance(error, http.client.HTTPException) else "connection")
    finally:
        watchdog.cancel()
        connection.close()


def next_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 minute, doubling, at most 6 hours."""
    return min(FIRST_DELAY * (2 ** max(0, attempts - 1)), LONGEST_DELAY)


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            # A little early is fine (a queue's clock may run ahead of ours); a send in progress waits for its lease.
            or_(WebhookDelivery.status.in_(("pending", "retrying"))
                & (WebhookDelivery.next_attempt_at <= now + CLOCK_SLACK),
                (WebhookDelivery.status == "sending") & (WebhookDelivery.next_attempt_at <= now)))
        .values(status="sending", next_attempt_at=now + SENDING_LEASE)).rowcount
    session.commit()
    return bool(claimed)


Clock = Callable[[], datetime]


def attempt_delivery(session: Session, delivery_id: int, *, settings: DeliverySettings,
                     now_fn: Clock) -> DeliveryOutcome | None:
    """Send one delivery once, if it is still waiting, and record the outcome. None when there was nothing to
    send (done already, or being sent by someone else).

    Two transactions, none open during the HTTP request: the claim (the delivery becomes `sending`), then the
    outcome. A failure schedules the next attempt (`next_delay`) while the event is under a day old, and counts
    against the endpoint: `settings.disable_after` failures in a row turn it off, with a note for head office
    (in the audit log and on its pages). `now_fn()` gives the time (called at the claim and after the answer)."""
    now = now_fn()
    if not _claim(session, delivery_id, now):
        return None
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    record = session.get(WebhookEvent, delivery.event_id)
    if not endpoint.is_active and record.type != TEST_EVENT:
        session.rollback()
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                        .values(status="cancelled", next_attempt_at=None, error="disabled"))
        session.commit()
        return DeliveryOutcome(delivery_id, "cancelled", None)
    url, secret, body = endpoint.url, endpoint.secret, event_body(record)
    timestamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, HEADER_EVENT: record.id,
               HEADER_TYPE: record.type, HEADER_DELIVERY: str(delivery.id), HEADER_TIMESTAMP: str(timestamp),
               HEADER_SIGNATURE: signature(secret, timestamp, body)}
    session.rollback()  # no transaction is held while the receiver answers
    attempt = post(url, body, headers, settings)
    done = now_fn()
    # The transaction starts with its write: SQLite then takes the write lock at once (waiting for it if need
    # be), where a read first would leave a snapshot that another writer meanwhile makes impossible to upgrade.
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(last_attempt_at=done))
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    delivery.attempts += 1
    delivery.last_attempt_at = done
    delivery.response_code = attempt.status_code
    delivery.response_excerpt = attempt.excerpt
    delivery.error = attempt.error
    if attempt.ok:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        endpoint.consecutive_failures = 0
    else:
        wait = next_delay(delivery.attempts)
        if done + wait <= delivery.created_at + RETRY_FOR:
            delivery.status, delivery.next_attempt_at = "retrying", done + wait
        else:
            delivery.status, delivery.next_attempt_at = "failed", None
        if record.type == TEST_EVENT:
            delivery.status, delivery.next_attempt_at = "failed", None  # a test is tried once
        else:
            endpoint.consecutive_failures += 1
            if endpoint.is_active and endpoint.consecutive_failures >= settings.disable_after:
                delivery.status, delivery.next_attempt_at = "failed", None
                session.flush()
                _turn_off(session, endpoint, done)
    session.commit()
    return DeliveryOutcome(delivery.id, delivery.status, delivery.next_attempt_at)


def _turn_off(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.is_active = False
    endpoint.disabled_reason = "failures"
    endpoint.disabled_at = now
    endpoint.updated_at = now
    _cancel_open(session, endpoint.id, now)
    audit.record(session, actor=None, action="webhook.auto_disable", entity_type="webhook_endpoint",
                 entity_id=endpoint.id, now=now, before={"is_active": True}, after={"is_active": False},
                 detail=str(Message(N_("turned off after %(n)d failed deliveries in a row"),
                                    {"n": endpoint.consecutive_failures})))


def due_deliveries(session: Session, *, now: datetime, limit: int = 100) -> list[int]:
    """Deliveries whose time has come (new, retries, and sends whose sender went away), oldest first."""
    ids = list(session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.status.in_(OPEN_STATUSES),
                                         WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)))
    session.rollback()
    return ids


def deliver_due(session: Session, *, settings: DeliverySettings, now_fn: Clock,
                limit: int = 100) -> list[DeliveryOutcome]:
    """Attempt every due delivery once (see `attempt_delivery`); returns what happened to each sent."""
    outcomes = []
    for delivery_id in due_deliveries(session, now=now_fn(), limit=limit):
        outcome = attempt_delivery(session, delivery_id, settings=settings, now_fn=now_fn)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
