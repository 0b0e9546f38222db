"""People: creating them, signing in with throttling, their language."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Iterable, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from audit_app.languages import LANGUAGES
from audit_app.models import ROLES, Area, Store, User
from audit_app.services import audit
from audit_app.services.errors import N_, Message, ServiceError, message
from audit_app.services.passwords import password_problem

# Checked against when the e-mail is unknown, so a wrong e-mail costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("storecheck-timing-equaliser")


class UserError(ServiceError):
    pass


class InvalidCredentialsError(ServiceError):
    pass


class SignInThrottledError(ServiceError):
    """Too many failed sign-ins from this client (for this e-mail, or from its address): wait and try again.
    Raised the same way whether or not the e-mail belongs to anyone."""


class SignInThrottle(Protocol):
    """Counts failed sign-ins of one client (its address) and says when it must wait. E-mails are normalised."""

    def is_blocked(self, email: str) -> bool: ...

    def record_failure(self, email: str) -> None: ...

    def record_success(self, email: str) -> None: ...


def normalise_email(email: str) -> str:
    return email.strip().lower()


# werkzeug's default. The caller passes the configured method (Config.password_hash_method): the test suite
# uses a cheap one, as the hash of every test user otherwise dominates its run time.
# Checked: the name of a hash method, not a password.
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"  # nosec B105


def hash_password(password: str, method: str = DEFAULT_PASSWORD_HASH_METHOD) -> str:
    """The stored form of a password, hashed with `method`; a stored hash names its method, so any verifies."""
    return generate_password_hash(password, method=method)


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    now: datetime,
    actor: User | None = None,
    locale: str = "en",
    area_codes: Iterable[str] = (),
    store_codes: Iterable[str] = (),
    enforce_policy: bool = True,
    password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD,
) -> User:
    """Create a user with a hashed password; raises UserError for a taken e-mail, a bad role or a password the
    policy refuses (`enforce_policy=False` only for the demo's published password)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise UserError(N_("Unknown role %(role)s. Use one of: %(roles)s."), role=role, roles=", ".join(ROLES))
    if "@" not in email:
        raise UserError(N_("That does not look like an e-mail address."))
    problem = password_problem(password, email=email, name=name) if enforce_policy else None
    if problem is not None:
        raise UserError([problem])
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(N_("A user with the e-mail %(email)s already exists."), email=email)
    codes = list(area_codes)
    areas = list(session.scalars(select(Area).where(Area.code.in_(codes)))) if codes else []
    missing = sorted(set(codes) - {a.code for a in areas})
    if missing:
        raise UserError(N_("Unknown area code(s): %(codes)s."), codes=", ".join(missing))
    if areas and role != "area_manager":
        raise UserError(N_("Only area managers are linked to areas."))
    shop_codes = list(store_codes)
    stores = list(session.scalars(select(Store).where(Store.code.in_(shop_codes)))) if shop_codes else []
    missing = sorted(set(shop_codes) - {s.code for s in stores})
    if missing:
        raise UserError(N_("Unknown store code(s): %(codes)s."), codes=", ".join(missing))
    if stores and role != "store_manager":
        raise UserError(N_("Only store managers are linked to stores."))
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password, password_hash_method),
        role=role,
        locale=locale,
        session_token=secrets.token_hex(16),
        created_at=now,
        failed_logins=0,
        is_active_user=True,
    )
    user.areas = areas
    user.stores = stores
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id, now=now,
                 after={"email": email, "role": role, "areas": codes, "stores": shop_codes})
    session.commit()
    return user


def authenticate(session: Session, *, email: str, password: str, now: datetime,
                 throttle: SignInThrottle | None = None, chosen_locale: str | None = None) -> User:
    """Return the user whose password matches.

    `chosen_locale`, a language picked on the sign-in page just now, wins over the one the user saved and becomes it.

    Raises InvalidCredentialsError (the same for an unknown e-mail and a wrong password) and SignInThrottledError
    when `throttle` says this client has failed too often; the throttle counts the same for unknown e-mails, and
    no account is ever locked for everyone: a client that has not failed still signs in with the right password.
    """
    email = normalise_email(email)
    if throttle is not None and throttle.is_blocked(email):
        raise SignInThrottledError()
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)
        matched = False
    else:
        matched = check_password_hash(user.password_hash, password)
    if not matched:
        if throttle is not None:
            throttle.record_failure(email)
        raise InvalidCredentialsError()
    if throttle is not None:
        throttle.record_success(email)
    if chosen_locale in LANGUAGES and chosen_locale != user.locale:
        set_locale(session, user, chosen_locale)  # type: ignore[arg-type]
    return user  # type: ignore[return-value]


def user_for_session(session: Session, session_id: str) -> User | None:
    """The active user a sign-in session names ("<user id>:<session token>"), or None when it names nobody now
    (unknown, deactivated, or signed out everywhere since)."""
    uid, _, token = session_id.partition(":")
    if not uid.isdigit() or not token:
        return None
    user = session.get(User, int(uid))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """Make every existing session of the user invalid (a copied cookie stops working too)."""
    user.session_token = secrets.token_hex(16)
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    """Remember the user's interface language."""
    user.locale = locale
    session.commit()


def change_password(session: Session, user: User, *, current: str, new: str, now: datetime,
                    password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD) -> dict[str, Message | list[Message]]:
    """A person changes their own password. Returns problems by field ("current", "new"; a Message or a list of
    phrases, for `audit_app.i18n.message_text`), empty on success.

    Success ends every other session of theirs: the caller signs them in again under the new session token."""
    problems: dict[str, Message | list[Message]] = {}
    if not check_password_hash(user.password_hash, current):
        problems["current"] = message(N_("That is not your current password."))
    problem = password_problem(new, email=user.email, name=user.name)
    if problem is not None:
        problems["new"] = [problem]
    elif new == current:
        problems["new"] = message(N_("The new password is the same as the current one."))
    if problems:
        return problems
    user.password_hash = hash_password(new, password_hash_method)
    user.session_token = secrets.token_hex(16)
    audit.record(session, actor=user, action="user.password", entity_type="user", entity_id=user.id, now=now,
                 detail="changed their own password")
    session.commit()
    return {}
