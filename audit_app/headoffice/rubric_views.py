"""Head office: checklists and their versions (create, import, compare, publish, retire, re-score, preview)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp, editor
from audit_app.headoffice.common import get_version, head_office, lang, now, refuse_unless_valid
from audit_app.headoffice.forms import (
    ActionForm, ImportChecklistForm, MinMinutesForm, NewChecklistForm, PreviewInput, WhatIfForm, read_preview,
)
from audit_app.headoffice.problems import problem_line
from audit_app.i18n import error_text
from audit_app.routing import query_id
from audit_app.services import checklists, preview as preview_service, rubric_diff, rubrics
from audit_app.services import settings as settings_service
from audit_app.services.scores import rescoring
from audit_app.services.definitions import checklist_titles_in
from audit_app.services.errors import ServiceError


@bp.route("/checklists", methods=["GET", "POST"], endpoint="checklists")
@head_office
def checklists_page():
    form = NewChecklistForm(prefix="new")
    import_form = ImportChecklistForm(prefix="import")
    problems: list[str] = []
    if request.method == "POST" and "new-key" in request.form and form.validate_on_submit():
        try:
            info = rubrics.create_checklist(db.session, current_user, key=form.key.data.strip(),
                                            title=form.title.data.strip(), channel=form.channel.data, now=now())
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
            info = rubrics.import_yaml(db.session, current_user, import_form.yaml_text.data, now=now())
        except rubrics.RubricProblemsError as error:
            problems = [problem_line(p) for p in error.problems]
            import_form.yaml_text.errors = [_("The YAML was not imported; fix the problems listed above.")]
        except ServiceError as error:
            import_form.yaml_text.errors = [error_text(error)]
        else:
            flash(_("Imported as draft version %(n)d.", n=info.number), "success")
            return redirect(url_for("headoffice.version", version_id=info.id))
    return render_template("headoffice/checklists.html", checklists=checklists.list_checklists(db.session, lang()),
                           form=form, import_form=import_form, problems=problems), \
        (422 if request.method == "POST" else 200)


@bp.route("/checklists/<int:checklist_id>")
@head_office
def checklist(checklist_id: int):
    record, versions = rubrics.get_checklist(db.session, checklist_id)
    title = checklist_titles_in(db.session, lang(), [checklist_id]).get(checklist_id, record.title)
    return render_template("headoffice/checklist.html", checklist=record, title=title, versions=versions,
                           action=ActionForm(), minimum=MinMinutesForm(min_minutes=record.min_minutes),
                           default_minutes=settings_service.get_settings(db.session).min_visit_minutes)


@bp.route("/checklists/<int:checklist_id>/min-minutes", methods=["POST"])
@head_office
def set_min_minutes(checklist_id: int):
    form = MinMinutesForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Shortest plausible visit: %(problem)s", problem=" ".join(form.min_minutes.errors)), "error")
        return redirect(url_for("headoffice.checklist", checklist_id=checklist_id))
    rubrics.set_min_minutes(db.session, current_user, checklist_id, form.min_minutes.data, now=now())
    flash(_("Shortest plausible visit saved."), "success")
    return redirect(url_for("headoffice.checklist", checklist_id=checklist_id))


@bp.route("/checklists/<int:checklist_id>/unassigned", methods=["POST"])
@head_office
def set_unassigned(checklist_id: int):
    refuse_unless_valid(ActionForm())
    allowed = request.form.get("allowed") == "1"
    rubrics.set_allow_unassigned(db.session, current_user, checklist_id, allowed, now=now())
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
        old, new, lines = rubric_diff.diff_versions(db.session, old_id, new_id)
    except rubrics.RubricError:
        abort(400)
    if old.checklist_id != checklist_id:
        abort(404)
    return render_template("headoffice/diff.html", old=old, new=new, lines=lines)


@bp.route("/versions/<int:version_id>")
@head_office
def version(version_id: int):
    info = get_version(version_id)
    return render_template("headoffice/version.html", version=info, outline=editor.outline(info.definition, lang()),
                           action=ActionForm(), definition=info.definition)


@bp.route("/versions/<int:version_id>/export.yaml")
@head_office
def export_version(version_id: int):
    info = get_version(version_id)
    filename = f"{info.checklist_key}-v{info.number}.yaml"
    return Response(rubrics.export_yaml(info.definition), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _version_action(version_id: int, call: Any, message: str, target: str = "version") -> Any:
    refuse_unless_valid(ActionForm())
    get_version(version_id)
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
    return _version_action(version_id, lambda: rubrics.start_draft(db.session, current_user, version_id, now=now()),
                           _("A new draft was started from this version."))


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@head_office
def publish(version_id: int):
    return _version_action(version_id, lambda: rubrics.publish_draft(db.session, current_user, version_id,
                                                                     now=now()),
                           _("Published. New visits use this version; earlier visits keep theirs."))


@bp.route("/versions/<int:version_id>/retire", methods=["POST"])
@head_office
def retire(version_id: int):
    return _version_action(version_id, lambda: rubrics.retire_version(db.session, current_user, version_id,
                                                                      now=now()),
                           _("Retired. No new visits will use this version."))


@bp.route("/versions/<int:version_id>/discard", methods=["POST"])
@head_office
def discard(version_id: int):
    return _version_action(version_id, lambda: rubrics.discard_draft(db.session, current_user, version_id,
                                                                     now=now()),
                           _("The draft was discarded."), target="checklist")


@bp.route("/versions/<int:version_id>/rescore", methods=["POST"])
@head_office
def rescore(version_id: int):
    refuse_unless_valid(ActionForm())
    get_version(version_id)
    try:
        count = rescoring.rescore_history(db.session, current_user, version_id, now=now())
    except ServiceError as error:
        flash(error_text(error), "error")
    else:
        flash(ngettext("%(num)d visit re-scored under this version. Its earlier score is kept.",
                       "%(num)d visits re-scored under this version. Their earlier scores are kept.", count), "success")
    return redirect(url_for("headoffice.version", version_id=version_id))


@bp.route("/versions/<int:version_id>/preview", methods=["GET", "POST"])
@head_office
def preview(version_id: int):
    page = preview_service.get_preview(db.session, version_id)
    form = ActionForm()
    posted = PreviewInput()
    card = None
    if request.method == "POST":
        refuse_unless_valid(form)
        posted = read_preview(page.checklist, request.form, request.files)
        scored = preview_service.score_preview(page.checklist, posted.answers)
        card = scored.card
        if scored.error is not None:
            posted.problems[scored.error.question_key] = error_text(scored.error)
    return render_template("headoffice/preview.html", version=page.version, checklist=page.checklist, form=form,
                           answers=posted.answers, raw=posted.raw, card=card, problems=posted.problems), \
        (422 if posted.problems else 200)


@bp.route("/versions/<int:version_id>/what-if")
@head_office
def what_if(version_id: int):
    get_version(version_id)
    form = WhatIfForm(request.args)
    last = form.last.data if form.validate() and form.last.data else 100
    result = rescoring.what_if(db.session, version_id, last=last)
    return render_template("headoffice/what_if.html", result=result, form=form, last=last)
