"""Filters of head office's chain-wide ranking and shopper calibration (GET forms: shape only, no queries)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from audit_app.form_fields import DateField, IntegerField
from audit_app.routing import MAX_ID
from audit_app.services.scores.chain import DEFAULT_TOP, TOP_CHOICES

DEFAULT_DAYS = 90


class ChainFilterForm(FlaskForm):
    class Meta:
        csrf = False

    checklist = IntegerField(_l("Checklist"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (inclusive)"), validators=[Optional()])
    top = SelectField(_l("Stores at each end"), coerce=int, default=DEFAULT_TOP,
                      choices=[SelectChoice(n, str(n)) for n in TOP_CHOICES], validate_choice=True)
    firm = SelectField(_l("Stores with few visits"), default="mark",
                       choices=[SelectChoice("mark", _l("Rank them, marked provisional")),
                                SelectChoice("leave", _l("Leave them out"))])

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def read(self, today: date) -> tuple[int | None, datetime, datetime] | None:
        """(checklist id or None, start, end) in UTC, the end exclusive (the day after "To"), with the last 90
        days as default; None when a date does not read (its error says why, what was typed stays). A checklist,
        number of stores or choice no link of the app can carry is dropped for its default, as the dashboards
        drop theirs."""
        self.validate()
        if self.checklist.errors:
            self.checklist.data, self.checklist.errors = None, []
        if self.top.errors or self.top.data not in TOP_CHOICES:
            self.top.data, self.top.errors = DEFAULT_TOP, []
        if self.firm.errors:
            self.firm.data, self.firm.errors = "mark", []
        if self.start.errors or self.end.errors:
            return None
        end_day = self.end.data or today
        start_day = self.start.data or (end_day - timedelta(days=DEFAULT_DAYS - 1))
        self.start.data, self.end.data = start_day, end_day
        start = datetime.combine(start_day, time(), tzinfo=timezone.utc)
        end = datetime.combine(end_day + timedelta(days=1), time(), tzinfo=timezone.utc)
        return (self.checklist.data if self.checklist.data else None), start, end
