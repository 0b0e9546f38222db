"""Head office: every page and action is for head office only (403 for shoppers and area managers)."""

from __future__ import annotations

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import ChecklistVersion
from audit_app.services import rubrics
from tests.factories import NOW, make_assignment, make_published_checklist, make_submitted_visit
from tests.web.authz import Case, only

HEAD = "/head-office"


def _draft(world, version: ChecklistVersion) -> int:  # type: ignore[no-untyped-def]
    existing = db.session.scalar(select(ChecklistVersion.id).where(
        ChecklistVersion.checklist_id == version.checklist_id, ChecklistVersion.status == "draft"))
    if existing is not None:
        return existing
    return rubrics.start_draft(db.session, world.head, version.id, now=NOW).id


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    published = make_published_checklist()
    v1, checklist_id = published.id, published.checklist_id
    draft = _draft(world, published)
    visit = make_submitted_visit(world.other_shopper, world.other_store, checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90}).id
    assignment = make_assignment(world.other_shopper, world.other_store, checklist_id).id
    ok, moved, invalid = only({"head": 200}), only({"head": 302}), only({"head": 422})
    missing = only({"head": 404})
    return [
        Case("headoffice.checklists", "GET", f"{HEAD}/checklists", ok),
        Case("headoffice.checklists", "POST", f"{HEAD}/checklists", invalid, data={"new-key": "Bad Key",
                                                                                   "new-title": "x",
                                                                                   "new-channel": "in_store"}),
        Case("headoffice.checklist", "GET", f"{HEAD}/checklists/{checklist_id}", ok),
        Case("headoffice.checklist", "GET", f"{HEAD}/checklists/999999", missing),
        Case("headoffice.set_unassigned", "POST", f"{HEAD}/checklists/{checklist_id}/unassigned", moved,
             data={"allowed": "1"}),
        Case("headoffice.diff", "GET", f"{HEAD}/checklists/{checklist_id}/diff?old={v1}&new={draft}", ok),
        Case("headoffice.version", "GET", f"{HEAD}/versions/{draft}", ok),
        Case("headoffice.version", "GET", f"{HEAD}/versions/999999", missing),
        Case("headoffice.export_version", "GET", f"{HEAD}/versions/{v1}/export.yaml", ok),
        Case("headoffice.preview", "GET", f"{HEAD}/versions/{draft}/preview", ok),
        Case("headoffice.preview", "POST", f"{HEAD}/versions/{draft}/preview", ok, data={"q_greeted": "yes"}),
        Case("headoffice.what_if", "GET", f"{HEAD}/versions/{draft}/what-if?last=10", ok),
        Case("headoffice.edit_settings", "GET", f"{HEAD}/versions/{draft}/settings", ok),
        Case("headoffice.edit_settings", "GET", f"{HEAD}/versions/{v1}/settings", only({"head": 409})),
        Case("headoffice.edit_section", "GET", f"{HEAD}/versions/{draft}/sections/0", ok),
        Case("headoffice.edit_section", "GET", f"{HEAD}/versions/{draft}/sections/new", ok),
        Case("headoffice.edit_question", "GET", f"{HEAD}/versions/{draft}/sections/0/questions/1", ok),
        Case("headoffice.edit_question", "GET", f"{HEAD}/versions/{draft}/sections/1/questions/new", ok),
        Case("headoffice.move", "POST", f"{HEAD}/versions/{draft}/move", moved,
             data={"section": 0, "question": 0, "step": 1}),
        Case("headoffice.reorder", "POST", f"{HEAD}/versions/{draft}/reorder", moved, data={"order": "1,0"}),
        Case("headoffice.remove", "POST", f"{HEAD}/versions/{draft}/remove", moved, data={"section": 0,
                                                                                          "question": 1}),
        Case("headoffice.stores", "GET", f"{HEAD}/stores?q=gin", ok),
        Case("headoffice.edit_store", "GET", f"{HEAD}/stores/new", ok),
        Case("headoffice.edit_store", "GET", f"{HEAD}/stores/{world.store.id}", ok),
        Case("headoffice.import_stores", "GET", f"{HEAD}/stores/import", ok),
        Case("headoffice.set_active", "POST", f"{HEAD}/store/{world.other_store.id}/active", moved,
             data={"active": "1"}),
        Case("headoffice.places", "GET", f"{HEAD}/places", ok),
        Case("headoffice.edit_place", "GET", f"{HEAD}/regions/{world.region.id}", ok),
        Case("headoffice.edit_place", "GET", f"{HEAD}/areas/{world.area.id}", ok),
        Case("headoffice.edit_person", "GET", f"{HEAD}/people/new", ok),
        Case("headoffice.edit_person", "GET", f"{HEAD}/people/{world.shopper.id}", ok),
        Case("headoffice.import_people", "GET", f"{HEAD}/people/import", ok),
        Case("headoffice.assignments", "GET", f"{HEAD}/assignments", ok),
        Case("headoffice.cancel_assignment", "POST", f"{HEAD}/assignments/{assignment}/cancel", moved),
        Case("headoffice.review_queue", "GET", f"{HEAD}/review", ok),
        Case("headoffice.review_queue", "GET", f"{HEAD}/review?status=approved&area=999&since=bad&page=-3", ok),
        Case("headoffice.approve_visits", "POST", f"{HEAD}/review/approve", moved, data={"visits": "999999@x"}),
        Case("headoffice.review_visit", "GET", f"{HEAD}/visits/{visit}", ok),
        Case("headoffice.review_visit", "POST", f"{HEAD}/visits/{visit}", moved, data={"decision": "approve"}),
        Case("headoffice.settings", "GET", f"{HEAD}/settings", ok),
        Case("headoffice.audit_log", "GET", f"{HEAD}/audit-log?kind=visit", ok),
        # Last: these change the versions the cases above use.
        Case("headoffice.rescore", "POST", f"{HEAD}/versions/{v1}/rescore", moved),
        Case("headoffice.start_draft", "POST", f"{HEAD}/versions/{v1}/draft", moved),
        Case("headoffice.publish", "POST", f"{HEAD}/versions/{draft}/publish", moved),
        Case("headoffice.retire", "POST", f"{HEAD}/versions/{v1}/retire", moved),
        Case("headoffice.discard", "POST", f"{HEAD}/versions/{draft}/discard", moved),
    ]
