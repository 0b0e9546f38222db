"""Reviewing submitted visits: approve, return to the shopper with a note, or void with a reason.

Allowed moves: submitted -> approved | returned | voided; approved -> voided; returned -> voided (the shopper
resubmits a returned visit through `visits.submit_visit`). Every decision is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import (
    FLAG_KINDS, Answer, Area, Assignment, Checklist, ChecklistVersion, Photo, Store, User, Visit, VisitFlag,
    VisitScore,
)
from audit_app.services import audit, notifications, webhooks
from audit_app.services.scores import storage
from audit_app.services.definitions import checklist_from_definition, checklist_titles_in, grade_text
from audit_app.services.errors import N_, VISIT_STATUSES, NotFoundError, ServiceError
from audit_app.services.paging import page_of
from reports.context import DEFAULT_LABELS, answer_text, percent_text
from scoring import round_half_up

TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"submitted": "approved"},
    "return": {"submitted": "returned"},
    "void": {"submitted": "voided", "approved": "voided", "returned": "voided"},
}
# The webhook event each decision raises.
EVENTS = {"approve": "visit.approved", "return": "visit.returned", "void": "visit.voided"}


class ReviewError(ServiceError):
    pass


@dataclass(frozen=True)
class QueueRow:
    id: int
    store_name: str
    area_name: str
    shopper_name: str
    checklist_title: str
    version_number: int
    status: str
    submitted_at: datetime | None
    updated_at: datetime
    percent: float | None
    grade: str | None
    critical_failures: int
    store_timezone: str = "UTC"  # the visit's times are shown in it
    open_flags: int = 0  # proof-of-visit flags not yet explained
    flag_kinds: tuple[str, ...] = ()  # the kinds of those flags

    @property
    def seen(self) -> str:
        """What the reviewer saw: the visit and when it last changed (sent back by a bulk approval)."""
        return f"{self.id}@{self.updated_at.isoformat()}"


@dataclass(frozen=True)
class QueueFilter:
    """What the review queue shows: one status, optionally one checklist, one area, a submission window
    (`since` inclusive, `until` exclusive) and only visits with a critical failure."""

    status: str = "submitted"
    checklist_id: int | None = None
    area_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    critical_only: bool = False
    flag: str = ""  # "" every visit, "open" those with an unexplained flag, or a flag kind (explained or not)
    sort: str = ""  # "" the usual order, "flags" most unexplained flags first


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


QUEUE_STATUSES = ("submitted", "returned", "approved", "voided")
PER_PAGE = 50


def _queue_where(q: Select[Any], wanted: QueueFilter) -> Select[Any]:
    q = q.where(Visit.status == wanted.status)
    if wanted.checklist_id is not None:
        q = q.where(ChecklistVersion.checklist_id == wanted.checklist_id)
    if wanted.area_id is not None:
        q = q.where(Store.area_id == wanted.area_id)
    if wanted.since is not None:
        q = q.where(Visit.submitted_at >= wanted.since)
    if wanted.until is not None:
        q = q.where(Visit.submitted_at < wanted.until)
    if wanted.critical_only:
        q = q.where(VisitScore.critical_failures > 0)
    if wanted.flag == "open":
        q = q.where(select(VisitFlag.id).where(VisitFlag.visit_id == Visit.id, VisitFlag.explained_at.is_(None))
                    .exists())
    elif wanted.flag in FLAG_KINDS:
        q = q.where(select(VisitFlag.id).where(VisitFlag.visit_id == Visit.id, VisitFlag.kind == wanted.flag)
                    .exists())
    return q


def _open_flags() -> Any:
    return (select(func.count(VisitFlag.id)).where(VisitFlag.visit_id == Visit.id, VisitFlag.explained_at.is_(None))
            .correlate(Visit).scalar_subquery())


def _queue_joins(q: Select[Any]) -> Select[Any]:
    return (q.join(Store, Visit.store_id == Store.id)
            .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
            .outerjoin(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current()))


def count_visits(session: Session, wanted: QueueFilter = QueueFilter()) -> int:
    """How many visits the queue holds for `wanted` (every page together).

    Joins only what a filter needs (every visit has its store and version): an unfiltered count of a status is
    read from `ix_visits_status_submitted_at` alone."""
    q = select(func.count(Visit.id)).select_from(Visit)
    if wanted.area_id is not None:
        q = q.join(Store, Visit.store_id == Store.id)
    if wanted.checklist_id is not None:
        q = q.join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
    if wanted.critical_only:
        q = q.join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
    return session.scalar(_queue_where(q, wanted)) or 0


def list_queue(session: Session, wanted: QueueFilter = QueueFilter(), *, page: int = 1,
               per_page: int = PER_PAGE, lang: str = "en") -> QueuePage:
    """One page of the review queue and the true total; checklist titles and grades in `lang`.

    Waiting and returned visits come with critical failures first, then oldest submission first (the order they
    should be dealt with); approved and voided ones newest first; sorted by flags, the most unexplained flags
    come first. A page past the last shows the last. Three queries, whatever the page size.
    """
    total = count_visits(session, wanted)
    per_page = max(1, per_page)
    page = page_of(total, page, per_page)[0]
    if wanted.status in ("submitted", "returned"):
        order: tuple[Any, ...] = (case((VisitScore.critical_failures > 0, 0), else_=1), Visit.submitted_at, Visit.id)
    else:
        order = (Visit.submitted_at.desc(), Visit.id.desc())
    if wanted.sort == "flags":
        order = (_open_flags().desc(), *order)
    q = _queue_where(_queue_joins(
        select(Visit.id, Store.name, Area.name, User.name, Checklist.title, ChecklistVersion.number, Visit.status,
               Visit.submitted_at, Visit.updated_at, VisitScore.percent, VisitScore.grade,
               VisitScore.critical_failures, Store.timezone, ChecklistVersion.id, Checklist.id,
               _open_flags()).select_from(Visit)
    ).join(Area, Store.area_id == Area.id).join(User, Visit.shopper_id == User.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id), wanted)
    q = q.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    found = session.execute(q).all()
    titles = checklist_titles_in(session, lang, {row[14] for row in found})
    definitions = {version_id: checklist_from_definition(definition) for version_id, definition in session.execute(
        select(ChecklistVersion.id, ChecklistVersion.definition)
        .where(ChecklistVersion.id.in_({row[13] for row in found})))}
    kinds: dict[int, list[str]] = {}
    for visit_id, kind in session.execute(
            select(VisitFlag.visit_id, VisitFlag.kind).where(VisitFlag.visit_id.in_([row[0] for row in found]),
                                                             VisitFlag.explained_at.is_(None))
            .order_by(VisitFlag.visit_id, VisitFlag.id)):
        if kind not in kinds.setdefault(visit_id, []):
            kinds[visit_id].append(kind)
    rows = tuple(QueueRow(*row[:4], titles.get(row[14], row[4]), *row[5:10],
                          grade_text(definitions[row[13]], row[10], lang) or None,
                          critical_failures=row[11] or 0, store_timezone=row[12],
                          open_flags=row[15] or 0, flag_kinds=tuple(kinds.get(row[0], ())))
                 for row in found)
    return QueuePage(rows, total, page, per_page)


def list_visits(session: Session, statuses: tuple[str, ...] = ("submitted",), limit: int = PER_PAGE) -> list[QueueRow]:
    """The first visits of the queue in the first of `statuses` (see `list_queue`)."""
    return list(list_queue(session, QueueFilter(status=statuses[0]), per_page=limit).rows)


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
    photo_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CriticalLine:
    """A failed critical question: its text, its section and what the failure does to the score."""

    question: str
    section: str
    effect: str  # zero_section | zero_visit | cap
    cap: str = ""  # the cap in percent, for effect == "cap"


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
    rescored: storage.Rescored | None = None
    store_timezone: str = "UTC"  # the visit's times are shown in it


def _points(value: Fraction) -> str:
    return str(round_half_up(value, 2)) if value.denominator != 1 else str(value.numerator)


def _stored_answer(answer: Answer | None) -> Any:
    if answer is None:
        return None
    return scoring.NA if answer.is_na else answer.value


def get_visit(session: Session, visit_id: int, *, lang: str = "en",
              labels: Mapping[str, str] = DEFAULT_LABELS) -> VisitDetail:
    """A visit with every answer worded (photos by their ids), its points, its critical failures by question
    and the current score (and, when a re-score made it, under which version); raises NotFoundError.

    Texts come from the version that made the current score, so a re-scored visit reads as it was scored."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    store = session.get(Store, visit.store_id)
    shopper = session.get(User, visit.shopper_id)
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    score = session.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.current()))
    answers = {a.question_key: a for a in session.scalars(select(Answer).where(Answer.visit_id == visit.id))}
    photos: dict[str, list[int]] = {}
    for photo_id, key in session.execute(select(Photo.id, Photo.question_key).where(Photo.visit_id == visit.id)
                                         .order_by(Photo.id)):
        photos.setdefault(key, []).append(photo_id)
    scored_version = session.get(ChecklistVersion, score.checklist_version_id) if score is not None else version
    definition = checklist_from_definition(scored_version.definition)
    card = scoring.card_from_data(score.card) if score is not None and score.card else None
    results = {r.key: r for section in card.sections for r in section.questions} if card else {}
    lines = []
    for section, question in definition.questions():
        if question.type == "note":  # instructions to the shopper: nothing to review
            continue
        answer = answers.get(question.key)
        result = results.get(question.key)
        value = result.answer if result is not None else _stored_answer(answer)
        lines.append(AnswerLine(
            section=section.title.get(lang), question=question.text.get(lang), key=question.key,
            answer=answer_text(question, value, lang, labels),
            comment=answer.comment if answer else "",
            earned=_points(result.earned) if result and result.excluded is None else "",
            possible=_points(result.possible) if result and result.excluded is None else "",
            note=(labels.get(f"excluded.{result.excluded}") or DEFAULT_LABELS.get(f"excluded.{result.excluded}", "")
                  if result and result.excluded else ""),
            photo_ids=tuple(photos.get(question.key, ())),
        ))
    failures = []
    for failure in card.critical_failures if card else ():
        try:
            text = definition.question(failure.question_key).text.get(lang)
        except KeyError:
            text = failure.question_key
        section_title = next((str(s.title.get(lang)) for s in definition.sections if s.key == failure.section_key),
                             failure.section_key)
        failures.append(CriticalLine(text, section_title, failure.effect,
                                     percent_text(failure.cap) if failure.cap is not None else ""))
    allowed = tuple(action for action, moves in TRANSITIONS.items() if visit.status in moves)
    # The checklist's title and the grade in `lang` where the checklist has them (checklists.title is English).
    title = definition.title.get(lang)
    grade = (grade_text(definition, score.grade, lang) or None) if score else None
    return VisitDetail(visit.id, visit.status, store.name, shopper.name, title, version.number,
                       visit.started_at, visit.submitted_at, visit.review_note or "",
                       score.percent if score else None, grade, tuple(failures),
                       tuple(lines), allowed, storage.rescored(session, visit, score), store.timezone)


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
    if action == "return":
        notifications.notify_visit_returned(session, visit, now=now)
    changes = _approved(session, [visit], now) if visit.status == "approved" else []
    webhooks.emit(session, EVENTS[action], resource_id=visit.id, now=now, status=visit.status,
                  store_id=visit.store_id)
    session.commit()
    _emit(changes)
    return visit


def _approved(session: Session, visits: list[Visit], now: datetime) -> list[Any]:
    """Approved visits count from now on: they follow up the store's actions and create their rules' actions
    (a visit that already counted when submitted changes nothing the second time)."""
    from audit_app.services import action_rules

    changes: list[Any] = []
    for visit in visits:
        changes.extend(action_rules.visit_counted(session, visit, now=now))
    return changes


def _emit(changes: list[Any]) -> None:
    from audit_app.services import actions

    actions.emit(changes)


@dataclass(frozen=True)
class VisitName:
    id: int
    store_name: str


@dataclass(frozen=True)
class BulkApproval:
    approved: tuple[VisitName, ...]
    skipped: tuple[VisitName, ...]


def approve_visits(session: Session, actor: User, seen: dict[int, str], *, now: datetime) -> BulkApproval:
    """Approve several waiting visits in one transaction, each logged as its own approval.

    `seen` maps each visit id to the `updated_at` (ISO text) the reviewer saw: a visit that changed since then
    (decided by someone else, resubmitted) or is no longer waiting is skipped, and so is an unknown id. Raises
    ReviewError when nothing was chosen.
    """
    if not seen:
        raise ReviewError(N_("Choose the visits to approve."))
    rows = session.execute(
        select(Visit, Store.name).join(Store, Visit.store_id == Store.id).where(Visit.id.in_(list(seen)))
        .order_by(Visit.id).with_for_update(of=Visit)
    ).all()
    found = {visit.id: (visit, name) for visit, name in rows}
    approved, skipped = [], []
    for visit_id in sorted(seen):
        if visit_id not in found:
            continue
        visit, store_name = found[visit_id]
        if visit.status != "submitted" or visit.updated_at.isoformat() != seen[visit_id]:
            skipped.append(VisitName(visit.id, store_name))
            continue
        visit.status = "approved"
        visit.updated_at = now
        audit.record(session, actor=actor, action="visit.approve", entity_type="visit", entity_id=visit.id, now=now,
                     before={"status": "submitted"}, after={"status": "approved"})
        webhooks.emit(session, "visit.approved", resource_id=visit.id, now=now, status="approved",
                      store_id=visit.store_id)
        approved.append(VisitName(visit.id, store_name))
    changes = _approved(session, [found[v.id][0] for v in approved], now)
    session.commit()
    _emit(changes)
    return BulkApproval(tuple(approved), tuple(skipped))
