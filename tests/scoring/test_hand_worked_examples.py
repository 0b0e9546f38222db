"""Replays the hand-worked vectors: every rule and every question type against figures computed by hand."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from scoring import ScoreCard, format_percent, parse_checklist, score

from .vectors import VECTORS, Vector


def exact(value: Any) -> Fraction | None:
    return None if value is None else Fraction(value)


def figures_of(card: ScoreCard, vector: Vector) -> dict[str, Any]:
    """The card's figures in the shape of the vector's `expect`, for a readable diff on failure."""
    expect = vector.expect
    results = {result.key: result for result in card.questions()}
    got: dict[str, Any] = {}
    for name in ("percent", "base_percent", "earned", "possible"):
        if name in expect:
            got[name] = getattr(card, name)
    if "grade" in expect:
        got["grade"] = None if card.grade is None else str(card.grade.label)
    if "sections" in expect:
        got["sections"] = {s.key: s.percent for s in card.sections if s.key in expect["sections"]}
    if "zeroed" in expect:
        got["zeroed"] = [s.key for s in card.sections if s.is_zeroed]
    if "questions" in expect:
        got["questions"] = {
            key: results[key].excluded if results[key].excluded else (results[key].earned, results[key].possible)
            for key in expect["questions"]
        }
    if "fractions" in expect:
        got["fractions"] = {key: results[key].fraction for key in expect["fractions"]}
    if "answers" in expect:
        got["answers"] = {key: results[key].answer for key in expect["answers"]}
    if "critical_failures" in expect:
        got["critical_failures"] = [(f.question_key, f.effect, f.cap) for f in card.critical_failures]
    if "missing_required" in expect:
        got["missing_required"] = list(card.missing_required)
    if "is_complete" in expect:
        got["is_complete"] = card.is_complete
    if "display" in expect:
        got["display"] = format_percent(card.percent)
    return got


def expected_of(vector: Vector) -> dict[str, Any]:
    expect = dict(vector.expect)
    for name in ("percent", "base_percent", "earned", "possible"):
        if name in expect:
            expect[name] = exact(expect[name])
    if "sections" in expect:
        expect["sections"] = {key: exact(value) for key, value in expect["sections"].items()}
    if "questions" in expect:
        expect["questions"] = {
            key: value if isinstance(value, str) else (Fraction(value[0]), Fraction(value[1]))
            for key, value in expect["questions"].items()
        }
    if "fractions" in expect:
        expect["fractions"] = {key: exact(value) for key, value in expect["fractions"].items()}
    if "critical_failures" in expect:
        expect["critical_failures"] = [(key, effect, exact(cap)) for key, effect, cap in expect["critical_failures"]]
    return expect


@pytest.mark.parametrize("vector", VECTORS, ids=[vector.name for vector in VECTORS])
def test_hand_worked_example_scores_as_computed_by_hand(vector: Vector) -> None:
    card = score(parse_checklist(vector.checklist), vector.answers)
    assert figures_of(card, vector) == expected_of(vector)


def test_every_question_type_has_a_hand_worked_example() -> None:
    from scoring.schema import QUESTION_TYPES

    used = {question["type"] for vector in VECTORS for s in vector.checklist["sections"] for question in s["questions"]}
    assert used == set(QUESTION_TYPES)


def test_every_effect_and_every_exclusion_has_a_hand_worked_example() -> None:
    cards = [score(parse_checklist(vector.checklist), vector.answers) for vector in VECTORS]
    effects = {failure.effect for card in cards for failure in card.critical_failures}
    exclusions = {result.excluded for card in cards for result in card.questions()}
    assert effects == {"zero_section", "zero_visit", "cap"}
    assert exclusions == {None, "hidden", "na", "unscored", "zero_weight", "unanswered"}
