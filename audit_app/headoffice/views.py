from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template

from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.services import checklists, scorecards
from audit_app.services import users as user_service

PERIOD_DAYS = 90


@bp.route("/")
@role_required("head_office")
def home():
    since = scorecards.period_start(datetime.now(timezone.utc).date(), PERIOD_DAYS)
    return render_template("headoffice/home.html", period_days=PERIOD_DAYS,
                           areas=scorecards.list_area_rows(db.session, None, since),
                           checklists=checklists.list_checklists(db.session))


@bp.route("/people")
@role_required("head_office")
def people():
    return render_template("headoffice/people.html", people=user_service.list_users(db.session))
