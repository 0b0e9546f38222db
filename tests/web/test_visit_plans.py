"""Visit plans through the pages: a shopper's unavailable dates, head office defining a plan, previewing,
generating now (twice), and the calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Assignment, AuditLog, PlanVisit, UnavailableDates, VisitPlan
from tests.factories import World, client_for, csrf_token_from, make_plan, make_published_checklist, make_store


def _post(client: Any, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, page or path)})


def test_a_plan_is_defined_previewed_generated_once_and_shown_on_the_calendar(world: World, app: Any) -> None:
    today = datetime.now(timezone.utc).date()
    version = make_published_checklist()
    make_store(world.area, "S3", "Kyobashi")
    for person in (world.shopper, world.other_shopper):
        person.region_id = world.region.id
    db.session.commit()

    # The shopper is away for the first window; they enter it on their own page.
    shopper = client_for(app, world.shopper.email)
    bad = _post(shopper, "/shopper/unavailable", {"starts_on": "someday", "ends_on": "", "note": "trip"})
    assert bad.status_code == 422 and 'value="trip"' in bad.get_data(as_text=True)
    saved = _post(shopper, "/shopper/unavailable", {"starts_on": today.isoformat(),
                                                     "ends_on": (today + timedelta(days=2)).isoformat(),
                                                     "note": "trip"})
    assert saved.status_code == 302
    assert db.session.scalars(select(UnavailableDates.user_id)).all() == [world.shopper.id]

    head = client_for(app, world.head.email)
    form = {"name": "Tokyo monthly", "checklist_id": str(version.checklist_id), "scope": "area", "region_id": "0",
            "area_id": str(world.area.id), "frequency": "monthly", "every_weeks": "4", "waves": "",
            "starts_on": today.isoformat(), "window_days": "7", "lead_days": "0", "lockout_days": "30",
            "no_repeat_shopper": "y", "home_region_only": "y"}
    bad = _post(head, "/head-office/plans", {**form, "frequency": "waves", "waves": "next week"})
    assert bad.status_code == 422 and "Write each wave as two dates" in bad.get_data(as_text=True)
    assert db.session.scalars(select(VisitPlan)).all() == []
    created = _post(head, "/head-office/plans", form)
    assert created.status_code == 302
    plan = db.session.scalars(select(VisitPlan)).one()
    assert (plan.scope, plan.area_id, plan.lockout_days, plan.reassign_missed) == ("area", world.area.id, 30, False)

    page = head.get(f"/head-office/plans/{plan.id}").get_data(as_text=True)
    assert "Generate now: 2 visits would be created" in page
    assert f"<li>Store check · One area: {world.area.name} · Monthly" in page  # which checklist, which stores
    assert "Kyobashi" in page and "Shopper2" in page
    assert "<li>Visit window: 7 days</li>" in page and "<li>Assigned 0 days ahead</li>" in page
    assert "Lockout: 30 days" in page
    assert db.session.scalars(select(Assignment)).all() == []

    path = f"/head-office/plans/{plan.id}/generate"
    assert _post(head, path, {}, page=f"/head-office/plans/{plan.id}").status_code == 302
    assert _post(head, path, {}, page=f"/head-office/plans/{plan.id}").status_code == 302
    rows = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    # Both stores go to the one available shopper; the second run adds nothing.
    assert [(a.shopper_id, a.window_start) for a in rows] == [(world.other_shopper.id, today)] * 2
    assert [v.status for v in db.session.scalars(select(PlanVisit))] == ["assigned", "assigned"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "plan.create")) is not None

    calendar = head.get(f"/head-office/plans/{plan.id}").get_data(as_text=True)
    assert "Generate now: 0 visits would be created" in calendar
    assert calendar.count('badge badge-assigned') >= 2

    edited = _post(head, f"/head-office/plans/{plan.id}/edit", {**form, "reassign_missed": "y"})
    assert edited.status_code == 302
    db.session.refresh(plan)
    assert plan.reassign_missed is True and plan.is_active is False  # is_active unticked in this post


def test_the_daily_command_generates_every_active_plan(world: World, runner: Any) -> None:
    version = make_published_checklist()
    world.shopper.region_id = world.region.id
    db.session.commit()
    from audit_app.services import plans
    from tests.factories import NOW
    plans.create_plan(db.session, world.head, plans.PlanSettings(
        name="All stores", checklist_id=version.checklist_id, scope="all", region_id=None, area_id=None,
        frequency="weeks", every_weeks=1, waves=[], starts_on=date.today(), window_days=7, lead_days=0,
        lockout_days=0, no_repeat_shopper=True, home_region_only=True, reassign_missed=False), now=NOW)
    out = runner.invoke(args=["run-plans"])
    assert out.exit_code == 0, out.output
    assert "2 created" in out.output
    again = runner.invoke(args=["run-plans"])
    assert "0 created" in again.output
    assert db.session.query(Assignment).count() == 2


def test_the_hourly_job_runs_the_plans_once_a_day(world: World, runner: Any) -> None:
    version = make_published_checklist()
    world.shopper.region_id = world.region.id
    db.session.commit()
    from audit_app.services import plans
    from tests.factories import NOW
    plan = plans.create_plan(db.session, world.head, plans.PlanSettings(
        name="All stores", checklist_id=version.checklist_id, scope="all", region_id=None, area_id=None,
        frequency="weeks", every_weeks=1, waves=[], starts_on=date.today(), window_days=7, lead_days=0,
        lockout_days=0, no_repeat_shopper=True, home_region_only=True, reassign_missed=False), now=NOW)
    first = runner.invoke(args=["mail", "scheduled", "--no-send"])
    assert first.exit_code == 0, first.output
    assert "1 visit plan(s) run" in first.output
    assert db.session.query(Assignment).count() == 2
    second = runner.invoke(args=["mail", "scheduled", "--no-send"])
    assert "0 visit plan(s) run" in second.output  # the next hour: already run today
    assert db.session.query(Assignment).count() == 2
    assert plans.last_daily_run(db.session, plan.id) is not None
    runs = db.session.scalars(select(AuditLog).where(AuditLog.action == "plan.generate")).all()
    assert len(runs) == 1


def test_the_plans_list_says_how_many_weeks_apart(world: World, app: Any) -> None:
    version = make_published_checklist()
    make_plan(world.head, version.checklist_id, "Fortnightly", frequency="weeks", every_weeks=3)
    head = client_for(app, world.head.email)
    listed = head.get("/head-office/plans").get_data(as_text=True)
    assert "<td>Every 3 weeks</td>" in listed
