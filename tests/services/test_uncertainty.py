"""Every statistic behind the intervals, checked against scipy's own routines or the textbook formula computed here."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from audit_app.services.scores.calibration import (
    VisitRow, calibrate_store, fit_shopper_effects, krippendorff_alpha, pair_visits,
)
from audit_app.services.scores.uncertainty import Spread, nps_margin, t_interval, welch, wilson

SCORES = [72.5, 81.0, 64.25, 90.0, 77.75]


def test_the_t_interval_is_scipys_t_interval_of_the_mean() -> None:
    low, high = stats.t.interval(0.95, len(SCORES) - 1, loc=np.mean(SCORES), scale=stats.sem(SCORES))
    interval = t_interval(Spread.of(SCORES), min_visits=3)
    assert interval.mean == pytest.approx(np.mean(SCORES))
    assert interval.low == pytest.approx(low)
    assert interval.high == pytest.approx(high)
    assert interval.sd == pytest.approx(np.std(SCORES, ddof=1))
    assert not interval.provisional


def test_a_spread_summed_in_parts_gives_the_same_interval() -> None:
    whole = Spread.of(SCORES)
    parts = Spread.of(SCORES[:2]).merge(Spread.of(SCORES[2:]))
    assert t_interval(parts).low == pytest.approx(t_interval(whole).low)


def test_below_the_minimum_of_visits_a_mean_is_provisional_and_one_visit_has_no_interval() -> None:
    assert t_interval(Spread.of([70.0, 80.0]), min_visits=3).provisional
    single = t_interval(Spread.of([70.0]), min_visits=1)
    assert single.mean == 70.0 and single.low is None and single.margin is None and not single.provisional
    assert t_interval(Spread(), min_visits=3).mean is None


def test_a_percent_interval_is_clipped_to_0_and_100() -> None:
    interval = t_interval(Spread.of([99.0, 100.0, 60.0]))
    unclipped_high = stats.t.interval(0.95, 2, loc=np.mean([99, 100, 60]), scale=stats.sem([99, 100, 60]))[1]
    assert unclipped_high > 100 and interval.high == 100.0


def test_welch_is_scipys_unequal_variance_t_test() -> None:
    first, second = [80.0, 85.5, 90.0, 78.0], [60.0, 75.0, 70.5, 66.0, 72.0, 58.0]
    expected = stats.ttest_ind(first, second, equal_var=False)
    found = welch(Spread.of(first), Spread.of(second))
    assert found.p_value == pytest.approx(expected.pvalue)
    assert found.diff == pytest.approx(np.mean(first) - np.mean(second))
    ci = expected.confidence_interval(0.95)
    assert (found.low, found.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert found.is_clear


def test_a_difference_within_the_noise_is_not_clear() -> None:
    found = welch(Spread.of([70.0, 90.0, 60.0]), Spread.of([65.0, 85.0, 75.0]))
    assert found.p_value == pytest.approx(stats.ttest_ind([70, 90, 60], [65, 85, 75], equal_var=False).pvalue)
    assert found.p_value > 0.05 and not found.is_clear


def test_welch_cannot_test_one_visit_or_no_spread() -> None:
    assert not welch(Spread.of([70.0]), Spread.of([60.0, 65.0])).testable
    assert not welch(Spread.of([70.0, 70.0]), Spread.of([60.0, 60.0])).testable


@pytest.mark.parametrize(("k", "n"), [(7, 10), (0, 4), (2, 2), (31, 57)])
def test_shares_carry_scipys_wilson_interval(k: int, n: int) -> None:
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    found = wilson(k, n)
    assert found.value == pytest.approx(100 * k / n)
    assert (found.low, found.high) == (pytest.approx(100 * ci.low), pytest.approx(100 * ci.high))


def test_nps_margin_is_196_standard_errors_of_the_answers_scored_plus_one_zero_minus_one() -> None:
    answers = [10, 9, 9, 8, 7, 6, 3, 10, 9, 0, 5, 10]
    scored = np.array([1 if a >= 9 else (-1 if a <= 6 else 0) for a in answers], dtype=float)
    half = stats.norm.ppf(0.975) * scored.std(ddof=0) / math.sqrt(len(answers)) * 100
    found = nps_margin(int((scored == 1).sum()), int((scored == -1).sum()), len(answers))
    assert found.value == pytest.approx(scored.mean() * 100)
    assert found.margin == pytest.approx(half)
    assert found.n == 12


def test_two_promoters_give_nps_100_with_no_spread_and_two_answers() -> None:
    found = nps_margin(2, 0, 2)
    assert found.value == 100 and found.n == 2 and found.high == 100


def _row(i: int, store: int, shopper: int, percent: float, day: int = 0) -> VisitRow:
    return VisitRow(i, i, store, shopper, datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=day), percent)


def test_shopper_effects_in_a_complete_design_are_the_shopper_means_less_the_grand_mean() -> None:
    # Three shoppers each visited the same four stores once: the two-way layout without replication, whose
    # least-squares solution and standard errors have closed forms.
    table = np.array([[70.0, 78.0, 66.0], [82.0, 91.0, 80.0], [55.0, 64.0, 57.0], [73.0, 75.0, 69.0]])
    stores, shoppers = table.shape
    rows = [_row(i * shoppers + j, 100 + i, 200 + j, float(table[i, j]))
            for i in range(stores) for j in range(shoppers)]
    fit = fit_shopper_effects(rows)
    grand = table.mean()
    residuals = table - table.mean(axis=1, keepdims=True) - table.mean(axis=0, keepdims=True) + grand
    df = (stores - 1) * (shoppers - 1)
    sigma2 = (residuals ** 2).sum() / df
    se = math.sqrt(sigma2 * (shoppers - 1) / (shoppers * stores))
    t = stats.t.ppf(0.975, df)
    assert fit.residual_df == df
    for j in range(shoppers):
        effect = fit.effects[200 + j]
        expected = table[:, j].mean() - grand
        assert effect.effect == pytest.approx(expected)
        assert effect.se == pytest.approx(se)
        assert (effect.low, effect.high) == (pytest.approx(expected - t * se), pytest.approx(expected + t * se))
    assert sum(e.effect for e in fit.effects.values()) == pytest.approx(0)


def test_a_shopper_sharing_no_store_with_another_is_not_comparable() -> None:
    rows = [_row(1, 1, 10, 70.0), _row(2, 1, 11, 80.0), _row(3, 1, 10, 72.0), _row(4, 2, 12, 90.0)]
    fit = fit_shopper_effects(rows)
    assert fit.effects[12].effect is None
    assert fit.effects[10].effect == pytest.approx(-fit.effects[11].effect)


def test_visits_pair_across_shoppers_within_the_window_each_visit_once() -> None:
    rows = [_row(1, 1, 10, 70, day=0), _row(2, 1, 11, 75, day=2), _row(3, 1, 12, 80, day=3),
            _row(4, 1, 10, 60, day=30), _row(5, 2, 10, 50, day=0), _row(6, 2, 10, 55, day=1)]
    pairs = pair_visits(rows, timedelta(days=7))
    assert [(a.visit_id, b.visit_id) for a, b in pairs] == [(2, 3)]


def _hand_nominal_alpha(first: list[float], second: list[float]) -> float:
    """Krippendorff's alpha for two coders and nominal values from the coincidence matrix, by hand."""
    values = sorted(set(first) | set(second))
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for a, b in zip(first, second):  # each unit has two values, so each ordered pair counts 1 / (2 - 1)
        o[index[a], index[b]] += 1
        o[index[b], index[a]] += 1
    n_c = o.sum(axis=1)
    n = n_c.sum()
    observed = o.sum() - np.trace(o)
    expected = (n * n - (n_c ** 2).sum()) / (n - 1)
    return 1 - observed / expected


def _hand_interval_alpha(first: list[float], second: list[float]) -> float:
    pooled = np.array(first + second)
    n = len(pooled)
    d_o = sum((a - b) ** 2 for a, b in zip(first, second)) * 2 / n
    d_e = sum((x - y) ** 2 for x in pooled for y in pooled) / (n * (n - 1))
    return 1 - d_o / d_e


def test_krippendorff_alpha_matches_the_coincidence_matrix_by_hand() -> None:
    first = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    second = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    assert krippendorff_alpha(first, second, "nominal") == pytest.approx(_hand_nominal_alpha(first, second))
    scales = [4.0, 5.0, 2.0, 3.0, 4.0]
    others = [4.0, 4.0, 1.0, 3.0, 5.0]
    assert krippendorff_alpha(scales, others, "interval") == pytest.approx(_hand_interval_alpha(scales, others))


def test_alpha_is_not_given_for_one_pair_or_answers_all_alike() -> None:
    assert krippendorff_alpha([1.0], [0.0], "nominal") is None
    assert krippendorff_alpha([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], "nominal") is None
    assert krippendorff_alpha([1.0, None, 0.0], [1.0, 0.0, None], "nominal") is None  # one pair both answered


def _line(latest: float | None, previous: float | None, noise: float | None) -> "object":
    from fractions import Fraction

    from audit_app.services.scores.dashboard import StoreLine

    as_fraction = (lambda v: None if v is None else Fraction(v))
    return StoreLine(1, "S1", "Ginza", 1, "Tokyo Central", as_fraction(latest), None, None, None,
                     as_fraction(previous), None, None, None, 0, 0, 0, (), visit_noise=noise)


def test_the_noise_of_a_visit_to_visit_change_is_t_times_the_spread_times_root_two() -> None:
    from audit_app.services.scores.dashboard import visit_noise

    expected = stats.t.ppf(0.975, len(SCORES) - 1) * np.std(SCORES, ddof=1) * math.sqrt(2)
    assert visit_noise(Spread.of(SCORES)) == pytest.approx(expected)
    assert visit_noise(Spread.of([80.0])) is None  # one visit: no spread to measure
    assert visit_noise(Spread.of([0.0, 100.0])) == 100.0  # two percents never differ by more than 100 points


@pytest.mark.parametrize(("latest", "previous", "noise", "within"), [
    (90.0, 70.0, 10.0, False),  # 20 points against 10 of noise: a movement
    (70.0, 90.0, 10.0, False),
    (90.0, 80.0, 10.0, True),  # exactly the noise: not larger than it
    (90.0, 85.0, 10.0, True),
    (90.0, 70.0, None, True),  # too few visits to tell: never shown as a movement
])
def test_a_change_since_the_previous_visit_is_a_movement_only_beyond_the_noise(
        latest: float, previous: float, noise: float | None, within: bool) -> None:
    assert _line(latest, previous, noise).change_visit_within_noise is within


def test_a_store_without_a_previous_visit_has_no_change_to_judge() -> None:
    assert _line(90.0, None, 10.0).change_visit_within_noise is False


def test_shopper_effects_shrink_toward_zero_by_the_method_of_moments() -> None:
    # The complete design above: every effect has the same standard error, so τ² is the effects' mean square
    # less that error's square, and each effect keeps τ² / (τ² + se²) of itself.
    table = np.array([[70.0, 88.0, 60.0], [82.0, 99.0, 71.0], [55.0, 74.0, 47.0], [73.0, 85.0, 62.0]])
    stores, shoppers = table.shape
    rows = [_row(i * shoppers + j, 100 + i, 200 + j, float(table[i, j]))
            for i in range(stores) for j in range(shoppers)]
    fit = fit_shopper_effects(rows)
    raw = table.mean(axis=0) - table.mean()
    se = fit.effects[200].se
    tau2 = max(0.0, float(np.mean(raw ** 2)) - se ** 2)
    weight = tau2 / (tau2 + se ** 2)
    assert 0 < weight < 1
    assert fit.prior_sd == pytest.approx(math.sqrt(tau2))
    t = stats.t.ppf(0.975, (stores - 1) * (shoppers - 1))
    for j in range(shoppers):
        effect = fit.effects[200 + j]
        assert effect.effect == pytest.approx(raw[j])  # the least-squares effect is kept beside
        assert effect.weight == pytest.approx(weight)
        assert effect.shrunk == pytest.approx(weight * raw[j])
        half = t * se * math.sqrt(weight)
        assert (effect.shrunk_low, effect.shrunk_high) == (pytest.approx(weight * raw[j] - half),
                                                           pytest.approx(weight * raw[j] + half))


def test_effects_that_spread_no_more_than_their_errors_shrink_to_zero_and_adjust_nothing() -> None:
    # Two shoppers who agree but for noise: the effects' spread is smaller than their standard errors.
    table = np.array([[70.0, 71.0], [80.0, 78.0], [60.0, 62.0], [90.0, 89.0]])
    rows = [_row(i * 2 + j, 100 + i, 200 + j, float(table[i, j])) for i in range(4) for j in range(2)]
    fit = fit_shopper_effects(rows)
    assert fit.prior_sd == 0.0
    assert all(e.shrunk == 0.0 and not e.is_applied for e in fit.effects.values())
    by_store = {i: [r for r in rows if r.store_id == 100 + i] for i in range(4)}
    for visits in by_store.values():
        mean, adjusted, why = calibrate_store(visits, fit)
        assert mean == pytest.approx(np.mean([v.percent for v in visits]))
        assert (adjusted, why) == (0, "no_clear_effect")


def test_a_store_only_one_shopper_visited_is_never_adjusted() -> None:
    # Shopper 10 is clearly lenient at the shared stores; store 3 saw only shopper 10.
    rows = [_row(n, store, shopper, percent) for n, (store, shopper, percent) in enumerate([
        (1, 10, 90.0), (1, 11, 60.0), (1, 10, 91.0), (1, 11, 61.0),
        (2, 10, 80.0), (2, 11, 50.0), (2, 10, 79.0), (2, 11, 51.0),
        (3, 10, 95.0), (3, 10, 94.0)])]
    fit = fit_shopper_effects(rows)
    assert fit.effects[10].is_applied and fit.effects[10].shrunk > 10
    alone = [r for r in rows if r.store_id == 3]
    assert calibrate_store(alone, fit) == (pytest.approx(94.5), 0, "one_shopper")
    shared = [r for r in rows if r.store_id == 1]
    mean, adjusted, why = calibrate_store(shared, fit)
    shrunk = {k: fit.effects[k].shrunk for k in (10, 11)}
    assert (adjusted, why) == (4, None)
    assert mean == pytest.approx(np.mean([r.percent - shrunk[r.shopper_id] for r in shared]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(10, 13), st.floats(0, 100)), min_size=4, max_size=30))
def test_shrinking_never_grows_or_flips_an_effect_and_adjusts_only_distinguishable_ones(
        visits: list[tuple[int, int, float]]) -> None:
    rows = [_row(n, store, shopper, percent) for n, (store, shopper, percent) in enumerate(visits)]
    fit = fit_shopper_effects(rows)
    for e in fit.effects.values():
        if e.shrunk is None:
            assert not e.is_applied
            continue
        assert 0 <= e.weight <= 1
        assert abs(e.shrunk) <= abs(e.effect) + 1e-9
        assert e.shrunk * e.effect >= -1e-12  # same sign (or zero)
        assert e.shrunk_high - e.shrunk_low <= e.high - e.low + 1e-9  # never less sure than the raw estimate
    for store in {r.store_id for r in rows}:
        mine = [r for r in rows if r.store_id == store]
        mean, adjusted, why = calibrate_store(mine, fit)
        raw = float(np.mean([r.percent for r in mine]))
        if why in ("one_shopper", "no_clear_effect"):
            assert mean == pytest.approx(raw) and adjusted == 0
        if len({r.shopper_id for r in mine}) == 1 and why != "not_comparable":
            assert why == "one_shopper"
        if why is None:
            assert adjusted == sum(1 for r in mine if fit.effects[r.shopper_id].is_applied) > 0
            expected = np.mean([r.percent - (fit.effects[r.shopper_id].shrunk if fit.effects[r.shopper_id].is_applied
                                             else 0.0) for r in mine])
            assert mean == pytest.approx(float(expected))
