"""Rounding for display: the only place in the scoring package where exact values become rounded ones."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from .schema import exact_fraction


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


def format_percent(percent: Fraction | float | int | None, places: int = 1) -> str:
    """Show a percent (0..100) with one decimal place, rounded half up: "87.5"; "—" when there is none.

    Exact values are rounded exactly; a float is read as written (87.25 is 87.25, never 87.2499...). No "%" sign
    is added, so the caller decides how a percent is labelled (a column header, a chart axis).
    """
    if percent is None:
        return "—"
    return str(round_half_up(exact_fraction(percent), places))


def format_change(change: Fraction | float | int | None, minus: str = "\u2212") -> str:
    """A change in percentage points with its sign, one decimal place half up: "+2.5", "−1.0" (`minus` is the
    sign shown for a fall), "±0.0" for no change; "—" when there is none."""
    if change is None:
        return "—"
    shown = format_percent(change)
    if shown in ("0.0", "-0.0"):
        return "±0.0"
    return minus + shown[1:] if shown.startswith("-") else f"+{shown}"
