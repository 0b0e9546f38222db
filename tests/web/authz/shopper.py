"""The shopper's visit pages and visit photos."""

from __future__ import annotations

import io

from PIL import Image

from audit_app.extensions import db
from audit_app.models import Checklist
from audit_app.services import photos
from tests.factories import NOW, make_assignment, make_visit, publish_mini
from tests.web.authz import ROLES, Case, only


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "JPEG")
    return out.getvalue()


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    visit = make_visit(world.shopper, world.store, client_uuid="00000000-0000-4000-8000-000000000001")
    theirs = make_visit(world.other_shopper, world.store, client_uuid="00000000-0000-4000-8000-000000000002")
    photo = photos.add_photo(db.session, world.shopper, visit.id, "notes", _jpeg(), upload_dir=world.upload_dir,
                             now=NOW)
    version = publish_mini()
    opened = db.session.get(Checklist, version.checklist_id)
    opened.allow_unassigned = True
    db.session.commit()
    mine = make_assignment(world.shopper, world.store, version.checklist_id)
    other = make_assignment(world.other_shopper, world.store, version.checklist_id)
    v, t = visit.id, theirs.id
    shopper_only = {"shopper": 200}

    def fresh_uuid(_world):  # type: ignore[no-untyped-def]
        import uuid

        return {"client_uuid": str(uuid.uuid4())}

    return [
        Case("shopper.start_visit", "POST", f"/shopper/assignments/{mine.id}/start", only({"shopper": 302}),
             setup=fresh_uuid),
        Case("shopper.start_visit", "POST", f"/shopper/assignments/{other.id}/start", only({}), setup=fresh_uuid),
        Case("shopper.visit", "GET", f"/shopper/visits/{v}", only({"shopper": 302})),
        Case("shopper.visit", "GET", f"/shopper/visits/{t}", only({})),
        Case("shopper.visit", "GET", "/shopper/visits/999999", only({"shopper": 404})),
        Case("shopper.visit_section", "GET", f"/shopper/visits/{v}/sections/0", only(shopper_only)),
        Case("shopper.visit_section", "GET", f"/shopper/visits/{t}/sections/0", only({})),
        Case("shopper.visit_section", "GET", f"/shopper/visits/{v}/sections/9", only({"shopper": 404})),
        Case("shopper.visit_section", "POST", f"/shopper/visits/{v}/sections/0", only({"shopper": 302}),
             data={"q-greeted": "yes"}),
        Case("shopper.visit_section", "POST", f"/shopper/visits/{t}/sections/0", only({}),
             data={"q-greeted": "no"}),
        Case("shopper.review", "GET", f"/shopper/visits/{v}/review", only(shopper_only)),
        Case("shopper.review", "GET", f"/shopper/visits/{t}/review", only({})),
        Case("shopper.submit", "POST", f"/shopper/visits/{t}/submit", only({}),
             data={"client_uuid": theirs.client_uuid}),
        Case("shopper.submit", "POST", f"/shopper/visits/{v}/submit", only({"shopper": 422}),
             data={"client_uuid": visit.client_uuid}),
        Case("shopper.new_visit", "GET", "/shopper/visits/new", only({"shopper": 200})),
        Case("shopper.service_worker", "GET", "/shopper/sw.js", dict.fromkeys(ROLES, 200)),
        # A draft's photo: the shopper's own; store and area managers get 404, as for the draft's page.
        Case("photos.image", "GET", f"/photos/{photo.id}/thumb.jpg",
             only({"shopper": 200, "store_manager": 404, "manager": 404, "other_manager": 404, "head": 200})),
        Case("photos.image", "GET", f"/photos/{photo.id}/full.jpg",
             only({"shopper": 200, "store_manager": 404, "manager": 404, "other_manager": 404, "head": 200})),
        Case("photos.image", "GET", "/photos/999999/full.jpg",
             only({"shopper": 404, "store_manager": 404, "manager": 404, "other_manager": 404, "head": 404})),
    ]
