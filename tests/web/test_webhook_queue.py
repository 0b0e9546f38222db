"""Webhook deliveries on RQ (a real Redis, TEST_REDIS_URL or database 15, emptied): queued after the response,
sent by a worker, and a failure queued again for the time of its next attempt."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskCliRunner
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from audit_app import webhook_jobs
from audit_app.extensions import db
from tests.factories import World, client_for, running_app
from tests.web.test_pdf_jobs import REDIS_URL, redis_connection, run_queued_jobs  # noqa: F401 - the fixture
from tests.web.test_webhooks import (  # noqa: F401 - the receiver fixture
    Receiver, add_endpoint, approve_on_the_page, documented_verifier, only_delivery, receiver, submitted_visit,
)


@pytest.fixture
def app(redis_connection: redis.Redis, database_url: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811
    yield from running_app(database_url, tmp_path, redis_url=REDIS_URL, webhook_allowed_hosts=("127.0.0.1",))


def _queued(connection: redis.Redis) -> list[Job]:
    return Queue(webhook_jobs.QUEUE_NAME, connection=connection).get_jobs()


def test_with_redis_a_delivery_waits_on_the_queue_and_a_worker_sends_it_signed(
        app: Flask, world: World, receiver: Receiver, redis_connection: redis.Redis) -> None:  # noqa: F811
    head = client_for(app, world.head.email)
    endpoint_id, secret = add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))
    delivery = only_delivery()
    assert delivery.status == "pending" and receiver.got == []
    [job] = _queued(redis_connection)
    assert job.func_name == webhook_jobs.ENTRY_POINT and job.args == (delivery.id,)
    run_queued_jobs()
    assert len(receiver.got) == 1
    event = documented_verifier()["verify_delivery"](secret, receiver.got[0].headers, receiver.got[0].body)
    assert event["type"] == "visit.approved"
    assert only_delivery().status == "succeeded" and _queued(redis_connection) == []


def test_with_redis_a_failed_attempt_is_scheduled_for_its_next_time_and_the_sweep_requeues_lost_ones(
        app: Flask, world: World, receiver: Receiver, redis_connection: redis.Redis,  # noqa: F811
        runner: FlaskCliRunner) -> None:
    receiver.statuses = [500]
    head = client_for(app, world.head.email)
    add_endpoint(head, receiver.url())
    approve_on_the_page(head, submitted_visit(world))
    run_queued_jobs()
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    registry = ScheduledJobRegistry(webhook_jobs.QUEUE_NAME, connection=redis_connection)
    [job_id] = registry.get_job_ids()
    job = Job.fetch(job_id, connection=redis_connection)
    assert job.args == (delivery.id,)
    assert registry.get_scheduled_time(job) == delivery.next_attempt_at.astimezone(timezone.utc).replace(
        microsecond=0)
    # Redis lost the queue: the sweep finds nothing due yet, and the due delivery once its time has come.
    redis_connection.flushdb()
    result = runner.invoke(args=["webhooks", "deliver-due"])
    assert result.exit_code == 0 and "0 delivery(ies) due" in result.output
    db.session.rollback()
    only = only_delivery()
    only.next_attempt_at = only.last_attempt_at  # its time has come
    db.session.commit()
    result = runner.invoke(args=["webhooks", "deliver-due"])
    assert "1 delivery(ies) due" in result.output and len(_queued(redis_connection)) == 1
    receiver.statuses = [200]
    run_queued_jobs()
    assert only_delivery().status == "succeeded" and len(receiver.got) == 2
