"""Rounding for display, and the KPIs and rollups computed across answers or visits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring import (
    ces_mean, competition_ranks, csat, format_change, format_percent, mean, mean_and_spread, nps, percentile,
    round_half_up,
)


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


def test_format_percent_reads_a_float_as_written_and_rounds_half_up() -> None:
    assert format_percent(87.25) == "87.3"  # the float 87.25 is exact; 0.05 below would not be
    assert format_percent(0.05) == "0.1"
    assert format_percent(-0.04) == "0.0"
    assert format_percent(100) == "100.0"


def test_format_change_signs_a_change_and_says_no_change_as_plus_minus_zero() -> None:
    assert format_change(Fraction(5, 2)) == "+2.5"
    assert format_change(Fraction(-1)) == "\u22121.0"
    assert format_change(-1.0, minus="-") == "-1.0"
    assert format_change(Fraction(1, 100)) == "±0.0"
    assert format_change(Fraction(-1, 100)) == "±0.0"
    assert format_change(None) == "—"


def test_mean_is_exact_and_skips_missing_values() -> None:
    assert mean([Fraction(1, 3), None, Fraction(2, 3), 1]) == Fraction(2, 3)
    assert mean([None, None]) is None
    assert mean([]) is None
    assert mean([Fraction(100, 3), Fraction(200, 3)]) == mean_and_spread([Fraction(100, 3), Fraction(200, 3)])[0]


def test_competition_ranks_share_a_rank_for_equal_values_and_skip_the_next() -> None:
    ranks = competition_ranks({"a": Fraction(80), "b": Fraction(90), "c": Fraction(80), "d": None, "e": 70.0})
    assert ranks == {"b": 1, "a": 2, "c": 2, "e": 4}
    # Values equal when exact are equal, however they were written.
    assert competition_ranks({"x": Fraction(1, 10), "y": 0.1}) == {"x": 1, "y": 1}
    assert competition_ranks({}) == {}
