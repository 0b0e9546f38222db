"""Visit plans: the shopper rules, fairness, idempotence, and missed windows re-assigned."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Assignment, AuditLog, PlanVisit, User
from audit_app.services import plans
from tests.factories import NOW, World, make_assignment, make_published_checklist, make_user, small_checklist_data

TODAY = NOW.date()


def _settings(checklist_id: int, **kw) -> plans.PlanSettings:  # type: ignore[no-untyped-def]
    values = dict(name="Monthly check", checklist_id=checklist_id, scope="area", region_id=None, area_id=None,
                  frequency="weeks", every_weeks=2, waves=[], starts_on=TODAY, window_days=7, lead_days=0,
                  lockout_days=0, no_repeat_shopper=True, home_region_only=True, reassign_missed=False)
    values.update(kw)
    return plans.PlanSettings(**values)


def _home(world: World, *shoppers: User) -> None:
    for shopper in shoppers:
        shopper.region_id = world.region.id
    db.session.commit()


def _plan(world: World, **kw):  # type: ignore[no-untyped-def]
    version = make_published_checklist()
    return plans.create_plan(db.session, world.head, _settings(version.checklist_id, area_id=world.area.id, **kw),
                             now=NOW)


def _assigned(store_id: int) -> list[tuple[int, date]]:
    return [(a.shopper_id, a.window_start) for a in db.session.scalars(
        select(Assignment).where(Assignment.store_id == store_id, Assignment.status != "cancelled")
        .order_by(Assignment.window_start, Assignment.id))]


def test_only_shoppers_whose_home_region_it_is_are_chosen(world: World) -> None:
    _home(world, world.other_shopper)
    plan = _plan(world)
    result = plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    assert result.created == 1
    assert _assigned(world.store.id) == [(world.other_shopper.id, TODAY)]


def test_without_a_home_region_shopper_the_visit_stays_planned_and_says_why(world: World) -> None:
    plan = _plan(world)
    result = plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    assert (result.created, result.unassigned) == (0, 1)
    visit = db.session.scalars(select(PlanVisit)).one()
    assert visit.status == "planned" and "home region" in visit.note


def test_the_same_shopper_never_visits_a_store_twice_in_a_row(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    plan = _plan(world, lead_days=28)  # windows today, +14, +28
    plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    shoppers = [s for s, _start in _assigned(world.store.id)]
    assert len(shoppers) == 3
    assert all(a != b for a, b in zip(shoppers, shoppers[1:]))


def test_a_lockout_keeps_a_shopper_away_from_a_store_for_n_days(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    version = make_published_checklist()
    make_assignment(world.shopper, world.store, version.checklist_id, start=TODAY - timedelta(days=20))
    make_assignment(world.other_shopper, world.store, version.checklist_id, start=TODAY - timedelta(days=10))
    # No twice in a row would pick `shopper`; a 30-day lockout rules both out.
    plan = plans.create_plan(db.session, world.head, _settings(version.checklist_id, area_id=world.area.id,
                                                               lockout_days=30), now=NOW)
    result = plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    assert (result.created, result.unassigned) == (0, 1)
    assert "locked out" in db.session.scalars(select(PlanVisit)).one().note
    # With a 15-day lockout, `shopper` (20 days ago) is free again.
    plan2 = plans.create_plan(db.session, world.head, _settings(version.checklist_id, area_id=world.area.id,
                                                                lockout_days=15, name="Other"), now=NOW)
    assert plans.generate_plan(db.session, world.head, plan2.id, now=NOW).created == 1
    assert _assigned(world.store.id)[-1] == (world.shopper.id, TODAY)


def test_unavailable_dates_exclude_a_shopper_for_windows_they_overlap(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    plans.add_unavailable(db.session, world.shopper, user_id=world.shopper.id, starts_on=TODAY + timedelta(days=3),
                          ends_on=TODAY + timedelta(days=4), note="holiday", now=NOW)
    plans.add_unavailable(db.session, world.head, user_id=world.other_shopper.id, starts_on=TODAY + timedelta(days=14),
                          ends_on=TODAY + timedelta(days=14), note="", now=NOW)
    plan = _plan(world, lead_days=14, no_repeat_shopper=False)
    plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    assert _assigned(world.store.id) == [(world.other_shopper.id, TODAY), (world.shopper.id, TODAY + timedelta(14))]


def test_a_shopper_cannot_change_someone_elses_unavailable_dates(world: World) -> None:
    with pytest.raises(plans.PlanError):
        plans.add_unavailable(db.session, world.shopper, user_id=world.other_shopper.id, starts_on=TODAY,
                              ends_on=TODAY, note="", now=NOW)
    row = plans.add_unavailable(db.session, world.other_shopper, user_id=world.other_shopper.id, starts_on=TODAY,
                                ends_on=TODAY, note="", now=NOW)
    with pytest.raises(plans.NotFoundError):
        plans.remove_unavailable(db.session, world.shopper, row.id, now=NOW)


def test_stores_are_spread_fairly_fewest_recent_assignments_first_ties_by_name(world: World) -> None:
    version = make_published_checklist()
    extra = make_user("aaron@test.example", name="Aaron")
    _home(world, world.shopper, world.other_shopper, extra)
    from tests.factories import make_store
    stores = [world.store] + [make_store(world.area, f"S{i}", f"Store {i}") for i in range(3, 6)]
    # `shopper` already had two visits recently elsewhere; Aaron sorts first by name.
    make_assignment(world.shopper, world.other_store, version.checklist_id, start=TODAY - timedelta(days=30))
    make_assignment(world.shopper, world.other_store, version.checklist_id, start=TODAY - timedelta(days=60))
    plan = plans.create_plan(db.session, world.head, _settings(version.checklist_id, area_id=world.area.id), now=NOW)
    preview = plans.preview_plan(db.session, plan.id, today=TODAY)
    chosen = [p.shopper_name for p in preview]
    assert [p.store_name for p in preview] == sorted(s.name for s in stores)
    assert chosen == ["Aaron", "Shopper2", "Aaron", "Shopper2"]
    assert db.session.scalars(select(PlanVisit)).all() == []  # a preview writes nothing
    plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    assert sorted(s for st in stores for s, _ in _assigned(st.id)) == sorted(
        [extra.id, extra.id, world.other_shopper.id, world.other_shopper.id])


def test_generating_twice_creates_nothing_more(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    plan = _plan(world, lead_days=14)
    first = plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    second = plans.generate_plan(db.session, None, plan.id, now=NOW)
    assert (first.created, second.created, second.unassigned) == (2, 0, 0)
    assert db.session.query(Assignment).count() == 2
    assert plans.preview_plan(db.session, plan.id, today=TODAY) == []
    actions = [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("assignment.create") == 2 and actions.count("plan.generate") == 2


def test_a_missed_window_is_flagged_and_reassigned_to_another_shopper(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    plan = _plan(world, reassign_missed=True)
    plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    (first, _), = _assigned(world.store.id)
    later = TODAY + timedelta(days=8)  # the 7-day window is over, nobody visited
    result = plans.generate_plan(db.session, None, plan.id, now=NOW + timedelta(days=8), today=later)
    assert (result.missed, result.reassigned) == (1, 1)
    old = db.session.scalars(select(Assignment).where(Assignment.shopper_id == first)).one()
    assert old.status == "cancelled"
    current = _assigned(world.store.id)
    assert len(current) == 1 and current[0][0] != first and current[0][1] == later
    visit = db.session.scalars(select(PlanVisit)).one()
    assert (visit.status, visit.reassigned_count) == ("assigned", 1)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "plan_visit.missed")) is not None


def test_a_missed_window_without_reassignment_stays_missed_on_the_calendar(world: World) -> None:
    _home(world, world.shopper, world.other_shopper)
    plan = _plan(world)
    plans.generate_plan(db.session, world.head, plan.id, now=NOW)
    later = TODAY + timedelta(days=8)
    result = plans.generate_plan(db.session, None, plan.id, now=NOW + timedelta(days=8), today=later)
    assert (result.missed, result.reassigned) == (1, 0)
    cal = plans.plan_calendar(db.session, plan.id, today=later)
    assert cal.cells[(world.store.id, TODAY)].status == "missed"
    assert cal.counts["missed"] == 1


def test_monthly_and_wave_schedules_give_their_windows() -> None:
    from audit_app.models import VisitPlan
    monthly = VisitPlan(frequency="monthly", starts_on=date(2026, 1, 31), window_days=5, every_weeks=1, waves=[])
    assert [s for s, _ in plans.periods(monthly, until=date(2026, 4, 30))] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    waves = VisitPlan(frequency="waves", starts_on=date(2026, 1, 1), window_days=5, every_weeks=1,
                      waves=[["2026-03-01", "2026-03-10"], ["2026-01-05", "2026-01-09"]])
    assert plans.periods(waves, until=date(2026, 2, 1)) == [(date(2026, 1, 5), date(2026, 1, 9))]


def test_the_daily_job_skips_a_plan_that_cannot_run_and_runs_the_others(world: World) -> None:
    from audit_app.models import ChecklistVersion
    from audit_app.services.assignments import AssignmentError
    _home(world, world.shopper)
    broken = _plan(world, name="Broken")
    other = make_published_checklist(small_checklist_data("other"))
    fine = plans.create_plan(db.session, world.head, _settings(other.checklist_id, area_id=world.area.id,
                                                               name="Fine"), now=NOW)
    version = db.session.scalars(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == broken.checklist_id)).one()
    version.status = "retired"
    db.session.commit()
    results = plans.run_due_plans(db.session, now=NOW)
    assert isinstance(results[broken.id], AssignmentError)
    assert results[fine.id].created == 1
