"""The one checklist schema: frozen pydantic models, validation with plain-English problems, and plain data out.

Every checklist (a shipped YAML file, an editor draft, a stored version) goes through `parse_checklist`, which
reports every problem at once, each a `Problem` with its message id and parameters beside its English.
`checklist_to_data` writes a checklist back as JSON-ready data with every default resolved, so a stored version
keeps its meaning even if a default changes later. What the models are made of lives beside this module: values
as written (values.py), translatable text (text.py), show_if values (show_if.py) and the checks that need the
whole checklist (checks.py); `describe`, `exact_fraction`, `number_to_data` and `Text` are still importable from
here.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Annotated, Any, Final, Literal, NoReturn, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.functional_serializers import PlainSerializer
from pydantic.functional_validators import ModelWrapValidatorHandler, PlainValidator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .checks import Outline, QuestionOutline, SectionOutline, cross_problems
from .errors import N_, ChecklistError, Phrase, PhraseError, Problem, Word, phrase, problem_path
from .text import Text
from .values import describe, exact_fraction, number_to_data

QuestionType = Literal[
    "yes_no", "scale", "choice", "multi", "number", "duration", "nps", "text", "photo", "date", "time", "note"
]
Channel = Literal["in_store", "online", "phone", "chat", "email", "social", "app", "returns"]
Method = Literal["weighted_sections", "points"]
Effect = Literal["zero_section", "zero_visit", "cap"]
Kpi = Literal["csat", "ces", "nps", "fcr", "greeting_time", "queue_wait", "response_time", "hold_time"]
YesNo = Literal["yes", "no"]
Audience = Literal["all", "head_office"]
Priority = Literal["low", "medium", "high", "critical"]
Assignee = Literal["store_manager", "area_manager"]

QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
CHANNELS: tuple[str, ...] = get_args(Channel)
METHODS: tuple[str, ...] = get_args(Method)
EFFECTS: tuple[str, ...] = get_args(Effect)
KPIS: tuple[str, ...] = get_args(Kpi)
AUDIENCES: tuple[str, ...] = get_args(Audience)
PRIORITIES: tuple[str, ...] = get_args(Priority)
ASSIGNEES: tuple[str, ...] = get_args(Assignee)
# A corrective action may be due at most this many days after the visit.
MAX_DUE_DAYS = 365

# Types that earn points unless given weight 0; number/duration join them when they have bands.
_SCORED_BY_DEFAULT = frozenset({"yes_no", "scale", "choice", "multi"})
_BANDED = frozenset({"number", "duration"})

# Fields that only make sense for some types, and the types that cannot do without them.
_USED_BY: dict[str, tuple[str, ...]] = {
    "options": ("choice", "multi"),
    "bands": ("number", "duration"),
    "min": ("scale",),
    "max": ("scale",),
    "min_label": ("scale",),
    "max_label": ("scale",),
    "good": ("yes_no",),
    "unit": ("number",),
}
_NEEDED_BY: dict[str, tuple[str, ...]] = {"options": ("choice", "multi"), "min": ("scale",), "max": ("scale",)}

_KPI_TYPES: dict[str, str] = {
    "csat": "scale",
    "ces": "scale",
    "nps": "nps",
    "fcr": "yes_no",
    "greeting_time": "duration",
    "queue_wait": "duration",
    "response_time": "duration",
    "hold_time": "duration",
}

_KEY = re.compile(r"[a-z][a-z0-9_]*")


# ---------------------------------------------------------------------------------------------------------------
# Problems inside pydantic's errors


def _said(worded: Phrase) -> PydanticCustomError:
    # The English goes in as context so braces in user text are never read as a template; the phrase rides along.
    return PydanticCustomError("checklist", "{message}", {"message": str(worded), "phrase": worded})


def _problem(message_id: str, /, **params: object) -> PydanticCustomError:
    return _said(phrase(message_id, **params))


def _raise_at(errors: Sequence[tuple[tuple[str | int, ...], Phrase]], title: str) -> NoReturn:
    """Raise several problems from one validator, each at its own place below the validated value."""
    raise ValidationError.from_exception_data(
        title, [InitErrorDetails(type=_said(worded), loc=loc, input=None) for loc, worded in errors]
    )


def _phrase_of(error: Mapping[str, Any]) -> Phrase:
    """The phrase of one of pydantic's errors: ours carry it, pydantic's own are their English text."""
    context = error.get("ctx") or {}
    return context["phrase"] if "phrase" in context else phrase(str(error["msg"]))


def _validate_text(value: object) -> Text:
    try:
        return Text(value)  # type: ignore[arg-type]
    except PhraseError as err:
        raise _said(err.phrase) from None


# ---------------------------------------------------------------------------------------------------------------
# Field types with plain-English errors


# How precise a number a new checklist may carry: at most 4 decimal places, or a fraction over at most 100.
# Scoring sums weights times fractions over one shared denominator; unbounded precision lets that denominator
# grow as the product of every weight's, and a visit cost seconds. Stored versions are read without the bound
# (see `parse_checklist`), so what was published before it still scores.
DECIMAL_PLACES: Final = 4
LARGEST_DENOMINATOR: Final = 100
# The most steps (max − min) a scale may have: a scale's points are prepared per step.
SCALE_STEPS: Final = 1000


def is_stored(info: ValidationInfo) -> bool:
    """Whether this validation reads back a stored version (no bounds on precision) rather than new data."""
    return bool(info.context and info.context.get("stored"))


def _precise_enough(number: Fraction) -> bool:
    denominator = number.denominator
    return denominator <= LARGEST_DENOMINATOR or 10**DECIMAL_PLACES % denominator == 0


def _number(
    what: Word, low: Fraction | None = None, high: Fraction | None = None
) -> Callable[[object, ValidationInfo], Fraction]:
    def validate(value: object, info: ValidationInfo) -> Fraction:
        try:
            number = exact_fraction(value)
        except ValueError:
            raise _problem(N_('%(what)s must be a number (like 2, 0.25 or "1/3"), got %(got)s'), what=what,
                           got=describe(value)) from None
        if not _precise_enough(number) and not is_stored(info):
            raise _problem(N_("%(what)s may have at most %(places)s decimal places (or be a fraction like 1/3 over "
                              "at most %(largest)s), got %(got)s"), what=what, places=DECIMAL_PLACES,
                           largest=LARGEST_DENOMINATOR, got=describe(value))
        if low is not None and high is not None and not low <= number <= high:
            raise _problem(N_("%(what)s must be between %(low)s and %(high)s (got %(got)s)"), what=what,
                           low=number_to_data(low), high=number_to_data(high), got=describe(value))
        if low is not None and number < low:
            raise _problem(N_("%(what)s must be at least %(low)s (got %(got)s)"), what=what, low=number_to_data(low),
                           got=describe(value)) if low else \
                _problem(N_("%(what)s must not be negative (got %(got)s)"), what=what, got=describe(value))
        return number

    return validate


def _whole(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _problem(N_("expected a whole number, got %(got)s"), got=describe(value))


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _problem(N_("expected true or false, got %(got)s"), got=describe(value))


def _key(value: object) -> str:
    if isinstance(value, str) and _KEY.fullmatch(value):
        return value
    if isinstance(value, str):
        return _fail(N_("%(value)s is not a valid key: use lower-case letters, digits and _, starting with a letter"),
                     value=repr(value))
    return _fail(N_("a key must be text, got %(got)s"), got=describe(value))


def _option_key(value: object) -> str:
    if isinstance(value, bool):
        # YAML reads a bare yes/no as a boolean; the author meant the word.
        return "yes" if value else "no"
    if isinstance(value, str) and value.strip() == value and value:
        return value
    if isinstance(value, str):
        return _fail(N_("%(value)s is not a valid option key: it must not be empty or start or end with spaces"),
                     value=repr(value))
    return _fail(N_("an option key must be text, got %(got)s (put it in quotes)"), got=describe(value))


def _one_of(unknown: str, allowed: tuple[str, ...]) -> Callable[[object], str]:
    """A validator of one word among `allowed`; `unknown` is the message id for any other value."""

    def validate(value: object) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        return _fail(unknown, value=describe(value), allowed=", ".join(allowed))

    return validate


def _yes_no(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in ("yes", "no"):
        return str(value)
    return _fail(N_("expected yes or no, got %(got)s"), got=describe(value))


def _show_if_value(value: object) -> str | int:
    """Keep a show_if value in a form that survives a JSON round trip; its meaning depends on the target."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int)):
        return value
    try:
        number = exact_fraction(value)
    except ValueError:
        return _fail(N_("a show_if value must be text, a number or yes/no, got %(got)s"), got=describe(value))
    return number_to_data(number)


def _fail(message_id: str, /, **params: object) -> NoReturn:
    raise _problem(message_id, **params)


# model_dump() writes numbers the way checklist_to_data does, so dumps stay JSON-ready and exact.
_AS_DATA = PlainSerializer(number_to_data)

Key = Annotated[str, PlainValidator(_key)]
OptionKey = Annotated[str, PlainValidator(_option_key)]
Weight = Annotated[Fraction, PlainValidator(_number(Word(N_("weight")), low=Fraction(0))), _AS_DATA]
Share = Annotated[Fraction, PlainValidator(_number(Word(N_("fraction")), Fraction(0), Fraction(1))), _AS_DATA]
Bound = Annotated[Fraction, PlainValidator(_number(Word(N_("a band limit")))), _AS_DATA]
Percent = Annotated[Fraction, PlainValidator(_number(Word(N_("a percentage")), Fraction(0), Fraction(100))), _AS_DATA]
Whole = Annotated[int, PlainValidator(_whole)]
Flag = Annotated[bool, PlainValidator(_flag)]
ShowIfValue = Annotated[str | int, PlainValidator(_show_if_value)]
# Text as a field: read with the schema's plain-English problems, written back as plain data.
TextField = Annotated[Text, PlainValidator(_validate_text), PlainSerializer(Text.as_data)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# The models


def _due_days(value: object) -> int:
    days = _whole(value)
    if not 0 <= days <= MAX_DUE_DAYS:
        raise _problem(N_("`due_in_days` must be from 0 to %(most)s days, got %(got)s"), most=MAX_DUE_DAYS, got=days)
    return days


class ActionRule(_Model):
    """What a failure creates: a corrective action with a priority, due `due_in_days` after the visit, assigned to
    the store's manager or its area manager, with a title and guidance (the question's text when no title is
    given), and whether resolving it needs an evidence photo. `create: false` turns the default off (a critical
    question creates an action when it fails unless it says so)."""

    create: Flag = True
    priority: Annotated[Priority, PlainValidator(_one_of(N_("unknown priority %(value)s (expected one of: %(allowed)s)"),
                                                         PRIORITIES))] = "medium"
    due_in_days: Annotated[int, PlainValidator(_due_days)] = 7
    assignee: Annotated[Assignee, PlainValidator(_one_of(N_("unknown assignee %(value)s (expected one of: %(allowed)s)"),
                                                         ASSIGNEES))] = "store_manager"
    title: TextField | None = None
    guidance: TextField | None = None
    evidence: Flag = False


# What a critical failure creates when its question names no rule.
DEFAULT_CRITICAL_ACTION = ActionRule(priority="critical", due_in_days=3, assignee="store_manager")


class Option(_Model):
    """One option of a choice or multi question; `fraction` (0..1) of the question's points when chosen, and
    the action choosing it creates (an option earning full points cannot have one)."""

    key: OptionKey
    text: TextField
    fraction: Share = Fraction(0)
    action: ActionRule | None = None

    @model_validator(mode="after")
    def _action_needs_a_failure(self) -> Option:
        if self.action is not None and self.action.create and self.fraction == 1:
            _raise_at([(("action",), phrase(N_("an option that earns full points cannot create an action")))],
                      "Option")
        return self


class Band(_Model):
    """A number/duration band: `max` matches values <= max, `min` values >= min, neither matches everything.

    A question's bands may mix `max` and `min` in any order; the first that matches a value gives its fraction.
    """

    min: Bound | None = None
    max: Bound | None = None
    fraction: Share
    action: ActionRule | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Band:
        if self.min is not None and self.max is not None:
            _raise_at([(("min",), phrase(N_("a band has either `max` or `min`, not both")))], "Band")
        if self.action is not None and self.action.create and self.fraction == 1:
            _raise_at([(("action",), phrase(N_("a band that earns full points cannot create an action")))], "Band")
        return self

    def matches(self, value: Fraction) -> bool:
        """Whether `value` falls in this band (bounds are inclusive)."""
        if self.max is not None:
            return value <= self.max
        if self.min is not None:
            return value >= self.min
        return True


class Critical(_Model):
    """What a failed critical question does: zero its section, zero the visit, or cap the visit at `cap` percent."""

    effect: Annotated[Effect, PlainValidator(_one_of(N_("unknown critical effect %(value)s (expected one of: %(allowed)s)"), EFFECTS))]
    cap: Percent | None = None

    @model_validator(mode="after")
    def _cap_goes_with_effect(self) -> Critical:
        if self.effect == "cap" and self.cap is None:
            _raise_at([(("cap",), phrase(N_("a critical with `effect: cap` needs `cap: P` (a percentage)")))], "Critical")
        if self.effect != "cap" and self.cap is not None:
            _raise_at([(("cap",), phrase(N_("`cap` only goes with `effect: cap` (this effect is %(effect)s)"),
                                        effect=self.effect))], "Critical")
        return self


class ShowIf(_Model):
    """Show a question only when an earlier question's answer equals `equals` or is one of `in`."""

    question: Key
    equals: ShowIfValue | None = None
    in_: tuple[ShowIfValue, ...] | None = Field(default=None, alias="in")

    @model_validator(mode="before")
    @classmethod
    def _equals_or_in(cls, data: object) -> object:
        if isinstance(data, Mapping):
            if "equals" in data and "in" in data:
                raise _problem(N_("show_if takes `equals` or `in`, not both"))
            if "equals" not in data and "in" not in data:
                raise _problem(N_("show_if needs `equals: value` or `in: [values]`"))
            if "equals" in data and data["equals"] is None:
                raise _problem(N_("`equals` needs a value"))
            if "in" in data and not data["in"]:
                raise _problem(N_("`in` needs at least one value"))
        return data

    @property
    def values(self) -> tuple[str | int, ...]:
        """The answers that show the question (one for `equals`)."""
        if self.in_ is not None:
            return self.in_
        # Checked: narrows the type; the validator requires equals or in.
        assert self.equals is not None  # nosec B101
        return (self.equals,)


class Question(_Model):
    """One question. Defaults are resolved at validation: `weight`, `required` and `good` are never None.

    `weight` defaults to 1 for yes_no/scale/choice/multi and for number/duration with bands, else 0; notes have
    weight 0 and are never required. `options` and `bands` are empty tuples on types that do not use them.
    """

    key: Key
    type: Annotated[QuestionType, PlainValidator(_one_of(N_("unknown question type %(value)s (expected one of: %(allowed)s)"),
                                                     QUESTION_TYPES))]
    text: TextField
    help: TextField | None = None
    options: tuple[Option, ...] = Field(default=None, validate_default=True)
    bands: tuple[Band, ...] = Field(default=None, validate_default=True)
    min: Whole | None = Field(default=None, validate_default=True)
    max: Whole | None = Field(default=None, validate_default=True)
    min_label: TextField | None = Field(default=None, validate_default=True)
    max_label: TextField | None = Field(default=None, validate_default=True)
    good: Annotated[YesNo, PlainValidator(_yes_no)] | None = Field(default=None, validate_default=True)
    unit: TextField | None = Field(default=None, validate_default=True)
    required: Flag = Field(default=None, validate_default=True)
    allow_na: Flag = False
    weight: Weight = Field(default=None, validate_default=True)
    critical: Critical | None = None
    show_if: ShowIf | None = None
    kpi: Annotated[Kpi, PlainValidator(_one_of(N_("unknown kpi %(value)s (expected one of: %(allowed)s)"), KPIS))] | None = None
    # `head_office`: the answer is for head office only (a staff description, a note to head office): left out of
    # the store's scorecard and everything else shown to stores. Such a question carries no points, so the store's
    # card still adds up without it.
    audience: Annotated[Audience, PlainValidator(_one_of(N_("unknown audience %(value)s (expected one of: %(allowed)s)"),
                                                          AUDIENCES))] = "all"
    # The corrective action a failure of this question creates (an option's or band's own rule wins).
    action: ActionRule | None = None

    @property
    def is_for_stores(self) -> bool:
        """Whether stores (and their scorecards) see this question and its answer."""
        return self.audience != "head_office"

    @property
    def is_scored(self) -> bool:
        """Whether this question can earn points: a type that scores, with a weight above 0."""
        return self.type != "note" and self.weight > 0

    @field_validator("options", "bands", "min", "max", "min_label", "max_label", "good", "unit", mode="before")
    @classmethod
    def _fits_type(cls, value: object, info: ValidationInfo) -> object:
        field, qtype = info.field_name or "", info.data.get("type")
        if value is None:
            if qtype in _NEEDED_BY.get(field, ()):
                raise _problem(N_("a %(qtype)s question needs `%(field)s`"), qtype=qtype, field=field)
            if field == "good" and qtype == "yes_no":
                return "yes"
            return () if field in ("options", "bands") else None
        if qtype is not None and qtype not in _USED_BY[field]:
            users = " and ".join(_USED_BY[field])
            raise _problem(N_("`%(field)s` only applies to %(users)s questions (this one is %(qtype)s)"), field=field,
                           users=users, qtype=qtype)
        return value

    @field_validator("options")
    @classmethod
    def _options_are_distinct(cls, options: tuple[Option, ...], info: ValidationInfo) -> tuple[Option, ...]:
        if info.data.get("type") in _NEEDED_BY["options"] and not options:
            raise _problem(N_("needs at least one option"))
        seen: set[str] = set()
        errors: list[tuple[tuple[str | int, ...], Phrase]] = []
        for index, option in enumerate(options):
            if option.key in seen:
                errors.append(((index, "key"), phrase(N_("option key %(key)s is used twice in this question"),
                                                      key=repr(option.key))))
            seen.add(option.key)
        if errors:
            _raise_at(errors, "Question")
        return options

    @field_validator("bands")
    @classmethod
    def _bands_in_order(cls, bands: tuple[Band, ...], info: ValidationInfo) -> tuple[Band, ...]:
        if info.data.get("type") not in _BANDED or not bands:
            return bands
        for index, band in enumerate(bands[:-1]):
            if band.min is None and band.max is None:
                raise _problem(N_("only the last band may have neither `min` nor `max` (band %(n)s matches every "
                                  "value, so the bands after it could never apply)"), n=index + 1)
        last = bands[-1]
        if last.min is not None or last.max is not None:
            raise _problem(N_("the last band must have neither `min` nor `max`, so that every value matches a band"))
        # Sides may mix, first match wins; a band no value can reach (all of them went to earlier bands) is an error.
        highest_max: Fraction | None = None
        lowest_min: Fraction | None = None
        for index, band in enumerate(bands):
            if highest_max is not None and lowest_min is not None and highest_max >= lowest_min:
                raise _problem(N_("band %(n)s can never apply: the bands before it already match every value"),
                               n=index + 1)
            if band.max is not None:
                if highest_max is not None and band.max <= highest_max:
                    raise _problem(N_("bands must be written in order: each `max` larger than the one before"))
                highest_max = band.max
            elif band.min is not None:
                if lowest_min is not None and band.min >= lowest_min:
                    raise _problem(N_("bands must be written in order: each `min` smaller than the one before"))
                lowest_min = band.min
        return bands

    @field_validator("max")
    @classmethod
    def _max_above_min(cls, high: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min")
        if high is not None and low is not None and high <= low:
            raise _problem(N_("`max` (%(high)s) must be larger than `min` (%(low)s)"), high=high, low=low)
        if high is not None and low is not None and high - low > SCALE_STEPS and not is_stored(info):
            raise _problem(N_("a scale may have at most %(steps)s steps from `min` to `max` (this one has "
                              "%(got)s)"), steps=SCALE_STEPS, got=high - low)
        return high

    @field_validator("required", mode="before")
    @classmethod
    def _required_default(cls, value: object, info: ValidationInfo) -> object:
        if info.data.get("type") == "note":
            if value is not None:
                raise _problem(N_("a note takes no answer, so it cannot be `required`"))
            return False
        return True if value is None else value

    @field_validator("weight", mode="before")
    @classmethod
    def _weight_default(cls, value: object, info: ValidationInfo) -> object:
        qtype = info.data.get("type")
        if qtype == "note":
            if value is not None:
                raise _problem(N_("a note earns no points, so it cannot have a `weight`"))
            return 0
        if value is not None:
            return value
        if qtype in _SCORED_BY_DEFAULT or (qtype in _BANDED and info.data.get("bands")):
            return 1
        return 0

    @field_validator("weight")
    @classmethod
    def _weight_needs_bands(cls, weight: Fraction, info: ValidationInfo) -> Fraction:
        qtype = info.data.get("type")
        if qtype in _BANDED and weight > 0 and info.data.get("bands") == ():
            raise _problem(N_("a %(qtype)s question with a weight above 0 needs `bands` to turn values into points"),
                           qtype=qtype)
        return weight

    @field_validator("critical")
    @classmethod
    def _critical_can_fail(cls, critical: Critical | None, info: ValidationInfo) -> Critical | None:
        qtype, weight = info.data.get("type"), info.data.get("weight")
        if critical is None or qtype is None or weight is None:
            return critical
        if qtype == "note":
            raise _problem(N_("a note cannot be critical: it takes no answer"))
        if weight == 0:
            raise _problem(N_("a critical question must carry points (weight above 0), otherwise it can never fail"))
        reason = _why_cannot_fail(qtype, info.data.get("options", ()), info.data.get("bands", ()))
        if reason:
            raise _said(reason)
        return critical

    @field_validator("kpi")
    @classmethod
    def _kpi_fits_type(cls, kpi: str | None, info: ValidationInfo) -> str | None:
        qtype = info.data.get("type")
        if kpi is None or qtype is None:
            return kpi
        wanted = _KPI_TYPES[kpi]
        if qtype != wanted:
            raise _problem(N_("kpi `%(kpi)s` needs a %(wanted)s question (this one is %(qtype)s)"), kpi=kpi,
                           wanted=wanted, qtype=qtype)
        bounds_valid = "min" in info.data and "max" in info.data
        if kpi == "csat" and bounds_valid and (info.data["min"], info.data["max"]) != (1, 5):
            raise _problem(N_("kpi `csat` needs a scale from 1 to 5"))
        return kpi

    @field_validator("action")
    @classmethod
    def _action_needs_points(cls, action: ActionRule | None, info: ValidationInfo) -> ActionRule | None:
        weight = info.data.get("weight")
        if action is not None and action.create and weight is not None and weight == 0:
            raise _problem(N_("an action rule needs a question that carries points (weight above 0), otherwise it "
                              "can never fail"))
        return action

    @field_validator("audience")
    @classmethod
    def _head_office_questions_carry_no_points(cls, audience: str, info: ValidationInfo) -> str:
        if audience != "head_office":
            return audience
        if info.data.get("critical") is not None:
            raise _problem(N_("a question for head office only cannot be critical: stores would lose points for an "
                           "answer they never see"))
        weight = info.data.get("weight")
        if weight is not None and weight > 0:
            raise _problem(N_("a question for head office only must carry no points (weight 0): the store's "
                           "scorecard leaves it out, and its score must still add up"))
        return audience


def _why_cannot_fail(qtype: str, options: Sequence[Option], bands: Sequence[Band]) -> Phrase | None:
    if qtype == "choice" and options and all(option.fraction == 1 for option in options):
        return phrase(N_("a critical question must be able to fail, but every option earns full points"))
    if qtype in _BANDED and bands and all(band.fraction == 1 for band in bands):
        return phrase(N_("a critical question must be able to fail, but every band earns full points"))
    if qtype in ("text", "photo", "date", "time"):
        return phrase(N_("a critical question must be able to fail, but any answer to a %(qtype)s question earns "
                         "full points"), qtype=qtype)
    return None


class Section(_Model):
    """A section of questions; `weight` counts only with `scoring: weighted_sections` (default 1)."""

    key: Key
    title: TextField
    weight: Weight = Fraction(1)
    questions: tuple[Question, ...]

    @field_validator("questions")
    @classmethod
    def _not_empty(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        if not questions:
            raise _problem(N_("a section needs at least one question"))
        return questions


class Grade(_Model):
    """A grade band: the label given to a final percent of at least `min`."""

    min: Percent
    label: TextField


class Checklist(_Model):
    """A validated checklist definition. Build one with `parse_checklist`; it reports every problem at once."""

    key: Key
    title: TextField
    description: TextField | None = None
    channel: Annotated[Channel, PlainValidator(_one_of(N_("unknown channel %(value)s (expected one of: %(allowed)s)"), CHANNELS))]
    scoring: Annotated[Method, PlainValidator(_one_of(N_("unknown scoring method %(value)s (expected one of: %(allowed)s)"),
                                                        METHODS))] = "weighted_sections"
    grades: tuple[Grade, ...]
    sections: tuple[Section, ...]

    def questions(self) -> Iterator[tuple[Section, Question]]:
        """Every (section, question) pair in the order written."""
        for section in self.sections:
            for question in section.questions:
                yield section, question

    def question(self, key: str) -> Question:
        """The question with this key; raises KeyError when there is none."""
        return self._questions_by_key[key][1]

    def section_of(self, key: str) -> Section:
        """The section holding the question with this key; raises KeyError when there is none."""
        return self._questions_by_key[key][0]

    @functools.cached_property
    def _questions_by_key(self) -> dict[str, tuple[Section, Question]]:
        return {question.key: (section, question) for section, question in self.questions()}

    @field_validator("grades")
    @classmethod
    def _grades_descend_to_zero(cls, grades: tuple[Grade, ...]) -> tuple[Grade, ...]:
        if not grades:
            raise _problem(N_("needs at least one grade band (the last with `min: 0`)"))
        for index, (higher, lower) in enumerate(zip(grades, grades[1:])):
            if lower.min >= higher.min:
                _raise_at(
                    [((index + 1, "min"), phrase(N_("grade bands go from the highest `min` down, each `min` lower "
                                                    "than the one before")))],
                    "Checklist",
                )
        if grades[-1].min != 0:
            _raise_at([((len(grades) - 1, "min"), phrase(N_("the last grade band must have `min: 0`, so every score "
                                                            "gets a grade")))], "Checklist")
        return grades

    @field_validator("sections")
    @classmethod
    def _sections_not_empty(cls, sections: tuple[Section, ...]) -> tuple[Section, ...]:
        if not sections:
            raise _problem(N_("a checklist needs at least one section"))
        return sections

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(cls, data: object, handler: ModelWrapValidatorHandler[Checklist]) -> Checklist:
        # Cross-question checks need the whole checklist, which pydantic only builds when every field is valid;
        # on failure they run on whatever parts do validate, so one typo does not hide the other problems.
        try:
            checklist = handler(data)
        except ValidationError as err:
            found = [(tuple(error["loc"]), _plain_message(error)) for error in err.errors()]
            found += cross_problems(_outline_of_data(data))
            _raise_at(sorted(found, key=_document_order), "Checklist")
        problems = cross_problems(_outline_of_checklist(checklist))
        if problems:
            _raise_at(problems, "Checklist")
        return checklist


# ---------------------------------------------------------------------------------------------------------------
# The outline the checks across questions read (see checks.py)


_M = TypeVar("_M", bound=BaseModel)


def _outline_of_checklist(checklist: Checklist) -> Outline:
    return Outline(
        checklist.scoring,
        tuple(
            SectionOutline(
                ("sections", i),
                section.key,
                "weight" in section.model_fields_set,
                tuple(
                    QuestionOutline(("sections", i, "questions", j), question.key, question, question.show_if)
                    for j, question in enumerate(section.questions)
                ),
            )
            for i, section in enumerate(checklist.sections)
        ),
    )


def _outline_of_data(data: object) -> Outline:
    """Salvage what can be checked from data that failed validation: keys, valid questions, valid show_ifs."""
    if not isinstance(data, Mapping):
        return Outline(None, ())
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, (list, tuple)):
        return Outline(data.get("scoring", "weighted_sections"), ())
    sections = []
    for i, raw_section in enumerate(raw_sections):
        if not isinstance(raw_section, Mapping):
            continue
        raw_questions = raw_section.get("questions")
        questions = []
        for j, raw in enumerate(raw_questions if isinstance(raw_questions, (list, tuple)) else ()):
            if isinstance(raw, Mapping):
                question = _valid_or_none(Question, raw)
                show_if = question.show_if if question else _valid_or_none(ShowIf, raw.get("show_if"))
                questions.append(QuestionOutline(("sections", i, "questions", j), _raw_key(raw), question, show_if))
        sections.append(
            SectionOutline(("sections", i), _raw_key(raw_section), "weight" in raw_section, tuple(questions))
        )
    return Outline(data.get("scoring", "weighted_sections"), tuple(sections))


def _valid_or_none(model: type[_M], data: object) -> _M | None:
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _raw_key(data: Mapping[str, object]) -> str | None:
    key = data.get("key")
    return key if isinstance(key, str) and _KEY.fullmatch(key) else None


# ---------------------------------------------------------------------------------------------------------------
# Errors into plain words


_MODELS_AT: dict[str, type[BaseModel]] = {
    "sections": Section,
    "questions": Question,
    "options": Option,
    "bands": Band,
    "grades": Grade,
    "critical": Critical,
    "show_if": ShowIf,
}


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Checklist
    for part in loc:
        if isinstance(part, str):
            model = _MODELS_AT.get(part)
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _plain_message(error: Mapping[str, Any]) -> Phrase:
    kind, loc = error["type"], tuple(error["loc"])
    name = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
    if kind == "checklist":
        return _phrase_of(error)
    if kind == "missing":
        return phrase(N_("`%(field)s` is required but missing"), field=name)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = _field_names(model) if model else []
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            return phrase(N_("unknown field `%(field)s` (did you mean `%(close)s`? allowed here: %(allowed)s)"),
                          field=name, close=close[0], allowed=", ".join(allowed))
        return phrase(N_("unknown field `%(field)s` (allowed here: %(allowed)s)"), field=name,
                      allowed=", ".join(allowed))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        got = describe(error.get("input"))
        if loc and not isinstance(loc[-1], int):
            return phrase(N_("`%(field)s` must be a mapping of fields (like `key: value`), not %(got)s"), field=name,
                          got=got)
        parent = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
        thing = _ITEMS.get(parent, Word(N_("this"))) if loc else Word(N_("a checklist"))
        return phrase(N_("%(thing)s must be a mapping of fields (like `key: value`), not %(got)s"), thing=thing,
                      got=got)
    if kind in ("tuple_type", "list_type"):
        return phrase(N_("`%(field)s` must be a list"), field=name) if name else phrase(N_("expected a list"))
    return _phrase_of(error)


# An item of each list of a checklist, as a problem names it.
_ITEMS = {"sections": Word(N_("a section")), "questions": Word(N_("a question")), "options": Word(N_("an option")),
          "bands": Word(N_("a band")), "grades": Word(N_("a grade band"))}


def _document_order(problem: tuple[tuple[str | int, ...], Phrase]) -> tuple[int, ...]:
    # Fields sort in the order the format documents them (unknown fields last), list items by index.
    order: list[int] = []
    model: type[BaseModel] | None = Checklist
    for part in problem[0]:
        if isinstance(part, int):
            order.append(part)
            continue
        names = _field_names(model) if model else []
        order.append(names.index(part) if part in names else len(names))
        model = _MODELS_AT.get(part)
    return tuple(order)


# ---------------------------------------------------------------------------------------------------------------
# Public entry points


def parse_checklist(data: Mapping[str, object], *, stored: bool = False) -> Checklist:
    """Validate a checklist given as plain data (loaded from YAML or JSON) and return the frozen Checklist.

    Numbers are read exactly (0.1 is one tenth). New checklists (files, drafts, uploads, imports) must keep
    weights, fractions, band limits, caps and grade limits to 4 decimal places (or fractions over at most 100) and
    scales to 1,000 steps; `stored=True` reads back a version saved before those bounds without them, so it still
    scores as it did. Raises ChecklistError listing every problem at once, each with a path like
    `sections[3].questions[2].bands` (empty for the top level) and a plain-English message.
    """
    try:
        return Checklist.model_validate(dict(data) if isinstance(data, Mapping) else data,
                                        context={"stored": stored})
    except ValidationError as err:
        raise ChecklistError(Problem.worded(problem_path(error["loc"]), _phrase_of(error))
                             for error in err.errors()) from None


def checklist_to_data(checklist: Checklist) -> dict[str, object]:
    """Write a checklist as JSON-ready plain data with every default resolved; `parse_checklist` reads it back equal.

    Numbers come out as int when whole, a decimal string when exact ("0.25"), else "n/d". Never raises.
    """
    data: dict[str, object] = {"key": checklist.key, "title": checklist.title.as_data()}
    if checklist.description is not None:
        data["description"] = checklist.description.as_data()
    data["channel"] = checklist.channel
    data["scoring"] = checklist.scoring
    data["grades"] = [{"min": number_to_data(grade.min), "label": grade.label.as_data()} for grade in checklist.grades]
    data["sections"] = [_section_to_data(section, checklist.scoring) for section in checklist.sections]
    return data


def _section_to_data(section: Section, scoring: str) -> dict[str, object]:
    data: dict[str, object] = {"key": section.key, "title": section.title.as_data()}
    if scoring == "weighted_sections":
        data["weight"] = number_to_data(section.weight)
    data["questions"] = [_question_to_data(question) for question in section.questions]
    return data


def _question_to_data(question: Question) -> dict[str, object]:
    data: dict[str, object] = {"key": question.key, "type": question.type, "text": question.text.as_data()}
    if question.help is not None:
        data["help"] = question.help.as_data()
    if question.type != "note":
        data["weight"] = number_to_data(question.weight)
        data["required"] = question.required
    data["allow_na"] = question.allow_na
    if question.good is not None:
        data["good"] = question.good
    if question.min is not None:
        data["min"] = question.min
    if question.max is not None:
        data["max"] = question.max
    for name in ("min_label", "max_label", "unit"):
        text = getattr(question, name)
        if text is not None:
            data[name] = text.as_data()
    if question.options:
        data["options"] = [_option_to_data(option) for option in question.options]
    if question.bands:
        data["bands"] = [_band_to_data(band) for band in question.bands]
    if question.critical is not None:
        critical: dict[str, object] = {"effect": question.critical.effect}
        if question.critical.cap is not None:
            critical["cap"] = number_to_data(question.critical.cap)
        data["critical"] = critical
    if question.show_if is not None:
        show_if: dict[str, object] = {"question": question.show_if.question}
        if question.show_if.in_ is not None:
            show_if["in"] = list(question.show_if.in_)
        else:
            show_if["equals"] = question.show_if.equals
        data["show_if"] = show_if
    if question.kpi is not None:
        data["kpi"] = question.kpi
    if question.audience != "all":
        data["audience"] = question.audience
    if question.action is not None:
        data["action"] = action_rule_to_data(question.action)
    return data


def action_rule_to_data(rule: ActionRule) -> dict[str, object]:
    """An action rule as plain data, every default written out."""
    data: dict[str, object] = {"create": rule.create, "priority": rule.priority, "due_in_days": rule.due_in_days,
                               "assignee": rule.assignee}
    if rule.title is not None:
        data["title"] = rule.title.as_data()
    if rule.guidance is not None:
        data["guidance"] = rule.guidance.as_data()
    data["evidence"] = rule.evidence
    return data


def _option_to_data(option: Option) -> dict[str, object]:
    data: dict[str, object] = {"key": option.key, "text": option.text.as_data(),
                               "fraction": number_to_data(option.fraction)}
    if option.action is not None:
        data["action"] = action_rule_to_data(option.action)
    return data


def _band_to_data(band: Band) -> dict[str, object]:
    data: dict[str, object] = {}
    if band.max is not None:
        data["max"] = number_to_data(band.max)
    if band.min is not None:
        data["min"] = number_to_data(band.min)
    data["fraction"] = number_to_data(band.fraction)
    if band.action is not None:
        data["action"] = action_rule_to_data(band.action)
    return data
