"""The score card is immutable and can be stored as JSON and read back unchanged."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest

from scoring import NA, card_from_data, card_to_data, checklist_to_data, parse_checklist, score

from .builders import QUEUE_BANDS, checklist, opt, q, section

CHECKLIST = parse_checklist(checklist(
    section(
        "store",
        q("greeted", "yes_no", critical={"effect": "cap", "cap": "62.5"}),
        q("toilets", "yes_no", allow_na=True),
        q("offered", "multi", options=[opt("bag", "1/3"), opt("card", 0.5)]),
        q("queue_wait", "duration", bands=QUEUE_BANDS),
        q("comment", "text", required=False),
        title={"en": "Store", "ja": "店舗"},
        weight="1/3",
    ),
    section("empty", q("bonus", "yes_no", allow_na=True)),
))
ANSWERS = {"greeted": "no", "toilets": NA, "offered": ["card", "bag"], "queue_wait": 200.5, "comment": "ok",
           "bonus": NA}


def test_a_card_written_as_data_is_json_and_reads_back_equal() -> None:
    card = score(CHECKLIST, ANSWERS)
    data = card_to_data(card)
    assert json.loads(json.dumps(data)) == data
    assert card_from_data(json.loads(json.dumps(data))) == card


def test_card_data_writes_exact_fractions_and_marks_na() -> None:
    data = card_to_data(score(CHECKLIST, ANSWERS))
    store = data["sections"][0]  # type: ignore[index]
    questions = {result["key"]: result for result in store["questions"]}
    assert questions["toilets"]["answer"] == {"na": True}
    assert questions["offered"]["answer"] == ["bag", "card"]
    assert questions["offered"]["fraction"] == "5/6"
    assert questions["queue_wait"]["answer"] == "401/2"
    # store: (0 + 5/6 + 1/2) / 3 = 4/9 -> 400/9 %; capped at 62.5 does not bite.
    assert store["percent"] == "400/9"
    assert data["percent"] == "400/9"
    assert data["critical_failures"] == [
        {"question_key": "greeted", "section_key": "store", "effect": "cap", "cap": "125/2"},
    ]
    assert data["sections"][1]["percent"] is None  # type: ignore[index]


def test_the_card_cannot_be_changed() -> None:
    card = score(CHECKLIST, ANSWERS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.percent = Fraction(100)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.sections[0].questions[0].earned = Fraction(1)  # type: ignore[misc]
    assert isinstance(card.sections, tuple) and isinstance(card.missing_required, tuple)


def test_the_card_finds_a_question_result_by_key() -> None:
    card = score(CHECKLIST, ANSWERS)
    assert card.question("offered").fraction == Fraction(5, 6)
    assert [result.key for result in card.questions()][:2] == ["greeted", "toilets"]
    with pytest.raises(KeyError):
        card.question("missing")


def test_scoring_the_same_visit_twice_gives_equal_cards() -> None:
    assert score(CHECKLIST, ANSWERS) == score(parse_checklist(checklist_to_data(CHECKLIST)), ANSWERS)
