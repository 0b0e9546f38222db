"""Reading a checklist section's answers from a form post: shape and type only, per question type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import FloatField, HiddenField, SelectField, StringField

from audit_app.form_fields import DateField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

import scoring
from audit_app.services.answers import answer_token

NA_VALUE = "__na__"
RADIO_TYPES = ("yes_no", "scale", "choice", "nps")
DURATION_RE = re.compile(r"^\s*(?:(\d{1,3})\s*[:：]\s*)?(\d{1,6})\s*$")
MAX_TEXT = 4000


class VisitActionForm(FlaskForm):
    """Start or submit: carries the visit's client UUID and, when the shopper allows it, where they are."""

    client_uuid = HiddenField(validators=[DataRequired(), Length(min=8, max=36)])
    latitude = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(validators=[Optional(), NumberRange(-180, 180)])
    accuracy = FloatField(validators=[Optional(), NumberRange(0, 100000)])
    # What the phone said when asked: shared, refused or unavailable (empty without the page's script).
    location_status = HiddenField(validators=[Optional(), AnyOf(("", "shared", "refused", "unavailable"))])

    def location(self) -> tuple[float, float, float | None] | None:
        if self.latitude.data is None or self.longitude.data is None:
            return None
        return (self.latitude.data, self.longitude.data, self.accuracy.data)

    def status(self) -> str:
        return self.location_status.data or ""


class StartUnassignedVisitForm(VisitActionForm):
    """Choices are filled by the view from what head office opened to unassigned visits."""

    store_id = SelectField(_l("Store"), coerce=int, validate_choice=True)
    checklist_id = SelectField(_l("Checklist"), coerce=int, validate_choice=True)


class SaveSectionForm(FlaskForm):
    """Only the CSRF token and the navigation choice; the answers are read by `read_section`."""

    go = HiddenField()


@dataclass
class SectionInput:
    values: dict[str, Any] = field(default_factory=dict)  # key -> value, scoring.NA, or None (cleared)
    comments: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # what was typed, to show again with an error
    photos: dict[str, FileStorage] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)  # key -> token of the answer the page showed (b-KEY)
    comment_bases: dict[str, str] = field(default_factory=dict)  # key -> token of the comment it showed (bc-KEY)


def _number(text: str) -> int | str:
    value = Decimal(text.replace(",", "."))
    if not value.is_finite():
        raise InvalidOperation
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def parse_duration(text: str) -> int | None:
    """Seconds from '95', '1:35' or '1：35' (minutes:seconds); None when it is neither."""
    match = DURATION_RE.match(text)
    if not match:
        return None
    minutes, seconds = match.groups()
    if minutes is not None and int(seconds) >= 60:
        return None
    return int(minutes or 0) * 60 + int(seconds)


TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")


def _plain_text(text: str) -> str:
    # Browsers send a textarea's line breaks as CR LF; the stored text (and its token) uses LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _token_field(form: MultiDict[str, str], name: str) -> str | None:
    token = form.get(name)
    return token if token is not None and TOKEN_RE.match(token) else None


def read_section(section: scoring.Section, form: MultiDict[str, str], files: MultiDict[str, FileStorage],
                 hidden: frozenset[str]) -> SectionInput:
    """Turn the posted fields of one section into answer values, keeping what was typed for redisplay.

    A photo question's answer comes only from the shopper's own act: a new file (`f-KEY`, in `photos`), an
    explicit `remove-KEY`, or N/A (checked, or unchecked on a page that showed it checked); anything posted as
    `q-KEY` for it is ignored.
    """
    out = SectionInput()
    for question in section.questions:
        key = question.key
        if question.type == "note":
            continue
        base = _token_field(form, f"b-{key}")
        if base is not None:
            out.bases[key] = base
        comment_base = _token_field(form, f"bc-{key}")
        if comment_base is not None:
            out.comment_bases[key] = comment_base
        comment = form.get(f"c-{key}")
        if comment is not None:
            text = _plain_text(comment).strip()
            if len(text) > MAX_TEXT:  # never cut without a word: refused, and the stored comment kept
                out.problems[key] = str(_l("A comment can be at most %(limit)s characters; this one has %(count)s. "
                                           "Shorten it to save it.", limit=f"{MAX_TEXT:,}", count=f"{len(text):,}"))
            else:
                out.comments[key] = text
        # A question hidden when the page was drawn keeps its stored answer unless this post answers it: a
        # photo picked just after its question appeared arrives as a file alone, with its showing answer.
        upload = files.get(f"f-{key}")
        answered = f"q-{key}" in form or f"na-{key}" in form or (upload is not None and bool(upload.filename))
        if key in hidden and not answered:
            continue
        if question.type == "photo":
            _read_photo(question, form, files, out)
            continue
        raw: Any = form.getlist(f"q-{key}") if question.type == "multi" else form.get(f"q-{key}", "")
        out.raw[key] = raw
        if form.get(f"na-{key}") or raw == NA_VALUE:
            out.values[key] = scoring.NA
            continue
        try:
            out.values[key] = _value(question, raw)
        except ValueError as problem:
            out.problems[key] = str(problem)
    return out


def _read_photo(question: scoring.Question, form: MultiDict[str, str], files: MultiDict[str, FileStorage],
                out: SectionInput) -> None:
    key = question.key
    upload = files.get(f"f-{key}")
    if upload is not None and upload.filename:
        out.photos[key] = upload
    elif form.get(f"na-{key}"):
        out.values[key] = scoring.NA
    elif form.get(f"remove-{key}"):
        out.values[key] = None
    elif out.bases.get(key) == answer_token(scoring.NA):
        out.values[key] = None  # the page showed N/A checked and it came back unchecked


def _value(question: scoring.Question, raw: Any) -> Any:
    kind = question.type
    if kind == "multi":
        return list(raw) or None
    text = str(raw).strip()
    if text == "":
        return None
    if kind in ("scale", "nps"):
        if not text.lstrip("-").isdigit():
            raise ValueError(_l("Choose one of the numbers."))
        return int(text)
    if kind == "number":
        try:
            return _number(text)
        except (InvalidOperation, ValueError):
            raise ValueError(_l("Enter a number, for example 3 or 2.5.")) from None
    if kind == "duration":
        seconds = parse_duration(text)
        if seconds is None:
            raise ValueError(_l("Enter the time in seconds (95) or minutes:seconds (1:35)."))
        return seconds
    if kind == "text":
        text = _plain_text(text)
        if len(text) > MAX_TEXT:
            raise ValueError(_l("An answer can be at most %(limit)s characters; this one has %(count)s. Shorten it "
                                "to save it.", limit=f"{MAX_TEXT:,}", count=f"{len(text):,}"))
        return text
    return text  # yes_no, choice, date, time: the engine checks the value itself


class UnavailableForm(FlaskForm):
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class PlainActionForm(FlaskForm):
    """A button that only carries the CSRF token."""
