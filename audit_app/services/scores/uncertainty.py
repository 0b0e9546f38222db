"""How sure a figure is: confidence intervals of means, margins of KPIs and whether two means really differ.

Means of visit percents carry a 95 % **t-interval**: mean ± t(0.975, n − 1) × s / √n, with s the sample standard
deviation of the visit percents (n − 1 in its denominator). It needs two visits at least; the spread comes from the
count, the sum and the sum of squares, which the database adds up (`facts.percent_sums`), so no page reloads every
visit to get it. Two means are compared with **Welch's t-test** (unequal variances, Welch–Satterthwaite degrees of
freedom); a difference is "larger than the noise" when its two-sided p-value is below 0.05, i.e. when the 95 %
interval of the difference leaves out zero. Shares (CSAT, greetings within target, first-contact resolution) carry
a 95 % **Wilson score interval**; NPS its margin of error (1.96 standard errors of the mean of +1 promoter,
0 passive, −1 detractor, in points).

Figures are floats here (display precision is one decimal); the exact means the pages show come from `facts`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

LEVEL = 0.95
Z = 1.959963984540054  # the standard normal's 97.5th percentile
DEFAULT_MIN_VISITS = 3


@dataclass(frozen=True)
class Spread:
    """What an interval is computed from: the number of values, their sum and their sum of squares."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> "Spread":
        return Spread(self.n + 1, self.total + value, self.squares + value * value)

    def merge(self, other: "Spread") -> "Spread":
        return Spread(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @classmethod
    def of(cls, values: Iterable[float | None]) -> "Spread":
        """The spread of the values (None skipped): what `add` gives one by one, the same floats in the same
        order, without a new Spread per value (a region's dashboard takes some 36,000)."""
        n, total, squares = 0, 0.0, 0.0
        for value in values:
            if value is not None:
                number = float(value)
                n += 1
                total += number
                squares += number * number
        return cls(n, total, squares)

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """The sample variance (n − 1 in the denominator); None below two values."""
        if self.n < 2:
            return None
        mean = self.total / self.n
        # Sums of squares lose a little to rounding: never below zero.
        return max(0.0, (self.squares - self.n * mean * mean) / (self.n - 1))


@dataclass(frozen=True)
class Interval:
    """A mean of `n` values with its 95 % t-interval (`low`, `high`: None below two values), and whether it rests
    on fewer values than the programme's minimum (`provisional`)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None
    sd: float | None
    provisional: bool

    @property
    def margin(self) -> float | None:
        """The "±" figure: the larger distance from the mean to an end of the interval (an interval clipped at
        0 or 100 is not symmetric)."""
        if self.low is None or self.high is None or self.mean is None:
            return None
        return max(self.mean - self.low, self.high - self.mean)


NO_INTERVAL = Interval(0, None, None, None, None, True)


@cache
def _special() -> Any:
    # Student's t from scipy.special: the same values as scipy.stats.t at a tenth of the cost per call (a region's
    # dashboard asks for two per store), imported on the first page that needs it, not at start-up.
    from scipy import special

    return special


@lru_cache(maxsize=4096)  # whole degrees of freedom repeat on every page; Welch's fractional ones rarely do
def t_quantile(df: float) -> float:
    """t(0.975, df): the multiplier of the standard error in a 95 % interval."""
    return float(_special().stdtrit(df, 1 - (1 - LEVEL) / 2))


def t_two_sided_p(t: float, df: float) -> float:
    """The two-sided p-value of a t statistic with `df` degrees of freedom."""
    return float(2 * _special().stdtr(df, -abs(t)))


PERCENT_BOUNDS = (0.0, 100.0)


def t_interval(spread: Spread, min_visits: int = DEFAULT_MIN_VISITS,
               bounds: tuple[float, float] | None = PERCENT_BOUNDS) -> Interval:
    """The mean of the values summed in `spread` with its 95 % t-interval, clipped to `bounds` (a visit percent
    cannot leave 0..100, so neither can the range of its mean); provisional below `min_visits`."""
    mean = spread.mean
    variance = spread.variance
    if mean is None:
        return NO_INTERVAL
    if variance is None:
        return Interval(spread.n, mean, None, None, None, spread.n < min_visits)
    margin = t_quantile(spread.n - 1) * math.sqrt(variance / spread.n)
    low, high = mean - margin, mean + margin
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Interval(spread.n, mean, low, high, math.sqrt(variance), spread.n < min_visits)


@dataclass(frozen=True)
class Difference:
    """Welch's t-test of two means: `diff` = first − second, its 95 % interval, the two-sided p-value and whether
    the difference is larger than the noise (p < 0.05). `testable` is False when either side has fewer than two
    values or neither varies (then nothing can be said)."""

    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None
    df: float | None
    testable: bool

    @property
    def is_clear(self) -> bool:
        return self.testable and self.p_value is not None and self.p_value < 1 - LEVEL


UNTESTABLE = Difference(None, None, None, None, None, False)


def welch(first: Spread, second: Spread) -> Difference:
    """Welch's unequal-variances t-test of first.mean − second.mean (see `Difference`)."""
    if first.n < 2 or second.n < 2:
        diff = (first.mean - second.mean) if first.mean is not None and second.mean is not None else None
        return Difference(diff, None, None, None, None, False)
    v1 = first.variance / first.n  # type: ignore[operator]
    v2 = second.variance / second.n  # type: ignore[operator]
    diff = first.mean - second.mean  # type: ignore[operator]
    se2 = v1 + v2
    if se2 <= 0:
        return Difference(diff, None, None, None, None, False)
    df = se2 * se2 / (v1 * v1 / (first.n - 1) + v2 * v2 / (second.n - 1))
    t = diff / math.sqrt(se2)
    p = t_two_sided_p(t, df)
    margin = t_quantile(df) * math.sqrt(se2)
    return Difference(diff, diff - margin, diff + margin, p, df, True)


def visit_noise(spread: Spread) -> float | None:
    """The 95 % margin of the difference of two single visits whose scores vary as `spread`'s do:
    t(0.975, n − 1) × s × √2, in points, at most 100 (two percents cannot differ by more); None below two visits
    (no spread to measure)."""
    variance = spread.variance
    if variance is None:
        return None
    return min(100.0, t_quantile(spread.n - 1) * math.sqrt(2 * variance))


def change_within_noise(change: Any, noise: float | None) -> bool:
    """A change since the previous visit (None: there is none) is within the noise: no larger than `noise`
    (`visit_noise`), or there is no noise figure to tell it from chance."""
    return change is not None and (noise is None or abs(float(change)) <= noise)


@dataclass(frozen=True)
class Margin:
    """A KPI's value with its 95 % interval (`low`..`high`, in the KPI's own unit) from `n` answers."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def margin(self) -> float | None:
        """The "±" figure: the larger distance from the value to an end of the interval (clipped intervals and
        Wilson intervals are not symmetric)."""
        if self.low is None or self.high is None or self.value is None:
            return None
        return max(self.value - self.low, self.high - self.value)


def wilson(successes: int, n: int) -> Margin:
    """A share in percent (0..100) with its 95 % Wilson score interval."""
    if n <= 0:
        return Margin(None, None, None, 0)
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return Margin(100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half), n)


def nps_margin(promoters: int, detractors: int, n: int) -> Margin:
    """NPS in points (−100..100) with its margin of error: 1.96 standard errors of the mean of the answers
    scored +1 (promoter), 0 (passive), −1 (detractor), clipped to −100..100. With every answer alike the margin
    is 0 by this formula, which says nothing for few answers: read it beside the number of answers."""
    if n <= 0:
        return Margin(None, None, None, 0)
    mean = (promoters - detractors) / n
    variance = max(0.0, (promoters + detractors) / n - mean * mean)
    half = Z * math.sqrt(variance / n)
    return Margin(100 * mean, 100 * max(-1.0, mean - half), 100 * min(1.0, mean + half), n)


def mean_margin(values: Iterable[float], bounds: tuple[float, float] | None = None) -> Margin:
    """A mean KPI (customer effort, waits) with its 95 % t-interval, clipped to `bounds` when given."""
    interval = t_interval(Spread.of(values), bounds=bounds)
    return Margin(interval.mean, interval.low, interval.high, interval.n)
