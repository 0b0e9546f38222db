"""Head office: the programme's settings and the audit log of who changed what."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.form_fields import MAX_YEAR, MIN_YEAR
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now
from audit_app.headoffice.forms import THRESHOLDS, SettingsForm
from audit_app.routing import query_id, query_page
from audit_app.mail.render import render_message
from audit_app.mail.transport import SmtpUrlError, parse_smtp_url
from audit_app.services import history, notifications
from audit_app.services.paging import page_of
from audit_app.services import settings as settings_service


@bp.route("/settings", methods=["GET", "POST"])
@head_office
def settings():
    current = settings_service.get_settings(db.session)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        settings_service.update_settings(db.session, current_user, {
            "review_required": bool(form.review_required.data),
            "show_shopper_to_managers": bool(form.show_shopper_to_managers.data),
            "min_visits_for_figures": int(form.min_visits_for_figures.data),
            "agreement_window_days": int(form.agreement_window_days.data),
            # A threshold left empty keeps its current value.
            **{name: int(form[name].data) for name in THRESHOLDS if form[name].data is not None},
            **{name: form[name].data.strip() for name in ("entered_question", "left_question")
               if form[name].data is not None and name in request.form}}, now=now())
        flash(_("Settings saved."), "success")
        return redirect(url_for("headoffice.settings"))
    config = current_app.config["STORECHECK_CONFIG"]
    outbox, counts = notifications.list_outbox(db.session)
    return render_template("headoffice/settings.html", form=form, outbox=outbox, outbox_counts=counts,
                           smtp=_smtp_display(config.smtp_url), mail_from=config.mail_from,
                           thresholds=THRESHOLDS)


def _smtp_display(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return parse_smtp_url(url).display
    except SmtpUrlError:
        return _("SMTP_URL is not understood: use smtp://, smtps:// or smtp+starttls://")


@bp.route("/outbox/<int:message_id>")
@head_office
def outbox_message(message_id: int):
    message = notifications.get_outbox_message(db.session, message_id)
    email = render_message(current_app._get_current_object(), message, current_app.config["STORECHECK_CONFIG"],
                           with_secret=False)
    text = email.get_body(("plain",))
    return render_template("headoffice/outbox_message.html", message=message, email=email,
                           label=notifications.KINDS[message.kind].label if message.kind in notifications.KINDS
                           else message.kind, text=text.get_content() if text is not None else "")


@bp.route("/audit-log")
@head_office
def audit_log():
    kind = request.args.get("kind", "")
    actor_id = query_id("actor")
    since = _date_arg("since")
    until = _date_arg("until")
    filters = {"kind": kind, "actor_id": actor_id, "since": since, "until": until, "day_zone": _app_zone()}
    page, pages, shown = page_of(history.count_entries(db.session, **filters), query_page(),
                                 history.ENTRIES_PER_PAGE)
    args = {k: v for k, v in {"kind": kind, "actor": actor_id, "since": since, "until": until}.items() if v}
    return render_template("headoffice/audit_log.html",
                           entries=history.list_entries(db.session, **filters, offset=shown.start,
                                                        limit=history.ENTRIES_PER_PAGE, lang=lang()),
                           kinds=history.KINDS, kind=kind, actor_id=actor_id, since=since, until=until,
                           actors=history.list_actors(db.session), page=page, pages=pages, args=args)


def _app_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["STORECHECK_CONFIG"].default_timezone)


def _date_arg(name: str) -> date | None:
    """A date of the query string; None for one that does not read or lies outside the years forms take."""
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None
