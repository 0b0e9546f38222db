"""Reviewing submitted visits: approve, return to the shopper with a note, or void with a reason.

Allowed moves: submitted -> approved | returned | voided; approved -> voided; returned -> voided (the shopper
resubmits a returned visit through `visits.submit_visit`). Every decision is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from scoring import round_half_up
from audit_app.models import Answer, Assignment, Checklist, ChecklistVersion, Store, User, Visit, VisitScore
from audit_app.services import audit
from audit_app.services.definitions import checklist_from_definition, grade_text
from audit_app.services.errors import N_, VISIT_STATUSES, NotFoundError, ServiceError
from reports.context import answer_text

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


def list_visits(session: Session, statuses: tuple[str, ...] = ("submitted",), limit: int = 200) -> list[QueueRow]:
    """Visits in the given statuses, oldest submission first (the review queue by default)."""
    q = (
        select(Visit.id, Store.name, User.name, Checklist.title, ChecklistVersion.number, Visit.status,
               Visit.submitted_at, VisitScore.percent, VisitScore.grade, VisitScore.critical_failures)
        .join(Store, Visit.store_id == Store.id)
        .join(User, Visit.shopper_id == User.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(Visit.status.in_(statuses))
        .order_by(Visit.submitted_at, Visit.id).limit(limit)
    )
    return [QueueRow(*row[:9], critical_failures=row[9] or 0) for row in session.execute(q)]


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
    critical_failures: tuple[str, ...]
    lines: tuple[AnswerLine, ...]
    allowed: tuple[str, ...]


def _answer_words(value: Any, is_na: bool) -> str:
    if is_na:
        return "N/A"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _points(value: Fraction) -> str:
    return str(round_half_up(value, 2)) if value.denominator != 1 else str(value.numerator)


def get_visit(session: Session, visit_id: int, *, lang: str = "en",
              labels: Mapping[str, str] | None = None) -> VisitDetail:
    """A visit with every answer, its points and the current score; raises NotFoundError.

    Checklist texts, the grade and the checklist's title are in `lang` where the checklist has them; with `labels`
    (the reader's wording, see reports.context) answers and exclusions read as on the manager's visit page."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    store = session.get(Store, visit.store_id)
    shopper = session.get(User, visit.shopper_id)
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    checklist = session.get(Checklist, version.checklist_id)
    score = session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.is_current.is_(True)))
    answers = {a.question_key: a for a in session.scalars(select(Answer).where(Answer.visit_id == visit.id))}
    definition = checklist_from_definition(version.definition)
    card = scoring.card_from_data(score.card) if score is not None else None
    results = {r.key: r for section in card.sections for r in section.questions} if card else {}
    lines = []
    for section, question in definition.questions():
        answer = answers.get(question.key)
        result = results.get(question.key)
        if labels is None or answer is None or (answer.value is None and not answer.is_na):
            words = _answer_words(answer.value if answer else None, bool(answer and answer.is_na))
        else:
            words = answer_text(question, scoring.NA if answer.is_na else answer.value, lang, labels)
        excluded = str(result.excluded or "") if result else ""
        lines.append(AnswerLine(
            section=section.title.get(lang), question=question.text.get(lang), key=question.key,
            answer=words, comment=answer.comment if answer else "",
            earned=_points(result.earned) if result and result.excluded is None else "",
            possible=_points(result.possible) if result and result.excluded is None else "",
            note=labels.get(f"excluded.{excluded}", excluded) if labels is not None and excluded else excluded,
        ))
    failures = tuple(f"{f.question_key}: {f.effect}" for f in card.critical_failures) if card else ()
    allowed = tuple(action for action, moves in TRANSITIONS.items() if visit.status in moves)
    title = definition.title.get(lang) if lang != "en" else checklist.title
    grade = grade_text(definition, score.grade, lang) or None if score else None
    return VisitDetail(visit.id, visit.status, store.name, shopper.name, title, version.number,
                       visit.started_at, visit.submitted_at, visit.review_note or "",
                       score.percent if score else None, grade, failures, tuple(lines), allowed)


def decide(session: Session, actor: User, visit_id: int, action: str, *, now: datetime, note: str = "") -> Visit:
    """Approve, return (with a note for the shopper) or void (with a reason) a visit.

    Raises NotFoundError, ReviewError for a move that is not allowed from the visit's status or a missing note.
    """
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    moves = TRANSITIONS.get(action)
    if moves is None:
        raise ReviewError(N_("Unknown review decision %(action)s."), action=action)
    if visit.status not in moves:
        refusal = {"approve": N_("A visit that is %(status)s cannot be approved."),
                   "return": N_("A visit that is %(status)s cannot be returned."),
                   "void": N_("A visit that is %(status)s cannot be voided.")}[action]
        raise ReviewError(refusal, status=VISIT_STATUSES.get(visit.status, visit.status))
    note = note.strip()
    if action in ("return", "void") and not note:
        raise ReviewError(N_("Say what the shopper should fix.") if action == "return"
                          else N_("Give a reason for voiding."))
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
