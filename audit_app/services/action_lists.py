"""Reading corrective actions: the filtered, sorted list, one action's page, a store's or a visit's actions.
Changing them is `services.actions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from audit_app.models import Action, ActionEvent, Area, Region, Store, User, Visit
from audit_app.models.actions import ACTION_OPEN_STATUSES, ACTION_PRIORITIES, ACTION_STATUSES
from audit_app.services import access
from audit_app.services.actions import (
    Person, _load, assignee_options, can_manage, can_work, due_state, store_today,
)
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.scope import definition_for, latest_version_id

# How many actions a list shows at most (the filters narrow it; the exports have them all).
LIST_LIMIT = 500
SORT_KEYS = ("due", "priority", "created", "store", "status")
PRIORITY_RANK = {p: i for i, p in enumerate(reversed(ACTION_PRIORITIES))}  # critical first
# A store page shows actions resolved or closed this recently, besides those still to do.
_RECENT = timedelta(days=90)
STATUS_RANK = {s: i for i, s in enumerate(("reopened", "open", "in_progress", "resolved", "closed"))}


@dataclass(frozen=True)
class ActionFilters:
    store_id: int | None = None
    area_id: int | None = None
    region_id: int | None = None
    status: str = ""  # a status, "active" (still to do), or "" for all
    priority: str = ""
    overdue: bool = False
    checklist_id: int | None = None
    question_key: str = ""
    sort: str = "due"
    descending: bool = False


@dataclass(frozen=True)
class ActionRow:
    id: int
    title: str
    store_id: int
    store_code: str
    store_name: str
    area_name: str
    region_name: str
    priority: str
    status: str
    due_on: date
    due_state: str
    assignee_name: str | None
    checklist_id: int | None
    checklist_title: str
    question_key: str | None
    question_text: str
    visit_id: int | None
    source: str
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    timezone: str | None
    followup_result: str | None


@dataclass(frozen=True)
class Option:
    value: Any
    label: str


@dataclass(frozen=True)
class ActionList:
    rows: tuple[ActionRow, ...]
    total: int
    is_cut: bool
    stores: tuple[Option, ...]
    areas: tuple[Option, ...]
    regions: tuple[Option, ...]
    checklists: tuple[Option, ...]
    questions: tuple[Option, ...]
    filters: ActionFilters


def localised(lang: str, text: str, text_ja: str) -> str:
    """An action's text (title or guidance) in `lang`: the Japanese one where there is one."""
    return text_ja if lang == "ja" and text_ja else text


class _Texts:
    """Checklist titles and question texts, from each checklist's latest version, looked up once."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session, self.lang = session, lang
        self._definitions: dict[int, Any] = {}

    def definition(self, checklist_id: int | None) -> Any:
        if checklist_id is None:
            return None
        if checklist_id not in self._definitions:
            version_id = latest_version_id(self.session, checklist_id)
            self._definitions[checklist_id] = definition_for(self.session, version_id) if version_id else None
        return self._definitions[checklist_id]

    def checklist_title(self, checklist_id: int | None) -> str:
        definition = self.definition(checklist_id)
        return definition.title.get(self.lang) if definition is not None else ""

    def question_text(self, checklist_id: int | None, key: str | None) -> str:
        definition = self.definition(checklist_id)
        if definition is None or not key:
            return key or ""
        try:
            return definition.question(key).text.get(self.lang)
        except KeyError:
            return key


Assignee = aliased(User)


def _base_query() -> Select[Any]:
    return (select(Action, Store.code, Store.name, Store.timezone, Area.name, Region.name, Assignee.name)
            .join(Store, Action.store_id == Store.id).join(Area, Store.area_id == Area.id)
            .join(Region, Area.region_id == Region.id)
            .outerjoin(Assignee, Action.assignee_id == Assignee.id))


def _scoped(session: Session, user: User, query: Select[Any]) -> Select[Any]:
    if user.role == "shopper":
        raise PermissionDeniedError(N_("Corrective actions are for store managers, area managers and head office."))
    store_ids = access.visible_store_ids(session, user)
    if store_ids is not None:
        query = query.where(Action.store_id.in_(sorted(store_ids)))
    return query


def _row(texts: _Texts, found: Any, now: datetime) -> ActionRow:
    action, code, name, zone_name, area, region, assignee = found
    return ActionRow(
        id=action.id, title=localised(texts.lang, action.title, action.title_ja), store_id=action.store_id,
        store_code=code, store_name=name, area_name=area, region_name=region, priority=action.priority,
        status=action.status, due_on=action.due_on,
        due_state=due_state(action.status, action.due_on, store_today(zone_name, now)), assignee_name=assignee,
        checklist_id=action.checklist_id, checklist_title=texts.checklist_title(action.checklist_id),
        question_key=action.question_key, question_text=texts.question_text(action.checklist_id, action.question_key),
        visit_id=action.visit_id, source=action.source, created_at=action.created_at,
        resolved_at=action.resolved_at, closed_at=action.closed_at, reopened_count=action.reopened_count,
        timezone=zone_name, followup_result=action.followup_result)


def _sort(rows: list[ActionRow], sort: str, descending: bool) -> list[ActionRow]:
    keys = {
        "due": lambda r: (r.due_on, PRIORITY_RANK[r.priority], r.id),
        "priority": lambda r: (PRIORITY_RANK[r.priority], r.due_on, r.id),
        "created": lambda r: (r.created_at, r.id),
        "store": lambda r: (r.store_name, r.due_on, r.id),
        "status": lambda r: (STATUS_RANK.get(r.status, 9), r.due_on, r.id),
    }
    return sorted(rows, key=keys.get(sort, keys["due"]), reverse=descending)


def query_actions(session: Session, user: User, filters: ActionFilters, *, now: datetime, lang: str = "en"
                  ) -> list[ActionRow]:
    """Every action the reader sees that matches the filters, sorted. Raises PermissionDeniedError."""
    q = _scoped(session, user, _base_query())
    f = filters
    if f.store_id:
        q = q.where(Action.store_id == f.store_id)
    if f.area_id:
        q = q.where(Store.area_id == f.area_id)
    if f.region_id:
        q = q.where(Area.region_id == f.region_id)
    if f.status == "active" or f.overdue:
        q = q.where(Action.status.in_(ACTION_OPEN_STATUSES))
    elif f.status in ACTION_STATUSES:
        q = q.where(Action.status == f.status)
    if f.priority in ACTION_PRIORITIES:
        q = q.where(Action.priority == f.priority)
    if f.checklist_id:
        q = q.where(Action.checklist_id == f.checklist_id)
    if f.question_key:
        q = q.where(Action.question_key == f.question_key)
    texts = _Texts(session, lang)
    rows = [_row(texts, found, now) for found in session.execute(q.order_by(Action.id))]
    if f.overdue:
        rows = [r for r in rows if r.due_state == "overdue"]
    return _sort(rows, f.sort, f.descending)


def list_actions(session: Session, user: User, filters: ActionFilters, *, now: datetime, lang: str = "en"
                 ) -> ActionList:
    """The actions page: matching actions (at most LIST_LIMIT) and the choices of every filter."""
    rows = query_actions(session, user, filters, now=now, lang=lang)
    texts = _Texts(session, lang)
    visible = _scoped(session, user, select(Store.id, Store.name, Store.code, Area.id, Area.name, Region.id,
                                            Region.name).select_from(Action)
                      .join(Store, Action.store_id == Store.id).join(Area, Store.area_id == Area.id)
                      .join(Region, Area.region_id == Region.id)).distinct()
    stores: dict[int, str] = {}
    areas: dict[int, str] = {}
    regions: dict[int, str] = {}
    for sid, sname, scode, aid, aname, rid, rname in session.execute(visible):
        stores[sid], areas[aid], regions[rid] = f"{sname} ({scode})", aname, rname
    pairs = session.execute(_scoped(session, user, select(Action.checklist_id, Action.question_key)
                                    .where(Action.checklist_id.is_not(None))).distinct())
    checklists: dict[int, str] = {}
    questions: dict[str, str] = {}
    for checklist_id, key in pairs:
        checklists[checklist_id] = texts.checklist_title(checklist_id)
        if key and (not filters.checklist_id or filters.checklist_id == checklist_id):
            questions[key] = texts.question_text(checklist_id, key)

    def options(found: dict[Any, str]) -> tuple[Option, ...]:
        return tuple(Option(k, v) for k, v in sorted(found.items(), key=lambda kv: (kv[1], str(kv[0]))))

    return ActionList(rows=tuple(rows[:LIST_LIMIT]), total=len(rows), is_cut=len(rows) > LIST_LIMIT,
                      stores=options(stores), areas=options(areas), regions=options(regions),
                      checklists=options(checklists), questions=options(questions), filters=filters)


# --- one action ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    at: datetime
    actor_name: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    note: str
    visit_id: int | None


@dataclass(frozen=True)
class ActionPage:
    row: ActionRow
    guidance: str
    requires_evidence: bool
    resolution_comment: str
    reopen_reason: str
    has_evidence: bool
    evidence_width: int | None
    evidence_height: int | None
    created_by_name: str | None
    closed_by_name: str | None
    followup_visit_id: int | None
    events: tuple[EventLine, ...]
    can_work: bool
    can_manage: bool
    assignees: tuple[Person, ...]
    assignee_id: int | None


def get_action_page(session: Session, user: User, action_id: int, *, now: datetime, lang: str = "en"
                    ) -> ActionPage:
    """One action with its history and what the reader may do with it. Raises NotFoundError,
    PermissionDeniedError."""
    action, store = _load(session, user, action_id)
    found = session.execute(_base_query().where(Action.id == action.id)).one()
    row = _row(_Texts(session, lang), found, now)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(
        [i for i in (action.created_by_id, action.closed_by_id) if i is not None]))).all())
    events = tuple(EventLine(*r) for r in session.execute(
        select(ActionEvent.at, User.name, ActionEvent.kind, ActionEvent.from_status, ActionEvent.to_status,
               ActionEvent.note, ActionEvent.visit_id)
        .outerjoin(User, ActionEvent.actor_id == User.id).where(ActionEvent.action_id == action.id)
        .order_by(ActionEvent.id)))
    return ActionPage(
        row=row, guidance=localised(lang, action.guidance, action.guidance_ja),
        requires_evidence=action.requires_evidence, resolution_comment=action.resolution_comment,
        reopen_reason=action.reopen_reason, has_evidence=action.evidence_sha256 is not None,
        evidence_width=action.evidence_width, evidence_height=action.evidence_height,
        created_by_name=names.get(action.created_by_id), closed_by_name=names.get(action.closed_by_id),
        followup_visit_id=action.followup_visit_id, events=events,
        can_work=can_work(session, user, action, store), can_manage=can_manage(session, user, store),
        assignees=tuple(assignee_options(session, store.id)), assignee_id=action.assignee_id)


@dataclass(frozen=True)
class NewActionContext:
    store_id: int
    store_name: str
    visit_id: int | None
    question_key: str | None
    question_text: str
    assignees: tuple[Person, ...]
    stores: tuple[Option, ...]


def new_action_context(session: Session, user: User, *, store_id: int | None, visit_id: int | None,
                       question_key: str | None, lang: str = "en") -> NewActionContext:
    """What the form for a new action shows: the store (from the visit when one is given), the failed question,
    the people it may go to, and the stores the reader may create actions for. Raises NotFoundError,
    PermissionDeniedError."""
    question_text = ""
    if visit_id is not None:
        visit = access.visit_for(session, user, visit_id)
        store_id = visit.store_id
        definition = definition_for(session, visit.checklist_version_id)
        try:
            question_text = definition.question(question_key or "").text.get(lang)
        except KeyError:
            question_text = ""
    choices = session.execute(_store_choices(session, user)).all()
    if store_id is None:
        if not choices:
            raise PermissionDeniedError(N_("Only the store's area manager and head office create actions."))
        store_id = choices[0][0]
    store = access.store_for(session, user, store_id)
    if not can_manage(session, user, store):
        raise PermissionDeniedError(N_("Only the store's area manager and head office create actions."))
    return NewActionContext(store.id, store.name, visit_id, question_key if visit_id else None, question_text,
                            tuple(assignee_options(session, store.id)),
                            tuple(Option(sid, f"{name} ({code})") for sid, name, code in choices))


def _store_choices(session: Session, user: User) -> Select[Any]:
    q = select(Store.id, Store.name, Store.code).join(Area, Store.area_id == Area.id).where(
        Store.is_active.is_(True)).order_by(Area.name, Store.name)
    if user.role == "head_office":
        return q
    return q.where(Store.area_id.in_(sorted(access.managed_area_ids(session, user)) or [-1]))


# --- on other pages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitActions:
    """A visit page's actions: created from its questions, and the earlier ones its answers verified or
    reopened."""

    by_question: dict[str, int]
    # (action id, title, question key, "passed" | "reopened" | "still_open"): a failed follow-up reopens a resolved
    # action and leaves an open one open.
    followed_up: tuple[tuple[int, str, str, str], ...]
    can_create: bool


def visit_actions(session: Session, user: User, visit: Visit, *, lang: str = "en") -> VisitActions:
    """The actions of one visit the reader may see (the caller has loaded the visit through access)."""
    if user.role == "shopper":
        return VisitActions({}, (), False)
    by_question = {key: aid for aid, key in session.execute(
        select(Action.id, Action.question_key).where(Action.visit_id == visit.id, Action.question_key.is_not(None)))}
    followed = tuple(
        (aid, localised(lang, title, title_ja), key or "", "passed" if kind == "verified" else
         "reopened" if from_status == "resolved" else "still_open")
        for aid, title, title_ja, key, kind, from_status in session.execute(
            select(Action.id, Action.title, Action.title_ja, Action.question_key, ActionEvent.kind,
                   ActionEvent.from_status)
            .join(ActionEvent, ActionEvent.action_id == Action.id)
            .where(ActionEvent.visit_id == visit.id, ActionEvent.kind.in_(("verified", "failed_again")))
            .order_by(Action.id)))
    store = session.get(Store, visit.store_id)
    return VisitActions(by_question, followed, store is not None and can_manage(session, user, store))


def actions_of_store(session: Session, store_id: int, *, now: datetime, lang: str = "en") -> tuple[ActionRow, ...]:
    """A store's actions still to do, then those resolved or closed in the last 90 days, by due date. Whoever may
    see the store sees all of them: the caller has checked the store is the reader's."""
    texts = _Texts(session, lang)
    rows = _sort([_row(texts, found, now) for found in session.execute(
        _base_query().where(Action.store_id == store_id).order_by(Action.id))], "due", False)
    recent = [r for r in rows if r.status in ACTION_OPEN_STATUSES
              or (r.resolved_at or r.closed_at or r.created_at) >= now - _RECENT]
    return tuple(recent)



# --- figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFigures:
    """One store's or area's actions in figures. Time to resolve runs from creation to the store resolving it
    (or to its closing, for an action a later visit verified before the store resolved it); on time means that
    day, where the store is, was no later than the due date."""

    id: int
    name: str
    total: int
    open: int
    overdue: int
    finished: int
    on_time: int
    mean_days_to_resolve: float | None
    repeat_failures: int  # later visits that failed an action's question again

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.finished if self.finished else None


def _figures(key: int, name: str, rows: list[ActionRow], repeats: dict[int, int]) -> ActionFigures:
    done = [(r, r.resolved_at or r.closed_at) for r in rows if (r.resolved_at or r.closed_at) is not None
            and r.status in ("resolved", "closed")]
    on_time = sum(1 for r, at in done if store_today(r.timezone, at) <= r.due_on)
    days = [(at - r.created_at).total_seconds() / 86400 for r, at in done]
    return ActionFigures(
        id=key, name=name, total=len(rows), open=sum(1 for r in rows if r.status in ACTION_OPEN_STATUSES),
        overdue=sum(1 for r in rows if r.due_state == "overdue"), finished=len(done), on_time=on_time,
        mean_days_to_resolve=round(sum(days) / len(days), 1) if days else None,
        repeat_failures=sum(repeats.get(r.id, 0) for r in rows))


def _repeat_counts(session: Session, action_ids: list[int]) -> dict[int, int]:
    if not action_ids:
        return {}
    from sqlalchemy import func

    return dict(session.execute(
        select(ActionEvent.action_id, func.count()).where(ActionEvent.kind == "failed_again",
                                                           ActionEvent.action_id.in_(action_ids))
        .group_by(ActionEvent.action_id)).all())


@dataclass(frozen=True)
class FigureTables:
    areas: tuple[ActionFigures, ...]
    stores: tuple[ActionFigures, ...]


def action_figures(session: Session, user: User, filters: ActionFilters, *, now: datetime, lang: str = "en"
                   ) -> FigureTables:
    """Per area and per store, over the actions the filters select (the reader's stores only): open, overdue,
    resolved on time, mean time to resolve (days, one decimal) and repeat failures. Raises
    PermissionDeniedError."""
    rows = query_actions(session, user, filters, now=now, lang=lang)
    repeats = _repeat_counts(session, [r.id for r in rows])
    area_of = dict(session.execute(select(Store.id, Area.id).join(Area, Store.area_id == Area.id).where(
        Store.id.in_(sorted({r.store_id for r in rows}) or [-1]))).all())
    by_store: dict[int, list[ActionRow]] = {}
    by_area: dict[int, list[ActionRow]] = {}
    names_store: dict[int, str] = {}
    names_area: dict[int, str] = {}
    for r in rows:
        by_store.setdefault(r.store_id, []).append(r)
        names_store[r.store_id] = f"{r.store_name} ({r.store_code})"
        area_id = area_of[r.store_id]
        by_area.setdefault(area_id, []).append(r)
        names_area[area_id] = r.area_name
    stores = sorted((_figures(k, names_store[k], v, repeats) for k, v in by_store.items()), key=lambda f: f.name)
    areas = sorted((_figures(k, names_area[k], v, repeats) for k, v in by_area.items()), key=lambda f: f.name)
    return FigureTables(tuple(areas), tuple(stores))


# --- export ----------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "store_code", "store", "area", "region", "title", "checklist", "question", "priority",
                  "status", "due_on", "overdue", "assignee", "source", "created_at", "resolved_at", "closed_at",
                  "reopened", "visit", "timezone")


def prepare_action_export(session: Session, user: User, filters: ActionFilters, *, now: datetime, lang: str,
                          headers: dict[str, str], words: dict[str, str]) -> Any:
    """The actions the filters select as an export (`services.exports` writes it as CSV or xlsx): one row per
    action, times in the store's own time zone, statuses and priorities in `words` (keyed "status.open",
    "priority.high", "source.rule", "yes"). Raises PermissionDeniedError before anything is written."""
    from audit_app.services import exports, xlsx
    from audit_app.services.zones import local_time

    rows = query_actions(session, user, filters, now=now, lang=lang)
    kinds = (xlsx.INTEGER, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT,
             xlsx.TEXT, xlsx.DATE_ANSWER, xlsx.TEXT, xlsx.TEXT, xlsx.TEXT, xlsx.DATETIME, xlsx.DATETIME,
             xlsx.DATETIME, xlsx.INTEGER, xlsx.INTEGER, xlsx.TEXT)

    def local(at: datetime | None, zone: str | None) -> datetime | None:
        return local_time(at, zone).replace(tzinfo=None, microsecond=0) if at is not None else None

    def cells() -> Any:
        for r in rows:
            yield [r.id, r.store_code, r.store_name, r.area_name, r.region_name, r.title, r.checklist_title,
                   r.question_text, words.get(f"priority.{r.priority}", r.priority),
                   words.get(f"status.{r.status}", r.status), r.due_on.isoformat(),
                   words.get("yes", "yes") if r.due_state == "overdue" else "",
                   r.assignee_name or "", words.get(f"source.{r.source}", r.source),
                   local(r.created_at, r.timezone), local(r.resolved_at, r.timezone), local(r.closed_at, r.timezone),
                   r.reopened_count, r.visit_id, r.timezone or "UTC"]

    return exports.VisitExport(filename=f"actions-{now:%Y%m%d}",
                               header=tuple(headers.get(c, c) for c in EXPORT_COLUMNS), kinds=kinds,
                               sheet_name=headers.get("sheet", "Actions"), rows=cells)
