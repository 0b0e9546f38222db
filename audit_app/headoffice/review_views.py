"""Head office: the review queue (paged, filtered, several approved at once) and the review of one visit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from audit_app.extensions import db
from audit_app.models import FLAG_KINDS
from audit_app.headoffice import bp
from audit_app.headoffice.forms import ActionForm, ApproveVisitsForm, DecisionForm, ExplainFlagForm, FilterQueueForm, _choices
from audit_app.headoffice.common import head_office, now, refuse_unless_valid
from audit_app.i18n import error_text
from audit_app.manager.wording import report_labels
from audit_app.services import checklists, fraud, org, review
from audit_app.services import settings as settings_service
from audit_app.routing import is_id
from audit_app.services.errors import ServiceError


def _day_start(day: date | None) -> datetime | None:
    """Midnight of `day` where the reader's dates are shown, so the filter matches the dates on the page."""
    return None if day is None else datetime.combine(day, time.min, tzinfo=get_timezone())


def _queue_filter(form: FilterQueueForm) -> review.QueueFilter:
    form.validate()

    def value(field: Any) -> Any:
        return None if field.errors else field.data

    for field in (form.checklist, form.area):  # beyond what an id can be: that filter is off, as on the dashboards
        if field.data is not None and not is_id(field.data):
            field.data = 0

    until = value(form.until)
    return review.QueueFilter(
        status=value(form.status) if value(form.status) in review.QUEUE_STATUSES else "submitted",
        checklist_id=value(form.checklist) or None, area_id=value(form.area) or None,
        since=_day_start(value(form.since)), until=_day_start(until + timedelta(days=1) if until else None),
        critical_only=bool(form.critical.data),
        flag=form.flag.data if form.flag.data in ("open", *FLAG_KINDS) else "",
        sort="flags" if form.sort.data == "flags" else "")


def _filter_args(form: FilterQueueForm, wanted: review.QueueFilter) -> dict[str, Any]:
    """The query string that shows this queue again (page links, and back after approving)."""
    args: dict[str, Any] = {"status": wanted.status}
    if wanted.checklist_id:
        args["checklist"] = wanted.checklist_id
    if wanted.area_id:
        args["area"] = wanted.area_id
    for name in ("since", "until"):
        field = form[name]
        if field.data and not field.errors:
            args[name] = field.data.isoformat()
    if wanted.critical_only:
        args["critical"] = "y"
    if wanted.flag:
        args["flag"] = wanted.flag
    if wanted.sort:
        args["sort"] = wanted.sort
    return args


@bp.route("/review")
@head_office
def review_queue():
    form = FilterQueueForm(request.args)
    form.checklist.choices = _choices([(0, _("Every checklist"))] + [
        (c.id, c.title) for c in checklists.assignable_checklists(db.session, str(get_locale() or "en"))])
    form.area.choices = _choices([(0, _("Every area"))] + [(a.id, f"{a.name} ({a.parent})")
                                                           for a in org.list_areas(db.session)])
    form.flag.choices = _choices([("", _("Any visit")), ("open", _("With an unexplained flag"))] + [
        (kind, _(fraud.KIND_NAMES[kind])) for kind in FLAG_KINDS])
    wanted = _queue_filter(form)
    queue = review.list_queue(db.session, wanted, page=form.page.data if not form.page.errors and form.page.data
                              else 1, lang=str(get_locale() or "en"))
    args = _filter_args(form, wanted)
    return render_template("headoffice/review_queue.html", queue=queue, rows=queue.rows, status=wanted.status,
                           form=form, args=args, filtered=len(args) > 1, approve=ApproveVisitsForm(),
                           settings=settings_service.get_settings(db.session), kind_names=fraud.KIND_NAMES)


def _seen(values: list[str]) -> dict[int, str]:
    seen: dict[int, str] = {}
    for value in values:
        visit_id, _sep, stamp = value.partition("@")
        if not visit_id.isdigit() or not stamp:
            abort(400)
        seen[int(visit_id)] = stamp
    return seen


def _names(visits: tuple[review.VisitName, ...]) -> str:
    return _(", ").join(f"{v.store_name} #{v.id}" for v in visits)


@bp.route("/review/approve", methods=["POST"])
@head_office
def approve_visits():
    form = ApproveVisitsForm()
    if not form.validate_on_submit():
        abort(400)
    back = request.form.get("back", "")
    target = back if back.startswith("/") and not back.startswith("//") else url_for("headoffice.review_queue")
    try:
        result = review.approve_visits(db.session, current_user, _seen(form.visits.data or []), now=now())
    except ServiceError as error:
        flash(error_text(error), "error")
        return redirect(target)
    if result.approved:
        flash(ngettext("%(num)d visit approved: %(names)s.", "%(num)d visits approved: %(names)s.",
                       len(result.approved), names=_names(result.approved)), "success")
    if result.skipped:
        flash(_("Skipped because they changed after you opened the page (check them again): %(names)s.",
                names=_names(result.skipped)), "error")
    return redirect(target)


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@head_office
def review_visit(visit_id: int):
    form = DecisionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            review.decide(db.session, current_user, visit_id, form.decision.data, note=form.note.data or "",
                          now=now())
        except review.ReviewError as error:
            problems = [error_text(error)]
        else:
            flash({"approve": _("Visit approved."), "return": _("Visit returned to the shopper."),
                   "void": _("Visit voided.")}[form.decision.data], "success")
            return redirect(url_for("headoffice.review_queue"))
    detail = review.get_visit(db.session, visit_id, lang=str(get_locale() or "en"), labels=report_labels())
    form.decision.choices = [c for c in form.decision.choices if c.value in detail.allowed]
    refused = request.method == "POST"  # a decision that was recorded redirected above
    return render_template("headoffice/review_visit.html", visit=detail, form=form, problems=problems,
                           proof=fraud.visit_proof(db.session, current_user, visit_id), check=ActionForm()), \
        (422 if refused else 200)


@bp.route("/visits/<int:visit_id>/check", methods=["POST"])
@head_office
def check_visit(visit_id: int):
    refuse_unless_valid(ActionForm())
    try:
        flags = fraud.check_visit(db.session, current_user, visit_id, now=now(),
                                  upload_dir=Path(current_app.config["UPLOAD_DIR"]))
    except fraud.FlagError as error:
        flash(error_text(error), "error")
    else:
        flash(ngettext("Checks run again: %(num)d flag.", "Checks run again: %(num)d flags.", len(flags)), "success")
    return redirect(url_for("headoffice.review_visit", visit_id=visit_id) + "#flags")


@bp.route("/flags/<int:flag_id>/explain", methods=["POST"])
@head_office
def explain_flag(flag_id: int):
    form = ExplainFlagForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
    try:
        flag = fraud.explain_flag(db.session, current_user, flag_id, form.explanation.data or "", now=now())
    except fraud.FlagError as error:
        visit_id = fraud.flag_visit_id(db.session, flag_id)
        flash(error_text(error), "error")
        return redirect(url_for("headoffice.review_visit", visit_id=visit_id) + "#flags")
    flash(_("Flag marked as explained."), "success")
    return redirect(url_for("headoffice.review_visit", visit_id=flag.visit_id) + "#flags")
