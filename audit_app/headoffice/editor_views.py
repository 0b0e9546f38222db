"""Head office: the rubric editor (a draft's settings, sections and questions; moving, reordering, removing)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp, editor
from audit_app.headoffice.common import get_draft, head_office, lang, now, refuse_unless_valid
from audit_app.headoffice.forms import ChecklistSettingsForm, MoveForm, QuestionForm, RemoveForm, ReorderForm, SectionForm
from audit_app.headoffice.problems import problem_line
from audit_app.i18n import error_text
from audit_app.services import rubrics
from audit_app.services.errors import ServiceError


@bp.route("/versions/<int:version_id>/settings", methods=["GET", "POST"])
@head_office
def edit_settings(version_id: int):
    info = get_draft(version_id)
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
                rubrics.edit_draft(db.session, current_user, version_id, change, now=now())
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
    info = get_draft(version_id)
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
                               now=now())
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
    return redirect(url_for("headoffice.edit_question", version_id=info.id, section=len(info.definition["sections"]),
                            **editor.new_section_args(values)))


@bp.route("/versions/<int:version_id>/sections/<int:section>/questions/new", methods=["GET", "POST"],
          defaults={"question": None})
@bp.route("/versions/<int:version_id>/sections/<int:section>/questions/<int:question>", methods=["GET", "POST"])
@head_office
def edit_question(version_id: int, section: int, question: int | None):
    info = get_draft(version_id)
    sections = info.definition["sections"]
    new_section = None
    if section == len(sections) and question is None and request.values.get("new_section_key"):
        new_section = editor.new_section_from_args(request.values)
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
            change = editor.question_change(section, question, data, new_section)
            try:
                rubrics.edit_draft(db.session, current_user, version_id, change, now=now())
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
    section_title = editor.shown_text(new_section["title"] if new_section else sections[section]["title"], lang())
    return render_template("headoffice/edit_question.html", version=info, form=form, section=section,
                           question=question, problems=problems, section_title=section_title,
                           new_section=new_section,
                           earlier=editor.earlier_questions(sections, section, question, lang())), status


@bp.route("/versions/<int:version_id>/move", methods=["POST"])
@head_office
def move(version_id: int):
    get_draft(version_id)
    form = MoveForm()
    refuse_unless_valid(form)
    _edit(version_id, rubrics.move_edit(form.section.data, form.question.data, form.step.data))
    anchor = f"#section-{form.section.data}" if form.question.data is None else ""
    return redirect(url_for("headoffice.version", version_id=version_id) + anchor)


@bp.route("/versions/<int:version_id>/reorder", methods=["POST"])
@head_office
def reorder(version_id: int):
    get_draft(version_id)
    form = ReorderForm()
    refuse_unless_valid(form)
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
    get_draft(version_id)
    form = RemoveForm()
    refuse_unless_valid(form)
    if _edit(version_id, rubrics.remove_edit(form.section.data, form.question.data)):
        flash(_("Removed."), "success")
    return redirect(url_for("headoffice.version", version_id=version_id))


def _edit(version_id: int, change: Any) -> bool:
    try:
        rubrics.edit_draft(db.session, current_user, version_id, change, now=now())
    except rubrics.RubricProblemsError as error:
        for problem in error.problems:
            flash(problem_line(problem), "error")
        return False
    except ServiceError as error:
        flash(error_text(error), "error")
        return False
    return True
