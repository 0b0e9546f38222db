"""Who may see what: the one place a store, an area, a region or a visit is loaded for a reader.

Every reader and use case loads its resource through these, and they raise `NotFoundError` when the thing does
not exist and `PermissionDeniedError` when it exists but is not the reader's; the web maps both app-wide to 404 and
403 (`audit_app/errors.py`), so a view never catches them. Head office sees everything, an area manager the stores
of the areas they look after, a store manager the stores linked to them, a shopper only their own visits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Area, Region, Store, User, Visit, area_managers, store_managers
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError


def managed_area_ids(session: Session, user: User) -> set[int]:
    """The areas an area manager looks after (empty for other roles)."""
    if user.role != "area_manager":
        return set()
    rows = session.execute(select(area_managers.c.area_id).where(area_managers.c.user_id == user.id))
    return {row[0] for row in rows}


def managed_store_ids(session: Session, user: User) -> set[int]:
    """The stores a store manager looks after (empty for other roles)."""
    if user.role != "store_manager":
        return set()
    rows = session.execute(select(store_managers.c.store_id).where(store_managers.c.user_id == user.id))
    return {row[0] for row in rows}


def visible_store_ids(session: Session, user: User) -> set[int] | None:
    """The stores a reader sees: None for head office (all of them), an area manager's areas' stores, a store
    manager's own stores, nothing for a shopper."""
    if user.role == "head_office":
        return None
    if user.role == "store_manager":
        return managed_store_ids(session, user)
    areas = managed_area_ids(session, user)
    if not areas:
        return set()
    return set(session.scalars(select(Store.id).where(Store.area_id.in_(areas))))


def visible_area_ids(session: Session, user: User) -> set[int] | None:
    """The areas whose figures a reader sees: None for head office (all of them), an area manager's own."""
    return None if user.role == "head_office" else managed_area_ids(session, user)


def can_see_store(session: Session, user: User, store: Store) -> bool:
    if user.role == "head_office":
        return True
    if user.role == "area_manager":
        return store.area_id in managed_area_ids(session, user)
    if user.role == "store_manager":
        return store.id in managed_store_ids(session, user)
    return False


def store_for(session: Session, user: User, store_id: int) -> Store:
    """A store whose figures the reader may see."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFoundError(N_("No such store."))
    if not can_see_store(session, user, store):
        if user.role == "store_manager":
            raise PermissionDeniedError(N_("This store is not one of yours."))
        raise PermissionDeniedError(N_("This store is not in your areas."))
    return store


def area_for(session: Session, user: User, area_id: int) -> Area:
    """An area the reader may see: head office any, an area manager their own."""
    area = session.get(Area, area_id)
    if area is None:
        raise NotFoundError(N_("No such area."))
    if user.role != "head_office" and area.id not in managed_area_ids(session, user):
        raise PermissionDeniedError(N_("This area is not one of yours."))
    return area


def region_for(session: Session, user: User, region_id: int) -> Region:
    """A whole region, for head office."""
    region = session.get(Region, region_id)
    if region is None:
        raise NotFoundError(N_("No such region."))
    if user.role != "head_office":
        raise PermissionDeniedError(N_("Regions are for head office."))
    return region


def check_owner(user: User, visit: Visit) -> None:
    """A shopper's own visit: anybody else is refused."""
    if visit.shopper_id != user.id:
        raise PermissionDeniedError(N_("This visit belongs to someone else."))


def can_see_visit(session: Session, user: User, visit: Visit) -> bool:
    if user.role == "head_office":
        return True
    if user.role == "shopper":
        return visit.shopper_id == user.id
    store = session.get(Store, visit.store_id)
    return store is not None and can_see_store(session, user, store)


def visit_for(session: Session, user: User, visit_id: int) -> Visit:
    """A visit the reader may see: its shopper, head office, or the manager of its store's area. An area
    manager does not see a draft until it is submitted: NotFoundError, as if it did not exist."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    if visit.status == "draft" and user.role in ("area_manager", "store_manager"):
        raise NotFoundError(N_("No such visit."))
    if not can_see_visit(session, user, visit):
        if user.role == "shopper":
            raise PermissionDeniedError(N_("This visit belongs to someone else."))
        if user.role == "store_manager":
            raise PermissionDeniedError(N_("This store is not one of yours."))
        raise PermissionDeniedError(N_("This store is not in your areas."))
    return visit
