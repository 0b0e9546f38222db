"""The service worker keeps, for offline use, every script module the shopper pages load, and nothing else; a
section page names only the modules its questions need."""

from __future__ import annotations

import re
import uuid

import yaml
from flask.testing import FlaskClient

import scoring
from audit_app.config import PROJECT_ROOT
from audit_app.extensions import db
from audit_app.services import checklists, visits
from tests.factories import NOW, World, make_assignment

JS = PROJECT_ROOT / "static" / "js"


def _names(text: str, anchor: str) -> set[str]:
    listed = re.search(anchor + r"\s*=\s*\[([^\]]*)\]", text, re.S)
    assert listed is not None
    return set(re.findall(r'"([\w-]+)"', listed.group(1)))


def test_the_service_worker_and_the_pages_list_every_visit_module() -> None:
    on_disk = {path.stem for path in (JS / "visit").glob("*.js")}
    imported = set(re.findall(r'(?:from |import\()"\./(?:visit/)?([\w-]+)\.js"',
                              "".join(p.read_text() for p in [JS / "visit.js", *(JS / "visit").glob("*.js")])))
    assert imported == on_disk
    assert _names((JS / "sw.js").read_text(), "var MODULES") == on_disk
    assert _names((PROJECT_ROOT / "templates" / "shopper" / "_scripts.html").read_text(), "set VISIT_MODULES") == on_disk


def test_a_section_page_names_the_modules_of_its_own_questions_only(shopper: FlaskClient, world: World) -> None:
    """The first view of a visit is small: a section sends the photo, stopwatch and show-if code only when it has
    such questions (visit.js imports what the page has; the page preloads the same)."""
    shipped = scoring.parse_checklist(yaml.safe_load((PROJECT_ROOT / "checklists" / "in_store_visit.yaml").read_text()))
    version = checklists.publish_checklist(db.session, shipped, now=NOW)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    visit = visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()), assignment_id=assignment.id,
                               now=NOW)
    keys = [section.key for section in shipped.sections]
    expected = {"exterior": set(), "cleanliness": {"photos", "show-if"}, "greeting": {"stopwatch"},
                "checkout": {"stopwatch", "show-if"}, "evidence": {"photos"}}
    for key, parts in expected.items():
        page = shopper.get(f"/shopper/visits/{visit.id}/sections/{keys.index(key)}")
        assert page.status_code == 200, key
        preloaded = set(re.findall(r'rel="modulepreload" href="/static/js/visit/([\w-]+)\.js"', page.get_data(as_text=True)))
        assert preloaded & {"photos", "stopwatch", "show-if"} == parts, key
        assert {"common", "net", "outbox", "sync", "section-form", "worker"} <= preloaded, key
