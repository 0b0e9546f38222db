"""Counted visits with their stored scores: the few queries every score page is built from.

A fact is one counted visit of one checklist (any version) with its current score; section percents and each
store's two newest visits come from their own queries. Percents are exact (Fractions) from the stored integer
numerators and denominators; sums and means over many visits are added up by the database (`ExactSum`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import ColumnElement, Float, Select, cast, func, select
from sqlalchemy.orm import Session

from audit_app.models import ChecklistVersion, SectionScore, Store, Visit, VisitScore
from audit_app.services.scores.storage import exact, fraction_of, latest_two_query
from audit_app.services.scores.uncertainty import Spread


class ExactSum:
    """An exact sum of fractions and how many were added, kept as numerator sums per denominator: the database
    adds the numerators of each denominator (SUM over integers), the few groups are combined here.

    `squares` is the sum of the squared values (floats: for the spread, not for display)."""

    __slots__ = ("by_denominator", "count", "squares")

    def __init__(self) -> None:
        self.by_denominator = {}
        self.count = 0
        self.squares = 0.0

    def add(self, denominator: int, numerator_sum: int, count: int, squares: float = 0.0) -> None:
        self.by_denominator[denominator] = self.by_denominator.get(denominator, 0) + numerator_sum
        self.count += count
        self.squares += squares

    def merge(self, other: "ExactSum") -> None:
        for denominator, numerator_sum in other.by_denominator.items():
            self.add(denominator, numerator_sum, 0)
        self.count += other.count
        self.squares += other.squares

    @property
    def spread(self) -> Spread:
        """Count, sum and sum of squares, for a confidence interval (`uncertainty.t_interval`); the sum of
        squares is only there when the database added it (`percent_sums`)."""
        mean = self.mean
        return Spread(self.count, float(mean) * self.count if mean is not None else 0.0, self.squares)

    @property
    def mean(self) -> Fraction | None:
        """The exact mean (as `scoring.mean` of the same values); None when nothing was added."""
        if not self.count:
            return None
        # Over the least common multiple of the (few, small) denominators: integer arithmetic and one Fraction.
        common = math.lcm(*self.by_denominator) if self.by_denominator else 1
        total = sum(n * (common // d) for d, n in self.by_denominator.items())
        return Fraction(total, common * self.count)


def exact_mean(values: Iterable[Fraction | None]) -> Fraction | None:
    """`scoring.mean` of fractions (None skipped), with integer sums per denominator instead of adding Fractions
    one by one: the same exact value, a fraction of the time for thousands of percents."""
    total = ExactSum()
    by_denominator = total.by_denominator
    count = 0
    for value in values:
        if value is not None:
            denominator = value.denominator
            by_denominator[denominator] = by_denominator.get(denominator, 0) + value.numerator
            count += 1
    total.count = count
    return total.mean


class VisitFact(NamedTuple):
    """One counted visit with its current score. A named tuple: a region's dashboard makes some 12,000 of them,
    and a frozen dataclass cost five times as much to make."""

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
    columns: Sequence[ColumnElement[object]], *, checklist_id: int | None, statuses: tuple[str, ...],
    area_ids: Sequence[int] | None = None, store_ids: Sequence[int] | None = None, start: datetime | None = None,
    end: datetime | None = None,
) -> Select[tuple[object, ...]]:
    """`columns` of the counted visits of one checklist (any version; of every checklist when None) joined to
    their current score."""
    q = (
        select(*columns)
        .select_from(Visit)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .join(Store, Visit.store_id == Store.id)
        .where(Visit.status.in_(statuses), Visit.submitted_at.is_not(None))
    )
    if checklist_id is not None:
        q = q.join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id) \
            .where(ChecklistVersion.checklist_id == checklist_id)
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
         VisitScore.percent_num, VisitScore.percent_den, VisitScore.grade, VisitScore.critical_failures),
        checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids, start=start, end=end,
    )
    if newest is not None:
        q = q.order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(newest)
    else:
        q = q.order_by(Visit.submitted_at, Visit.id)
    facts = [VisitFact(vid, sid, store, area, version, at, fraction_of(num, den), grade, crit)
             for vid, sid, store, area, version, at, num, den, grade, crit in session.execute(q)]
    return facts[::-1] if newest is not None else facts


def awaiting_review(
    session: Session, *, checklist_id: int | None, statuses: tuple[str, ...], area_ids: Sequence[int] | None = None,
    store_ids: Sequence[int] | None = None, start: datetime | None = None, end: datetime | None = None,
) -> int:
    """How many submitted visits these filters leave out only because head office has not reviewed them yet
    (`statuses` without "submitted", as while review is on): they count once approved. 0 when review is off.
    `checklist_id` None: of every checklist."""
    if "submitted" in statuses:
        return 0
    return session.scalar(_facts_query((func.count(),), checklist_id=checklist_id, statuses=("submitted",),
                                       area_ids=area_ids, store_ids=store_ids, start=start, end=end)) or 0


def fact_columns(
    session: Session, columns: Sequence[ColumnElement[object]], *, checklist_id: int, statuses: tuple[str, ...],
    start: datetime | None = None, end: datetime | None = None,
) -> list[tuple[object, ...]]:
    """`columns` of exactly the visits `visit_facts` returns for these filters, oldest first: for readers that
    need other columns of each counted visit (shopper calibration needs its shopper)."""
    q = _facts_query(columns, checklist_id=checklist_id, statuses=statuses, start=start, end=end)
    return [tuple(row) for row in session.execute(q.order_by(Visit.submitted_at, Visit.id))]


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
    q = select(SectionScore.visit_score_id, SectionScore.section_key, SectionScore.percent_num,
               SectionScore.percent_den).where(SectionScore.visit_score_id.in_(score_ids))
    for score_id, key, num, den in session.execute(q):
        found[score_id][key] = fraction_of(num, den)
    return found


def percent_sums(
    session: Session, *, checklist_id: int, statuses: tuple[str, ...], group_by: ColumnElement[int],
    area_ids: Sequence[int] | None = None, store_ids: Sequence[int] | None = None, start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[dict[int, ExactSum], dict[int, int]]:
    """For the visits `visit_facts` returns for these filters, grouped by `group_by` (e.g. `Store.area_id`): the
    exact sum of their percents (visits without a percent not counted), the sum of their squares (for the
    spread: `ExactSum.spread`) and the number of visits (all of them). One statement; its rows grow with the
    groups and the distinct denominators, not with the visits."""
    sums: dict[int, ExactSum] = defaultdict(ExactSum)
    visits: dict[int, int] = defaultdict(int)
    # The squares as floating point: integers squared overflow 64 bits for large denominators, and the spread
    # needs no more than display precision.
    as_float = cast(VisitScore.percent_num, Float) / cast(VisitScore.percent_den, Float)
    q = _facts_query((group_by, VisitScore.percent_den, func.sum(VisitScore.percent_num),
                      func.count(VisitScore.percent_num), func.count(), func.sum(as_float * as_float)),
                     checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids,
                     start=start, end=end).group_by(group_by, VisitScore.percent_den)
    for key, den, total, counted, n, squares in session.execute(q):
        visits[key] += n
        if den is not None and counted:
            sums[key].add(den, int(total), counted, float(squares or 0.0))
    return sums, visits


def _section_sums_query(
    by_store: bool, *, checklist_id: int, statuses: tuple[str, ...], area_ids: Sequence[int] | None,
    store_ids: Sequence[int] | None, start: datetime | None, end: datetime | None,
) -> Select[tuple[object, ...]]:
    facts = _facts_query((VisitScore.id.label("score_id"), Visit.store_id.label("store_id")),
                         checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids,
                         start=start, end=end).subquery()
    groups = ((facts.c.store_id,) if by_store else ()) + (SectionScore.section_key, SectionScore.percent_den)
    return (select(*groups, func.sum(SectionScore.percent_num), func.count(SectionScore.percent_num))
            .join(facts, SectionScore.visit_score_id == facts.c.score_id)
            .group_by(*groups))


def _add_section_row(sections: dict[str, ExactSum], key: str, den: int | None, total: object, counted: int
                     ) -> None:
    bucket = sections.get(key)
    if bucket is None:
        bucket = sections[key] = ExactSum()
    if den is not None and counted:
        bucket.add(den, int(total), counted)  # type: ignore[call-overload]


def section_sums(
    session: Session, *, checklist_id: int, statuses: tuple[str, ...], area_ids: Sequence[int] | None = None,
    store_ids: Sequence[int] | None = None, start: datetime | None = None, end: datetime | None = None,
) -> dict[int, dict[str, ExactSum]]:
    """Per store, per section key, the exact sum of the section percents of the visits `visit_facts` returns for
    these filters (sections with nothing possible not counted, but their key present). One statement, summed by
    the database per store, section and denominator."""
    found: dict[int, dict[str, ExactSum]] = defaultdict(dict)
    for store_id, key, den, total, counted in session.execute(_section_sums_query(
            True, checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids, start=start,
            end=end)):
        _add_section_row(found[store_id], key, den, total, counted)
    return found


def section_totals(
    session: Session, *, checklist_id: int, statuses: tuple[str, ...], area_ids: Sequence[int] | None = None,
    store_ids: Sequence[int] | None = None, start: datetime | None = None, end: datetime | None = None,
) -> dict[str, ExactSum]:
    """`section_sums` of every store together: per section key, the exact sum over all the visits. One
    statement, whose rows grow with the sections and denominators, not with the stores."""
    found: dict[str, ExactSum] = {}
    for key, den, total, counted in session.execute(_section_sums_query(
            False, checklist_id=checklist_id, statuses=statuses, area_ids=area_ids, store_ids=store_ids,
            start=start, end=end)):
        _add_section_row(found, key, den, total, counted)
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


def latest_two_of(session: Session, store_ids: Sequence[int], facts: Sequence[VisitFact], checklist_id: int,
                  statuses: tuple[str, ...], end: datetime) -> dict[int, list[LatestVisit]]:
    """`latest_two` of these stores, taken from `facts` (`visit_facts` of the same checklist and statuses, oldest
    first, up to `end`) where a store has two of them there: the newest two of all its visits are then among them.
    Only stores with fewer are asked of the database (the first visits of a new store, a quiet store)."""
    found: dict[int, list[LatestVisit]] = {}
    for fact in reversed(facts):
        two = found.setdefault(fact.store_id, [])
        if len(two) < 2:
            two.append(LatestVisit(fact.visit_id, fact.percent, fact.grade, fact.submitted_at))
    wanted = set(store_ids)
    latest = {sid: two for sid, two in found.items() if sid in wanted and len(two) == 2}
    short = [sid for sid in store_ids if sid not in latest]
    if short:
        latest.update(latest_two(session, Store.id.in_(short), checklist_id, statuses, end))
    return latest


def in_period(two: Sequence[LatestVisit], start: datetime) -> tuple[LatestVisit | None, LatestVisit | None]:
    """A store's latest visit when it falls in the period starting at `start`, and the visit before it (of any
    time); (None, None) when the store has no visit in the period."""
    first = two[0] if two and two[0].submitted_at >= start else None
    second = two[1] if first is not None and len(two) > 1 else None
    return first, second
