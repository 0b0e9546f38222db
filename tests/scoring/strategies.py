"""Hypothesis strategies: valid checklists as plain data, and valid answers to a parsed checklist."""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from scoring import NA, Checklist, Question

TYPES = ["yes_no", "scale", "choice", "multi", "number", "duration", "nps", "text", "photo", "date", "time", "note"]
SHOW_IF_TARGETS = {"yes_no", "scale", "choice", "multi", "nps"}
FRACTIONS = st.sampled_from([0, "1/4", "1/3", 0.5, "2/3", 1])
SCORED_BY_DEFAULT = {"yes_no", "scale", "choice", "multi"}


def resolved_weight(question: dict[str, Any]) -> Fraction:
    """The weight the schema will give this question data."""
    if "weight" in question:
        return Fraction(str(question["weight"]))
    banded = question["type"] in ("number", "duration") and question.get("bands")
    return Fraction(1) if question["type"] in SCORED_BY_DEFAULT or banded else Fraction(0)


def can_fail(question: dict[str, Any]) -> bool:
    if resolved_weight(question) == 0:
        return False
    kind = question["type"]
    if kind in ("yes_no", "scale", "multi", "nps"):
        return True
    if kind == "choice":
        return any(Fraction(str(option["fraction"])) < 1 for option in question["options"])
    if kind in ("number", "duration"):
        return any(Fraction(str(band["fraction"])) < 1 for band in question["bands"])
    return False


@st.composite
def bands(draw: st.DrawFn) -> list[dict[str, Any]]:
    # Sides mixed in any order, every max below every min, so each band (and the last) can still match a value.
    written: list[dict[str, Any]] = []
    highest_max: int | None = None
    lowest_min: int | None = None
    for _ in range(draw(st.integers(0, 4))):
        side = draw(st.sampled_from(["max", "min"]))
        low = 0 if highest_max is None else highest_max + 1
        high = 400 if lowest_min is None else lowest_min - 1
        if low > high:
            break
        limit = draw(st.integers(low, high))
        if side == "max":
            highest_max = limit
        else:
            lowest_min = limit
        written.append({side: limit, "fraction": draw(FRACTIONS)})
    return written + [{"fraction": draw(FRACTIONS)}]


def show_if_value(target: dict[str, Any], draw: st.DrawFn) -> Any:
    kind = target["type"]
    if kind == "yes_no":
        return draw(st.sampled_from(["yes", "no", True, False]))
    if kind == "scale":
        return draw(st.integers(target["min"], target["max"]))
    if kind == "nps":
        return draw(st.integers(0, 10))
    return draw(st.sampled_from([option["key"] for option in target["options"]]))


@st.composite
def question_data(draw: st.DrawFn, key: str, earlier: list[dict[str, Any]], criticals: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    question: dict[str, Any] = {"key": key, "type": kind, "text": f"Question {key}"}
    if kind == "yes_no" and draw(st.booleans()):
        question["good"] = draw(st.sampled_from(["yes", "no", False]))
    elif kind == "scale":
        low = draw(st.integers(0, 2))
        question.update(min=low, max=low + draw(st.integers(1, 6)))
    elif kind in ("choice", "multi"):
        count = draw(st.integers(1, 4))
        question["options"] = [{"key": f"o{i}", "text": f"Option {i}", "fraction": draw(FRACTIONS)}
                               for i in range(count)]
    elif kind in ("number", "duration") and draw(st.booleans()):
        question["bands"] = draw(bands())
    if kind != "note":
        scored_by_default = kind in SCORED_BY_DEFAULT or "bands" in question
        unscored_number = kind in ("number", "duration") and "bands" not in question
        weights = [0] if unscored_number else [0, 1, 2, "1/2", 0.25, 3]
        if draw(st.booleans()) or not scored_by_default:
            weight = draw(st.sampled_from([None, *weights]))
            if weight is not None:
                question["weight"] = weight
        if draw(st.booleans()):
            question["required"] = draw(st.booleans())
        if draw(st.booleans()):
            question["allow_na"] = True
    if criticals and can_fail(question) and draw(st.integers(0, 3)) == 0:
        effect = draw(st.sampled_from(["zero_section", "zero_visit", "cap"]))
        question["critical"] = {"effect": effect}
        if effect == "cap":
            question["critical"]["cap"] = draw(st.integers(0, 100))
    targets = [other for other in earlier if other["type"] in SHOW_IF_TARGETS]
    if targets and draw(st.integers(0, 2)) == 0:
        target = draw(st.sampled_from(targets))
        if draw(st.booleans()):
            question["show_if"] = {"question": target["key"], "equals": show_if_value(target, draw)}
        else:
            values = [show_if_value(target, draw) for _ in range(draw(st.integers(1, 3)))]
            question["show_if"] = {"question": target["key"], "in": values}
    return question


@st.composite
def checklist_data(
    draw: st.DrawFn, *, show_if: bool = True, criticals: bool = True, max_sections: int = 4, max_questions: int = 5
) -> dict[str, Any]:
    """A valid checklist as plain data, with every question type, show_if chains, N/A and critical questions."""
    method = draw(st.sampled_from(["weighted_sections", "points"]))
    sections: list[dict[str, Any]] = []
    written: list[dict[str, Any]] = []
    for s in range(draw(st.integers(1, max_sections))):
        questions = []
        for _ in range(draw(st.integers(1, max_questions))):
            question = draw(question_data(f"q{len(written)}", written if show_if else [], criticals))
            questions.append(question)
            written.append(question)
        section: dict[str, Any] = {"key": f"s{s}", "title": f"Section {s}", "questions": questions}
        if method == "weighted_sections" and draw(st.booleans()):
            section["weight"] = draw(st.sampled_from([0, 1, 2, "1/2", 3]))
        sections.append(section)
    mins = sorted(draw(st.lists(st.integers(1, 100), max_size=3, unique=True)), reverse=True)
    grades = [{"min": value, "label": f"From {value}"} for value in [*mins, 0]]
    return {"key": "generated", "title": "Generated", "channel": "in_store", "scoring": method, "grades": grades,
            "sections": sections}


def answer_value(question: Question) -> st.SearchStrategy[Any]:
    """Valid raw answers to a question, in the shapes callers send (bools, strings, floats, sets...)."""
    kind = question.type
    if kind == "yes_no":
        return st.sampled_from(["yes", "no", True, False])
    if kind == "scale":
        assert question.min is not None and question.max is not None
        return st.integers(question.min, question.max)
    keys = [option.key for option in question.options]
    if kind == "choice":
        return st.sampled_from(keys)
    if kind == "multi":
        return st.lists(st.sampled_from(keys), unique=True).map(lambda chosen: chosen if len(chosen) % 2 else
                                                                 tuple(chosen))
    if kind in ("number", "duration"):
        low = 0 if kind == "duration" else -50
        return st.one_of(st.integers(low, 500), st.fractions(low, 500, max_denominator=8),
                         st.integers(low * 10, 5000).map(lambda tenths: tenths / 10),
                         st.integers(max(low, 0), 500).map(str))
    if kind == "nps":
        return st.integers(0, 10)
    if kind == "date":
        return st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat)
    if kind == "time":
        return st.times().map(lambda moment: moment.strftime("%H:%M"))
    if kind == "photo":
        return st.integers(1, 99).map(lambda n: f"photos/{n}.jpg")
    return st.text(max_size=5)


@st.composite
def answers_for(draw: st.DrawFn, checklist: Checklist, *, skip: bool = True) -> dict[str, Any]:
    """Answers to every question but notes: mostly valid values, some N/A where allowed, some left out."""
    answers: dict[str, Any] = {}
    for _, question in checklist.questions():
        if question.type == "note":
            continue
        roll = draw(st.integers(0, 9))
        if skip and roll == 0:
            continue
        if question.allow_na and roll == 1:
            answers[question.key] = NA
        else:
            answers[question.key] = draw(answer_value(question))
    return answers
