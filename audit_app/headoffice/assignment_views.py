"""Head office: assignments (one visit for one shopper, or every store of an area at once) and cancelling them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now, refuse_unless_valid
from audit_app.headoffice.forms import ActionForm, AssignmentForm, BulkAssignmentForm, _choices
from audit_app.i18n import error_text
from audit_app.routing import query_page
from audit_app.services import assignments, checklists, org, people
from audit_app.services.errors import ServiceError


def _assignment_choices(form: Any) -> None:
    form.checklist_id.choices = _choices((c.id, c.title) for c in checklists.assignable_checklists(db.session, lang()))
    if hasattr(form, "store_id"):
        form.store_id.choices = _choices((s.id, f"{s.name} ({s.area_name})")
                                         for s in org.list_stores(db.session, include_inactive=False))
    shoppers = [(p.id, p.name + (f" ({p.region_name})" if p.region_name else ""))
                for p in people.list_people(db.session, role="shopper") if p.is_active]
    if hasattr(form, "shopper_id"):
        form.shopper_id.choices = _choices(shoppers)
    else:
        form.shopper_ids.choices = _choices(shoppers)
        form.area_id.choices = _choices((a.id, f"{a.name} ({a.parent})") for a in org.list_areas(db.session)
                                        if a.is_active)


@bp.route("/assignments", methods=["GET", "POST"], endpoint="assignments")
@head_office
def assignments_page():
    today = now().date()
    single = AssignmentForm(prefix="one", data={"window_start": today, "window_end": today + timedelta(days=14)})
    bulk = BulkAssignmentForm(prefix="bulk", data={"window_start": today, "window_end": today + timedelta(days=14)})
    _assignment_choices(single)
    _assignment_choices(bulk)
    problems: list[str] = []
    plan = None
    if request.method == "POST" and request.form.get("which") == "one":
        if single.validate_on_submit():
            try:
                assignments.create_assignment(db.session, current_user, shopper_id=single.shopper_id.data,
                                              store_id=single.store_id.data, checklist_id=single.checklist_id.data,
                                              window_start=single.window_start.data,
                                              window_end=single.window_end.data, now=now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Assignment created."), "success")
                return redirect(url_for("headoffice.assignments"))
        else:
            problems = [_("Check the fields of the assignment.")]
    elif request.method == "POST" and request.form.get("which") == "bulk":
        if bulk.validate_on_submit():
            chosen = list(bulk.shopper_ids.data or []) or None
            try:
                if bulk.confirm.data == "1":
                    made = assignments.assign_area(db.session, current_user, area_id=bulk.area_id.data,
                                                   checklist_id=bulk.checklist_id.data,
                                                   window_start=bulk.window_start.data,
                                                   window_end=bulk.window_end.data, shopper_ids=chosen, now=now())
                    flash(ngettext("%(num)d assignment created.", "%(num)d assignments created.", len(made)), "success")
                    return redirect(url_for("headoffice.assignments"))
                plan = assignments.plan_area(db.session, area_id=bulk.area_id.data, shopper_ids=chosen)
            except ServiceError as error:
                problems = [error_text(error)]
        else:
            problems = [_("Check the fields of the bulk assignment.")]
    elif request.method == "POST":
        abort(400)
    status = request.args.get("status")
    listed = assignments.list_assignments(db.session, status=status if status in assignments.STATUSES else None,
                                          page=query_page(), lang=lang())
    return render_template("headoffice/assignments.html", single=single, bulk=bulk, plan=plan, problems=problems,
                           listed=listed, action=ActionForm()), (422 if problems else 200)


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@head_office
def cancel_assignment(assignment_id: int):
    refuse_unless_valid(ActionForm())
    try:
        assignments.cancel_assignment(db.session, current_user, assignment_id, now=now())
    except assignments.AssignmentError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Assignment cancelled."), "success")
    return redirect(url_for("headoffice.assignments"))
