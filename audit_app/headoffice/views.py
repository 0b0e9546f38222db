"""Head office: the audit programme (rubrics, places, people, assignments, review, settings, audit log)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import scoring
from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.headoffice import bp, editor
from audit_app.headoffice.problems import problem_line
from audit_app.routing import query_id
from audit_app.headoffice.forms import (
    ActionForm, AreaForm, AssignmentForm, BulkAssignmentForm, ChecklistSettingsForm, CsvImportForm,
    ImportChecklistForm, MoveForm, NewChecklistForm, PersonForm, QuestionForm, RegionForm, RemoveForm, ReorderForm,
    SectionForm, SettingsForm, StoreForm, WhatIfForm, _choices,
)
from audit_app.services import assignments, checklists, dashboards, history, org, people, review, rubrics
from audit_app.services import settings as settings_service
from audit_app.services.definitions import checklist_from_definition, checklist_titles_in
from audit_app.i18n import error_text
from audit_app.services.errors import NotFoundError, ServiceError
from audit_app.shopper.forms import read_section

PERIOD_DAYS = 90
head_office = role_required("head_office")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lang() -> str:
    return str(get_locale() or "en")


def _version_or_404(version_id: int) -> rubrics.VersionInfo:
    try:
        return rubrics.get_version(db.session, version_id)
    except NotFoundError:
        abort(404)


def _refuse_unless_valid(form: Any) -> None:
    if not form.validate_on_submit():
        abort(400)


@bp.route("/")
@head_office
def home():
    period = dashboards.make_period(_now(), PERIOD_DAYS)
    return render_template("headoffice/home.html", period_days=PERIOD_DAYS,
                           areas=dashboards.list_area_summaries(db.session, None, period=period,
                                                                lang=_lang()),
                           checklists=checklists.list_checklists(db.session, _lang()),
                           waiting=review.count_visits(db.session))


# --- checklists and versions -------------------------------------------------------------------


@bp.route("/checklists", methods=["GET", "POST"], endpoint="checklists")
@head_office
def checklists_page():
    form = NewChecklistForm(prefix="new")
    import_form = ImportChecklistForm(prefix="import")
    problems: list[str] = []
    if request.method == "POST" and "new-key" in request.form and form.validate_on_submit():
        try:
            info = rubrics.create_checklist(db.session, current_user, key=form.key.data.strip(),
                                            title=form.title.data.strip(), channel=form.channel.data, now=_now())
        except rubrics.RubricProblemsError as error:
            by_field, problems = editor.map_problems(error.problems, "", {"key": "key", "title": "title"})
            problems += editor.apply_errors(form, by_field)
        except ServiceError as error:
            form.key.errors = [error_text(error)]
        else:
            flash(_("Checklist created with a draft version 1."), "success")
            return redirect(url_for("headoffice.version", version_id=info.id))
    elif request.method == "POST" and "import-yaml_text" in request.form and import_form.validate_on_submit():
        try:
            info = rubrics.import_yaml(db.session, current_user, import_form.yaml_text.data, now=_now())
        except rubrics.RubricProblemsError as error:
            problems = [problem_line(p) for p in error.problems]
            import_form.yaml_text.errors = [_("The YAML was not imported; fix the problems listed above.")]
        except ServiceError as error:
            import_form.yaml_text.errors = [error_text(error)]
        else:
            flash(_("Imported as draft version %(n)d.", n=info.number), "success")
            return redirect(url_for("headoffice.version", version_id=info.id))
    return render_template("headoffice/checklists.html", checklists=checklists.list_checklists(db.session, _lang()),
                           form=form, import_form=import_form, problems=problems), \
        (422 if request.method == "POST" else 200)


@bp.route("/checklists/<int:checklist_id>")
@head_office
def checklist(checklist_id: int):
    try:
        record, versions = rubrics.get_checklist(db.session, checklist_id)
    except NotFoundError:
        abort(404)
    title = checklist_titles_in(db.session, _lang(), [checklist_id]).get(checklist_id, record.title)
    return render_template("headoffice/checklist.html", checklist=record, title=title, versions=versions,
                           action=ActionForm())


@bp.route("/checklists/<int:checklist_id>/unassigned", methods=["POST"])
@head_office
def set_unassigned(checklist_id: int):
    _refuse_unless_valid(ActionForm())
    allowed = request.form.get("allowed") == "1"
    try:
        rubrics.set_allow_unassigned(db.session, current_user, checklist_id, allowed, now=_now())
    except NotFoundError:
        abort(404)
    flash(_("Shoppers may now fill this checklist in without an assignment.") if allowed
          else _("This checklist is now filled in on assigned visits only."), "success")
    return redirect(url_for("headoffice.checklist", checklist_id=checklist_id))


@bp.route("/checklists/<int:checklist_id>/diff")
@head_office
def diff(checklist_id: int):
    old_id, new_id = query_id("old"), query_id("new")
    if old_id is None or new_id is None:
        abort(400)
    try:
        old, new, lines = rubrics.diff_versions(db.session, old_id, new_id)
    except NotFoundError:
        abort(404)
    except ServiceError:
        abort(400)
    if old.checklist_id != checklist_id:
        abort(404)
    return render_template("headoffice/diff.html", old=old, new=new, lines=lines)


@bp.route("/versions/<int:version_id>")
@head_office
def version(version_id: int):
    info = _version_or_404(version_id)
    return render_template("headoffice/version.html", version=info, outline=editor.outline(info.definition, _lang()),
                           action=ActionForm(), definition=info.definition)


@bp.route("/versions/<int:version_id>/export.yaml")
@head_office
def export_version(version_id: int):
    info = _version_or_404(version_id)
    filename = f"{info.checklist_key}-v{info.number}.yaml"
    return Response(rubrics.export_yaml(info.definition), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _version_action(version_id: int, call: Any, message: str, target: str = "version") -> Any:
    _refuse_unless_valid(ActionForm())
    _version_or_404(version_id)
    try:
        result = call()
    except ServiceError as error:
        flash(error_text(error), "error")
        return redirect(url_for("headoffice.version", version_id=version_id))
    flash(message, "success")
    if target == "checklist":
        return redirect(url_for("headoffice.checklist", checklist_id=result))
    return redirect(url_for("headoffice.version", version_id=getattr(result, "id", version_id)))


@bp.route("/versions/<int:version_id>/draft", methods=["POST"])
@head_office
def start_draft(version_id: int):
    return _version_action(version_id, lambda: rubrics.start_draft(db.session, current_user, version_id, now=_now()),
                           _("A new draft was started from this version."))


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@head_office
def publish(version_id: int):
    return _version_action(version_id, lambda: rubrics.publish_draft(db.session, current_user, version_id,
                                                                     now=_now()),
                           _("Published. New visits use this version; earlier visits keep theirs."))


@bp.route("/versions/<int:version_id>/retire", methods=["POST"])
@head_office
def retire(version_id: int):
    return _version_action(version_id, lambda: rubrics.retire_version(db.session, current_user, version_id,
                                                                      now=_now()),
                           _("Retired. No new visits will use this version."))


@bp.route("/versions/<int:version_id>/discard", methods=["POST"])
@head_office
def discard(version_id: int):
    return _version_action(version_id, lambda: rubrics.discard_draft(db.session, current_user, version_id,
                                                                     now=_now()),
                           _("The draft was discarded."), target="checklist")


@bp.route("/versions/<int:version_id>/rescore", methods=["POST"])
@head_office
def rescore(version_id: int):
    _refuse_unless_valid(ActionForm())
    _version_or_404(version_id)
    try:
        count = rubrics.rescore_history(db.session, current_user, version_id, now=_now())
    except ServiceError as error:
        flash(error_text(error), "error")
    else:
        flash(_("%(n)d visit(s) re-scored under this version. Their earlier scores are kept.", n=count), "success")
    return redirect(url_for("headoffice.version", version_id=version_id))


def _draft_or_409(version_id: int) -> rubrics.VersionInfo:
    info = _version_or_404(version_id)
    if info.status != "draft":
        abort(409)
    return info


@bp.route("/versions/<int:version_id>/settings", methods=["GET", "POST"])
@head_office
def edit_settings(version_id: int):
    info = _draft_or_409(version_id)
    data = info.definition
    form = ChecklistSettingsForm()
    problems: list[str] = []
    if request.method == "GET":
        form.title_en.data, form.title_ja.data = editor.text_parts(data["title"])
        form.description.data = editor.text_parts(data.get("description"))[0]
        form.channel.data, form.method.data = data["channel"], data["scoring"]
        form.grades.data = editor.grades_text(data["grades"])
    elif form.validate_on_submit():
        try:
            grades = editor.parse_grades(form.grades.data)
        except editor.LineError as error:
            form.grades.errors = [error_text(error)]
        else:
            change = rubrics.settings_edit(title=editor.text_value(form.title_en.data, form.title_ja.data),
                                           description=editor.keep_translations(data.get("description"),
                                                                                form.description.data),
                                           channel=form.channel.data, method=form.method.data, grades=grades)
            try:
                rubrics.edit_draft(db.session, current_user, version_id, change, now=_now())
            except rubrics.RubricProblemsError as error:
                by_field, problems = editor.settings_problems(error.problems)
                problems += editor.apply_errors(form, by_field)
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Checklist settings saved."), "success")
                return redirect(url_for("headoffice.version", version_id=version_id))
    status = 422 if request.method == "POST" else 200
    return render_template("headoffice/edit_settings.html", version=info, form=form, problems=problems), status


@bp.route("/versions/<int:version_id>/sections/new", methods=["GET", "POST"], defaults={"section": None})
@bp.route("/versions/<int:version_id>/sections/<int:section>", methods=["GET", "POST"])
@head_office
def edit_section(version_id: int, section: int | None):
    info = _draft_or_409(version_id)
    sections = info.definition["sections"]
    if section is not None and section >= len(sections):
        abort(404)
    form = SectionForm()
    problems: list[str] = []
    if request.method == "GET" and section is not None:
        current = sections[section]
        form.key.data = current["key"]
        form.title_en.data, form.title_ja.data = editor.text_parts(current["title"])
        form.weight.data = str(current.get("weight", ""))
    elif request.method == "POST" and form.validate_on_submit():
        values: dict[str, Any] = {"key": form.key.data.strip(),
                                  "title": editor.text_value(form.title_en.data, form.title_ja.data)}
        if (form.weight.data or "").strip():
            values["weight"] = editor._number(form.weight.data)
        try:
            rubrics.edit_draft(db.session, current_user, version_id, rubrics.section_edit(section, values),
                               now=_now())
        except rubrics.RubricProblemsError as error:
            index = section if section is not None else len(sections)
            found = error.problems
            if section is None:
                # A new section is saved together with its first question, asked for on the next page.
                found = [p for p in found if p.path != f"sections[{index}].questions"]
                if not found:
                    return _new_section_needs_question(info, values)
            by_field, problems = editor.section_problems(found, index)
            problems += editor.apply_errors(form, by_field)
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Section saved."), "success")
            return redirect(url_for("headoffice.version", version_id=version_id) + f"#section-{section or 0}")
    status = 422 if request.method == "POST" else 200
    return render_template("headoffice/edit_section.html", version=info, form=form, section=section,
                           problems=problems, scoring=info.definition["scoring"]), status


def _new_section_needs_question(info: rubrics.VersionInfo, values: dict[str, Any]) -> Any:
    # A section needs a question to be valid: ask for its first question with the section's values carried along.
    args = {"new_section_key": values["key"], "new_section_title": editor.text_parts(values["title"])[0],
            "new_section_title_ja": editor.text_parts(values["title"])[1],
            "new_section_weight": str(values.get("weight", ""))}
    return redirect(url_for("headoffice.edit_question", version_id=info.id, section=len(info.definition["sections"]),
                            **args))


@bp.route("/versions/<int:version_id>/sections/<int:section>/questions/new", methods=["GET", "POST"],
          defaults={"question": None})
@bp.route("/versions/<int:version_id>/sections/<int:section>/questions/<int:question>", methods=["GET", "POST"])
@head_office
def edit_question(version_id: int, section: int, question: int | None):
    info = _draft_or_409(version_id)
    sections = info.definition["sections"]
    new_section = None
    if section == len(sections) and question is None and request.values.get("new_section_key"):
        new_section = {"key": request.values["new_section_key"],
                       "title": editor.text_value(request.values.get("new_section_title", ""),
                                                  request.values.get("new_section_title_ja", ""))}
        if request.values.get("new_section_weight"):
            new_section["weight"] = editor._number(request.values["new_section_weight"])
    elif section >= len(sections) or (question is not None and question >= len(sections[section]["questions"])):
        abort(404)
    form = QuestionForm()
    problems: list[str] = []
    if request.method == "GET":
        if question is not None:
            editor.fill_question_form(form, sections[section]["questions"][question])
        elif request.args.get("type"):
            form.type.data = request.args["type"]
    elif form.validate_on_submit():
        existing = sections[section]["questions"][question] if question is not None else None
        data, line_errors = editor.question_from_form(form, existing)
        if line_errors:
            editor.apply_errors(form, line_errors)
        else:
            if new_section is not None:
                def change(definition: dict[str, Any]) -> dict[str, Any]:
                    definition = rubrics.section_edit(None, new_section)(definition)
                    return rubrics.question_edit(section, None, data)(definition)
            else:
                change = rubrics.question_edit(section, question, data)
            try:
                rubrics.edit_draft(db.session, current_user, version_id, change, now=_now())
            except rubrics.RubricProblemsError as error:
                index = question if question is not None else (0 if new_section else
                                                               len(sections[section]["questions"]))
                by_field, problems = editor.question_problems(error.problems, section, index)
                problems += editor.apply_errors(form, by_field)
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Question saved."), "success")
                return redirect(url_for("headoffice.version", version_id=version_id) + f"#q-{data['key']}")
    status = 422 if request.method == "POST" else 200
    section_title = editor.shown_text(new_section["title"] if new_section else sections[section]["title"], _lang())
    # show_if may only name a question that comes earlier in the checklist
    flat = [q for s in sections[:section + 1] for q in s["questions"]]
    stop = sum(len(s["questions"]) for s in sections[:section]) + (question if question is not None else len(flat))
    earlier = [(q["key"], editor.shown_text(q["text"], _lang())) for q in flat[:stop]]
    return render_template("headoffice/edit_question.html", version=info, form=form, section=section,
                           question=question, problems=problems, section_title=section_title,
                           new_section=new_section, earlier=earlier), status


@bp.route("/versions/<int:version_id>/move", methods=["POST"])
@head_office
def move(version_id: int):
    _draft_or_409(version_id)
    form = MoveForm()
    _refuse_unless_valid(form)
    _edit(version_id, rubrics.move_edit(form.section.data, form.question.data, form.step.data))
    anchor = f"#section-{form.section.data}" if form.question.data is None else ""
    return redirect(url_for("headoffice.version", version_id=version_id) + anchor)


@bp.route("/versions/<int:version_id>/reorder", methods=["POST"])
@head_office
def reorder(version_id: int):
    _draft_or_409(version_id)
    form = ReorderForm()
    _refuse_unless_valid(form)
    try:
        order = [int(i) for i in form.order.data.split(",")]
    except ValueError:
        abort(400)
    ok = _edit(version_id, rubrics.reorder_edit(form.section.data, order))
    if request.accept_mimetypes.best == "application/json":
        return {"ok": ok}, (200 if ok else 422)
    return redirect(url_for("headoffice.version", version_id=version_id))


@bp.route("/versions/<int:version_id>/remove", methods=["POST"])
@head_office
def remove(version_id: int):
    _draft_or_409(version_id)
    form = RemoveForm()
    _refuse_unless_valid(form)
    if _edit(version_id, rubrics.remove_edit(form.section.data, form.question.data)):
        flash(_("Removed."), "success")
    return redirect(url_for("headoffice.version", version_id=version_id))


def _edit(version_id: int, change: Any) -> bool:
    try:
        rubrics.edit_draft(db.session, current_user, version_id, change, now=_now())
    except rubrics.RubricProblemsError as error:
        for problem in error.problems:
            flash(problem_line(problem), "error")
        return False
    except ServiceError as error:
        flash(error_text(error), "error")
        return False
    return True


@bp.route("/versions/<int:version_id>/preview", methods=["GET", "POST"])
@head_office
def preview(version_id: int):
    info = _version_or_404(version_id)
    checklist = checklist_from_definition(info.definition)
    form = ActionForm()
    answers: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    problems: dict[str, str] = {}
    card = None
    if request.method == "POST":
        _refuse_unless_valid(form)
        # Read exactly as the shopper's section pages do, then score without saving anything.
        for section in checklist.sections:
            read = read_section(section, request.form, request.files, frozenset())
            answers.update({k: v for k, v in read.values.items() if v is not None})
            raw.update(read.raw)
            problems.update({k: str(v) for k, v in read.problems.items()})
        try:
            card = scoring.score(checklist, answers)
        except scoring.AnswerError as error:
            problems[error.question_key] = error_text(error)
    return render_template("headoffice/preview.html", version=info, checklist=checklist, form=form,
                           answers=answers, raw=raw, card=card, problems=problems), (422 if problems else 200)


@bp.route("/versions/<int:version_id>/what-if")
@head_office
def what_if(version_id: int):
    _version_or_404(version_id)
    form = WhatIfForm(request.args)
    last = form.last.data if form.validate() and form.last.data else 100
    result = rubrics.what_if(db.session, version_id, last=last)
    return render_template("headoffice/what_if.html", result=result, form=form, last=last)


# --- places and people -------------------------------------------------------------------------


@bp.route("/stores")
@head_office
def stores():
    search = request.args.get("q", "")
    return render_template("headoffice/stores.html", stores=people.list_stores(db.session, search=search),
                           search=search, action=ActionForm())


@bp.route("/stores/new", methods=["GET", "POST"], defaults={"store_id": None})
@bp.route("/stores/<int:store_id>", methods=["GET", "POST"])
@head_office
def edit_store(store_id: int | None):
    current = None
    if store_id is not None:
        try:
            current = people.get_store(db.session, store_id)
        except NotFoundError:
            abort(404)
    form = StoreForm(obj=current)
    form.area_id.choices = _choices([(a.id, f"{a.name} ({a.parent})") for a in people.list_areas(db.session)
                                     if a.is_active or (current and current.area_id == a.id)])
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            people.save_store(db.session, current_user, store_id=store_id, code=form.code.data, name=form.name.data,
                              area_id=form.area_id.data, city=form.city.data or "", address=form.address.data or "",
                              timezone=form.timezone.data.strip(), now=_now())
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
    _refuse_unless_valid(ActionForm())
    active = request.form.get("active") == "1"
    try:
        people.set_active(db.session, current_user, kind, item_id, active, now=_now())
    except NotFoundError:
        abort(404)
    except ServiceError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Reactivated.") if active else _("Deactivated."), "success")
    back = {"region": "headoffice.places", "area": "headoffice.places", "store": "headoffice.stores",
            "user": "headoffice.people"}[kind]
    return redirect(url_for(back))


def _csv_import(kind: str, run: Any) -> Any:
    form = CsvImportForm()
    report = None
    rejected = None
    if form.validate_on_submit():
        try:
            report = run(form.csv_text.data, bool(form.dry_run.data))
        except org.ImportRejectedError as error:
            rejected = error.report
        else:
            if not form.dry_run.data:
                flash(_("Imported: %(c)d created, %(u)d updated, %(n)d unchanged.", c=len(report.created),
                        u=len(report.updated), n=len(report.unchanged)), "success")
    status = 422 if rejected else 200
    return render_template("headoffice/import_csv.html", form=form, kind=kind, report=report, rejected=rejected,
                           dry_run=bool(form.dry_run.data)), status


@bp.route("/stores/import", methods=["GET", "POST"])
@head_office
def import_stores():
    return _csv_import("stores", lambda text, dry: org.import_stores(db.session, text, now=_now(), actor=current_user,
                                                                     dry_run=dry))


@bp.route("/places", methods=["GET", "POST"])
@head_office
def places():
    region_form = RegionForm(prefix="region")
    area_form = AreaForm(prefix="area")
    regions = people.list_regions(db.session)
    area_form.region_id.choices = _choices((r.id, r.name) for r in regions if r.is_active)
    problems: list[str] = []
    if request.method == "POST":
        which = request.form.get("which")
        form = region_form if which == "region" else area_form
        if form.validate_on_submit():
            try:
                if which == "region":
                    people.save_region(db.session, current_user, region_id=None, code=form.code.data,
                                       name=form.name.data, now=_now())
                else:
                    people.save_area(db.session, current_user, area_id=None, code=form.code.data,
                                     name=form.name.data, region_id=form.region_id.data, now=_now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("headoffice.places"))
        else:
            problems = [_("Fill in the code and the name.")]
    return render_template("headoffice/places.html", regions=regions, areas=people.list_areas(db.session),
                           region_form=region_form, area_form=area_form, problems=problems, action=ActionForm()), \
        (422 if problems else 200)


@bp.route("/<any(region, area):kind>s/<int:item_id>", methods=["GET", "POST"])
@head_office
def edit_place(kind: str, item_id: int):
    rows = people.list_regions(db.session) if kind == "region" else people.list_areas(db.session)
    current = next((r for r in rows if r.id == item_id), None)
    if current is None:
        abort(404)
    form = RegionForm(obj=current) if kind == "region" else AreaForm(obj=current)
    if kind == "area":
        form.region_id.choices = _choices((r.id, r.name) for r in people.list_regions(db.session))
        if request.method == "GET":
            form.region_id.data = current.parent_id
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            if kind == "region":
                people.save_region(db.session, current_user, region_id=item_id, code=form.code.data,
                                   name=form.name.data, now=_now())
            else:
                people.save_area(db.session, current_user, area_id=item_id, code=form.code.data, name=form.name.data,
                                 region_id=form.region_id.data, now=_now())
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("headoffice.places"))
    return render_template("headoffice/edit_place.html", form=form, kind=kind, item=current, problems=problems), \
        (422 if request.method == "POST" else 200)


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
    current = None
    if user_id is not None:
        try:
            current = people.get_person(db.session, user_id)
        except NotFoundError:
            abort(404)
    form = PersonForm(obj=current)
    form.areas.choices = _choices((a.code, f"{a.name} ({a.parent})") for a in people.list_areas(db.session))
    regions = people.list_regions(db.session)
    form.region.choices = _choices([("", "—")] + [(r.code, r.name) for r in regions])
    if request.method == "GET" and current is not None:
        form.areas.data = list(current.area_codes)
        form.region.data = next((r.code for r in regions if r.id == current.region_id), "")
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            people.save_person(db.session, current_user, user_id=user_id, email=form.email.data, name=form.name.data,
                               role=form.role.data, locale=form.locale.data, area_codes=list(form.areas.data or []),
                               region_code=form.region.data or "", password=form.password.data or "", now=_now())
        except ServiceError as error:
            problems = [error_text(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("headoffice.people"))
    return render_template("headoffice/edit_person.html", form=form, person=current, problems=problems), \
        (422 if request.method == "POST" else 200)


@bp.route("/people/import", methods=["GET", "POST"])
@head_office
def import_people():
    return _csv_import("people", lambda text, dry: people.import_people(db.session, current_user, text, now=_now(),
                                                                        dry_run=dry))


# --- assignments -------------------------------------------------------------------------------


def _assignment_choices(form: Any) -> None:
    form.checklist_id.choices = _choices((c.id, c.title) for c in checklists.list_checklists(db.session, _lang()))
    if hasattr(form, "store_id"):
        form.store_id.choices = _choices((s.id, f"{s.name} ({s.area_name})")
                                         for s in people.list_stores(db.session, include_inactive=False))
    shoppers = [(p.id, p.name + (f" ({p.region_name})" if p.region_name else ""))
                for p in people.list_people(db.session, role="shopper") if p.is_active]
    if hasattr(form, "shopper_id"):
        form.shopper_id.choices = _choices(shoppers)
    else:
        form.shopper_ids.choices = _choices(shoppers)
        form.area_id.choices = _choices((a.id, f"{a.name} ({a.parent})") for a in people.list_areas(db.session)
                                        if a.is_active)


@bp.route("/assignments", methods=["GET", "POST"], endpoint="assignments")
@head_office
def assignments_page():
    today = _now().date()
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
                                              window_end=single.window_end.data, now=_now())
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
                                                   window_end=bulk.window_end.data, shopper_ids=chosen, now=_now())
                    flash(_("%(n)d assignment(s) created.", n=len(made)), "success")
                    return redirect(url_for("headoffice.assignments"))
                plan = assignments.plan_area(db.session, area_id=bulk.area_id.data, shopper_ids=chosen)
            except ServiceError as error:
                problems = [error_text(error)]
        else:
            problems = [_("Check the fields of the bulk assignment.")]
    elif request.method == "POST":
        abort(400)
    return render_template("headoffice/assignments.html", single=single, bulk=bulk, plan=plan, problems=problems,
                           rows=assignments.list_assignments(db.session, lang=_lang()), action=ActionForm()), \
        (422 if problems else 200)


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@head_office
def cancel_assignment(assignment_id: int):
    _refuse_unless_valid(ActionForm())
    try:
        assignments.cancel_assignment(db.session, current_user, assignment_id, now=_now())
    except NotFoundError:
        abort(404)
    except ServiceError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Assignment cancelled."), "success")
    return redirect(url_for("headoffice.assignments"))


# --- settings and the audit log ----------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@head_office
def settings():
    current = settings_service.get_settings(db.session)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        settings_service.update_settings(db.session, current_user, {
            "review_required": bool(form.review_required.data),
            "show_shopper_to_managers": bool(form.show_shopper_to_managers.data)}, now=_now())
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
                                                        until=until, day_zone=_app_zone(), lang=_lang()),
                           kinds=history.KINDS, kind=kind, actor_id=actor_id, since=since, until=until,
                           actors=people.list_people(db.session, role="head_office"))


def _app_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["STORECHECK_CONFIG"].default_timezone)


def _date_arg(name: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
