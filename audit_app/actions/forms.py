"""Forms of the corrective actions pages: the list's filters (GET, no CSRF) and each change (POST, CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from audit_app.form_fields import DateField, IntegerField
from audit_app.models.actions import ACTION_PRIORITIES, ACTION_STATUSES
from audit_app.routing import MAX_ID
from audit_app.services.action_lists import SORT_KEYS, ActionFilters
from audit_app.services.actions import MAX_TEXT, MAX_TITLE


def priority_choices() -> list[tuple[str, str]]:
    return [("low", _l("Low")), ("medium", _l("Medium")), ("high", _l("High")), ("critical", _l("Critical"))]


def status_choices() -> list[tuple[str, str]]:
    return [("", _l("Any status")), ("active", _l("Still to do")), ("open", _l("Open")),
            ("in_progress", _l("In progress")), ("resolved", _l("Resolved")), ("closed", _l("Closed")),
            ("reopened", _l("Reopened"))]


class FilterActionsForm(FlaskForm):
    class Meta:
        csrf = False

    store = IntegerField(_l("Store"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    area = IntegerField(_l("Area"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    region = IntegerField(_l("Region"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    status = StringField(_l("Status"), validators=[Optional(), AnyOf(("active", *ACTION_STATUSES))])
    priority = StringField(_l("Priority"), validators=[Optional(), AnyOf(ACTION_PRIORITIES)])
    overdue = BooleanField(_l("Overdue only"))
    checklist = IntegerField(_l("Checklist"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    question = StringField(_l("Question"), validators=[Optional(), Length(max=64)])
    sort = StringField(validators=[Optional(), AnyOf(SORT_KEYS)])
    order = StringField(validators=[Optional(), AnyOf(("asc", "desc"))])

    def filters(self) -> ActionFilters:
        """The filters asked for; a malformed one is left out (and its field cleared), never an error page."""
        self.validate()

        def ok(field):  # type: ignore[no-untyped-def]
            if field.errors or field.data in (None, ""):
                field.data = None if not isinstance(field, StringField) else ""
                return None
            return field.data

        return ActionFilters(store_id=ok(self.store), area_id=ok(self.area), region_id=ok(self.region),
                             status=ok(self.status) or "", priority=ok(self.priority) or "",
                             overdue=bool(self.overdue.data), checklist_id=ok(self.checklist),
                             question_key=ok(self.question) or "", sort=ok(self.sort) or "due",
                             descending=self.order.data == "desc")


class NewActionForm(FlaskForm):
    store_id = SelectField(_l("Store"), coerce=int, validate_choice=False)
    visit_id = HiddenField(validators=[Optional()])
    question_key = HiddenField(validators=[Optional(), Length(max=64)])
    title = StringField(_l("What needs doing"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    guidance = TextAreaField(_l("Guidance for the store"), validators=[Optional(), Length(max=MAX_TEXT)])
    priority = SelectField(_l("Priority"), choices=[], default="medium")
    due_on = DateField(_l("Due by"), validators=[InputRequired()])
    assignee = SelectField(_l("Assigned to"), choices=[], validate_choice=False)
    requires_evidence = BooleanField(_l("A photo is needed as evidence"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = priority_choices()


class ResolveActionForm(FlaskForm):
    comment = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    photo = FileField(_l("Photo as evidence"))


class ReopenActionForm(FlaskForm):
    reason = TextAreaField(_l("Why it is reopened"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class CloseActionForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])


class StartActionForm(FlaskForm):
    pass


class ReassignActionForm(FlaskForm):
    assignee = SelectField(_l("Assigned to"), choices=[], validate_choice=False)
    due_on = DateField(_l("Due by"), validators=[InputRequired()])
    priority = SelectField(_l("Priority"), choices=[])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = priority_choices()
