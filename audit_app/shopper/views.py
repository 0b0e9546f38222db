from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template
from flask_login import current_user

from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.services import scorecards, visits
from audit_app.shopper import bp


@bp.route("/")
@role_required("shopper")
def home():
    today = datetime.now(timezone.utc).date()
    rows = scorecards.list_visit_rows(db.session, shopper_id=current_user.id, limit=30)
    return render_template(
        "shopper/home.html",
        assignments=visits.list_open_assignments(db.session, current_user.id, today),
        in_progress=[v for v in rows if v.status in ("draft", "returned")],
        submitted=[v for v in rows if v.status not in ("draft", "returned")],
    )
