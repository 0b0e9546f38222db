"""Properties that hold for every checklist and every set of answers, checked on generated ones."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import NA, ScoreCard, card_from_data, card_to_data, checklist_to_data, parse_checklist, score
from scoring.values import number_to_data

from .reference import fraction, normalise, reference_score
from .strategies import answer_value, answers_for, checklist_data

# Modest runs: the whole scoring suite should stay well under 20 seconds.
EXAMPLES = settings(max_examples=80, deadline=None)


def figures(card: ScoreCard) -> dict[str, Any]:
    """Everything on a card that does not depend on the order things are written in."""
    return {
        "percent": card.percent,
        "base_percent": card.base_percent,
        "earned": card.earned,
        "possible": card.possible,
        "grade": card.grade,
        "sections": {s.key: (s.percent, s.earned, s.possible, s.is_zeroed) for s in card.sections},
        "questions": {r.key: r for r in card.questions()},
        "failures": sorted(f.question_key for f in card.critical_failures),
        "missing": sorted(card.missing_required),
    }


@EXAMPLES
@given(st.data())
def test_a_card_agrees_with_a_straightforward_reference_scorer(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    answers = data.draw(answers_for(checklist))
    card = score(checklist, answers)
    expected = reference_score(checklist, answers)
    assert (card.percent, card.base_percent, card.earned, card.possible) == (
        expected.percent, expected.base_percent, expected.earned, expected.possible)
    assert (None if card.grade is None else str(card.grade.label)) == expected.grade
    assert {s.key: s.percent for s in card.sections} == expected.sections
    assert [f.question_key for f in card.critical_failures] == expected.failures
    assert list(card.missing_required) == expected.missing
    assert card.is_complete == (not expected.missing)


@EXAMPLES
@given(st.data())
def test_every_percent_on_a_card_is_between_0_and_100(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    card = score(checklist, data.draw(answers_for(checklist)))
    percents = [card.percent, card.base_percent, *(s.percent for s in card.sections)]
    assert all(0 <= p <= 100 for p in percents if p is not None)
    assert all(r.fraction is None or 0 <= r.fraction <= 1 for r in card.questions())
    assert all(0 <= r.earned <= r.possible for r in card.questions())


@EXAMPLES
@given(st.data())
def test_answering_na_gives_the_same_result_as_deleting_the_question(data: st.DataObject) -> None:
    written = data.draw(checklist_data())
    checklist = parse_checklist(written)
    targets = {q.show_if.question for _, q in checklist.questions() if q.show_if}
    candidates = [q.key for _, q in checklist.questions() if q.allow_na and q.key not in targets]
    assume(candidates)
    key = data.draw(st.sampled_from(candidates))
    answers = data.draw(answers_for(checklist))

    without = copy.deepcopy(written)
    for section in without["sections"]:
        section["questions"] = [q for q in section["questions"] if q["key"] != key]
    emptied = {s["key"] for s in without["sections"] if not s["questions"]}
    without["sections"] = [s for s in without["sections"] if s["questions"]]
    assume(without["sections"])

    with_na = score(checklist, {**answers, key: NA})
    deleted = score(parse_checklist(without), {k: v for k, v in answers.items() if k != key})
    left, right = figures(with_na), figures(deleted)
    del left["questions"][key]
    for section_key in emptied:
        assert left["sections"].pop(section_key)[0] is None
    assert left == right


def random_order(items: list[int], after: dict[int, set[int]], rnd: random.Random) -> list[int]:
    """A random order of `items` in which each item comes after every item in `after[item]`."""
    order: list[int] = []
    while len(order) < len(items):
        ready = [i for i in items if i not in order and after[i] <= set(order)]
        order.append(rnd.choice(ready))
    return order


def reordered(written: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    sections = written["sections"]
    section_of = {q["key"]: i for i, s in enumerate(sections) for q in s["questions"]}
    section_after: dict[int, set[int]] = {i: set() for i in range(len(sections))}
    for i, s in enumerate(sections):
        for q in s["questions"]:
            if "show_if" in q and section_of[q["show_if"]["question"]] != i:
                section_after[i].add(section_of[q["show_if"]["question"]])
    new_sections = []
    for i in random_order(list(range(len(sections))), section_after, rnd):
        questions = sections[i]["questions"]
        position = {q["key"]: j for j, q in enumerate(questions)}
        question_after = {
            j: {position[q["show_if"]["question"]]} if "show_if" in q and q["show_if"]["question"] in position
            else set()
            for j, q in enumerate(questions)
        }
        order = random_order(list(range(len(questions))), question_after, rnd)
        new_sections.append({**sections[i], "questions": [questions[j] for j in order]})
    return {**written, "sections": new_sections}


@EXAMPLES
@given(st.data(), st.randoms(use_true_random=False))
def test_reordering_sections_and_questions_changes_nothing(data: st.DataObject, rnd: random.Random) -> None:
    written = data.draw(checklist_data())
    checklist = parse_checklist(written)
    answers = data.draw(answers_for(checklist))
    shuffled = parse_checklist(reordered(written, rnd))
    assert figures(score(shuffled, answers)) == figures(score(checklist, answers))


def scaled(data: dict[str, Any], factor: Fraction) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for section in data["sections"]:
        if "weight" in section:
            section["weight"] = number_to_data(Fraction(section["weight"]) * factor)
        for question in section["questions"]:
            if "weight" in question:
                question["weight"] = number_to_data(Fraction(question["weight"]) * factor)
    return data


@EXAMPLES
@given(st.data(), st.sampled_from([Fraction(2), Fraction(3), Fraction(1, 2), Fraction(7, 3), Fraction(1, 10)]))
def test_multiplying_every_weight_by_the_same_factor_changes_nothing(data: st.DataObject, factor: Fraction) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    answers = data.draw(answers_for(checklist))
    heavier = parse_checklist(scaled(checklist_to_data(checklist), factor))
    before, after = score(checklist, answers), score(heavier, answers)
    assert (after.percent, after.base_percent, after.grade) == (before.percent, before.base_percent, before.grade)
    assert [s.percent for s in after.sections] == [s.percent for s in before.sections]
    assert (after.earned, after.possible) == (before.earned * factor, before.possible * factor)
    assert after.critical_failures == before.critical_failures


@EXAMPLES
@given(st.data())
def test_a_better_answer_never_lowers_its_section_or_the_visit(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data(show_if=False)))
    scored = [(s, q) for s, q in checklist.questions() if q.is_scored]
    assume(scored)
    index = data.draw(st.integers(0, len(scored) - 1))
    section, question = scored[index]
    first, second = data.draw(answer_value(question)), data.draw(answer_value(question))
    worse, better = sorted([first, second], key=lambda raw: fraction(question, normalise(question, raw)))
    answers = data.draw(answers_for(checklist))
    low, high = score(checklist, {**answers, question.key: worse}), score(checklist, {**answers, question.key: better})
    position = checklist.sections.index(section)
    assert high.sections[position].percent >= low.sections[position].percent  # type: ignore[operator]
    if low.percent is not None:
        assert high.percent is not None and high.percent >= low.percent


@EXAMPLES
@given(st.data())
def test_a_critical_failure_never_raises_a_score(data: st.DataObject) -> None:
    written = data.draw(checklist_data())
    checklist = parse_checklist(written)
    answers = data.draw(answers_for(checklist))
    lenient = copy.deepcopy(written)
    for section in lenient["sections"]:
        for question in section["questions"]:
            question.pop("critical", None)
    strict, relaxed = score(checklist, answers), score(parse_checklist(lenient), answers)
    assert relaxed.critical_failures == ()

    def at_most(a: Fraction | None, b: Fraction | None) -> bool:
        return (a is None) == (b is None) and (a is None or a <= b)  # type: ignore[operator]

    assert at_most(strict.percent, relaxed.percent)
    assert at_most(strict.base_percent, relaxed.base_percent)
    assert all(at_most(s.percent, r.percent) for s, r in zip(strict.sections, relaxed.sections))


@EXAMPLES
@given(checklist_data())
def test_checklist_to_data_round_trips_exactly(written: dict[str, Any]) -> None:
    checklist = parse_checklist(written)
    data = checklist_to_data(checklist)
    assert json.loads(json.dumps(data)) == data
    again = parse_checklist(data)
    assert again == checklist
    assert checklist_to_data(again) == data


@EXAMPLES
@given(st.data())
def test_a_card_round_trips_through_json(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    card = score(checklist, data.draw(answers_for(checklist)))
    stored = json.loads(json.dumps(card_to_data(card)))
    assert card_from_data(stored) == card
