"""The REST API driven over HTTP with personal access tokens, as each kind of user."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import ApiToken, Assignment, AuditLog, ChecklistVersion, SectionScore, Store, User, VisitScore
from audit_app.services import api_tokens, org, settings
from tests.factories import (
    NOW, World, add_submitted, make_assignment, make_published_checklist, make_store, make_submitted_visit,
    small_checklist_data, visit_with_photo_and_hazard,
)

ANSWERS = {"greeted": "yes", "helpful": 4, "queue_wait": 90}


def token_for(user: User, scope: str = "read_write", days: int = 30) -> str:
    now = datetime.now(timezone.utc)
    return api_tokens.create_token(db.session, user, name=f"{user.email} {scope}", scope=scope,
                                   expires_at=now + timedelta(days=days), now=now).secret


class Api:
    """A test client that sends one person's token with every request."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self("GET", path, **kwargs)


@pytest.fixture
def api(app: Flask, world: World):  # type: ignore[no-untyped-def]
    """api(role_user, scope) -> an Api client acting with a new token of that person."""
    def make(user: User, scope: str = "read_write") -> Api:
        return Api(app.test_client(), token_for(user, scope))
    return make


def problem_of(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["status"] == response.status_code
    return body


def fields_of(response: Any) -> list[str]:
    return [e["field"] for e in problem_of(response)["errors"]]


# --- authentication ------------------------------------------------------------------------------


def test_a_signed_in_browser_session_does_not_authenticate_the_api(app: Flask, world: World, login) -> None:
    client = login(world.head)
    assert client.get("/head-office/").status_code == 200  # the cookie session works for the web pages
    response = client.get("/api/v1/stores")
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert "token" in problem_of(response)["detail"]


def test_a_token_request_needs_no_csrf_token_and_acts_as_its_owner(api, world: World) -> None:
    response = api(world.head)("POST", "/stores", json={"code": "S7", "name": "Shibuya", "area_id": world.area.id})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/api/v1/stores/{response.get_json()['id']}")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "store.create"))
    assert entry is not None and entry.actor_id == world.head.id and entry.after["code"] == "S7"


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "inactive"])
def test_unknown_revoked_expired_and_deactivated_tokens_are_refused(app: Flask, world: World, state: str) -> None:
    secret = token_for(world.manager)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.manager.id))
    if state == "unknown":
        secret = secret[:-4] + "abcd"
    elif state == "revoked":
        api_tokens.revoke_token(db.session, world.manager, token.id, now=datetime.now(timezone.utc))
    elif state == "expired":
        token.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session.commit()
    else:
        org.set_active(db.session, world.head, "user", world.manager.id, False, now=NOW)
    response = Api(app.test_client(), secret).get("/stores")
    assert response.status_code == 401
    assert state in problem_of(response)["detail"]


def test_the_secret_is_stored_only_as_its_digest_and_last_use_is_noted(app: Flask, world: World) -> None:
    secret = token_for(world.manager, "read")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.manager.id))
    assert secret.startswith("sct_") and token.secret_hash != secret and secret not in token.secret_hash
    assert token.prefix == secret[:12] and token.last_used_at is None
    assert Api(app.test_client(), secret).get("/stores").status_code == 200
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_a_read_only_token_cannot_write(api, world: World) -> None:
    response = api(world.head, "read")("PATCH", f"/stores/{world.store.id}", json={"name": "Renamed"})
    assert response.status_code == 403
    assert "insufficient_scope" in response.headers["WWW-Authenticate"]
    assert db.session.get(Store, world.store.id).name == "Ginza"


def test_requests_beyond_the_tokens_rate_limit_get_429_with_retry_after(app: Flask, api, world: World) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = api(world.manager), api(world.manager)
    assert [first.get("/stores").status_code for _ in range(3)] == [200, 200, 200]
    response = first.get("/stores")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert problem_of(response)["title"] == "Too many requests"
    assert second.get("/stores").status_code == 200  # another token counts on its own


# --- the organisation ----------------------------------------------------------------------------


def test_an_area_manager_sees_only_the_stores_and_areas_they_look_after(api, world: World) -> None:
    manager = api(world.manager)
    stores = manager.get("/stores").get_json()["data"]
    assert [s["code"] for s in stores] == ["S1"]
    assert stores[0]["url"].endswith(f"/api/v1/stores/{world.store.id}")
    assert [a["code"] for a in manager.get("/areas").get_json()["data"]] == ["A1"]
    assert manager.get(f"/stores/{world.other_store.id}").status_code == 403
    assert manager.get("/regions").status_code == 403
    assert api(world.shopper).get("/stores").status_code == 403
    head = api(world.head)
    assert [s["code"] for s in head.get("/stores").get_json()["data"]] == ["S1", "S2"]
    huge = base64.urlsafe_b64encode(json.dumps({"after": 2**40}).encode()).decode()
    assert fields_of(head.get(f"/stores?cursor={huge}")) == ["cursor"]
    assert [r["code"] for r in head.get("/regions").get_json()["data"]] == ["R1"]


def test_pages_follow_cursors_in_id_order_without_repeats(api, world: World) -> None:
    for n in range(3, 8):
        make_store(world.area, f"S{n}", f"Store {n}")
    head = api(world.head)
    seen, path, pages = [], "/stores?limit=2", 0
    while path:
        body = head.get(path).get_json()
        seen.extend(s["code"] for s in body["data"])
        pages += 1
        assert (body["next_cursor"] is None) == (body["links"]["next"] is None)
        path = body["links"]["next"].split("/api/v1", 1)[1] if body["next_cursor"] else None
    assert seen == ["S1", "S2", "S3", "S4", "S5", "S6", "S7"] and pages == 4


@pytest.mark.parametrize(("query", "field"), [
    ("limit=201", "limit"), ("limit=0", "limit"), ("limit=ten", "limit"), ("cursor=not-ours", "cursor"),
    ("area_id=-1", "area_id"), ("colour=blue", "colour"), (f"area_id={2**31}", "area_id"),
])
def test_bad_query_parameters_are_a_problem_naming_the_parameter(api, world: World, query: str, field: str) -> None:
    response = api(world.head).get(f"/stores?{query}")
    assert response.status_code == 422
    assert fields_of(response) == [field]


def test_an_unchanged_resource_answers_304_to_its_etag(api, world: World) -> None:
    head = api(world.head)
    first = head.get(f"/stores/{world.store.id}")
    etag = first.headers["ETag"]
    assert head.get(f"/stores/{world.store.id}", headers={"If-None-Match": etag}).status_code == 304
    org.save_store(db.session, world.head, store_id=world.store.id, code="S1", name="Ginza Main", area_id=world.area.id,
                   city="", address="", timezone="Asia/Tokyo", now=NOW)
    again = head.get(f"/stores/{world.store.id}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.get_json()["name"] == "Ginza Main"


def test_head_office_updates_a_store_and_bad_fields_are_named(api, world: World) -> None:
    head = api(world.head)
    response = head("PATCH", f"/stores/{world.store.id}", json={"city": "Chuo", "timezone": "UTC"})
    assert response.status_code == 200 and response.get_json()["city"] == "Chuo"
    stored = db.session.get(Store, world.store.id)
    assert (stored.city, stored.timezone, stored.name, stored.address) == ("Chuo", "UTC", "Ginza", "1-1 Ginza")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "store.update"))
    assert entry.before["city"] == "Tokyo" and entry.after["city"] == "Chuo" and entry.actor_id == world.head.id
    assert fields_of(head("PATCH", f"/stores/{world.store.id}", json={"timezone": "Mars/Base"})) == ["timezone"]
    assert fields_of(head("POST", "/stores", json={"code": "S2", "name": "Twin", "area_id": world.area.id})) == ["code"]
    assert fields_of(head("POST", "/stores", json={"code": "S8", "area_id": world.area.id})) == ["name"]
    assert fields_of(head("POST", "/stores", json={"code": "S8", "name": "X", "area_id": 999999})) == ["area_id"]
    assert head("POST", "/stores", data="code=S8", content_type="application/x-www-form-urlencoded").status_code in (415, 422)
    assert head("PATCH", "/stores/999999", json={"name": "Nowhere"}).status_code == 404
    assert fields_of(head("PATCH", f"/stores/{world.store.id}", json={"name": "Nul\x00"})) == ["name"]


# --- checklists ----------------------------------------------------------------------------------


def test_checklist_versions_read_as_json_and_yaml(api, world: World) -> None:
    version = make_published_checklist()
    manager = api(world.manager)
    checklist = manager.get(f"/checklists/{version.checklist_id}").get_json()
    assert checklist["key"] == "store_check" and [v["number"] for v in checklist["versions"]] == [1]
    as_json = manager.get(f"/checklists/{version.checklist_id}/versions/1").get_json()
    assert [s["key"] for s in as_json["definition"]["sections"]] == ["service", "checkout"]
    as_yaml = manager.get(f"/checklists/{version.checklist_id}/versions/1?format=yaml")
    assert as_yaml.mimetype == "application/yaml"
    assert yaml.safe_load(as_yaml.get_data(as_text=True)) == as_json["definition"]
    assert api(world.shopper).get(f"/checklists/{version.checklist_id}").status_code == 403


def test_head_office_imports_a_draft_from_yaml_and_problems_name_their_path(api, world: World) -> None:
    head = api(world.head)
    text = yaml.safe_dump(small_checklist_data("api_walk"))
    response = head("POST", "/checklists/import", data=text, content_type="application/yaml")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["checklist_key"], body["number"], body["status"]) == ("api_walk", 1, "draft")
    stored = db.session.get(ChecklistVersion, body["id"])
    assert stored.status == "draft" and stored.definition["sections"][0]["key"] == "service"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "checklist.import")).actor_id == world.head.id
    # A second draft of the same checklist waits for the first to be published or discarded.
    assert head("POST", "/checklists/import", data=text, content_type="application/yaml").status_code == 409
    broken = small_checklist_data("broken_walk")
    broken["sections"][0]["questions"][1]["max"] = 0
    response = head("POST", "/checklists/import", json=broken)
    assert response.status_code == 422
    assert any(f.startswith("sections") for f in fields_of(response)), problem_of(response)
    managers_draft = api(world.manager)
    assert managers_draft.get(f"/checklists/{body['checklist_id']}").get_json()["versions"] == []
    assert managers_draft.get(f"/checklists/{body['checklist_id']}/versions/1").status_code == 404


# --- assignments ---------------------------------------------------------------------------------


def test_head_office_creates_and_cancels_assignments_and_shoppers_list_their_own(api, world: World) -> None:
    version = make_published_checklist()
    head = api(world.head)
    made = head("POST", "/assignments", json={"shopper_id": world.shopper.id, "store_id": world.store.id,
                                              "checklist_id": version.checklist_id, "window_start": "2026-12-01",
                                              "window_end": "2026-12-07"})
    assert made.status_code == 201, made.get_data(as_text=True)
    assignment_id = made.get_json()["id"]
    make_assignment(world.other_shopper, world.other_store, version.checklist_id)
    assert [a["id"] for a in api(world.shopper).get("/assignments").get_json()["data"]] == [assignment_id]
    assert len(head.get("/assignments").get_json()["data"]) == 2
    cancelled = head("POST", f"/assignments/{assignment_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert db.session.get(Assignment, assignment_id).status == "cancelled"
    assert head("POST", f"/assignments/{assignment_id}/cancel").status_code == 409
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "assignment")))
    assert actions == ["assignment.create", "assignment.cancel"]
    backwards = head("POST", "/assignments", json={"shopper_id": world.shopper.id, "store_id": world.store.id,
                                                   "checklist_id": version.checklist_id,
                                                   "window_start": "2026-12-07", "window_end": "2026-12-01"})
    assert fields_of(backwards) == ["window_end"]
    not_a_shopper = head("POST", "/assignments", json={"shopper_id": world.manager.id, "store_id": world.store.id,
                                                       "checklist_id": version.checklist_id,
                                                       "window_start": "2026-12-01", "window_end": "2026-12-02"})
    assert fields_of(not_a_shopper) == ["shopper_id"]
    assert fields_of(head("POST", "/assignments", json={"shopper_id": world.shopper.id})) == [
        "store_id", "checklist_id", "window_start", "window_end"]


# --- visits --------------------------------------------------------------------------------------


def test_visits_carry_their_stored_score_and_sections_and_filter(api, world: World) -> None:
    version = make_published_checklist()
    mine = make_submitted_visit(world.shopper, world.store, version.checklist_id, ANSWERS)
    theirs = make_submitted_visit(world.other_shopper, world.other_store, version.checklist_id,
                                  {"greeted": "no", "helpful": 1, "queue_wait": 400},
                                  at=NOW + timedelta(days=2))
    head = api(world.head)
    visits = head.get("/visits").get_json()["data"]
    assert [v["id"] for v in visits] == [mine.id, theirs.id]
    score = db.session.scalar(select(VisitScore).where(VisitScore.visit_id == mine.id))
    assert visits[0]["score"]["percent"] == score.percent and visits[0]["score"]["grade"] == score.grade
    sections = {s.section_key: s.percent for s in db.session.scalars(
        select(SectionScore).where(SectionScore.visit_score_id == score.id))}
    assert {s["section_key"]: s["percent"] for s in visits[0]["sections"]} == sections
    assert visits[0]["url"].endswith(f"/api/v1/visits/{mine.id}")
    assert visits[0]["store_url"].endswith(f"/api/v1/stores/{world.store.id}")
    assert visits[0]["checklist_url"].endswith(f"/api/v1/checklists/{version.checklist_id}")
    since = (NOW + timedelta(days=1)).isoformat()
    assert [v["id"] for v in head.get("/visits", query_string={"submitted_since": since}).get_json()["data"]] == [
        theirs.id]
    assert [v["id"] for v in head.get(f"/visits?store_id={world.store.id}").get_json()["data"]] == [mine.id]
    assert [v["id"] for v in head.get(f"/visits?area_id={world.other_area.id}").get_json()["data"]] == [theirs.id]
    assert head.get("/visits?status=approved").get_json()["data"] == []
    assert fields_of(head.get("/visits?status=draft")) == ["status.0"]
    assert fields_of(head.get("/visits?updated_since=yesterday")) == ["updated_since"]
    assert fields_of(head.get("/visits?updated_since=2026-12-01T00:00:00")) == ["updated_since"]  # no offset
    # At the calendar's end a moment does not even convert to UTC: refused, not a crash.
    assert fields_of(head.get("/visits", query_string={"updated_since": "9999-12-31T23:59:59-12:00"})) == [
        "updated_since"]
    assert fields_of(head.get("/actions", query_string={"updated_since": "0001-01-01T00:00:00+14:00"})) == [
        "updated_since"]
    # An area manager sees their area's visits; a shopper their own, without scores (as on their phone).
    assert [v["id"] for v in api(world.manager).get("/visits").get_json()["data"]] == [mine.id]
    own = api(world.shopper).get("/visits").get_json()["data"]
    assert [v["id"] for v in own] == [mine.id] and own[0]["score"] is None and own[0]["sections"] == []
    assert api(world.shopper).get("/section-scores").status_code == 403


def test_updated_since_returns_only_visits_changed_since(api, world: World) -> None:
    version = make_published_checklist()
    ids = add_submitted(world.shopper.id, world.store, version.id, 3)
    head = api(world.head)
    cut = head.get("/visits").get_json()["data"][1]["updated_at"]
    assert [v["id"] for v in head.get("/visits", query_string={"updated_since": cut}).get_json()["data"]] == ids[1:]


def test_a_managers_visits_hide_the_shopper_when_head_office_says_so(api, world: World) -> None:
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id, ANSWERS)
    assert api(world.manager).get(f"/visits/{visit.id}").get_json()["shopper_id"] == world.shopper.id
    settings.update_settings(db.session, world.head, {"show_shopper_to_managers": False}, now=NOW)
    assert api(world.manager).get(f"/visits/{visit.id}").get_json()["shopper_id"] is None
    assert api(world.head).get(f"/visits/{visit.id}").get_json()["shopper_id"] == world.shopper.id


def test_a_visit_has_its_answers_card_and_photos_under_the_ui_rules(app: Flask, api, world: World) -> None:
    visit, photo_id = visit_with_photo_and_hazard(world)
    body = api(world.manager).get(f"/visits/{visit.id}").get_json()
    answers = {a["question_key"]: a for a in body["answers"]}
    assert answers["hazard"]["value"] == "yes" and answers["receipt"]["photo_ids"] == [photo_id]
    assert body["card"]["sections"][0]["key"] == "floor"
    assert body["score"]["critical_failures"] == 1
    photo_url = answers["receipt"]["photo_urls"][0]
    assert photo_url.endswith(f"/api/v1/photos/{photo_id}")
    picture = api(world.manager).get(f"/photos/{photo_id}")
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    web = app.test_client()
    from tests.factories import sign_in
    sign_in(web, world.manager.email)
    assert picture.data == web.get(f"/photos/{photo_id}/full.jpg").data
    thumb = api(world.manager).get(f"/photos/{photo_id}?variant=thumb")
    assert thumb.status_code == 200 and thumb.data == web.get(f"/photos/{photo_id}/thumb.jpg").data
    assert api(world.other_manager).get(f"/photos/{photo_id}").status_code == 403
    assert api(world.other_manager).get(f"/visits/{visit.id}").status_code == 403
    shopper_view = api(world.shopper).get(f"/visits/{visit.id}").get_json()
    assert shopper_view["card"] is None and shopper_view["score"] is None and shopper_view["answers"]


def test_urls_no_api_route_answers_are_problems_too(api, world: World) -> None:
    head = api(world.head)
    for method, path in (("GET", "/no-such-thing"), ("GET", f"/stores/{2**31}"), ("DELETE", "/stores/1")):
        response = head(method, path)
        assert response.status_code in (404, 405) and problem_of(response)["status"] == response.status_code


def test_drafts_are_never_served(api, world: World) -> None:
    from tests.factories import make_visit

    draft = make_visit(world.shopper, world.store)
    for user in (world.shopper, world.head):
        assert api(user).get(f"/visits/{draft.id}").status_code == 404
    assert api(world.head).get("/visits?status=submitted&status=returned").get_json()["data"] == []


# --- the document --------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_lists_every_api_route(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs"):
            path = str(rule).replace("<int:", "{").replace(">", "}")
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "Problem" in document["components"]["schemas"]


def test_the_reference_page_renders_the_document_with_the_apps_own_files(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "GET /api/v1/visits/{visit_id}" in page and "POST /api/v1/checklists/import" in page
    assert "submitted_since" in page and 'id="model-Problem"' in page
    # Markdown code spans of the descriptions are code, never literal backticks.
    assert "<code>Authorization: Bearer sct_...</code>" in page and "`" not in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_the_api_answers_over_a_real_http_server(app: Flask, world: World) -> None:
    from werkzeug.serving import make_server

    secret = token_for(world.head, "read")
    db.session.rollback()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/api/v1"
        request = urllib.request.Request(f"{base}/stores", headers={"Authorization": f"Bearer {secret}"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  (loopback, a test)
            body = json.loads(answer.read())
            assert answer.headers["Content-Type"] == "application/json"
        assert [s["code"] for s in body["data"]] == ["S1", "S2"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/stores", timeout=10)  # noqa: S310
        with refused.value as error:
            assert error.code == 401 and error.headers["Content-Type"] == "application/problem+json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- the token page ------------------------------------------------------------------------------


def test_a_person_creates_a_token_seen_once_and_revokes_it(app: Flask, world: World, login) -> None:
    from tests.factories import csrf_token_from

    client = login(world.manager)
    response = client.post("/account/tokens", data={"name": "BI sync", "scope": "read", "expires_in": "90",
                                                    "csrf_token": csrf_token_from(client, "/account/tokens")})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    secret = page.split("data-token-secret>", 1)[1].split("<", 1)[0]
    assert secret.startswith("sct_") and "Copy it now" in page
    assert response.headers.get("Cache-Control") == "no-store"
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and "BI sync" in listing and "Read only" in listing and "Never" in listing
    assert Api(app.test_client(), secret).get("/stores").status_code == 200
    assert "Never" not in client.get("/account/tokens").get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.manager.id))
    assert (token.scope, (token.expires_at - token.created_at).days) == ("read", 90)
    revoked = client.post(f"/account/tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_token_from(client, "/account/tokens")}, follow_redirects=True)
    assert "is revoked" in revoked.get_data(as_text=True) and "Revoked" in revoked.get_data(as_text=True)
    assert Api(app.test_client(), secret).get("/stores").status_code == 401
    # Somebody else's token is not theirs to revoke.
    other = token_for(world.other_manager)
    other_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.other_manager.id))
    response = client.post(f"/account/tokens/{other_id}/revoke",
                           data={"csrf_token": csrf_token_from(client, "/account/tokens")})
    assert response.status_code == 404
    assert Api(app.test_client(), other).get("/stores").status_code == 200


def test_token_changes_are_in_the_audit_log_in_words(world: World, login) -> None:
    token_for(world.shopper)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.shopper.id))
    api_tokens.revoke_token(db.session, world.shopper, token.id, now=datetime.now(timezone.utc))
    page = login(world.head).get("/head-office/audit-log").get_data(as_text=True)
    assert "Created an API token" in page and "Revoked an API token" in page and "api_token" not in page.replace('value="api_token"', "")


def test_a_token_without_a_name_is_refused_beside_the_field(world: World, login) -> None:
    from tests.factories import csrf_token_from

    client = login(world.shopper)
    response = client.post("/account/tokens", data={"name": "", "scope": "read_write", "expires_in": "30",
                                                    "csrf_token": csrf_token_from(client, "/account/tokens")})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken.id)) is None


def test_a_store_manager_reads_their_stores_visits_without_the_shopper_or_head_office_questions(
        api, world: World) -> None:
    data = small_checklist_data()
    data["sections"][0]["questions"].append(
        {"key": "staff_name", "type": "text", "text": "Who served you?", "weight": 0, "required": False,
         "audience": "head_office"})
    version = make_published_checklist(data)
    own = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                               {**ANSWERS, "staff_name": "Ms Sato at till 2"})
    other = make_submitted_visit(world.other_shopper, world.other_store, version.checklist_id, ANSWERS)
    reader = api(world.store_manager)
    listed = reader.get("/visits").get_json()
    assert [item["id"] for item in listed["data"]] == [own.id]
    body = reader.get(f"/visits/{own.id}").get_json()
    assert body["shopper_id"] is None and body["score"] is not None
    assert "staff_name" not in {a["question_key"] for a in body["answers"]}
    assert "staff_name" not in json.dumps(body["card"]) and "Ms Sato" not in json.dumps(body)
    assert reader.get(f"/visits/{other.id}").status_code == 403
    # Head office still reads the whole visit.
    whole = api(world.head).get(f"/visits/{own.id}").get_json()
    assert "staff_name" in {a["question_key"] for a in whole["answers"]}


def test_a_store_manager_lists_their_own_stores_only(api, world: World) -> None:
    reader = api(world.store_manager)
    listed = reader.get("/stores?limit=50")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["data"]] == [world.store.id]
    assert reader.get(f"/stores?area_id={world.other_store.area_id}").get_json()["data"] == []
    assert api(world.shopper).get("/stores").status_code == 403


def test_a_hidden_question_named_like_a_card_field_leaves_that_field(api, world: World) -> None:
    data = small_checklist_data()
    data["sections"][0]["questions"].append(
        {"key": "grade", "type": "yes_no", "text": "Was the till area tidy?", "weight": 0, "required": True,
         "audience": "head_office"})
    version = make_published_checklist(data)
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id, {**ANSWERS, "grade": "no"})
    card = api(world.store_manager).get(f"/visits/{visit.id}").get_json()["card"]
    assert card["grade"] is not None and card["percent"] is not None
    assert "grade" not in {q["key"] for s in card["sections"] for q in s["questions"]}
    assert [s["key"] for s in card["sections"]] == [s["key"] for s in data["sections"]]


def test_corrective_actions_are_read_and_moved_on_by_the_people_of_their_store(api, world: World) -> None:
    from datetime import timedelta

    from audit_app.models import Action
    from audit_app.services import actions

    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high", due_on=(datetime.now(timezone.utc) + timedelta(days=5)).date(),
                                   assignee_id=world.store_manager.id, now=datetime.now(timezone.utc))
    store, manager = api(world.store_manager), api(world.manager)
    listed = store.get("/actions").get_json()["data"]
    assert [(a["id"], a["status"], a["title"]) for a in listed] == [(action.id, "open", "Fix the door")]
    assert listed[0]["url"].endswith(f"/api/v1/actions/{action.id}")
    assert api(world.shopper).get("/actions").status_code == 403
    assert api(world.other_manager).get(f"/actions/{action.id}").status_code == 403
    assert store("POST", f"/actions/{action.id}/status", json={"status": "in_progress"}).get_json()["status"] \
        == "in_progress"
    no_comment = store("POST", f"/actions/{action.id}/status", json={"status": "resolved"})
    assert no_comment.status_code == 422 and fields_of(no_comment) == ["comment"]
    resolved = store("POST", f"/actions/{action.id}/status", json={"status": "resolved", "comment": "New hinge"})
    assert resolved.status_code == 200 and resolved.get_json()["resolution_comment"] == "New hinge"
    assert store("POST", f"/actions/{action.id}/status", json={"status": "closed"}).status_code == 403
    no_reason = manager("POST", f"/actions/{action.id}/status", json={"status": "reopened"})
    assert no_reason.status_code == 422 and fields_of(no_reason) == ["comment"]
    assert manager("POST", f"/actions/{action.id}/status", json={"status": "closed"}).get_json()["status"] == "closed"
    db.session.rollback()
    assert db.session.get(Action, action.id).status == "closed"
    assert [a["id"] for a in manager.get("/actions?status=open").get_json()["data"]] == []
    assert manager("POST", f"/actions/{action.id}/status", json={"status": "bogus"}).status_code == 422


def test_head_office_sets_a_stores_coordinates_and_radius_and_a_partial_change_keeps_them(api, world: World) -> None:
    head = api(world.head)
    set_ = head("PATCH", f"/stores/{world.store.id}", json={"latitude": 35.6717, "longitude": 139.765, "radius_m": 200})
    assert set_.status_code == 200
    assert (set_.get_json()["latitude"], set_.get_json()["radius_m"]) == (35.6717, 200)
    assert head("PATCH", f"/stores/{world.store.id}", json={"city": "Chuo"}).status_code == 200
    db.session.rollback()
    stored = db.session.get(Store, world.store.id)
    assert (stored.latitude, stored.longitude, stored.radius_m, stored.city) == (35.6717, 139.765, 200, "Chuo")
    assert fields_of(head("PATCH", f"/stores/{world.store.id}", json={"latitude": 95, "longitude": 1})) == ["latitude"]
    assert fields_of(head("PATCH", f"/stores/{world.store.id}", json={"radius_m": 1})) == ["radius_m"]
    created = head("POST", "/stores", json={"code": "S8", "name": "Yurakucho", "area_id": world.area.id,
                                            "latitude": 35.675, "longitude": 139.763})
    assert created.status_code == 201 and created.get_json()["longitude"] == 139.763
    cleared = head("PATCH", f"/stores/{world.store.id}", json={"latitude": None, "longitude": None})
    assert cleared.status_code == 200 and cleared.get_json()["latitude"] is None
