"""A shopper's visit: start it, record answers (a section at a time), submit it once and store its score card.

What an answer may be is in `answers`; what the shopper's pages show is in `visit_pages`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Answer, Assignment, Checklist, ChecklistVersion, Photo, Store, User, Visit
from audit_app.services import access, audit, fraud, webhooks, photos as photo_store
from audit_app.services.scores import storage
from audit_app.services.answers import (answer_problem, answer_token, comment_token, expected_answer, photo_problem,
                                       stored_photos)
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, Message, NotFoundError, PermissionDeniedError, ServiceError, message

OPEN_STATUSES = ("draft", "returned")
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


# Parsed checklists by the stored text of their definition. A visit's pages and saves read the pinned version's
# definition as text (no JSON decoding of a large document per request) and parse it once per process; keyed by
# content, so a draft edited in place is never served stale.
_PINNED: OrderedDict[str, scoring.Checklist] = OrderedDict()
_PINNED_LOCK = threading.Lock()
MAX_PINNED = 32


@dataclass(frozen=True)
class PinnedVersion:
    """A visit's checklist version: its parsed definition, the checklist it is a version of, and that checklist's
    shortest plausible visit (None: the programme's)."""

    checklist: scoring.Checklist
    checklist_id: int
    min_minutes: int | None


def pinned_checklist(session: Session, version_id: int) -> scoring.Checklist:
    """The parsed checklist of a stored version (raises NotFoundError when there is none, scoring.ChecklistError
    when it does not validate). The same object is handed out for the same stored text."""
    return pinned_version(session, version_id).checklist


def pinned_version(session: Session, version_id: int) -> PinnedVersion:
    """`pinned_checklist` with its checklist's id and minimum visit time, in the same one statement."""
    row = session.execute(
        select(cast(ChecklistVersion.definition, Text), ChecklistVersion.checklist_id, Checklist.min_minutes)
        .join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(ChecklistVersion.id == version_id)).first()
    if row is None:
        raise NotFoundError(N_("No such visit."))
    raw, checklist_id, min_minutes = row
    return PinnedVersion(parsed_definition(raw), checklist_id, min_minutes)


def parsed_definition(raw: str) -> scoring.Checklist:
    """The parsed checklist of a version's stored definition text, the same object for the same text."""
    with _PINNED_LOCK:
        hit = _PINNED.get(raw)
        if hit is not None:
            _PINNED.move_to_end(raw)
            return hit
    checklist = checklist_from_definition(json.loads(raw))
    with _PINNED_LOCK:
        _PINNED[raw] = checklist
        while len(_PINNED) > MAX_PINNED:
            _PINNED.popitem(last=False)
    return checklist


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
    location: tuple[float, float, float | None] | None = None, location_status: str = "",
) -> Visit:
    """Start a draft visit pinned to the latest published version, or return the one already open.

    `location` is where the phone was (latitude, longitude, accuracy in metres) and `location_status` whether the
    shopper shared it ("shared"), refused ("refused") or the phone gave none ("unavailable"). A client_uuid seen
    before returns its visit; an assignment has at most one open visit, so a start from a
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
        try:
            access.check_owner(user, existing)
        finally:
            session.rollback()
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
    if version.definition.get("channel") in fraud.REMOTE_CHANNELS:  # a call or a website: nothing to locate
        location, location_status = None, ""
    if location is not None:
        visit.latitude, visit.longitude, visit.location_accuracy_m = location
    visit.start_location_status = _location_status(location, location_status)
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


def _location_status(location: tuple[float, float, float | None] | None, status: str) -> str:
    if location is not None:
        return "shared"
    return status if status in fraud.LOCATION_STATUSES else ""


def _open_visit_of(session: Session, assignment_id: int) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.assignment_id == assignment_id,
                                              Visit.status.in_(OPEN_STATUSES)).order_by(Visit.id).limit(1))


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
    definition = pinned_checklist(session, visit.checklist_version_id)
    comments = comments or {}
    photos_kept = stored_photos(session, visit.id)
    for key in [*answers, *comments]:
        try:
            question = _question(definition, key)
        except InvalidAnswerError:
            session.rollback()
            raise
        problem = answer_problem(question, answers.get(key)) or photo_problem(question, answers.get(key),
                                                                               photos_kept)
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


def _fresh_transaction(session: Session, user: User) -> None:
    """End the request's reads so that the next statement, a write, opens a transaction of its own, keeping the
    signed-in user as loaded: a rollback expires every object, and reading the user again costs a query."""
    attached = user in session
    if attached:
        session.expunge(user)
    session.rollback()
    if attached:
        session.add(user)


def _claim_draft(session: Session, user: User, visit_id: int, now: datetime) -> Visit:
    """Start a transaction holding the visit row's write lock, then check it is the user's own draft.

    Saves of one visit take turns, so comparing a page's base tokens with the stored answers and writing the
    result cannot interleave with another save. The lock is the transaction's first statement (SQLite cannot
    turn a read snapshot into a write).
    """
    _fresh_transaction(session, user)
    # The claim returns the row it locked (RETURNING, on SQLite and PostgreSQL alike): one round trip, not two.
    visit = session.scalars(
        update(Visit).where(Visit.id == visit_id).values(updated_at=now).returning(Visit),
        execution_options={"populate_existing": True},
    ).one_or_none()
    if visit is None:
        session.rollback()
        raise NotFoundError(N_("No such visit."))
    try:
        access.check_owner(user, visit)
    except PermissionDeniedError:
        session.rollback()
        raise
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
    definition = pinned_checklist(session, visit.checklist_version_id)
    if not 0 <= section_index < len(definition.sections):
        session.rollback()
        raise NotFoundError(N_("No such section."))
    questions = {q.key: q for q in definition.sections[section_index].questions}
    rows = {a.question_key: a for a in session.scalars(
        select(Answer).where(Answer.visit_id == visit.id).execution_options(populate_existing=True))}
    stored = {key: (scoring.NA if row.is_na else row.value) for key, row in rows.items()}
    stored_comments = {key: row.comment or "" for key, row in rows.items()}
    photos_kept = stored_photos(session, visit.id)
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
        problem = answer_problem(question, value) or photo_problem(question, value, photos_kept)
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
    location: tuple[float, float, float | None] | None = None, location_status: str = "",
) -> Visit:
    """Validate, score and submit a draft visit once; a repeat with the same client_uuid returns it unchanged.

    The location at submit is kept beside the one at start (see start_visit), and the proof-of-visit checks
    (services.fraud) store their flags in the same transaction; a flag never stops the submit.

    Raises IncompleteVisitError listing unanswered required questions, InvalidAnswerError, VisitError.
    """
    # Take the row's write lock before reading its status, so of two concurrent submits (a double tap, a
    # replay from the offline queue) the second waits and then sees the first one's result. An UPDATE
    # does this on SQLite and PostgreSQL alike; it must be the transaction's first statement, because
    # SQLite cannot turn a read snapshot taken earlier in the request into a write.
    _fresh_transaction(session, user)
    # The claim returns the row it locked (RETURNING, on SQLite and PostgreSQL alike): one round trip, not two.
    visit = session.scalars(
        update(Visit).where(Visit.id == visit_id).values(updated_at=now).returning(Visit),
        execution_options={"populate_existing": True},
    ).one_or_none()
    if visit is None:
        session.rollback()
        raise NotFoundError(N_("No such visit."))
    try:
        access.check_owner(user, visit)
    except PermissionDeniedError:
        session.rollback()
        raise
    if visit.client_uuid != client_uuid:
        session.rollback()
        raise VisitError(N_("This form belongs to a different visit. Please reload the page."))
    if visit.status not in OPEN_STATUSES:
        session.rollback()
        return visit
    version_id = visit.checklist_version_id
    pinned = pinned_version(session, version_id)
    definition = pinned.checklist
    # Read once for the photo answers and the proof-of-visit checks. The store is kept referenced too: the
    # session holds loaded rows only while something does, and the checks and notifications below need it.
    photo_rows = list(session.scalars(select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.id)))
    photos_kept = {(photo.question_key, photo.sha256) for photo in photo_rows}
    store = session.get(Store, visit.store_id)
    answers = visit_answers(session, visit.id)
    for key, value in answers.items():
        try:
            question = definition.question(key)
        except KeyError:
            continue
        problem = photo_problem(question, value, photos_kept)
        if problem:
            session.rollback()
            raise InvalidAnswerError(key, problem)
    card = _score_with(definition, answers)
    if not card.is_complete:
        session.rollback()
        raise IncompleteVisitError(card.missing_required)
    first_submit = visit.submitted_at is None
    visit.status = "submitted"
    visit.submitted_at = now
    visit.updated_at = now
    if definition.channel in fraud.REMOTE_CHANNELS:
        location, location_status = None, ""
    if location is not None:
        visit.submit_latitude, visit.submit_longitude, visit.submit_accuracy_m = location
    visit.submit_location_status = _location_status(location, location_status)
    if visit.assignment_id is not None:
        session.execute(update(Assignment).where(Assignment.id == visit.assignment_id).values(status="done"))
    storage.store_card(session, visit=visit, version_id=version_id, card=card, now=now, first=first_submit)
    fraud.apply_checks(session, visit, now=now, answers=answers, photos=photo_rows, channel=definition.channel,
                       first=first_submit, min_minutes=pinned.min_minutes)
    audit.record(session, actor=user, action="visit.submit", entity_type="visit", entity_id=visit.id, now=now,
                 after={"status": "submitted", "percent": float(card.percent) if card.percent is not None else None})
    # A visit that counts now (no review) follows up the store's actions and creates its rules' actions.
    from audit_app.services import action_rules, actions

    changes = action_rules.visit_counted(session, visit, now=now, scored=(card, definition),
                                         checklist_id=pinned.checklist_id) \
        if "submitted" in storage.statuses_for(session) else []
    webhooks.emit(session, "visit.submitted", resource_id=visit.id, now=now, status="submitted",
                  store_id=visit.store_id)
    session.commit()
    del store
    actions.emit(changes)
    return visit


def visit_answers(session: Session, visit_id: int) -> dict[str, Any]:
    """The visit's stored answers as the scoring engine takes them."""
    # Plain rows, not Answer objects: building and tracking some seventy entities cost more than the query.
    rows = session.execute(select(Answer.question_key, Answer.is_na, Answer.value).where(Answer.visit_id == visit_id))
    return {key: (scoring.NA if is_na else value) for key, is_na, value in rows if is_na or value is not None}


# Recent score cards by checklist and answers. Scoring is pure and a parsed checklist is shared while it is cached
# (definitions.checklist_from_definition), so a visit in the same state gets the same card: a save, the page after
# it, and a refused submit followed by its review page score each state of the answers once. An entry holds its
# checklist, so the id in its key cannot be reused by another object while the entry lives.
_CARDS: OrderedDict[tuple[int, str], tuple[scoring.Checklist, scoring.ScoreCard]] = OrderedDict()
_CARDS_LOCK = threading.Lock()
MAX_CACHED_CARDS = 256


def _answers_key(answers: Mapping[str, Any]) -> str:
    return json.dumps({key: ({"na": True} if value is scoring.NA else {"v": value}) for key, value in answers.items()},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def score_answers(definition: scoring.Checklist, answers: Mapping[str, Any]) -> scoring.ScoreCard:
    """scoring.score(definition, answers), remembered for recent states of answers (raises scoring.AnswerError as
    scoring.score does)."""
    key = (id(definition), _answers_key(answers))
    with _CARDS_LOCK:
        cached = _CARDS.get(key)
        if cached is not None and cached[0] is definition:
            _CARDS.move_to_end(key)
            return cached[1]
    card = scoring.score(definition, answers)
    with _CARDS_LOCK:
        _CARDS[key] = (definition, card)
        while len(_CARDS) > MAX_CACHED_CARDS:
            _CARDS.popitem(last=False)
    return card


def score_visit(session: Session, visit: Visit, version: ChecklistVersion) -> scoring.ScoreCard:
    """Score a visit's stored answers under the version it is pinned to."""
    return _score_with(checklist_from_definition(version.definition), visit_answers(session, visit.id))


def _score_with(definition: scoring.Checklist, answers: Mapping[str, Any]) -> scoring.ScoreCard:
    """score_answers, an invalid stored answer raised as InvalidAnswerError naming its question."""
    try:
        return score_answers(definition, answers)
    except scoring.AnswerError as error:
        question = next((q for s in definition.sections for q in s.questions
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
    access.check_owner(user, visit)
    if visit.status not in OPEN_STATUSES:
        raise VisitError(N_("This visit has been submitted and can no longer be changed."))
    return visit
