"""Reviewing submitted visits: approve, return to the shopper with a note, or void with a reason.

Allowed moves: submitted -> approved | returned | voided; approved -> voided; returned -> voided (the shopper
resubmits a returned visit through `visits.submit_visit`). Every decision is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from scoring import round_half_up
from audit_app.models import Answer, Assignment, Checklist, ChecklistVersion, Store, User, Visit, VisitScore
from audit_app.services import audit
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import NotFoundError, ServiceError
from reports.context import DEFAULT_LABELS, answer_text, effect_text

TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"submitted": "approved"},
    "return": {"submitted": "returned"},
    "void": {"submitted": "voided", "approved": "voided", "returned": "voided"},
}


class ReviewError(ServiceError):
    pass


@dataclass(frozen=True)
class QueueRow:
    id: int
    store_name: str
    shopper_name: str
    checklist_title: str
    version_number: int
    status: str
    submitted_at: datetime | None
    percent: float | None
    grade: str | None
    critical_failures: int
    store_timezone: str = "UTC"


def list_visits(session: Session, statuses: tuple[str, ...] = ("submitted",), limit: int = 200) -> list[QueueRow]:
    """Visits in the given statuses, oldest submission first (the review queue by default)."""
    q = (
        select(Visit.id, Store.name, User.name, Checklist.title, ChecklistVersion.number, Visit.status,
               Visit.submitted_at, VisitScore.percent, VisitScore.grade, VisitScore.critical_failures,
               Store.timezone)
        .join(Store, Visit.store_id == Store.id)
        .join(User, Visit.shopper_id == User.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(Visit.status.in_(statuses))
        .order_by(Visit.submitted_at, Visit.id).limit(limit)
    )
    return [QueueRow(*row[:9], critical_failures=row[9] or 0, store_timezone=row[10])
            for row in session.execute(q)]


@dataclass(frozen=True)
class AnswerLine:
    section: str
    question: str
    key: str
    answer: str
    comment: str
    earned: str
    possible: str
    note: str


@dataclass(frozen=True)
class CriticalLine:
    question: str
    effect: str


@dataclass(frozen=True)
class VisitDetail:
    id: int
    status: str
    store_name: str
    shopper_name: str
    checklist_title: str
    version_number: int
    started_at: datetime
    submitted_at: datetime | None
    review_note: str
    percent: float | None
    grade: str | None
    critical_failures: tuple[CriticalLine, ...]
    lines: tuple[AnswerLine, ...]
    allowed: tuple[str, ...]
    store_timezone: str = "UTC"


def _question_text(definition: scoring.Checklist, key: str, lang: str) -> str:
    try:
        return definition.question(key).text.get(lang)
    except KeyError:
        return key


def _points(value: Fraction) -> str:
    return str(round_half_up(value, 2)) if value.denominator != 1 else str(value.numerator)


def get_visit(session: Session, visit_id: int, *, lang: str = "en",
              labels: Mapping[str, str] = DEFAULT_LABELS) -> VisitDetail:
    """A visit with every answer, its points and the current score, worded in `lang` with `labels` (answers as
    option texts and yes/no words, exclusions and critical effects in words); raises NotFoundError.

    Questions are those of the version the current score was made under (a re-scored visit's newer version)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError("No such visit.")
    store = session.get(Store, visit.store_id)
    shopper = session.get(User, visit.shopper_id)
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    checklist = session.get(Checklist, version.checklist_id)
    score = session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.is_current.is_(True)))
    answers = {a.question_key: a for a in session.scalars(select(Answer).where(Answer.visit_id == visit.id))}
    scored_under = session.get(ChecklistVersion, score.checklist_version_id) if score is not None else version
    definition = checklist_from_definition(scored_under.definition)
    card = scoring.card_from_data(score.card) if score is not None else None
    results = {r.key: r for section in card.sections for r in section.questions} if card else {}
    lines = []
    for section, question in definition.questions():
        answer = answers.get(question.key)
        result = results.get(question.key)
        value = None
        if answer is not None:
            value = scoring.NA if answer.is_na else answer.value
        lines.append(AnswerLine(
            section=section.title.get(lang), question=question.text.get(lang), key=question.key,
            answer="—" if value is None else answer_text(question, value, lang, labels),
            comment=answer.comment if answer else "",
            earned=_points(result.earned) if result and result.excluded is None else "",
            possible=_points(result.possible) if result and result.excluded is None else "",
            note=labels.get(f"excluded.{result.excluded}", "") if result and result.excluded else "",
        ))
    failures = tuple(CriticalLine(_question_text(definition, f.question_key, lang), effect_text(f, labels))
                     for f in card.critical_failures) if card else ()
    allowed = tuple(action for action, moves in TRANSITIONS.items() if visit.status in moves)
    return VisitDetail(visit.id, visit.status, store.name, shopper.name, checklist.title, version.number,
                       visit.started_at, visit.submitted_at, visit.review_note or "",
                       score.percent if score else None, score.grade if score else None, failures, tuple(lines),
                       allowed, store.timezone)


def decide(session: Session, actor: User, visit_id: int, action: str, *, now: datetime, note: str = "") -> Visit:
    """Approve, return (with a note for the shopper) or void (with a reason) a visit.

    Raises NotFoundError, ReviewError for a move that is not allowed from the visit's status or a missing note.
    """
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError("No such visit.")
    moves = TRANSITIONS.get(action)
    if moves is None:
        raise ReviewError(f"Unknown review decision {action}.")
    if visit.status not in moves:
        done = {"approve": "approved", "return": "returned", "void": "voided"}[action]
        raise ReviewError(f"A visit that is {visit.status} cannot be {done}.")
    note = note.strip()
    if action in ("return", "void") and not note:
        raise ReviewError("Say what the shopper should fix." if action == "return" else "Give a reason for voiding.")
    before = visit.status
    visit.status = moves[before]
    visit.updated_at = now
    if note:
        visit.review_note = note
    if action == "return" and visit.assignment_id is not None:
        # The assignment shows on the shopper's home page again until they resubmit.
        assignment = session.get(Assignment, visit.assignment_id)
        assignment.status = "started"
    audit.record(session, actor=actor, action=f"visit.{action}", entity_type="visit", entity_id=visit.id, now=now,
                 before={"status": before}, after={"status": visit.status}, detail=note)
    session.commit()
    return visit
