"""The rubric editor in the browser's place: forms in, problems next to their fields, versions, preview, what-if."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.services import rubrics
from tests.factories import NOW, World, csrf_token_from, make_published_checklist, make_submitted_visit

QUESTION = {"key": "greeting_time", "type": "duration", "text_en": "How long until someone greeted you?",
            "text_ja": "声をかけられるまでの時間は？", "required": "y", "good": "yes",
            "bands": "max 30: 1\nmax 90: 0.5\notherwise: 0", "critical_effect": "", "kpi": "greeting_time"}


def _draft(world: World) -> tuple[int, int]:
    v1 = make_published_checklist()
    return v1.id, rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client, path)})


def _error_of(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]*)<', html)
    return html_lib.unescape(match.group(1)) if match else ""


def test_head_office_adds_a_timed_question_with_bands_to_a_draft(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    response = _post(client, f"/head-office/versions/{draft}/sections/1/questions/new", QUESTION)
    assert response.status_code == 302
    question = rubrics.get_version(db.session, draft).definition["sections"][1]["questions"][1]
    assert question["bands"] == [{"max": 30, "fraction": 1}, {"max": 90, "fraction": "0.5"}, {"fraction": 0}]
    assert question["text"] == {"en": "How long until someone greeted you?", "ja": "声をかけられるまでの時間は？"}
    page = client.get(f"/head-office/versions/{draft}").get_data(as_text=True)
    assert "greeting_time" in page
    assert "30 s or less: all the points; 90 s or less: 0.5 of the points; otherwise: no points" in page


def test_bands_mixing_max_and_min_are_saved_in_order_and_shown_in_words_in_both_languages(world: World,
                                                                                          login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    response = _post(client, f"/head-office/versions/{draft}/sections/1/questions/new",
                     {**QUESTION, "bands": "max 10: 1\nmin 300: 0\notherwise: 0.5"})
    assert response.status_code == 302
    question = rubrics.get_version(db.session, draft).definition["sections"][1]["questions"][1]
    assert question["bands"] == [{"max": 10, "fraction": 1}, {"min": 300, "fraction": 0}, {"fraction": "0.5"}]
    page = client.get(f"/head-office/versions/{draft}").get_data(as_text=True)
    assert "10 s or less: all the points; 300 s or more: no points; otherwise: 0.5 of the points" in page
    world.head.locale = "ja"
    db.session.commit()
    page = client.get(f"/head-office/versions/{draft}").get_data(as_text=True)
    assert "10秒以下：満点、300秒以上：0点、それ以外：配点の0.5" in page
    assert "区分（最初に当てはまるものを採用）" in page


def test_a_band_that_could_never_match_is_shown_next_to_the_bands_field(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    path = f"/head-office/versions/{draft}/sections/1/questions/new"
    html = _post(client, path, {**QUESTION, "bands": "max 120: 1\nmin 100: 0\notherwise: 0.5"}).get_data(as_text=True)
    assert "band 3 can never apply: the bands before it already match every value" in _error_of(html, "bands")


def test_bands_out_of_order_are_shown_next_to_the_bands_field_and_nothing_is_saved(world: World,
                                                                                   login: Any) -> None:
    _, draft = _draft(world)
    before = rubrics.get_version(db.session, draft).definition
    client = login(world.head)
    response = _post(client, f"/head-office/versions/{draft}/sections/1/questions/new",
                     {**QUESTION, "bands": "max 90: 1\nmax 30: 0.5\notherwise: 0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "each `max` larger than the one before" in _error_of(html, "bands")
    assert 'aria-invalid="true"' in html
    assert rubrics.get_version(db.session, draft).definition == before


def test_each_problem_goes_to_the_field_it_concerns(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    choice = {"key": "greeted", "type": "choice", "text_en": "Greeting", "required": "y",
              "options": "warm | Warm | 1\ncold | Cold | 2", "critical_effect": "cap",
              "show_if_question": "nowhere", "show_if_values": "yes"}
    html = _post(client, f"/head-office/versions/{draft}/sections/0/questions/1", choice).get_data(as_text=True)
    assert _error_of(html, "options").startswith("Option 2: fraction must be between 0 and 1")
    assert "needs `cap: P`" in _error_of(html, "critical_cap")
    assert "there is no question 'nowhere'" in _error_of(html, "show_if_question")
    assert "the key 'greeted' is already used" in _error_of(html, "key")
    unreadable = _post(client, f"/head-office/versions/{draft}/sections/1/questions/new",
                       {**QUESTION, "bands": "up to 30 gives 1"})
    assert "Line 1:" in _error_of(unreadable.get_data(as_text=True), "bands")


def test_sections_and_questions_reorder_with_buttons_and_drag_data(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    assert _post(client, f"/head-office/versions/{draft}/move", {"section": 0, "question": 0, "step": 1}) \
        .status_code == 302
    assert _post(client, f"/head-office/versions/{draft}/reorder", {"order": "1,0"}).status_code == 302
    sections = rubrics.get_version(db.session, draft).definition["sections"]
    assert [[q["key"] for q in s["questions"]] for s in sections] == [["queue_wait"], ["helpful", "greeted"]]


def test_settings_grades_and_a_new_section_are_edited_through_forms(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    bad = _post(client, f"/head-office/versions/{draft}/settings",
                {"title_en": "Store check", "channel": "in_store", "method": "weighted_sections",
                 "grades": "80 | Good\n20 | Poor"})
    assert bad.status_code == 422
    assert "Grade 2: the last grade band must have `min: 0`" in _error_of(bad.get_data(as_text=True), "grades")
    response = _post(client, f"/head-office/versions/{draft}/sections/new",
                     {"key": "returns", "title_en": "Returns", "weight": "2"})
    assert response.status_code == 302 and "new_section_key=returns" in response.headers["Location"]
    response = _post(client, response.headers["Location"],
                     {"key": "refund_offered", "type": "yes_no", "text_en": "Was a refund offered?",
                      "required": "y", "good": "yes"})
    assert response.status_code == 302
    section = rubrics.get_version(db.session, draft).definition["sections"][2]
    assert (section["key"], section["weight"], section["questions"][0]["key"]) == ("returns", 2, "refund_offered")


def test_publishing_makes_the_version_read_only_and_the_diff_lists_the_change(world: World, login: Any) -> None:
    v1, draft = _draft(world)
    client = login(world.head)
    _post(client, f"/head-office/versions/{draft}/sections/1/questions/new", QUESTION)
    assert _post(client, f"/head-office/versions/{draft}/publish", {}).status_code == 302
    page = client.get(f"/head-office/versions/{draft}").get_data(as_text=True)
    assert "never changes" in page and "Add a question" not in page
    assert client.get(f"/head-office/versions/{draft}/sections/0").status_code == 409
    checklist_id = rubrics.get_version(db.session, v1).checklist_id
    diff = client.get(f"/head-office/checklists/{checklist_id}/diff?old={v1}&new={draft}").get_data(as_text=True)
    assert "Question “How long until someone greeted you?” (Duration (stopwatch)) added to section" in diff
    assert "greeting_time" not in diff


def test_after_publishing_the_previous_version_shows_retired_on_the_checklist_and_version_pages(
        world: World, login: Any) -> None:
    v1, draft = _draft(world)
    client = login(world.head)
    assert _post(client, f"/head-office/versions/{draft}/publish", {}).status_code == 302
    checklist_id = rubrics.get_version(db.session, v1).checklist_id
    page = client.get(f"/head-office/checklists/{checklist_id}").get_data(as_text=True)
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'>Version (\d+)</a></th>\s*<td><span class="badge badge-\w+">(\w+)</span>', page)}
    assert rows == {"1": "retired", "2": "published"}
    old = client.get(f"/head-office/versions/{v1}").get_data(as_text=True)
    assert 'class="badge badge-retired">retired<' in old and "badge-published" not in old
    assert "Retire</button>" not in old


def test_the_preview_scores_answers_as_the_shopper_form_posts_them(world: World, login: Any) -> None:
    _, draft = _draft(world)
    client = login(world.head)
    page = client.get(f"/head-office/versions/{draft}/preview").get_data(as_text=True)
    assert 'name="q-greeted"' in page and 'name="q-queue_wait"' in page
    response = _post(client, f"/head-office/versions/{draft}/preview",
                     {"q-greeted": "yes", "q-helpful": "5", "q-queue_wait": "2:30"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "75.0%" in html  # service 100, checkout 150 s -> 0.5


def test_what_if_page_shows_each_store_old_new_and_change(world: World, login: Any) -> None:
    v1, draft = _draft(world)
    checklist_id = rubrics.get_version(db.session, v1).checklist_id
    make_submitted_visit(world.shopper, world.store, checklist_id, {"greeted": "yes", "helpful": 1, "queue_wait": 500})
    client = login(world.head)
    _post(client, f"/head-office/versions/{draft}/sections/0/questions/0",
          {"key": "greeted", "type": "yes_no", "text_en": "Were you greeted?", "weight": "20", "required": "y",
           "good": "yes"})
    html = client.get(f"/head-office/versions/{draft}/what-if?last=5").get_data(as_text=True)
    row = html.split("<th scope=\"row\">Ginza</th>")[1].split("</tr>")[0]
    assert "33.3%" in row and "47.6%" in row and "+14.3" in row


def test_export_and_import_through_the_pages_round_trip(world: World, login: Any) -> None:
    v1, draft = _draft(world)
    client = login(world.head)
    _post(client, f"/head-office/versions/{draft}/discard", {})
    exported = client.get(f"/head-office/versions/{v1}/export.yaml")
    assert exported.headers["Content-Disposition"] == 'attachment; filename="store_check-v1.yaml"'
    response = _post(client, "/head-office/checklists", {"import-yaml_text": exported.get_data(as_text=True)})
    assert response.status_code == 302
    imported = int(response.headers["Location"].rsplit("/", 1)[1])
    assert rubrics.get_version(db.session, imported).definition == rubrics.get_version(db.session, v1).definition


@pytest.mark.parametrize("yaml_text", ["- in_store\n- online\n", "in_store\n", "~\n"],
                         ids=["a list", "a string", "nothing"])
def test_a_yaml_import_that_is_not_a_mapping_is_refused_with_one_problem(world: World, login: Any,
                                                                          yaml_text: str) -> None:
    client = login(world.head)
    response = _post(client, "/head-office/checklists", {"import-yaml_text": yaml_text})
    html = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert html.count("the top level must be a mapping (`key: value` lines)") == 1
    assert "The YAML was not imported; fix the problems listed above." in html
    assert "Imported as draft version" not in html


def test_a_new_checklist_starts_as_a_valid_draft(world: World, login: Any) -> None:
    client = login(world.head)
    bad = _post(client, "/head-office/checklists", {"new-key": "Phone Check", "new-title": "Phone",
                                                    "new-channel": "phone"})
    assert bad.status_code == 422 and "not a valid key" in _error_of(bad.get_data(as_text=True), "new-key")
    response = _post(client, "/head-office/checklists", {"new-key": "phone_check", "new-title": "Phone",
                                                         "new-channel": "phone"})
    assert response.status_code == 302
    assert "Version 1" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_editing_a_question_keeps_translations_the_form_does_not_show(world: World, login: Any) -> None:
    from tests.factories import small_checklist_data

    data = small_checklist_data()
    data["sections"][0]["questions"][1].update({"min_label": "Not at all", "max_label": {"en": "Very",
                                                                                         "ja": "とても"}})
    v1 = make_published_checklist(data)
    draft = rubrics.start_draft(db.session, world.head, v1.id, now=NOW).id
    client = login(world.head)
    form = {"key": "helpful", "type": "scale", "text_en": "How helpful were they?", "required": "y",
            "min": "1", "max": "5", "min_label": "Not at all", "max_label": "Very"}
    assert _post(client, f"/head-office/versions/{draft}/sections/0/questions/1", form).status_code == 302
    question = rubrics.get_version(db.session, draft).definition["sections"][0]["questions"][1]
    assert question["max_label"] == {"en": "Very", "ja": "とても"}
    assert question["text"] == "How helpful were they?"


def test_a_question_marked_for_head_office_only_is_saved_shown_and_exported(world: World, login: Any) -> None:
    v1, draft = _draft(world)
    client = login(world.head)
    note = {"key": "staff_notes", "type": "text", "text_en": "Describe the member of staff", "required": "",
            "head_office_only": "y", "critical_effect": "", "kpi": ""}
    assert _post(client, f"/head-office/versions/{draft}/sections/0/questions/new", note).status_code == 302
    saved = rubrics.get_version(db.session, draft).definition["sections"][0]["questions"][-1]
    assert saved["key"] == "staff_notes" and saved["audience"] == "head_office"
    assert "head office only" in client.get(f"/head-office/versions/{draft}").get_data(as_text=True)
    form = client.get(f"/head-office/versions/{draft}/sections/0/questions/2").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="head_office_only"|<input[^>]*name="head_office_only"[^>]*checked',
                     form)
    exported = client.get(f"/head-office/versions/{draft}/export.yaml").get_data(as_text=True)
    assert "audience: head_office" in exported
    _post(client, f"/head-office/versions/{draft}/publish", {})
    response = _post(client, "/head-office/checklists", {"import-yaml_text": exported})
    imported = int(response.headers["Location"].rsplit("/", 1)[1])
    back = rubrics.get_version(db.session, imported).definition["sections"][0]["questions"][-1]
    assert back["audience"] == "head_office"


def test_a_scored_question_cannot_be_for_head_office_only(world: World, login: Any) -> None:
    _, draft = _draft(world)
    before = rubrics.get_version(db.session, draft).definition
    client = login(world.head)
    response = _post(client, f"/head-office/versions/{draft}/sections/1/questions/new",
                     {**QUESTION, "head_office_only": "y"})
    assert response.status_code == 422
    assert "must carry no points" in _error_of(response.get_data(as_text=True), "head_office_only")
    assert rubrics.get_version(db.session, draft).definition == before
