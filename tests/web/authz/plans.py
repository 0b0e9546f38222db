"""Visit plans: head office only; shoppers manage their own unavailable dates only."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.services import plans
from tests.factories import NOW, make_published_checklist
from tests.web.authz import Case, only

HEAD = "/head-office"


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    version = make_published_checklist()
    plan = plans.create_plan(db.session, world.head, plans.PlanSettings(
        name="Authz plan", checklist_id=version.checklist_id, scope="all", region_id=None, area_id=None,
        frequency="monthly", every_weeks=4, waves=[], starts_on=NOW.date(), window_days=7, lead_days=0,
        lockout_days=0, no_repeat_shopper=True, home_region_only=True, reassign_missed=False), now=NOW).id
    theirs = plans.add_unavailable(db.session, world.other_shopper, user_id=world.other_shopper.id,
                                   starts_on=NOW.date(), ends_on=NOW.date(), note="", now=NOW).id



    ok, missing = only({"head": 200}), only({"head": 404})
    return [
        Case("headoffice.plans_page", "GET", f"{HEAD}/plans", ok),
        Case("headoffice.plans_page", "POST", f"{HEAD}/plans", only({"head": 422}), data={"name": ""}),
        Case("headoffice.plan", "GET", f"{HEAD}/plans/{plan}", ok),
        Case("headoffice.plan", "GET", f"{HEAD}/plans/999999", missing),
        Case("headoffice.edit_plan", "GET", f"{HEAD}/plans/{plan}/edit", ok),
        Case("headoffice.edit_plan", "GET", f"{HEAD}/plans/999999/edit", missing),
        Case("headoffice.generate_plan", "POST", f"{HEAD}/plans/{plan}/generate", only({"head": 302})),
        Case("headoffice.generate_plan", "POST", f"{HEAD}/plans/999999/generate", missing),
        Case("headoffice.unavailable", "GET", f"{HEAD}/unavailable", ok),
        Case("headoffice.unavailable", "POST", f"{HEAD}/unavailable", only({"head": 422}), data={"starts_on": ""}),
        Case("headoffice.remove_unavailable", "POST", f"{HEAD}/unavailable/999999/delete", missing),
        Case("shopper.unavailable", "GET", "/shopper/unavailable", only({"shopper": 200})),
        Case("shopper.unavailable", "POST", "/shopper/unavailable", only({"shopper": 422}),
             data={"starts_on": "not a date"}),
        # Another shopper's dates are not found for this shopper; head office removes through its own page.
        Case("shopper.remove_unavailable", "POST", f"/shopper/unavailable/{theirs}/delete", only({"shopper": 404})),
        Case("shopper.remove_unavailable", "POST", "/shopper/unavailable/999999/delete", only({"shopper": 404})),
    ]
