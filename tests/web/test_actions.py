"""Corrective actions through the pages: created from a failed question or for a store, worked through by the
store manager, verified and closed or reopened by the area manager, reassigned; every change stored, in the
action's history and in the audit log."""

from __future__ import annotations

import io
import shutil
import subprocess  # nosec B404 - pdftotext with a fixed argument list
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Action, ActionEvent, AuditLog
from audit_app.services import actions
from tests.factories import World, client_for, csrf_token_from, jpeg, make_published_checklist, \
    make_submitted_visit


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _failed_visit(world: World) -> int:
    version = make_published_checklist()
    return make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                {"greeted": "no", "helpful": 5, "queue_wait": 60}, at=_now() - timedelta(days=1)).id


def _post(client, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token_from(client, "/actions/"), **data}, **kw)


def _action(action_id: int) -> Action:
    db.session.rollback()
    return db.session.get(Action, action_id)


def test_an_area_manager_creates_an_action_from_a_failed_question_of_a_visit(app, world: World) -> None:
    visit_id = _failed_visit(world)
    manager = client_for(app, world.manager.email)
    page = manager.get(f"/manager/visits/{visit_id}").get_data(as_text=True)
    assert f"/actions/new?visit={visit_id}&amp;question=greeted" in page
    form = manager.get(f"/actions/new?visit={visit_id}&question=greeted").get_data(as_text=True)
    assert "Were you greeted?" in form
    due = (_now() + timedelta(days=7)).date()
    response = _post(manager, "/actions/new", {
        "store_id": str(world.store.id), "visit_id": str(visit_id), "question_key": "greeted",
        "title": "Greet every customer at the door", "guidance": "Brief the morning shift.", "priority": "high",
        "due_on": due.isoformat(), "assignee": str(world.store_manager.id), "requires_evidence": "y"})
    assert response.status_code == 303
    action = db.session.scalar(select(Action).where(Action.visit_id == visit_id))
    assert (action.question_key, action.priority, action.status, action.due_on, action.assignee_id,
            action.requires_evidence, action.source) == ("greeted", "high", "open", due, world.store_manager.id,
                                                         True, "manual")
    assert action.checklist_id is not None
    assert [e.kind for e in db.session.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id))] == \
        ["created"]
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_type == "action")) == "action.create"
    # The visit page now links to it, and a second action for the same question is refused.
    page = manager.get(f"/manager/visits/{visit_id}").get_data(as_text=True)
    assert f"/actions/{action.id}" in page
    again = _post(manager, "/actions/new", {
        "store_id": str(world.store.id), "visit_id": str(visit_id), "question_key": "greeted", "title": "Again",
        "priority": "low", "due_on": due.isoformat(), "assignee": ""})
    assert again.status_code == 422
    assert f"already has an action (number {action.id})" in again.get_data(as_text=True)
    # A question the visit passed makes no action.
    passed = _post(manager, "/actions/new", {
        "store_id": str(world.store.id), "visit_id": str(visit_id), "question_key": "helpful", "title": "No",
        "priority": "low", "due_on": due.isoformat(), "assignee": ""})
    assert passed.status_code == 422
    assert db.session.scalar(select(Action.id).where(Action.question_key == "helpful")) is None


def test_a_bad_new_action_names_the_field_and_keeps_what_was_typed(app, world: World) -> None:
    manager = client_for(app, world.manager.email)
    yesterday = (_now() - timedelta(days=2)).date()
    response = _post(manager, "/actions/new", {
        "store_id": str(world.store.id), "title": "Clean the fitting rooms", "priority": "medium",
        "due_on": yesterday.isoformat(), "assignee": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The due date cannot be in the past." in page and 'value="Clean the fitting rooms"' in page
    nobody = _post(manager, "/actions/new", {
        "store_id": str(world.store.id), "title": "Clean", "priority": "medium",
        "due_on": (_now() + timedelta(days=3)).date().isoformat(), "assignee": str(world.other_manager.id)})
    assert nobody.status_code == 422
    assert "Choose the store&#39;s manager or its area manager." in nobody.get_data(as_text=True)
    assert db.session.scalar(select(Action.id)) is None


def test_the_store_manager_resolves_with_evidence_and_the_area_manager_reopens_then_closes(app, world: World) -> None:
    now = _now()
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="critical", due_on=(now + timedelta(days=2)).date(),
                                   assignee_id=world.store_manager.id, requires_evidence=True, now=now)
    store = client_for(app, world.store_manager.email)
    page = store.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Fix the door" in page and "Due soon" in page and "Mark as in progress" in page
    assert "Verify and close" not in page
    assert _post(store, f"/actions/{action.id}/start", {}).status_code == 303
    assert _action(action.id).status == "in_progress"
    # A comment is needed, and the photo this action asks for; a file that is not a photo is refused.
    no_comment = _post(store, f"/actions/{action.id}/resolve", {"comment": ""})
    assert no_comment.status_code == 422 and 'id="comment-error"' in no_comment.get_data(as_text=True)
    no_photo = _post(store, f"/actions/{action.id}/resolve", {"comment": "Hinge replaced"})
    assert no_photo.status_code == 422
    assert "This action needs a photo as evidence." in no_photo.get_data(as_text=True)
    not_photo = _post(store, f"/actions/{action.id}/resolve",
                      {"comment": "Hinge replaced", "photo": (io.BytesIO(b"%PDF-1.4 nope"), "door.pdf")},
                      content_type="multipart/form-data")
    assert not_photo.status_code == 422 and "not a photo we can read" in not_photo.get_data(as_text=True)
    assert _action(action.id).status == "in_progress"
    done = _post(store, f"/actions/{action.id}/resolve",
                 {"comment": "Hinge replaced", "photo": (io.BytesIO(jpeg("green")), "door.jpg")},
                 content_type="multipart/form-data")
    assert done.status_code == 303
    stored = _action(action.id)
    assert stored.status == "resolved" and stored.resolution_comment == "Hinge replaced"
    assert stored.evidence_sha256 and stored.resolved_at is not None
    photo = store.get(f"/actions/{action.id}/evidence/full.jpg")
    assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8"
    other = client_for(app, world.other_manager.email)
    assert other.get(f"/actions/{action.id}/evidence/full.jpg").status_code == 403
    assert other.get(f"/actions/{action.id}").status_code == 403
    # The store manager cannot verify their own work; the area manager reopens it with a reason.
    assert _post(store, f"/actions/{action.id}/close", {}).status_code == 403
    manager = client_for(app, world.manager.email)
    no_reason = _post(manager, f"/actions/{action.id}/reopen", {"reason": ""})
    assert no_reason.status_code == 422 and _action(action.id).status == "resolved"
    late = _action(action.id)  # as if made ten days ago and due eight days ago: reopening gives its two days again
    late.created_at, late.due_on = now - timedelta(days=10), (now - timedelta(days=8)).date()
    db.session.commit()
    assert _post(manager, f"/actions/{action.id}/reopen", {"reason": "The door still sticks"}).status_code == 303
    reopened = _action(action.id)
    assert (reopened.status, reopened.reopen_reason, reopened.reopened_count) == ("reopened",
                                                                                 "The door still sticks", 1)
    assert "The door still sticks" in store.get(f"/actions/{action.id}").get_data(as_text=True)
    # The audit log has the due date before and after the reopening, and the reason.
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "action.reopen")).one()
    assert entry.before["due_on"] == (now - timedelta(days=8)).date().isoformat()
    assert entry.after["due_on"] == reopened.due_on.isoformat() != entry.before["due_on"]
    log = client_for(app, world.head.email).get("/head-office/audit-log?kind=action").get_data(as_text=True)
    assert "The door still sticks" in log
    # Resolved again (the evidence already given counts), then verified and closed.
    assert _post(store, f"/actions/{action.id}/resolve", {"comment": "Door planed"}).status_code == 303
    assert _post(manager, f"/actions/{action.id}/close", {"note": "Checked on my visit"}).status_code == 303
    closed = _action(action.id)
    assert (closed.status, closed.closed_by_id) == ("closed", world.manager.id)
    kinds = [e.kind for e in db.session.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                                 .order_by(ActionEvent.id))]
    assert kinds == ["created", "started", "resolved", "reopened", "resolved", "closed"]
    logged = list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "action")
                                     .order_by(AuditLog.id)))
    assert logged == ["action.create", "action.start", "action.resolve", "action.reopen", "action.resolve",
                      "action.close"]


def test_reassigning_changes_owner_due_date_and_priority_and_refuses_strangers(app, world: World) -> None:
    now = _now()
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Restock shelf 4",
                                   priority="low", due_on=(now + timedelta(days=10)).date(), assignee_id=None,
                                   now=now)
    manager = client_for(app, world.manager.email)
    stranger = _post(manager, f"/actions/{action.id}/reassign", {
        "assignee": str(world.other_manager.id), "due_on": action.due_on.isoformat(), "priority": "low"})
    assert stranger.status_code == 422
    new_due = (now + timedelta(days=1)).date()
    ok = _post(manager, f"/actions/{action.id}/reassign", {
        "assignee": str(world.store_manager.id), "due_on": new_due.isoformat(), "priority": "high",
        "note": "Before the weekend"})
    assert ok.status_code == 303
    stored = _action(action.id)
    assert (stored.assignee_id, stored.due_on, stored.priority) == (world.store_manager.id, new_due, "high")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "action.reassign"))
    assert entry.before["priority"] == "low" and entry.after["assignee"] == world.store_manager.name


def test_the_list_filters_sorts_and_shows_only_the_readers_stores(app, world: World) -> None:
    now = _now()
    make = lambda store, title, priority, days: actions.create_action(  # noqa: E731
        db.session, world.head, store_id=store.id, title=title, priority=priority,
        due_on=(now + timedelta(days=days)).date(), assignee_id=None, now=now)
    make(world.store, "Low later", "low", 20)
    soon = make(world.store, "Critical soon", "critical", 1)
    late = make(world.store, "Medium late", "medium", 5)
    make(world.other_store, "In Osaka", "high", 3)
    # Overdue: a due date already past where the store is.
    db.session.get(Action, late.id).due_on = (now - timedelta(days=3)).date()
    db.session.commit()
    store = client_for(app, world.store_manager.email)
    page = store.get("/actions/").get_data(as_text=True)
    assert "Low later" in page and "In Osaka" not in page
    assert page.index("Medium late") < page.index("Critical soon") < page.index("Low later")  # by due date
    by_priority = store.get("/actions/?sort=priority").get_data(as_text=True)
    assert by_priority.index("Critical soon") < by_priority.index("Medium late") < by_priority.index("Low later")
    overdue = store.get("/actions/?overdue=y").get_data(as_text=True)
    assert "Medium late" in overdue and "Overdue" in overdue and "Low later" not in overdue
    assert "Critical soon" not in store.get("/actions/?priority=low").get_data(as_text=True)
    head = client_for(app, world.head.email)
    assert "In Osaka" in head.get(f"/actions/?area={world.other_area.id}").get_data(as_text=True)
    assert "Low later" not in head.get(f"/actions/?area={world.other_area.id}").get_data(as_text=True)
    assert "Low later" in head.get(f"/actions/?region={world.region.id}").get_data(as_text=True)
    # The store page shows its actions.
    store_page = store.get(f"/manager/stores/{world.store.id}").get_data(as_text=True)
    assert "Critical soon" in store_page and "In Osaka" not in store_page
    assert soon.id


def test_listeners_hear_each_change_after_it_commits(app, world: World) -> None:
    heard: list[tuple[str, str]] = []

    def listen(change: actions.ActionChange) -> None:
        stored = db.session.get(Action, change.action_id)
        heard.append((change.kind, stored.status))

    def broken(change: actions.ActionChange) -> None:
        raise RuntimeError("the mail server is down")

    actions.add_listener(broken)
    actions.add_listener(listen)
    try:
        now = _now()
        action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Mop",
                                       priority="low", due_on=(now + timedelta(days=2)).date(), assignee_id=None,
                                       now=now)
        actions.start_action(db.session, world.store_manager, action.id, now=now)
    finally:
        actions.remove_listener(listen)
        actions.remove_listener(broken)
    assert heard == [("created", "open"), ("started", "in_progress")]


def test_figures_exports_and_the_store_pdf_show_the_readers_actions(app, world: World) -> None:
    import csv
    import zipfile

    now = _now()
    make = lambda store, title, days: actions.create_action(  # noqa: E731
        db.session, world.head, store_id=store.id, title=title, priority="high",
        due_on=(now + timedelta(days=days)).date(), assignee_id=None, now=now - timedelta(days=4))
    done = make(world.store, "=Fix the till", 10)
    late = make(world.store, "Repaint the sign", 1)
    make(world.other_store, "In Osaka", 3)
    actions.resolve_action(db.session, world.head, done.id, comment="Fixed", photo=None,
                           upload_dir=world.upload_dir, now=now - timedelta(days=1))
    db.session.get(Action, late.id).due_on = (now - timedelta(days=2)).date()
    db.session.commit()
    store = client_for(app, world.store_manager.email)
    page = store.get("/actions/").get_data(as_text=True)
    figures = page.split('id="fig-stores"')[1].split("</table>")[0]
    # Ginza: one open (overdue), one resolved on time after 3.0 days; Osaka is not the store manager's.
    assert "Ginza (S1)" in figures and "Umeda" not in figures
    cells = [c.split(">")[-1] for c in figures.split("</td>")[:-1]]
    assert cells == ["1", "1", "1 of 1", "3.0", "0"]
    response = store.get("/actions/export.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(response.get_data(as_text=True).lstrip("\ufeff").splitlines()))
    assert rows[0][:3] == ["Action number", "Store code", "Store"]
    titles = {r[5] for r in rows[1:]}
    assert titles == {"'=Fix the till", "Repaint the sign"}  # a formula-like title is neutralised
    xlsx = store.get("/actions/export.xlsx?overdue=y")
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Repaint the sign" in sheet and "Fix the till" not in sheet
    pdf = store.get(f"/manager/stores/{world.store.id}/scorecard.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
        assert "Corrective actions" in text and "Repaint the sign" in text and "Overdue" in text
        assert "In Osaka" not in text


def test_a_reopened_action_gets_as_long_again_from_today_and_its_page_says_what_holds_now(app, world: World) -> None:
    now = _now()
    first = now - timedelta(days=10)
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high",
                                   due_on=actions.store_today(world.store.timezone, first) + timedelta(days=3),
                                   assignee_id=world.store_manager.id, requires_evidence=False, now=first)
    actions.resolve_action(db.session, world.store_manager, action.id, comment="Planed", photo=None,
                           upload_dir=app.config["UPLOAD_DIR"], now=first + timedelta(days=1))
    db.session.commit()
    manager = client_for(app, world.manager.email)
    assert _post(manager, f"/actions/{action.id}/reopen", {"reason": "Still sticks"}).status_code == 303
    reopened = _action(action.id)
    today = actions.store_today(world.store.timezone, _now())
    assert reopened.status == "reopened" and reopened.due_on == today + timedelta(days=3)
    page = manager.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Overdue" not in page and "Still sticks" in page


def test_a_reopened_action_that_runs_late_again_is_noted_overdue_again(app, world: World) -> None:
    start = _now()
    zone = world.store.timezone
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high", due_on=actions.store_today(zone, start) + timedelta(days=2),
                                   assignee_id=world.store_manager.id, requires_evidence=False, now=start)
    assert actions.mark_overdue(db.session, now=start + timedelta(days=4)) == 1
    assert actions.mark_overdue(db.session, now=start + timedelta(days=5)) == 0  # once
    actions.resolve_action(db.session, world.store_manager, action.id, comment="Planed", photo=None,
                           upload_dir=app.config["UPLOAD_DIR"], now=start + timedelta(days=5))
    actions.reopen_action(db.session, world.manager, action.id, reason="Still sticks", now=start + timedelta(days=6))
    db.session.commit()
    assert actions.mark_overdue(db.session, now=start + timedelta(days=7)) == 0  # given two days again
    assert actions.mark_overdue(db.session, now=start + timedelta(days=10)) == 1
    kinds = [e.kind for e in db.session.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                                .order_by(ActionEvent.id))]
    assert kinds.count("overdue") == 2


def test_a_step_from_a_stale_tab_is_refused_in_words_keeping_what_was_typed(app, world: World) -> None:
    now = _now()
    action = actions.create_action(db.session, world.manager, store_id=world.store.id, title="Fix the door",
                                   priority="high", due_on=(now + timedelta(days=2)).date(),
                                   assignee_id=world.store_manager.id, now=now)
    first, second = client_for(app, world.store_manager.email), client_for(app, world.store_manager.email)
    path = f"/actions/{action.id}"
    stale_token = csrf_token_from(second, path)  # the second tab opened before the first resolved it
    assert _post(first, f"{path}/resolve", {"comment": "Hinge replaced"}).status_code == 303
    late = second.post(f"{path}/resolve", data={"comment": "Door planed and oiled", "csrf_token": stale_token})
    html = late.get_data(as_text=True)
    assert late.status_code == 422
    assert "Not saved." in html and "This action is already resolved or closed." in html
    assert "Door planed and oiled" in html
    assert _action(action.id).resolution_comment == "Hinge replaced"
