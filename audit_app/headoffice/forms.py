"""Head-office forms: shape only (required, types, ranges); the services and the checklist schema judge the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, HiddenField, IntegerField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from werkzeug.datastructures import FileStorage, MultiDict

import scoring
from audit_app.routing import MAX_ID
from audit_app.shopper.forms import read_section
from audit_app.template_helpers import label_choices
from scoring.schema import CHANNELS, EFFECTS, KPIS, METHODS, QUESTION_TYPES


def _choices(pairs: object) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token is checked."""


class NewChecklistForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=64)],
                      description=_l("Lower-case letters, digits and _; never changes."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    channel = SelectField(_l("Channel"), choices=_choices(label_choices("channel", CHANNELS)))


class ImportChecklistForm(FlaskForm):
    yaml_text = TextAreaField(_l("Checklist YAML"), validators=[DataRequired()])


class ChecklistSettingsForm(FlaskForm):
    title_en = StringField(_l("Title (English)"), validators=[DataRequired()])
    title_ja = StringField(_l("Title (Japanese)"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=_choices(label_choices("channel", CHANNELS)))
    method = SelectField(_l("Scoring method"), choices=_choices(label_choices("method", METHODS)))
    grades = TextAreaField(_l("Grades"), validators=[DataRequired()],
                           description=_l("One per line, highest first: minimum percent | label | Japanese label "
                                          "(optional). The last line needs minimum 0."))


class SectionForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=64)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired()])
    title_ja = StringField(_l("Title (Japanese)"), validators=[Optional()])
    weight = StringField(_l("Section weight"), validators=[Optional()],
                         description=_l("Only with weighted sections scoring; like 1, 2 or 0.5."))


class QuestionForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=64)],
                      description=_l("Stable across versions: answers and scores are matched by it."))
    type = SelectField(_l("Question type"), choices=_choices(label_choices("question_type", QUESTION_TYPES)))
    text_en = TextAreaField(_l("Question (English)"), validators=[DataRequired()])
    text_ja = TextAreaField(_l("Question (Japanese)"), validators=[Optional()])
    help_en = TextAreaField(_l("Help for the shopper (English)"), validators=[Optional()])
    help_ja = TextAreaField(_l("Help for the shopper (Japanese)"), validators=[Optional()])
    weight = StringField(_l("Weight"), validators=[Optional()],
                         description=_l("Points the question is worth; empty for the type's default."))
    required = BooleanField(_l("Required"), default=True)
    allow_na = BooleanField(_l("N/A allowed"))
    good = SelectField(_l("Good answer (yes/no questions)"), choices=_choices([("yes", _l("Yes")), ("no", _l("No"))]),
                       validate_choice=False)
    min = IntegerField(_l("Scale minimum"), validators=[Optional()])
    max = IntegerField(_l("Scale maximum"), validators=[Optional()])
    min_label = StringField(_l("Label of the minimum"), validators=[Optional()])
    max_label = StringField(_l("Label of the maximum"), validators=[Optional()])
    unit = StringField(_l("Unit (number questions)"), validators=[Optional()])
    options = TextAreaField(_l("Options (choice and multi questions)"), validators=[Optional()],
                            description=_l("One per line: key | text | fraction of the points (0 to 1) | Japanese "
                                           "text (optional)."))
    bands = TextAreaField(_l("Bands (number and duration questions)"), validators=[Optional()],
                          description=_l("One per line, tried in order, the first that matches counts: “max 10: 1” (up to "
                                         "10 earns all), “min 300: 0” (300 or more earns none), and last “otherwise: "
                                         "0.5”. max and min lines may be mixed. Durations are in seconds."))
    critical_effect = SelectField(_l("Critical"),
                                  choices=_choices([("", _l("Not critical"))] + label_choices("effect", EFFECTS)),
                                  validate_choice=False)
    critical_cap = StringField(_l("Cap the visit at (percent)"), validators=[Optional()])
    show_if_question = StringField(_l("Show only if question (key)"), validators=[Optional()])
    show_if_values = StringField(_l("…has one of these answers"), validators=[Optional()],
                                 description=_l("Separate several answers with commas."))
    kpi = SelectField(_l("KPI"), choices=_choices([("", "—")] + label_choices("kpi", KPIS)), validate_choice=False)
    head_office_only = BooleanField(_l("For head office only"),
                                    description=_l("Left out of the store's PDF scorecard and of the pages area "
                                                   "managers see. It carries no points and cannot be critical."))


class MoveForm(FlaskForm):
    section = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    question = IntegerField(validators=[Optional(), NumberRange(min=0)])
    step = IntegerField(validators=[InputRequired(), NumberRange(min=-1, max=1)])


class ReorderForm(FlaskForm):
    section = IntegerField(validators=[Optional(), NumberRange(min=0)])
    order = HiddenField(validators=[DataRequired()])


class RemoveForm(FlaskForm):
    section = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    question = IntegerField(validators=[Optional(), NumberRange(min=0)])


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class AreaForm(RegionForm):
    region_id = SelectField(_l("Region"), coerce=int)


class StoreForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    area_id = SelectField(_l("Area"), coerce=int)
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(_l("Time zone"), default="Asia/Tokyo", validators=[DataRequired(), Length(max=64)])


class PersonForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=_choices([("shopper", _l("Shopper")), ("area_manager", _l("Area manager")),
                                            ("head_office", _l("Head office"))]))
    locale = SelectField(_l("Language"), choices=_choices([("en", "English"), ("ja", "日本語")]))
    areas = SelectMultipleField(_l("Areas (area managers)"), choices=[])
    region = SelectField(_l("Home region (shoppers)"), choices=[])
    password = PasswordField(_l("Password"), validators=[Optional()],
                             description=_l("At least 10 characters. Leave empty to keep the current one."))


class CsvImportForm(FlaskForm):
    csv_text = TextAreaField(_l("CSV"), validators=[DataRequired()])
    dry_run = BooleanField(_l("Dry run: only show what would change"), default=True)


class AssignmentForm(FlaskForm):
    checklist_id = SelectField(_l("Checklist"), coerce=int)
    store_id = SelectField(_l("Store"), coerce=int)
    shopper_id = SelectField(_l("Shopper"), coerce=int)
    window_start = DateField(_l("From"), validators=[DataRequired()])
    window_end = DateField(_l("Until"), validators=[DataRequired()])


class BulkAssignmentForm(FlaskForm):
    checklist_id = SelectField(_l("Checklist"), coerce=int)
    area_id = SelectField(_l("Area"), coerce=int)
    shopper_ids = SelectMultipleField(_l("Shoppers (none chosen: the shoppers of the area's region)"), coerce=int,
                                      choices=[])
    window_start = DateField(_l("From"), validators=[DataRequired()])
    window_end = DateField(_l("Until"), validators=[DataRequired()])
    confirm = HiddenField(default="")


class DecisionForm(FlaskForm):
    # Radios with nothing chosen beforehand: a reviewer decides on purpose.
    decision = RadioField(_l("Decision"), choices=_choices([("approve", _l("Approve")),
                                                            ("return", _l("Return to the shopper")),
                                                            ("void", _l("Void"))]),
                          validators=[InputRequired(message=_l("Choose a decision."))])
    note = TextAreaField(_l("Note to the shopper, or reason for voiding"), validators=[Optional(), Length(max=2000)])


class FilterQueueForm(FlaskForm):
    """The review queue's filters, read from the query string."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=_choices([("submitted", _l("Waiting")), ("returned", _l("Returned")),
                                                          ("approved", _l("Approved")), ("voided", _l("Voided"))]),
                         default="submitted")
    # Any id may be asked for (one with no visits shows an empty queue); the view drops one no id can be.
    checklist = SelectField(_l("Checklist"), coerce=int, choices=[], validators=[Optional()], validate_choice=False)
    area = SelectField(_l("Area"), coerce=int, choices=[], validators=[Optional()], validate_choice=False)
    since = DateField(_l("Submitted from"), validators=[Optional()])
    until = DateField(_l("Submitted until"), validators=[Optional()])
    critical = BooleanField(_l("Only visits with a critical failure"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)], default=1)


class ApproveVisitsForm(FlaskForm):
    """Several visits of the queue approved at once: each value is a visit id and when it last changed."""

    visits = SelectMultipleField(choices=[], validate_choice=False)


class SettingsForm(FlaskForm):
    review_required = BooleanField(_l("Submitted visits wait for head office's review before they count"))
    show_shopper_to_managers = BooleanField(_l("Area managers see who the shopper was"))


class WhatIfForm(FlaskForm):
    class Meta:
        csrf = False

    last = IntegerField(_l("Visits to re-score"), default=100, validators=[Optional(), NumberRange(min=1, max=2000)])


@dataclass
class PreviewInput:
    """The answers posted to the preview page, what was typed (to show again) and the fields that did not read."""

    answers: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def read_preview(checklist: scoring.Checklist, form: MultiDict[str, str],
                 files: MultiDict[str, FileStorage]) -> PreviewInput:
    """Read every section of the preview exactly as the shopper's section pages read theirs."""
    posted = PreviewInput()
    for section in checklist.sections:
        read = read_section(section, form, files, frozenset())
        posted.answers.update({k: v for k, v in read.values.items() if v is not None})
        posted.raw.update(read.raw)
        posted.problems.update({k: str(v) for k, v in read.problems.items()})
    return posted
