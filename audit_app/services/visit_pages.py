"""Read models for the shopper's pages: home (open assignments and visits), starting an unassigned visit, one
section's questions and answers with progress, the review list, and the submitted visit.

A draft's page scores its stored answers (visits.score_answers, which scores each state of the answers once); a
submitted visit's page reads the score card stored at submit instead of scoring again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import (Answer, Area, Assignment, Checklist, ChecklistVersion, Photo, Store, User, Visit,
                              VisitScore)
from audit_app.services import access, visits
from audit_app.services.scores import rows as score_rows
from audit_app.services.answers import answer_token, comment_token
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import N_, NotFoundError
from audit_app.services.fraud import REMOTE_CHANNELS
from audit_app.services.visits import OPEN_STATUSES, score_answers

__all__ = [
    "ANSWERLESS", "MissingAnswer", "OpenAssignment", "PhotoRef", "SavedSection", "SectionProgress", "ShopperHome",
    "UnassignedOptions",
    "VisitSheet", "answer_token", "comment_token", "list_open_assignments", "list_unassigned_options",
    "load_visit_sheet", "missing_answers", "save_section_for_page", "shopper_home", "unanswered_revealed",
    "unassigned_choices",
]

ANSWERLESS = ("note",)


@dataclass(frozen=True)
class PhotoRef:
    id: int
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class SectionProgress:
    index: int
    key: str
    title: scoring.Text
    answered: int
    total: int  # visible questions that take an answer
    missing_required: int

    @property
    def is_done(self) -> bool:
        return self.answered >= self.total


@dataclass(frozen=True)
class VisitSheet:
    """A shopper's visit as its pages show it (answers, visibility, progress), loaded up front. A read model:
    the WTForms classes live in audit_app/shopper/forms.py."""

    visit_id: int
    client_uuid: str
    status: str
    review_note: str
    started_at: datetime
    submitted_at: datetime | None
    store_name: str
    store_city: str
    store_timezone: str
    checklist_title: scoring.Text
    version_number: int
    definition: scoring.Checklist
    answers: dict[str, Any]  # question key -> stored value or scoring.NA
    comments: dict[str, str]
    photos: dict[str, PhotoRef]  # question key -> the photo its answer names
    hidden: frozenset[str]
    progress: tuple[SectionProgress, ...]
    missing_required: tuple[str, ...]
    card: scoring.ScoreCard = field(repr=False)

    def section(self, index: int) -> scoring.Section:
        return self.definition.sections[index]

    @property
    def asks_location(self) -> bool:
        """Whether submitting asks where the phone is: not for a phone or online checklist."""
        return self.definition.channel not in REMOTE_CHANNELS

    @property
    def is_open(self) -> bool:
        """Still a draft (or returned to the shopper): it can change and is scored live."""
        return self.status in OPEN_STATUSES

    @property
    def first_open_section(self) -> int:
        return next((p.index for p in self.progress if not p.is_done), 0)

    @property
    def answered(self) -> int:
        return sum(p.answered for p in self.progress)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.progress)


def load_visit_sheet(session: Session, user: User, visit_id: int) -> VisitSheet:
    """The shopper's own visit with its answers, visibility and progress. A draft is scored (once per state of its
    answers); a submitted visit shows the card stored when it was submitted. Raises NotFoundError,
    PermissionDeniedError."""
    # The pinned version's definition comes with the visit (as text: parsed once per process, see
    # `visits.parsed_definition`), one statement rather than two.
    row = session.execute(
        select(Visit, Store.name, Store.city, Store.timezone, ChecklistVersion.number,
               cast(ChecklistVersion.definition, Text))
        .join(Store, Visit.store_id == Store.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .where(Visit.id == visit_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(N_("No such visit."))
    visit, store_name, store_city, store_timezone, version_number, raw_definition = row
    access.check_owner(user, visit)
    definition = visits.parsed_definition(raw_definition)
    # Plain rows, not Answer and Photo objects: building and tracking some seventy entities per page cost more
    # than the queries.
    stored = session.execute(select(Answer.question_key, Answer.is_na, Answer.value, Answer.comment)
                             .where(Answer.visit_id == visit.id)).all()
    answers = {key: (scoring.NA if is_na else value) for key, is_na, value, _c in stored
               if is_na or value is not None}
    comments = {key: comment for key, _n, _v, comment in stored if comment}
    # The photo a question shows is the one its answer names: a removed or replaced photo is not shown.
    photos = {key: PhotoRef(pid, sha256, width, height)
              for pid, key, sha256, width, height in session.execute(
                  select(Photo.id, Photo.question_key, Photo.sha256, Photo.width, Photo.height)
                  .where(Photo.visit_id == visit.id).order_by(Photo.id))
              if answers.get(key) == sha256}
    card = _stored_card(session, visit) if visit.status not in OPEN_STATUSES else None
    if card is None:
        card = score_answers(definition, answers)
    hidden = frozenset(q.key for q in card.questions() if q.excluded == "hidden")
    missing = set(card.missing_required)
    progress = []
    for index, section in enumerate(definition.sections):
        visible = [q for q in section.questions if q.key not in hidden and q.type not in ANSWERLESS]
        progress.append(SectionProgress(
            index=index, key=section.key, title=section.title,
            answered=sum(1 for q in visible if q.key in answers),
            total=len(visible),
            missing_required=sum(1 for q in visible if q.key in missing),
        ))
    return VisitSheet(
        visit_id=visit.id, client_uuid=visit.client_uuid, status=visit.status, review_note=visit.review_note,
        started_at=visit.started_at, submitted_at=visit.submitted_at,
        store_name=store_name, store_city=store_city, store_timezone=store_timezone or "",
        checklist_title=definition.title,
        version_number=version_number, definition=definition, answers=answers, comments=comments, photos=photos,
        hidden=hidden, progress=tuple(progress), missing_required=card.missing_required, card=card,
    )


def _stored_card(session: Session, visit: Visit) -> scoring.ScoreCard | None:
    """The card stored for the visit under the version it is pinned to (its current one, else the newest), or None
    when it was never scored."""
    data = session.scalar(
        select(VisitScore.card)
        .where(VisitScore.visit_id == visit.id, VisitScore.checklist_version_id == visit.checklist_version_id)
        .order_by(VisitScore.is_current.desc(), VisitScore.id.desc()).limit(1))
    return scoring.card_from_data(data) if data is not None else None


@dataclass(frozen=True)
class MissingAnswer:
    section_index: int
    section_title: scoring.Text
    question_key: str
    question_text: scoring.Text


def missing_answers(form: VisitSheet) -> list[MissingAnswer]:
    """Required questions still unanswered, in checklist order, with where to find them."""
    missing = set(form.missing_required)
    return [
        MissingAnswer(index, section.title, question.key, question.text)
        for index, section in enumerate(form.definition.sections)
        for question in section.questions
        if question.key in missing
    ]


def unanswered_revealed(form: VisitSheet, section_index: int) -> str | None:
    """The first question of the section that show_if now reveals and nobody has answered yet, if any."""
    return next((q.key for q in form.section(section_index).questions
                 if q.show_if is not None and q.type not in ANSWERLESS
                 and q.key not in form.hidden and q.key not in form.answers), None)


# --- the home page and unassigned visits ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAssignment:
    """One of a shopper's assignments not done yet, as their home page lists it."""

    id: int
    store_name: str
    store_city: str
    checklist_title: str
    window_start: date
    window_end: date
    status: str
    checklist_id: int
    is_overdue: bool
    asks_location: bool = True  # False for a phone or online checklist: where the phone is proves nothing


def list_open_assignments(session: Session, shopper_id: int, today: date) -> list[OpenAssignment]:
    """A shopper's assignments not yet done, soonest first, flagged overdue after their window."""
    q = (
        select(Assignment.id, Store.name, Store.city, Checklist.title, Assignment.window_start,
               Assignment.window_end, Assignment.status, Checklist.id, Checklist.channel)
        .join(Store, Assignment.store_id == Store.id)
        .join(Checklist, Assignment.checklist_id == Checklist.id)
        .where(Assignment.shopper_id == shopper_id, Assignment.status.in_(("open", "started")))
        .order_by(Assignment.window_end, Assignment.id)
    )
    return [OpenAssignment(*row[:8], is_overdue=row[5] < today, asks_location=row[8] not in REMOTE_CHANNELS)
            for row in session.execute(q)]


@dataclass(frozen=True)
class UnassignedOptions:
    checklists: list[tuple[int, str]]  # (id, title) of checklists head office opened to unassigned visits
    stores: list[tuple[int, str]]  # (id, "name · city") the shopper may pick
    remote: frozenset[int] = frozenset()  # those of the checklists made by phone or online: no location asked


def list_unassigned_options(session: Session, shopper: User) -> UnassignedOptions:
    """What a shopper may start without an assignment: open checklists, and the stores of their home region
    (every active store when they have none)."""
    rows = session.scalars(select(Checklist).where(Checklist.allow_unassigned.is_(True))
                           .order_by(Checklist.title)).all()
    open_checklists = [(c.id, c.title) for c in rows]
    remote = frozenset(c.id for c in rows if c.channel in REMOTE_CHANNELS)
    if not open_checklists:
        return UnassignedOptions([], [])
    stores_q = select(Store.id, Store.name, Store.city).where(Store.is_active.is_(True)).order_by(Store.name)
    region_id = getattr(shopper, "region_id", None)
    if region_id is not None:
        stores_q = stores_q.join(Area, Store.area_id == Area.id).where(Area.region_id == region_id)
    stores = [(sid, f"{name} · {city}" if city else name) for sid, name, city in session.execute(stores_q)]
    return UnassignedOptions(open_checklists, stores, remote)


def unassigned_choices(session: Session, shopper: User, lang: str) -> UnassignedOptions:
    """list_unassigned_options with each checklist's title in `lang`."""
    options = list_unassigned_options(session, shopper)
    titles = checklist_titles_in(session, lang, [cid for cid, _ in options.checklists])
    return UnassignedOptions([(cid, titles.get(cid, title)) for cid, title in options.checklists], options.stores,
                             options.remote)


@dataclass(frozen=True)
class ShopperHome:
    """A shopper's home page: what to do next, visits under way, visits sent."""

    assignments: list[OpenAssignment]
    in_progress: list[score_rows.VisitRow]
    submitted: list[score_rows.VisitRow]
    titles: dict[int, str]  # checklist id -> its title in the reader's language
    can_start_unassigned: bool


def shopper_home(session: Session, shopper: User, *, today: date, lang: str, limit: int = 30) -> ShopperHome:
    """Everything the shopper's home page shows: open assignments, and their newest visits split into those
    still open (draft or returned) and those sent."""
    rows = score_rows.list_visit_rows(session, shopper_id=shopper.id, limit=limit)
    assignments = list_open_assignments(session, shopper.id, today)
    return ShopperHome(
        assignments=assignments,
        in_progress=[v for v in rows if v.status in OPEN_STATUSES],
        submitted=[v for v in rows if v.status not in OPEN_STATUSES],
        titles=checklist_titles_in(session, lang, {r.checklist_id for r in [*rows, *assignments]}),
        can_start_unassigned=bool(list_unassigned_options(session, shopper).checklists),
    )


# --- a section save, for the page that posted it ----------------------------------------------------------------


@dataclass(frozen=True)
class SavedSection:
    """What a section save did, and the visit as it stands afterwards (new base tokens, visibility, progress)."""

    save: visits.SectionSave
    sheet: VisitSheet


def save_section_for_page(session: Session, user: User, visit_id: int, section_index: int,
                          answers: dict[str, Any], comments: dict[str, str], now: datetime,
                          **options: Any) -> SavedSection:
    """visits.save_section (one transaction; `options` are its keyword arguments), then the visit reloaded for
    the page's answer. Raises what visits.save_section raises."""
    save = visits.save_section(session, user, visit_id, section_index, answers, comments, now, **options)
    return SavedSection(save=save, sheet=load_visit_sheet(session, user, visit_id))
