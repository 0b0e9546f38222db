"""An area's or a region's dashboard: its stores side by side for one checklist and period.

Per store the latest score and grade, the change since the previous visit and since the previous period, its rank
in its area, visits, critical failures and section means (the heat map); the area and region means beside them.
Every mean is of visit percents, exact until display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Store, User
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.facts import (
    ExactSum, LatestVisit, VisitFact, exact_mean, in_period, latest_two, percent_sums, section_sums, visit_facts,
)
from audit_app.services.scores.scope import (
    ChecklistOption, Period, Scope, SectionHead, choose_checklist, get_area_scope, get_region_scope, grades_of,
    list_checklist_options, region_area_ids, section_heads,
)
from audit_app.services.scores.storage import statuses_for
from reports.context import GradeScale

SORT_KEYS = ("name", "latest", "change", "period", "period_change", "rank", "visits", "critical")
READERS = ("head_office", "area_manager")


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


def check_reader(user: User) -> None:
    """Scorecards are for area managers and head office: PermissionDeniedError for anyone else."""
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


def _merged(parts: Iterable[Mapping[str, ExactSum]]) -> dict[str, ExactSum]:
    total: dict[str, ExactSum] = defaultdict(ExactSum)
    for part in parts:
        for key, value in part.items():
            total[key].merge(value)
    return total


def store_line(store: StoreName, *, current: Sequence[VisitFact], previous: Sequence[VisitFact],
               latest: Sequence[LatestVisit], period: Period, rank: int | None, rank_of: int,
               sections: tuple[Fraction | None, ...]) -> StoreLine:
    """One store's line: `current` and `previous` are its visits of the period and of the one before."""
    first, second = in_period(latest, period.start)
    return StoreLine(
        id=store.id, code=store.code, name=store.name, area_id=store.area_id, area_name=store.area_name,
        latest_percent=first.percent if first else None, latest_grade=first.grade if first else None,
        latest_at=first.submitted_at if first else None, latest_visit_id=first.visit_id if first else None,
        previous_percent=second.percent if second else None,
        period_mean=exact_mean(f.percent for f in current),
        previous_period_mean=exact_mean(f.percent for f in previous),
        rank=rank, rank_of=rank_of, visits=len(current),
        critical_failures=sum(f.critical_failures for f in current), sections=sections,
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
    sort: str = "rank", descending: bool = False,
) -> Dashboard:
    """The stores of an area or region for one checklist and period: latest score and grade, change since the
    previous visit and the previous period, rank in area, visits, critical failures, section means (heat map),
    and area and region means. All means are of visit percents. Raises PermissionDeniedError."""
    check_reader(user)
    statuses = statuses_for(session)
    options = tuple(list_checklist_options(session, scope.area_ids, statuses, lang))
    chosen = choose_checklist(options, checklist_id)
    stores = active_stores(session, scope.area_ids)
    if chosen is None or not stores:
        return Dashboard(scope, period, options, chosen, (), tuple(empty_line(s) for s in stores), None, (), (),
                         None, 0, sort, descending)
    facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                        start=period.previous.start, end=period.end)
    current = [f for f in facts if f.submitted_at >= period.start]
    current_by_store = by_store(current)
    previous_by_store = by_store(f for f in facts if f.submitted_at < period.start)
    sums_by_store = section_sums(session, checklist_id=chosen.id, statuses=statuses, area_ids=scope.area_ids,
                                 start=period.start, end=period.end)
    heads = section_heads(session, chosen.id, lang, {k for s in sums_by_store.values() for k in s})
    scope_sections = summed_section_means(_merged(sums_by_store.values()), heads)
    # Sections no visit of the period scores (evidence, notes) have no figure anywhere: leave them out.
    kept = [h for h, value in zip(heads, scope_sections) if value is not None]
    latest = latest_two(session, Store.area_id.in_(scope.area_ids) & Store.is_active.is_(True), chosen.id,
                        statuses, period.end)
    means = {s.id: exact_mean(f.percent for f in current_by_store[s.id]) for s in stores}
    ranks, counts = ranks_in_areas(stores, means, scope.area_ids)
    lines = [store_line(s, current=current_by_store[s.id], previous=previous_by_store[s.id],
                        latest=latest.get(s.id, []), period=period, rank=ranks.get(s.id), rank_of=counts[s.area_id],
                        sections=summed_section_means(sums_by_store.get(s.id, {}), kept))
             for s in stores]
    area_names = {s.area_id: s.area_name for s in stores}
    area_means = tuple(
        AreaMean(aid, area_names.get(aid, ""), exact_mean(f.percent for f in current if f.area_id == aid),
                 sum(1 for f in current if f.area_id == aid))
        for aid in scope.area_ids if aid in area_names
    )
    if scope.kind == "region":
        region_mean = exact_mean(f.percent for f in current)
    else:
        region_sums, _ = percent_sums(session, checklist_id=chosen.id, statuses=statuses, group_by=Store.area_id,
                                      area_ids=region_area_ids(session, scope.region_id), start=period.start,
                                      end=period.end)
        region_total = ExactSum()
        for part in region_sums.values():
            region_total.merge(part)
        region_mean = region_total.mean
    return Dashboard(
        grades=grades_of(session, chosen.id, lang),
        scope=scope, period=period, checklists=options, checklist=chosen, sections=tuple(kept),
        stores=sort_stores(lines, sort, descending), scope_mean=exact_mean(f.percent for f in current),
        scope_sections=tuple(v for v in scope_sections if v is not None),
        area_means=area_means, region_mean=region_mean, visits=len(current), sort=sort, descending=descending,
    )


def get_scope_dashboard(
    session: Session, user: User, kind: str, scope_id: int, *, period: Period, checklist_id: int | None,
    lang: str = "en", sort: str = "rank", descending: bool = False,
) -> Dashboard:
    """`get_dashboard` of an area (kind "area") or a region the user may see. Raises NotFoundError,
    PermissionDeniedError."""
    scope = (get_region_scope if kind == "region" else get_area_scope)(session, user, scope_id)
    return get_dashboard(session, user, scope, period=period, checklist_id=checklist_id, lang=lang, sort=sort,
                         descending=descending)
