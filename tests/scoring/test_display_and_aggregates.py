"""Rounding for display, and the KPIs and rollups computed across answers or visits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring import ces_mean, csat, format_percent, mean_and_spread, nps, percentile, round_half_up


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(349, 4), 1, "87.3"),  # 87.25: the half goes up
        (Fraction(8724, 100), 1, "87.2"),
        (Fraction(2, 3), 1, "0.7"),
        (Fraction(2, 3), 2, "0.67"),
        (Fraction(1, 20), 1, "0.1"),  # 0.05 exactly: a float would make it 0.05000000000000000277 or below
        (Fraction(100), 1, "100.0"),
        (Fraction(0), 1, "0.0"),
        (Fraction(-1, 4), 1, "-0.3"),  # halves go away from zero, as Decimal's ROUND_HALF_UP
        (Fraction(-1, 100), 1, "0.0"),  # never "-0.0"
        (Fraction(5, 2), 0, "3"),
    ],
)
def test_round_half_up_rounds_exactly_with_halves_away_from_zero(value: Fraction, places: int, expected: str) -> None:
    assert round_half_up(value, places) == Decimal(expected)
    assert str(round_half_up(value, places)) == expected


def test_round_half_up_refuses_negative_places() -> None:
    with pytest.raises(ValueError):
        round_half_up(Fraction(1), -1)


def test_format_percent_shows_one_decimal_and_a_dash_for_no_score() -> None:
    assert [format_percent(p) for p in (Fraction(175, 2), Fraction(200, 3), Fraction(100), None)] == [
        "87.5", "66.7", "100.0", "—",
    ]


def test_nps_is_promoters_minus_detractors_in_points() -> None:
    # 3 promoters (9, 10, 9), 2 passives (7, 8), 3 detractors (0, 6, 3): (3 - 3) / 8 = 0; then one more promoter.
    assert nps([9, 10, 9, 7, 8, 0, 6, 3]) == 0
    # 4 promoters, 3 detractors of 9: (4 - 3) / 9 x 100 = 100/9 = 11.1 points.
    assert nps([9, 10, 9, 7, 8, 0, 6, 3, 10]) == Fraction(100, 9)
    assert nps([0, 1]) == -100 and nps([10]) == 100
    assert nps([]) is None


def test_csat_is_the_share_of_four_and_five() -> None:
    # 4 and 5 are satisfied: 3 of 5 answers -> 60 %.
    assert csat([5, 4, 3, 4, 1]) == 60
    assert csat([]) is None


def test_ces_mean_is_the_exact_mean() -> None:
    assert ces_mean([1, 2, 2]) == Fraction(5, 3)
    assert ces_mean([]) is None


@pytest.mark.parametrize(("function", "value"), [(nps, 11), (nps, True), (csat, 0), (csat, 4.0), (ces_mean, "a")])
def test_kpis_refuse_values_outside_their_scale(function: object, value: object) -> None:
    with pytest.raises(ValueError):
        function([value])  # type: ignore[operator]


def test_mean_and_spread_averages_visit_percents_and_skips_unscored_visits() -> None:
    # mean (50 + 100 + 75) / 3 = 75; deviations -25, 25, 0: variance 1250 / 3, spread 20.41.
    mean, spread = mean_and_spread([Fraction(50), 100, None, Fraction(75)])
    assert mean == 75
    assert spread == pytest.approx(20.412414523)
    assert mean_and_spread([Fraction(80)]) == (80, 0.0)
    assert mean_and_spread([None]) == (None, None)


def test_percentile_is_nearest_rank_and_always_an_observed_value() -> None:
    waits = [30, 45, 60, 90, 120, 150, 180, 240, 300, 600]
    # 90th percentile of 10 values: rank ceil(0.9 x 10) = 9 -> the 9th smallest, 300 s.
    assert percentile(waits, 90) == 300
    # 95th: rank ceil(9.5) = 10 -> 600. 50th: rank 5 -> 120. 0th: the minimum.
    assert (percentile(waits, 95), percentile(waits, 50), percentile(waits, 0)) == (600, 120, 30)
    assert percentile([Fraction(1, 2), 0.25], 100) == Fraction(1, 2)
    assert percentile([], 90) is None
    with pytest.raises(ValueError):
        percentile(waits, 101)
