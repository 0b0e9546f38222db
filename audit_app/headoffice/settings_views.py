"""Head office: the programme's settings and the audit log of who changed what."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now
from audit_app.headoffice.forms import SettingsForm
from audit_app.routing import query_id
from audit_app.services import history, people
from audit_app.services import settings as settings_service


@bp.route("/settings", methods=["GET", "POST"])
@head_office
def settings():
    current = settings_service.get_settings(db.session)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        settings_service.update_settings(db.session, current_user, {
            "review_required": bool(form.review_required.data),
            "show_shopper_to_managers": bool(form.show_shopper_to_managers.data)}, now=now())
        flash(_("Settings saved."), "success")
        return redirect(url_for("headoffice.settings"))
    return render_template("headoffice/settings.html", form=form)


@bp.route("/audit-log")
@head_office
def audit_log():
    kind = request.args.get("kind", "")
    actor_id = query_id("actor")
    since = _date_arg("since")
    until = _date_arg("until")
    return render_template("headoffice/audit_log.html",
                           entries=history.list_entries(db.session, kind=kind, actor_id=actor_id, since=since,
                                                        until=until, day_zone=_app_zone(), lang=lang()),
                           kinds=history.KINDS, kind=kind, actor_id=actor_id, since=since, until=until,
                           actors=people.list_people(db.session, role="head_office"))


def _app_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["STORECHECK_CONFIG"].default_timezone)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
