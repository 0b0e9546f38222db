"""Proof-of-visit checks: where the phone was, reused photos and implausible times, each kept as a flag.

A flag is a finding with its reason and evidence for head office to look at; it never rejects a visit by itself.
The checks run when a visit is submitted (inside the submit's transaction) and again on demand for any visit.
Running them again keeps a finding that still holds (and whether it was explained), adds new ones and drops
unexplained ones that no longer hold. Thresholds come from the programme settings (services.settings).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from itertools import combinations
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, Mapping
from zoneinfo import ZoneInfo

import imagehash
from PIL import Image
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from audit_app.models import Answer, Checklist, ChecklistVersion, Photo, Store, User, Visit, VisitFlag
from audit_app.models.visits import PHASH_BANDS, phash_bands
from audit_app.services import access, audit
from audit_app.services.errors import N_, Message, NotFoundError, ServiceError, message
from audit_app.services.settings import ProgrammeSettings, get_settings

log = logging.getLogger(__name__)

COUNTED = ("submitted", "approved", "returned")  # visits another visit's times and photos are compared with
# Checklists done away from the store (a call, a website): where the phone was says nothing about the visit.
REMOTE_CHANNELS = frozenset({"phone", "online"})
LOCATION_STATUSES = ("shared", "refused", "unavailable")


class FlagError(ServiceError):
    pass


# --- pure helpers ------------------------------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on a sphere of radius 6,371,008.8 m, the mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def location_verdict(distance: float, accuracy: float | None, radius: float, max_accuracy: float) -> str:
    """"outside" when even the near edge of the phone's accuracy circle is beyond the radius, "inside" when the
    point is within it and the accuracy good enough, else "uncertain"."""
    spread = accuracy or 0.0
    if distance - spread > radius:
        return "outside"
    if spread > max_accuracy:
        return "uncertain"
    return "inside" if distance <= radius else "uncertain"


def perceptual_hash(image: Image.Image) -> str:
    """The 64-bit DCT perceptual hash (imagehash.phash) as 16 hex digits."""
    return str(imagehash.phash(image))


def hash_distance(a: str, b: str) -> int:
    """How many of the 64 bits two perceptual hashes differ in."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


# --- where the phone was -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointCheck:
    moment: str  # "start" | "submit"
    status: str  # shared | refused | unavailable | "" (not asked: a phone without the page's script)
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    distance_m: float | None  # None without both the visit's and the store's coordinates
    verdict: str  # inside | outside | uncertain | no_store_location | not_shared


@dataclass(frozen=True)
class LocationCheck:
    radius_m: int
    store_has_location: bool
    points: tuple[PointCheck, ...]


def _point(moment: str, status: str, lat: float | None, lon: float | None, acc: float | None, store: Store,
           radius: int, settings: ProgrammeSettings) -> PointCheck:
    if lat is None or lon is None:
        return PointCheck(moment, status or "", None, None, None, None, "not_shared")
    status = "shared"
    if store.latitude is None or store.longitude is None:
        return PointCheck(moment, status, lat, lon, acc, None, "no_store_location")
    distance = distance_m(store.latitude, store.longitude, lat, lon)
    return PointCheck(moment, status, lat, lon, acc, distance,
                      location_verdict(distance, acc, radius, settings.max_accuracy_m))


def location_check(visit: Visit, store: Store, settings: ProgrammeSettings) -> LocationCheck:
    """Where the visit's phone was at start and at submit, its distance from the store and the verdict."""
    radius = store.radius_m or settings.default_radius_m
    return LocationCheck(radius, store.latitude is not None and store.longitude is not None, (
        _point("start", visit.start_location_status, visit.latitude, visit.longitude, visit.location_accuracy_m,
               store, radius, settings),
        _point("submit", visit.submit_location_status, visit.submit_latitude, visit.submit_longitude,
               visit.submit_accuracy_m, store, radius, settings),
    ))


# --- the checks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    signature: str
    evidence: dict[str, Any]
    other_visit_id: int | None = None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _location_findings(visit: Visit, store: Store, settings: ProgrammeSettings) -> list[Finding]:
    check = location_check(visit, store, settings)
    if not check.store_has_location:
        return []
    found = []
    for point in check.points:
        if point.verdict == "outside":
            found.append(Finding("location", point.moment, {
                "moment": point.moment, "distance_m": round(point.distance_m or 0), "radius_m": check.radius_m,
                "accuracy_m": round(point.accuracy_m) if point.accuracy_m is not None else None,
                "latitude": point.latitude, "longitude": point.longitude}))
    # Flagged once the phone was asked (a visit from before locations were asked for says nothing).
    if all(p.verdict == "not_shared" for p in check.points) and any(p.status for p in check.points):
        found.append(Finding("no_location", "visit", {"start": check.points[0].status,
                                                       "submit": check.points[1].status}))
    return found


def _photo_findings(session: Session, visit: Visit, mine: list[Photo], settings: ProgrammeSettings,
                    upload_dir: Path | None) -> list[Finding]:
    if not mine:
        return []
    if upload_dir is not None:
        _backfill_hashes(session, mine, upload_dir)
    found: list[Finding] = []
    for photo in mine:
        for other_id, other_visit, sha256, phash in photo_candidates(session, photo, visit.id,
                                                                     settings.similar_photo_bits):
            evidence = {"photo_id": photo.id, "other_photo_id": other_id, "other_visit_id": other_visit,
                        "question": photo.question_key}
            if sha256 == photo.sha256:
                found.append(Finding("duplicate_photo", f"{photo.id}:{other_id}", evidence, other_visit))
            elif photo.phash and phash:
                bits = hash_distance(photo.phash, phash)
                if bits <= settings.similar_photo_bits:
                    found.append(Finding("similar_photo", f"{photo.id}:{other_id}", {**evidence, "bits": bits},
                                         other_visit))
    return found


# Beyond this many flipped bits per band the values to ask for outgrow the index's use (4 x 2,517 at 4 bits, a
# threshold of 16 or more bits: nearly a tenth of all photos match by chance), and the check reads every hash.
MAX_BAND_FLIPS = 3
BAND_BITS = 16


def band_neighbours(value: int, flips: int) -> list[int]:
    """Every 16-bit value at most `flips` bits from `value` (itself included), smallest first."""
    found = {value}
    for count in range(1, flips + 1):
        for positions in combinations(range(BAND_BITS), count):
            mask = 0
            for position in positions:
                mask |= 1 << position
            found.add(value ^ mask)
    return sorted(found)


def photo_candidates(session: Session, photo: Photo, visit_id: int, max_bits: int
                     ) -> list[tuple[int, int, str, str | None]]:
    """The other visits' photos (not voided) that can be the same file or within `max_bits` bits of `photo`'s
    perceptual hash, as (id, visit id, sha256, phash) by id: the same SHA-256, or a hash band within
    max_bits // 4 bits of this photo's (multi-index hashing: when all four 16-bit bands differ in more than
    max_bits // 4 bits, the hashes differ in more than max_bits). Found through the band indexes; a threshold
    above 15 bits reads every stored hash. The caller still measures the distance of each candidate."""
    same_file = Photo.sha256 == photo.sha256
    bands = phash_bands(photo.phash)
    flips = max_bits // PHASH_BANDS
    if bands is None:
        near = None
    elif flips > MAX_BAND_FLIPS:
        near = Photo.phash.is_not(None)
    else:
        columns = (Photo.phash_band0, Photo.phash_band1, Photo.phash_band2, Photo.phash_band3)
        near = or_(*(column.in_(band_neighbours(band, flips)) for column, band in zip(columns, bands)))
    wanted = same_file if near is None else or_(same_file, near)
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(Photo.id, Photo.visit_id, Photo.sha256, Photo.phash)
        .join(Visit, Photo.visit_id == Visit.id)
        .where(Photo.visit_id != visit_id, Visit.status != "voided", wanted)
        .order_by(Photo.id)).all()]


def _backfill_hashes(session: Session, photos: list[Photo], upload_dir: Path) -> None:
    """Photos stored before perceptual hashes were kept get theirs from the stored file."""
    from audit_app.services.photos import photo_paths

    for photo in photos:
        if photo.phash:
            continue
        path = photo_paths(upload_dir, photo.sha256)[0]
        try:
            with Image.open(path) as image:
                photo.phash = perceptual_hash(image)
        except OSError as error:
            log.warning("photo %s has no readable file for its perceptual hash: %s", photo.id, error)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _answer_time(value: Any, start: datetime, end: datetime, zone: ZoneInfo) -> datetime | None:
    """A time question's answer ("14:30") in the store's zone, as UTC, on whichever day around the visit puts it
    nearest the visit (a shopper who entered at 23:50 and left at 00:20 left the next day); None when it does not
    read."""
    if not isinstance(value, str):
        return None
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        return None
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    days = {first - timedelta(days=1), first, last, last + timedelta(days=1)}
    moments = [datetime.combine(day, parsed.replace(tzinfo=None), tzinfo=zone).astimezone(timezone.utc)
               for day in sorted(days)]

    def away(moment: datetime) -> timedelta:
        return max(start - moment, moment - end, timedelta(0))

    return min(moments, key=away)


def _time_findings(session: Session, visit: Visit, store: Store, mine: list[Photo], settings: ProgrammeSettings,
                   answers: Mapping[str, Any] | None, min_minutes: int | None | Literal["read"] = "read"
                   ) -> list[Finding]:
    found: list[Finding] = []
    if visit.submitted_at is None:
        return found
    zone = _zone(store.timezone)
    start, end = visit.started_at, visit.submitted_at
    window = {"started": _local(start, zone), "submitted": _local(end, zone)}
    minutes = (end - start).total_seconds() / 60
    own = min_minutes if min_minutes != "read" else session.scalar(
        select(Checklist.min_minutes).join(ChecklistVersion, ChecklistVersion.checklist_id == Checklist.id)
        .where(ChecklistVersion.id == visit.checklist_version_id))
    # A checklist's own minimum of 0 means "no minimum", not "use the programme's default".
    minimum = own if own is not None else settings.min_visit_minutes
    if minutes < minimum:
        found.append(Finding("too_fast", "visit", {**window, "minutes": round(minutes, 1), "minimum": minimum}))
    slack = timedelta(minutes=settings.time_slack_minutes)
    if answers is None:
        answers = dict(session.execute(select(Answer.question_key, Answer.value).where(
            Answer.visit_id == visit.id, Answer.question_key.in_([settings.entered_question, settings.left_question]),
            Answer.is_na.is_(False))).all())
    left_at = entered_at = None
    for which, key in (("entered", settings.entered_question), ("left", settings.left_question)):
        moment = _answer_time(answers.get(key), start, end, zone)
        if moment is None:
            continue
        if which == "left":
            left_at = moment
        else:
            entered_at = moment
        if moment < start - slack or moment > end + slack:
            found.append(Finding("times_outside", which, {**window, "which": which, "answer": answers[key]}))
    if entered_at is not None and left_at is not None:
        # The shopper's own account of the stay: entered 14:10, left 14:10 is a stay of 0 minutes, however long
        # the phone kept the visit open. Left before entered (each on its nearest day) reads as past midnight.
        stay = (left_at - entered_at).total_seconds() / 60
        if stay < 0:
            stay += 24 * 60
        if stay < minimum:
            found.append(Finding("short_stay", "times", {
                **window, "entered": answers[settings.entered_question], "left": answers[settings.left_question],
                "minutes": round(stay, 1), "minimum": minimum}))
    if end - max(start, left_at or start) > timedelta(hours=settings.late_submit_hours):
        found.append(Finding("late_submit", "visit", {**window, "hours": round((end - start).total_seconds() / 3600,
                                                                                 1),
                                                       "limit": settings.late_submit_hours}))
    overlapping = session.execute(
        select(Visit.id, Visit.started_at, Visit.submitted_at, Store.name).join(Store, Visit.store_id == Store.id)
        .where(Visit.shopper_id == visit.shopper_id, Visit.id != visit.id, Visit.store_id != visit.store_id,
               Visit.status.in_(COUNTED), Visit.submitted_at.is_not(None),
               and_(Visit.started_at < end, Visit.submitted_at > start))
        .order_by(Visit.started_at)).all()
    for other_id, other_start, other_end, other_store in overlapping:
        found.append(Finding("overlap", str(other_id), {
            **window, "other_visit_id": other_id, "other_store": other_store,
            "other_started": _local(other_start, zone), "other_submitted": _local(other_end, zone)}, other_id))
    for photo in mine:
        if photo.taken_at is None:
            continue
        # EXIF times carry no zone: the phone's clock is read as the store's local time.
        taken = photo.taken_at.replace(tzinfo=zone).astimezone(timezone.utc)
        if taken < start - slack or taken > end + slack:
            found.append(Finding("photo_time", str(photo.id), {
                **window, "photo_id": photo.id, "question": photo.question_key,
                "taken": photo.taken_at.strftime("%Y-%m-%d %H:%M")}))
    return found


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def findings_for(session: Session, visit: Visit, settings: ProgrammeSettings, *,
                 upload_dir: Path | None = None, answers: Mapping[str, Any] | None = None,
                 photos: list[Photo] | None = None, channel: str | None = None,
                 min_minutes: int | None | Literal["read"] = "read") -> list[Finding]:
    """Every check's findings for one visit (nothing is written, except perceptual hashes backfilled).
    `answers` (the visit's stored answers), `photos` (its photos by id), `channel` (its checklist's) and
    `min_minutes` (its checklist's shortest plausible visit), when the caller has them, are not read again. A
    phone or online visit has no location findings."""
    if channel is None:
        from audit_app.services.scores.scope import definition_for

        channel = definition_for(session, visit.checklist_version_id).channel
    store = session.get(Store, visit.store_id)
    mine = photos if photos is not None else list(
        session.scalars(select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.id)))
    located = [] if channel in REMOTE_CHANNELS else _location_findings(visit, store, settings)
    return [*located, *_photo_findings(session, visit, mine, settings, upload_dir),
            *_time_findings(session, visit, store, mine, settings, answers, min_minutes)]


def apply_checks(session: Session, visit: Visit, *, now: datetime, settings: ProgrammeSettings | None = None,
                 upload_dir: Path | None = None, answers: Mapping[str, Any] | None = None,
                 photos: list[Photo] | None = None, channel: str | None = None, first: bool = False,
                 min_minutes: int | None | Literal["read"] = "read") -> list[VisitFlag]:
    """Run the checks on `visit` and bring its flags up to date in the caller's transaction (no commit).

    A finding already flagged keeps its row (and its explanation) with fresh evidence; an unexplained flag whose
    finding is gone is deleted; an explained one stays as the record of what was explained. Returns the flags
    the visit now has. `first`: the visit is being submitted for the first time, so it has no flags yet (they
    are not looked for); `answers`, `photos`, `channel` and `min_minutes` as for `findings_for`."""
    settings = settings or get_settings(session)
    found = {(f.kind, f.signature): f for f in findings_for(session, visit, settings, upload_dir=upload_dir,
                                                            answers=answers, photos=photos, channel=channel,
                                                            min_minutes=min_minutes)}
    kept: list[VisitFlag] = []
    existing = () if first else session.scalars(select(VisitFlag).where(VisitFlag.visit_id == visit.id))
    for flag in existing:
        finding = found.pop((flag.kind, flag.signature), None)
        if finding is not None:
            flag.evidence, flag.other_visit_id = finding.evidence, finding.other_visit_id
            kept.append(flag)
        elif flag.explained_at is None:
            session.delete(flag)
        else:
            kept.append(flag)
    for finding in found.values():
        flag = VisitFlag(visit_id=visit.id, kind=finding.kind, signature=finding.signature, evidence=finding.evidence,
                         other_visit_id=finding.other_visit_id, created_at=now, explanation="")
        session.add(flag)
        kept.append(flag)
    session.flush()
    return kept


def check_visit(session: Session, actor: User, visit_id: int, *, now: datetime,
                upload_dir: Path | None = None) -> list[VisitFlag]:
    """Run the checks again on one submitted visit (head office), logged. Raises NotFoundError, FlagError for a
    draft (its checks run when it is submitted)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFoundError(N_("No such visit."))
    if visit.submitted_at is None:
        raise FlagError(N_("A draft is checked when it is submitted."))
    flags = apply_checks(session, visit, now=now, upload_dir=upload_dir)
    audit.record(session, actor=actor, action="visit.check", entity_type="visit", entity_id=visit.id, now=now,
                 after={"flags": sorted(f"{f.kind}:{f.signature}" for f in flags)})
    session.commit()
    return flags


def check_visits(session: Session, actor: User | None, *, now: datetime, since: datetime | None = None,
                 upload_dir: Path | None = None) -> tuple[int, int]:
    """Run the checks on every submitted visit (since `since`, by submit time), committing as it goes.
    Returns (visits checked, flags they now have)."""
    q = select(Visit.id).where(Visit.submitted_at.is_not(None)).order_by(Visit.id)
    if since is not None:
        q = q.where(Visit.submitted_at >= since)
    ids = list(session.scalars(q))
    settings = get_settings(session)
    flags = 0
    for visit_id in ids:
        visit = session.get(Visit, visit_id)
        flags += len(apply_checks(session, visit, now=now, settings=settings, upload_dir=upload_dir))
        session.commit()
    audit.record(session, actor=actor, action="visit.check_all", entity_type="visit", entity_id="*", now=now,
                 after={"visits": len(ids), "flags": flags}, detail=f"{len(ids)} visit(s) checked")
    session.commit()
    return len(ids), flags


def explain_flag(session: Session, actor: User, flag_id: int, explanation: str, *, now: datetime) -> VisitFlag:
    """Mark a flag explained with head office's words, logged. Raises NotFoundError, FlagError (no words)."""
    flag = session.get(VisitFlag, flag_id)
    if flag is None:
        raise NotFoundError(N_("No such flag."))
    explanation = explanation.strip()
    if not explanation:
        raise FlagError(N_("Say why this flag is explained."))
    before = {"explained": flag.explained_at is not None, "explanation": flag.explanation}
    flag.explained_at, flag.explained_by_id, flag.explanation = now, actor.id, explanation
    audit.record(session, actor=actor, action="flag.explain", entity_type="visit", entity_id=flag.visit_id, now=now,
                 before=before, after={"explained": True, "explanation": explanation, "flag": flag.kind},
                 detail=explanation)
    session.commit()
    return flag


# --- reading flags for pages -------------------------------------------------------------------------------------


REASONS = {
    "location": N_("At %(moment)s the phone was %(distance)s m from the store (allowed: %(radius)s m, location "
                   "accurate to %(accuracy)s m)."),
    "no_location": N_("No location was shared at start or at submit."),
    "duplicate_photo": N_("The same photo (identical file) is used in visit #%(other)s."),
    "similar_photo": N_("A nearly identical photo (%(bits)s of 64 bits differ) is used in visit #%(other)s."),
    "too_fast": N_("Completed in %(minutes)s minutes; this checklist takes at least %(minimum)s."),
    "short_stay": N_("The shopper says they were in the store %(minutes)s minutes (entered %(entered)s, left "
                     "%(left)s); this checklist takes at least %(minimum)s."),
    "times_outside": N_("The time the shopper %(which)s (%(answer)s) is outside the visit (%(started)s to "
                        "%(submitted)s)."),
    "overlap": N_("Overlaps the same shopper's visit #%(other)s at %(store)s (%(other_started)s to "
                  "%(other_submitted)s)."),
    "photo_time": N_("A photo was taken at %(taken)s (by the phone's clock), outside the visit (%(started)s to "
                     "%(submitted)s)."),
    "late_submit": N_("Submitted %(hours)s hours after the visit started (flagged after %(limit)s)."),
}
KIND_NAMES = {
    "location": N_("Away from the store"), "no_location": N_("No location"),
    "duplicate_photo": N_("Same photo elsewhere"), "similar_photo": N_("Similar photo elsewhere"),
    "too_fast": N_("Too fast"), "short_stay": N_("Too short in the store"),
    "times_outside": N_("Times outside the visit"),
    "overlap": N_("Overlapping visits"), "photo_time": N_("Photo time outside the visit"),
    "late_submit": N_("Submitted late"),
}
MOMENTS = {"start": Message(N_("start")), "submit": Message(N_("submit"))}
WHICH = {"entered": Message(N_("entered")), "left": Message(N_("left"))}


def reason(kind: str, evidence: dict[str, Any]) -> Message:
    """A flag's reason in words, from its evidence."""
    e = evidence
    params: dict[str, Any] = {
        "location": lambda: {"moment": MOMENTS.get(e.get("moment"), e.get("moment")), "distance": e.get("distance_m"),
                             "radius": e.get("radius_m"),
                             "accuracy": e.get("accuracy_m") if e.get("accuracy_m") is not None else "?"},
        "no_location": dict,
        "duplicate_photo": lambda: {"other": e.get("other_visit_id")},
        "similar_photo": lambda: {"other": e.get("other_visit_id"), "bits": e.get("bits")},
        "too_fast": lambda: {"minutes": e.get("minutes"), "minimum": e.get("minimum")},
        "short_stay": lambda: {"minutes": e.get("minutes"), "minimum": e.get("minimum"), "entered": e.get("entered"),
                               "left": e.get("left")},
        "times_outside": lambda: {"which": WHICH.get(e.get("which"), e.get("which")), "answer": e.get("answer"),
                                  "started": e.get("started"), "submitted": e.get("submitted")},
        "overlap": lambda: {"other": e.get("other_visit_id"), "store": e.get("other_store"),
                            "other_started": e.get("other_started"), "other_submitted": e.get("other_submitted")},
        "photo_time": lambda: {"taken": e.get("taken"), "started": e.get("started"), "submitted": e.get("submitted")},
        "late_submit": lambda: {"hours": e.get("hours"), "limit": e.get("limit")},
    }.get(kind, dict)()
    return message(REASONS.get(kind, N_("Flagged.")), **params)


@dataclass(frozen=True)
class FlagLine:
    id: int
    kind: str
    name: str  # English message id of the kind's name
    reason: Message
    other_visit_id: int | None
    other_visible: bool  # the reader may open the other visit (and see its photo)
    photo_id: int | None
    other_photo_id: int | None
    explained_at: datetime | None
    explained_by: str
    explanation: str


def visit_flags(session: Session, reader: User, visit_id: int) -> tuple[FlagLine, ...]:
    """A visit's flags in words for a reader who may see the visit; the other visit (and its photo) is offered
    only when the reader may see it too. Raises NotFoundError, PermissionDeniedError."""
    access.visit_for(session, reader, visit_id)
    rows = session.execute(
        select(VisitFlag, User.name).outerjoin(User, VisitFlag.explained_by_id == User.id)
        .where(VisitFlag.visit_id == visit_id).order_by(VisitFlag.id)).all()
    others = {flag.other_visit_id for flag, _name in rows if flag.other_visit_id is not None}
    visible = {v.id for v in session.scalars(select(Visit).where(Visit.id.in_(others)))
               if access.can_see_visit(session, reader, v) and not (v.status == "draft"
                                                                    and reader.role == "area_manager")}
    lines = []
    for flag, name in rows:
        e = flag.evidence or {}
        lines.append(FlagLine(flag.id, flag.kind, KIND_NAMES.get(flag.kind, flag.kind), reason(flag.kind, e),
                              flag.other_visit_id, flag.other_visit_id in visible, e.get("photo_id"),
                              e.get("other_photo_id") if flag.other_visit_id in visible else None,
                              flag.explained_at, name or "", flag.explanation or ""))
    return tuple(lines)


@dataclass(frozen=True)
class FlagRecord:
    """How often a shopper's submitted visits were flagged."""

    visits: int
    flagged: int
    open_flags: int  # flags not yet explained

    @property
    def percent(self) -> int:
        return round(100 * self.flagged / self.visits) if self.visits else 0


def shopper_record(session: Session, shopper_id: int) -> FlagRecord:
    """Of a shopper's submitted (not voided) visits, how many carry a flag, and how many flags are unexplained."""
    visits = session.scalar(select(func.count(Visit.id)).where(
        Visit.shopper_id == shopper_id, Visit.submitted_at.is_not(None), Visit.status != "voided")) or 0
    flagged = session.scalar(select(func.count(func.distinct(VisitFlag.visit_id))).join(
        Visit, VisitFlag.visit_id == Visit.id).where(Visit.shopper_id == shopper_id, Visit.status != "voided")) or 0
    open_flags = session.scalar(select(func.count(VisitFlag.id)).join(Visit, VisitFlag.visit_id == Visit.id).where(
        Visit.shopper_id == shopper_id, Visit.status != "voided", VisitFlag.explained_at.is_(None))) or 0
    return FlagRecord(visits, flagged, open_flags)


@dataclass(frozen=True)
class VisitProof:
    """What a visit page shows of proof of visit: the location at start and submit against the store, and the
    visit's flags."""

    location: LocationCheck
    flags: tuple[FlagLine, ...]
    store_timezone: str
    remote: bool = False  # a phone or online visit: where the phone was proves nothing, and is not checked

    @property
    def open_flags(self) -> int:
        return sum(1 for f in self.flags if f.explained_at is None)


def visit_proof(session: Session, reader: User, visit_id: int) -> VisitProof:
    """The location verdicts and flags of a visit the reader may see. Raises NotFoundError,
    PermissionDeniedError."""
    visit = access.visit_for(session, reader, visit_id)
    store = session.get(Store, visit.store_id)
    channel = session.scalar(select(Checklist.channel).join(ChecklistVersion).where(
        ChecklistVersion.id == visit.checklist_version_id))
    return VisitProof(location_check(visit, store, get_settings(session)), visit_flags(session, reader, visit_id),
                      store.timezone, remote=channel in REMOTE_CHANNELS)


def flag_visit_id(session: Session, flag_id: int) -> int:
    """The visit a flag belongs to. Raises NotFoundError."""
    visit_id = session.scalar(select(VisitFlag.visit_id).where(VisitFlag.id == flag_id))
    if visit_id is None:
        raise NotFoundError(N_("No such flag."))
    return visit_id
