"""Pages show words, never the keys the data stores: channels, statuses, question types, scoring methods,
critical effects, choice answers, exclusions, audit-log actions and people, question keys in diffs and on
re-scored visits."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

import scoring
from audit_app.extensions import db
from audit_app.services import checklists, review, rubrics
from audit_app.services.scores import rescoring
from tests.factories import NOW, World, csrf_token_from, make_published_checklist, make_submitted_visit

# A checklist whose keys all read differently from their words.
KEYED: dict[str, Any] = {
    "key": "floor_walk", "title": {"en": "Floor walk", "ja": "売場巡回"}, "channel": "in_store",
    "grades": [{"min": 80, "label": {"en": "Good", "ja": "良好"}}, {"min": 0, "label": {"en": "Poor", "ja": "不十分"}}],
    "sections": [
        {"key": "shop_floor", "title": {"en": "Shop floor", "ja": "売場"}, "questions": [
            {"key": "safety_hazard", "type": "yes_no", "good": "no", "weight": 2,
             "text": {"en": "Safety hazard seen?", "ja": "危険箇所がありましたか？"},
             "critical": {"effect": "zero_section"}},
            {"key": "hazard_kind", "type": "choice", "text": {"en": "What kind of hazard?", "ja": "危険の種類は？"},
             "show_if": {"question": "safety_hazard", "equals": "yes"},
             "options": [{"key": "wet_floor", "text": {"en": "Wet floor", "ja": "濡れた床"}, "fraction": 0},
                         {"key": "blocked_exit", "text": {"en": "Blocked exit", "ja": "ふさがれた非常口"}, "fraction": 0}]},
            {"key": "tidy_shelves", "type": "yes_no", "weight": 0, "text": {"en": "Shelves tidy?", "ja": "棚は整頓されていましたか？"}},
        ]},
        {"key": "till_point", "title": {"en": "Till", "ja": "レジ"}, "questions": [
            {"key": "receipt_given", "type": "yes_no", "text": {"en": "Receipt given?", "ja": "レシートは渡されましたか？"}},
        ]},
    ],
}
KEYS = ("floor_walk", "in_store", "safety_hazard", "hazard_kind", "wet_floor", "tidy_shelves", "receipt_given",
        "yes_no", "weighted_sections", "zero_section", "zero_weight", "shop_floor", "till_point")


def _words(response: Any) -> str:
    """The page's visible text: no tags, no <code> (where head office's own keys are shown on purpose)."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style|code)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _keys_in(text: str) -> list[str]:
    return [key for key in KEYS if re.search(rf"\b{key}\b", text)]


def _visit(world: World) -> Any:
    version = make_published_checklist(copy.deepcopy(KEYED))
    return version, make_submitted_visit(world.shopper, world.store, version.checklist_id,
                                         {"safety_hazard": "yes", "hazard_kind": "wet_floor", "tidy_shelves": "yes",
                                          "receipt_given": "yes"})


def test_checklist_pages_show_channel_status_type_method_and_effect_in_words(world: World, login: Any) -> None:
    version, _ = _visit(world)
    client = login(world.head)
    listing = _words(client.get("/head-office/checklists"))
    assert "In store" in listing and "published" in listing and _keys_in(listing) == []
    page = _words(client.get(f"/head-office/versions/{version.id}"))
    assert "Yes / no" in page and "One choice" in page
    assert "Weighted sections (mean of section percents by weight)" in page
    assert "Critical: sets the section to 0" in page
    assert "shown if “Safety hazard seen?” has a matching answer" in page
    assert "This version is published and never changes." in page
    assert _keys_in(page) == []


def test_the_editor_speaks_japanese_to_a_japanese_reader(world: World, login: Any) -> None:
    version, _ = _visit(world)
    client = login(world.head)
    client.post("/language", data={"locale": "ja", "next": "/", "csrf_token": csrf_token_from(client, "/")})
    page = _words(client.get(f"/head-office/versions/{version.id}"))
    assert "売場巡回" in page and "危険箇所がありましたか？" in page and "はい／いいえ" in page
    assert "重要項目：セクションを0点にする" in page
    assert "Safety hazard seen?" not in page and _keys_in(page) == []


def test_the_review_page_words_answers_exclusions_and_critical_failures(world: World, login: Any) -> None:
    _, visit = _visit(world)
    page = _words(login(world.head).get(f"/head-office/visits/{visit.id}"))
    assert "Wet floor" in page  # the chosen option's text, not its key
    assert "Carries no points" in page  # the weight-0 question's exclusion
    assert "Safety hazard seen? — the section scores 0" in " ".join(page.split())
    assert _keys_in(page) == []


def test_the_review_service_words_answers_in_the_readers_language(world: World) -> None:
    _, visit = _visit(world)
    detail = review.get_visit(db.session, visit.id, lang="ja", labels={"yes": "はい", "no": "いいえ"})
    lines = {line.key: line for line in detail.lines}
    assert (lines["hazard_kind"].question, lines["hazard_kind"].answer) == ("危険の種類は？", "濡れた床")
    assert lines["receipt_given"].answer == "はい"
    assert (detail.critical_failures[0].question, detail.critical_failures[0].section) == ("危険箇所がありましたか？", "売場")


def test_the_audit_log_names_people_and_things_and_lists_changes_in_words(world: World, login: Any) -> None:
    _, visit = _visit(world)
    review.decide(db.session, world.head, visit.id, "return", note="Photograph the spill", now=NOW)
    page = _words(login(world.head).get("/head-office/audit-log"))
    assert "Returned a visit to the shopper" in page and "Photograph the spill" in page
    assert f"Ginza (S1) #{visit.id}" in page
    assert "Status: submitted → returned" in page
    assert world.head.name in page and "Added a person" in page and "Role: Area manager" in page
    assert "Published a version" in page and "Floor walk · Version 1" in page
    assert "Times are in UTC." in page
    assert not re.search(r"\buser \d+\b|\bvisit \d+\b|checklist_version", page)
    assert '{"' not in page and "visit.return" not in page and "area_manager" not in page


def test_a_version_diff_names_questions_by_their_text(world: World, login: Any) -> None:
    version, _ = _visit(world)
    head = world.head
    draft = rubrics.start_draft(db.session, head, version.id, now=NOW)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        definition["sections"][0]["questions"][0]["critical"] = {"effect": "zero_visit"}
        definition["sections"][1]["questions"].append(
            {"key": "bag_offered", "type": "yes_no", "text": {"en": "Bag offered?", "ja": "袋を勧められましたか？"}})
        return definition

    rubrics.edit_draft(db.session, head, draft.id, change, now=NOW)
    client = login(head)
    page = _words(client.get(f"/head-office/checklists/{version.checklist_id}/diff?old={version.id}&new={draft.id}"))
    assert ("Question “Safety hazard seen?”: critical changed from “Critical: sets the section to 0” to "
            "“Critical: sets the visit to 0”.") in page
    assert "Question “Bag offered?” (Yes / no) added to section “Till”." in page
    assert _keys_in(page) == [] and "bag_offered" not in page


def test_a_re_scored_visit_names_the_new_versions_questions_by_their_text(world: World, login: Any) -> None:
    version, visit = _visit(world)
    newer = copy.deepcopy(KEYED)
    newer["sections"][1]["questions"].append({"key": "bag_offered", "type": "yes_no", "required": False,
                                              "text": {"en": "Bag offered?", "ja": "袋を勧められましたか？"}})
    second = checklists.publish_checklist(db.session, scoring.parse_checklist(newer), now=NOW)
    rescoring.rescore_history(db.session, world.head, second.id, now=NOW)
    manager_page = _words(login(world.head).get(f"/manager/visits/{visit.id}"))
    assert "Bag offered?" in manager_page and "bag_offered" not in manager_page
    review_page = _words(login(world.head).get(f"/head-office/visits/{visit.id}"))
    assert "Bag offered?" in review_page and "bag_offered" not in review_page


def test_checklist_titles_and_grades_are_in_the_readers_language(world: World, login: Any) -> None:
    version, visit = _visit(world)
    client = login(world.head)
    client.post("/language", data={"locale": "ja", "next": "/", "csrf_token": csrf_token_from(client, "/")})
    for path in ("/head-office/", "/head-office/checklists", f"/head-office/checklists/{version.checklist_id}",
                 "/head-office/review", f"/head-office/visits/{visit.id}", "/head-office/audit-log",
                 "/head-office/assignments", f"/manager/stores/{world.store.id}?days=365",
                 f"/manager/visits/{visit.id}", f"/manager/areas/{world.area.id}?days=365"):
        page = _words(client.get(path))
        assert "売場巡回" in page and "Floor walk" not in page, path
    queue = _words(client.get("/head-office/review"))
    assert "不十分" in queue and "Poor" not in queue


def test_in_japanese_the_email_channel_is_mail_not_an_email_address(app: Any) -> None:
    from flask_babel import force_locale

    from audit_app.template_helpers import label

    with app.test_request_context("/"), force_locale("ja"):
        assert label("email", "channel") == "メール"
        assert label("visit", "kind") == "訪問"


def test_the_audit_log_names_plans_actions_and_endpoints_and_words_webhook_events(world: World, login: Any) -> None:
    from datetime import timedelta

    from audit_app.services import actions, webhooks
    from tests.factories import make_plan

    version = make_published_checklist()
    make_plan(world.head, version.checklist_id, "Ginza monthly")
    actions.create_action(db.session, world.manager, store_id=world.store.id, title="Mend the door sign",
                          priority="high", due_on=NOW.date() + timedelta(days=3), assignee_id=None, now=NOW)
    webhooks.create_endpoint(db.session, world.head, url="http://127.0.0.1:9/hook",
                             event_types=["visit.submitted", "action.created"], description="BI",
                             settings=webhooks.DeliverySettings(frozenset({"127.0.0.1"}), 2.0), now=NOW)
    db.session.commit()
    for lang, words in (("en", ("A shopper submits a visit", "A corrective action is created")),
                        ("ja", ("調査員が訪問を提出したとき",))):
        world.head.locale = lang
        db.session.commit()
        page = html.unescape(login(world.head).get("/head-office/audit-log").get_data(as_text=True))
        assert "Ginza monthly" in page and "Mend the door sign" in page and "http://127.0.0.1:9/hook" in page
        assert "visit.submitted" not in page and "action.created" not in page
        for word in words:
            assert word in page


def test_an_xlsform_import_reads_in_the_audit_log_as_one(world: World, login: Any) -> None:
    from audit_app.models import AuditLog

    # As the import wrote it before its source had its own word, and as it writes it now.
    for after in ({"key": "door_check", "number": 1, "from": "xlsform", "file": "door.xlsx"},
                  {"key": "door_check", "number": 2, "source": "xlsform", "file": "door.xlsx"}):
        db.session.add(AuditLog(at=NOW, actor_id=world.head.id, action="checklist.import",
                                entity_type="checklist_version", entity_id="999", after=after, detail=""))
    db.session.commit()
    for lang, words in (("en", ("<li>Imported from: XLSForm</li>", "<li>File: door.xlsx</li>")),
                        ("ja", ("XLSForm</li>", "door.xlsx</li>"))):
        world.head.locale = lang
        db.session.commit()
        page = login(world.head).get("/head-office/audit-log").get_data(as_text=True)
        assert page.count("Imported a draft" if lang == "en" else "XLSForm</li>") == 2
        assert "First day" not in page and "初日" not in page and "YAML" not in page and "<li>file:" not in page
        for word in words:
            assert page.count(word) == 2, word


def test_the_audit_log_pages_through_every_entry_and_offers_everyone_who_acted(world: World, login: Any) -> None:
    from datetime import datetime, timedelta, timezone

    from audit_app.models import AuditLog

    newest = datetime.now(timezone.utc) + timedelta(days=1)  # after whatever the test world logged
    for n in range(230):
        db.session.add(AuditLog(at=newest - timedelta(minutes=n), actor_id=world.manager.id if n % 2 else world.head.id,
                                action="store.update", entity_type="store", entity_id=str(world.store.id),
                                before={"name": f"Old {n:03d}"}, after={"name": f"New {n:03d}"}, detail=""))
    db.session.commit()
    client = login(world.head)
    first = client.get("/head-office/audit-log").get_data(as_text=True)
    assert "New 000" in first and "New 099" in first and "New 100" not in first
    assert f'<option value="{world.manager.id}">{world.manager.name}</option>' in first
    last = client.get("/head-office/audit-log?page=3").get_data(as_text=True)
    assert "New 229" in last and "New 199" not in last and 'aria-current="page">3<' in last
    # The filters hold across pages and narrow the count.
    mine = client.get(f"/head-office/audit-log?actor={world.manager.id}&page=2").get_data(as_text=True)
    assert "New 201" in mine and "New 200" not in mine and 'rel="next"' not in mine
    assert client.get("/head-office/audit-log?kind=action").status_code == 200
