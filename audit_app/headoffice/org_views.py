"""Head office: places (regions, areas, stores), their CSV import, and switching any of them (or a person) on or off."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import csv_import, head_office, now, refuse_unless_valid
from audit_app.headoffice.forms import ActionForm, AreaForm, RegionForm, StoreForm, _choices
from audit_app.i18n import error_text
from audit_app.services import org
from audit_app.services import csv_import as store_csv
from audit_app.services.errors import ServiceError


@bp.route("/stores")
@head_office
def stores():
    search = request.args.get("q", "")
    return render_template("headoffice/stores.html", stores=org.list_stores(db.session, search=search),
                           search=search, action=ActionForm())


@bp.route("/stores/new", methods=["GET", "POST"], defaults={"store_id": None})
@bp.route("/stores/<int:store_id>", methods=["GET", "POST"])
@head_office
def edit_store(store_id: int | None):
    current = org.get_store(db.session, store_id) if store_id is not None else None
    form = StoreForm(obj=current)
    form.area_id.choices = _choices([(a.id, f"{a.name} ({a.parent})") for a in org.list_areas(db.session)
                                     if a.is_active or (current and current.area_id == a.id)])
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            org.save_store(db.session, current_user, store_id=store_id, code=form.code.data, name=form.name.data,
                              area_id=form.area_id.data, city=form.city.data or "", address=form.address.data or "",
                              timezone=form.timezone.data.strip(), now=now(), latitude=form.latitude.data,
                              longitude=form.longitude.data, radius_m=form.radius_m.data)
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Store saved."), "success")
            return redirect(url_for("headoffice.stores"))
    status = 422 if request.method == "POST" else 200
    return render_template("headoffice/edit_store.html", form=form, store=current, problems=problems), status


@bp.route("/<any(region, area, store, user):kind>/<int:item_id>/active", methods=["POST"])
@head_office
def set_active(kind: str, item_id: int):
    refuse_unless_valid(ActionForm())
    active = request.form.get("active") == "1"
    try:
        org.set_active(db.session, current_user, kind, item_id, active, now=now())
    except org.OrgError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Reactivated.") if active else _("Deactivated."), "success")
    back = {"region": "headoffice.places", "area": "headoffice.places", "store": "headoffice.stores",
            "user": "headoffice.people"}[kind]
    return redirect(url_for(back))


@bp.route("/stores/import", methods=["GET", "POST"])
@head_office
def import_stores():
    return csv_import("stores", lambda text, dry: store_csv.import_stores(db.session, text, now=now(),
                                                                            actor=current_user, dry_run=dry))


@bp.route("/places", methods=["GET", "POST"])
@head_office
def places():
    region_form = RegionForm(prefix="region")
    area_form = AreaForm(prefix="area")
    regions = org.list_regions(db.session)
    area_form.region_id.choices = _choices((r.id, r.name) for r in regions if r.is_active)
    problems: list[str] = []
    if request.method == "POST":
        which = request.form.get("which")
        form = region_form if which == "region" else area_form
        if form.validate_on_submit():
            try:
                if which == "region":
                    org.save_region(db.session, current_user, region_id=None, code=form.code.data,
                                       name=form.name.data, now=now())
                else:
                    org.save_area(db.session, current_user, area_id=None, code=form.code.data,
                                     name=form.name.data, region_id=form.region_id.data, now=now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("headoffice.places"))
        else:
            problems = [_("Fill in the code and the name.")]
    return render_template("headoffice/places.html", regions=regions, areas=org.list_areas(db.session),
                           region_form=region_form, area_form=area_form, problems=problems, action=ActionForm()), \
        (422 if problems else 200)


@bp.route("/<any(region, area):kind>s/<int:item_id>", methods=["GET", "POST"])
@head_office
def edit_place(kind: str, item_id: int):
    rows = org.list_regions(db.session) if kind == "region" else org.list_areas(db.session)
    current = next((r for r in rows if r.id == item_id), None)
    if current is None:
        abort(404)
    form = RegionForm(obj=current) if kind == "region" else AreaForm(obj=current)
    if kind == "area":
        form.region_id.choices = _choices((r.id, r.name) for r in org.list_regions(db.session))
        if request.method == "GET":
            form.region_id.data = current.parent_id
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            if kind == "region":
                org.save_region(db.session, current_user, region_id=item_id, code=form.code.data,
                                   name=form.name.data, now=now())
            else:
                org.save_area(db.session, current_user, area_id=item_id, code=form.code.data, name=form.name.data,
                                 region_id=form.region_id.data, now=now())
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("headoffice.places"))
    return render_template("headoffice/edit_place.html", form=form, kind=kind, item=current, problems=problems), \
        (422 if request.method == "POST" else 200)
