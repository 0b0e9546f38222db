"""`show_if` values read against the question they name: which answer a value stands for, or why none can."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import N_, Phrase, PhraseError, phrase
from .values import describe, exact_fraction, is_date_text, is_time_text

if TYPE_CHECKING:
    from .schema import Question

_BANDED = frozenset({"number", "duration"})
# What a text, date or time question's answers look like, for the message when a value cannot be one.
_ANSWERS_ARE = {
    "text": N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are text"),
    "date": N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are a date written "
               "YYYY-MM-DD"),
    "time": N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are a time written HH:MM"),
}


def show_if_answer(target: Question, value: str | int) -> object:
    """The answer to `target` that a show_if value stands for, in the form `score` normalises answers to.

    Numbers come back as Fraction for number/duration, int for scale/nps. Raises PhraseError, a ValueError in
    plain words, when no answer to `target` could ever equal `value`.
    """
    qtype = target.type

    def never(message_id: str, **more: object) -> PhraseError:
        return PhraseError(_about(message_id, target, value, **more))

    if qtype == "yes_no":
        if value in ("yes", "no"):
            return value
        raise never(N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are yes or no"))
    if qtype in ("scale", "nps"):
        low, high = (target.min, target.max) if qtype == "scale" else (0, 10)
        if isinstance(value, int) and low is not None and high is not None and low <= value <= high:
            return value
        raise never(N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are whole numbers "
                       "from %(low)s to %(high)s"), low=low, high=high)
    if qtype in ("choice", "multi"):
        keys = [option.key for option in target.options]
        if value in keys:
            return value
        raise never(N_("%(value)s is not an option of %(qtype)s question %(key)s (options: %(options)s)"),
                    options=", ".join(keys))
    if qtype in _BANDED:
        try:
            number = exact_fraction(value)
        except ValueError:
            raise never(N_("%(value)s can never be the answer to %(qtype)s question %(key)s: answers are "
                           "numbers")) from None
        if qtype == "duration" and number < 0:
            raise never(N_("%(value)s can never be the answer to %(qtype)s question %(key)s: durations are never "
                           "negative"))
        return number
    if qtype == "text" and isinstance(value, str):
        return value
    if qtype == "date" and isinstance(value, str) and is_date_text(value):
        return value
    if qtype == "time" and isinstance(value, str) and is_time_text(value):
        return value
    if qtype == "photo":
        raise never(N_("show_if cannot depend on %(qtype)s question %(key)s: a photo has no value to compare"))
    if qtype == "note":
        raise never(N_("show_if cannot depend on note %(key)s: a note takes no answer"))
    raise never(_ANSWERS_ARE[qtype])


def _about(message_id: str, target: Question, value: str | int, **more: object) -> Phrase:
    return phrase(message_id, value=describe(value), qtype=target.type, key=repr(target.key), **more)
