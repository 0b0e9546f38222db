"""Every page every role can reach, in English and in Japanese, on the small demo.

Signed in as each role, the crawl follows every link and GET form from the home page (tests/web/crawl.py) and
fails on a server error, a broken link, an internal key or message id on a page, interface English left in a
Japanese page, a download that does not open, or a GET that changed the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.models.users import area_managers, store_managers
from audit_app.models import (Action, Answer, Area, ChecklistVersion, Region, Store, User, Visit, VisitPlan,
                              WebhookEndpoint)
from audit_app.services import seed
from tests.factories import csrf_token_from, running_app, sign_in
from tests.web.crawl import crawl, pattern_of, raw_keys, untranslated

ROLES = {"shopper": "shopper@example.com", "area_manager": "manager@example.com", "head_office": "head@example.com",
         "store_manager": "store@example.com"}
# Pages each role must reach by links alone (so the crawl is known to cover them).
MAIN_PAGES = {
    "shopper": {"/shopper/", "/shopper/visits/<n>/sections/<n>", "/shopper/visits/<n>/review", "/account/password"},
    "store_manager": {"/manager/", "/manager/stores/<n>", "/manager/visits/<n>", "/manager/stores/<n>/scorecard.pdf",
                      "/manager/stores/<n>/visits.csv", "/account/password", "/actions/", "/actions/<n>"},
    "area_manager": {"/manager/", "/manager/areas/<n>", "/manager/stores/<n>", "/manager/visits/<n>",
                     "/manager/compare", "/manager/stores/<n>/scorecard.pdf", "/manager/areas/<n>/visits.csv",
                     "/photos/<n>/full.jpg", "/actions/", "/actions/<n>", "/actions/new"},
    "head_office": {"/head-office/", "/head-office/checklists", "/head-office/checklists/<n>",
                    "/head-office/versions/<n>", "/head-office/versions/<n>/export.yaml",
                    "/head-office/checklists/<n>/diff", "/head-office/versions/<n>/preview", "/head-office/review",
                    "/head-office/visits/<n>", "/head-office/audit-log", "/head-office/people",
                    "/head-office/stores", "/head-office/places", "/head-office/assignments",
                    "/head-office/settings", "/head-office/stores/import", "/head-office/people/import",
                    "/manager/regions/<n>", "/manager/stores/<n>/scorecard.pdf",
                    "/head-office/versions/<n>/sections/<n>/questions/<n>", "/head-office/versions/<n>/settings",
                    "/head-office/versions/<n>/what-if"},
}


@pytest.fixture(scope="module")
def demo_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The small demo, seeded once for the module, with a day-old review decision and a re-scored history."""
    for app in running_app(database_url, tmp_path_factory.mktemp("crawl")):
        now = datetime.now(timezone.utc).replace(microsecond=0)
        seed.seed_demo(db.session, now=now - timedelta(hours=2), upload_dir=Path(app.config["UPLOAD_DIR"]),
                       size="small", password_hash_method=app.config["STORECHECK_CONFIG"].password_hash_method)
        _add_history(now)
        yield app


def _add_history(now: datetime) -> None:
    """Head office's everyday changes, so the audit log, diffs and review tabs have something in them."""
    from audit_app.services import review, rubrics
    from audit_app.services.scores import rescoring

    head = db.session.scalar(sa.select(User).where(User.email == "head@example.com"))
    # The small demo has visits in its first stores only: the demo area manager looks after their area too.
    manager = db.session.scalar(sa.select(User).where(User.email == "manager@example.com"))
    visited_area = db.session.scalar(sa.select(Store.area_id).join(Visit, Visit.store_id == Store.id).limit(1))
    db.session.execute(area_managers.insert().values(user_id=manager.id, area_id=visited_area))
    # ... and the demo store manager one of its visited stores.
    store_manager = db.session.scalar(sa.select(User).where(User.email == "store@example.com"))
    visited_store = db.session.scalar(sa.select(Action.store_id).order_by(Action.id).limit(1))
    db.session.execute(store_managers.insert().values(user_id=store_manager.id, store_id=visited_store))
    db.session.commit()
    version = db.session.scalar(sa.select(ChecklistVersion).order_by(ChecklistVersion.id))
    draft = rubrics.start_draft(db.session, head, version.id, now=now)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        question = definition["sections"][0]["questions"][0]
        question["text"] = {"en": question["text"]["en"] + " (at the door)"} if isinstance(question["text"], dict) \
            else question["text"] + " (at the door)"
        return definition

    rubrics.edit_draft(db.session, head, draft.id, change, now=now)
    rubrics.publish_draft(db.session, head, draft.id, now=now)
    rescoring.rescore_history(db.session, head, draft.id, now=now)
    # A draft under way, so the editor's pages are crawled too.
    other = db.session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.checklist_id != version.checklist_id)
                              .order_by(ChecklistVersion.id))
    rubrics.start_draft(db.session, head, other.id, now=now)
    submitted = db.session.scalars(sa.select(Visit.id).where(Visit.status == "submitted").order_by(Visit.id)).all()
    review.decide(db.session, head, submitted[0], "approve", note="", now=now)
    review.decide(db.session, head, submitted[1], "return", note="Please add the receipt photo.", now=now)


def _known_data() -> list[str]:
    """Everything the demo's data holds in English only: names, places, checklist content, notes."""
    strings: list[str] = []
    for model, columns in ((Store, ("name", "city", "address", "code")), (Area, ("name", "code")),
                           (Region, ("name", "code")), (User, ("name", "email")), (VisitPlan, ("name",)),
                           (WebhookEndpoint, ("url", "description"))):
        for row in db.session.execute(sa.select(*(getattr(model, c) for c in columns))):
            strings.extend(str(v) for v in row if v)
    for (definition,) in db.session.execute(sa.select(ChecklistVersion.definition)):
        strings.extend(_english_only(definition))
    strings.extend(c for (c,) in db.session.execute(sa.select(Answer.comment)) if c)
    strings.extend(n for (n,) in db.session.execute(sa.select(Visit.review_note)) if n)
    strings.extend(seed.STAFF_NOTES + seed.COMMENTS)
    return strings


def _content() -> list[str]:
    """Every text of the checklists, in every language."""
    strings: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and " " in node:
            strings.append(node)

    for (definition,) in db.session.execute(sa.select(ChecklistVersion.definition)):
        walk(definition)
    return strings


def _english_only(node: Any) -> Iterator[str]:
    """Checklist text without a Japanese translation (shown in English in both languages), and grade labels."""
    if isinstance(node, dict):
        if "en" in node and not node.get("ja"):
            yield str(node["en"])
        for key, value in node.items():
            if key in ("text", "title", "label", "help", "description", "min_label", "max_label", "unit") \
                    and isinstance(value, str):
                yield value
            elif key != "en":
                yield from _english_only(value)
    elif isinstance(node, list):
        for item in node:
            yield from _english_only(item)


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    db.session.rollback()
    return {table.name: sorted(map(tuple, db.session.execute(table.select()).all()), key=repr)
            for table in db.metadata.sorted_tables}


def _signed_in(app: Flask, role: str, lang: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, ROLES[role], seed.DEMO_PASSWORD).status_code == 302
    token = csrf_token_from(client, "/")
    assert client.post("/language", data={"locale": lang, "next": "/", "csrf_token": token}).status_code == 302
    return client


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_reaches_works_and_speaks_its_language(demo_app: Flask, role: str, lang: str) -> None:
    client = _signed_in(demo_app, role, lang)
    before = _snapshot()
    result = crawl(client, lang=lang, known_data=_known_data(), content=_content())
    assert _snapshot() == before, "a GET changed the database"
    reached = {p.split("?")[0] for p in result.patterns()}
    assert MAIN_PAGES[role] <= reached, f"not reached: {sorted(MAIN_PAGES[role] - reached)}"
    assert not result.problems, "\n".join(result.problems)


# --- the checks themselves ---------------------------------------------------------------------------


def test_the_key_check_finds_keys_ids_json_and_placeholders_but_not_words() -> None:
    assert raw_keys("Channel in_store_visit") == ["in_store_visit"]
    assert raw_keys("critical: safety_hazard") == ["safety_hazard"]
    assert raw_keys('before: {"status": "draft"}') == ['{"status":']
    assert raw_keys("by user 21") == ["user 21"]
    assert raw_keys("excluded.na and kpi.nps") == ["excluded.na", "kpi.nps"]
    assert raw_keys("Version %(n)d") == ["%(n)d"]
    assert raw_keys("Signed in as head@example.com; download visits-area-3.csv. Scores 82.5% (Good).") == []


def test_the_language_check_finds_english_in_japanese_but_not_names_or_data() -> None:
    texts = [("店舗 Ginza のスコア", "ja"), ("Sign out", "ja"), ("CSV をダウンロード", "ja"), ("English", "en")]
    assert untranslated(texts, known_data=["Ginza"]) == ["Sign out"]


def test_url_patterns_replace_ids_and_keep_parameter_names() -> None:
    assert pattern_of("/manager/stores/12?days=90&checklist=3") == "/manager/stores/<n>?checklist&days"
    assert pattern_of("/head-office/versions/4/export.yaml") == "/head-office/versions/<n>/export.yaml"
