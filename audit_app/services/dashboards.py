"""What area managers and head office read: area and region dashboards, store pages, visit pages, comparisons.

Every figure comes from the scores stored at submit time: overall percents from `VisitScore` (current rows),
section percents from `SectionScore`, per-question detail from the stored explained card. Nothing is re-scored.
Rollups across visits are the mean of visit percents (each visit counts once), exact until display. Only visits in
`scorecards.counted_statuses` count. Each reader checks who is asking and raises NotFoundError or
PermissionDeniedError.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.services.access import can_see_store, managed_area_ids
from audit_app.models import (
    Answer, Area, Checklist, ChecklistVersion, Photo, Region, SectionScore, Store, User, Visit, VisitScore,
)
from audit_app.services import scorecards
from audit_app.services.definitions import checklist_from_definition, checklist_titles_in
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError, ServiceError
from audit_app.services.settings import get_settings
from reports.context import CardView, GradeScale, PhotoRef, card_view, for_managers, grade_scale

PERIOD_CHOICES = (30, 90, 180, 365)
DEFAULT_PERIOD_DAYS = 90
TREND_DAYS = 365
RECURRING_WINDOW = 5
RECURRING_SHARE = Fraction(3, 5)  # failed in at least 3 of the last 5 visits (at least 2 of fewer)
RECURRING_LIMIT = 10
COMPARE_MIN, COMPARE_MAX = 2, 6
SORT_KEYS = ("name", "latest", "change", "period", "period_change", "rank", "visits", "critical")


class DashboardError(ServiceError):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Periods, scopes, checklists


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC: the `days` days up to `end`."""

    days: int
    start: datetime
    end: datetime

    @property
    def previous(self) -> Period:
        return Period(self.days, self.start - timedelta(days=self.days), self.start)


def make_period(now: datetime, days: int | None) -> Period:
    """The period of `days` (one of PERIOD_CHOICES, else the default) ending at `now`."""
    days = days if days in PERIOD_CHOICES else DEFAULT_PERIOD_DAYS
    return Period(days, now - timedelta(days=days), now)


@dataclass(frozen=True)
class Scope:
    """The stores a dashboard covers: one area, or one region (head office)."""

    kind: str  # "area" | "region"
    id: int
    name: str
    region_id: int
    region_name: str
    area_ids: tuple[int, ...]


def get_area_scope(session: Session, user: User, area_id: int) -> Scope:
    """An area the user may see: head office any, an area manager their own. Raises NotFoundError,
    PermissionDeniedError."""
    area = session.get(Area, area_id)
    if area is None:
        raise NotFoundError(N_("No such area."))
    if user.role != "head_office" and area.id not in managed_area_ids(session, user):
        raise PermissionDeniedError(N_("This area is not one of yours."))
    region = session.get(Region, area.region_id)
    return Scope("area", area.id, area.name, region.id, region.name, (area.id,))


def get_region_scope(session: Session, user: User, region_id: int) -> Scope:
    """A whole region, for head office. Raises NotFoundError, PermissionDeniedError."""
    region = session.get(Region, region_id)
    if region is None:
        raise NotFoundError(N_("No such region."))
    if user.role != "head_office":
        raise PermissionDeniedError(N_("Regions are for head office."))
    area_ids = tuple(session.scalars(select(Area.id).where(Area.region_id == region.id).order_by(Area.name)))
    return Scope("region", region.id, region.name, region.id, region.name, area_ids)


@dataclass(frozen=True)
class RegionOption:
    id: int
    name: str


def list_regions(session: Session) -> list[RegionOption]:
    """Every region by name (head office picks one for a region dashboard)."""
    return [RegionOption(rid, name) for rid, name in session.execute(select(Region.id, Region.name)
                                                                     .order_by(Region.name))]


@dataclass(frozen=True)
class ChecklistOption:
    id: int
    title: str
    visits: int


def list_checklist_options(session: Session, area_ids: Sequence[int], statuses: tuple[str, ...], lang: str = "en"
                           ) -> list[ChecklistOption]:
    """Checklists with counted visits in these areas, most visited first (then all others, by title), titled in
    `lang`."""
    counts = dict(session.execute(
        select(ChecklistVersion.checklist_id, func.count(Visit.id))
        .join(Visit, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Store, Visit.store_id == Store.id)
        .where(Store.area_id.in_(area_ids), Visit.status.in_(statuses))
        .group_by(ChecklistVersion.checklist_id)
    ).all())
    return _ordered_options(list(checklist_titles_in(session, lang).items()), counts)


def choose_checklist(options: Sequence[ChecklistOption], wanted: int | None) -> ChecklistOption | None:
    for option in options:
        if option.id == wanted:
            return option
    return options[0] if options else None


def definition_for(session: Session, version_id: int) -> scoring.Checklist:
    """The parsed definition of a checklist version (parsed once per content: see services.definitions)."""
    memo: dict[int, scoring.Checklist] = session.info.setdefault("parsed_definitions", {})
    if version_id in memo:
        return memo[version_id]
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    memo[version_id] = checklist_from_definition(version.definition)
    return memo[version_id]


def latest_version_id(session: Session, checklist_id: int) -> int | None:
    """The newest version of a checklist (its texts and section order head the pages)."""
    return session.scalar(select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist_id)
                          .order_by(ChecklistVersion.number.desc()).limit(1))


def grades_of(session: Session, checklist_id: int | None, lang: str) -> GradeScale:
    """The colour scale of a checklist's grade bands, from its newest version (empty for None)."""
    version_id = latest_version_id(session, checklist_id) if checklist_id is not None else None
    return grade_scale(definition_for(session, version_id) if version_id is not None else None, lang)


@dataclass(frozen=True)
class SectionHead:
    key: str
    title: str


def section_heads(session: Session, checklist_id: int, lang: str, seen_keys: Iterable[str] = ()) -> list[SectionHead]:
    """Sections in the newest version's order; keys only older versions had are added at the end."""
    heads: list[SectionHead] = []
    version_id = latest_version_id(session, checklist_id)
    if version_id is not None:
        for section in definition_for(session, version_id).sections:
            heads.append(SectionHead(section.key, section.title.get(lang)))
    known = {h.key for h in heads}
    heads.extend(SectionHead(key, key) for key in sorted(set(seen_keys) - known))
    return heads


# ---------------------------------------------------------------------------------------------------------------
# Facts: counted visits with their stored scores


@dataclass(frozen=True)
class VisitFact:
    visit_id: int
    score_id: int
    store_id: int
    area_id: int
    version_id: int
    submitted_at: datetime
    percent: Fraction | None
    grade: str | None
    critical_failures: int


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def _facts_query(
    columns: Sequence[ColumnElement[object]], *, checklist_id: int, statuses: tuple[str, ...],
    area_ids: Sequence[int] | None = None, store_ids: Sequence[int] | None = None, start: datetime | None = None,
    end: datetime | None = None,
) -> Select[tuple[object, ...]]:
    """`columns` of the counted visits of one checklist (any version) joined to their current score."""
    q = (
        select(*columns)
        .select_from(Visit)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .join(Store, Visit.store_id == Store.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .where(ChecklistVersion.checklist_id == checklist_id, Visit.status.in_(statuses),
               Visit.submitted_at.is_not(None))
    )
    if area_ids is not None:
        q = q.where(Store.area_id.in_(area_ids))
    if store_ids is not None:
        q = q.where(Visit.store_id.in_(store_ids))
    if start is not None:
        q = q.where(Visit.submitted_at >= start)
    if end is not None:
        q = q.where(Visit.submitted_at < end)
    return q


def visit_facts(
    session: Session, *, checklist_id: int, statuses: tuple[str, ...], area_ids: Sequence[int] | None = None,
    store_ids: Sequence[int] | None = None, start: datetime | None = None, end: datetime | None = None,
    newest: int | None = None,
) -> list[VisitFact]:
    """Counted visits of one checklist (any version) with their current score, oldest first (only the `newest`
    few when given)."""
    q = _facts_query(
        (Visit.id, VisitScore.id, Visit.store_id, Store.area_id, Visit.checklist_version_id, Visit.submitted_at,
         VisitScore.percent_exact, VisitScore.grade, VisitScore.critical_failures),
        checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids, start=start, end=end,
    )
    if newest is not None:
        q = q.order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(newest)
    else:
        q = q.order_by(Visit.submitted_at, Visit.id)
    facts = [VisitFact(vid, sid, store, area, version, at, _fraction(pct), grade, crit)
             for vid, sid, store, area, version, at, pct, grade, crit in session.execute(q)]
    return facts[::-1] if newest is not None else facts


def fact_score_ids(
    *, checklist_id: int, statuses: tuple[str, ...], area_ids: Sequence[int] | None = None,
    store_ids: Sequence[int] | None = None, start: datetime | None = None, end: datetime | None = None,
) -> Select[tuple[object, ...]]:
    """The score ids of exactly the visits `visit_facts` returns for these filters, as a subquery to select by."""
    return _facts_query((VisitScore.id,), checklist_id=checklist_id, statuses=statuses, area_ids=area_ids,
                        store_ids=store_ids, start=start, end=end)


def section_percents(session: Session, score_ids: Select[tuple[object, ...]]
                     ) -> dict[int, dict[str, Fraction | None]]:
    """Per visit score selected by `score_ids` (a query, e.g. `fact_score_ids`: one statement however many visits
    it covers): section key -> exact section percent (earned / possible × 100; None when nothing possible)."""
    found: dict[int, dict[str, Fraction | None]] = defaultdict(dict)
    q = select(SectionScore.visit_score_id, SectionScore.section_key, SectionScore.earned, SectionScore.possible) \
        .where(SectionScore.visit_score_id.in_(score_ids))
    for score_id, key, earned, possible in session.execute(q):
        possible_f = Fraction(possible)
        found[score_id][key] = Fraction(earned) / possible_f * 100 if possible_f else None
    return found


def mean(values: Iterable[Fraction | None]) -> Fraction | None:
    """Mean of the values that exist (exact); None when there are none. The same value as
    `scoring.mean_and_spread(...)[0]`, without computing the spread (a region's heat map takes thousands)."""
    present = [v for v in values if v is not None]
    return sum(present, Fraction(0)) / len(present) if present else None


# ---------------------------------------------------------------------------------------------------------------
# Dashboard


@dataclass(frozen=True)
class StoreLine:
    id: int
    code: str
    name: str
    area_id: int
    area_name: str
    latest_percent: Fraction | None
    latest_grade: str | None
    latest_at: datetime | None
    latest_visit_id: int | None
    previous_percent: Fraction | None
    period_mean: Fraction | None
    previous_period_mean: Fraction | None
    rank: int | None
    rank_of: int
    visits: int
    critical_failures: int
    sections: tuple[Fraction | None, ...]

    @property
    def change_visit(self) -> Fraction | None:
        if self.latest_percent is None or self.previous_percent is None:
            return None
        return self.latest_percent - self.previous_percent

    @property
    def change_period(self) -> Fraction | None:
        if self.period_mean is None or self.previous_period_mean is None:
            return None
        return self.period_mean - self.previous_period_mean


@dataclass(frozen=True)
class AreaMean:
    id: int
    name: str
    mean: Fraction | None
    visits: int


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    period: Period
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    sections: tuple[SectionHead, ...]
    stores: tuple[StoreLine, ...]
    scope_mean: Fraction | None
    scope_sections: tuple[Fraction | None, ...]
    area_means: tuple[AreaMean, ...]
    region_mean: Fraction | None
    visits: int
    sort: str
    descending: bool
    grades: GradeScale = GradeScale()

    @property
    def has_visits(self) -> bool:
        return self.visits > 0


def _ranks(lines: Sequence[tuple[int, Fraction | None]]) -> dict[int, int]:
    """Standard competition ranking (1, 2, 2, 4) by value, highest first; stores without a value get none."""
    ordered = sorted((v, sid) for sid, v in lines if v is not None)
    ordered.reverse()
    ranks: dict[int, int] = {}
    previous, rank = None, 0
    for position, (value, sid) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[sid] = rank
    return ranks


def _latest_two(session: Session, store_filter: ColumnElement[bool], checklist_id: int, statuses: tuple[str, ...],
                end: datetime) -> dict[int, list[tuple[int, Fraction | None, str | None, datetime]]]:
    """Per store matching `store_filter`: its two newest counted visits of the checklist before `end`."""
    found: dict[int, list[tuple[int, Fraction | None, str | None, datetime]]] = defaultdict(list)
    rows = session.execute(scorecards.latest_two_query(store_filter, checklist_id, statuses, end))
    for store_id, visit_id, pct, _, grade, at in rows:
        found[store_id].append((visit_id, _fraction(pct), grade, at))
    return found


def _sort_key(sort: str) -> Callable[[StoreLine], object]:
    def none_last(value: object) -> tuple[bool, object]:
        return (value is None, value if value is not None else 0)

    return {
        "name": lambda s: (s.name.casefold(),),
        "latest": lambda s: none_last(s.latest_percent),
        "change": lambda s: none_last(s.change_visit),
        "period": lambda s: none_last(s.period_mean),
        "period_change": lambda s: none_last(s.change_period),
        "rank": lambda s: (s.area_name, none_last(s.rank)),
        "visits": lambda s: (s.visits,),
        "critical": lambda s: (s.critical_failures,),
    }[sort]


def sort_stores(stores: Sequence[StoreLine], sort: str, descending: bool) -> tuple[StoreLine, ...]:
    """Stores ordered by a column; stores without a value stay at the end either way."""
    key = _sort_key(sort if sort in SORT_KEYS else "rank")
    with_value = [s for s in stores if key(s)[0] is not True]
    without = [s for s in stores if key(s)[0] is True]
    ordered = sorted(with_value, key=lambda s: (key(s), s.name.casefold()), reverse=descending)
    return tuple(ordered + sorted(without, key=lambda s: s.name.casefold()))


def get_dashboard(
    session: Session, user: User, scope: Scope, *, period: Period, checklist_id: int | None, lang: str = "en",
    sort: str = "rank", descending: bool = False, with_region: bool = True,
) -> Dashboard:
    """The stores of an area or region for one checklist and period: latest score and grade, change since the
    previous visit and the previous period, rank in area, visits, critical failures, section means (heat map),
    and area and region means. All means are of visit percents."""
    if user.role not in ("head_office", "area_manager"):
        raise PermissionDeniedError(N_("Scorecards are for area managers and head office."))
    statuses = scorecards.statuses_for(session)
    options = tuple(list_checklist_options(session, scope.area_ids, statuses, lang))
    chosen = choose_checklist(options, checklist_id)
    stores = session.execute(
        select(Store.id, Store.code, Store.name, Store.area_id, Area.name)
        .join(Area, Store.area_id == Area.id)
        .where(Store.area_id.in_(scope.area_ids), Store.is_active.is_(True))
        .order_by(Area.name, Store.name)
    ).all()
    empty = Dashboard(scope, period, options, chosen, (), (), None, (), (), None, 0, sort, descending)
    if chosen is None or not stores:
        return replace(empty, stores=tuple(
            StoreLine(sid, code, name, aid, aname, None, None, None, None, None, None, None, None, 0, 0, 0, ())
            for sid, code, name, aid, aname in stores))
    store_ids = [s[0] for s in stores]
    facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                        start=period.previous.start, end=period.end)
    current = [f for f in facts if f.submitted_at >= period.start]
    previous = [f for f in facts if f.submitted_at < period.start]
    sections_by_score = section_percents(session, fact_score_ids(
        checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids, start=period.start, end=period.end))
    heads = section_heads(session, chosen.id, lang, {k for s in sections_by_score.values() for k in s})
    latest = _latest_two(session, Store.area_id.in_(scope.area_ids) & Store.is_active.is_(True), chosen.id,
                         statuses, period.end)
    by_store: dict[int, list[VisitFact]] = defaultdict(list)
    for fact in current:
        by_store[fact.store_id].append(fact)
    prev_by_store: dict[int, list[VisitFact]] = defaultdict(list)
    for fact in previous:
        prev_by_store[fact.store_id].append(fact)
    means = {sid: mean(f.percent for f in by_store[sid]) for sid in store_ids}
    ranks: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    for area_id in scope.area_ids:
        in_area = [(sid, means[sid]) for sid, _, _, aid, _ in stores if aid == area_id]
        ranks.update(_ranks(in_area))
        counts[area_id] = sum(1 for _, v in in_area if v is not None)
    lines = []
    for sid, code, name, aid, aname in stores:
        two = latest.get(sid, [])
        first = two[0] if two and two[0][3] >= period.start else None
        second = two[1] if first is not None and len(two) > 1 else None
        visits = by_store[sid]
        lines.append(StoreLine(
            id=sid, code=code, name=name, area_id=aid, area_name=aname,
            latest_percent=first[1] if first else None, latest_grade=first[2] if first else None,
            latest_at=first[3] if first else None, latest_visit_id=first[0] if first else None,
            previous_percent=second[1] if second else None,
            period_mean=means[sid], previous_period_mean=mean(f.percent for f in prev_by_store[sid]),
            rank=ranks.get(sid), rank_of=counts[aid], visits=len(visits),
            critical_failures=sum(f.critical_failures for f in visits),
            sections=tuple(mean(sections_by_score.get(f.score_id, {}).get(h.key) for f in visits) for h in heads),
        ))
    area_names = {aid: aname for _, _, _, aid, aname in stores}
    area_means = tuple(
        AreaMean(aid, area_names.get(aid, ""), mean(f.percent for f in current if f.area_id == aid),
                 sum(1 for f in current if f.area_id == aid))
        for aid in scope.area_ids if aid in area_names
    )
    if scope.kind == "region":
        region_mean = mean(f.percent for f in current)
    elif not with_region:
        region_mean = None
    else:
        region_facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses,
                                   area_ids=_region_area_ids(session, scope.region_id),
                                   start=period.start, end=period.end)
        region_mean = mean(f.percent for f in region_facts)
    scope_sections = [mean(sections_by_score.get(f.score_id, {}).get(h.key) for f in current) for h in heads]
    # Sections no visit of the period scores (evidence, notes) have no figure anywhere: leave them out.
    keep = [i for i, value in enumerate(scope_sections) if value is not None]
    lines = [replace(line, sections=tuple(line.sections[i] for i in keep)) for line in lines]
    return Dashboard(
        grades=grades_of(session, chosen.id, lang),
        scope=scope, period=period, checklists=options, checklist=chosen, sections=tuple(heads[i] for i in keep),
        stores=sort_stores(lines, sort, descending), scope_mean=mean(f.percent for f in current),
        scope_sections=tuple(scope_sections[i] for i in keep),
        area_means=area_means, region_mean=region_mean, visits=len(current), sort=sort, descending=descending,
    )


def _region_area_ids(session: Session, region_id: int) -> list[int]:
    return list(session.scalars(select(Area.id).where(Area.region_id == region_id)))


# ---------------------------------------------------------------------------------------------------------------
# Home pages: every area and store at a glance, with the figures their dashboards show


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


def _ordered_options(titles: Sequence[tuple[int, str]], counts: Mapping[int, int]) -> list[ChecklistOption]:
    """Checklists most visited first, then by title: the order the filters offer and the default they pick."""
    options = [ChecklistOption(cid, title, counts.get(cid, 0)) for cid, title in titles]
    return sorted(options, key=lambda o: (-o.visits, o.title))


def default_checklists(session: Session, area_ids: Sequence[int], statuses: tuple[str, ...], lang: str = "en"
                       ) -> dict[int, ChecklistOption | None]:
    """Per area, the checklist its dashboard shows when none is chosen (`choose_checklist(..., None)`)."""
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for area_id, checklist_id, n in session.execute(
        select(Store.area_id, ChecklistVersion.checklist_id, func.count(Visit.id))
        .join(Visit, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Store, Visit.store_id == Store.id)
        .where(Store.area_id.in_(list(area_ids)), Visit.status.in_(statuses))
        .group_by(Store.area_id, ChecklistVersion.checklist_id)
    ):
        counts[area_id][checklist_id] = n
    titles = list(checklist_titles_in(session, lang).items())
    return {aid: choose_checklist(_ordered_options(titles, counts[aid]), None) for aid in area_ids}


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
    statuses = scorecards.statuses_for(session)
    areas = _summary_areas(session, area_ids)
    chosen = default_checklists(session, [a[0] for a in areas], statuses, lang)
    by_area: dict[int, list[Fraction | None]] = defaultdict(list)
    for checklist_id in {c.id for c in chosen.values() if c is not None}:
        wanted = [aid for aid, c in chosen.items() if c is not None and c.id == checklist_id]
        for fact in visit_facts(session, checklist_id=checklist_id, statuses=statuses, area_ids=wanted,
                                start=period.start, end=period.end):
            by_area[fact.area_id].append(fact.percent)
    scales = {c.id: grades_of(session, c.id, lang) for c in chosen.values() if c is not None}
    return [AreaSummary(aid, code, name, region, n_stores, chosen[aid], len(by_area[aid]), mean(by_area[aid]),
                        scales[chosen[aid].id] if chosen[aid] is not None else GradeScale())  # type: ignore[union-attr]
            for aid, code, name, region, n_stores in areas]


def list_store_summaries(session: Session, area_ids: Collection[int] | None, *, period: Period, lang: str = "en"
                         ) -> list[StoreSummary]:
    """Active stores (of these areas; all when None) as their area dashboard shows them: the latest counted
    visit in the period of the area's default checklist, the change since the visit before it (same checklist)
    and the period's visits."""
    statuses = scorecards.statuses_for(session)
    q = (select(Store.id, Store.code, Store.name, Area.id, Area.name, Store.timezone)
         .join(Area, Store.area_id == Area.id).where(Store.is_active.is_(True)).order_by(Area.name, Store.name))
    if area_ids is not None:
        q = q.where(Store.area_id.in_(list(area_ids)))
    stores = session.execute(q).all()
    chosen = default_checklists(session, sorted({s[3] for s in stores}), statuses, lang)
    latest: dict[int, list[tuple[int, Fraction | None, str | None, datetime]]] = {}
    counts: dict[int, int] = defaultdict(int)
    for checklist_id in {c.id for c in chosen.values() if c is not None}:
        wanted = [aid for aid, c in chosen.items() if c is not None and c.id == checklist_id]
        latest.update(_latest_two(session, Store.area_id.in_(wanted) & Store.is_active.is_(True), checklist_id,
                                  statuses, period.end))
        for fact in visit_facts(session, checklist_id=checklist_id, statuses=statuses, area_ids=wanted,
                                start=period.start, end=period.end):
            counts[fact.store_id] += 1
    scales = {c.id: grades_of(session, c.id, lang) for c in chosen.values() if c is not None}
    rows = []
    for sid, code, name, aid, aname, zone_name in stores:
        two = latest.get(sid, [])
        first = two[0] if two and two[0][3] >= period.start else None
        second = two[1] if first is not None and len(two) > 1 else None
        checklist = chosen.get(aid)
        rows.append(StoreSummary(
            id=sid, code=code, name=name, area_id=aid, area_name=aname, checklist=checklist,
            latest_percent=first[1] if first else None, latest_grade=first[2] if first else None,
            latest_at=first[3] if first else None, latest_visit_id=first[0] if first else None,
            previous_percent=second[1] if second else None, visits=counts[sid],
            grades=scales[checklist.id] if checklist is not None else GradeScale(), timezone=zone_name))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Store page


@dataclass(frozen=True)
class StoreInfo:
    id: int
    code: str
    name: str
    city: str
    area_id: int
    area_name: str
    region_id: int
    region_name: str
    timezone: str = "UTC"  # its visits' times are shown in it


@dataclass(frozen=True)
class SectionCompare:
    key: str
    title: str
    store: Fraction | None
    area: Fraction | None


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    percent: Fraction
    visit_id: int


@dataclass(frozen=True)
class RecurringFailure:
    key: str
    text: str
    section_title: str
    failed: int
    of: int


@dataclass(frozen=True)
class Kpi:
    key: str  # nps, csat, ces, queue_wait_mean, queue_wait_p90, greeting_within_target, ...
    value: Fraction | None
    responses: int
    target: Fraction | None = None


@dataclass(frozen=True)
class VisitLine:
    id: int
    submitted_at: datetime | None
    status: str
    is_counted: bool
    checklist_title: str
    version_number: int
    percent: Fraction | None
    grade: str | None
    critical_failures: int


@dataclass(frozen=True)
class StorePage:
    store: StoreInfo
    dashboard: Dashboard
    line: StoreLine
    area_mean: Fraction | None
    sections: tuple[SectionCompare, ...]
    trend: tuple[TrendPoint, ...]
    area_trend: tuple[tuple[date, Fraction], ...]
    recurring: tuple[RecurringFailure, ...]
    recurring_window: int
    kpis: tuple[Kpi, ...]
    visits: tuple[VisitLine, ...]
    latest_version_id: int | None


def store_info(session: Session, store_id: int) -> StoreInfo:
    row = session.execute(
        select(Store.id, Store.code, Store.name, Store.city, Area.id, Area.name, Region.id, Region.name,
                Store.timezone)
        .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
        .where(Store.id == store_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(N_("No such store."))
    return StoreInfo(*row)


def _check_store(session: Session, user: User, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None:
        raise NotFoundError(N_("No such store."))
    if not can_see_store(session, user, store):
        raise PermissionDeniedError(N_("This store is not in your areas."))
    return store


def _month_means(facts: Sequence[VisitFact]) -> tuple[tuple[date, Fraction], ...]:
    months: dict[date, list[Fraction]] = defaultdict(list)
    for fact in facts:
        if fact.percent is not None:
            months[fact.submitted_at.date().replace(day=15)].append(fact.percent)
    return tuple((month, mean(values)) for month, values in sorted(months.items()))  # type: ignore[misc]


def _cards(session: Session, score_ids: Sequence[int]) -> dict[int, scoring.ScoreCard]:
    if not score_ids:
        return {}
    rows = session.execute(select(VisitScore.id, VisitScore.card).where(VisitScore.id.in_(list(score_ids))))
    return {sid: scoring.card_from_data(card) for sid, card in rows}


def recurring_failures(session: Session, facts: Sequence[VisitFact], lang: str,
                       window: int = RECURRING_WINDOW) -> tuple[RecurringFailure, ...]:
    """Questions that failed (counted, less than full points) in at least 3 of the last 5 visits (at least 60 %
    of them, and never fewer than 2), most often failed first, at most RECURRING_LIMIT."""
    last = list(facts)[-window:]
    threshold = max(2, math.ceil(RECURRING_SHARE * len(last)))
    if len(last) < 2:
        return ()
    cards = _cards(session, [f.score_id for f in last])
    failed: dict[str, int] = defaultdict(int)
    where: dict[str, tuple[int, str]] = {}
    for fact in last:
        card = cards[fact.score_id]
        for section in card.sections:
            for result in section.questions:
                if result.excluded is None and result.possible > 0 and result.earned < result.possible:
                    failed[result.key] += 1
                    where[result.key] = (fact.version_id, section.key)
    found = []
    for key, count in failed.items():
        if count < threshold:
            continue
        definition = definition_for(session, where[key][0])
        found.append(RecurringFailure(key, definition.question(key).text.get(lang),
                                      definition.sections[[s.key for s in definition.sections]
                                                          .index(where[key][1])].title.get(lang),
                                      count, len(last)))
    return tuple(sorted(found, key=lambda r: (-r.failed, r.section_title, r.text))[:RECURRING_LIMIT])


def _greeting_target(question: scoring.Question) -> Fraction | None:
    for band in question.bands:
        if band.fraction == 1 and band.max is not None:
            return band.max
    return None


def _card_data(session: Session, score_ids: Sequence[int]) -> dict[int, Mapping[str, object]]:
    if not score_ids:
        return {}
    rows = session.execute(select(VisitScore.id, VisitScore.card).where(VisitScore.id.in_(list(score_ids))))
    return dict(rows.all())


def _stored_answers(card: Mapping[str, object], keys: set[str]) -> dict[str, object]:
    """The answers to some questions as stored on a card (`card_to_data` format), read without building the
    whole card: ints stay ints, exact numbers ("n/d", "2.5") become Fractions, N/A becomes scoring.NA."""
    found: dict[str, object] = {}
    for section in card["sections"]:  # type: ignore[union-attr]
        for question in section["questions"]:
            if question["key"] in keys:
                value = question["answer"]
                if isinstance(value, dict) and value.get("na"):
                    value = scoring.NA
                elif isinstance(value, str) and question["type"] in ("number", "duration"):
                    value = Fraction(value)
                found[question["key"]] = value
    return found


def kpis_for(session: Session, facts: Sequence[VisitFact]) -> tuple[Kpi, ...]:
    """Customer KPIs over these visits, from the answers on their stored cards and the questions' `kpi` tags:
    NPS, CSAT, customer effort (mean), average and 90th-percentile checkout wait (seconds), greeting within the
    full-points band. KPIs whose questions the checklist does not ask are left out."""
    values: dict[str, list[object]] = defaultdict(list)
    targets: dict[str, Fraction | None] = {}
    cards = _card_data(session, [f.score_id for f in facts])
    for fact in facts:
        definition = definition_for(session, fact.version_id)
        tagged = [q for _, q in definition.questions() if q.kpi is not None]
        answers = _stored_answers(cards[fact.score_id], {q.key for q in tagged})
        for question in tagged:
            values.setdefault(question.kpi, [])
            answer = answers.get(question.key)
            if answer is None or answer is scoring.NA:
                continue
            values[question.kpi].append(answer)
            if question.kpi == "greeting_time":
                targets["greeting_time"] = _greeting_target(question)
    kpis: list[Kpi] = []
    if "nps" in values:
        kpis.append(Kpi("nps", scoring.nps(values["nps"]), len(values["nps"])))  # type: ignore[arg-type]
    if "csat" in values:
        kpis.append(Kpi("csat", scoring.csat(values["csat"]), len(values["csat"])))  # type: ignore[arg-type]
    if "ces" in values:
        kpis.append(Kpi("ces", scoring.ces_mean(values["ces"]), len(values["ces"])))  # type: ignore[arg-type]
    for kpi in ("queue_wait", "hold_time", "response_time"):
        if kpi in values:
            numbers = [Fraction(v) for v in values[kpi]]  # type: ignore[arg-type]
            kpis.append(Kpi(f"{kpi}_mean", mean(numbers), len(numbers)))
            kpis.append(Kpi(f"{kpi}_p90", scoring.percentile(numbers, 90), len(numbers)))
    if "greeting_time" in values:
        target = targets.get("greeting_time")
        numbers = [Fraction(v) for v in values["greeting_time"]]  # type: ignore[arg-type]
        share = (Fraction(100 * sum(1 for v in numbers if v <= target), len(numbers))
                 if numbers and target is not None else None)
        kpis.append(Kpi("greeting_within_target", share, len(numbers), target))
    if "fcr" in values:
        answers = values["fcr"]
        kpis.append(Kpi("fcr", Fraction(100 * sum(1 for a in answers if a == "yes"), len(answers))
                        if answers else None, len(answers)))
    return tuple(kpis)


def get_store_page(
    session: Session, user: User, store_id: int, *, period: Period, checklist_id: int | None, lang: str = "en",
) -> StorePage:
    """One store: latest score, rank and changes (as on its area's dashboard), section means against the area's,
    the trend of visit scores with the area's monthly mean, recurring failed questions, KPIs and its visits."""
    _check_store(session, user, store_id)
    info = store_info(session, store_id)
    scope = Scope("area", info.area_id, info.area_name, info.region_id, info.region_name, (info.area_id,))
    board = get_dashboard(session, user, scope, period=period, checklist_id=checklist_id, lang=lang,
                          with_region=False)
    line = next(s for s in board.stores if s.id == store_id) if any(s.id == store_id for s in board.stores) else \
        StoreLine(info.id, info.code, info.name, info.area_id, info.area_name, None, None, None, None, None, None,
                  None, None, 0, 0, 0, ())
    statuses = scorecards.statuses_for(session)
    sections: tuple[SectionCompare, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    area_trend: tuple[tuple[date, Fraction], ...] = ()
    recurring: tuple[RecurringFailure, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    if board.checklist is not None:
        sections = tuple(SectionCompare(h.key, h.title, line.sections[i] if line.sections else None,
                                        board.scope_sections[i]) for i, h in enumerate(board.sections))
        trend_start = min(period.start, period.end - timedelta(days=TREND_DAYS))
        area_facts = visit_facts(session, checklist_id=board.checklist.id, statuses=statuses,
                                 area_ids=[info.area_id], start=trend_start, end=period.end)
        own = [f for f in area_facts if f.store_id == store_id]
        trend = tuple(TrendPoint(f.submitted_at, f.percent, f.visit_id) for f in own if f.percent is not None)
        area_trend = _month_means(area_facts)
        history = visit_facts(session, checklist_id=board.checklist.id, statuses=statuses, store_ids=[store_id],
                              end=period.end, newest=RECURRING_WINDOW)
        recurring = recurring_failures(session, history, lang)
        kpis = kpis_for(session, [f for f in own if f.submitted_at >= period.start])
    visits = _visit_lines(session, store_id, statuses,
                          board.checklist.id if board.checklist is not None else None, period, lang)
    return StorePage(
        store=info, dashboard=board, line=line, area_mean=board.scope_mean, sections=sections, trend=trend,
        area_trend=area_trend, recurring=recurring, recurring_window=RECURRING_WINDOW, kpis=kpis, visits=visits,
        latest_version_id=latest_version_id(session, board.checklist.id) if board.checklist else None,
    )


def _visit_lines(session: Session, store_id: int, statuses: tuple[str, ...], checklist_id: int | None,
                 period: Period, lang: str = "en") -> tuple[VisitLine, ...]:
    q = (
        select(Visit.id, Visit.submitted_at, Visit.status, Checklist.title, ChecklistVersion.number,
               VisitScore.percent_exact, VisitScore.grade, VisitScore.critical_failures, Checklist.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(Visit.store_id == store_id, Visit.status != "draft", Visit.submitted_at >= period.start,
               Visit.submitted_at < period.end)
        .order_by(Visit.submitted_at.desc(), Visit.id.desc())
        .limit(200)
    )
    if checklist_id is not None:
        q = q.where(ChecklistVersion.checklist_id == checklist_id)
    rows = session.execute(q).all()
    titles = checklist_titles_in(session, lang, {row[8] for row in rows})
    return tuple(VisitLine(vid, at, status, status in statuses, titles.get(cid, title), number, _fraction(pct), grade,
                           crit or 0)
                 for vid, at, status, title, number, pct, grade, crit, cid in rows)


# ---------------------------------------------------------------------------------------------------------------
# Visit page


@dataclass(frozen=True)
class PhotoInfo:
    id: int
    question_key: str
    sha256: str
    width: int
    height: int
    taken_at: datetime | None


@dataclass(frozen=True)
class VisitPage:
    id: int
    store: StoreInfo
    status: str
    is_counted: bool
    started_at: datetime
    submitted_at: datetime | None
    minutes: int | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    shopper_name: str | None
    checklist_title: str
    version_number: int
    version_published_at: datetime | None
    scored_at: datetime | None
    card: CardView | None
    photos: tuple[PhotoInfo, ...]
    review_note: str
    rescored: scorecards.Rescored | None = None
    grades: GradeScale = GradeScale()


def visit_photos(session: Session, visit_id: int) -> tuple[PhotoInfo, ...]:
    rows = session.execute(select(Photo.id, Photo.question_key, Photo.sha256, Photo.width, Photo.height,
                                  Photo.taken_at).where(Photo.visit_id == visit_id).order_by(Photo.id))
    return tuple(PhotoInfo(*row) for row in rows)


def shows_shopper(session: Session, user: User) -> bool:
    """Whether this reader sees shopper names (head office always; area managers when head office allows it)."""
    return user.role == "head_office" or get_settings(session).show_shopper_to_managers


def get_visit_page(
    session: Session, user: User, visit_id: int, *, lang: str, labels: Mapping[str, str],
    photo_ref: Callable[[PhotoInfo], PhotoRef],
) -> VisitPage:
    """One visit's full explained card (from the stored card, never re-scored), answers' comments and photos,
    timings, proof of visit and rubric version. Drafts are the shopper's own: NotFoundError for everyone else."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.status == "draft":
        raise NotFoundError(N_("No such visit."))
    _check_store(session, user, visit.store_id)
    info = store_info(session, visit.store_id)
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    score = session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.is_current.is_(True)))
    photos = visit_photos(session, visit.id)
    card = None
    if score is not None:
        comments = {a.question_key: a.comment for a in
                    session.scalars(select(Answer).where(Answer.visit_id == visit.id)) if a.comment}
        refs: dict[str, list[PhotoRef]] = defaultdict(list)
        for photo in photos:
            refs[photo.question_key].append(photo_ref(photo))
        # The card's texts come from the version that made it: a re-score may have used a later one.
        card = card_view(definition_for(session, score.checklist_version_id), scoring.card_from_data(score.card),
                         lang=lang, labels=labels, comments=comments, photos=refs)
        if user.role != "head_office":
            card = for_managers(card)
    shopper = None
    if shows_shopper(session, user):
        shopper = session.scalar(select(User.name).where(User.id == visit.shopper_id))
    minutes = None
    if visit.submitted_at is not None:
        minutes = max(0, round((visit.submitted_at - visit.started_at).total_seconds() / 60))
    return VisitPage(
        id=visit.id, store=info, status=visit.status,
        is_counted=visit.status in scorecards.statuses_for(session),
        started_at=visit.started_at, submitted_at=visit.submitted_at, minutes=minutes,
        latitude=visit.latitude, longitude=visit.longitude, accuracy_m=visit.location_accuracy_m,
        shopper_name=shopper, checklist_title=definition_for(session, version.id).title.get(lang),
        version_number=version.number,
        version_published_at=version.published_at, scored_at=score.scored_at if score else None, card=card,
        photos=photos, review_note=visit.review_note or "", rescored=scorecards.rescored(session, visit, score),
        grades=grade_scale(definition_for(session, version.id), lang),
    )


# ---------------------------------------------------------------------------------------------------------------
# Compare


@dataclass(frozen=True)
class CompareStore:
    id: int
    code: str
    name: str
    area_name: str
    mean: Fraction | None
    visits: int
    sections: tuple[Fraction | None, ...]


@dataclass(frozen=True)
class Comparison:
    period: Period
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    sections: tuple[SectionHead, ...]
    stores: tuple[CompareStore, ...]
    grades: GradeScale = GradeScale()


def visible_stores(session: Session, user: User) -> list[StoreInfo]:
    """The active stores a reader may pick from: head office all, an area manager those of their areas."""
    q = (select(Store.id, Store.code, Store.name, Store.city, Area.id, Area.name, Region.id, Region.name,
                Store.timezone)
         .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
         .where(Store.is_active.is_(True)).order_by(Region.name, Area.name, Store.name))
    if user.role != "head_office":
        q = q.where(Store.area_id.in_(managed_area_ids(session, user)))
    return [StoreInfo(*row) for row in session.execute(q)]


def get_comparison(
    session: Session, user: User, store_ids: Sequence[int], *, period: Period, checklist_id: int | None,
    lang: str = "en",
) -> Comparison:
    """Two to six stores side by side for one period and checklist: overall and section means of visit percents.
    One store alone is shown too (its page asks for another to compare it with). Raises DashboardError for no
    store or too many, NotFoundError, PermissionDeniedError."""
    ids = list(dict.fromkeys(store_ids))
    if not 1 <= len(ids) <= COMPARE_MAX:
        raise DashboardError(N_("Choose between %(low)s and %(high)s stores to compare."), low=COMPARE_MIN,
                             high=COMPARE_MAX)
    infos = []
    for sid in ids:
        _check_store(session, user, sid)
        infos.append(store_info(session, sid))
    statuses = scorecards.statuses_for(session)
    options = tuple(list_checklist_options(session, sorted({i.area_id for i in infos}), statuses, lang))
    chosen = choose_checklist(options, checklist_id)
    if chosen is None:
        return Comparison(period, options, None, (), tuple(CompareStore(i.id, i.code, i.name, i.area_name, None, 0, ())
                                                          for i in infos))
    facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses, store_ids=ids, start=period.start,
                        end=period.end)
    by_score = section_percents(session, fact_score_ids(checklist_id=chosen.id, statuses=statuses, store_ids=ids,
                                                        start=period.start, end=period.end))
    heads = section_heads(session, chosen.id, lang, {k for s in by_score.values() for k in s})
    stores = []
    for info in infos:
        own = [f for f in facts if f.store_id == info.id]
        stores.append(CompareStore(
            info.id, info.code, info.name, info.area_name, mean(f.percent for f in own), len(own),
            tuple(mean(by_score.get(f.score_id, {}).get(h.key) for f in own) for h in heads)))
    # As on the dashboards: a section none of these stores has a figure for is left out.
    keep = [i for i in range(len(heads)) if any(s.sections[i] is not None for s in stores)]
    heads = [heads[i] for i in keep]
    stores = [replace(s, sections=tuple(s.sections[i] for i in keep)) for s in stores]
    return Comparison(period, options, chosen, tuple(heads), tuple(stores), grades_of(session, chosen.id, lang))
