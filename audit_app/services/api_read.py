"""What the REST API reads: the organisation, checklists, assignments, visits and their scores, one page at a time.

Every reader takes the acting person and shows no more than their pages do (`services.access`): head office sees
everything; an area manager the regions' areas, stores, checklists and visits of the areas they look after (a
shopper's identity only when head office lets managers see it); a shopper their own assignments and their own
visits' answers, but no scores, as on their phone. Pages are in ascending id order; `after` is the last id of the
previous page, so a page never repeats or skips a row when rows are added meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Sequence, TypeVar

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from audit_app.models import (
    Action, Answer, Area, Assignment, Checklist, ChecklistVersion, Photo, Region, SectionScore, Store, User, Visit,
    VisitScore,
)
from audit_app.services import access
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError
from audit_app.services.settings import get_settings

T = TypeVar("T")

# The statuses the API lists by default, and every status it shows (drafts never leave their shopper's phone).
COUNTED_STATUSES = ("submitted", "approved")
SHOWN_STATUSES = ("submitted", "approved", "returned", "voided")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    last_id: int | None  # the `after` of the next page, None on the last page


def _page(rows: Sequence[Any], limit: int, build: Any) -> Page[Any]:
    more = len(rows) > limit
    items = [build(row) for row in rows[:limit]]
    return Page(items, _id_of(rows[limit - 1]) if more else None)


def _id_of(row: Any) -> int:
    first = row[0] if hasattr(row, "_mapping") else row
    return int(first.id)


def _after(q: Select[Any], column: Any, after: int | None, limit: int) -> Select[Any]:
    if after is not None:
        q = q.where(column > after)
    return q.order_by(column).limit(limit + 1)


def _deny_shopper(user: User, what: str) -> None:
    if user.role not in ("head_office", "area_manager"):
        raise PermissionDeniedError(what)


# --- the organisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionItem:
    id: int
    code: str
    name: str
    is_active: bool


@dataclass(frozen=True)
class AreaItem:
    id: int
    code: str
    name: str
    region_id: int
    is_active: bool


@dataclass(frozen=True)
class StoreItem:
    id: int
    code: str
    name: str
    area_id: int
    city: str
    address: str
    timezone: str
    is_active: bool
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None


def list_regions(session: Session, user: User, *, after: int | None, limit: int) -> Page[RegionItem]:
    """Regions, for head office (area managers and shoppers: PermissionDeniedError, as on the web)."""
    if user.role != "head_office":
        raise PermissionDeniedError(N_("Regions are for head office."))
    rows = session.scalars(_after(select(Region), Region.id, after, limit)).all()
    return _page(rows, limit, lambda r: RegionItem(r.id, r.code, r.name, r.is_active))


def _area_item(a: Area) -> AreaItem:
    return AreaItem(a.id, a.code, a.name, a.region_id, a.is_active)


def list_areas(session: Session, user: User, *, after: int | None, limit: int,
               region_id: int | None = None) -> Page[AreaItem]:
    """The areas the reader sees: head office all, an area manager theirs."""
    _deny_shopper(user, N_("Areas are for area managers and head office."))
    q = select(Area)
    visible = access.visible_area_ids(session, user)
    if visible is not None:
        q = q.where(Area.id.in_(visible))
    if region_id is not None:
        q = q.where(Area.region_id == region_id)
    rows = session.scalars(_after(q, Area.id, after, limit)).all()
    return _page(rows, limit, _area_item)


def get_area(session: Session, user: User, area_id: int) -> AreaItem:
    return _area_item(access.area_for(session, user, area_id))


def store_item(store: Store) -> StoreItem:
    return StoreItem(store.id, store.code, store.name, store.area_id, store.city, store.address, store.timezone,
                     store.is_active, store.latitude, store.longitude, store.radius_m)


def list_stores(session: Session, user: User, *, after: int | None, limit: int,
                area_id: int | None = None) -> Page[StoreItem]:
    """The stores the reader sees (a store manager their own), inactive ones included (`is_active` says which)."""
    if user.role not in ("head_office", "area_manager", "store_manager"):
        raise PermissionDeniedError(N_("This store is not in your areas."))
    q = select(Store)
    visible = access.visible_store_ids(session, user)
    if visible is not None:
        q = q.where(Store.id.in_(visible))
    if area_id is not None:
        q = q.where(Store.area_id == area_id)
    rows = session.scalars(_after(q, Store.id, after, limit)).all()
    return _page(rows, limit, store_item)


def get_store(session: Session, user: User, store_id: int) -> StoreItem:
    """One store the reader sees; raises NotFoundError, PermissionDeniedError."""
    return store_item(access.store_for(session, user, store_id))


# --- checklists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionItem:
    id: int
    number: int
    status: str
    created_at: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class ChecklistItem:
    id: int
    key: str
    title: str
    channel: str
    versions: list[VersionItem]


@dataclass(frozen=True)
class VersionDetail:
    checklist_id: int
    checklist_key: str
    id: int
    number: int
    status: str
    created_at: datetime
    published_at: datetime | None
    definition: dict[str, Any]


def _version_statuses(user: User) -> tuple[str, ...]:
    # Drafts are head office's work in progress; managers see what shoppers fill in or once did.
    return ("draft", "published", "retired") if user.role == "head_office" else ("published", "retired")


def list_checklists(session: Session, user: User, *, after: int | None, limit: int) -> Page[ChecklistItem]:
    """Checklists and their versions (area managers: published and retired ones only)."""
    _deny_shopper(user, N_("Checklists are for area managers and head office."))
    rows = session.scalars(_after(select(Checklist), Checklist.id, after, limit)).all()
    versions: dict[int, list[VersionItem]] = {}
    if rows:
        for v in session.scalars(select(ChecklistVersion).where(
                ChecklistVersion.checklist_id.in_([c.id for c in rows[:limit]]),
                ChecklistVersion.status.in_(_version_statuses(user))).order_by(ChecklistVersion.number)):
            versions.setdefault(v.checklist_id, []).append(
                VersionItem(v.id, v.number, v.status, v.created_at, v.published_at))
    return _page(rows, limit, lambda c: ChecklistItem(c.id, c.key, c.title, c.channel, versions.get(c.id, [])))


def get_checklist(session: Session, user: User, checklist_id: int) -> ChecklistItem:
    """One checklist and its versions; raises NotFoundError, PermissionDeniedError."""
    _deny_shopper(user, N_("Checklists are for area managers and head office."))
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFoundError(N_("No such checklist."))
    versions = [VersionItem(v.id, v.number, v.status, v.created_at, v.published_at)
                for v in session.scalars(select(ChecklistVersion).where(
                    ChecklistVersion.checklist_id == checklist_id,
                    ChecklistVersion.status.in_(_version_statuses(user))).order_by(ChecklistVersion.number))]
    return ChecklistItem(checklist.id, checklist.key, checklist.title, checklist.channel, versions)


def get_version(session: Session, user: User, checklist_id: int, number: int) -> VersionDetail:
    """A checklist version with its whole definition; raises NotFoundError, PermissionDeniedError."""
    checklist = get_checklist(session, user, checklist_id)
    version = session.scalar(select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist_id,
                                                            ChecklistVersion.number == number))
    if version is None or version.status not in _version_statuses(user):
        raise NotFoundError(N_("No such checklist version."))
    return VersionDetail(checklist.id, checklist.key, version.id, version.number, version.status, version.created_at,
                         version.published_at, version.definition)


# --- assignments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentItem:
    id: int
    shopper_id: int
    store_id: int
    checklist_id: int
    window_start: date
    window_end: date
    status: str
    created_at: datetime


def assignment_item(a: Assignment) -> AssignmentItem:
    return AssignmentItem(a.id, a.shopper_id, a.store_id, a.checklist_id, a.window_start, a.window_end, a.status,
                          a.created_at)


def list_assignments(session: Session, user: User, *, after: int | None, limit: int, status: str | None = None,
                     store_id: int | None = None, checklist_id: int | None = None) -> Page[AssignmentItem]:
    """Assignments: head office every one, a shopper their own; area managers plan none (PermissionDeniedError)."""
    q = select(Assignment)
    if user.role == "shopper":
        q = q.where(Assignment.shopper_id == user.id)
    elif user.role != "head_office":
        raise PermissionDeniedError(N_("Assignments are for head office and shoppers."))
    if status:
        q = q.where(Assignment.status == status)
    if store_id is not None:
        q = q.where(Assignment.store_id == store_id)
    if checklist_id is not None:
        q = q.where(Assignment.checklist_id == checklist_id)
    rows = session.scalars(_after(q, Assignment.id, after, limit)).all()
    return _page(rows, limit, assignment_item)


# --- visits and their scores ---------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFilter:
    statuses: tuple[str, ...] = COUNTED_STATUSES
    store_id: int | None = None
    area_id: int | None = None
    checklist_id: int | None = None
    submitted_since: datetime | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class ScoreItem:
    percent: float | None
    percent_exact: str | None
    earned: str
    possible: str
    grade: str | None
    critical_failures: int
    scored_at: datetime
    checklist_version_id: int


@dataclass(frozen=True)
class SectionItem:
    visit_id: int
    section_key: str
    earned: str
    possible: str
    percent: float | None
    is_zeroed: bool


@dataclass(frozen=True)
class AnswerItem:
    question_key: str
    value: Any
    is_na: bool
    comment: str
    photo_ids: list[int]


@dataclass(frozen=True)
class VisitItem:
    id: int
    status: str
    store_id: int
    area_id: int
    checklist_id: int
    checklist_version_id: int
    checklist_version: int
    shopper_id: int | None
    started_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    score: ScoreItem | None
    sections: list[SectionItem] = field(default_factory=list)
    answers: list[AnswerItem] | None = None
    card: dict[str, Any] | None = None


def _visit_scope(session: Session, user: User, q: Select[Any]) -> Select[Any]:
    """Only the visits the reader may see, never drafts."""
    q = q.where(Visit.status.in_(SHOWN_STATUSES))
    if user.role == "shopper":
        return q.where(Visit.shopper_id == user.id)
    visible = access.visible_store_ids(session, user)
    return q if visible is None else q.where(Visit.store_id.in_(visible))


def _filtered(q: Select[Any], wanted: VisitFilter) -> Select[Any]:
    q = q.where(Visit.status.in_(wanted.statuses))
    if wanted.store_id is not None:
        q = q.where(Visit.store_id == wanted.store_id)
    if wanted.area_id is not None:
        q = q.where(Store.area_id == wanted.area_id)
    if wanted.checklist_id is not None:
        q = q.where(ChecklistVersion.checklist_id == wanted.checklist_id)
    if wanted.submitted_since is not None:
        q = q.where(Visit.submitted_at >= wanted.submitted_since)
    if wanted.updated_since is not None:
        q = q.where(Visit.updated_at >= wanted.updated_since)
    return q


def _visit_query() -> Select[Any]:
    return (select(Visit, Store.area_id, ChecklistVersion.checklist_id, ChecklistVersion.number, VisitScore)
            .join(Store, Visit.store_id == Store.id)
            .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
            .outerjoin(VisitScore, and_(VisitScore.visit_id == Visit.id, VisitScore.current())))


def _sees_scores(user: User) -> bool:
    return user.role in ("head_office", "area_manager", "store_manager")


def _head_office_only(session: Session, user: User, version_id: int) -> set[str]:
    """The keys of questions meant for head office only, which nobody else reads (as on the web pages)."""
    if user.role == "head_office":
        return set()
    from audit_app.services.scores.scope import definition_for

    return {q.key for _, q in definition_for(session, version_id).questions() if not q.is_for_stores}


def _without_keys(card: Any, hidden: set[str]) -> Any:
    """A stored card (`scoring.cards.card_to_data`) without the entries of hidden questions: their lines in the
    sections, their critical failures and their place among the missing required answers. Only those places are
    looked at, so a section or a card field that happens to share a hidden question's key stays."""
    if not hidden or not isinstance(card, dict):
        return card
    shown = dict(card)
    shown["sections"] = [{**section, "questions": [q for q in section.get("questions", [])
                                                   if q.get("key") not in hidden]}
                         for section in card.get("sections", [])]
    shown["critical_failures"] = [f for f in card.get("critical_failures", []) if f.get("question_key") not in hidden]
    shown["missing_required"] = [key for key in card.get("missing_required", []) if key not in hidden]
    return shown


def _sections(session: Session, score_ids: list[int]) -> dict[int, list[SectionItem]]:
    found: dict[int, list[SectionItem]] = {}
    if not score_ids:
        return found
    rows = session.execute(select(SectionScore, VisitScore.visit_id).join(VisitScore)
                           .where(SectionScore.visit_score_id.in_(score_ids)).order_by(SectionScore.id))
    for s, visit_id in rows:
        found.setdefault(s.visit_score_id, []).append(
            SectionItem(visit_id, s.section_key, s.earned, s.possible, s.percent, s.is_zeroed))
    return found


def _visit_item(row: Any, *, scores: bool, shopper: bool, sections: dict[int, list[SectionItem]]) -> VisitItem:
    visit, area_id, checklist_id, number, score = row
    score_item = None
    if scores and score is not None:
        score_item = ScoreItem(score.percent, score.percent_exact, score.earned, score.possible, score.grade,
                               score.critical_failures, score.scored_at, score.checklist_version_id)
    return VisitItem(visit.id, visit.status, visit.store_id, area_id, checklist_id, visit.checklist_version_id, number,
                     visit.shopper_id if shopper else None, visit.started_at, visit.submitted_at, visit.updated_at,
                     score_item, sections.get(score.id, []) if score_item else [])


def _shows_shopper(session: Session, user: User) -> bool:
    """Head office and a shopper (their own visits) always; area managers when head office allows it; store
    managers never."""
    if user.role == "store_manager":
        return False
    if user.role == "area_manager":
        return get_settings(session).show_shopper_to_managers
    return True


def list_visits(session: Session, user: User, wanted: VisitFilter, *, after: int | None,
                limit: int) -> Page[VisitItem]:
    """The visits the reader sees that match `wanted`, with their current score and section scores."""
    q = _filtered(_visit_scope(session, user, _visit_query()), wanted)
    rows = session.execute(_after(q, Visit.id, after, limit)).all()
    scores = _sees_scores(user)
    sections = _sections(session, [r[4].id for r in rows[:limit] if r[4] is not None]) if scores else {}
    shopper = _shows_shopper(session, user)
    return _page(rows, limit, lambda r: _visit_item(r, scores=scores, shopper=shopper, sections=sections))


def get_visit(session: Session, user: User, visit_id: int) -> VisitItem:
    """One visit with its answers, photos and (for readers who see scores) its stored score card; drafts are
    not found. Raises NotFoundError, PermissionDeniedError."""
    visit = access.visit_for(session, user, visit_id)
    if visit.status not in SHOWN_STATUSES:
        raise NotFoundError(N_("No such visit."))
    row = session.execute(_visit_query().where(Visit.id == visit_id)).one()
    scores = _sees_scores(user)
    score = row[4]
    sections = _sections(session, [score.id]) if scores and score is not None else {}
    item = _visit_item(row, scores=scores, shopper=_shows_shopper(session, user), sections=sections)
    photos: dict[str, list[int]] = {}
    for photo_id, key in session.execute(select(Photo.id, Photo.question_key).where(Photo.visit_id == visit_id)
                                         .order_by(Photo.id)):
        photos.setdefault(key, []).append(photo_id)
    hidden = _head_office_only(session, user, visit.checklist_version_id)
    if score is not None:
        hidden |= _head_office_only(session, user, score.checklist_version_id)
    answers = [AnswerItem(a.question_key, None if a.is_na else a.value, a.is_na, a.comment or "",
                          photos.get(a.question_key, []))
               for a in session.scalars(select(Answer).where(Answer.visit_id == visit_id).order_by(Answer.id))
               if a.question_key not in hidden]
    card = _without_keys(score.card, hidden) if scores and score is not None else None
    return VisitItem(**{**item.__dict__, "answers": answers, "card": card})


def list_section_scores(session: Session, user: User, wanted: VisitFilter, *, after: int | None,
                        limit: int) -> Page[SectionItem]:
    """The section scores of the current scores of the visits the reader sees (head office and area
    managers; shoppers see no scores: PermissionDeniedError). Paged by section score id."""
    if not _sees_scores(user):
        raise PermissionDeniedError(N_("Scores are for managers and head office."))
    q = (select(SectionScore, VisitScore.visit_id).join(VisitScore, SectionScore.visit_score_id == VisitScore.id)
         .join(Visit, VisitScore.visit_id == Visit.id).join(Store, Visit.store_id == Store.id)
         .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
         .where(VisitScore.current()))
    q = _filtered(_visit_scope(session, user, q), wanted)
    rows = session.execute(_after(q, SectionScore.id, after, limit)).all()
    return _page(rows, limit, lambda r: SectionItem(r[1], r[0].section_key, r[0].earned, r[0].possible,
                                                    r[0].percent, r[0].is_zeroed))


# --- corrective actions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionItem:
    id: int
    store_id: int
    checklist_id: int | None
    visit_id: int | None
    question_key: str | None
    title: str
    title_ja: str
    priority: str
    status: str
    source: str
    assignee_id: int | None
    due_on: date
    requires_evidence: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolution_comment: str
    closed_at: datetime | None
    reopen_reason: str
    followup_visit_id: int | None
    followup_result: str | None


def _action_item(a: Action) -> ActionItem:
    return ActionItem(a.id, a.store_id, a.checklist_id, a.visit_id, a.question_key, a.title, a.title_ja, a.priority,
                      a.status, a.source, a.assignee_id, a.due_on, a.requires_evidence, a.created_at, a.updated_at,
                      a.resolved_at, a.resolution_comment, a.closed_at, a.reopen_reason, a.followup_visit_id,
                      a.followup_result)


def list_actions(session: Session, user: User, *, after: int | None, limit: int, store_id: int | None = None,
                 statuses: Sequence[str] = (), updated_since: datetime | None = None) -> Page[ActionItem]:
    """The corrective actions of the stores the reader sees (shoppers: PermissionDeniedError)."""
    if user.role == "shopper":
        raise PermissionDeniedError(N_("Corrective actions are for managers and head office."))
    q = select(Action)
    visible = access.visible_store_ids(session, user)
    if visible is not None:
        q = q.where(Action.store_id.in_(visible))
    if store_id is not None:
        q = q.where(Action.store_id == store_id)
    if statuses:
        q = q.where(Action.status.in_(list(statuses)))
    if updated_since is not None:
        q = q.where(Action.updated_at >= updated_since)
    rows = session.scalars(_after(q, Action.id, after, limit)).all()
    return _page(rows, limit, _action_item)


def get_action(session: Session, user: User, action_id: int) -> ActionItem:
    """One corrective action the reader may see. Raises NotFoundError, PermissionDeniedError."""
    from audit_app.services import actions

    if user.role == "shopper":
        raise PermissionDeniedError(N_("Corrective actions are for managers and head office."))
    return _action_item(actions.get_action(session, user, action_id))
