"""Assigning checklists at stores to shoppers for a date window: one at a time, or every store of an area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Assignment, Checklist, Store, User
from audit_app.services import audit, notifications
from audit_app.services.checklists import has_published_version
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import N_, NotFoundError, ServiceError
from audit_app.services.paging import page_of


class AssignmentError(ServiceError):
    pass


def _check(session: Session, *, checklist_id: int, window_start: date, window_end: date) -> Checklist:
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFoundError(N_("No such checklist."))
    if not has_published_version(session, checklist_id):
        raise AssignmentError(N_("This checklist has no published version yet."))
    if window_end < window_start:
        raise AssignmentError(N_("The window must end on or after the day it starts."))
    return checklist


def _shopper(session: Session, shopper_id: int) -> User:
    shopper = session.get(User, shopper_id)
    if shopper is None or shopper.role != "shopper" or not shopper.is_active_user:
        raise AssignmentError(N_("Choose an active shopper."))
    return shopper


def create_assignment(session: Session, actor: User, *, shopper_id: int, store_id: int, checklist_id: int,
                      window_start: date, window_end: date, now: datetime) -> Assignment:
    """One assignment; raises NotFoundError, AssignmentError (inactive shopper or store, no published version,
    a window that ends before it starts)."""
    assignment = add_assignment(session, actor, shopper_id=shopper_id, store_id=store_id, checklist_id=checklist_id,
                                window_start=window_start, window_end=window_end, now=now)
    session.commit()
    return assignment


def add_assignment(session: Session, actor: User | None, *, shopper_id: int, store_id: int, checklist_id: int,
                   window_start: date, window_end: date, now: datetime, detail: str = "") -> Assignment:
    """`create_assignment` without the commit, for callers that create several in one transaction (visit plans).

    The new-assignment notification is sent from here, so every way of creating an assignment tells the shopper.
    """
    _check(session, checklist_id=checklist_id, window_start=window_start, window_end=window_end)
    _shopper(session, shopper_id)
    store = session.get(Store, store_id)
    if store is None or not store.is_active:
        raise AssignmentError(N_("Choose an active store."))
    assignment = Assignment(shopper_id=shopper_id, store_id=store_id, checklist_id=checklist_id,
                            window_start=window_start, window_end=window_end, status="open", created_at=now,
                            created_by_id=actor.id if actor else None)
    session.add(assignment)
    session.flush()
    audit.record(session, actor=actor, action="assignment.create", entity_type="assignment", entity_id=assignment.id,
                 now=now, after={"shopper_id": shopper_id, "store_id": store_id, "checklist_id": checklist_id,
                                 "window": [window_start.isoformat(), window_end.isoformat()]}, detail=detail)
    notifications.notify_assignments(session, [assignment], now=now)
    return assignment


def _last_shopper_at(session: Session, store_ids: list[int]) -> dict[int, int]:
    """The shopper of each store's most recent assignment (any checklist)."""
    rows = session.execute(
        select(Assignment.store_id, Assignment.shopper_id).where(Assignment.store_id.in_(store_ids))
        .order_by(Assignment.window_start, Assignment.created_at, Assignment.id)
    )
    return {store_id: shopper_id for store_id, shopper_id in rows}


@dataclass(frozen=True)
class PlannedAssignment:
    store_id: int
    store_name: str
    shopper_id: int
    shopper_name: str


def plan_area(session: Session, *, area_id: int, shopper_ids: list[int] | None = None) -> list[PlannedAssignment]:
    """Spread the active stores of an area across shoppers, evenly and never giving a store the shopper who
    had it last (unless only that shopper is available).

    Shoppers default to the active shoppers whose home region is the area's. Raises AssignmentError when there
    are none, NotFoundError for an unknown area.
    """
    area = session.get(Area, area_id)
    if area is None:
        raise NotFoundError(N_("No such area."))
    q = select(User).where(User.role == "shopper", User.is_active_user.is_(True)).order_by(User.name, User.id)
    q = q.where(User.id.in_(shopper_ids)) if shopper_ids else q.where(User.region_id == area.region_id)
    shoppers = list(session.scalars(q))
    if not shoppers:
        raise AssignmentError(N_("No active shoppers to assign: give shoppers this region as their home region, "
                                 "or choose them."))
    stores = list(session.scalars(select(Store).where(Store.area_id == area_id, Store.is_active.is_(True))
                                  .order_by(Store.name, Store.id)))
    if not stores:
        raise AssignmentError(N_("This area has no active stores."))
    last = _last_shopper_at(session, [s.id for s in stores])
    load = {s.id: 0 for s in shoppers}
    order = {s.id: i for i, s in enumerate(shoppers)}
    plan = []
    for store in stores:
        candidates = [s for s in shoppers if s.id != last.get(store.id)] or shoppers
        chosen = min(candidates, key=lambda s: (load[s.id], order[s.id]))
        load[chosen.id] += 1
        plan.append(PlannedAssignment(store.id, store.name, chosen.id, chosen.name))
    session.rollback()
    return plan


def assign_area(session: Session, actor: User, *, area_id: int, checklist_id: int, window_start: date,
                window_end: date, now: datetime, shopper_ids: list[int] | None = None) -> list[PlannedAssignment]:
    """Assign the checklist at every active store of an area (see `plan_area`); all or nothing."""
    _check(session, checklist_id=checklist_id, window_start=window_start, window_end=window_end)
    plan = plan_area(session, area_id=area_id, shopper_ids=shopper_ids)
    created = [Assignment(shopper_id=item.shopper_id, store_id=item.store_id, checklist_id=checklist_id,
                          window_start=window_start, window_end=window_end, status="open", created_at=now,
                          created_by_id=actor.id) for item in plan]
    session.add_all(created)
    audit.record(session, actor=actor, action="assignment.bulk", entity_type="area", entity_id=area_id, now=now,
                 after={"checklist_id": checklist_id, "stores": len(plan),
                        "window": [window_start.isoformat(), window_end.isoformat()]},
                 detail=f"{len(plan)} assignment(s) created")
    notifications.notify_assignments(session, created, now=now)
    session.commit()
    return plan


def cancel_assignment(session: Session, actor: User, assignment_id: int, *, now: datetime) -> None:
    """Cancel an open assignment; raises NotFoundError, AssignmentError once a visit has started."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFoundError(N_("No such assignment."))
    if assignment.status != "open":
        raise AssignmentError(N_("Only an assignment that has not been started can be cancelled."))
    assignment.status = "cancelled"
    audit.record(session, actor=actor, action="assignment.cancel", entity_type="assignment", entity_id=assignment.id,
                 now=now, before={"status": "open"}, after={"status": "cancelled"})
    session.commit()


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    store_name: str
    shopper_name: str
    checklist_title: str
    window_start: date
    window_end: date
    status: str


# Assignment statuses, as the list filters them.
STATUSES = ("open", "done", "cancelled")
PER_PAGE = 50


@dataclass(frozen=True)
class AssignmentPage:
    """One page of the assignments list, with the true total of those the filter keeps."""

    rows: tuple[AssignmentRow, ...]
    total: int
    page: int
    pages: int
    status: str | None


def list_assignments(session: Session, *, status: str | None = None, page: int = 1, per_page: int = PER_PAGE,
                     lang: str = "en") -> AssignmentPage:
    """A page of assignments (`status`: one of STATUSES, or None for all), latest window first, checklists titled
    in `lang`. A page past the last shows the last."""
    wanted = [Assignment.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Assignment).where(*wanted)) or 0
    page, pages, shown = page_of(total, page, per_page)
    q = (
        select(Assignment.id, Store.name, User.name, Checklist.title, Assignment.window_start, Assignment.window_end,
               Assignment.status, Checklist.id)
        .join(Store, Assignment.store_id == Store.id).join(User, Assignment.shopper_id == User.id)
        .join(Checklist, Assignment.checklist_id == Checklist.id).where(*wanted)
        .order_by(Assignment.window_start.desc(), Assignment.id.desc())
        .offset(shown.start).limit(per_page)
    )
    rows = session.execute(q).all()
    titles = checklist_titles_in(session, lang, {row[7] for row in rows})
    return AssignmentPage(tuple(AssignmentRow(*row[:3], titles.get(row[7], row[3]), *row[4:7]) for row in rows),
                          total, page, pages, status)
