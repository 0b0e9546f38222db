"""The engine gives the same card, bit for bit, as the engine it replaced (kept under tests/scoring/oracle)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import NA, AnswerError, Checklist, parse_checklist, score

from .oracle.engine import score as oracle_score
from .strategies import answers_for, checklist_data
from .vectors import VECTORS

EXAMPLES = settings(max_examples=120, deadline=None)

# Raw answers of every shape a caller might send, valid or not for a given question.
ANY_RAW = st.one_of(
    st.none(), st.just(NA), st.booleans(), st.integers(-5, 600), st.floats(allow_nan=True, allow_infinity=True),
    st.fractions(-5, 600, max_denominator=7), st.sampled_from(["yes", "no", "1", "5", " 7 ", "12.5", "1/3", "", "x",
                                                               "2026-01-31", "12:30", "a", "b", "c"]),
    st.lists(st.one_of(st.sampled_from(["a", "b", "c", "yes", "no", True]), st.just({})), max_size=3), st.tuples(), st.dictionaries(
        st.just("a"), st.integers()),
)


def plain(card: Any) -> Any:
    """A card as nested plain values, with the type of every number kept (1 and Fraction(1) compare equal)."""

    def walk(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return (type(value).__name__, tuple(walk(getattr(value, f.name)) for f in dataclasses.fields(value)))
        if isinstance(value, tuple):
            return tuple(walk(item) for item in value)
        if isinstance(value, Fraction):
            return ("Fraction", value.numerator, value.denominator)
        return (type(value).__name__, value if not hasattr(value, "model_dump") else repr(value))

    return walk(card)


def outcome(scorer: Any, checklist: Checklist, answers: dict[str, Any]) -> Any:
    try:
        return plain(scorer(checklist, answers))
    except AnswerError as err:
        return ("AnswerError", err.question_key, str(err))


@EXAMPLES
@given(st.data())
def test_every_card_equals_the_former_engines_card(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    # Several visits on one checklist, some repeated, so remembered answers are checked as well as fresh ones.
    visits = data.draw(st.lists(answers_for(checklist), min_size=1, max_size=4))
    for answers in visits + visits:
        assert outcome(score, checklist, answers) == outcome(oracle_score, checklist, answers)


@EXAMPLES
@given(st.data())
def test_any_raw_answer_gives_the_former_engines_card_or_error(data: st.DataObject) -> None:
    checklist = parse_checklist(data.draw(checklist_data()))
    answers = data.draw(answers_for(checklist))
    keys = [question.key for _, question in checklist.questions()]
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=3)):
        answers[key] = data.draw(ANY_RAW)
    for _ in range(2):
        assert outcome(score, checklist, answers) == outcome(oracle_score, checklist, answers)


def test_the_hand_worked_vectors_score_as_the_former_engine_scored_them() -> None:
    for vector in VECTORS:
        checklist = parse_checklist(vector.checklist)
        for answers in (vector.answers, vector.answers):
            assert outcome(score, checklist, answers) == outcome(oracle_score, checklist, answers)
