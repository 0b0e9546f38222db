"""One visit as a manager reads it: its full explained card (from the stored card, never re-scored), the answers'
comments and photos, timings, proof of visit and the rubric version it was scored with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Answer, ChecklistVersion, Photo, User
from audit_app.services import access
from audit_app.services.action_lists import VisitActions, visit_actions
from audit_app.services.errors import N_, NotFoundError
from audit_app.services.scores.scope import definition_for
from audit_app.services.scores.storage import Rescored, current_score, rescored, statuses_for
from audit_app.services.scores.store_page import StoreInfo, store_info
from audit_app.services.settings import get_settings
from reports.context import CardPhoto, CardView, GradeScale, card_view, for_managers, grade_scale

# (photo id, "thumb" | "full") -> the address a page shows it at
PhotoUrls = Callable[[int, str], str]


@dataclass(frozen=True)
class VisitPhoto:
    id: int
    question_key: str
    sha256: str
    width: int
    height: int
    taken_at: datetime | None


@dataclass(frozen=True)
class VisitPage:
    id: int
    store: StoreInfo
    status: str
    is_counted: bool
    started_at: datetime
    submitted_at: datetime | None
    minutes: int | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    shopper_name: str | None
    checklist_title: str
    version_number: int
    version_published_at: datetime | None
    scored_at: datetime | None
    card: CardView | None
    photos: tuple[VisitPhoto, ...]
    review_note: str
    rescored: Rescored | None = None
    grades: GradeScale = GradeScale()
    actions: VisitActions | None = None


def visit_photos(session: Session, visit_id: int) -> tuple[VisitPhoto, ...]:
    rows = session.execute(select(Photo.id, Photo.question_key, Photo.sha256, Photo.width, Photo.height,
                                  Photo.taken_at).where(Photo.visit_id == visit_id).order_by(Photo.id))
    return tuple(VisitPhoto(*row) for row in rows)


def shows_shopper(session: Session, user: User) -> bool:
    """Whether this reader sees shopper names (head office always; area managers when head office allows it;
    store managers never)."""
    if user.role == "store_manager":
        return False
    return user.role == "head_office" or get_settings(session).show_shopper_to_managers


def _photo_builder(photo_urls: PhotoUrls | None, alt: str) -> Callable[[VisitPhoto], CardPhoto]:
    def build(photo: VisitPhoto) -> CardPhoto:
        if photo_urls is None:
            return CardPhoto(thumb="", full=None, alt=alt)
        return CardPhoto(thumb=photo_urls(photo.id, "thumb"), full=photo_urls(photo.id, "full"), alt=alt)
    return build


def get_visit_page(
    session: Session, user: User, visit_id: int, *, lang: str, labels: Mapping[str, str],
    photo_urls: PhotoUrls | None = None, photo_alt: str = "",
    photo_ref: Callable[[VisitPhoto], CardPhoto] | None = None,
) -> VisitPage:
    """One visit's full explained card (from the stored card, never re-scored), answers' comments and photos,
    timings, proof of visit and rubric version. Photos are shown at `photo_urls` (none without it) with
    `photo_alt`, unless `photo_ref` makes them (the PDF embeds its own). Drafts are the shopper's own:
    NotFoundError for everyone else; PermissionDeniedError for a store not the reader's."""
    visit = access.visit_for(session, user, visit_id)
    if visit.status == "draft":
        raise NotFoundError(N_("No such visit."))
    info = store_info(session, visit.store_id)
    version = session.get(ChecklistVersion, visit.checklist_version_id)
    score = current_score(session, visit.id)
    photos = visit_photos(session, visit.id)
    card = None
    if score is not None:
        comments = {a.question_key: a.comment for a in
                    session.scalars(select(Answer).where(Answer.visit_id == visit.id)) if a.comment}
        make = photo_ref or _photo_builder(photo_urls, photo_alt)
        refs: dict[str, list[CardPhoto]] = defaultdict(list)
        for photo in photos:
            refs[photo.question_key].append(make(photo))
        # The card's texts come from the version that made it: a re-score may have used a later one.
        card = card_view(definition_for(session, score.checklist_version_id), scoring.card_from_data(score.card),
                         lang=lang, labels=labels, comments=comments, photos=refs)
        if user.role != "head_office":
            card = for_managers(card)
    shopper = None
    if shows_shopper(session, user):
        shopper = session.scalar(select(User.name).where(User.id == visit.shopper_id))
    minutes = None
    if visit.submitted_at is not None:
        minutes = max(0, round((visit.submitted_at - visit.started_at).total_seconds() / 60))
    return VisitPage(
        id=visit.id, store=info, status=visit.status, is_counted=visit.status in statuses_for(session),
        started_at=visit.started_at, submitted_at=visit.submitted_at, minutes=minutes,
        latitude=visit.latitude, longitude=visit.longitude, accuracy_m=visit.location_accuracy_m,
        shopper_name=shopper, checklist_title=definition_for(session, version.id).title.get(lang),
        version_number=version.number,
        version_published_at=version.published_at, scored_at=score.scored_at if score else None, card=card,
        photos=photos, review_note=visit.review_note or "", rescored=rescored(session, visit, score),
        grades=grade_scale(definition_for(session, version.id), lang),
        actions=visit_actions(session, user, visit, lang=lang),
    )
