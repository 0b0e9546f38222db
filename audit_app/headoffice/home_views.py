"""Head office: the home page (every area's figures, the checklists, the visits waiting for review)."""

from __future__ import annotations

from flask import render_template

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now
from audit_app.services import checklists, review, webhooks
from audit_app.services.settings import get_settings
from audit_app.services.scores import home as score_home
from audit_app.services.scores.scope import make_period

PERIOD_DAYS = 90


@bp.route("/")
@head_office
def home():
    period = make_period(now(), PERIOD_DAYS)
    return render_template("headoffice/home.html", period_days=PERIOD_DAYS,
                           areas=score_home.list_area_summaries(db.session, None, period=period, lang=lang()),
                           checklists=checklists.list_checklists(db.session, lang()),
                           waiting=review.count_visits(db.session),
                           review_required=get_settings(db.session).review_required,
                           webhooks_off=webhooks.count_turned_off(db.session))
