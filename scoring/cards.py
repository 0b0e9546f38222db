"""Score cards as plain data: the explained card stored with a visit (JSON-ready), and read back exactly.

Fractions are written as an int or "n/d", so a stored card reads back to the same exact figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from .criticals import CriticalFailure, Effect
from .engine import Method, QuestionResult, ScoreCard, SectionResult
from .questions import NA, Answer, NotApplicable
from .schema import Grade
from .text import Text


def _fraction_data(value: Fraction | None) -> int | str | None:
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _fraction_from(value: object) -> Fraction:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return Fraction(value)
    raise ValueError(f"expected a fraction written as an int or 'n/d', got {value!r}")


def _optional_fraction(value: object) -> Fraction | None:
    return None if value is None else _fraction_from(value)


def _answer_data(answer: Answer | NotApplicable | None) -> object:
    if answer is NA:
        return {"na": True}
    if isinstance(answer, Fraction):
        return _fraction_data(answer)
    if isinstance(answer, tuple):
        return list(answer)
    return answer


def _answer_from(qtype: str, value: object) -> Answer | NotApplicable | None:
    if value is None:
        return None
    if isinstance(value, Mapping) and value.get("na") is True:
        return NA
    if qtype in ("number", "duration"):
        return _fraction_from(value)
    if qtype == "multi" and isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    raise ValueError(f"unexpected stored answer {value!r} for a {qtype} question")


def card_to_data(card: ScoreCard) -> dict[str, object]:
    """The score card as JSON-ready plain data, for storing the explained card with the visit.

    Fractions become ints or "n/d" strings (exact, unrounded); `NA` becomes {"na": true}; multi answers lists.
    `card_from_data` reads it back equal. Never raises.
    """
    return {
        "checklist_key": card.checklist_key,
        "method": card.method,
        "earned": _fraction_data(card.earned),
        "possible": _fraction_data(card.possible),
        "percent": _fraction_data(card.percent),
        "base_percent": _fraction_data(card.base_percent),
        "grade": (
            None if card.grade is None
            else {"min": _fraction_data(card.grade.min), "label": card.grade.label.as_data()}
        ),
        "sections": [
            {
                "key": section.key,
                "title": section.title.as_data(),
                "weight": _fraction_data(section.weight),
                "earned": _fraction_data(section.earned),
                "possible": _fraction_data(section.possible),
                "percent": _fraction_data(section.percent),
                "is_zeroed": section.is_zeroed,
                "questions": [
                    {
                        "key": result.key,
                        "type": result.type,
                        "answer": _answer_data(result.answer),
                        "fraction": _fraction_data(result.fraction),
                        "earned": _fraction_data(result.earned),
                        "possible": _fraction_data(result.possible),
                        "excluded": result.excluded,
                        "is_critical_failure": result.is_critical_failure,
                    }
                    for result in section.questions
                ],
            }
            for section in card.sections
        ],
        "critical_failures": [
            {
                "question_key": failure.question_key,
                "section_key": failure.section_key,
                "effect": failure.effect,
                "cap": _fraction_data(failure.cap),
            }
            for failure in card.critical_failures
        ],
        "missing_required": list(card.missing_required),
        "is_complete": card.is_complete,
    }


def card_from_data(data: Mapping[str, object]) -> ScoreCard:
    """Read back a card written by `card_to_data`. Raises ValueError, KeyError or TypeError on malformed data."""
    grade = data["grade"]
    return ScoreCard(
        checklist_key=str(data["checklist_key"]),
        method=_method(data["method"]),
        earned=_fraction_from(data["earned"]),
        possible=_fraction_from(data["possible"]),
        percent=_optional_fraction(data["percent"]),
        base_percent=_optional_fraction(data["base_percent"]),
        grade=None if grade is None else Grade.model_validate(grade),
        sections=tuple(_section_from(section) for section in _list(data["sections"])),
        critical_failures=tuple(
            CriticalFailure(
                question_key=str(failure["question_key"]),
                section_key=str(failure["section_key"]),
                effect=_effect(failure["effect"]),
                cap=_optional_fraction(failure["cap"]),
            )
            for failure in _list(data["critical_failures"])
        ),
        missing_required=tuple(str(key) for key in _list(data["missing_required"])),
        is_complete=bool(data["is_complete"]),
    )


def _list(value: object) -> Sequence[Mapping[str, object]]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {value!r}")
    return value


def _method(value: object) -> Method:
    if value == "points":
        return "points"
    if value == "weighted_sections":
        return "weighted_sections"
    raise ValueError(f"unknown scoring method {value!r}")


def _effect(value: object) -> Effect:
    if value == "zero_section":
        return "zero_section"
    if value == "zero_visit":
        return "zero_visit"
    if value == "cap":
        return "cap"
    raise ValueError(f"unknown critical effect {value!r}")


def _section_from(data: Mapping[str, object]) -> SectionResult:
    return SectionResult(
        key=str(data["key"]),
        title=Text(data["title"]),  # type: ignore[arg-type]
        weight=_fraction_from(data["weight"]),
        earned=_fraction_from(data["earned"]),
        possible=_fraction_from(data["possible"]),
        percent=_optional_fraction(data["percent"]),
        is_zeroed=bool(data["is_zeroed"]),
        questions=tuple(
            QuestionResult(
                key=str(result["key"]),
                type=str(result["type"]),
                answer=_answer_from(str(result["type"]), result["answer"]),
                fraction=_optional_fraction(result["fraction"]),
                earned=_fraction_from(result["earned"]),
                possible=_fraction_from(result["possible"]),
                excluded=result["excluded"],  # type: ignore[arg-type]
                is_critical_failure=bool(result["is_critical_failure"]),
            )
            for result in _list(data["questions"])
        ),
    )

