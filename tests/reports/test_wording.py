"""How figures are worded for the pages and the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from reports.context import DEFAULT_LABELS
from reports.wording import kpi_facts


@dataclass(frozen=True)
class _Kpi:
    key: str
    value: Fraction | None
    responses: int
    target: Fraction | None = None


def test_a_kpi_from_one_answer_says_one_answer_and_from_several_says_answers() -> None:
    one, three = kpi_facts([_Kpi("ces", Fraction(4), 1), _Kpi("ces", Fraction(9, 2), 3)], DEFAULT_LABELS)
    assert one.note.endswith("1 answer") and three.note.endswith("3 answers")
