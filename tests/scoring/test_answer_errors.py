"""An answer a question cannot take raises AnswerError naming the question, never a silent zero."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest

from scoring import NA, AnswerError, parse_checklist, score

from .builders import QUEUE_BANDS, checklist, opt, q, section

CHECKLIST = parse_checklist(checklist(section(
    "s",
    q("greeted", "yes_no"),
    q("friendly", "scale", min=1, max=5),
    q("knowledge", "choice", options=[opt("none"), opt("some", 0.5)]),
    q("offered", "multi", options=[opt("bag", 0.5), opt("card", 0.5)]),
    q("items", "number", bands=[{"max": 0, "fraction": 1}, {"fraction": 0}]),
    q("queue_wait", "duration", bands=QUEUE_BANDS),
    q("recommend", "nps"),
    q("comment", "text"),
    q("receipt", "photo"),
    q("visit_date", "date"),
    q("arrival", "time"),
    q("intro", "note"),
)))

CASES: list[tuple[str, Any, str]] = [
    ("greeted", "maybe", "expected yes or no, got 'maybe'"),
    ("greeted", 1, "expected yes or no, got 1"),
    ("greeted", NA, "this question cannot be answered N/A"),
    ("friendly", 6, "expected a whole number from 1 to 5, got 6"),
    ("friendly", 3.5, "expected a whole number from 1 to 5, got 3.5"),
    ("friendly", True, "expected a whole number from 1 to 5, got true"),
    ("friendly", "four", "expected a whole number from 1 to 5, got 'four'"),
    ("knowledge", "all", "expected one of the options (none, some), got 'all'"),
    ("knowledge", ["some"], "expected one of the options (none, some), got a list"),
    ("offered", "bag", "expected a list of options (bag, card), got 'bag'"),
    ("offered", ["bag", "hat"], "'hat' is not one of the options (bag, card)"),
    ("offered", ["bag", "bag"], "option 'bag' is chosen twice"),
    ("items", "a dozen", "expected a number (like 3, 0.25 or \"1/3\"), got 'a dozen'"),
    ("items", float("nan"), "expected a number (like 3, 0.25 or \"1/3\"), got nan"),
    ("items", True, "expected a number, got true"),
    ("items", "1/0", "expected a number (like 3, 0.25 or \"1/3\"), got '1/0'"),
    ("queue_wait", -1, "a duration is a number of seconds and cannot be negative, got -1"),
    ("recommend", 11, "expected a whole number from 0 to 10, got 11"),
    ("comment", 5, "expected text, got 5"),
    ("receipt", "", "expected a reference to an uploaded photo, got ''"),
    ("visit_date", "2026-02-30", "expected a date written YYYY-MM-DD, got '2026-02-30'"),
    ("visit_date", "1/3/2026", "expected a date written YYYY-MM-DD, got '1/3/2026'"),
    ("arrival", "24:00", "expected a time written HH:MM, got '24:00'"),
    ("arrival", "9:30", "expected a time written HH:MM, got '9:30'"),
    ("intro", "read it", "this is a note for the shopper; it takes no answer"),
    ("intro", NA, "this question cannot be answered N/A"),
]


@pytest.mark.parametrize(("key", "value", "message"), CASES, ids=[f"{k}={v!r}" for k, v, _ in CASES])
def test_an_invalid_answer_raises_answer_error_naming_the_question(key: str, value: Any, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        score(CHECKLIST, {key: value})
    assert (caught.value.question_key, caught.value.message) == (key, message)
    assert str(caught.value) == f"{key}: {message}"


def test_an_answer_for_a_question_the_checklist_does_not_have_is_an_error() -> None:
    with pytest.raises(AnswerError) as caught:
        score(CHECKLIST, {"greeted": "yes", "greting": "yes"})
    assert caught.value.question_key == "greting"
    assert caught.value.message == "there is no question 'greting' in checklist 'example'"


def test_valid_answers_of_every_type_are_accepted_and_normalised() -> None:
    card = score(CHECKLIST, {
        "greeted": False, "friendly": "5", "knowledge": "some", "offered": {"card", "bag"}, "items": " 2 ",
        "queue_wait": "1e2", "recommend": 10, "comment": "", "receipt": "r/1.jpg", "visit_date": "2024-02-29",
        "arrival": "23:59", "intro": None,
    })
    answers = {result.key: result.answer for result in card.questions()}
    assert answers == {
        "greeted": "no", "friendly": 5, "knowledge": "some", "offered": ("bag", "card"), "items": 2,
        "queue_wait": 100, "recommend": 10, "comment": "", "receipt": "r/1.jpg", "visit_date": "2024-02-29",
        "arrival": "23:59", "intro": None,
    }


def test_answer_error_survives_pickling_for_task_queues() -> None:
    error = AnswerError("greeted", "expected yes or no, got 'maybe'")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.question_key, copy.message, str(copy)) == (error.question_key, error.message, str(error))


def test_na_is_a_single_value_that_survives_pickling() -> None:
    assert pickle.loads(pickle.dumps(NA)) is NA
    assert repr(NA) == "NA"


@pytest.mark.parametrize("value", ["1e999999999", Decimal("1e-999999999"), "9" * 5000])
def test_an_absurdly_large_number_is_refused_quickly_instead_of_hanging_the_worker(value: object) -> None:
    with pytest.raises(AnswerError) as caught:
        score(CHECKLIST, {"items": value})
    assert caught.value.question_key == "items"
