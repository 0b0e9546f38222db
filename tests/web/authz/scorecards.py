"""Scorecards: area and region dashboards, store and visit pages, compare, CSV exports and PDF scorecards
(the area batch of PDFs is in jobs.py)."""

from __future__ import annotations

from sqlalchemy import select

from audit_app.extensions import db
from audit_app.models import Visit
from tests.factories import make_published_checklist, make_submitted_visit
from tests.web.authz import Case, only


def _visit_id(world) -> int:  # type: ignore[no-untyped-def]
    """A submitted visit to the first manager's store (made once, reused by every role)."""
    found = db.session.scalar(select(Visit.id).where(Visit.store_id == world.store.id, Visit.status == "submitted"))
    if found is not None:
        return found
    version = make_published_checklist()
    visit = make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                 {"greeted": "yes", "helpful": 4, "queue_wait": 90})
    return visit.id


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    area, other_area, region = world.area.id, world.other_area.id, world.region.id
    store, other_store = world.store.id, world.other_store.id
    visit = _visit_id(world)
    mine = only({"manager": 200, "head": 200})
    # The store's own manager opens its pages, visits, PDF and downloads; never the area's or another store's.
    store_mine = only({"manager": 200, "head": 200, "store_manager": 200})
    head_only = only({"head": 200})
    missing = only({"manager": 404, "other_manager": 404, "head": 404})
    store_missing = only({"manager": 404, "other_manager": 404, "head": 404, "store_manager": 404})
    everyone = only({"manager": 200, "other_manager": 200, "head": 200})
    return [
        Case("manager.area", "GET", f"/manager/areas/{area}", mine),
        Case("manager.area", "GET", f"/manager/areas/{other_area}", only({"other_manager": 200, "head": 200})),
        Case("manager.area", "GET", "/manager/areas/999999", missing),
        Case("manager.region", "GET", f"/manager/regions/{region}", head_only),
        Case("manager.region", "GET", "/manager/regions/999999", missing),
        Case("manager.area_export", "GET", f"/manager/areas/{area}/visits.csv", mine),
        Case("manager.area_export_xlsx", "GET", f"/manager/areas/{area}/visits.xlsx", mine),
        Case("manager.area_export", "GET", "/manager/areas/999999/visits.csv", missing),
        Case("manager.area_export_xlsx", "GET", "/manager/areas/999999/visits.xlsx", missing),
        Case("manager.region_export", "GET", f"/manager/regions/{region}/visits.csv", head_only),
        Case("manager.region_export_xlsx", "GET", f"/manager/regions/{region}/visits.xlsx", head_only),
        Case("manager.store", "GET", f"/manager/stores/{other_store}", only({"other_manager": 200, "head": 200})),
        Case("manager.store_export", "GET", f"/manager/stores/{store}/visits.csv", store_mine),
        Case("manager.store_export_xlsx", "GET", f"/manager/stores/{store}/visits.xlsx", store_mine),
        Case("manager.store_export", "GET", f"/manager/stores/{other_store}/visits.csv",
             only({"other_manager": 200, "head": 200})),
        Case("manager.store_export_xlsx", "GET", f"/manager/stores/{other_store}/visits.xlsx",
             only({"other_manager": 200, "head": 200})),
        Case("manager.store_export", "GET", "/manager/stores/999999/visits.csv", store_missing),
        Case("manager.store_export_xlsx", "GET", "/manager/stores/999999/visits.xlsx", store_missing),
        Case("manager.store_pdf", "GET", f"/manager/stores/{store}/scorecard.pdf", store_mine),
        Case("manager.store_pdf", "GET", "/manager/stores/999999/scorecard.pdf", store_missing),
        Case("manager.visit", "GET", f"/manager/visits/{visit}", store_mine),
        Case("manager.visit", "GET", "/manager/visits/999999", store_missing),
        Case("manager.compare", "GET", "/manager/compare", everyone),
        Case("manager.compare", "GET", f"/manager/compare?stores={store}&stores={other_store}", head_only),
        Case("manager.compare", "GET", "/manager/compare?stores=999999&stores=999998", missing),
    ]
