"""The manager home page: every area and store at a glance, with the figures their dashboards open with.

An area shows the mean of visit percents for its default checklist and period; a store its latest visit of its
area's default checklist and the change since the visit before it (like with like).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from audit_app.models import Area, Region, Store, User, Visit
from audit_app.services import access
from audit_app.services.paging import page_of
from audit_app.services.scores.dashboard import STORES_PER_PAGE, PagedStores, check_reader
from audit_app.services.scores.facts import ExactSum, LatestVisit, awaiting_review, in_period, latest_two, percent_sums
from audit_app.services.scores.scope import (
    DEFAULT_PERIOD_DAYS, ChecklistOption, Period, RegionOption, default_checklists, grades_of, make_period,
    region_options,
)
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.uncertainty import NO_INTERVAL, Interval, change_within_noise, t_interval, visit_noise
from audit_app.services.settings import get_settings
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
    interval: Interval = NO_INTERVAL  # the mean's 95 % t-interval, from the sums of squares the database adds


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
    visit_noise: float | None = None  # uncertainty.visit_noise of the period's visits, as on the dashboard

    @property
    def change_visit(self) -> Fraction | None:
        if self.latest_percent is None or self.previous_percent is None:
            return None
        return self.latest_percent - self.previous_percent

    @property
    def change_visit_within_noise(self) -> bool:
        return change_within_noise(self.change_visit, self.visit_noise)


@dataclass(frozen=True)
class ManagerHome(PagedStores):
    period_days: int
    areas: tuple[AreaSummary, ...]
    regions: tuple[RegionOption, ...]  # head office opens region dashboards from here
    stores: tuple[StoreSummary, ...]  # one page of them, by area and name: `store_count` in all
    store_count: int = 0
    page: int = 1
    pages: int = 1
    per_page: int = STORES_PER_PAGE
    awaiting_review: int = 0  # the period's submitted visits to these stores not counted until approved


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


def list_area_summaries(session: Session, area_ids: Collection[int] | None, *, period: Period, lang: str = "en",
                        chosen: Mapping[int, ChecklistOption | None] | None = None) -> list[AreaSummary]:
    """Areas (all when `area_ids` is None) with active stores: store count, and for the checklist and period
    their dashboard opens with, the counted visits and the mean of their percents (the dashboard's area average).
    `chosen` is `default_checklists` of these areas when the caller has it already."""
    statuses = statuses_for(session)
    areas = _summary_areas(session, area_ids)
    if chosen is None:
        chosen = default_checklists(session, [a[0] for a in areas], lang, period)
    sums: dict[int, ExactSum] = {}
    visits: dict[int, int] = defaultdict(int)
    for checklist_id in {c.id for c in chosen.values() if c is not None}:
        wanted = [aid for aid, c in chosen.items() if c is not None and c.id == checklist_id]
        found, counted = percent_sums(session, checklist_id=checklist_id, statuses=statuses, group_by=Store.area_id,
                                      area_ids=wanted, start=period.start, end=period.end)
        sums.update(found)
        visits.update(counted)
    scales = {cid: grades_of(session, cid, lang) for cid in {c.id for c in chosen.values() if c is not None}}
    min_visits = get_settings(session).min_visits_for_figures
    summaries = []
    for aid, code, name, region, n_stores in areas:
        checklist = chosen[aid]
        summaries.append(AreaSummary(aid, code, name, region, n_stores, checklist, visits[aid],
                                     sums[aid].mean if aid in sums else None,
                                     scales[checklist.id] if checklist is not None else GradeScale(),
                                     t_interval(sums[aid].spread, min_visits) if aid in sums else NO_INTERVAL))
    return summaries


def _active_stores(area_ids: Collection[int] | None, store_ids: Collection[int] | None) -> Select[Any]:
    q = (select(Store.id, Store.code, Store.name, Area.id, Area.name, Store.timezone)
         .join(Area, Store.area_id == Area.id).where(Store.is_active.is_(True)))
    if area_ids is not None:
        q = q.where(Store.area_id.in_(list(area_ids)))
    if store_ids is not None:
        q = q.where(Store.id.in_(list(store_ids)))
    return q


def count_stores(session: Session, area_ids: Collection[int] | None, store_ids: Collection[int] | None = None
                 ) -> int:
    """How many active stores `list_store_summaries` lists for these areas (and stores) over all its pages."""
    return session.scalar(select(func.count()).select_from(_active_stores(area_ids, store_ids).subquery())) or 0


def list_store_summaries(session: Session, area_ids: Collection[int] | None, *, period: Period, lang: str = "en",
                         store_ids: Collection[int] | None = None, offset: int = 0, limit: int | None = None,
                         chosen: Mapping[int, ChecklistOption | None] | None = None) -> list[StoreSummary]:
    """Active stores (of these areas; all when None) by area and name, `limit` of them from `offset`, as their
    area dashboard shows them: the latest counted visit in the period of the area's default checklist, the
    change since the visit before it (same checklist) and the period's visits. Only the stores listed are
    read; `chosen` is `default_checklists` of their areas when the caller has it already."""
    statuses = statuses_for(session)
    q = _active_stores(area_ids, store_ids).order_by(Area.name, Store.name, Store.id).offset(offset)
    stores = session.execute(q.limit(limit) if limit is not None else q).all()
    if chosen is None:
        chosen = default_checklists(session, sorted({s[3] for s in stores}), lang, period)
    latest: dict[int, list[LatestVisit]] = {}
    counts: dict[int, int] = defaultdict(int)
    noise: dict[int, float | None] = {}
    for checklist_id in {chosen[s[3]].id for s in stores if chosen.get(s[3]) is not None}:  # type: ignore[union-attr]
        wanted = [s[0] for s in stores if (c := chosen.get(s[3])) is not None and c.id == checklist_id]
        latest.update(latest_two(session, Store.id.in_(wanted), checklist_id, statuses, period.end))
        found, counted = percent_sums(session, checklist_id=checklist_id, statuses=statuses, group_by=Visit.store_id,
                                      store_ids=wanted, start=period.start, end=period.end)
        counts.update(counted)
        noise.update({sid: visit_noise(total.spread) for sid, total in found.items()})
    scales = {cid: grades_of(session, cid, lang) for cid in {c.id for c in chosen.values() if c is not None}}
    rows = []
    for sid, code, name, aid, aname, zone_name in stores:
        first, second = in_period(latest.get(sid, []), period.start)
        checklist = chosen.get(aid)
        rows.append(StoreSummary(
            id=sid, code=code, name=name, area_id=aid, area_name=aname, checklist=checklist,
            latest_percent=first.percent if first else None, latest_grade=first.grade if first else None,
            latest_at=first.submitted_at if first else None, latest_visit_id=first.visit_id if first else None,
            previous_percent=second.percent if second else None, visits=counts[sid],
            grades=scales[checklist.id] if checklist is not None else GradeScale(), timezone=zone_name,
            visit_noise=noise.get(sid)))
    return rows


def get_manager_home(session: Session, user: User, *, now: datetime, lang: str = "en", page: int = 1,
                     per_page: int = STORES_PER_PAGE) -> ManagerHome:
    """The areas and stores a reader sees (head office all, an area manager their own) over the period every
    dashboard opens with, and for head office the regions. Stores come a page at a time (`page` of them,
    `per_page` a page; past the last, the last). Raises PermissionDeniedError."""
    check_reader(user)
    period = make_period(now, DEFAULT_PERIOD_DAYS)
    store_ids: Collection[int] | None = None
    if user.role == "store_manager":  # their own stores, and no area's figures
        store_ids = access.managed_store_ids(session, user)
        area_ids: Collection[int] | None = {
            a for (a,) in session.execute(select(Store.area_id).where(Store.id.in_(store_ids)))}
    else:
        area_ids = access.visible_area_ids(session, user)
    count = count_stores(session, area_ids, store_ids)
    page, pages, shown = page_of(count, page, per_page)
    areas: tuple[AreaSummary, ...] = ()
    chosen = None
    if user.role != "store_manager":
        listed = [a[0] for a in _summary_areas(session, area_ids)]
        chosen = default_checklists(session, listed, lang, period)
        areas = tuple(list_area_summaries(session, area_ids, period=period, lang=lang, chosen=chosen))
    regions = tuple(region_options(session)) if user.role == "head_office" else ()
    stores = tuple(list_store_summaries(session, area_ids, period=period, lang=lang, store_ids=store_ids,
                                        offset=shown.start, limit=shown.stop - shown.start, chosen=chosen))
    waiting = awaiting_review(session, checklist_id=None, statuses=statuses_for(session),
                              area_ids=None if area_ids is None else list(area_ids),
                              store_ids=None if store_ids is None else list(store_ids),
                              start=period.start, end=period.end)
    return ManagerHome(DEFAULT_PERIOD_DAYS, areas, regions, stores, store_count=count, page=page, pages=pages,
                       per_page=max(1, per_page), awaiting_review=waiting)
