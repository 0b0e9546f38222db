"""New checklists keep their numbers to a bounded precision; stored ones with more still parse and score exactly."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from scoring import ChecklistError, parse_checklist, score
from scoring.engine import SHARED_DENOMINATOR_LIMIT

from .builders import q
from .oracle.engine import score as oracle_score
from .reference import reference_score
from .test_engine_against_oracle import outcome


def primes_below(top: int, count: int) -> list[int]:
    found: list[int] = []
    candidate = top - 1
    while len(found) < count:
        if all(candidate % d for d in range(2, int(candidate**0.5) + 1)):
            found.append(candidate)
        candidate -= 1
    return found


# 100 six-digit primes: their product passes the engine's shared-denominator limit, so it sums Fractions instead.
PRIMES = primes_below(1_000_000, 100)
assert math.prod(PRIMES) > SHARED_DENOMINATOR_LIMIT


def checklist(*questions: dict[str, Any], section_weight: Any = 1) -> dict[str, Any]:
    return {"key": "bounded", "title": "Bounded", "channel": "in_store", "grades": [{"min": 0, "label": "All"}],
            "sections": [{"key": "s", "title": "S", "weight": section_weight, "questions": list(questions)}]}


def problems(data: dict[str, Any]) -> list[tuple[str, str, dict[str, object]]]:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(data)
    return [(p.path, p.id, dict(p.params)) for p in caught.value.problems]


@pytest.mark.parametrize("weight", [0.1234, "2.5", "1/3", "7/100", 12])
def test_a_weight_of_up_to_4_decimal_places_or_a_small_fraction_is_accepted(weight: Any) -> None:
    assert parse_checklist(checklist(q("a", "yes_no", weight=weight))).question("a").weight == Fraction(str(weight))


@pytest.mark.parametrize(("field", "question", "path"), [
    ("weight", q("a", "yes_no", weight="0.12345"), "sections[0].questions[0].weight"),
    ("fraction", q("a", "choice", options=[{"key": "x", "text": "X", "fraction": "1/101"}]),
     "sections[0].questions[0].options[0].fraction"),
    ("a band limit", q("a", "duration", bands=[{"max": 12.00001, "fraction": 1}, {"fraction": 0}]),
     "sections[0].questions[0].bands[0].max"),
    ("a percentage", q("a", "yes_no", critical={"effect": "cap", "cap": "1/999983"}),
     "sections[0].questions[0].critical.cap"),
])
def test_a_number_more_precise_than_the_bound_is_a_problem_naming_its_field(field: str, question: dict[str, Any],
                                                                           path: str) -> None:
    found = problems(checklist(question))
    assert [(where, params["what"]) for where, _, params in found] == [(path, field)]
    assert "at most %(places)s decimal places" in found[0][1]


def test_a_section_weight_more_precise_than_the_bound_is_a_problem() -> None:
    found = problems(checklist(q("a", "yes_no"), section_weight="1/999983"))
    assert [where for where, _, _ in found] == ["sections[0].weight"]


def test_a_scale_of_more_than_1000_steps_is_a_problem() -> None:
    assert parse_checklist(checklist(q("a", "scale", min=0, max=1000))).question("a").max == 1000
    found = problems(checklist(q("a", "scale", min=0, max=1001)))
    assert [(where, params["got"]) for where, _, params in found] == [("sections[0].questions[0].max", "1001")]


def huge_denominators() -> dict[str, Any]:
    return checklist(*(q(f"q{i}", "yes_no", weight=f"1/{prime}") for i, prime in enumerate(PRIMES)),
                     q("scale", "scale", min=0, max=7919, weight="1/3"))


def test_a_stored_checklist_beyond_the_bound_still_parses_and_scores_exactly() -> None:
    data = huge_denominators()
    assert problems(data)  # new data is refused...
    stored = parse_checklist(data, stored=True)  # ...a stored version is read as it was
    for answers in ({f"q{i}": i % 3 != 0 for i in range(len(PRIMES))} | {"scale": 4000},
                    {"q0": "yes", "q1": "no"}, {}):
        card = score(stored, answers)
        assert outcome(score, stored, answers) == outcome(oracle_score, stored, answers)
        expected = reference_score(stored, answers)
        assert (card.percent, card.earned, card.possible) == (expected.percent, expected.earned, expected.possible)


def test_the_first_visit_answers_are_scored_the_same_after_many_others() -> None:
    stored = parse_checklist(huge_denominators(), stored=True)
    first = {"q0": "yes", "scale": 17}
    before = score(stored, first)
    for value in range(0, 7919, 3):
        score(stored, {"scale": value})
    assert score(stored, first) == before


def test_a_checklist_at_the_bound_with_a_large_shared_denominator_scores_as_the_former_engine() -> None:
    # Weights over every prime up to 100, options over them too, several sections: integer units over a shared
    # denominator of some 80 digits, and the overall summed from the section percents.
    small_primes = primes_below(101, 25)
    sections = [
        {"key": f"s{i}", "title": "S", "weight": f"{i + 1}/{small_primes[i]}", "questions": [
            q(f"q{i}_{j}", "choice", weight=f"1/{small_primes[(i + j) % 25]}", options=[
                {"key": "a", "text": "A", "fraction": f"1/{small_primes[(i * j + 3) % 25]}"},
                {"key": "b", "text": "B", "fraction": "0.9999"}, {"key": "c", "text": "C", "fraction": 1}])
            for j in range(5)]}
        for i in range(25)]
    bounded = parse_checklist({"key": "wide", "title": "Wide", "channel": "in_store",
                               "grades": [{"min": 50, "label": "Pass"}, {"min": 0, "label": "Fail"}],
                               "sections": sections})
    keys = [question.key for _, question in bounded.questions()]
    for answers in ({key: "abc"[n % 3] for n, key in enumerate(keys)}, {keys[0]: "a"}, {}):
        assert outcome(score, bounded, answers) == outcome(oracle_score, bounded, answers)
