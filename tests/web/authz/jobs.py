"""Background jobs: starting an area's batch of PDF scorecards, its job page and its zip."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app

from audit_app.extensions import db
from audit_app.manager.wording import report_labels
from audit_app.models import Area, User
from audit_app.services import jobs
from audit_app.services.scores.scope import make_period
from tests.web.authz import Case, only


def make_job(user: User, area: Area) -> str:
    """A finished job (in-process) of `user` for `area`; returns its id."""
    now = datetime.now(timezone.utc)
    period = make_period(now, 90)
    with current_app.test_request_context():
        labels = report_labels()
    wanted = jobs.ScorecardRequest(period_days=period.days, period_start=period.start, period_end=period.end,
                                   checklist_id=None, lang="en", labels=labels)
    queue = jobs.job_queue(current_app.config["STORECHECK_CONFIG"])
    return jobs.start_area_scorecards(db.session, user, area.id, request=wanted, queue=queue, now=now).id


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    area, other_area = world.area.id, world.other_area.id
    mine = make_job(world.manager, world.area)
    theirs = make_job(world.other_manager, world.other_area)
    missing = only({"manager": 404, "other_manager": 404, "head": 404})
    started = only({"manager": 303, "head": 303})
    return [
        Case("manager.start_area_pdfs", "POST", f"/manager/areas/{area}/scorecard-jobs", started,
             data={"days": "90"}),
        Case("manager.start_area_pdfs", "POST", f"/manager/areas/{other_area}/scorecard-jobs",
             only({"other_manager": 303, "head": 303})),
        Case("manager.start_area_pdfs", "POST", "/manager/areas/999999/scorecard-jobs", missing),
        # Only the person who asked, and head office, see a job and download its zip.
        Case("manager.pdf_job", "GET", f"/manager/jobs/{mine}", only({"manager": 200, "head": 200})),
        Case("manager.pdf_job", "GET", f"/manager/jobs/{theirs}", only({"other_manager": 200, "head": 200})),
        Case("manager.pdf_job", "GET", f"/manager/jobs/{'0' * 32}", missing),
        Case("manager.pdf_job", "GET", "/manager/jobs/secret_key", missing),
        Case("manager.pdf_job_download", "GET", f"/manager/jobs/{mine}/scorecards.zip",
             only({"manager": 200, "head": 200})),
        Case("manager.pdf_job_download", "GET", f"/manager/jobs/{theirs}/scorecards.zip",
             only({"other_manager": 200, "head": 200})),
        Case("manager.pdf_job_download", "GET", f"/manager/jobs/{'f' * 32}/scorecards.zip", missing),
    ]
