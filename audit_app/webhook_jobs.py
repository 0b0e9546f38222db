"""Webhook deliveries as background jobs: queued on RQ when REDIS_URL is set, else sent in-process once the
response has gone (so nobody waits on a receiver), and what an RQ worker runs for one delivery.

The services decide what to send and record what happened (`services.webhooks`); this module only moves
delivery ids from the committed transaction to whoever sends them. The database stays the record: a delivery
whose queueing was lost (Redis down, a process stopped) is picked up by `flask --app wsgi webhooks deliver-due`
and by the next in-process dispatch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import partial
from typing import Any

from flask import Flask, Response, appcontext_pushed, current_app, has_app_context

from audit_app.config import Config
from audit_app.extensions import db
from audit_app.services import jobs, webhooks

QUEUE_NAME = jobs.QUEUE_NAME
ENTRY_POINT = "audit_app.webhook_jobs.perform_delivery"
# An RQ job for one delivery: a few seconds of HTTP at most.
JOB_TIMEOUT_SECONDS = 60
# How many due deliveries an in-process dispatch also sends (retries, lost ones).
SWEEP_LIMIT = 10

logger = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _config(app: Flask) -> Config:
    return app.config["STORECHECK_CONFIG"]  # type: ignore[no-any-return]


def init_webhook_jobs(app: Flask) -> None:
    """Payload links start with PUBLIC_URL (in requests, commands and workers alike); committed deliveries leave
    after the response."""

    def _base_url(sender: Flask, **_: Any) -> None:
        webhooks.set_base_url(db.session, _config(sender).public_url)

    appcontext_pushed.connect(_base_url, app, weak=False)

    @app.after_request
    def _dispatch(response: Response) -> Response:
        ids = webhooks.take_committed(db.session)
        if ids:
            response.call_on_close(partial(dispatch, app, ids))
        return response


def dispatch(app: Flask, delivery_ids: list[int]) -> None:
    """Hand committed deliveries to the queue, or (no REDIS_URL) send them now, with any others that are due."""
    config = _config(app)
    try:
        if config.redis_url:
            enqueue(config, delivery_ids)
        else:
            with app.app_context():
                settings = webhooks.DeliverySettings.from_config(config)
                try:
                    for delivery_id in delivery_ids:
                        webhooks.attempt_delivery(db.session, delivery_id, settings=settings, now_fn=_utcnow)
                    webhooks.deliver_due(db.session, settings=settings, now_fn=_utcnow, limit=SWEEP_LIMIT)
                finally:
                    db.session.remove()
    except Exception:  # the response has gone; the deliveries stay in the database for the next sweep
        logger.exception("webhook deliveries %s were not sent", delivery_ids)


def enqueue(config: Config, delivery_ids: list[int], at: datetime | None = None) -> None:
    """One RQ job per delivery (at `at`, when given: the worker's scheduler starts it then)."""
    from rq import Queue

    queue = Queue(QUEUE_NAME, connection=jobs.redis_connection(config.redis_url or ""))
    for delivery_id in delivery_ids:
        options: dict[str, Any] = {"args": (delivery_id,), "job_timeout": JOB_TIMEOUT_SECONDS,
                                   "result_ttl": 3600, "failure_ttl": 86400,
                                   "description": f"webhook delivery {delivery_id}"}
        if at is None:
            queue.enqueue(ENTRY_POINT, **options)
        else:
            queue.enqueue_at(at, ENTRY_POINT, **options)


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    from audit_app import create_app

    return create_app()


def perform_delivery(delivery_id: int) -> str | None:
    """What an RQ worker runs: one attempt; a failure that will be tried again is queued for its time."""
    app = _app()
    config = _config(app)
    with app.app_context():
        try:
            outcome = webhooks.attempt_delivery(db.session, delivery_id,
                                                settings=webhooks.DeliverySettings.from_config(config),
                                                now_fn=_utcnow)
        finally:
            db.session.remove()
    if outcome is not None and outcome.status == "retrying" and outcome.next_attempt_at is not None:
        enqueue(config, [delivery_id], at=outcome.next_attempt_at)
    return outcome.status if outcome is not None else None


def deliver_due(app: Flask) -> int:
    """Everything due now: queued on RQ (REDIS_URL), else sent here. Returns how many were handled."""
    config = _config(app)
    with app.app_context():
        if config.redis_url:
            ids = webhooks.due_deliveries(db.session, now=_utcnow())
            enqueue(config, ids)
            return len(ids)
        return len(webhooks.deliver_due(db.session, settings=webhooks.DeliverySettings.from_config(config),
                                        now_fn=_utcnow))
