from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template
from flask_login import current_user

from audit_app.authz import get_store_or_abort, managed_area_ids, role_required
from audit_app.extensions import db
from audit_app.manager import bp
from audit_app.services import scorecards

PERIOD_DAYS = 90


@bp.route("/")
@role_required("area_manager", "head_office")
def home():
    area_ids = None if current_user.role == "head_office" else managed_area_ids(db.session, current_user)
    since = scorecards.period_start(datetime.now(timezone.utc).date(), PERIOD_DAYS)
    areas = scorecards.list_area_rows(db.session, area_ids, since)
    store_ids = None if area_ids is None else scorecards.store_ids_in_areas(db.session, area_ids)
    return render_template("manager/home.html", areas=areas, period_days=PERIOD_DAYS,
                           stores=scorecards.list_store_rows(db.session, store_ids))


@bp.route("/stores/<int:store_id>")
@role_required("area_manager", "head_office")
def store(store_id: int):
    store = get_store_or_abort(db.session, current_user, store_id)
    row = scorecards.list_store_rows(db.session, [store.id])[0]
    return render_template("manager/store.html", store=row,
                           visits=scorecards.list_visit_rows(db.session, store_id=store.id))
