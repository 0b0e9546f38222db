"""Critical questions: what a failure does to its section and to the visit.

A critical question fails when it is counted and earns less than its full points; N/A, hidden and unanswered
questions never fail. Effects apply in a fixed order: `zero_section` before the overall is computed, then
`zero_visit`, then `cap` (the lowest cap wins).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Effect = Literal["zero_section", "zero_visit", "cap"]


@dataclass(frozen=True, slots=True)
class CriticalFailure:
    """A failed critical question and its effect; `cap` is the percentage limit (0..100) for `effect == 'cap'`."""

    question_key: str
    section_key: str
    effect: Effect
    cap: Fraction | None = None


def zeroed_sections(failures: Iterable[CriticalFailure]) -> frozenset[str]:
    """Keys of the sections whose earned points a `zero_section` failure sets to 0."""
    return frozenset(failure.section_key for failure in failures if failure.effect == "zero_section")


def final_percent(base: Fraction | None, failures: Iterable[CriticalFailure]) -> Fraction | None:
    """The overall percent (0..100) after `zero_visit` and `cap` effects; `base` is the percent before them.

    Exact, no rounding. A card with no percent (nothing possible) keeps none: there is no score to zero or cap.
    """
    if base is None:
        return None
    final = base
    for failure in failures:
        if failure.effect == "zero_visit":
            final = Fraction(0)
        elif failure.effect == "cap" and failure.cap is not None and failure.cap < final:
            final = failure.cap
    return final
