"""Corrective actions: the list, one action and each change, a new action, the evidence photo."""

from __future__ import annotations

from datetime import timedelta

from audit_app.extensions import db
from audit_app.services import actions
from tests.factories import NOW, jpeg
from tests.web.authz import Case, only


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    due = (NOW + timedelta(days=400)).date()

    def make(store, by):  # type: ignore[no-untyped-def]
        return actions.create_action(db.session, by, store_id=store.id, title="Fix the entrance mat",
                                     priority="high", due_on=due, assignee_id=None, now=NOW)

    open_one = make(world.store, world.head)
    theirs = make(world.other_store, world.head)
    resolved = make(world.store, world.head)
    actions.resolve_action(db.session, world.head, resolved.id, comment="Replaced", photo=jpeg(),
                           upload_dir=world.upload_dir, now=NOW)
    a, r, t, store = open_one.id, resolved.id, theirs.id, world.store.id
    readers = only({"store_manager": 200, "manager": 200, "other_manager": 200, "head": 200})
    mine = only({"store_manager": 200, "manager": 200, "head": 200})
    missing = only({"store_manager": 404, "manager": 404, "other_manager": 404, "head": 404})
    # Refused by the rules of the lifecycle (422) for whoever may try; 403 for the rest.
    workers_refused = only({"store_manager": 422, "manager": 422, "head": 422})
    managers_refused = only({"manager": 422, "head": 422})
    return [
        Case("actions.index", "GET", "/actions/", readers),
        Case("actions.index", "GET", "/actions/?store=999999&status=nonsense&sort=x", readers),
        Case("actions.export", "GET", "/actions/export.csv", readers),
        Case("actions.export", "GET", "/actions/export.xlsx?overdue=y&store=999999", readers),
        Case("actions.new", "GET", f"/actions/new?store={store}", only({"manager": 200, "head": 200})),
        Case("actions.new", "GET", "/actions/new?store=999999", only({"manager": 404, "other_manager": 404,
                                                                      "head": 404})),
        Case("actions.new", "GET", "/actions/new?visit=99999999999&question=x",
             only({"manager": 404, "other_manager": 404, "head": 404})),
        Case("actions.new", "POST", "/actions/new", managers_refused, data={"store_id": str(store), "title": ""}),
        Case("actions.detail", "GET", f"/actions/{a}", mine),
        Case("actions.detail", "GET", f"/actions/{t}", only({"other_manager": 200, "head": 200})),
        Case("actions.detail", "GET", "/actions/999999", missing),
        Case("actions.start", "POST", f"/actions/{r}/start", workers_refused),
        Case("actions.start", "POST", "/actions/999999/start", missing),
        Case("actions.resolve", "POST", f"/actions/{a}/resolve", workers_refused, data={"comment": ""}),
        Case("actions.close", "POST", f"/actions/{a}/close", managers_refused),
        Case("actions.reopen", "POST", f"/actions/{r}/reopen", managers_refused, data={"reason": ""}),
        Case("actions.reassign", "POST", f"/actions/{a}/reassign", managers_refused, data={"due_on": ""}),
        Case("actions.reassign", "POST", "/actions/999999/reassign", only({"manager": 404, "other_manager": 404,
                                                                           "head": 404})),
        Case("actions.evidence", "GET", f"/actions/{r}/evidence/thumb.jpg", mine),
        Case("actions.evidence", "GET", f"/actions/{r}/evidence/full.jpg", mine),
        Case("actions.evidence", "GET", f"/actions/{a}/evidence/full.jpg",
             only({"store_manager": 404, "manager": 404, "head": 404})),
    ]
