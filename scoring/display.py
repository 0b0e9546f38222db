"""Rounding for display: the only place in the scoring package where exact values become rounded ones."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction, places: int = 1) -> Decimal:
    """Round an exact value to `places` decimal places, halves away from zero (87.25 -> 87.3, -0.25 -> -0.3).

    Exact: the rounding is done on integers, never through a float. Returns a Decimal with exactly `places`
    digits after the point; a result of zero is never negative. Raises ValueError when `places` is negative.
    """
    if places < 0:
        raise ValueError("places must be 0 or more")
    value = Fraction(value)
    scaled, remainder = divmod(abs(value.numerator) * 10**places, value.denominator)
    if 2 * remainder >= value.denominator:
        scaled += 1
    sign = -1 if value < 0 and scaled else 1
    return Decimal(sign * scaled).scaleb(-places)


def format_percent(percent: Fraction | None, places: int = 1) -> str:
    """Show a percent (0..100, exact) with one decimal place, rounded half up: "87.5"; "—" when there is none.

    No "%" sign is added, so the caller decides how a percent is labelled (a column header, a chart axis).
    """
    if percent is None:
        return "—"
    return str(round_half_up(percent, places))
