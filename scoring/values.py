"""Values as a checklist author writes them: exact numbers (`exact_fraction`, `number_to_data`), dates and times
of day as text, and `describe`, which names any value the way the author would see it in their file."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from .errors import N_, Word

_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?[0-9]+/[0-9]+")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_TEXT = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_LARGEST_EXPONENT = 300
_LONGEST_NUMBER_TEXT = 400


def describe(value: object) -> str:
    """Name a value the way a head-office user would see it in their file (`'abc'`, `12`, `true`, `a list`)."""
    if value is None:
        return Word(N_("nothing"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, Fraction):
        return str(number_to_data(value))
    if isinstance(value, Mapping):
        return Word(N_("a mapping"))
    if isinstance(value, (list, tuple, set, frozenset)):
        return Word(N_("a list"))
    return f"a {type(value).__name__}"


def exact_fraction(value: object) -> Fraction:
    """Read a number exactly: int, Fraction, Decimal, float (as written: 0.1 is one tenth) or numeric text.

    Numeric text may be an integer, a decimal (`"2.5"`, `"1e3"`) or a fraction (`"1/3"`). Booleans, NaN,
    infinities and absurd sizes (beyond 300 digits either side of the point) are not numbers here. Raises
    ValueError with a plain message.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {describe(value)}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    decimal: Decimal | None = None
    if isinstance(value, float):
        if math.isfinite(value):
            # repr gives the shortest text that reads back as this float, i.e. what the author wrote.
            decimal = Decimal(repr(value))
    elif isinstance(value, Decimal):
        decimal = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= _LONGEST_NUMBER_TEXT:
            return Fraction(int(text))
        if _NUMBER_TEXT.fullmatch(text) and len(text) <= _LONGEST_NUMBER_TEXT:
            if "/" not in text:
                decimal = Decimal(text)
            elif not re.fullmatch(r"[+-]?[0-9]+/0+", text):
                return Fraction(text)
    if decimal is not None and decimal.is_finite():
        exponent = decimal.as_tuple().exponent
        # Building the exact ratio of 1e999999999 would take the worker down with it.
        if isinstance(exponent, int) and -_LARGEST_EXPONENT <= exponent <= _LARGEST_EXPONENT:
            # Through Decimal: exact, and twice as fast as Fraction's own text parser.
            return Fraction(*decimal.as_integer_ratio())
        raise ValueError(f"{describe(value)} is too large or too precise to be read as a number")
    raise ValueError(f'expected a number (like 3, 0.25 or "1/3"), got {describe(value)}')


def number_to_data(value: Fraction) -> int | str:
    """Write a Fraction as JSON-ready data that reads back exactly: an int, a decimal string, or "n/d"."""
    if value.denominator == 1:
        return value.numerator
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    digits = str(abs(value.numerator) * 10**places // value.denominator).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def is_date_text(value: str) -> bool:
    """True for a real calendar date written `YYYY-MM-DD`."""
    if not _DATE_TEXT.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_time_text(value: str) -> bool:
    """True for a time of day written `HH:MM` (24-hour clock, two digits each)."""
    return _TIME_TEXT.fullmatch(value) is not None
