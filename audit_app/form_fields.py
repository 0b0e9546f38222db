"""Form fields shared by every form of the app."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField as _IntegerField

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
