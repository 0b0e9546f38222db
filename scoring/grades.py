"""Grades: the label a final percent earns."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from .schema import Grade


def grade_for(grades: Sequence[Grade], percent: Fraction | None) -> Grade | None:
    """The first grade band (highest `min` first, as the schema orders them) whose `min` `percent` reaches.

    `percent` is exact (0..100), compared before any rounding: 89.96 does not reach a band at 90 even though it
    displays as 90.0. None when `percent` is None.
    """
    if percent is None:
        return None
    for grade in grades:
        if percent >= grade.min:
            return grade
    return None
