"""Who may see what. Every view loads its resource through one of these helpers.

404 when the thing does not exist, 403 when it exists but is not yours.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Store, User, Visit, area_managers

F = TypeVar("F", bound=Callable[..., object])


def role_required(*roles: str) -> Callable[[F], F]:
    """Sign-in required (redirect to /login), then one of `roles` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: object, **kwargs: object) -> object:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def managed_area_ids(session: Session, user: User) -> set[int]:
    """The areas an area manager looks after (empty for other roles)."""
    if user.role != "area_manager":
        return set()
    rows = session.execute(select(area_managers.c.area_id).where(area_managers.c.user_id == user.id))
    return {row[0] for row in rows}


def can_see_store(session: Session, user: User, store: Store) -> bool:
    if user.role == "head_office":
        return True
    if user.role == "area_manager":
        return store.area_id in managed_area_ids(session, user)
    return False


def can_see_visit(session: Session, user: User, visit: Visit) -> bool:
    if user.role == "head_office":
        return True
    if user.role == "shopper":
        return visit.shopper_id == user.id
    store = session.get(Store, visit.store_id)
    return store is not None and can_see_store(session, user, store)


def get_store_or_abort(session: Session, user: User, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None:
        abort(404)
    if not can_see_store(session, user, store):
        abort(403)
    return store


def get_visit_or_abort(session: Session, user: User, visit_id: int) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    if not can_see_visit(session, user, visit):
        abort(403)
    return visit
