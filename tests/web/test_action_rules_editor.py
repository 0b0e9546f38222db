"""Action rules in the rubric editor: set on a question and on its bands through the form, kept in the draft,
in the YAML export, in the version diff, and counted by the what-if."""

from __future__ import annotations

from typing import Any

from audit_app.extensions import db
from audit_app.services import rubrics
from tests.factories import NOW, World, csrf_token_from, make_published_checklist, make_submitted_visit


def _post(client, path: str, data: dict[str, Any]) -> Any:  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, path)})


GREETED = {"key": "greeted", "type": "yes_no", "text_en": "Were you greeted?", "weight": "2", "required": "y",
           "good": "yes", "action_mode": "rule", "action_priority": "high", "action_due_days": "5",
           "action_assignee": "area_manager", "action_title_en": "Greet every customer",
           "action_title_ja": "すべてのお客様に挨拶する", "action_guidance_en": "Brief the team.",
           "action_evidence": "y"}
QUEUE = {"key": "queue_wait", "type": "duration", "text_en": "How long was the queue?", "required": "y",
         "bands": "max 120: 1\nmax 300: 0.5\notherwise: 0",
         "action_rules": "band 3 | critical | 1 | store | Open another till | レジを増やす"}


def test_rules_set_in_the_editor_are_saved_diffed_exported_and_counted(world: World, login: Any) -> None:
    v1 = make_published_checklist()
    checklist_id = rubrics.get_version(db.session, v1.id).checklist_id
    make_submitted_visit(world.shopper, world.store, checklist_id, {"greeted": "no", "helpful": 3, "queue_wait": 500})
    make_submitted_visit(world.shopper, world.store, checklist_id, {"greeted": "yes", "helpful": 3, "queue_wait": 60})
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id
    client = login(world.head)
    assert _post(client, f"/head-office/versions/{draft}/sections/0/questions/0", GREETED).status_code == 302
    assert _post(client, f"/head-office/versions/{draft}/sections/1/questions/0", QUEUE).status_code == 302
    definition = rubrics.get_version(db.session, draft).definition
    greeted = definition["sections"][0]["questions"][0]["action"]
    assert greeted == {"create": True, "priority": "high", "due_in_days": 5, "assignee": "area_manager",
                       "title": {"en": "Greet every customer", "ja": "すべてのお客様に挨拶する"},
                       "guidance": "Brief the team.", "evidence": True}
    band = definition["sections"][1]["questions"][0]["bands"][2]["action"]
    assert (band["priority"], band["due_in_days"], band["title"]) == ("critical", 1,
                                                                      {"en": "Open another till", "ja": "レジを増やす"})
    # The form shows the rules back.
    form = client.get(f"/head-office/versions/{draft}/sections/1/questions/0").get_data(as_text=True)
    assert "band 3 | critical | 1 | store | Open another till | レジを増やす" in form
    exported = client.get(f"/head-office/versions/{draft}/export.yaml").get_data(as_text=True)
    assert "due_in_days: 5" in exported and "assignee: area_manager" in exported
    diff = client.get(f"/head-office/checklists/{checklist_id}/diff?old={v1.id}&new={draft}").get_data(as_text=True)
    assert "corrective action changed from “no action of its own” to “High priority, due in 5 days, for the area " \
           "manager: “Greet every customer”, with a photo as evidence”" in diff
    assert "corrective actions of options and bands changed" in diff
    what_if = client.get(f"/head-office/versions/{draft}/what-if?last=10").get_data(as_text=True)
    assert "would have created 2 corrective actions from these visits" in what_if
    assert "Critical: 1, High: 1" in what_if or "Critical: 1" in what_if


def test_a_rule_for_an_option_that_does_not_exist_is_shown_beside_the_field(world: World, login: Any) -> None:
    v1 = make_published_checklist()
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id
    client = login(world.head)
    response = _post(client, f"/head-office/versions/{draft}/sections/1/questions/0",
                     {**QUEUE, "action_rules": "band 9 | low | 3 | store | Nothing"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="action_rules-error">No option or band is called band 9.' in html
    bad = _post(client, f"/head-office/versions/{draft}/sections/0/questions/0",
                {**GREETED, "action_priority": "urgent"})
    assert bad.status_code == 422 and "unknown priority" in bad.get_data(as_text=True)
