"""Customer-service KPIs and rollups across many answers or visits.

All exact (Fraction) except the standard deviation, which is a square root and therefore a float. Each function
says what it averages; a rollup of visit percents is the mean of percents, never pooled points.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from .schema import exact_fraction

Number = int | Fraction | Decimal | float
Key = TypeVar("Key", bound=Hashable)


def _whole_numbers(values: Iterable[int], low: int, high: int, what: str) -> list[int]:
    checked = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{what} answers are whole numbers from {low} to {high}, got {value!r}")
        checked.append(value)
    return checked


def _exact(values: Iterable[Number]) -> list[Fraction]:
    return [exact_fraction(value) for value in values]


def nps(values: Iterable[int]) -> Fraction | None:
    """Net Promoter Score in points from −100 to 100: % promoters (9–10) minus % detractors (0–6).

    Exact; None when there are no responses. Raises ValueError for a value that is not a whole number 0–10.
    """
    scores = _whole_numbers(values, 0, 10, "NPS")
    if not scores:
        return None
    promoters = sum(1 for value in scores if value >= 9)
    detractors = sum(1 for value in scores if value <= 6)
    return Fraction(100 * (promoters - detractors), len(scores))


def csat(values: Iterable[int]) -> Fraction | None:
    """Customer satisfaction: the share (0..100) of answers that are 4 or 5 on a 1–5 scale.

    Exact; None when there are no answers. Raises ValueError for a value that is not a whole number 1–5.
    """
    scores = _whole_numbers(values, 1, 5, "CSAT")
    if not scores:
        return None
    return Fraction(100 * sum(1 for value in scores if value >= 4), len(scores))


def ces_mean(values: Iterable[Number]) -> Fraction | None:
    """Customer effort score: the mean answer, on whatever scale the question uses (lower is less effort).

    Exact; None when there are no answers. Raises ValueError for a value that is not a number.
    """
    scores = _exact(values)
    if not scores:
        return None
    return sum(scores, Fraction(0)) / len(scores)


def mean(values: Iterable[Number | None]) -> Fraction | None:
    """The mean of the values that exist (None skipped), exact; None when there are none.

    The same value as `mean_and_spread(...)[0]`, without computing the spread (a region's heat map takes
    thousands). Raises ValueError for a non-number.
    """
    present = _exact(value for value in values if value is not None)
    return sum(present, Fraction(0)) / len(present) if present else None


def competition_ranks(values: Mapping[Key, Number | None]) -> dict[Key, int]:
    """Standard competition ranks (1, 2, 2, 4) by value, highest first: equal values share a rank and the next
    rank skips. Keys without a value (None) get no rank. One sort: n log n."""
    ordered = sorted(((exact_fraction(value), key) for key, value in values.items() if value is not None),
                     key=lambda pair: pair[0], reverse=True)
    ranks: dict[Key, int] = {}
    previous: Fraction | None = None
    rank = 0
    for position, (value, key) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


def mean_and_spread(percents: Iterable[Number | None]) -> tuple[Fraction | None, float | None]:
    """The mean of visit percents and their population standard deviation, skipping None (unscored visits).

    The mean is exact; the spread is a float (in percentage points) because it is a square root. Both None when
    there is nothing to average; the spread of a single value is 0.0. Raises ValueError for a non-number.
    """
    values = _exact(value for value in percents if value is not None)
    if not values:
        return None, None
    mean = sum(values, Fraction(0)) / len(values)
    variance = sum(((value - mean) ** 2 for value in values), Fraction(0)) / len(values)
    return mean, math.sqrt(variance)


def percentile(values: Iterable[Number], p: Number) -> Fraction | None:
    """The p-th percentile by the nearest-rank method: the smallest value with at least p% of values at or below it.

    Always one of the observed values (e.g. "90% of customers waited at most 240 s"), never an interpolation.
    `p` is in 0..100; p = 0 gives the minimum. Exact; None when there are no values. Raises ValueError for a
    non-number or a p outside 0..100.
    """
    share = exact_fraction(p)
    if not 0 <= share <= 100:
        raise ValueError(f"a percentile must be between 0 and 100, got {p!r}")
    ordered = sorted(_exact(values))
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered) / 100))
    return ordered[rank - 1]
