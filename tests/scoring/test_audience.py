"""`audience: head_office` marks a question whose answer stores never see; it validates and round-trips."""

from __future__ import annotations

from typing import Any

import pytest

import scoring
from tests.factories import scorecard_checklist_data


def _with(key: str, **fields: Any) -> dict[str, Any]:
    data = scorecard_checklist_data()
    for section in data["sections"]:
        for question in section["questions"]:
            if question["key"] == key:
                question.update(fields)
    return data


def test_a_head_office_question_validates_and_comes_back_from_plain_data() -> None:
    checklist = scoring.parse_checklist(_with("remarks", audience="head_office"))
    remarks = checklist.question("remarks")
    assert remarks.audience == "head_office" and not remarks.is_for_stores
    assert checklist.question("csat").audience == "all" and checklist.question("csat").is_for_stores
    data = scoring.checklist_to_data(checklist)
    assert scoring.parse_checklist(data) == checklist
    written = [q for s in data["sections"] for q in s["questions"]]
    assert [q["key"] for q in written if "audience" in q] == ["remarks"]


@pytest.mark.parametrize(("key", "fields", "message"), [
    ("remarks", {"audience": "stores"}, "unknown audience 'stores' (expected one of: all, head_office)"),
    ("helpful", {"audience": "head_office"}, "must carry no points (weight 0)"),
    ("greeted", {"audience": "head_office"}, "cannot be critical"),
    ("remarks", {"audience": "head_office", "weight": 1}, "must carry no points (weight 0)"),
])
def test_a_head_office_question_that_would_change_the_stores_score_is_refused(
        key: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(scoring.ChecklistError) as raised:
        scoring.parse_checklist(_with(key, **fields))
    assert any(message in problem.message and problem.path.endswith(".audience") for problem in raised.value.problems)


def test_the_shipped_checklists_keep_staff_descriptions_and_notes_for_head_office() -> None:
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[2] / "checklists"
    marked = {}
    for path in sorted(folder.glob("*.yaml")):
        checklist = scoring.parse_checklist(yaml.safe_load(path.read_text(encoding="utf-8")))
        marked[checklist.key] = sorted(q.key for _, q in checklist.questions() if not q.is_for_stores)
    assert marked == {"in_store_visit": ["staff_description", "visit_notes"], "online_experience": ["shop_notes"],
                      "phone_enquiry": ["agent_name", "call_notes"], "returns_after_sales": ["return_notes"]}
