"""Head office: visit plans (define, preview, generate now, the calendar) and shoppers' unavailable dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now, refuse_unless_valid
from audit_app.headoffice.forms import ActionForm, HeadUnavailableForm, PlanForm, _choices
from audit_app.i18n import error_text
from audit_app.services import checklists, org, people, plans
from audit_app.services.errors import NotFoundError, ServiceError


def _plan_or_404(plan_id: int) -> Any:
    try:
        return plans.get_plan(db.session, plan_id)
    except NotFoundError:
        abort(404)


def _plan_choices(form: PlanForm, keep: int | None = None) -> None:
    form.checklist_id.choices = _choices((c.id, c.title) for c in checklists.assignable_checklists(
        db.session, lang(), keep=keep))
    form.region_id.choices = _choices([(0, "—")] + [(r.id, r.name) for r in org.list_regions(db.session)
                                                    if r.is_active])
    form.area_id.choices = _choices([(0, "—")] + [(a.id, f"{a.name} ({a.parent})")
                                                  for a in org.list_areas(db.session) if a.is_active])


def _waves(text: str) -> list[tuple[date, date]] | None:
    """Waves from 'first, last' lines; None when a line is not two dates."""
    found = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        try:
            found.append((date.fromisoformat(parts[0]), date.fromisoformat(parts[1])))
        except (ValueError, IndexError):
            return None
    return found


def _settings(form: PlanForm) -> plans.PlanSettings | None:
    waves = _waves(form.waves.data)
    if waves is None:
        form.waves.errors = [_("Write each wave as two dates: first day, last day (YYYY-MM-DD).")]
        return None
    return plans.PlanSettings(
        name=form.name.data.strip(), checklist_id=form.checklist_id.data, scope=form.scope.data,
        region_id=form.region_id.data or None, area_id=form.area_id.data or None, frequency=form.frequency.data,
        every_weeks=form.every_weeks.data or 4, waves=waves, starts_on=form.starts_on.data,
        window_days=form.window_days.data, lead_days=form.lead_days.data, lockout_days=form.lockout_days.data,
        no_repeat_shopper=form.no_repeat_shopper.data, home_region_only=form.home_region_only.data,
        reassign_missed=form.reassign_missed.data)


@bp.route("/plans", methods=["GET", "POST"])
@head_office
def plans_page():
    form = PlanForm(data={"starts_on": now().date() + timedelta(days=1)})
    _plan_choices(form)
    problems: list[str] = []
    if request.method == "POST":
        settings = _settings(form) if form.validate_on_submit() else None
        if settings is not None:
            try:
                plan = plans.create_plan(db.session, current_user, settings, now=now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Visit plan created. Check the preview, then generate its assignments."), "success")
                return redirect(url_for("headoffice.plan", plan_id=plan.id))
        else:
            problems = [_("Check the fields of the plan.")]
    return render_template("headoffice/plans.html", form=form, problems=problems,
                           rows=plans.list_plans(db.session, lang=lang())), (422 if problems else 200)


@bp.route("/plans/<int:plan_id>", methods=["GET"])
@head_office
def plan(plan_id: int):
    item = _plan_or_404(plan_id)
    today = now().date()
    preview: list[plans.ProposedAssignment] = []
    # Without a published version, generating is refused: say so instead of previewing what cannot be made.
    ready = checklists.has_published_version(db.session, item.checklist_id)
    if item.is_active and ready:
        preview = plans.preview_plan(db.session, plan_id, today=today)
    return render_template("headoffice/plan.html", plan=item, preview=preview, today=today, ready=ready,
                           names=plans.plan_names(db.session, item, lang()),
                           calendar=plans.plan_calendar(db.session, plan_id, today=today), action=ActionForm())


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@head_office
def edit_plan(plan_id: int):
    item = _plan_or_404(plan_id)
    form = PlanForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.waves.data = "\n".join(f"{a}, {b}" for a, b in item.waves or [])
        form.region_id.data, form.area_id.data = item.region_id or 0, item.area_id or 0
    _plan_choices(form, keep=item.checklist_id)
    problems: list[str] = []
    if request.method == "POST":
        settings = _settings(form) if form.validate_on_submit() else None
        if settings is not None:
            try:
                plans.update_plan(db.session, current_user, plan_id, settings, is_active=form.is_active.data,
                                  now=now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Visit plan saved."), "success")
                return redirect(url_for("headoffice.plan", plan_id=plan_id))
        else:
            problems = [_("Check the fields of the plan.")]
    return render_template("headoffice/edit_plan.html", form=form, plan=item, problems=problems), \
        (422 if problems else 200)


@bp.route("/plans/<int:plan_id>/generate", methods=["POST"])
@head_office
def generate_plan(plan_id: int):
    _plan_or_404(plan_id)
    refuse_unless_valid(ActionForm())
    try:
        result = plans.generate_plan(db.session, current_user, plan_id, now=now())
    except ServiceError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Assignments created: %(created)d. Visits without an eligible shopper: %(unassigned)d. "
                "Missed windows: %(missed)d. Re-assigned: %(reassigned)d.", created=result.created,
                unassigned=result.unassigned, missed=result.missed, reassigned=result.reassigned), "success")
    return redirect(url_for("headoffice.plan", plan_id=plan_id))


@bp.route("/unavailable", methods=["GET", "POST"])
@head_office
def unavailable():
    form = HeadUnavailableForm()
    form.shopper_id.choices = _choices((p.id, p.name) for p in people.list_people(db.session, role="shopper")
                                       if p.is_active)
    problems: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                plans.add_unavailable(db.session, current_user, user_id=form.shopper_id.data,
                                      starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                      note=form.note.data or "", now=now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Unavailable dates saved."), "success")
                return redirect(url_for("headoffice.unavailable"))
        else:
            problems = [_("Check the dates.")]
    return render_template("headoffice/unavailable.html", form=form, problems=problems, action=ActionForm(),
                           rows=plans.list_all_unavailable(db.session, since=now().date())), \
        (422 if problems else 200)


@bp.route("/unavailable/<int:row_id>/delete", methods=["POST"])
@head_office
def remove_unavailable(row_id: int):
    refuse_unless_valid(ActionForm())
    try:
        plans.remove_unavailable(db.session, current_user, row_id, now=now())
    except NotFoundError:
        abort(404)
    flash(_("Unavailable dates removed."), "success")
    return redirect(url_for("headoffice.unavailable"))
