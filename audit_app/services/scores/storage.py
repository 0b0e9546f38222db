"""Stored scores: which visits count, writing a visit's card as its current score, and reading stored cards back.

A card is stored whole (`scoring.card_to_data`) beside its exact figures; a re-score adds a new current row and
keeps the old ones. `stored_cards` is the one reader of stored cards, as data or as `scoring.ScoreCard`s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, insert, select, union_all, update
from sqlalchemy.orm import Session

import scoring
from audit_app.models import ChecklistVersion, ScoreSummary, SectionScore, Store, User, Visit, VisitScore
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


def exact(text: str | None) -> Fraction | None:
    """An exact figure as stored ("n/d"), None when there is none."""
    return None if text is None else Fraction(text)


def _exact_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def section_percent(earned: Fraction, possible: Fraction) -> Fraction | None:
    """A section's exact percent as the dashboards show it: earned / possible x 100, None when nothing is
    possible."""
    return earned / possible * 100 if possible else None


def fraction_of(numerator: int | None, denominator: int | None) -> Fraction | None:
    """An exact figure stored as two integers, None when there is none."""
    return None if numerator is None or denominator is None else _fraction(numerator, denominator)


@lru_cache(maxsize=1 << 16)
def _fraction(numerator: int, denominator: int) -> Fraction:
    # Percents repeat (a checklist gives a limited set of them), and a Fraction is immutable: a dashboard reads
    # thousands, and building each one (with its gcd) cost more than the rest of reading it.
    return Fraction(numerator, denominator)


def store_card(
    session: Session, *, visit: Visit, version_id: int, card: scoring.ScoreCard, now: datetime,
    actor: User | None = None, first: bool = False,
) -> VisitScore:
    """Add the card as the visit's current score (inside the caller's transaction); older scores are kept.
    `first`: the visit has never been scored (its first submit), so there is no current score to retire."""
    if not first:
        session.execute(
            update(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.current())
            .values(is_current=False)
        )
    grade = str(card.grade.label) if card.grade is not None else None
    data = scoring.card_to_data(card)
    row = VisitScore(
        visit_id=visit.id,
        checklist_version_id=version_id,
        is_current=True,
        earned=_exact_text(card.earned),
        possible=_exact_text(card.possible),
        percent_exact=_exact_text(card.percent) if card.percent is not None else None,
        percent=float(card.percent) if card.percent is not None else None,
        percent_num=card.percent.numerator if card.percent is not None else None,
        percent_den=card.percent.denominator if card.percent is not None else None,
        grade=grade,
        critical_failures=len(card.critical_failures),
        card=data,
        scored_at=now,
        scored_by_id=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    sections = []
    for section in card.sections:
        exact_percent = section_percent(Fraction(section.earned), Fraction(section.possible))
        sections.append(dict(
            visit_score_id=row.id,
            section_key=section.key,
            earned=_exact_text(section.earned),
            possible=_exact_text(section.possible),
            percent=float(section.percent) if section.percent is not None else None,
            percent_num=exact_percent.numerator if exact_percent is not None else None,
            percent_den=exact_percent.denominator if exact_percent is not None else None,
            is_zeroed=section.is_zeroed,
        ))
    if sections:  # one statement for all of them: nothing reads their ids back
        session.execute(insert(SectionScore.__table__), sections)
    session.execute(insert(ScoreSummary.__table__), {"visit_score_id": row.id, "summary": card_summary(data)})
    return row


def card_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """What an export reads of a stored card (`scoring.card_to_data` format), about a sixth of its size:
    {"s": {section key: [earned, possible]}, "a": {question key: answer}}, numbers and answers exactly as the
    card stores them, unanswered questions left out. Stored as the score's `ScoreSummary`; migration 0016 wrote
    the same for the scores before it."""
    sections: dict[str, list[object]] = {}
    answers: dict[str, object] = {}
    for section in data["sections"]:
        sections[section["key"]] = [section["earned"], section["possible"]]
        for question in section["questions"]:
            if question["answer"] is not None:
                answers[question["key"]] = question["answer"]
    return {"s": sections, "a": answers}


def stored_card_data(session: Session, score_ids: Sequence[int]) -> dict[int, Mapping[str, object]]:
    """Per visit score id, its stored card as data (`scoring.card_to_data` format), in one query."""
    if not score_ids:
        return {}
    rows = session.execute(select(VisitScore.id, VisitScore.card).where(VisitScore.id.in_(list(score_ids))))
    return dict(rows.all())


def stored_cards(session: Session, score_ids: Sequence[int]) -> dict[int, scoring.ScoreCard]:
    """Per visit score id, its stored card read back as a `scoring.ScoreCard`."""
    return {sid: scoring.card_from_data(card) for sid, card in stored_card_data(session, score_ids).items()}


def stored_answers(card: Mapping[str, object], keys: set[str]) -> dict[str, object]:
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


def current_score(session: Session, visit_id: int) -> VisitScore | None:
    """A visit's current score row, None before it is scored."""
    return session.scalar(select(VisitScore).where(VisitScore.visit_id == visit_id, VisitScore.current()))


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
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
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
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .order_by(picked.c.store_id, Visit.submitted_at.desc(), Visit.id.desc())
    )
