"""The engine's shortcuts change no card: an answer equal to a remembered one but of another type is read
afresh, integer units give the cards plain Fraction sums give, and results built through their slots are the
results their constructors make."""

from __future__ import annotations

from dataclasses import fields
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import NA, QuestionResult, ScoreCard, SectionResult, parse_checklist, score
from scoring import engine

from .builders import QUEUE_BANDS, checklist, opt, q, section
from .oracle.engine import score as oracle_score
from .strategies import answers_for, checklist_data
from .test_engine_against_oracle import ANY_RAW, outcome, plain

EXAMPLES = settings(max_examples=60, deadline=None)

# Raw answers that are equal (True == 1 == 1.0, (True,) == (1,)) but that a question may read differently.
CLASHING = [
    ("options", ["yes", "no", "b"], [[True], [1], [1.0], ["yes"], (True,), (1,), [True, "b"], [1, "b"]]),
    ("options", ["yes", "no", "b"], ["yes", True, 1, 1.0, "no", False, 0, 0.0]),
    ("yes_no", [], [True, 1, 1.0, "yes", False, 0, 0.0, "no"]),
    ("scale", [], [1, True, 1.0, "1", 0, False, 0.0, "0"]),
    ("duration", [], [12, 12.0, "12", 0, False, 0.0, -0.0, "12.0"]),
]


def clashing_checklist(kind: str, options: list[str]) -> Any:
    if kind == "options":
        fractions = [1, 0, "1/2"]
        return parse_checklist(checklist(section(
            "s",
            q("c", "choice", options=[opt(key, fraction) for key, fraction in zip(options, fractions)]),
            q("m", "multi", options=[opt(key, fraction) for key, fraction in zip(options, fractions)]),
        )))
    extra: dict[str, Any] = {"min": 0, "max": 4} if kind == "scale" else {}
    if kind == "duration":
        extra = {"bands": QUEUE_BANDS}
    return parse_checklist(checklist(section("s", q("x", kind, **extra))))


@pytest.mark.parametrize(("kind", "options", "raws"), CLASHING)
def test_equal_answers_of_different_types_score_as_the_former_engine_in_any_order(
    kind: str, options: list[str], raws: list[Any],
) -> None:
    for ordered in (raws, raws[::-1]):
        checklist_ = clashing_checklist(kind, options)
        keys = [question.key for _, question in checklist_.questions()]
        for raw in ordered + ordered:
            answers = {key: raw for key in keys if not (key == "c" and isinstance(raw, (list, tuple)))}
            assert outcome(score, checklist_, answers) == outcome(oracle_score, checklist_, answers)


@EXAMPLES
@given(st.data())
def test_raw_answers_of_every_shape_in_any_order_score_as_the_former_engine(data: st.DataObject) -> None:
    checklist_ = parse_checklist(data.draw(checklist_data()))
    keys = [question.key for _, question in checklist_.questions()]
    visits = []
    for _ in range(data.draw(st.integers(1, 6))):
        answers = data.draw(answers_for(checklist_))
        for key in data.draw(st.lists(st.sampled_from(keys), max_size=4)):
            answers[key] = data.draw(ANY_RAW)
        visits.append(answers)
    for answers in visits + visits[::-1]:
        assert outcome(score, checklist_, answers) == outcome(oracle_score, checklist_, answers)


@EXAMPLES
@given(st.data())
def test_integer_units_give_the_same_cards_as_plain_fraction_sums(data: st.DataObject) -> None:
    written = data.draw(checklist_data())
    fast = parse_checklist(written)
    visits = data.draw(st.lists(answers_for(fast), min_size=1, max_size=3))
    fast_cards = [outcome(score, fast, answers) for answers in visits]
    assert not engine._plan_for(fast).sums_fractions
    shared_denominator = engine._shared_denominator
    engine._shared_denominator = lambda denominators: None  # as if past the limit: the plan sums Fractions
    try:
        slow = parse_checklist(written)
        assert engine._plan_for(slow).sums_fractions
    finally:
        engine._shared_denominator = shared_denominator
    assert [outcome(score, slow, answers) for answers in visits] == fast_cards


def test_na_and_no_answer_are_looked_up_like_any_other_answer() -> None:
    checklist_ = parse_checklist(checklist(section(
        "s", q("a", "yes_no", allow_na=True), q("b", "yes_no"), q("c", "text", required=False),
    )))
    for answers in ({"a": NA, "b": None}, {"a": None, "b": "yes"}, {"b": NA}, {"c": NA}, {}):
        for _ in range(2):
            assert outcome(score, checklist_, answers) == outcome(oracle_score, checklist_, answers)


@pytest.mark.parametrize(("made", "slots", "builder"), [
    (QuestionResult, engine._QuestionResultSlots, engine._question_result),
    (SectionResult, engine._SectionResultSlots, engine._section_result),
    (ScoreCard, engine._ScoreCardSlots, engine._score_card),
])
def test_a_built_result_is_what_its_constructor_makes(made: type, slots: type, builder: Any) -> None:
    names = [field.name for field in fields(made)]
    assert list(slots.__slots__) == names
    arguments: list[Any] = [Fraction(index, 7) for index in range(len(names))]
    extra: list[Any] = []
    if made is ScoreCard:  # its builder takes everything but is_complete, which is `not missing_required`
        arguments[-2:], extra = [("q1",)], [False]
    built, constructed = builder(*arguments), made(*arguments, *extra)
    assert type(built) is made
    assert plain(built) == plain(constructed)
    assert built == constructed and hash(built) == hash(constructed)
