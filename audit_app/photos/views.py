from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from audit_app.authz import get_visit_or_abort
from audit_app.extensions import db
from audit_app.models import Photo, Visit
from audit_app.photos import bp
from audit_app.services.photos import photo_paths


def _is_draft(visit_id: int) -> bool:
    return db.session.scalar(select(Visit.status).where(Visit.id == visit_id)) == "draft"


@bp.route("/photos/<int:photo_id>/<any(full, thumb):variant>.jpg")
@login_required
def image(photo_id: int, variant: str):
    """A visit photo, only for people who may see that visit."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    # A draft is the shopper's own until it is submitted: its page is 404 to area managers, so is its photo.
    if current_user.role == "area_manager" and _is_draft(photo.visit_id):
        abort(404)
    get_visit_or_abort(db.session, current_user, photo.visit_id)
    full, thumb = photo_paths(Path(current_app.config["UPLOAD_DIR"]), photo.sha256)
    path = full if variant == "full" else thumb
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0, etag=True, conditional=True)
    # Private: a shared cache must never hand one shopper's photo to somebody else.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
