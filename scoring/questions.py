"""Question types: how each type reads an answer and what fraction of its points the answer earns.

One points function per type, registered in `POINTS` under the type's name. A points function looks at the
question once (when a checklist is first scored) and returns a `Points`: its `read` turns a raw answer into the
normalised answer and the earned fraction as an integer numerator over `denominator`. Keeping the per-answer work
to lookups and integer arithmetic is what lets a 60-question visit score in about 100 µs; the exact Fractions are
built by the engine from these integers.

Adding a type: write its points function here, add it to `POINTS`, add the name to `QuestionType` in schema.py,
and add its examples to the scoring vectors.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, final

from .schema import Question
from .values import describe, exact_fraction, is_date_text, is_time_text

Answer = str | int | Fraction | tuple[str, ...]
"""A normalised answer: yes_no 'yes'/'no', scale/nps int, choice option key, multi tuple of option keys (in the
checklist's option order), number/duration an exact rational (int when whole, else Fraction), text/photo str,
date 'YYYY-MM-DD', time 'HH:MM'."""

_WHOLE_TEXT = re.compile(r"[+-]?[0-9]+")

# Above this many distinct fractions a table of precomputed Fractions (and of prepared results) costs more memory
# than it saves time: 1,000 scales of 0–1000 would otherwise prepare a million results before the first visit.
TABLE_LIMIT: Final = 100
# Multi questions with up to this many options get a prepared result for every combination (2**n of them).
MULTI_PREPARE_LIMIT: Final = 6


@final
class NotApplicable:
    """The type of `NA`, the answer "not applicable"."""

    __slots__ = ()
    _instance: NotApplicable | None = None

    def __new__(cls) -> NotApplicable:
        # One instance only, so `answer is NA` is the test everywhere, also after pickling or copying.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"

    def __reduce__(self) -> str:
        return "NA"


NA: Final = NotApplicable()
"""The answer "not applicable": excluded from earned and possible; allowed only where `allow_na` is true."""


@dataclass(frozen=True, slots=True)
class Points:
    """How one question reads answers: `read(raw) -> (answer, numerator)`; fraction = numerator / denominator.

    `read` raises ValueError with a plain message for an answer this question cannot take. `answers` lists every
    possible normalised answer when there are few (so results can be prepared in advance), else it is empty.
    """

    denominator: int
    read: Callable[[object], tuple[Answer, int]]
    answers: tuple[Answer, ...] = ()


PointsFunction = Callable[[Question], Points]


def _numerators(fractions: list[Fraction]) -> tuple[int, list[int]]:
    """A common denominator for these fractions and each fraction's numerator over it."""
    denominator = math.lcm(1, *(fraction.denominator for fraction in fractions))
    return denominator, [int(fraction * denominator) for fraction in fractions]


def _whole(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE_TEXT.fullmatch(value):
        return int(value)
    return None


def _key_text(value: object) -> object:
    # Answers may arrive from YAML/JSON as booleans where an option is literally called yes or no.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def yes_no_points(question: Question) -> Points:
    """yes_no: 1 for the good answer (`good`, default yes), 0 for the other. Takes 'yes'/'no' or True/False."""
    earns = {"yes": int(question.good != "no"), "no": int(question.good == "no")}

    def read(value: object) -> tuple[Answer, int]:
        if type(value) is not str:
            value = _key_text(value)
        if isinstance(value, str) and value in earns:
            return value, earns[value]
        raise ValueError(f"expected yes or no, got {describe(value)}")

    return Points(1, read, ("yes", "no"))


def scale_points(question: Question) -> Points:
    """scale: (value − min) / (max − min) for a whole number from min to max."""
    low, high = question.min, question.max
    # Checked: narrows the type; the schema requires both on a scale.
    assert low is not None and high is not None  # nosec B101

    def read(value: object) -> tuple[Answer, int]:
        number = _whole(value)
        if number is None or not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {describe(value)}")
        return number, number - low

    span = high - low
    return Points(span, read, tuple(range(low, high + 1)) if span <= TABLE_LIMIT else ())


def choice_points(question: Question) -> Points:
    """choice: the chosen option's fraction."""
    denominator, numerators = _numerators([option.fraction for option in question.options])
    earns = {option.key: numerator for option, numerator in zip(question.options, numerators)}
    keys = ", ".join(earns)

    def read(value: object) -> tuple[Answer, int]:
        value = _key_text(value)
        if isinstance(value, str) and value in earns:
            return value, earns[value]
        raise ValueError(f"expected one of the options ({keys}), got {describe(value)}")

    return Points(denominator, read, tuple(earns))


def multi_points(question: Question) -> Points:
    """multi: the sum of the chosen options' fractions, capped at 1. An empty list is an answer choosing none."""
    denominator, numerators = _numerators([option.fraction for option in question.options])
    position = {option.key: index for index, option in enumerate(question.options)}
    keys = ", ".join(position)
    order = tuple(position)

    def read(value: object) -> tuple[Answer, int]:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"expected a list of options ({keys}), got {describe(value)}")
        chosen: set[int] = set()
        for item in value:
            item = _key_text(item)
            index = position.get(item) if isinstance(item, str) else None
            if index is None:
                raise ValueError(f"{describe(item)} is not one of the options ({keys})")
            if index in chosen:
                raise ValueError(f"option {item!r} is chosen twice")
            chosen.add(index)
        ordered = sorted(chosen)
        return tuple(order[index] for index in ordered), min(denominator, sum(numerators[i] for i in ordered))

    every_choice: tuple[Answer, ...] = ()
    if len(order) <= MULTI_PREPARE_LIMIT:
        every_choice = tuple(
            tuple(key for bit, key in enumerate(order) if mask >> bit & 1) for mask in range(2 ** len(order))
        )
    return Points(denominator, read, every_choice)


def _banded_points(question: Question, *, non_negative: bool) -> Points:
    denominator, numerators = _numerators([band.fraction for band in question.bands])
    # Limits as numerator and denominator: a/b <= n/d is a·d <= n·b (denominators are positive), integer
    # arithmetic instead of a Fraction comparison, which goes through the numbers ABCs and costs a microsecond.
    limits = [
        (band.max is not None, band.min is not None, *_ratio(band.max if band.max is not None else band.min), numerator)
        for band, numerator in zip(question.bands, numerators)
    ]

    def read(value: object) -> tuple[Answer, int]:
        number: int | Fraction
        if type(value) is int:
            number = value
            above, below = value, 1
        else:
            number = exact_fraction(value)
            above, below = number.numerator, number.denominator
            if below == 1:
                number = above
        if non_negative and above < 0:
            raise ValueError(f"a duration is a number of seconds and cannot be negative, got {describe(value)}")
        for is_max, is_min, limit_above, limit_below, numerator in limits:
            if is_max:
                if above * limit_below <= limit_above * below:
                    return number, numerator
            elif not is_min or above * limit_below >= limit_above * below:
                return number, numerator
        # Unreachable for a valid checklist (the last band matches everything); unscored numbers have no bands.
        return number, 0

    return Points(denominator, read)


def _ratio(value: Fraction | None) -> tuple[int, int]:
    """A band limit as (numerator, denominator); a band without a limit matches anything, so any will do."""
    if value is None:
        return 0, 1
    return value.numerator, value.denominator


def number_points(question: Question) -> Points:
    """number: the fraction of the first band that matches, in the order written (ints, decimals, "1/3")."""
    return _banded_points(question, non_negative=False)


def duration_points(question: Question) -> Points:
    """duration: as number, for a number of seconds that is never negative."""
    return _banded_points(question, non_negative=True)


def nps_points(question: Question) -> Points:
    """nps: value / 10 for a whole number from 0 to 10 (counts only when the question has a weight)."""

    def read(value: object) -> tuple[Answer, int]:
        number = _whole(value)
        if number is None or not 0 <= number <= 10:
            raise ValueError(f"expected a whole number from 0 to 10, got {describe(value)}")
        return number, number

    return Points(10, read, tuple(range(11)))


def text_points(question: Question) -> Points:
    """text: full points for any text (counts only when the question has a weight)."""

    def read(value: object) -> tuple[Answer, int]:
        if isinstance(value, str):
            return value, 1
        raise ValueError(f"expected text, got {describe(value)}")

    return Points(1, read)


def photo_points(question: Question) -> Points:
    """photo: full points for a photo reference (counts only when the question has a weight)."""

    def read(value: object) -> tuple[Answer, int]:
        if isinstance(value, str) and value:
            return value, 1
        raise ValueError(f"expected a reference to an uploaded photo, got {describe(value)}")

    return Points(1, read)


def date_points(question: Question) -> Points:
    """date: full points for a date 'YYYY-MM-DD' or a datetime.date (counts only with a weight)."""

    def read(value: object) -> tuple[Answer, int]:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat(), 1
        if isinstance(value, str) and is_date_text(value):
            return value, 1
        raise ValueError(f"expected a date written YYYY-MM-DD, got {describe(value)}")

    return Points(1, read)


def time_points(question: Question) -> Points:
    """time: full points for a time 'HH:MM' or a datetime.time on the minute (counts only with a weight)."""

    def read(value: object) -> tuple[Answer, int]:
        if isinstance(value, datetime.time) and value.second == 0 and value.microsecond == 0:
            return value.strftime("%H:%M"), 1
        if isinstance(value, str) and is_time_text(value):
            return value, 1
        raise ValueError(f"expected a time written HH:MM, got {describe(value)}")

    return Points(1, read)


def note_points(question: Question) -> Points:
    """note: an instruction to the shopper; it takes no answer and is never scored."""

    def read(value: object) -> tuple[Answer, int]:
        raise ValueError("this is a note for the shopper; it takes no answer")

    return Points(1, read)


POINTS: Final[dict[str, PointsFunction]] = {
    "yes_no": yes_no_points,
    "scale": scale_points,
    "choice": choice_points,
    "multi": multi_points,
    "number": number_points,
    "duration": duration_points,
    "nps": nps_points,
    "text": text_points,
    "photo": photo_points,
    "date": date_points,
    "time": time_points,
    "note": note_points,
}
"""The points function of every question type, by type name."""


def fraction_earned(question: Question, value: object) -> tuple[Answer, Fraction]:
    """The normalised answer and the fraction (0..1) of the question's weight it earns, ignoring exclusions.

    Exact; raises ValueError (plain words) for an answer the question cannot take, including any answer to a note.
    """
    points = POINTS[question.type](question)
    answer, numerator = points.read(value)
    return answer, Fraction(numerator, points.denominator)
