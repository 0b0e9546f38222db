"""Storing score cards, and the read models the role home pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select, union_all, update
from sqlalchemy.orm import Session

import scoring
from audit_app.models import (
    Area, Checklist, ChecklistVersion, SectionScore, Store, User, Visit, VisitScore,
)
from audit_app.services.settings import ProgrammeSettings, get_settings

COUNTED_STATUSES = ("submitted", "approved")
APPROVED_ONLY = ("approved",)


def counted_statuses(settings: ProgrammeSettings) -> tuple[str, ...]:
    """The visit statuses that count in scorecards: approved only while head office reviews submissions.

    Drafts, returned and voided visits never count. Every scorecard query takes its statuses from here.
    """
    return APPROVED_ONLY if settings.review_required else COUNTED_STATUSES


def statuses_for(session: Session) -> tuple[str, ...]:
    """`counted_statuses` under the programme's current settings."""
    return counted_statuses(get_settings(session))


def _exact(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def store_card(
    session: Session, *, visit: Visit, version_id: int, card: scoring.ScoreCard, now: datetime,
    actor: User | None = None,
) -> VisitScore:
    """Add the card as the visit's current score (inside the caller's transaction); older scores are kept."""
    session.execute(
        update(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.is_current.is_(True))
        .values(is_current=False)
    )
    grade = str(card.grade.label) if card.grade is not None else None
    row = VisitScore(
        visit_id=visit.id,
        checklist_version_id=version_id,
        is_current=True,
        earned=_exact(card.earned),
        possible=_exact(card.possible),
        percent_exact=_exact(card.percent) if card.percent is not None else None,
        percent=float(card.percent) if card.percent is not None else None,
        grade=grade,
        critical_failures=len(card.critical_failures),
        card=scoring.card_to_data(card),
        scored_at=now,
        scored_by_id=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    session.add_all(
        SectionScore(
            visit_score_id=row.id,
            section_key=section.key,
            earned=_exact(section.earned),
            possible=_exact(section.possible),
            percent=float(section.percent) if section.percent is not None else None,
            is_zeroed=section.is_zeroed,
        )
        for section in card.sections
    )
    return row


@dataclass(frozen=True)
class Rescored:
    """A visit whose current score came from re-scoring its history under a (possibly later) version."""

    version_number: int
    scored_at: datetime
    scored_by: str | None
    original_percent: float | None
    original_grade: str | None
    original_version_number: int


def rescored(session: Session, visit: Visit, score: VisitScore | None) -> Rescored | None:
    """How the current score differs from the one the visit got when it was submitted, or None when the current
    score is that one (a submission scores with nobody's name on it; a re-score names who ran it)."""
    if score is None or score.scored_by_id is None:
        return None
    number = session.scalar(select(ChecklistVersion.number).where(ChecklistVersion.id == score.checklist_version_id))
    by = session.scalar(select(User.name).where(User.id == score.scored_by_id))
    original = session.execute(
        select(VisitScore.percent, VisitScore.grade, ChecklistVersion.number)
        .join(ChecklistVersion, VisitScore.checklist_version_id == ChecklistVersion.id)
        .where(VisitScore.visit_id == visit.id, VisitScore.scored_by_id.is_(None))
        .order_by(VisitScore.scored_at.desc(), VisitScore.id.desc()).limit(1)
    ).first()
    pinned = session.scalar(select(ChecklistVersion.number).where(ChecklistVersion.id == visit.checklist_version_id))
    return Rescored(version_number=number or 0, scored_at=score.scored_at, scored_by=by,
                    original_percent=original[0] if original else None,
                    original_grade=original[1] if original else None,
                    original_version_number=original[2] if original else (pinned or 0))


def _nth_counted_visit(n: int, checklist_id: int | None, statuses: tuple[str, ...], end: datetime | None
                       ) -> ScalarSelect[int]:
    """The id of the store's n-th newest (from 0) counted visit with a current score, before `end`, of one
    checklist (any checklist when None): a subquery correlated to `Store`, answered from the newest end of the
    visits' (store_id, submitted_at) index however long the store's history is."""
    q = (
        select(Visit.id)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(Visit.store_id == Store.id, Visit.status.in_(statuses), Visit.submitted_at.is_not(None))
    )
    if checklist_id is not None:
        q = q.join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id) \
            .where(ChecklistVersion.checklist_id == checklist_id)
    if end is not None:
        q = q.where(Visit.submitted_at < end)
    return (q.order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(1).offset(n)
            .correlate(Store).scalar_subquery())


def latest_two_query(store_filter: ColumnElement[bool], checklist_id: int | None, statuses: tuple[str, ...],
                     end: datetime | None) -> Select[tuple[int, int, str | None, float | None, str | None,
                                                          datetime]]:
    """Per store matching `store_filter`: its two newest counted visits with a current score (before `end`, of
    one checklist when given): (store id, visit id, percent exact, percent, grade, submitted at), by store and
    newest first. Each store costs a few index entries, however long its history."""
    picks = select(Store.id.label("store_id"),
                   _nth_counted_visit(0, checklist_id, statuses, end).label("first_id"),
                   _nth_counted_visit(1, checklist_id, statuses, end).label("second_id")) \
        .where(store_filter).cte("picks")
    # One row per picked visit, so that visits are joined on equality (a primary-key lookup): joining on
    # "first or second" made the planner run both subqueries for every pair of store and visit.
    picked = union_all(select(picks.c.store_id, picks.c.first_id.label("visit_id")),
                       select(picks.c.store_id, picks.c.second_id)).subquery()
    return (
        select(picked.c.store_id, Visit.id, VisitScore.percent_exact, VisitScore.percent, VisitScore.grade,
               Visit.submitted_at)
        .join(Visit, Visit.id == picked.c.visit_id)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .order_by(picked.c.store_id, Visit.submitted_at.desc(), Visit.id.desc())
    )


@dataclass(frozen=True)
class StoreRow:
    id: int
    code: str
    name: str
    city: str
    area_name: str
    visits: int
    latest_percent: float | None
    latest_grade: str | None
    latest_at: datetime | None
    previous_percent: float | None

    @property
    def change(self) -> float | None:
        if self.latest_percent is None or self.previous_percent is None:
            return None
        return self.latest_percent - self.previous_percent


def list_store_rows(
    session: Session, store_ids: list[int] | None, statuses: tuple[str, ...] | None = None
) -> list[StoreRow]:
    """Stores with their visit count and their two latest counted scores (all stores when ids is None)."""
    statuses = statuses if statuses is not None else statuses_for(session)
    stores_q = (
        select(Store.id, Store.code, Store.name, Store.city, Area.name)
        .join(Area, Store.area_id == Area.id)
        .where(Store.is_active.is_(True))
        .order_by(Area.name, Store.name)
    )
    if store_ids is not None:
        stores_q = stores_q.where(Store.id.in_(store_ids))
    stores = session.execute(stores_q).all()
    # Stores matching the same filter as the list above, without binding every id when it is all of them.
    store_filter = Store.is_active.is_(True)
    if store_ids is not None:
        store_filter = store_filter & Store.id.in_(store_ids)
    counts = dict(session.execute(
        select(Visit.store_id, func.count())
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .join(Store, Visit.store_id == Store.id)
        .where(store_filter, Visit.status.in_(statuses))
        .group_by(Visit.store_id)
    ).all())
    latest: dict[int, dict[int, tuple]] = {}
    for store_id, _, _, percent, grade, at in session.execute(latest_two_query(store_filter, None, statuses, None)):
        mine = latest.setdefault(store_id, {})
        mine[len(mine) + 1] = (percent, grade, at, counts.get(store_id, 0))
    rows = []
    for sid, code, name, city, area_name in stores:
        found = latest.get(sid, {})
        first = found.get(1)
        second = found.get(2)
        rows.append(StoreRow(
            id=sid, code=code, name=name, city=city, area_name=area_name,
            visits=first[3] if first else 0,
            latest_percent=first[0] if first else None,
            latest_grade=first[1] if first else None,
            latest_at=first[2] if first else None,
            previous_percent=second[0] if second else None,
        ))
    return rows


@dataclass(frozen=True)
class VisitRow:
    id: int
    store_id: int
    store_name: str
    checklist_title: str
    version_number: int
    status: str
    started_at: datetime
    submitted_at: datetime | None
    percent: float | None
    grade: str | None
    critical_failures: int
    checklist_id: int
    store_timezone: str = "UTC"


def _visit_rows_query():  # type: ignore[no-untyped-def]
    return (
        select(
            Visit.id, Visit.store_id, Store.name, Checklist.title, ChecklistVersion.number, Visit.status,
            Visit.started_at, Visit.submitted_at, VisitScore.percent, VisitScore.grade,
            VisitScore.critical_failures, Checklist.id, Store.timezone,
        )
        .join(Store, Visit.store_id == Store.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
    )


def list_visit_rows(
    session: Session, *, store_id: int | None = None, shopper_id: int | None = None, limit: int = 50
) -> list[VisitRow]:
    """Visits newest first, with their current score, for one store or one shopper."""
    q = _visit_rows_query()
    if store_id is not None:
        q = q.where(Visit.store_id == store_id)
    if shopper_id is not None:
        q = q.where(Visit.shopper_id == shopper_id)
    q = q.order_by(func.coalesce(Visit.submitted_at, Visit.started_at).desc(), Visit.id.desc()).limit(limit)
    return [VisitRow(*row) for row in session.execute(q)]
