"""Assignments one at a time and across an area: spread evenly, never the same shopper twice in a row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Assignment
from audit_app.services import assignments, visit_pages
from tests.factories import NOW, World, make_published_checklist, make_store, make_user

TODAY = NOW.date()


def test_a_single_assignment_shows_on_the_shoppers_home_list(world: World) -> None:
    version = make_published_checklist()
    assignments.create_assignment(db.session, world.head, shopper_id=world.shopper.id, store_id=world.store.id,
                                  checklist_id=version.checklist_id, window_start=TODAY,
                                  window_end=TODAY + timedelta(days=7), now=NOW)
    rows = visit_pages.list_open_assignments(db.session, world.shopper.id, TODAY)
    assert [(r.store_name, r.checklist_title) for r in rows] == [("Ginza", "Store check")]


def test_an_assignment_needs_an_active_shopper_and_a_sensible_window(world: World) -> None:
    version = make_published_checklist()
    common = {"store_id": world.store.id, "checklist_id": version.checklist_id, "now": NOW}
    with pytest.raises(assignments.AssignmentError):
        assignments.create_assignment(db.session, world.head, shopper_id=world.manager.id, window_start=TODAY,
                                      window_end=TODAY, **common)
    with pytest.raises(assignments.AssignmentError):
        assignments.create_assignment(db.session, world.head, shopper_id=world.shopper.id, window_start=TODAY,
                                      window_end=TODAY - timedelta(days=1), **common)
    assert db.session.scalars(select(Assignment)).all() == []


def test_bulk_assignment_spreads_stores_across_the_regions_shoppers(world: World) -> None:
    version = make_published_checklist()
    for n in range(3, 7):
        make_store(world.area, f"S{n}", f"Store {n}")
    for user in (world.shopper, world.other_shopper):
        user.region_id = world.region.id
    db.session.commit()
    made = assignments.assign_area(db.session, world.head, area_id=world.area.id, checklist_id=version.checklist_id,
                                   window_start=TODAY, window_end=TODAY + timedelta(days=7), now=NOW)
    assert len(made) == 5
    counts = {s: sum(1 for p in made if p.shopper_id == s) for s in (world.shopper.id, world.other_shopper.id)}
    assert sorted(counts.values()) == [2, 3]


def test_bulk_assignment_avoids_the_shopper_who_had_the_store_last_time(world: World) -> None:
    version = make_published_checklist()
    third = make_user("shopper3@test.example")
    shoppers = [world.shopper.id, world.other_shopper.id, third.id]
    start = date(2026, 10, 1)
    first = assignments.assign_area(db.session, world.head, area_id=world.area.id, checklist_id=version.checklist_id,
                                    window_start=start, window_end=start, shopper_ids=shoppers, now=NOW)
    for _ in range(3):
        start += timedelta(days=30)
        again = assignments.assign_area(db.session, world.head, area_id=world.area.id,
                                        checklist_id=version.checklist_id, window_start=start, window_end=start,
                                        shopper_ids=shoppers, now=NOW)
        assert again[0].shopper_id != first[0].shopper_id
        first = again


def test_bulk_assignment_without_shoppers_in_the_region_says_so(world: World) -> None:
    version = make_published_checklist()
    with pytest.raises(assignments.AssignmentError, match="No active shoppers"):
        assignments.assign_area(db.session, world.head, area_id=world.area.id, checklist_id=version.checklist_id,
                                window_start=TODAY, window_end=TODAY, now=NOW)
