"""Proof of visit: re-running the checks, explaining a flag and a checklist's plausible minimum are head office's."""

from __future__ import annotations

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import VisitFlag
from tests.factories import make_published_checklist, make_submitted_visit, small_checklist_data
from tests.web.authz import Case, only

HEAD = "/head-office"


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    version = make_published_checklist(small_checklist_data("proof_authz"))
    # Started and submitted at the same moment: a visit too fast to be plausible, so it carries a flag.
    visit = make_submitted_visit(world.other_shopper, world.other_store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90}).id
    flag = db.session.scalar(select(VisitFlag.id).where(VisitFlag.visit_id == visit, VisitFlag.kind == "too_fast"))
    moved, missing = only({"head": 302}), only({"head": 404})
    return [
        Case("headoffice.check_visit", "POST", f"{HEAD}/visits/{visit}/check", moved),
        Case("headoffice.check_visit", "POST", f"{HEAD}/visits/999999/check", missing),
        Case("headoffice.explain_flag", "POST", f"{HEAD}/flags/{flag}/explain", moved,
             data={"explanation": "Agreed with the store beforehand."}),
        Case("headoffice.explain_flag", "POST", f"{HEAD}/flags/{flag}/explain", moved, data={"explanation": ""}),
        Case("headoffice.explain_flag", "POST", f"{HEAD}/flags/999999/explain", missing,
             data={"explanation": "x"}),
        Case("headoffice.set_min_minutes", "POST", f"{HEAD}/checklists/{version.checklist_id}/min-minutes", moved,
             data={"min_minutes": "12"}),
        Case("headoffice.set_min_minutes", "POST", f"{HEAD}/checklists/{version.checklist_id}/min-minutes", moved,
             data={"min_minutes": "-3"}),
        Case("headoffice.review_visit", "GET", f"{HEAD}/visits/{visit}", only({"head": 200})),
    ]
