"""Head-office forms: shape only (required, types, ranges); the services and the checklist schema judge the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, FloatField, HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from werkzeug.datastructures import FileStorage, MultiDict

import scoring
from audit_app.form_fields import DateField, IntegerField
from audit_app.routing import MAX_ID
from audit_app.shopper.forms import UnavailableForm, read_section
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


class ImportXlsformForm(FlaskForm):
    file = FileField(_l("XLSForm file (.xlsx, .xls or .csv)"),
                     validators=[FileRequired(message=_l("Choose an XLSForm file to import."))],
                     render_kw={"accept": ".xlsx,.xls,.csv"})
    key = StringField(_l("Checklist key (optional)"),
                      validators=[Optional(), Length(max=64),
                                  Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use lower-case letters, digits and _, "
                                                                          "starting with a letter."))],
                      description=_l("Empty: the form ID on the settings sheet, or else the file name. A key in "
                                     "use makes the file that checklist's next draft."))
    channel = SelectField(_l("Channel"), choices=_choices(label_choices("channel", CHANNELS)))
    dry_run = BooleanField(_l("Dry run: only show what would be imported"), default=True)


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
    critical_effect = SelectField(_l("Critical question"),
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
    action_mode = SelectField(_l("When this question fails"), choices=_choices([
        ("", _l("No action of its own (a critical failure still creates the default critical action)")),
        ("rule", _l("Create a corrective action")),
        ("off", _l("Never create an action, even when critical"))]), validate_choice=False)
    action_priority = SelectField(_l("Priority"), choices=_choices([
        ("low", _l("Low")), ("medium", _l("Medium")), ("high", _l("High")), ("critical", _l("Critical"))]),
        default="medium", validate_choice=False)
    action_due_days = StringField(_l("Due in (days after the visit)"), default="7", validators=[Optional()])
    action_assignee = SelectField(_l("Assigned to"), choices=_choices([
        ("store_manager", _l("The store's manager")), ("area_manager", _l("The area manager"))]),
        validate_choice=False)
    action_title_en = StringField(_l("Action title (English)"), validators=[Optional()],
                                  description=_l("Empty: the question's text."))
    action_title_ja = StringField(_l("Action title (Japanese)"), validators=[Optional()])
    action_guidance_en = TextAreaField(_l("Guidance for the store (English)"), validators=[Optional()])
    action_guidance_ja = TextAreaField(_l("Guidance for the store (Japanese)"), validators=[Optional()])
    action_evidence = BooleanField(_l("Resolving it needs a photo as evidence"))
    action_rules = TextAreaField(_l("Actions of single options or bands"), validators=[Optional()],
                                 description=_l("One per line: option key (or “band 3”) | priority (low, medium, high, "
                                                "critical) | due in days | store (its manager) or area (the area manager) | title | "
                                                "Japanese title (optional). An option's or band's action wins over "
                                                "the question's."))


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
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)],
                          description=_l("Decimal degrees, for example 35.6717. Used to check that visits took place at "
                                         "the store."))
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)],
                           description=_l("Decimal degrees, for example 139.7650."))
    radius_m = IntegerField(_l("Allowed radius (metres)"), validators=[Optional(), NumberRange(10, 100000)],
                            description=_l("How far from the store a visit's location may be. Empty: the "
                                           "programme's default in Settings."))


class PersonForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=_choices([("shopper", _l("Shopper")), ("store_manager", _l("Store manager")),
                                            ("area_manager", _l("Area manager")), ("head_office", _l("Head office"))]))
    locale = SelectField(_l("Language"), choices=_choices([("en", "English"), ("ja", "日本語")]))
    areas = SelectMultipleField(_l("Areas (area managers)"), choices=[])
    stores = SelectMultipleField(_l("Stores (store managers)"), choices=[])
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
    window_start = DateField(_l("From"), validators=[InputRequired()])
    window_end = DateField(_l("Until"), validators=[InputRequired()])


class BulkAssignmentForm(FlaskForm):
    checklist_id = SelectField(_l("Checklist"), coerce=int)
    area_id = SelectField(_l("Area"), coerce=int)
    shopper_ids = SelectMultipleField(_l("Shoppers (none chosen: the shoppers of the area's region)"), coerce=int,
                                      choices=[])
    window_start = DateField(_l("From"), validators=[InputRequired()])
    window_end = DateField(_l("Until"), validators=[InputRequired()])
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
    flag = SelectField(_l("Proof-of-visit flags"), choices=[], validators=[Optional()], validate_choice=False)
    sort = SelectField(_l("Order"), choices=_choices([("", _l("Critical failures first, then oldest")),
                                                      ("flags", _l("Most unexplained flags first"))]),
                       validators=[Optional()], validate_choice=False)
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)], default=1)


class ApproveVisitsForm(FlaskForm):
    """Several visits of the queue approved at once: each value is a visit id and when it last changed."""

    visits = SelectMultipleField(choices=[], validate_choice=False)


class SettingsForm(FlaskForm):
    review_required = BooleanField(_l("Submitted visits wait for head office's review before they count"))
    show_shopper_to_managers = BooleanField(_l("Area managers see who the shopper was"))
    min_visits_for_figures = IntegerField(
        _l("Visits before a mean or rank is firm"), default=3, validators=[DataRequired(), NumberRange(min=1, max=100)],
        description=_l("A store's mean or rank from fewer counted visits than this is marked provisional."))
    agreement_window_days = IntegerField(
        _l("Days between two shoppers' visits compared for agreement"), default=7,
        validators=[DataRequired(), NumberRange(min=1, max=90)],
        description=_l("Visits of the same checklist to the same store by two shoppers at most this many days "
                       "apart are compared question by question."))
    default_radius_m = IntegerField(_l("Allowed distance from a store (metres)"), validators=[
        Optional(), NumberRange(10, 100000)], description=_l("For stores without their own radius."))
    max_accuracy_m = IntegerField(_l("Least precise location that still gives a verdict (metres)"), validators=[
        Optional(), NumberRange(10, 100000)])
    min_visit_minutes = IntegerField(_l("Shortest plausible visit (minutes)"), validators=[
        Optional(), NumberRange(0, 1440)], description=_l("For checklists without their own minimum."))
    time_slack_minutes = IntegerField(_l("Times and photos may be this far outside the visit (minutes)"),
                                      validators=[Optional(), NumberRange(0, 1440)])
    late_submit_hours = IntegerField(_l("Flag a submit this long after the visit started (hours)"), validators=[
        Optional(), NumberRange(1, 8760)])
    similar_photo_bits = IntegerField(_l("Photos count as nearly identical when at most this many of 64 bits "
                                         "of their perceptual hashes differ"), validators=[
        Optional(), NumberRange(0, 32)])
    entered_question = StringField(_l("Question key of the time the shopper entered"), validators=[
        Optional(), Length(max=64)])
    left_question = StringField(_l("Question key of the time the shopper left"), validators=[
        Optional(), Length(max=64)])


THRESHOLDS = ("default_radius_m", "max_accuracy_m", "min_visit_minutes", "time_slack_minutes", "late_submit_hours",
              "similar_photo_bits")


class ExplainFlagForm(FlaskForm):
    explanation = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=2000)])


class MinMinutesForm(FlaskForm):
    min_minutes = IntegerField(_l("Shortest plausible visit (minutes)"), validators=[Optional(), NumberRange(0, 1440)],
                               description=_l("Faster visits are flagged. Empty: the programme's default."))


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


class PlanForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=200)])
    checklist_id = SelectField(_l("Checklist"), coerce=int)
    scope = SelectField(_l("Stores"), choices=_choices([("all", _l("All stores")), ("region", _l("One region")),
                                                        ("area", _l("One area"))]))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    area_id = SelectField(_l("Area"), coerce=int, validate_choice=False)
    frequency = SelectField(_l("How often"), choices=_choices([
        ("weeks", _l("Every N weeks")), ("monthly", _l("Monthly")), ("waves", _l("In waves with their own dates"))]))
    every_weeks = IntegerField(_l("Every how many weeks"), default=4, validators=[Optional(), NumberRange(1, 52)])
    waves = TextAreaField(_l("Waves"), validators=[Optional()],
                          description=_l("One wave a line: first day, last day, for example 2027-01-04, 2027-01-17"))
    starts_on = DateField(_l("First window starts"), validators=[InputRequired()])
    window_days = IntegerField(_l("Visit window (days)"), default=14, validators=[DataRequired(), NumberRange(1, 92)])
    lead_days = IntegerField(_l("Assign how many days ahead"), default=14,
                             validators=[InputRequired(), NumberRange(0, 92)])
    lockout_days = IntegerField(_l("Lockout between one shopper's visits to a store (days)"), default=60,
                                validators=[InputRequired(), NumberRange(0, 365)])
    no_repeat_shopper = BooleanField(_l("Never the same shopper twice in a row at a store"), default=True)
    home_region_only = BooleanField(_l("Only shoppers whose home region it is"), default=True)
    reassign_missed = BooleanField(_l("Re-assign a missed window to another shopper"))
    is_active = BooleanField(_l("Active (the daily job generates its assignments)"), default=True)


class HeadUnavailableForm(UnavailableForm):
    shopper_id = SelectField(_l("Shopper"), coerce=int)


class WebhookEndpointForm(FlaskForm):
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=2000)],
                      description=_l("The address Storecheck sends events to, starting with https://"))
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)],
                              description=_l("Optional: which system this is, and who runs it."))
    event_types = SelectMultipleField(_l("Events"), choices=[],
                                      validators=[DataRequired(message=_l("Choose at least one event."))])
