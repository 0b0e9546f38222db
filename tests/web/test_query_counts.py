"""Pages issue a fixed number of queries however many stores, visits and people there are (no N+1)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask
from flask.testing import FlaskClient

from audit_app.extensions import db
from tests.factories import World, counting, make_store, make_submitted_visit, make_user, publish_mini, sign_in

ANSWERS = {"greeted": "yes", "helpful": 4, "queue_wait": 150, "self_checkout": "no"}


def _grow(world: World, checklist_id: int, stores: int, visits_per_store: int, tag: str) -> list[int]:
    """Add stores to both areas, each with submitted visits by a new shopper; returns the visit ids."""
    shopper = make_user(f"grow-{tag}@test.example")
    now = datetime.now(timezone.utc)
    ids = []
    for n in range(stores):
        area = world.area if n % 2 == 0 else world.other_area
        store = make_store(area, f"{tag}{n}", f"Store {tag}{n}")
        for k in range(visits_per_store):
            ids.append(make_submitted_visit(shopper, store, checklist_id, ANSWERS,
                                            at=now - timedelta(days=3 + 7 * k)).id)
    return ids


def _counts(client: FlaskClient, paths: list[str]) -> dict[str, int]:
    found = {}
    for path in paths:
        with counting() as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        response.close()
        found[path] = len(statements)
    return found


def test_manager_and_head_office_pages_do_not_query_per_store_or_visit(app: Flask, world: World) -> None:
    checklist_id = publish_mini().checklist_id
    visit_ids = _grow(world, checklist_id, stores=2, visits_per_store=2, tag="a")
    a, r, s, v = world.area.id, world.region.id, world.store.id, visit_ids[0]
    head = app.test_client()
    sign_in(head, world.head.email)
    paths = ["/manager/", f"/manager/areas/{a}", f"/manager/regions/{r}", f"/manager/stores/{s}",
             f"/manager/visits/{v}", f"/manager/areas/{a}/visits.csv", "/head-office/", "/head-office/review",
             "/head-office/stores", "/head-office/people", "/head-office/audit-log", "/head-office/checklists",
             "/head-office/rankings", "/head-office/calibration",
             f"/manager/compare?stores={s}&stores={world.other_store.id}"]
    before = _counts(head, paths)
    assert all(count > 0 for count in before.values()), before  # the counter sees the page's queries
    _grow(world, checklist_id, stores=6, visits_per_store=3, tag="b")
    for n in range(4):
        make_user(f"extra{n}@test.example")
    after = _counts(head, paths)
    grew = {p: (before[p], after[p]) for p in paths if after[p] != before[p]}
    assert grew == {}, f"queries grew with the data (before, after): {grew}"


def test_export_and_review_pages_do_not_query_per_row(app: Flask, world: World) -> None:
    """CSV exports (area, region, store; head office and area manager) and the review pages issue as many queries
    for many visits, stores and reviewed visits as for a few."""
    from audit_app.services import review

    checklist_id = publish_mini().checklist_id
    now = datetime.now(timezone.utc)
    first = make_submitted_visit(world.shopper, world.store, checklist_id, ANSWERS, at=now - timedelta(days=2))
    approved = _grow(world, checklist_id, stores=2, visits_per_store=1, tag="a")
    review.decide(db.session, world.head, approved[0], "approve", now=now)
    a, r, s = world.area.id, world.region.id, world.store.id
    head, manager = app.test_client(), app.test_client()
    sign_in(head, world.head.email)
    sign_in(manager, world.manager.email)
    head_paths = [f"/manager/areas/{a}/visits.csv", f"/manager/regions/{r}/visits.csv",
                  f"/manager/stores/{s}/visits.csv", "/head-office/", "/head-office/review",
                  "/head-office/review?status=approved", f"/head-office/visits/{first.id}"]
    manager_paths = ["/manager/", f"/manager/areas/{a}/visits.csv", f"/manager/stores/{s}/visits.csv"]
    before = {**_counts(head, head_paths), **{f"manager {p}": n for p, n in _counts(manager, manager_paths).items()}}
    assert all(count > 0 for count in before.values()), before
    for k in range(4):  # more visits of the exported store, more stores and visits, more approved visits
        make_submitted_visit(world.other_shopper, world.store, checklist_id, ANSWERS, at=now - timedelta(days=4 + k))
    for visit_id in _grow(world, checklist_id, stores=6, visits_per_store=3, tag="b")[:5]:
        review.decide(db.session, world.head, visit_id, "approve", now=now)
    after = {**_counts(head, head_paths), **{f"manager {p}": n for p, n in _counts(manager, manager_paths).items()}}
    grew = {p: (before[p], after[p]) for p in before if after[p] != before[p]}
    assert grew == {}, f"queries grew with the data (before, after): {grew}"


def test_the_shopper_home_page_does_not_query_per_visit(app: Flask, world: World) -> None:
    checklist_id = publish_mini().checklist_id
    now = datetime.now(timezone.utc)
    make_submitted_visit(world.shopper, world.store, checklist_id, ANSWERS, at=now - timedelta(days=2))
    client = app.test_client()
    sign_in(client, world.shopper.email)
    before = _counts(client, ["/shopper/"])
    for k in range(5):
        make_submitted_visit(world.shopper, world.other_store, checklist_id, ANSWERS, at=now - timedelta(days=3 + k))
    after = _counts(client, ["/shopper/"])
    assert before["/shopper/"] > 0
    assert after == before


def test_the_counter_notices_a_page_that_queries_per_row(app: Flask, world: World) -> None:
    """The check itself can fail: a deliberately naive page's count grows with its rows."""
    from audit_app.models import Store

    @app.get("/__naive")
    def naive() -> str:
        ids = [row.id for row in db.session.query(Store.id)]
        return ",".join(db.session.get(Store, i).name for i in ids)

    client = app.test_client()
    before = _counts(client, ["/__naive"])
    make_store(world.area, "N1", "Naive one")
    make_store(world.area, "N2", "Naive two")
    assert _counts(client, ["/__naive"])["/__naive"] > before["/__naive"]


def test_the_review_queue_issues_as_many_queries_for_a_full_page_as_for_a_few_rows(app: Flask, world: World) -> None:
    """A page of 50 of 120 waiting visits, filtered or not, costs what a page of three does."""
    from tests.factories import add_submitted

    version = publish_mini()
    add_submitted(world.shopper.id, world.store, version.id, 2, critical=frozenset({0}))
    add_submitted(world.shopper.id, world.other_store, version.id, 1)
    head = app.test_client()
    sign_in(head, world.head.email)
    paths = ["/head-office/review", f"/head-office/review?area={world.area.id}&critical=y",
             "/head-office/review?since=2026-01-01&until=2027-01-01&page=2", "/head-office/"]
    before = _counts(head, paths)
    assert all(count > 0 for count in before.values()), before
    add_submitted(world.other_shopper.id, world.store, version.id, 117, critical=frozenset(range(0, 117, 2)))
    for n in range(3):
        make_store(world.area, f"Q{n}", f"Queue store {n}")
    after = _counts(head, paths)
    grew = {p: (before[p], after[p]) for p in paths if after[p] != before[p]}
    assert grew == {}, f"queries grew with the page (before, after): {grew}"
