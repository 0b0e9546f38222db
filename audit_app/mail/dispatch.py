"""Getting the outbox sent after a commit, without making the request wait or fail.

A commit that wrote outbox messages kicks the sender: with REDIS_URL an RQ job (`flask --app wsgi worker`
runs it), otherwise a sender thread of this process wakes up. Either way a failure to kick is only logged: the
messages stay in the outbox, and the next kick, the thread's periodic look or `flask --app wsgi mail send` sends
them. Commands and jobs do not start a thread (their process ends): they send with `mail send` themselves.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from audit_app.models import OutboxMessage

logger = logging.getLogger(__name__)

EXTENSION = "storecheck_mail"
WORKER_ENTRY_POINT = "audit_app.worker.perform_mail_send"
# The sender thread looks at the outbox at least this often (retries that have come due).
POLL = timedelta(minutes=1)
_WRITTEN = "storecheck_outbox_written"


class SenderThread:
    """One daemon thread per app and process that sends the outbox when woken, and every POLL."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stopping = False

    def wake(self) -> None:
        with self.lock:
            if self.stopping:
                return
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="storecheck-mail", daemon=True)
                self.thread.start()
        self.event.set()

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            thread = self.thread
        self.event.set()
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        from audit_app.extensions import db
        from audit_app.mail.sender import send_due

        while not self.stopping:
            self.event.wait(timeout=POLL.total_seconds())
            self.event.clear()
            if self.stopping:
                break
            try:
                with self.app.app_context():
                    try:
                        send_due(self.app, db.session, self.app.config["STORECHECK_CONFIG"],
                                 now=datetime.now(timezone.utc))
                    finally:
                        db.session.remove()
            except Exception:  # the thread must live on; the messages stay in the outbox
                logger.exception("sending the outbox failed")


class MailState:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.sender = SenderThread(app)


def init_mail(app: Flask) -> None:
    app.extensions[EXTENSION] = MailState(app)
    if not event.contains(Session, "after_flush", _note_outbox):
        event.listen(Session, "after_flush", _note_outbox)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _forget)


def _note_outbox(session: Session, _context: Any) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info[_WRITTEN] = True


def _forget(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


def _after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN, False) and has_app_context():
        kick(current_app._get_current_object())  # type: ignore[attr-defined]


def kick(app: Flask) -> None:
    """Get the outbox on its way now (see the module's docstring); never raises."""
    config = app.config["STORECHECK_CONFIG"]
    if not config.smtp_url:
        return  # e-mail is off: the messages wait in the outbox, shown in the settings
    state = app.extensions.get(EXTENSION)
    try:
        if config.redis_url:
            enqueue_send(config.redis_url)
        elif config.mail_delivery == "thread" and has_request_context() and state is not None:
            state.sender.wake()
    except Exception:  # a queue that cannot be reached must not fail the request that wrote the mail
        logger.warning("could not start sending the outbox; it will be sent later", exc_info=True)


def enqueue_send(redis_url: str, *, delay: timedelta | None = None) -> None:
    """Queue a job that sends the outbox (after `delay`, which needs a worker with its scheduler)."""
    from rq import Queue

    from audit_app.services.jobs import QUEUE_NAME, redis_connection

    queue = Queue(QUEUE_NAME, connection=redis_connection(redis_url))
    options: dict[str, Any] = {"timeout": 600, "result_ttl": 3600, "failure_ttl": 86400,
                               "description": "send the e-mail outbox"}
    if delay is None:
        queue.enqueue_call(WORKER_ENTRY_POINT, **options)
    else:
        queue.enqueue_in(delay, WORKER_ENTRY_POINT, job_timeout=600, result_ttl=3600, failure_ttl=86400,
                         description="send the e-mail outbox (retries)")


def stop_sender(app: Flask) -> None:
    """Stop this process's sender thread (tests; a process shutting down cleanly)."""
    state = app.extensions.get(EXTENSION)
    if state is not None:
        state.sender.stop()
