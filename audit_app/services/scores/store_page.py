"""One store against its area: its line as the area's dashboard shows it, section means against the area's, the
trend of its visit scores beside the area's monthly mean, recurring failed questions, KPIs and its visits.

The store page reads one store: what it shares with its area (area and section means, ranks, the area's trend)
is gathered once per area (`AreaFigures`), so an area's batch of scorecards computes it once, not once a store.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Checklist, ChecklistVersion, Region, Store, User, Visit, VisitScore
from audit_app.services import access, action_lists
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import N_, NotFoundError
from audit_app.services.scores.dashboard import (
    StoreLine, StoreName, active_stores, by_store, check_reader, empty_line, ranks_in_areas, section_means, spread_of,
    store_line,
)
from audit_app.services.scores.facts import (
    LatestVisit, VisitFact, awaiting_review, exact_mean, fact_score_ids, latest_two_of, section_percents, visit_facts,
)
from audit_app.services.scores.kpis import Kpi, kpis_for
from audit_app.services.scores.scope import (
    ChecklistOption, Period, SectionHead, choose_checklist, definition_for, grades_of, latest_version_id,
    list_checklist_options, section_heads,
)
from audit_app.services.scores.storage import exact, statuses_for, stored_cards
from audit_app.services.scores.uncertainty import NO_INTERVAL, Interval, t_interval
from audit_app.services.settings import get_settings
from audit_app.services.zones import local_time
from reports.context import DEFAULT_LABELS, Fact, GradeScale
from reports.wording import kpi_facts

TREND_DAYS = 365
RECURRING_WINDOW = 5
RECURRING_SHARE = Fraction(3, 5)  # failed in at least 3 of the last 5 visits (at least 2 of fewer)
RECURRING_LIMIT = 10
VISIT_LIMIT = 200


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


def _store_info_query():  # type: ignore[no-untyped-def]
    return (select(Store.id, Store.code, Store.name, Store.city, Area.id, Area.name, Region.id, Region.name,
                   Store.timezone)
            .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id))


def store_info(session: Session, store_id: int) -> StoreInfo:
    """A store with its area and region names. Raises NotFoundError."""
    row = session.execute(_store_info_query().where(Store.id == store_id)).one_or_none()
    if row is None:
        raise NotFoundError(N_("No such store."))
    return StoreInfo(*row)


def visible_stores(session: Session, user: User) -> list[StoreInfo]:
    """The active stores a reader may pick from: head office all, an area manager those of their areas."""
    q = _store_info_query().where(Store.is_active.is_(True)).order_by(Region.name, Area.name, Store.name)
    area_ids = access.visible_area_ids(session, user)
    if area_ids is not None:
        q = q.where(Store.area_id.in_(area_ids))
    return [StoreInfo(*row) for row in session.execute(q)]


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
    period: Period
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    grades: GradeScale
    line: StoreLine
    area_mean: Fraction | None
    sections: tuple[SectionCompare, ...]
    trend: tuple[TrendPoint, ...]
    area_trend: tuple[tuple[date, Fraction], ...]
    recurring: tuple[RecurringFailure, ...]
    recurring_window: int
    kpis: tuple[Kpi, ...]
    kpi_facts: tuple[Fact, ...]
    visits: tuple[VisitLine, ...]
    latest_version_id: int | None
    area_interval: Interval = NO_INTERVAL
    min_visits: int = 3
    actions: tuple[Any, ...] = ()  # action_lists.ActionRow: still to do, and recently resolved or closed
    awaiting_review: int = 0  # submitted visits of the period not counted until head office approves them

    @property
    def trend_days(self) -> tuple[tuple[date, Fraction], ...]:
        """The trend's points on the store's own calendar (what the charts draw)."""
        return tuple((local_time(p.at, self.store.timezone).date(), p.percent) for p in self.trend)

    @property
    def section_rows(self) -> tuple[tuple[str, Fraction | None, Fraction | None], ...]:
        """(title, store mean, area mean) per section."""
        return tuple((s.title, s.store, s.area) for s in self.sections)


# ---------------------------------------------------------------------------------------------------------------
# What the stores of one area share


@dataclass(frozen=True)
class AreaFigures:
    """One area's figures for a checklist and period, shared by all its store pages."""

    area_id: int
    period: Period
    statuses: tuple[str, ...]
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    grades: GradeScale
    stores: tuple[StoreName, ...]  # active ones: the area's ranking is among them
    sections: tuple[SectionHead, ...]  # those with a figure in the period
    area_sections: tuple[Fraction | None, ...]
    area_mean: Fraction | None
    ranks: Mapping[int, int]
    rank_of: int
    facts: tuple[VisitFact, ...]  # the area's counted visits from the earliest date any figure needs
    sections_by_score: Mapping[int, Mapping[str, Fraction | None]]
    area_trend: tuple[tuple[date, Fraction], ...]
    latest_version_id: int | None
    area_interval: Interval = NO_INTERVAL
    min_visits: int = 3

    @property
    def trend_start(self) -> datetime:
        return min(self.period.start, self.period.end - timedelta(days=TREND_DAYS))


def _month_means(facts: Sequence[VisitFact]) -> tuple[tuple[date, Fraction], ...]:
    months: dict[date, list[Fraction]] = defaultdict(list)
    for fact in facts:
        if fact.percent is not None:
            months[fact.submitted_at.date().replace(day=15)].append(fact.percent)
    return tuple((month, scoring.mean(values)) for month, values in sorted(months.items()))  # type: ignore[misc]


def area_figures(session: Session, area_id: int, *, period: Period, checklist_id: int | None, lang: str
                 ) -> AreaFigures:
    """What the store pages of one area share: its checklists, area and section means, ranks and trend."""
    statuses = statuses_for(session)
    min_visits = get_settings(session).min_visits_for_figures
    options = tuple(list_checklist_options(session, [area_id], lang, period))
    chosen = choose_checklist(options, checklist_id)
    stores = tuple(active_stores(session, [area_id]))
    if chosen is None:
        return AreaFigures(area_id, period, statuses, options, None, GradeScale(), stores, (), (), None, {}, 0, (),
                           {}, (), None, min_visits=min_visits)
    trend_start = min(period.start, period.end - timedelta(days=TREND_DAYS))
    facts = tuple(visit_facts(session, checklist_id=chosen.id, statuses=statuses, area_ids=[area_id],
                              start=min(trend_start, period.previous.start), end=period.end))
    current = [f for f in facts if f.submitted_at >= period.start]
    sections_by_score = section_percents(session, fact_score_ids(
        checklist_id=chosen.id, statuses=statuses, area_ids=[area_id], start=period.start, end=period.end))
    heads: tuple[SectionHead, ...] = ()
    area_sections: tuple[Fraction | None, ...] = ()
    area_mean = None
    area_interval = NO_INTERVAL
    ranks: dict[int, int] = {}
    rank_of = 0
    grades = GradeScale()
    if stores:  # as on the dashboard: an area without active stores shows no area figures
        all_heads = section_heads(session, chosen.id, lang, {k for s in sections_by_score.values() for k in s})
        values = section_means(current, sections_by_score, all_heads)
        heads = tuple(h for h, v in zip(all_heads, values) if v is not None)
        area_sections = tuple(v for v in values if v is not None)
        area_mean = scoring.mean(f.percent for f in current)
        area_interval = t_interval(spread_of(current), min_visits)
        current_by_store = by_store(current)
        means = {s.id: scoring.mean(f.percent for f in current_by_store[s.id]) for s in stores}
        ranks, counts = ranks_in_areas(stores, means, [area_id])
        rank_of = counts[area_id]
        grades = grades_of(session, chosen.id, lang)
    return AreaFigures(
        area_id=area_id, period=period, statuses=statuses, checklists=options, checklist=chosen, grades=grades,
        stores=stores, sections=heads, area_sections=area_sections, area_mean=area_mean, ranks=ranks,
        rank_of=rank_of, facts=facts, sections_by_score=sections_by_score,
        area_trend=_month_means([f for f in facts if f.submitted_at >= trend_start]),
        latest_version_id=latest_version_id(session, chosen.id), area_interval=area_interval, min_visits=min_visits,
    )


def area_latest(session: Session, figures: AreaFigures, store_ids: Sequence[int] | None = None
                ) -> dict[int, list[LatestVisit]]:
    """The two newest counted visits of the area's active stores (only of `store_ids` when given), from the
    area's facts where they are there."""
    if figures.checklist is None or not figures.stores:
        return {}
    active = [s.id for s in figures.stores]
    wanted = active if store_ids is None else [sid for sid in active if sid in set(store_ids)]
    return latest_two_of(session, wanted, figures.facts, figures.checklist.id, figures.statuses, figures.period.end)


# ---------------------------------------------------------------------------------------------------------------
# One store


def recurring_failures(session: Session, facts: Sequence[VisitFact], lang: str,
                       window: int = RECURRING_WINDOW) -> tuple[RecurringFailure, ...]:
    """Questions that failed (counted, less than full points) in at least 3 of the last 5 visits (at least 60 %
    of them, and never fewer than 2), most often failed first, at most RECURRING_LIMIT."""
    last = list(facts)[-window:]
    threshold = max(2, math.ceil(RECURRING_SHARE * len(last)))
    if len(last) < 2:
        return ()
    cards = stored_cards(session, [f.score_id for f in last])
    failed: dict[str, int] = defaultdict(int)
    where: dict[str, tuple[int, str]] = {}
    for fact in last:
        for section in cards[fact.score_id].sections:
            for result in section.questions:
                if result.excluded is None and result.possible > 0 and result.earned < result.possible:
                    failed[result.key] += 1
                    where[result.key] = (fact.version_id, section.key)
    found = []
    for key, count in failed.items():
        if count < threshold:
            continue
        definition = definition_for(session, where[key][0])
        section_titles = {s.key: s.title.get(lang) for s in definition.sections}
        found.append(RecurringFailure(key, definition.question(key).text.get(lang), section_titles[where[key][1]],
                                      count, len(last)))
    return tuple(sorted(found, key=lambda r: (-r.failed, r.section_title, r.text))[:RECURRING_LIMIT])


def _visit_lines(session: Session, store_id: int, statuses: tuple[str, ...], checklist_id: int | None,
                 period: Period, lang: str = "en") -> tuple[VisitLine, ...]:
    q = (
        select(Visit.id, Visit.submitted_at, Visit.status, Checklist.title, ChecklistVersion.number,
               VisitScore.percent_exact, VisitScore.grade, VisitScore.critical_failures, Checklist.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .where(Visit.store_id == store_id, Visit.status != "draft", Visit.submitted_at >= period.start,
               Visit.submitted_at < period.end)
        .order_by(Visit.submitted_at.desc(), Visit.id.desc())
        .limit(VISIT_LIMIT)
    )
    if checklist_id is not None:
        q = q.where(ChecklistVersion.checklist_id == checklist_id)
    rows = session.execute(q).all()
    titles = checklist_titles_in(session, lang, {row[8] for row in rows})
    return tuple(VisitLine(vid, at, status, status in statuses, titles.get(cid, title), number, exact(pct), grade,
                           crit or 0)
                 for vid, at, status, title, number, pct, grade, crit, cid in rows)


def store_page(session: Session, info: StoreInfo, figures: AreaFigures, latest: Sequence[LatestVisit], *,
               lang: str, labels: Mapping[str, str] = DEFAULT_LABELS) -> StorePage:
    """One store of the area `figures` describe; `latest` is its two newest counted visits (`area_latest`)."""
    period = figures.period
    chosen = figures.checklist
    name = next((s for s in figures.stores if s.id == info.id), None)
    line = empty_line(StoreName(info.id, info.code, info.name, info.area_id, info.area_name))
    sections: tuple[SectionCompare, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    recurring: tuple[RecurringFailure, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    if chosen is not None:
        own = [f for f in figures.facts if f.store_id == info.id]
        current = [f for f in own if f.submitted_at >= period.start]
        if name is not None:  # an inactive store has no line on its area's dashboard
            previous = [f for f in own if period.previous.start <= f.submitted_at < period.start]
            line = store_line(name, current=current, previous=previous, latest=latest, period=period,
                              rank=figures.ranks.get(info.id), rank_of=figures.rank_of,
                              sections=section_means(current, figures.sections_by_score, figures.sections),
                              period_mean=exact_mean(f.percent for f in current), min_visits=figures.min_visits)
        sections = tuple(SectionCompare(h.key, h.title, line.sections[i] if line.sections else None,
                                        figures.area_sections[i]) for i, h in enumerate(figures.sections))
        trend = tuple(TrendPoint(f.submitted_at, f.percent, f.visit_id) for f in own
                      if f.percent is not None and f.submitted_at >= figures.trend_start)
        history = visit_facts(session, checklist_id=chosen.id, statuses=figures.statuses, store_ids=[info.id],
                              end=period.end, newest=RECURRING_WINDOW)
        recurring = recurring_failures(session, history, lang)
        kpis = kpis_for(session, current, figures.min_visits)
    visits = _visit_lines(session, info.id, figures.statuses, chosen.id if chosen is not None else None, period,
                          lang)
    return StorePage(
        store=info, period=period, checklists=figures.checklists, checklist=chosen, grades=figures.grades,
        line=line, area_mean=figures.area_mean, sections=sections, trend=trend, area_trend=figures.area_trend,
        recurring=recurring, recurring_window=RECURRING_WINDOW, kpis=kpis, kpi_facts=kpi_facts(kpis, labels),
        visits=visits, latest_version_id=figures.latest_version_id, area_interval=figures.area_interval,
        min_visits=figures.min_visits,
        actions=action_lists.actions_of_store(session, info.id, now=period.end, lang=lang),
    )


def get_store_page(
    session: Session, user: User, store_id: int, *, period: Period, checklist_id: int | None, lang: str = "en",
    labels: Mapping[str, str] = DEFAULT_LABELS,
) -> StorePage:
    """One store: latest score, rank and changes (as on its area's dashboard), section means against the area's,
    the trend of visit scores with the area's monthly mean, recurring failed questions, KPIs (worded with
    `labels`) and its visits. Raises NotFoundError, PermissionDeniedError."""
    access.store_for(session, user, store_id)
    check_reader(user)
    info = store_info(session, store_id)
    figures = area_figures(session, info.area_id, period=period, checklist_id=checklist_id, lang=lang)
    latest = area_latest(session, figures, [store_id]).get(store_id, [])
    page = store_page(session, info, figures, latest, lang=lang, labels=labels)
    if figures.checklist is None:
        return page
    return replace(page, awaiting_review=awaiting_review(
        session, checklist_id=figures.checklist.id, statuses=figures.statuses, store_ids=[store_id],
        start=period.start, end=period.end))
