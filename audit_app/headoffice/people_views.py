"""Head office: people (the list, one person's account, roles and places, and the CSV import)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import csv_import, head_office, now
from audit_app.headoffice.forms import ActionForm, PersonForm, _choices
from audit_app.i18n import error_text
from audit_app.services import fraud, org, people
from audit_app.services.errors import ServiceError


@bp.route("/people", endpoint="people")
@head_office
def people_page():
    search, role = request.args.get("q", ""), request.args.get("role", "")
    return render_template("headoffice/people.html", people=people.list_people(db.session, search=search, role=role),
                           search=search, role=role, action=ActionForm())


@bp.route("/people/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@head_office
def edit_person(user_id: int | None):
    current = people.get_person(db.session, user_id) if user_id is not None else None
    form = PersonForm(obj=current)
    form.areas.choices = _choices((a.code, f"{a.name} ({a.parent})") for a in org.list_areas(db.session))
    form.stores.choices = _choices((s.code, f"{s.name} ({s.code}, {s.area_name})") for s in org.list_stores(db.session))
    regions = org.list_regions(db.session)
    form.region.choices = _choices([("", "—")] + [(r.code, r.name) for r in regions])
    if request.method == "GET" and current is not None:
        form.areas.data = list(current.area_codes)
        form.stores.data = list(current.store_codes)
        form.region.data = next((r.code for r in regions if r.id == current.region_id), "")
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            people.save_person(db.session, current_user, user_id=user_id, email=form.email.data, name=form.name.data,
                               role=form.role.data, locale=form.locale.data, area_codes=list(form.areas.data or []),
                               region_code=form.region.data or "", password=form.password.data or "", now=now(),
                               password_hash_method=_hash_method(), store_codes=list(form.stores.data or []))
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("headoffice.people"))
    record = fraud.shopper_record(db.session, current.id) if current is not None and current.role == "shopper" \
        else None
    return render_template("headoffice/edit_person.html", form=form, person=current, problems=problems,
                           record=record), \
        (422 if request.method == "POST" else 200)


@bp.route("/people/import", methods=["GET", "POST"])
@head_office
def import_people():
    return csv_import("people", lambda text, dry: people.import_people(db.session, current_user, text, now=now(),
                                                                       dry_run=dry, password_hash_method=_hash_method()))


def _hash_method() -> str:
    """The configured password hash method: people head office adds get it, as those the CLI adds do."""
    return current_app.config["STORECHECK_CONFIG"].password_hash_method
