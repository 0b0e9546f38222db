"""Personal access tokens: people create, list and revoke their own; the API authenticates requests with them.

A token's secret is 32 random bytes, shown once when it is created. Only its SHA-256 is stored: a secret that
random needs no slow password hash, and a digest can be looked up by index. A token acts as its owner (their
current role and areas) and stops working when it expires, is revoked, or its owner is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import ApiToken, User
from audit_app.models.api_tokens import TOKEN_SCOPES
from audit_app.services import audit
from audit_app.services.errors import N_, NotFoundError, ServiceError

SECRET_PREFIX = "sct_"  # nosec B105  (the marker every token starts with, not a secret)
MAX_LIFETIME = timedelta(days=366)
# last_used_at is written at most this often, so that a busy integration is not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ServiceError):
    pass


class TokenRefusedError(ServiceError):
    """The request's token is unknown, expired, revoked, or its owner is deactivated (`reason` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(N_("The access token is not valid."))
        self.reason = reason


def digest(secret: str) -> str:
    """The stored form of a secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class NewToken:
    row: TokenRow
    secret: str  # shown once, never stored


def _row(token: ApiToken) -> TokenRow:
    return TokenRow(token.id, token.name, token.prefix, token.scope, token.created_at, token.expires_at,
                    token.last_used_at, token.revoked_at)


def create_token(session: Session, owner: User, *, name: str, scope: str, expires_at: datetime,
                 now: datetime) -> NewToken:
    """A new token for `owner`; its secret is in the result and nowhere else. Raises TokenError for an empty
    or over-long name, an unknown scope, an expiry in the past or more than a year away."""
    name = name.strip()
    if not name or len(name) > 80:
        raise TokenError(N_("Give the token a name of at most 80 characters."))
    if scope not in TOKEN_SCOPES:
        raise TokenError(N_("Choose read or read and write."))
    if expires_at <= now:
        raise TokenError(N_("The expiry must be in the future."))
    if expires_at - now > MAX_LIFETIME:
        raise TokenError(N_("A token lasts at most a year."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, prefix=secret[:12], secret_hash=digest(secret), scope=scope,
                     created_at=now, expires_at=expires_at)
    session.add(token)
    session.flush()
    audit.record(session, actor=owner, action="api_token.create", entity_type="api_token", entity_id=token.id,
                 now=now, after={"name": name}, detail=f"{scope}, expires {expires_at.date().isoformat()}")
    session.commit()
    return NewToken(_row(token), secret)


def list_tokens(session: Session, owner: User) -> list[TokenRow]:
    """The owner's tokens, newest first, revoked and expired ones included."""
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)
                             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [_row(token) for token in tokens]


def revoke_token(session: Session, owner: User, token_id: int, *, now: datetime) -> TokenRow:
    """Revoke one of the owner's tokens (at once: the next request with it is refused). Revoking twice is
    harmless. Raises NotFoundError for a token that is not theirs."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != owner.id:
        raise NotFoundError(N_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor=owner, action="api_token.revoke", entity_type="api_token",
                     entity_id=token.id, now=now, before={"name": token.name})
    session.commit()
    return _row(token)


@dataclass(frozen=True)
class Caller:
    """Who an API request acts as: the token's owner, and what the token allows."""

    user: User
    token_id: int
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "read_write"


def authenticate(session: Session, secret: str, *, now: datetime) -> Caller:
    """The owner of a token secret; notes when it was last used (to the minute). Raises TokenRefusedError."""
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    if token is None or not secrets.compare_digest(token.secret_hash, digest(secret)):
        raise TokenRefusedError("unknown")
    if token.revoked_at is not None:
        raise TokenRefusedError("revoked")
    if token.expires_at <= now:
        raise TokenRefusedError("expired")
    owner = session.get(User, token.user_id)
    if owner is None or not owner.is_active_user:
        raise TokenRefusedError("inactive")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return Caller(owner, token.id, token.scope)
