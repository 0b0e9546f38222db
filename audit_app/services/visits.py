"""A shopper's visit: start it, record answers, submit it once and store its score card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import scoring
from scoring.questions import fraction_earned
from audit_app.models import Answer, Area, Assignment, Checklist, ChecklistVersion, Store, User, Visit
from audit_app.services import audit, scorecards
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, Message, NotFoundError, PermissionDeniedError, ServiceError, message


class VisitError(ServiceError):
    pass


class IncompleteVisitError(VisitError):
    def __init__(self, missing: tuple[str, ...]):
        super().__init__(N_("Some required questions are not answered yet."))
        self.missing = missing


class InvalidAnswerError(VisitError):
    def __init__(self, question_key: str, problem: Message):
        super().__init__(problem)
        self.question_key = question_key


def _definition(version: ChecklistVersion) -> scoring.Checklist:
    return checklist_from_definition(version.definition)


def _latest_published(session: Session, checklist_id: int) -> ChecklistVersion:
    version = session.scalar(
        select(ChecklistVersion)
        .where(ChecklistVersion.checklist_id == checklist_id, ChecklistVersion.status == "published")
        .order_by(ChecklistVersion.number.desc())
        .limit(1)
    )
    if version is None:
        raise VisitError(N_("This checklist has no published version yet."))
    return version


def start_visit(
    session: Session, user: User, *, client_uuid: str, now: datetime, assignment_id: int | None = None,
    store_id: int | None = None, checklist_id: int | None = None,
    location: tuple[float, float, float | None] | None = None,
) -> Visit:
    """Start (or, for a client_uuid seen before, return) a draft visit pinned to the latest published version.

    Raises NotFoundError, PermissionDeniedError or VisitError.
    """
    existing = session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))
    if existing is not None:
        if existing.shopper_id != user.id:
            raise PermissionDeniedError(N_("This visit belongs to someone else."))
        return existing
    if user.role != "shopper":
        raise PermissionDeniedError(N_("Only shoppers start visits."))
    assignment = None
    if assignment_id is not None:
        assignment = session.get(Assignment, assignment_id)
        if assignment is None:
            raise NotFoundError(N_("No such assignment."))
        if assignment.shopper_id != user.id:
            raise PermissionDeniedError(N_("This assignment belongs to someone else."))
        if assignment.status in ("done", "cancelled"):
            raise VisitError(N_("This assignment is already closed."))
        store_id, checklist_id = assignment.store_id, assignment.checklist_id
    else:
        checklist = session.get(Checklist, checklist_id) if checklist_id is not None else None
        if checklist is None or session.get(Store, store_id) is None:
            raise NotFoundError(N_("No such store or checklist."))
        if not checklist.allow_unassigned:
            raise PermissionDeniedError(N_("This checklist is only filled in on assigned visits."))
    version = _latest_published(session, checklist_id)
    visit = Visit(
        client_uuid=client_uuid, store_id=store_id, shopper_id=user.id, checklist_version_id=version.id,
        assignment_id=assignment.id if assignment else None, status="draft", started_at=now, updated_at=now,
    )
    if location is not None:
        visit.latitude, visit.longitude, visit.location_accuracy_m = location
    session.add(visit)
    if assignment is not None:
        assignment.status = "started"
    try:
        session.commit()
    except IntegrityError:
        # Two starts with one client_uuid raced; the other one won.
        session.rollback()
        return session.scalars(select(Visit).where(Visit.client_uuid == client_uuid)).one()
    return visit


def answer_problem(question: scoring.Question, value: Any) -> Message | None:
    """Why `value` cannot be the answer to `question` (plain words, translated where shown), or None when it can."""
    if value is None:
        return None
    if value is scoring.NA:
        return None if question.allow_na else message(N_("This question cannot be answered N/A."))
    try:
        fraction_earned(question, value)
    except ValueError:
        return expected_answer(question)
    return None


def expected_answer(question: scoring.Question) -> Message:
    """What an answer to `question` looks like, said to the shopper whose answer it cannot take."""
    qtype = str(question.type)
    if qtype == "scale":
        return message(N_("Choose a whole number from %(low)s to %(high)s."), low=question.min, high=question.max)
    if qtype in ANSWER_SHAPES:
        return message(ANSWER_SHAPES[qtype])
    return message(N_("This answer cannot be taken; please answer the question again."))


ANSWER_SHAPES = {
    "yes_no": N_("Answer yes or no."),
    "choice": N_("Choose one of the options."),
    "multi": N_("Choose from the options, each at most once."),
    "number": N_("Enter a number, for example 3 or 2.5."),
    "duration": N_("Enter the time in seconds (95) or minutes:seconds (1:35)."),
    "nps": N_("Choose a whole number from 0 to 10."),
    "text": N_("Enter text."),
    "photo": N_("Add a photo."),
    "date": N_("Enter a date, for example 2026-11-20."),
    "time": N_("Enter a time, for example 14:30."),
    "note": N_("This is a note for you; it takes no answer."),
}


def _write_answers(session: Session, visit: Visit, values: Mapping[str, Any], comments: Mapping[str, str],
                   now: datetime) -> None:
    stored = {a.question_key: a for a in session.scalars(select(Answer).where(Answer.visit_id == visit.id))}
    for key in sorted(set(values) | set(comments)):
        row = stored.get(key)
        if row is None:
            row = Answer(visit_id=visit.id, question_key=key, value=None, is_na=False, comment="")
            session.add(row)
        if key in values:
            value = values[key]
            row.is_na = value is scoring.NA
            row.value = None if value is scoring.NA else value
        if key in comments:
            row.comment = comments[key]
        row.updated_at = now
    visit.updated_at = now


def save_answers(
    session: Session, user: User, visit_id: int, answers: Mapping[str, Any], now: datetime,
    comments: Mapping[str, str] | None = None,
) -> Visit:
    """Store answers for a draft visit (question key -> value, scoring.NA, or None to clear), all or nothing.

    Raises InvalidAnswerError naming the first question whose answer the checklist cannot take.
    """
    visit = own_draft(session, user, visit_id)
    definition = _definition(session.get(ChecklistVersion, visit.checklist_version_id))
    comments = comments or {}
    for key in [*answers, *comments]:
        question = _question(definition, key)
        problem = answer_problem(question, answers.get(key))
        if problem:
            raise InvalidAnswerError(key, problem)
    _write_answers(session, visit, answers, comments, now)
    session.commit()
    return visit


def save_section(
    session: Session, user: User, visit_id: int, section_index: int, answers: Mapping[str, Any],
    comments: Mapping[str, str], now: datetime,
) -> dict[str, str]:
    """Store one section's answers, keeping every valid one even when others are not.

    Returns question key -> problem for the answers that were not stored (empty when all were).
    Raises NotFoundError, PermissionDeniedError, VisitError (submitted visit or no such section).
    """
    visit = own_draft(session, user, visit_id)
    definition = _definition(session.get(ChecklistVersion, visit.checklist_version_id))
    if not 0 <= section_index < len(definition.sections):
        raise NotFoundError(N_("No such section."))
    section_keys = {q.key for q in definition.sections[section_index].questions}
    problems: dict[str, Message] = {}
    valid: dict[str, Any] = {}
    for key, value in answers.items():
        if key not in section_keys:
            problems[key] = message(N_("This question is not in this section."))
            continue
        problem = answer_problem(definition.question(key), value)
        if problem:
            problems[key] = problem
        else:
            valid[key] = value
    _write_answers(session, visit, valid, {k: v for k, v in comments.items() if k in section_keys}, now)
    session.commit()
    return problems


def _question(definition: scoring.Checklist, key: str) -> scoring.Question:
    try:
        return definition.question(key)
    except KeyError:
        raise InvalidAnswerError(key, message(N_("There is no question %(key)s in this checklist."),
                                              key=key)) from None


def submit_visit(
    session: Session, user: User, visit_id: int, client_uuid: str, now: datetime,
    location: tuple[float, float, float | None] | None = None,
) -> Visit:
    """Validate, score and submit a draft visit once; a repeat with the same client_uuid returns it unchanged.

    Raises IncompleteVisitError listing unanswered required questions, InvalidAnswerError, VisitError.
    """
    # Take the row's write lock before reading its status, so of two concurrent submits (a double tap, a
    # replay from the offline queue) the second waits and then sees the first one's result. An UPDATE
    # does this on SQLite and PostgreSQL alike; it must be the transaction's first statement, because
    # SQLite cannot turn a read snapshot taken earlier in the request into a write.
    user_id = user.id
    session.rollback()
    claimed = session.execute(update(Visit).where(Visit.id == visit_id).values(updated_at=now))
    if claimed.rowcount == 0:
        session.rollback()
        raise NotFoundError(N_("No such visit."))
    visit = session.scalars(
        select(Visit).where(Visit.id == visit_id).execution_options(populate_existing=True)
    ).one()
    if visit.shopper_id != user_id:
        session.rollback()
        raise PermissionDeniedError(N_("This visit belongs to someone else."))
    if visit.client_uuid != client_uuid:
        session.rollback()
        raise VisitError(N_("This form belongs to a different visit. Please reload the page."))
    if visit.status not in ("draft", "returned"):
        session.rollback()
        return visit
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    card = score_visit(session, visit, version)
    if not card.is_complete:
        session.rollback()
        raise IncompleteVisitError(card.missing_required)
    visit.status = "submitted"
    visit.submitted_at = now
    visit.updated_at = now
    if location is not None and visit.latitude is None:
        visit.latitude, visit.longitude, visit.location_accuracy_m = location
    if visit.assignment_id is not None:
        assignment = session.get(Assignment, visit.assignment_id)
        assignment.status = "done"
    scorecards.store_card(session, visit=visit, version_id=version.id, card=card, now=now)
    audit.record(session, actor=user, action="visit.submit", entity_type="visit", entity_id=visit.id, now=now,
                 after={"status": "submitted", "percent": float(card.percent) if card.percent is not None else None})
    session.commit()
    return visit


def visit_answers(session: Session, visit_id: int) -> dict[str, Any]:
    """The visit's stored answers as the scoring engine takes them."""
    rows = session.scalars(select(Answer).where(Answer.visit_id == visit_id))
    return {a.question_key: (scoring.NA if a.is_na else a.value) for a in rows
            if a.is_na or a.value is not None}


def score_visit(session: Session, visit: Visit, version: ChecklistVersion) -> scoring.ScoreCard:
    """Score a visit's stored answers under the version it is pinned to."""
    try:
        return scoring.score(_definition(version), visit_answers(session, visit.id))
    except scoring.AnswerError as error:
        question = next((q for s in _definition(version).sections for q in s.questions
                         if q.key == error.question_key), None)
        raise InvalidAnswerError(error.question_key, expected_answer(question) if question is not None else
                                 message(N_("There is no question %(key)s in this checklist."),
                                         key=error.question_key)) from None


def own_draft(session: Session, user: User, visit_id: int) -> Visit:
    """The shopper's own visit while it can still change. Raises NotFoundError, PermissionDeniedError,
    VisitError (already submitted)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    if visit.shopper_id != user.id:
        raise PermissionDeniedError(N_("This visit belongs to someone else."))
    if visit.status not in ("draft", "returned"):
        raise VisitError(N_("This visit has been submitted and can no longer be changed."))
    return visit


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    store_name: str
    store_city: str
    checklist_title: str
    window_start: date
    window_end: date
    status: str
    checklist_id: int
    is_overdue: bool


def list_open_assignments(session: Session, shopper_id: int, today: date) -> list[AssignmentRow]:
    """A shopper's assignments not yet done, soonest first, flagged overdue after their window."""
    q = (
        select(Assignment.id, Store.name, Store.city, Checklist.title, Assignment.window_start,
               Assignment.window_end, Assignment.status, Checklist.id)
        .join(Store, Assignment.store_id == Store.id)
        .join(Checklist, Assignment.checklist_id == Checklist.id)
        .where(Assignment.shopper_id == shopper_id, Assignment.status.in_(("open", "started")))
        .order_by(Assignment.window_end, Assignment.id)
    )
    return [AssignmentRow(*row, is_overdue=row[5] < today) for row in session.execute(q)]


@dataclass(frozen=True)
class UnassignedOptions:
    checklists: list[tuple[int, str]]  # (id, title) of checklists head office opened to unassigned visits
    stores: list[tuple[int, str]]  # (id, "name · city") the shopper may pick


def list_unassigned_options(session: Session, shopper: User) -> UnassignedOptions:
    """What a shopper may start without an assignment: open checklists, and the stores of their home region
    (every active store when they have none)."""
    open_checklists = [(c.id, c.title) for c in session.scalars(
        select(Checklist).where(Checklist.allow_unassigned.is_(True)).order_by(Checklist.title))]
    if not open_checklists:
        return UnassignedOptions([], [])
    stores_q = select(Store.id, Store.name, Store.city).where(Store.is_active.is_(True)).order_by(Store.name)
    region_id = getattr(shopper, "region_id", None)
    if region_id is not None:
        stores_q = stores_q.join(Area, Store.area_id == Area.id).where(Area.region_id == region_id)
    stores = [(sid, f"{name} · {city}" if city else name) for sid, name, city in session.execute(stores_q)]
    return UnassignedOptions(open_checklists, stores)


def checklist_titles(session: Session, checklist_ids: Iterable[int]) -> dict[int, Any]:
    """Each checklist's title in every language it is written in (a string or {"en": ..., "ja": ...}), from its
    newest version in use; checklists.title keeps the English one only."""
    ids = set(checklist_ids)
    if not ids:
        return {}
    newest = (select(ChecklistVersion.checklist_id, func.max(ChecklistVersion.number).label("number"))
              .where(ChecklistVersion.checklist_id.in_(ids), ChecklistVersion.status != "draft")
              .group_by(ChecklistVersion.checklist_id).subquery())
    rows = session.execute(select(ChecklistVersion.checklist_id, ChecklistVersion.definition).join(
        newest, (ChecklistVersion.checklist_id == newest.c.checklist_id) & (ChecklistVersion.number == newest.c.number)))
    return {cid: definition["title"] for cid, definition in rows if definition.get("title")}
