"""Visit plans: define a schedule per checklist and store group, generate its assignments ahead of time, fairly
and idempotently, flag missed windows and re-assign them.

Rules applied when choosing a shopper for a store's window, in this order:
1. active shoppers only; with `home_region_only`, only those whose home region is the store's region;
2. not unavailable on any day of the window;
3. with `no_repeat_shopper`, not the shopper of the store's previous assignment (any checklist, not cancelled);
4. with `lockout_days` N, not a shopper who has another assignment at that store starting less than N days
   before or after this window starts;
5. among the rest, the fewest assignments starting in the 90 days before the window (counting the ones this
   run is creating), ties broken by name then id, so the same data always gives the same plan.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Assignment, AuditLog, Checklist, Region, Store, User
from audit_app.models.plans import PLAN_FREQUENCIES, PLAN_SCOPES, PlanVisit, UnavailableDates, VisitPlan
from audit_app.services import assignments, audit
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import N_, NotFoundError, ServiceError

FAIRNESS_DAYS = 90
MAX_PERIODS = 400  # a guard against a schedule that would loop for ever


class PlanError(ServiceError):
    pass


@dataclass(frozen=True)
class PlanSettings:
    name: str
    checklist_id: int
    scope: str
    region_id: int | None
    area_id: int | None
    frequency: str
    every_weeks: int
    waves: list[tuple[date, date]]
    starts_on: date
    window_days: int
    lead_days: int
    lockout_days: int
    no_repeat_shopper: bool
    home_region_only: bool
    reassign_missed: bool


def _validate(session: Session, s: PlanSettings) -> None:
    if session.get(Checklist, s.checklist_id) is None:
        raise NotFoundError(N_("No such checklist."))
    if s.scope not in PLAN_SCOPES:
        raise PlanError(N_("Choose which stores the plan covers."))
    if s.scope == "region" and (s.region_id is None or session.get(Region, s.region_id) is None):
        raise PlanError(N_("Choose a region."))
    if s.scope == "area" and (s.area_id is None or session.get(Area, s.area_id) is None):
        raise PlanError(N_("Choose an area."))
    if s.frequency not in PLAN_FREQUENCIES:
        raise PlanError(N_("Choose how often the stores are visited."))
    if s.frequency == "weeks" and not 1 <= s.every_weeks <= 52:
        raise PlanError(N_("Every how many weeks must be between 1 and 52."))
    if s.frequency == "waves":
        if not s.waves:
            raise PlanError(N_("Give at least one wave, one line per wave: start date, end date."))
        for start, end in s.waves:
            if end < start:
                raise PlanError(N_("A wave must end on or after the day it starts."))
    if not 1 <= s.window_days <= 92:
        raise PlanError(N_("The visit window must be between 1 and 92 days."))
    if not 0 <= s.lead_days <= 92:
        raise PlanError(N_("Days ahead must be between 0 and 92."))
    if not 0 <= s.lockout_days <= 365:
        raise PlanError(N_("The lockout must be between 0 and 365 days."))


def _apply(plan: VisitPlan, s: PlanSettings) -> None:
    plan.name, plan.checklist_id, plan.scope = s.name, s.checklist_id, s.scope
    plan.region_id = s.region_id if s.scope == "region" else None
    plan.area_id = s.area_id if s.scope == "area" else None
    plan.frequency, plan.every_weeks = s.frequency, s.every_weeks
    plan.waves = [[a.isoformat(), b.isoformat()] for a, b in s.waves] if s.frequency == "waves" else []
    plan.starts_on, plan.window_days, plan.lead_days = s.starts_on, s.window_days, s.lead_days
    plan.lockout_days, plan.no_repeat_shopper = s.lockout_days, s.no_repeat_shopper
    plan.home_region_only, plan.reassign_missed = s.home_region_only, s.reassign_missed


def _snapshot(plan: VisitPlan) -> dict:
    return {"name": plan.name, "checklist_id": plan.checklist_id, "scope": plan.scope, "region_id": plan.region_id,
            "area_id": plan.area_id, "frequency": plan.frequency, "every_weeks": plan.every_weeks,
            "waves": plan.waves, "starts_on": plan.starts_on.isoformat(), "window_days": plan.window_days,
            "lead_days": plan.lead_days, "lockout_days": plan.lockout_days,
            "no_repeat_shopper": plan.no_repeat_shopper, "home_region_only": plan.home_region_only,
            "reassign_missed": plan.reassign_missed, "is_active": plan.is_active}


def create_plan(session: Session, actor: User, settings: PlanSettings, *, now: datetime) -> VisitPlan:
    """A new active plan; raises NotFoundError (checklist) or PlanError naming the bad setting."""
    _validate(session, settings)
    plan = VisitPlan(is_active=True, created_at=now, created_by_id=actor.id, waves=[])
    _apply(plan, settings)
    session.add(plan)
    session.flush()
    audit.record(session, actor=actor, action="plan.create", entity_type="visit_plan", entity_id=plan.id, now=now,
                 after=_snapshot(plan))
    session.commit()
    return plan


def update_plan(session: Session, actor: User, plan_id: int, settings: PlanSettings, *, is_active: bool,
                now: datetime) -> VisitPlan:
    """Change a plan's settings (already generated assignments stay as they are)."""
    plan = get_plan(session, plan_id)
    _validate(session, settings)
    before = _snapshot(plan)
    _apply(plan, settings)
    plan.is_active = is_active
    audit.record(session, actor=actor, action="plan.update", entity_type="visit_plan", entity_id=plan.id, now=now,
                 before=before, after=_snapshot(plan))
    session.commit()
    return plan


def get_plan(session: Session, plan_id: int) -> VisitPlan:
    plan = session.get(VisitPlan, plan_id)
    if plan is None:
        raise NotFoundError(N_("No such visit plan."))
    return plan


@dataclass(frozen=True)
class PlanNames:
    checklist: str  # the checklist's title in the reader's language
    stores: str  # the area's or region's name; "" for every store


def plan_names(session: Session, plan: VisitPlan, lang: str = "en") -> PlanNames:
    """What a plan's page names: its checklist, and the area or region whose stores it covers."""
    checklist = session.get(Checklist, plan.checklist_id)
    title = checklist_titles_in(session, lang, {plan.checklist_id}).get(plan.checklist_id,
                                                                        checklist.title if checklist else "")
    place = (session.get(Area, plan.area_id) if plan.scope == "area" and plan.area_id else
             session.get(Region, plan.region_id) if plan.scope == "region" and plan.region_id else None)
    return PlanNames(title, place.name if place is not None else "")


def periods(plan: VisitPlan, *, until: date) -> list[tuple[date, date]]:
    """The plan's windows (start, end inclusive) that start on or before `until`, oldest first."""
    if plan.frequency == "waves":
        waves = sorted((date.fromisoformat(a), date.fromisoformat(b)) for a, b in plan.waves or [])
        return [w for w in waves if w[0] <= until]
    found: list[tuple[date, date]] = []
    start = plan.starts_on
    k = 0
    while start <= until and k < MAX_PERIODS:
        found.append((start, start + timedelta(days=plan.window_days - 1)))
        k += 1
        if plan.frequency == "weeks":
            start = plan.starts_on + timedelta(weeks=plan.every_weeks * k)
        else:  # monthly: the same day of each month, or the month's last day when shorter
            month = plan.starts_on.month - 1 + k
            year, month = plan.starts_on.year + month // 12, month % 12 + 1
            start = date(year, month, min(plan.starts_on.day, calendar.monthrange(year, month)[1]))
    return found


def _stores(session: Session, plan: VisitPlan) -> list[tuple[Store, int]]:
    """The plan's active stores with their region id, by name."""
    q = (select(Store, Area.region_id).join(Area, Store.area_id == Area.id).where(Store.is_active.is_(True))
         .order_by(Store.name, Store.id))
    if plan.scope == "area":
        q = q.where(Store.area_id == plan.area_id)
    elif plan.scope == "region":
        q = q.where(Area.region_id == plan.region_id)
    return [(store, region_id) for store, region_id in session.execute(q).all()]


@dataclass(frozen=True)
class ProposedAssignment:
    store_id: int
    store_name: str
    window_start: date
    window_end: date
    shopper_id: int | None  # None: nobody eligible; the visit is planned without a shopper
    shopper_name: str
    reason: str  # why nobody could be chosen (an N_ message id), or ""


class _Chooser:
    """Shopper choice under the plan's rules, with the history loaded once and updated as it assigns."""

    def __init__(self, session: Session, plan: VisitPlan) -> None:
        self.plan = plan
        self.shoppers = list(session.scalars(
            select(User).where(User.role == "shopper", User.is_active_user.is_(True)).order_by(User.name, User.id)))
        self.unavailable: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for row in session.scalars(select(UnavailableDates)):
            self.unavailable[row.user_id].append((row.starts_on, row.ends_on))
        # Every live assignment: (store, shopper, window start), the history that the rules look at.
        self.history: list[tuple[int, int, date]] = [
            (store_id, shopper_id, start) for store_id, shopper_id, start in session.execute(
                select(Assignment.store_id, Assignment.shopper_id, Assignment.window_start)
                .where(Assignment.status != "cancelled").order_by(Assignment.window_start, Assignment.id))]

    def add(self, store_id: int, shopper_id: int, start: date) -> None:
        self.history.append((store_id, shopper_id, start))

    def choose(self, store_id: int, region_id: int, start: date, end: date,
               exclude: set[int] = frozenset()) -> tuple[User | None, str]:  # type: ignore[assignment]
        plan = self.plan
        pool = [s for s in self.shoppers if s.id not in exclude]
        if plan.home_region_only:
            pool = [s for s in pool if s.region_id == region_id]
            if not pool:
                return None, N_("No active shopper has this store's region as their home region.")
        pool = [s for s in pool if not any(a <= end and b >= start for a, b in self.unavailable.get(s.id, []))]
        if not pool:
            return None, N_("Every eligible shopper is unavailable during the window.")
        at_store = [(sh, st) for s_id, sh, st in self.history if s_id == store_id]
        if plan.no_repeat_shopper:
            before = [sh for sh, st in at_store if st < start]
            if before:
                pool = [s for s in pool if s.id != before[-1]]
                if not pool:
                    return None, N_("Only the shopper who visited last is eligible.")
        if plan.lockout_days:
            locked = {sh for sh, st in at_store if abs((st - start).days) < plan.lockout_days}
            pool = [s for s in pool if s.id not in locked]
            if not pool:
                return None, N_("Every eligible shopper is still locked out of this store.")
        since = start - timedelta(days=FAIRNESS_DAYS)
        load: dict[int, int] = defaultdict(int)
        for _store, sh, st in self.history:
            if since <= st <= start:
                load[sh] += 1
        order = {s.id: i for i, s in enumerate(self.shoppers)}
        return min(pool, key=lambda s: (load[s.id], order[s.id])), ""


def _proposals(session: Session, plan: VisitPlan, today: date) -> list[ProposedAssignment]:
    existing = {(store_id, start) for store_id, start in session.execute(
        select(PlanVisit.store_id, PlanVisit.window_start).where(PlanVisit.plan_id == plan.id))}
    chooser = _Chooser(session, plan)
    out = []
    for start, end in periods(plan, until=today + timedelta(days=plan.lead_days)):
        if end < today:
            continue  # a window already over is never generated late
        for store, region_id in _stores(session, plan):
            if (store.id, start) in existing:
                continue
            shopper, reason = chooser.choose(store.id, region_id, start, end)
            if shopper is not None:
                chooser.add(store.id, shopper.id, start)
            out.append(ProposedAssignment(store.id, store.name, start, end, shopper.id if shopper else None,
                                          shopper.name if shopper else "", reason))
    return out


def preview_plan(session: Session, plan_id: int, *, today: date) -> list[ProposedAssignment]:
    """What `generate_plan` would create today, writing nothing."""
    plan = get_plan(session, plan_id)
    proposals = _proposals(session, plan, today)
    session.rollback()
    return proposals


@dataclass(frozen=True)
class RunResult:
    created: int
    unassigned: int
    missed: int
    reassigned: int
    done: int


def _sync(session: Session, actor: User | None, plan: VisitPlan, today: date, now: datetime,
          chooser: _Chooser | None) -> tuple[int, int, int]:
    """Done and missed windows of the plan's assigned visits; re-assigns missed ones when the plan says so."""
    done = missed = reassigned = 0
    rows = session.execute(select(PlanVisit, Assignment).join(Assignment, PlanVisit.assignment_id == Assignment.id)
                           .where(PlanVisit.plan_id == plan.id, PlanVisit.status == "assigned")).all()
    regions = dict(session.execute(select(Store.id, Area.region_id).join(Area, Store.area_id == Area.id)).all())
    for visit, assignment in rows:
        if assignment.status == "done":
            visit.status, visit.updated_at = "done", now
            done += 1
            continue
        if assignment.window_end >= today and assignment.status != "cancelled":
            continue
        missed += 1
        before = {"status": visit.status, "assignment_id": visit.assignment_id}
        if assignment.status == "open":
            assignment.status = "cancelled"
            audit.record(session, actor=actor, action="assignment.cancel", entity_type="assignment",
                         entity_id=assignment.id, now=now, before={"status": "open"}, after={"status": "cancelled"},
                         detail="missed window of a visit plan")
        visit.status, visit.updated_at = "missed", now
        if plan.reassign_missed and chooser is not None:
            start, end = today, today + timedelta(days=plan.window_days - 1)
            shopper, _reason = chooser.choose(visit.store_id, regions[visit.store_id], start, end,
                                              exclude={assignment.shopper_id})
            if shopper is not None:
                new = assignments.add_assignment(session, actor, shopper_id=shopper.id, store_id=visit.store_id,
                                                 checklist_id=plan.checklist_id, window_start=start, window_end=end,
                                                 now=now, detail=f"visit plan {plan.id}: re-assigned after a missed window")
                chooser.add(visit.store_id, shopper.id, start)
                visit.status, visit.assignment_id = "assigned", new.id
                visit.reassigned_count += 1
                reassigned += 1
        audit.record(session, actor=actor, action="plan_visit.missed", entity_type="plan_visit", entity_id=visit.id,
                     now=now, before=before, after={"status": visit.status, "assignment_id": visit.assignment_id})
    return done, missed, reassigned


def generate_plan(session: Session, actor: User | None, plan_id: int, *, now: datetime,
                  today: date | None = None) -> RunResult:
    """Create the plan's assignments due by today + its lead days through the assignment service, and update
    done and missed windows; idempotent (a second run the same day creates nothing). One transaction.

    `actor` is None for the daily job. Raises NotFoundError, PlanError for an inactive plan, AssignmentError.
    """
    plan = get_plan(session, plan_id)
    if not plan.is_active:
        raise PlanError(N_("This plan is paused."))
    today = today or now.date()
    chooser = _Chooser(session, plan)
    done, missed, reassigned = _sync(session, actor, plan, today, now, chooser)
    created = unassigned = 0
    for item in _proposals(session, plan, today):
        visit = PlanVisit(plan_id=plan.id, store_id=item.store_id, window_start=item.window_start,
                          window_end=item.window_end, status="planned", reassigned_count=0, note=item.reason,
                          updated_at=now)
        if item.shopper_id is not None:
            new = assignments.add_assignment(session, actor, shopper_id=item.shopper_id, store_id=item.store_id,
                                             checklist_id=plan.checklist_id, window_start=item.window_start,
                                             window_end=item.window_end, now=now, detail=f"visit plan {plan.id}")
            visit.status, visit.assignment_id = "assigned", new.id
            created += 1
        else:
            unassigned += 1
        session.add(visit)
    session.flush()
    audit.record(session, actor=actor, action="plan.generate", entity_type="visit_plan", entity_id=plan.id, now=now,
                 after={"created": created, "unassigned": unassigned, "missed": missed, "reassigned": reassigned,
                        "done": done})
    session.commit()
    return RunResult(created, unassigned, missed, reassigned, done)


def last_daily_run(session: Session, plan_id: int) -> datetime | None:
    """When the daily job last generated this plan (its audit line), or None."""
    return session.scalar(select(func.max(AuditLog.at)).where(
        AuditLog.action == "plan.generate", AuditLog.entity_type == "visit_plan",
        AuditLog.entity_id == str(plan_id), AuditLog.actor_id.is_(None)))


def run_due_plans(session: Session, *, now: datetime, once_a_day: bool = False
                  ) -> dict[int, RunResult | ServiceError]:
    """The daily job: generate every active plan, each in its own transaction; a plan that cannot run (say, its
    checklist has no published version) gets its error and the others still run. With `once_a_day` (the hourly
    scheduled job calls it so) a plan the job already ran today (UTC) is left until tomorrow."""
    ids = list(session.scalars(select(VisitPlan.id).where(VisitPlan.is_active.is_(True)).order_by(VisitPlan.id)))
    if once_a_day:
        ids = [i for i in ids if (last := last_daily_run(session, i)) is None or last.date() < now.date()]
    session.rollback()
    results: dict[int, RunResult | ServiceError] = {}
    for plan_id in ids:
        try:
            results[plan_id] = generate_plan(session, None, plan_id, now=now)
        except ServiceError as error:
            session.rollback()
            results[plan_id] = error
    return results


@dataclass(frozen=True)
class PlanRow:
    id: int
    name: str
    checklist_title: str
    scope: str
    frequency: str
    is_active: bool
    every_weeks: int


def list_plans(session: Session, *, lang: str = "en") -> list[PlanRow]:
    rows = session.execute(select(VisitPlan.id, VisitPlan.name, Checklist.title, VisitPlan.scope, VisitPlan.frequency,
                                  VisitPlan.is_active, Checklist.id, VisitPlan.every_weeks)
                           .join(Checklist, VisitPlan.checklist_id == Checklist.id).order_by(VisitPlan.name)).all()
    titles = checklist_titles_in(session, lang, {r[6] for r in rows})
    return [PlanRow(r[0], r[1], titles.get(r[6], r[2]), r[3], r[4], r[5], r[7]) for r in rows]


@dataclass(frozen=True)
class CalendarCell:
    status: str  # planned | assigned | done | missed
    shopper_name: str
    note: str
    reassigned_count: int


@dataclass(frozen=True)
class PlanCalendar:
    windows: list[tuple[date, date]]
    stores: list[tuple[int, str]]
    cells: dict[tuple[int, date], CalendarCell]
    counts: dict[str, int]


def plan_calendar(session: Session, plan_id: int, *, today: date) -> PlanCalendar:
    """Per store and window, what is planned, assigned, done or missed (missed shown as soon as a window is over)."""
    plan = get_plan(session, plan_id)
    rows = session.execute(
        select(PlanVisit, Store.name, User.name, Assignment.status, Assignment.window_end)
        .join(Store, PlanVisit.store_id == Store.id)
        .outerjoin(Assignment, PlanVisit.assignment_id == Assignment.id)
        .outerjoin(User, Assignment.shopper_id == User.id)
        .where(PlanVisit.plan_id == plan.id).order_by(PlanVisit.window_start, Store.name)).all()
    cells: dict[tuple[int, date], CalendarCell] = {}
    stores: dict[int, str] = {s.id: s.name for s, _r in _stores(session, plan)}
    windows: set[tuple[date, date]] = set()
    counts = {status: 0 for status in ("planned", "assigned", "done", "missed")}
    for visit, store_name, shopper_name, a_status, a_end in rows:
        status = visit.status
        if status == "assigned" and a_status == "done":
            status = "done"
        elif status == "assigned" and a_end is not None and a_end < today:
            status = "missed"
        cells[(visit.store_id, visit.window_start)] = CalendarCell(status, shopper_name or "", visit.note,
                                                                  visit.reassigned_count)
        stores.setdefault(visit.store_id, store_name)
        windows.add((visit.window_start, visit.window_end))
        counts[status] += 1
    session.rollback()
    return PlanCalendar(sorted(windows), sorted(stores.items(), key=lambda kv: (kv[1], kv[0])), cells, counts)


# Unavailable dates ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnavailableRow:
    id: int
    starts_on: date
    ends_on: date
    note: str


def list_unavailable(session: Session, user_id: int) -> list[UnavailableRow]:
    rows = session.scalars(select(UnavailableDates).where(UnavailableDates.user_id == user_id)
                           .order_by(UnavailableDates.starts_on, UnavailableDates.id))
    out = [UnavailableRow(r.id, r.starts_on, r.ends_on, r.note) for r in rows]
    session.rollback()
    return out


def add_unavailable(session: Session, actor: User, *, user_id: int, starts_on: date, ends_on: date, note: str,
                    now: datetime) -> UnavailableRow:
    """Record days a shopper cannot visit; a shopper for themself, head office for any shopper."""
    shopper = session.get(User, user_id)
    if shopper is None or shopper.role != "shopper":
        raise NotFoundError(N_("No such shopper."))
    if actor.role != "head_office" and actor.id != user_id:
        raise PlanError(N_("You can only change your own unavailable dates."))
    if ends_on < starts_on:
        raise PlanError(N_("The last unavailable day must be on or after the first."))
    if (ends_on - starts_on).days > 366:
        raise PlanError(N_("Enter at most a year at a time."))
    row = UnavailableDates(user_id=user_id, starts_on=starts_on, ends_on=ends_on, note=note.strip()[:200],
                           created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="unavailable.add", entity_type="user", entity_id=user_id, now=now,
                 after={"from": starts_on.isoformat(), "to": ends_on.isoformat(), "note": row.note})
    session.commit()
    return UnavailableRow(row.id, row.starts_on, row.ends_on, row.note)


def remove_unavailable(session: Session, actor: User, row_id: int, *, now: datetime) -> None:
    """Delete one range; NotFoundError when it is not the actor's (head office may remove anyone's)."""
    row = session.get(UnavailableDates, row_id)
    if row is None or (actor.role != "head_office" and row.user_id != actor.id):
        raise NotFoundError(N_("No such unavailable dates."))
    audit.record(session, actor=actor, action="unavailable.remove", entity_type="user", entity_id=row.user_id,
                 now=now, before={"from": row.starts_on.isoformat(), "to": row.ends_on.isoformat()})
    session.delete(row)
    session.commit()


@dataclass(frozen=True)
class ShopperUnavailableRow:
    id: int
    shopper_name: str
    starts_on: date
    ends_on: date
    note: str


def list_all_unavailable(session: Session, *, since: date) -> list[ShopperUnavailableRow]:
    """Every shopper's unavailable dates that end on or after `since`, soonest first (head office)."""
    rows = session.execute(select(UnavailableDates, User.name).join(User, UnavailableDates.user_id == User.id)
                           .where(UnavailableDates.ends_on >= since)
                           .order_by(UnavailableDates.starts_on, User.name, UnavailableDates.id)).all()
    out = [ShopperUnavailableRow(r.id, name, r.starts_on, r.ends_on, r.note) for r, name in rows]
    session.rollback()
    return out
