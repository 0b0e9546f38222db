"""Form fields shared by every form of the app."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField as _DateField
from wtforms import IntegerField as _IntegerField

# The years a date typed into a form may fall in: pages add days to the dates they are given (an end day is
# taken as up to the next midnight), and a year past 9999 is no date at all.
MIN_YEAR, MAX_YEAR = 1900, 2199

# Longer than any number a form takes (ids, pages, days, weights): refused before it reaches a validator, whose
# float comparison cannot take a number of hundreds of digits.
MAX_DIGITS = 18


class IntegerField(_IntegerField):
    """wtforms' IntegerField, refusing (as not a number) one of more than MAX_DIGITS digits."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str) and len(valuelist[0].strip().lstrip("+-")) > MAX_DIGITS:
            self.data = None
            raise ValueError(_l("Enter a whole number of at most %(digits)s digits.", digits=MAX_DIGITS))
        super().process_formdata(valuelist)


class DateField(_DateField):
    """wtforms' DateField, refusing a date outside MIN_YEAR..MAX_YEAR with a message beside the field (what was
    typed stays in it)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not MIN_YEAR <= self.data.year <= MAX_YEAR:
            self.data = None
            raise ValueError(_l("Enter a date between %(first)s and %(last)s.", first=MIN_YEAR, last=MAX_YEAR))
