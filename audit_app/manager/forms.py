"""Filters for the scorecard pages (GET forms: shape only, no CSRF, no queries)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import AnyOf, NumberRange, Optional

from audit_app.form_fields import IntegerField
from audit_app.routing import MAX_ID, is_id, parse_id
from audit_app.services.scores.compare import COMPARE_MAX
from audit_app.services.scores.dashboard import SORT_KEYS
from audit_app.services.scores.scope import DEFAULT_PERIOD_DAYS, PERIOD_CHOICES


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


def period_choices() -> list[tuple[int, str]]:
    return [(30, _l("Last 30 days")), (90, _l("Last 90 days")), (180, _l("Last 6 months")),
            (365, _l("Last 12 months"))]


class FilterScorecardsForm(_GetForm):
    days = IntegerField(_l("Period"), validators=[Optional(), AnyOf(PERIOD_CHOICES)])
    checklist = IntegerField(_l("Checklist"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    sort = StringField(validators=[Optional(), AnyOf(SORT_KEYS)])
    order = StringField(validators=[Optional(), AnyOf(("asc", "desc"))])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.days_choices = period_choices()
        self.checklist_choices: list[tuple[int, str]] = []

    @staticmethod
    def _ok(field: Field) -> bool:
        return field.data not in (None, "") and not field.errors

    def values(self) -> tuple[int, int | None, str, bool]:
        """(days, checklist id or None, sort key, descending), defaults where the query string was malformed."""
        self.validate()
        days = self.days.data if self._ok(self.days) else DEFAULT_PERIOD_DAYS
        checklist = self.checklist.data if self._ok(self.checklist) else None
        sort = self.sort.data if self._ok(self.sort) else "rank"
        self.days.data = days
        return days, checklist, sort, self.order.data == "desc"

    def page_number(self) -> int:
        """The page of a long table asked for; the first where the query string was malformed (call after
        `values`, which validates)."""
        return self.page.data if self._ok(self.page) else 1


class CompareStoresForm(FilterScorecardsForm):
    def __init__(self, formdata, *args: object, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        super().__init__(formdata, *args, **kwargs)
        raw = formdata.getlist("stores") if formdata is not None else []
        # Shape only: whole numbers, at most a few more than can be compared (the service says how many).
        ids = [parse_id(v) for v in raw[: COMPARE_MAX + 4]]
        self.store_ids = [i for i in ids if i is not None and is_id(i)]
        # A number beyond any id names no store: the page answers 404, as for any store that does not exist.
        self.names_missing_store = any(i is not None and not is_id(i) for i in ids)
