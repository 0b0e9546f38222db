"""A shopper's visit: start it, record answers, submit it once and store its score card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import scoring
from scoring.questions import fraction_earned
from audit_app.models import Answer, Area, Assignment, Checklist, ChecklistVersion, Photo, Store, User, Visit
from audit_app.services import audit, photos as photo_store, scorecards
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, Message, NotFoundError, PermissionDeniedError, ServiceError, message
from audit_app.services.visit_pages import answer_token, comment_token

OPEN_STATUSES = ("draft", "returned")
PHOTO_NOT_STORED = N_("This photo is not stored with this visit. Please take it again.")
ANSWER_CONFLICT = N_("Changed on another screen since you opened this page: the saved answer is shown. "
                     "Choose again to replace it.")
COMMENT_CONFLICT = N_("The comment was changed on another screen since you opened this page: the saved comment "
                      "is shown. Write it again to replace it.")


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
    """Start a draft visit pinned to the latest published version, or return the one already open.

    A client_uuid seen before returns its visit; an assignment has at most one open visit, so a start from a
    second phone or tab resumes it (its client_uuid differs from the one given). The caller's session must
    hold nothing unsaved: the assignment is locked first, in a fresh transaction.
    Raises NotFoundError, PermissionDeniedError or VisitError (cancelled, or already submitted).
    """
    user_id, role = user.id, user.role
    session.rollback()
    if assignment_id is not None:
        # The assignment row's write lock, as the transaction's first statement (SQLite cannot turn a read
        # snapshot into a write), makes parallel starts of one assignment take turns.
        session.execute(update(Assignment).where(Assignment.id == assignment_id).values(status=Assignment.status))
    existing = session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))
    if existing is not None:
        is_theirs = existing.shopper_id == user_id
        session.rollback()
        if not is_theirs:
            raise PermissionDeniedError(N_("This visit belongs to someone else."))
        return existing
    if role != "shopper":
        session.rollback()
        raise PermissionDeniedError(N_("Only shoppers start visits."))
    assignment = None
    if assignment_id is not None:
        assignment = session.get(Assignment, assignment_id, populate_existing=True)
        if assignment is None:
            session.rollback()
            raise NotFoundError(N_("No such assignment."))
        if assignment.shopper_id != user_id:
            session.rollback()
            raise PermissionDeniedError(N_("This assignment belongs to someone else."))
        if assignment.status == "cancelled":
            session.rollback()
            raise VisitError(N_("This assignment has been cancelled."))
        open_visit = _open_visit_of(session, assignment_id)
        if open_visit is not None:
            session.rollback()
            return open_visit
        if assignment.status == "done":
            session.rollback()
            raise VisitError(N_("The visit of this assignment has already been submitted."))
        store_id, checklist_id = assignment.store_id, assignment.checklist_id
    else:
        checklist = session.get(Checklist, checklist_id) if checklist_id is not None else None
        if checklist is None or session.get(Store, store_id) is None:
            session.rollback()
            raise NotFoundError(N_("No such store or checklist."))
        if not checklist.allow_unassigned:
            session.rollback()
            raise PermissionDeniedError(N_("This checklist is only filled in on assigned visits."))
    try:
        version = _latest_published(session, checklist_id)
    except VisitError:
        session.rollback()
        raise
    visit = Visit(
        client_uuid=client_uuid, store_id=store_id, shopper_id=user_id, checklist_version_id=version.id,
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
        # Another start won the race (same client_uuid, or the one open visit of the assignment).
        session.rollback()
        won = session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))
        if won is None and assignment_id is not None:
            won = _open_visit_of(session, assignment_id)
        session.rollback()
        if won is None:
            raise
        return won
    return visit


def _open_visit_of(session: Session, assignment_id: int) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.assignment_id == assignment_id,
                                              Visit.status.in_(OPEN_STATUSES)).order_by(Visit.id).limit(1))


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


def _upsert(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _write_answers(session: Session, visit_id: int, values: Mapping[str, Any], comments: Mapping[str, str],
                   now: datetime) -> None:
    """Insert or update answer rows in place (one statement per kind of change), so two first saves of one
    question never collide on the (visit, question) unique key. The caller has claimed the visit (and set its
    updated_at) with _claim_draft."""
    groups: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for key in sorted(set(values) | set(comments)):
        has_value, has_comment = key in values, key in comments
        value = values.get(key)
        groups.setdefault((has_value, has_comment), []).append({
            "visit_id": visit_id, "question_key": key,
            "value": None if value is scoring.NA else value, "is_na": value is scoring.NA,
            "comment": comments.get(key, ""), "updated_at": now,
        })
    insert = _upsert(session)
    for (has_value, has_comment), rows in groups.items():
        statement = insert(Answer)
        changed = {"updated_at": statement.excluded.updated_at}
        if has_value:
            changed.update(value=statement.excluded.value, is_na=statement.excluded.is_na)
        if has_comment:
            changed["comment"] = statement.excluded.comment
        session.execute(statement.on_conflict_do_update(index_elements=["visit_id", "question_key"], set_=changed),
                        rows)


def _stored_photos(session: Session, visit_id: int) -> set[tuple[str, str]]:
    return {(key, sha256) for key, sha256 in session.execute(
        select(Photo.question_key, Photo.sha256).where(Photo.visit_id == visit_id))}


def _photo_problem(question: scoring.Question, value: Any, stored_photos: set[tuple[str, str]]) -> Message | None:
    """A photo answer names a photo stored with this visit for this question; anything else is refused."""
    if question.type != "photo" or value is None or value is scoring.NA:
        return None
    if not isinstance(value, str) or (question.key, value) not in stored_photos:
        return message(PHOTO_NOT_STORED)
    return None


def save_answers(
    session: Session, user: User, visit_id: int, answers: Mapping[str, Any], now: datetime,
    comments: Mapping[str, str] | None = None,
) -> Visit:
    """Store answers for a draft visit (question key -> value, scoring.NA, or None to clear), all or nothing.

    A photo answer is the SHA-256 of a photo already stored with the visit for that question. Starts a
    transaction of its own (the caller's session must hold nothing unsaved).
    Raises InvalidAnswerError naming the first question whose answer the checklist cannot take.
    """
    visit = _claim_draft(session, user, visit_id, now)
    definition = _definition(session.get(ChecklistVersion, visit.checklist_version_id))
    comments = comments or {}
    stored_photos = _stored_photos(session, visit.id)
    for key in [*answers, *comments]:
        try:
            question = _question(definition, key)
        except InvalidAnswerError:
            session.rollback()
            raise
        problem = answer_problem(question, answers.get(key)) or _photo_problem(question, answers.get(key),
                                                                               stored_photos)
        if problem:
            session.rollback()
            raise InvalidAnswerError(key, problem)
    _write_answers(session, visit.id, answers, comments, now)
    session.commit()
    return visit


@dataclass(frozen=True)
class SectionSave:
    """What a section save did, by question key. Problems are Messages or PhotoErrors, conflicts English message
    ids (marked with N_): both are translated where they are shown."""

    problems: dict[str, Any] = field(default_factory=dict)  # not stored: the answer cannot be taken
    conflicts: dict[str, str] = field(default_factory=dict)  # not stored: changed on another screen meanwhile
    stored: dict[str, Any] = field(default_factory=dict)  # conflicting key -> the stored answer that was kept
    stored_comments: dict[str, str] = field(default_factory=dict)  # conflicting key -> the stored comment kept


def _change(posted: str, base: str | None, current: str) -> str:
    """Whether a posted answer (by token) is applied, given the token the page showed and the stored one."""
    if base is None:
        return "apply"  # a page without base tokens: the post is the answer, as it always was
    if posted == current:
        return "same"
    if posted == base:
        return "unchanged"  # this page did not touch it; another screen may have
    return "apply" if base == current else "conflict"


def _claim_draft(session: Session, user: User, visit_id: int, now: datetime) -> Visit:
    """Start a transaction holding the visit row's write lock, then check it is the user's own draft.

    Saves of one visit take turns, so comparing a page's base tokens with the stored answers and writing the
    result cannot interleave with another save. The lock is the transaction's first statement (SQLite cannot
    turn a read snapshot into a write).
    """
    user_id = user.id
    session.rollback()
    session.execute(update(Visit).where(Visit.id == visit_id).values(updated_at=now))
    visit = session.scalars(
        select(Visit).where(Visit.id == visit_id).execution_options(populate_existing=True)
    ).one_or_none()
    if visit is None:
        session.rollback()
        raise NotFoundError(N_("No such visit."))
    if visit.shopper_id != user_id:
        session.rollback()
        raise PermissionDeniedError(N_("This visit belongs to someone else."))
    if visit.status not in OPEN_STATUSES:
        session.rollback()
        raise VisitError(N_("This visit has been submitted and can no longer be changed."))
    return visit


def save_section(
    session: Session, user: User, visit_id: int, section_index: int, answers: Mapping[str, Any],
    comments: Mapping[str, str], now: datetime, *, photos: Mapping[str, bytes] | None = None,
    upload_dir: Path | None = None, bases: Mapping[str, str] | None = None,
    comment_bases: Mapping[str, str] | None = None,
) -> SectionSave:
    """Store one section's answers, comments and new photos in one transaction, keeping every valid answer.

    `photos` maps a photo question's key to the uploaded file's bytes; a stored photo becomes that question's
    answer, and a refused one (a problem) leaves the other answers to be saved. `bases`/`comment_bases` are the
    tokens (visit_pages.answer_token/comment_token) of what the page showed: an answer equal to its base is left
    alone, and one whose base no longer matches the stored answer is a conflict and not stored. Clearing a photo
    answer (None) removes that photo. Without a base, a posted answer is stored as it is.
    Raises NotFoundError, PermissionDeniedError, VisitError (submitted visit or no such section).
    """
    bases, comment_bases = bases or {}, comment_bases or {}
    if photos and upload_dir is None:
        raise TypeError("save_section needs upload_dir to store photos")
    problems: dict[str, Any] = {}
    cleaned: dict[str, photo_store.CleanImage] = {}
    for key, data in (photos or {}).items():
        try:  # decoding and re-encoding take a while: done before the visit is locked
            cleaned[key] = photo_store.clean_image(data)
        except photo_store.PhotoError as error:
            problems[key] = error
    visit = _claim_draft(session, user, visit_id, now)
    definition = _definition(session.get(ChecklistVersion, visit.checklist_version_id))
    if not 0 <= section_index < len(definition.sections):
        session.rollback()
        raise NotFoundError(N_("No such section."))
    questions = {q.key: q for q in definition.sections[section_index].questions}
    rows = {a.question_key: a for a in session.scalars(
        select(Answer).where(Answer.visit_id == visit.id).execution_options(populate_existing=True))}
    stored = {key: (scoring.NA if row.is_na else row.value) for key, row in rows.items()}
    stored_comments = {key: row.comment or "" for key, row in rows.items()}
    stored_photos = _stored_photos(session, visit.id)
    result = SectionSave(problems=problems)
    values: dict[str, Any] = {}

    def decide(key: str, value: Any) -> None:
        change = _change(answer_token(value), bases.get(key), answer_token(stored.get(key)))
        if change == "apply":
            values[key] = value
        elif change == "conflict":
            result.conflicts[key] = ANSWER_CONFLICT
            result.stored[key] = stored.get(key)

    for key, clean in cleaned.items():
        question = questions.get(key)
        if question is None or question.type != "photo":
            problems[key] = message(N_("This question is not in this section."))
            continue
        decide(key, clean.sha256)
        if key not in values:
            continue
        try:
            photo_store.store_photo(session, visit.id, key, clean, upload_dir=upload_dir,  # type: ignore[arg-type]
                                    now=now)
        except photo_store.PhotoError as error:
            problems[key] = error
            del values[key]
    for key, value in answers.items():
        if key in problems or key in cleaned:
            continue
        question = questions.get(key)
        if question is None:
            problems[key] = message(N_("This question is not in this section."))
            continue
        problem = answer_problem(question, value) or _photo_problem(question, value, stored_photos)
        if problem:
            problems[key] = problem
        else:
            decide(key, value)
    new_comments: dict[str, str] = {}
    for key, text in comments.items():
        if key not in questions:
            continue
        current = stored_comments.get(key, "")
        change = _change(comment_token(text), comment_bases.get(key), comment_token(current))
        if change == "apply":
            new_comments[key] = text
        elif change == "conflict":
            result.conflicts.setdefault(key, COMMENT_CONFLICT)
            result.stored_comments[key] = current
    removed = [(key, stored[key]) for key, value in values.items()
               if value is None and questions[key].type == "photo" and isinstance(stored.get(key), str)]
    for key, sha256 in removed:
        session.execute(delete(Photo).where(Photo.visit_id == visit.id, Photo.question_key == key,
                                            Photo.sha256 == sha256))
    _write_answers(session, visit.id, values, new_comments, now)
    session.commit()
    if removed and upload_dir is not None:
        photo_store.discard_unused_files(session, upload_dir, [sha256 for _, sha256 in removed])
    return result


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
    definition = _definition(version)
    stored_photos = _stored_photos(session, visit.id)
    for key, value in visit_answers(session, visit.id).items():
        try:
            question = definition.question(key)
        except KeyError:
            continue
        problem = _photo_problem(question, value, stored_photos)
        if problem:
            session.rollback()
            raise InvalidAnswerError(key, problem)
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
    if visit.status not in OPEN_STATUSES:
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
