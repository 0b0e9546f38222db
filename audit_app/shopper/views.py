"""The shopper's pages: home, starting a visit, a section at a time, review and submit."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import (abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from audit_app.authz import role_required
import scoring
from audit_app.config import PROJECT_ROOT
from audit_app.extensions import allow_photo_upload, db
from audit_app.i18n import error_text, message_text
from audit_app.services import plans, visit_pages, visits
from audit_app.services.errors import NotFoundError, ServiceError
from audit_app.shopper import bp
from audit_app.shopper.forms import (NA_VALUE, PlainActionForm, SaveSectionForm, StartUnassignedVisitForm,
                                     UnavailableForm, VisitActionForm,
                                     read_section)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _shopper():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _lang() -> str:
    return str(get_locale() or "en")


def _load_sheet(visit_id: int) -> visit_pages.VisitSheet:
    return visit_pages.load_visit_sheet(db.session, _shopper(), visit_id)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/")
@role_required("shopper")
def home():
    page = visit_pages.shopper_home(db.session, _shopper(), today=_now().date(), lang=_lang())
    return render_template(
        "shopper/home.html", assignments=page.assignments, titles=page.titles, in_progress=page.in_progress,
        submitted=page.submitted, new_uuid=lambda: str(uuid.uuid4()), can_start_unassigned=page.can_start_unassigned,
    )


@bp.route("/assignments/<int:assignment_id>/start", methods=["POST"])
@role_required("shopper")
def start_visit(assignment_id: int):
    form = VisitActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        visit = visits.start_visit(db.session, _shopper(), client_uuid=form.client_uuid.data,
                                   assignment_id=assignment_id, now=_now(), location=form.location(),
                                   location_status=form.status())
    except visits.VisitError as error:
        flash(error_text(error), "error")
        return redirect(url_for("shopper.home"))
    if visit.client_uuid != form.client_uuid.data:
        flash(_("This visit was already started on another screen: you are continuing it."), "info")
    return redirect(url_for("shopper.visit", visit_id=visit.id))


@bp.route("/visits/new", methods=["GET", "POST"])
@role_required("shopper")
def new_visit():
    options = visit_pages.unassigned_choices(db.session, _shopper(), _lang())
    if not options.checklists:
        abort(404)
    form = StartUnassignedVisitForm()
    form.store_id.choices = [SelectChoice(sid, label) for sid, label in options.stores]
    form.checklist_id.choices = [SelectChoice(cid, title) for cid, title in options.checklists]
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
    if form.validate_on_submit():
        try:
            visit = visits.start_visit(db.session, _shopper(), client_uuid=form.client_uuid.data,
                                       store_id=form.store_id.data, checklist_id=form.checklist_id.data,
                                       now=_now(), location=form.location(),
                                       location_status=form.status())
        except visits.VisitError as error:
            form.form_errors.append(error_text(error))
        else:
            return redirect(url_for("shopper.visit", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("shopper/new_visit.html", form=form, remote=sorted(options.remote)), status


@bp.route("/visits/<int:visit_id>")
@role_required("shopper")
def visit(visit_id: int):
    sheet = _load_sheet(visit_id)
    if sheet.is_open:
        return redirect(url_for("shopper.visit_section", visit_id=visit_id, index=sheet.first_open_section))
    return render_template("shopper/submitted.html", form=sheet)


def _next_target(form: visit_pages.VisitSheet, index: int, go: str) -> str:
    last = len(form.definition.sections) - 1
    if go == "review":
        return url_for("shopper.review", visit_id=form.visit_id)
    if go.startswith("section-") and go[8:].isdigit():
        return url_for("shopper.visit_section", visit_id=form.visit_id, index=min(int(go[8:]), last))
    if go == "prev":
        return url_for("shopper.visit_section", visit_id=form.visit_id, index=max(index - 1, 0))
    if index >= last:
        return url_for("shopper.review", visit_id=form.visit_id)
    return url_for("shopper.visit_section", visit_id=form.visit_id, index=index + 1)


@bp.route("/visits/<int:visit_id>/sections/<int:index>", methods=["GET", "POST"])
@role_required("shopper")
def visit_section(visit_id: int, index: int):
    form = _load_sheet(visit_id)
    if not 0 <= index < len(form.definition.sections):
        abort(404)
    if not form.is_open:
        return redirect(url_for("shopper.visit", visit_id=visit_id))
    action = SaveSectionForm()
    problems: dict[str, str] = {}
    raw: dict[str, Any] = {}
    if request.method == "POST":
        if not action.validate_on_submit():
            abort(400)
        section = form.section(index)
        posted = read_section(section, request.form, request.files, form.hidden)
        problems.update({key: str(problem) for key, problem in posted.problems.items()})
        uploads: dict[str, bytes] = {}
        for key, upload in posted.photos.items():
            if not allow_photo_upload(current_user.id):
                problems[key] = _("You have added many photos in a short time. Your answers are saved; "
                                  "wait a few minutes, then add this photo again.")
                continue
            uploads[key] = upload.read()
        values = {k: v for k, v in posted.values.items() if k not in problems}
        try:
            result = visit_pages.save_section_for_page(
                db.session, _shopper(), visit_id, index, values, posted.comments, _now(), photos=uploads,
                upload_dir=Path(current_app.config["UPLOAD_DIR"]), bases=posted.bases,
                comment_bases=posted.comment_bases)
        except visits.VisitError as error:
            if _wants_json():
                return jsonify(ok=False, message=error_text(error)), 409
            flash(error_text(error), "error")
            return redirect(url_for("shopper.visit", visit_id=visit_id))
        saved, form = result.save, result.sheet
        problems.update({key: _problem_text(problem) for key, problem in saved.problems.items()})
        conflicts = {key: message_text(text) for key, text in saved.conflicts.items()}
        if _wants_json():
            return jsonify(_section_json(form, index, problems, conflicts, saved))
        if conflicts:
            # Shown beside each question with the stored answer, everything else typed kept (409 Conflict).
            raw = {k: v for k, v in posted.raw.items() if k in problems and k not in conflicts}
            return _render_section(form, index, action, {**problems, **conflicts}, raw), 409
        if not problems:
            # A question this section just revealed is answered before moving on (pages work without JS).
            revealed = visit_pages.unanswered_revealed(form, index)
            if revealed:
                return redirect(url_for("shopper.visit_section", visit_id=visit_id, index=index) + f"#q-{revealed}")
            return redirect(_next_target(form, index, action.go.data or "next"))
        raw = posted.raw
    return _render_section(form, index, action, problems, raw), (422 if problems else 200)


def _render_section(form: visit_pages.VisitSheet, index: int, action: SaveSectionForm, problems: dict[str, str],
                    raw: dict[str, Any]) -> str:
    visit_id = form.visit_id
    # Every section's address, then the review's: the service worker keeps them, and the page links to them. The
    # addresses differ only in the section number they end with, so the route is built once.
    first = url_for("shopper.visit_section", visit_id=visit_id, index=0)
    precache = [first[:-1] + str(i) for i in range(len(form.definition.sections))]
    precache.append(url_for("shopper.review", visit_id=visit_id))
    return render_template("shopper/section.html", form=form, index=index, section=form.section(index),
                           action=action, problems=problems, raw=raw, precache=precache)


def _problem_text(problem: Any) -> str:
    return error_text(problem) if isinstance(problem, ServiceError) else message_text(problem)


def _json_value(value: Any) -> Any:
    return NA_VALUE if value is scoring.NA else value


def _section_json(form: visit_pages.VisitSheet, index: int, problems: dict[str, str], conflicts: dict[str, str],
                  saved: visits.SectionSave) -> dict[str, Any]:
    """The autosave's answer: what was refused or kept, and the page's new base tokens and counts."""
    questions = [q for q in form.section(index).questions if q.type not in visit_pages.ANSWERLESS]
    photos = {}
    for q in questions:
        if q.type == "photo":
            ref = form.photos.get(q.key)
            photos[q.key] = ({"id": ref.id, "thumb_url": url_for("photos.image", photo_id=ref.id, variant="thumb")}
                             if ref else None)
    return {
        "ok": not problems and not conflicts,
        "problems": problems,
        "conflicts": conflicts,
        "stored": {key: _json_value(value) for key, value in saved.stored.items()},
        "stored_comments": dict(saved.stored_comments),
        "hidden": sorted(form.hidden),
        "answered": form.answered,
        "total": form.total,
        "sections": [{"index": p.index, "answered": p.answered, "total": p.total, "is_done": p.is_done}
                     for p in form.progress],
        "bases": {q.key: visit_pages.answer_token(form.answers.get(q.key)) for q in questions},
        "comment_bases": {q.key: visit_pages.comment_token(form.comments.get(q.key, "")) for q in questions},
        "photos": photos,
    }


@bp.route("/visits/<int:visit_id>/review")
@role_required("shopper")
def review(visit_id: int):
    form = _load_sheet(visit_id)
    if not form.is_open:
        return redirect(url_for("shopper.visit", visit_id=visit_id))
    return render_template("shopper/review.html", form=form, missing=visit_pages.missing_answers(form),
                           action=VisitActionForm(client_uuid=form.client_uuid))


@bp.route("/visits/<int:visit_id>/submit", methods=["POST"])
@role_required("shopper")
def submit(visit_id: int):
    action = VisitActionForm()
    if not action.validate_on_submit():
        abort(400)
    try:
        visits.submit_visit(db.session, _shopper(), visit_id, action.client_uuid.data, _now(),
                            location=action.location(), location_status=action.status())
    except visits.IncompleteVisitError:
        form = _load_sheet(visit_id)
        return render_template("shopper/review.html", form=form, missing=visit_pages.missing_answers(form),
                               action=action, refused=True), 422
    except visits.VisitError as error:
        flash(error_text(error), "error")
        return redirect(url_for("shopper.review", visit_id=visit_id))
    flash(_("Visit submitted. Thank you!"), "info")
    return redirect(url_for("shopper.visit", visit_id=visit_id))


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from /shopper/ so it may control the shopper's pages."""
    response = send_from_directory(PROJECT_ROOT / "static" / "js", "sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = "/shopper/"
    return response


@bp.route("/unavailable", methods=["GET", "POST"])
@role_required("shopper")
def unavailable():
    form = UnavailableForm()
    problems: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                plans.add_unavailable(db.session, _shopper(), user_id=_shopper().id, starts_on=form.starts_on.data,
                                      ends_on=form.ends_on.data, note=form.note.data or "", now=_now())
            except ServiceError as error:
                problems = [error_text(error)]
            else:
                flash(_("Unavailable dates saved."), "success")
                return redirect(url_for("shopper.unavailable"))
        else:
            problems = [_("Check the dates.")]
    return render_template("shopper/unavailable.html", form=form, problems=problems, action=PlainActionForm(),
                           rows=plans.list_unavailable(db.session, _shopper().id)), (422 if problems else 200)


@bp.route("/unavailable/<int:row_id>/delete", methods=["POST"])
@role_required("shopper")
def remove_unavailable(row_id: int):
    if not PlainActionForm().validate_on_submit():
        abort(400)
    try:
        plans.remove_unavailable(db.session, _shopper(), row_id, now=_now())
    except NotFoundError:
        abort(404)
    flash(_("Unavailable dates removed."), "success")
    return redirect(url_for("shopper.unavailable"))
