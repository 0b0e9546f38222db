"""The background worker: the RQ worker process, and the functions it runs (a PDF batch, sending the e-mail outbox)
inside an app context.

It builds (or borrows) the Flask app to get a database session, which is why it lives here and not among the
services: `services.jobs` queues and runs the work, this module is the process that picks it up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app, has_app_context
from sqlalchemy.engine import Engine

from audit_app.config import Config
from audit_app.extensions import db
from audit_app.services import jobs, pdf_jobs
from audit_app.services.errors import N_


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    from audit_app import create_app  # a plain `rq worker` rather than `flask --app wsgi worker`

    return create_app()


def perform_queued_job(job_id: str) -> None:
    """What an RQ worker runs: one job, in a fresh app context (its own database session) of the worker's app."""
    app = _app()
    with app.app_context():
        try:
            jobs.run_area_scorecards(db.session, job_id, queue=jobs.job_queue(app.config["STORECHECK_CONFIG"]),
                                     now=datetime.now(timezone.utc))
        finally:
            db.session.remove()


def perform_mail_send() -> None:
    """What an RQ worker runs to send the e-mail outbox; retries still waiting are queued again for their time."""
    from audit_app.mail import send_due
    from audit_app.mail.dispatch import enqueue_send

    app = _app()
    config = app.config["STORECHECK_CONFIG"]
    with app.app_context():
        try:
            now = datetime.now(timezone.utc)
            summary = send_due(app, db.session, config, now=now)
        finally:
            db.session.remove()
    if summary.next_retry_at is not None and config.redis_url:
        enqueue_send(config.redis_url, delay=max(summary.next_retry_at - now, timedelta(seconds=1)))


def run_worker(config: Config, engine: Engine, *, burst: bool = False,
               echo: Callable[[str], None] = print) -> None:
    """Run an RQ worker on the job queue until stopped (with `burst`, until the queue is empty).

    Each job runs in a forked child that exits afterwards, so WeasyPrint's memory goes back to the system after
    every batch; the child forks its PDF workers from itself, with everything they need imported here at start.
    Raises jobs.JobQueueUnavailableError when REDIS_URL is unset or Redis does not answer.
    """
    from rq import Worker

    if not config.redis_url:
        raise jobs.JobQueueUnavailableError(
            N_("Set REDIS_URL to run a worker; without it batches run in the web process."))
    connection = jobs.redis_connection(config.redis_url)
    try:
        connection.ping()
    except jobs.redis_errors() as error:
        raise jobs.JobQueueUnavailableError(N_("Redis does not answer at REDIS_URL.")) from error
    # Each job runs in a fork of this process, and its PDF workers in forks of that: import what they need once.
    pdf_jobs.preload_batch_workers()
    # Database connections must not be shared with the forked children that run the jobs.
    engine.dispose()
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    echo(f"Working the {jobs.QUEUE_NAME!r} queue.")
    # The scheduler runs the e-mail and webhook retries queued for later.
    Worker([jobs.QUEUE_NAME], connection=connection).work(burst=burst, with_scheduler=True)
