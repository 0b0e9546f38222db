"""Sending what the outbox holds: claim due messages, send them over one SMTP connection, retry with backoff."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from audit_app.config import Config
from audit_app.mail.render import render_message
from audit_app.mail.transport import SmtpConnection, SmtpSettings, parse_smtp_url
from audit_app.models import OutboxMessage, User
from audit_app.services import notifications

# Waits before the 2nd, 3rd... attempt; after the last one fails the message is given up as failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed message whose sender went away is taken up again after this long.
CLAIM_FOR = timedelta(minutes=10)
BATCH = 100

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    is_off: bool = False
    # When the earliest message waiting for a retry is due (None: nothing waits).
    next_retry_at: datetime | None = None


def _claim(session: Session, now: datetime, limit: int) -> list[int]:
    """Mark due messages as being sent by this sender; another sender running at once claims others."""
    due = or_(OutboxMessage.status == "pending", OutboxMessage.status == "sending")
    ids = list(session.scalars(select(OutboxMessage.id).where(due, OutboxMessage.next_attempt_at <= now)
                               .order_by(OutboxMessage.id).limit(limit)))
    claimed = []
    for message_id in ids:
        result = session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, due, OutboxMessage.next_attempt_at <= now)
            .values(status="sending", next_attempt_at=now + CLAIM_FOR))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    session.commit()
    return claimed


def _is_permanent(error: Exception) -> bool:
    """A refusal the server says will not change (5xx), as opposed to a busy server or a lost connection."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _forget_secret(message: OutboxMessage) -> None:
    if notifications.SECRET in (message.context or {}):
        message.context = {k: v for k, v in message.context.items() if k != notifications.SECRET}


def _no_longer_wanted(session: Session, message: OutboxMessage) -> str | None:
    """Why a message written earlier must not go out now: its recipient was deactivated or turned its kind off."""
    if message.user_id is None:
        return None
    user = session.get(User, message.user_id)
    if user is None or not user.is_active_user:
        return "the recipient's account has been deactivated"
    kind = notifications.KINDS.get(message.kind)
    if kind is not None and kind.is_optional and not notifications.wants(session, user.id, kind.key):
        return "the recipient turned this kind of e-mail off"
    return None


def _record_failure(message: OutboxMessage, error: Exception, now: datetime) -> str:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if _is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        _forget_secret(message)
    else:
        message.status = "pending"
        message.next_attempt_at = now + BACKOFF[message.attempts - 1]
    return message.status


def send_due(app: Flask, session: Session, config: Config, *, now: datetime,
             connect: Callable[[SmtpSettings], SmtpConnection] = SmtpConnection, limit: int = BATCH) -> SendSummary:
    """Send the messages that are due (new ones, and retries whose time has come), each committed on its own.

    Without SMTP_URL nothing is sent and the messages stay in the outbox. A message that fails waits BACKOFF
    before its next attempt and is given up after MAX_ATTEMPTS, or at once when the server refuses it for good."""
    if not config.smtp_url:
        return SendSummary(is_off=True)
    settings = parse_smtp_url(config.smtp_url)
    claimed = _claim(session, now, limit)
    sent = retrying = failed = 0
    if claimed:
        try:
            connection = connect(settings).__enter__()
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("SMTP server %s unreachable: %s", settings.display, error)
            for message_id in claimed:
                message = session.get(OutboxMessage, message_id)
                if message is not None and _record_failure(message, error, now) == "failed":
                    failed += 1
                elif message is not None:
                    retrying += 1
            session.commit()
        else:
            try:
                for message_id in claimed:
                    message = session.get(OutboxMessage, message_id)
                    if message is None:
                        continue
                    reason = _no_longer_wanted(session, message)
                    if reason:
                        message.status, message.last_error = "cancelled", reason
                        _forget_secret(message)
                        session.commit()
                        continue
                    try:
                        email = render_message(app, message, config)
                        connection.send(email)
                    except (smtplib.SMTPException, OSError, KeyError) as error:
                        logger.warning("e-mail %s to %s not sent: %s", message.id, message.to_address, error)
                        if _record_failure(message, error, now) == "failed":
                            failed += 1
                        else:
                            retrying += 1
                    else:
                        message.status = "sent"
                        message.sent_at = now
                        message.attempts += 1
                        message.subject = str(email["Subject"])[:255]
                        message.last_error = ""
                        _forget_secret(message)
                        sent += 1
                    session.commit()
            finally:
                connection.__exit__(None, None, None)
    next_retry = session.scalar(select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == "pending")
                                .order_by(OutboxMessage.next_attempt_at).limit(1))
    session.rollback()
    return SendSummary(sent, retrying, failed, next_retry_at=next_retry)
