"""An area's or a region's dashboard: its stores side by side for one checklist and period.

Per store the latest score and grade, the change since the previous visit and since the previous period, its rank
in its area, visits, critical failures and section means (the heat map); the area and region means beside them.
Every mean is of visit percents, exact until display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Store, User
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.paging import page_of
from audit_app.services.scores.facts import (
    ExactSum, LatestVisit, VisitFact, awaiting_review, exact_mean, in_period, latest_two_of, percent_sums,
    section_sums, section_totals, visit_facts,
)
from audit_app.services.scores.scope import (
    ChecklistOption, Period, Scope, SectionHead, choose_checklist, get_area_scope, get_region_scope, grades_of,
    list_checklist_options, region_area_ids, section_heads,
)
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.uncertainty import (
    NO_INTERVAL, UNTESTABLE, Difference, Interval, Spread, change_within_noise, t_interval, visit_noise, welch,
)
from audit_app.services.settings import get_settings
from reports.context import GradeScale

SORT_KEYS = ("name", "latest", "change", "period", "period_change", "rank", "visits", "critical")
# Stores per page of a dashboard's tables: an area fits on one; a region of hundreds of stores is paged (sorted
# over all its stores first), so a manager's phone is not sent thousands of cells at once.
STORES_PER_PAGE = 50
READERS = ("head_office", "area_manager", "store_manager")


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
    # The period mean's 95 % t-interval (provisional below the programme's minimum of visits), and Welch's test
    # of this period's visits against the previous period's.
    interval: Interval = NO_INTERVAL
    period_test: Difference = UNTESTABLE
    # How far apart two single visits of this store may be by noise alone, in points: the 95 % margin of a
    # difference of two visits, t(0.975, n − 1) × s × √2, s the spread of the period's visits; None below two.
    visit_noise: float | None = None

    @property
    def is_provisional(self) -> bool:
        return self.interval.provisional

    @property
    def change_visit_within_noise(self) -> bool:
        """The change since the previous visit is no larger than two visits of this store differ by noise alone
        (or the period has too few visits to tell): it is not shown as a movement."""
        return change_within_noise(self.change_visit, self.visit_noise)

    @property
    def change_within_noise(self) -> bool:
        """The change since the previous period is not larger than the noise of the two periods' visits (or
        cannot be told from them): it is not shown as a movement."""
        return self.change_period is not None and not self.period_test.is_clear

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
class StoreName:
    """An active store as the dashboards list it."""

    id: int
    code: str
    name: str
    area_id: int
    area_name: str


def empty_line(store: StoreName) -> StoreLine:
    """A store with no figures (no checklist, or nothing counted)."""
    return StoreLine(store.id, store.code, store.name, store.area_id, store.area_name, None, None, None, None, None,
                     None, None, None, 0, 0, 0, ())


@dataclass(frozen=True)
class AreaMean:
    id: int
    name: str
    mean: Fraction | None
    visits: int
    interval: Interval = NO_INTERVAL


class PagedStores:
    """For a page of stores (`stores`, page `page` of `pages`, `per_page` a page): where the page starts and ends
    among them all."""

    stores: Sequence[object]
    page: int
    per_page: int

    @property
    def first_shown(self) -> int:
        """The place of the page's first store among all of them, from 1 (0 for an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.stores else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.per_page + len(self.stores)


@dataclass(frozen=True)
class Dashboard(PagedStores):
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
    # `stores` is one page of the scope's stores, in the chosen order: `store_count` are there in all.
    store_count: int = 0
    page: int = 1
    pages: int = 1
    per_page: int = STORES_PER_PAGE
    scope_interval: Interval = NO_INTERVAL
    region_interval: Interval = NO_INTERVAL
    min_visits: int = 3
    awaiting_review: int = 0  # submitted visits of the period not counted until head office approves them

    @property
    def has_visits(self) -> bool:
        return self.visits > 0


def check_reader(user: User) -> None:
    """Scorecards are for managers and head office: PermissionDeniedError for shoppers."""
    if user.role not in READERS:
        raise PermissionDeniedError(N_("Scorecards are for area managers and head office."))


def active_stores(session: Session, area_ids: Sequence[int]) -> list[StoreName]:
    """The active stores of these areas, by area name and store name."""
    return [StoreName(*row) for row in session.execute(
        select(Store.id, Store.code, Store.name, Store.area_id, Area.name)
        .join(Area, Store.area_id == Area.id)
        .where(Store.area_id.in_(area_ids), Store.is_active.is_(True))
        .order_by(Area.name, Store.name)
    )]


def by_store(facts: Iterable[VisitFact]) -> dict[int, list[VisitFact]]:
    grouped: dict[int, list[VisitFact]] = defaultdict(list)
    for fact in facts:
        grouped[fact.store_id].append(fact)
    return grouped


def ranks_in_areas(stores: Sequence[StoreName], means: Mapping[int, Fraction | None], area_ids: Sequence[int]
                   ) -> tuple[dict[int, int], dict[int, int]]:
    """Each store's rank in its area by period mean, and per area how many stores have a rank."""
    ranks: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    for area_id in area_ids:
        in_area = {s.id: means[s.id] for s in stores if s.area_id == area_id}
        ranks.update(scoring.competition_ranks(in_area))
        counts[area_id] = sum(1 for v in in_area.values() if v is not None)
    return ranks, counts


def section_means(facts: Sequence[VisitFact], sections_by_score: Mapping[int, Mapping[str, Fraction | None]],
                  heads: Sequence[SectionHead]) -> tuple[Fraction | None, ...]:
    """Per section head, the mean of these visits' section percents."""
    return tuple(scoring.mean(sections_by_score.get(f.score_id, {}).get(h.key) for f in facts) for h in heads)


def summed_section_means(sums: Mapping[str, ExactSum], heads: Sequence[SectionHead]) -> tuple[Fraction | None, ...]:
    """Per section head, the mean of the section percents summed in `sums` (see `facts.section_sums`)."""
    return tuple(sums[h.key].mean if h.key in sums else None for h in heads)


def spread_of(facts: Iterable[VisitFact]) -> Spread:
    """Count, sum and sum of squares of these visits' percents (visits without a percent left out)."""
    return Spread.of(float(f.percent) for f in facts if f.percent is not None)


def store_line(store: StoreName, *, current: Sequence[VisitFact], previous: Sequence[VisitFact],
               latest: Sequence[LatestVisit], period: Period, rank: int | None, rank_of: int,
               sections: tuple[Fraction | None, ...], period_mean: Fraction | None, min_visits: int = 3) -> StoreLine:
    """One store's line: `current` and `previous` are its visits of the period and of the one before, and
    `period_mean` the mean of `current`'s percents (callers have it already: ranks need it); the period mean's
    interval is provisional below `min_visits` visits."""
    first, second = in_period(latest, period.start)
    now_spread, before_spread = spread_of(current), spread_of(previous)
    return StoreLine(
        id=store.id, code=store.code, name=store.name, area_id=store.area_id, area_name=store.area_name,
        latest_percent=first.percent if first else None, latest_grade=first.grade if first else None,
        latest_at=first.submitted_at if first else None, latest_visit_id=first.visit_id if first else None,
        previous_percent=second.percent if second else None,
        period_mean=period_mean,
        previous_period_mean=exact_mean(f.percent for f in previous),
        rank=rank, rank_of=rank_of, visits=len(current),
        critical_failures=sum(f.critical_failures for f in current), sections=sections,
        interval=t_interval(now_spread, min_visits), period_test=welch(now_spread, before_spread),
        visit_noise=visit_noise(now_spread),
    )


def _sort_key(sort: str) -> Callable[[StoreLine], tuple[object, ...]]:
    def none_last(value: object) -> tuple[bool, object]:
        return (value is None, value if value is not None else 0)

    keys: dict[str, Callable[[StoreLine], tuple[object, ...]]] = {
        "name": lambda s: (s.name.casefold(),),
        "latest": lambda s: none_last(s.latest_percent),
        "change": lambda s: none_last(s.change_visit),
        "period": lambda s: none_last(s.period_mean),
        "period_change": lambda s: none_last(s.change_period),
        "rank": lambda s: (s.area_name, none_last(s.rank)),
        "visits": lambda s: (s.visits,),
        "critical": lambda s: (s.critical_failures,),
    }
    return keys[sort]


def sort_stores(stores: Sequence[StoreLine], sort: str, descending: bool) -> tuple[StoreLine, ...]:
    """Stores ordered by a column; stores without a value stay at the end either way."""
    key = _sort_key(sort if sort in SORT_KEYS else "rank")
    with_value = [s for s in stores if key(s)[0] is not True]
    without = [s for s in stores if key(s)[0] is True]
    ordered = sorted(with_value, key=lambda s: (key(s), s.name.casefold()), reverse=descending)
    return tuple(ordered + sorted(without, key=lambda s: s.name.casefold()))


def get_dashboard(
    session: Session, user: User, scope: Scope, *, period: Period, checklist_id: int | None, lang: str = "en",
    sort: str = "rank", descending: bool = False, page: int = 1, per_page: int = STORES_PER_PAGE,
) -> Dashboard:
    """The stores of an area or region for one checklist and period: latest score and grade, change since the
    previous visit and the previous period, rank in area, visits, critical failures, section means (heat map),
    and area and region means. All means are of visit percents. Stores are sorted over the whole scope and
    `page` of them (`per_page` a page) is returned. Raises PermissionDeniedError."""
    check_reader(user)
    statuses = statuses_for(session)
    min_visits = get_settings(session).min_visits_for_figures
    options = tuple(list_checklist_options(session, scope.area_ids, lang, period))
    chosen = choose_checklist(options, checklist_id)
    stores = active_stores(session, scope.area_ids)
    if chosen is None or not stores:
        page, pages, shown = page_of(len(stores), page, per_page)
        return Dashboard(scope, period, options, chosen, (), tuple(empty_line(s) for s in stores)[shown], None, (),
                         (), None, 0, sort, descending, store_count=len(stores), page=page, pages=pages,
                         per_page=per_page)
    facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                        start=period.previous.start, end=period.end)
    current = [f for f in facts if f.submitted_at >= period.start]
    current_by_store = by_store(current)
    previous_by_store = by_store(f for f in facts if f.submitted_at < period.start)
    totals = section_totals(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                            start=period.start, end=period.end)
    heads = section_heads(session, chosen.id, lang, set(totals))
    scope_sections = summed_section_means(totals, heads)
    # Sections no visit of the period scores (evidence, notes) have no figure anywhere: leave them out.
    kept = [h for h, value in zip(heads, scope_sections) if value is not None]
    latest = latest_two_of(session, [s.id for s in stores], facts, chosen.id, statuses, period.end)
    means = {s.id: exact_mean(f.percent for f in current_by_store[s.id]) for s in stores}
    ranks, counts = ranks_in_areas(stores, means, scope.area_ids)
    lines = [store_line(s, current=current_by_store[s.id], previous=previous_by_store[s.id],
                        latest=latest.get(s.id, []), period=period, rank=ranks.get(s.id), rank_of=counts[s.area_id],
                        sections=(), min_visits=min_visits, period_mean=means[s.id])
             for s in stores]
    # Section means (the heat map) only for the page shown: sorting never reads them.
    page, pages, shown = page_of(len(lines), page, per_page)
    page_lines = sort_stores(lines, sort, descending)[shown]
    sums_by_store = section_sums(session, checklist_id=chosen.id, statuses=statuses,
                                 store_ids=[line.id for line in page_lines], start=period.start, end=period.end)
    page_lines = tuple(replace(line, sections=summed_section_means(sums_by_store.get(line.id, {}), kept))
                       for line in page_lines)
    area_names = {s.area_id: s.area_name for s in stores}
    current_by_area: dict[int, list[VisitFact]] = defaultdict(list)
    for fact in current:
        current_by_area[fact.area_id].append(fact)
    area_means = tuple(
        AreaMean(aid, area_names.get(aid, ""), exact_mean(f.percent for f in current_by_area[aid]),
                 len(current_by_area[aid]), t_interval(spread_of(current_by_area[aid]), min_visits))
        for aid in scope.area_ids if aid in area_names
    )
    scope_interval = t_interval(spread_of(current), min_visits)
    scope_mean = exact_mean(f.percent for f in current)
    if scope.kind == "region":
        region_mean = scope_mean
        region_interval = scope_interval
    else:
        region_sums, _ = percent_sums(session, checklist_id=chosen.id, statuses=statuses, group_by=Store.area_id,
                                      area_ids=region_area_ids(session, scope.region_id), start=period.start,
                                      end=period.end)
        region_total = ExactSum()
        for part in region_sums.values():
            region_total.merge(part)
        region_mean = region_total.mean
        region_interval = t_interval(region_total.spread, min_visits)
    return Dashboard(
        grades=grades_of(session, chosen.id, lang),
        scope=scope, period=period, checklists=options, checklist=chosen, sections=tuple(kept),
        stores=page_lines, store_count=len(lines), page=page, pages=pages, per_page=per_page,
        scope_mean=scope_mean,
        scope_sections=tuple(v for v in scope_sections if v is not None),
        area_means=area_means, region_mean=region_mean, visits=len(current), sort=sort, descending=descending,
        scope_interval=scope_interval, region_interval=region_interval, min_visits=min_visits,
        awaiting_review=awaiting_review(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                                        start=period.start, end=period.end),
    )


def get_scope_dashboard(
    session: Session, user: User, kind: str, scope_id: int, *, period: Period, checklist_id: int | None,
    lang: str = "en", sort: str = "rank", descending: bool = False, page: int = 1,
    per_page: int = STORES_PER_PAGE,
) -> Dashboard:
    """`get_dashboard` of an area (kind "area") or a region the user may see. Raises NotFoundError,
    PermissionDeniedError."""
    scope = (get_region_scope if kind == "region" else get_area_scope)(session, user, scope_id)
    return get_dashboard(session, user, scope, period=period, checklist_id=checklist_id, lang=lang, sort=sort,
                         descending=descending, page=page, per_page=per_page)
