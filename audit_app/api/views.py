"""The /api/v1 routes: parse the request (SpecTree models), call one service as the token's owner, answer JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from flask import current_app, render_template, request, url_for
from flask.views import MethodView
from pydantic import ValidationError
from spectree import Response

from audit_app.api import bp, schemas
from audit_app.api.edge import (
    ApiProblem, caller, decode_cursor, now, page_body, problem, require_write, spec, validation_problem,
)
from audit_app.extensions import db, limiter
from audit_app.services import api_read, assignments, org, photos, rubrics
from audit_app.services.errors import Message, NotFoundError, ServiceError

# Which field a service's refusal is about, by its message id.
FIELD_OF_MESSAGE = {
    "A code and a name are both needed.": "code",
    "The code %(code)s is already used.": "code",
    "Unknown time zone %(zone)s (use a name like Asia/Tokyo).": "timezone",
    "No such area.": "area_id",
    "Choose an active shopper.": "shopper_id",
    "Give both latitude and longitude, or neither.": "latitude",
    "Latitude must be between -90 and 90.": "latitude",
    "Longitude must be between -180 and 180.": "longitude",
    "The allowed radius must be from 10 to %(max)s metres.": "radius_m",
    "Choose an active store.": "store_id",
    "No such checklist.": "checklist_id",
    "This checklist has no published version yet.": "checklist_id",
    "The window must end on or after the day it starts.": "window_end",
}

ERRORS = {f"HTTP_{code}": schemas.Problem for code in (401, 403, 404, 429)}
READ_TAGS = {"regions": "Organisation", "areas": "Organisation", "stores": "Organisation"}


def _refused(error: ServiceError, status: int = 422) -> ApiProblem:
    message = error.message if isinstance(error.message, str) else ""
    if isinstance(error.message, Message):  # one sentence with its own values (a store's location, say)
        message = error.message.id
    field = FIELD_OF_MESSAGE.get(message)
    return ApiProblem(status, str(error), errors=[{"field": field, "detail": str(error)}] if field else None)


def _json_body(model: type[schemas.Query]) -> Any:
    """The request's JSON body as `model`: 415 when it is not JSON, 422 naming each wrong field."""
    if not request.is_json:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        problem(422, "The body must be a JSON object.", field="body")
    for key, value in data.items():
        if isinstance(value, str) and "\x00" in value:  # no column can store NUL
            problem(422, "A text may not contain NUL characters.", field=str(key))
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error, "body") from None


def _query(model: type[schemas.Query]) -> Any:
    try:
        return model.model_validate(_args())
    except ValidationError as error:
        raise validation_problem(error, "query") from None


def _args() -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        args[key] = values if key == "status" and values and request.endpoint in LIST_STATUS else values[-1]
    return args


LIST_STATUS = {"api.visits", "api.section_scores", "api.actions_list"}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          mimetype="application/json")
    response.headers.update(headers or {})
    return response


def _store_body(item: api_read.StoreItem) -> dict[str, Any]:
    body = schemas.Store.model_validate(item, from_attributes=True)
    body.url = url_for("api.store", store_id=item.id, _external=True)
    return body.model_dump(mode="json")


# --- the organisation ----------------------------------------------------------------------------


class RegionPage(schemas.Page[schemas.Region]):
    pass


class AreaPage(schemas.Page[schemas.Area]):
    pass


class StorePage(schemas.Page[schemas.Store]):
    pass


@bp.get("/regions")
@spec.validate(query=schemas.PageQuery, resp=Response(HTTP_200=RegionPage, **ERRORS), tags=["Organisation"])
def regions():
    """Regions (head office)."""
    q = _query(schemas.PageQuery)
    page = api_read.list_regions(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit)
    return _json(page_body(page.items, schemas.Region, page.last_id))


@bp.get("/areas")
@spec.validate(query=schemas.AreaQuery, resp=Response(HTTP_200=AreaPage, **ERRORS), tags=["Organisation"])
def areas():
    """Areas: head office every one, an area manager theirs."""
    q = _query(schemas.AreaQuery)
    page = api_read.list_areas(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit,
                               region_id=q.region_id)
    return _json(page_body(page.items, schemas.Area, page.last_id))


@bp.get("/areas/<int:area_id>")
@spec.validate(resp=Response(HTTP_200=schemas.Area, **ERRORS), tags=["Organisation"])
def area(area_id: int):
    """One area."""
    item = api_read.get_area(db.session, caller().user, area_id)
    return _json(schemas.Area.model_validate(item, from_attributes=True).model_dump(mode="json"))


@bp.get("/stores")
@spec.validate(query=schemas.StoreQuery, resp=Response(HTTP_200=StorePage, **ERRORS), tags=["Organisation"])
def stores():
    """Stores: head office every one, an area manager those of their areas, a store manager their own."""
    q = _query(schemas.StoreQuery)
    page = api_read.list_stores(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit,
                                area_id=q.area_id)
    body = page_body(page.items, schemas.Store, page.last_id)
    for item in body["data"]:
        item["url"] = url_for("api.store", store_id=item["id"], _external=True)
    return _json(body)


@bp.post("/stores")
@spec.validate(json=schemas.StoreCreate, resp=Response(HTTP_201=schemas.Store, HTTP_422=schemas.Problem, **ERRORS),
               tags=["Organisation"])
def create_store():
    """Create a store (head office, read and write token)."""
    who = require_write()
    if who.user.role != "head_office":
        problem(403, "Stores are created by head office.")
    body = _json_body(schemas.StoreCreate)
    try:
        store = org.save_store(db.session, who.user, store_id=None, now=now(), **body.model_dump())
    except (ServiceError, NotFoundError) as error:
        raise _refused(error) from None
    item = api_read.store_item(store)
    return _json(_store_body(item), 201, {"Location": url_for("api.store", store_id=item.id, _external=True)})


class StoreView(MethodView):
    """One store: read, or changed by head office. One rule for both methods, so that an id beyond the id columns
    is a 404 for each of them."""

    @spec.validate(resp=Response(HTTP_200=schemas.Store, **ERRORS), tags=["Organisation"])
    def get(self, store_id: int):  # type: ignore[no-untyped-def]
        """One store."""
        return _json(_store_body(api_read.get_store(db.session, caller().user, store_id)))

    @spec.validate(json=schemas.StoreUpdate,
                   resp=Response(HTTP_200=schemas.Store, HTTP_422=schemas.Problem, **ERRORS), tags=["Organisation"])
    def patch(self, store_id: int):  # type: ignore[no-untyped-def]
        """Change a store's fields (head office, read and write token); fields left out keep their value."""
        return update_store(store_id)


bp.add_url_rule("/stores/<int:store_id>", view_func=StoreView.as_view("store"))


def update_store(store_id: int):  # type: ignore[no-untyped-def]
    who = require_write()
    if who.user.role != "head_office":
        problem(403, "Stores are changed by head office.")
    body = _json_body(schemas.StoreUpdate)
    current = api_read.get_store(db.session, who.user, store_id)
    values = {key: getattr(current, key) for key in ("code", "name", "area_id", "city", "address", "timezone",
                                                      "latitude", "longitude", "radius_m")}
    changed = body.model_dump(exclude_unset=True)
    # Coordinates and radius may be cleared with null; every other field keeps its value unless given.
    values.update({key: value for key, value in changed.items()
                   if value is not None or key in ("latitude", "longitude", "radius_m")})
    try:
        store = org.save_store(db.session, who.user, store_id=store_id, now=now(), **values)
    except (ServiceError, NotFoundError) as error:
        raise _refused(error) from None
    return _json(_store_body(api_read.store_item(store)))


# --- checklists ----------------------------------------------------------------------------------


class ChecklistPage(schemas.Page[schemas.Checklist]):
    pass


def _checklist_body(item: api_read.ChecklistItem) -> dict[str, Any]:
    body = schemas.Checklist.model_validate(item, from_attributes=True).model_dump(mode="json")
    body["url"] = url_for("api.checklist", checklist_id=item.id, _external=True)
    for version in body["versions"]:
        version["url"] = url_for("api.checklist_version", checklist_id=item.id, number=version["number"],
                                 _external=True)
    return body


@bp.get("/checklists")
@spec.validate(query=schemas.PageQuery, resp=Response(HTTP_200=ChecklistPage, **ERRORS), tags=["Checklists"])
def checklists():
    """Checklists and their versions (area managers see published and retired versions only)."""
    q = _query(schemas.PageQuery)
    page = api_read.list_checklists(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit)
    body = page_body([], schemas.Checklist, page.last_id)
    body["data"] = [_checklist_body(item) for item in page.items]
    return _json(body)


@bp.get("/checklists/<int:checklist_id>")
@spec.validate(resp=Response(HTTP_200=schemas.Checklist, **ERRORS), tags=["Checklists"])
def checklist(checklist_id: int):
    """One checklist and its versions."""
    return _json(_checklist_body(api_read.get_checklist(db.session, caller().user, checklist_id)))


@bp.get("/checklists/<int:checklist_id>/versions/<int:number>")
@spec.validate(query=schemas.VersionQuery, resp=Response(HTTP_200=schemas.ChecklistVersion, **ERRORS),
               tags=["Checklists"], skip_validation=True)  # the YAML answer is no JSON to validate
def checklist_version(checklist_id: int, number: int):
    """A version's definition, as JSON or (`format=yaml`, or `Accept: application/yaml`) YAML."""
    q = _query(schemas.VersionQuery)
    item = api_read.get_version(db.session, caller().user, checklist_id, number)
    wants_yaml = q.format == "yaml" or request.accept_mimetypes.best in ("application/yaml", "text/yaml")
    if wants_yaml:
        return current_app.response_class(rubrics.export_yaml(item.definition), mimetype="application/yaml")
    return _json(schemas.ChecklistVersion.model_validate(item, from_attributes=True).model_dump(mode="json"))


@bp.post("/checklists/import")
@spec.validate(resp=Response(HTTP_201=schemas.ChecklistVersion, HTTP_409=schemas.Problem, HTTP_415=schemas.Problem,
                             HTTP_422=schemas.Problem, **ERRORS),
               tags=["Checklists"], skip_validation=True)
def import_checklist():
    """Import a checklist as a new draft (head office, read and write token).

    The body is the checklist's definition as YAML (`Content-Type: application/yaml`) or JSON; a checklist whose
    key exists gets a new draft version, another key a new checklist. Every schema problem is listed with its path.
    """
    who = require_write()
    if who.user.role != "head_office":
        problem(403, "Checklists are imported by head office.")
    if request.content_length and request.content_length > 1024 * 1024:
        problem(413, "A checklist is at most 1 MB.")
    raw = request.get_data(cache=False, as_text=False)
    if len(raw) > 1024 * 1024:
        problem(413, "A checklist is at most 1 MB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problem(422, "The body is not UTF-8 text.", field="body")
    if request.mimetype == "application/json":
        try:
            text = yaml.safe_dump(json.loads(text), allow_unicode=True, sort_keys=False)
        except ValueError as error:
            problem(422, f"The body is not valid JSON: {error}.", field="body")
    elif request.mimetype not in ("application/yaml", "application/x-yaml", "text/yaml", "text/plain"):
        raise ApiProblem(415, "Send the checklist as application/yaml or application/json.")
    try:
        info = rubrics.import_yaml(db.session, who.user, text, now=now())
    except rubrics.RubricProblemsError as error:
        raise ApiProblem(422, str(error), errors=[{"field": p.path or "body", "detail": p.message}
                                                  for p in error.problems]) from None
    except rubrics.RubricError as error:
        raise ApiProblem(409, str(error)) from None
    item = api_read.get_version(db.session, who.user, info.checklist_id, info.number)
    location = url_for("api.checklist_version", checklist_id=info.checklist_id, number=info.number, _external=True)
    return _json(schemas.ChecklistVersion.model_validate(item, from_attributes=True).model_dump(mode="json"), 201,
                 {"Location": location})


# --- assignments ---------------------------------------------------------------------------------


class AssignmentPage(schemas.Page[schemas.Assignment]):
    pass


@bp.get("/assignments")
@spec.validate(query=schemas.AssignmentQuery, resp=Response(HTTP_200=AssignmentPage, **ERRORS), tags=["Assignments"])
def assignments_list():
    """Assignments: head office every one, a shopper their own."""
    q = _query(schemas.AssignmentQuery)
    page = api_read.list_assignments(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit,
                                     status=q.status, store_id=q.store_id, checklist_id=q.checklist_id)
    return _json(page_body(page.items, schemas.Assignment, page.last_id))


@bp.post("/assignments")
@spec.validate(json=schemas.AssignmentCreate,
               resp=Response(HTTP_201=schemas.Assignment, HTTP_422=schemas.Problem, **ERRORS), tags=["Assignments"])
def create_assignment():
    """Assign a checklist at a store to a shopper for a window of days (head office, read and write token)."""
    who = require_write()
    if who.user.role != "head_office":
        problem(403, "Assignments are made by head office.")
    body = _json_body(schemas.AssignmentCreate)
    try:
        made = assignments.create_assignment(db.session, who.user, now=now(), **body.model_dump())
    except (ServiceError, NotFoundError) as error:
        raise _refused(error) from None
    item = api_read.assignment_item(made)
    return _json(schemas.Assignment.model_validate(item, from_attributes=True).model_dump(mode="json"), 201)


@bp.post("/assignments/<int:assignment_id>/cancel")
@spec.validate(resp=Response(HTTP_200=schemas.Assignment, HTTP_409=schemas.Problem, **ERRORS), tags=["Assignments"])
def cancel_assignment(assignment_id: int):
    """Cancel an assignment that has not been started (head office, read and write token)."""
    who = require_write()
    if who.user.role != "head_office":
        problem(403, "Assignments are cancelled by head office.")
    try:
        assignments.cancel_assignment(db.session, who.user, assignment_id, now=now())
    except assignments.AssignmentError as error:
        raise ApiProblem(409, str(error)) from None
    page = api_read.list_assignments(db.session, who.user, after=assignment_id - 1, limit=1)
    return _json(schemas.Assignment.model_validate(page.items[0], from_attributes=True).model_dump(mode="json"))


# --- visits --------------------------------------------------------------------------------------


class VisitPage(schemas.Page[schemas.Visit]):
    pass


class SectionScorePage(schemas.Page[schemas.SectionScore]):
    pass


def _visit_filter(q: schemas.VisitQuery) -> api_read.VisitFilter:
    return api_read.VisitFilter(statuses=tuple(q.status), store_id=q.store_id, area_id=q.area_id,
                                checklist_id=q.checklist_id, submitted_since=q.submitted_since,
                                updated_since=q.updated_since)


def _visit_links(body: dict[str, Any]) -> dict[str, Any]:
    body["url"] = url_for("api.visit", visit_id=body["id"], _external=True)
    body["store_url"] = url_for("api.store", store_id=body["store_id"], _external=True)
    body["checklist_url"] = url_for("api.checklist", checklist_id=body["checklist_id"], _external=True)
    for answer in body.get("answers") or ():
        answer["photo_urls"] = [url_for("api.photo", photo_id=i, _external=True) for i in answer["photo_ids"]]
    return body


@bp.get("/visits")
@spec.validate(query=schemas.VisitQuery, resp=Response(HTTP_200=VisitPage, **ERRORS), tags=["Visits"])
def visits():
    """Visits with their stored scores (submitted and approved unless `status` says otherwise), oldest first."""
    q = _query(schemas.VisitQuery)
    page = api_read.list_visits(db.session, caller().user, _visit_filter(q), after=decode_cursor(q.cursor),
                                limit=q.limit)
    body = page_body(page.items, schemas.Visit, page.last_id)
    body["data"] = [_visit_links(item) for item in body["data"]]
    return _json(body)


@bp.get("/visits/<int:visit_id>")
@spec.validate(resp=Response(HTTP_200=schemas.VisitDetail, **ERRORS), tags=["Visits"])
def visit(visit_id: int):
    """One visit: its answers, photos and stored score card."""
    item = api_read.get_visit(db.session, caller().user, visit_id)
    return _json(_visit_links(schemas.VisitDetail.model_validate(item, from_attributes=True).model_dump(mode="json")))


@bp.get("/section-scores")
@spec.validate(query=schemas.VisitQuery, resp=Response(HTTP_200=SectionScorePage, **ERRORS), tags=["Visits"])
def section_scores():
    """Section scores of the visits' current scores, with the same filters as /visits."""
    q = _query(schemas.VisitQuery)
    page = api_read.list_section_scores(db.session, caller().user, _visit_filter(q), after=decode_cursor(q.cursor),
                                        limit=q.limit)
    return _json(page_body(page.items, schemas.SectionScore, page.last_id))


@bp.get("/photos/<int:photo_id>")
@spec.validate(query=schemas.PhotoQuery, resp=Response("HTTP_200", **ERRORS), tags=["Visits"],
               skip_validation=True)
def photo(photo_id: int):
    """A visit photo as JPEG (`variant=thumb` for the small one), for readers who may see its visit."""
    q = _query(schemas.PhotoQuery)
    path = photos.photo_file_for(db.session, caller().user, photo_id, q.variant,
                                 upload_dir=Path(current_app.config["UPLOAD_DIR"]))
    # Read whole (photos are a few hundred KB) so that the ETag and 304 answers work as for every other read.
    response = current_app.response_class(path.read_bytes(), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- the document and its page ---------------------------------------------------------------------


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    """The OpenAPI 3.1 document, generated from the models above."""
    return _json(spec.spec)


@bp.get("/docs")
@limiter.exempt
def docs():
    """A readable reference of the API, rendered on the server from the OpenAPI document."""
    from audit_app.api.reference import reference

    return render_template("api/docs.html", ref=reference(spec.spec))


# --- corrective actions --------------------------------------------------------------------------------


class ActionPage(schemas.Page[schemas.Action]):
    pass


def _action_body(item: api_read.ActionItem) -> dict[str, Any]:
    body = schemas.Action.model_validate(item, from_attributes=True)
    body.url = url_for("api.action", action_id=item.id, _external=True)
    return body.model_dump(mode="json")


@bp.get("/actions")
@spec.validate(query=schemas.ActionQuery, resp=Response(HTTP_200=ActionPage, **ERRORS), tags=["Corrective actions"])
def actions_list():
    """Corrective actions of the stores the reader sees (managers and head office)."""
    q = _query(schemas.ActionQuery)
    page = api_read.list_actions(db.session, caller().user, after=decode_cursor(q.cursor), limit=q.limit,
                                 store_id=q.store_id, statuses=q.status, updated_since=q.updated_since)
    body = page_body(page.items, schemas.Action, page.last_id)
    for item, data in zip(page.items, body["data"]):
        data["url"] = url_for("api.action", action_id=item.id, _external=True)
    return _json(body)


@bp.get("/actions/<int:action_id>")
@spec.validate(resp=Response(HTTP_200=schemas.Action, **ERRORS), tags=["Corrective actions"])
def action(action_id: int):
    """One corrective action."""
    return _json(_action_body(api_read.get_action(db.session, caller().user, action_id)))


@bp.post("/actions/<int:action_id>/status")
@spec.validate(json=schemas.ActionChangeIn, resp=Response(HTTP_200=schemas.Action, HTTP_409=schemas.Problem,
                                                           HTTP_422=schemas.Problem, **ERRORS),
               tags=["Corrective actions"])
def change_action(action_id: int):
    """Move an action on: start it, resolve it with a comment, verify and close it, or reopen it with a reason
    (read and write token; the same people as on the action's page). An action whose rule asks for an evidence
    photo is resolved on its page, where the photo is taken."""
    from audit_app.services import actions

    who = require_write()
    change = _json_body(schemas.ActionChangeIn)
    api_read.get_action(db.session, who.user, action_id)  # 404 or 403 before anything else
    try:
        if change.status == "in_progress":
            actions.start_action(db.session, who.user, action_id, now=now())
        elif change.status == "resolved":
            actions.resolve_action(db.session, who.user, action_id, comment=change.comment, photo=None,
                                   upload_dir=Path(current_app.config["UPLOAD_DIR"]), now=now())
        elif change.status == "closed":
            actions.close_action(db.session, who.user, action_id, note=change.comment, now=now())
        else:
            actions.reopen_action(db.session, who.user, action_id, reason=change.comment, now=now())
    except actions.ActionError as error:
        db.session.rollback()
        if error.field:
            raise ApiProblem(422, str(error), errors=[{"field": "comment" if error.field in (
                "comment", "reason", "note") else error.field, "detail": str(error)}]) from None
        raise ApiProblem(409, str(error)) from None
    return _json(_action_body(api_read.get_action(db.session, who.user, action_id)))
