"""Visit photos, sent only to people who may see their visit."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, send_file
from flask_login import current_user, login_required

from audit_app.extensions import db
from audit_app.photos import bp
from audit_app.services import photos


@bp.route("/photos/<int:photo_id>/<any(full, thumb):variant>.jpg")
@login_required
def image(photo_id: int, variant: str):
    """A visit photo, only for people who may see that visit."""
    path = photos.photo_file_for(db.session, current_user, photo_id, variant,
                                 upload_dir=Path(current_app.config["UPLOAD_DIR"]))
    response = send_file(path, mimetype="image/jpeg", max_age=0, etag=True, conditional=True)
    # Private: a shared cache must never hand one shopper's photo to somebody else.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
