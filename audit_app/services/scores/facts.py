"""Counted visits with their stored scores: the few queries every score page is built from.

A fact is one counted visit of one checklist (any version) with its current score; section percents and each
store's two newest visits come from their own queries. Percents are exact (Fractions) from the stored texts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from audit_app.models import ChecklistVersion, SectionScore, Store, Visit, VisitScore
from audit_app.services.scores.storage import exact, latest_two_query


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


@dataclass(frozen=True)
class LatestVisit:
    """One of a store's newest counted visits (see `latest_two`)."""

    visit_id: int
    percent: Fraction | None
    grade: str | None
    submitted_at: datetime


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
    facts = [VisitFact(vid, sid, store, area, version, at, exact(pct), grade, crit)
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


def latest_two(session: Session, store_filter: ColumnElement[bool], checklist_id: int, statuses: tuple[str, ...],
               end: datetime) -> dict[int, list[LatestVisit]]:
    """Per store matching `store_filter`: its two newest counted visits of the checklist before `end`, newest
    first."""
    found: dict[int, list[LatestVisit]] = defaultdict(list)
    for store_id, visit_id, pct, _, grade, at in session.execute(latest_two_query(store_filter, checklist_id,
                                                                                  statuses, end)):
        found[store_id].append(LatestVisit(visit_id, exact(pct), grade, at))
    return found


def in_period(two: Sequence[LatestVisit], start: datetime) -> tuple[LatestVisit | None, LatestVisit | None]:
    """A store's latest visit when it falls in the period starting at `start`, and the visit before it (of any
    time); (None, None) when the store has no visit in the period."""
    first = two[0] if two and two[0].submitted_at >= start else None
    second = two[1] if first is not None and len(two) > 1 else None
    return first, second
