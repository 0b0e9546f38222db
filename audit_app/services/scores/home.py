"""The manager home page: every area and store at a glance, with the figures their dashboards open with.

An area shows the mean of visit percents for its default checklist and period; a store its latest visit of its
area's default checklist and the change since the visit before it (like with like).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Region, Store, User, Visit
from audit_app.services import access
from audit_app.services.scores.dashboard import check_reader
from audit_app.services.scores.facts import ExactSum, LatestVisit, in_period, latest_two, percent_sums
from audit_app.services.scores.scope import (
    DEFAULT_PERIOD_DAYS, ChecklistOption, Period, RegionOption, default_checklists, grades_of, make_period,
    region_options,
)
from audit_app.services.scores.storage import statuses_for
from reports.context import GradeScale


@dataclass(frozen=True)
class AreaSummary:
    """One area as its dashboard opens (default checklist, same period): the mean of visit percents."""

    id: int
    code: str
    name: str
    region_name: str
    stores: int
    checklist: ChecklistOption | None
    visits: int
    mean: Fraction | None
    grades: GradeScale


@dataclass(frozen=True)
class StoreSummary:
    """One store's latest visit and the one before it, both of its area's default checklist (like with like)."""

    id: int
    code: str
    name: str
    area_id: int
    area_name: str
    checklist: ChecklistOption | None
    latest_percent: Fraction | None
    latest_grade: str | None
    latest_at: datetime | None
    latest_visit_id: int | None
    previous_percent: Fraction | None
    visits: int
    grades: GradeScale
    timezone: str = "UTC"  # the store's, in which its visits' dates are shown

    @property
    def change_visit(self) -> Fraction | None:
        if self.latest_percent is None or self.previous_percent is None:
            return None
        return self.latest_percent - self.previous_percent


@dataclass(frozen=True)
class ManagerHome:
    period_days: int
    areas: tuple[AreaSummary, ...]
    regions: tuple[RegionOption, ...]  # head office opens region dashboards from here
    stores: tuple[StoreSummary, ...]


def _summary_areas(session: Session, area_ids: Collection[int] | None) -> list[tuple[int, str, str, str, int]]:
    q = (
        select(Area.id, Area.code, Area.name, Region.name, func.count(func.distinct(Store.id)))
        .join(Region, Area.region_id == Region.id)
        .join(Store, Store.area_id == Area.id)
        .where(Store.is_active.is_(True))
        .group_by(Area.id, Area.code, Area.name, Region.name)
        .order_by(Region.name, Area.name)
    )
    if area_ids is not None:
        q = q.where(Area.id.in_(list(area_ids)))
    return [tuple(row) for row in session.execute(q)]  # type: ignore[misc]


def list_area_summaries(session: Session, area_ids: Collection[int] | None, *, period: Period, lang: str = "en"
                        ) -> list[AreaSummary]:
    """Areas (all when `area_ids` is None) with active stores: store count, and for the checklist and period
    their dashboard opens with, the counted visits and the mean of their percents (the dashboard's area average)."""
    statuses = statuses_for(session)
    areas = _summary_areas(session, area_ids)
    chosen = default_checklists(session, [a[0] for a in areas], statuses, lang)
    sums: dict[int, ExactSum] = {}
    visits: dict[int, int] = defaultdict(int)
    for checklist_id in {c.id for c in chosen.values() if c is not None}:
        wanted = [aid for aid, c in chosen.items() if c is not None and c.id == checklist_id]
        found, counted = percent_sums(session, checklist_id=checklist_id, statuses=statuses, group_by=Store.area_id,
                                      area_ids=wanted, start=period.start, end=period.end)
        sums.update(found)
        visits.update(counted)
    scales = {c.id: grades_of(session, c.id, lang) for c in chosen.values() if c is not None}
    summaries = []
    for aid, code, name, region, n_stores in areas:
        checklist = chosen[aid]
        summaries.append(AreaSummary(aid, code, name, region, n_stores, checklist, visits[aid],
                                     sums[aid].mean if aid in sums else None,
                                     scales[checklist.id] if checklist is not None else GradeScale()))
    return summaries


def list_store_summaries(session: Session, area_ids: Collection[int] | None, *, period: Period, lang: str = "en"
                         ) -> list[StoreSummary]:
    """Active stores (of these areas; all when None) as their area dashboard shows them: the latest counted
    visit in the period of the area's default checklist, the change since the visit before it (same checklist)
    and the period's visits."""
    statuses = statuses_for(session)
    q = (select(Store.id, Store.code, Store.name, Area.id, Area.name, Store.timezone)
         .join(Area, Store.area_id == Area.id).where(Store.is_active.is_(True)).order_by(Area.name, Store.name))
    if area_ids is not None:
        q = q.where(Store.area_id.in_(list(area_ids)))
    stores = session.execute(q).all()
    chosen = default_checklists(session, sorted({s[3] for s in stores}), statuses, lang)
    latest: dict[int, list[LatestVisit]] = {}
    counts: dict[int, int] = defaultdict(int)
    for checklist_id in {c.id for c in chosen.values() if c is not None}:
        wanted = [aid for aid, c in chosen.items() if c is not None and c.id == checklist_id]
        latest.update(latest_two(session, Store.area_id.in_(wanted) & Store.is_active.is_(True), checklist_id,
                                 statuses, period.end))
        counts.update(percent_sums(session, checklist_id=checklist_id, statuses=statuses, group_by=Visit.store_id,
                                   area_ids=wanted, start=period.start, end=period.end)[1])
    scales = {c.id: grades_of(session, c.id, lang) for c in chosen.values() if c is not None}
    rows = []
    for sid, code, name, aid, aname, zone_name in stores:
        first, second = in_period(latest.get(sid, []), period.start)
        checklist = chosen.get(aid)
        rows.append(StoreSummary(
            id=sid, code=code, name=name, area_id=aid, area_name=aname, checklist=checklist,
            latest_percent=first.percent if first else None, latest_grade=first.grade if first else None,
            latest_at=first.submitted_at if first else None, latest_visit_id=first.visit_id if first else None,
            previous_percent=second.percent if second else None, visits=counts[sid],
            grades=scales[checklist.id] if checklist is not None else GradeScale(), timezone=zone_name))
    return rows


def get_manager_home(session: Session, user: User, *, now: datetime, lang: str = "en") -> ManagerHome:
    """The areas and stores a reader sees (head office all, an area manager their own) over the period every
    dashboard opens with, and for head office the regions. Raises PermissionDeniedError."""
    check_reader(user)
    area_ids = access.visible_area_ids(session, user)
    period = make_period(now, DEFAULT_PERIOD_DAYS)
    regions = tuple(region_options(session)) if user.role == "head_office" else ()
    return ManagerHome(DEFAULT_PERIOD_DAYS, tuple(list_area_summaries(session, area_ids, period=period, lang=lang)),
                       regions, tuple(list_store_summaries(session, area_ids, period=period, lang=lang)))
