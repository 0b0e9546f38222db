from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_file
from flask_login import current_user, login_required

from audit_app.extensions import db
from audit_app.models import Photo
from audit_app.photos import bp
from audit_app.services.access import visit_for
from audit_app.services.photos import photo_paths


@bp.route("/photos/<int:photo_id>/<any(full, thumb):variant>.jpg")
@login_required
def image(photo_id: int, variant: str):
    """A visit photo, only for people who may see that visit."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    visit_for(db.session, current_user, photo.visit_id)
    full, thumb = photo_paths(Path(current_app.config["UPLOAD_DIR"]), photo.sha256)
    path = full if variant == "full" else thumb
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0, etag=True, conditional=True)
    # Private: a shared cache must never hand one shopper's photo to somebody else.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
