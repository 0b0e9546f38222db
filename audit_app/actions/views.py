"""Corrective actions: the list, one action and its changes, a new action, the evidence photo."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import (
    Response, abort, current_app, flash, redirect, render_template, request, send_file, stream_with_context, url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.actions import bp
from audit_app.actions.forms import (
    CloseActionForm, FilterActionsForm, NewActionForm, ReassignActionForm, ReopenActionForm, ResolveActionForm,
    StartActionForm, status_choices,
)
from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.i18n import error_text
from audit_app.routing import is_id, parse_id
from audit_app.manager.views import XLSX_TYPE
from audit_app.services import action_lists, actions, exports

READERS = ("store_manager", "area_manager", "head_office")
MANAGERS = ("area_manager", "head_office")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lang() -> str:
    return str(get_locale() or "en")


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _place_error(form, error: actions.ActionError) -> None:  # type: ignore[no-untyped-def]
    """A refusal beside the field it names, or above the form."""
    text = error_text(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, text] if isinstance(field.errors, list) else [text]
    else:
        form.form_errors.append(text)


def _assignee_choices(people) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    words = {"store_manager": _("store manager"), "area_manager": _("area manager")}
    return [("", _("Nobody yet"))] + [(str(p.id), f"{p.name} ({words.get(p.role, p.role)})") for p in people]


def _assignee_id(value: str | None) -> int | None:
    return parse_id(value) if value else None


def _id(value: str | None) -> int | None:
    """An id from the form or query string; one beyond any id names nothing (404), as in a path."""
    found = parse_id(value)
    if found is not None and not is_id(found):
        abort(404)
    return found


@bp.route("/")
@role_required(*READERS)
def index():
    form = FilterActionsForm(request.args)
    filters = form.filters()
    page = action_lists.list_actions(db.session, current_user, filters, now=_now(), lang=_lang())
    figures = action_lists.action_figures(db.session, current_user, filters, now=_now(), lang=_lang())
    query = {k: v for k, v in request.args.items() if k in (
        "store", "area", "region", "status", "priority", "overdue", "checklist", "question", "sort", "order")}
    return render_template("actions/list.html", page=page, form=form, statuses=status_choices(), figures=figures,
                           query=query)


def _export_headers() -> dict[str, str]:
    return {"id": _("Action number"), "store_code": _("Store code"), "store": _("Store"), "area": _("Area"),
            "region": _("Region"), "title": _("Corrective action"), "checklist": _("Checklist"),
            "question": _("Question"), "priority": _("Priority"), "status": _("Status"), "due_on": _("Due by"),
            "overdue": _("Overdue"), "assignee": _("Assigned to"), "source": _("Created"),
            "created_at": _("Created at"), "resolved_at": _("Resolved at"), "closed_at": _("Closed at"),
            "reopened": _("Times reopened"), "visit": _("Visit"), "timezone": _("Time zone"),
            "sheet": _("Corrective actions")}


def _export_words() -> dict[str, str]:
    from audit_app.template_helpers import label

    words = {f"priority.{p}": label(p, "priority") for p in ("low", "medium", "high", "critical")}
    words.update({f"status.{s}": label(s, "action_status") for s in ("open", "in_progress", "resolved", "closed",
                                                                      "reopened")})
    words.update({"source.manual": label("manual", "action_source"), "source.rule": label("rule", "action_source"),
                  "yes": _("Yes")})
    return words


@bp.route("/export.<any(csv, xlsx):file_type>")
@role_required(*READERS)
def export(file_type: str):
    export = action_lists.prepare_action_export(
        db.session, current_user, FilterActionsForm(request.args).filters(), now=_now(), lang=_lang(),
        headers=_export_headers(), words=_export_words())
    chunks = exports.xlsx_chunks(export) if file_type == "xlsx" else exports.csv_chunks(export)
    response = Response(stream_with_context(chunks), content_type=XLSX_TYPE if file_type == "xlsx"
                        else "text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}.{file_type}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new():
    args = request.form if request.method == "POST" else request.args
    visit_id = _id(args.get("visit_id") or args.get("visit") or "")
    question_key = (args.get("question_key") or args.get("question") or "")[:64] or None
    store_id = _id(args.get("store_id") or args.get("store") or "")
    context = action_lists.new_action_context(db.session, current_user, store_id=store_id, visit_id=visit_id,
                                              question_key=question_key, lang=_lang())
    form = NewActionForm()
    form.store_id.choices = [(o.value, o.label) for o in context.stores]
    form.assignee.choices = _assignee_choices(context.assignees)
    if request.method == "GET":
        form.store_id.data = context.store_id
        form.visit_id.data = context.visit_id
        form.question_key.data = context.question_key or ""
        if context.question_text:
            form.title.data = context.question_text
    if form.validate_on_submit():
        try:
            action = actions.create_action(
                db.session, current_user, store_id=context.store_id, title=form.title.data,
                priority=form.priority.data, due_on=form.due_on.data, assignee_id=_assignee_id(form.assignee.data),
                guidance=form.guidance.data or "", visit_id=context.visit_id, question_key=context.question_key,
                requires_evidence=bool(form.requires_evidence.data), now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            flash(_("Action created."), "success")
            return redirect(url_for("actions.detail", action_id=action.id), 303)
    return render_template("actions/new.html", form=form, context=context), \
        (422 if request.method == "POST" else 200)


def _detail_page(action_id: int, status: int = 200, **forms):  # type: ignore[no-untyped-def]
    page = action_lists.get_action_page(db.session, current_user, action_id, now=_now(), lang=_lang())
    reassign = forms.get("reassign") or ReassignActionForm(formdata=None)
    reassign.assignee.choices = _assignee_choices(page.assignees)
    if "reassign" not in forms:
        reassign.assignee.data = str(page.assignee_id or "")
        reassign.due_on.data = page.row.due_on
        reassign.priority.data = page.row.priority
    # A refused step whose form the page no longer shows (another tab moved the action on meanwhile) is said at
    # the top, with what was typed in it, so nothing typed is lost without a word.
    refused = [(name, [*form.form_errors, *(e for f in form for e in f.errors)],
                [f.data for f in form if f.type == "TextAreaField" and f.data])
               for name, form in forms.items() if status == 422]
    return render_template(
        "actions/detail.html", page=page, refused=refused, start=forms.get("start") or StartActionForm(formdata=None),
        resolve=forms.get("resolve") or ResolveActionForm(formdata=None),
        close=forms.get("close") or CloseActionForm(formdata=None),
        reopen=forms.get("reopen") or ReopenActionForm(formdata=None), reassign=reassign), status


@bp.route("/<int:action_id>")
@role_required(*READERS)
def detail(action_id: int):
    return _detail_page(action_id)


def _done(action_id: int, message: str):  # type: ignore[no-untyped-def]
    flash(message, "success")
    return redirect(url_for("actions.detail", action_id=action_id), 303)


@bp.route("/<int:action_id>/start", methods=["POST"])
@role_required(*READERS)
def start(action_id: int):
    form = StartActionForm()
    if form.validate_on_submit():
        try:
            actions.start_action(db.session, current_user, action_id, now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            return _done(action_id, _("Marked as in progress."))
    return _detail_page(action_id, 422, start=form)


@bp.route("/<int:action_id>/resolve", methods=["POST"])
@role_required(*READERS)
def resolve(action_id: int):
    form = ResolveActionForm()
    if form.validate_on_submit():
        upload = request.files.get("photo")
        data = upload.read() if upload is not None and upload.filename else None
        try:
            actions.resolve_action(db.session, current_user, action_id, comment=form.comment.data, photo=data,
                                   upload_dir=_upload_dir(), now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            return _done(action_id, _("Marked as resolved. The area manager verifies it."))
    return _detail_page(action_id, 422, resolve=form)


@bp.route("/<int:action_id>/close", methods=["POST"])
@role_required(*MANAGERS)
def close(action_id: int):
    form = CloseActionForm()
    if form.validate_on_submit():
        try:
            actions.close_action(db.session, current_user, action_id, note=form.note.data or "", now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            return _done(action_id, _("Verified and closed."))
    return _detail_page(action_id, 422, close=form)


@bp.route("/<int:action_id>/reopen", methods=["POST"])
@role_required(*MANAGERS)
def reopen(action_id: int):
    form = ReopenActionForm()
    if form.validate_on_submit():
        try:
            actions.reopen_action(db.session, current_user, action_id, reason=form.reason.data, now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            return _done(action_id, _("Reopened."))
    return _detail_page(action_id, 422, reopen=form)


@bp.route("/<int:action_id>/reassign", methods=["POST"])
@role_required(*MANAGERS)
def reassign(action_id: int):
    form = ReassignActionForm()
    page = action_lists.get_action_page(db.session, current_user, action_id, now=_now(), lang=_lang())
    form.assignee.choices = _assignee_choices(page.assignees)
    if form.validate_on_submit():
        try:
            actions.reassign_action(db.session, current_user, action_id,
                                    assignee_id=_assignee_id(form.assignee.data), due_on=form.due_on.data,
                                    priority=form.priority.data, note=form.note.data or "", now=_now())
        except actions.ActionError as error:
            _place_error(form, error)
        else:
            return _done(action_id, _("Saved."))
    return _detail_page(action_id, 422, reassign=form)


@bp.route("/<int:action_id>/evidence/<any(full, thumb):variant>.jpg")
@role_required(*READERS)
def evidence(action_id: int, variant: str):
    path = actions.evidence_file_for(db.session, current_user, action_id, variant, upload_dir=_upload_dir())
    response = send_file(path, mimetype="image/jpeg", max_age=0, etag=True, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
