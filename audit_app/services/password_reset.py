"""Password reset by e-mail: a single-use, time-limited link whose secret is kept only as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from audit_app.models import PasswordResetToken, User
from audit_app.services import audit, notifications
from audit_app.services.errors import N_, Message, ServiceError
from audit_app.services.passwords import password_problem
from audit_app.services.users import DEFAULT_PASSWORD_HASH_METHOD, hash_password, normalise_email


# A second request for the same person within this time sends nothing (the answer is the same).
RESEND_AFTER = timedelta(minutes=1)


class ResetLinkError(ServiceError):
    """The link is unknown, used already or too old."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def request_password_reset(session: Session, email: str, *, now: datetime, valid_for: timedelta) -> None:
    """Send a reset link to the active person with this e-mail, if there is one; nothing else happens otherwise,
    and the caller answers the same either way. Earlier links of theirs stop working. Commits."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None or not user.is_active_user:
        session.rollback()
        return
    latest = session.scalar(select(func.max(PasswordResetToken.created_at))
                            .where(PasswordResetToken.user_id == user.id))
    if latest is not None and now - latest < RESEND_AFTER:
        session.rollback()  # one link a minute at most: nobody's mailbox is flooded by someone else's clicks
        return
    secret = secrets.token_urlsafe(32)
    session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                     PasswordResetToken.used_at.is_(None)).values(used_at=now))
    session.add(PasswordResetToken(user_id=user.id, token_hash=_digest(secret), created_at=now,
                                   expires_at=now + valid_for))
    notifications.notify(session, notifications.PASSWORD_RESET.key, user,
                         {notifications.SECRET: secret, "minutes": int(valid_for.total_seconds() // 60)}, now=now)
    session.commit()


def _valid_token(session: Session, secret: str, now: datetime) -> tuple[PasswordResetToken, User]:
    token = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(secret)))
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise ResetLinkError(N_("This link to choose a new password has expired or has been used. Ask for a new one."))
    user = session.get(User, token.user_id)
    if user is None or not user.is_active_user:
        raise ResetLinkError(N_("This link to choose a new password has expired or has been used. Ask for a new one."))
    return token, user


def check_reset_link(session: Session, secret: str, *, now: datetime) -> None:
    """Whether a reset link still works. Raises ResetLinkError."""
    try:
        _valid_token(session, secret, now)
    finally:
        session.rollback()


def reset_password(session: Session, secret: str, new: str, *, now: datetime,
                   password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD) -> dict[str, Message | list[Message]]:
    """Set a new password through a reset link. Returns problems with the new password by field ("new"),
    empty on success. Success uses the link up and ends every session of the person. Raises ResetLinkError."""
    token, user = _valid_token(session, secret, now)
    problem = password_problem(new, email=user.email, name=user.name)
    if problem is not None:
        session.rollback()
        return {"new": [problem]}
    user.password_hash = hash_password(new, password_hash_method)
    user.session_token = secrets.token_hex(16)
    user.failed_logins = 0
    token.used_at = now
    audit.record(session, actor=user, action="user.password", entity_type="user", entity_id=user.id, now=now,
                 detail="chose a new password through a reset link")
    session.commit()
    return {}


