"""Photos taken during a visit: checked by content, re-encoded without location data, stored by hash."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit_app.models import Action, Photo, User
from audit_app.services import access
from audit_app.services.errors import N_, NotFoundError, ServiceError

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; anything larger is refused before decoding
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO", "HEIF"}
LONG_EDGE = 2048
THUMB_EDGE = 320
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_IFD = 0x8769


log = logging.getLogger(__name__)


class PhotoError(ServiceError):
    pass


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a full disk must never leave a truncated photo behind."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    sha256: str
    width: int
    height: int
    taken_at: datetime | None
    phash: str | None = None  # perceptual hash (services.fraud.perceptual_hash) of the stored picture


def _taken_at(image: Image.Image) -> datetime | None:
    raw = image.getexif().get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    try:
        # EXIF times carry no zone: the phone's clock is kept as written and labelled UTC.
        return datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def clean_image(data: bytes) -> CleanImage:
    """Check that `data` is a photo and re-encode it as JPEG without metadata, plus a thumbnail.

    Raises PhotoError in plain words for an empty, oversized, unreadable, non-image or too-large-in-pixels file.
    """
    if not data:
        raise PhotoError(N_("The photo is empty. Please take it again."))
    if len(data) > MAX_BYTES:
        raise PhotoError(N_("The photo is larger than %(mb)s MB. Please take a smaller one."),
                         mb=MAX_BYTES // (1024 * 1024))
    too_big = N_("This image has too many pixels to be a photo. Please take it again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(too_big) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise PhotoError(N_("This file is not a photo we can read (use JPEG, PNG or WebP).")) from None
    try:
        with probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoError(N_("This file is not a photo we can read (use JPEG, PNG or WebP)."))
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoError(too_big)
            taken_at = _taken_at(probe)
            probe.load()
            image = ImageOps.exif_transpose(probe).convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoError(N_("This file is not a photo we can read (use JPEG, PNG or WebP).")) from None
    image.thumbnail((LONG_EDGE, LONG_EDGE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=80, optimize=True)
    stored = out.getvalue()
    from audit_app.services.fraud import perceptual_hash

    return CleanImage(data=stored, thumbnail=thumb_out.getvalue(), sha256=hashlib.sha256(stored).hexdigest(),
                      width=image.width, height=image.height, taken_at=taken_at, phash=perceptual_hash(image))


def photo_paths(upload_dir: Path, sha256: str) -> tuple[Path, Path]:
    """Where a photo and its thumbnail live: fanned out by the first two hex digits of the hash."""
    folder = upload_dir / sha256[:2]
    return folder / f"{sha256}.jpg", folder / f"{sha256}.thumb.jpg"


PHOTO_VARIANTS = ("full", "thumb")


def photo_file_for(session: Session, user: User, photo_id: int, variant: str, *, upload_dir: Path) -> Path:
    """The JPEG file of a visit photo ("full" or "thumb") for a reader who may see its visit (access.visit_for).
    Raises NotFoundError (no such photo, or its file is gone) and PermissionDeniedError."""
    photo = session.get(Photo, photo_id)
    if photo is None or variant not in PHOTO_VARIANTS:
        raise NotFoundError(N_("No such visit."))
    access.visit_for(session, user, photo.visit_id)
    full, thumb = photo_paths(upload_dir, photo.sha256)
    path = full if variant == "full" else thumb
    if not path.exists():
        raise NotFoundError(N_("No such visit."))
    return path


def store_files(upload_dir: Path, clean: CleanImage) -> Path:
    """Write a cleaned photo and its thumbnail under `upload_dir` (once per picture); returns the photo's path.
    Raises OSError when they cannot be written."""
    full, thumb = photo_paths(upload_dir, clean.sha256)
    full.parent.mkdir(parents=True, exist_ok=True)
    if not (full.exists() and thumb.exists()):
        _write_atomically(thumb, clean.thumbnail)
        _write_atomically(full, clean.data)
    return full


def store_photo(session: Session, visit_id: int, question_key: str, clean: CleanImage, *, upload_dir: Path,
                now: datetime) -> Photo:
    """Write a cleaned photo's files and add its row to the session, without committing (the caller's
    transaction decides). The same picture for the same question returns the row already stored.
    Raises PhotoError when the files cannot be written."""
    existing = session.scalar(select(Photo).where(Photo.visit_id == visit_id, Photo.sha256 == clean.sha256,
                                                  Photo.question_key == question_key))
    if existing is not None:
        return existing
    # Written before the row commits: a crash leaves an orphan file, never a row without its file.
    try:
        full = store_files(upload_dir, clean)
    except OSError as error:
        log.error("photo for visit %s not stored: %s", visit_id, error)
        raise PhotoError(N_("The photo could not be saved on the server. Your other answers are saved; "
                            "please add the photo again later.")) from None
    photo = Photo(visit_id=visit_id, question_key=question_key, filename=full.name, sha256=clean.sha256,
                  content_type="image/jpeg", width=clean.width, height=clean.height,
                  size_bytes=len(clean.data), taken_at=clean.taken_at, phash=clean.phash, created_at=now)
    session.add(photo)
    session.flush()
    return photo


def discard_unused_files(session: Session, upload_dir: Path, sha256s: list[str]) -> None:
    """Delete the files of photos no row names any more (a removed photo); one still used elsewhere stays."""
    for sha256 in sha256s:
        if session.scalar(select(Photo.id).where(Photo.sha256 == sha256).limit(1)) is not None:
            continue
        # The same picture may be a corrective action's evidence too.
        if session.scalar(select(Action.id).where(Action.evidence_sha256 == sha256).limit(1)) is not None:
            continue
        for path in photo_paths(upload_dir, sha256):
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                log.warning("removed photo's file %s not deleted: %s", path.name, error)
    session.rollback()


def add_photo(
    session: Session, user: User, visit_id: int, question_key: str, data: bytes, *, upload_dir: Path,
    now: datetime,
) -> Photo:
    """Store a photo for a question of the shopper's own draft visit (without answering the question).
    Raises PhotoError, NotFoundError, PermissionDeniedError."""
    from audit_app.services import visits  # visits saves sections with photos through this module

    try:
        visits.own_draft(session, user, visit_id)
    except visits.VisitError as error:
        raise PhotoError(error.message, **error.params) from None
    photo = store_photo(session, visit_id, question_key, clean_image(data), upload_dir=upload_dir, now=now)
    session.commit()
    return photo
