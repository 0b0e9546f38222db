"""Read models for the shopper's visit pages: one section's questions and answers, progress, the review list."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Answer, Checklist, ChecklistVersion, Photo, Store, User, Visit
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, NotFoundError, PermissionDeniedError

ANSWERLESS = ("note",)
TOKEN_LENGTH = 16


def _token(canonical: Any) -> str:
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:TOKEN_LENGTH]


def answer_token(value: Any) -> str:
    """A short fingerprint of a stored answer (a value, scoring.NA, or None when unanswered).

    A page sends back the token of the answer it showed (`b-KEY`), so a save can tell what this page changed
    from what another screen changed meanwhile. The order of a multi answer's options does not matter.
    """
    if value is scoring.NA:
        return _token({"na": True})
    if value is None:
        return _token(None)
    if isinstance(value, (list, tuple)):
        value = sorted(value, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return _token({"v": value})


def comment_token(text: str | None) -> str:
    """A short fingerprint of a stored comment ("" when there is none), sent back as `bc-KEY`."""
    return _token({"c": text or ""})


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
class VisitForm:
    """Everything a section page shows, loaded up front."""

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
    def answered(self) -> int:
        return sum(p.answered for p in self.progress)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.progress)


def load_visit_form(session: Session, user: User, visit_id: int) -> VisitForm:
    """The shopper's own visit with its answers, visibility and progress. Raises NotFoundError,
    PermissionDeniedError."""
    row = session.execute(
        select(Visit, Store.name, Store.city, Store.timezone, ChecklistVersion, Checklist.title)
        .join(Store, Visit.store_id == Store.id)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Checklist, ChecklistVersion.checklist_id == Checklist.id)
        .where(Visit.id == visit_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(N_("No such visit."))
    visit, store_name, store_city, store_timezone, version, _title = row
    if visit.shopper_id != user.id:
        raise PermissionDeniedError(N_("This visit belongs to someone else."))
    definition = checklist_from_definition(version.definition)
    stored = list(session.scalars(select(Answer).where(Answer.visit_id == visit.id)))
    answers = {a.question_key: (scoring.NA if a.is_na else a.value) for a in stored
               if a.is_na or a.value is not None}
    comments = {a.question_key: a.comment for a in stored if a.comment}
    # The photo a question shows is the one its answer names: a removed or replaced photo is not shown.
    photos = {p.question_key: PhotoRef(p.id, p.sha256, p.width, p.height)
              for p in session.scalars(select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.id))
              if answers.get(p.question_key) == p.sha256}
    card = scoring.score(definition, answers)
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
    return VisitForm(
        visit_id=visit.id, client_uuid=visit.client_uuid, status=visit.status, review_note=visit.review_note,
        started_at=visit.started_at, submitted_at=visit.submitted_at,
        store_name=store_name, store_city=store_city, store_timezone=store_timezone or "",
        checklist_title=definition.title,
        version_number=version.number, definition=definition, answers=answers, comments=comments, photos=photos,
        hidden=hidden, progress=tuple(progress), missing_required=card.missing_required, card=card,
    )


@dataclass(frozen=True)
class MissingAnswer:
    section_index: int
    section_title: scoring.Text
    question_key: str
    question_text: scoring.Text


def missing_answers(form: VisitForm) -> list[MissingAnswer]:
    """Required questions still unanswered, in checklist order, with where to find them."""
    missing = set(form.missing_required)
    return [
        MissingAnswer(index, section.title, question.key, question.text)
        for index, section in enumerate(form.definition.sections)
        for question in section.questions
        if question.key in missing
    ]


def unanswered_revealed(form: VisitForm, section_index: int) -> str | None:
    """The first question of the section that show_if now reveals and nobody has answered yet, if any."""
    return next((q.key for q in form.section(section_index).questions
                 if q.show_if is not None and q.type not in ANSWERLESS
                 and q.key not in form.hidden and q.key not in form.answers), None)
