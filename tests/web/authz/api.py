"""The REST API (/api/v1) with each role's personal access token, and each person's token page.

API routes answer 401 problem+json without a token (a cookie session does not count), never a redirect."""

from __future__ import annotations

from audit_app.extensions import db
from tests.factories import (
    make_assignment, make_published_checklist, make_submitted_visit, small_checklist_data,
    visit_with_photo_and_hazard,
)
from tests.web.authz import ROLES, Case, only

API = "/api/v1"


def _api(allowed: dict[str, int], others: int = 403) -> dict[str, int]:
    return only(allowed, others=others, anonymous=401)


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    version = make_published_checklist()
    checklist = version.checklist_id
    other_visit = make_submitted_visit(world.other_shopper, world.other_store, checklist,
                                       {"greeted": "yes", "helpful": 4, "queue_wait": 90}).id
    assignment = make_assignment(world.other_shopper, world.other_store, checklist).id
    _, photo = visit_with_photo_and_hazard(world)
    from datetime import timedelta

    from audit_app.services import actions
    from tests.factories import NOW

    action = actions.create_action(db.session, world.head, store_id=world.store.id, title="Fix the entrance mat",
                                   priority="high", due_on=(NOW + timedelta(days=400)).date(), assignee_id=None,
                                   now=NOW).id
    head = _api({"head": 200})
    readers = _api({"head": 200, "manager": 200, "other_manager": 200})
    everyone = _api(dict.fromkeys(ROLES[1:], 200))
    missing = _api(dict.fromkeys(ROLES[1:], 404))
    signed_in = only(dict.fromkeys(ROLES[1:], 200))
    new_store = {"code": "S9", "name": "Shinjuku", "area_id": world.area.id, "timezone": "Asia/Tokyo"}
    new_assignment = {"shopper_id": world.shopper.id, "store_id": world.store.id, "checklist_id": checklist,
                      "window_start": "2026-12-01", "window_end": "2026-12-07"}
    return [
        Case("api.regions", "GET", f"{API}/regions", head, api=True),
        Case("api.areas", "GET", f"{API}/areas", readers, api=True),
        Case("api.area", "GET", f"{API}/areas/{world.area.id}", _api({"head": 200, "manager": 200}), api=True),
        Case("api.area", "GET", f"{API}/areas/999999", missing, api=True),
        Case("api.stores", "GET", f"{API}/stores", _api({"head": 200, "manager": 200, "other_manager": 200,
                                                         "store_manager": 200}), api=True),
        Case("api.store", "GET", f"{API}/stores/{world.store.id}",
             _api({"head": 200, "manager": 200, "store_manager": 200}), api=True),
        Case("api.store", "GET", f"{API}/stores/999999", missing, api=True),
        Case("api.create_store", "POST", f"{API}/stores", _api({"head": 201}), api=True, json=new_store),
        Case("api.store", "PATCH", f"{API}/stores/{world.store.id}", head, api=True,
             json={"name": "Ginza Main"}),
        Case("api.checklists", "GET", f"{API}/checklists", readers, api=True),
        Case("api.checklist", "GET", f"{API}/checklists/{checklist}", readers, api=True),
        Case("api.checklist_version", "GET", f"{API}/checklists/{checklist}/versions/1", readers, api=True),
        Case("api.import_checklist", "POST", f"{API}/checklists/import", _api({"head": 201}), api=True,
             json=small_checklist_data("imported_walk")),
        Case("api.assignments_list", "GET", f"{API}/assignments", _api({"head": 200, "shopper": 200}), api=True),
        Case("api.create_assignment", "POST", f"{API}/assignments", _api({"head": 201}), api=True,
             json=new_assignment),
        Case("api.cancel_assignment", "POST", f"{API}/assignments/{assignment}/cancel", head, api=True),
        Case("api.visits", "GET", f"{API}/visits", everyone, api=True),
        Case("api.visit", "GET", f"{API}/visits/{other_visit}", _api({"head": 200, "other_manager": 200}), api=True),
        Case("api.visit", "GET", f"{API}/visits/999999", missing, api=True),
        Case("api.section_scores", "GET", f"{API}/section-scores", {**readers, "store_manager": 200}, api=True),
        Case("api.photo", "GET", f"{API}/photos/{photo}", _api({"head": 200, "manager": 200, "shopper": 200, "store_manager": 200}), api=True),
        Case("api.photo", "GET", f"{API}/photos/999999", missing, api=True),
        Case("api.actions_list", "GET", f"{API}/actions",
             _api({"head": 200, "manager": 200, "other_manager": 200, "store_manager": 200}), api=True),
        Case("api.action", "GET", f"{API}/actions/{action}",
             _api({"head": 200, "manager": 200, "store_manager": 200}), api=True),
        Case("api.action", "GET", f"{API}/actions/999999",
             _api({"head": 404, "manager": 404, "other_manager": 404, "store_manager": 404}), api=True),
        # An open action cannot be closed: refused by its lifecycle (409) for those who may close actions.
        Case("api.change_action", "POST", f"{API}/actions/{action}/status", _api({"head": 409, "manager": 409}),
             api=True, json={"status": "closed"}),
        Case("api.openapi", "GET", f"{API}/openapi.json", dict.fromkeys(ROLES, 200), api=True),
        Case("api.docs", "GET", f"{API}/docs", dict.fromkeys(ROLES, 200)),
        Case("auth.tokens", "GET", "/account/tokens", signed_in),
        Case("auth.tokens", "POST", "/account/tokens", only(dict.fromkeys(ROLES[1:], 201)),
             data={"name": "BI sync", "scope": "read", "expires_in": "30"}),
        Case("auth.revoke_token", "POST", "/account/tokens/999999/revoke", only(dict.fromkeys(ROLES[1:], 404))),
    ]
